"""Tests for derivation.numbers: exact parsing, conversion and formatting."""

from decimal import Decimal
from fractions import Fraction

import pytest
import sympy

from derivation.errors import DerivationError, NumberError
from derivation.numbers import (
    MAX_DIGITS,
    MAX_EXPONENT,
    decimal_string,
    exact_string,
    latex_number,
    parse_number,
    terminates,
    to_exact,
)

R = sympy.Rational

NOT_A_NUMBER = (
    "is not a number; write an integer, a decimal (0.5), a fraction (-3/8) "
    "or scientific notation (2.5e-3)"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # integers
        ("0", R(0)),
        ("42", R(42)),
        ("-7", R(-7)),
        ("+7", R(7)),
        ("-0", R(0)),
        ("007", R(7)),
        ("123456789012345678901234567890", R(123456789012345678901234567890)),
        # decimals
        ("0.01", R(1, 100)),
        ("0.1", R(1, 10)),
        ("-0.59885", R(-11977, 20000)),
        ("0.5975", R(239, 400)),
        ("1.250", R(5, 4)),
        ("-0.0", R(0)),
        (".5", R(1, 2)),
        ("-.5", R(-1, 2)),
        ("+.25", R(1, 4)),
        ("5.", R(5)),
        ("-5.", R(-5)),
        # underscores between digits
        ("1_000", R(1000)),
        ("1_000.000_1", R(10000001, 10000)),
        ("-1_2/3_4", R(-12, 34)),
        # fractions, with the sign on either part
        ("-3/8", R(-3, 8)),
        ("3/8", R(3, 8)),
        ("+3/8", R(3, 8)),
        ("3/-8", R(-3, 8)),
        ("-3/-8", R(3, 8)),
        ("6/4", R(3, 2)),
        ("0/5", R(0)),
        ("3 / 8", R(3, 8)),
        # scientific notation
        ("2.5e-3", R(1, 400)),
        ("1E3", R(1000)),
        ("1e+3", R(1000)),
        ("-1.5e2", R(-150)),
        ("-.5e1", R(-5)),
        ("5.e-1", R(1, 2)),
        ("12e-0", R(12)),
        ("1e1000", R(10**1000)),
        ("1e-1000", R(1, 10**1000)),
        # surrounding whitespace
        ("  42  ", R(42)),
        ("\t-3/8\n", R(-3, 8)),
        (" 2.5e-3 ", R(1, 400)),
    ],
)
def test_parse_number_supported_form(text, expected):
    value = parse_number(text)
    assert value == expected
    assert isinstance(value, sympy.Rational)


def test_parse_number_empty_string():
    with pytest.raises(NumberError) as info:
        parse_number("")
    assert str(info.value) == f"'' {NOT_A_NUMBER}"


def test_parse_number_blank_string():
    with pytest.raises(NumberError) as info:
        parse_number("   ")
    assert str(info.value) == f"'   ' {NOT_A_NUMBER}"


def test_parse_number_zero_denominator():
    with pytest.raises(NumberError) as info:
        parse_number("1/0")
    assert str(info.value) == "'1/0' has a zero denominator"


def test_parse_number_negative_zero_denominator():
    with pytest.raises(NumberError) as info:
        parse_number("-3/-0")
    assert str(info.value) == "'-3/-0' has a zero denominator"


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "1.2.3",
        "0x10",
        "inf",
        "-inf",
        "nan",
        "NaN",
        "infinity",
        "1e",
        "e5",
        ".",
        "-",
        "1_",
        "_1",
        "1__0",
        "1/2/3",
        "1.5/2",
        "1/2.5",
        "1e2.5",
        "1 000",
        "--1",
        "1+2",
        "0b101",
        "1j",
        "\u00b2",
        "\u2212" + "1",
        # digits outside ASCII are rejected, as in TOML
        "\u0661\u0662",
        "\uff11\uff12",
    ],
)
def test_parse_number_rejects_text(text):
    with pytest.raises(NumberError) as info:
        parse_number(text)
    assert str(info.value) == f"{text!r} {NOT_A_NUMBER}"


def test_parse_number_long_text_is_shortened():
    text = "x" * 100
    with pytest.raises(NumberError) as info:
        parse_number(text)
    assert str(info.value) == f"'{'x' * 40}...' {NOT_A_NUMBER}"


def test_parse_number_exponent_limit():
    with pytest.raises(NumberError) as info:
        parse_number("1e1000000")
    assert str(info.value) == (
        "'1e1000000' has the exponent 1000000, outside the supported range "
        "-1000 to 1000"
    )


def test_parse_number_negative_exponent_limit():
    with pytest.raises(NumberError) as info:
        parse_number(f"1e-{MAX_EXPONENT + 1}")
    assert str(info.value) == (
        "'1e-1001' has the exponent -1001, outside the supported range -1000 to 1000"
    )


def test_parse_number_too_many_digits():
    text = "1" * (MAX_DIGITS + 1)
    with pytest.raises(NumberError) as info:
        parse_number(text)
    assert str(info.value) == f"'{'1' * 40}...' has more than 1000 digits"


def test_parse_number_digit_limit_is_inclusive():
    text = "1" * MAX_DIGITS
    assert parse_number(text) == R(int(text))


def test_parse_number_fraction_digit_limit():
    text = "1" * 600 + "/" + "3" * 600
    with pytest.raises(NumberError) as info:
        parse_number(text)
    assert str(info.value) == f"'{'1' * 40}...' has more than 1000 digits"


def test_number_error_is_derivation_error():
    assert issubclass(NumberError, DerivationError)
    assert issubclass(NumberError, ValueError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, R(7)),
        (-7, R(-7)),
        (10**40, R(10**40)),
        (Fraction(-2, 7), R(-2, 7)),
        (Fraction(6, 4), R(3, 2)),
        (Decimal("0.01"), R(1, 100)),
        (Decimal("-0.59885"), R(-11977, 20000)),
        (Decimal("1E+2"), R(100)),
        (Decimal("-0"), R(0)),
        (R(2, 25), R(2, 25)),
        (sympy.Integer(-3), R(-3)),
        ("0.1", R(1, 10)),
        ("-3/8", R(-3, 8)),
        ("2.5e-3", R(1, 400)),
    ],
)
def test_to_exact_accepted_value(value, expected):
    result = to_exact(value)
    assert result == expected
    assert isinstance(result, sympy.Rational)


def test_to_exact_rejects_float():
    with pytest.raises(NumberError) as info:
        to_exact(0.1)
    assert str(info.value) == (
        "0.1 is a binary float, which is not exact; "
        "write it as a string such as '0.1' or as a Fraction"
    )


def test_to_exact_rejects_integral_float():
    with pytest.raises(NumberError) as info:
        to_exact(2.0)
    assert str(info.value) == (
        "2.0 is a binary float, which is not exact; "
        "write it as a string such as '2.0' or as a Fraction"
    )


def test_to_exact_rejects_true():
    with pytest.raises(NumberError) as info:
        to_exact(True)
    assert str(info.value) == "True is a boolean, not a number"


def test_to_exact_rejects_false():
    with pytest.raises(NumberError) as info:
        to_exact(False)
    assert str(info.value) == "False is a boolean, not a number"


def test_to_exact_rejects_none():
    with pytest.raises(NumberError) as info:
        to_exact(None)
    assert str(info.value) == "None of type NoneType is not a number"


def test_to_exact_rejects_decimal_nan():
    with pytest.raises(NumberError) as info:
        to_exact(Decimal("NaN"))
    assert str(info.value) == "NaN is not a finite number"


def test_to_exact_rejects_decimal_infinity():
    with pytest.raises(NumberError) as info:
        to_exact(Decimal("-Infinity"))
    assert str(info.value) == "-Infinity is not a finite number"


def test_to_exact_rejects_bad_string():
    with pytest.raises(NumberError) as info:
        to_exact("abc")
    assert str(info.value) == f"'abc' {NOT_A_NUMBER}"


def test_to_exact_rejects_list():
    with pytest.raises(NumberError) as info:
        to_exact([1])
    assert str(info.value) == "[1] of type list is not a number"


@pytest.mark.parametrize(
    ("value", "latex", "decimal"),
    [
        (R(0), "0", "0"),
        (R(92), "92", "92"),
        (R(-7), "-7", "-7"),
        (R(1, 2), "0.5", "0.5"),
        (R(-11977, 20000), "-0.59885", "-0.59885"),
        (R(-32623, 80000), "-0.4077875", "-0.4077875"),
        (R(239, 400), "0.5975", "0.5975"),
        (R(1, 1024), "0.0009765625", "0.0009765625"),
        (R(-1, 100), "-0.01", "-0.01"),
        (R(529, 8), "66.125", "66.125"),
        (R(10**30), "1" + "0" * 30, "1" + "0" * 30),
        (R(-(10**30) - 1), "-1" + "0" * 29 + "1", "-1" + "0" * 29 + "1"),
        (R(1, 10**20), "0." + "0" * 19 + "1", "0." + "0" * 19 + "1"),
    ],
)
def test_terminating_value_formats(value, latex, decimal):
    assert terminates(value)
    assert decimal_string(value) == decimal
    assert latex_number(value) == latex


@pytest.mark.parametrize(
    ("value", "latex"),
    [
        (R(1, 3), r"\frac{1}{3}"),
        (R(-1, 3), r"-\frac{1}{3}"),
        (R(-2, 7), r"-\frac{2}{7}"),
        (R(22, 7), r"\frac{22}{7}"),
        (R(1, 6), r"\frac{1}{6}"),
        (R(7, 30), r"\frac{7}{30}"),
        (R(10**30 + 1, 3), r"\frac{" + "1" + "0" * 29 + "1" + "}{3}"),
    ],
)
def test_repeating_value_formats(value, latex):
    assert not terminates(value)
    assert latex_number(value) == latex


def test_decimal_string_rejects_repeating_value():
    with pytest.raises(ValueError) as info:
        decimal_string(R(1, 3))
    assert str(info.value) == "1/3 has no finite decimal expansion"


@pytest.mark.parametrize(
    "value",
    [
        R(0),
        R(92),
        R(-7),
        R(2, 25),
        R(-11977, 20000),
        R(-1165723, 2000000),
        R(-2, 7),
        R(1, 1024),
        R(10**50, 3),
        R(-1, 10**30),
    ],
)
def test_exact_string_round_trip(value):
    text = exact_string(value)
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (R(2, 25), "2/25"),
        (R(-7), "-7"),
        (R(0), "0"),
        (R(-2, 7), "-2/7"),
    ],
)
def test_exact_string_form(value, text):
    assert exact_string(value) == text


def test_decimal_string_round_trip():
    for numerator in range(-50, 51):
        for denominator in (1, 2, 4, 5, 8, 16, 20, 25, 40, 80000):
            value = R(numerator, denominator)
            assert parse_number(decimal_string(value)) == value


def test_latex_number_prefers_fraction_to_huge_decimal():
    value = sympy.Rational(1, 2**100)
    assert latex_number(value) == r"\frac{1}{1267650600228229401496703205376}"


@pytest.mark.parametrize(
    "value",
    [10**1000, -(10**1000), Fraction(10**1000, 3), Fraction(1, 10**1000)],
    ids=["integer", "negative", "numerator", "denominator"],
)
def test_to_exact_rejects_huge_integers(value):
    with pytest.raises(NumberError) as raised:
        to_exact(value)
    assert str(raised.value) == "an integer that has more than 1000 digits"


def test_to_exact_rejects_decimal_with_huge_exponent():
    with pytest.raises(NumberError) as raised:
        to_exact(Decimal("1e999999"))
    assert str(raised.value) == (
        "'1E+999999' has the exponent 999999, outside the supported range -1000 to 1000"
    )
