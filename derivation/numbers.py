"""Exact numbers: reading them from text and writing them for people.

Numbers arrive as TOML integers, TOML decimals (kept as the text the file
holds, never as a binary float), Python ints and fractions, or strings in one
of these forms::

    42   -7   0.01   .5   2.5e-3   -3/8   1_000

All become SymPy ``Rational`` values. The grammar is a fixed regular
expression, so no text is ever evaluated as code.

>>> parse_number("0.01")
1/100
>>> parse_number("-3/8")
-3/8
>>> latex_number(parse_number("-0.59885"))
'-0.59885'
>>> latex_number(parse_number("1/3"))
'\\\\frac{1}{3}'
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from fractions import Fraction
from numbers import Rational as RationalABC

import sympy

from .errors import NumberError

# Exponents beyond this size in scientific notation would create numbers with
# millions of digits from a few characters of text, so they are rejected.
MAX_EXPONENT = 1000
# How many characters longer than its fraction a decimal may be and still be
# preferred for display: 0.5975 (239/400) and 0.0009765625 (1/1024) stay
# decimals, while 2**-100, a 102-character decimal, becomes a fraction.
DECIMAL_SLACK = 8
# Digits in a single written number; a longer one is almost surely a mistake.
MAX_DIGITS = 1000

_DIGIT_LIMIT = 10**MAX_DIGITS
_DIGITS = r"\d+(?:_\d+)*"
_DECIMAL = re.compile(
    rf"(?P<sign>[+-]?)(?P<int>{_DIGITS})?(?:\.(?P<frac>{_DIGITS})?)?"
    r"(?:[eE](?P<exp>[+-]?\d+))?",
    re.ASCII,
)
_FRACTION = re.compile(
    rf"(?P<num>[+-]?{_DIGITS})\s*/\s*(?P<den>[+-]?{_DIGITS})", re.ASCII
)


class DecimalText(str):
    """The text of a TOML float, kept as written so that it can be read exactly.

    ``tomllib`` hands the source text of every float to its ``parse_float``
    hook; returning this marker defers the conversion to the spec reader,
    which can name the key path if the text is ``inf`` or ``nan``.
    """


def describe_toml_value(value: object) -> str:
    """Describe a value read from TOML for an error message, briefly.

    >>> describe_toml_value([1, 2]), describe_toml_value(DecimalText("nan"))
    ('a list of 2 items', 'nan')
    """
    if isinstance(value, DecimalText):
        return str(value)
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        return f"the string {shown!r}"
    if isinstance(value, int):
        if abs(value) >= 10**MAX_DIGITS:
            return f"an integer of {len(str(abs(value)))} digits"
        return str(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    return f"a {type(value).__name__} ({value})"


def parse_number(text: str) -> sympy.Rational:
    """Parse an integer, decimal, fraction or scientific-notation number.

    Parameters
    ----------
    text
        The number as written, such as ``"0.5975"``, ``"-3/8"`` or ``"2.5e-3"``.
        Surrounding spaces and ``_`` between digits are allowed. Digits must
        be ASCII (0-9).

    Returns
    -------
    sympy.Rational
        The exact value.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    NumberError
        If the text is not one of the supported forms, has a zero
        denominator, or is too long (more than ``MAX_DIGITS`` digits or an
        exponent beyond ``MAX_EXPONENT``).

    >>> parse_number("2.5e-3")
    1/400
    >>> parse_number("1/0")
    Traceback (most recent call last):
    ...
    derivation.errors.NumberError: '1/0' has a zero denominator
    """
    if not isinstance(text, str):
        raise TypeError(
            f"parse_number reads text, not {type(text).__name__}; use to_exact"
        )
    stripped = text.strip()
    if sum(ch in "0123456789" for ch in stripped) > MAX_DIGITS:
        detail = f"has more than {MAX_DIGITS} digits"
        raise NumberError(f"{_preview(stripped)!r} {detail}", detail)

    fraction = _FRACTION.fullmatch(stripped)
    if fraction:
        numerator = int(fraction["num"])
        denominator = int(fraction["den"])
        if denominator == 0:
            detail = "has a zero denominator"
            raise NumberError(f"{text!r} {detail}", detail)
        return sympy.Rational(numerator, denominator)

    decimal = _DECIMAL.fullmatch(stripped)
    if not decimal or not (decimal["int"] or decimal["frac"]):
        raise NumberError(
            f"{_preview(text)!r} is not a number; write an integer, a decimal "
            "(0.5), a fraction (-3/8) or scientific notation (2.5e-3)"
        )
    return _decimal_value(decimal)


def _decimal_value(match: re.Match[str]) -> sympy.Rational:
    whole = (match["int"] or "0").replace("_", "")
    fraction = (match["frac"] or "").replace("_", "")
    exponent = int(match["exp"] or 0)
    if abs(exponent) > MAX_EXPONENT:
        detail = (
            f"has the exponent {exponent}, outside the supported range "
            f"-{MAX_EXPONENT} to {MAX_EXPONENT}"
        )
        raise NumberError(f"{_preview(match.string)!r} {detail}", detail)

    digits = int(whole + fraction)
    scale = exponent - len(fraction)
    value = (
        sympy.Rational(digits * 10**scale)
        if scale >= 0
        else sympy.Rational(digits, 10**-scale)
    )
    return -value if match["sign"] == "-" else value


def _preview(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def to_exact(value: object) -> sympy.Rational:
    """Convert a Python value to an exact ``Rational``.

    Integers, ``fractions.Fraction``, ``decimal.Decimal``, SymPy rationals and
    strings (read by :func:`parse_number`) are accepted. Floats are rejected,
    because ``0.1`` as a float is not one tenth.

    Raises
    ------
    NumberError
        For floats, booleans, non-finite decimals and anything that is not a
        number.

    >>> to_exact(Fraction(1, 3))
    1/3
    >>> to_exact(0.1)
    Traceback (most recent call last):
    ...
    derivation.errors.NumberError: 0.1 is a binary float, which is not exact; \
write it as a string such as '0.1' or as a Fraction
    """
    if isinstance(value, bool):
        raise NumberError(f"{value!r} is a boolean, not a number")
    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, int):
        _check_size(value)
        return sympy.Integer(value)
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, float):
        raise NumberError(
            f"{value!r} is a binary float, which is not exact; write it as a "
            f"string such as '{value!r}' or as a Fraction"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NumberError(f"{value} is not a finite number")
        return parse_number(format(value, "E"))
    if isinstance(value, RationalABC):
        return _from_fraction(Fraction(int(value.numerator), int(value.denominator)))
    if isinstance(value, sympy.Expr) and value.is_number:
        raise NumberError(
            f"{value} is not an exact rational number; pass a Rational, an int, "
            "a Fraction or a string such as '0.1'"
        )
    raise NumberError(f"{value!r} of type {type(value).__name__} is not a number")


def _from_fraction(value: Fraction) -> sympy.Rational:
    _check_size(value.numerator)
    _check_size(value.denominator)
    return sympy.Rational(value.numerator, value.denominator)


def _check_size(integer: int) -> None:
    if abs(integer) >= _DIGIT_LIMIT:
        detail = f"has more than {MAX_DIGITS} digits"
        raise NumberError(f"an integer that {detail}", detail)


def terminates(value: sympy.Rational) -> bool:
    """Return whether the decimal expansion of ``value`` is finite.

    >>> terminates(sympy.Rational(239, 400)), terminates(sympy.Rational(1, 3))
    (True, False)
    """
    return _decimal_places(int(value.q)) is not None


def decimal_string(value: sympy.Rational) -> str:
    """Write a terminating rational as an exact decimal, with no trailing zeros.

    Raises
    ------
    ValueError
        If the decimal expansion of ``value`` does not terminate.

    >>> decimal_string(sympy.Rational(-11977, 20000))
    '-0.59885'
    """
    numerator, denominator = int(value.p), int(value.q)
    places = _decimal_places(denominator)
    if places is None:
        raise ValueError(f"{value} has no finite decimal expansion")
    return _decimal_text(numerator, denominator, places)


def _decimal_text(numerator: int, denominator: int, places: int) -> str:
    """Write ``numerator / denominator`` with exactly ``places`` decimal places.

    ``places`` must be those of :func:`_decimal_places`, so that
    ``10**places`` is a multiple of the denominator.
    """
    scaled = str(abs(numerator) * (10**places // denominator))
    return _with_point(numerator < 0, scaled, places)


def _with_point(negative: bool, scaled: str, places: int) -> str:
    """Put the point ``places`` digits from the right of ``scaled``."""
    sign = "-" if negative else ""
    digits = scaled.rjust(places + 1, "0")
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


@functools.lru_cache(maxsize=1024)
def _decimal_places(denominator: int) -> int | None:
    """Return the decimal places of 1/denominator, or None if they never end.

    Cached, because the entries of a matrix share a few denominators.
    """
    # The lowest set bit gives the power of 2 without a division per factor.
    twos = (denominator & -denominator).bit_length() - 1
    rest = denominator >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    return max(twos, fives) if rest == 1 else None


@functools.lru_cache(maxsize=1024)
def _decimal_scale(denominator: int) -> tuple[int, int, int] | None:
    """Return the decimal places, ``10**places // denominator`` and its digits.

    The digits are those of the denominator. Returns None if 1/denominator
    never ends.
    """
    places = _decimal_places(denominator)
    if places is None:
        return None
    return places, 10**places // denominator, len(str(denominator))


def exact_string(value: sympy.Expr) -> str:
    """Write an exact value as plain text: ``"2/25"``, ``"-7"``.

    This is the form used in JSON output, and :func:`parse_number` reads it
    back to the same value.

    >>> exact_string(sympy.Rational(2, 25))
    '2/25'
    """
    return str(value)


def latex_number(value: sympy.Expr) -> str:
    """Write an exact value in LaTeX: a decimal if it terminates, else ``\\frac``.

    A terminating decimal that would be more than ``DECIMAL_SLACK`` characters
    longer than the digits of its fraction is written as the fraction, so
    ``2**-100`` is ``\\frac{1}{1267650600228229401496703205376}``, not a
    100-digit decimal. Non-rational values (symbols, closed forms) go
    through ``sympy.latex``.

    >>> latex_number(sympy.Rational(-1, 3))
    '-\\\\frac{1}{3}'
    >>> latex_number(sympy.Integer(92))
    '92'
    >>> latex_number(sympy.Rational(1, 1024))
    '0.0009765625'
    >>> latex_number(sympy.Rational(1, 2**40))
    '\\\\frac{1}{1099511627776}'
    """
    if not isinstance(value, sympy.Rational):
        return sympy.latex(value)
    return latex_rational(int(value.p), int(value.q))


def latex_rational(numerator: int, denominator: int) -> str:
    """Write ``numerator / denominator`` as :func:`latex_number` writes it.

    The fraction must be in lowest terms with ``denominator > 0``, as the
    ``p`` and ``q`` of a SymPy ``Rational`` or a python-flint ``fmpq`` are.

    >>> latex_rational(-11977, 20000), latex_rational(2, 3)
    ('-0.59885', '\\\\frac{2}{3}')
    """
    scale = _decimal_scale(denominator)
    if scale is not None:
        places, multiplier, denominator_digits = scale
        magnitude = abs(numerator)
        scaled = str(magnitude * multiplier)
        decimal = _with_point(numerator < 0, scaled, places)
        if denominator == 1:
            return decimal
        numerator_digits = len(scaled if multiplier == 1 else str(magnitude))
        if len(decimal) <= numerator_digits + denominator_digits + DECIMAL_SLACK:
            return decimal
    sign = "-" if numerator < 0 else ""
    return f"{sign}\\frac{{{abs(numerator)}}}{{{denominator}}}"
