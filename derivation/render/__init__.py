"""Renderers: one module per output format, each reading a Trace."""

from .json import render_json
from .latex import render_latex
from .notation import Notation

__all__ = ["Notation", "render_json", "render_latex"]
