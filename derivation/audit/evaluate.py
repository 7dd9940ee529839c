"""Evaluate an expression tree exactly, with the shapes of every product and sum.

Names are looked up through a :class:`Scope`, which the auditor fills with
the values the document wrote earlier (and, with a spec, the values of the
trace). A name with no value raises :class:`UnknownName`, a product or
sum of the wrong shapes raises :class:`~derivation.audit.values.ShapeError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction

from . import values
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
)
from .values import ShapeError, Value


class UnknownName(Exception):
    """A name or symbol whose value the document and the spec do not give."""


@dataclass(frozen=True)
class RoundingClaim:
    """A matrix entry written ``exact \\approx rounded`` whose rounding is wrong."""

    line: int
    exact: Fraction
    rounded: Fraction
    places: int


@dataclass
class Scope:
    """What the evaluator needs from the auditor.

    Attributes
    ----------
    lookup
        Returns the value of a name, or raises :class:`UnknownName`.
    literal
        Returns a written number as a value, with the radius and the
        origins the auditor assigns to it.
    relu_at_zero
        Returns ``ReLU'(0)`` of a layer (a position from 1), or ``None``.
    activation
        Returns the activation name of a layer, or ``None``.
    first_layer
        The document's number of the first layer, 0 or 1.
    layer
        The layer of the equation's left-hand side, for ``ReLU'`` of
        written numbers.
    convention
        ``ReLU'(0)`` to use where the layer's convention is unknown.
    claims
        Collects wrong ``\\approx`` roundings inside matrices.
    """

    lookup: Callable[[Name], Value]
    literal: Callable[[Value, Number], Value]
    copied: Callable[[Value], frozenset[int]]
    relu_at_zero: Callable[[int | None], int | None]
    activation: Callable[[int | None], str | None]
    first_layer: int = 1
    layer: int | None = None
    convention: int = 0
    claims: list[RoundingClaim] = field(default_factory=list)


def evaluate(node: Node, scope: Scope) -> Value:
    """Return the exact value of ``node``.

    Raises
    ------
    UnknownName
        If a name has no value.
    ShapeError
        If a product or sum has shapes that do not fit.
    TooLarge
        If a value grows past :data:`~derivation.audit.values.MAX_BITS`.
    """
    if isinstance(node, Number):
        return _number(node, scope)
    if isinstance(node, Negation):
        if isinstance(node.operand, Number):
            return _number(node.operand, scope, negative=True)
        return values.negate(evaluate(node.operand, scope))
    if isinstance(node, MatrixLiteral):
        return _matrix(node, scope)
    if isinstance(node, Approximation):
        return _approximation(node, scope)
    if isinstance(node, Name):
        return scope.lookup(node)
    if isinstance(node, Symbol):
        raise UnknownName(node.text)
    if isinstance(node, Binary):
        return _binary(node, scope)
    if isinstance(node, Power):
        return values.power(evaluate(node.base, scope), node.exponent)
    if isinstance(node, Transpose):
        return values.transpose(evaluate(node.operand, scope))
    if isinstance(node, Application):
        return _application(node, scope)
    if isinstance(node, Summation):
        return values.total(evaluate(node.body, scope))
    if isinstance(node, Ones):
        raise UnknownName("\\mathbf{1} outside a product")
    raise UnknownName(type(node).__name__)


def _number(node: Number, scope: Scope, negative: bool = False) -> Value:
    value = node.value if not negative else -node.value
    written = Value(1, 1, (value,), (Fraction(0),), scalar=True, places=(node.places,))
    return scope.literal(written, node)


def _matrix(node: MatrixLiteral, scope: Scope) -> Value:
    entries: list[Fraction] = []
    radii: list[Fraction] = []
    places: list[int | None] = []
    parts: list[Value] = []
    for row in node.rows:
        for cell in row:
            value = evaluate(cell, scope)
            if not value.acts_as_scalar:
                raise ShapeError(
                    f"a matrix entry that is {values.describe_shape(value)}"
                )
            entries.append(value.entries[0])
            radii.append(value.radii[0])
            places.append(value.places[0] if value.places is not None else None)
            parts.append(value)
    literal = all(part.places is not None for part in parts)
    merged = Value(
        len(node.rows),
        len(node.rows[0]),
        tuple(entries),
        tuple(radii),
        places=tuple(places) if literal else None,
        origins=frozenset().union(*(part.origins for part in parts)),
        rounded=any(part.rounded for part in parts),
        kink=any(part.kink for part in parts),
    )
    return merged.with_origins(scope.copied(merged))


def _approximation(node: Approximation, scope: Scope) -> Value:
    exact = evaluate(node.exact, scope)
    rounded = evaluate(node.rounded, scope)
    if exact.acts_as_scalar and rounded.acts_as_scalar and rounded.places:
        places = rounded.places[0]
        if places is not None:
            from .rules import correctly_rounded, rounded_places

            places = rounded_places(rounded.entries[0], places)
            if not correctly_rounded(rounded.entries[0], exact.entries[0], places):
                scope.claims.append(
                    RoundingClaim(
                        node.line, exact.entries[0], rounded.entries[0], places
                    )
                )
    return replace(exact, places=(None,) * len(exact.entries))


def _binary(node: Binary, scope: Scope) -> Value:
    # A chain such as 1 + 1 + ... + 1 is a deep tree on the left: walk it
    # in a loop so that a long chain cannot exhaust the stack.
    chain = [node]
    while isinstance(chain[-1].left, Binary):
        chain.append(chain[-1].left)
    value = evaluate(chain[-1].left, scope)
    for link in reversed(chain):
        value = _operate(link, value, scope)
    return value


def _operate(node: Binary, left: Value, scope: Scope) -> Value:
    if isinstance(node.right, Ones) and node.operator == "product":
        return replace(values.multiply(left, values.ones(left.columns)), places=None)
    right = evaluate(node.right, scope)
    if node.operator == "+":
        result = values.add(left, right)
    elif node.operator == "-":
        result = values.add(left, right, sign=-1)
    elif node.operator == "product":
        result = values.multiply(left, right)
    elif node.operator == "elementwise":
        result = values.elementwise(left, right)
    else:
        result = values.divide(left, right)
    return replace(result, places=None)


def _application(node: Application, scope: Scope) -> Value:
    argument = evaluate(node.argument, scope)
    function = node.function
    layer = _argument_layer(node, scope)
    if function == "activation":
        function = scope.activation(layer) or ""
        if not function:
            raise UnknownName("f")
    if function == "identity":
        return (
            values.ones_like(argument)
            if node.derivative
            else replace(argument, places=None)
        )
    if function != "relu":
        raise UnknownName(f"{function} (only ReLU and the identity are evaluated)")
    if not node.derivative:
        return values.relu(argument)
    at_zero = scope.relu_at_zero(layer)
    if at_zero is None:
        return values.relu_slope(argument, scope.convention)
    slope = values.relu_slope(argument, at_zero)
    return replace(slope, kink=argument.kink)


def _argument_layer(node: Application, scope: Scope) -> int | None:
    from .quantities import layer_position

    if node.label is not None:
        return layer_position(node.label, scope.first_layer)
    argument = node.argument
    if isinstance(argument, Name) and argument.kind == "z":
        return layer_position(argument.label, scope.first_layer)
    return scope.layer
