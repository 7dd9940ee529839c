"""Split LaTeX math into tokens, each with the line it was written on.

The tokenizer reads the subset of math mode that worked solutions use and
never evaluates anything. Numbers become one token each, including the
forms the renderers write: a decimal comma ``0{,}5``, a repeating decimal
``0.\\overline{3}``. Row breaks ``\\\\`` swallow an optional spacing such as
``[1ex]``. A few Unicode symbols that people paste (the minus sign, ``×``,
``η``) are read as their LaTeX commands.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

NUMBER = "number"
COMMAND = "command"
LETTER = "letter"
SYMBOL = "symbol"
ROW_BREAK = "row_break"

_NUMBER = re.compile(
    r"(?P<whole>\d+)(?:(?:\.|\{,\})(?P<fraction>\d+))?"
    r"|\.(?P<bare>\d+)",
    re.ASCII,
)
_REPEATING = re.compile(
    r"(?:\.|\{,\})?(?P<fixed>\d*)\\overline\s*\{\s*(?P<period>\d+)\s*\}"
)
_SPACING = re.compile(r"\[\s*-?[0-9.]+\s*(?:ex|em|pt|mm|cm|in|mu)\s*\]")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)

# Unicode characters read as the LaTeX command or character they print as.
_UNICODE = {
    "\u2212": ("symbol", "-"),
    "\u00d7": ("command", "times"),
    "\u00b7": ("command", "cdot"),
    "\u22c5": ("command", "cdot"),
    "\u2299": ("command", "odot"),
    "\u2218": ("command", "circ"),
    "\u03b7": ("command", "eta"),
    "\u03b4": ("command", "delta"),
    "\u03b8": ("command", "theta"),
    "\u2202": ("command", "partial"),
    "\u2248": ("command", "approx"),
    "\u2190": ("command", "leftarrow"),
    "\u2211": ("command", "sum"),
}


MAX_TOKEN_NESTING = 100
"""The deepest nesting of braces and brackets read; real solutions use about 10."""

_OPENINGS = frozenset("{([")
_CLOSINGS = frozenset("})]")


class TooDeep(Exception):
    """Math whose braces or brackets nest past :data:`MAX_TOKEN_NESTING`."""

    def __init__(self, line: int) -> None:
        super().__init__(
            f"line {line}: braces or brackets nested more than "
            f"{MAX_TOKEN_NESTING} levels deep"
        )
        self.line = line


@dataclass(frozen=True)
class Token:
    """One token of math: its kind, its text and where it starts.

    ``text`` is the command name without the backslash for commands, the
    character for letters and symbols, and the number as ``parse_number``
    reads it for numbers (``"0.5"`` for ``0{,}5``). ``written`` keeps the
    source text, and ``period`` the repeating digits of ``0.\\overline{3}``.
    """

    kind: str
    text: str
    offset: int
    line: int
    written: str = ""
    period: str = ""

    def is_command(self, *names: str) -> bool:
        """Whether the token is one of the commands ``names``."""
        return self.kind == COMMAND and self.text in names

    def is_symbol(self, *characters: str) -> bool:
        """Whether the token is one of the symbol characters ``characters``."""
        return self.kind == SYMBOL and self.text in characters


class LineMap:
    """Convert offsets in a piece of text into line numbers of its file."""

    def __init__(self, text: str, first_line: int) -> None:
        self.first_line = first_line
        self.breaks = [
            index for index, character in enumerate(text) if character == "\n"
        ]

    def line(self, offset: int) -> int:
        """Return the file line of ``offset``."""
        return self.first_line + bisect.bisect_right(self.breaks, offset - 1)


def tokenize(text: str, first_line: int = 1) -> list[Token]:
    """Split math-mode LaTeX into tokens; ``first_line`` is the line of ``text[0]``.

    Characters outside the subset become symbol tokens, which the parser
    rejects with a reason, so nothing is dropped silently.

    Raises
    ------
    TooDeep
        If braces or brackets nest more than :data:`MAX_TOKEN_NESTING` levels.
    """
    lines = LineMap(text, first_line)
    tokens: list[Token] = []
    position = 0
    length = len(text)
    depth = 0
    while position < length:
        character = text[position]
        if character.isspace() or character == "~":
            position += 1
            continue
        start = position
        if character == "\\":
            position, token = _command(text, position, lines)
        elif _is_digit(character) or (
            character == "." and position + 1 < length and _is_digit(text[position + 1])
        ):
            position, token = _number(text, position, lines)
        elif character.isascii() and character.isalpha():
            token = Token(LETTER, character, start, lines.line(start), character)
            position += 1
        elif character in _UNICODE:
            kind, name = _UNICODE[character]
            token = Token(kind, name, start, lines.line(start), character)
            position += 1
        else:
            token = Token(SYMBOL, character, start, lines.line(start), character)
            position += 1
            depth = _nesting(depth, character, token.line)
        tokens.append(token)
    return tokens


def _nesting(depth: int, character: str, line: int) -> int:
    if character in _OPENINGS:
        depth += 1
        if depth > MAX_TOKEN_NESTING:
            raise TooDeep(line)
    elif character in _CLOSINGS:
        depth = max(depth - 1, 0)
    return depth


def _is_digit(character: str) -> bool:
    # Only ASCII digits: str.isdigit also accepts superscripts such as "²".
    return "0" <= character <= "9"


def _command(text: str, position: int, lines: LineMap) -> tuple[int, Token]:
    start = position
    if text.startswith("\\\\", position):
        position += 2
        spacing = _SPACING.match(text, position)
        if spacing:
            position = spacing.end()
        return position, Token(ROW_BREAK, "\\\\", start, lines.line(start), "\\\\")
    match = _COMMAND.match(text, position)
    if match is None:
        # A lone backslash at the end of the text.
        return position + 1, Token(SYMBOL, "\\", start, lines.line(start), "\\")
    name = match.group(1)
    return match.end(), Token(COMMAND, name, start, lines.line(start), match.group(0))


def _number(text: str, position: int, lines: LineMap) -> tuple[int, Token]:
    start = position
    match = _NUMBER.match(text, position)
    assert match is not None
    if match["bare"] is not None:
        value = "0." + match["bare"]
    elif match["fraction"] is not None:
        value = f"{match['whole']}.{match['fraction']}"
    else:
        value = match["whole"]
    position = match.end()
    repeating = _REPEATING.match(text, position)
    if repeating and ("." in value or repeating.group(0).startswith((".", "{,}"))):
        fixed = repeating["fixed"]
        if "." not in value:
            value += "."
        value += fixed
        end = repeating.end()
        token = Token(
            NUMBER,
            value.rstrip("."),
            start,
            lines.line(start),
            text[start:end],
            repeating["period"],
        )
        return end, token
    return position, Token(
        NUMBER, value, start, lines.line(start), text[start:position]
    )
