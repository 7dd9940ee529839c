"""LaTeX building blocks with an estimate of their printed width.

Equations are chains such as ``z = W a + b = [...] [...] + [...] = [...]``.
A chain that fits the line is set on one row; a longer one puts each
right-hand side on its own row, aligned at the relation sign. To decide,
every piece carries an estimate of its width in em, taken from the
character counts of its numbers: pdfTeX's real widths are not known before
compiling, so the estimates err on the wide side.

>>> import sympy
>>> piece = matrix(sympy.Matrix([[1, sympy.Rational(1, 3)]]))
>>> piece.latex
'\\\\begin{bmatrix} 1 & \\\\frac{1}{3} \\\\end{bmatrix}'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from ..errors import DerivationError
from .number_format import NumberFormat

_DEFAULT_FORMAT = NumberFormat()

# Width of the text block of the standalone document (A4, 2 cm margins, 11pt
# type) is about 44 em; chains are broken well before that because the
# estimates below are rough.
LINE_BUDGET_EM = 40.0

# Approximate advance widths in em of Computer Modern at text size.
_DIGIT_EM = 0.5
_SCRIPT_DIGIT_EM = 0.36
_MINUS_EM = 0.78
_POINT_EM = 0.28
_BRACKETS_EM = 1.0
_COLUMN_GAP_EM = 1.0
_APPROX_EM = 1.3
_TIMES_EM = 1.0
_DOTS_EM = 1.2

# Characters that mean something to TeX, or that form ligatures such as
# "--" and "``" in T1 fonts, written so that they print as themselves.
_SPECIAL_CHARACTERS = {
    "\\": r"\textbackslash{}",
    "-": "-{}",
    "`": r"\textasciigrave{}",
    "'": r"\textquotesingle{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    '"': r"\textquotedbl{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}

# Latin-1 and Latin Extended-A letters that LaTeX's UTF-8 support maps to T1
# glyphs (checked with pdflatex from TeX Live 2022), and common punctuation.
_TYPESET_BY_T1 = frozenset(
    chr(code)
    for code in range(0xA0, 0x180)
    if code not in (0xAD, 0x126, 0x127, 0x138, 0x13F, 0x140, 0x149, 0x166, 0x167)
) | frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2026")

# Lowercase Greek from U+03B1 in code point order; omicron is a plain "o".
_GREEK = {
    chr(0x3B1 + offset): name if name == "o" else "\\" + name
    for offset, name in enumerate(
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu "
        "xi o pi rho varsigma sigma tau upsilon phi chi psi omega".split()
    )
} | {
    "\u0393": r"\Gamma",
    "\u0394": r"\Delta",
    "\u0398": r"\Theta",
    "\u039b": r"\Lambda",
    "\u039e": r"\Xi",
    "\u03a0": r"\Pi",
    "\u03a3": r"\Sigma",
    "\u03a5": r"\Upsilon",
    "\u03a6": r"\Phi",
    "\u03a8": r"\Psi",
    "\u03a9": r"\Omega",
}


@dataclass(frozen=True)
class Piece:
    """A fragment of math-mode LaTeX and its estimated width in em.

    Pieces joined with ``+`` remember their parts, so that a side of an
    equation too wide for the line can be broken before an operator.
    """

    latex: str
    width: float
    operator: bool = False
    parts: tuple[Piece, ...] = ()
    # True when the piece shows a rounded value, so that an equation must
    # relate it to its neighbours with \approx.
    approximate: bool = False

    def __add__(self, other: Piece) -> Piece:
        return Piece(
            f"{self.latex} {other.latex}",
            self.width + other.width,
            parts=self.atoms() + other.atoms(),
            approximate=self.approximate or other.approximate,
        )

    def atoms(self) -> tuple[Piece, ...]:
        """The smallest pieces this one was joined from."""
        return self.parts or (self,)

    def lines(self, budget: float) -> list[Piece]:
        """Break before operators so that each line fits ``budget`` if it can."""
        groups: list[list[Piece]] = []
        for atom in self.atoms():
            if atom.operator or not groups:
                groups.append([atom])
            else:
                groups[-1].append(atom)

        lines: list[Piece] = []
        for group in groups:
            piece = joined(group)
            if lines and lines[-1].width + piece.width <= budget:
                lines[-1] = lines[-1] + piece
            else:
                lines.append(piece)
        return lines


@dataclass(frozen=True)
class Row:
    """One row of an ``align*`` and its estimated width in em."""

    latex: str
    width: float


def joined(pieces: Sequence[Piece]) -> Piece:
    """Concatenate pieces, keeping their parts as places to break."""
    result = pieces[0]
    for piece in pieces[1:]:
        result = result + piece
    return result


def operator(latex: str, width: float = 1.2) -> Piece:
    """Wrap a binary operator, a place where a long line may break."""
    return Piece(latex, width, operator=True)


def symbol(latex: str, width: float = 2.0) -> Piece:
    """Wrap a symbol or operator whose width is known to the caller."""
    return Piece(latex, width)


def number(value: sympy.Expr, numbers: NumberFormat = _DEFAULT_FORMAT) -> Piece:
    """Write an exact value as a displayed scalar in the format ``numbers``."""
    written = numbers.write(value)
    return Piece(
        written.latex,
        number_width(written.latex, _DIGIT_EM),
        approximate=written.approximate,
    )


def matrix(
    values: sympy.Matrix,
    numbers: NumberFormat = _DEFAULT_FORMAT,
    max_columns: int | None = None,
    max_rows: int | None = None,
) -> Piece:
    """Write a matrix as a ``bmatrix``; a 1x1 matrix keeps its brackets.

    Rows holding fractions get a little extra space so that stacked
    fractions do not touch. A matrix with more than ``max_columns`` columns
    or ``max_rows`` rows shows its first and last ones around ``\\cdots``
    or ``\\vdots``, so ``max_columns`` entries (dots included) are shown.
    """
    written = numbers.write_matrix(values)
    # Only the rounding styles mark values as approximate.
    approximate = numbers.rounds and any(
        cell.approximate for row in written for cell in row
    )
    cells = [[cell.latex for cell in row] for row in written]
    cells = _elided_rows(cells, max_rows)
    cells = [_elided(row, max_columns, r"\cdots") for row in cells]
    lines = [" & ".join(row) for row in cells]
    has_fraction = any("frac" in line for line in lines)
    separator = r" \\[0.6ex] " if has_fraction else r" \\ "
    body = separator.join(lines)
    columns = list(zip(*cells))
    width = (
        _BRACKETS_EM
        + sum(_column_width(column) for column in columns)
        + _COLUMN_GAP_EM * (len(columns) - 1)
    )
    latex = rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"
    return Piece(latex, width, approximate=approximate)


def _column_width(column: Sequence[str]) -> float:
    """Return the widest ``number_width(cell, _DIGIT_EM, in_matrix=True)``.

    Plain decimals and integers, the usual entries, are measured here: the
    same terms added in the same order give the same float as
    :func:`number_width`. Other cells go through :func:`number_width`.
    """
    if _MARKUP.isdisjoint("".join(column)):
        # A plain cell is _DIGIT_EM per character, except one minus sign
        # (0.28 em more) and one point (0.22 em less), so a cell two
        # characters shorter than the longest is never the widest.
        longest = max(map(len, column))
        cells = {cell for cell in column if len(cell) >= longest - 1}
    else:
        cells = set(column)
    widest = None
    for cell in cells:
        if _MARKUP.isdisjoint(cell):
            minus = cell.count("-")
            points = cell.count(".")
            width = (
                0.0
                + minus * _MINUS_EM
                + points * _POINT_EM
                + (len(cell) - minus - points) * _DIGIT_EM
            )
        else:
            width = number_width(cell, _DIGIT_EM, in_matrix=True)
        if widest is None or width > widest:
            widest = width
    assert widest is not None
    return widest


def _elided(entries: list[str], limit: int | None, dots: str) -> list[str]:
    """Keep the first and last of ``entries`` around ``dots``, ``limit`` in all."""
    if limit is None or len(entries) <= limit:
        return entries
    kept = limit - 1
    head = (kept + 1) // 2
    return [*entries[:head], dots, *entries[len(entries) - (kept - head) :]]


def _elided_rows(cells: list[list[str]], limit: int | None) -> list[list[str]]:
    if limit is None or len(cells) <= limit:
        return cells
    dots_row = [r"\vdots"] * len(cells[0])
    rows = _elided([str(index) for index in range(len(cells))], limit, "dots")
    return [dots_row if row == "dots" else cells[int(row)] for row in rows]


def applied(function: str, argument: Piece, width: float = 2.5) -> Piece:
    """Write ``function(argument)`` with brackets that grow with the argument."""
    return Piece(
        rf"{function}\left({argument.latex}\right)",
        argument.width + width + 0.8,
        approximate=argument.approximate,
    )


_FRACTION = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
# Characters that number_width treats other than as a digit, minus or point.
_MARKUP = frozenset("\\{} ")
_EXPONENT = re.compile(r"\^\{(-?\d+)\}")
_FIXED_WIDTHS = (
    (r"\approx", _APPROX_EM),
    (r"\times", _TIMES_EM),
    (r"\cdots", _DOTS_EM),
    (r"\vdots", _DOTS_EM),
    (r"\ddots", _DOTS_EM),
    ("{,}", _POINT_EM),
    (r"\overline", 0.0),
)


def number_width(latex: str, digit: float, in_matrix: bool = False) -> float:
    """Estimate the printed width in em of a number written in LaTeX.

    Digits count ``digit`` em; a ``\\frac`` counts its longer part, set at
    script size in matrices and inline.
    """
    size = _SCRIPT_DIGIT_EM if in_matrix else digit
    width = 0.0
    for numerator, denominator in _FRACTION.findall(latex):
        width += max(len(numerator), len(denominator)) * size + 0.3
    text = _FRACTION.sub("", latex)
    for exponent in _EXPONENT.findall(text):
        width += len(exponent) * _SCRIPT_DIGIT_EM
    text = _EXPONENT.sub("", text)
    for command, em in _FIXED_WIDTHS:
        width += text.count(command) * em
        text = text.replace(command, "")
    text = text.replace("{", "").replace("}", "").replace(" ", "")
    minus = text.count("-")
    points = text.count(".")
    return (
        width
        + minus * _MINUS_EM
        + points * _POINT_EM
        + (len(text) - minus - points) * digit
    )


def chain_rows(
    left: Piece,
    sides: Sequence[Piece],
    relation: str = "=",
    budget: float = LINE_BUDGET_EM,
) -> list[Row]:
    """Lay out ``left = sides[0] = sides[1] = ...`` as rows of an ``align*``.

    The first relation is ``relation`` (``=`` or ``\\leftarrow``); the rest
    are ``=``, or ``\\approx`` next to a side that shows rounded values.
    Everything goes on one row when the estimate fits ``budget``; otherwise
    each side gets its own row, and a side that is still too wide is broken
    before its operators onto indented rows.
    """
    relations = _relations(sides, relation)
    total = left.width + sum(side.width + 1.5 for side in sides)
    if total <= budget:
        latex = f"{left.latex} &{relations[0]} {sides[0].latex}" + "".join(
            f" {linking} {side.latex}"
            for linking, side in zip(relations[1:], sides[1:])
        )
        return [Row(latex, total)]

    rows = []
    for number, side in enumerate(sides):
        start = f"&{relations[number]}"
        if number == 0:
            start = f"{left.latex} {start}"
        offset = left.width + 1.5 if number == 0 else 1.5
        for index, line in enumerate(side.lines(budget - offset - 2.0)):
            prefix = start if index == 0 else r"&\quad"
            rows.append(Row(f"{prefix} {line.latex}", offset + line.width))
    return rows


def _relations(sides: Sequence[Piece], first: str) -> list[str]:
    """Choose the relation before each side: ``\\approx`` next to rounding."""
    relations = []
    previous_rounded = False
    for index, side in enumerate(sides):
        if index == 0 and first != "=":
            relations.append(first)
        elif side.approximate or previous_rounded:
            relations.append(r"\approx")
        else:
            relations.append("=")
        previous_rounded = side.approximate
    return relations


# Font size commands and their scale relative to the 11pt body text.
_SIZES = ((1.0, ""), (0.9, r"\small"), (0.8, r"\footnotesize"), (0.7, r"\scriptsize"))


def align(rows: Sequence[Row | str], budget: float = LINE_BUDGET_EM) -> str:
    """Set rows in an ``align*``, in a smaller font if the widest row needs it.

    Plain strings are rows known to be narrow.
    """
    measured = [row if isinstance(row, Row) else Row(row, 0.0) for row in rows]
    body = " \\\\[1ex]\n".join(row.latex for row in measured)
    environment = f"\\begin{{align*}}\n{body}\n\\end{{align*}}"
    return with_size(environment, max(row.width for row in measured), budget)


def with_size(latex: str, width: float, budget: float = LINE_BUDGET_EM) -> str:
    """Wrap ``latex`` in the largest font size at which ``width`` fits ``budget``.

    Content too wide even at the smallest size is left at that size.
    """
    # NOTE: exact values with dozens of digits (deep nets, several steps) can
    # overflow the page even at \scriptsize; only rounding them would help.
    fitting = [size for scale, size in _SIZES if width * scale <= budget]
    command = fitting[0] if fitting else _SIZES[-1][1]
    if not command:
        return latex
    return f"{{{command}\n{latex}\n}}"


def escape_text(text: str, what: str = "text") -> str:
    """Escape text for LaTeX's text mode so it prints literally.

    Runs of white space, line breaks included, become one space. Greek
    letters are set in math mode. Characters that pdflatex with T1 fonts
    cannot typeset are rejected rather than breaking the document.

    Raises
    ------
    DerivationError
        If the text contains a control character or a character that
        pdflatex cannot typeset; the message names ``what`` and the
        character.

    >>> escape_text(r"50% of \\input{x}")
    '50\\\\% of \\\\textbackslash{}input\\\\{x\\\\}'
    >>> escape_text("Step -- η")
    'Step -{}-{} $\\\\eta$'
    """
    pieces = []
    for ch in " ".join(text.split()):
        if ch in _SPECIAL_CHARACTERS:
            pieces.append(_SPECIAL_CHARACTERS[ch])
        elif ch in _GREEK:
            pieces.append(f"${_GREEK[ch]}$")
        elif " " <= ch <= "~" or ch in _TYPESET_BY_T1:
            pieces.append(ch)
        else:
            raise DerivationError(
                f"{what}: the character {ch!r} (U+{ord(ch):04X}) cannot be "
                "typeset by pdflatex; remove it or choose --format json"
            )
    return "".join(pieces)
