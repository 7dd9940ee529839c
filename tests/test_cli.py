"""The command line: outputs, exit status, messages and file handling."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from derivation import cli
from derivation.bundled import example_names
from derivation.numbers import parse_number

EXAMPLES = Path(__file__).resolve().parents[1] / "derivation" / "examples"
SEED = EXAMPLES / "relu-1-2-2-1.toml"

BROKEN_SPEC = """
[network]
inputs = 1

[[layer]]
activation = "relu"
weights = [[1, 2, 3]]
biases = [0]

[data]
x = [1]
y = [1]

[training]
loss = "half_squared_error"
learning_rate = 0.1
steps = 1
"""


def run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = cli.main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_solve_example_writes_standalone_latex(capsys, tmp_path):
    output = tmp_path / "solution.tex"
    status, out, err = run(
        capsys, "solve", "--example", "relu-1-2-2-1", "-o", str(output)
    )
    text = output.read_text()
    assert status == 0
    assert out == ""
    assert err == ""
    assert text.startswith(r"\documentclass")
    assert text.rstrip().endswith(r"\end{document}")


def test_solve_spec_to_standard_output(capsys):
    status, out, _ = run(capsys, "solve", str(SEED))
    assert status == 0
    assert r"\begin{document}" in out
    assert "0.5975" in out


def test_solve_fragment_has_no_preamble(capsys):
    status, out, _ = run(capsys, "solve", str(SEED), "--fragment")
    assert status == 0
    assert r"\documentclass" not in out
    assert r"\section*{Step 1}" in out


def test_solve_json_holds_exact_strings(capsys):
    status, out, _ = run(capsys, "solve", str(SEED), "--format", "json")
    document = json.loads(out)
    last_layer = document["steps"][1]["layers"][2]
    assert status == 0
    assert document["title"].startswith("Two steps")
    assert document["steps"][0]["loss"] == "529/8"
    assert last_layer["b_after"] == ["-11977/20000"]
    assert last_layer["dL_da_of_input"] == ["-32623/80000", "-32623/80000"]
    assert document["steps"][0]["layers"][0]["W_after"] == [["2/25"], ["2/25"]]


def test_json_values_read_back_exactly(capsys):
    _, out, _ = run(capsys, "solve", str(SEED), "--format", "json")
    step = json.loads(out)["steps"][0]
    assert parse_number(step["layers"][1]["W_after"][0][0]) == parse_number("0.5975")


def test_examples_lists_bundled_specs(capsys):
    status, out, _ = run(capsys, "examples")
    assert status == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == sorted(names)
    assert "relu-1-2-2-1" in names
    assert "Two steps of backpropagation" in out


def test_bad_spec_exits_2_with_message(capsys, tmp_path):
    spec = tmp_path / "broken.toml"
    spec.write_text(BROKEN_SPEC)
    status, out, err = run(capsys, "solve", str(spec))
    assert status == 2
    assert out == ""
    assert err == (
        f"derivation: error: {spec}: layer 1: weights: "
        "expected a 1x1 matrix, found 1x3\n"
    )


def test_bad_spec_leaves_no_output_file(capsys, tmp_path):
    spec = tmp_path / "broken.toml"
    spec.write_text(BROKEN_SPEC)
    output = tmp_path / "solution.tex"
    status, _, _ = run(capsys, "solve", str(spec), "-o", str(output))
    assert status == 2
    assert list(tmp_path.iterdir()) == [spec]


def test_bad_spec_keeps_existing_output(capsys, tmp_path):
    spec = tmp_path / "broken.toml"
    spec.write_text(BROKEN_SPEC)
    output = tmp_path / "solution.tex"
    output.write_text("earlier solution")
    status, _, _ = run(capsys, "solve", str(spec), "-o", str(output))
    assert status == 2
    assert output.read_text() == "earlier solution"


def test_missing_spec_file_exits_2(capsys, tmp_path):
    missing = tmp_path / "missing.toml"
    status, _, err = run(capsys, "solve", str(missing))
    assert status == 2
    assert err.startswith(f"derivation: error: {missing}: ")
    assert "Traceback" not in err


def test_unknown_example_lists_available(capsys):
    status, _, err = run(capsys, "solve", "--example", "nope")
    assert status == 2
    assert err == (
        "derivation: error: no bundled example named 'nope'; "
        f"available: {', '.join(example_names())}\n"
    )


def test_unwritable_output_folder_exits_2(capsys, tmp_path):
    output = tmp_path / "no-such-folder" / "solution.tex"
    status, _, err = run(capsys, "solve", str(SEED), "-o", str(output))
    assert status == 2
    assert err.startswith(f"derivation: error: cannot write {output}: ")


def test_replaced_output_keeps_its_mode(capsys, tmp_path):
    output = tmp_path / "solution.tex"
    output.write_text("old")
    output.chmod(0o640)
    run(capsys, "solve", str(SEED), "-o", str(output), "--force")
    assert output.stat().st_mode & 0o777 == 0o640
    assert output.read_text().startswith(r"\documentclass")


def test_spec_and_example_together_are_rejected(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["solve", str(SEED), "--example", "relu-1-2-2-1"])
    assert raised.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_interrupt_exits_130(capsys, monkeypatch):
    def interrupted(spec):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "solve", interrupted)
    status, _, err = run(capsys, "solve", str(SEED))
    assert status == 130
    assert err == "derivation: interrupted\n"


def test_module_runs_as_a_program(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "derivation",
            "solve",
            "--example",
            "relu-2-2-1",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["steps"][0]["step"] == 1


def test_fragment_with_json_is_rejected(capsys):
    status, out, err = run(capsys, "solve", str(SEED), "--format", "json", "--fragment")
    assert status == 2
    assert out == ""
    assert err == "derivation: error: --fragment applies only to --format latex\n"


def test_output_over_the_spec_is_rejected(capsys, tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text(SEED.read_text())
    status, _, err = run(capsys, "solve", str(spec), "-o", str(spec))
    assert status == 2
    assert err == (
        f"derivation: error: the output {spec} is the spec file itself; "
        "choose another output file\n"
    )
    assert spec.read_text() == SEED.read_text()


def test_spec_from_standard_input(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(SEED.read_text()))
    status, out, _ = run(capsys, "solve", "-", "--format", "json")
    assert status == 0
    assert json.loads(out)["steps"][0]["loss"] == "529/8"


def test_solve_float_writes_float_json(capsys):
    status, out, _ = run(capsys, "solve", str(SEED), "--float")
    document = json.loads(out)
    assert status == 0
    assert document["steps"][0]["loss"] == 66.125
    assert document["steps"][1]["layers"][2]["b_after"] == [-0.59885]


def test_solve_float_rejects_latex(capsys):
    status, _, err = run(capsys, "solve", str(SEED), "--float", "--format", "latex")
    assert status == 2
    assert err == "derivation: error: --float writes JSON only; drop --format latex\n"


def test_compare_reports_every_quantity(capsys):
    status, out, _ = run(capsys, "compare", "--example", "relu-1-2-2-1")
    quantities = [line.split()[0] for line in out.splitlines()[5:14]]
    assert status == 0
    assert quantities == [
        "z",
        "a",
        "dz",
        "dW",
        "db",
        "da_prev",
        "W_after",
        "b_after",
        "loss",
    ]
    assert "Kinks: none." in out


def test_compare_json_is_within_bound(capsys):
    status, out, _ = run(capsys, "compare", str(SEED), "--format", "json")
    assert status == 0
    assert json.loads(out)["within_bound"] is True
