"""Fuzz the spec loader: every input ends in a Spec or a DerivationError.

The inputs are random bytes, random text, TOML documents built from the
spec's own keys with values of every TOML type in their place, truncations
and byte edits of the bundled examples, and deeply nested arrays. A loaded
spec is also trained and rendered under small limits, so the whole path
from file to solution is covered. No other exception may escape, and every
message must name the file.

The number of examples follows the Hypothesis profile (see conftest.py);
``FUZZ_EXAMPLES=20000`` sets it for a long run, as docs/limits.md records.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from derivation.bundled import example_names, example_text
from derivation.engine import solve
from derivation.errors import DerivationError
from derivation.limits import Limits
from derivation.render.json import render_json
from derivation.render.latex import render_latex
from derivation.spec import Spec, load_spec, parse_spec

SOURCE = "net.toml"
# Small enough that any loaded spec trains and renders in milliseconds.
SMALL = Limits(width=6, depth=4, steps=3, values=2000)


def _fuzz_settings() -> settings:
    count = os.environ.get("FUZZ_EXAMPLES")
    base = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
    if count:
        return settings(base, max_examples=int(count))
    return base


FUZZ = _fuzz_settings()


def check_text(text: str) -> Spec | None:
    """Load, train and render ``text``; return the spec, or None on a clean error.

    Fails the test when any exception other than a DerivationError escapes,
    or when an error message is empty or does not name the file.
    """
    try:
        spec = parse_spec(text, source=SOURCE, limits=SMALL)
    except DerivationError as error:
        message = str(error)
        assert message.startswith(f"{SOURCE}: "), message
        assert message.strip() == message
        return None
    try:
        trace = solve(spec)
        render_json(trace, title=spec.title)
        render_latex(trace, title=spec.title)
    except DerivationError as error:
        assert str(error)
    return spec


def check_bytes(data: bytes) -> None:
    """Load ``data`` from a file as ``derivation solve FILE`` does."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / SOURCE
        path.write_bytes(data)
        try:
            load_spec(path, SMALL)
        except DerivationError as error:
            assert str(error).startswith(f"{path}: "), str(error)


# --- TOML documents from the spec's keys ---------------------------------------

KEYS = {
    "": ("title", "network", "layer", "data", "training", "notation", "numbers"),
    "network": ("inputs", "relu_derivative_at_zero"),
    "layer": ("activation", "units", "weights", "biases", "relu_derivative_at_zero"),
    "data": ("x", "y"),
    "training": ("loss", "learning_rate", "steps", "rounding", "max_digits"),
    "rounding": ("mode", "digits", "when"),
    "notation": ("layer_marks", "gradient_style", "transpose", "product"),
    "numbers": ("style", "places", "decimal_separator"),
}

NAMES = st.sampled_from(
    ["relu", "identity", "half_squared_error", "decimals", "significant", "step"]
)
NUMBER_TEXTS = st.sampled_from(
    [
        "0.5",
        "-3/8",
        "2.5e-3",
        "1/0",
        "1e1000",
        "1e-1001",
        "nan",
        "inf",
        "١٢",
        "1_000",
        "1__0",
        "0x10",
        " 1 ",
        "",
        "1" * 1001,
        "9" * 600 + "/" + "7" * 600,
        "__import__('os')",
    ]
)
SCALARS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, -1, 10**100, 2**63, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), -0.0, 1e308, 5e-324]),
    st.booleans(),
    st.text(max_size=20),
    NAMES,
    NUMBER_TEXTS,
    st.dates(),
    st.times(),
    st.datetimes(timezones=st.just(datetime.UTC)),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["a", "mode", "x", "1"]), children, max_size=3),
    ),
    max_leaves=12,
)


def toml_string(text: str) -> str:
    """Write a TOML basic string; JSON's escapes are TOML's, except for DEL.

    ``ensure_ascii=False`` keeps characters outside the BMP whole, since TOML
    rejects the surrogate-pair escapes that JSON would write for them.
    """
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    """Write a value as inline TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (
            f"{toml_string(key)} = {toml_value(item)}" for key, item in value.items()
        )
        return "{ " + ", ".join(items) + " }"
    raise TypeError(type(value))


def toml_document(document: dict[str, Any]) -> str:
    """Write a spec-shaped document: scalars first, then tables, then layers."""
    lines = []
    tables = []
    for key, value in document.items():
        if (
            key == "layer"
            and isinstance(value, list)
            and all(isinstance(item, dict) for item in value)
        ):
            tables += [("[[layer]]", item) for item in value]
        elif isinstance(value, dict):
            tables.append((f"[{toml_string(key)}]", value))
        else:
            lines.append(f"{toml_string(key)} = {toml_value(value)}")
    for header, table in tables:
        lines += ["", header]
        lines += [
            f"{toml_string(key)} = {toml_value(item)}" for key, item in table.items()
        ]
    return "\n".join(lines) + "\n"


def base_document() -> dict[str, Any]:
    return {
        "title": "Fuzzed",
        "network": {"inputs": 2},
        "layer": [
            {"activation": "relu", "weights": [[1, 2], [3, 4]], "biases": [0, 1]},
            {"activation": "identity", "weights": [[1, -1]], "biases": 0},
        ],
        "data": {"x": [1, 2], "y": [3]},
        "training": {
            "loss": "half_squared_error",
            "learning_rate": "1/10",
            "steps": 1,
        },
    }


def _table(draw, document: dict[str, Any], name: str) -> dict[str, Any] | None:
    """Return the table ``name`` of the document, or None if an edit replaced it."""
    if name == "":
        return document
    if name == "layer":
        layers = document.get("layer")
        tables = (
            [t for t in layers if isinstance(t, dict)]
            if isinstance(layers, list)
            else []
        )
        return draw(st.sampled_from(tables)) if tables else None
    parent = document.get("training") if name == "rounding" else document
    if not isinstance(parent, dict):
        return None
    table = parent.setdefault(name, {})
    return table if isinstance(table, dict) else None


@st.composite
def edited_documents(draw) -> str:
    """The base spec with a few keys replaced, removed or added."""
    document = base_document()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        name = draw(st.sampled_from(["", *KEYS]))
        table = _table(draw, document, name)
        if table is None:
            continue
        key = draw(st.one_of(st.sampled_from(KEYS[name]), st.text(max_size=8)))
        if draw(st.booleans()):
            table[key] = draw(VALUES)
        else:
            table.pop(key, None)
    return toml_document(document)


# --- the properties ------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_end_cleanly(data):
    check_bytes(data)


@FUZZ
@given(st.text(max_size=500))
def test_random_text_ends_cleanly(text):
    check_text(text)


@FUZZ
@given(edited_documents())
@example(toml_document(base_document()))
def test_edited_documents_end_cleanly(text):
    check_text(text)


@FUZZ
@given(
    st.sampled_from(example_names()),
    st.data(),
)
def test_byte_edits_of_examples_end_cleanly(name, data):
    original = bytearray(example_text(name).encode("utf-8"))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(original) - 1))
        action = data.draw(st.sampled_from(["set", "insert", "delete"]))
        byte = data.draw(
            st.sampled_from(list(b"[]{}=\"'\n#.,-+/0123456789eaz\x00\xff"))
        )
        if action == "set":
            original[position] = byte
        elif action == "insert":
            original.insert(position, byte)
        elif len(original) > 1:
            del original[position]
    check_bytes(bytes(original))


@FUZZ
@given(VALUES)
def test_any_value_as_learning_rate_ends_cleanly(value):
    document = base_document()
    document["training"]["learning_rate"] = value
    check_text(toml_document(document))


@FUZZ
@given(VALUES, st.sampled_from(["weights", "biases", "units", "activation"]))
def test_any_value_in_a_layer_ends_cleanly(value, key):
    document = base_document()
    document["layer"][0][key] = value
    check_text(toml_document(document))


@FUZZ
@given(
    st.lists(
        st.sampled_from(["[", "]", "{", "}", "a = ", ",", "1", '"', "[[", "]]", "\n"]),
        max_size=200,
    )
)
def test_bracket_soup_ends_cleanly(pieces):
    check_text("".join(pieces))


# --- deterministic cases -------------------------------------------------------


@pytest.mark.parametrize("name", example_names())
def test_every_truncation_of_example_ends_cleanly(name):
    text = example_text(name)
    loaded = [check_text(text[:end]) is not None for end in range(len(text) + 1)]
    assert loaded[-1] is True


@pytest.mark.parametrize("depth", [10, 100, 1000, 10_000, 100_000])
def test_deeply_nested_array_ends_cleanly(depth):
    text = toml_document(base_document())
    assert '"x" = [1, 2]' in text
    text = text.replace('"x" = [1, 2]', '"x" = ' + "[" * depth + "]" * depth)
    assert check_text(text) is None


@pytest.mark.parametrize("depth", [10, 1000, 100_000])
def test_deeply_nested_inline_table_ends_cleanly(depth):
    text = toml_document(base_document())
    text = text.replace('"x" = [1, 2]', '"x" = ' + "{a = " * depth + "1" + "}" * depth)
    assert check_text(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "[network]\ninputs = 1\ninputs = 2\n",
        "[network]\ninputs = 1\n[network]\ninputs = 2\n",
        "a.b = 1\na = 2\n",
        "[[layer]]\n[layer]\n",
        "title = 'a'\ntitle = 'b'\n",
    ],
)
def test_duplicate_keys_end_cleanly(text):
    assert check_text(text) is None


@pytest.mark.parametrize(
    "value",
    [
        "nan",
        "+nan",
        "-nan",
        "inf",
        "+inf",
        "-inf",
        "1e309",
        "-1e309",
        "1e-400",
        "1" + "0" * 5000,
        "0." + "0" * 999 + "1",
        "1e1000",
        "1e-1000",
    ],
)
@pytest.mark.parametrize("key", ["learning_rate", "steps"])
def test_special_floats_end_cleanly(value, key):
    document = toml_document(base_document())
    old = '"learning_rate" = "1/10"' if key == "learning_rate" else '"steps" = 1'
    assert old in document
    check_text(document.replace(old, f'"{key}" = {value}'))


def test_valid_fuzz_document_loads():
    """The grammar's starting point is a valid spec, so edits explore near it."""
    spec = check_text(toml_document(base_document()))
    assert spec is not None
    assert spec.title == "Fuzzed"


def test_check_text_rejects_foreign_exceptions(monkeypatch):
    """The property can fail: an exception that is no DerivationError escapes."""
    import tests.test_fuzz_spec as module

    def broken(text, source, limits):
        raise KeyError("boom")

    monkeypatch.setattr(module, "parse_spec", broken)
    with pytest.raises(KeyError):
        check_text("")
