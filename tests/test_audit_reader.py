"""The math reader of derivation audit, and hostile input.

The reader must read the notations of worked solutions exactly, and
anything else (huge exponents, deep nesting, unbalanced dollars, random
text) must end in a "not checked" entry or a clear error, never in a
traceback, a hang or a memory blow-up.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derivation.audit import MAX_DOCUMENT_BYTES, audit_file, audit_text
from derivation.audit.math_reader import read_side
from derivation.audit.nodes import Name, Number, Unreadable
from derivation.audit.tokens import tokenize
from derivation.errors import DerivationError


def _read(latex: str):
    return read_side(tokenize(latex))


@pytest.mark.parametrize(
    ("latex", "kind", "label"),
    [
        (r"W^{[2]}", "W", "2"),
        (r"z^{(1)}", "z", "1"),
        (r"\frac{\partial L}{\partial W^{[1]}}", "dW", "1"),
        (r"{\partial L}/{\partial b^{(3)}}", "db", "3"),
        (r"\frac{dL}{dW^{[1]}}", "dW", "1"),
        (r"dW^{[1]}", "dW", "1"),
        (r"dL/dz^{[2]}", "dz", "2"),
        (r"dLdW^{[1]}", "dW", "1"),
        (r"\delta^{[2]}", "dz", "2"),
        (r"A^{[0]}", "a", "0"),
        (r"\frac{\partial L}{\partial X}", "dx", None),
    ],
)
def test_reader_names_in_every_notation(latex, kind, label):
    node = _read(latex)
    assert isinstance(node, Name)
    assert (node.kind, node.label) == (kind, label)


def test_reader_transpose_in_superscript():
    node = _read(r"a^{[1]\top}")
    assert isinstance(node, Name) and node.transposed


def test_reader_decimal_comma():
    node = _read("0{,}5975")
    assert node == Number(Fraction(239, 400), "0{,}5975", 4, 1)


def test_reader_repeating_decimal():
    node = _read(r"0.1\overline{6}")
    assert isinstance(node, Number) and node.value == Fraction(1, 6)


def test_reader_scientific_notation():
    node = _read(r"1.25 \times 10^{-3}")
    assert isinstance(node, Number) and (node.value, node.places) == (
        Fraction(1, 800),
        5,
    )


def test_reader_rejects_huge_exponent():
    with pytest.raises(Unreadable) as error:
        _read("10^{100000}")
    assert error.value.reason == "an exponent outside -1000 to 1000 (100000)"


def test_reader_rejects_deep_nesting():
    with pytest.raises(Unreadable) as error:
        _read("(" * 80 + "1" + ")" * 80)
    assert error.value.reason == "nested more than 60 levels deep"


def test_huge_exponent_is_not_checked():
    report = audit_text("$$x = 2^{999999} = 1$$", source="big.md")
    assert [entry.reason for entry in report.not_checked] == [
        "cannot read an exponent outside -1000 to 1000 (999999)"
    ]


def test_large_power_stops_at_bit_limit():
    report = audit_text(
        "$$x = " + " \\cdot ".join(["7^{1000}"] * 11) + " = 1$$",
        source="big.md",
    )
    assert [entry.reason for entry in report.not_checked] == [
        "a value of more than 12000 bits"
    ]


def test_too_many_digits_is_not_checked():
    report = audit_text("$$x = " + "9" * 2000 + " = 1$$", source="digits.md")
    assert report.not_checked[0].reason.startswith("cannot read ")


def test_oversized_file_is_rejected(tmp_path):
    path = tmp_path / "big.md"
    with open(path, "wb") as handle:
        handle.truncate(MAX_DOCUMENT_BYTES + 1)
    with pytest.raises(DerivationError) as error:
        audit_file(path)
    assert str(error.value) == (
        f"{path}: expected at most {MAX_DOCUMENT_BYTES} bytes, found more; "
        "audit a smaller document"
    )


def test_binary_file_is_rejected(tmp_path):
    path = tmp_path / "binary.md"
    path.write_bytes(b"$x = 1$ \xff")
    with pytest.raises(DerivationError) as error:
        audit_file(path)
    assert str(error.value) == (
        f"{path}: expected UTF-8 text, found the byte 0xff at offset 8"
    )


def test_unclosed_display_is_not_checked():
    report = audit_text("$$x = 1\n\n", source="open.md", latex=True)
    assert [entry.reason for entry in report.not_checked] == [
        "a $$ that is never closed"
    ]


_PIECES = st.sampled_from(
    [
        "$",
        "$$",
        "\\[",
        "\\]",
        "{",
        "}",
        "^",
        "_",
        "&",
        "\\\\",
        "=",
        "\\approx",
        "\\leftarrow",
        "\\frac",
        "\\begin{bmatrix}",
        "\\end{bmatrix}",
        "\\left(",
        "\\right)",
        "W^{[1]}",
        "a^{(0)T}",
        "0.5",
        "-3",
        "10^{99999}",
        "1e5",
        "\\partial L",
        "/",
        "\\odot",
        "*",
        "\\cdot",
        "|",
        "\n",
        " ",
        "# Step 2\n",
        "| a | b |\n|---|---|\n",
        "\\operatorname{ReLU}'",
        "\\sum_{i}",
        "x_i",
        "\\overline{3}",
        "{,}",
        "\\begin{align*}",
        "\\end{align*}",
        "\\delta^{[1]}",
    ]
)


@given(pieces=st.lists(_PIECES | st.text(max_size=5), max_size=60), latex=st.booleans())
def test_audit_never_fails_on_random_input(pieces, latex):
    report = audit_text("".join(pieces), latex=latex)
    assert report.checked >= 0
