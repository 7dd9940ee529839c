"""Variants of an exercise: parameters drawn at random, kept only if pleasant.

A spec's optional ``[variants]`` table says which values to draw and which
constraints every variant must meet::

    [variants]
    max_decimals = 4          # every value a decimal with at most 4 places
    allow_dead_relu = false   # the default
    allow_kink = false        # the default
    "layer.1.weights" = { choices = [0.5, 1] }
    "layer.*.biases" = { choices = [-0.5, 0.5] }
    "data.x" = { range = [1, 5] }
    "data.y" = { range = [0, 4], step = 0.5, exclude = [2] }
    "training.learning_rate" = { choices = [0.1, 0.05] }

Keys with a dot are key paths of values in the spec, and each names the
draw of those values: ``choices`` (a list of numbers) or ``range`` (the
numbers from the first to the last, in steps of ``step``, 1 by default),
optionally with ``exclude``. A path names a whole matrix or vector
(``layer.2.weights``, ``layer.2.biases``, ``data.x``), one entry
(``layer.2.weights.1.2`` is row 1, column 2; ``layer.2.biases.1``;
``data.x.1``; with several samples ``data.x.2`` is sample 2 and
``data.x.2.1`` its first entry), every layer (``layer.*.weights``) or the
learning rate (``training.learning_rate``). Every entry is drawn on its own,
from the most specific path that covers it; values that no path covers keep
the spec's value. The same paths may be written as nested tables, such as
``[variants.layer.1]`` with ``weights = { choices = [0.5, 1] }``.

Constraints (every key optional):

``max_decimals = K``
    Every value of the solution is a terminating decimal with at most ``K``
    places; 0 means integers.
``max_denominator = D``
    Every value is a fraction whose denominator is at most ``D``; instead
    of ``max_decimals``.
``max_abs = M``
    Every value is at most ``M`` in absolute value.
``allow_dead_relu = false``
    Reject a draw in which a ReLU unit is inactive (negative pre-activation)
    for every sample of some step, so that it passes no gradient there.
``allow_kink = false``
    Reject a draw with a pre-activation exactly at 0 in a ReLU or leaky
    ReLU layer, where the derivative is a convention.
``loss_decreases = true``
    Reject a draw whose loss on the whole data does not fall with every
    step, the loss after the last update included.
``max_draws = 20000``
    Draws to try before giving up.

"Every value" is every value of the solution: the parameters, inputs and
outputs of every layer, the loss, the gradients and the updated parameters
of every step. The given values (those not drawn, and every choice) are
checked once, before drawing.

Draws come from ``random.Random(seed)`` in a fixed order, so a seed always
gives the same variants. Each draw is checked as it is computed and
rejected at the first value that breaks a constraint. A draw equal to an
earlier one, or whose asked values equal those of an accepted variant, is
rejected too, so the variants differ from one another and so do their
answer keys.
"""

from __future__ import annotations

import copy
import math
import random
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy

from .activations import Activation, RationalFunction
from .errors import DerivationError, SpecError
from .exercise import Exercise, asked_value, read_exercise, toml_number
from .files import mark_comment
from .limits import Limits, ResourceLimitError
from .losses import Loss, RationalLossGradient, RationalLossValue
from .network import Network
from .numbers import DecimalText, parse_number, to_exact
from .numbers import describe_toml_value as _describe
from .spec import Spec, parse_spec, read_spec_text, spec_document
from .trace import Trace

DEFAULT_MAX_DRAWS = 20_000
# A range is listed value by value, so its length is bounded.
MAX_RANGE_VALUES = 10_000

_CONSTRAINT_KEYS = (
    "max_decimals",
    "max_denominator",
    "max_abs",
    "allow_dead_relu",
    "allow_kink",
    "loss_decreases",
    "max_draws",
)
_DRAW_KEYS = ("choices", "range", "step", "exclude")
_PATH_EXAMPLES = (
    'a key path such as "layer.1.weights", "layer.2.biases.1", "layer.*.weights", '
    '"data.x", "data.y.1" or "training.learning_rate"'
)
_KINKED = ("relu", "leaky_relu")
_NUMBER = 'a number (integer, decimal, fraction such as "-3/8", or 2.5e-3)'

# Why a draw was rejected, by kind; ``{}`` is filled from the constraints.
REASONS = {
    "decimals": "a value that is not a decimal with at most {} decimal places",
    "denominator": "a value whose denominator is larger than {}",
    "magnitude": "a value larger than {} in absolute value",
    "not_rational": "a value that is not a rational number",
    "dead_relu": "a ReLU unit inactive for every sample of a step",
    "kink": "a pre-activation exactly at the kink of a ReLU",
    "loss": "a loss that does not decrease",
    "limit": "a value longer than the digit limit",
    "repeat": "the same draw as an earlier one",
    "same_answers": "the same asked values as an earlier variant",
}


class VariantsError(DerivationError):
    """The constraints rejected so many draws that too few variants were found."""


@dataclass(frozen=True)
class Constraints:
    """The conditions every value of a variant's solution must meet."""

    max_decimals: int | None = None
    max_denominator: int | None = None
    max_abs: sympy.Rational | None = None
    allow_dead_relu: bool = False
    allow_kink: bool = False
    loss_decreases: bool = True

    def number_problem(self, numerator: int, denominator: int) -> str | None:
        """Return the kind of rejection a rational value causes, or ``None``."""
        if self.max_decimals is not None and 10**self.max_decimals % denominator:
            return "decimals"
        if self.max_denominator is not None and denominator > self.max_denominator:
            return "denominator"
        if self.max_abs is not None and abs(numerator) > self.max_abs * denominator:
            return "magnitude"
        return None

    def value_problem(self, value: Any) -> str | None:
        """Return the kind of rejection a SymPy or ``Fraction`` value causes."""
        if isinstance(value, Fraction):
            return self.number_problem(value.numerator, value.denominator)
        if not isinstance(value, sympy.Rational):
            if self.max_decimals is None and self.max_denominator is None:
                return None
            return "not_rational"
        return self.number_problem(int(value.p), int(value.q))

    def reason(self, kind: str) -> str:
        """Describe a kind of rejection in words."""
        argument = {
            "decimals": self.max_decimals,
            "denominator": self.max_denominator,
            "magnitude": self.max_abs,
        }.get(kind)
        reason = REASONS[kind].format(argument)
        if argument == 1:
            reason = reason.replace("places", "place")
        return reason


@dataclass(frozen=True)
class Slot:
    """One drawn value: its entry path, where it goes, and the values to draw from.

    ``place`` is ``("weights", layer, row, column)``, ``("biases", layer,
    unit)``, ``("x" or "y", sample, entry)`` or ``("learning_rate",)``,
    counting from 0; ``shared`` marks the one bias of a shared-bias layer.
    """

    path: str
    place: tuple[Any, ...]
    values: tuple[sympy.Rational, ...]
    shared: bool = False


@dataclass(frozen=True)
class VariantPlan:
    """A spec's ``[variants]`` table: what to draw and what to keep."""

    slots: tuple[Slot, ...]
    constraints: Constraints
    max_draws: int = DEFAULT_MAX_DRAWS

    @property
    def combinations(self) -> int:
        """How many different draws there are."""
        return math.prod(len(slot.values) for slot in self.slots)


@dataclass(frozen=True)
class Variant:
    """One accepted variant: its number, drawn values, spec and solution.

    ``values`` maps each slot's entry path to its drawn value, and
    ``spec_text`` is the variant's spec file, which ``spec`` was read from.
    """

    number: int
    values: dict[str, sympy.Rational]
    spec_text: str
    exercise: Exercise
    trace: Trace

    @property
    def spec(self) -> Spec:
        """The variant's validated spec."""
        return self.exercise.spec


@dataclass
class Rejections:
    """How many draws were rejected, by kind, and where the first bad value sat."""

    counts: Counter[str] = field(default_factory=Counter)
    places: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, kind: str, place: str = "") -> None:
        """Count one rejected draw of ``kind`` at the key path ``place``."""
        self.counts[kind] += 1
        if place:
            self.places.setdefault(kind, Counter())[place] += 1

    @property
    def total(self) -> int:
        """The number of rejected draws."""
        return sum(self.counts.values())

    def lines(self, constraints: Constraints) -> list[str]:
        """Describe each kind of rejection, most frequent first."""
        lines = []
        for kind, count in sorted(self.counts.items(), key=lambda item: -item[1]):
            text = f"{count} with {constraints.reason(kind)}"
            places = self.places.get(kind)
            if places:
                place, _ = max(places.items(), key=lambda item: item[1])
                text += f" (most often at {place})"
            lines.append(text)
        return lines


@dataclass(frozen=True)
class VariantSet:
    """The variants drawn from one spec, and how many draws were rejected."""

    exercise: Exercise
    document: dict[str, Any]
    plan: VariantPlan
    seed: int
    variants: tuple[Variant, ...]
    draws: int
    rejections: Rejections

    def report(self) -> str:
        """Summarize the draws: accepted variants and each kind of rejection."""
        noun = "draw" if self.draws == 1 else "draws"
        text = (
            f"{len(self.variants)} variants from {self.draws} {noun} "
            f"(seed {self.seed}); {self.rejections.total} rejected"
        )
        lines = self.rejections.lines(self.plan.constraints)
        if not lines:
            return text + "\n"
        return text + ":\n" + "".join(f"  {line}\n" for line in lines)


# -- reading the [variants] table ---------------------------------------------


def read_variants(document: Mapping[str, Any], spec: Spec) -> VariantPlan:
    """Read the ``[variants]`` table of a spec's raw TOML document.

    Raises
    ------
    SpecError
        If the table is missing or invalid, a key path names no value of the
        spec, or a value that is not drawn breaks a constraint. The message
        names the spec's file.
    """
    try:
        return _read_plan(document, spec)
    except SpecError as error:
        raise error.in_file(spec.source or "<spec>") from None


def _read_plan(document: Mapping[str, Any], spec: Spec) -> VariantPlan:
    table = document.get("variants")
    if not isinstance(table, dict):
        found = "none" if table is None else _describe(table)
        raise SpecError("variants", "a [variants] table", found)
    constraints_table = {key: table[key] for key in _CONSTRAINT_KEYS if key in table}
    draws = _flatten_draws(
        {k: v for k, v in table.items() if k not in _CONSTRAINT_KEYS}
    )
    constraints, max_draws = _read_constraints(constraints_table)
    if not draws:
        raise SpecError(
            "variants", "at least one value to draw, such as " + _PATH_EXAMPLES, "none"
        )
    candidates = {path: _read_draw(path, value) for path, value in draws.items()}
    for path, values in candidates.items():
        _check_given(values, constraints, f"variants: {path}")
    slots = _slots(spec, candidates)
    _check_fixed_values(spec, slots, constraints)
    return VariantPlan(tuple(slots), constraints, max_draws)


def _flatten_draws(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Join nested tables into dotted paths; a table with a draw key is a leaf."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and not any(name in value for name in _DRAW_KEYS):
            flat.update(_flatten_draws(value, path))
        elif "." not in path:
            known = ", ".join(_CONSTRAINT_KEYS)
            raise SpecError(
                f"variants: {path}",
                f"a constraint ({known}) or {_PATH_EXAMPLES}",
                f"the unknown key {path!r}",
            )
        else:
            flat[path] = value
    return flat


def _read_constraints(table: Mapping[str, Any]) -> tuple[Constraints, int]:
    if "max_decimals" in table and "max_denominator" in table:
        raise SpecError("variants", "max_decimals or max_denominator, not both", "both")
    decimals = _count(table, "max_decimals", 0)
    denominator = _count(table, "max_denominator", 1)
    max_abs = None
    if "max_abs" in table:
        max_abs = _number(table["max_abs"], "variants: max_abs")
        if max_abs <= 0:
            raise SpecError(
                "variants: max_abs", "a number above 0", _describe(table["max_abs"])
            )
    flags = {
        key: _flag(table, key, default)
        for key, default in (
            ("allow_dead_relu", False),
            ("allow_kink", False),
            ("loss_decreases", True),
        )
    }
    max_draws = _count(table, "max_draws", 1)
    constraints = Constraints(decimals, denominator, max_abs, **flags)
    return constraints, DEFAULT_MAX_DRAWS if max_draws is None else max_draws


def _count(table: Mapping[str, Any], key: str, least: int) -> int | None:
    if key not in table:
        return None
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise SpecError(
            f"variants: {key}", f"an integer of at least {least}", _describe(value)
        )
    return value


def _flag(table: Mapping[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise SpecError(f"variants: {key}", "true or false", _describe(value))
    return value


def _number(value: Any, path: str) -> sympy.Rational:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SpecError(path, _NUMBER, _describe(value))
    try:
        return to_exact(value) if isinstance(value, int) else parse_number(value)
    except DerivationError:
        raise SpecError(path, _NUMBER, _describe(value)) from None


def _read_draw(path: str, value: Any) -> tuple[sympy.Rational, ...]:
    """Read ``{ choices = [...] }`` or ``{ range = [lo, hi], step = s }``."""
    key_path = f"variants: {path}"
    if not isinstance(value, dict):
        expected = "a table such as { choices = [-1, 1] } or { range = [1, 5] }"
        raise SpecError(key_path, expected, _describe(value))
    for key in value:
        if key not in _DRAW_KEYS:
            raise SpecError(
                f"{key_path}: {key}",
                f"a known key ({', '.join(_DRAW_KEYS)})",
                f"the unknown key {key!r}",
            )
    if ("choices" in value) == ("range" in value):
        found = "both" if "choices" in value else "neither"
        raise SpecError(key_path, "choices or range, one of them", found)
    if "choices" in value:
        if "step" in value:
            raise SpecError(f"{key_path}: step", "no step beside choices", "a step")
        values = _numbers(value["choices"], f"{key_path}: choices")
    else:
        values = _range(value, key_path)
    excluded = set()
    if "exclude" in value:
        excluded = set(_numbers(value["exclude"], f"{key_path}: exclude"))
    kept = tuple(dict.fromkeys(entry for entry in values if entry not in excluded))
    if not kept:
        raise SpecError(key_path, "at least one value to draw", "every value excluded")
    return kept


def _numbers(value: Any, path: str) -> list[sympy.Rational]:
    if not isinstance(value, list) or not value:
        raise SpecError(path, "a non-empty list of numbers", _describe(value))
    return [_number(entry, f"{path}: entry {i}") for i, entry in enumerate(value, 1)]


def _range(table: Mapping[str, Any], path: str) -> list[sympy.Rational]:
    bounds = _numbers(table["range"], f"{path}: range")
    if len(bounds) != 2 or bounds[0] > bounds[1]:
        found = "[" + ", ".join(str(bound) for bound in bounds) + "]"
        raise SpecError(f"{path}: range", "[lowest, highest], lowest first", found)
    step = sympy.Integer(1)
    if "step" in table:
        step = _number(table["step"], f"{path}: step")
        if step <= 0:
            raise SpecError(
                f"{path}: step", "a number above 0", _describe(table["step"])
            )
    low, high = bounds
    count = int((high - low) / step) + 1
    if count > MAX_RANGE_VALUES:
        expected = f"a range of at most {MAX_RANGE_VALUES} values"
        raise SpecError(f"{path}: range", expected, f"{count} values")
    return [low + index * step for index in range(count)]


def _check_given(
    values: Sequence[sympy.Expr], constraints: Constraints, path: str
) -> None:
    """Reject a given value that breaks the number constraints."""
    for value in values:
        kind = constraints.value_problem(value)
        if kind is not None:
            raise SpecError(
                path,
                "values that meet the constraints",
                f"{value}, {constraints.reason(kind)}",
            )


# -- slots: the values that are drawn -------------------------------------------


def _slots(spec: Spec, draws: Mapping[str, tuple[sympy.Rational, ...]]) -> list[Slot]:
    """List every drawn value in a fixed order, each with its draw.

    Raises
    ------
    SpecError
        If a key path names no value of the spec.
    """
    for path in draws:
        _check_path(path, spec)
    used: set[str] = set()
    slots = []
    for path, place, covering, shared in _entries(spec):
        for key in covering:
            if key in draws:
                slots.append(Slot(path, place, draws[key], shared))
                used.add(key)
                break
    for path in draws:
        if path not in used:
            raise SpecError(
                f"variants: {path}", _PATH_EXAMPLES, "a path that names no value"
            )
    return slots


def _entries(spec: Spec) -> Iterator[tuple[str, tuple[Any, ...], list[str], bool]]:
    """Yield every value that may be drawn: path, place, covering keys, shared."""
    for number, layer in enumerate(spec.network.layers, start=1):
        base = f"layer.{number}"
        for row in range(layer.units):
            for column in range(layer.inputs):
                path = f"{base}.weights.{row + 1}.{column + 1}"
                covering = [path, f"{base}.weights", "layer.*.weights"]
                yield path, ("weights", number - 1, row, column), covering, False
        if layer.bias == "shared":
            covering = [f"{base}.biases", "layer.*.biases"]
            yield f"{base}.biases", ("biases", number - 1, 0), covering, True
        elif layer.bias != "none":
            for unit in range(layer.units):
                path = f"{base}.biases.{unit + 1}"
                covering = [path, f"{base}.biases", "layer.*.biases"]
                yield path, ("biases", number - 1, unit), covering, False
    for name in ("x", "y"):
        matrix = getattr(spec, name)
        for sample in range(matrix.cols):
            for entry in range(matrix.rows):
                if matrix.cols == 1:
                    path = f"data.{name}.{entry + 1}"
                    covering = [path, f"data.{name}"]
                else:
                    sample_path = f"data.{name}.{sample + 1}"
                    path = f"{sample_path}.{entry + 1}"
                    covering = [path, sample_path, f"data.{name}"]
                yield path, (name, sample, entry), covering, False
    yield (
        "training.learning_rate",
        ("learning_rate",),
        ["training.learning_rate"],
        False,
    )


_INDEX = re.compile(r"[1-9][0-9]*")


def _check_path(path: str, spec: Spec) -> None:
    """Check that a key path names values of the spec, with a precise message."""
    parts = path.split(".")
    key_path = f"variants: {path}"
    if parts[0] == "layer" and len(parts) >= 3:
        _check_layer_path(parts, spec, key_path)
    elif parts[0] == "data" and len(parts) >= 2 and parts[1] in ("x", "y"):
        matrix = getattr(spec, parts[1])
        shape = [matrix.cols, matrix.rows] if matrix.cols > 1 else [matrix.rows]
        names = ["sample", "entry"] if matrix.cols > 1 else ["entry"]
        _check_indices(parts[2:], shape, names, key_path)
    elif parts == ["training", "learning_rate"]:
        return
    else:
        raise SpecError(key_path, _PATH_EXAMPLES, repr(path))


def _check_layer_path(parts: list[str], spec: Spec, key_path: str) -> None:
    layers = spec.network.layers
    if parts[1] == "*":
        if len(parts) != 3 or parts[2] not in ("weights", "biases"):
            raise SpecError(
                key_path, '"layer.*.weights" or "layer.*.biases"', repr(".".join(parts))
            )
        return
    if not _INDEX.fullmatch(parts[1]) or int(parts[1]) > len(layers):
        found = f"layer {parts[1]} (the spec has {len(layers)} layers)"
        raise SpecError(key_path, f"a layer from 1 to {len(layers)}", found)
    layer = layers[int(parts[1]) - 1]
    if parts[2] == "weights":
        shape, names = [layer.units, layer.inputs], ["row", "column"]
    elif parts[2] == "biases":
        if layer.bias == "none":
            raise SpecError(
                key_path, "a layer with biases", f"layer {parts[1]}, which has no bias"
            )
        shape = [1] if layer.bias == "shared" else [layer.units]
        names = ["unit"]
        if layer.bias == "shared" and len(parts) > 3:
            raise SpecError(
                key_path,
                f"layer.{parts[1]}.biases (one shared bias)",
                repr(".".join(parts)),
            )
    else:
        raise SpecError(key_path, _PATH_EXAMPLES, repr(".".join(parts)))
    _check_indices(parts[3:], shape, names, key_path)


def _check_indices(
    indices: list[str], shape: list[int], names: list[str], key_path: str
) -> None:
    if len(indices) > len(shape):
        raise SpecError(
            key_path,
            f"at most {len(shape)} indices ({', '.join(names)})",
            f"{len(indices)}",
        )
    for index, size, name in zip(indices, shape, names):
        if not _INDEX.fullmatch(index) or int(index) > size:
            raise SpecError(key_path, f"a {name} from 1 to {size}", repr(index))


def _check_fixed_values(
    spec: Spec, slots: list[Slot], constraints: Constraints
) -> None:
    """Reject a value that is not drawn and already breaks a number constraint."""
    drawn = {slot.place for slot in slots}
    for path, place, _, _ in _entries(spec):
        if place in drawn:
            continue
        value = _base_value(spec, place)
        kind = constraints.value_problem(value)
        if kind is not None:
            raise SpecError(
                f"variants: {path}",
                "a value that meets the constraints, or a draw for it",
                f"{value}, {constraints.reason(kind)}",
            )


def _base_value(spec: Spec, place: tuple[Any, ...]) -> sympy.Expr:
    kind = place[0]
    if kind == "weights":
        return spec.network.layers[place[1]].W[place[2], place[3]]
    if kind == "biases":
        return spec.network.layers[place[1]].b[place[2], 0]
    if kind in ("x", "y"):
        return getattr(spec, kind)[place[2], place[1]]
    return spec.learning_rate


# -- drawing ------------------------------------------------------------------------


def load_variants(
    path: str | Path, count: int, seed: int = 0, limits: Limits | None = None
) -> VariantSet:
    """Read a spec file with a ``[variants]`` table and draw ``count`` variants.

    Raises
    ------
    SpecError
        If the spec, its ``[exercise]`` or its ``[variants]`` table is invalid.
    VariantsError
        If the constraints reject so many draws that fewer than ``count``
        variants are found; the message counts the rejections by kind.
    """
    text = read_spec_text(path, limits)
    spec = parse_spec(text, source=str(path), limits=limits)
    return draw_variants(spec_document(text, str(path)), spec, count, seed, limits)


def parse_variants(
    text: str,
    count: int,
    seed: int = 0,
    source: str = "<spec>",
    limits: Limits | None = None,
) -> VariantSet:
    """Draw ``count`` variants from the text of a spec; as :func:`load_variants`."""
    spec = parse_spec(text, source=source, limits=limits)
    return draw_variants(spec_document(text, source), spec, count, seed, limits)


def draw_variants(
    document: Mapping[str, Any],
    spec: Spec,
    count: int,
    seed: int = 0,
    limits: Limits | None = None,
) -> VariantSet:
    """Draw ``count`` variants of a spec, given its raw TOML ``document``.

    Raises
    ------
    DerivationError
        If ``count`` is not a positive integer or ``seed`` not an integer.
    SpecError, VariantsError
        As :func:`load_variants`.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise DerivationError(f"count must be a positive integer, not {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DerivationError(f"seed must be an integer, not {seed!r}")
    exercise = read_exercise(document, spec)
    plan = read_variants(document, spec)
    source = spec.source or "<spec>"
    if plan.combinations < count:
        raise VariantsError(
            f"{source}: variants: the draws allow only {plan.combinations} "
            f"different {'variant' if plan.combinations == 1 else 'variants'}, "
            f"fewer than the {count} requested; add choices or widen the ranges"
        )
    drawer = _Drawer(dict(document), exercise, plan, limits)
    variants, draws = drawer.run(count, random.Random(seed))
    result = VariantSet(
        exercise, dict(document), plan, seed, tuple(variants), draws, drawer.rejections
    )
    if len(variants) < count:
        raise VariantsError(_shortfall(result, count, source))
    return result


def _shortfall(result: VariantSet, count: int, source: str) -> str:
    plan = result.plan
    if result.draws >= plan.max_draws:
        stopped = f"after max_draws = {plan.max_draws} draws"
    else:
        stopped = f"after trying all {plan.combinations} possible draws"
    lines = result.rejections.lines(plan.constraints)
    return (
        f"{source}: variants: the constraints cannot be met often enough: found "
        f"{len(result.variants)} of {count} variants {stopped}. Rejected draws: "
        + "; ".join(lines)
        + ". Widen the choices or ranges, relax a constraint, or raise max_draws."
    )


class _Drawer:
    """Draws values, checks them as they are computed, and keeps the good ones."""

    def __init__(
        self,
        document: dict[str, Any],
        exercise: Exercise,
        plan: VariantPlan,
        limits: Limits | None,
    ) -> None:
        self.document = document
        self.exercise = exercise
        self.spec = exercise.spec
        self.plan = plan
        self.limits = limits
        self.rejections = Rejections()
        self.screen = _Screen.for_spec(self.spec, plan)
        self.sizes = [len(slot.values) for slot in plan.slots]

    def run(self, count: int, rng: random.Random) -> tuple[list[Variant], int]:
        seen: set[tuple[int, ...]] = set()
        answers: set[tuple[str, ...]] = set()
        variants: list[Variant] = []
        draws = 0
        combinations = self.plan.combinations
        while len(variants) < count and draws < self.plan.max_draws:
            if len(seen) == combinations:
                break
            draws += 1
            # Draws are indices into each slot's values, which are cheaper to
            # compare and hash than SymPy numbers.
            indices = tuple(rng.randrange(size) for size in self.sizes)
            if indices in seen:
                self.rejections.add("repeat")
                continue
            seen.add(indices)
            variant = self.check(indices, len(variants) + 1)
            if variant is None:
                continue
            key = _answer_tuple(variant)
            if key in answers:
                self.rejections.add("same_answers")
                continue
            answers.add(key)
            variants.append(variant)
        return variants, draws

    def check(self, indices: tuple[int, ...], number: int) -> Variant | None:
        """Return the variant of a draw, or ``None`` after counting its rejection."""
        if self.screen is not None:
            rejection = self.screen.run(indices)
            if rejection is not None:
                self.rejections.add(*rejection)
                return None
        values = tuple(
            slot.values[index] for slot, index in zip(self.plan.slots, indices)
        )
        variant = self.build(values, number)
        if variant is None:
            return None
        rejection = check_trace(variant.trace, self.plan.constraints)
        if rejection is not None:
            self.rejections.add(*rejection)
            return None
        return variant

    def build(self, values: tuple[sympy.Rational, ...], number: int) -> Variant | None:
        from .engine import solve
        from .errors import LimitError

        drawn = {slot.path: value for slot, value in zip(self.plan.slots, values)}
        text = variant_spec_text(
            self.document, self.spec, self.plan.slots, values, number
        )
        source = f"variant {number} of {self.spec.source or '<spec>'}"
        spec = parse_spec(text, source=source, limits=self.limits)
        exercise = Exercise(
            spec,
            self.exercise.asked,
            self.exercise.instructions,
            self.exercise.formulas,
        )
        try:
            trace = solve(spec)
        except (LimitError, ResourceLimitError):
            self.rejections.add("limit")
            return None
        return Variant(number, drawn, text, exercise, trace)


def _answer_tuple(variant: Variant) -> tuple[str, ...]:
    values = []
    for quantity in variant.exercise.asked:
        value = asked_value(variant.trace, quantity)
        values.append("" if value is None else str(list(value)))
    return tuple(values)


# -- the checks ---------------------------------------------------------------------

Rejection = tuple[str, str]


def check_trace(trace: Trace, constraints: Constraints) -> Rejection | None:
    """Check every value of a solution against the constraints, in computation order.

    Returns the kind of the first broken constraint and the key path of the
    value that breaks it, or ``None`` if the solution meets every one.
    """
    losses = []
    for step in trace.steps:
        layers = trace.network.layers
        for number, (layer, record) in enumerate(zip(layers, step.layers), start=1):
            where = f"step {step.number}: layer {number}"
            for name in ("W", "b", "a_prev", "z"):
                found = _matrix_problem(
                    getattr(record, name), constraints, f"{where}: {name}"
                )
                if found:
                    return found
            found = _activation_problem(
                layer.activation.name, record.z, constraints, where
            )
            if found:
                return found
            found = _matrix_problem(record.a, constraints, f"{where}: a")
            if found:
                return found
        kind = constraints.value_problem(step.loss)
        if kind:
            return kind, f"step {step.number}: loss"
        losses.append(step.loss)
        for number in range(len(layers), 0, -1):
            record = step.layers[number - 1]
            where = f"step {step.number}: layer {number}"
            for name in (
                "da",
                "slope",
                "dz",
                "dW",
                "db",
                "da_prev",
                "W_after",
                "b_after",
                "vW",
                "vb",
            ):
                value = getattr(record, name, None)
                if value is None:
                    continue
                found = _matrix_problem(value, constraints, f"{where}: {name}")
                if found:
                    return found
    if constraints.loss_decreases:
        return _loss_problem(trace, losses)
    return None


def _matrix_problem(
    matrix: Any, constraints: Constraints, where: str
) -> Rejection | None:
    for entry in matrix:
        kind = constraints.value_problem(entry)
        if kind:
            return kind, where
    return None


def _activation_problem(
    name: str, z: sympy.Matrix, constraints: Constraints, where: str
) -> Rejection | None:
    if name not in _KINKED:
        return None
    if not constraints.allow_kink and any(entry == 0 for entry in z):
        return "kink", f"{where}: z"
    if name == "relu" and not constraints.allow_dead_relu:
        for row in range(z.rows):
            if all(_is_negative(entry) for entry in z.row(row)):
                return "dead_relu", f"{where}: z"
    return None


def _is_negative(value: sympy.Expr) -> bool:
    return bool(value.is_negative)


def _loss_problem(trace: Trace, step_losses: list[sympy.Expr]) -> Rejection | None:
    """Check that the loss on all samples falls with every step and after the last."""
    if trace.x.cols == 1:
        losses = list(step_losses)
    else:
        losses = [_data_loss(trace, _network_of(trace, step)) for step in trace.steps]
    losses.append(_data_loss(trace, trace.final_network))
    for index in range(1, len(losses)):
        before, after = losses[index - 1], losses[index]
        if not _is_less(after, before):
            if index < len(trace.steps):
                return "loss", f"step {index + 1}: loss"
            return "loss", f"the loss after step {len(trace.steps)}"
    return None


def _is_less(after: sympy.Expr, before: sympy.Expr) -> bool:
    return bool((before - after).is_positive)


def _network_of(trace: Trace, step: Any) -> Network:
    layers = [
        layer.with_parameters(record.W, record.b)
        for layer, record in zip(trace.network.layers, step.layers)
    ]
    return Network(layers)


def _data_loss(trace: Trace, network: Network) -> sympy.Expr:
    """Return the summed loss of every sample under ``network``'s parameters."""
    from .engine import forward

    output = forward(network, trace.x)[-1][2]
    total = sympy.Integer(0)
    for column in range(trace.x.cols):
        total += trace.loss.value(output[:, column], trace.y[:, column])
    return total


class _Screen:
    """Checks a draw in fast exact arithmetic, stopping at the first bad value.

    It repeats the engine's equations for the plain case only: one sample,
    exact training without rounding, plain gradient descent, a bias per
    unit, no frozen parameters, and activations and a loss with rational
    functions. :meth:`for_spec` returns ``None`` for any other spec, and the
    engine's solution is checked instead. A draw that the screen passes is
    solved and checked again by :func:`check_trace`, so the screen can only
    reject early, and the tests check that both agree draw by draw.
    """

    def __init__(self, spec: Spec, plan: VariantPlan) -> None:
        self.plan = plan
        self.check_number = _number_check(plan.constraints)
        self.constraints = plan.constraints
        self.steps = spec.step_count
        self.loss = _exact_loss(spec.loss)
        self.activations = [
            _exact_activation(layer.activation) for layer in spec.network.layers
        ]
        self.weights = [_rationals(layer.W) for layer in spec.network.layers]
        self.biases = [_rationals(layer.b.T)[0] for layer in spec.network.layers]
        self.x = _rationals(spec.x.T)[0]
        self.y = _rationals(spec.y.T)[0]
        self.rate = _rational(spec.learning_rate)
        self.values = [
            [_rational(value) for value in slot.values] for slot in plan.slots
        ]

    @classmethod
    def for_spec(cls, spec: Spec, plan: VariantPlan) -> _Screen | None:
        """Return a screen for ``spec``, or ``None`` if it is not the plain case."""
        layers = spec.network.layers
        given = (*spec.x, *spec.y, spec.learning_rate)
        plain = (
            spec.x.cols == 1
            and spec.rounding is None
            and spec.optimizer.is_plain
            and spec.loss.rational_value is not None
            and spec.loss.rational_gradient is not None
            and not spec.loss.combines_with(layers[-1].activation.name)
            and all(_plain_layer(layer) for layer in layers)
            and all(isinstance(value, sympy.Rational) for value in given)
        )
        return cls(spec, plan) if plain else None

    def run(self, indices: tuple[int, ...]) -> Rejection | None:
        """Return the first broken constraint of a draw, or ``None``."""
        weights = [[list(row) for row in matrix] for matrix in self.weights]
        biases = [list(vector) for vector in self.biases]
        data = {"x": list(self.x), "y": list(self.y)}
        rate = self.rate
        for slot, values, index in zip(self.plan.slots, self.values, indices):
            number = values[index]
            kind = slot.place[0]
            if kind == "weights":
                weights[slot.place[1]][slot.place[2]][slot.place[3]] = number
            elif kind == "biases":
                vector = biases[slot.place[1]]
                units = range(len(vector)) if slot.shared else [slot.place[2]]
                for unit in units:
                    vector[unit] = number
            elif kind in data:
                data[kind][slot.place[2]] = number
            else:
                rate = number
        run = _Run(self, weights, biases, data["x"], data["y"], rate)
        try:
            return run.check()
        except _Rejected as rejected:
            return rejected.rejection


@dataclass(frozen=True)
class _ExactActivation:
    """An activation's name and its functions on exact rationals."""

    name: str
    rational_function: RationalFunction
    rational_slope: RationalFunction


@dataclass(frozen=True)
class _ExactLoss:
    """A loss's functions on exact rationals."""

    rational_value: RationalLossValue
    rational_gradient: RationalLossGradient


def _exact_activation(activation: Activation) -> _ExactActivation:
    function, slope = activation.rational_function, activation.rational_slope
    if function is None or slope is None:
        raise TypeError(f"activation {activation.name!r} has no rational form")
    return _ExactActivation(activation.name, function, slope)


def _exact_loss(loss: Loss) -> _ExactLoss:
    value, gradient = loss.rational_value, loss.rational_gradient
    if value is None or gradient is None:
        raise TypeError(f"loss {loss.name!r} has no rational form")
    return _ExactLoss(value, gradient)


_Rational: type[fmpq] | type[Fraction]
try:
    from flint import fmpq

    _Rational = fmpq
except ImportError:  # pragma: no cover - python-flint is a dependency
    _Rational = Fraction


def _rational(value: sympy.Rational) -> Any:
    return _Rational(int(value.p), int(value.q))


def _rationals(matrix: sympy.Matrix) -> list[list[Any]]:
    return [[_rational(entry) for entry in row] for row in matrix.tolist()]


def _plain_layer(layer: Any) -> bool:
    activation = layer.activation
    return (
        layer.bias == "per_unit"
        and not layer.frozen
        and activation.elementwise
        and activation.rational_function is not None
        and activation.rational_slope is not None
        and all(isinstance(entry, sympy.Rational) for entry in (*layer.W, *layer.b))
    )


def _number_check(constraints: Constraints) -> Any:
    """Return a function from a rational to the kind of rejection it causes."""
    scale = None if constraints.max_decimals is None else 10**constraints.max_decimals
    largest = constraints.max_denominator
    bound = None if constraints.max_abs is None else _rational(constraints.max_abs)

    def problem(value: Any) -> str | None:
        if scale is not None and scale % value.denominator:
            return "decimals"
        if largest is not None and value.denominator > largest:
            return "denominator"
        if bound is not None and abs(value) > bound:
            return "magnitude"
        return None

    return problem


class _Rejected(Exception):
    """Ends a screened run at its first broken constraint."""

    def __init__(self, kind: str, where: str) -> None:
        super().__init__(kind, where)
        self.rejection = (kind, where)


class _Run:
    """One screened training run, checked in the order of :func:`check_trace`."""

    def __init__(
        self,
        screen: _Screen,
        weights: list[list[list[Any]]],
        biases: list[list[Any]],
        x: list[Any],
        y: list[Any],
        rate: Any,
    ) -> None:
        self.screen = screen
        self.constraints = screen.constraints
        self.weights = weights
        self.biases = biases
        self.x = x
        self.y = y
        self.rate = rate

    def need(self, values: Sequence[Any], where: str) -> None:
        """Raise :class:`_Rejected` at the first value that breaks a constraint."""
        check = self.screen.check_number
        for value in values:
            kind = check(value)
            if kind:
                raise _Rejected(kind, where)

    def check(self) -> Rejection | None:
        losses = [self.step(step) for step in range(1, self.screen.steps + 1)]
        if not self.constraints.loss_decreases:
            return None
        a = self.x
        for W, b, activation in zip(self.weights, self.biases, self.screen.activations):
            a = [activation.rational_function(entry) for entry in _affine(W, a, b)]
        losses.append(self.screen.loss.rational_value(a, self.y))
        for index in range(1, len(losses)):
            if not losses[index] < losses[index - 1]:
                if index < self.screen.steps:
                    return "loss", f"step {index + 1}: loss"
                return "loss", f"the loss after step {self.screen.steps}"
        return None

    def step(self, step: int) -> Any:
        """Check the values of one step, update the parameters, return the loss."""
        inputs, pre = [], []
        a = self.x
        layers = zip(self.weights, self.biases, self.screen.activations)
        for number, (W, b, activation) in enumerate(layers, start=1):
            where = f"step {step}: layer {number}"
            self.need([entry for row in W for entry in row], f"{where}: W")
            self.need(b, f"{where}: b")
            self.need(a, f"{where}: a_prev")
            z = _affine(W, a, b)
            self.need(z, f"{where}: z")
            _screen_activation(activation.name, z, self.constraints, where)
            inputs.append(a)
            pre.append(z)
            a = [activation.rational_function(entry) for entry in z]
            self.need(a, f"{where}: a")
        loss = self.screen.loss.rational_value(a, self.y)
        self.need([loss], f"step {step}: loss")
        da = list(self.screen.loss.rational_gradient(a, self.y))
        updates = []
        for index in range(len(self.weights) - 1, -1, -1):
            da, update = self.backward(step, index, da, inputs[index], pre[index])
            updates.append(update)
        for index, (W_after, b_after) in enumerate(reversed(updates)):
            self.weights[index] = W_after
            self.biases[index] = b_after
        return loss

    def backward(
        self, step: int, index: int, da: list[Any], a_prev: list[Any], z: list[Any]
    ) -> tuple[list[Any], tuple[Any, Any]]:
        """Check the gradients and updates of one layer; return dL/da of its input."""
        where = f"step {step}: layer {index + 1}"
        W, b = self.weights[index], self.biases[index]
        activation = self.screen.activations[index]
        self.need(da, f"{where}: da")
        slope = [activation.rational_slope(entry) for entry in z]
        self.need(slope, f"{where}: slope")
        dz = [gradient * factor for gradient, factor in zip(da, slope)]
        self.need(dz, f"{where}: dz")
        dW = [[gradient * value for value in a_prev] for gradient in dz]
        self.need([entry for row in dW for entry in row], f"{where}: dW")
        self.need(dz, f"{where}: db")
        columns = range(len(a_prev))
        da_prev = [
            sum((row[j] * d for row, d in zip(W, dz)), _Rational(0)) for j in columns
        ]
        self.need(da_prev, f"{where}: da_prev")
        rate = self.rate
        W_after = [
            [w - rate * g for w, g in zip(row, grad)] for row, grad in zip(W, dW)
        ]
        self.need([entry for row in W_after for entry in row], f"{where}: W_after")
        b_after = [bias - rate * d for bias, d in zip(b, dz)]
        self.need(b_after, f"{where}: b_after")
        return da_prev, (W_after, b_after)


def _affine(W: list[list[Any]], a: list[Any], b: list[Any]) -> list[Any]:
    return [sum((w * v for w, v in zip(row, a)), bias) for row, bias in zip(W, b)]


def _screen_activation(
    name: str, z: list[Any], constraints: Constraints, where: str
) -> None:
    if name not in _KINKED:
        return
    if not constraints.allow_kink and any(entry == 0 for entry in z):
        raise _Rejected("kink", f"{where}: z")
    if name == "relu" and not constraints.allow_dead_relu:
        if any(entry < 0 for entry in z):
            raise _Rejected("dead_relu", f"{where}: z")


# -- the variant's spec file ----------------------------------------------------------


def variant_spec_text(
    document: Mapping[str, Any],
    spec: Spec,
    slots: Sequence[Slot],
    values: Sequence[sympy.Rational],
    number: int,
) -> str:
    """Write the spec file of one variant: the spec with the drawn values put in.

    The ``[variants]`` table is left out, so the file describes one exercise,
    and the title gains ``(variant N)``.
    """
    variant = copy.deepcopy(
        {key: value for key, value in document.items() if key != "variants"}
    )
    placed = _placed_values(spec, slots, values)
    layers = variant.get("layer", [])
    for index, table in enumerate(layers):
        if ("weights", index) in placed:
            table["weights"] = placed["weights", index]
        if ("biases", index) in placed:
            table["biases"] = placed["biases", index]
    for name in ("x", "y"):
        if (name, 0) in placed:
            variant["data"][name] = placed[name, 0]
    if ("learning_rate", 0) in placed:
        variant["training"]["learning_rate"] = placed["learning_rate", 0]
    title = spec.title or "Exercise"
    variant = {"title": f"{title} (variant {number})"} | {
        key: value for key, value in variant.items() if key != "title"
    }
    origin = Path(spec.source).name if spec.source else "a spec"
    header = [
        mark_comment("#"),
        f"# Variant {number}, drawn from {origin}.",
        "",
    ]
    return "\n".join(header) + "\n" + toml_document(variant)


class _Number(str):
    """A number already written as TOML, such as ``-0.5`` or ``"1/3"``."""


def _placed_values(
    spec: Spec, slots: Sequence[Slot], values: Sequence[sympy.Rational]
) -> dict[tuple[str, int], Any]:
    """Return the new TOML value of every matrix or vector with a drawn entry."""
    layers = spec.network.layers
    matrices: dict[tuple[str, int], sympy.Matrix] = {}
    shared: set[int] = set()
    for slot, value in zip(slots, values):
        kind = slot.place[0]
        if kind == "weights":
            key = ("weights", slot.place[1])
            matrix = matrices.setdefault(key, sympy.Matrix(layers[slot.place[1]].W))
            matrix[slot.place[2], slot.place[3]] = value
        elif kind == "biases":
            key = ("biases", slot.place[1])
            matrix = matrices.setdefault(key, sympy.Matrix(layers[slot.place[1]].b))
            matrix[slot.place[2], 0] = value
            if slot.shared:
                shared.add(slot.place[1])
        elif kind in ("x", "y"):
            matrix = matrices.setdefault((kind, 0), sympy.Matrix(getattr(spec, kind)))
            matrix[slot.place[2], slot.place[1]] = value
        else:
            matrices["learning_rate", 0] = sympy.Matrix([[value]])
    placed: dict[tuple[str, int], Any] = {}
    for (kind, index), matrix in matrices.items():
        written = [
            [_Number(toml_number(entry)) for entry in row] for row in matrix.tolist()
        ]
        if kind == "weights":
            placed[kind, index] = written
        elif kind == "biases" and index in shared:
            placed[kind, index] = written[0][0]
        elif kind == "learning_rate":
            placed[kind, index] = written[0][0]
        elif matrix.cols == 1:
            placed[kind, index] = [row[0] for row in written]
        else:
            # Samples are the columns of x and y, and a spec lists one per row.
            placed[kind, index] = [list(column) for column in zip(*written)]
    return placed


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_document(document: Mapping[str, Any]) -> str:
    """Write a TOML document: top-level values, tables, then arrays of tables.

    Tables nested in a table are written inline. Decimals read as
    :class:`~derivation.numbers.DecimalText` are written as they were read.
    """
    lines = []
    for key, value in document.items():
        if not isinstance(value, dict) and not _is_table_array(value):
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in document.items():
        if isinstance(value, dict):
            lines += ["", f"[{_toml_key(key)}]"]
            lines += [
                f"{_toml_key(name)} = {_toml_value(item)}"
                for name, item in value.items()
            ]
        elif _is_table_array(value):
            for table in value:
                lines += ["", f"[[{_toml_key(key)}]]"]
                lines += [
                    f"{_toml_key(name)} = {_toml_value(item)}"
                    for name, item in table.items()
                ]
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) for item in value)
    )


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, _Number | DecimalText):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(
            f"{_toml_key(key)} = {_toml_value(item)}" for key, item in value.items()
        )
        return "{ " + items + " }" if items else "{}"
    raise DerivationError(
        f"cannot write {value!r} of type {type(value).__name__} as TOML"
    )


def _toml_string(text: str) -> str:
    escaped = []
    for character in text:
        if character in _ESCAPES:
            escaped.append(_ESCAPES[character])
        elif ord(character) < 0x20 or ord(character) == 0x7F:
            escaped.append(f"\\u{ord(character):04X}")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'


# -- output files -------------------------------------------------------------------

_EXTENSIONS = {"latex": "tex", "markdown": "md", "html": "html"}


def variant_files(
    variant_set: VariantSet,
    output_format: str = "latex",
    *,
    notation: Any = None,
    numbers: Any = None,
    detail: Any = None,
    diagram: bool | None = None,
) -> dict[str, str]:
    """Write every output file of a variant set as text, keyed by relative path.

    Each variant gets a folder ``variant-NN`` with ``spec.toml`` (its spec),
    ``exercise`` (the sheet), ``solution`` (the full derivation) and
    ``answers.toml`` (the key for ``derivation check``). ``teacher`` contains
    every variant with its key, and ``variants.json`` the seed, the drawn
    values and the rejected draws. ``diagram`` ``None`` follows the spec.
    """
    from .render.exercise import exercise_document, render_document, teacher_document
    from .render.writer import write_document

    if output_format not in _EXTENSIONS:
        raise DerivationError(
            f"format: expected one of {', '.join(_EXTENSIONS)}, found {output_format!r}"
        )
    extension = _EXTENSIONS[output_format]
    width = max(2, len(str(len(variant_set.variants))))
    files: dict[str, str] = {}
    for variant in variant_set.variants:
        spec = variant.spec
        shown = {
            "notation": notation or spec.notation,
            "numbers": numbers or spec.numbers,
            "detail": detail,
        }
        draw = spec.diagram if diagram is None else diagram
        folder = f"variant-{variant.number:0{width}d}"
        sheet = exercise_document(
            variant.exercise, variant.trace, title=spec.title, diagram=draw, **shown
        )
        solution = write_document(
            variant.trace, title=spec.title, diagram=draw, **shown
        )
        files[f"{folder}/spec.toml"] = variant.spec_text
        files[f"{folder}/exercise.{extension}"] = _marked(
            render_document(sheet, output_format), output_format
        )
        files[f"{folder}/solution.{extension}"] = _marked(
            render_document(solution, output_format), output_format
        )
        files[f"{folder}/answers.toml"] = answer_key_text(variant)
    base = variant_set.exercise.spec
    teacher = teacher_document(
        variant_set,
        title=f"{base.title or 'Exercise'}: {len(variant_set.variants)} variants",
        notation=notation or base.notation,
        numbers=numbers or base.numbers,
        detail=detail,
    )
    text = render_document(teacher, output_format)
    if output_format == "latex":
        text = _with_page_breaks(text, len(variant_set.variants))
    files[f"teacher.{extension}"] = _marked(text, output_format)
    files["variants.json"] = manifest_text(variant_set, width)
    return files


def answer_key_text(variant: Variant) -> str:
    """Write a variant's answer key, an answer file that names the variant."""
    from .exercise import answer_key

    return answer_key(variant.trace, variant.exercise.asked, variant.spec.title)


def _with_page_breaks(latex: str, count: int) -> str:
    """Start every variant after the first on a new page."""
    from .render.document import Heading
    from .render.latex import latex_block

    for number in range(2, count + 1):
        heading = latex_block(Heading(1, f"Variant {number}"))
        latex = latex.replace(f"\n\n{heading}", f"\n\n\\clearpage\n{heading}", 1)
    return latex


def _marked(text: str, output_format: str) -> str:
    """Start Markdown and HTML with the mark comment that LaTeX output has."""
    if output_format == "latex":
        return text
    comment = mark_comment("<!--") + " -->"
    if output_format == "html":
        doctype, _, rest = text.partition("\n")
        return f"{doctype}\n{comment}\n{rest}"
    return f"{comment}\n{text}"


def manifest_text(variant_set: VariantSet, width: int = 2) -> str:
    """Write the JSON record of a variant set: seed, drawn values, rejections."""
    import json

    from .files import version_text

    rejections = variant_set.rejections
    constraints = variant_set.plan.constraints
    document = {
        "written_by": version_text(),
        "source": Path(variant_set.exercise.spec.source or "<spec>").name,
        "seed": variant_set.seed,
        "count": len(variant_set.variants),
        "draws": variant_set.draws,
        "rejected": {
            kind: {"count": count, "reason": constraints.reason(kind)}
            for kind, count in sorted(rejections.counts.items())
        },
        "variants": [
            {
                "number": variant.number,
                "folder": f"variant-{variant.number:0{width}d}",
                "values": {path: str(value) for path, value in variant.values.items()},
            }
            for variant in variant_set.variants
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def write_variant_files(
    files: Mapping[str, str], folder: str | Path, *, force: bool = False
) -> list[Path]:
    """Write the files of :func:`variant_files` into ``folder``.

    Every target is checked before the first is written, so a file that
    derivation did not write stops the whole run unless ``force`` is given.
    Each file is replaced atomically; if writing fails part way, the files
    written so far are complete and the others unchanged.

    Raises
    ------
    DerivationError
        If a target exists and was not written by derivation (without
        ``force``), or a file cannot be written.
    """
    from .files import check_replaceable, write_output

    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise DerivationError(f"cannot write into {folder}: it is not a folder")
    targets = [root / relative for relative in files]
    for target in targets:
        check_replaceable(target, force=force)
    for target, text in zip(targets, files.values()):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DerivationError(
                f"cannot create the folder {target.parent}: {error.strerror or error}"
            ) from None
        write_output(target, text)
    return targets
