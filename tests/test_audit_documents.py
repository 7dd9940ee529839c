"""derivation audit on written solutions: the slips it must find, and clean ones.

The documents are in tests/data/audit. Each slip document differs from a
correct one by one kind of slip, and the tests pin the line, the kind and
the right value of every finding, so that a finding at the wrong place or
with the wrong value fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from derivation import load_spec, solve
from derivation.audit import audit_file, audit_text

DATA = Path(__file__).resolve().parent / "data" / "audit"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples"


def _trace(name: str):
    return solve(load_spec(DATA / name))


def _findings(report) -> list[tuple[int, str, str]]:
    return [
        (finding.line, finding.kind, finding.right_value) for finding in report.findings
    ]


SLIPS_EXPECTED = [
    (21, "shape", "[-1.1625, -20.925]"),
    (35, "value", "[2.36, -0.07; 1.035, 1.7675]"),
    (41, "value", "0.565"),
    (47, "unmatched", "[2.11625, 1.5925]"),
]


def test_slips_document_yields_its_four_slips():
    report = audit_file(
        DATA / "hand-solution-with-slips.md", spec=_trace("relu-2-2-1.toml")
    )
    assert _findings(report) == SLIPS_EXPECTED


def test_slips_document_names_each_quantity():
    report = audit_file(
        DATA / "hand-solution-with-slips.md", spec=_trace("relu-2-2-1.toml")
    )
    quantities = [finding.quantity for finding in report.findings]
    assert quantities == [
        "the weight gradient of layer 2 in step 1",
        "the updated weights of layer 1 in step 1",
        "the updated biases of layer 2 in step 1",
        "the updated weights of layer 2 in step 1",
    ]


def test_slips_document_explains_the_shape_slip():
    report = audit_file(
        DATA / "hand-solution-with-slips.md", spec=_trace("relu-2-2-1.toml")
    )
    assert report.findings[0].problem == (
        r"\begin{bmatrix} -4.65 \end{bmatrix} \begin{bmatrix} 0.25 \\ 4.5 "
        r"\end{bmatrix} is a 2x1 column, but a 1x2 row is written"
    )


def test_slips_document_explains_the_digit_swap():
    report = audit_file(
        DATA / "hand-solution-with-slips.md", spec=_trace("relu-2-2-1.toml")
    )
    problem = report.findings[1].problem
    assert problem.startswith("entry (2, 2) is written 1.7765, but ")
    assert problem.endswith(" gives 1.7675")


def test_slips_document_without_spec_finds_same_lines():
    report = audit_file(DATA / "hand-solution-with-slips.md")
    lines = [finding.line for finding in report.findings]
    assert lines == [21, 35, 41, 47]


def test_slips_document_without_spec_uses_working():
    report = audit_file(DATA / "hand-solution-with-slips.md")
    assert report.findings[3].right_value == "[2.11625, 1.5925]"


def test_slips_document_lists_general_formula():
    report = audit_file(
        DATA / "hand-solution-with-slips.md", spec=_trace("relu-2-2-1.toml")
    )
    assert [(entry.line, entry.reason) for entry in report.not_checked] == [
        (3, "a formula in general symbols")
    ]


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared/examples beside the clone")
def test_slips_document_copy_matches_shared():
    for name in ("hand-solution-with-slips.md", "hand-solution-with-slips.key.md"):
        assert (DATA / name).read_text() == (SHARED / name).read_text()


KINK_SLIPS = [
    pytest.param(
        "kink-dropped-minus.md",
        [(37, "value", "[0; -13/30] ([0; -0.43333] to 5 decimal places)")],
        id="dropped-minus",
    ),
    pytest.param(
        "kink-wrong-rounding.md",
        [(15, "value", "169/72 (2.3472 to 4 decimal places)")],
        id="wrong-rounding",
    ),
    pytest.param(
        "kink-wrong-transpose.md",
        [(29, "shape", "[0, 0; 13/3, 13/3]")],
        id="wrong-transpose",
    ),
    pytest.param(
        "kink-learning-rate.md",
        [(39, "unmatched", "[1, 107/60] ([1, 1.783333] to 6 decimal places)")],
        id="learning-rate",
    ),
    pytest.param(
        "kink-digit-slip.md",
        [(39, "value", "[1, 107/60] ([1, 1.78333] to 5 decimal places)")],
        id="digit-slip",
    ),
    pytest.param(
        "kink-wrong-copy.md",
        [(39, "value", "[1, 107/60]")],
        id="wrong-copy",
    ),
    pytest.param(
        "kink-relu-convention.md",
        [(27, "value", "[0; 13/3]")],
        id="relu-convention",
    ),
]


@pytest.mark.parametrize(("name", "expected"), KINK_SLIPS)
def test_kink_slip_document_findings(name, expected):
    report = audit_file(DATA / name, spec=_trace("relu-kink.toml"))
    assert _findings(report) == expected


def test_relu_convention_marks_later_work_consistent():
    report = audit_file(DATA / "kink-relu-convention.md", spec=_trace("relu-kink.toml"))
    notes = [(note.line, note.origins) for note in report.consistent]
    assert notes == [(29, (27,)), (31, (27,)), (35, (27,)), (37, (27,))]


def test_relu_convention_without_spec_accepts_either():
    report = audit_file(DATA / "kink-relu-convention.md")
    assert report.findings == []


def test_dropped_minus_without_spec_is_found():
    report = audit_file(DATA / "kink-dropped-minus.md")
    assert _findings(report) == [
        (37, "value", "[0; -0.43333]"),
    ]


def test_wrong_step_copy_reported_once():
    report = audit_file(DATA / "tiny-wrong-step.md", spec=_trace("tiny-two-steps.toml"))
    assert _findings(report) == [(19, "value", "3")]


def test_wrong_step_later_values_consistent():
    report = audit_file(DATA / "tiny-wrong-step.md", spec=_trace("tiny-two-steps.toml"))
    lines = sorted({note.line for note in report.consistent})
    assert lines == [21, 23, 25, 27]


CLEAN = [
    pytest.param("kink-correct.md", "relu-kink.toml", id="markdown-brackets"),
    pytest.param(
        "tiny-correct.tex", "tiny-two-steps.toml", id="latex-zero-based-delta"
    ),
]


@pytest.mark.parametrize(("name", "spec"), CLEAN)
def test_clean_document_has_no_findings(name, spec):
    report = audit_file(DATA / name, spec=_trace(spec))
    assert report.findings == []


@pytest.mark.parametrize(("name", "spec"), CLEAN)
def test_clean_document_marks_nothing_consistent(name, spec):
    report = audit_file(DATA / name, spec=_trace(spec))
    assert report.consistent == []


@pytest.mark.parametrize(("name", "spec"), CLEAN)
def test_clean_document_without_spec(name, spec):
    report = audit_file(DATA / name)
    assert report.findings == []


def test_clean_latex_checks_the_table():
    report = audit_file(DATA / "tiny-correct.tex", spec=_trace("tiny-two-steps.toml"))
    assert report.checked == 35


def test_chain_across_line_breaks_is_checked():
    text = "$$\\begin{aligned} z &= 2 \\cdot 3 \\\\\n &= 7 \\end{aligned}$$\n"
    report = audit_text(text, source="chain.md")
    assert _findings(report) == [(2, "value", "6")]


def test_inline_math_in_table_is_read():
    text = (
        "$$W^{[1]} \\leftarrow 1 - 0.5 \\cdot 2 = 0$$\n\n"
        "| | Layer 1 |\n|---|---|\n| Updated $W$ | $1$ |\n"
    )
    report = audit_text(text, source="table.md")
    assert _findings(report) == [(5, "unmatched", "0")]


COLUMN_12 = r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}"
COLUMN_34 = r"\begin{bmatrix} 3 \\ 4 \end{bmatrix}"
COLUMN_38 = r"\begin{bmatrix} 3 \\ 8 \end{bmatrix}"


def test_column_times_column_is_shape_error():
    text = f"$${COLUMN_12} {COLUMN_34} = {COLUMN_38}$$"
    report = audit_text(text, source="shape.md")
    assert [finding.kind for finding in report.findings] == ["shape"]


def test_elementwise_product_accepts_star():
    text = f"$${COLUMN_12} * {COLUMN_34} = {COLUMN_38}$$"
    report = audit_text(text, source="star.md")
    assert report.findings == []


def test_correct_rounding_is_accepted():
    report = audit_text("$$\\frac{2}{3} = 0.667$$", source="round.md")
    assert report.findings == []


def test_wrong_rounding_names_the_rule():
    report = audit_text("$$\\frac{2}{3} = 0.666$$", source="round.md")
    assert report.findings[0].rule == (
        "a value written with 3 decimal places must be the exact value 2/3 "
        "correctly rounded to that many places"
    )


def test_rounding_carried_forward_is_accepted():
    text = "$$a = \\frac{1}{3} = 0.3333$$\n\n$$b = 2 \\cdot 0.3333 = 0.6666$$\n"
    report = audit_text(text, source="carried.md")
    assert report.findings == []


def test_unbalanced_dollar_is_not_checked():
    report = audit_text("cost $x = 1\n\nmore text\n", source="dollar.md")
    assert [(entry.line, entry.reason) for entry in report.not_checked] == [
        (1, "a $ that is never closed")
    ]


def test_wrong_rounding_in_matrix_entry():
    text = (
        "$$a = \\begin{bmatrix} \\frac{1}{3} \\approx 0.334 \\end{bmatrix} "
        "= \\begin{bmatrix} \\frac{1}{3} \\end{bmatrix}$$"
    )
    report = audit_text(text, source="mixed.md")
    assert _findings(report) == [(1, "rounding", "1/3 (0.333 to 3 decimal places)")]
