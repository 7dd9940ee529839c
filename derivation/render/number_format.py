"""How exact values are written: decimals, fractions, rounding, separators.

:class:`NumberFormat` is a settings object passed to the renderers next to
:class:`~derivation.render.notation.Notation`. Its styles:

- ``exact`` (default): a decimal where the expansion terminates, else a
  fraction (see :func:`derivation.numbers.latex_number`); with
  ``repeating = true``, a repeating decimal such as ``0.\\overline{3}``
  where the period is short.
- ``fraction``: a fraction for every value that is not an integer.
- ``decimal``: rounded to ``places`` decimal places or ``significant``
  figures; a value that rounding changed is marked as approximate, so that
  equations show it after ``\\approx``, never after ``=``.
- ``mixed``: the exact form, followed by ``\\approx`` and the rounded
  decimal when the exact form is a fraction: ``\\frac{1}{3} \\approx 0.333``.

``decimal_separator = "comma"`` writes ``0{,}5975`` for courses that write
0,5975; the braces keep TeX from adding space after the comma.

>>> third = sympy.Rational(1, 3)
>>> NumberFormat().write(third).latex
'\\\\frac{1}{3}'
>>> NumberFormat(repeating=True).write(third).latex
'0.\\\\overline{3}'
>>> rounded = NumberFormat("decimal", places=3).write(-third)
>>> rounded.latex, rounded.approximate
('-0.333', True)
>>> NumberFormat("mixed", significant=3).write(third).latex
'\\\\frac{1}{3} \\\\approx 0.333'
>>> NumberFormat(decimal_separator="comma").write(sympy.Rational(239, 400)).latex
'0{,}5975'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import sympy

from ..numbers import decimal_string, latex_number, latex_rational, terminates
from .settings import (
    SettingError,
    describe_value,
    read_choice,
    read_flag,
    read_integer,
    reject_unknown_keys,
)

STYLES = ("exact", "fraction", "decimal", "mixed")
SEPARATORS = ("point", "comma")
# Rounding to more places than this is no longer rounding for a reader.
MAX_PLACES = 30
# Repeating decimals with a longer period are written as fractions: 1/7 has
# a period of 6 digits, 1/17 one of 16.
MAX_PERIOD = 12
# Rounded values from 10**6 up, or nonzero ones below 10**-4, are written in
# scientific notation when rounding to significant figures.
_LARGE_EXPONENT = 6
_SMALL_EXPONENT = -5

_GROUP = "numbers"
_ROUNDING_STYLES = ("decimal", "mixed")
# The maximum number of written values a format keeps; past it they are
# cleared and the format starts over.
_WRITTEN_LIMIT = 50_000


@dataclass(frozen=True)
class WrittenNumber:
    """A value written in LaTeX math, and whether the text is rounded."""

    latex: str
    approximate: bool = False


@dataclass(frozen=True)
class NumberFormat:
    """How the renderers write numbers.

    Parameters
    ----------
    style
        ``"exact"``, ``"fraction"``, ``"decimal"`` or ``"mixed"`` (see the
        module documentation).
    places
        Decimal places to round to, from 0 to :data:`MAX_PLACES`; only with
        the styles ``decimal`` and ``mixed``, which need either this or
        ``significant``.
    significant
        Significant figures to round to, from 1 to :data:`MAX_PLACES`.
    repeating
        Write non-terminating values as repeating decimals with an overline
        (style ``exact`` only); periods longer than :data:`MAX_PERIOD`
        digits stay fractions.
    decimal_separator
        ``"point"`` (0.5) or ``"comma"`` (0,5).

    Raises
    ------
    SettingError
        If a setting is unknown, has an invalid value, or does not go with
        the style.
    """

    style: str = "exact"
    places: int | None = None
    significant: int | None = None
    repeating: bool = False
    decimal_separator: str = "point"
    if TYPE_CHECKING:
        # Set in __post_init__; declared here for the type checker only, so
        # that at run time it is not a field.
        _written: dict[tuple[Any, Any], WrittenNumber] = field(
            init=False, repr=False, compare=False
        )

    def __post_init__(self) -> None:
        read_choice(_GROUP, "style", self.style, STYLES)
        read_choice(_GROUP, "decimal_separator", self.decimal_separator, SEPARATORS)
        if not isinstance(self.repeating, bool):
            raise SettingError(
                _GROUP, "repeating", "true or false", describe_value(self.repeating)
            )
        if self.repeating and self.style != "exact":
            raise SettingError(
                _GROUP, "repeating", "false unless style is 'exact'", "true"
            )
        self._check_digits()
        # Values written so far, by value. A derivation shows every matrix two
        # or three times, and matrices repeat entries. Not a field, so it
        # takes no part in comparing or printing formats.
        object.__setattr__(self, "_written", {})

    def _check_digits(self) -> None:
        for key, low in (("places", 0), ("significant", 1)):
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise SettingError(
                    _GROUP,
                    key,
                    f"an integer from {low} to {MAX_PLACES}",
                    describe_value(value),
                )
            read_integer(_GROUP, key, value, low, MAX_PLACES)
            if self.style not in _ROUNDING_STYLES:
                raise SettingError(
                    _GROUP,
                    key,
                    f"no value with style {self.style!r} (it applies to the "
                    "styles decimal and mixed)",
                    str(value),
                )
        if self.style not in _ROUNDING_STYLES:
            return
        if self.places is None and self.significant is None:
            raise SettingError(
                _GROUP,
                "style",
                f"places or significant to go with {self.style!r}",
                "neither",
            )
        if self.places is not None and self.significant is not None:
            raise SettingError(
                _GROUP,
                "significant",
                "no value when places is set (choose one)",
                str(self.significant),
            )

    @classmethod
    def from_mapping(
        cls, settings: Mapping[str, Any], base: NumberFormat | None = None
    ) -> NumberFormat:
        """Build a format from a ``[numbers]`` table or ``KEY=VALUE`` text.

        Keys not in ``settings`` keep their value in ``base`` (the defaults
        when ``base`` is ``None``), except that setting ``places`` clears
        ``significant`` and the other way round, and choosing the style
        ``exact`` or ``fraction`` clears both.

        Raises
        ------
        SettingError
            For an unknown key or an invalid value.

        >>> NumberFormat.from_mapping({"style": "decimal", "places": "2"}).places
        2
        """
        reject_unknown_keys(_GROUP, settings, [field.name for field in fields(cls)])
        values = dict(settings)
        for key, low in (("places", 0), ("significant", 1)):
            if key in values:
                values[key] = read_integer(_GROUP, key, values[key], low, MAX_PLACES)
        if "repeating" in values:
            values["repeating"] = read_flag(_GROUP, "repeating", values["repeating"])
        given = {"places", "significant"} & set(values)
        if given == {"places"}:
            values["significant"] = None
        elif given == {"significant"}:
            values["places"] = None
        elif not given and values.get("style") in ("exact", "fraction"):
            values["places"] = values["significant"] = None
        return replace(base or cls(), **values)

    @property
    def rounds(self) -> bool:
        """Whether this format can write rounded values."""
        return self.style in _ROUNDING_STYLES

    def rounding_note(self) -> str:
        """Say how values are rounded: ``"rounded to 4 decimal places"``."""
        if self.places is not None:
            unit = "decimal place" if self.places == 1 else "decimal places"
            return f"rounded to {self.places} {unit}"
        unit = "significant figure" if self.significant == 1 else "significant figures"
        return f"rounded to {self.significant} {unit}"

    def write(self, value: sympy.Expr) -> WrittenNumber:
        """Write ``value`` in LaTeX math according to this format."""
        if not isinstance(value, sympy.Rational):
            return WrittenNumber(sympy.latex(value))
        key = (value.p, value.q)
        return self._written.get(key) or self._write_fraction(key)

    def write_matrix(self, values: sympy.MatrixBase) -> list[list[WrittenNumber]]:
        """Write every entry of a matrix, row by row, as :meth:`write` does.

        A matrix of rationals is read from SymPy's ``DomainMatrix`` (its
        ``_rep``) without creating a SymPy ``Rational`` per entry.
        """
        rep = getattr(values, "_rep", None)
        if rep is None or not (rep.domain.is_ZZ or rep.domain.is_QQ):
            return [[self.write(entry) for entry in row] for row in values.tolist()]
        written = self._written
        write = self._write_fraction
        # The key is a (numerator, denominator) pair, because hashing a
        # python-flint fmpq (0.9) goes through fractions.Fraction and takes
        # ten times as long.
        return [
            [
                written.get(key := (entry.numerator, entry.denominator)) or write(key)
                for entry in row
            ]
            for row in rep.to_list()
        ]

    def _write_fraction(self, key: tuple[Any, Any]) -> WrittenNumber:
        """Write and remember ``numerator / denominator``, given in lowest terms."""
        numerator, denominator = int(key[0]), int(key[1])
        if self.style == "exact" and not self.repeating:
            text = latex_rational(numerator, denominator)
            written = WrittenNumber(text if "frac" in text else self._separated(text))
        elif self.style == "fraction":
            written = WrittenNumber(_fraction_text(numerator, denominator))
        else:
            written = self._write_rational(sympy.Rational(numerator, denominator))
        memory = self._written
        if len(memory) >= _WRITTEN_LIMIT:
            memory.clear()
        memory[key] = written
        return written

    def _write_rational(self, value: sympy.Rational) -> WrittenNumber:
        if self.style == "exact":
            return WrittenNumber(self._exact(value))
        if self.style == "fraction":
            return WrittenNumber(_fraction(value))
        rounded, changed = self._rounded(value)
        if self.style == "decimal":
            return WrittenNumber(rounded, approximate=changed)
        exact = self._exact(value)
        if "frac" not in exact:
            return WrittenNumber(exact)
        if changed:
            return WrittenNumber(rf"{exact} \approx {rounded}")
        # A long terminating decimal, written exactly within the places.
        return WrittenNumber(rounded)

    def _exact(self, value: sympy.Rational) -> str:
        if self.repeating and not terminates(value):
            repeating = _repeating_decimal(value)
            if repeating is not None:
                return self._separated(repeating)
        written = latex_number(value)
        return written if "frac" in written else self._separated(written)

    def _rounded(self, value: sympy.Rational) -> tuple[str, bool]:
        if self.places is not None:
            text, changed = _round_to_places(value, self.places)
        else:
            assert self.significant is not None
            text, changed = _round_to_significant(value, self.significant)
        return self._separated(text), changed

    def _separated(self, decimal: str) -> str:
        if self.decimal_separator == "comma":
            return decimal.replace(".", "{,}")
        return decimal


def _fraction(value: sympy.Rational) -> str:
    return _fraction_text(int(value.p), int(value.q))


def _fraction_text(numerator: int, denominator: int) -> str:
    if denominator == 1:
        return str(numerator)
    sign = "-" if numerator < 0 else ""
    return f"{sign}\\frac{{{abs(numerator)}}}{{{denominator}}}"


def _rounded_quotient(numerator: int, denominator: int) -> tuple[int, bool]:
    """Divide non-negative integers, rounding half up, and report if inexact.

    Callers divide absolute values, so ties round half away from zero, as
    by hand and in :class:`~derivation.growth.RoundingPolicy`.
    """
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient, remainder != 0


def _scaled(value: sympy.Rational, places: int) -> tuple[int, bool]:
    """Return ``|value| * 10**places`` rounded half up, and whether it changed."""
    numerator, denominator = abs(int(value.p)), int(value.q)
    if places >= 0:
        return _rounded_quotient(numerator * 10**places, denominator)
    return _rounded_quotient(numerator, denominator * 10**-places)


def _with_point(digits: int, places: int) -> str:
    """Write ``digits * 10**-places`` as a decimal with all ``places`` digits."""
    if places <= 0:
        return str(digits) + "0" * -places
    text = str(digits).rjust(places + 1, "0")
    return f"{text[:-places]}.{text[-places:]}"


def _round_to_places(value: sympy.Rational, places: int) -> tuple[str, bool]:
    scaled, changed = _scaled(value, places)
    if not changed:
        return decimal_string(value), False
    # A value that rounds to zero is written without a sign.
    sign = "-" if value < 0 and scaled != 0 else ""
    return sign + _with_point(scaled, places), True


def _decimal_exponent(value: sympy.Rational) -> int:
    """Return ``floor(log10(|value|))`` for a nonzero rational, exactly."""
    numerator, denominator = abs(int(value.p)), int(value.q)
    exponent = len(str(numerator)) - len(str(denominator))
    # The estimate is right or one too high.
    if exponent >= 0:
        below = numerator < denominator * 10**exponent
    else:
        below = numerator * 10**-exponent < denominator
    return exponent - 1 if below else exponent


def _round_to_significant(value: sympy.Rational, figures: int) -> tuple[str, bool]:
    if value == 0:
        return "0", False
    exponent = _decimal_exponent(value)
    scaled, changed = _scaled(value, figures - 1 - exponent)
    if scaled == 10**figures:
        # Rounding carried into a new digit, as 0.9996 to 1.00.
        exponent += 1
        scaled //= 10
    if not changed:
        return decimal_string(value), False
    sign = "-" if value < 0 else ""
    if exponent >= _LARGE_EXPONENT or exponent <= _SMALL_EXPONENT:
        mantissa = _with_point(scaled, figures - 1)
        return rf"{sign}{mantissa} \times 10^{{{exponent}}}", True
    return sign + _with_point(scaled, figures - 1 - exponent), True


def _repeating_decimal(value: sympy.Rational) -> str | None:
    """Write a non-terminating rational as ``0.1\\overline{6}``, if its period is short.

    Returns ``None`` when the period is longer than :data:`MAX_PERIOD`.
    """
    numerator, denominator = abs(int(value.p)), int(value.q)
    twos = _multiplicity(denominator, 2)
    fives = _multiplicity(denominator, 5)
    rest = denominator // (2**twos * 5**fives)
    period = _period(rest)
    if period is None:
        return None
    leading = max(twos, fives)
    whole, remainder = divmod(numerator, denominator)
    digits = []
    for _ in range(leading + period):
        digit, remainder = divmod(remainder * 10, denominator)
        digits.append(str(digit))
    sign = "-" if value < 0 else ""
    fixed, repeated = "".join(digits[:leading]), "".join(digits[leading:])
    return f"{sign}{whole}.{fixed}\\overline{{{repeated}}}"


def _period(modulus: int) -> int | None:
    """Return the order of 10 modulo ``modulus`` if it is at most MAX_PERIOD."""
    power = 10 % modulus
    for length in range(1, MAX_PERIOD + 1):
        if power == 1:
            return length
        power = power * 10 % modulus
    return None


def _multiplicity(number: int, prime: int) -> int:
    count = 0
    while number % prime == 0:
        number //= prime
        count += 1
    return count
