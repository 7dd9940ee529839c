"""Read one side of an equation into an expression tree.

A recursive-descent parser for the LaTeX that worked solutions use::

    expression := term (("+" | "-") term)*
    term       := ["-" | "+"] factor ((operator)? factor)*
    factor     := primary ("^" superscript | "_" subscript)*
    primary    := number | \\frac{..}{..} | matrix | (expression) | name
                | function(expression) | \\sum_i factor

Juxtaposition, ``\\cdot`` and ``\\times`` are products, ``\\odot``, ``*``,
``\\ast`` and ``\\circ`` element-wise products. Names are the quantities of
a dense layer in every notation the renderers write (``W^{[1]}``,
``z^{(2)}``, ``\\frac{\\partial L}{\\partial W^{[1]}}``, ``{\\partial
L}/{\\partial W^{[1]}}``, ``\\frac{dL}{dW^{[1]}}``, ``dW^{[1]}``,
``\\delta^{[1]}``) and a few that people write (``dL/dW^{[1]}``,
``dLdW^{[1]}``). Numbers are read by :func:`derivation.numbers.parse_number`;
nothing is ever evaluated as code. Anything else raises :class:`Unreadable`
with the reason, so the auditor can list it as not checked.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ..errors import NumberError
from ..numbers import MAX_EXPONENT, parse_number
from .nodes import (
    Application,
    Approximation,
    Binary,
    MatrixLiteral,
    Name,
    Negation,
    Node,
    Number,
    Ones,
    Power,
    Summation,
    Symbol,
    Transpose,
    Unreadable,
)
from .statements import group_end, group_text
from .tokens import COMMAND, LETTER, NUMBER, ROW_BREAK, SYMBOL, Token

# Nesting deeper than this is no worked solution; it ends the reading
# before Python's recursion limit does.
MAX_NESTING = 60
# Entries of one written matrix.
MAX_MATRIX_ENTRIES = 65_536

MATRICES = frozenset(
    {"bmatrix", "pmatrix", "matrix", "Bmatrix", "smallmatrix", "bmatrix*", "pmatrix*"}
)
_PRODUCTS = {"cdot": "product", "times": "product"}
_ELEMENTWISE = {"odot": "elementwise", "ast": "elementwise", "circ": "elementwise"}
_SKIPPED = frozenset(
    {
        ",",
        ";",
        ":",
        "!",
        " ",
        "thinspace",
        "medspace",
        "thickspace",
        "negthinspace",
        "displaystyle",
        "textstyle",
        "limits",
        "nolimits",
        "mathstrut",
        "strut",
    }
)
_SIZED_OPENINGS = frozenset(
    {"left", "bigl", "Bigl", "biggl", "Biggl", "big", "Big", "bigg", "Bigg"}
)
_SIZED_CLOSINGS = frozenset(
    {"right", "bigr", "Bigr", "biggr", "Biggr", "big", "Big", "bigg", "Bigg"}
)
_FONTS = frozenset(
    {
        "mathbf",
        "boldsymbol",
        "bm",
        "mathit",
        "mathrm",
        "vec",
        "mathsf",
        "mathbb",
        "mathcal",
    }
)
_TEXT_COMMANDS = frozenset(
    {"operatorname", "mathrm", "text", "textrm", "mathit", "textit"}
)
_FUNCTION_NAMES = {"relu": "relu", "id": "identity", "identity": "identity"}
_QUANTITIES = {
    "W": "W",
    "b": "b",
    "z": "z",
    "Z": "z",
    "a": "a",
    "A": "a",
    "x": "x",
    "X": "x",
    "y": "y",
    "Y": "y",
}
_GRADIENT_TARGETS = frozenset("WbzZaAxX")
_TRANSPOSE_MARKS = frozenset({"T", "top", "intercal", "mathsf{T}", "mathrm{T}"})
_ELISIONS = frozenset({"cdots", "vdots", "ddots", "dots", "ldots"})
_AFTER_WORDS = frozenset({"new", "updated", "after", "+"})
_BEFORE_WORDS = frozenset({"old", "before"})


def read_side(tokens: list[Token]) -> Node:
    """Parse the tokens of one side of an equation.

    Raises
    ------
    Unreadable
        If the side uses notation outside the subset, or is empty.
    """
    parser = _Parser(tokens)
    if not parser.tokens:
        line = tokens[0].line if tokens else 0
        raise Unreadable("an empty side", line)
    node = parser.expression()
    if parser.index < len(parser.tokens):
        token = parser.tokens[parser.index]
        raise Unreadable(f"unexpected {token.written or token.text!r}", token.line)
    return node


def read_cell(tokens: list[Token]) -> Node:
    """Parse a matrix or table entry, which may be ``exact \\approx rounded``."""
    parser = _Parser(tokens)
    if not parser.tokens:
        raise Unreadable("an empty entry", tokens[0].line if tokens else 0)
    return parser.cell(len(parser.tokens))


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = [token for token in tokens if not _skipped(token)]
        self.index = 0
        self.depth = 0

    # -- helpers --------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token | None:
        position = self.index + ahead
        return self.tokens[position] if position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            line = self.tokens[-1].line if self.tokens else 0
            raise Unreadable("the expression ends too early", line)
        self.index += 1
        return token

    def expect_symbol(self, character: str) -> Token:
        token = self.take()
        if not token.is_symbol(character):
            raise Unreadable(
                f"expected {character!r}, found {token.written or token.text!r}",
                token.line,
            )
        return token

    def line(self) -> int:
        token = self.peek()
        if token is not None:
            return token.line
        return self.tokens[-1].line if self.tokens else 0

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise Unreadable(f"nested more than {MAX_NESTING} levels deep", self.line())

    def sub_parser(self, tokens: list[Token]) -> _Parser:
        parser = _Parser(tokens)
        parser.depth = self.depth
        return parser

    def brace_group(self) -> list[Token]:
        """Take a ``{...}`` group, or one token, and return its inner tokens."""
        start = self.index
        token = self.take()
        if not token.is_symbol("{"):
            return [token]
        end = group_end(self.tokens, start)
        if end > len(self.tokens) or not self.tokens[end - 1].is_symbol("}"):
            raise Unreadable("a brace that is never closed", token.line)
        self.index = end
        return self.tokens[start + 1 : end - 1]

    def group_word(self) -> str:
        text, self.index = group_text(self.tokens, self.index)
        return text.strip()

    # -- grammar --------------------------------------------------------

    def cell(self, stop: int) -> Node:
        node = self.expression()
        token = self.peek()
        if token is not None and token.is_command("approx"):
            self.take()
            rounded = self.expression()
            node = Approximation(node, rounded, token.line)
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            raise Unreadable(f"unexpected {token.written or token.text!r}", token.line)
        return node

    def grouped(self) -> Node:
        """Read a bracketed expression."""
        return self.expression()

    def approximated(self, node: Node) -> Node:
        """Read ``\\approx 0.333`` after a value, as the mixed style writes it."""
        token, following = self.peek(), self.peek(1)
        if token is None or not token.is_command("approx") or following is None:
            return node
        sign = following.is_symbol("-")
        number = self.peek(2) if sign else following
        if number is None or number.kind != NUMBER:
            return node
        self.index += 3 if sign else 2
        rounded: Node = _number_node(number)
        if sign:
            rounded = Negation(rounded, following.line)
        return Approximation(node, rounded, token.line)

    def expression(self) -> Node:
        self.nested()
        node = self.term()
        while True:
            token = self.peek()
            if token is None or not token.is_symbol("+", "-"):
                break
            self.take()
            right = self.term()
            node = Binary(token.text, node, right, token.text, token.line)
        self.depth -= 1
        return node

    def term(self, approximated: bool = True) -> Node:
        token = self.peek()
        if token is not None and token.is_symbol("-", "+"):
            self.take()
            operand = self.term(approximated=False)
            node = Negation(operand, token.line) if token.text == "-" else operand
            return self.approximated(node) if approximated else node
        node = self.factor()
        if approximated:
            node = self.approximated(node)
        while True:
            token = self.peek()
            if token is None:
                break
            operator = _operator(token)
            if operator is not None:
                self.take()
                sign = self.peek()
                if sign is not None and sign.is_symbol("-", "+"):
                    # 0.1 \cdot -4.65, as people write it.
                    self.take()
                    right = self.factor()
                    if sign.text == "-":
                        right = Negation(right, sign.line)
                else:
                    right = self.factor()
                node = Binary(
                    operator, node, right, token.written or token.text, token.line
                )
            elif _starts_factor(token):
                right = self.factor()
                node = Binary("product", node, right, "", token.line)
            else:
                break
        return node

    def factor(self) -> Node:
        self.nested()
        node = self.primary()
        while True:
            token = self.peek()
            if token is None:
                break
            if token.is_symbol("^"):
                self.take()
                node = self.superscript(node, token)
            elif token.is_symbol("_"):
                self.take()
                node = self.subscript(node, token)
            else:
                break
        self.depth -= 1
        return node

    def superscript(self, node: Node, caret: Token) -> Node:
        group = self.brace_group()
        text = "".join(token.written or token.text for token in group).replace(" ", "")
        if text.lstrip("\\") in _TRANSPOSE_MARKS:
            return _transposed(node, caret.line)
        integer = _integer(text)
        if integer is not None:
            if abs(integer) > MAX_EXPONENT:
                raise Unreadable(
                    f"an exponent outside -{MAX_EXPONENT} to {MAX_EXPONENT} "
                    f"({integer})",
                    caret.line,
                )
            return Power(node, integer, caret.line)
        raise Unreadable(f"the superscript {text!r}", caret.line)

    def subscript(self, node: Node, underscore: Token) -> Node:
        group = self.brace_group()
        word = _plain_word(group)
        if isinstance(node, Name):
            if word in ("i", "j", "k"):
                return replace(node, indexed=True)
            if word in _AFTER_WORDS:
                return replace(node, variant="after")
            if word in _BEFORE_WORDS:
                return replace(node, variant="before")
        raise Unreadable(f"the subscript {word!r}", underscore.line)

    def primary(self) -> Node:
        token = self.take()
        if token.kind == NUMBER:
            return self.number(token)
        if token.kind == LETTER:
            return self.letter(token)
        if token.kind == SYMBOL:
            return self.symbol(token)
        if token.kind == COMMAND:
            return self.command(token)
        raise Unreadable(f"unexpected {token.written or token.text!r}", token.line)

    def number(self, token: Token) -> Node:
        node = _number_node(token)
        scientific = self.scientific_exponent()
        if scientific is None:
            return node
        places = None if node.places is None else node.places - scientific
        scale = Fraction(10) ** scientific
        text = f"{token.written} \\times 10^{{{scientific}}}"
        return Number(node.value * scale, text, places, token.line)

    def scientific_exponent(self) -> int | None:
        """Take ``\\times 10^{k}`` after a number, if it follows, and return ``k``."""
        times, ten, caret = self.peek(), self.peek(1), self.peek(2)
        if (
            times is None
            or not times.is_command("times", "cdot")
            or ten is None
            or ten.kind != NUMBER
            or ten.text != "10"
            or caret is None
            or not caret.is_symbol("^")
        ):
            return None
        saved = self.index
        self.index += 3
        text = "".join(token.written or token.text for token in self.brace_group())
        exponent = _integer(text.replace(" ", ""))
        if exponent is None:
            self.index = saved
            return None
        if abs(exponent) > MAX_EXPONENT:
            raise Unreadable(
                f"an exponent outside -{MAX_EXPONENT} to {MAX_EXPONENT} ({exponent})",
                times.line,
            )
        return exponent

    def symbol(self, token: Token) -> Node:
        if token.text in "([":
            closing = ")" if token.text == "(" else "]"
            inner = self.grouped()
            self.expect_symbol(closing)
            return inner
        if token.text == "{":
            self.index -= 1
            inner_tokens = self.brace_group()
            return self.braced(inner_tokens, token)
        raise Unreadable(f"unexpected {token.written or token.text!r}", token.line)

    def braced(self, inner: list[Token], opening: Token) -> Node:
        if inner and _is_loss_differential(inner):
            return self.slashed_gradient(opening)
        if not inner:
            raise Unreadable("an empty group", opening.line)
        parser = self.sub_parser(inner)
        node = parser.expression()
        if parser.index < len(parser.tokens):
            token = parser.tokens[parser.index]
            raise Unreadable(f"unexpected {token.written or token.text!r}", token.line)
        return node

    def slashed_gradient(self, opening: Token) -> Node:
        """Read ``/{\\partial W}`` or ``/\\partial W`` after ``{\\partial L}``."""
        self.expect_symbol("/")
        token = self.peek()
        if token is not None and token.is_symbol("{"):
            denominator = self.brace_group()
        else:
            denominator = self.differential_tokens()
        return self.gradient_name(denominator, opening)

    def differential_tokens(self) -> list[Token]:
        """Take ``\\partial W^{[1]}`` or ``d W^{[1]}`` up to its superscripts."""
        start = self.index
        self.take()
        if (token := self.peek()) is not None and token.is_command("mathrm", "text"):
            self.take()
            self.brace_group()
        self.take()
        while (token := self.peek()) is not None and token.is_symbol("^", "_"):
            self.take()
            self.brace_group()
        return self.tokens[start : self.index]

    def gradient_name(self, denominator: list[Token], anchor: Token) -> Node:
        tokens = _strip_differential(denominator)
        if tokens is None:
            raise Unreadable(
                "a derivative with respect to something unknown", anchor.line
            )
        parser = self.sub_parser(tokens)
        target = parser.factor()
        if parser.index < len(parser.tokens):
            raise Unreadable("a derivative with respect to an expression", anchor.line)
        if isinstance(target, Symbol):
            return target
        if not isinstance(target, Name) or target.kind not in ("W", "b", "z", "a", "x"):
            raise Unreadable("a derivative with respect to an expression", anchor.line)
        written = "".join(token.written for token in [anchor, *denominator])
        return Name(
            "d" + target.kind,
            target.label,
            target.transposed,
            None,
            target.indexed,
            written,
            anchor.line,
        )

    def letter(self, token: Token) -> Node:
        word = self.word_from(token)
        if word is not None:
            return word
        if token.text == "d":
            gradient = self.d_gradient(token)
            if gradient is not None:
                return gradient
        if token.text == "f":
            return self.activation(token, label=self.layer_superscript())
        if token.text == "L":
            return Name("L", None, False, None, False, "L", token.line)
        kind = _QUANTITIES.get(token.text)
        if kind is None:
            return Symbol(token.text, token.line)
        return self.name_marks(kind, token)

    def word_from(self, token: Token) -> Node | None:
        """Read ``ReLU`` written as plain letters, as in ``ReLU(z)``."""
        for word in ("ReLU", "relu", "Relu"):
            letters = [self.peek(offset) for offset in range(len(word) - 1)]
            if token.text == word[0] and all(
                candidate is not None
                and candidate.kind == LETTER
                and candidate.text == expected
                for candidate, expected in zip(letters, word[1:])
            ):
                self.index += len(word) - 1
                return self.function("relu", token)
        return None

    def d_gradient(self, token: Token) -> Node | None:
        """Read ``dL/dW``, ``dLdW`` or ``dW`` after the letter ``d``."""
        first, second, third = self.peek(), self.peek(1), self.peek(2)
        if first is None:
            return None
        if first.kind == LETTER and first.text == "L":
            if second is not None and second.is_symbol("/") and third is not None:
                if third.kind == LETTER and third.text == "d":
                    self.index += 3
                    return self.gradient_target(token)
            if second is not None and second.kind == LETTER and second.text == "d":
                self.index += 2
                return self.gradient_target(token)
            return None
        if first.kind == LETTER and first.text in _GRADIENT_TARGETS:
            return self.gradient_target(token)
        return None

    def gradient_target(self, anchor: Token) -> Node:
        start = self.index
        target_token = self.take()
        if target_token.kind != LETTER or target_token.text not in _GRADIENT_TARGETS:
            raise Unreadable(
                "a derivative with respect to something unknown", anchor.line
            )
        target = self.name_marks(_QUANTITIES[target_token.text], target_token)
        assert isinstance(target, Name)
        written = "d" + "".join(
            token.written for token in self.tokens[start : self.index]
        )
        return Name(
            "d" + target.kind,
            target.label,
            target.transposed,
            None,
            target.indexed,
            written,
            anchor.line,
        )

    def name_marks(self, kind: str, token: Token) -> Node:
        """Read the layer marks and transpose after a quantity's letter."""
        start = self.index - 1
        label: str | None = None
        transposed = False
        following = self.peek()
        if following is not None and following.is_symbol("^"):
            group_start = self.index + 1
            saved = self.index
            self.take()
            group = self.brace_group()
            parsed = _layer_mark(group)
            if parsed is None:
                self.index = saved
            else:
                label, transposed = parsed
                if label is None and not transposed:
                    self.index = saved
            del group_start
        written = "".join(item.written for item in self.tokens[start : self.index])
        return Name(kind, label, transposed, None, False, written, token.line)

    def layer_superscript(self) -> str | None:
        following = self.peek()
        if following is None or not following.is_symbol("^"):
            return None
        saved = self.index
        self.take()
        parsed = _layer_mark(self.brace_group())
        if parsed is None or parsed[0] is None:
            self.index = saved
            return None
        return parsed[0]

    def command(self, token: Token) -> Node:
        name = token.text
        if name in ("frac", "dfrac", "tfrac"):
            return self.fraction(token)
        if name == "begin":
            return self.environment(token)
        if name in _SIZED_OPENINGS:
            return self.sized_group(token)
        if name == "eta":
            return Name("eta", None, False, None, False, "\\eta", token.line)
        if name == "delta":
            label = self.layer_superscript()
            return Name("dz", label, False, None, False, "\\delta", token.line)
        if name == "partial":
            self.index -= 1
            tokens = self.differential_tokens()
            if not _is_loss_differential(tokens):
                raise Unreadable(
                    "a partial derivative of something other than L", token.line
                )
            return self.slashed_gradient(token)
        if name in ("sum",):
            return self.summation(token)
        if name == "max":
            return self.maximum(token)
        if name in _TEXT_COMMANDS:
            word = self.group_word()
            function = _FUNCTION_NAMES.get(word.lower())
            if function is None:
                if name == "mathrm" and word in _QUANTITIES:
                    return self.name_marks(_QUANTITIES[word], token)
                raise Unreadable(f"the function or word {word!r}", token.line)
            return self.function(function, token)
        if name in _FONTS:
            inner = self.brace_group()
            if len(inner) == 1 and inner[0].kind == LETTER:
                return self.letter_in_font(inner[0], token)
            if len(inner) == 1 and inner[0].kind == NUMBER and inner[0].text == "1":
                return Ones(token.line)
            raise Unreadable(f"\\{name} of more than one letter", token.line)
        if name in ("mathcal", "ell"):
            raise Unreadable(f"the symbol \\{name}", token.line)
        if name in ("theta", "alpha", "sigma", "lambda", "mu"):
            return Symbol("\\" + name, token.line)
        if name in _ELISIONS:
            raise Unreadable("entries left out with dots", token.line)
        raise Unreadable(f"the command \\{name}", token.line)

    def letter_in_font(self, letter: Token, font: Token) -> Node:
        kind = _QUANTITIES.get(letter.text)
        if kind is None:
            if letter.text == "L":
                return Name("L", None, False, None, False, "L", font.line)
            return Symbol(letter.text, font.line)
        return self.name_marks(kind, font)

    def fraction(self, token: Token) -> Node:
        numerator = self.brace_group()
        denominator = self.brace_group()
        if _is_loss_differential(numerator):
            return self.gradient_name(denominator, token)
        top = self.sub_parser(numerator).whole()
        bottom = self.sub_parser(denominator).whole()
        return Binary("/", top, bottom, "\\frac", token.line)

    def whole(self) -> Node:
        if not self.tokens:
            raise Unreadable("an empty group", 0)
        node = self.expression()
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            raise Unreadable(f"unexpected {token.written or token.text!r}", token.line)
        return node

    def sized_group(self, token: Token) -> Node:
        opening = self.take()
        if opening.is_command("{"):
            closing_text = "}"
        elif opening.kind == SYMBOL and opening.text in "([|":
            closing_text = {"(": ")", "[": "]", "|": "|"}[opening.text]
        elif opening.is_symbol("."):
            closing_text = ""
        else:
            raise Unreadable(f"the delimiter {opening.written!r}", opening.line)
        if (
            opening.is_symbol("[")
            and (following := self.peek()) is not None
            and following.is_command("begin")
        ):
            matrix = self.primary()
            self.closing(closing_text)
            return matrix
        inner = self.grouped()
        self.closing(closing_text)
        if opening.is_symbol("|"):
            raise Unreadable("an absolute value or norm", opening.line)
        return inner

    def closing(self, closing_text: str) -> None:
        token = self.take()
        if token.kind == COMMAND and token.text in _SIZED_CLOSINGS:
            token = self.take()
        expected = "}" if closing_text == "}" else closing_text
        matches = (
            token.is_command("}") if expected == "}" else token.is_symbol(expected)
        ) or (expected == "" and token.is_symbol("."))
        if not matches:
            raise Unreadable(
                f"expected {expected!r} to close a bracket, found "
                f"{token.written or token.text!r}",
                token.line,
            )

    def environment(self, token: Token) -> Node:
        name = self.group_word()
        if name in MATRICES or name == "array":
            if name == "array":
                self.brace_group()
            return self.matrix(token, name)
        raise Unreadable(f"the environment {name!r}", token.line)

    def matrix(self, begin: Token, name: str) -> Node:
        body: list[Token] = []
        depth = 1
        while True:
            token = self.take()
            if token.is_command("begin"):
                depth += 1
            elif token.is_command("end"):
                depth -= 1
                if depth == 0:
                    self.group_word()
                    break
            body.append(token)
        rows: list[tuple[Node, ...]] = []
        for row_tokens in _split(body, lambda item: item.kind == ROW_BREAK):
            if not row_tokens:
                continue
            cells = _split(row_tokens, lambda item: item.is_symbol("&"))
            rows.append(tuple(self.sub_parser(cell).cell_node(begin) for cell in cells))
        if not rows:
            raise Unreadable(f"an empty {name}", begin.line)
        width = len(rows[0])
        if any(len(row) != width for row in rows):
            raise Unreadable(f"a {name} whose rows have different lengths", begin.line)
        if len(rows) * width > MAX_MATRIX_ENTRIES:
            raise Unreadable(
                f"a matrix of more than {MAX_MATRIX_ENTRIES} entries", begin.line
            )
        return MatrixLiteral(tuple(rows), begin.line)

    def cell_node(self, begin: Token) -> Node:
        if not self.tokens:
            raise Unreadable("an empty matrix entry", begin.line)
        return self.cell(len(self.tokens))

    def summation(self, token: Token) -> Node:
        following = self.peek()
        if following is not None and following.is_symbol("_"):
            self.take()
            index = _plain_word(self.brace_group())
            if index not in ("i", "j", "k"):
                raise Unreadable(f"a sum over {index!r}", token.line)
        body = self.factor()
        return Summation(body, token.line)

    def maximum(self, token: Token) -> Node:
        opening = self.take()
        if opening.kind == COMMAND and opening.text in _SIZED_OPENINGS:
            opening = self.take()
        if not (opening.is_symbol("(") or opening.is_command("{")):
            raise Unreadable("\\max without brackets", token.line)
        first = self.expression()
        self.expect_symbol(",")
        second = self.expression()
        closing = self.take()
        if closing.kind == COMMAND and closing.text in _SIZED_CLOSINGS:
            closing = self.take()
        if not (closing.is_symbol(")") or closing.is_command("}")):
            raise Unreadable("\\max without a closing bracket", token.line)
        if isinstance(first, Number) and first.value == 0:
            return Application("relu", False, second, None, token.line)
        if isinstance(second, Number) and second.value == 0:
            return Application("relu", False, first, None, token.line)
        raise Unreadable("\\max of two expressions", token.line)

    def function(self, function: str, token: Token) -> Node:
        derivative = self.prime()
        argument = self.argument(token)
        return Application(function, derivative, argument, None, token.line)

    def activation(self, token: Token, label: str | None) -> Node:
        derivative = self.prime()
        following = self.peek()
        if following is None or not (
            following.is_symbol("(")
            or following.kind == COMMAND
            and following.text in _SIZED_OPENINGS
        ):
            return Symbol("f", token.line)
        argument = self.argument(token)
        return Application("activation", derivative, argument, label, token.line)

    def prime(self) -> bool:
        following = self.peek()
        if (
            following is not None
            and following.is_symbol("{")
            and (second := self.peek(1)) is not None
            and second.is_symbol("}")
        ):
            self.index += 2
            following = self.peek()
        if following is not None and following.is_symbol("'"):
            self.take()
            return True
        if following is not None and following.is_symbol("^"):
            saved = self.index
            self.take()
            group = self.brace_group()
            if len(group) == 1 and group[0].is_command("prime"):
                return True
            self.index = saved
        return False

    def argument(self, token: Token) -> Node:
        following = self.peek()
        if following is None:
            raise Unreadable("a function without an argument", token.line)
        if following.kind == COMMAND and following.text in _SIZED_OPENINGS:
            self.take()
            return self.sized_group(following)
        if following.is_symbol("(", "["):
            self.take()
            closing = ")" if following.text == "(" else "]"
            inner = self.expression()
            self.expect_symbol(closing)
            return inner
        return self.factor()


def _skipped(token: Token) -> bool:
    return token.kind == COMMAND and token.text in _SKIPPED


def _operator(token: Token) -> str | None:
    if token.kind == COMMAND:
        return _PRODUCTS.get(token.text) or _ELEMENTWISE.get(token.text)
    if token.is_symbol("*"):
        return "elementwise"
    if token.is_symbol("/"):
        return "/"
    return None


def _starts_factor(token: Token) -> bool:
    if token.kind in (NUMBER, LETTER):
        return True
    if token.kind == SYMBOL:
        return token.text in "({["
    if token.kind == COMMAND:
        return token.text not in _SIZED_CLOSINGS and token.text not in (
            "approx",
            "leftarrow",
            "gets",
            "end",
            "quad",
            "qquad",
        )
    return False


def _number_node(token: Token) -> Number:
    try:
        value = parse_number(token.text)
    except NumberError as error:
        raise Unreadable(str(error), token.line) from None
    exact = Fraction(int(value.p), int(value.q))
    if token.period:
        places = len(token.text.partition(".")[2])
        period = int(token.period)
        scale = 10**places * (10 ** len(token.period) - 1)
        return Number(exact + Fraction(period, scale), token.written, None, token.line)
    places = len(token.text.partition(".")[2])
    return Number(exact, token.written, places, token.line)


def _integer(text: str) -> int | None:
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit() or len(body) > 6:
        return None
    return int(text)


def _plain_word(tokens: list[Token]) -> str:
    text = "".join(token.written or token.text for token in tokens)
    for command in ("\\text", "\\mathrm", "\\textrm", "\\mathit", "\\operatorname"):
        text = text.replace(command, "")
    return text.replace("{", "").replace("}", "").replace(" ", "").lower()


def _layer_mark(group: list[Token]) -> tuple[str | None, bool] | None:
    """Read ``[2]``, ``(l-1)``, ``[1]T`` or ``T`` from a superscript group."""
    text = "".join(token.written or token.text for token in group).replace(" ", "")
    transposed = False
    for mark in ("\\intercal", "\\top", "\\mathsf{T}", "\\mathrm{T}", "T"):
        if text.endswith(mark):
            text = text[: -len(mark)]
            transposed = True
            break
    if not text:
        return None, transposed
    if len(text) >= 3 and text[0] + text[-1] in ("[]", "()"):
        label = text[1:-1]
        if label and all(
            character.isalnum() or character in "+-" for character in label
        ):
            return label, transposed
    return None


def _transposed(node: Node, line: int) -> Node:
    if isinstance(node, Name):
        return replace(node, transposed=not node.transposed)
    return Transpose(node, line)


def _split(tokens: list[Token], is_separator) -> list[list[Token]]:
    pieces: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if depth == 0 and is_separator(token):
            pieces.append([])
            continue
        if token.is_command("begin", "left") or token.is_symbol("{"):
            depth += 1
        elif token.is_command("end", "right") or token.is_symbol("}"):
            depth -= 1
        pieces[-1].append(token)
    return pieces


def _is_loss_differential(tokens: list[Token]) -> bool:
    """Whether the tokens are ``\\partial L``, ``dL``, ``d L`` or ``\\mathrm{d}L``."""
    rest = _strip_differential(tokens)
    if rest is None or not rest:
        return False
    if len(rest) == 1:
        return rest[0].kind == LETTER and rest[0].text == "L"
    text = "".join(token.written for token in rest).replace(" ", "")
    return text in ("\\mathcal{L}", "\\mathcal L")


def _strip_differential(tokens: list[Token]) -> list[Token] | None:
    if not tokens:
        return None
    first = tokens[0]
    if first.is_command("partial"):
        return tokens[1:]
    if first.kind == LETTER and first.text == "d":
        return tokens[1:]
    if first.is_command("mathrm", "text", "operatorname") and len(tokens) >= 4:
        if (
            tokens[1].is_symbol("{")
            and tokens[2].text == "d"
            and tokens[3].is_symbol("}")
        ):
            return tokens[4:]
    return None
