"""Exact values with shapes, and the rounding they may carry.

A :class:`Value` is a matrix of ``fractions.Fraction`` entries and, for each
entry, a radius: the largest amount by which the exact value it stands for
may differ, because it was computed from rounded numbers. Most values have
radius 0. Arithmetic propagates the radius the way interval arithmetic
does (midpoint and radius), so a check can ask whether a written result is
consistent with the rounded numbers it came from.

A number written on its own is a scalar; a ``1x1`` matrix acts as one in
products, as people write ``[-4.65] [0.25; 4.5]`` for a scalar times a
column. Every other product and sum must have matching shapes, and a
mismatch raises :class:`ShapeError` with both shapes in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import NotRequired, TypedDict

# Numerators and denominators longer than this many bits end the evaluation,
# so a hostile document cannot make the auditor compute huge numbers. About
# 3600 decimal digits: below Python's limit of 4300 digits for converting an
# integer to text, so every value that passes can be shown in a report.
MAX_BITS = 12_000

_ZERO = Fraction(0)
_HALF = Fraction(1, 2)


class ShapeError(Exception):
    """A product or sum whose shapes do not fit, described in words."""


class DivisionByZero(Exception):
    """A quotient whose divisor is 0, or may be 0 within its rounding."""


class TooLarge(Exception):
    """A value whose numerator or denominator grew past :data:`MAX_BITS`."""


@dataclass(frozen=True)
class Value:
    """An exact matrix, the radius of each entry, and where it came from.

    Attributes
    ----------
    rows, columns
        The shape.
    entries
        Row by row.
    radii
        One non-negative radius per entry.
    scalar
        Whether the value was written or computed as a single number.
    places
        For a value written out as numbers, the decimal places of each
        entry (``None`` for an exact form such as a fraction); ``None``
        for a computed value.
    origins
        The lines of earlier slips that this value depends on.
    rounded
        Whether the value depends on a number that was rounded.
    indexed
        Whether the value carries the summation index ``i``.
    kink
        Whether ``ReLU'`` was taken at exactly 0 without a known convention.
    """

    rows: int
    columns: int
    entries: tuple[Fraction, ...]
    radii: tuple[Fraction, ...]
    scalar: bool = False
    places: tuple[int | None, ...] | None = None
    origins: frozenset[int] = field(default_factory=frozenset)
    rounded: bool = False
    indexed: bool = False
    kink: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)``."""
        return self.rows, self.columns

    @property
    def acts_as_scalar(self) -> bool:
        """Whether the value multiplies like a number: a scalar or a ``1x1``."""
        return self.scalar or self.shape == (1, 1)

    @property
    def exact(self) -> bool:
        """Whether every radius is 0."""
        return not any(self.radii)

    def entry(self, row: int, column: int) -> Fraction:
        """Return the entry at ``row``, ``column`` (from 0)."""
        return self.entries[row * self.columns + column]

    def with_origins(self, origins: frozenset[int], rounded: bool = False) -> Value:
        """Return the value marked as depending on more slips or rounding."""
        return replace(
            self, origins=self.origins | origins, rounded=self.rounded or rounded
        )


def scalar(value: Fraction, radius: Fraction = _ZERO) -> Value:
    """Return a single number as a value."""
    return Value(1, 1, (value,), (radius,), scalar=True)


def matrix(rows: list[list[Fraction]]) -> Value:
    """Return an exact matrix from its rows."""
    entries = tuple(entry for row in rows for entry in row)
    return Value(len(rows), len(rows[0]), entries, (_ZERO,) * len(entries))


def describe_shape(value: Value) -> str:
    """Describe a shape for messages: ``a 2x1 column``, ``a 1x2 row``, ``a number``."""
    if value.scalar:
        return "a number"
    rows, columns = value.shape
    if columns == 1 and rows > 1:
        return f"a {rows}x1 column"
    if rows == 1 and columns > 1:
        return f"a 1x{columns} row"
    return f"a {rows}x{columns} matrix"


class _Merged(TypedDict):
    """The provenance fields of a :class:`Value`, and its scalar flag if set."""

    origins: frozenset[int]
    rounded: bool
    indexed: bool
    kink: bool
    scalar: NotRequired[bool]


def _merge(
    *values: Value, scalar: bool | None = None, indexed: bool | None = None
) -> _Merged:
    merged: _Merged = {
        "origins": frozenset().union(*(value.origins for value in values)),
        "rounded": any(value.rounded for value in values),
        "indexed": any(value.indexed for value in values),
        "kink": any(value.kink for value in values),
    }
    if scalar is not None:
        merged["scalar"] = scalar
    if indexed is not None:
        merged["indexed"] = indexed
    return merged


def _checked(entries: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    for entry in entries:
        if (
            entry.numerator.bit_length() > MAX_BITS
            or entry.denominator.bit_length() > MAX_BITS
        ):
            raise TooLarge(f"a value of more than {MAX_BITS} bits")
    return entries


def negate(value: Value) -> Value:
    """Return ``-value``; a written number keeps its decimal places."""
    return replace(value, entries=tuple(-entry for entry in value.entries))


def add(left: Value, right: Value, sign: int = 1) -> Value:
    """Return ``left + right`` (or ``left - right`` with ``sign = -1``).

    Raises
    ------
    ShapeError
        If the shapes differ, other than a number and a ``1x1``.
    """
    if left.acts_as_scalar and right.acts_as_scalar:
        rows, columns = 1, 1
    elif left.shape == right.shape and not left.scalar and not right.scalar:
        rows, columns = left.shape
    elif left.scalar or right.scalar:
        # 1 - a: a number and a matrix combine entry by entry.
        shape = right if left.scalar else left
        return add(_filled(left, shape), _filled(right, shape), sign)
    elif right.columns == 1 and left.columns > 1 and left.rows == right.rows:
        # W A + b: a bias column is added to every column of a batch.
        return add(left, _repeated(right, left.columns), sign)
    else:
        verb = "add" if sign > 0 else "subtract"
        raise ShapeError(
            f"cannot {verb} {describe_shape(left)} and {describe_shape(right)}"
        )
    entries = tuple(a + sign * b for a, b in zip(left.entries, right.entries))
    radii = tuple(a + b for a, b in zip(left.radii, right.radii))
    return Value(
        rows,
        columns,
        _checked(entries),
        radii,
        **_merge(left, right, scalar=left.scalar and right.scalar),
    )


def _filled(value: Value, shape: Value) -> Value:
    """Spread a single number over the shape of ``shape``; others unchanged."""
    if not value.scalar:
        return value
    count = shape.rows * shape.columns
    return replace(
        value,
        rows=shape.rows,
        columns=shape.columns,
        entries=value.entries * count,
        radii=value.radii * count,
        scalar=False,
        places=None,
    )


def _repeated(column: Value, count: int) -> Value:
    """Repeat a column ``count`` times side by side."""
    entries = tuple(entry for entry in column.entries for _ in range(count))
    radii = tuple(radius for radius in column.radii for _ in range(count))
    return replace(column, columns=count, entries=entries, radii=radii, places=None)


def ones(rows: int) -> Value:
    """Return a column of ``rows`` ones."""
    return Value(rows, 1, (Fraction(1),) * rows, (_ZERO,) * rows)


def scale(factor: Value, value: Value) -> Value:
    """Multiply every entry of ``value`` by the single number ``factor``."""
    k, r = factor.entries[0], factor.radii[0]
    entries = tuple(k * entry for entry in value.entries)
    radii = tuple(
        abs(k) * radius + r * abs(entry) + r * radius
        for entry, radius in zip(value.entries, value.radii)
    )
    return Value(
        value.rows,
        value.columns,
        _checked(entries),
        radii,
        **_merge(factor, value, scalar=value.scalar and factor.scalar),
    )


def multiply(left: Value, right: Value) -> Value:
    """Return the product ``left right``: by a number, or as matrices.

    Raises
    ------
    ShapeError
        If neither factor acts as a number and the inner sizes differ.
    """
    if left.acts_as_scalar:
        return scale(left, right)
    if right.acts_as_scalar:
        return scale(right, left)
    if left.columns != right.rows:
        raise ShapeError(
            f"cannot multiply {describe_shape(left)} by {describe_shape(right)}: "
            f"the {left.columns} columns of the first do not match the "
            f"{right.rows} rows of the second"
        )
    entries = []
    radii = []
    for row in range(left.rows):
        for column in range(right.columns):
            total = _ZERO
            spread = _ZERO
            for inner in range(left.columns):
                a = left.entry(row, inner)
                b = right.entry(inner, column)
                ra = left.radii[row * left.columns + inner]
                rb = right.radii[inner * right.columns + column]
                total += a * b
                if ra or rb:
                    spread += abs(a) * rb + ra * abs(b) + ra * rb
            entries.append(total)
            radii.append(spread)
    return Value(
        left.rows,
        right.columns,
        _checked(tuple(entries)),
        tuple(radii),
        **_merge(left, right),
    )


def elementwise(left: Value, right: Value) -> Value:
    """Return the element-wise product of two values of one shape.

    Raises
    ------
    ShapeError
        If the shapes differ and neither acts as a number.
    """
    if left.acts_as_scalar or right.acts_as_scalar:
        return multiply(left, right)
    if left.shape != right.shape:
        raise ShapeError(
            f"cannot multiply {describe_shape(left)} and {describe_shape(right)} "
            "element-wise"
        )
    entries = tuple(a * b for a, b in zip(left.entries, right.entries))
    radii = tuple(
        abs(a) * rb + ra * abs(b) + ra * rb
        for a, b, ra, rb in zip(left.entries, right.entries, left.radii, right.radii)
    )
    return Value(
        left.rows, left.columns, _checked(entries), radii, **_merge(left, right)
    )


def divide(left: Value, right: Value) -> Value:
    """Return ``left / right`` for a number ``right`` that cannot be 0.

    Raises
    ------
    ShapeError
        If ``right`` is not a number, or may be 0.
    """
    if not right.acts_as_scalar:
        if left.scalar:
            left = _filled(left, right)
        if left.shape == right.shape and not left.scalar:
            return _entrywise_quotient(left, right)
        raise ShapeError(f"cannot divide by {describe_shape(right)}")
    denominator, radius = right.entries[0], right.radii[0]
    if abs(denominator) <= radius:
        raise DivisionByZero("division by zero: the divisor is or may be 0")
    if radius:
        low = abs(denominator) - radius
        reciprocal_radius = radius / (abs(denominator) * low)
    else:
        reciprocal_radius = _ZERO
    reciprocal = Value(
        1, 1, (1 / denominator,), (reciprocal_radius,), **_merge(right, scalar=True)
    )
    return (
        scale(reciprocal, left)
        if not left.acts_as_scalar
        else multiply(left, reciprocal)
    )


def _entrywise_quotient(left: Value, right: Value) -> Value:
    """Divide two values of one shape entry by entry."""
    quotients = [
        divide(
            Value(1, 1, (top,), (top_radius,), scalar=True),
            Value(1, 1, (bottom,), (bottom_radius,), scalar=True),
        )
        for top, top_radius, bottom, bottom_radius in zip(
            left.entries, left.radii, right.entries, right.radii
        )
    ]
    return Value(
        left.rows,
        left.columns,
        tuple(quotient.entries[0] for quotient in quotients),
        tuple(quotient.radii[0] for quotient in quotients),
        **_merge(left, right),
    )


def power(base: Value, exponent: int) -> Value:
    """Return ``base`` to an integer power: of a number, or entry by entry with ``_i``.

    Raises
    ------
    ShapeError
        If ``base`` is a matrix that carries no summation index, or 0 is
        raised to a negative power.
    """
    if not (base.acts_as_scalar or base.indexed):
        raise ShapeError(f"cannot raise {describe_shape(base)} to a power")
    entries = []
    radii = []
    for entry, radius in zip(base.entries, base.radii):
        if exponent < 0 and abs(entry) <= radius:
            raise DivisionByZero("division by zero: 0 raised to a negative power")
        value = entry**exponent
        entries.append(value)
        if radius and exponent > 0:
            bound = abs(entry) + radius
            radii.append(bound**exponent - abs(entry) ** exponent)
        elif radius:
            low = abs(entry) - radius
            radii.append(abs(low**exponent - abs(entry) ** exponent))
        else:
            radii.append(_ZERO)
    return Value(
        base.rows,
        base.columns,
        _checked(tuple(entries)),
        tuple(radii),
        **_merge(base, scalar=base.scalar),
    )


def transpose(value: Value) -> Value:
    """Return the transpose; a number stays a number."""
    if value.scalar:
        return value
    entries = tuple(
        value.entry(row, column)
        for column in range(value.columns)
        for row in range(value.rows)
    )
    radii = tuple(
        value.radii[row * value.columns + column]
        for column in range(value.columns)
        for row in range(value.rows)
    )
    places = None
    if value.places is not None:
        places = tuple(
            value.places[row * value.columns + column]
            for column in range(value.columns)
            for row in range(value.rows)
        )
    return replace(
        value,
        rows=value.columns,
        columns=value.rows,
        entries=entries,
        radii=radii,
        places=places,
    )


def relu(value: Value) -> Value:
    """Apply ``max(0, z)`` to every entry."""
    entries = tuple(max(entry, _ZERO) for entry in value.entries)
    return replace(value, entries=entries, places=None)


def relu_slope(value: Value, at_zero: int) -> Value:
    """Apply ``ReLU'`` to every entry, with ``ReLU'(0) = at_zero``.

    An entry whose radius reaches 0 may be on either side of the kink, so
    its slope is 1/2 with radius 1/2.
    """
    entries = []
    radii = []
    kink = value.kink
    for entry, radius in zip(value.entries, value.radii):
        if radius and abs(entry) <= radius:
            entries.append(_HALF)
            radii.append(_HALF)
            continue
        if entry == 0:
            kink = True
            entries.append(Fraction(at_zero))
        else:
            entries.append(Fraction(1) if entry > 0 else _ZERO)
        radii.append(_ZERO)
    return replace(
        value, entries=tuple(entries), radii=tuple(radii), places=None, kink=kink
    )


def ones_like(value: Value) -> Value:
    """Return a value of the same shape with every entry 1: the identity's slope."""
    count = len(value.entries)
    return replace(
        value, entries=(Fraction(1),) * count, radii=(_ZERO,) * count, places=None
    )


def total(value: Value) -> Value:
    """Add up the entries into a number, as ``\\sum_i`` does."""
    return Value(
        1,
        1,
        _checked((sum(value.entries, _ZERO),)),
        (sum(value.radii, _ZERO),),
        **_merge(value, scalar=True, indexed=False),
    )
