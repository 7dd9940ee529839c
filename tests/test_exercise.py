"""Exercises: the [exercise] table, answer keys and exercise sheets."""

from __future__ import annotations

import pytest

from derivation.answers import Quantity, parse_answers
from derivation.bundled import example_text
from derivation.check import check_answers
from derivation.cli import main
from derivation.engine import solve
from derivation.errors import SpecError
from derivation.exercise import answer_key, parse_exercise, toml_number
from derivation.render.exercise import exercise_document, render_document

from .latex_tools import compile_latex

BASE = example_text("relu-1-2-2-1")


def with_exercise(table: str) -> str:
    return BASE + "\n[exercise]\n" + table


def asked(table: str) -> list[str]:
    return [q.describe() for q in parse_exercise(with_exercise(table)).asked]


def test_ask_defaults_to_all():
    exercise = parse_exercise(BASE)
    assert len(exercise.asked) == 2 * (1 + 3 * 10)


def test_ask_sorted_in_computation_order():
    table = 'ask = ["step 2: loss", "step 1: layer 1: W_after", "step 1: loss"]'
    assert asked(table) == [
        "step 1: loss",
        "step 1: layer 1: W_after",
        "step 2: loss",
    ]


def test_ask_name_for_every_layer():
    assert asked('ask = ["step 1: dW"]') == [
        "step 1: layer 3: dW",
        "step 1: layer 2: dW",
        "step 1: layer 1: dW",
    ]


def test_ask_alias_read_as_name():
    assert asked('ask = ["step 1: layer 2: dL_dW"]') == ["step 1: layer 2: dW"]


def test_ask_whole_layer():
    assert len(asked('ask = ["step 2: layer 1"]')) == 10


def test_ask_repeats_dropped():
    assert asked('ask = ["step 1: loss", "step 1: loss"]') == ["step 1: loss"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'ask = ["step 3: loss"]',
            "spec.toml: exercise: ask: entry 1: expected a step from 1 to 2, found "
            "step 3 in 'step 3: loss' (the spec has 2 steps)",
        ),
        (
            'ask = ["step 1: layer 1: weights"]',
            "spec.toml: exercise: ask: entry 1: expected a value name (loss, W, b, "
            "a_prev, z, a, da, slope, dz, dW, db, da_prev, W_after, b_after) or an "
            "alias such as dL_dW, found 'step 1: layer 1: weights'",
        ),
        (
            "ask = []",
            'spec.toml: exercise: ask: expected "all" or a list of key paths such '
            'as "step 1: loss", "step 1: layer 2: W_after", "step 2: dW", "step 1: '
            'layer 1" or "step 2", found a list of 0 items',
        ),
        (
            'asks = "all"',
            "spec.toml: exercise: asks: expected a known key (ask, instructions, "
            "formulas), found the unknown key 'asks'",
        ),
    ],
)
def test_invalid_exercise_rejected(table, message):
    with pytest.raises(SpecError) as caught:
        parse_exercise(with_exercise(table), source="spec.toml")
    assert str(caught.value) == message


def test_answer_key_passes_check():
    exercise = parse_exercise(BASE)
    trace = solve(exercise.spec)
    report = check_answers(trace, parse_answers(answer_key(trace, exercise.asked)))
    assert report.all_right
    assert len(report.values) == 62


def test_answer_key_groups_tables():
    exercise = parse_exercise(with_exercise('ask = ["step 1: loss", "step 1: dz"]'))
    key = answer_key(solve(exercise.spec), exercise.asked)
    assert key.split("[tolerance]")[1] == (
        "\nexact = true\n\n[step.1]\nloss = 66.125\n\n[step.1.layer.1]\n"
        "dz = [23, 23]\n\n[step.1.layer.2]\ndz = [11.5, 11.5]\n\n"
        "[step.1.layer.3]\ndz = [11.5]\n"
    )


def test_toml_number_forms():
    import sympy

    assert toml_number(sympy.Integer(-7)) == "-7"
    assert toml_number(sympy.Rational(-123, 200)) == "-0.615"
    assert toml_number(sympy.Rational(1, 3)) == '"1/3"'


def test_sheet_has_no_answers():
    exercise = parse_exercise(with_exercise('ask = ["step 1: layer 3: dW"]'))
    trace = solve(exercise.spec)
    text = render_document(exercise_document(exercise, trace), "markdown")
    assert "74.75" not in text
    assert "66.125" not in text
    assert "1. the gradient" in text


def test_sheet_lists_asked_values():
    exercise = parse_exercise(
        with_exercise('ask = ["step 2: loss", "step 1: layer 2: W_after"]')
    )
    text = render_document(
        exercise_document(exercise, solve(exercise.spec)), "markdown"
    )
    assert (
        "1. the updated weights $W^{[2]}$ of layer 2 after the update (a matrix)."
        in text
    )
    assert "2. the loss $L$." in text


def test_sheet_without_formulas():
    exercise = parse_exercise(with_exercise('formulas = false\nask = ["step 1: loss"]'))
    text = render_document(
        exercise_document(exercise, solve(exercise.spec)), "markdown"
    )
    assert "chain rule" not in text
    assert "The loss is" in text


def test_sheet_compiles_with_diagram(tmp_path):
    exercise = parse_exercise(BASE)
    document = exercise_document(exercise, solve(exercise.spec), diagram=True)
    compiled = compile_latex(render_document(document), tmp_path)
    assert "Tasks" in compiled.text
    assert compiled.overfull_boxes == []


def test_cli_exercise_writes_sheet(tmp_path, capsys):
    output = tmp_path / "sheet.html"
    status = main(
        ["exercise", "--example", "relu-1-2-2-1", "--format", "html", "-o", str(output)]
    )
    assert status == 0
    assert "<h3>Tasks</h3>" in output.read_text(encoding="utf-8")


def test_cli_exercise_rejects_detail(capsys):
    status = main(["exercise", "--example", "relu-1-2-2-1", "--detail", "compact"])
    assert status == 2
    assert capsys.readouterr().err == (
        "derivation: error: --detail applies to solutions, not to exercise sheets\n"
    )


def test_quantity_describe_matches_check():
    assert Quantity(2, None, "loss").describe() == "step 2: loss"
