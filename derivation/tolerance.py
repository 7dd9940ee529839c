"""Tolerance policies: when a number written by a person counts as right.

A :class:`WrittenNumber` keeps the exact value of a number together with the
precision it was written with: ``"0.60"`` has 2 decimal places and 2
significant figures, ``"3/5"`` has neither. :func:`judge` compares it with an
exact value under a :class:`Tolerance`:

``rounded`` (the default)
    Right when exact, or when the number is written with n >= 1 decimal
    places and equals the exact value correctly rounded to n places.
    Integers and fractions are taken as exact claims.
``exact``
    Right only when equal to the exact value.
``decimals`` (d places)
    Right when exact, or when equal to the exact value correctly rounded to
    max(d, places written) places. So with d = 2, ``0.6`` and ``0.60`` are
    both read at 2 places, and ``0.598`` at 3.
``significant`` (s figures)
    The same with significant figures: max(s, figures written).
``absolute`` / ``relative`` (t)
    Right when ``|found - exact| <= t``, or ``<= t * |exact|`` (so only 0
    passes when the exact value is 0). Unless ``accept_correct_rounding``
    is false, a value correctly rounded to the places written is also right.

Closed forms such as ``tanh(1)`` or a named quantity ``q_3`` have no
terminating decimal. Every policy but ``exact`` judges a written number
against a rational approximation of such a value to
:data:`APPROXIMATION_DIGITS` significant digits, far more than anyone
writes, so rounding it gives the same digits as rounding the value itself.
Under ``exact`` only an exact value could be right, and a decimal or a
fraction never equals a transcendental value, so the verdict states that.

A tie is an exact value halfway between two neighbours at the chosen
precision, such as -0.59885 at 4 places. When rounding half away from zero
and rounding half to even pick different neighbours, the ``ties`` rule
decides which are right: ``either`` (the default) accepts both,
``half_away_from_zero`` accepts -0.5989 and ``half_even`` accepts -0.5988.

>>> judge(written_number("0.598"), sympy.Rational(239, 400), Tolerance()).rule
'correctly rounded to 3 decimal places'
>>> judge(written_number("0.597"), sympy.Rational(239, 400), Tolerance()).accepted
False
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .numbers import decimal_string, parse_number, terminates
from .quantities import numeric

POLICIES = ("rounded", "exact", "decimals", "significant", "absolute", "relative")
TIE_RULES = ("either", "half_away_from_zero", "half_even")

_HALF = sympy.Rational(1, 2)

# Significant digits of the rational approximation of a closed form.
APPROXIMATION_DIGITS = 60


def is_exact_number(value: sympy.Expr) -> bool:
    """Tell whether a value is a rational number rather than a closed form.

    >>> is_exact_number(sympy.Rational(3, 8)), is_exact_number(sympy.tanh(1))
    (True, False)
    """
    return isinstance(value, sympy.Rational)


def approximate(
    value: sympy.Expr, digits: int = APPROXIMATION_DIGITS
) -> sympy.Rational:
    """Return a rational value, approximating a closed form to ``digits`` digits.

    A rational is returned as it is. The approximation is the binary
    floating-point number that SymPy evaluates, converted exactly.

    >>> error = approximate(sympy.tanh(1)) - sympy.tanh(1)
    >>> bool(abs(error.evalf(80)) < sympy.Rational(1, 10**59))
    True
    """
    if is_exact_number(value):
        return value
    return sympy.Rational(numeric(value, digits))


@dataclass(frozen=True)
class WrittenNumber:
    """A number as a person wrote it: its exact value and its precision.

    Attributes
    ----------
    value
        The exact value.
    text
        The number as written, such as ``"0.60"`` or ``"-3/8"``.
    decimals
        Decimal places written, after applying any exponent (``"2.5e-3"``
        has 4); 0 for integers and ``None`` for fractions.
    significant
        Significant figures written, counting trailing zeros after the
        point but not those of an integer (``"400"`` has 1); ``None`` for
        fractions and for zero.
    """

    value: sympy.Rational
    text: str
    decimals: int | None
    significant: int | None


def written_number(text: str) -> WrittenNumber:
    """Read a number exactly and keep the precision it is written with.

    Raises
    ------
    NumberError
        If the text is not a number that ``parse_number`` reads.

    >>> written_number("-0.0250")
    WrittenNumber(value=-1/40, text='-0.0250', decimals=4, significant=3)
    >>> written_number("1_200")
    WrittenNumber(value=1200, text='1_200', decimals=0, significant=2)
    """
    value = parse_number(text)
    body = text.strip().lstrip("+-").replace("_", "")
    if "/" in body:
        return WrittenNumber(value, text.strip(), None, None)

    mantissa, _, exponent = body.lower().partition("e")
    whole, point, fraction = mantissa.partition(".")
    decimals = max(0, len(fraction) - int(exponent or 0))
    digits = (whole + fraction).lstrip("0")
    if not digits:
        significant = None
    elif point:
        significant = len(digits)
    else:
        significant = len(digits.rstrip("0"))
    return WrittenNumber(value, text.strip(), decimals, significant)


@dataclass(frozen=True)
class Tolerance:
    """A rule that decides when a written number is right.

    Attributes
    ----------
    policy
        One of :data:`POLICIES`.
    amount
        The bound of ``absolute`` and ``relative``, else ``None``.
    digits
        The decimal places of ``decimals`` or the figures of
        ``significant``, else ``None``.
    ties
        One of :data:`TIE_RULES`.
    accept_correct_rounding
        Whether ``absolute`` and ``relative`` also accept a value correctly
        rounded to the places written. Other policies ignore it.
    """

    policy: str = "rounded"
    amount: sympy.Rational | None = None
    digits: int | None = None
    ties: str = "either"
    accept_correct_rounding: bool = True

    def describe(self) -> str:
        """Describe the policy in words, as reports show it.

        >>> Tolerance("decimals", digits=2).describe()
        '2 decimal places, ties accept either neighbour'
        """
        if self.policy == "exact":
            return "exact values only"
        if self.policy == "rounded":
            text = "exact, or correctly rounded to the decimal places written"
        elif self.policy == "decimals":
            text = _plural(self.digits or 0, "decimal place")
        elif self.policy == "significant":
            text = _plural(self.digits or 0, "significant figure")
        else:
            text = f"{self.policy} tolerance {show_number(self.amount or 0)}"
            if self.accept_correct_rounding:
                text += ", or correctly rounded to the decimal places written"
        return f"{text}, ties {_TIE_WORDS[self.ties]}"


_TIE_WORDS = {
    "either": "accept either neighbour",
    "half_away_from_zero": "round half away from zero",
    "half_even": "round half to even",
}


@dataclass(frozen=True)
class Rounding:
    """The correct roundings of an exact value at one precision.

    ``tie`` is true when the exact value lies halfway between two neighbours
    and the tie rules pick different ones. ``values`` then has both under
    the ``either`` rule.
    """

    values: tuple[sympy.Rational, ...]
    tie: bool


def round_to_decimals(value: sympy.Rational, places: int, ties: str) -> Rounding:
    """Round an exact value to ``places`` decimal places (negative: to tens, ...).

    >>> round_to_decimals(sympy.Rational(-11977, 20000), 4, "either").values
    (-5989/10000, -1497/2500)
    >>> round_to_decimals(sympy.Rational(-11977, 20000), 4, "half_even").values
    (-1497/2500,)
    """
    value = approximate(value)
    scale = sympy.Rational(10) ** places
    scaled = value * scale
    floor = int(scaled.p) // int(scaled.q)
    remainder = scaled - floor
    tie = False
    if remainder < _HALF:
        picks = [floor]
    elif remainder > _HALF:
        picks = [floor + 1]
    else:
        away = floor + 1 if value > 0 else floor
        even = floor if floor % 2 == 0 else floor + 1
        tie = away != even
        picks = {"either": [away, even], "half_away_from_zero": [away]}.get(
            ties, [even]
        )
    unique = tuple(dict.fromkeys(sympy.Rational(pick) / scale for pick in picks))
    return Rounding(unique, tie=tie)


def round_to_significant(value: sympy.Rational, figures: int, ties: str) -> Rounding:
    """Round an exact value to ``figures`` significant figures.

    >>> round_to_significant(sympy.Rational(161, 4), 3, "either").values
    (403/10, 201/5)
    """
    value = approximate(value)
    if value == 0:
        return Rounding((sympy.Integer(0),), tie=False)
    exponent = decimal_exponent(abs(value))
    return round_to_decimals(value, figures - 1 - exponent, ties)


def decimal_exponent(value: sympy.Rational) -> int:
    """Return the ``e`` with ``10**e <= value < 10**(e + 1)`` for a positive value.

    >>> decimal_exponent(sympy.Rational(1, 1000)), decimal_exponent(sympy.Integer(999))
    (-3, 2)
    """
    exponent = len(str(value.p)) - len(str(value.q))
    while sympy.Rational(10) ** exponent > value:
        exponent -= 1
    while sympy.Rational(10) ** (exponent + 1) <= value:
        exponent += 1
    return exponent


@dataclass(frozen=True)
class Verdict:
    """Whether a written number is right, and by which rule.

    ``rule`` is ``"exact"``, a phrase such as ``"correctly rounded to 2
    decimal places"``, or, when the number is wrong, ``""`` or the reason
    that no number could be right (a closed form under ``exact``).
    """

    accepted: bool
    rule: str

    @property
    def exact(self) -> bool:
        """Whether the number equals the exact value."""
        return self.rule == "exact"


_WRONG = Verdict(False, "")

# The verdict of a number under the policy ``exact`` when the true value is a
# closed form: no number as written can be equal to it.
_NEVER_EXACT = Verdict(
    False, "never exact: a decimal or fraction cannot equal the closed form"
)


def judge(
    written: WrittenNumber, exact: sympy.Rational, tolerance: Tolerance
) -> Verdict:
    """Decide whether ``written`` is right for the exact value ``exact``.

    ``exact`` may be a closed form; see the module's notes.

    >>> judge(written_number("0.7616"), sympy.tanh(1), Tolerance()).rule
    'correctly rounded to 4 decimal places'
    >>> judge(written_number("0.7616"), sympy.tanh(1), Tolerance("exact")).rule
    'never exact: a decimal or fraction cannot equal the closed form'
    """
    if written.value == exact:
        return Verdict(True, "exact")
    policy = tolerance.policy
    if policy == "exact":
        return _WRONG if is_exact_number(exact) else _NEVER_EXACT
    exact = approximate(exact)
    if policy == "decimals":
        places = max(tolerance.digits or 0, written.decimals or 0)
        return _judge_decimals(written, exact, places, tolerance.ties)
    if policy == "significant":
        figures = max(tolerance.digits or 1, written.significant or 0)
        return _judge_significant(written, exact, figures, tolerance.ties)
    if policy in ("absolute", "relative"):
        verdict = _judge_bound(written, exact, tolerance)
        if verdict.accepted or not tolerance.accept_correct_rounding:
            return verdict
    return _judge_places_written(written, exact, tolerance.ties)


def _judge_places_written(
    written: WrittenNumber, exact: sympy.Rational, ties: str
) -> Verdict:
    if not written.decimals:
        return _WRONG
    return _judge_decimals(written, exact, written.decimals, ties)


def _judge_decimals(
    written: WrittenNumber, exact: sympy.Rational, places: int, ties: str
) -> Verdict:
    rounding = round_to_decimals(exact, places, ties)
    if written.value not in rounding.values:
        return _WRONG
    rule = f"correctly rounded to {_plural(places, 'decimal place')}"
    return Verdict(True, rule + _tie_note(rounding, ties))


def _judge_significant(
    written: WrittenNumber, exact: sympy.Rational, figures: int, ties: str
) -> Verdict:
    rounding = round_to_significant(exact, figures, ties)
    if written.value not in rounding.values:
        return _WRONG
    rule = f"correctly rounded to {_plural(figures, 'significant figure')}"
    return Verdict(True, rule + _tie_note(rounding, ties))


def _judge_bound(
    written: WrittenNumber, exact: sympy.Rational, tolerance: Tolerance
) -> Verdict:
    amount = tolerance.amount or sympy.Integer(0)
    error = abs(written.value - exact)
    bound = amount if tolerance.policy == "absolute" else amount * abs(exact)
    if error > bound:
        return _WRONG
    return Verdict(
        True, f"within the {tolerance.policy} tolerance {show_number(amount)}"
    )


def _tie_note(rounding: Rounding, ties: str) -> str:
    if not rounding.tie:
        return ""
    return ", " + _TIE_NOTES[ties]


_TIE_NOTES = {
    "either": "a tie where both neighbours count",
    "half_away_from_zero": "a tie rounded half away from zero",
    "half_even": "a tie rounded half to even",
}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def show_number(value: sympy.Rational) -> str:
    """Write an exact value for people: a decimal if it terminates, else a fraction.

    >>> show_number(sympy.Rational(13, 2)), show_number(sympy.Rational(-1, 3))
    ('6.5', '-1/3')
    """
    if terminates(value):
        return decimal_string(value)
    return str(value)
