"""Resource limits: how large a spec, a training run and its output may be.

Specs arrive from students, web forms and scripts, and a few characters can
ask for a huge amount of work: ``units = 100000000`` or ``steps = 10**20``.
Every such size has a limit, checked before the work starts, and hitting one
raises :class:`ResourceLimitError`. Its message names the limit, the value
found and the option that raises it.

- ``width`` (256): units of a layer, and inputs of the network.
- ``depth`` (32): layers of the network.
- ``steps`` (1000): gradient steps of a run.
- ``values`` (500_000): exact values a run records, every entry of every
  recorded matrix of every step (see :func:`values_per_step`).
- ``spec_bytes`` (1_000_000): size of a spec file, or of a spec read from
  standard input.
- ``output_bytes`` (20_000_000): size of a solution in UTF-8 bytes, checked
  before anything is written.

Two more limits live elsewhere. A number written in a spec or an answer file
has at most :data:`NUMBER_DIGITS` digits and an exponent of at most
:data:`NUMBER_EXPONENT`; these are fixed (see :mod:`derivation.numbers`).
The numerators and denominators that training computes have at most
``max_digits`` digits, which a spec sets as ``training.max_digits`` (see
:mod:`derivation.growth`).

>>> Limits().steps
1000
>>> Limits().with_overrides(["steps=5000"]).steps
5000
>>> count_values((1, 2, 2, 1), steps=2)
150
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace

from .errors import DerivationError
from .numbers import MAX_DIGITS, MAX_EXPONENT

NUMBER_DIGITS = MAX_DIGITS
"""The maximum number of digits of a number written in a spec or an answer file."""

NUMBER_EXPONENT = MAX_EXPONENT
"""The maximum exponent, in absolute value, of a number such as ``2.5e-3``."""

# The thing each limit counts, for messages such as "expected at most 256 units".
_NOUNS = {
    "width": "unit",
    "depth": "layer",
    "steps": "step",
    "values": "recorded value",
    "spec_bytes": "byte",
    "output_bytes": "byte",
}


@dataclass(frozen=True)
class Limits:
    """The resource limits of one run; every field is a positive integer.

    The defaults suit exercises worked by hand, with room to spare; runs at
    the defaults took seconds and about 200 MB where measured (see
    docs/limits.md). Raise a limit for a larger trusted job, as in
    ``Limits(steps=5000)`` or, on the command line, ``--limit steps=5000``.

    Attributes
    ----------
    width
        Maximum number of units of a layer, and of inputs of the network.
    depth
        Maximum number of layers.
    steps
        Maximum number of gradient steps.
    values
        Maximum number of exact values a run records (steps times
        :func:`values_per_step`). Memory and time grow with this count, so
        it bounds a run whose width, depth and steps are each allowed.
    spec_bytes
        Maximum size of a spec, in bytes.
    output_bytes
        Maximum size of an output in UTF-8 bytes, checked before anything is
        written.

    Raises
    ------
    DerivationError
        If a field is not a positive integer.
    """

    width: int = 256
    depth: int = 32
    steps: int = 1000
    values: int = 500_000
    spec_bytes: int = 1_000_000
    output_bytes: int = 20_000_000

    def __post_init__(self) -> None:
        for name in LIMIT_NAMES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DerivationError(
                    f"limit {name} must be a positive integer, not {value!r}"
                )

    def with_overrides(self, settings: Iterable[str]) -> Limits:
        """Return these limits with settings such as ``"steps=5000"`` applied.

        Digits may be grouped with ``_``, as in ``output_bytes=50_000_000``.

        Raises
        ------
        DerivationError
            If a setting is not ``NAME=N`` with a known name and a positive
            integer ``N``.
        """
        changes: dict[str, int] = {}
        for setting in settings:
            name, value = _parse_setting(setting)
            changes[name] = value
        return replace(self, **changes)

    def check(
        self, name: str, value: int, key_path: str = "", detail: str = ""
    ) -> None:
        """Raise :class:`ResourceLimitError` if ``value`` is above limit ``name``.

        ``key_path`` names where the value was found, such as
        ``"training: steps"``, and ``detail`` describes how it was counted.
        """
        maximum = getattr(self, name)
        if value > maximum:
            raise ResourceLimitError(name, value, maximum, key_path, detail)


LIMIT_NAMES = tuple(field.name for field in fields(Limits))
"""The names of the limits, as ``--limit NAME=N`` and ``Limits(NAME=N)`` take them."""

DEFAULT_LIMITS = Limits()


def _parse_setting(setting: str) -> tuple[str, int]:
    name, separator, text = setting.partition("=")
    name = name.strip()
    if not separator or name not in LIMIT_NAMES:
        raise DerivationError(
            f"--limit {setting}: expected NAME=N with NAME one of "
            f"{', '.join(LIMIT_NAMES)}"
        )
    text = text.strip()
    digits = text.replace("_", "")
    if not (digits.isascii() and digits.isdigit()) or int(digits) < 1:
        raise DerivationError(
            f"--limit {setting}: expected a positive integer after '{name}=', "
            f"found {text!r}"
        )
    return name, int(digits)


class ResourceLimitError(DerivationError):
    """A spec, a run or an output larger than a limit of :class:`Limits` allows.

    Attributes
    ----------
    name
        The limit, one of :data:`LIMIT_NAMES`.
    value
        The size found.
    maximum
        The limit's value.
    detail
        How the size was counted, such as ``"200 steps of 3813 values"``, or
        an empty string.
    key_path, source
        Where the size was found, such as ``"training: steps"`` in
        ``"net.toml"``; either may be empty.

    >>> print(ResourceLimitError("steps", 5000, 1000, "training: steps"))
    training: steps: expected at most 1000 steps (the steps limit), found 5000; \
to allow it, pass --limit steps=5000 (in Python, Limits(steps=5000))
    """

    def __init__(
        self,
        name: str,
        value: int,
        maximum: int,
        key_path: str = "",
        detail: str = "",
        source: str | None = None,
    ) -> None:
        self.name = name
        self.value = value
        self.maximum = maximum
        self.key_path = key_path
        self.detail = detail
        self.source = source
        super().__init__(self._compose())

    def _compose(self) -> str:
        place = ": ".join(part for part in (self.source, self.key_path) if part)
        found = f"{self.value}{f' ({self.detail})' if self.detail else ''}"
        setting = f"{self.name}={self.value}"
        noun = "input" if self.key_path.endswith("inputs") else _NOUNS[self.name]
        if self.maximum != 1:
            noun += "s"
        message = (
            f"expected at most {self.maximum} {noun} (the "
            f"{self.name} limit), found {found}; to allow it, pass --limit "
            f"{setting} (in Python, Limits({setting}))"
        )
        return f"{place}: {message}" if place else message

    def in_file(self, source: str) -> ResourceLimitError:
        """Return a copy of this error that names the file it came from."""
        return ResourceLimitError(
            self.name,
            self.value,
            self.maximum,
            self.key_path,
            self.detail,
            source,
        )


def values_per_step(widths: Sequence[int], samples: int = 1) -> int:
    """Count the exact values that one training step records.

    ``widths`` runs from the inputs to the outputs, as ``Network.widths``,
    and ``samples`` is the batch size. A layer of ``u`` units with ``i``
    inputs records ``u i`` values in each of ``W``, ``dW`` and ``W_after``,
    and ``u`` in each of ``b``, ``db`` and ``b_after``. Per sample, it
    records ``i`` in each of ``a_prev`` and ``da_prev`` and ``u`` in each of
    ``z``, ``a``, ``da``, the slope and ``dz``. The step adds its loss.

    >>> values_per_step((1, 1))
    14
    >>> values_per_step((1, 1), samples=2)
    21
    """
    total = 1
    for inputs, units in zip(widths, widths[1:]):
        total += 3 * units * inputs + 3 * units + samples * (5 * units + 2 * inputs)
    return total


def count_values(widths: Sequence[int], steps: int) -> int:
    """Count the exact values that a run of ``steps`` steps records."""
    return steps * values_per_step(widths)


def check_run(
    widths: Sequence[int],
    steps: int,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Check the shape and length of a training run against ``limits``.

    Call this before :func:`derivation.engine.train` when the network or
    the number of steps comes from untrusted input; :func:`load_spec
    <derivation.spec.load_spec>` does it for specs.

    Raises
    ------
    ResourceLimitError
        If a width, the depth, the steps or the count of recorded values is
        above its limit.
    """
    limits.check("width", widths[0], "network: inputs")
    for number, units in enumerate(widths[1:], start=1):
        limits.check("width", units, f"layer {number}: units")
    limits.check("depth", len(widths) - 1, "layer")
    limits.check("steps", steps, "training: steps")
    check_values(widths, steps, limits)


def check_values(
    widths: Sequence[int],
    steps: int,
    limits: Limits = DEFAULT_LIMITS,
    key_path: str = "training: steps",
    samples: int = 1,
) -> None:
    """Check the count of values a run records against the ``values`` limit.

    ``key_path`` names, in the message, the setting that made the count, and
    ``samples`` is the largest batch.
    """
    per_step = values_per_step(widths, samples)
    detail = f"{steps} step{'' if steps == 1 else 's'} of {per_step} values"
    limits.check("values", steps * per_step, key_path, detail)


def check_output(text: str, what: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Check the UTF-8 size of an output against the ``output_bytes`` limit.

    ``what`` names the output in the message, such as ``"the LaTeX output"``.

    Raises
    ------
    ResourceLimitError
        If the text is larger than the limit.
    """
    # Most outputs are ASCII; counting characters first avoids encoding the
    # whole text when it is clearly within the limit.
    if len(text) * 4 <= limits.output_bytes:
        return
    limits.check("output_bytes", len(text.encode("utf-8")), what)
