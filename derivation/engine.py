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

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import sympy

from .backend import FLINT, GENERAL, is_rational
from .errors import DerivationError
from .growth import DEFAULT_MAX_DIGITS, DigitLimit, RoundingPolicy, check_max_digits
from .lazy import Deferred, stored_value
from .losses import Loss, get_loss
from .network import Layer, Network, exact_matrix
from .numbers import to_exact
from .spec import Spec
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


class _Recorder:
    """Rounds, measures and records the values of one step.

    Parameters
    ----------
    number
        The step number, counted from 1, for messages.
    rounding
        The rounding policy, or ``None`` to keep every value exact.
    limit
        The digit limit, or ``None`` for no limit.
    """

    def __init__(
        self,
        number: int,
        rounding: RoundingPolicy | None,
        limit: DigitLimit | None,
    ) -> None:
        self.number = number
        self.rounding = rounding
        self.limit = limit

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
        if self.limit is not None:
            self.limit.check(
                finished.entries, finished.height_bits, quantity, self.number, layer
            )
        return _Value(finished.matrix, finished.native, arithmetic)

    def keep_loss(self, arithmetic: Any, value: Any) -> sympy.Expr:
        """Round and measure the loss, and return it as a SymPy scalar."""
        finished = arithmetic.finish_scalar(value, self._rounding_for("loss"))
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


def _forward(
    network: Network, x: _Value, eta: sympy.Expr, recorder: _Recorder
) -> list[_LayerPass]:
    """Run the forward pass; ``eta`` decides, with the values, each arithmetic."""
    passes = []
    a_prev = x
    for index, layer in enumerate(network.layers, start=1):
        W, b = _parameter(layer, "W"), _parameter(layer, "b")
        arithmetic = _layer_arithmetic(layer, W, b, a_prev, eta)
        # The backward pass reads these again, so they are converted once here.
        W, b = W.moved_to(arithmetic), b.moved_to(arithmetic)
        a_prev = a_prev.moved_to(arithmetic)
        z_native = W.native * a_prev.native + b.native
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

    The values are exact: no rounding and no digit limit apply.
    """
    recorder = _Recorder(1, None, None)
    passes = _forward(network, _given(x), sympy.Integer(0), recorder)
    return [(p.a_prev.matrix, p.z.matrix, p.a.matrix) for p in passes]


def _output_gradient(
    passes: list[_LayerPass],
    y: _Value,
    loss: Loss,
    recorder: _Recorder,
) -> tuple[sympy.Expr, _Value]:
    """Return the loss and dL/da of the output, in the last layer's arithmetic."""
    output = passes[-1].a
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


def _backward(
    layer_pass: _LayerPass,
    index: int,
    da: _Value,
    eta: sympy.Expr,
    recorder: _Recorder,
) -> tuple[LayerStep, tuple[_Value, _Value, _Value]]:
    """Compute the gradients and the update of one layer from dL/da.

    Returns the layer's record and the values that the step passes on:
    dL/da of the layer's input and the updated weights and biases.
    """
    arithmetic = layer_pass.arithmetic
    activation = layer_pass.layer.activation
    W = layer_pass.W.native_in(arithmetic)
    b = layer_pass.b.native_in(arithmetic)
    z = layer_pass.z.native_in(arithmetic)
    a_prev = layer_pass.a_prev.native_in(arithmetic)
    rate = arithmetic.scalar(eta)

    slope = recorder.keep(arithmetic, arithmetic.slope(activation, z), "slope", index)
    if activation.is_identity:
        dz = da
    else:
        product = arithmetic.hadamard(da.native_in(arithmetic), slope.native)
        dz = recorder.keep(arithmetic, product, "dz", index)
    dz_native = dz.native_in(arithmetic)
    dW_native = dz_native * arithmetic.transpose(a_prev)
    dW = recorder.keep(arithmetic, dW_native, "dW", index)
    da_prev_native = arithmetic.transpose(W) * dz_native
    da_prev = recorder.keep(arithmetic, da_prev_native, "da_prev", index)
    W_after = recorder.keep(arithmetic, W - rate * dW.native, "W_after", index)
    b_after = recorder.keep(arithmetic, b - rate * dz_native, "b_after", index)
    return LayerStep(
        W=layer_pass.W.recorded,
        b=layer_pass.b.recorded,
        a_prev=layer_pass.a_prev.recorded,
        z=layer_pass.z.recorded,
        a=layer_pass.a.recorded,
        da=da.recorded,
        slope=slope.recorded,
        dz=dz.recorded,
        dW=dW.recorded,
        db=dz.recorded,
        da_prev=da_prev.recorded,
        W_after=W_after.recorded,
        b_after=b_after.recorded,
    ), (da_prev, W_after, b_after)


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
) -> tuple[Step, Network]:
    """Take one step of gradient descent and record every value on the way.

    Returns the recorded step and the network with updated parameters. The
    backward pass uses the weights from before the update throughout.
    ``rounding`` and ``max_digits`` are as in :func:`train`.

    Raises
    ------
    LimitError
        If a value gets longer than ``max_digits`` digits.
    """
    recorder = _Recorder(number, rounding, check_max_digits(max_digits))
    passes = _forward(network, _given(x), learning_rate, recorder)
    loss_value, da = _output_gradient(passes, _given(y), loss, recorder)

    records: list[LayerStep] = []
    parameters: list[tuple[_Value, _Value]] = []
    carried: dict[int, _Value] = {}
    for index in range(len(passes), 0, -1):
        record, (da, W_after, b_after) = _backward(
            passes[index - 1], index, da, learning_rate, recorder
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

    step = Step(number=number, x=x, y=y, layers=tuple(records), loss=loss_value)
    updated = Network(
        layer.with_parameters(W_after.recorded, b_after.recorded)
        for layer, (W_after, b_after) in zip(network.layers, parameters)
    )
    return step, updated


def train(
    network: Network,
    x: object,
    y: object,
    *,
    loss: Loss | str = "half_squared_error",
    learning_rate: object,
    steps: int = 1,
    rounding: RoundingPolicy | None = None,
    max_digits: int | None = DEFAULT_MAX_DIGITS,
) -> Trace:
    """Train ``network`` on one sample and return the trace of every step.

    Parameters
    ----------
    network
        The network before training.
    x, y
        The input and the target, as flat lists (or columns) of exact values.
    loss
        A :class:`Loss` or its name.
    learning_rate
        The step size, as an exact value such as ``"0.01"``.
    steps
        How many updates to take, at least 1.
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
        exact, ``steps`` is not a positive integer, or ``rounding`` or
        ``max_digits`` is invalid.
    """
    _check_exact_parameters(network)
    x_column = _column(x, network.inputs, "x")
    y_column = _column(y, network.outputs, "y")
    eta = to_exact(learning_rate)
    if isinstance(loss, str):
        loss = get_loss(loss)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise DerivationError(f"steps must be a positive integer, not {steps!r}")
    options = _step_options(rounding, max_digits)

    records = []
    current = network
    token = _CARRIED.set({})
    try:
        for number in range(1, steps + 1):
            step, current = gradient_step(
                current, x_column, y_column, loss, eta, number, **options
            )
            records.append(step)
    finally:
        _CARRIED.reset(token)
    return Trace(
        network=network,
        x=x_column,
        y=y_column,
        loss=loss,
        learning_rate=eta,
        steps=tuple(records),
        final_network=current,
        rounding=rounding,
    )


def _step_options(rounding: object, max_digits: object) -> dict[str, Any]:
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
    return options


def _column(values: object, length: int, name: str) -> sympy.Matrix:
    column = exact_matrix(values, name)
    if column.shape != (length, 1):
        noun = "value" if length == 1 else "values"
        if column.cols == 1:
            found = f"{column.rows} {'value' if column.rows == 1 else 'values'}"
        else:
            found = f"a {column.rows}x{column.cols} matrix"
        raise DerivationError(f"{name}: expected {length} {noun}, found {found}")
    return column


def solve(spec: Spec) -> Trace:
    """Train the network of a loaded spec with the spec's settings."""
    return train(
        spec.network,
        spec.x,
        spec.y,
        loss=spec.loss,
        learning_rate=spec.learning_rate,
        steps=spec.steps,
        rounding=spec.rounding,
        max_digits=spec.max_digits,
    )


def _check_exact_parameters(network: Network) -> None:
    """Reject parameters changed in place to values that are not exact."""
    for number, layer in enumerate(network.layers, start=1):
        for name, matrix in (("weights", layer.W), ("biases", layer.b)):
            for entry in matrix:
                if not isinstance(entry, sympy.Rational):
                    raise DerivationError(
                        f"layer {number}: {name}: {entry} is not an exact "
                        "rational number; matrices must not be changed in place"
                    )
