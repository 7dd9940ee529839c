"""Growth control for exact training: a digit limit and rounding policies.

Exact rationals grow with every gradient step: with one hidden ReLU layer
the numerators and denominators roughly triple in length per step, and
deeper networks grow faster. The engine therefore measures every value it
records and stops with a :class:`~derivation.errors.LimitError` once an
entry's numerator or denominator has more than ``max_digits`` decimal digits
(:data:`DEFAULT_MAX_DIGITS` unless set).

A :class:`RoundingPolicy` is the remedy that solutions worked by hand use:
round to a fixed number of decimal places or significant figures, then go on
computing exactly with the rounded values. Ties are rounded half away from
zero, the rule usually taught for rounding by hand.

>>> policy = RoundingPolicy("decimals", 4)
>>> policy.round(-11977, 20000)
(-5989, 10000)
>>> RoundingPolicy("significant", 2).round(1234, 1)
(1200, 1)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .errors import DerivationError, LimitError

# The default digit limit. Python 3.11 refuses to convert integers of more
# than 4300 digits to text (sys.get_int_max_str_digits()), so values within
# this limit can always be written out as JSON or LaTeX.
DEFAULT_MAX_DIGITS = 4000

ROUNDING_MODES = ("decimals", "significant")
ROUNDING_TIMES = ("operation", "step")

# The largest number of digits a rounding policy may keep. Past a few dozen
# digits rounding no longer controls growth; the cap keeps 10**digits cheap.
MAX_ROUNDING_DIGITS = 1000

# A lower bound of log10(2), used to estimate decimal digits from bit lengths.
_LOG10_2_BELOW = (301029, 1000000)


@dataclass(frozen=True)
class RoundingPolicy:
    """A rule for rounding the values that exact training computes.

    Attributes
    ----------
    mode
        ``"decimals"`` to keep ``digits`` decimal places, or
        ``"significant"`` to keep ``digits`` significant figures.
    digits
        Decimal places (0 or more) or significant figures (1 or more), at
        most :data:`MAX_ROUNDING_DIGITS`.
    when
        ``"operation"`` rounds every computed value as soon as it is
        computed, so the equations that follow use the rounded value, as a
        person computing by hand does. ``"step"`` keeps each step exact and
        rounds only the updated weights and biases that the next step
        starts from.

    Raises
    ------
    DerivationError
        If a field has a value outside those listed.
    """

    mode: str
    digits: int
    when: str = "operation"

    def __post_init__(self) -> None:
        if self.mode not in ROUNDING_MODES:
            raise DerivationError(
                f"rounding mode must be one of {', '.join(ROUNDING_MODES)}, "
                f"not {self.mode!r}"
            )
        if self.when not in ROUNDING_TIMES:
            raise DerivationError(
                f"rounding 'when' must be one of {', '.join(ROUNDING_TIMES)}, "
                f"not {self.when!r}"
            )
        low = self.minimum_digits(self.mode)
        digits = self.digits
        if isinstance(digits, bool) or not isinstance(digits, int):
            raise DerivationError(f"rounding digits must be an integer, not {digits!r}")
        if not low <= digits <= MAX_ROUNDING_DIGITS:
            raise DerivationError(
                f"rounding digits for mode {self.mode!r} must be from {low} "
                f"to {MAX_ROUNDING_DIGITS}, not {digits}"
            )

    @staticmethod
    def minimum_digits(mode: str) -> int:
        """Return the smallest ``digits`` allowed for ``mode``."""
        return 0 if mode == "decimals" else 1

    @property
    def every_operation(self) -> bool:
        """Whether every computed value is rounded, not only the parameters."""
        return self.when == "operation"

    def precision(self) -> str:
        """Describe the precision kept, such as ``"4 decimal places"``.

        >>> RoundingPolicy("significant", 1).precision()
        '1 significant figure'
        """
        noun = "decimal place" if self.mode == "decimals" else "significant figure"
        return f"{self.digits} {noun}{'' if self.digits == 1 else 's'}"

    def statement(self) -> str:
        """Describe the policy in one plain-text sentence for a solution.

        >>> RoundingPolicy("decimals", 4, "step").statement()[:60]
        'At the end of every step the updated weights and biases are '
        """
        rule = f"{self.precision()}, rounding halves away from zero"
        if self.every_operation:
            return (
                f"Every computed value is rounded to {rule}, and the equations "
                "that follow use the rounded value, as in a calculation by hand."
            )
        return (
            "At the end of every step the updated weights and biases are "
            f"rounded to {rule}, and the next step starts from the rounded "
            "values; within a step the arithmetic is exact."
        )

    def to_dict(self) -> dict[str, object]:
        """Return the policy as JSON-ready data."""
        return {"mode": self.mode, "digits": self.digits, "when": self.when}

    def round(self, numerator: int, denominator: int) -> tuple[int, int]:
        """Round ``numerator / denominator`` (denominator > 0) by this policy.

        Returns the rounded value as a numerator and a denominator, not
        necessarily in lowest terms.

        >>> RoundingPolicy("decimals", 2).round(-1, 8)
        (-13, 100)
        >>> RoundingPolicy("significant", 3).round(2, 3)
        (667, 1000)
        """
        places = self.digits
        if self.mode == "significant":
            if numerator == 0:
                return 0, 1
            places = self.digits - 1 - decimal_exponent(abs(numerator), denominator)
        if places >= 0:
            scale = 10**places
            return _round_half_away(numerator * scale, denominator), scale
        step = 10**-places
        return _round_half_away(numerator, denominator * step) * step, 1


def _round_half_away(numerator: int, denominator: int) -> int:
    """Return the integer nearest ``numerator / denominator``, halves away from 0."""
    nearest = (2 * abs(numerator) + denominator) // (2 * denominator)
    return nearest if numerator >= 0 else -nearest


def decimal_exponent(numerator: int, denominator: int) -> int:
    """Return ``e`` with ``10**e <= numerator / denominator < 10**(e + 1)``.

    Both arguments must be positive.

    >>> decimal_exponent(1, 1000), decimal_exponent(999, 1), decimal_exponent(1, 3)
    (-3, 2, -1)
    """
    exponent = decimal_digits(numerator) - decimal_digits(denominator)
    # The quotient of a d-digit and an m-digit number lies in
    # [10**(d - m - 1), 10**(d - m + 1)), so one comparison settles it.
    if exponent >= 0:
        below = numerator < denominator * 10**exponent
    else:
        below = numerator * 10**-exponent < denominator
    return exponent - 1 if below else exponent


def decimal_digits(number: int) -> int:
    """Return how many decimal digits ``abs(number)`` has (1 for zero).

    Unlike ``len(str(number))``, this works past Python's limit on
    converting large integers to text.

    >>> decimal_digits(0), decimal_digits(-999), decimal_digits(10**5000)
    (1, 3, 5001)
    """
    number = abs(int(number))
    if number < 10:
        return 1
    scale, divisor = _LOG10_2_BELOW
    # (bit_length - 1) * log10(2) <= log10(number), so this never overshoots.
    digits = (number.bit_length() - 1) * scale // divisor + 1
    while number >= 10**digits:
        digits += 1
    return digits


@dataclass(frozen=True)
class DigitLimit:
    """The largest number of decimal digits allowed in a numerator or denominator.

    Checking uses bit lengths first: a number of at most :attr:`safe_bits`
    bits cannot have more than :attr:`max_digits` digits, so only entries
    past that are measured in decimal.
    """

    max_digits: int

    @functools.cached_property
    def safe_bits(self) -> int:
        """The largest bit length that guarantees at most ``max_digits`` digits."""
        return _safe_bits(self.max_digits)

    def check(
        self,
        entries: list,
        height_bits: int,
        quantity: str,
        step: int,
        layer: int | None,
    ) -> None:
        """Raise :class:`LimitError` if an entry of a recorded value is too long.

        ``entries`` are exact rationals with ``p`` and ``q`` attributes (SymPy
        ``Rational`` or flint ``fmpq``), and ``height_bits`` is the largest
        bit length among their numerators and denominators, or an upper bound
        on it. The entries are read only when ``height_bits`` is above
        :attr:`safe_bits`.
        """
        if height_bits <= self.safe_bits:
            return
        part, digits = _longest_part(entries, self.safe_bits)
        if digits > self.max_digits:
            raise LimitError(quantity, step, layer, part, digits, self.max_digits)


@functools.lru_cache(maxsize=16)
def _safe_bits(max_digits: int) -> int:
    # 2**bits <= 10**max_digits, so a number below 2**bits is short enough.
    return (10**max_digits).bit_length() - 1


def _longest_part(entries: list, safe_bits: int) -> tuple[str, int]:
    longest = ("numerator", 0)
    for entry in entries:
        for part, number in (("numerator", entry.p), ("denominator", entry.q)):
            if int(number).bit_length() > safe_bits:
                digits = decimal_digits(number)
                if digits > longest[1]:
                    longest = (part, digits)
    return longest


def check_max_digits(max_digits: object) -> DigitLimit | None:
    """Validate ``max_digits``: a positive integer, or ``None`` for no limit.

    Raises
    ------
    DerivationError
        If ``max_digits`` is neither.
    """
    if max_digits is None:
        return None
    if isinstance(max_digits, bool) or not isinstance(max_digits, int):
        raise DerivationError(
            f"max_digits must be a positive integer or None, not {max_digits!r}"
        )
    if max_digits < 1:
        raise DerivationError(
            f"max_digits must be a positive integer or None, not {max_digits}"
        )
    return DigitLimit(max_digits)
