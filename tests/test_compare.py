"""Tests of the float64-against-exact comparison and its kink reports."""

from __future__ import annotations

import json
import math

import pytest
import sympy

from derivation import engine
from derivation.activations import Activation
from derivation.bundled import example_text
from derivation.compare import QUANTITIES, Comparison, Location, compare
from derivation.errors import DerivationError
from derivation.float_engine import solve_float, train_float
from derivation.network import Layer, Network
from derivation.spec import parse_spec


def run_both(network: Network, x: list, y: list, rate: str, steps: int) -> Comparison:
    trace = engine.train(network, x, y, learning_rate=rate, steps=steps)
    float_trace = train_float(network, x, y, learning_rate=rate, steps=steps)
    return compare(trace, float_trace)


@pytest.fixture(scope="module")
def bundled() -> Comparison:
    spec = parse_spec(example_text("relu-1-2-2-1"))
    return compare(engine.solve(spec), solve_float(spec))


def crossing_network() -> Network:
    """A ReLU whose exact z is -1e-20 while float64 computes 0.1 + 0.2 - 0.3 > 0."""
    return Network(
        [
            Layer([[1, 1]], ["-0.30000000000000000001"], "relu"),
            Layer([[2]], [0], "identity"),
        ]
    )


def test_bundled_within_bound(bundled: Comparison) -> None:
    assert bundled.within_bound is True


def test_bundled_has_no_kinks(bundled: Comparison) -> None:
    assert bundled.kinks == ()


def test_bundled_lists_every_quantity(bundled: Comparison) -> None:
    assert tuple(d.quantity for d in bundled.differences) == QUANTITIES


def test_bundled_counts_entries(bundled: Comparison) -> None:
    # Two steps of a 1-2-2-1 network: 2 + 2 + 1 pre-activations per step,
    # 2 + 4 + 2 weights per step.
    assert bundled["z"].entries == 10
    assert bundled["dW"].entries == 16
    assert bundled["loss"].entries == 2


def test_bundled_update_differences(bundled: Comparison) -> None:
    """fl(1 - fl(0.01) * 40.25) is 0.5974999999999999, 8e-17 below 239/400."""
    difference = bundled["W_after"]
    assert difference.max_absolute == 7.993605777301127e-17
    assert difference.absolute_at == Location(1, 2, 1, 1)
    assert difference.relative_at == Location(1, 1, 1, 1)


def test_bundled_gradients_are_exact(bundled: Comparison) -> None:
    """Step-1 gradients are small dyadic rationals, and step-2 ones are 0."""
    assert bundled["dW"].max_absolute == 0.0
    assert bundled["dW"].absolute_at is None


def test_bundled_text_summary(bundled: Comparison) -> None:
    text = str(bundled)
    assert text.startswith(
        "Float64 run compared with the exact run (2 steps, 3 layers).\n"
    )
    assert text.endswith("\nKinks: none.\n")
    assert "\nW_after    " in text


def test_bundled_dict_is_json(bundled: Comparison) -> None:
    data = json.loads(json.dumps(bundled.to_dict(), allow_nan=False))
    assert list(data["quantities"]) == list(QUANTITIES)
    assert data["within_bound"] is True
    assert data["unit_roundoff"] == 2.0**-53
    assert data["quantities"]["W_after"]["absolute_at"] == {
        "step": 1,
        "layer": 2,
        "row": 1,
        "column": 1,
    }


def test_loss_location_names_step_only(bundled: Comparison) -> None:
    assert str(Location(2)) == "step 2"
    assert str(Location(1, 3, 1, 2)) == "step 1, layer 3, [1,2]"


def test_unknown_quantity_raises(bundled: Comparison) -> None:
    with pytest.raises(KeyError, match="'dx' is not one of z, a, dz"):
        bundled["dx"]


def test_exact_zero_kink_is_named() -> None:
    net = Network([Layer([[1]], ["-1/2"], "relu"), Layer([[2]], [0], "identity")])
    comparison = run_both(net, ["1/2"], [1], "1/10", 1)
    (kink,) = comparison.kinks
    assert str(kink) == (
        "kink: step 1, layer 1, unit 1: exact z = 0, float z = 0.0; "
        "both runs use ReLU'(z) = 0"
    )
    assert not kink.crossed


def test_exact_zero_kink_keeps_bound() -> None:
    net = Network([Layer([[1]], ["-1/2"], "relu"), Layer([[2]], [0], "identity")])
    assert run_both(net, ["1/2"], [1], "1/10", 1).within_bound is True


def test_crossed_kink_is_named() -> None:
    comparison = run_both(crossing_network(), ["0.1", "0.2"], [1], "0.1", 1)
    (kink,) = comparison.kinks
    assert str(kink) == (
        "kink: step 1, layer 1, unit 1: exact z = -1/100000000000000000000, "
        "float z = 5.551115123125783e-17 (float64 rounded across the kink); "
        "ReLU'(z) is 0 in the exact run and 1 in float64, so later float64 "
        "values follow the other branch"
    )
    assert kink.crossed


def test_crossed_kink_fails_bound() -> None:
    comparison = run_both(crossing_network(), ["0.1", "0.2"], [1], "0.1", 1)
    assert comparison.within_bound is False


def test_crossed_kink_marks_later_values() -> None:
    text = str(run_both(crossing_network(), ["0.1", "0.2"], [1], "0.1", 1))
    assert "\ndW              0.4  step 1, layer 1, [1,2]*" in text
    assert "  kink: step 1, layer 1, unit 1: exact z = -1/1000" in text
    assert "\n* marks a location computed after float64 crossed a kink" in text


def test_crossed_kink_dict() -> None:
    comparison = run_both(crossing_network(), ["0.1", "0.2"], [1], "0.1", 1)
    data = json.loads(json.dumps(comparison.to_dict(), allow_nan=False))
    assert data["kinks"][0]["crossed"] is True
    assert data["kinks"][0]["exact_z"] == "-1/100000000000000000000"
    assert data["kinks"][0]["float_slope"] == 1.0
    assert data["quantities"]["z"]["max_bound_ratio"] == "inf"


def test_zero_exact_values_have_no_relative() -> None:
    net = Network([Layer([[0]], [0], "identity")])
    comparison = run_both(net, [1], [0], "1/2", 1)
    difference = comparison["z"]
    assert difference.max_relative == 0.0
    assert difference.relative_at is None


def test_overflow_fails_bound() -> None:
    net = Network([Layer([[10**200]], [0], "identity")])
    comparison = run_both(net, [10**200], [0], "1", 1)
    assert comparison["z"].max_absolute == math.inf
    assert comparison.within_bound is False


def test_unbounded_activation_reports_na() -> None:
    leaky = Activation(
        name="leaky_relu",
        function=lambda z: z if z > 0 else z / 10,
        slope=lambda z: sympy.Integer(1) if z > 0 else sympy.Rational(1, 10),
        definition=r"\max(z, z/10)",
        derivative_definition="1 or 1/10",
        latex_name="leaky",
        float_function=lambda z: (z > 0) * z + (z <= 0) * z / 10,
        float_slope=lambda z: (z > 0) * 1.0 + (z <= 0) * 0.1,
    )
    net = Network([Layer([[1]], [0], leaky)])
    comparison = run_both(net, [-1], [0], "1/2", 1)
    assert comparison.within_bound is None
    assert comparison["z"].max_bound_ratio is None
    assert "No rounding bound is available for this network (n/a)." in str(comparison)


def test_mismatched_step_counts_raise() -> None:
    net = Network([Layer([[1]], [0])])
    trace = engine.train(net, [1], [0], learning_rate="1/2", steps=2)
    float_trace = train_float(net, [1], [0], learning_rate="1/2", steps=1)
    message = "^cannot compare runs of 2 exact and 1 float64 steps$"
    with pytest.raises(DerivationError, match=message):
        compare(trace, float_trace)


def test_mismatched_layer_counts_raise() -> None:
    one = Network([Layer([[1]], [0])])
    two = Network([Layer([[1]], [0]), Layer([[1]], [0])])
    trace = engine.train(two, [1], [0], learning_rate="1/2")
    float_trace = train_float(one, [1], [0], learning_rate="1/2")
    message = "^cannot compare networks of 2 exact and 1 float64 layers$"
    with pytest.raises(DerivationError, match=message):
        compare(trace, float_trace)
