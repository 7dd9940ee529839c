"""The float64 path on batches, momentum, new activations and losses.

For each bundled example, every value of the float64 trace agrees with the
exact trace, evaluated numerically, within a relative 1e-9.
"""

from __future__ import annotations

import json

import numpy
import pytest

from derivation.bundled import example_text
from derivation.cli import main
from derivation.compare import compare
from derivation.engine import solve
from derivation.errors import DerivationError
from derivation.float_engine import solve_float, to_float, to_float_array
from derivation.spec import parse_spec
from derivation.trace import JSON_KEYS, OPTIONAL_JSON_KEYS

EXAMPLES = (
    "mini-batch",
    "momentum-weight-decay",
    "sigmoid-2-2-2",
    "softmax-cross-entropy",
    "tanh-softplus",
    "binary-cross-entropy",
)

RELATIVE = 1e-9


def _runs(name: str):
    spec = parse_spec(example_text(name), name)
    return solve(spec), solve_float(spec)


def _assert_close(exact, value, where: str) -> None:
    expected = to_float_array(exact)
    assert value.shape == expected.shape, where
    numpy.testing.assert_allclose(value, expected, rtol=RELATIVE, atol=1e-300)


@pytest.mark.parametrize("name", EXAMPLES)
def test_float_trace_matches_exact_values(name: str) -> None:
    trace, float_trace = _runs(name)
    assert len(float_trace.steps) == len(trace.steps)
    for step, float_step in zip(trace.steps, float_trace.steps):
        assert float_step.loss == pytest.approx(to_float(step.loss), rel=RELATIVE)
        for number, (record, float_record) in enumerate(
            zip(step.layers, float_step.layers), start=1
        ):
            for field in (*JSON_KEYS, *OPTIONAL_JSON_KEYS):
                exact = getattr(record, field)
                value = getattr(float_record, field)
                where = f"step {step.number}, layer {number}, {field}"
                assert (exact is None) == (value is None), where
                if exact is not None:
                    _assert_close(exact, value, where)


@pytest.mark.parametrize("name", EXAMPLES)
def test_float_final_parameters_match_exact(name: str) -> None:
    trace, float_trace = _runs(name)
    pairs = zip(trace.final_network.layers, float_trace.final_parameters)
    for layer, (W, b) in pairs:
        _assert_close(layer.W, W, "final W")
        _assert_close(layer.b, b, "final b")


@pytest.mark.parametrize("name", EXAMPLES)
def test_compare_example_relative_below_tolerance(name: str) -> None:
    comparison = compare(*_runs(name))
    worst = max(difference.max_relative for difference in comparison.differences)
    assert worst < RELATIVE


@pytest.mark.parametrize("name", EXAMPLES)
def test_compare_transcendental_bound_not_available(name: str) -> None:
    comparison = compare(*_runs(name))
    assert comparison.within_bound is None


def test_compare_sigmoid_names_bound_reason() -> None:
    comparison = compare(*_runs("sigmoid-2-2-2"))
    expected = (
        "Reason: the rounding bound needs identity or relu activations, "
        "not 'sigmoid', whose values are transcendental."
    )
    assert expected in str(comparison)


def test_compare_mini_batch_names_sample_column() -> None:
    comparison = compare(*_runs("mini-batch"))
    assert [kink.column for kink in comparison.kinks] == [1]


def test_float_momentum_records_velocities() -> None:
    _, float_trace = _runs("momentum-weight-decay")
    first = float_trace.steps[0].layers[0]
    assert first.vW is not None


def test_float_softmax_slope_is_none() -> None:
    _, float_trace = _runs("softmax-cross-entropy")
    assert float_trace.steps[0].layers[-1].slope is None


def test_to_float_rejects_symbol() -> None:
    spec = parse_spec(example_text("symbolic-1-1-1"))
    with pytest.raises(DerivationError) as info:
        solve_float(spec)
    assert str(info.value) == (
        "x is not a number: the float path needs numbers, not symbols"
    )


@pytest.mark.parametrize("name", EXAMPLES)
def test_cli_float_json_runs_example(name: str, capsys) -> None:
    code = main(["solve", "--example", name, "--float", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["steps"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_cli_compare_runs_example(name: str, capsys) -> None:
    code = main(["compare", "--example", name])
    assert code == 0
    assert "Float64 run compared" in capsys.readouterr().out


def test_cli_float_symbolic_error(capsys) -> None:
    code = main(["solve", "--example", "symbolic-1-1-1", "--float", "--format", "json"])
    assert code != 0
    assert "x is not a number: the float path needs numbers, not symbols" in (
        capsys.readouterr().err
    )
