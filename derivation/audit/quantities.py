"""Named quantities of a written solution, and their values in a trace.

A name as written (``W^{(0)}``, ``\\delta^{[2]}``, ``dLdW^{[1]}``) becomes a
:class:`Quantity`: a value of :class:`~derivation.trace.LayerStep` and the
position of its layer, counted from 1 for the layer fed by the input,
whatever numbering the document uses. Documents number layers from 1 (the
input is ``a^{[0]}`` or ``x``) or from 0 (the input is ``x``, and the first
layer's weights are ``W^{[0]}``); :func:`first_layer` detects which from the
names a document uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..errors import DerivationError
from ..quantities import numeric
from ..trace import Trace
from .nodes import Name
from .values import Value

# Quantities whose numbering reveals whether layers count from 0: the input
# has no weights, biases or pre-activation, so W^{[0]} names a layer.
_LAYER_KINDS = frozenset({"W", "b", "z", "dW", "db", "dz"})
_PARAMETERS = frozenset({"W", "b"})
NUMERIC_PLACES = 20
"""Decimal places kept of a closed-form value of the solution, such as a sigmoid."""
_NUMERIC_RADIUS = Fraction(1, 10**NUMERIC_PLACES)
# Quantities the same in every step.
CONSTANT_FIELDS = frozenset({"x", "y", "eta"})

_DESCRIPTIONS = {
    "W": "the weights",
    "b": "the biases",
    "z": "the pre-activation",
    "a": "the activation",
    "dW": "the weight gradient",
    "db": "the bias gradient",
    "dz": "dL/dz",
    "da": "dL/da",
    "W_after": "the updated weights",
    "b_after": "the updated biases",
}


@dataclass(frozen=True)
class Quantity:
    """A value of a training step, named independently of notation.

    ``field`` is a name of :mod:`derivation.trace` (``W``, ``b``, ``z``,
    ``a``, ``dW``, ``db``, ``dz``, ``da``, ``W_after``, ``b_after``) or one of
    ``x``, ``y``, ``loss`` and ``eta``. ``layer`` counts from 1; ``da`` of
    layer 0 is the gradient with respect to the input. ``layer`` is
    ``None`` for the quantities that belong to no layer.
    """

    field: str
    layer: int | None = None

    def describe(self, first_layer: int) -> str:
        """Describe the quantity in words, with the document's layer number."""
        if self.field == "x":
            return "the input x"
        if self.field == "y":
            return "the target y"
        if self.field == "loss":
            return "the loss L"
        if self.field == "eta":
            return "the learning rate"
        assert self.layer is not None
        if self.field == "da" and self.layer == 0:
            return "dL/dx, the gradient with respect to the input"
        number = self.layer - 1 + first_layer
        return f"{_DESCRIPTIONS[self.field]} of layer {number}"


def first_layer(names: Iterable[Name]) -> int:
    """Return 0 if the names number the first layer 0, else 1."""
    for name in names:
        if name.kind in _LAYER_KINDS and name.label == "0":
            return 0
    return 1


def layer_position(label: str | None, first: int) -> int | None:
    """Return the position (from 1) of a layer written ``label``, or ``None``."""
    if label is None or not label.isdigit() or len(label) > 4:
        return None
    return int(label) - first + 1


def resolve(name: Name, first: int, *, updated: bool = False) -> Quantity | None:
    """Return the quantity a name stands for, or ``None`` for a general one.

    ``updated`` makes the weights and biases the values after the update,
    as on the left of ``W^{[1]} \\leftarrow ...`` or in an update section.
    """
    kind = name.kind
    if kind == "L":
        return Quantity("loss")
    if kind in ("x", "y", "eta"):
        return Quantity(kind)
    if kind == "dx":
        return Quantity("da", 0)
    if kind == "dy":
        return None
    position = layer_position(name.label, first)
    if position is None:
        return None
    if kind in ("a", "da") and position == 0:
        return Quantity("x") if kind == "a" else Quantity("da", 0)
    if position < 1:
        return None
    if kind in _PARAMETERS:
        after = name.variant == "after" or (updated and name.variant != "before")
        return Quantity(f"{kind}_after" if after else kind, position)
    return Quantity(kind, position)


def true_value(trace: Trace, step: int, quantity: Quantity) -> Value | None:
    """Return the trace's value of a quantity in a step, or ``None`` if it has none."""
    field = quantity.field
    record = trace.steps[step - 1] if 1 <= step <= len(trace.steps) else None
    if field == "x":
        return _value(trace.x if record is None else record.x, scalar=False)
    if field == "y":
        return _value(trace.y if record is None else record.y, scalar=False)
    if field == "eta":
        return _scalar(trace.learning_rate)
    if not 1 <= step <= len(trace.steps):
        return None
    record = trace.steps[step - 1]
    if field == "loss":
        return _scalar(record.loss)
    layer = quantity.layer
    if layer is None or not 0 <= layer <= len(record.layers):
        return None
    if layer == 0:
        return _value(record.layers[0].da_prev) if field == "da" else None
    return _value(getattr(record.layers[layer - 1], field))


def relu_at_zero(trace: Trace, layer: int) -> int | None:
    """Return ``ReLU'(0)`` of a layer's activation, or ``None`` if it is not ReLU."""
    layers = trace.network.layers
    if not 1 <= layer <= len(layers):
        return None
    activation = layers[layer - 1].activation
    if activation.name != "relu":
        return None
    return int(activation.slope(sympy.Integer(0)))


def activation_name(trace: Trace, layer: int) -> str | None:
    """Return the spec name of a layer's activation, or ``None`` out of range."""
    layers = trace.network.layers
    if not 1 <= layer <= len(layers):
        return None
    return layers[layer - 1].activation.name


def _fraction(entry: sympy.Expr) -> tuple[Fraction, Fraction] | None:
    """Return an entry and its radius: exact for rationals, else a close decimal.

    A closed form such as ``1/(1 + e^{-z})`` has no exact fraction. It
    becomes its value to :data:`NUMERIC_PLACES` decimal places. The radius
    covers the cut, so a correctly rounded written value agrees.
    """
    if isinstance(entry, sympy.Rational):
        return Fraction(int(entry.p), int(entry.q)), Fraction(0)
    try:
        approximate = numeric(entry, NUMERIC_PLACES + 10)
    except DerivationError:
        return None
    if not isinstance(approximate, sympy.Float | sympy.Rational):
        return None
    scaled = sympy.Integer(round(approximate * 10**NUMERIC_PLACES))
    return Fraction(int(scaled), 10**NUMERIC_PLACES), _NUMERIC_RADIUS


def _scalar(entry: sympy.Expr) -> Value | None:
    found = _fraction(entry)
    if found is None:
        return None
    value, radius = found
    return Value(1, 1, (value,), (radius,), scalar=True, rounded=bool(radius))


def _value(matrix: sympy.Matrix, scalar: bool = False) -> Value | None:
    found = [_fraction(entry) for entry in matrix]
    if any(entry is None for entry in found):
        return None
    pairs = [entry for entry in found if entry is not None]
    radii = tuple(radius for _, radius in pairs)
    return Value(
        matrix.rows,
        matrix.cols,
        tuple(value for value, _ in pairs),
        radii,
        scalar=scalar,
        rounded=any(radii),
    )
