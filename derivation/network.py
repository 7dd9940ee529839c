"""Dense layers and networks with exact parameters.

A layer computes ``z = W a + b`` and ``a' = f(z)``, where ``a`` is the column
of the layer's inputs, ``W`` is shaped (units of this layer) x (units of the
layer before) and ``b`` is a column with one entry per unit.

>>> net = Network([
...     Layer([[1], [1]], ["-0.5", "-0.5"], "relu"),
...     Layer([[1, 1]], [0], "identity"),
... ])
>>> net.widths
(1, 2, 1)
>>> net.layers[0].b.T
Matrix([[-1/2, -1/2]])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy

from .activations import Activation, get_activation
from .errors import DerivationError
from .lazy import LazyField, stored_value
from .symbols import to_exact_value


def exact_matrix(values: object, name: str = "value") -> sympy.ImmutableMatrix:
    """Build an exact, immutable SymPy matrix from nested lists or a matrix.

    A flat list becomes a column, which is how vectors enter the network;
    a single number becomes a 1x1 matrix. NumPy integer arrays are accepted
    through their ``tolist()``.

    Raises
    ------
    DerivationError
        If the rows differ in length, there are no entries, or an entry is
        not an exact number.
    """
    if isinstance(values, sympy.MatrixBase) or _is_array(values):
        values = values.tolist()  # type: ignore[attr-defined]
    if isinstance(values, Sequence) and not isinstance(values, str):
        rows = [list(row) if _is_row(row) else [row] for row in values]
    else:
        rows = [[values]]

    if not rows or not all(rows):
        raise DerivationError(f"{name}: expected at least one entry, found none")
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise DerivationError(f"{name}: rows have different lengths {sorted(widths)}")
    return sympy.ImmutableMatrix(
        [[to_exact_value(entry) for entry in row] for row in rows]
    )


def _is_array(values: object) -> bool:
    return hasattr(values, "tolist") and hasattr(values, "shape")


def _is_row(entry: object) -> bool:
    return isinstance(entry, Sequence) and not isinstance(entry, str)


# The parameters of a layer, as spec files and ``Layer(frozen=...)`` name them.
PARAMETER_NAMES = frozenset({"weights", "biases"})

BIAS_MODES = ("per_unit", "shared", "none")


def _biases(b: object, units: int, mode: str) -> sympy.ImmutableMatrix:
    """Build the bias column of a layer with ``units`` units and a bias mode."""
    if mode not in BIAS_MODES:
        raise DerivationError(
            f"bias: expected one of {', '.join(BIAS_MODES)}, found {mode!r}"
        )
    if mode == "none":
        if b is not None and any(entry != 0 for entry in exact_matrix(b, "biases")):
            raise DerivationError(
                "biases: a layer without bias takes no biases, found nonzero values"
            )
        return sympy.ImmutableMatrix.zeros(units, 1)
    if b is None:
        raise DerivationError("biases: expected values, found none")
    biases = exact_matrix(b, "biases")
    if biases.shape == (1, 1) and (
        mode == "shared" or not isinstance(b, Sequence | sympy.MatrixBase)
    ):
        # A single number fills the biases, as in spec files.
        biases = sympy.ImmutableMatrix([biases[0, 0]] * units)
    if biases.shape != (units, 1):
        raise DerivationError(
            f"biases: expected {units} values (one per unit), "
            f"found a {biases.rows}x{biases.cols} matrix"
        )
    if mode == "shared" and len(set(biases)) > 1:
        raise DerivationError(
            "biases: a shared bias is one value, found different values "
            f"{', '.join(str(entry) for entry in biases)}"
        )
    return biases


@dataclass(frozen=True)
class Layer:
    """A dense layer: weights ``W``, biases ``b`` and an activation ``f``.

    Parameters
    ----------
    W
        Weights shaped (units) x (inputs), as nested lists or a matrix.
    b
        Biases, one per unit, as a flat list or a column.
    activation
        An :class:`Activation` or its name, such as ``"relu"``.
    bias
        ``"per_unit"`` (the default): one bias per unit; ``"shared"``: one
        bias for the whole layer, whose gradient is the sum over the units;
        ``"none"``: no bias at all (``b`` must then be ``None`` or zero).
    frozen
        The parameters that training leaves as they are: any of
        ``"weights"`` and ``"biases"``.

    Raises
    ------
    DerivationError
        If ``b`` is not a column with one entry per row of ``W``, an entry is
        not exact, the activation is unknown, or the bias options disagree
        with ``b``.
    """

    W: sympy.MatrixBase = LazyField()
    b: sympy.MatrixBase = LazyField()
    # LazyField hides itself from the dataclass, so W and b get no default.
    activation: Activation  # type: ignore[misc]
    bias: str = "per_unit"
    frozen: frozenset[str] = frozenset()

    def __init__(
        self,
        W: object,
        b: object = None,
        activation: Activation | str = "identity",
        *,
        bias: str = "per_unit",
        frozen: Iterable[str] = (),
    ) -> None:
        weights = exact_matrix(W, "weights")
        biases = _biases(b, weights.rows, bias)
        if isinstance(activation, str):
            activation = get_activation(activation)
        if not isinstance(activation, Activation):
            raise DerivationError(
                f"activation: expected an Activation or its name, found {activation!r}"
            )
        frozen_set = frozenset(frozen)
        unknown = sorted(frozen_set - PARAMETER_NAMES)
        if unknown or isinstance(frozen, str):
            raise DerivationError(
                f"frozen: expected a list of 'weights' and 'biases', found {frozen!r}"
            )
        object.__setattr__(self, "W", weights)
        object.__setattr__(self, "b", biases)
        object.__setattr__(self, "activation", activation)
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "frozen", frozen_set)

    @property
    def has_bias(self) -> bool:
        """Whether the layer adds a bias at all."""
        return self.bias != "none"

    def trains(self, parameter: str) -> bool:
        """Whether training updates ``parameter`` (``"weights"`` or ``"biases"``)."""
        if parameter == "biases" and not self.has_bias:
            return False
        return parameter not in self.frozen

    @property
    def units(self) -> int:
        """Number of units, the rows of ``W``."""
        return int(self._weight_shape()[0])

    @property
    def inputs(self) -> int:
        """Number of inputs, the columns of ``W``."""
        return int(self._weight_shape()[1])

    def _weight_shape(self) -> tuple[int, int]:
        # A deferred W knows its shape, so checking widths builds no matrix.
        return stored_value(self, "W").shape

    def with_parameters(self, W: object, b: object) -> Layer:
        """Return the same layer with new weights and biases.

        The engine calls this with matrices it computed itself, so the
        entries are not validated again. ``W`` and ``b`` are SymPy matrices
        or :class:`~derivation.lazy.Deferred` conversions with a shape, and
        are kept as given, because converting every step's parameters costs
        more than the step's arithmetic at small widths.
        """
        layer = object.__new__(Layer)
        object.__setattr__(layer, "W", W)
        object.__setattr__(layer, "b", b)
        object.__setattr__(layer, "activation", self.activation)
        object.__setattr__(layer, "bias", self.bias)
        object.__setattr__(layer, "frozen", self.frozen)
        return layer


@dataclass(frozen=True)
class Network:
    """A stack of dense layers, each fed by the one before.

    Raises
    ------
    DerivationError
        If there are no layers or the widths of two neighbours disagree.
    """

    layers: tuple[Layer, ...]

    def __init__(self, layers: Iterable[Layer]) -> None:
        stack = tuple(layers)
        if not stack:
            raise DerivationError("a network needs at least one layer")
        for number, layer in enumerate(stack, start=1):
            if not isinstance(layer, Layer):
                raise DerivationError(
                    f"layer {number}: expected a Layer, found {layer!r}"
                )
        for number, (before, after) in enumerate(zip(stack, stack[1:]), start=2):
            if after.inputs != before.units:
                raise DerivationError(
                    f"layer {number}: weights: expected {before.units} columns "
                    f"(the units of layer {number - 1}), found {after.inputs}"
                )
        object.__setattr__(self, "layers", stack)

    @property
    def widths(self) -> tuple[int, ...]:
        """Widths from the input to the output, such as ``(1, 2, 2, 1)``."""
        return (self.layers[0].inputs, *(layer.units for layer in self.layers))

    @property
    def inputs(self) -> int:
        """Number of inputs of the first layer."""
        return self.layers[0].inputs

    @property
    def outputs(self) -> int:
        """Number of units of the last layer."""
        return self.layers[-1].units

    def _repr_markdown_(self) -> str:
        """Write the layers as Markdown math, which Jupyter displays rendered."""
        from .render.display import network_markdown

        return network_markdown(self)
