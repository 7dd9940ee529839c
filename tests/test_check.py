"""Checking answers: tolerance policies, error carried forward and reports."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy
from hypothesis import given, note

from derivation.answers import LAYER_NAMES, AnswerFileError, parse_answers
from derivation.check import (
    FileGrade,
    Report,
    check_answers,
    check_file,
    check_folder,
    grades_to_csv,
    grades_to_text,
)
from derivation.engine import gradient_step, solve, train
from derivation.growth import RoundingPolicy
from derivation.network import Layer, Network
from derivation.spec import load_spec
from derivation.tolerance import (
    Tolerance,
    decimal_exponent,
    judge,
    round_to_decimals,
    round_to_significant,
    written_number,
)
from derivation.trace import Trace
from tests.strategies import Problem, problems

R = sympy.Rational
ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "derivation" / "examples" / "relu-1-2-2-1.toml"
ANSWERS = Path(__file__).resolve().parent / "data" / "answers"
TRACE = solve(load_spec(SEED))


def statuses(report: Report) -> list[tuple[str, str]]:
    return [(value.key_path, value.status) for value in report.values]


def check_text(text: str, trace: Trace = TRACE) -> Report:
    return check_answers(trace, parse_answers(text, source="a.toml"))


# Tolerance policies


@pytest.mark.parametrize(
    ("text", "decimals", "significant"),
    [
        ("0.60", 2, 2),
        ("-0.0250", 4, 3),
        ("2.5e-3", 4, 2),
        ("1.20E2", 0, 3),
        ("400", 0, 1),
        ("400.", 0, 3),
        ("0.00", 2, None),
        ("-3/8", None, None),
        ("1_200", 0, 2),
        (".5", 1, 1),
        ("+7", 0, 1),
    ],
)
def test_written_number_precision(text, decimals, significant):
    number = written_number(text)
    assert number.decimals == decimals
    assert number.significant == significant


@pytest.mark.parametrize(
    ("value", "places", "ties", "expected", "tie"),
    [
        (R(239, 400), 2, "either", (R(3, 5),), False),
        (R(239, 400), 3, "either", (R(299, 500),), False),
        (R(-11977, 20000), 4, "either", (R(-5989, 10000), R(-1497, 2500)), True),
        (R(-11977, 20000), 4, "half_away_from_zero", (R(-5989, 10000),), True),
        (R(-11977, 20000), 4, "half_even", (R(-1497, 2500),), True),
        (R(13, 2), 0, "either", (7, 6), True),
        (R(1, 3), 4, "either", (R(3333, 10000),), False),
        (R(-2, 3), 2, "either", (R(-67, 100),), False),
        (R(1234), -2, "either", (1200,), False),
        (R(0), 3, "either", (0,), False),
    ],
)
def test_round_to_decimals_cases(value, places, ties, expected, tie):
    rounding = round_to_decimals(value, places, ties)
    assert rounding.values == expected
    assert rounding.tie is tie


@pytest.mark.parametrize(
    ("value", "figures", "ties", "expected"),
    [
        (R(161, 4), 3, "either", (R(403, 10), R(201, 5))),
        (R(161, 4), 3, "half_away_from_zero", (R(403, 10),)),
        (R(1, 30), 3, "either", (R(333, 10000),)),
        (R(996, 100), 2, "either", (10,)),
        (R(-104329, 80000), 3, "either", (R(-13, 10),)),
        (R(0), 3, "either", (0,)),
    ],
)
def test_round_to_significant_cases(value, figures, ties, expected):
    assert round_to_significant(value, figures, ties).values == expected


@pytest.mark.parametrize(
    ("value", "exponent"),
    [(R(1, 1000), -3), (R(999), 2), (R(1000), 3), (R(1, 3), -1), (R(161, 4), 1)],
)
def test_decimal_exponent_cases(value, exponent):
    assert decimal_exponent(value) == exponent


DEFAULT = Tolerance()
EXACT = Tolerance("exact")


@pytest.mark.parametrize(
    ("text", "exact", "tolerance", "accepted", "rule"),
    [
        pytest.param("6.50", R(13, 2), EXACT, True, "exact", id="exact-equal"),
        pytest.param("0.33", R(1, 3), EXACT, False, "", id="exact-rounded"),
        pytest.param(
            "0.598",
            R(239, 400),
            DEFAULT,
            True,
            "correctly rounded to 3 decimal places",
            id="default-rounded",
        ),
        pytest.param("0.597", R(239, 400), DEFAULT, False, "", id="default-truncated"),
        pytest.param(
            "0.33",
            R(1, 3),
            DEFAULT,
            True,
            "correctly rounded to 2 decimal places",
            id="default-third",
        ),
        pytest.param("7", R(13, 2), DEFAULT, False, "", id="default-integer"),
        pytest.param("33/100", R(1, 3), DEFAULT, False, "", id="default-fraction"),
        pytest.param("1/3", R(1, 3), DEFAULT, True, "exact", id="default-exact"),
        pytest.param(
            "0.6",
            R(239, 400),
            Tolerance("decimals", digits=2),
            True,
            "correctly rounded to 2 decimal places",
            id="decimals-fewer-written",
        ),
        pytest.param(
            "0.600",
            R(239, 400),
            Tolerance("decimals", digits=2),
            False,
            "",
            id="decimals-false-zero",
        ),
        pytest.param(
            "0.598",
            R(239, 400),
            Tolerance("decimals", digits=2),
            True,
            "correctly rounded to 3 decimal places",
            id="decimals-more-written",
        ),
        pytest.param(
            "0.6",
            R(239, 400),
            Tolerance("decimals", digits=3),
            False,
            "",
            id="decimals-too-few",
        ),
        pytest.param(
            "33/100",
            R(1, 3),
            Tolerance("decimals", digits=2),
            True,
            "correctly rounded to 2 decimal places",
            id="decimals-fraction",
        ),
        pytest.param(
            "7",
            R(13, 2),
            Tolerance("decimals", digits=0),
            True,
            "correctly rounded to 0 decimal places, a tie where both neighbours count",
            id="decimals-zero-tie",
        ),
        pytest.param(
            "6",
            R(13, 2),
            Tolerance("decimals", digits=0, ties="half_away_from_zero"),
            False,
            "",
            id="decimals-tie-half-away",
        ),
        pytest.param(
            "40.3",
            R(161, 4),
            Tolerance("significant", digits=3),
            True,
            "correctly rounded to 3 significant figures, a tie where both "
            "neighbours count",
            id="significant-tie-up",
        ),
        pytest.param(
            "40.2",
            R(161, 4),
            Tolerance("significant", digits=3, ties="half_even"),
            True,
            "correctly rounded to 3 significant figures, a tie rounded half to even",
            id="significant-tie-even",
        ),
        pytest.param(
            "40",
            R(161, 4),
            Tolerance("significant", digits=3),
            False,
            "",
            id="significant-too-few",
        ),
        pytest.param(
            "0.0333",
            R(1, 30),
            Tolerance("significant", digits=3),
            True,
            "correctly rounded to 3 significant figures",
            id="significant-small",
        ),
        pytest.param(
            "0.033",
            R(1, 30),
            Tolerance("significant", digits=3),
            False,
            "",
            id="significant-small-too-few",
        ),
        pytest.param(
            "6.505",
            R(13, 2),
            Tolerance("absolute", amount=R(1, 100)),
            True,
            "within the absolute tolerance 0.01",
            id="absolute-inside",
        ),
        pytest.param(
            "6.52",
            R(13, 2),
            Tolerance("absolute", amount=R(1, 100)),
            False,
            "",
            id="absolute-outside",
        ),
        pytest.param(
            "0.6",
            R(239, 400),
            Tolerance("absolute", amount=R(1, 1000)),
            True,
            "correctly rounded to 1 decimal place",
            id="absolute-rounding-allowance",
        ),
        pytest.param(
            "0.6",
            R(239, 400),
            Tolerance("absolute", amount=R(1, 1000), accept_correct_rounding=False),
            False,
            "",
            id="absolute-no-rounding-allowance",
        ),
        pytest.param(
            "6.56",
            R(13, 2),
            Tolerance("relative", amount=R(1, 100)),
            True,
            "within the relative tolerance 0.01",
            id="relative-inside",
        ),
        pytest.param(
            "0.001",
            R(0),
            Tolerance("relative", amount=R(1, 100)),
            False,
            "",
            id="relative-of-zero",
        ),
        pytest.param(
            "-0.5988",
            R(-11977, 20000),
            Tolerance("decimals", digits=4, ties="half_away_from_zero"),
            False,
            "",
            id="tie-even-under-half-away",
        ),
        pytest.param(
            "-0.5989",
            R(-11977, 20000),
            Tolerance("decimals", digits=4, ties="half_away_from_zero"),
            True,
            "correctly rounded to 4 decimal places, a tie rounded half away from zero",
            id="tie-away-under-half-away",
        ),
    ],
)
def test_judge_policies(text, exact, tolerance, accepted, rule):
    verdict = judge(written_number(text), exact, tolerance)
    assert verdict.accepted is accepted
    assert verdict.rule == rule


@pytest.mark.parametrize(
    ("tolerance", "description"),
    [
        (
            Tolerance(),
            "exact, or correctly rounded to the decimal places written, "
            "ties accept either neighbour",
        ),
        (Tolerance("exact"), "exact values only"),
        (
            Tolerance("significant", digits=1, ties="half_even"),
            "1 significant figure, ties round half to even",
        ),
        (
            Tolerance("relative", amount=R(1, 100), accept_correct_rounding=False),
            "relative tolerance 0.01, ties accept either neighbour",
        ),
    ],
)
def test_tolerance_describe(tolerance, description):
    assert tolerance.describe() == description


# Rounded answer files under matching and mismatched policies

TWO_DECIMALS = """
[step.1.layer.2]
W_after = [[0.60, 0.60], [0.60, 0.60]]
[step.2]
loss = 1.30
[step.2.layer.2]
da = [-0.41, -0.41]
[step.2.layer.3]
b_after = -0.60
"""

THREE_FIGURES = """
[step.1.layer.2]
W_after = [[0.598, 0.598], [0.598, 0.598]]
[step.1.layer.3]
dW = [[74.8, 74.8]]
[step.2]
loss = 1.30
[step.2.layer.2]
da = [-0.408, -0.408]
[step.2.layer.3]
b_after = -0.599
"""


@pytest.mark.parametrize(
    ("answers", "tolerance"),
    [
        (TWO_DECIMALS, "decimals = 2"),
        (THREE_FIGURES, "significant = 3"),
    ],
)
def test_rounded_file_passes_matching_policy(answers, tolerance):
    report = check_text(f"[tolerance]\n{tolerance}\n{answers}")
    assert report.all_right
    assert report.count("within_tolerance") == len(report.values)


@pytest.mark.parametrize("answers", [TWO_DECIMALS, THREE_FIGURES])
def test_rounded_file_fails_exact(answers):
    report = check_text(f"[tolerance]\nexact = true\n{answers}")
    assert not report.all_right
    assert report.count("wrong") == len(report.values)


def test_two_decimals_fail_three_decimals_policy():
    report = check_text(f"[tolerance]\ndecimals = 3\n{TWO_DECIMALS}")
    assert statuses(report) == [
        ("step 1: layer 2: W_after", "wrong"),
        ("step 2: loss", "wrong"),
        ("step 2: layer 2: da", "wrong"),
        ("step 2: layer 3: b_after", "wrong"),
    ]


def test_three_figures_rule_names_figures():
    report = check_text(f"[tolerance]\nsignificant = 3\n{THREE_FIGURES}")
    rules = [value.rule for value in report.values]
    assert rules == ["correctly rounded to 3 significant figures"] * 5


# Whole answer files


def test_correct_file_all_correct():
    report = check_file(TRACE, ANSWERS / "relu-1-2-2-1-correct.toml")
    assert report.summary() == "35 values checked: 35 correct"
    assert report.all_right
    assert report.first_slip is None
    assert report.points == 35
    assert report.total == 35


def test_correct_file_recomputation_matches_truth():
    report = check_file(TRACE, ANSWERS / "relu-1-2-2-1-correct.toml")
    mismatches = [
        value.key_path for value in report.values if value.recomputed != value.expected
    ]
    assert mismatches == []


def test_one_slip_file_statuses():
    report = check_file(TRACE, ANSWERS / "relu-1-2-2-1-one-slip.toml")
    carried = "carried_forward"
    assert statuses(report) == [
        ("step 1: layer 1: z", "wrong"),
        ("step 1: layer 1: a", carried),
        ("step 1: layer 2: z", carried),
        ("step 1: layer 2: a", carried),
        ("step 1: layer 3: z", carried),
        ("step 1: layer 3: a", carried),
        ("step 1: loss", carried),
        ("step 1: layer 3: da", carried),
        ("step 1: layer 3: dW", carried),
        ("step 1: layer 3: da_prev", carried),
        ("step 1: layer 2: slope", "correct"),
        ("step 1: layer 2: dz", carried),
        ("step 1: layer 2: dW", carried),
        ("step 1: layer 2: da_prev", carried),
        ("step 1: layer 1: dz", carried),
        ("step 1: layer 1: dW", carried),
        ("step 1: layer 1: db", carried),
        ("step 1: layer 1: W_after", carried),
        ("step 1: layer 1: b_after", carried),
        ("step 1: layer 2: W_after", carried),
        ("step 1: layer 2: b_after", carried),
        ("step 1: layer 3: W_after", carried),
        ("step 1: layer 3: b_after", carried),
        ("step 2: layer 1: z", carried),
        ("step 2: layer 1: a", "correct"),
        ("step 2: layer 3: z", carried),
        ("step 2: loss", carried),
    ]


def test_one_slip_file_names_its_origin():
    report = check_file(TRACE, ANSWERS / "relu-1-2-2-1-one-slip.toml")
    origins = {value.carried_from for value in report.values if value.status != "wrong"}
    assert report.first_slip.key_path == "step 1: layer 1: z"
    assert origins == {("step 1: layer 1: z",), ()}
    assert report.summary() == (
        "27 values checked: 2 correct, 24 consistent with an earlier slip, 1 wrong"
    )
    assert (report.points, report.total) == (26, 27)


def test_one_slip_file_slip_values():
    report = check_file(TRACE, ANSWERS / "relu-1-2-2-1-one-slip.toml")
    slip = report.first_slip
    first = slip.entries[0]
    assert first.position == "entry 1"
    assert first.given.text == "4"
    assert first.expected == R(7, 2)
    assert first.error == R(1, 2)
    assert slip.max_error == R(1, 2)
    assert slip.max_relative_error == R(1, 7)


def test_one_slip_file_loss_recomputed():
    report = check_file(TRACE, ANSWERS / "relu-1-2-2-1-one-slip.toml")
    loss = next(value for value in report.values if value.key_path == "step 1: loss")
    assert loss.expected == sympy.Matrix([[R(529, 8)]])
    assert loss.recomputed == sympy.Matrix([[R(729, 8)]])
    assert loss.rule == "exact"


def test_four_decimals_file_rules():
    report = check_file(TRACE, ANSWERS / "relu-1-2-2-1-four-decimals.toml")
    rounded = "correctly rounded to 4 decimal places"
    assert [(value.key_path, value.rule) for value in report.values] == [
        ("step 2: layer 2: W", "exact"),
        ("step 2: layer 3: W", "exact"),
        ("step 2: layer 3: z", "exact"),
        ("step 2: loss", rounded),
        ("step 2: layer 3: da", "exact"),
        ("step 2: layer 3: da_prev", rounded),
        ("step 2: layer 2: da", rounded),
        ("step 2: layer 3: b_after", rounded + ", a tie where both neighbours count"),
    ]
    assert report.all_right


def test_four_decimals_file_fails_exact():
    path = ANSWERS / "relu-1-2-2-1-four-decimals.toml"
    text = path.read_text().replace("decimals = 4", "exact = true")
    report = check_text(text)
    assert statuses(report)[3:] == [
        ("step 2: loss", "wrong"),
        ("step 2: layer 3: da", "correct"),
        ("step 2: layer 3: da_prev", "wrong"),
        ("step 2: layer 2: da", "carried_forward"),
        ("step 2: layer 3: b_after", "wrong"),
    ]
    assert report.first_slip.key_path == "step 2: loss"


def test_four_decimals_tie_rule_half_away():
    path = ANSWERS / "relu-1-2-2-1-four-decimals.toml"
    text = path.read_text().replace(
        "decimals = 4", 'decimals = 4\nties = "half_away_from_zero"'
    )
    report = check_text(text)
    assert report.first_slip.key_path == "step 2: layer 3: b_after"
    assert report.count("wrong") == 1


# Error carried forward


def test_parameter_slip_carries_into_next_step():
    report = check_text(
        """
        [step.1.layer.3]
        b_after = -0.625
        [step.2]
        loss = 1.3203125
        [step.2.layer.3]
        b = -0.625
        z = -0.625
        da = -1.625
        b_after = -0.60875
        """
    )
    assert statuses(report) == [
        ("step 1: layer 3: b_after", "wrong"),
        ("step 2: layer 3: b", "carried_forward"),
        ("step 2: layer 3: z", "carried_forward"),
        ("step 2: loss", "carried_forward"),
        ("step 2: layer 3: da", "carried_forward"),
        ("step 2: layer 3: b_after", "carried_forward"),
    ]


def test_parameter_slip_matches_engine():
    first = TRACE.steps[0]
    updated = Network(
        layer.with_parameters(record.W_after, record.b_after)
        for layer, record in zip(TRACE.network.layers, first.layers)
    )
    last = updated.layers[2]
    slipped = Network(
        [
            updated.layers[0],
            updated.layers[1],
            last.with_parameters(last.W, sympy.Matrix([R(-5, 8)])),
        ]
    )
    step, _ = gradient_step(
        slipped, TRACE.x, TRACE.y, TRACE.loss, TRACE.learning_rate, number=2
    )
    assert step.loss == R("1.3203125")
    assert step.layers[2].b_after == sympy.Matrix([R("-0.60875")])


def test_second_slip_is_reported_too():
    report = check_text(
        """
        [step.1.layer.1]
        z = [4, 4]
        a = [4, 4]
        [step.1.layer.2]
        z = [7, 7]
        a = [7, 7]
        """
    )
    assert statuses(report) == [
        ("step 1: layer 1: z", "wrong"),
        ("step 1: layer 1: a", "carried_forward"),
        ("step 1: layer 2: z", "wrong"),
        ("step 1: layer 2: a", "carried_forward"),
    ]
    assert report.values[3].carried_from == (
        "step 1: layer 1: z",
        "step 1: layer 2: z",
    )
    assert report.values[2].entries[0].recomputed == R(15, 2)


def test_value_after_slip_can_recover():
    report = check_text(
        """
        [step.1.layer.1]
        z = [4, 4]
        a = [3.5, 3.5]
        [step.1.layer.2]
        z = [6.5, 6.5]
        """
    )
    assert statuses(report) == [
        ("step 1: layer 1: z", "wrong"),
        ("step 1: layer 1: a", "correct"),
        ("step 1: layer 2: z", "correct"),
    ]


def test_value_after_recovery_is_not_excused():
    report = check_text(
        """
        [step.1.layer.1]
        z = [4, 4]
        a = [3.5, 3.5]
        [step.1.layer.2]
        z = [7.5, 7.5]
        """
    )
    assert statuses(report)[2] == ("step 1: layer 2: z", "wrong")


def test_blank_entries_follow_recomputation():
    report = check_text(
        """
        [step.1.layer.1]
        z = [4, ""]
        [step.1.layer.2]
        z = [7, 7]
        """
    )
    assert statuses(report) == [
        ("step 1: layer 1: z", "wrong"),
        ("step 1: layer 2: z", "carried_forward"),
    ]
    assert len(report.values[0].entries) == 1


def thirds_trace() -> Trace:
    network = Network(
        [Layer([["1/3"]], [0], "identity"), Layer([[3]], [0], "identity")]
    )
    return train(network, [1], [2], learning_rate="0.1")


def test_rounding_carried_forward_is_accepted():
    report = check_text(
        """
        [step.1.layer.1]
        z = 0.33
        [step.1.layer.2]
        z = 0.99
        """,
        thirds_trace(),
    )
    second = report.values[1]
    assert statuses(report) == [
        ("step 1: layer 1: z", "within_tolerance"),
        ("step 1: layer 2: z", "within_tolerance"),
    ]
    assert (
        second.rule == "follows from your accepted earlier values at step 1: layer 1: z"
    )
    assert second.carried_from == ("step 1: layer 1: z",)
    assert report.all_right


def test_carried_forward_credit_and_points():
    report = check_text(
        """
        [grading]
        carried_forward_credit = 0.5
        [step.1.layer.1]
        z = { value = [4, 4], points = 2 }
        a = { value = [4, 4], points = 3 }
        [step.1.layer.2]
        z = [6.5, 6.5]
        """
    )
    assert [value.points for value in report.values] == [0, R(3, 2), 1]
    assert report.points == R(5, 2)
    assert report.total == 6


def test_relu_convention_in_recomputation():
    network = Network([Layer([[1]], [0], "relu"), Layer([[1]], [0], "identity")])
    trace = train(network, [1], [0], learning_rate="0.1")
    report = check_text(
        """
        [step.1.layer.1]
        z = 0
        slope = 0
        """,
        trace,
    )
    assert statuses(report) == [
        ("step 1: layer 1: z", "wrong"),
        ("step 1: layer 1: slope", "carried_forward"),
    ]


def test_rounded_trace_is_recomputed_rounded():
    spec = load_spec(SEED)
    trace = train(
        spec.network,
        spec.x,
        spec.y,
        learning_rate=spec.learning_rate,
        steps=2,
        rounding=RoundingPolicy("decimals", 2),
    )
    report = check_text(full_sheet(trace), trace)
    mismatches = [
        value.key_path for value in report.values if value.recomputed != value.expected
    ]
    assert report.count("correct") == 80
    assert mismatches == []


def test_check_rejects_wrong_shape():
    with pytest.raises(AnswerFileError) as raised:
        check_text("[step.1.layer.1]\nz = [1, 2, 3]\n")
    assert str(raised.value) == (
        "a.toml: step 1: layer 1: z: expected a list of 2 values, found a list of "
        "3 values"
    )


# Reports


SLIP_TEXT = """\
a.toml: 3 values checked: 1 correct within tolerance, 1 consistent with an \
earlier slip, 1 wrong
First slip: step 1: layer 1: z

step 1: layer 1: z: wrong
  entry 1: found 4, expected 3.5, error 0.5, 14.3% of the true value
  entry 2: found 4, expected 3.5, error 0.5, 14.3% of the true value
step 1: layer 2: z: consistent with the earlier slip at step 1: layer 1: z
  true value: [6.5, 6.5]
step 1: layer 2: W_after: correct within tolerance (correctly rounded to 2 \
decimal places)

Points: 2 of 3
"""


def test_report_text_of_slip():
    report = check_text(
        """
        [step.1.layer.1]
        z = [4, 4]
        [step.1.layer.2]
        z = [7.5, 7.5]
        W_after = [[0.60, 0.60], [0.60, 0.60]]
        """
    )
    assert report.to_text() == SLIP_TEXT


def test_report_text_of_wrong_fraction():
    report = check_text(
        "[step.1.layer.1]\nz = [3.5, 3.5]\n[step.1.layer.2]\nz = [6.5, 6.6]\n",
        TRACE,
    )
    third = check_text("[step.1.layer.1]\nz = 0.34\n", thirds_trace())
    assert report.to_text().splitlines()[3:6] == [
        "step 1: layer 1: z: correct",
        "step 1: layer 2: z: wrong",
        "  entry 2: found 6.6, expected 6.5, error 0.1, 1.54% of the true value",
    ]
    assert third.to_text().splitlines()[4] == (
        "  found 0.34, expected 1/3 (about 0.3333333), error 1/150 (about "
        "0.006666667), 2% of the true value"
    )


def test_report_text_names_recomputed_value():
    report = check_text(
        "[step.1.layer.1]\nz = [4, 4]\n[step.1.layer.2]\nz = [7, 7.5]\n"
    )
    assert report.to_text().splitlines()[7] == (
        "  entry 1: found 7, expected 6.5, error 0.5, 7.69% of the true value; "
        "from your earlier values 7.5"
    )


def test_report_text_without_values():
    report = check_text("")
    assert report.to_text() == "a.toml: no values to check\n"
    assert report.all_right


def test_report_dict_of_slip():
    report = check_text(
        """
        [step.1]
        loss = 78.125
        [step.1.layer.1]
        z = [4, ""]
        """
    )
    assert report.to_dict() == {
        "source": "a.toml",
        "all_right": False,
        "points": "1",
        "total": "2",
        "counts": {
            "correct": 0,
            "within_tolerance": 0,
            "carried_forward": 1,
            "wrong": 1,
        },
        "first_slip": "step 1: layer 1: z",
        "values": [
            {
                "key": "step 1: layer 1: z",
                "step": 1,
                "layer": 1,
                "name": "z",
                "status": "wrong",
                "rule": "",
                "points": "0",
                "max_points": "1",
                "carried_from": [],
                "expected": ["7/2", "7/2"],
                "recomputed": ["7/2", "7/2"],
                "max_absolute_error": "1/2",
                "max_relative_error": "1/7",
                "entries": [
                    {
                        "position": "entry 1",
                        "given": "4",
                        "expected": "7/2",
                        "recomputed": "7/2",
                        "status": "wrong",
                        "rule": "",
                        "absolute_error": "1/2",
                    }
                ],
            },
            {
                "key": "step 1: loss",
                "step": 1,
                "layer": None,
                "name": "loss",
                "status": "carried_forward",
                "rule": "exact",
                "points": "1",
                "max_points": "1",
                "carried_from": ["step 1: layer 1: z"],
                "expected": "529/8",
                "recomputed": "625/8",
                "max_absolute_error": "12",
                "max_relative_error": "96/529",
                "entries": [
                    {
                        "position": "",
                        "given": "78.125",
                        "expected": "529/8",
                        "recomputed": "625/8",
                        "status": "carried_forward",
                        "rule": "exact",
                        "absolute_error": "12",
                    }
                ],
            },
        ],
    }


def test_report_dict_weights_as_rows():
    report = check_text("[step.1.layer.1]\ndW = [92, 92]\n")
    value = report.to_dict()["values"][0]
    assert value["expected"] == [["92"], ["92"]]
    assert value["entries"][1]["position"] == "row 2, column 1"


# Folders and CSV


def test_check_folder_grades_each_file():
    grades = check_folder(TRACE, ANSWERS)
    assert grades_to_text(grades) == (
        "relu-1-2-2-1-correct.toml: 35 of 35 points, 0 wrong\n"
        "relu-1-2-2-1-four-decimals.toml: 8 of 8 points, 0 wrong\n"
        "relu-1-2-2-1-malformed.toml: error: step 1: layer 2: dw: expected one of "
        "the names W, b, a_prev, z, a, da, slope, dz, dW, db, da_prev, W_after, "
        "b_after, or an alias (input, dL_da, activation_derivative, dL_dz, delta, "
        "dL_dW, dL_db, dL_da_prev, dL_da_of_input), found the unknown key 'dw' "
        "(did you mean 'dW'?)\n"
        "relu-1-2-2-1-one-slip.toml: 26 of 27 points, 1 wrong, first slip at "
        "step 1: layer 1: z\n"
    )


def test_grades_to_csv_rows():
    grades = check_folder(TRACE, ANSWERS)
    assert grades_to_csv(grades).splitlines() == [
        "file,points,total,wrong,first_slip,error",
        "relu-1-2-2-1-correct.toml,35,35,0,,",
        "relu-1-2-2-1-four-decimals.toml,8,8,0,,",
        'relu-1-2-2-1-malformed.toml,,,,,"step 1: layer 2: dw: expected one of '
        "the names W, b, a_prev, z, a, da, slope, dz, dW, db, da_prev, W_after, "
        "b_after, or an alias (input, dL_da, activation_derivative, dL_dz, delta, "
        "dL_dW, dL_db, dL_da_prev, dL_da_of_input), found the unknown key 'dw' "
        "(did you mean 'dW'?)\"",
        "relu-1-2-2-1-one-slip.toml,26,27,1,step 1: layer 1: z,",
    ]


def test_grades_to_csv_fractional_points(tmp_path):
    path = tmp_path / "half.toml"
    path.write_text(
        "[grading]\ncarried_forward_credit = 0.5\n"
        "[step.1.layer.1]\nz = [4, 4]\na = [4, 4]\n"
    )
    grades = [FileGrade(path, check_file(TRACE, path))]
    assert grades_to_csv(grades).splitlines()[1] == (
        "half.toml,0.5,2,1,step 1: layer 1: z,"
    )


def test_grades_to_csv_keeps_formulas_as_text(tmp_path):
    path = tmp_path / "=HYPERLINK(1).toml"
    path.write_text("[step.1.layer.1]\nz = [3.5, 3.5]\n")
    grades = [FileGrade(path, check_file(TRACE, path))]
    assert grades_to_csv(grades).splitlines()[1] == "'=HYPERLINK(1).toml,1,1,0,,"


def test_check_folder_skips_excluded(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SEED.read_text())
    (tmp_path / "alice.toml").write_text("[step.1]\nloss = 66.125\n")
    grades = check_folder(TRACE, tmp_path, exclude=[spec])
    assert [grade.path.name for grade in grades] == ["alice.toml"]


def test_check_folder_without_files(tmp_path):
    with pytest.raises(Exception) as raised:
        check_folder(TRACE, tmp_path)
    assert str(raised.value) == (f"{tmp_path}: no answer files (*.toml) in this folder")


# Properties


def step_sheet(step) -> str:
    """Write every value of one step as answer-file tables of exact fractions."""
    lines = [f"[step.{step.number}]", f'loss = "{step.loss}"']
    for number, layer in enumerate(step.layers, start=1):
        lines.append(f"[step.{step.number}.layer.{number}]")
        for name in LAYER_NAMES:
            rows = getattr(layer, name).tolist()
            text = ", ".join(
                "[" + ", ".join(f'"{entry}"' for entry in row) + "]" for row in rows
            )
            lines.append(f"{name} = [{text}]")
    return "\n".join(lines) + "\n"


def full_sheet(trace: Trace) -> str:
    """Write every value of the trace as an answer file of exact fractions."""
    return "".join(step_sheet(step) for step in trace.steps)


@given(problems(max_depth=3, max_width=3, max_step_count=2))
def test_true_values_check_correct(problem: Problem):
    note(problem.to_toml())
    trace = problem.train()
    report = check_answers(trace, parse_answers(full_sheet(trace)))
    wrong = [value.key_path for value in report.values if value.status != "correct"]
    mismatches = [
        value.key_path for value in report.values if value.recomputed != value.expected
    ]
    assert wrong == []
    assert mismatches == []


@given(problems(max_depth=3, max_width=3, max_step_count=1))
def test_slipped_bias_carries_into_step_two(problem: Problem):
    note(problem.to_toml())
    trace = train(
        problem.network,
        problem.x,
        problem.y,
        loss=problem.loss,
        learning_rate=problem.learning_rate,
        steps=2,
    )
    first = trace.steps[0]
    last = first.layers[-1]
    slipped_bias = last.b_after + sympy.ones(*last.b_after.shape)
    parameters = [(record.W_after, record.b_after) for record in first.layers]
    parameters[-1] = (last.W_after, slipped_bias)
    network = Network(
        layer.with_parameters(W, b)
        for layer, (W, b) in zip(trace.network.layers, parameters)
    )
    step_two, _ = gradient_step(
        network, trace.x, trace.y, trace.loss, trace.learning_rate, number=2
    )
    count = len(first.layers)
    bias = ", ".join(f'"{entry}"' for entry in slipped_bias)
    sheet = f"[step.1.layer.{count}]\nb_after = [{bias}]\n" + step_sheet(step_two)
    report = check_answers(trace, parse_answers(sheet))
    later = {value.status for value in report.values[1:]}
    assert report.first_slip.key_path == f"step 1: layer {count}: b_after"
    assert later <= {"correct", "carried_forward"}


def test_report_dict_single_value_list():
    report = check_text("[step.1.layer.3]\nz = 12.5\n")
    value = report.to_dict()["values"][0]
    assert value["expected"] == ["25/2"]
    assert value["entries"][0]["position"] == ""
