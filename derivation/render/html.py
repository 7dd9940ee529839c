"""The solution as one self-contained HTML page with MathML math.

The math is converted from LaTeX to MathML by the ``latex2mathml`` package
when the page is written. Browsers render MathML themselves (Chromium from
version 109, Firefox and Safari), so the page loads no script, font or style
sheet from anywhere. Text, the title among it, is escaped for HTML.

>>> from derivation.engine import train
>>> from derivation.network import Layer, Network
>>> trace = train(Network([Layer([[2]], [0], "identity")]), [1], [3],
...               learning_rate="0.5", steps=1)
>>> page = render_html(trace, title="<b>Week 3</b>")
>>> "<h1>&lt;b&gt;Week 3&lt;/b&gt;</h1>" in page
True
"""

from __future__ import annotations

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

# latex2mathml reads "\\[1ex]" as a row break followed by the text "[1ex]".
_ROW_SPACING = re.compile(r"\\\\\[[0-9.]+ex\]")
# latex2mathml writes 0{,}5 as three pieces, the comma an operator with space
# after it; joined again, the number reads 0,5. The digits before a repeating
# part (0.\overline{3}) are joined with their point or comma the same way.
_COMMA_NUMBER = re.compile(r"<mn>(\d+)</mn><mrow><mo>&#x0002C;</mo></mrow><mn>(\d+)")
# \operatorname{ReLU} and \max become operators, spaced like a plus sign; a
# function name is an identifier in MathML, set upright when it has several
# letters.
_FUNCTION_NAME = re.compile(r"<mo>([A-Za-z]{2,})</mo>")
_SEPARATOR_BEFORE_OVERLINE = re.compile(
    r"<mn>(\d+)</mn>(?:<mo>&#x0002E;</mo>|<mrow><mo>&#x0002C;</mo></mrow>)(?=<mover>)"
)

_STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; line-height: 1.5;
       max-width: 60em; margin: 2em auto; padding: 0 1em; color: #111; }
h1, h2, h3 { font-weight: normal; margin: 1.2em 0 0.4em; }
math { font-size: 1.1em; }
div.equations { display: grid; justify-content: center; align-items: baseline;
                row-gap: 0.9em; margin: 1em 0; overflow-x: auto; }
div.equations > .right { justify-self: end; }
div.equations > .left { justify-self: start; }
div.equations > .right:not(.first) { padding-left: 2em; }
table.summary { border-collapse: collapse; margin: 1em auto;
                border-top: 2px solid #111; border-bottom: 2px solid #111; }
table.summary th { border-bottom: 1px solid #111; font-weight: normal; }
table.summary th, table.summary td { padding: 0.4em 1em; text-align: center; }
table.summary th:first-child, table.summary td:first-child { text-align: left; }
figure.diagram { margin: 1em 0; text-align: center; overflow-x: auto; }
figure.diagram figcaption { font-size: 0.9em; }
@media print { div.equations { overflow: visible; } }
"""


def render_html(
    trace: Trace,
    *,
    title: str | None = None,
    notation: Notation | None = None,
    numbers: NumberFormat | None = None,
    detail: Detail | None = None,
    diagram: bool = False,
) -> str:
    """Write the whole derivation of ``trace`` as a self-contained HTML page.

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
    return html_document(document)


def html_document(document: Document) -> str:
    """Write a :class:`Document` as a complete HTML page."""
    heading = escape_html(document.title, "title") if document.title else ""
    parts = [f"<h1>{heading}</h1>"] if heading else []
    parts += [html_block(block) for block in document.blocks]
    page_title = heading or "Worked solution"
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{page_title}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def html_block(block: Block) -> str:
    """Write one block of a document as HTML."""
    if isinstance(block, Heading):
        # The title is the page's only h1; steps, parts and layers follow it.
        level = block.level + 1
        return f"<h{level}>{escape_html(block.text)}</h{level}>"
    if isinstance(block, Paragraph):
        return "<p>" + "".join(html_span(span) for span in block.spans) + "</p>"
    if isinstance(block, Equations):
        return html_equations(block)
    if isinstance(block, Figure):
        return html_figure(block)
    return html_table(block)


def html_figure(figure: Figure) -> str:
    """Write a picture as inline SVG in a ``<figure>`` with its caption."""
    caption = escape_html(figure.caption)
    return (
        f'<figure class="diagram">\n{figure.svg}\n'
        f"<figcaption>{caption}</figcaption>\n</figure>"
    )


def html_equations(block: Equations) -> str:
    """Lay out aligned equations as a CSS grid with one formula per cell.

    Browsers ignore MathML's column alignment, so each ``&``-separated cell
    of a row is a formula of its own, aligned right or left like the
    columns of ``align*``: relations line up, and wide rows can scroll.
    """
    rows = [split_cells(row) for row in block.rows]
    columns = max(len(cells) for cells in rows)
    items = []
    for cells in rows:
        for column in range(columns):
            cell = cells[column] if column < len(cells) else ""
            items.append(_grid_item(cell, column))
    style = f"grid-template-columns: repeat({columns}, auto)"
    return f'<div class="equations" style="{style}">\n' + "\n".join(items) + "\n</div>"


def _grid_item(latex: str, column: int) -> str:
    side = "left" if column % 2 else "right"
    classes = side if column else f"{side} first"
    if not latex.strip():
        return f'<div class="{classes}"></div>'
    # In align*, a cell after & starts with a relation that TeX sets as a
    # binary operator; the empty group keeps that spacing.
    source = "{}" + latex if column % 2 else latex
    formula = mathml(source).replace("<math ", '<math displaystyle="true" ', 1)
    return f'<div class="{classes}">{formula}</div>'


def split_cells(row: str) -> list[str]:
    """Split a row of ``align*`` at its ``&``, leaving those of nested matrices.

    >>> split_cells(r"x &= \\begin{bmatrix} 1 & 2 \\end{bmatrix}, &y &= 3")
    ['x ', '= \\\\begin{bmatrix} 1 & 2 \\\\end{bmatrix}, ', 'y ', '= 3']
    """
    cells = []
    depth = 0
    start = 0
    index = 0
    while index < len(row):
        if row.startswith("\\begin{", index):
            depth += 1
        elif row.startswith("\\end{", index):
            depth -= 1
        elif row[index] == "\\":
            index += 2
            continue
        elif row[index] == "{":
            depth += 1
        elif row[index] == "}":
            depth -= 1
        elif row[index] == "&" and depth == 0:
            cells.append(row[start:index])
            start = index + 1
        index += 1
    cells.append(row[start:])
    return cells


def html_span(span: Text | Math) -> str:
    """Write text escaped and math as inline MathML."""
    if isinstance(span, Math):
        return mathml(span.latex)
    return escape_html(span.text)


def html_table(table: Table) -> str:
    """Write a table with a head row; math cells hold MathML."""
    head = "".join(f"<th>{html_span(span)}</th>" for span in table.head)
    rows = [
        "<tr>" + "".join(f"<td>{html_span(span)}</td>" for span in row) + "</tr>"
        for row in table.rows
    ]
    return (
        '<table class="summary">\n'
        f"<thead><tr>{head}</tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def mathml(latex: str) -> str:
    """Convert LaTeX math to an inline MathML element with ``latex2mathml``."""
    from latex2mathml.converter import convert

    source = _ROW_SPACING.sub(r"\\\\", latex)
    converted = convert(source)
    converted = _COMMA_NUMBER.sub(r"<mn>\1,\2", converted)
    converted = _FUNCTION_NAME.sub(_function_name, converted)
    return _SEPARATOR_BEFORE_OVERLINE.sub(_joined_separator, converted)


def _function_name(match: re.Match[str]) -> str:
    return f"<mi>{match[1]}</mi>"


def _joined_separator(match: re.Match[str]) -> str:
    separator = "," if "2C" in match[0] else "."
    return f"<mn>{match[1]}{separator}</mn>"


def escape_html(text: str, what: str = "text") -> str:
    """Escape text for HTML; runs of white space become one space.

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
    collapsed = " ".join(text.split())
    if not collapsed:
        return " " if text else ""
    leading = " " if text[:1].isspace() else ""
    trailing = " " if text[-1:].isspace() else ""
    return leading + html.escape(collapsed) + trailing
