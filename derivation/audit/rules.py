"""When a written value counts as right: exact, correctly rounded, or carried.

:func:`compare` decides whether a written value agrees with the value it
should have (the expected value). Each entry is right when

- it equals the expected value exactly;
- it is written with n decimal places and equals the expected value
  correctly rounded to n places (ties accept either neighbour, as
  :mod:`derivation.tolerance` does); or
- the expected value was computed from rounded numbers and the written
  entry lies within that rounding: the expected value's radius plus half a
  unit in the last written place.

Shapes must match: a number and a ``1x1`` agree, a column and a row do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..tolerance import round_to_decimals
from .values import Value, describe_shape

EXACT = "exact"
SHAPE = "shape"


@dataclass(frozen=True)
class EntryMiss:
    """An entry that is wrong: its position (from 0), written and expected values."""

    index: int
    written: Fraction
    expected: Fraction
    radius: Fraction
    places: int | None


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`.

    ``rule`` names how a right value was accepted (``exact``, ``correctly
    rounded to 3 decimal places``, ``within the rounding of the values it
    is computed from``), or is ``shape`` or ``value`` when it is wrong.
    ``misses`` lists the wrong entries.
    """

    right: bool
    rule: str
    misses: tuple[EntryMiss, ...] = ()
    rounded_entries: tuple[int, ...] = ()


def correctly_rounded(written: Fraction, exact: Fraction, places: int) -> bool:
    """Whether ``written`` is ``exact`` correctly rounded to ``places`` places."""
    if written == exact:
        return True
    rounding = round_to_decimals(
        sympy.Rational(exact.numerator, exact.denominator), places, "either"
    )
    return any(
        Fraction(int(value.p), int(value.q)) == written for value in rounding.values
    )


def half_unit(places: int | None) -> Fraction:
    """Return half a unit in the last of ``places`` places; 0 for exact forms."""
    if places is None:
        return Fraction(0)
    return Fraction(1, 2) / Fraction(10) ** places


def same_shape(expected: Value, written: Value) -> bool:
    """Whether two values have shapes that may be equal."""
    if expected.acts_as_scalar and written.acts_as_scalar:
        return True
    if expected.scalar or written.scalar:
        return False
    return expected.shape == written.shape


def compare(expected: Value, written: Value, approximate: bool = False) -> Comparison:
    """Decide whether ``written`` is right for ``expected`` (see the module notes).

    ``approximate`` marks a value written after ``\\approx``, whose integers
    may be rounded too: ``104`` to units, ``12300`` to hundreds.
    """
    if not same_shape(expected, written):
        return Comparison(False, SHAPE)
    misses = []
    rounded = []
    rules = set()
    for index, (value, radius, target) in enumerate(
        zip(written.entries, written.radii, expected.entries)
    ):
        places = written.places[index] if written.places is not None else None
        if approximate and places is not None and places <= 0:
            places = rounded_places(value, places)
        # A written number's own rounding is the half unit below, not its radius.
        spread = expected.radii[index] + (radius if places is None else 0)
        if value == target and not spread:
            continue
        if not spread and places is not None and (places or approximate):
            if correctly_rounded(value, target, places):
                rules.add(f"correctly rounded to {_plural(places, 'decimal place')}")
                if places <= 0:
                    rules.discard(
                        f"correctly rounded to {_plural(places, 'decimal place')}"
                    )
                    rules.add("correctly rounded to a whole number")
                rounded.append(index)
                continue
        if spread and abs(value - target) <= spread + half_unit(places):
            rules.add("within the rounding of the values it is computed from")
            rounded.append(index)
            continue
        misses.append(EntryMiss(index, value, target, spread, places))
    if misses:
        return Comparison(False, "value", tuple(misses))
    rule = " and ".join(sorted(rules)) if rules else EXACT
    return Comparison(True, rule, rounded_entries=tuple(rounded))


def rounded_places(value: Fraction, places: int) -> int:
    """Return the places of a rounded integer: -2 for ``12300``."""
    if value.denominator != 1 or value == 0:
        return places
    digits = str(abs(value.numerator))
    return min(places, -(len(digits) - len(digits.rstrip("0"))))


def shape_problem(expected: Value, written: Value, what: str) -> str:
    """Say that ``what`` has one shape and the written value another."""
    return (
        f"{what} is {describe_shape(expected)}, but {describe_shape(written)} "
        "is written"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def show_fraction(value: Fraction) -> str:
    """Write an exact value for people: a decimal if it terminates, else ``p/q``."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = 0
    scaled = value
    while scaled.denominator != 1:
        scaled *= 10
        places += 1
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def show_value(value: Value) -> str:
    """Write a value for people: ``0.565``, ``[-1.1625, -20.925]``, ``[1; 2]``."""
    if value.scalar or value.shape == (1, 1):
        return show_fraction(value.entries[0])
    rows = []
    for row in range(value.rows):
        cells = [
            show_fraction(value.entry(row, column)) for column in range(value.columns)
        ]
        rows.append(", ".join(cells))
    return "[" + "; ".join(rows) + "]"


def show_right(right: Value, written: Value | None) -> str:
    """Write a right value, with its rounding to the places of the written one.

    >>> from fractions import Fraction
    >>> third = Value(1, 1, (Fraction(1, 3),), (Fraction(0),), scalar=True)
    >>> written = Value(1, 1, (Fraction(3, 10),), (Fraction(0),), True, (1,))
    >>> show_right(third, written)
    '1/3 (0.3 to 1 decimal place)'
    """
    exact = show_value(right)
    if (
        written is None
        or written.places is None
        or len(written.places) != len(right.entries)
    ):
        return exact
    places = max((place for place in written.places if place is not None), default=0)
    if places <= 0 or all(_fits(entry, places) for entry in right.entries):
        return exact
    rounded = Value(
        right.rows,
        right.columns,
        tuple(_round(entry, places) for entry in right.entries),
        right.radii,
        scalar=right.scalar,
    )
    return f"{exact} ({show_value(rounded)} to {_plural(places, 'decimal place')})"


def _fits(entry: Fraction, places: int) -> bool:
    return (entry * 10**places).denominator == 1


def _round(entry: Fraction, places: int) -> Fraction:
    rounding = round_to_decimals(
        sympy.Rational(entry.numerator, entry.denominator),
        places,
        "half_away_from_zero",
    )
    value = rounding.values[0]
    return Fraction(int(value.p), int(value.q))
