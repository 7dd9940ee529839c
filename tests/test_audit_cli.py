"""The derivation audit command: output, JSON and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

from derivation.cli import main

DATA = Path(__file__).resolve().parent / "data" / "audit"
SLIPS = DATA / "hand-solution-with-slips.md"
SPEC = DATA / "relu-2-2-1.toml"


def test_audit_cli_exits_one_on_slips(capsys):
    status = main(["audit", str(SLIPS), "--spec", str(SPEC)])
    assert status == 1


def test_audit_cli_prints_file_and_line(capsys):
    main(["audit", str(SLIPS), "--spec", str(SPEC)])
    output = capsys.readouterr().out
    lines = [line for line in output.splitlines() if line.startswith(f"{SLIPS}:")]
    assert [line.split(":")[1] for line in lines] == ["21", "35", "41", "47"]


def test_audit_cli_prints_right_value(capsys):
    main(["audit", str(SLIPS), "--spec", str(SPEC)])
    output = capsys.readouterr().out
    assert "  right value: 0.565\n" in output


def test_audit_cli_counts_not_checked(capsys):
    main(["audit", str(SLIPS), "--spec", str(SPEC)])
    output = capsys.readouterr().out
    assert "\nnot checked: 1\n" in output


def test_audit_cli_json_lists_findings(capsys):
    main(["audit", str(SLIPS), "--spec", str(SPEC), "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert [finding["line"] for finding in document["findings"]] == [21, 35, 41, 47]


def test_audit_cli_json_counts_not_checked(capsys):
    main(["audit", str(SLIPS), "--spec", str(SPEC), "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert document["not_checked_count"] == 1


def test_audit_cli_exits_zero_when_clean(capsys):
    status = main(
        ["audit", str(DATA / "kink-correct.md"), "--spec", str(DATA / "relu-kink.toml")]
    )
    assert status == 0


def test_audit_cli_missing_file_exits_two(tmp_path, capsys):
    missing = tmp_path / "missing.md"
    status = main(["audit", str(missing)])
    assert status == 2
    assert capsys.readouterr().err == f"derivation: error: {missing}: file not found\n"


def test_audit_cli_bad_spec_exits_two(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text("[network\n")
    status = main(["audit", str(SLIPS), "--spec", str(spec)])
    assert status == 2
    assert capsys.readouterr().err.startswith(f"derivation: error: {spec}: ")
