"""The expression tree that the math reader builds from one side of an equation.

Every node records the file line it starts on, so that a finding can point
at the value that is wrong. Values are exact: numbers hold a
``fractions.Fraction`` read by :func:`derivation.numbers.parse_number`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


class Unreadable(Exception):
    """Math that the reader does not understand, with the reason and the line."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class Number:
    """A number as written: its exact value and its decimal places.

    ``places`` is ``None`` for values written exactly in another form
    (fractions, repeating decimals), which are claims of the exact value.
    """

    value: Fraction
    text: str
    places: int | None
    line: int


@dataclass(frozen=True)
class MatrixLiteral:
    """A ``bmatrix`` (or ``pmatrix``, ...) of entries, row by row."""

    rows: tuple[tuple[Node, ...], ...]
    line: int


@dataclass(frozen=True)
class Approximation:
    """A value written ``exact \\approx rounded``, such as ``1/3 \\approx 0.3``."""

    exact: Node
    rounded: Node
    line: int


@dataclass(frozen=True)
class Name:
    """A named quantity, such as ``W^{[2]}`` or ``\\delta^{(1)}``.

    Attributes
    ----------
    kind
        ``W``, ``b``, ``z``, ``a``, ``x``, ``y``, ``L`` (the loss) or
        ``eta``; gradients put a ``d`` in front: ``dW``, ``dz``, ``da``.
    label
        The layer as written inside the marks, such as ``"2"`` or
        ``"l-1"``; ``None`` when there are no marks.
    transposed
        Whether a transpose mark follows the name.
    variant
        ``"after"`` for a name marked as updated (``W_{\\text{new}}``),
        ``"before"`` for one marked as old, else ``None``.
    indexed
        Whether the name carries the summation index, as in ``a_i``.
    written
        The name as written, for messages.
    """

    kind: str
    label: str | None
    transposed: bool
    variant: str | None
    indexed: bool
    written: str
    line: int


@dataclass(frozen=True)
class Symbol:
    """A symbol with no value of its own, such as ``l``, ``\\theta`` or ``f``."""

    text: str
    line: int


@dataclass(frozen=True)
class Negation:
    """``-operand``."""

    operand: Node
    line: int


@dataclass(frozen=True)
class Binary:
    """A sum, difference, product or quotient.

    ``operator`` is ``+``, ``-``, ``product`` (juxtaposition, ``\\cdot``,
    ``\\times``), ``elementwise`` (``\\odot``, ``*``, ``\\ast``, ``\\circ``)
    or ``/``. ``written`` is the operator as written.
    """

    operator: str
    left: Node
    right: Node
    written: str
    line: int


@dataclass(frozen=True)
class Power:
    """``base^{exponent}`` with an integer exponent."""

    base: Node
    exponent: int
    line: int


@dataclass(frozen=True)
class Transpose:
    """``operand^T``."""

    operand: Node
    line: int


@dataclass(frozen=True)
class Application:
    """An activation function or its derivative applied element-wise.

    ``function`` is ``relu``, ``identity`` or ``activation`` (``f`` of a
    layer, known only from a spec); ``derivative`` marks the prime. ``label``
    is the layer written on ``f^{[l]}``, else ``None``.
    """

    function: str
    derivative: bool
    argument: Node
    label: str | None
    line: int


@dataclass(frozen=True)
class Ones:
    """``\\mathbf{1}``: a column of ones as long as the product needs."""

    line: int


@dataclass(frozen=True)
class Summation:
    """``\\sum_i body``: the entries of ``body`` added up."""

    body: Node
    line: int


Node = (
    Number
    | MatrixLiteral
    | Approximation
    | Name
    | Symbol
    | Negation
    | Binary
    | Power
    | Transpose
    | Application
    | Summation
    | Ones
)


def names_in(node: Node) -> list[Name]:
    """Return every :class:`Name` in the tree, in reading order."""
    found: list[Name] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            found.append(current)
        stack.extend(reversed(_children(current)))
    return found


def symbols_in(node: Node) -> list[Symbol]:
    """Return every :class:`Symbol` in the tree: the symbols without a value."""
    found: list[Symbol] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Symbol):
            found.append(current)
        stack.extend(_children(current))
    return found


def _children(node: Node) -> list[Node]:
    if isinstance(node, MatrixLiteral):
        return [entry for row in node.rows for entry in row]
    if isinstance(node, Approximation):
        return [node.exact, node.rounded]
    if isinstance(node, Binary):
        return [node.left, node.right]
    if isinstance(node, Negation | Transpose | Power):
        return [node.operand if not isinstance(node, Power) else node.base]
    if isinstance(node, Application):
        return [node.argument]
    if isinstance(node, Summation):
        return [node.body]
    return []


def is_literal(node: Node) -> bool:
    """Whether the node is a value written out: a number or a matrix of numbers."""
    if isinstance(node, Number):
        return True
    if isinstance(node, Negation):
        return is_literal(node.operand)
    if isinstance(node, Approximation):
        return is_literal(node.exact) and is_literal(node.rounded)
    if isinstance(node, MatrixLiteral):
        return all(is_literal(entry) for row in node.rows for entry in row)
    return False
