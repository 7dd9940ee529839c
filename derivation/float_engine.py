"""The float64 path: the training run of the exact engine, in NumPy floats.

This module repeats the computation of :mod:`derivation.engine` the way
everyday NumPy code does it, in IEEE double precision, so that
:func:`derivation.compare.compare` can show how far the two drift apart. Both
paths read the same :class:`~derivation.network.Network`: every activation
and loss carries a float evaluation next to its exact one.

Each exact input (weights, biases, ``x``, ``y`` and the learning rate) is
first rounded to the nearest float64, and every operation after that rounds
its result. Data hold one sample per column, a single sample is a NumPy
column shaped ``(n, 1)``, and the names of the recorded values are those of
:mod:`derivation.trace`. Batches, the mean or sum reduction, momentum, weight
decay, the bias modes, frozen parameters, softmax and the combined gradient
``dz = a - y`` of a cross-entropy loss all follow the exact engine.

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

from .engine import data_matrix, schedule
from .errors import DerivationError
from .losses import FloatLossGradient, FloatLossValue, Loss, get_loss
from .network import Layer, Network
from .optimizers import PLAIN, Optimizer
from .quantities import Named, numeric
from .spec import Spec
from .symbols import to_exact_value
from .trace import layer_document

Array = numpy.ndarray


@dataclass(frozen=True)
class FloatLayerStep:
    """The float64 values of one layer in one step, as NumPy arrays.

    The fields mirror :class:`derivation.trace.LayerStep`: ``slope`` is
    ``None`` for softmax, and the velocities ``vW`` and ``vb`` are ``None``
    unless the run uses momentum and the parameter trains.
    """

    W: Array
    b: Array
    a_prev: Array
    z: Array
    a: Array
    da: Array
    slope: Array | None
    dz: Array
    dW: Array
    db: Array
    da_prev: Array
    W_after: Array
    b_after: Array
    vW: Array | None = None
    vb: Array | None = None

    def to_dict(self, number: int) -> dict[str, Any]:
        """Return the layer's values as Python floats, keyed as in the exact JSON."""
        return layer_document(self, number, _array_to_json)


@dataclass(frozen=True)
class FloatStep:
    """One float64 step of gradient descent; mirrors :class:`derivation.trace.Step`.

    ``x`` and ``y`` hold the step's batch, one sample per column, and
    ``samples`` numbers those samples (from 1) when the data hold several.
    """

    number: int
    x: Array
    y: Array
    layers: tuple[FloatLayerStep, ...]
    loss: float
    samples: tuple[int, ...] | None = None

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
        The data rounded to float64, one sample per column.
    loss
        The loss function.
    learning_rate
        The step size ``eta``, rounded to float64.
    steps
        One :class:`FloatStep` per update, in order.
    final_parameters
        ``(W, b)`` of every layer after the last step.
    batch_size, reduction, optimizer
        The batching and update settings, as in the exact trace.
    """

    network: Network
    x: Array
    y: Array
    loss: Loss
    learning_rate: float
    steps: tuple[FloatStep, ...]
    final_parameters: tuple[tuple[Array, Array], ...]
    batch_size: int = 1
    reduction: str = "mean"
    optimizer: Optimizer = PLAIN

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
    """Round an exact value to float64.

    A rational becomes the float64 nearest to it: Python's ``int / int``
    division is correctly rounded (ties to even). A closed form such as
    ``exp(1/2)`` or a named quantity is first evaluated to
    :data:`~derivation.quantities.WORKING_DIGITS` digits, which rounds to
    the nearest float64 except in rare ties.

    Raises
    ------
    DerivationError
        If ``value`` contains symbols, so that it has no number, or its
        magnitude exceeds the float64 range.

    >>> to_float(sympy.Rational(1, 3))
    0.3333333333333333
    >>> to_float(sympy.exp(sympy.Rational(1, 2)))
    1.6487212707001282
    """
    if not isinstance(value, sympy.Rational):
        value = _closed_form_value(value)
    try:
        return int(value.p) / int(value.q)
    except OverflowError:
        # SymPy writes the value to 3 digits whatever its size, as 1.00E+400.
        approximate = str(sympy.Float(value, 3)).lower()
        raise DerivationError(
            f"{approximate} is outside the float64 range "
            "(magnitudes up to about 1.8e308)"
        ) from None


def _closed_form_value(value: object) -> sympy.Rational:
    """Return the exact binary value of a closed form evaluated numerically."""
    if not isinstance(value, sympy.Expr) or value.free_symbols - value.atoms(Named):
        raise DerivationError(
            f"{value} is not a number: the float path needs numbers, not symbols"
        )
    approximation = numeric(value)
    if not isinstance(approximation, sympy.Float):
        raise DerivationError(f"{value} is not a real number")
    return sympy.Rational(approximation)


def to_float_array(matrix: sympy.Matrix) -> Array:
    """Round every entry of an exact matrix to float64, keeping its shape."""
    rows = [[to_float(entry) for entry in row] for row in matrix.tolist()]
    return numpy.array(rows, dtype=numpy.float64).reshape(matrix.shape)


@dataclass(frozen=True)
class _FloatSettings:
    """The settings of a float64 step besides the network and the data."""

    eta: float
    loss: Loss
    optimizer: Optimizer
    mean: bool


def train_float(
    network: Network,
    x: object,
    y: object,
    *,
    loss: Loss | str = "half_squared_error",
    learning_rate: object,
    steps: int | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    reduction: str = "mean",
    optimizer: Optimizer | None = None,
) -> FloatTrace:
    """Train ``network`` in float64 and record every value.

    Takes the same arguments as :func:`derivation.engine.train` (without
    the exact path's rounding and digit limit) and repeats its computation
    after rounding each exact input to float64.

    Parameters
    ----------
    network
        The network before training, with exact parameters.
    x, y
        The data: one sample as a flat list (or a column), or several
        samples as a list of rows, one row per sample (or a matrix with one
        sample per column).
    loss
        A :class:`Loss` or its name.
    learning_rate
        The step size, as an exact value such as ``"0.01"``.
    steps, epochs, batch_size, reduction, optimizer
        As in :func:`derivation.engine.train`.

    Raises
    ------
    DerivationError
        If the shapes of ``x`` or ``y`` do not fit the network, a value is not
        a number or too large for float64, a count or an option is invalid,
        or an activation or the loss has no float evaluation.
    """
    x_exact = data_matrix(x, network.inputs, "x")
    y_exact = data_matrix(y, network.outputs, "y")
    if x_exact.cols != y_exact.cols:
        raise DerivationError(
            f"y: expected {x_exact.cols} samples (as many as x), found {y_exact.cols}"
        )
    x_data, y_data = to_float_array(x_exact), to_float_array(y_exact)
    eta = to_float(to_exact_value(learning_rate))
    if isinstance(loss, str):
        loss = get_loss(loss)
    batches, total, optimizer = schedule(
        x_exact.cols, steps, epochs, batch_size, reduction, optimizer
    )
    _float_loss(loss)

    parameters = tuple(
        (to_float_array(layer.W), to_float_array(layer.b)) for layer in network.layers
    )
    records: list[FloatStep] = []
    # Overflow leaves inf or nan entries in the trace, which the comparison
    # reports, so NumPy's warnings about it would only repeat that.
    with numpy.errstate(over="ignore", invalid="ignore", under="ignore"):
        for number in range(1, total + 1):
            batch = batches[(number - 1) % len(batches)]
            velocity = None
            if optimizer.uses_momentum and records:
                velocity = [(layer.vW, layer.vb) for layer in records[-1].layers]
            step = float_gradient_step(
                network.layers,
                parameters,
                x_data[:, list(batch)],
                y_data[:, list(batch)],
                loss,
                eta,
                number,
                optimizer=optimizer,
                reduction=reduction,
                velocity=velocity,
                samples=(tuple(i + 1 for i in batch) if x_exact.cols > 1 else None),
            )
            records.append(step)
            parameters = tuple((layer.W_after, layer.b_after) for layer in step.layers)
    return FloatTrace(
        network=network,
        x=x_data,
        y=y_data,
        loss=loss,
        learning_rate=eta,
        steps=tuple(records),
        final_parameters=parameters,
        batch_size=len(batches[0]),
        reduction=reduction,
        optimizer=optimizer,
    )


def float_forward(
    layers: tuple[Layer, ...],
    parameters: tuple[tuple[Array, Array], ...],
    x: Array,
) -> list[tuple[Array, Array, Array]]:
    """Run the float64 forward pass and return ``(a_prev, z, a)`` for every layer.

    ``x`` has one sample per column. The biases are added to every column,
    and a layer without bias adds nothing.
    """
    values = []
    a = x
    for layer, (W, b) in zip(layers, parameters):
        z = W @ a
        if layer.has_bias:
            z = z + b
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
    *,
    optimizer: Optimizer = PLAIN,
    reduction: str = "mean",
    velocity: list[tuple[Array | None, Array | None]] | None = None,
    samples: tuple[int, ...] | None = None,
) -> FloatStep:
    """Take one float64 step of gradient descent and record every value.

    ``layers`` supplies the activations and ``parameters`` the current
    ``(W, b)`` of each layer; ``x`` and ``y`` hold one sample per column.
    As in the exact engine, the backward pass uses the weights from before
    the update throughout. ``velocity`` holds each layer's ``(vW, vb)`` from
    the previous step under momentum, and ``samples`` numbers the samples of
    the batch for the record.

    Raises
    ------
    DerivationError
        If the loss or an activation has no float evaluation.
    """
    settings = _FloatSettings(learning_rate, loss, optimizer, reduction == "mean")
    values = float_forward(layers, parameters, x)
    output = values[-1][2]
    loss_value, da = _float_output(loss, output, y, settings.mean)
    factor = 1.0 / x.shape[1] if settings.mean else 1.0
    previous = velocity or [(None, None)] * len(layers)

    records: list[FloatLayerStep] = []
    backward = list(zip(layers, parameters, values, previous))
    for index, (layer, (W, b), (a_prev, z, a), old) in reversed(
        list(enumerate(backward))
    ):
        target = y if index == len(layers) - 1 else None
        slope, dz = _float_local_gradient(layer, z, a, da, target, loss)
        dW = factor * (dz @ a_prev.T)
        db = _float_bias_gradient(layer, dz, factor)
        da_prev = W.T @ dz
        W_after, vW = _float_update(W, dW, old[0], "weights", layer, settings)
        b_after, vb = _float_update(b, db, old[1], "biases", layer, settings)
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
                db=db,
                da_prev=da_prev,
                W_after=W_after,
                b_after=b_after,
                vW=vW,
                vb=vb,
            )
        )
        da = da_prev
    records.reverse()
    return FloatStep(
        number=number,
        x=x,
        y=y,
        layers=tuple(records),
        loss=loss_value,
        samples=samples,
    )


def _float_output(
    loss: Loss, output: Array, y: Array, mean: bool
) -> tuple[float, Array]:
    """Return the batch loss and each sample's dl/da, one column per sample."""
    loss_value, loss_gradient = _float_loss(loss)
    columns = range(y.shape[1])
    total = sum(loss_value(output[:, [k]], y[:, [k]]) for k in columns)
    if mean:
        total = total / y.shape[1]
    gradient = numpy.hstack([loss_gradient(output[:, [k]], y[:, [k]]) for k in columns])
    return float(total), gradient


def _float_local_gradient(
    layer: Layer, z: Array, a: Array, da: Array, target: Array | None, loss: Loss
) -> tuple[Array | None, Array]:
    """Return the activation's derivative (``None`` for softmax) and dl/dz."""
    activation = layer.activation
    slope = None if not activation.elementwise else activation.float_derivative(z)
    if target is not None and loss.combines_with(activation.name):
        # The loss's gradient and the activation's derivative cancel.
        return slope, a - target
    if slope is None:
        # The softmax Jacobian diag(a) - a a^T applied to each column.
        inner = numpy.sum(a * da, axis=0, keepdims=True)
        return slope, a * (da - inner)
    return slope, da * slope


def _float_bias_gradient(layer: Layer, dz: Array, factor: float) -> Array:
    """Return dL/db: per unit a column, for a shared bias a 1x1 sum."""
    if layer.bias == "shared":
        return factor * numpy.sum(dz, keepdims=True)
    return factor * numpy.sum(dz, axis=1, keepdims=True)


def _float_update(
    parameter: Array,
    gradient: Array,
    previous: Array | None,
    name: str,
    layer: Layer,
    settings: _FloatSettings,
) -> tuple[Array, Array | None]:
    """Return a parameter after the update, and its velocity under momentum."""
    if not layer.trains(name):
        return parameter, None
    optimizer = settings.optimizer
    step = gradient
    if name == "weights" and optimizer.decays:
        step = step + to_float(optimizer.weight_decay) * parameter
    velocity = None
    if optimizer.uses_momentum:
        if previous is not None:
            step = to_float(optimizer.momentum) * previous + step
        velocity = step
    if name == "biases" and layer.bias == "shared":
        step = numpy.ones((layer.units, 1)) * step
    return parameter - settings.eta * step, velocity


def solve_float(spec: Spec) -> FloatTrace:
    """Train the network of a loaded spec in float64 with the spec's settings."""
    return train_float(
        spec.network,
        spec.x,
        spec.y,
        loss=spec.loss,
        learning_rate=spec.learning_rate,
        steps=spec.steps,
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        reduction=spec.reduction,
        optimizer=spec.optimizer,
    )


def _float_loss(loss: Loss) -> tuple[FloatLossValue, FloatLossGradient]:
    """Return the float evaluations of ``loss``, or raise if it has none."""
    if loss.float_value is None or loss.float_gradient is None:
        raise DerivationError(f"loss {loss.name!r} has no float evaluation")
    return loss.float_value, loss.float_gradient


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
