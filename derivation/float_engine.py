"""The float64 path: the training run of the exact engine, in NumPy floats.

This module repeats the computation of :mod:`derivation.engine` the way
everyday NumPy code does it, in IEEE double precision, so that
:func:`derivation.compare.compare` can show how far the two drift apart. Both
paths read the same :class:`~derivation.network.Network`: every activation
and loss carries a float evaluation next to its exact one.

Each exact input (weights, biases, ``x``, ``y`` and the learning rate) is
first rounded to the nearest float64, and every operation after that rounds
its result. Vectors are NumPy columns shaped ``(n, 1)``, and the names of the
recorded values are those of :mod:`derivation.trace`.

>>> from derivation.network import Layer, Network
>>> net = Network([Layer([[2]], [0], "identity")])
>>> trace = train_float(net, x=[1], y=[3], learning_rate="1/2", steps=1)
>>> trace.steps[0].loss, trace.steps[0].layers[0].dW
(0.5, array([[-1.]]))
>>> trace.final_parameters[0][0]
array([[2.5]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy
import sympy

from .errors import DerivationError
from .losses import FloatLossGradient, FloatLossValue, Loss, get_loss
from .network import Layer, Network, exact_matrix
from .numbers import to_exact
from .spec import Spec
from .trace import JSON_KEYS, ROW_FIELDS

Array = numpy.ndarray


@dataclass(frozen=True)
class FloatLayerStep:
    """The float64 values of one layer in one step, as NumPy arrays.

    The fields mirror :class:`derivation.trace.LayerStep`.
    """

    W: Array
    b: Array
    a_prev: Array
    z: Array
    a: Array
    da: Array
    slope: Array
    dz: Array
    dW: Array
    db: Array
    da_prev: Array
    W_after: Array
    b_after: Array

    def to_dict(self, number: int) -> dict[str, Any]:
        """Return the layer's values as Python floats, keyed as in the exact JSON."""
        return {"layer": number} | {
            key: _array_to_json(getattr(self, field), as_rows=field in ROW_FIELDS)
            for field, key in JSON_KEYS.items()
        }


@dataclass(frozen=True)
class FloatStep:
    """One float64 step of gradient descent; mirrors :class:`derivation.trace.Step`."""

    number: int
    x: Array
    y: Array
    layers: tuple[FloatLayerStep, ...]
    loss: float

    @property
    def output(self) -> Array:
        """The network output ``a`` of the last layer."""
        return self.layers[-1].a

    def to_dict(self) -> dict[str, Any]:
        """Return the step as JSON-ready data with Python floats."""
        return {
            "step": self.number,
            "loss": _float_to_json(self.loss),
            "layers": [
                layer.to_dict(number)
                for number, layer in enumerate(self.layers, start=1)
            ],
        }


@dataclass(frozen=True)
class FloatTrace:
    """A whole float64 training run; mirrors :class:`derivation.trace.Trace`.

    Attributes
    ----------
    network
        The exact network before the first step, whose parameters were
        rounded to float64 to start this run.
    x, y
        The input and the target, rounded to float64 columns.
    loss
        The loss function.
    learning_rate
        The step size ``eta``, rounded to float64.
    steps
        One :class:`FloatStep` per update, in order.
    final_parameters
        ``(W, b)`` of every layer after the last step.
    """

    network: Network
    x: Array
    y: Array
    loss: Loss
    learning_rate: float
    steps: tuple[FloatStep, ...]
    final_parameters: tuple[tuple[Array, Array], ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the run as JSON-ready data with Python floats.

        The keys are those of :meth:`derivation.trace.Trace.to_dict`, except
        that ``network`` contains the float64 parameters the run started from.
        Non-finite values (after an overflow) become the strings ``"inf"``,
        ``"-inf"`` and ``"nan"``.
        """
        first = self.steps[0].layers
        return {
            "network": {
                "inputs": self.network.inputs,
                "layers": [
                    {
                        "activation": layer.activation.name,
                        "W": _array_to_json(record.W, as_rows=True),
                        "b": _array_to_json(record.b),
                    }
                    for layer, record in zip(self.network.layers, first)
                ],
            },
            "x": _array_to_json(self.x),
            "y": _array_to_json(self.y),
            "loss": self.loss.name,
            "learning_rate": _float_to_json(self.learning_rate),
            "steps": [step.to_dict() for step in self.steps],
            "final": [
                {"W": _array_to_json(W, as_rows=True), "b": _array_to_json(b)}
                for W, b in self.final_parameters
            ],
        }


def to_float(value: sympy.Expr) -> float:
    """Round an exact rational to the nearest float64.

    Python's ``int / int`` division is correctly rounded, so the result is
    the float64 nearest to ``value`` (ties to even).

    Raises
    ------
    DerivationError
        If ``value`` is not rational or its magnitude exceeds the float64 range.

    >>> to_float(sympy.Rational(1, 3))
    0.3333333333333333
    """
    if not isinstance(value, sympy.Rational):
        raise DerivationError(f"{value} is not a rational number")
    try:
        return int(value.p) / int(value.q)
    except OverflowError:
        # SymPy writes the value to 3 digits whatever its size, as 1.00E+400.
        approximate = str(sympy.Float(value, 3)).lower()
        raise DerivationError(
            f"{approximate} is outside the float64 range "
            "(magnitudes up to about 1.8e308)"
        ) from None


def to_float_array(matrix: sympy.Matrix) -> Array:
    """Round every entry of an exact matrix to float64, keeping its shape."""
    rows = [[to_float(entry) for entry in row] for row in matrix.tolist()]
    return numpy.array(rows, dtype=numpy.float64).reshape(matrix.shape)


def train_float(
    network: Network,
    x: object,
    y: object,
    *,
    loss: Loss | str = "half_squared_error",
    learning_rate: object,
    steps: int = 1,
) -> FloatTrace:
    """Train ``network`` on one sample in float64 and record every value.

    Takes the same arguments as :func:`derivation.engine.train` and repeats
    its computation after rounding each exact input to float64.

    Parameters
    ----------
    network
        The network before training, with exact parameters.
    x, y
        The input and the target, as flat lists (or columns) of exact values.
    loss
        A :class:`Loss` or its name.
    learning_rate
        The step size, as an exact value such as ``"0.01"``.
    steps
        How many updates to take, at least 1.

    Raises
    ------
    DerivationError
        If the shapes of ``x`` or ``y`` do not fit the network, a value is not
        exact or too large for float64, ``steps`` is not a positive integer,
        or an activation or the loss has no float evaluation.
    """
    x_column = to_float_array(_exact_column(x, network.inputs, "x"))
    y_column = to_float_array(_exact_column(y, network.outputs, "y"))
    eta = to_float(to_exact(learning_rate))
    if isinstance(loss, str):
        loss = get_loss(loss)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise DerivationError(f"steps must be a positive integer, not {steps!r}")
    _float_loss(loss)

    parameters = tuple(
        (to_float_array(layer.W), to_float_array(layer.b)) for layer in network.layers
    )
    records = []
    # Overflow leaves inf or nan entries in the trace, which the comparison
    # reports, so NumPy's warnings about it would only repeat that.
    with numpy.errstate(over="ignore", invalid="ignore", under="ignore"):
        for number in range(1, steps + 1):
            step = float_gradient_step(
                network.layers, parameters, x_column, y_column, loss, eta, number
            )
            records.append(step)
            parameters = tuple((layer.W_after, layer.b_after) for layer in step.layers)
    return FloatTrace(
        network=network,
        x=x_column,
        y=y_column,
        loss=loss,
        learning_rate=eta,
        steps=tuple(records),
        final_parameters=parameters,
    )


def float_forward(
    layers: tuple[Layer, ...],
    parameters: tuple[tuple[Array, Array], ...],
    x: Array,
) -> list[tuple[Array, Array, Array]]:
    """Run the float64 forward pass and return ``(a_prev, z, a)`` for every layer."""
    values = []
    a = x
    for layer, (W, b) in zip(layers, parameters):
        z = W @ a + b
        a_prev, a = a, layer.activation.float_value(z)
        values.append((a_prev, z, a))
    return values


def float_gradient_step(
    layers: tuple[Layer, ...],
    parameters: tuple[tuple[Array, Array], ...],
    x: Array,
    y: Array,
    loss: Loss,
    learning_rate: float,
    number: int = 1,
) -> FloatStep:
    """Take one float64 step of gradient descent and record every value.

    ``layers`` supplies the activations and ``parameters`` the current
    ``(W, b)`` of each layer. As in the exact engine, the backward pass uses
    the weights from before the update throughout.

    Raises
    ------
    DerivationError
        If the loss or an activation has no float evaluation.
    """
    loss_value, loss_gradient = _float_loss(loss)
    values = float_forward(layers, parameters, x)
    output = values[-1][2]
    da = loss_gradient(output, y)

    records: list[FloatLayerStep] = []
    backward = list(zip(layers, parameters, values))
    for layer, (W, b), (a_prev, z, a) in reversed(backward):
        slope = layer.activation.float_derivative(z)
        dz = da * slope
        dW = dz @ a_prev.T
        da_prev = W.T @ dz
        records.append(
            FloatLayerStep(
                W=W,
                b=b,
                a_prev=a_prev,
                z=z,
                a=a,
                da=da,
                slope=slope,
                dz=dz,
                dW=dW,
                db=dz,
                da_prev=da_prev,
                W_after=W - learning_rate * dW,
                b_after=b - learning_rate * dz,
            )
        )
        da = da_prev
    records.reverse()
    return FloatStep(
        number=number,
        x=x,
        y=y,
        layers=tuple(records),
        loss=loss_value(output, y),
    )


def solve_float(spec: Spec) -> FloatTrace:
    """Train the network of a loaded spec in float64 with the spec's settings."""
    return train_float(
        spec.network,
        spec.x,
        spec.y,
        loss=spec.loss,
        learning_rate=spec.learning_rate,
        steps=spec.steps,
    )


def _float_loss(loss: Loss) -> tuple[FloatLossValue, FloatLossGradient]:
    """Return the float evaluations of ``loss``, or raise if it has none."""
    if loss.float_value is None or loss.float_gradient is None:
        raise DerivationError(f"loss {loss.name!r} has no float evaluation")
    return loss.float_value, loss.float_gradient


def _exact_column(values: object, length: int, name: str) -> sympy.Matrix:
    column = exact_matrix(values, name)
    if column.shape != (length, 1):
        raise DerivationError(
            f"{name}: expected {length} values, found a "
            f"{column.rows}x{column.cols} matrix"
        )
    return column


def _array_to_json(array: Array, as_rows: bool = False) -> list[Any]:
    """Write a column as a flat list and any other array (or ``as_rows``) as rows."""
    if array.shape[1] == 1 and not as_rows:
        return [_float_to_json(value) for value in array[:, 0]]
    return [[_float_to_json(value) for value in row] for row in array]


def _float_to_json(value: float) -> float | str:
    number = float(value)
    if numpy.isfinite(number):
        return number
    return str(number)
