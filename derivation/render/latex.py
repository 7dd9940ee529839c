"""The step-by-step LaTeX solution of a training run.

:mod:`derivation.render.writer` decides what the solution contains, and this
module sets it in LaTeX: headings as unnumbered sections, equations in ``align*``
(in a smaller font when the widest row needs it) and the summary tables with
``booktabs``.

>>> from derivation.engine import train
>>> from derivation.network import Layer, Network
>>> trace = train(Network([Layer([[2]], [0], "identity")]), [1], [3],
...               learning_rate="0.5", steps=1)
>>> body = render_latex(trace, standalone=False)
>>> r"W^{[1]} &\\leftarrow" in body
True
"""

from __future__ import annotations

from ..files import mark_comment
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
from .tex import escape_text, with_size
from .writer import write_document

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{booktabs}
\usepackage{array}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6ex}
"""

_TIKZ_PREAMBLE = r"""\usepackage{tikz}
"""

_SECTIONS = {1: "section", 2: "subsection", 3: "subsubsection"}
# amsmath sets matrices of at most this many columns unless MaxMatrixCols is
# raised.
_AMSMATH_MATRIX_COLUMNS = 10


def render_latex(
    trace: Trace,
    *,
    title: str | None = None,
    notation: Notation | None = None,
    numbers: NumberFormat | None = None,
    detail: Detail | None = None,
    standalone: bool = True,
    diagram: bool = False,
) -> str:
    """Write the whole derivation of ``trace`` as LaTeX.

    Parameters
    ----------
    trace
        The training run to write out.
    title
        A heading; it is escaped, so any text prints literally.
        Characters pdflatex cannot typeset raise ``DerivationError``.
    notation
        Names and symbols; :class:`Notation` defaults when omitted.
    numbers
        How numbers are written; :class:`NumberFormat` defaults (exact
        decimals, else fractions) when omitted.
    detail
        How much is written and how large matrices are shown;
        :class:`Detail` defaults (everything) when omitted.
    standalone
        ``True`` for a complete document that compiles with pdflatex,
        ``False`` for the body alone, to ``\\input`` into another document
        (which must load ``amsmath``, ``amssymb``, ``booktabs``, ``array``
        and ``fontenc`` with the T1 encoding, and ``tikz`` with
        ``diagram``).
    diagram
        ``True`` to draw the network after the problem statement, with the
        values of the first step at its units. Only then does the preamble
        load ``tikz``.
    """
    document = write_document(
        trace,
        title=title,
        notation=notation,
        numbers=numbers,
        detail=detail,
        diagram=diagram,
    )
    return latex_document(document, standalone=standalone)


def latex_document(document: Document, *, standalone: bool = True) -> str:
    """Set a :class:`Document` in LaTeX, as a whole document or its body."""
    parts = []
    if document.title:
        parts.append(rf"\section*{{{escape_text(document.title, 'title')}}}")
    parts += [latex_block(block) for block in document.blocks]
    body = "\n\n".join(parts)
    columns = document.matrix_columns
    if columns > _AMSMATH_MATRIX_COLUMNS:
        body = rf"\setcounter{{MaxMatrixCols}}{{{columns}}}" + "\n\n" + body
    # The comment marks the file as derivation's own output, which the
    # command line replaces without --force; see derivation.files.
    mark = mark_comment("%")
    if not standalone:
        return f"{mark}\n{body}\n"
    preamble = _PREAMBLE.replace("\n", f"\n{mark}\n", 1)
    if any(isinstance(block, Figure) for block in document.blocks):
        preamble += _TIKZ_PREAMBLE
    return f"{preamble}\n\\begin{{document}}\n\n{body}\n\n\\end{{document}}\n"


def latex_block(block: Block) -> str:
    """Set one block of a document in LaTeX."""
    if isinstance(block, Heading):
        return rf"\{_SECTIONS[block.level]}*{{{escape_text(block.text)}}}"
    if isinstance(block, Paragraph):
        return "".join(latex_span(span) for span in block.spans)
    if isinstance(block, Equations):
        body = " \\\\[1ex]\n".join(block.rows)
        return with_size(f"\\begin{{align*}}\n{body}\n\\end{{align*}}", block.width)
    if isinstance(block, Figure):
        return latex_figure(block)
    return latex_table(block)


def latex_figure(figure: Figure) -> str:
    """Set a picture centred, shrunk to the line width if wider, then its caption.

    The picture is no float, so it stays next to the problem it shows.
    """
    # \width is the natural width of the picture inside \resizebox.
    fitted = (
        r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%"
        f"\n{figure.tikz}%\n}}"
    )
    caption = escape_text(figure.caption)
    return (
        f"\\begin{{center}}\n{fitted}\n\\end{{center}}\n"
        f"{{\\small {caption}\\par}}\n\\medskip"
    )


def latex_span(span: Text | Math) -> str:
    """Set text escaped, keeping the spaces at its ends, and math in ``$``."""
    if isinstance(span, Math):
        return f"${span.latex}$"
    text = span.text
    leading = " " if text[:1].isspace() else ""
    trailing = " " if text[-1:].isspace() and text.strip() else ""
    return leading + escape_text(text) + trailing


def latex_table(table: Table) -> str:
    """Set a table with ``booktabs`` rules; its math columns are centred."""
    columns = len(table.head) - 1
    cells = [
        " & ".join(latex_cell(span) for span in row) + r" \\" for row in table.rows
    ]
    lines = [
        r"\begin{tabular}{l" + ">{$}c<{$}" * columns + "}",
        r"\toprule",
        " & ".join(latex_cell(span) for span in table.head) + r" \\",
        r"\midrule",
        r"\addlinespace[0.6ex]",
        "\n\\addlinespace[1.2ex]\n".join(cells),
        r"\bottomrule",
        r"\end{tabular}",
    ]
    body = with_size("\n".join(lines), table.width)
    return f"\\begin{{center}}\n{body}\n\\end{{center}}\n\\medskip"


def latex_cell(span: Text | Math) -> str:
    """Set a table cell: math columns add the ``$`` themselves."""
    return span.latex if isinstance(span, Math) else escape_text(span.text)
