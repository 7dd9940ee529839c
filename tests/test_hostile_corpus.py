"""The corpus of nasty spec and answer files under tests/data/hostile.

Each file was found by hand or by the fuzzers to stress one path of the
readers. Every file must end in its pinned outcome: a loaded and solved
spec, or exactly this message. A new file without an entry here fails
the test that lists the corpus.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from derivation.answers import AnswerFileError, read_answers
from derivation.bundled import example_text
from derivation.check import check_answers
from derivation.engine import solve
from derivation.errors import DerivationError, LimitError
from derivation.render.json import render_json
from derivation.render.latex import render_latex
from derivation.spec import load_spec, parse_spec

CORPUS = Path(__file__).parent / "data" / "hostile"
NUMBER = 'a number (integer, decimal, fraction such as "-3/8", or 2.5e-3)'
TEXT_LIMIT = (
    "expected at most {maximum} {noun} (the {name} limit), found {value}; to "
    "allow it, pass --limit {name}={value} (in Python, Limits({name}={value}))"
)

# Specs that load, train and render.
SPECS_THAT_WORK = ("bom.toml", "crlf.toml", "hex_integer.toml", "title_write18.toml")

# Specs that fail to load, with the message after "FILE: ".
SPEC_LOAD_ERRORS = {
    "activation_code.toml": (
        "layer 1: activation: expected one of identity, relu, leaky_relu, sigmoid, "
        "tanh, softplus, softmax, found the "
        "string \"__import__('os').system('touch injected'...\""
    ),
    "activation_table.toml": (
        "layer 1: activation: expected one of identity, relu, leaky_relu, sigmoid, "
        "tanh, softplus, softmax, found a table"
    ),
    "arabic_digits.toml": (
        f"training: learning_rate: expected {NUMBER}, found the string '٠.١'"
    ),
    "depth_40.toml": "layer: "
    + TEXT_LIMIT.format(maximum=32, noun="layers", name="depth", value=40),
    "duplicate_key.toml": (
        "expected valid TOML, found Cannot overwrite a value (at line 3, column 11)"
    ),
    "duplicate_table.toml": (
        "expected valid TOML, found Cannot declare ('network',) twice "
        "(at line 23, column 9)"
    ),
    "empty.toml": (
        "network: expected a [network] table, found nothing (the key is missing)"
    ),
    "exponent_1001.toml": (
        f"training: learning_rate: expected {NUMBER}, found 1e1001, which has "
        "the exponent 1001, outside the supported range -1000 to 1000"
    ),
    "exponent_million.toml": (
        f"training: learning_rate: expected {NUMBER}, found the string "
        "'1e1000000', which has the exponent 1000000, outside the supported "
        "range -1000 to 1000"
    ),
    "fraction_2000_digits.toml": (
        f"training: learning_rate: expected {NUMBER}, found the string "
        f"'{'1' * 40}...', which has more than 1000 digits"
    ),
    "inputs_huge.toml": "network: inputs: "
    + TEXT_LIMIT.format(maximum=256, noun="inputs", name="width", value=99999999999),
    "integer_1001_digits.toml": (
        f"data: y: entry 1: expected {NUMBER}, found an integer of 1001 digits, "
        "which has more than 1000 digits"
    ),
    "integer_5000_digits.toml": (
        "expected valid TOML, found an integer of 5000 digits, which has more "
        "than 1000 digits"
    ),
    "learning_rate_array.toml": (
        f"training: learning_rate: expected {NUMBER}, found a list of 1 item"
    ),
    "learning_rate_code.toml": (
        f"training: learning_rate: expected {NUMBER}, found the string "
        "\"lambda: __import__('os')\""
    ),
    "learning_rate_inf.toml": f"training: learning_rate: expected {NUMBER}, found -inf",
    "learning_rate_nan.toml": f"training: learning_rate: expected {NUMBER}, found nan",
    "learning_rate_nan_string.toml": (
        f"training: learning_rate: expected {NUMBER}, found the string 'nan'"
    ),
    "nested_arrays_10k.toml": (
        "expected valid TOML, found arrays or tables nested too deeply"
    ),
    "not_utf8.toml": "expected UTF-8 text, found the byte 0xe9 at offset 47",
    "only_comment.toml": (
        "network: expected a [network] table, found nothing (the key is missing)"
    ),
    "random_bytes.toml": "expected UTF-8 text, found the byte 0xcf at offset 2",
    "rows_ragged.toml": (
        "layer 1: weights: expected a 2x2 matrix, found rows of lengths 1, 2"
    ),
    "steps_float.toml": "training: steps: expected a positive integer, found 1.0",
    "steps_huge.toml": "training: steps: "
    + TEXT_LIMIT.format(
        maximum=1000, noun="steps", name="steps", value=99999999999999999999
    ),
    "steps_zero.toml": "training: steps: expected a positive integer, found 0",
    "title_date.toml": "title: expected a string, found a date (1979-05-27)",
    "truncated_mid_array.toml": (
        "expected valid TOML, found Invalid value (at end of document)"
    ),
    "truncated_mid_string.toml": (
        "expected valid TOML, found Unterminated string (at end of document)"
    ),
    "units_huge.toml": "layer 1: units: "
    + TEXT_LIMIT.format(maximum=256, noun="units", name="width", value=100000000),
    "unknown_top_key.toml": (
        "momentum: expected a known key (title, network, layer, data, training, "
        "notation, numbers, output, exercise, variants), found the unknown key "
        "'momentum'"
    ),
    "weights_3d.toml": (
        f"layer 2: weights: row 1, column 1: expected {NUMBER}, found a list of 1 item"
    ),
    "x_boolean.toml": f"data: x: entry 1: expected {NUMBER}, found the boolean true",
    "zero_denominator.toml": (
        f"training: learning_rate: expected {NUMBER}, found the string '1/0', "
        "which has a zero denominator"
    ),
}

# Specs that load but fail while training or rendering, with the message.
SPEC_RUN_ERRORS = {
    "growth_past_limit.toml": (
        LimitError,
        "step 1: the loss L has a numerator of 4004 digits, more than the limit "
        "of 4000. Exact values grow with every step; to go on, round them "
        "(rounding, such as 4 decimal places), or raise the limit (max_digits).",
    ),
    "title_nul.toml": (
        DerivationError,
        "title: the character '\\x00' (U+0000) cannot be typeset by pdflatex; "
        "remove it or choose --format json",
    ),
}

# Answer files checked against the 1-2-2-1 example, with the message after
# "FILE: ".
ANSWER_ERRORS = {
    "code_value.toml": (
        f"step 1: layer 1: z: entry 1: expected {NUMBER}, found the string "
        "\"__import__('os').system('touch injected'...\""
    ),
    "duplicate_step.toml": (
        "expected valid TOML, found Cannot declare ('step', '1') twice "
        "(at line 3, column 8)"
    ),
    "integer_5000_digits.toml": (
        "expected valid TOML, found an integer of 5000 digits, more than 1000"
    ),
    "layer_99.toml": "step 1: layer 99: expected a layer from 1 to 3, found layer 99",
    "nan.toml": f"step 1: loss: expected {NUMBER}, found nan",
    "nested_arrays_10k.toml": (
        "expected valid TOML, found arrays or tables nested too deeply"
    ),
    "not_utf8.toml": "expected UTF-8 text, found the byte 0xff at offset 17",
    "step_zero.toml": "step: 0: expected a step number (1, 2, ...), found the key '0'",
    "truncated.toml": "expected valid TOML, found Invalid value (at end of document)",
    "unknown_name.toml": (
        "step 1: layer 1: weights: expected one of the names W, b, a_prev, z, a, "
        "da, slope, dz, dW, db, da_prev, W_after, b_after, or an alias (input, "
        "dL_da, activation_derivative, dL_dz, delta, dL_dW, dL_db, dL_da_prev, "
        "dL_da_of_input), found the unknown key 'weights'"
    ),
    "zero_denominator.toml": (
        f"step 1: loss: expected {NUMBER}, found the string '1/0', which has a "
        "zero denominator"
    ),
}


@cache
def _example_trace():
    return solve(parse_spec(example_text("relu-1-2-2-1")))


def test_corpus_has_an_outcome_for_every_file():
    specs = sorted(path.name for path in (CORPUS / "specs").glob("*.toml"))
    answers = sorted(path.name for path in (CORPUS / "answers").glob("*.toml"))
    pinned = [*SPECS_THAT_WORK, *SPEC_LOAD_ERRORS, *SPEC_RUN_ERRORS]
    assert specs == sorted(pinned)
    assert answers == sorted(ANSWER_ERRORS)


@pytest.mark.parametrize("name", sorted(SPEC_LOAD_ERRORS))
def test_corpus_spec_is_rejected(name):
    path = CORPUS / "specs" / name
    with pytest.raises(DerivationError) as raised:
        load_spec(path)
    assert str(raised.value) == f"{path}: {SPEC_LOAD_ERRORS[name]}"


@pytest.mark.parametrize("name", sorted(SPEC_RUN_ERRORS))
def test_corpus_spec_fails_while_solving(name):
    error_type, message = SPEC_RUN_ERRORS[name]
    spec = load_spec(CORPUS / "specs" / name)
    with pytest.raises(error_type) as raised:
        render_latex(solve(spec), title=spec.title)
    assert str(raised.value) == message


@pytest.mark.parametrize("name", SPECS_THAT_WORK)
def test_corpus_spec_is_solved(name):
    spec = load_spec(CORPUS / "specs" / name)
    trace = solve(spec)
    assert render_json(trace, title=spec.title).startswith("{")
    assert render_latex(trace, title=spec.title).startswith(r"\documentclass")


def test_corpus_title_write18_is_kept_literally():
    spec = load_spec(CORPUS / "specs" / "title_write18.toml")
    assert spec.title == r"\immediate\write18{touch injected}"


@pytest.mark.parametrize("name", sorted(ANSWER_ERRORS))
def test_corpus_answer_file_is_rejected(name):
    path = CORPUS / "answers" / name
    with pytest.raises(AnswerFileError) as raised:
        check_answers(_example_trace(), read_answers(path))
    assert str(raised.value) == f"{path}: {ANSWER_ERRORS[name]}"
