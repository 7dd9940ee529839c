"""Fuzz the answer-file reader and the checker: a report or a DerivationError.

Answer files come from students, so they are as hostile as specs. The
inputs are random bytes, TOML documents built from the answer file's own
keys and value names with values of every TOML type, and byte edits of the
answer files under tests/data/answers. Each sheet that loads is checked
against the solution of the 1-2-2-1 example and its report written as text
and JSON. No exception other than a DerivationError may escape.

``FUZZ_EXAMPLES=20000`` sets the number of examples for a long run.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from derivation.answers import (
    ALIASES,
    LAYER_NAMES,
    AnswerFileError,
    parse_answers,
    read_answers,
)
from derivation.bundled import example_text
from derivation.check import check_answers
from derivation.engine import solve
from derivation.errors import DerivationError
from derivation.spec import parse_spec
from derivation.tolerance import POLICIES, TIE_RULES
from tests.test_fuzz_spec import SCALARS, VALUES, toml_string, toml_value

SOURCE = "answers.toml"
ANSWER_FILES = sorted((Path(__file__).parent / "data" / "answers").glob("*.toml"))


def _fuzz_settings() -> settings:
    count = os.environ.get("FUZZ_EXAMPLES")
    base = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
    if count:
        return settings(base, max_examples=int(count))
    return base


FUZZ = _fuzz_settings()


@cache
def _trace():
    return solve(parse_spec(example_text("relu-1-2-2-1")))


def check_answer_text(text: str) -> bool:
    """Read and check ``text``; return whether a report came out.

    Fails the test when an exception other than a DerivationError escapes
    or an error message does not name the file.
    """
    try:
        sheet = parse_answers(text, source=SOURCE)
    except DerivationError as error:
        assert str(error).startswith(f"{SOURCE}: "), str(error)
        return False
    try:
        report = check_answers(_trace(), sheet)
    except DerivationError as error:
        assert str(error).startswith(f"{SOURCE}: "), str(error)
        return False
    report.to_text()
    json.dumps(report.to_dict(), allow_nan=False)
    return True


def check_answer_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / SOURCE
        path.write_bytes(data)
        try:
            read_answers(path)
        except DerivationError as error:
            assert str(error).startswith(f"{path}: "), str(error)


# --- answer documents ----------------------------------------------------------

# Valid choices are drawn far more often than invalid ones, so that many
# sheets load and reach the checker.
VALUE_NAMES = st.sampled_from([*LAYER_NAMES * 3, *ALIASES, "loss", "w", "dz2", ""])
STEPS = st.sampled_from(["1", "2"] * 6 + ["3", "0", "x", "01"])
LAYERS = st.sampled_from(["1", "2", "3"] * 4 + [None, "4", "0", "a"])
NUMBERS = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.sampled_from(["", "0.5975", "-3/8", "2.5e-3", "1e1000", "1/0", "nan"]),
)
# Values of the example have 1 or 2 rows and columns.
ANSWER_VALUES = st.one_of(
    NUMBERS,
    st.lists(NUMBERS, min_size=1, max_size=2),
    st.lists(st.lists(NUMBERS, min_size=1, max_size=2), min_size=1, max_size=2),
    VALUES,
)
TOLERANCES = st.dictionaries(
    st.sampled_from([*POLICIES, "ties", "accept_correct_rounding", "bogus"]),
    st.one_of(SCALARS, st.sampled_from([*TIE_RULES, 0, 2, 4, 1000, -1, True])),
    max_size=3,
)


@st.composite
def answer_documents(draw) -> str:
    lines = []
    if draw(st.integers(0, 3)) == 0:
        lines += ["[tolerance]", *_assignments(draw(TOLERANCES)), ""]
    if draw(st.integers(0, 3)) == 0:
        grading = draw(
            st.dictionaries(
                st.sampled_from(["points", "carried_forward_credit", "bonus"]),
                st.one_of(SCALARS, st.sampled_from([0, 1, "1/2", 2, -1])),
                max_size=2,
            )
        )
        lines += ["[grading]", *_assignments(grading), ""]
    headers = set()
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        step = draw(STEPS)
        layer = draw(LAYERS)
        header = f"step.{step}" if layer is None else f"step.{step}.layer.{layer}"
        if header in headers:
            continue
        headers.add(header)
        values = draw(st.dictionaries(VALUE_NAMES, _answer_entry(draw), max_size=3))
        lines += [f"[{header}]", *_assignments(values), ""]
    return "\n".join(lines)


def _answer_entry(draw) -> st.SearchStrategy:
    plain = ANSWER_VALUES
    table = st.fixed_dictionaries(
        {"value": ANSWER_VALUES},
        optional={
            "tolerance": TOLERANCES,
            "points": st.one_of(st.sampled_from([0, 1, "1/3"]), SCALARS),
        },
    )
    return st.one_of(plain, table)


def _assignments(table: dict[str, Any]) -> list[str]:
    return [f"{toml_string(key)} = {toml_value(value)}" for key, value in table.items()]


# --- the properties ------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=2000))
def test_random_answer_bytes_end_cleanly(data):
    check_answer_bytes(data)


@FUZZ
@given(answer_documents())
@example("[step.2.layer.3]\nb_after = -0.5988\n")
def test_answer_documents_end_cleanly(text):
    check_answer_text(text)


@FUZZ
@given(st.sampled_from(ANSWER_FILES), st.data())
def test_byte_edits_of_answer_files_end_cleanly(path, data):
    content = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(content) - 1))
        action = data.draw(st.sampled_from(["set", "insert", "delete"]))
        byte = data.draw(st.sampled_from(list(b'[]{}="\n#.,-/0123456789ez\x00\xff')))
        if action == "set":
            content[position] = byte
        elif action == "insert":
            content.insert(position, byte)
        elif len(content) > 1:
            del content[position]
    try:
        text = bytes(content).decode("utf-8")
    except UnicodeDecodeError:
        check_answer_bytes(bytes(content))
        return
    check_answer_text(text)


# --- deterministic cases -------------------------------------------------------


@pytest.mark.parametrize("path", ANSWER_FILES, ids=lambda path: path.name)
def test_every_truncation_of_answer_file_ends_cleanly(path):
    text = path.read_text()
    for end in range(len(text) + 1):
        check_answer_text(text[:end])


def test_correct_answer_file_gives_report():
    text = Path(__file__).parent / "data" / "answers" / "relu-1-2-2-1-correct.toml"
    assert check_answer_text(text.read_text()) is True


@pytest.mark.parametrize("depth", [10, 1000, 100_000])
def test_deeply_nested_answer_ends_cleanly(depth):
    text = "[step.1.layer.1]\nz = " + "[" * depth + "]" * depth + "\n"
    assert check_answer_text(text) is False


def test_huge_toml_integer_in_answer_ends_cleanly():
    text = "[step.1]\nloss = " + "9" * 5000 + "\n"
    assert check_answer_text(text) is False


def test_endless_answer_file_is_rejected():
    with pytest.raises(AnswerFileError) as raised:
        read_answers("/dev/zero")
    assert str(raised.value) == (
        "/dev/zero: expected an answer file of at most 1000000 bytes, "
        "found a larger file"
    )
