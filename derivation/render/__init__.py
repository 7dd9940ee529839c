"""Renderers: one module per output format, each reading a Trace.

LaTeX, Markdown and HTML share one document model
(:mod:`derivation.render.writer`) and three settings objects:
:class:`Notation` (symbols), :class:`NumberFormat` (how numbers are written)
and :class:`Detail` (how much is written).
"""

from .document import Detail
from .html import render_html
from .json import render_json
from .latex import render_latex
from .markdown import render_markdown
from .notation import Notation
from .number_format import NumberFormat
from .settings import SettingError

__all__ = [
    "Detail",
    "Notation",
    "NumberFormat",
    "SettingError",
    "render_html",
    "render_json",
    "render_latex",
    "render_markdown",
]
