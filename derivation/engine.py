"""Exact forward pass, backward pass and gradient-descent update.

Every value stays exact, so the trace it returns is the true solution, not an
approximation. The equations and the names used for their terms are those
listed in :mod:`derivation.trace`.

The arithmetic runs on python-flint matrices where it can (see
:mod:`derivation.backend`): each layer of each step is computed with flint
when its values are rational and its activation has rational forms, and with
plain SymPy matrices otherwise. The trace holds every recorded value as a
``sympy.Matrix`` with ``Rational`` entries, converted from flint on its
first read, so a step whose values are never read costs no conversion.

Exact values grow with every step. Each recorded value is measured, and
training stops with a :class:`~derivation.errors.LimitError` when a numerator
or denominator gets longer than ``max_digits`` digits; a
:class:`~derivation.growth.RoundingPolicy` keeps them short (see
:mod:`derivation.growth`).

>>> from derivation.network import Layer
>>> net = Network([Layer([[2]], [0], "identity")])
>>> trace = train(net, x=[1], y=[3], learning_rate="1/2", steps=1)
>>> trace.steps[0].loss, trace.steps[0].layers[0].dW
(1/2, Matrix([[-1]]))
>>> trace.final_network.layers[0].W
Matrix([[5/2]])
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

import sympy

from .activations import softmax_backward
from .backend import FLINT, GENERAL, is_rational
from .errors import DerivationError
from .growth import DEFAULT_MAX_DIGITS, DigitLimit, RoundingPolicy, check_max_digits
from .lazy import Deferred, stored_value
from .losses import PROBABILITY_LOSSES, Loss, check_outputs, check_targets, get_loss
from .network import Layer, Network, exact_matrix
from .optimizers import PLAIN, Optimizer
from .quantities import Names
from .spec import Spec
from .symbols import is_symbolic, to_exact_value
from .trace import LayerStep, Step, Trace

# The values a step carries over to the next one; a rounding policy with
# when="step" rounds only these.
_PARAMETERS = frozenset({"W_after", "b_after"})


@dataclass(frozen=True)
class _Value:
    """A recorded value: its SymPy matrix and the same value in an arithmetic.

    ``recorded`` is the SymPy matrix, or a :class:`Deferred` that builds it
    from ``native`` when first read.
    """

    recorded: Any
    native: Any
    arithmetic: Any

    @property
    def matrix(self) -> Any:
        """The value as a SymPy matrix, built now if it was deferred."""
        recorded = self.recorded
        if isinstance(recorded, Deferred):
            return recorded.value()
        return recorded

    def native_in(self, arithmetic: Any) -> Any:
        """Return the value in ``arithmetic``'s form, converting if needed."""
        if arithmetic is self.arithmetic:
            return self.native
        return arithmetic.take(self.matrix)

    def moved_to(self, arithmetic: Any) -> _Value:
        """Return the value held in ``arithmetic``'s form, converted once."""
        if arithmetic is self.arithmetic:
            return self
        return _Value(self.recorded, arithmetic.take(self.matrix), arithmetic)

    @property
    def rational(self) -> bool:
        """Whether every entry is rational."""
        return self.arithmetic is FLINT or is_rational(self.matrix)


def _given(matrix: sympy.Matrix) -> _Value:
    """Wrap a matrix that the caller supplied, such as ``x`` or a layer's ``W``."""
    return _Value(matrix, matrix, GENERAL)


# The updated parameters of the previous step of a running :func:`train`,
# keyed by the id of their recorded SymPy matrix or Deferred, so that the next
# step does not convert them back from SymPy. Only ``train`` sets it, for the
# length of one run. The stored values keep the recorded objects alive, so an
# id cannot be reused for another object while it is stored.
_CARRIED: ContextVar[dict[int, _Value] | None] = ContextVar(
    "derivation_carried_parameters", default=None
)


def _parameter(layer: Layer, name: str) -> _Value:
    """Return the layer's ``W`` or ``b`` (by ``name``), carried over if possible."""
    stored = stored_value(layer, name)
    carried = _CARRIED.get()
    if carried is not None:
        value = carried.get(id(stored))
        if value is not None and value.recorded is stored:
            return value
    return _given(getattr(layer, name))


@dataclass(frozen=True)
class _LayerPass:
    """The forward values of one layer and the arithmetic that computed them."""

    layer: Layer
    W: _Value
    b: _Value
    a_prev: _Value
    z: _Value
    a: _Value
    arithmetic: Any


# The named quantities of a running :func:`train`, so that every step names
# long values in one sequence. Outside ``train`` each step has its own.
_NAMES: ContextVar[Names | None] = ContextVar("derivation_names", default=None)


class _Recorder:
    """Rounds, measures, shortens and records the values of one step.

    Parameters
    ----------
    number
        The step number, counted from 1, for messages.
    rounding
        The rounding policy, or ``None`` to keep every value exact.
    limit
        The digit limit, or ``None`` for no limit.
    names
        Where long transcendental values get their names.
    """

    def __init__(
        self,
        number: int,
        rounding: RoundingPolicy | None,
        limit: DigitLimit | None,
        names: Names | None = None,
    ) -> None:
        self.number = number
        self.rounding = rounding
        self.limit = limit
        self.names = names or _NAMES.get() or Names()

    def _rounding_for(self, quantity: str) -> RoundingPolicy | None:
        rounding = self.rounding
        if rounding is None:
            return None
        if rounding.every_operation or quantity in _PARAMETERS:
            return rounding
        return None

    def keep(self, arithmetic: Any, native: Any, quantity: str, layer: int) -> _Value:
        """Round and measure a computed matrix, and return it as a value.

        Raises
        ------
        LimitError
            If an entry is longer than the digit limit allows.
        """
        finished = arithmetic.finish(native, self._rounding_for(quantity))
        if arithmetic is GENERAL and not finished.entries:
            # Not all rational: keep each entry short by naming long ones.
            short = self.names.shorten_matrix(finished.matrix)
            return _Value(short, short, GENERAL)
        if self.limit is not None:
            self.limit.check(
                finished.entries, finished.height_bits, quantity, self.number, layer
            )
        return _Value(finished.matrix, finished.native, arithmetic)

    def keep_loss(self, arithmetic: Any, value: Any) -> sympy.Expr:
        """Round and measure the loss, and return it as a SymPy scalar."""
        finished = arithmetic.finish_scalar(value, self._rounding_for("loss"))
        if not finished.entries:
            return self.names.shorten(finished.matrix)
        if self.limit is not None:
            self.limit.check(
                finished.entries, finished.height_bits, "loss", self.number, None
            )
        return finished.matrix


def _layer_arithmetic(
    layer: Layer, W: _Value, b: _Value, a_prev: _Value, eta: sympy.Expr
) -> Any:
    """Choose the flint arithmetic for a layer whose values allow it."""
    if (
        FLINT is not None
        and FLINT.supports(layer.activation)
        and isinstance(eta, sympy.Rational)
        and W.rational
        and b.rational
        and a_prev.rational
    ):
        return FLINT
    return GENERAL


@lru_cache(maxsize=64)
def _ones_matrix(rows: int, cols: int) -> sympy.ImmutableMatrix:
    """Return an immutable matrix of ones, shared by every caller."""
    return sympy.ImmutableMatrix.ones(rows, cols)


def _ones(arithmetic: Any, rows: int, cols: int) -> Any:
    """Return a matrix of ones in ``arithmetic``'s form.

    The shared immutable matrix lets the flint arithmetic reuse its
    conversion instead of converting a new matrix on every call.
    """
    return arithmetic.take(_ones_matrix(rows, cols))


def _forward(
    network: Network, x: _Value, eta: sympy.Expr, recorder: _Recorder
) -> list[_LayerPass]:
    """Run the forward pass; ``eta`` decides, with the values, each arithmetic.

    ``x`` has one sample per column; the biases are added to every column.
    """
    passes = []
    a_prev = x
    samples = x.matrix.cols
    for index, layer in enumerate(network.layers, start=1):
        W, b = _parameter(layer, "W"), _parameter(layer, "b")
        arithmetic = _layer_arithmetic(layer, W, b, a_prev, eta)
        # The backward pass reads these again, so they are converted once here.
        W, b = W.moved_to(arithmetic), b.moved_to(arithmetic)
        a_prev = a_prev.moved_to(arithmetic)
        z_native = W.native * a_prev.native
        if layer.has_bias:
            spread = b.native
            if samples > 1:
                spread = spread * _ones(arithmetic, 1, samples)
            z_native = z_native + spread
        z = recorder.keep(arithmetic, z_native, "z", index)
        if layer.activation.is_identity:
            a = z
        else:
            a_native = arithmetic.activate(layer.activation, z.native)
            a = recorder.keep(arithmetic, a_native, "a", index)
        passes.append(_LayerPass(layer, W, b, a_prev, z, a, arithmetic))
        a_prev = a
    return passes


def forward(
    network: Network, x: sympy.Matrix
) -> list[tuple[sympy.Matrix, sympy.Matrix, sympy.Matrix]]:
    """Run the forward pass and return ``(a_prev, z, a)`` for every layer.

    ``x`` is a column, or a matrix with one sample per column. The values
    are exact: no rounding and no digit limit apply.
    """
    recorder = _Recorder(1, None, None)
    passes = _forward(network, _given(x), sympy.Integer(0), recorder)
    return [(p.a_prev.matrix, p.z.matrix, p.a.matrix) for p in passes]


def _output_gradient(
    passes: list[_LayerPass],
    y: _Value,
    loss: Loss,
    mean: bool,
    recorder: _Recorder,
) -> tuple[sympy.Expr, _Value]:
    """Return the loss and dl/da of each sample's output, as columns.

    The loss is the mean of the samples' losses, or their sum without
    ``mean``. The gradient is each sample's own, without the 1/B of a mean.
    """
    output = passes[-1].a
    samples = y.matrix.cols
    # Checked only for cross-entropy, since reading the output as SymPy
    # converts it from flint.
    if loss.name in PROBABILITY_LOSSES:
        try:
            check_outputs(loss, output.matrix, y.matrix)
        except DerivationError as error:
            raise DerivationError(f"step {recorder.number}: {error}") from None
    if samples > 1:
        return _batch_output_gradient(output, y, loss, mean, recorder, len(passes))
    arithmetic = output.arithmetic
    if arithmetic is FLINT and not (FLINT.supports_loss(loss) and y.rational):
        arithmetic = GENERAL
    a_native = output.native_in(arithmetic)
    y_native = y.native_in(arithmetic)
    value = recorder.keep_loss(
        arithmetic, arithmetic.loss_value(loss, a_native, y_native)
    )
    gradient = arithmetic.loss_gradient(loss, a_native, y_native)
    return value, recorder.keep(arithmetic, gradient, "da", len(passes))


def _batch_output_gradient(
    output: _Value,
    y: _Value,
    loss: Loss,
    mean: bool,
    recorder: _Recorder,
    layer: int,
) -> tuple[sympy.Expr, _Value]:
    """Return the loss and gradient of a batch, one sample per column."""
    a_matrix, y_matrix = output.matrix, y.matrix
    value = recorder.keep_loss(GENERAL, loss.batch_value(a_matrix, y_matrix, mean))
    gradient = loss.column_gradients(a_matrix, y_matrix)
    return value, recorder.keep(GENERAL, gradient, "da", layer)


@dataclass(frozen=True)
class _StepSettings:
    """The settings of a step besides the network and the data."""

    eta: sympy.Expr
    loss: Loss
    optimizer: Optimizer
    mean: bool
    samples: int

    @cached_property
    def factor(self) -> sympy.Rational:
        """The factor of the summed gradients: 1/B for a mean, 1 for a sum."""
        return sympy.Rational(1, self.samples) if self.mean else sympy.Integer(1)


def _scaled(arithmetic: Any, native: Any, factor: sympy.Rational) -> Any:
    if factor == 1:
        return native
    return arithmetic.scalar(factor) * native


def _local_gradient(
    layer_pass: _LayerPass,
    index: int,
    da: _Value,
    target: _Value | None,
    settings: _StepSettings,
    recorder: _Recorder,
) -> tuple[_Value | None, _Value]:
    """Return the activation's derivative (``None`` for softmax) and dl/dz."""
    arithmetic = layer_pass.arithmetic
    activation = layer_pass.layer.activation
    z = layer_pass.z.native_in(arithmetic)
    slope = None
    if activation.is_identity:
        # The identity's derivative is all ones: nothing to round or measure.
        ones = _ones_matrix(layer_pass.layer.units, settings.samples)
        slope = _Value(ones, ones, GENERAL)
    elif activation.elementwise:
        slope = recorder.keep(
            arithmetic, arithmetic.slope(activation, z), "slope", index
        )
    if target is not None and settings.loss.combines_with(activation.name):
        # The loss's gradient and the activation's derivative cancel.
        a = layer_pass.a.native_in(arithmetic)
        dz = recorder.keep(arithmetic, a - target.native_in(arithmetic), "dz", index)
    elif activation.is_identity:
        dz = da
    elif slope is None:
        product = softmax_backward(layer_pass.a.matrix, da.matrix)
        dz = recorder.keep(GENERAL, product, "dz", index).moved_to(arithmetic)
    else:
        product = arithmetic.hadamard(da.native_in(arithmetic), slope.native)
        dz = recorder.keep(arithmetic, product, "dz", index)
    return slope, dz


def _backward(
    layer_pass: _LayerPass,
    index: int,
    da: _Value,
    target: _Value | None,
    velocity: tuple[Any, Any],
    settings: _StepSettings,
    recorder: _Recorder,
) -> tuple[LayerStep, tuple[_Value, _Value, _Value]]:
    """Compute the gradients and the update of one layer from dl/da.

    ``target`` is given for the output layer only. ``velocity`` contains the
    previous step's velocities of ``W`` and ``b`` (``None`` before the first
    momentum step). Returns the layer's record and the values that the
    step passes on: dl/da of the layer's input and the updated weights and
    biases.
    """
    if layer_pass.arithmetic is FLINT and not da.rational:
        # A closed form came back from a later layer: finish in SymPy.
        layer_pass = replace(layer_pass, arithmetic=GENERAL)
    arithmetic = layer_pass.arithmetic
    layer = layer_pass.layer
    W = layer_pass.W.native_in(arithmetic)
    a_prev = layer_pass.a_prev.native_in(arithmetic)
    slope, dz = _local_gradient(layer_pass, index, da, target, settings, recorder)
    dz_native = dz.native_in(arithmetic)
    factor = settings.factor
    dW_native = _scaled(arithmetic, dz_native * arithmetic.transpose(a_prev), factor)
    dW = recorder.keep(arithmetic, dW_native, "dW", index)
    db = _bias_gradient(layer, arithmetic, dz, settings, recorder, index)
    da_prev_native = arithmetic.transpose(W) * dz_native
    da_prev = recorder.keep(arithmetic, da_prev_native, "da_prev", index)
    W_after, vW = _update(
        layer_pass.W,
        dW,
        velocity[0],
        "weights",
        layer,
        arithmetic,
        settings,
        recorder,
        index,
    )
    b_after, vb = _update(
        layer_pass.b,
        db,
        velocity[1],
        "biases",
        layer,
        arithmetic,
        settings,
        recorder,
        index,
    )
    return LayerStep(
        W=layer_pass.W.recorded,
        b=layer_pass.b.recorded,
        a_prev=layer_pass.a_prev.recorded,
        z=layer_pass.z.recorded,
        a=layer_pass.a.recorded,
        da=da.recorded,
        slope=None if slope is None else slope.recorded,
        dz=dz.recorded,
        dW=dW.recorded,
        db=db.recorded,
        da_prev=da_prev.recorded,
        W_after=W_after.recorded,
        b_after=b_after.recorded,
        vW=None if vW is None else vW.recorded,
        vb=None if vb is None else vb.recorded,
    ), (da_prev, W_after, b_after)


def _bias_gradient(
    layer: Layer,
    arithmetic: Any,
    dz: _Value,
    settings: _StepSettings,
    recorder: _Recorder,
    index: int,
) -> _Value:
    """Return dL/db: per unit a column, for a shared bias a 1x1 sum."""
    dz_native = dz.native_in(arithmetic)
    units, samples = layer.units, settings.samples
    if layer.bias == "shared":
        total = _ones(arithmetic, 1, units) * dz_native * _ones(arithmetic, samples, 1)
        return recorder.keep(
            arithmetic, _scaled(arithmetic, total, settings.factor), "db", index
        )
    if samples == 1 and settings.factor == 1:
        return dz
    summed = dz_native * _ones(arithmetic, samples, 1)
    return recorder.keep(
        arithmetic, _scaled(arithmetic, summed, settings.factor), "db", index
    )


def _update(
    parameter: _Value,
    gradient: _Value,
    previous: Any,
    name: str,
    layer: Layer,
    arithmetic: Any,
    settings: _StepSettings,
    recorder: _Recorder,
    index: int,
) -> tuple[_Value, _Value | None]:
    """Return a parameter after the update, and its velocity under momentum."""
    if not layer.trains(name):
        return parameter, None
    quantity = "W_after" if name == "weights" else "b_after"
    optimizer = settings.optimizer
    current = parameter.native_in(arithmetic)
    step = gradient.native_in(arithmetic)
    if name == "weights" and optimizer.decays:
        step = step + arithmetic.scalar(optimizer.weight_decay) * current
    velocity = None
    if optimizer.uses_momentum:
        if previous is not None:
            step = (
                arithmetic.scalar(optimizer.momentum) * arithmetic.take(previous) + step
            )
        velocity_name = "vW" if name == "weights" else "vb"
        velocity = recorder.keep(arithmetic, step, velocity_name, index)
        step = velocity.native
    if name == "biases" and layer.bias == "shared":
        step = _ones(arithmetic, layer.units, 1) * step
    after = current - arithmetic.scalar(settings.eta) * step
    return recorder.keep(arithmetic, after, quantity, index), velocity


def gradient_step(
    network: Network,
    x: sympy.Matrix,
    y: sympy.Matrix,
    loss: Loss,
    learning_rate: sympy.Expr,
    number: int = 1,
    *,
    rounding: RoundingPolicy | None = None,
    max_digits: int | None = DEFAULT_MAX_DIGITS,
    optimizer: Optimizer = PLAIN,
    reduction: str = "mean",
    velocity: Sequence[tuple[Any, Any]] | None = None,
    names: Names | None = None,
    samples: tuple[int, ...] | None = None,
) -> tuple[Step, Network]:
    """Take one step of gradient descent and record every value on the way.

    ``x`` and ``y`` hold one sample per column. Returns the recorded step and
    the network with updated parameters. The backward pass uses the
    weights from before the update throughout. ``rounding``,
    ``max_digits``, ``optimizer`` and ``reduction`` are as in :func:`train`;
    ``velocity`` holds each layer's ``(vW, vb)`` from the previous step,
    ``names`` collects the named quantities of the run, and ``samples``
    numbers the samples of the batch for the record.

    Raises
    ------
    LimitError
        If a value gets longer than ``max_digits`` digits.
    """
    recorder = _Recorder(number, rounding, check_max_digits(max_digits), names)
    settings = _StepSettings(
        learning_rate, loss, optimizer, reduction == "mean", x.cols
    )
    passes = _forward(network, _given(x), learning_rate, recorder)
    target = _given(y)
    loss_value, da = _output_gradient(passes, target, loss, settings.mean, recorder)

    records: list[LayerStep] = []
    parameters: list[tuple[_Value, _Value]] = []
    carried: dict[int, _Value] = {}
    previous = velocity or [(None, None)] * len(passes)
    for index in range(len(passes), 0, -1):
        record, (da, W_after, b_after) = _backward(
            passes[index - 1],
            index,
            da,
            target if index == len(passes) else None,
            previous[index - 1],
            settings,
            recorder,
        )
        records.append(record)
        parameters.append((W_after, b_after))
        carried[id(W_after.recorded)] = W_after
        carried[id(b_after.recorded)] = b_after
    records.reverse()
    parameters.reverse()

    running = _CARRIED.get()
    if running is not None:
        running.clear()
        running.update(carried)

    step = Step(
        number=number,
        x=x,
        y=y,
        layers=tuple(records),
        loss=loss_value,
        samples=samples,
    )
    updated = Network(
        layer.with_parameters(W_after.recorded, b_after.recorded)
        for layer, (W_after, b_after) in zip(network.layers, parameters)
    )
    return step, updated


REDUCTIONS = ("mean", "sum")


def train(
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
    rounding: RoundingPolicy | None = None,
    max_digits: int | None = DEFAULT_MAX_DIGITS,
) -> Trace:
    """Train ``network`` and return the trace of every step.

    Parameters
    ----------
    network
        The network before training.
    x, y
        The data: one sample as a flat list (or a column), or several
        samples as a list of rows, one row per sample (or a matrix with one
        sample per column).
    loss
        A :class:`Loss` or its name.
    learning_rate
        The step size, as an exact value such as ``"0.01"``, or a symbol.
    steps
        How many updates to take, at least 1 (default 1, or as many as
        ``epochs`` passes over the data need).
    epochs
        How many passes over the data to make; give this or ``steps``.
    batch_size
        Samples per update, taken in order (default: all of them, one full
        batch per step). 1 gives per-sample updates.
    reduction
        ``"mean"`` (default) averages the samples' losses and gradients over
        the batch; ``"sum"`` adds them.
    optimizer
        An :class:`~derivation.optimizers.Optimizer` (default: plain
        gradient descent).
    rounding
        A :class:`~derivation.growth.RoundingPolicy` for the computed values,
        or ``None`` (the default) to keep them exact. The given values
        (``x``, ``y``, the initial parameters and the learning rate) are
        used as they are.
    max_digits
        The maximum number of decimal digits in the numerator or the denominator
        of any computed entry, or ``None`` for no limit.

    Raises
    ------
    LimitError
        If a computed value gets longer than ``max_digits`` digits; the
        message names the value, the step and the layer.
    DerivationError
        If the shapes of ``x`` or ``y`` do not fit the network, a value is not
        exact, a count is not a positive integer, or an option is invalid.
    """
    _check_exact_parameters(network)
    x_data = data_matrix(x, network.inputs, "x")
    y_data = data_matrix(y, network.outputs, "y")
    if x_data.cols != y_data.cols:
        raise DerivationError(
            f"y: expected {x_data.cols} samples (as many as x), found {y_data.cols}"
        )
    eta = to_exact_value(learning_rate)
    if isinstance(loss, str):
        loss = get_loss(loss)
    check_targets(loss, network.layers[-1].activation.name, y_data)
    batches, total, optimizer = schedule(
        x_data.cols, steps, epochs, batch_size, reduction, optimizer
    )
    options = _step_options(rounding, max_digits, optimizer, reduction)
    names = Names()

    records: list[Step] = []
    current = network
    token = _CARRIED.set({})
    names_token = _NAMES.set(names)
    try:
        for number in range(1, total + 1):
            batch = batches[(number - 1) % len(batches)]
            extra = _batch_options(batch, x_data.cols, records, optimizer)
            step, current = gradient_step(
                current,
                _columns(x_data, batch),
                _columns(y_data, batch),
                loss,
                eta,
                number,
                **options,
                **extra,
            )
            records.append(step)
    finally:
        _CARRIED.reset(token)
        _NAMES.reset(names_token)
    return Trace(
        network=network,
        x=x_data,
        y=y_data,
        loss=loss,
        learning_rate=eta,
        steps=tuple(records),
        final_network=current,
        rounding=rounding,
        batch_size=len(batches[0]),
        reduction=reduction,
        optimizer=optimizer,
        quantities=tuple(names.quantities),
    )


def schedule(
    samples: int,
    steps: int | None,
    epochs: int | None,
    batch_size: int | None,
    reduction: str,
    optimizer: Optimizer | None,
) -> tuple[list[tuple[int, ...]], int, Optimizer]:
    """Check the training options; return the batches, step count and optimizer.

    ``optimizer=None`` means plain gradient descent. The exact and the float
    engines share this, so both read the options alike.

    Raises
    ------
    DerivationError
        If a count is not a positive integer, ``reduction`` is not "mean" or
        "sum", or ``optimizer`` is not an :class:`Optimizer`.
    """
    batches = _batches(samples, batch_size)
    total = _step_count(steps, epochs, len(batches))
    if reduction not in REDUCTIONS:
        raise DerivationError(
            f"reduction: expected 'mean' or 'sum', found {reduction!r}"
        )
    optimizer = optimizer or PLAIN
    if not isinstance(optimizer, Optimizer):
        raise DerivationError(f"optimizer must be an Optimizer, not {optimizer!r}")
    return batches, total, optimizer


def _batches(samples: int, batch_size: int | None) -> list[tuple[int, ...]]:
    """Split sample numbers 0..samples-1 into batches, in order."""
    if batch_size is None:
        batch_size = samples
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or batch_size < 1
    ):
        raise DerivationError(
            f"batch_size must be a positive integer, not {batch_size!r}"
        )
    if batch_size > samples:
        raise DerivationError(
            f"batch_size: expected at most {samples} (the number of samples), "
            f"found {batch_size}"
        )
    return [
        tuple(range(start, min(start + batch_size, samples)))
        for start in range(0, samples, batch_size)
    ]


def _step_count(steps: object, epochs: object, per_epoch: int) -> int:
    for name, count in (("steps", steps), ("epochs", epochs)):
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise DerivationError(f"{name} must be a positive integer, not {count!r}")
    if steps is not None and epochs is not None:
        raise DerivationError("give steps or epochs, not both")
    if isinstance(epochs, int):
        return epochs * per_epoch
    return steps if isinstance(steps, int) else 1


def _batch_options(
    batch: tuple[int, ...],
    samples: int,
    records: list[Step],
    optimizer: Optimizer,
) -> dict[str, Any]:
    """Return the options of a step that only batches and momentum use."""
    extra: dict[str, Any] = {}
    if samples > 1:
        extra["samples"] = tuple(index + 1 for index in batch)
    if optimizer.uses_momentum and records:
        extra["velocity"] = [(layer.vW, layer.vb) for layer in records[-1].layers]
    return extra


def _columns(matrix: sympy.Matrix, batch: tuple[int, ...]) -> sympy.Matrix:
    if len(batch) == matrix.cols:
        return matrix
    return matrix.extract(list(range(matrix.rows)), list(batch))


def _step_options(
    rounding: object, max_digits: object, optimizer: Optimizer, reduction: str
) -> dict[str, Any]:
    """Validate the growth options and return those that differ from the defaults.

    Passing only those keeps :func:`train` working with a replacement
    ``gradient_step`` of the basic signature, as fault-injection tests use.
    """
    if rounding is not None and not isinstance(rounding, RoundingPolicy):
        raise DerivationError(
            f"rounding must be a RoundingPolicy or None, not {rounding!r}"
        )
    check_max_digits(max_digits)
    options: dict[str, Any] = {}
    if rounding is not None:
        options["rounding"] = rounding
    if max_digits != DEFAULT_MAX_DIGITS:
        options["max_digits"] = max_digits
    if not optimizer.is_plain:
        options["optimizer"] = optimizer
    if reduction != "mean":
        options["reduction"] = reduction
    return options


def data_matrix(values: object, length: int, name: str) -> sympy.Matrix:
    """Read data as a matrix with one sample of ``length`` values per column.

    A flat list (or a column) is one sample. Nested lists whose rows have
    ``length`` entries are samples, one per row. A SymPy matrix with
    ``length`` rows has one sample per column.

    Raises
    ------
    DerivationError
        If the data do not have ``length`` values per sample.
    """
    matrix = exact_matrix(values, name)
    nested = not isinstance(values, sympy.MatrixBase) and _is_nested(values)
    if nested:
        matrix = matrix.T
    if matrix.rows != length:
        noun = "value" if length == 1 else "values"
        if nested or matrix.cols > 1:
            found = f"{matrix.rows} per sample"
            noun += " per sample"
        else:
            found = f"{matrix.rows} {'value' if matrix.rows == 1 else 'values'}"
        raise DerivationError(f"{name}: expected {length} {noun}, found {found}")
    return sympy.ImmutableMatrix(matrix)


def _is_nested(values: object) -> bool:
    if not isinstance(values, Sequence) or isinstance(values, str) or not values:
        return False
    first = values[0]
    return isinstance(first, Sequence) and not isinstance(first, str)


def solve(spec: Spec) -> Trace:
    """Train the network of a loaded spec with the spec's settings."""
    return train(
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
        rounding=spec.rounding,
        max_digits=spec.max_digits,
    )


def _check_exact_parameters(network: Network) -> None:
    """Reject parameters changed in place to values that are not exact."""
    for number, layer in enumerate(network.layers, start=1):
        for name, matrix in (("weights", layer.W), ("biases", layer.b)):
            for entry in matrix:
                if isinstance(entry, sympy.Rational):
                    continue
                if is_symbolic(entry) and not entry.atoms(sympy.Float):
                    continue
                raise DerivationError(
                    f"layer {number}: {name}: {entry} is not an exact "
                    "rational number; matrices must not be changed in place"
                )
