"""Compare a float64 run with the exact run of the same problem.

:func:`compare` measures, for every recorded quantity, the largest absolute
and relative difference between the float64 value and the exact value, and
where it occurs. Differences are computed exactly (a float64 is a rational
number), so the comparison itself adds no rounding. Each difference is also
set against the entry's rounding bound from :mod:`derivation.float_bound`.

A ReLU pre-activation that is exactly 0, or whose float64 value has the other
sign, is reported by name as a kink, because there the two runs may follow
different branches and differ by far more than rounding.

>>> from derivation.engine import train
>>> from derivation.float_engine import train_float
>>> from derivation.network import Layer, Network
>>> net = Network([Layer([[1], [-1]], ["0.1", "0.2"], "relu"),
...                Layer([[1, 1]], [0], "identity")])
>>> trace = train(net, ["0.3"], [1], learning_rate="0.1", steps=2)
>>> float_trace = train_float(net, ["0.3"], [1], learning_rate="0.1", steps=2)
>>> comparison = compare(trace, float_trace)
>>> comparison.within_bound, comparison.kinks
(True, ())
>>> comparison["W_after"].max_bound_ratio < 1
True
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from .errors import DerivationError
from .float_bound import (
    GUARANTEE_FACTOR,
    UNIT_ROUNDOFF,
    RoundingBound,
    rounding_bound,
)
from .float_engine import FloatTrace
from .numbers import exact_string
from .quantities import exact_sign, numeric
from .trace import Trace

QUANTITIES = ("z", "a", "dz", "dW", "db", "da_prev", "W_after", "b_after", "loss")
"""The quantities compared, in the order of a step; ``loss`` is per step."""

_BACKWARD = frozenset({"dz", "dW", "db", "da_prev", "W_after", "b_after"})


@dataclass(frozen=True)
class Location:
    """The position of an entry: step, layer, row and column, each counted from 1.

    ``layer``, ``row`` and ``column`` are ``None`` for the loss of a step.
    """

    step: int
    layer: int | None = None
    row: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.layer is None:
            return f"step {self.step}"
        return f"step {self.step}, layer {self.layer}, [{self.row},{self.column}]"

    def to_dict(self) -> dict[str, int | None]:
        """Return the location as JSON-ready data."""
        return {
            "step": self.step,
            "layer": self.layer,
            "row": self.row,
            "column": self.column,
        }


@dataclass(frozen=True)
class Difference:
    """The largest differences between float64 and exact values of one quantity.

    Attributes
    ----------
    quantity
        One of :data:`QUANTITIES`.
    entries
        How many entries were compared, over all steps and layers.
    max_absolute, absolute_at
        The largest ``|float - exact|`` and its first location.
    max_relative, relative_at
        The largest ``|float - exact| / |exact|`` over entries whose exact
        value is not 0, and its first location (``None`` if every exact
        value is 0).
    max_bound_ratio, bound_ratio_at
        The largest ratio of ``|float - exact|`` to the entry's first-order
        rounding bound, and its first location; ``None`` when no bound is
        available for the network. Rounding alone keeps the ratio at most
        :data:`~derivation.float_bound.GUARANTEE_FACTOR`.
    infinite, infinite_at
        How many float64 entries are ``inf`` or ``-inf`` (an overflow), and
        the first location. Their difference counts as ``inf``.
    nan, nan_at
        How many float64 entries are ``nan`` (from ``inf - inf`` or
        ``0 * inf``), and the first location. Their difference counts as
        ``inf`` too, so that no maximum can skip them.
    """

    quantity: str
    entries: int
    max_absolute: float
    absolute_at: Location | None
    max_relative: float
    relative_at: Location | None
    max_bound_ratio: float | None
    bound_ratio_at: Location | None
    infinite: int = 0
    infinite_at: Location | None = None
    nan: int = 0
    nan_at: Location | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the difference as JSON-ready data (non-finite values as strings)."""
        return {
            "entries": self.entries,
            "max_absolute": _json_float(self.max_absolute),
            "absolute_at": _json_location(self.absolute_at),
            "max_relative": _json_float(self.max_relative),
            "relative_at": _json_location(self.relative_at),
            "max_bound_ratio": _json_float(self.max_bound_ratio),
            "bound_ratio_at": _json_location(self.bound_ratio_at),
            "infinite": self.infinite,
            "infinite_at": _json_location(self.infinite_at),
            "nan": self.nan,
            "nan_at": _json_location(self.nan_at),
        }


@dataclass(frozen=True)
class Kink:
    """A ReLU pre-activation that is exactly 0 or whose float64 sign differs.

    ``step``, ``layer`` and ``unit`` count from 1, and the slopes are the
    values of ``ReLU'(z)`` that each run used. ``column`` is the sample's
    column in the step's batch, counted from 1, or ``None`` when the step
    has one sample.
    """

    step: int
    layer: int
    unit: int
    exact_z: sympy.Rational
    float_z: float
    exact_slope: sympy.Rational
    float_slope: float
    column: int | None = None

    @property
    def crossed(self) -> bool:
        """Whether the float64 ``z`` lies on another side of 0 than the exact one.

        A ``nan`` lies on no side, so it does not cross; the comparison
        reports it among the values that are not finite.
        """
        if math.isnan(self.float_z):
            return False
        return _sign(self.float_z) != _sign(self.exact_z)

    def __str__(self) -> str:
        where = f"kink: step {self.step}, layer {self.layer}, unit {self.unit}"
        if self.column is not None:
            where += f", sample column {self.column}"
        values = f"exact z = {exact_string(self.exact_z)}, float z = {self.float_z!r}"
        if self.crossed:
            values += " (float64 rounded across the kink)"
        exact_slope = exact_string(self.exact_slope)
        float_slope = f"{self.float_slope:g}"
        if exact_slope == float_slope:
            slopes = f"both runs use ReLU'(z) = {exact_slope}"
        else:
            slopes = (
                f"ReLU'(z) is {exact_slope} in the exact run "
                f"and {float_slope} in float64"
            )
        if self.crossed:
            slopes += ", so later float64 values follow the other branch"
        return f"{where}: {values}; {slopes}"

    def to_dict(self) -> dict[str, Any]:
        """Return the kink as JSON-ready data, with its message."""
        return {
            "step": self.step,
            "layer": self.layer,
            "unit": self.unit,
            "column": self.column,
            "exact_z": exact_string(self.exact_z),
            "float_z": _json_float(self.float_z),
            "exact_slope": exact_string(self.exact_slope),
            "float_slope": _json_float(self.float_slope),
            "crossed": self.crossed,
            "message": str(self),
        }


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`: one :class:`Difference` per quantity, and kinks.

    ``str(comparison)`` is the readable summary and :meth:`to_dict` the JSON
    form. Index it by quantity name, as in ``comparison["dW"]``.
    ``bound_note`` says why no rounding bound is available, when there is
    none.
    """

    steps: int
    layers: int
    differences: tuple[Difference, ...]
    kinks: tuple[Kink, ...]
    bound: RoundingBound | None
    bound_note: str | None = None

    def __getitem__(self, quantity: str) -> Difference:
        for difference in self.differences:
            if difference.quantity == quantity:
                return difference
        raise KeyError(f"{quantity!r} is not one of {', '.join(QUANTITIES)}")

    @property
    def within_bound(self) -> bool | None:
        """Whether every difference is within its rounding bound.

        A crossed kink or a float64 value that is not finite makes it False,
        because the bound covers neither. It is ``None`` when no bound is
        available for the network.
        """
        if self.bound is None:
            return None
        if any(kink.crossed for kink in self.kinks):
            return False
        ratios = [difference.max_bound_ratio or 0.0 for difference in self.differences]
        return max(ratios) <= GUARANTEE_FACTOR

    @property
    def all_finite(self) -> bool:
        """Whether every float64 value is finite: no overflow and no ``nan``."""
        return not any(d.infinite or d.nan for d in self.differences)

    def to_text(self) -> str:
        """Write the comparison as a table of differences followed by the kinks."""
        return _format_text(self)

    def __str__(self) -> str:
        return self.to_text()

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON-ready data (non-finite values as strings)."""
        return {
            "steps": self.steps,
            "layers": self.layers,
            "unit_roundoff": UNIT_ROUNDOFF,
            "guarantee_factor": GUARANTEE_FACTOR,
            "within_bound": self.within_bound,
            "bound_note": self.bound_note,
            "all_finite": self.all_finite,
            "quantities": {
                difference.quantity: difference.to_dict()
                for difference in self.differences
            },
            "kinks": [kink.to_dict() for kink in self.kinks],
        }


def compare(trace: Trace, float_trace: FloatTrace) -> Comparison:
    """Compare every value of a float64 run with the exact run of the same problem.

    Parameters
    ----------
    trace
        The exact run, from :func:`derivation.engine.train` or ``solve``.
    float_trace
        The float64 run of the same network, data and settings, from
        :func:`derivation.float_engine.train_float` or ``solve_float``.

    Returns
    -------
    Comparison
        The largest absolute, relative and bound-relative difference of each
        quantity in :data:`QUANTITIES` with its location, and the kinks.

    Raises
    ------
    DerivationError
        If the two runs differ in the number of steps or layers.
    """
    _check_same_shape(trace, float_trace)
    bound, bound_note = _bound_or_none(trace)
    scans = {quantity: _Scan(quantity) for quantity in QUANTITIES}
    for quantity, location, exact, value, entry_bound in _entries(
        trace, float_trace, bound
    ):
        scans[quantity].add(location, exact, value, entry_bound)
    return Comparison(
        steps=len(trace.steps),
        layers=len(trace.network.layers),
        differences=tuple(scans[quantity].result() for quantity in QUANTITIES),
        kinks=tuple(find_kinks(trace, float_trace)),
        bound=bound,
        bound_note=bound_note,
    )


def find_kinks(trace: Trace, float_trace: FloatTrace) -> list[Kink]:
    """List the ReLU units whose exact ``z`` is 0 or whose float64 sign differs."""
    kinks = []
    relu_layers = [layer.activation.name == "relu" for layer in trace.network.layers]
    for step, float_step in zip(trace.steps, float_trace.steps):
        layers = zip(relu_layers, step.layers, float_step.layers)
        for number, (is_relu, record, float_record) in enumerate(layers, start=1):
            if not is_relu:
                continue
            float_slope = float_record.slope
            if float_slope is None:
                raise ValueError(f"the float64 ReLU layer {number} has no slope")
            batch = record.z.cols > 1
            for unit in range(record.z.rows):
                for column in range(record.z.cols):
                    kink = Kink(
                        step=step.number,
                        layer=number,
                        unit=unit + 1,
                        exact_z=record.z[unit, column],
                        float_z=float(float_record.z[unit, column]),
                        exact_slope=record.slope[unit, column],
                        float_slope=float(float_slope[unit, column]),
                        column=column + 1 if batch else None,
                    )
                    if kink.exact_z == 0 or kink.crossed:
                        kinks.append(kink)
    return kinks


def _check_same_shape(trace: Trace, float_trace: FloatTrace) -> None:
    if len(trace.steps) != len(float_trace.steps):
        raise DerivationError(
            f"cannot compare runs of {len(trace.steps)} exact and "
            f"{len(float_trace.steps)} float64 steps"
        )
    layers = len(trace.network.layers)
    if len(float_trace.network.layers) != layers:
        raise DerivationError(
            f"cannot compare networks of {layers} exact and "
            f"{len(float_trace.network.layers)} float64 layers"
        )


def _bound_or_none(trace: Trace) -> tuple[RoundingBound | None, str | None]:
    """Return the rounding bound, or ``None`` and the reason there is none."""
    try:
        return rounding_bound(trace), None
    except DerivationError as error:
        # No bound exists for this run, but the other columns still hold.
        return None, str(error)


def _entries(
    trace: Trace, float_trace: FloatTrace, bound: RoundingBound | None
) -> Iterator[tuple[str, Location, sympy.Expr, float, float | None]]:
    """Yield ``(quantity, location, exact, float, bound)`` for every entry."""
    for index, (step, float_step) in enumerate(zip(trace.steps, float_trace.steps)):
        step_bound = bound.steps[index] if bound is not None else None
        loss_bound = step_bound.loss if step_bound is not None else None
        yield "loss", Location(step.number), step.loss, float_step.loss, loss_bound
        layers = zip(step.layers, float_step.layers)
        for number, (record, float_record) in enumerate(layers, start=1):
            layer_bound = step_bound.layers[number - 1] if step_bound else None
            for quantity in QUANTITIES[:-1]:
                exact = getattr(record, quantity)
                values = getattr(float_record, quantity)
                bounds = getattr(layer_bound, quantity) if layer_bound else None
                for row in range(exact.rows):
                    for column in range(exact.cols):
                        location = Location(step.number, number, row + 1, column + 1)
                        entry_bound = (
                            None if bounds is None else float(bounds[row, column])
                        )
                        yield (
                            quantity,
                            location,
                            exact[row, column],
                            float(values[row, column]),
                            entry_bound,
                        )


class _Scan:
    """Running maxima of the differences of one quantity."""

    def __init__(self, quantity: str) -> None:
        self.quantity = quantity
        self.entries = 0
        self.absolute: tuple[float, Location | None] = (0.0, None)
        self.relative: tuple[float, Location | None] = (0.0, None)
        self.ratio: tuple[float, Location | None] = (0.0, None)
        self.has_bound = True
        self.infinite: tuple[int, Location | None] = (0, None)
        self.nan: tuple[int, Location | None] = (0, None)

    def add(
        self,
        location: Location,
        exact: sympy.Expr,
        value: float,
        entry_bound: float | None,
    ) -> None:
        self.entries += 1
        if math.isnan(value):
            self.nan = _counted(self.nan, location)
        elif math.isinf(value):
            self.infinite = _counted(self.infinite, location)
        absolute, relative = _differences(exact, value)
        self.absolute = _larger(self.absolute, absolute, location)
        if relative is not None:
            self.relative = _larger(self.relative, relative, location)
        if entry_bound is None:
            self.has_bound = False
        else:
            self.ratio = _larger(self.ratio, _ratio(absolute, entry_bound), location)

    def result(self) -> Difference:
        return Difference(
            quantity=self.quantity,
            entries=self.entries,
            max_absolute=self.absolute[0],
            absolute_at=self.absolute[1],
            max_relative=self.relative[0],
            relative_at=self.relative[1],
            max_bound_ratio=self.ratio[0] if self.has_bound else None,
            bound_ratio_at=self.ratio[1] if self.has_bound else None,
            infinite=self.infinite[0],
            infinite_at=self.infinite[1],
            nan=self.nan[0],
            nan_at=self.nan[1],
        )


def _counted(
    tally: tuple[int, Location | None], location: Location
) -> tuple[int, Location | None]:
    """Add one to a count, keeping the first location."""
    count, first = tally
    return count + 1, first or location


def _differences(exact: sympy.Expr, value: float) -> tuple[float, float | None]:
    """Return ``|value - exact|`` and the relative difference (None if exact is 0)."""
    if not math.isfinite(value):
        return math.inf, math.inf
    exact_fraction = _exact_fraction(exact)
    difference = abs(Fraction(value) - exact_fraction)
    if exact_fraction == 0:
        return _as_float(difference), None
    return _as_float(difference), _as_float(difference / abs(exact_fraction))


def _exact_fraction(exact: sympy.Expr) -> Fraction:
    """Convert an exact value to a fraction: a rational exactly, others closely.

    A closed form or named quantity is evaluated to
    :data:`~derivation.quantities.WORKING_DIGITS` digits, far beyond the 16
    of float64, so the difference is correct to far more digits than shown.
    """
    if not isinstance(exact, sympy.Rational):
        exact = sympy.Rational(numeric(exact))
    return Fraction(int(exact.p), int(exact.q))


def _as_float(value: Fraction) -> float:
    """Round a non-negative fraction to float64; past the range it is ``inf``.

    The exact run can exceed the float64 range where the float64 run took
    the other branch of a kink and stayed small.
    """
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _ratio(absolute: float, entry_bound: float) -> float:
    if absolute == 0:
        return 0.0
    if math.isinf(absolute) or entry_bound == 0:
        return math.inf
    return absolute / entry_bound


def _larger(
    best: tuple[float, Location | None], value: float, location: Location
) -> tuple[float, Location | None]:
    """Keep the first location of the largest value; a 0 has no location."""
    if value > best[0]:
        return value, location
    return best


def _sign(value: float | sympy.Expr) -> int:
    if isinstance(value, sympy.Expr) and not isinstance(value, sympy.Rational):
        return exact_sign(value)
    return int(bool(value > 0)) - int(bool(value < 0))


def _json_float(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return str(value)


def _json_location(location: Location | None) -> dict[str, int | None] | None:
    return None if location is None else location.to_dict()


def _format_text(comparison: Comparison) -> str:
    crossings = [kink for kink in comparison.kinks if kink.crossed]
    steps = _count(comparison.steps, "step")
    layers = _count(comparison.layers, "layer")
    lines = [
        f"Float64 run compared with the exact run ({steps}, {layers}).",
        "Differences are |float - exact|, computed exactly; relative differences "
        "divide by |exact| where it is not 0.",
        "Locations read: step, layer, [row,column], counted from 1.",
        "",
        f"{'quantity':<9} {'max abs':>9}  {'at':<24} {'max rel':>9}  "
        f"{'at':<24} {'/bound':>7}",
    ]
    lines += [
        _format_row(difference, crossings) for difference in comparison.differences
    ]

    lines += ["", *_format_notes(comparison, crossings), ""]
    lines += _format_non_finite(comparison)
    if comparison.kinks:
        lines.append("Kinks (ReLU pre-activations at or across 0):")
        lines += [f"  {kink}" for kink in comparison.kinks]
    else:
        lines.append("Kinks: none.")
    return "\n".join(lines) + "\n"


def _format_notes(comparison: Comparison, crossings: list[Kink]) -> list[str]:
    notes = [
        "/bound is the largest ratio of |float - exact| to the entry's "
        "first-order rounding bound for u = 2^-53; rounding alone keeps it "
        f"at most {GUARANTEE_FACTOR:g}."
    ]
    if comparison.bound is None:
        notes.append("No rounding bound is available for this network (n/a).")
        if comparison.bound_note:
            notes.append(f"Reason: {comparison.bound_note}.")
    if crossings:
        notes.append(
            "* marks a location computed after float64 crossed a kink, where "
            "the runs follow different branches."
        )
    return notes


def _format_non_finite(comparison: Comparison) -> list[str]:
    """List the quantities with float64 values that are not finite."""
    if comparison.all_finite:
        return []
    lines = [
        "Not finite in float64 (overflow gives inf; inf - inf and 0 * inf give "
        "nan). These entries are not compared; their difference counts as inf:"
    ]
    for difference in comparison.differences:
        for kind, (count, first) in (
            ("inf", (difference.infinite, difference.infinite_at)),
            ("nan", (difference.nan, difference.nan_at)),
        ):
            if count:
                noun = "entry is" if count == 1 else "entries are"
                lines.append(
                    f"  {difference.quantity}: {count} {noun} {kind}, "
                    f"the first at {first}"
                )
    return [*lines, ""]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _format_row(difference: Difference, crossings: list[Kink]) -> str:
    quantity = difference.quantity
    ratio = difference.max_bound_ratio
    ratio_text = "n/a" if ratio is None else f"{ratio:.3g}"
    absolute_at = _place(difference.absolute_at, quantity, crossings)
    relative_at = _place(difference.relative_at, quantity, crossings)
    return (
        f"{quantity:<9} {difference.max_absolute:>9.3g}  {absolute_at:<24} "
        f"{difference.max_relative:>9.3g}  {relative_at:<24} {ratio_text:>7}"
    )


def _place(location: Location | None, quantity: str, crossings: list[Kink]) -> str:
    if location is None:
        return "-"
    mark = "*" if _follows_crossing(location, quantity, crossings) else ""
    return f"{location}{mark}"


def _follows_crossing(location: Location, quantity: str, crossings: list[Kink]) -> bool:
    """Return whether the value at ``location`` is computed after a crossing.

    Within a step the forward pass runs layer by layer, then the loss, then
    the backward pass and the updates, which all come after every ``z``.
    """
    for kink in crossings:
        if location.step > kink.step:
            return True
        if location.step < kink.step:
            continue
        if quantity in _BACKWARD or location.layer is None:
            return True
        if quantity == "a" and location.layer >= kink.layer:
            return True
        if quantity == "z" and location.layer > kink.layer:
            return True
    return False
