"""The check and template commands: output, exit status and files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from derivation import cli

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "derivation" / "examples" / "relu-1-2-2-1.toml"
ANSWERS = Path(__file__).resolve().parent / "data" / "answers"
CORRECT = ANSWERS / "relu-1-2-2-1-correct.toml"
ONE_SLIP = ANSWERS / "relu-1-2-2-1-one-slip.toml"
FOUR_DECIMALS = ANSWERS / "relu-1-2-2-1-four-decimals.toml"
MALFORMED = ANSWERS / "relu-1-2-2-1-malformed.toml"

MALFORMED_MESSAGE = (
    "step 1: layer 2: dw: expected one of the names W, b, a_prev, z, a, da, "
    "slope, dz, dW, db, da_prev, W_after, b_after, or an alias (input, dL_da, "
    "activation_derivative, dL_dz, delta, dL_dW, dL_db, dL_da_prev, "
    "dL_da_of_input), found the unknown key 'dw' (did you mean 'dW'?)"
)


def run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = cli.main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def copy_answers(folder: Path, *paths: Path) -> Path:
    folder.mkdir(exist_ok=True)
    for path in paths:
        shutil.copy(path, folder / path.name)
    return folder


def test_check_correct_file_exits_0(capsys):
    status, out, err = run(capsys, "check", str(SEED), str(CORRECT))
    assert status == 0
    assert out.splitlines()[0] == f"{CORRECT}: 35 values checked: 35 correct"
    assert out.splitlines()[-1] == "Points: 35 of 35"
    assert err == ""


def test_check_slip_file_exits_1(capsys):
    status, out, err = run(capsys, "check", str(SEED), str(ONE_SLIP))
    lines = out.splitlines()
    assert status == 1
    assert lines[1] == "First slip: step 1: layer 1: z"
    assert lines[6] == (
        "step 1: layer 1: a: consistent with the earlier slip at step 1: layer 1: z"
    )
    assert lines[-1] == "Points: 26 of 27"
    assert err == ""


def test_check_rounded_file_exits_0(capsys):
    status, out, _ = run(capsys, "check", str(SEED), str(FOUR_DECIMALS))
    assert status == 0
    assert out.splitlines()[0] == (
        f"{FOUR_DECIMALS}: 8 values checked: 4 correct, 4 correct within tolerance"
    )


def test_check_malformed_file_exits_2(capsys):
    status, out, err = run(capsys, "check", str(SEED), str(MALFORMED))
    assert status == 2
    assert out == ""
    assert err == f"derivation: error: {MALFORMED}: {MALFORMED_MESSAGE}\n"


def test_check_missing_answers_exits_2(capsys, tmp_path):
    missing = tmp_path / "missing.toml"
    status, _, err = run(capsys, "check", str(SEED), str(missing))
    assert status == 2
    assert err == (
        f"derivation: error: {missing}: expected an answer file, found nothing "
        "(file not found)\n"
    )


def test_check_missing_spec_exits_2(capsys, tmp_path):
    missing = tmp_path / "missing.toml"
    status, _, err = run(capsys, "check", str(missing), str(CORRECT))
    assert status == 2
    assert err == (
        f"derivation: error: {missing}: expected a spec file, found nothing "
        "(file not found)\n"
    )


def test_check_json_report(capsys):
    status, out, _ = run(capsys, "check", str(SEED), str(ONE_SLIP), "--format", "json")
    document = json.loads(out)
    assert status == 1
    assert document["source"] == str(ONE_SLIP)
    assert document["all_right"] is False
    assert document["first_slip"] == "step 1: layer 1: z"
    assert document["points"] == "26"
    assert document["counts"] == {
        "correct": 2,
        "within_tolerance": 0,
        "carried_forward": 24,
        "wrong": 1,
    }
    assert document["values"][0]["expected"] == ["7/2", "7/2"]


def test_check_folder_prints_summaries(capsys, tmp_path):
    folder = copy_answers(tmp_path / "class", CORRECT, ONE_SLIP)
    status, out, err = run(capsys, "check", str(SEED), str(folder))
    assert status == 1
    assert out == (
        "relu-1-2-2-1-correct.toml: 35 of 35 points, 0 wrong\n"
        "relu-1-2-2-1-one-slip.toml: 26 of 27 points, 1 wrong, first slip at "
        "step 1: layer 1: z\n"
    )
    assert err == ""


def test_check_folder_all_right_exits_0(capsys, tmp_path):
    folder = copy_answers(tmp_path / "class", CORRECT, FOUR_DECIMALS)
    status, _, _ = run(capsys, "check", str(SEED), str(folder))
    assert status == 0


def test_check_folder_writes_csv(capsys, tmp_path):
    folder = copy_answers(tmp_path / "class", CORRECT, ONE_SLIP, MALFORMED)
    grades = tmp_path / "grades.csv"
    status, out, _ = run(capsys, "check", str(SEED), str(folder), "--csv", str(grades))
    assert status == 2
    assert out.splitlines()[1] == (
        f"relu-1-2-2-1-malformed.toml: error: {MALFORMED_MESSAGE}"
    )
    assert grades.read_text().splitlines() == [
        "file,points,total,wrong,first_slip,error",
        "relu-1-2-2-1-correct.toml,35,35,0,,",
        f'relu-1-2-2-1-malformed.toml,,,,,"{MALFORMED_MESSAGE}"',
        "relu-1-2-2-1-one-slip.toml,26,27,1,step 1: layer 1: z,",
    ]


def test_check_csv_to_standard_output(capsys, tmp_path):
    folder = copy_answers(tmp_path / "class", CORRECT)
    status, out, _ = run(capsys, "check", str(SEED), str(folder), "--csv", "-")
    assert status == 0
    assert out == (
        "file,points,total,wrong,first_slip,error\n"
        "relu-1-2-2-1-correct.toml,35,35,0,,\n"
    )


def test_check_single_file_csv(capsys, tmp_path):
    grades = tmp_path / "grades.csv"
    status, out, _ = run(
        capsys, "check", str(SEED), str(ONE_SLIP), "--csv", str(grades)
    )
    assert status == 1
    assert out.startswith(f"{ONE_SLIP}: 27 values checked")
    assert grades.read_text().splitlines()[1] == (
        "relu-1-2-2-1-one-slip.toml,26,27,1,step 1: layer 1: z,"
    )


def test_check_folder_json(capsys, tmp_path):
    folder = copy_answers(tmp_path / "class", CORRECT, MALFORMED)
    status, out, _ = run(capsys, "check", str(SEED), str(folder), "--format", "json")
    document = json.loads(out)
    assert status == 2
    assert [entry["file"] for entry in document] == [
        "relu-1-2-2-1-correct.toml",
        "relu-1-2-2-1-malformed.toml",
    ]
    assert document[0]["report"]["total"] == "35"
    assert document[0]["error"] is None
    assert document[1]["report"] is None
    assert document[1]["error"] == MALFORMED_MESSAGE


def test_check_folder_skips_spec(capsys, tmp_path):
    folder = copy_answers(tmp_path / "class", SEED, CORRECT)
    spec = folder / SEED.name
    status, out, _ = run(capsys, "check", str(spec), str(folder))
    assert status == 0
    assert out == "relu-1-2-2-1-correct.toml: 35 of 35 points, 0 wrong\n"


def test_check_empty_folder_exits_2(capsys, tmp_path):
    status, out, err = run(capsys, "check", str(SEED), str(tmp_path))
    assert status == 2
    assert out == ""
    assert err == (
        f"derivation: error: {tmp_path}: no answer files (*.toml) in this folder\n"
    )


def test_check_csv_over_input_rejected(capsys, tmp_path):
    answers = tmp_path / "answers.toml"
    shutil.copy(CORRECT, answers)
    status, out, err = run(
        capsys, "check", str(SEED), str(answers), "--csv", str(answers)
    )
    assert status == 2
    assert out == ""
    assert err == (
        f"derivation: error: the CSV output {answers} is the input file "
        f"{answers}; choose another output file\n"
    )
    assert answers.read_text() == CORRECT.read_text()


def test_template_to_standard_output(capsys):
    status, out, err = run(capsys, "template", str(SEED))
    lines = out.splitlines()
    assert status == 0
    assert err == ""
    assert lines[0] == (
        "# Answers for: Two steps of backpropagation through a small ReLU network"
    )
    assert "[step.2.layer.3]" in lines
    assert 'W_after = [["", ""], ["", ""]]  # W - eta dW, 2x2' in lines


def test_template_of_example(capsys):
    status, out, _ = run(capsys, "template", "--example", "relu-2-2-1")
    assert status == 0
    assert out.splitlines()[0] == (
        "# Answers for: One step of backpropagation through a 2-2-1 network"
    )
    assert "[step.2]" not in out


def test_template_file_checks_clean(capsys, tmp_path):
    template = tmp_path / "blank.toml"
    status, out, _ = run(capsys, "template", str(SEED), "-o", str(template))
    assert status == 0
    assert out == ""
    status, out, _ = run(capsys, "check", str(SEED), str(template))
    assert status == 0
    assert out == f"{template}: no values to check\n"


def test_check_runs_as_a_program():
    result = subprocess.run(
        [sys.executable, "-m", "derivation", "check", str(SEED), str(ONE_SLIP)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[1] == "First slip: step 1: layer 1: z"


def test_template_over_spec_rejected(capsys, tmp_path):
    spec = tmp_path / "spec.toml"
    shutil.copy(SEED, spec)
    status, out, err = run(capsys, "template", str(spec), "-o", str(spec))
    assert status == 2
    assert out == ""
    assert err == (
        f"derivation: error: the output {spec} is the spec file itself; "
        "choose another output file\n"
    )
    assert spec.read_text() == SEED.read_text()


def test_check_csv_over_folder_file_rejected(capsys, tmp_path):
    folder = copy_answers(tmp_path / "class", CORRECT)
    target = folder / CORRECT.name
    status, _, err = run(capsys, "check", str(SEED), str(folder), "--csv", str(target))
    assert status == 2
    assert err == (
        f"derivation: error: the CSV output {target} is the input file "
        f"{target}; choose another output file\n"
    )
    assert target.read_text() == CORRECT.read_text()
