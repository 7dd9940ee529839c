"""Overflow, nan and infinities in the float64 path are reported, never compared.

Every case trains the same network exactly and in float64 and compares the
runs. A float64 value that is ``inf``, ``-inf`` or ``nan`` must show up by
name, with a count and a location, in the text and the JSON of the
comparison, and must make ``within_bound`` false.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy
import pytest

from derivation import cli
from derivation.compare import Comparison, Location, compare
from derivation.engine import train
from derivation.errors import DerivationError
from derivation.float_engine import train_float
from derivation.network import Layer, Network


def _both(network: Network, x: list, learning_rate: str = "0.1") -> Comparison:
    trace = train(network, x, [1], learning_rate=learning_rate, steps=1)
    float_trace = train_float(network, x, [1], learning_rate=learning_rate, steps=1)
    return compare(trace, float_trace)


def _overflow() -> Comparison:
    """z = 1e200 * 1e200 overflows to inf in float64 and is 10^400 exactly."""
    return _both(Network([Layer([["1e200"]], [0], "identity")]), ["1e200"])


def _nan(activation: str = "identity") -> Comparison:
    """Two infinite units meet in the output layer as inf - inf, which is nan."""
    network = Network(
        [
            Layer([["1e200"], ["1e200"]], [0, 0], "identity"),
            Layer([[1, -1]], [0], activation),
        ]
    )
    return _both(network, ["1e200"])


def _branch_overflow() -> Comparison:
    """Float64 rounds a ReLU input across 0, so only the exact run grows huge.

    Exactly, z = -1e16 + 1e16 * 0.99999999999999991... + 1 is 1/10 and the
    later layers multiply it by 10^600; float64 gets z < 0, so its output
    stays 0 while the exact one is far beyond the float64 range.
    """
    network = Network(
        [
            Layer([["-1e16", "1e16"]], ["1"], "relu"),
            Layer([["1e300"]], [0], "identity"),
            Layer([["1e300"]], [0], "identity"),
        ]
    )
    return _both(network, ["1", "0.99999999999999991"], learning_rate="0")


# --- overflow to infinity ------------------------------------------------------


def test_overflow_is_counted_as_infinite():
    difference = _overflow()["z"]
    assert difference.infinite == 1
    assert difference.infinite_at == Location(1, 1, 1, 1)
    assert difference.nan == 0


def test_overflow_difference_is_infinite():
    difference = _overflow()["z"]
    assert difference.max_absolute == math.inf
    assert difference.max_relative == math.inf


def test_overflow_is_not_within_bound():
    comparison = _overflow()
    assert comparison.all_finite is False
    assert comparison.within_bound is False


def test_overflow_text_names_quantities():
    text = _overflow().to_text()
    assert (
        "Not finite in float64 (overflow gives inf; inf - inf and 0 * inf give "
        "nan). These entries are not compared; their difference counts as inf:\n"
        "  z: 1 entry is inf, the first at step 1, layer 1, [1,1]\n"
    ) in text
    assert "  loss: 1 entry is inf, the first at step 1\n" in text


def test_overflow_json_has_counts_and_no_nan():
    data = json.loads(json.dumps(_overflow().to_dict(), allow_nan=False))
    z = data["quantities"]["z"]
    assert data["all_finite"] is False
    assert data["within_bound"] is False
    assert z["max_absolute"] == "inf"
    assert z["infinite"] == 1
    assert z["infinite_at"] == {"step": 1, "layer": 1, "row": 1, "column": 1}
    assert z["nan"] == 0
    assert z["nan_at"] is None


def test_negative_overflow_is_counted():
    comparison = _both(Network([Layer([["-1e200"]], [0], "identity")]), ["1e200"])
    assert comparison["z"].infinite == 1
    assert comparison["loss"].infinite == 1


# --- nan -----------------------------------------------------------------------


def test_nan_is_counted_as_nan():
    comparison = _nan()
    assert comparison["z"].nan == 1
    assert comparison["z"].nan_at == Location(1, 2, 1, 1)
    assert comparison["loss"].nan == 1
    assert comparison["loss"].nan_at == Location(1)


def test_nan_difference_is_infinite_not_skipped():
    comparison = _nan()
    assert comparison["loss"].max_absolute == math.inf
    assert comparison["loss"].absolute_at == Location(1)


def test_nan_is_not_within_bound():
    comparison = _nan()
    assert comparison.all_finite is False
    assert comparison.within_bound is False


def test_nan_text_names_quantity():
    text = _nan().to_text()
    assert "  z: 1 entry is nan, the first at step 1, layer 2, [1,1]\n" in text
    assert "  loss: 1 entry is nan, the first at step 1\n" in text


def test_nan_json_is_strict_json():
    data = json.loads(json.dumps(_nan().to_dict(), allow_nan=False))
    assert data["quantities"]["loss"]["nan"] == 1
    assert data["quantities"]["loss"]["max_absolute"] == "inf"


def test_nan_in_relu_is_reported():
    # The float ReLU maps nan to 0, so only z shows it; the loss is finite.
    comparison = _nan("relu")
    assert comparison["z"].nan == 1
    assert comparison["a"].nan == 0
    assert comparison["loss"].nan == 0
    assert comparison.all_finite is False


def test_nan_kink_is_not_a_crossing():
    kinks = _nan("relu").kinks
    assert len(kinks) == 1
    assert math.isnan(kinks[0].float_z)
    assert kinks[0].exact_z == 0
    assert kinks[0].crossed is False


# --- exact values beyond the float64 range -------------------------------------


def test_exact_beyond_float_range_is_infinite():
    comparison = _branch_overflow()
    assert comparison["z"].max_absolute == math.inf
    assert comparison["z"].absolute_at == Location(1, 3, 1, 1)


def test_exact_beyond_float_range_keeps_float_finite():
    comparison = _branch_overflow()
    assert comparison["z"].infinite == 0
    assert comparison.kinks[0].crossed is True


def test_input_beyond_float_range_is_rejected():
    network = Network([Layer([["1e400"]], [0], "identity")])
    with pytest.raises(DerivationError) as raised:
        train_float(network, [1], [1], learning_rate="0.1")
    assert str(raised.value) == (
        "1.00e+400 is outside the float64 range (magnitudes up to about 1.8e308)"
    )


def test_input_beyond_float_range_exits_2(capsys, tmp_path):
    spec = tmp_path / "net.toml"
    base = Path(__file__).parent / "data" / "hostile" / "base.toml"
    spec.write_text(base.read_text().replace("x = [1, 2]", "x = [1e400, 2]"))
    status = cli.main(["compare", str(spec)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err == (
        f"derivation: error: {spec}: 1.00e+400 is outside the float64 range "
        "(magnitudes up to about 1.8e308)\n"
    )


# --- underflow -----------------------------------------------------------------


def test_underflow_is_a_finite_difference():
    comparison = _both(Network([Layer([["1e-200"]], [0], "identity")]), ["1e-200"])
    difference = comparison["z"]
    assert comparison.all_finite is True
    assert difference.max_absolute == 0.0
    assert difference.max_relative == 1.0


def test_tiny_learning_rate_rounds_to_zero():
    network = Network([Layer([[1]], [0])])
    float_trace = train_float(network, [1], [1], learning_rate="1e-400")
    assert float_trace.learning_rate == 0.0


# --- the command line ----------------------------------------------------------


def _overflow_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "net.toml"
    spec.write_text(
        "[network]\ninputs = 1\n\n"
        '[[layer]]\nactivation = "identity"\nweights = 1e200\nbiases = 0\n\n'
        "[data]\nx = [1e200]\ny = [1]\n\n"
        '[training]\nloss = "half_squared_error"\nlearning_rate = 0.1\nsteps = 2\n'
    )
    return spec


def test_compare_cli_reports_overflow(capsys, tmp_path):
    status = cli.main(["compare", str(_overflow_spec(tmp_path))])
    out = capsys.readouterr().out
    assert status == 0
    assert "  z: 2 entries are inf, the first at step 1, layer 1, [1,1]\n" in out


def test_compare_cli_json_reports_overflow(capsys, tmp_path):
    status = cli.main(["compare", str(_overflow_spec(tmp_path)), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0
    assert data["all_finite"] is False
    # W_after is -inf after step 1, and -inf - 0.1 * inf is nan in step 2.
    assert data["quantities"]["W_after"]["infinite"] == 1
    assert data["quantities"]["W_after"]["nan"] == 1


def test_float_solution_writes_inf_as_text(capsys, tmp_path):
    status = cli.main(["solve", str(_overflow_spec(tmp_path)), "--float"])
    text = capsys.readouterr().out
    document = json.loads(text)
    assert status == 0
    assert "Infinity" not in text
    assert "NaN" not in text
    assert document["steps"][0]["layers"][0]["z"] == ["inf"]
    assert document["steps"][1]["loss"] in ("inf", "nan")


def test_float_run_raises_no_numpy_warning():
    with numpy.errstate(all="raise"):
        _nan()
