"""Named quantities: how long transcendental values stay exact and short.

A sigmoid, tanh or softplus layer turns rational inputs into closed forms
such as ``1/(1 + exp(-3/2))``. Fed forward, these nest: the next layer's
pre-activation is a sum of them, its activation an exponential of that sum,
and after a few layers and steps a single entry written out in full would
fill pages. So the engine keeps each entry as a SymPy expression of bounded
size. An entry with more than :data:`SHORT_NODES` nodes is replaced by a
:class:`Named` quantity ``q_k``, which records the long expression as its
definition (in terms of earlier names) and its numerical value to
:data:`WORKING_DIGITS` significant digits. Every later value is built from
these names, so the size of each definition depends on the layer widths,
not on how deep the network is or how long it trains.

Named quantities are exact: the definitions chain back to the given
numbers, and :func:`expand_names` writes any value in terms of them alone.
Decisions that need a sign (ReLU of a named value) are made from the
numerical value, which is reliable unless the value lies within
``10**-(WORKING_DIGITS - 10)`` of zero; such a case raises an error rather
than guess.

>>> names = Names()
>>> s = sympy.Integer(1) / (1 + sympy.exp(sympy.Rational(-3, 2)))
>>> names.shorten(s) == s
True
>>> long = sum((k * s) ** k for k in range(1, 5))
>>> q = names.shorten(long)
>>> q.name, round(float(q.value), 6)
('q_1', 132.62629)
>>> expand_names(q) == long
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sympy

from .errors import DerivationError

# An entry with more expression nodes than this is replaced by a name. A
# sigmoid of a rational or of a name, 1/(1 + exp(-z)), has 6 nodes and stays.
# A weighted sum of two of them plus a bias has about 17 and gets a name.
SHORT_NODES = 8

# Significant digits kept for the numerical value of every named quantity.
WORKING_DIGITS = 60

# Significant digits shown after an approximately-equal sign.
SHOWN_DIGITS = 10


class Named(sympy.Dummy):
    """A quantity standing for a long exact expression.

    Attributes
    ----------
    definition
        The exact value, an expression in numbers and earlier names.
    value
        The value as a SymPy ``Float`` to :data:`WORKING_DIGITS` digits.
    index
        The number ``k`` of the name ``q_k``, counted from 1 in each run.
    """

    definition: sympy.Expr
    value: sympy.Float
    index: int

    def __new__(cls, index: int, definition: sympy.Expr, value: sympy.Float) -> Named:
        named = super().__new__(cls, f"q_{index}", real=True)
        named.definition = definition
        named.value = value
        named.index = index
        return named

    def _latex(self, printer: Any) -> str:
        return f"q_{{{self.index}}}"

    def _sympystr(self, printer: Any) -> str:
        return f"q_{self.index}"


def node_count(expression: sympy.Basic, stop: int = SHORT_NODES + 1) -> int:
    """Count the nodes of an expression tree, stopping once ``stop`` is reached.

    A :class:`Named` quantity counts as one node.
    """
    count = 0
    pending = [expression]
    while pending and count < stop:
        node = pending.pop()
        count += 1
        if not isinstance(node, Named):
            pending.extend(node.args)
    return count


def is_transcendental(value: sympy.Expr) -> bool:
    """Whether a value contains a function such as ``exp`` or a named quantity."""
    if isinstance(value, sympy.Rational):
        return False
    return bool(value.atoms(Named)) or bool(value.atoms(sympy.Function))


def numeric(value: sympy.Expr, digits: int = WORKING_DIGITS) -> sympy.Float:
    """Evaluate an exact value without symbols to ``digits`` significant digits.

    Raises
    ------
    DerivationError
        If the value has free symbols, so that it has no number.
    """
    names = value.atoms(Named)
    replaced = value.xreplace({name: name.value for name in names})
    result = replaced.evalf(digits)
    if not result.is_number:
        raise DerivationError(
            f"{value} has no numerical value because it contains symbols"
        )
    return result


def exact_sign(value: sympy.Expr) -> int:
    """Return the sign (-1, 0 or 1) of an exact value without symbols.

    Rationals are compared exactly. Other values are evaluated numerically
    to :data:`WORKING_DIGITS` digits, which decides the sign unless the value
    is almost zero.

    Raises
    ------
    DerivationError
        If the value has symbols, or is too close to zero to decide.
    """
    if isinstance(value, sympy.Rational):
        if value > 0:
            return 1
        if value < 0:
            return -1
        return 0
    if value.is_positive:
        return 1
    if value.is_negative:
        return -1
    if value.is_zero:
        return 0
    if value.free_symbols - value.atoms(Named):
        raise DerivationError(
            f"the sign of {value} depends on its symbols (a ReLU or leaky ReLU "
            "needs it); give numbers for them, or use an activation without a kink"
        )
    approximation = numeric(value)
    if abs(approximation) > sympy.Float(10) ** (10 - WORKING_DIGITS):
        return 1 if approximation > 0 else -1
    raise DerivationError(
        f"cannot decide the sign of {value}: it is within "
        f"1e{10 - WORKING_DIGITS} of zero"
    )


class Names:
    """The named quantities of one training run, in the order they were made."""

    def __init__(self) -> None:
        self.quantities: list[Named] = []
        self._by_definition: dict[sympy.Expr, Named] = {}

    def shorten(self, value: sympy.Expr) -> sympy.Expr:
        """Return ``value``, or a name for it when it is long.

        A value equal in form to one named before gets the same name.

        Values with free symbols (symbolic mode) are never named, since
        their formula is what the user asked to see.
        """
        if isinstance(value, sympy.Rational) or node_count(value) <= SHORT_NODES:
            return value
        if value.free_symbols - value.atoms(Named):
            return value
        known = self._by_definition.get(value)
        if known is not None:
            return known
        named = Named(len(self.quantities) + 1, value, numeric(value))
        self.quantities.append(named)
        self._by_definition[value] = named
        return named

    def shorten_matrix(self, matrix: sympy.MatrixBase) -> sympy.Matrix:
        """Return ``matrix`` with every long entry replaced by a name."""
        return sympy.Matrix(matrix.rows, matrix.cols, [self.shorten(e) for e in matrix])


def expand_names(value: sympy.Expr) -> sympy.Expr:
    """Write a value in terms of the given numbers only, replacing every name."""
    while True:
        names = value.atoms(Named)
        if not names:
            return value
        value = value.xreplace({name: name.definition for name in names})


def names_in(values: Iterable[sympy.Basic]) -> list[Named]:
    """Return the named quantities that ``values`` use, in order of their index."""
    found: set[Named] = set()
    for value in values:
        found |= value.atoms(Named)
    return sorted(found, key=lambda named: named.index)
