"""Reading answer files: names, numbers, tolerances, errors and the template."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

from derivation.answers import (
    AnswerFileError,
    Quantity,
    answer_template,
    match_answers,
    parse_answers,
    read_answers,
)
from derivation.engine import solve, train
from derivation.network import Layer, Network
from derivation.spec import load_spec
from derivation.tolerance import Tolerance

R = sympy.Rational
ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "derivation" / "examples" / "relu-1-2-2-1.toml"
ANSWERS = Path(__file__).resolve().parent / "data" / "answers"
TRACE = solve(load_spec(SEED))


def error_of(text: str) -> str:
    with pytest.raises(AnswerFileError) as raised:
        parse_answers(text, source="a.toml")
    return str(raised.value)


def match_error_of(text: str) -> str:
    sheet = parse_answers(text, source="a.toml")
    with pytest.raises(AnswerFileError) as raised:
        match_answers(sheet, TRACE)
    return str(raised.value)


def test_parse_values_keep_written_text():
    sheet = parse_answers('[step.1.layer.2]\nz = [6.50, "13/2"]\n')
    first, second = sheet.answers[0].entries[0]
    assert first.value == R(13, 2)
    assert first.text == "6.50"
    assert first.decimals == 2
    assert second.text == "13/2"
    assert second.decimals is None


def test_parse_layouts_of_values():
    sheet = parse_answers(
        """
        [step.1]
        loss = 66.125
        [step.1.layer.2]
        z = [6.5, 6.5]
        dW = [[40.25, 40.25], [40.25, 40.25]]
        """
    )
    layouts = [(answer.key_path, answer.layout) for answer in sheet.answers]
    assert layouts == [
        ("step 1: loss", "number"),
        ("step 1: layer 2: z", "list"),
        ("step 1: layer 2: dW", "rows"),
    ]


def test_parse_aliases_name_canonical_values():
    sheet = parse_answers(
        """
        [step.1.layer.1]
        dL_dW = [[92], [92]]
        delta = [23, 23]
        dL_da_of_input = [46]
        input = [4]
        activation_derivative = [1, 1]
        """
    )
    names = [(answer.quantity.name, answer.written_name) for answer in sheet.answers]
    assert names == [
        ("dW", "dL_dW"),
        ("dz", "delta"),
        ("da_prev", "dL_da_of_input"),
        ("a_prev", "input"),
        ("slope", "activation_derivative"),
    ]


def test_parse_quantity_counts_from_one():
    sheet = parse_answers("[step.2.layer.3]\nb_after = -0.59885\n")
    assert sheet.answers[0].quantity == Quantity(2, 3, "b_after")


def test_parse_blank_value_is_skipped():
    sheet = parse_answers('[step.1.layer.1]\nz = ["", ""]\na = ""\n')
    assert sheet.answers == ()


def test_parse_blank_entry_is_none():
    sheet = parse_answers('[step.1.layer.1]\nz = ["", 3.5]\n')
    first, second = sheet.answers[0].entries[0]
    assert first is None
    assert second.value == R(7, 2)


def test_parse_default_settings():
    sheet = parse_answers("")
    assert sheet.answers == ()
    assert sheet.tolerance == Tolerance()
    assert sheet.carried_forward_credit == 1
    assert sheet.source == "<answers>"


def test_parse_global_tolerance_and_grading():
    sheet = parse_answers(
        """
        [tolerance]
        significant = 3
        ties = "half_even"
        [grading]
        points = 2
        carried_forward_credit = "1/2"
        [step.1]
        loss = 66.1
        """
    )
    answer = sheet.answers[0]
    assert sheet.tolerance == Tolerance("significant", digits=3, ties="half_even")
    assert answer.tolerance == Tolerance("significant", digits=3, ties="half_even")
    assert answer.points == 2
    assert sheet.carried_forward_credit == R(1, 2)


def test_parse_value_table_overrides_defaults():
    sheet = parse_answers(
        """
        [tolerance]
        absolute = 0.01
        accept_correct_rounding = false
        [step.1.layer.2]
        dW = { value = [[40.3, 40.3], [40.3, 40.3]], tolerance = { decimals = 1 }, points = 2.5 }
        z = { value = [6.5, 6.5], tolerance = "exact" }
        a = { value = [6.5, 6.5], tolerance = { ties = "half_away_from_zero" } }
        """  # noqa: E501
    )
    dW, z, a = sheet.answers
    assert dW.tolerance == Tolerance(
        "decimals", digits=1, accept_correct_rounding=False
    )
    assert dW.points == R(5, 2)
    assert z.tolerance == Tolerance("exact", accept_correct_rounding=False)
    assert z.points == 1
    assert a.tolerance == Tolerance(
        "absolute",
        amount=R(1, 100),
        ties="half_away_from_zero",
        accept_correct_rounding=False,
    )


def test_parse_value_as_subtable():
    sheet = parse_answers(
        """
        [step.1.layer.2.dW]
        value = [[40.25, 40.25], [40.25, 40.25]]
        points = 3
        """
    )
    assert sheet.answers[0].points == 3
    assert sheet.answers[0].quantity == Quantity(1, 2, "dW")


def test_parse_integer_precision():
    sheet = parse_answers("[step.1.layer.1]\ndW = [[92], [1_200]]\n")
    (first,), (second,) = sheet.answers[0].entries
    assert (first.decimals, first.significant) == (0, 2)
    assert (second.value, second.decimals, second.significant) == (1200, 0, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "[step.1\n",
            "a.toml: expected valid TOML, found Expected ']' at the end of a "
            "table declaration (at line 1, column 8)",
            id="invalid-toml",
        ),
        pytest.param(
            "[steps.1]\nloss = 1\n",
            "a.toml: steps: expected a known key (step, tolerance, grading), "
            "found the unknown key 'steps'",
            id="unknown-top-key",
        ),
        pytest.param(
            "[step.one]\nloss = 1\n",
            "a.toml: step: one: expected a step number (1, 2, ...), "
            "found the key 'one'",
            id="step-not-a-number",
        ),
        pytest.param(
            "[step.0]\nloss = 1\n",
            "a.toml: step: 0: expected a step number (1, 2, ...), found the key '0'",
            id="step-zero",
        ),
        pytest.param(
            "[[step]]\nloss = 1\n",
            "a.toml: step: expected [step.N] tables, found a list of 1 item",
            id="step-array",
        ),
        pytest.param(
            "[step.1]\nz = [3.5, 3.5]\n",
            "a.toml: step 1: z: expected a known key (loss, layer), found the "
            "unknown key 'z', which belongs in a [step.1.layer.N] table",
            id="layer-value-in-step",
        ),
        pytest.param(
            "[step.1]\ncost = 1\n",
            "a.toml: step 1: cost: expected a known key (loss, layer), found the "
            "unknown key 'cost'",
            id="unknown-step-key",
        ),
        pytest.param(
            "[step.1.layer.first]\nz = 1\n",
            "a.toml: step 1: layer: first: expected a layer number (1, 2, ...), "
            "found the key 'first'",
            id="layer-not-a-number",
        ),
        pytest.param(
            "[step.1.layer.2]\ndw = 1\n",
            "a.toml: step 1: layer 2: dw: expected one of the names W, b, a_prev, "
            "z, a, da, slope, dz, dW, db, da_prev, W_after, b_after, or an alias "
            "(input, dL_da, activation_derivative, dL_dz, delta, dL_dW, dL_db, "
            "dL_da_prev, dL_da_of_input), found the unknown key 'dw' "
            "(did you mean 'dW'?)",
            id="unknown-name-case",
        ),
        pytest.param(
            "[step.1.layer.2]\nW_new = 1\n",
            "a.toml: step 1: layer 2: W_new: expected one of the names W, b, "
            "a_prev, z, a, da, slope, dz, dW, db, da_prev, W_after, b_after, or an "
            "alias (input, dL_da, activation_derivative, dL_dz, delta, dL_dW, "
            "dL_db, dL_da_prev, dL_da_of_input), found the unknown key 'W_new'",
            id="unknown-name-no-suggestion",
        ),
        pytest.param(
            "[step.1.layer.2]\ndW = [[1, 1], [1, 1]]\ndL_dW = [[1, 1], [1, 1]]\n",
            "a.toml: step 1: layer 2: dL_dW: expected each value once, found the "
            "same value again, already given as 'dW'",
            id="duplicate-alias",
        ),
        pytest.param(
            "[step.1.layer.2]\nz = [6.5, inf]\n",
            "a.toml: step 1: layer 2: z: entry 2: expected a number (integer, "
            'decimal, fraction such as "-3/8", or 2.5e-3), found inf',
            id="infinity",
        ),
        pytest.param(
            '[step.1.layer.2]\nz = ["13/0", 6.5]\n',
            "a.toml: step 1: layer 2: z: entry 1: expected a number (integer, "
            'decimal, fraction such as "-3/8", or 2.5e-3), found the string '
            "'13/0', which has a zero denominator",
            id="zero-denominator",
        ),
        pytest.param(
            '[step.1.layer.2]\ndW = [[1, "one"], [1, 1]]\n',
            "a.toml: step 1: layer 2: dW: row 1, column 2: expected a number "
            '(integer, decimal, fraction such as "-3/8", or 2.5e-3), found the '
            "string 'one'",
            id="word-in-matrix",
        ),
        pytest.param(
            "[step.1]\nloss = true\n",
            "a.toml: step 1: loss: expected a number (integer, decimal, fraction "
            'such as "-3/8", or 2.5e-3) or "" for a blank, found the boolean true',
            id="boolean",
        ),
        pytest.param(
            "[step.1.layer.2]\nz = []\n",
            "a.toml: step 1: layer 2: z: expected a number or a list of numbers, "
            "found an empty list",
            id="empty-list",
        ),
        pytest.param(
            "[step.1.layer.2]\ndW = [[1, 1], 1]\n",
            "a.toml: step 1: layer 2: dW: expected a flat list or a list of rows, "
            "found a list that mixes numbers and lists",
            id="mixed-list",
        ),
        pytest.param(
            "[step.1.layer.2]\ndW = [[1, 1], [1]]\n",
            "a.toml: step 1: layer 2: dW: expected rows of equal length, found "
            "rows of lengths 1, 2",
            id="ragged-rows",
        ),
        pytest.param(
            "[step.1.layer.2]\nz = { points = 2 }\n",
            "a.toml: step 1: layer 2: z: value: expected a value, found nothing "
            "(the key is missing)",
            id="table-without-value",
        ),
        pytest.param(
            "[step.1.layer.2]\nz = { value = 1, weight = 2 }\n",
            "a.toml: step 1: layer 2: z: weight: expected a known key (value, "
            "tolerance, points), found the unknown key 'weight'",
            id="unknown-value-key",
        ),
        pytest.param(
            "[tolerance]\ndecimals = 2\nsignificant = 3\n",
            "a.toml: tolerance: expected one policy, found the keys decimals and "
            "significant",
            id="two-policies",
        ),
        pytest.param(
            "[tolerance]\nexact = false\n",
            "a.toml: tolerance: exact: expected true, found the boolean false",
            id="exact-false",
        ),
        pytest.param(
            "[tolerance]\ndecimals = -1\n",
            "a.toml: tolerance: decimals: expected an integer from 0 to 1000, found -1",
            id="negative-decimals",
        ),
        pytest.param(
            "[tolerance]\nsignificant = 2.5\n",
            "a.toml: tolerance: significant: expected an integer from 1, found 2.5",
            id="fractional-figures",
        ),
        pytest.param(
            "[tolerance]\nsignificant = 0\n",
            "a.toml: tolerance: significant: expected an integer from 1 to 1000, "
            "found 0",
            id="zero-figures",
        ),
        pytest.param(
            "[tolerance]\nabsolute = -0.01\n",
            "a.toml: tolerance: absolute: expected a number, 0 or more, found -0.01",
            id="negative-absolute",
        ),
        pytest.param(
            '[tolerance]\nrelative = 1e-2\nties = "up"\n',
            "a.toml: tolerance: ties: expected one of either, half_away_from_zero, "
            "half_even, found the string 'up'",
            id="unknown-tie-rule",
        ),
        pytest.param(
            "[tolerance]\ndecimals = 2\naccept_correct_rounding = false\n",
            "a.toml: tolerance: accept_correct_rounding: expected the policy "
            "absolute or relative beside it, found the policy decimals",
            id="rounding-switch-beside-decimals",
        ),
        pytest.param(
            "[tolerance]\nabsolute = 0.1\naccept_correct_rounding = 1\n",
            "a.toml: tolerance: accept_correct_rounding: expected true or false, "
            "found 1",
            id="rounding-switch-not-boolean",
        ),
        pytest.param(
            "[tolerance]\nmargin = 0.1\n",
            "a.toml: tolerance: margin: expected a known key (rounded, exact, "
            "decimals, significant, absolute, relative, ties, "
            "accept_correct_rounding), found the unknown key 'margin'",
            id="unknown-tolerance-key",
        ),
        pytest.param(
            'tolerance = "loose"\n',
            'a.toml: tolerance: expected "exact", "rounded" or a table such as '
            "{ decimals = 2 }, found the string 'loose'",
            id="unknown-tolerance-word",
        ),
        pytest.param(
            "[step.1]\nloss = { value = 1, points = -1 }\n",
            "a.toml: step 1: loss: points: expected a number of points, 0 or more, "
            "found -1",
            id="negative-points",
        ),
        pytest.param(
            "[grading]\ncarried_forward_credit = 1.5\n",
            "a.toml: grading: carried_forward_credit: expected a number from 0 to "
            "1, found 1.5",
            id="credit-above-one",
        ),
        pytest.param(
            "grading = 1\n",
            "a.toml: grading: expected a [grading] table, found 1",
            id="grading-not-table",
        ),
        pytest.param(
            "[grading]\nbonus = 1\n",
            "a.toml: grading: bonus: expected a known key (points, "
            "carried_forward_credit), found the unknown key 'bonus'",
            id="unknown-grading-key",
        ),
    ],
)
def test_parse_rejects_with_message(text, message):
    assert error_of(text) == message


def test_parse_error_keeps_its_parts():
    with pytest.raises(AnswerFileError) as raised:
        parse_answers("[step.1]\nloss = true\n", source="a.toml")
    assert raised.value.source == "a.toml"
    assert raised.value.key_path == "step 1: loss"
    assert raised.value.found == "the boolean true"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "[step.3]\nloss = 1\n",
            "a.toml: step 3: expected a step from 1 to 2, found step 3 (the spec "
            "trains 2 steps)",
            id="step-out-of-range",
        ),
        pytest.param(
            "[step.1.layer.4]\nz = 1\n",
            "a.toml: step 1: layer 4: expected a layer from 1 to 3, found layer 4",
            id="layer-out-of-range",
        ),
        pytest.param(
            "[step.1.layer.2]\nz = [6.5, 6.5, 6.5]\n",
            "a.toml: step 1: layer 2: z: expected a list of 2 values, found a list "
            "of 3 values",
            id="long-vector",
        ),
        pytest.param(
            "[step.1.layer.2]\nz = 6.5\n",
            "a.toml: step 1: layer 2: z: expected a list of 2 values, found a "
            "single number",
            id="number-for-vector",
        ),
        pytest.param(
            "[step.1.layer.2]\ndL_dW = [40.25, 40.25, 40.25, 40.25]\n",
            "a.toml: step 1: layer 2: dL_dW: expected a 2x2 matrix (a list of "
            "rows), found a list of 4 values",
            id="flat-list-for-matrix",
        ),
        pytest.param(
            "[step.1.layer.1]\ndW = [[92, 92]]\n",
            "a.toml: step 1: layer 1: dW: expected a 2x1 matrix (a list of rows, "
            "or a flat list of 2 values), found a 1x2 matrix",
            id="transposed-weights",
        ),
        pytest.param(
            "[step.1.layer.3]\nz = [[12.5], [12.5]]\n",
            "a.toml: step 1: layer 3: z: expected a number or a list of 1 value, "
            "found a 2x1 matrix",
            id="matrix-for-single-value",
        ),
        pytest.param(
            "[step.1]\nloss = [66.125, 1]\n",
            "a.toml: step 1: loss: expected a number, found a list of 2 values",
            id="list-for-loss",
        ),
    ],
)
def test_match_rejects_with_message(text, message):
    assert match_error_of(text) == message


def test_match_one_step_message():
    net = Network([Layer([[2]], [0], "identity")])
    trace = train(net, [1], [3], learning_rate="0.5")
    sheet = parse_answers("[step.2]\nloss = 1\n", source="a.toml")
    with pytest.raises(AnswerFileError) as raised:
        match_answers(sheet, trace)
    assert str(raised.value) == (
        "a.toml: step 2: expected step 1, found step 2 (the spec trains 1 step)"
    )


@pytest.mark.parametrize(
    ("text", "quantity", "values"),
    [
        pytest.param(
            "[step.1.layer.1]\ndW = [92, 92]\n",
            Quantity(1, 1, "dW"),
            [[92], [92]],
            id="flat-column-weights",
        ),
        pytest.param(
            "[step.1.layer.3]\ndW = [74.75, 74.75]\n",
            Quantity(1, 3, "dW"),
            [[R(299, 4), R(299, 4)]],
            id="flat-row-weights",
        ),
        pytest.param(
            "[step.1.layer.2]\nz = [[6.5], [6.5]]\n",
            Quantity(1, 2, "z"),
            [[R(13, 2)], [R(13, 2)]],
            id="vector-as-rows",
        ),
        pytest.param(
            "[step.1.layer.3]\nz = [12.5]\n",
            Quantity(1, 3, "z"),
            [[R(25, 2)]],
            id="single-value-list",
        ),
        pytest.param(
            '[step.1]\nloss = "529/8"\n',
            Quantity(1, None, "loss"),
            [[R(529, 8)]],
            id="loss",
        ),
    ],
)
def test_match_arranges_in_trace_shape(text, quantity, values):
    matched = match_answers(parse_answers(text), TRACE)
    entries = matched[quantity].entries
    assert [[entry.value for entry in row] for row in entries] == values


def test_read_answers_malformed_example():
    path = ANSWERS / "relu-1-2-2-1-malformed.toml"
    with pytest.raises(AnswerFileError) as raised:
        read_answers(path)
    assert str(raised.value) == (
        f"{path}: step 1: layer 2: dw: expected one of the names W, b, a_prev, z, "
        "a, da, slope, dz, dW, db, da_prev, W_after, b_after, or an alias (input, "
        "dL_da, activation_derivative, dL_dz, delta, dL_dW, dL_db, dL_da_prev, "
        "dL_da_of_input), found the unknown key 'dw' (did you mean 'dW'?)"
    )


def test_read_answers_missing_file(tmp_path):
    path = tmp_path / "missing.toml"
    with pytest.raises(AnswerFileError) as raised:
        read_answers(path)
    assert str(raised.value) == (
        f"{path}: expected an answer file, found nothing (file not found)"
    )


def test_read_answers_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"# caf\xe9\n")
    with pytest.raises(AnswerFileError) as raised:
        read_answers(path)
    assert str(raised.value) == (
        f"{path}: expected UTF-8 text, found the byte 0xe9 at offset 5"
    )


def test_read_answers_folder_is_rejected(tmp_path):
    with pytest.raises(AnswerFileError) as raised:
        read_answers(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path}: expected a readable answer file, found a path that cannot "
        "be read (Is a directory)"
    )


def test_read_answers_names_its_file():
    sheet = read_answers(ANSWERS / "relu-1-2-2-1-four-decimals.toml")
    assert sheet.source == str(ANSWERS / "relu-1-2-2-1-four-decimals.toml")
    assert sheet.tolerance == Tolerance("decimals", digits=4)
    assert len(sheet.answers) == 8


TINY_TEMPLATE = """\
# Answers for: Tiny
# Fill in the values you computed and leave the others blank ("").
# Blank values and blank entries are not checked. Numbers may be
# decimals (0.5975), fractions in quotes ("-3/8") or 2.5e-3.
# Steps and layers count from 1. Vectors are flat lists, and W, dW
# and W_after are lists of rows. Aliases such as dL_dW for dW work
# too. Check the file with: derivation check SPEC FILE

# [tolerance]      # optional; without it a value is right when exact
#                  # or correctly rounded to the decimal places written
# decimals = 2     # or: exact = true, significant = 3,
#                  #     absolute = 0.001, relative = 0.01

[step.1]
loss = ""  # L, a number

[step.1.layer.1]
z = [""]              # W a_prev + b, 1 value
a = [""]              # f(z), 1 value
da = [""]             # dL/da, 1 value
slope = [""]          # f'(z), 1 value
dz = [""]             # dL/dz = da * f'(z), 1 value
dW = [["", ""]]       # dL/dW = dz a_prev^T, 1x2
db = [""]             # dL/db = dz, 1 value
da_prev = ["", ""]    # dL/da_prev = W^T dz, 2 values
W_after = [["", ""]]  # W - eta dW, 1x2
b_after = [""]        # b - eta db, 1 value

[step.2]
loss = ""  # L, a number

[step.2.layer.1]
W = [["", ""]]        # weights used in this step (W_after of step 1), 1x2
b = [""]              # biases used in this step (b_after of step 1), 1 value
z = [""]              # W a_prev + b, 1 value
a = [""]              # f(z), 1 value
da = [""]             # dL/da, 1 value
slope = [""]          # f'(z), 1 value
dz = [""]             # dL/dz = da * f'(z), 1 value
dW = [["", ""]]       # dL/dW = dz a_prev^T, 1x2
db = [""]             # dL/db = dz, 1 value
da_prev = ["", ""]    # dL/da_prev = W^T dz, 2 values
W_after = [["", ""]]  # W - eta dW, 1x2
b_after = [""]        # b - eta db, 1 value
"""


def test_template_of_tiny_network():
    net = Network([Layer([[1, 2]], [0], "identity")])
    trace = train(net, [1, 1], [2], learning_rate="0.1", steps=2)
    assert answer_template(trace, title="Tiny") == TINY_TEMPLATE


def test_template_reads_back_blank():
    sheet = parse_answers(answer_template(TRACE, title="Seed"))
    assert sheet.answers == ()
    assert sheet.tolerance == Tolerance()


def test_template_names_every_value():
    text = answer_template(TRACE)
    filled = text.replace('""', "1")
    sheet = parse_answers(filled)
    matched = match_answers(sheet, TRACE)
    per_step_one = 1 + 3 * 10
    per_step_two = 1 + 3 * 12
    assert len(matched) == per_step_one + per_step_two
    assert Quantity(2, 3, "W") in matched
    assert Quantity(1, 1, "W") not in matched
    assert Quantity(1, 2, "a_prev") not in matched
