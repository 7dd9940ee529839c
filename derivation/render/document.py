"""A small document model shared by the LaTeX, Markdown and HTML renderers.

The writer in :mod:`derivation.render.writer` turns a trace into a
:class:`Document`: headings, paragraphs of text and inline math, blocks of
aligned equations and tables. Each output format serialises the same
document, so the structure of the derivation is written once. Math is LaTeX
in every block; text is plain Unicode that each format escapes.

>>> block = paragraph("The rate is ", Math(r"\\eta = 0.01"), ".")
>>> [type(span).__name__ for span in block.spans]
['Text', 'Math', 'Text']
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import SettingError, describe_value, read_choice

DETAIL_LEVELS = ("full", "compact", "answers")
# Fewer entries could not show a first and a last one around the dots.
MIN_MATRIX_LIMIT = 3


@dataclass(frozen=True)
class Text:
    """Plain text, escaped by each format so that it prints literally."""

    text: str


@dataclass(frozen=True)
class Math:
    """Inline math in LaTeX."""

    latex: str


Span = Text | Math


@dataclass(frozen=True)
class Heading:
    """An unnumbered heading: level 1 for a step, 2 for a part, 3 for a layer."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """Text with inline math."""

    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Equations:
    """Aligned display math, one LaTeX row per entry with ``&`` alignment.

    ``width`` is the estimated width in em of the widest row.
    """

    rows: tuple[str, ...]
    width: float


@dataclass(frozen=True)
class Table:
    """A table whose first column is text and whose other cells are math.

    ``width`` is the estimated width in em of the math columns.
    """

    head: tuple[Span, ...]
    rows: tuple[tuple[Span, ...], ...]
    width: float


@dataclass(frozen=True)
class Figure:
    """A picture of the network, drawn for each format, and its caption.

    ``tikz`` is a ``tikzpicture`` for LaTeX and ``svg`` a self-contained
    SVG image for Markdown and HTML; the caption is plain text.
    """

    tikz: str
    svg: str
    caption: str


Block = Heading | Paragraph | Equations | Table | Figure


@dataclass(frozen=True)
class Document:
    """A whole solution: an optional title and its blocks.

    ``matrix_columns`` is the largest number of columns of a matrix shown,
    which LaTeX needs to know beyond 10.
    """

    title: str | None
    blocks: tuple[Block, ...]
    matrix_columns: int


def paragraph(*parts: str | Math) -> Paragraph:
    """Build a paragraph from text (plain strings) and :class:`Math` spans."""
    return Paragraph(
        tuple(Text(part) if isinstance(part, str) else part for part in parts)
    )


@dataclass(frozen=True)
class Detail:
    """How much of the derivation to write, and how large matrices are shown.

    Parameters
    ----------
    level
        ``"full"``: every equation in symbols, with the values substituted,
        and its result. ``"compact"``: every equation in symbols and its
        result. ``"answers"``: the problem, then per step the loss and the
        summary tables.
    max_columns, max_rows
        A matrix with more columns (rows) than this shows its first and
        last ones around dots, so that it fits the page. ``None`` shows
        every entry.

    Raises
    ------
    SettingError
        If a setting has an invalid value.
    """

    level: str = "full"
    max_columns: int | None = 6
    max_rows: int | None = 12

    def __post_init__(self) -> None:
        read_choice("detail", "level", self.level, DETAIL_LEVELS)
        for key in ("max_columns", "max_rows"):
            value = getattr(self, key)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or value < MIN_MATRIX_LIMIT
            ):
                raise SettingError(
                    "detail",
                    key,
                    f"an integer of at least {MIN_MATRIX_LIMIT}, or None",
                    describe_value(value),
                )
