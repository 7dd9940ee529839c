"""Tests for growth control: the digit limit, rounding policies and both arithmetics.

The rounded runs use a 1-1-1 network worked by hand below, with x = 20,
y = 1, W1 = 1/3 (ReLU), W2 = 2/3 (identity), zero biases and eta = 1/100.
Exactly, z1 = 20/3, z2 = 40/9, L = (31/9)^2 / 2 = 961/162, dL/dz2 = 31/9,
dL/dW2 = 620/27, dL/da1 = 62/27 and dL/dW1 = 1240/27, so that
W2' = 2/3 - 31/135 = 59/135, b2' = -31/900, W1' = -17/135 and
b1' = -31/1350.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
import sympy

import derivation.trace as trace_module
from derivation import engine
from derivation.activations import Activation, relu
from derivation.engine import forward, solve, train
from derivation.errors import DerivationError, LimitError, SpecError
from derivation.growth import (
    DEFAULT_MAX_DIGITS,
    RoundingPolicy,
    decimal_digits,
    decimal_exponent,
)
from derivation.network import Layer, Network
from derivation.spec import parse_spec

R = sympy.Rational
FIELDS = ("z", "a", "da", "dz", "dW", "da_prev", "W_after", "b_after")


def hand_network() -> Network:
    return Network([Layer([["1/3"]], [0], "relu"), Layer([["2/3"]], [0], "identity")])


def hand_step(mode: str, when: str):
    policy = RoundingPolicy(mode, 2, when)
    trace = train(hand_network(), [20], [1], learning_rate="1/100", rounding=policy)
    return trace.steps[0]


def values(layer) -> dict[str, list]:
    """Return the scalar value of each field of a 1-unit layer's record."""
    return {name: getattr(layer, name)[0, 0] for name in FIELDS}


# RoundingPolicy.round on single values.


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (R(2, 3), 2, R(67, 100)),
        (R(-2, 3), 2, R(-67, 100)),
        (R(1, 8), 2, R(13, 100)),  # a tie, rounded away from zero
        (R(-1, 8), 2, R(-13, 100)),
        (R(5, 2), 0, R(3)),
        (R(-5, 2), 0, R(-3)),
        (R(-31, 900), 2, R(-3, 100)),
        (R(1, 1000), 2, R(0)),
        (R(7), 4, R(7)),
    ],
)
def test_round_decimals(value, digits, expected):
    rounded = RoundingPolicy("decimals", digits).round(int(value.p), int(value.q))
    assert R(*rounded) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (R(20, 3), 2, R(67, 10)),
        (R(-31, 900), 2, R(-17, 500)),
        (R(2345, 100), 2, R(23)),
        (R(12345), 2, R(12000)),
        (R(-12345), 3, R(-12300)),
        (R(99996, 10000), 4, R(10)),  # 9.9996 carries into a new digit
        (R(1, 3000), 1, R(3, 10000)),
        (R(25, 1000), 1, R(3, 100)),  # a tie, rounded away from zero
        (R(0), 3, R(0)),
    ],
)
def test_round_significant(value, digits, expected):
    rounded = RoundingPolicy("significant", digits).round(int(value.p), int(value.q))
    assert R(*rounded) == expected


def test_round_huge_numerator():
    policy = RoundingPolicy("significant", 2)
    numerator, denominator = policy.round(10**5000 + 6 * 10**4998, 3)
    assert (numerator, denominator) == (35 * 10**4998, 1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("fixed", 2),
            "rounding mode must be one of decimals, significant, not 'fixed'",
        ),
        (
            ("decimals", 2, "always"),
            "rounding 'when' must be one of operation, step, not 'always'",
        ),
        (
            ("decimals", -1),
            "rounding digits for mode 'decimals' must be from 0 to 1000, not -1",
        ),
        (
            ("significant", 0),
            "rounding digits for mode 'significant' must be from 1 to 1000, not 0",
        ),
        (
            ("decimals", 1001),
            "rounding digits for mode 'decimals' must be from 0 to 1000, not 1001",
        ),
        (("decimals", 2.5), "rounding digits must be an integer, not 2.5"),
        (("decimals", True), "rounding digits must be an integer, not True"),
    ],
)
def test_rounding_policy_rejects(arguments, message):
    with pytest.raises(DerivationError) as info:
        RoundingPolicy(*arguments)
    assert str(info.value) == message


def test_rounding_statement_operation():
    assert RoundingPolicy("decimals", 4).statement() == (
        "Every computed value is rounded to 4 decimal places, rounding halves "
        "away from zero, and the equations that follow use the rounded value, "
        "as in a calculation by hand."
    )


def test_rounding_statement_step():
    assert RoundingPolicy("significant", 1, "step").statement() == (
        "At the end of every step the updated weights and biases are rounded "
        "to 1 significant figure, rounding halves away from zero, and the next "
        "step starts from the rounded values; within a step the arithmetic is "
        "exact."
    )


# Digit counting.


@pytest.mark.parametrize(
    ("number", "digits"),
    [
        pytest.param(0, 1, id="0"),
        pytest.param(9, 1, id="9"),
        pytest.param(10, 2, id="10"),
        pytest.param(-99, 2, id="-99"),
        pytest.param(100, 3, id="100"),
        pytest.param(10**4300, 4301, id="10**4300"),
        pytest.param(10**4300 - 1, 4300, id="10**4300-1"),
    ],
)
def test_decimal_digits(number, digits):
    assert decimal_digits(number) == digits


@pytest.mark.parametrize(
    ("numerator", "denominator", "exponent"),
    [(1, 1, 0), (1, 3, -1), (10, 1, 1), (99, 10, 0), (1, 10, -1), (101, 1000, -1)],
)
def test_decimal_exponent(numerator, denominator, exponent):
    assert decimal_exponent(numerator, denominator) == exponent


# Rounded training, worked by hand (see the module docstring).


def test_decimals_per_operation():
    step = hand_step("decimals", "operation")
    hidden, output = step.layers
    # z1 = 20/3 -> 6.67; z2 = (2/3) 6.67 = 4.4466... -> 4.45; L = 3.45^2 / 2
    # = 5.95125 -> 5.95; dW2 = 3.45 * 6.67 = 23.0115 -> 23.01; dL/da1 =
    # (2/3) 3.45 = 2.3; W2' = 2/3 - 0.2301 -> 0.44; b2' = -0.0345 -> -0.03;
    # dL/da0 = 2.3 / 3 -> 0.77; W1' = 1/3 - 0.46 -> -0.13; b1' = -0.023 -> -0.02.
    assert step.loss == R(595, 100)
    assert values(output) == {
        "z": R(445, 100),
        "a": R(445, 100),
        "da": R(345, 100),
        "dz": R(345, 100),
        "dW": R(2301, 100),
        "da_prev": R(23, 10),
        "W_after": R(44, 100),
        "b_after": R(-3, 100),
    }
    assert values(hidden) == {
        "z": R(667, 100),
        "a": R(667, 100),
        "da": R(23, 10),
        "dz": R(23, 10),
        "dW": R(46),
        "da_prev": R(77, 100),
        "W_after": R(-13, 100),
        "b_after": R(-2, 100),
    }


def test_significant_per_operation():
    step = hand_step("significant", "operation")
    hidden, output = step.layers
    # z1 -> 6.7; z2 = 4.466... -> 4.5; L = 3.5^2 / 2 = 6.125 -> 6.1; dW2 =
    # 3.5 * 6.7 = 23.45 -> 23; dL/da1 = 2.33... -> 2.3; W2' = 2/3 - 0.23 ->
    # 0.44; b2' = -0.035; W1' -> -0.13; b1' = -0.023.
    assert step.loss == R(61, 10)
    assert values(output) == {
        "z": R(45, 10),
        "a": R(45, 10),
        "da": R(35, 10),
        "dz": R(35, 10),
        "dW": R(23),
        "da_prev": R(23, 10),
        "W_after": R(44, 100),
        "b_after": R(-35, 1000),
    }
    assert values(hidden) == {
        "z": R(67, 10),
        "a": R(67, 10),
        "da": R(23, 10),
        "dz": R(23, 10),
        "dW": R(46),
        "da_prev": R(77, 100),
        "W_after": R(-13, 100),
        "b_after": R(-23, 1000),
    }


def exact_values_but_parameters(step) -> None:
    hidden, output = step.layers
    assert step.loss == R(961, 162)
    assert output.z[0, 0] == R(40, 9)
    assert output.dW[0, 0] == R(620, 27)
    assert output.da_prev[0, 0] == R(62, 27)
    assert hidden.dW[0, 0] == R(1240, 27)
    assert hidden.da_prev[0, 0] == R(62, 81)


def test_decimals_per_step():
    step = hand_step("decimals", "step")
    exact_values_but_parameters(step)
    hidden, output = step.layers
    # 59/135 = 0.437... -> 0.44, -31/900 = -0.0344... -> -0.03,
    # -17/135 = -0.1259... -> -0.13, -31/1350 = -0.02296... -> -0.02.
    assert output.W_after[0, 0] == R(44, 100)
    assert output.b_after[0, 0] == R(-3, 100)
    assert hidden.W_after[0, 0] == R(-13, 100)
    assert hidden.b_after[0, 0] == R(-2, 100)


def test_significant_per_step():
    step = hand_step("significant", "step")
    exact_values_but_parameters(step)
    hidden, output = step.layers
    assert output.W_after[0, 0] == R(44, 100)
    assert output.b_after[0, 0] == R(-34, 1000)
    assert hidden.W_after[0, 0] == R(-13, 100)
    assert hidden.b_after[0, 0] == R(-23, 1000)


def test_rounded_step_starts_next_step():
    policy = RoundingPolicy("decimals", 2, "step")
    trace = train(
        hand_network(), [20], [1], learning_rate="1/100", steps=2, rounding=policy
    )
    first, second = trace.steps
    for before, after in zip(first.layers, second.layers, strict=True):
        assert after.W == before.W_after
        assert after.b == before.b_after
    # Step 2: z1 = max(0, -0.13 * 20 - 0.02) = 0, so only the output layer moves.
    assert second.layers[0].z[0, 0] == R(-262, 100)
    assert second.layers[1].z[0, 0] == R(-3, 100)


def test_trace_records_rounding():
    policy = RoundingPolicy("decimals", 2)
    trace = train(hand_network(), [20], [1], learning_rate="1/100", rounding=policy)
    assert trace.rounding == policy
    assert trace.to_dict()["rounding"] == {
        "mode": "decimals",
        "digits": 2,
        "when": "operation",
    }


def test_exact_trace_has_no_rounding_key():
    trace = train(hand_network(), [20], [1], learning_rate="1/100")
    assert trace.rounding is None
    assert "rounding" not in trace.to_dict()


def test_rounding_leaves_given_values():
    policy = RoundingPolicy("decimals", 0)
    trace = train(hand_network(), ["1/3"], [1], learning_rate="1/7", rounding=policy)
    first = trace.steps[0].layers[0]
    assert first.a_prev[0, 0] == R(1, 3)
    assert first.W[0, 0] == R(1, 3)
    assert trace.learning_rate == R(1, 7)


# The digit limit.


def two_input_network() -> Network:
    return Network(
        [
            Layer([["1/3", "1/2"], ["-1/4", "2/3"]], ["1/5", "-1/7"], "relu"),
            Layer([["2/3", "3/4"]], [0], "identity"),
        ]
    )


def test_limit_stops_at_layer_value():
    with pytest.raises(LimitError) as info:
        train(
            two_input_network(),
            [2, 1],
            [1],
            learning_rate="1/10",
            steps=20,
            max_digits=25,
        )
    assert str(info.value) == (
        "step 3, layer 2: an entry of the pre-activation z has a numerator of "
        "36 digits, more than the limit of 25. Exact values grow with every "
        "step; to go on, round them (rounding, such as 4 decimal places), take "
        "at most 2 steps, or raise the limit (max_digits)."
    )


def test_limit_error_attributes():
    with pytest.raises(LimitError) as info:
        train(
            two_input_network(),
            [2, 1],
            [1],
            learning_rate="1/10",
            steps=20,
            max_digits=25,
        )
    error = info.value
    assert (error.quantity, error.step, error.layer) == ("z", 3, 2)
    assert (error.part, error.digits, error.limit) == ("numerator", 36, 25)


def test_limit_stops_at_loss():
    with pytest.raises(LimitError) as info:
        train(hand_network(), [20], [1], learning_rate="1/100", steps=10, max_digits=20)
    assert str(info.value) == (
        "step 6: the loss L has a denominator of 21 digits, more than the limit "
        "of 20. Exact values grow with every step; to go on, round them "
        "(rounding, such as 4 decimal places), take at most 5 steps, or raise "
        "the limit (max_digits)."
    )


def test_limit_in_first_step():
    with pytest.raises(LimitError) as info:
        train(hand_network(), [20], [1], learning_rate="1/100", max_digits=1)
    assert str(info.value) == (
        "step 1, layer 1: an entry of the pre-activation z has a numerator of "
        "2 digits, more than the limit of 1. Exact values grow with every step; "
        "to go on, round them (rounding, such as 4 decimal places), or raise "
        "the limit (max_digits)."
    )


def test_default_limit_stops_blow_up():
    with pytest.raises(LimitError) as info:
        train(two_input_network(), [2, 1], [1], learning_rate="1/10", steps=40)
    assert info.value.limit == DEFAULT_MAX_DIGITS
    assert info.value.digits > DEFAULT_MAX_DIGITS


def test_rounding_lets_blow_up_finish():
    policy = RoundingPolicy("decimals", 4)
    trace = train(
        two_input_network(),
        [2, 1],
        [1],
        learning_rate="1/10",
        steps=40,
        max_digits=25,
        rounding=policy,
    )
    assert len(trace.steps) == 40
    assert all(entry.q <= 10**4 for entry in trace.final_network.layers[0].W)


def test_no_limit_when_none():
    trace = train(
        two_input_network(), [2, 1], [1], learning_rate="1/10", steps=4, max_digits=None
    )
    assert len(trace.steps) == 4


@pytest.mark.parametrize(
    ("max_digits", "message"),
    [
        (0, "max_digits must be a positive integer or None, not 0"),
        (2.5, "max_digits must be a positive integer or None, not 2.5"),
        (True, "max_digits must be a positive integer or None, not True"),
        ("200", "max_digits must be a positive integer or None, not '200'"),
    ],
)
def test_train_rejects_max_digits(max_digits, message):
    with pytest.raises(DerivationError) as info:
        train(hand_network(), [1], [1], learning_rate="1/2", max_digits=max_digits)
    assert str(info.value) == message


def test_train_rejects_rounding_dict():
    with pytest.raises(DerivationError) as info:
        train(
            hand_network(), [1], [1], learning_rate="1/2", rounding={"mode": "decimals"}
        )
    assert str(info.value) == (
        "rounding must be a RoundingPolicy or None, not {'mode': 'decimals'}"
    )


# Spec keys.

SPEC = """\
[network]
inputs = 1

[[layer]]
activation = "relu"
weights = "1/3"
biases = 0

[[layer]]
activation = "identity"
weights = "2/3"
biases = 0

[data]
x = [20]
y = [1]

[training]
loss = "half_squared_error"
learning_rate = 0.01
steps = 1
{extra}
"""


def test_spec_rounding_table():
    spec = parse_spec(
        SPEC.format(extra='rounding = { mode = "significant", digits = 2 }')
    )
    assert spec.rounding == RoundingPolicy("significant", 2, "operation")
    assert solve(spec).steps[0].loss == R(61, 10)


def test_spec_rounding_when_step():
    extra = 'rounding = { mode = "decimals", digits = 2, when = "step" }'
    spec = parse_spec(SPEC.format(extra=extra))
    assert spec.rounding == RoundingPolicy("decimals", 2, "step")


def test_spec_max_digits():
    spec = parse_spec(SPEC.format(extra="max_digits = 20"))
    assert spec.max_digits == 20


def test_spec_defaults():
    spec = parse_spec(SPEC.format(extra=""))
    assert spec.rounding is None
    assert spec.max_digits == DEFAULT_MAX_DIGITS


def test_spec_max_digits_stops_solve():
    spec = parse_spec(SPEC.format(extra="max_digits = 20"))
    with pytest.raises(LimitError) as info:
        solve(dataclasses.replace(spec, steps=10))
    assert (info.value.quantity, info.value.step) == ("loss", 6)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            'rounding = "4 decimals"',
            "<spec>: training: rounding: expected a table such as { mode = "
            "\"decimals\", digits = 4 }, found the string '4 decimals'",
        ),
        (
            'rounding = { mode = "fixed", digits = 2 }',
            "<spec>: training: rounding: mode: expected one of decimals, "
            "significant, found the string 'fixed'",
        ),
        (
            'rounding = { mode = "decimals" }',
            "<spec>: training: rounding: digits: expected a value, found "
            "nothing (the key is missing)",
        ),
        (
            'rounding = { mode = "significant", digits = 0 }',
            "<spec>: training: rounding: digits: expected an integer from 1 to "
            "1000, found 0",
        ),
        (
            'rounding = { mode = "decimals", digits = 2, when = "end" }',
            "<spec>: training: rounding: when: expected one of operation, step, "
            "found the string 'end'",
        ),
        (
            'rounding = { mode = "decimals", digits = 2, places = 3 }',
            "<spec>: training: rounding: places: expected a known key (mode, "
            "digits, when), found the unknown key 'places'",
        ),
        (
            "max_digits = 0",
            "<spec>: training: max_digits: expected a positive integer, found 0",
        ),
    ],
)
def test_spec_rejects_growth_keys(extra, message):
    with pytest.raises(SpecError) as info:
        parse_spec(SPEC.format(extra=extra))
    assert str(info.value) == message


# The flint and the general SymPy arithmetic agree.


def signature(trace) -> str:
    return json.dumps(trace.to_dict(), sort_keys=True)


@pytest.mark.parametrize(
    "policy",
    [
        None,
        RoundingPolicy("decimals", 3),
        RoundingPolicy("significant", 2, "step"),
    ],
)
def test_general_arithmetic_matches_flint(monkeypatch, policy):
    def run():
        return train(
            two_input_network(),
            [2, 1],
            [1],
            learning_rate="1/10",
            steps=3,
            rounding=policy,
        )

    fast = run()
    monkeypatch.setattr(engine, "FLINT", None)
    general = run()
    assert signature(general) == signature(fast)


def test_layer_without_rational_forms_uses_general(monkeypatch):
    plain_relu = dataclasses.replace(
        relu(), rational_function=None, rational_slope=None
    )
    assert isinstance(plain_relu, Activation)
    mixed = Network(
        [
            Layer([["1/3", "1/2"], ["-1/4", "2/3"]], ["1/5", "-1/7"], plain_relu),
            Layer([["2/3", "3/4"]], [0], "identity"),
        ]
    )
    reference = train(two_input_network(), [2, 1], [1], learning_rate="1/10", steps=2)
    chosen = []
    original = engine._layer_arithmetic

    def spy(*arguments):
        arithmetic = original(*arguments)
        chosen.append(arithmetic.name)
        return arithmetic

    monkeypatch.setattr(engine, "_layer_arithmetic", spy)
    trace = train(mixed, [2, 1], [1], learning_rate="1/10", steps=2)
    assert signature(trace) == signature(reference)
    if engine.FLINT is not None:
        assert chosen == ["sympy", "flint", "sympy", "flint"]


def test_forward_is_exact():
    values = forward(hand_network(), sympy.Matrix([20]))
    (a0, z1, a1), (_, z2, a2) = values
    assert (a0[0, 0], z1[0, 0], a1[0, 0]) == (20, R(20, 3), R(20, 3))
    assert (z2[0, 0], a2[0, 0]) == (R(40, 9), R(40, 9))


def test_trace_entries_are_rationals():
    trace = train(two_input_network(), [2, 1], [1], learning_rate="1/10", steps=2)
    for step in trace.steps:
        for layer in step.layers:
            for field in trace_module.JSON_KEYS:
                matrix = getattr(layer, field)
                assert all(isinstance(entry, sympy.Rational) for entry in matrix)
