"""Tests that the benchmark runner works; they check its output, never its times."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def quick_output() -> str:
    result = subprocess.run(
        [sys.executable, str(RUNNER), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def table_rows(output: str, heading: str) -> list[list[str]]:
    """Return the cells of the data rows of the table under ``heading``."""
    section = output.split(heading, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_quick_run_step_widths(quick_output):
    rows = table_rows(quick_output, "## One gradient step")
    assert [row[0] for row in rows] == ["2", "8", "32"]


def test_quick_run_step_ratios(quick_output):
    for row in table_rows(quick_output, "## One gradient step"):
        assert len(row) == 8
        assert all(cell.endswith("x") for cell in row[5:])


def test_quick_run_growth_steps(quick_output):
    rows = table_rows(quick_output, "## Exact growth")
    assert [row[0] for row in rows] == [str(step) for step in range(1, 9)]


def test_quick_run_growth_digits_increase(quick_output):
    digits = [int(row[1]) for row in table_rows(quick_output, "## Exact growth")]
    assert digits == sorted(digits)
    assert digits[-1] > digits[0]


def test_quick_run_startup_commands(quick_output):
    rows = table_rows(quick_output, "## Start-up")
    assert [row[0] for row in rows] == [
        '`python -c "import sympy"`',
        '`python -c "import derivation"`',
        "`derivation solve --example relu-1-2-2-1 --format json`",
        "`derivation solve --example relu-1-2-2-1 --format latex`",
    ]


def test_quick_run_latex_comparison(quick_output):
    rows = table_rows(quick_output, "## LaTeX of one step")
    assert len(rows) == 1
    assert rows[0][2].endswith("x")


def test_quick_run_blow_up_outcomes(quick_output):
    rows = table_rows(quick_output, "## 20 steps on the")
    assert [row[0] for row in rows] == ["exact", "4 decimal places"]
    assert rows[0][2].startswith("LimitError at step ")
    assert rows[1][2].startswith("finished")
