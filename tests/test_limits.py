"""Resource limits: each one stops a hostile spec quickly, with a clear message.

Every message names the limit, the value found and the setting that allows
it, and the command line exits with status 2 without writing anything.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from derivation import cli
from derivation.errors import DerivationError, LimitError, SpecError
from derivation.limits import (
    DEFAULT_LIMITS,
    LIMIT_NAMES,
    Limits,
    ResourceLimitError,
    check_output,
    check_run,
    count_values,
    values_per_step,
)
from derivation.numbers import MAX_DIGITS, MAX_EXPONENT, to_exact
from derivation.spec import load_spec, parse_spec

BASE = (Path(__file__).parent / "data" / "hostile" / "base.toml").read_text()
NUMBER_FORMS = 'a number (integer, decimal, fraction such as "-3/8", or 2.5e-3)'
# A hostile spec must be rejected in well under this many seconds.
QUICK_SECONDS = 5.0


def _edited(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def _limit_error(text: str, limits: Limits | None = None) -> ResourceLimitError:
    started = time.monotonic()
    with pytest.raises(ResourceLimitError) as raised:
        parse_spec(text, source="net.toml", limits=limits)
    assert time.monotonic() - started < QUICK_SECONDS
    return raised.value


def _wide_spec(units: int, layers: int = 1, steps: int = 1) -> str:
    """A spec whose hidden layers have ``units`` units, from scalar weights."""
    hidden = (
        f'[[layer]]\nactivation = "relu"\nunits = {units}\n'
        'weights = "1/2"\nbiases = 0\n\n'
    ) * layers
    return (
        "[network]\ninputs = 2\n\n"
        + hidden
        + '[[layer]]\nactivation = "identity"\nunits = 1\nweights = 1\nbiases = 0\n\n'
        + "[data]\nx = [1, 2]\ny = [3]\n\n"
        + '[training]\nloss = "half_squared_error"\nlearning_rate = 0.1\n'
        + f"steps = {steps}\n"
    )


def _run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = cli.main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- the Limits object -------------------------------------------------------


def test_default_limits_are_documented_values():
    assert DEFAULT_LIMITS == Limits(
        width=256,
        depth=32,
        steps=1000,
        values=500_000,
        spec_bytes=1_000_000,
        output_bytes=20_000_000,
    )


def test_limit_names_are_the_fields():
    assert LIMIT_NAMES == (
        "width",
        "depth",
        "steps",
        "values",
        "spec_bytes",
        "output_bytes",
    )


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "10", None])
def test_limit_must_be_positive_integer(value):
    with pytest.raises(DerivationError) as raised:
        Limits(steps=value)
    assert str(raised.value) == f"limit steps must be a positive integer, not {value!r}"


def test_override_sets_one_limit():
    limits = DEFAULT_LIMITS.with_overrides(["steps=5000", "width=512"])
    assert limits.steps == 5000
    assert limits.width == 512
    assert limits.depth == 32


def test_override_accepts_digit_groups():
    limits = DEFAULT_LIMITS.with_overrides(["output_bytes=50_000_000"])
    assert limits.output_bytes == 50_000_000


def test_override_later_setting_wins():
    assert DEFAULT_LIMITS.with_overrides(["steps=5", "steps=7"]).steps == 7


@pytest.mark.parametrize("setting", ["steps", "stepz=5", "=5", "steps:5", ""])
def test_override_rejects_unknown_name(setting):
    with pytest.raises(DerivationError) as raised:
        DEFAULT_LIMITS.with_overrides([setting])
    assert str(raised.value) == (
        f"--limit {setting}: expected NAME=N with NAME one of width, depth, "
        "steps, values, spec_bytes, output_bytes"
    )


@pytest.mark.parametrize("text", ["0", "-5", "abc", "1.5", "1e3", "", "٣"])
def test_override_rejects_non_positive_value(text):
    with pytest.raises(DerivationError) as raised:
        DEFAULT_LIMITS.with_overrides([f"steps={text}"])
    assert str(raised.value) == (
        f"--limit steps={text}: expected a positive integer after 'steps=', "
        f"found {text!r}"
    )


def test_limit_error_names_limit_and_fix():
    error = ResourceLimitError("depth", 40, 32, "layer", source="net.toml")
    assert str(error) == (
        "net.toml: layer: expected at most 32 layers (the depth limit), found 40; "
        "to allow it, pass --limit depth=40 (in Python, Limits(depth=40))"
    )
    assert (error.name, error.value, error.maximum) == ("depth", 40, 32)


def test_values_per_step_counts_every_record():
    # Layer 1 (2 units, 1 input): 3*2 + 8*2 + 2*1 = 24; layer 2 (1 unit,
    # 2 inputs): 3*2 + 8 + 4 = 18; and the loss.
    assert values_per_step((1, 2, 1)) == 43


def test_values_per_step_matches_a_trace():
    from derivation.engine import solve

    trace = solve(parse_spec(BASE))
    step = trace.steps[0]
    names = ("W", "b", "a_prev", "z", "a", "da", "slope", "dz", "dW", "db")
    names += ("da_prev", "W_after", "b_after")
    recorded = 1 + sum(
        len(getattr(layer, name)) for layer in step.layers for name in names
    )
    assert values_per_step(trace.network.widths) == recorded


def test_count_values_multiplies_by_steps():
    assert count_values((1, 2, 1), steps=10) == 430


def test_check_run_rejects_deep_network():
    with pytest.raises(ResourceLimitError) as raised:
        check_run((2,) * 40, steps=1)
    assert str(raised.value) == (
        "layer: expected at most 32 layers (the depth limit), found 39; to allow "
        "it, pass --limit depth=39 (in Python, Limits(depth=39))"
    )


def test_check_run_accepts_raised_limit():
    check_run((2,) * 40, steps=1, limits=Limits(depth=39))


def test_check_output_counts_utf8_bytes():
    with pytest.raises(ResourceLimitError) as raised:
        check_output("é" * 6, "the LaTeX output", Limits(output_bytes=11))
    assert str(raised.value) == (
        "the LaTeX output: expected at most 11 bytes (the output_bytes limit), "
        "found 12; to allow it, pass --limit output_bytes=12 "
        "(in Python, Limits(output_bytes=12))"
    )


def test_check_output_accepts_text_at_limit():
    check_output("é" * 6, "the LaTeX output", Limits(output_bytes=12))


# --- width -------------------------------------------------------------------


def test_huge_units_fails_fast():
    error = _limit_error(_wide_spec(100_000_000))
    assert str(error) == (
        "net.toml: layer 1: units: expected at most 256 units (the width limit), "
        "found 100000000; to allow it, pass --limit width=100000000 "
        "(in Python, Limits(width=100000000))"
    )


def test_huge_inputs_fails_fast():
    error = _limit_error(_edited("inputs = 2", "inputs = 99999999999"))
    assert str(error) == (
        "net.toml: network: inputs: expected at most 256 inputs (the width "
        "limit), found 99999999999; to allow it, pass --limit width=99999999999 "
        "(in Python, Limits(width=99999999999))"
    )


def test_width_from_weight_rows_is_limited():
    rows = ", ".join(["[1, 1]"] * 300)
    text = _edited(
        "weights = [[0.5, -1], [1.5, 2]]\nbiases = [0.25, -0.5]",
        f"weights = [{rows}]\nbiases = 0",
    )
    error = _limit_error(text)
    assert (error.name, error.value, error.key_path) == ("width", 300, "layer 1: units")


def test_width_at_limit_is_accepted():
    spec = parse_spec(_wide_spec(256))
    assert spec.network.widths == (2, 256, 1)


def test_raised_width_is_accepted():
    spec = parse_spec(_wide_spec(300), limits=Limits(width=300))
    assert spec.network.widths == (2, 300, 1)


# --- depth -------------------------------------------------------------------


def test_deep_network_is_rejected():
    error = _limit_error(_wide_spec(2, layers=40))
    assert str(error) == (
        "net.toml: layer: expected at most 32 layers (the depth limit), found 41; "
        "to allow it, pass --limit depth=41 (in Python, Limits(depth=41))"
    )


def test_deep_network_is_rejected_before_reading_layers():
    text = _wide_spec(2, layers=40).replace('activation = "relu"', "activation = 1")
    error = _limit_error(text)
    assert error.name == "depth"


def test_depth_at_limit_is_accepted():
    spec = parse_spec(_wide_spec(2, layers=31))
    assert len(spec.network.layers) == 32


# --- steps -------------------------------------------------------------------


def test_huge_steps_fails_fast():
    error = _limit_error(_edited("steps = 1", "steps = 99999999999999999999"))
    assert str(error) == (
        "net.toml: training: steps: expected at most 1000 steps (the steps "
        "limit), found 99999999999999999999; to allow it, pass --limit "
        "steps=99999999999999999999 (in Python, Limits(steps=99999999999999999999))"
    )


def test_steps_at_limit_are_accepted():
    assert parse_spec(_edited("steps = 1", "steps = 1000")).steps == 1000


def test_raised_steps_are_accepted():
    text = _edited("steps = 1", "steps = 1001")
    assert parse_spec(text, limits=Limits(steps=1001)).steps == 1001


# --- recorded values ---------------------------------------------------------


def test_many_values_are_rejected():
    # 200 units: 3*200*2 + 8*200 + 2*2 = 2804 and 3*200 + 8 + 2*200 = 1008
    # values per step, with the loss 3813; 200 steps record 762600.
    error = _limit_error(_wide_spec(200, steps=200))
    assert str(error) == (
        "net.toml: training: steps: expected at most 500000 recorded values (the "
        "values limit), found 762600 (200 steps of 3813 values); to allow it, "
        "pass --limit values=762600 (in Python, Limits(values=762600))"
    )


def test_one_huge_step_is_rejected_while_reading_layers():
    # A step records 3588 values for layer 1 and 199168 for each 256x256
    # layer after it, so the fourth layer passes 500000.
    error = _limit_error(_wide_spec(256, layers=8))
    assert error.name == "values"
    assert error.key_path == "layer 4: units"


def test_values_at_limit_are_accepted():
    text = _wide_spec(200, steps=131)
    assert count_values((2, 200, 1), 131) == 499503
    assert parse_spec(text).steps == 131


# --- spec size ---------------------------------------------------------------


def test_large_spec_file_is_rejected(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(BASE + "#" * 2_000_000)
    size = path.stat().st_size
    with pytest.raises(ResourceLimitError) as raised:
        load_spec(path)
    assert str(raised.value) == (
        f"{path}: expected at most 1000000 bytes (the spec_bytes limit), found "
        f"{size}; to allow it, pass --limit spec_bytes={size} "
        f"(in Python, Limits(spec_bytes={size}))"
    )


def test_endless_spec_file_is_rejected():
    started = time.monotonic()
    with pytest.raises(ResourceLimitError) as raised:
        load_spec("/dev/zero")
    assert time.monotonic() - started < QUICK_SECONDS
    assert str(raised.value) == (
        "/dev/zero: expected at most 1000000 bytes (the spec_bytes limit), found "
        "1000001 (or more; the file was read no further); to allow it, pass "
        "--limit spec_bytes=1000001 (in Python, Limits(spec_bytes=1000001))"
    )


def test_large_spec_file_with_raised_limit_loads(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(BASE + "#" * 2_000_000)
    spec = load_spec(path, Limits(spec_bytes=3_000_000))
    assert spec.steps == 1


def test_large_spec_text_is_rejected():
    text = BASE + "#" * 1_000_000
    error = _limit_error(text)
    assert (error.name, error.value) == ("spec_bytes", len(text))


def test_endless_standard_input_is_rejected(capsys, monkeypatch):
    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = b"#" * len(buffer)
            return len(buffer)

    stdin = io.TextIOWrapper(io.BufferedReader(Endless()))
    monkeypatch.setattr("sys.stdin", stdin)
    status, out, err = _run(capsys, "solve", "-")
    assert status == 2
    assert out == ""
    assert err == (
        "derivation: error: <stdin>: expected at most 1000000 bytes (the "
        "spec_bytes limit), found 1000001 (or more; reading stopped there); to "
        "allow it, pass --limit spec_bytes=1000001 "
        "(in Python, Limits(spec_bytes=1000001))\n"
    )


# --- output size -------------------------------------------------------------


def test_large_output_is_not_written(capsys, tmp_path):
    output = tmp_path / "solution.tex"
    status, out, err = _run(
        capsys,
        "solve",
        "--example",
        "relu-2-2-1",
        "-o",
        str(output),
        "--limit",
        "output_bytes=1000",
    )
    assert status == 2
    assert out == ""
    assert err.startswith(
        "derivation: error: the LaTeX output: expected at most 1000 bytes "
        "(the output_bytes limit), found "
    )
    assert list(tmp_path.iterdir()) == []


def test_large_output_keeps_existing_file(capsys, tmp_path):
    output = tmp_path / "solution.json"
    cli.main(
        ["solve", "--example", "relu-2-2-1", "--format", "json", "-o", str(output)]
    )
    before = output.read_text()
    status, _, _ = _run(
        capsys,
        "solve",
        "--example",
        "relu-1-2-2-1",
        "--format",
        "json",
        "-o",
        str(output),
        "--limit",
        "output_bytes=100",
    )
    assert status == 2
    assert output.read_text() == before


def test_large_output_is_not_printed(capsys):
    status, out, err = _run(
        capsys, "solve", "--example", "relu-2-2-1", "--limit", "output_bytes=100"
    )
    assert status == 2
    assert out == ""
    assert "(the output_bytes limit)" in err


def test_large_template_is_not_written(capsys):
    status, out, err = _run(
        capsys, "template", "--example", "relu-2-2-1", "--limit", "output_bytes=100"
    )
    assert status == 2
    assert out == ""
    assert err.startswith("derivation: error: the answer template: expected at most")


# --- the command line --------------------------------------------------------


def test_cli_limit_error_exits_2(capsys, tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text(_edited("steps = 1", "steps = 5000"))
    status, out, err = _run(capsys, "solve", str(spec))
    assert status == 2
    assert out == ""
    assert err == (
        f"derivation: error: {spec}: training: steps: expected at most 1000 "
        "steps (the steps limit), found 5000; to allow it, pass --limit "
        "steps=5000 (in Python, Limits(steps=5000))\n"
    )


def test_cli_limit_option_raises_limit(capsys, tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text(_edited("steps = 1", "steps = 1001"))
    status, out, _ = _run(
        capsys, "solve", str(spec), "--format", "json", "--limit", "steps=1001"
    )
    assert status == 0
    assert '"step": 1001' in out


def test_cli_limit_option_lowers_limit(capsys):
    status, _, err = _run(
        capsys, "compare", "--example", "relu-1-2-2-1", "--limit", "width=1"
    )
    assert status == 2
    assert err == (
        "derivation: error: relu-1-2-2-1: layer 1: units: expected at most 1 "
        "unit (the width limit), found 2; to allow it, pass --limit width=2 "
        "(in Python, Limits(width=2))\n"
    )


def test_cli_bad_limit_option_exits_2(capsys):
    status, _, err = _run(capsys, "solve", "--example", "relu-2-2-1", "--limit", "x")
    assert status == 2
    assert err == (
        "derivation: error: --limit x: expected NAME=N with NAME one of width, "
        "depth, steps, values, spec_bytes, output_bytes\n"
    )


def test_check_command_applies_limits(capsys, tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text(_wide_spec(300))
    answers = tmp_path / "answers.toml"
    answers.write_text("[step.1]\nloss = 1\n")
    status, _, err = _run(capsys, "check", str(spec), str(answers))
    assert status == 2
    assert "(the width limit)" in err


# --- numbers in the input ----------------------------------------------------


def test_long_number_is_rejected():
    digits = "7" * (MAX_DIGITS + 1)
    with pytest.raises(SpecError) as raised:
        parse_spec(_edited("x = [1, 2]", f'x = ["{digits}", 2]'), source="net.toml")
    assert str(raised.value) == (
        f"net.toml: data: x: entry 1: expected {NUMBER_FORMS}, found the string "
        f"'{digits[:40]}...', which has more than {MAX_DIGITS} digits"
    )


def test_fraction_of_many_digits_is_rejected():
    half = "3" * 600
    with pytest.raises(SpecError) as raised:
        parse_spec(_edited("x = [1, 2]", f'x = ["{half}/{half}7", 2]'))
    assert str(raised.value).endswith(f"which has more than {MAX_DIGITS} digits")


def test_huge_exponent_is_rejected_quickly():
    started = time.monotonic()
    with pytest.raises(SpecError) as raised:
        parse_spec(_edited("x = [1, 2]", "x = [1e1000000, 2]"), source="net.toml")
    assert time.monotonic() - started < QUICK_SECONDS
    assert str(raised.value) == (
        f"net.toml: data: x: entry 1: expected {NUMBER_FORMS}, found 1e1000000, "
        f"which has the exponent 1000000, outside the supported range "
        f"-{MAX_EXPONENT} to {MAX_EXPONENT}"
    )


def test_huge_toml_integer_is_rejected():
    with pytest.raises(SpecError) as raised:
        parse_spec(_edited("y = [3]", f"y = [{'9' * 5000}]"), source="net.toml")
    assert str(raised.value).startswith("net.toml: expected valid TOML, found ")


def test_huge_python_integer_is_rejected():
    with pytest.raises(DerivationError) as raised:
        to_exact(10**MAX_DIGITS)
    assert str(raised.value) == f"an integer that has more than {MAX_DIGITS} digits"


# --- growth of exact values --------------------------------------------------


def test_growing_values_stop_with_limit_error():
    text = _edited("weights = [[0.5, -1], [1.5, 2]]", "weights = 1e1000").replace(
        "x = [1, 2]", "x = [1e1000, 1e1000]"
    )
    text = text.replace("steps = 1", "steps = 3")
    from derivation.engine import solve

    started = time.monotonic()
    with pytest.raises(LimitError) as raised:
        solve(parse_spec(text))
    assert time.monotonic() - started < QUICK_SECONDS
    # z has about 2000 digits, so the squared error has about 4000.
    assert str(raised.value) == (
        "step 1: the loss L has a numerator of 4004 digits, more than the limit "
        "of 4000. Exact values grow with every step; to go on, round them "
        "(rounding, such as 4 decimal places), or raise the limit (max_digits)."
    )


def test_growing_values_exit_2_on_cli(capsys, tmp_path):
    spec = tmp_path / "net.toml"
    text = _edited("steps = 1", "steps = 1000").replace(
        "learning_rate = 0.1", 'learning_rate = "1/3"'
    )
    spec.write_text(text.replace("[training]", "[training]\nmax_digits = 50"))
    status, out, err = _run(capsys, "solve", str(spec), "-o", str(tmp_path / "s.tex"))
    assert status == 2
    assert out == ""
    assert err.startswith(f"derivation: error: {spec}: step ")
    assert "more than the limit of 50" in err
    assert not (tmp_path / "s.tex").exists()
