"""A bound on the rounding error of the float64 path, entry by entry.

With identity and ReLU activations and the half squared error, every value of
a training run is a polynomial in the inputs (weights, biases, ``x``, ``y``
and the learning rate) as long as no ReLU pre-activation changes sign. The
float64 path evaluates that polynomial with rounded operations, and each
rounding multiplies its result by ``1 + e`` with ``|e| <= u = 2**-53``.
Expanding a value ``v`` into monomials ``m``, the float result multiplies each
monomial by ``N_m`` such factors, so

    |fl(v) - v| <= sum_m |m| ((1 + u)**N_m - 1) <= u C(v) / (1 - N u),

where ``C(v) = sum_m N_m |m|`` and ``N`` is the largest ``N_m``.
:func:`rounding_bound` computes ``u C(v)`` for every recorded value by running
the training computation once more on pairs ``(S, C)``, where ``S`` is the
same computation with every input replaced by its absolute value and every
subtraction by an addition:

    input rounded to float64     S = |v|              C = S
    p * q, rounded               S = S(p) S(q)        C = C(p) S(q) + S(p) C(q) + S
    p + q or p - q, rounded      S = S(p) + S(q)      C = C(p) + C(q) + S
    p times a 0/1 mask, exact    S = mask S(p)        C = mask C(p)

A dot product of ``n`` terms rounds each term at most ``n`` times: once for
the product and at most ``n - 1`` times in the additions, whatever the
summation order. A fused multiply-add only removes roundings, so the bound
holds for any BLAS that NumPy calls. ``C(v) <= N S(v)``, so the bound is
relative to the size of the values involved, and ``N`` grows with depth,
width and steps.

The bound holds when no ReLU crosses its kink in the float path (see
:func:`kink_risks`) and no intermediate value overflows or falls into the
subnormal range. :data:`GUARANTEE_FACTOR` times the first-order bound also
covers the second-order terms and the rounding of the bound's own float64
computation (see there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy
import sympy

from .errors import DerivationError
from .float_engine import to_float, to_float_array
from .trace import Step, Trace

Array = numpy.ndarray

UNIT_ROUNDOFF = 2.0**-53
"""The unit roundoff ``u`` of float64 with rounding to nearest."""

GUARANTEE_FACTOR = 2.0
"""The factor between the first-order bound and a guaranteed one.

Given no kink crossing, overflow or underflow, ``|float - exact|`` is at most
``GUARANTEE_FACTOR`` times the first-order bound of the entry.
:func:`rounding_bound` rejects ``N`` above ``2**40``, so ``N u <= 2**-13`` and
``1 / (1 - N u)`` is below 1.001. The float64 evaluation of ``C`` applies a
few times ``N`` roundings to each of its terms (an estimate from the rules
above), so it too is off by far less than a factor of 2.
"""

_MAX_ROUNDINGS = 2**40
_PIECEWISE_LINEAR = ("identity", "relu")
_LOSSES = ("half_squared_error",)
_TRANSCENDENTAL_NOTE = dict.fromkeys(
    ("sigmoid", "tanh", "softplus", "softmax"),
    ", whose values are transcendental",
)


@dataclass(frozen=True)
class LayerBound:
    """First-order rounding bounds ``u C`` for the values of one layer in one step.

    Each field is a float64 array shaped like the value of the same name in
    :class:`derivation.trace.LayerStep`.
    """

    z: Array
    a: Array
    da: Array
    dz: Array
    dW: Array
    db: Array
    da_prev: Array
    W_after: Array
    b_after: Array


@dataclass(frozen=True)
class StepBound:
    """First-order rounding bounds for one step: per layer, and for the loss."""

    layers: tuple[LayerBound, ...]
    loss: float


@dataclass(frozen=True)
class RoundingBound:
    """First-order rounding bounds for a whole run.

    Attributes
    ----------
    steps
        One :class:`StepBound` per step of the trace, in order.
    max_roundings
        ``N``, the largest number of roundings applied to one monomial.
    """

    steps: tuple[StepBound, ...]
    max_roundings: int


@dataclass(frozen=True)
class _Bounded:
    """A value's magnitude ``S``, coefficient ``C`` and rounding count ``N``."""

    size: Array
    coefficient: Array
    roundings: Array

    @property
    def T(self) -> _Bounded:
        return _Bounded(self.size.T, self.coefficient.T, self.roundings.T)


def rounding_bound(trace: Trace) -> RoundingBound:
    """Compute the first-order rounding bound of every value of a float64 run.

    The magnitudes follow the exact run in ``trace``, and the masks of the
    ReLU units come from its exact pre-activations, so the bound describes a
    float64 run that takes the same branches.

    Raises
    ------
    DerivationError
        If an activation is not piecewise linear (identity or ReLU), the loss
        is not the half squared error, the run is not plain gradient descent
        on one sample with a bias per unit and every parameter training, or
        ``N`` exceeds ``2**40``.
    """
    _check_bounded_run(trace)

    parameters = [(_input(layer.W), _input(layer.b)) for layer in trace.network.layers]
    x, y = _input(trace.x), _input(trace.y)
    eta = _input(sympy.Matrix([[trace.learning_rate]]))
    steps = []
    max_roundings = 0
    # A bound that overflows is inf, which bounds nothing but is still true.
    with numpy.errstate(over="ignore", invalid="ignore"):
        for step in trace.steps:
            step_bound, parameters, roundings = _step_bound(step, parameters, x, y, eta)
            steps.append(step_bound)
            max_roundings = max(max_roundings, roundings)
    if max_roundings > _MAX_ROUNDINGS:
        raise DerivationError(
            f"the rounding bound needs at most 2**40 roundings per term, "
            f"found {max_roundings}"
        )
    return RoundingBound(steps=tuple(steps), max_roundings=max_roundings)


def _check_bounded_run(trace: Trace) -> None:
    """Reject a run that the bound's computation does not follow."""
    for layer in trace.network.layers:
        if layer.activation.name not in _PIECEWISE_LINEAR:
            raise DerivationError(
                f"the rounding bound needs identity or relu activations, "
                f"not {layer.activation.name!r}"
                + _TRANSCENDENTAL_NOTE.get(layer.activation.name, "")
            )
        if layer.bias != "per_unit" or layer.frozen:
            raise DerivationError(
                "the rounding bound needs a bias per unit and every parameter training"
            )
    if trace.loss.name not in _LOSSES:
        raise DerivationError(
            f"the rounding bound needs the half_squared_error loss, "
            f"not {trace.loss.name!r}"
        )
    if trace.x.cols > 1:
        raise DerivationError("the rounding bound needs a single sample")
    if not trace.optimizer.is_plain:
        raise DerivationError(
            "the rounding bound needs plain gradient descent, "
            f"not {trace.optimizer.describe()}"
        )


def kink_risks(trace: Trace, bound: RoundingBound) -> list[tuple[int, int, int]]:
    """List the ReLU units where the float64 path may take the other branch.

    A unit is listed, as ``(step, layer, unit)`` counted from 1, when its
    exact pre-activation ``z`` lies within ``GUARANTEE_FACTOR`` times its
    bound of 0 and that bound is not 0. A ``z`` of exactly 0 with a bound of
    0 is computed exactly in float64 too, so both paths apply the same
    convention for ``ReLU'(0)``. When no unit is listed and nothing
    overflows or underflows, every float64 pre-activation has the sign of the
    exact one, and the bound holds.
    """
    relu_layers = [layer.activation.name == "relu" for layer in trace.network.layers]
    risks = []
    for step, step_bound in zip(trace.steps, bound.steps):
        layers = zip(relu_layers, step.layers, step_bound.layers)
        for number, (is_relu, record, layer_bound) in enumerate(layers, start=1):
            if not is_relu:
                continue
            for unit, exact_z in enumerate(record.z, start=1):
                margin = GUARANTEE_FACTOR * float(layer_bound.z[unit - 1, 0])
                # Rational(float) is the float's exact binary value.
                if margin > 0 and abs(exact_z) <= sympy.Rational(margin):
                    risks.append((step.number, number, unit))
    return risks


def _step_bound(
    step: Step,
    parameters: list[tuple[_Bounded, _Bounded]],
    x: _Bounded,
    y: _Bounded,
    eta: _Bounded,
) -> tuple[StepBound, list[tuple[_Bounded, _Bounded]], int]:
    forward = []
    a = x
    for record, (W, b) in zip(step.layers, parameters):
        z = _sum(_matmul(W, a), b)
        a_prev, a = a, _masked(z, _mask(record.a, record.z))
        forward.append((a_prev, z, a))

    da = _sum(a, y)
    loss = _half_squared_error(da)
    layers: list[LayerBound] = []
    updated: list[tuple[_Bounded, _Bounded]] = []
    roundings = int(loss.roundings.max())
    backward = list(zip(step.layers, parameters, forward))
    for record, (W, b), (a_prev, z, a) in reversed(backward):
        dz = _masked(da, _float_mask(record.slope))
        dW = _matmul(dz, a_prev.T)
        da_prev = _matmul(W.T, dz)
        W_after = _sum(W, _product(eta, dW))
        b_after = _sum(b, _product(eta, dz))
        values = (z, a, da, dz, dW, dz, da_prev, W_after, b_after)
        layers.append(LayerBound(*(_first_order(value) for value in values)))
        updated.append((W_after, b_after))
        roundings = max([roundings, *(int(v.roundings.max()) for v in values)])
        da = da_prev
    layers.reverse()
    updated.reverse()
    step_bound = StepBound(layers=tuple(layers), loss=float(_first_order(loss)[0, 0]))
    return step_bound, updated, roundings


def _input(matrix: sympy.Matrix) -> _Bounded:
    size = numpy.abs(to_float_array(matrix))
    return _Bounded(size, size.copy(), numpy.ones_like(size))


def _product(p: _Bounded, q: _Bounded) -> _Bounded:
    """Element-wise product (with broadcasting), rounded once."""
    size = p.size * q.size
    coefficient = p.coefficient * q.size + p.size * q.coefficient + size
    return _Bounded(size, coefficient, p.roundings + q.roundings + 1)


def _sum(p: _Bounded, q: _Bounded) -> _Bounded:
    """Element-wise sum or difference, rounded once."""
    size = p.size + q.size
    coefficient = p.coefficient + q.coefficient + size
    return _Bounded(size, coefficient, numpy.maximum(p.roundings, q.roundings) + 1)


def _matmul(p: _Bounded, q: _Bounded) -> _Bounded:
    """Matrix product; each of the ``n`` terms of an entry is rounded ``n`` times."""
    n = p.size.shape[1]
    size = p.size @ q.size
    coefficient = p.coefficient @ q.size + p.size @ q.coefficient + n * size
    pairs = p.roundings[:, :, None] + q.roundings[None, :, :]
    return _Bounded(size, coefficient, pairs.max(axis=1) + n)


def _masked(p: _Bounded, mask: Array) -> _Bounded:
    """Multiplication by 0 or 1, which float64 does exactly."""
    return _Bounded(p.size * mask, p.coefficient * mask, p.roundings)


def _half_squared_error(residual: _Bounded) -> _Bounded:
    """``0.5 * sum(r**2)``; the sum rounds each term at most ``m - 1`` times."""
    squares = _product(residual, residual)
    m = squares.size.shape[0]
    size = squares.size.sum(keepdims=True)
    coefficient = squares.coefficient.sum(keepdims=True) + (m - 1) * size
    roundings = squares.roundings.max(keepdims=True) + m - 1
    # Halving is exact in float64 (barring underflow), so it scales S and C alike.
    return _Bounded(0.5 * size, 0.5 * coefficient, roundings)


def _mask(a: sympy.Matrix, z: sympy.Matrix) -> Array:
    """1 where the activation passes ``z`` through (``a == z``), else 0."""
    return numpy.array([[1.0 if ai == zi else 0.0] for ai, zi in zip(a, z)])


def _float_mask(slope: sympy.Matrix) -> Array:
    return numpy.array([[to_float(entry)] for entry in slope])


def _first_order(value: _Bounded) -> Array:
    return UNIT_ROUNDOFF * value.coefficient
