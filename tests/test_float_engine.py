"""Unit tests of the float64 path, mostly on the bundled 1-2-2-1 ReLU example."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import warnings

import numpy
import pytest
import sympy

from derivation import engine
from derivation.activations import Activation, get_activation
from derivation.bundled import example_text
from derivation.errors import DerivationError
from derivation.float_engine import (
    FloatTrace,
    solve_float,
    to_float,
    to_float_array,
    train_float,
)
from derivation.losses import get_loss
from derivation.network import Layer, Network
from derivation.spec import parse_spec
from derivation.trace import Trace

FIELDS = (
    "W",
    "b",
    "a_prev",
    "z",
    "a",
    "da",
    "slope",
    "dz",
    "dW",
    "db",
    "da_prev",
    "W_after",
    "b_after",
)


@pytest.fixture(scope="module")
def bundled() -> tuple[Trace, FloatTrace]:
    spec = parse_spec(example_text("relu-1-2-2-1"))
    return engine.solve(spec), solve_float(spec)


def column(*values: float) -> numpy.ndarray:
    return numpy.array([[value] for value in values])


def test_bundled_losses_are_exact(bundled: tuple[Trace, FloatTrace]) -> None:
    _, float_trace = bundled
    assert [step.loss for step in float_trace.steps] == [66.125, 1.3041125]


def test_bundled_first_step_is_exact(bundled: tuple[Trace, FloatTrace]) -> None:
    """Every first-step value before the update is a small dyadic rational."""
    trace, float_trace = bundled
    for number, (record, float_record) in enumerate(
        zip(trace.steps[0].layers, float_trace.steps[0].layers), start=1
    ):
        for name in ("z", "a", "dz", "dW", "db", "da_prev"):
            exact = to_float_array(getattr(record, name))
            found = getattr(float_record, name)
            assert numpy.array_equal(found, exact), f"layer {number}: {name}"


def test_bundled_first_step_gradients(bundled: tuple[Trace, FloatTrace]) -> None:
    _, float_trace = bundled
    layers = float_trace.steps[0].layers
    assert layers[0].dW.tolist() == [[92.0], [92.0]]
    assert layers[1].dW.tolist() == [[40.25, 40.25], [40.25, 40.25]]
    assert layers[2].dW.tolist() == [[74.75, 74.75]]
    assert layers[0].da_prev.tolist() == [[46.0]]


def test_bundled_update_rounds_learning_rate(bundled: tuple[Trace, FloatTrace]) -> None:
    """1 - fl(0.01) * 92 lands 4 units in the last place below 2/25."""
    _, float_trace = bundled
    W_after = float_trace.steps[0].layers[0].W_after
    assert W_after.tolist() == [[0.07999999999999996], [0.07999999999999996]]


def test_bundled_second_step_values(bundled: tuple[Trace, FloatTrace]) -> None:
    _, float_trace = bundled
    first, _, last = float_trace.steps[1].layers
    assert first.z.tolist() == [[-0.41000000000000014], [-0.41000000000000014]]
    assert first.a.tolist() == [[0.0], [0.0]]
    assert last.b_after.tolist() == [[-0.59885]]
    assert last.da_prev.tolist() == [[-0.4077874999999999], [-0.4077874999999999]]


def test_bundled_values_near_exact(bundled: tuple[Trace, FloatTrace]) -> None:
    """Every float64 value is within 4 units in the last place of the exact one."""
    trace, float_trace = bundled
    for step, float_step in zip(trace.steps, float_trace.steps):
        for number, (record, float_record) in enumerate(
            zip(step.layers, float_step.layers), start=1
        ):
            for name in FIELDS:
                exact = to_float_array(getattr(record, name))
                found = getattr(float_record, name)
                limit = 4 * numpy.spacing(numpy.abs(exact))
                where = f"step {step.number}, layer {number}: {name}"
                assert numpy.all(numpy.abs(found - exact) <= limit), where


def test_bundled_shapes_mirror_exact(bundled: tuple[Trace, FloatTrace]) -> None:
    trace, float_trace = bundled
    for step, float_step in zip(trace.steps, float_trace.steps):
        for record, float_record in zip(step.layers, float_step.layers):
            for name in FIELDS:
                exact_shape = getattr(record, name).shape
                assert getattr(float_record, name).shape == exact_shape, name


def test_bundled_final_parameters(bundled: tuple[Trace, FloatTrace]) -> None:
    _, float_trace = bundled
    last = float_trace.steps[-1].layers
    for (W, b), record in zip(float_trace.final_parameters, last):
        assert W is record.W_after
        assert b is record.b_after


def test_bundled_json_mirrors_exact_keys(bundled: tuple[Trace, FloatTrace]) -> None:
    trace, float_trace = bundled
    exact = trace.to_dict()
    found = json.loads(json.dumps(float_trace.to_dict(), allow_nan=False))
    assert found.keys() == exact.keys()
    exact_layer = exact["steps"][0]["layers"][0]
    found_layer = found["steps"][0]["layers"][0]
    assert found_layer.keys() == exact_layer.keys()
    assert found_layer["W"] == [[1.0], [1.0]]
    assert found_layer["dL_db"] == [23.0, 23.0]
    assert found["final"][2]["b"] == [-0.59885]


def test_train_float_matches_engine_doctest() -> None:
    net = Network([Layer([[2]], [0], "identity")])
    float_trace = train_float(net, [1], [3], learning_rate="1/2", steps=1)
    assert float_trace.steps[0].loss == 0.5
    assert float_trace.learning_rate == 0.5
    assert float_trace.final_parameters[0][0].tolist() == [[2.5]]


def test_train_float_rounds_inputs() -> None:
    net = Network([Layer([["1/3"]], ["0.1"], "identity")])
    float_trace = train_float(net, ["0.2"], [0], learning_rate="0.1", steps=1)
    record = float_trace.steps[0].layers[0]
    assert record.W[0, 0] == 1 / 3
    assert record.b[0, 0] == 0.1
    assert float_trace.x[0, 0] == 0.2
    assert float_trace.learning_rate == 0.1


def test_train_float_rejects_zero_steps() -> None:
    net = Network([Layer([[1]], [0])])
    with pytest.raises(
        DerivationError, match="^steps must be a positive integer, not 0$"
    ):
        train_float(net, [1], [1], learning_rate=1, steps=0)


def test_train_float_rejects_wrong_x() -> None:
    net = Network([Layer([[1]], [0])])
    message = r"^x: expected 1 value, found 2 values$"
    with pytest.raises(DerivationError, match=message):
        train_float(net, [1, 2], [1], learning_rate=1)


def test_train_float_rejects_float_rate() -> None:
    net = Network([Layer([[1]], [0])])
    with pytest.raises(DerivationError, match="binary float"):
        train_float(net, [1], [1], learning_rate=0.1)


def test_train_float_rejects_missing_float_loss() -> None:
    exact_only = dataclasses.replace(
        get_loss("half_squared_error"), name="exact_only", float_value=None
    )
    net = Network([Layer([[1]], [0])])
    message = "^loss 'exact_only' has no float evaluation$"
    with pytest.raises(DerivationError, match=message):
        train_float(net, [1], [1], loss=exact_only, learning_rate=1)


def test_train_float_overflow_gives_inf_silently() -> None:
    net = Network([Layer([[10**200]], [0], "identity")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        float_trace = train_float(net, [10**200], [0], learning_rate=1)
    assert float_trace.steps[0].layers[0].z[0, 0] == numpy.inf
    assert float_trace.to_dict()["steps"][0]["loss"] == "inf"


def test_to_float_rounds_to_nearest() -> None:
    assert to_float(sympy.Rational(1, 10)) == 0.1
    assert to_float(sympy.Rational(2**53 + 1)) == 2.0**53


def test_to_float_rejects_huge_value() -> None:
    message = (
        r"^-1\.00e\+400 is outside the float64 range "
        r"\(magnitudes up to about 1\.8e308\)$"
    )
    with pytest.raises(DerivationError, match=message):
        to_float(-(sympy.Integer(10) ** 400))


def test_to_float_array_keeps_shape() -> None:
    found = to_float_array(sympy.Matrix([[1, sympy.Rational(1, 2)]]))
    assert found.shape == (1, 2)
    assert found.dtype == numpy.float64


def test_relu_float_slope_conventions() -> None:
    z = column(-1.0, 0.0, 2.0)
    at_zero_0 = get_activation("relu", relu_derivative_at_zero=0)
    at_zero_1 = get_activation("relu", relu_derivative_at_zero=1)
    assert at_zero_0.float_derivative(z).tolist() == [[0.0], [0.0], [1.0]]
    assert at_zero_1.float_derivative(z).tolist() == [[0.0], [1.0], [1.0]]
    assert at_zero_0.float_value(z).tolist() == [[0.0], [0.0], [2.0]]


def test_identity_float_returns_copy() -> None:
    identity = get_activation("identity")
    z = column(-1.5, 2.0)
    value = identity.float_value(z)
    assert value.tolist() == z.tolist()
    assert value is not z
    assert identity.float_derivative(z).tolist() == [[1.0], [1.0]]


def test_activation_without_float_raises() -> None:
    exact_only = Activation(
        name="square",
        function=lambda z: z**2,
        slope=lambda z: 2 * z,
        definition="z^2",
        derivative_definition="2z",
        latex_name="sq",
    )
    message = "^activation 'square' has no float evaluation$"
    with pytest.raises(DerivationError, match=message):
        exact_only.float_value(column(1.0))


def test_loss_float_gradient() -> None:
    loss = get_loss("half_squared_error")
    assert loss.float_gradient is not None
    assert loss.float_value is not None
    gradient = loss.float_gradient(column(12.5, 1.0), column(1.0, 3.0))
    assert gradient.tolist() == [[11.5], [-2.0]]
    assert loss.float_value(column(12.5, 1.0), column(1.0, 3.0)) == 68.125


def test_import_derivation_skips_numpy() -> None:
    code = (
        "import sys\n"
        "import derivation, derivation.engine, derivation.spec\n"
        "import derivation.activations, derivation.losses, derivation.trace\n"
        "print('numpy' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "False\n"


def test_import_float_engine_loads_numpy() -> None:
    code = "import sys, derivation.float_engine\nprint('numpy' in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "True\n"
