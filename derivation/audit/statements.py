"""Split a piece of display or inline math into equations and tables.

A display may hold several equations: rows of an ``aligned`` or ``align*``
separated by ``\\\\``, and equations in one row separated by a comma, a
``\\quad`` or ``\\text{...}``. A row that starts with a relation (``&= ...``)
continues the chain of the row before, and a row that starts with
``&\\quad`` continues its last side. Each equation becomes a
:class:`Statement`: its sides and the relations between them. A display
whose body is an ``array`` or a ``tabular`` is a table instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .tokens import COMMAND, ROW_BREAK, SYMBOL, Token

# Environments whose rows are equations, not values.
WRAPPERS = frozenset(
    name + star
    for name in (
        "aligned",
        "align",
        "alignat",
        "alignedat",
        "gathered",
        "gather",
        "split",
        "equation",
        "multline",
        "flalign",
        "eqnarray",
        "displaymath",
        "math",
    )
    for star in ("", "*")
)
TABLES = frozenset({"array", "tabular"})

RELATIONS = {
    "=": "=",
    "approx": r"\approx",
    "leftarrow": r"\leftarrow",
    "gets": r"\leftarrow",
}
RELATION_COMMANDS = frozenset({"approx", "leftarrow", "gets", "coloneqq"})
UNSUPPORTED_RELATIONS = frozenset(
    {
        "le",
        "leq",
        "ge",
        "geq",
        "ne",
        "neq",
        "to",
        "Rightarrow",
        "implies",
        "in",
        "lt",
        "gt",
        "sim",
        "propto",
        "mapsto",
        "iff",
        "Leftarrow",
        "rightarrow",
    }
)
_SEPARATOR_COMMANDS = frozenset(
    {"quad", "qquad", "text", "mbox", "textrm", "textnormal"}
)
_FUNCTION_WORDS = frozenset({"relu", "id", "identity"})


@dataclass
class Statement:
    """One equation: sides joined by relations, as token lists.

    ``relations[i]`` joins ``sides[i]`` and ``sides[i + 1]``; each is
    ``=``, ``\\approx`` or ``\\leftarrow``. ``unsupported`` names a relation
    such as ``<`` that the auditor does not check.
    """

    sides: list[list[Token]]
    relations: list[str] = field(default_factory=list)
    unsupported: str = ""

    @property
    def tokens(self) -> list[Token]:
        """Every token of the statement, in order."""
        return [token for side in self.sides for token in side]

    @property
    def line(self) -> int:
        """The line of the first token."""
        return self.tokens[0].line


@dataclass
class TableCells:
    """A table written in math: rows of cells, each a token list."""

    rows: list[list[list[Token]]]
    line: int


def group_end(tokens: list[Token], start: int) -> int:
    """Return the index just past the brace group that opens at ``start``."""
    depth = 0
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token.is_symbol("{"):
            depth += 1
        elif token.is_symbol("}"):
            depth -= 1
            if depth == 0:
                return index + 1
    return len(tokens)


def group_text(tokens: list[Token], start: int) -> tuple[str, int]:
    """Return the plain text of the brace group at ``start`` and the index after it.

    A single token that is not a brace counts as a group of itself, as in
    ``\\frac12``.
    """
    if start >= len(tokens):
        return "", start
    if not tokens[start].is_symbol("{"):
        return tokens[start].text, start + 1
    end = group_end(tokens, start)
    text = "".join(token.written or token.text for token in tokens[start + 1 : end - 1])
    return text, end


def environment_name(tokens: list[Token], index: int) -> tuple[str, int]:
    """Read the name after ``\\begin`` or ``\\end`` at ``index``."""
    return group_text(tokens, index + 1)


def split_math(tokens: list[Token]) -> list[Statement | TableCells]:
    """Split the tokens of one piece of math into statements and tables."""
    body = _unwrap(tokens)
    table = _table(body)
    if table is not None:
        return [table]
    items: list[Statement | TableCells] = []
    previous: Statement | None = None
    for row in _split_depth_zero(body, _is_row_break):
        continuation, quad, row = _row_start(row)
        pieces = _split_statements(row)
        for position, piece in enumerate(pieces):
            piece = _strip_alignment(piece)
            if not piece:
                continue
            if position == 0 and previous is not None and (continuation or quad):
                _continue(previous, piece, quad)
                continue
            statement = _statement(piece)
            items.append(statement)
            previous = statement
    return items


def _unwrap(tokens: list[Token]) -> list[Token]:
    kept: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.is_command("begin", "end"):
            name, after = environment_name(tokens, index)
            if name in WRAPPERS:
                if token.text == "begin" and name.startswith("alignat"):
                    _, after = group_text(tokens, after)
                index = after
                continue
        if token.is_command("label", "tag", "tag*"):
            _, index = group_text(tokens, index + 1)
            continue
        if token.is_command("nonumber", "notag", "displaystyle", "textstyle"):
            index += 1
            continue
        kept.append(token)
        index += 1
    return kept


def _table(tokens: list[Token]) -> TableCells | None:
    if len(tokens) < 2 or not tokens[0].is_command("begin"):
        return None
    name, after = environment_name(tokens, 0)
    if name not in TABLES:
        return None
    _, after = group_text(tokens, after)
    end = _matching_end(tokens, 0)
    if end is None or end_of_environment(tokens, end) != len(tokens):
        return None
    rows = []
    for row in _split_depth_zero(tokens[after:end], _is_row_break):
        row = [
            token
            for token in row
            if not token.is_command("hline", "toprule", "midrule", "bottomrule")
        ]
        if not row:
            continue
        rows.append(_split_depth_zero(row, lambda token: token.is_symbol("&")))
    return TableCells(rows, tokens[0].line)


def _matching_end(tokens: list[Token], begin: int) -> int | None:
    depth = 0
    for index in range(begin, len(tokens)):
        if tokens[index].is_command("begin"):
            depth += 1
        elif tokens[index].is_command("end"):
            depth -= 1
            if depth == 0:
                return index
    return None


def end_of_environment(tokens: list[Token], end: int) -> int:
    """Return the index after ``\\end{name}`` at ``end``."""
    _, after = environment_name(tokens, end)
    return after


def _is_row_break(token: Token) -> bool:
    return token.kind == ROW_BREAK


def _split_depth_zero(tokens: list[Token], is_separator) -> list[list[Token]]:
    """Split at separators outside braces, environments and ``\\left``/``\\right``."""
    pieces: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if depth == 0 and is_separator(token):
            pieces.append([])
            continue
        depth += _depth_change(token, brackets=False)
        pieces[-1].append(token)
    return pieces


def _depth_change(token: Token, brackets: bool) -> int:
    if token.is_command("begin", "left"):
        return 1
    if token.is_command("end", "right"):
        return -1
    if token.kind == SYMBOL:
        if token.text == "{" or (brackets and token.text in "(["):
            return 1
        if token.text == "}" or (brackets and token.text in ")]"):
            return -1
    if brackets and token.is_command("{", "langle"):
        return 1
    if brackets and token.is_command("}", "rangle"):
        return -1
    return 0


def _row_start(row: list[Token]) -> tuple[bool, bool, list[Token]]:
    """Return whether the row continues a chain or a side, and the row."""
    started_aligned = bool(row) and row[0].is_symbol("&")
    index = 0
    while index < len(row) and row[index].is_symbol("&"):
        index += 1
    rest = row[index:]
    if not rest:
        return False, False, rest
    if started_aligned and rest[0].is_command("quad", "qquad"):
        return False, True, rest[1:]
    return _is_relation(rest, 0), False, rest


def _is_relation(tokens: list[Token], index: int) -> bool:
    token = tokens[index]
    if token.is_symbol("="):
        return True
    if (
        token.is_symbol(":")
        and index + 1 < len(tokens)
        and tokens[index + 1].is_symbol("=")
    ):
        return True
    return token.kind == COMMAND and token.text in RELATION_COMMANDS


def _split_statements(row: list[Token]) -> list[list[Token]]:
    """Split one row into equations at commas, semicolons, ``\\quad`` and text."""
    pieces: list[list[Token]] = [[]]
    depth = 0
    index = 0
    while index < len(row):
        token = row[index]
        if depth == 0 and _is_separator(row, index):
            if token.kind == COMMAND and token.text in (
                "text",
                "mbox",
                "textrm",
                "textnormal",
            ):
                _, index = group_text(row, index + 1)
            else:
                index += 1
            pieces.append([])
            continue
        depth += _depth_change(token, brackets=True)
        pieces[-1].append(token)
        index += 1
    return pieces


def _is_separator(row: list[Token], index: int) -> bool:
    token = row[index]
    if token.is_symbol(",", ";"):
        return True
    if token.kind == COMMAND and token.text in _SEPARATOR_COMMANDS:
        if token.text in ("quad", "qquad"):
            return True
        word, _ = group_text(row, index + 1)
        return word.strip().lower() not in _FUNCTION_WORDS
    return False


def _strip_alignment(piece: list[Token]) -> list[Token]:
    kept = []
    depth = 0
    for token in piece:
        if depth == 0 and token.is_symbol("&"):
            continue
        depth += _depth_change(token, brackets=False)
        kept.append(token)
    while kept and kept[-1].is_symbol(".", ","):
        kept.pop()
    return kept


def _statement(tokens: list[Token]) -> Statement:
    statement = Statement(sides=[[]])
    _append(statement, tokens)
    return statement


def _continue(previous: Statement, tokens: list[Token], same_side: bool) -> None:
    if same_side:
        previous.sides[-1].extend(tokens)
        return
    _append(previous, tokens)


def _append(statement: Statement, tokens: list[Token]) -> None:
    depth = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if depth == 0 and _is_relation(tokens, index):
            # A relation always starts a new side, even after an empty one.
            statement.sides.append([])
            statement.relations.append(_relation_name(token))
            index += 2 if token.is_symbol(":") else 1
            continue
        if depth == 0 and (
            (token.kind == COMMAND and token.text in UNSUPPORTED_RELATIONS)
            or token.is_symbol("<", ">")
        ):
            statement.unsupported = token.written or token.text
        depth += _depth_change(token, brackets=True)
        statement.sides[-1].append(token)
        index += 1


def _relation_name(token: Token) -> str:
    if token.is_symbol(":"):
        return "="
    if token.kind == COMMAND:
        return RELATIONS.get(token.text, "=")
    return "="
