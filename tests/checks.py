"""Checks shared by the property tests and the planted-fault tests.

Each ``check_*`` function raises ``AssertionError`` with a message that names
the step, layer and entry at fault. The central differences and the descent
check evaluate the loss with their own forward pass in Python fractions, so
that they do not trust the engine they test.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy
import sympy

from derivation import engine
from derivation.float_bound import GUARANTEE_FACTOR, RoundingBound
from derivation.float_engine import FloatTrace
from derivation.network import Network
from derivation.render.latex import render_latex
from derivation.render.notation import Notation
from derivation.trace import LayerStep, Step, Trace

FLOAT_QUANTITIES = ("z", "a", "dz", "dW", "db", "da_prev", "W_after", "b_after")

# A float64 run whose nonzero values all lie in this range has no overflow,
# and no product of two of its values falls below the smallest normal
# number (2**-1022), where the relative rounding model stops holding.
_FLOAT_RANGE = (2.0**-500, 2.0**500)
_MAX_HALVINGS = 400


# --- an independent exact forward pass, in fractions -------------------------


@dataclass(frozen=True)
class FractionLayer:
    """A dense layer with :class:`fractions.Fraction` entries."""

    W: list[list[Fraction]]
    b: list[Fraction]
    relu: bool


def to_fraction(value: sympy.Expr) -> Fraction:
    """Convert an exact SymPy rational to a fraction."""
    return Fraction(int(value.p), int(value.q))


def fraction_layers(step: Step, network: Network) -> list[FractionLayer]:
    """Return the parameters a step started from, with activations from ``network``."""
    return [
        FractionLayer(
            W=[[to_fraction(entry) for entry in row] for row in record.W.tolist()],
            b=[to_fraction(entry) for entry in record.b],
            relu=layer.activation.name == "relu",
        )
        for layer, record in zip(network.layers, step.layers)
    ]


def forward(
    layers: Sequence[FractionLayer], x: Sequence[Fraction]
) -> tuple[list[list[Fraction]], list[Fraction]]:
    """Return the pre-activations of every layer and the network output."""
    pre_activations = []
    a = list(x)
    for layer in layers:
        z = [sum(w * v for w, v in zip(row, a)) + b for row, b in zip(layer.W, layer.b)]
        pre_activations.append(z)
        a = [max(value, Fraction(0)) for value in z] if layer.relu else z
    return pre_activations, a


def half_squared_error(
    layers: Sequence[FractionLayer], x: Sequence[Fraction], y: Sequence[Fraction]
) -> Fraction:
    """Return the loss ``1/2 sum (a - y)^2`` of the network output."""
    _, output = forward(layers, x)
    return sum(((a - t) ** 2 for a, t in zip(output, y)), Fraction(0)) / 2


def relu_signs(
    layers: Sequence[FractionLayer], x: Sequence[Fraction]
) -> tuple[int, ...]:
    """Return the sign (-1, 0 or 1) of every ReLU pre-activation, input side first."""
    pre_activations, _ = forward(layers, x)
    return tuple(
        _sign(value)
        for layer, z in zip(layers, pre_activations)
        if layer.relu
        for value in z
    )


def _sign(value: Fraction) -> int:
    return (value > 0) - (value < 0)


def step_on_kink(trace: Trace, step_number: int) -> bool:
    """Return whether a ReLU pre-activation of the step's starting network is 0."""
    step = trace.steps[step_number - 1]
    layers = fraction_layers(step, trace.network)
    return 0 in relu_signs(layers, _fractions(trace.x))


def _fractions(column: sympy.Matrix) -> list[Fraction]:
    return [to_fraction(entry) for entry in column]


# --- internal consistency ---------------------------------------------------


def check_trace_consistency(trace: Trace) -> None:
    """Check every recorded value against the equations of :mod:`derivation.trace`.

    Shapes are checked before values, so that a wrong shape fails as an
    assertion instead of a SymPy shape error.
    """
    numbers = [step.number for step in trace.steps]
    assert numbers == list(range(1, len(trace.steps) + 1)), f"step numbers {numbers}"
    parameters = [(layer.W, layer.b) for layer in trace.network.layers]
    for step in trace.steps:
        _check_forward(trace, step, parameters)
        _check_backward(trace, step)
        parameters = [(record.W_after, record.b_after) for record in step.layers]
    for number, (layer, (W, b)) in enumerate(
        zip(trace.final_network.layers, parameters), start=1
    ):
        assert layer.W == W, f"layer {number}: final W is not the last W_after"
        assert layer.b == b, f"layer {number}: final b is not the last b_after"


def _check_forward(
    trace: Trace, step: Step, parameters: list[tuple[sympy.Matrix, sympy.Matrix]]
) -> None:
    a = trace.x
    layers = zip(trace.network.layers, step.layers, parameters)
    for number, (layer, record, (W, b)) in enumerate(layers, start=1):
        where = f"step {step.number}, layer {number}"
        assert record.W == W, f"{where}: W is not the weight the step started from"
        assert record.b == b, f"{where}: b is not the bias the step started from"
        assert record.a_prev == a, f"{where}: a_prev is not the previous output"
        assert record.z == W * a + b, f"{where}: z != W a_prev + b"
        activation = layer.activation
        assert record.a == activation.value(record.z), f"{where}: a != f(z)"
        slope = activation.derivative(record.z)
        assert record.slope == slope, f"{where}: slope != f'(z)"
        a = record.a
    assert step.loss == trace.loss.value(a, trace.y), f"step {step.number}: loss"


def _check_backward(trace: Trace, step: Step) -> None:
    eta = trace.learning_rate
    da = trace.loss.gradient(step.output, trace.y)
    for number in range(len(step.layers), 0, -1):
        record = step.layers[number - 1]
        where = f"step {step.number}, layer {number}"
        _check_shapes(record, where)
        assert record.da == da, f"{where}: da is not dL/da of the layer's output"
        dz = record.da.multiply_elementwise(record.slope)
        assert record.dz == dz, f"{where}: dz != da * f'(z)"
        assert record.dW == record.dz * record.a_prev.T, f"{where}: dW != dz a_prev^T"
        assert record.db == record.dz, f"{where}: db != dz"
        da_prev = record.W.T * record.dz
        assert record.da_prev == da_prev, f"{where}: da_prev != W^T dz"
        W_after = record.W - eta * record.dW
        assert record.W_after == W_after, f"{where}: W_after != W - eta dW"
        b_after = record.b - eta * record.db
        assert record.b_after == b_after, f"{where}: b_after != b - eta db"
        da = record.da_prev


def _check_shapes(record: LayerStep, where: str) -> None:
    expected = {
        "W": record.W.shape,
        "b": record.b.shape,
        "z": record.b.shape,
        "a": record.b.shape,
        "da": record.b.shape,
        "slope": record.b.shape,
        "dz": record.b.shape,
        "dW": record.W.shape,
        "db": record.b.shape,
        "a_prev": (record.W.cols, 1),
        "da_prev": (record.W.cols, 1),
        "W_after": record.W.shape,
        "b_after": record.b.shape,
    }
    for name, shape in expected.items():
        found = getattr(record, name).shape
        assert found == shape, f"{where}: {name} is {found}, expected {shape}"


# --- gradients against central differences ------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One weight or bias: layer (from 0), ``"W"`` or ``"b"``, row and column."""

    layer: int
    name: str
    row: int
    column: int = 0

    def __str__(self) -> str:
        if self.name == "b":
            return f"layer {self.layer + 1}, b[{self.row + 1}]"
        return f"layer {self.layer + 1}, W[{self.row + 1},{self.column + 1}]"


def parameters_of(network: Network) -> list[Parameter]:
    """List every weight and bias of ``network``."""
    found = []
    for index, layer in enumerate(network.layers):
        for row in range(layer.units):
            found += [
                Parameter(index, "W", row, column) for column in range(layer.inputs)
            ]
            found.append(Parameter(index, "b", row))
    return found


def check_central_differences(
    trace: Trace, step_number: int = 1, parameters: Sequence[Parameter] | None = None
) -> None:
    """Check recorded gradients against exact central differences of the loss.

    Along one parameter ``p``, with every ReLU on a fixed side of its kink,
    the network output is affine in ``p`` and the loss is quadratic, so
    ``(L(p + h) - L(p - h)) / 2h`` equals ``dL/dp`` exactly. The step ``h``
    starts at 1 and is halved until every ReLU pre-activation has the same
    strict sign at ``p - h``, ``p`` and ``p + h``. Each pre-activation is
    affine in ``p`` within the region of its layer, layer by layer, so equal
    signs at both ends mean no kink lies in between.

    Raises
    ------
    ValueError
        If a ReLU pre-activation is exactly 0 at the step's parameters, where
        the loss has no derivative; callers exclude that case first.
    """
    step = trace.steps[step_number - 1]
    layers = fraction_layers(step, trace.network)
    x, y = _fractions(trace.x), _fractions(trace.y)
    signs = relu_signs(layers, x)
    if 0 in signs:
        raise ValueError(f"step {step_number}: a ReLU pre-activation is 0")
    for parameter in parameters or parameters_of(trace.network):
        record = step.layers[parameter.layer]
        gradient = _recorded_gradient(record, parameter, step_number)
        h = _difference_step(layers, x, signs, parameter)
        above = half_squared_error(_shifted(layers, parameter, h), x, y)
        below = half_squared_error(_shifted(layers, parameter, -h), x, y)
        central = (above - below) / (2 * h)
        assert gradient == central, (
            f"step {step_number}, {parameter}: recorded gradient {gradient}, "
            f"central difference {central} (h = {h})"
        )


def _recorded_gradient(record: LayerStep, parameter: Parameter, step: int) -> Fraction:
    where = f"step {step}, layer {parameter.layer + 1}"
    if parameter.name == "b":
        assert record.db.shape == record.b.shape, f"{where}: db is {record.db.shape}"
        return to_fraction(record.db[parameter.row, 0])
    assert record.dW.shape == record.W.shape, (
        f"{where}: dW is {record.dW.shape}, expected {record.W.shape}"
    )
    return to_fraction(record.dW[parameter.row, parameter.column])


def _difference_step(
    layers: list[FractionLayer],
    x: list[Fraction],
    signs: tuple[int, ...],
    parameter: Parameter,
) -> Fraction:
    h = Fraction(1)
    for _ in range(_MAX_HALVINGS):
        if all(
            relu_signs(_shifted(layers, parameter, shift), x) == signs
            for shift in (h, -h)
        ):
            return h
        h /= 2
    raise AssertionError(f"{parameter}: no step h without a kink down to {h}")


def _shifted(
    layers: list[FractionLayer], parameter: Parameter, shift: Fraction
) -> list[FractionLayer]:
    changed = list(layers)
    layer = layers[parameter.layer]
    if parameter.name == "b":
        b = list(layer.b)
        b[parameter.row] += shift
        changed[parameter.layer] = FractionLayer(layer.W, b, layer.relu)
    else:
        W = [list(row) for row in layer.W]
        W[parameter.row][parameter.column] += shift
        changed[parameter.layer] = FractionLayer(W, layer.b, layer.relu)
    return changed


# --- one step of descent ----------------------------------------------------


def descent_learning_rate(trace: Trace) -> sympy.Rational:
    """Choose a learning rate for which one step along ``-g`` must lower the loss.

    ``g`` is the gradient recorded in the first step. With the ReLU masks of
    the starting point held fixed, ``l(t) = L(params - t g)`` is a polynomial
    ``l(0) + c1 t + c2 t^2 + ...`` with ``c1 = -|g|^2`` when ``g`` is the true
    gradient. For ``0 < t <= 1``, ``t^k <= t^2``, so

        l(t) - l(0) <= -|g|^2 t + t^2 sum_k>=2 |c_k|,

    which is below ``-|g|^2 t / 2`` for ``t = min(1, |g|^2 / (2 sum_k>=2 |c_k|))``.
    That rate is then halved until no ReLU pre-activation, itself a
    polynomial in ``t``, has a root in ``[0, t]``, so the masks do hold.

    Raises
    ------
    ValueError
        If a ReLU pre-activation is exactly 0 at the starting point.
    """
    t = sympy.Symbol("t")
    loss, relu_pre_activations = _line_polynomials(trace, t)
    step = trace.steps[0]
    squared_norm = sum(
        (entry**2 for record in step.layers for entry in [*record.dW, *record.db]),
        sympy.Integer(0),
    )
    if squared_norm == 0:
        return sympy.Integer(1)
    higher = sum((abs(c) for c in loss.all_coeffs()[:-2]), sympy.Integer(0))
    rate = sympy.Integer(1)
    if higher > 0:
        rate = min(rate, squared_norm / (2 * higher))
    for _ in range(_MAX_HALVINGS):
        if all(z.count_roots(0, rate) == 0 for z in relu_pre_activations):
            return rate
        rate /= 2
    raise AssertionError(f"no learning rate without a kink down to {rate}")


def _line_polynomials(
    trace: Trace, t: sympy.Symbol
) -> tuple[sympy.Poly, list[sympy.Poly]]:
    """Return the loss and the ReLU pre-activations along ``params - t g``."""

    def poly(value: sympy.Expr) -> sympy.Poly:
        return sympy.Poly(value, t, domain=sympy.QQ)

    step = trace.steps[0]
    a = [poly(value) for value in trace.x]
    relu_pre_activations = []
    for layer, record in zip(trace.network.layers, step.layers):
        z = []
        for i in range(record.W.rows):
            total = poly(record.b[i, 0] - t * record.db[i, 0])
            for j in range(record.W.cols):
                total += poly(record.W[i, j] - t * record.dW[i, j]) * a[j]
            z.append(total)
        if layer.activation.name != "relu":
            a = z
            continue
        if any(value.eval(0) == 0 for value in z):
            raise ValueError("a ReLU pre-activation is 0 at the starting point")
        relu_pre_activations += z
        a = [value if value.eval(0) > 0 else poly(0) for value in z]
    residuals = [value - poly(target) for value, target in zip(a, trace.y)]
    loss = sum((r * r for r in residuals), poly(0)) * poly(sympy.Rational(1, 2))
    return loss, relu_pre_activations


def check_descent(trace: Trace, rate: sympy.Rational) -> None:
    """Check that one engine step with ``rate`` does not raise the loss.

    ``trace`` supplies the problem and its first-step gradient. The step is
    taken by :func:`derivation.engine.train`, and the loss before and after
    is evaluated by the fraction forward pass of this module. When the
    gradient is not 0, the loss must fall strictly.
    """
    after_step = engine.train(
        trace.network,
        trace.x,
        trace.y,
        loss=trace.loss,
        learning_rate=rate,
        steps=1,
    )
    x, y = _fractions(trace.x), _fractions(trace.y)
    start = fraction_layers(trace.steps[0], trace.network)
    updated = [
        FractionLayer(
            W=[[to_fraction(entry) for entry in row] for row in layer.W.tolist()],
            b=[to_fraction(entry) for entry in layer.b],
            relu=fraction.relu,
        )
        for layer, fraction in zip(after_step.final_network.layers, start)
    ]
    before = half_squared_error(start, x, y)
    after = half_squared_error(updated, x, y)
    assert after <= before, f"loss rose from {before} to {after} with eta = {rate}"
    gradient = [
        entry for record in trace.steps[0].layers for entry in [*record.dW, *record.db]
    ]
    if any(entry != 0 for entry in gradient):
        assert after < before, f"loss stayed at {before} with eta = {rate}"


# --- float64 against exact --------------------------------------------------


def float_run_in_range(float_trace: FloatTrace) -> bool:
    """Whether every nonzero float64 value lies in ``[2**-500, 2**500]``.

    Inside that range no operation of the run overflows or underflows, which
    the rounding bound assumes.
    """
    low, high = _FLOAT_RANGE
    values = [float_trace.learning_rate]
    for step in float_trace.steps:
        values.append(step.loss)
        for record in step.layers:
            for name in ("W", "b", "a_prev", "da", *FLOAT_QUANTITIES):
                values.extend(float(v) for v in getattr(record, name).flat)
    return all(v == 0 or (math.isfinite(v) and low <= abs(v) <= high) for v in values)


def float_entries(
    trace: Trace, float_trace: FloatTrace, bound: RoundingBound
) -> Iterator[tuple[str, sympy.Expr, float, float]]:
    """Yield ``(where, exact, float, bound)`` for every compared entry."""
    for step, float_step, step_bound in zip(
        trace.steps, float_trace.steps, bound.steps
    ):
        yield f"step {step.number}, loss", step.loss, float_step.loss, step_bound.loss
        layers = zip(step.layers, float_step.layers, step_bound.layers)
        for number, (record, float_record, layer_bound) in enumerate(layers, start=1):
            for name in FLOAT_QUANTITIES:
                exact = getattr(record, name)
                values = getattr(float_record, name)
                bounds = getattr(layer_bound, name)
                for (i, j), value in numpy.ndenumerate(values):
                    where = (
                        f"step {step.number}, layer {number}, {name}[{i + 1},{j + 1}]"
                    )
                    yield where, exact[i, j], float(value), float(bounds[i, j])


def bound_is_finite(
    trace: Trace, float_trace: FloatTrace, bound: RoundingBound
) -> bool:
    """Return whether every entry's rounding bound is a finite float."""
    return all(
        math.isfinite(entry_bound)
        for *_, entry_bound in float_entries(trace, float_trace, bound)
    )


def check_float_agreement(
    trace: Trace, float_trace: FloatTrace, bound: RoundingBound
) -> None:
    """Check every float64 value against the exact one within its rounding bound.

    The allowed difference of an entry is ``GUARANTEE_FACTOR * u * C``, with
    ``C`` from :func:`derivation.float_bound.rounding_bound`; see there for
    why it holds when no kink is crossed.
    """
    for where, exact, value, entry_bound in float_entries(trace, float_trace, bound):
        difference = abs(Fraction(value) - to_fraction(exact))
        allowed = GUARANTEE_FACTOR * entry_bound
        assert difference <= Fraction(allowed), (
            f"{where}: float {value!r}, exact {exact}, difference "
            f"{float(difference):.3g} exceeds the bound {allowed:.3g}"
        )


# --- rendering --------------------------------------------------------------


def check_rendering(trace: Trace, notation: Notation) -> None:
    """Render the trace as a LaTeX document and check its structure."""
    document = render_latex(trace, notation=notation)
    assert document.startswith("\\documentclass"), document[:80]
    assert document.endswith("\\end{document}\n"), document[-80:]
    opened = document.count("\\begin{")
    closed = document.count("\\end{")
    assert opened == closed, f"{opened} \\begin but {closed} \\end"
    unescaped = document.replace("\\{", "").replace("\\}", "")
    assert unescaped.count("{") == unescaped.count("}"), "unbalanced braces"
