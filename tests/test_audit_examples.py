"""Audits of generated solutions, batches, closed forms and hostile input.

Every bundled example's solution, as ``derivation solve`` writes it, must
audit with no findings, with and without its spec. The other tests pin the
arithmetic that batches need (bias columns, ``\\mathbf{1}``, ``1 - a``,
element-wise quotients) and what the auditor lists as not checked.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from derivation.audit import audit_file, audit_text
from derivation.cli import main
from derivation.engine import solve
from derivation.errors import DerivationError
from derivation.spec import load_spec

EXAMPLES = Path(__file__).resolve().parent.parent / "derivation" / "examples"
NAMES = sorted(path.stem for path in EXAMPLES.glob("*.toml"))


@cache
def _trace(name: str):
    return solve(load_spec(EXAMPLES / f"{name}.toml"))


def _solution(tmp_path: Path, name: str, output_format: str) -> Path:
    extension = "tex" if output_format == "latex" else "md"
    path = tmp_path / f"{name}.{extension}"
    arguments = ["solve", "--example", name, "--format", output_format]
    status = main(arguments + ["-o", str(path), "--force"])
    assert status == 0
    return path


def _findings(report) -> list[tuple[int, str]]:
    return [(finding.line, finding.problem) for finding in report.findings]


@pytest.mark.parametrize("output_format", ["latex", "markdown"])
@pytest.mark.parametrize("name", NAMES)
def test_example_solution_audits_clean_alone(tmp_path, name, output_format):
    path = _solution(tmp_path, name, output_format)
    assert _findings(audit_file(path)) == []


@pytest.mark.parametrize("output_format", ["latex", "markdown"])
@pytest.mark.parametrize("name", NAMES)
def test_example_solution_audits_clean_with_spec(tmp_path, name, output_format):
    path = _solution(tmp_path, name, output_format)
    assert _findings(audit_file(path, spec=_trace(name))) == []


def test_example_solution_is_under_the_cap(tmp_path):
    path = _solution(tmp_path, "relu-1-2-2-1", "latex")
    assert path.stat().st_size < 100_000


def test_wrong_sigmoid_gets_trace_value(tmp_path):
    path = _solution(tmp_path, "sigmoid-2-2-2", "markdown")
    text = path.read_text(encoding="utf-8")
    assert text.count("0.5932699921") == 1
    wrong = text.replace("0.5932699921", "0.6932699921")
    report = audit_text(wrong, spec=_trace("sigmoid-2-2-2"), source="s.md")
    assert [finding.right_value for finding in report.findings] == [
        "[0.59326999210718725517; 0.5968843782597670562] "
        "([0.5932699921; 0.5968843783] to 10 decimal places)"
    ]


def test_sigmoid_of_written_value_not_checked():
    report = audit_text("$$a^{[1]} = \\sigma(2) = 2$$", source="s.md")
    assert [entry.reason for entry in report.not_checked] == [
        "cannot evaluate \\sigma(2): no value for \\sigma"
    ]


def test_bias_column_added_to_every_column():
    text = (
        "$$z = \\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix} + "
        "\\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix} = "
        "\\begin{bmatrix} 2 & 3 \\\\ 5 & 7 \\end{bmatrix}$$"
    )
    report = audit_text(text, source="b.md")
    assert _findings(report) == [
        (
            1,
            "entry (2, 2) is written 7, but \\begin{bmatrix} 1 & 2 \\\\ 3 & 4 "
            "\\end{bmatrix} + \\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix} gives 6",
        )
    ]


def test_column_of_wrong_length_is_shape_error():
    text = (
        "$$z = \\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix} + "
        "\\begin{bmatrix} 1 \\\\ 2 \\\\ 3 \\end{bmatrix} = 1$$"
    )
    report = audit_text(text, source="b.md")
    assert [finding.problem for finding in report.findings] == [
        "\\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix} + \\begin{bmatrix} 1 \\\\ 2 "
        "\\\\ 3 \\end{bmatrix}: cannot add a 2x1 column and a 3x1 column"
    ]


def test_ones_column_sums_the_columns():
    text = (
        "$$b = \\frac{1}{2} \\begin{bmatrix} 1 & 3 \\\\ 2 & 4 \\end{bmatrix} "
        "\\mathbf{1} = \\begin{bmatrix} 2 \\\\ 3 \\end{bmatrix}$$"
    )
    report = audit_text(text, source="o.md")
    assert (report.checked, _findings(report)) == (1, [])


def test_number_minus_matrix_is_entrywise():
    text = (
        "$$d = 1 - \\begin{bmatrix} 0.25 \\\\ 2 \\end{bmatrix} = "
        "\\begin{bmatrix} 0.75 \\\\ -1 \\end{bmatrix}$$"
    )
    report = audit_text(text, source="m.md")
    assert (report.checked, _findings(report)) == (1, [])


def test_quotient_of_matrices_is_entrywise():
    text = (
        "$$d = \\frac{\\begin{bmatrix} 1 \\\\ 3 \\end{bmatrix}}"
        "{\\begin{bmatrix} 2 \\\\ 4 \\end{bmatrix}} = "
        "\\begin{bmatrix} 0.5 \\\\ 0.7 \\end{bmatrix}$$"
    )
    report = audit_text(text, source="q.md")
    assert [finding.right_value for finding in report.findings] == [
        "[0.5; 0.75] ([0.5; 0.8] to 1 decimal place)"
    ]


def test_division_by_zero_not_checked():
    report = audit_text("$$x = 1 / 0 = 2$$", source="z.md")
    assert [entry.reason for entry in report.not_checked] == [
        "division by zero: the divisor is or may be 0"
    ]


def test_division_by_zero_is_no_finding():
    report = audit_text("$$x = 1 / 0 = 2$$", source="z.md")
    assert report.findings == []


def test_long_sum_is_checked():
    terms = " + ".join(["1"] * 500)
    report = audit_text(f"$$x = {terms} = 499$$", source="sum.md")
    assert [finding.right_value for finding in report.findings] == ["500"]


def test_unknown_letter_not_checked():
    report = audit_text("$$x = 1e3 + 1 = 2$$", source="e.md")
    assert [entry.reason for entry in report.not_checked] == [
        "cannot evaluate 1e3 + 1: no value for e"
    ]


def test_deep_braces_rejected_with_file_name():
    text = "$$x = " + "{" * 5000 + "1" + "}" * 5000 + "$$"
    with pytest.raises(DerivationError) as error:
        audit_text(text, source="deep.md")
    assert str(error.value) == (
        "deep.md: line 1: braces or brackets nested more than 100 levels "
        "deep; no worked solution nests that deep"
    )


def test_audit_cli_exits_two_on_deep_braces(tmp_path, capsys):
    path = tmp_path / "deep.md"
    path.write_text("$$x = " + "(" * 200 + "1" + ")" * 200 + "$$\n")
    assert main(["audit", str(path)]) == 2
