"""The solution as Markdown with ``$$`` math, for GitHub, Jupyter and MkDocs.

Display math is a ``$$`` block on lines of its own, with ``aligned`` for
equations and ``array`` for tables, because Markdown tables cannot hold
display matrices. The math is kept to what MathJax (GitHub, Jupyter, MkDocs
with ``pymdownx.arithmatex``) renders, and to forms that Markdown parsers
leave alone inside ``$$``:

- every ``\\\\`` ends its source line, so no parser turns ``\\\\`` followed
  by a space into an escaped backslash;
- no ``\\\\[1ex]`` row spacing, which a parser that unescapes ``\\\\``
  would turn into the display-math opener ``\\[``;
- ``\\thinspace`` in place of ``\\,``, which Markdown reads as an escaped
  comma.

Text (the title among it) is escaped, so it never turns into emphasis,
links, HTML or math.

>>> from derivation.engine import train
>>> from derivation.network import Layer, Network
>>> trace = train(Network([Layer([[2]], [0], "identity")]), [1], [3],
...               learning_rate="0.5", steps=1)
>>> text = render_markdown(trace, title="Week_3 *quiz*")
>>> text.splitlines()[0]
'# Week\\\\_3 \\\\*quiz\\\\*'
"""

from __future__ import annotations

import base64
import html
import re

from ..errors import DerivationError
from ..trace import Trace
from .document import (
    Block,
    Detail,
    Document,
    Equations,
    Figure,
    Heading,
    Math,
    Paragraph,
    Table,
    Text,
)
from .notation import Notation
from .number_format import NumberFormat
from .writer import write_document

# ASCII punctuation that can start Markdown syntax: emphasis, code, links,
# HTML, headings, tables, strikethrough and math.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$&])")
_ROW_BREAK = re.compile(r"\s*\\\\(?:\[[0-9.]+ex\])?\s*")
_THIN_SPACE = re.compile(r"\\,\s*")
# Characters kept in \text{...} labels; the labels are the writer's own words.
_LABEL_CHARACTERS = re.compile(r"[^A-Za-z0-9 .,:;()'\u2013-]")


def render_markdown(
    trace: Trace,
    *,
    title: str | None = None,
    notation: Notation | None = None,
    numbers: NumberFormat | None = None,
    detail: Detail | None = None,
    diagram: bool = False,
) -> str:
    """Write the whole derivation of ``trace`` as Markdown with ``$$`` math.

    The parameters are those of :func:`derivation.render.latex.render_latex`.

    Raises
    ------
    DerivationError
        If the title contains a control character.
    """
    document = write_document(
        trace,
        title=title,
        notation=notation,
        numbers=numbers,
        detail=detail,
        diagram=diagram,
    )
    return markdown_document(document)


def markdown_document(document: Document) -> str:
    """Write a :class:`Document` as Markdown."""
    parts = []
    if document.title:
        parts.append("# " + escape_markdown(document.title, "title"))
    parts += [markdown_block(block) for block in document.blocks]
    return "\n\n".join(parts) + "\n"


def markdown_block(block: Block) -> str:
    """Write one block of a document as Markdown."""
    if isinstance(block, Heading):
        return "#" * block.level + " " + escape_markdown(block.text)
    if isinstance(block, Paragraph):
        return "".join(markdown_span(span) for span in block.spans)
    if isinstance(block, Equations):
        body = " \\\\\n".join(block.rows)
        return display_math(r"\begin{aligned}", body, r"\end{aligned}")
    if isinstance(block, Figure):
        return markdown_figure(block)
    return markdown_table(block)


def markdown_figure(figure: Figure) -> str:
    """Write a picture as an ``<img>`` with the SVG in a data URI, then its caption.

    A data URI keeps the Markdown one self-contained file, and unlike raw
    ``<svg>`` markup it has no blank lines or ``$`` signs for a Markdown
    parser or MathJax to act on. Jupyter, MkDocs and VS Code show it;
    GitHub removes data URIs from images and shows the ``alt`` text.
    """
    encoded = base64.b64encode(figure.svg.encode("utf-8")).decode("ascii")
    alt = html.escape(" ".join(figure.caption.split()), quote=True)
    image = f'<img alt="{alt}" src="data:image/svg+xml;base64,{encoded}">'
    return f"{image}\n\n*{escape_markdown(figure.caption)}*"


def markdown_span(span: Text | Math) -> str:
    """Write text escaped and math between single dollars."""
    if isinstance(span, Math):
        return f"${markdown_math(span.latex)}$"
    return escape_markdown(span.text)


def markdown_table(table: Table) -> str:
    """Write a table as an ``array`` in display math, with a rule below the head."""
    columns = "l" + "c" * (len(table.head) - 1)
    head = " & ".join(table_cell(span) for span in table.head)
    rows = [" & ".join(table_cell(span) for span in row) for row in table.rows]
    body = f"{head} \\\\\n\\hline\n" + " \\\\\n".join(rows)
    return display_math(rf"\begin{{array}}{{{columns}}}", body, r"\end{array}")


def table_cell(span: Text | Math) -> str:
    if isinstance(span, Math):
        return span.latex
    return rf"\text{{{_LABEL_CHARACTERS.sub('', span.text)}}}"


def display_math(opening: str, body: str, closing: str) -> str:
    """Write a ``$$`` block on lines of its own, each ``\\\\`` ending a line."""
    return f"$$\n{opening}\n{markdown_math(body)}\n{closing}\n$$"


def markdown_math(latex: str) -> str:
    """Rewrite LaTeX math into the forms that survive Markdown parsers."""
    latex = _ROW_BREAK.sub(" \\\\\\\\\n", latex)
    return _THIN_SPACE.sub(r"\\thinspace ", latex)


def escape_markdown(text: str, what: str = "text") -> str:
    """Escape text so that Markdown prints it literally, on one line.

    Runs of white space become one space; a space at either end is kept, so
    that text and inline math stay apart.

    Raises
    ------
    DerivationError
        If the text contains a control character; the message names ``what``.
    """
    for character in text:
        if (ord(character) < 32 and not character.isspace()) or ord(character) == 127:
            raise DerivationError(
                f"{what}: the control character U+{ord(character):04X} cannot be "
                "written; remove it"
            )
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    if not escaped:
        return " " if text else ""
    leading = " " if text[:1].isspace() else ""
    trailing = " " if text[-1:].isspace() else ""
    return leading + escaped + trailing
