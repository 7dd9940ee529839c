"""Check hand-computed values against the exact solution, with error carried forward.

:func:`check_answers` judges every value of an answer sheet twice: against
the true value of the trace, and against the value that follows from the
person's own earlier values. The second value is recomputed with the
equations of :mod:`derivation.engine`, taking each input from the sheet
where it gives one and from the recomputation where it does not. So after a
slip in ``z`` of layer 1, ``a`` of layer 1 is expected to be ``f`` of the
wrong ``z``, and after a slip in ``W_after`` of step 1, step 2 starts from
the wrong weights. The recomputation mirrors the equations of the engine
rather than calling it, because each input may come from the sheet; the
tests check that both agree on every value. When the trace was trained with
a rounding policy, the recomputation rounds the same values.

Each value gets one status:

``correct``
    Every entry equals the true value.
``within_tolerance``
    Every entry is right under the tolerance (``rule`` says how), or follows
    from earlier values that were themselves accepted, such as a value
    computed from a correctly rounded one.
``carried_forward``
    Wrong against the true value, but consistent with an earlier slip.
``wrong``
    A slip of its own.

>>> from derivation.answers import parse_answers
>>> from derivation.engine import train
>>> from derivation.network import Layer, Network
>>> net = Network([Layer([[2]], [0], "identity"), Layer([[3]], [0], "identity")])
>>> trace = train(net, [1], [1], learning_rate="0.1")
>>> sheet = parse_answers('''
... [step.1.layer.1]
... z = 3
... [step.1.layer.2]
... z = 9
... ''')
>>> [(value.key_path, value.status) for value in check_answers(trace, sheet).values]
[('step 1: layer 1: z', 'wrong'), ('step 1: layer 2: z', 'carried_forward')]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy

from .activations import softmax_backward
from .answers import (
    WEIGHT_NAMES,
    AnswerFileError,
    AnswerSheet,
    MatchedAnswer,
    Quantity,
    match_answers,
    read_answers,
)
from .errors import DerivationError
from .numbers import exact_string
from .tolerance import (
    Tolerance,
    WrittenNumber,
    approximate,
    is_exact_number,
    judge,
    round_to_significant,
    show_number,
)
from .trace import Trace, matrix_to_json

CORRECT = "correct"
WITHIN_TOLERANCE = "within_tolerance"
CARRIED_FORWARD = "carried_forward"
WRONG = "wrong"
STATUSES = (CORRECT, WITHIN_TOLERANCE, CARRIED_FORWARD, WRONG)

_STATUS_WORDS = {
    CORRECT: "correct",
    WITHIN_TOLERANCE: "correct within tolerance",
    CARRIED_FORWARD: "consistent with an earlier slip",
    WRONG: "wrong",
}


@dataclass(frozen=True)
class EntryResult:
    """The judgement of one entry that the person filled in.

    Attributes
    ----------
    position
        ``"entry 2"`` in a vector, ``"row 1, column 2"`` in a weight matrix,
        ``""`` in a single number.
    given
        The number as written.
    expected
        The true value.
    recomputed
        The value that follows from the person's earlier values.
    status
        One of :data:`STATUSES`.
    rule
        How a right entry was accepted (``"exact"``, ``"correctly rounded to
        2 decimal places"``), ``""`` when it is wrong.
    """

    position: str
    given: WrittenNumber
    expected: sympy.Rational
    recomputed: sympy.Rational
    status: str
    rule: str

    @property
    def error(self) -> sympy.Rational:
        """The absolute error ``|given - expected|``, to 60 digits for a closed form."""
        return abs(self.given.value - approximate(self.expected))


@dataclass(frozen=True)
class ValueResult:
    """The judgement of one value of the answer sheet.

    Attributes
    ----------
    quantity
        Which value of the trace it is.
    key_path
        The key path with the name as written, such as ``"step 1: layer 2: dL_dW"``.
    status
        One of :data:`STATUSES`.
    rule
        How a right value was accepted; for ``carried_forward``, how its
        entries match the recomputed value. ``""`` when wrong.
    entries
        One result per entry that is not blank.
    expected
        The true value.
    recomputed
        The value that follows from the person's earlier values.
    carried_from
        For ``carried_forward``, the key paths of the earlier slips it
        follows from; for a value accepted because it follows from accepted
        earlier values that differ from the truth (such as rounded ones),
        the key paths of those values.
    points, max_points
        The points earned and the points the value is worth.
    """

    quantity: Quantity
    key_path: str
    status: str
    rule: str
    entries: tuple[EntryResult, ...]
    expected: sympy.Matrix
    recomputed: sympy.Matrix
    carried_from: tuple[str, ...]
    points: sympy.Rational
    max_points: sympy.Rational

    @property
    def max_error(self) -> sympy.Rational:
        """The largest absolute error of an entry against the true value."""
        return max(entry.error for entry in self.entries)

    @property
    def max_relative_error(self) -> sympy.Rational | None:
        """The largest ``|error| / |expected|``; ``None`` if every true entry is 0."""
        ratios = [
            entry.error / abs(approximate(entry.expected))
            for entry in self.entries
            if entry.expected != 0
        ]
        return max(ratios) if ratios else None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data with exact strings."""
        relative = self.max_relative_error
        return {
            "key": self.key_path,
            "step": self.quantity.step,
            "layer": self.quantity.layer,
            "name": self.quantity.name,
            "status": self.status,
            "rule": self.rule,
            "points": exact_string(self.points),
            "max_points": exact_string(self.max_points),
            "carried_from": list(self.carried_from),
            "expected": _json_value(self.expected, self.quantity),
            "recomputed": _json_value(self.recomputed, self.quantity),
            "max_absolute_error": exact_string(self.max_error),
            "max_relative_error": None if relative is None else exact_string(relative),
            "entries": [_entry_dict(entry) for entry in self.entries],
        }


def _json_value(matrix: sympy.Matrix, quantity: Quantity) -> Any:
    """Write the loss as one exact string and other values as the trace's JSON does."""
    if quantity.layer is None:
        return exact_string(matrix[0, 0])
    return matrix_to_json(matrix, as_rows=quantity.name in WEIGHT_NAMES)


def _entry_dict(entry: EntryResult) -> dict[str, Any]:
    return {
        "position": entry.position,
        "given": entry.given.text,
        "expected": exact_string(entry.expected),
        "recomputed": exact_string(entry.recomputed),
        "status": entry.status,
        "rule": entry.rule,
        "absolute_error": exact_string(entry.error),
    }


@dataclass(frozen=True)
class Report:
    """The results of checking one answer sheet, in the order of computation.

    The order is that of a step: the parameters, the forward pass layer by
    layer, the loss, the backward pass from the last layer to the first,
    then the updates.
    """

    values: tuple[ValueResult, ...]
    source: str | None = None

    @property
    def first_slip(self) -> ValueResult | None:
        """The first wrong value, or ``None`` if there is none."""
        return next((value for value in self.values if value.status == WRONG), None)

    @property
    def points(self) -> sympy.Rational:
        """The points earned."""
        return sum((value.points for value in self.values), sympy.Integer(0))

    @property
    def total(self) -> sympy.Rational:
        """The points all checked values are worth."""
        return sum((value.max_points for value in self.values), sympy.Integer(0))

    @property
    def all_right(self) -> bool:
        """Whether every value is correct or correct within tolerance."""
        return all(value.status in (CORRECT, WITHIN_TOLERANCE) for value in self.values)

    def count(self, status: str) -> int:
        """Return how many values have ``status``."""
        return sum(value.status == status for value in self.values)

    def summary(self) -> str:
        """Summarize the report in one line, without the file name.

        >>> Report(()).summary()
        'no values to check'
        """
        if not self.values:
            return "no values to check"
        counts = [
            f"{self.count(status)} {_STATUS_WORDS[status]}"
            for status in STATUSES
            if self.count(status)
        ]
        noun = "value" if len(self.values) == 1 else "values"
        return f"{len(self.values)} {noun} checked: " + ", ".join(counts)

    def to_text(self) -> str:
        """Write the report for people: a summary, then one block per value."""
        lines = [f"{self.source}: {self.summary()}" if self.source else self.summary()]
        slip = self.first_slip
        if slip is not None:
            lines.append(f"First slip: {slip.key_path}")
        if self.values:
            lines.append("")
        for value in self.values:
            lines += _value_lines(value)
        if self.values:
            lines += [
                "",
                f"Points: {show_number(self.points)} of {show_number(self.total)}",
            ]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data with exact strings."""
        slip = self.first_slip
        return {
            "source": self.source,
            "all_right": self.all_right,
            "points": exact_string(self.points),
            "total": exact_string(self.total),
            "counts": {status: self.count(status) for status in STATUSES},
            "first_slip": None if slip is None else slip.key_path,
            "values": [value.to_dict() for value in self.values],
        }


def _value_lines(value: ValueResult) -> list[str]:
    headline = f"{value.key_path}: {_STATUS_WORDS[value.status]}"
    if value.status == CARRIED_FORWARD:
        slips = " and ".join(value.carried_from)
        headline = f"{value.key_path}: consistent with the earlier slip at {slips}"
    elif value.status == WITHIN_TOLERANCE:
        headline += f" ({value.rule})"
    lines = [headline]
    if value.status == CARRIED_FORWARD:
        lines.append(f"  true value: {_show_matrix(value.expected, value.quantity)}")
    elif value.status == WRONG:
        lines += [
            "  " + _entry_line(entry)
            for entry in value.entries
            if entry.status == WRONG
        ]
    return lines


def _entry_line(entry: EntryResult) -> str:
    place = f"{entry.position}: " if entry.position else ""
    text = f"{place}found {entry.given.text}, expected {_show_exact(entry.expected)}"
    if is_exact_number(entry.expected):
        text += f", error {_show_exact(entry.error)}"
    else:
        error = round_to_significant(entry.error, 3, "half_away_from_zero")
        text += f", error about {show_number(error.values[0])}"
    if entry.expected != 0:
        share = round_to_significant(
            100 * entry.error / abs(approximate(entry.expected)),
            3,
            "half_away_from_zero",
        )
        text += f", {show_number(share.values[0])}% of the true value"
    if entry.recomputed != entry.expected:
        text += f"; from your earlier values {_show_exact(entry.recomputed)}"
    if entry.rule:
        text += f" ({entry.rule})"
    return text


def _show_matrix(matrix: sympy.Matrix, quantity: Quantity) -> str:
    """Write a value compactly: ``6.5``, ``[6.5, 6.5]`` or ``[[1, 2], [3, 4]]``."""
    rows = [[_show_short(entry) for entry in row] for row in matrix.tolist()]
    if quantity.name in WEIGHT_NAMES or matrix.cols > 1:
        return "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"
    if quantity.layer is None:
        return rows[0][0]
    return "[" + ", ".join(row[0] for row in rows) + "]"


def _show_short(value: sympy.Expr) -> str:
    """Write a value compactly: exactly, or a closed form as a 10-figure decimal."""
    if is_exact_number(value):
        return show_number(value)
    about = round_to_significant(value, 10, "half_away_from_zero").values[0]
    return "about " + show_number(about)


def _show_exact(value: sympy.Expr) -> str:
    """Write an exact value, with a 7-figure decimal when it does not terminate.

    A closed form is written as it is when it is short (``tanh(1)``), else
    by its name, with a 10-figure decimal.
    """
    if not is_exact_number(value):
        about = round_to_significant(value, 10, "half_away_from_zero").values[0]
        return f"{value} (about {show_number(about)})"
    text = show_number(value)
    if "/" in text:
        about = round_to_significant(value, 7, "half_away_from_zero").values[0]
        text += f" (about {show_number(about)})"
    return text


def check_answers(trace: Trace, answers: AnswerSheet) -> Report:
    """Check an answer sheet against a trace, with error carried forward.

    Raises
    ------
    AnswerFileError
        If a value names a step or layer the trace does not have, or has the
        wrong shape.
    """
    matched = match_answers(answers, trace)
    recomputation = _Recomputation(trace, matched, answers.carried_forward_credit)
    for step in trace.steps:
        recomputation.run_step(step.number)
    return Report(tuple(recomputation.results), answers.source)


Compute = Callable[..., sympy.Matrix]


class _Recomputation:
    """Walks the trace's equations, carrying the person's values forward.

    ``carried`` holds, for every value computed so far, the person's value
    where the sheet gives one (blank entries filled from the recomputation)
    and the recomputed value otherwise. ``origins`` holds, for every value
    that differs from the truth, the answered values whose own deviation
    it inherits.
    """

    def __init__(
        self,
        trace: Trace,
        matched: dict[Quantity, MatchedAnswer],
        credit: sympy.Rational,
    ) -> None:
        self.trace = trace
        self.matched = matched
        self.credit = credit
        self.carried: dict[Quantity, sympy.Matrix] = {}
        self.origins: dict[Quantity, frozenset[Quantity]] = {}
        self.statuses: dict[Quantity, str] = {}
        self.order: dict[Quantity, int] = {}
        self.results: list[ValueResult] = []

    def run_step(self, step: int) -> None:
        """Recompute and judge every value of one step, in the engine's order."""
        record = self.trace.steps[step - 1]
        count = len(self.trace.network.layers)
        for layer in range(1, count + 1):
            self._forward(step, layer, record.x)
        last = Quantity(step, count, "a")
        self._settle(
            Quantity(step, None, "loss"),
            [last],
            lambda a: _scalar(self._loss_value(a, record.y)),
        )
        for layer in range(count, 0, -1):
            self._backward(step, layer, count, record.y)
        for layer in range(1, count + 1):
            self._update(step, layer)

    def _loss_value(self, a: sympy.Matrix, y: sympy.Matrix) -> sympy.Expr:
        """Return the loss of a batch: the mean or sum of the samples' losses."""
        return self.trace.loss.batch_value(a, y, self.trace.reduction == "mean")

    def _factor(self, step: int) -> sympy.Rational:
        """Return the factor of the summed gradients: 1/B for a mean, 1 for a sum."""
        samples = self.trace.steps[step - 1].x.cols
        if self.trace.reduction == "mean":
            return sympy.Rational(1, samples)
        return sympy.Integer(1)

    def _forward(self, step: int, layer: int, x: sympy.Matrix) -> None:
        def value(name: str) -> Quantity:
            return Quantity(step, layer, name)

        network_layer = self.trace.network.layers[layer - 1]
        for name, initial in (("W", network_layer.W), ("b", network_layer.b)):
            if step == 1:
                self._settle(value(name), [], lambda initial=initial: initial)
            else:
                before = Quantity(step - 1, layer, f"{name}_after")
                self._settle(value(name), [before], _same)
        if layer == 1:
            self._settle(value("a_prev"), [], lambda: x)
        else:
            self._settle(value("a_prev"), [Quantity(step, layer - 1, "a")], _same)
        inputs = [value("W"), value("a_prev"), value("b")]
        if network_layer.has_bias:
            self._settle(value("z"), inputs, _weighted_sum)
        else:
            self._settle(value("z"), inputs, lambda W, a, b: W * a)
        activation = network_layer.activation
        self._settle(value("a"), [value("z")], activation.value)

    def _backward(self, step: int, layer: int, count: int, y: sympy.Matrix) -> None:
        def value(name: str) -> Quantity:
            return Quantity(step, layer, name)

        loss = self.trace.loss
        if layer == count:
            self._settle(
                value("da"), [value("a")], lambda a: loss.column_gradients(a, y)
            )
        else:
            self._settle(value("da"), [Quantity(step, layer + 1, "da_prev")], _same)
        network_layer = self.trace.network.layers[layer - 1]
        activation = network_layer.activation
        if activation.elementwise:
            self._settle(value("slope"), [value("z")], activation.derivative)
        if layer == count and loss.combines_with(activation.name):
            self._settle(value("dz"), [value("a")], lambda a: a - y)
        elif activation.elementwise:
            self._settle(
                value("dz"),
                [value("da"), value("slope")],
                lambda da, slope: da.multiply_elementwise(slope),
            )
        else:
            self._settle(value("dz"), [value("a"), value("da")], softmax_backward)
        factor = self._factor(step)
        self._settle(
            value("dW"), [value("dz"), value("a_prev")], lambda dz, a: factor * dz * a.T
        )
        shared = network_layer.bias == "shared"
        self._settle(
            value("db"), [value("dz")], lambda dz: _bias_gradient(dz, factor, shared)
        )
        self._settle(
            value("da_prev"), [value("W"), value("dz")], lambda W, dz: W.T * dz
        )

    def _update(self, step: int, layer: int) -> None:
        network_layer = self.trace.network.layers[layer - 1]
        for name, gradient, parameter in (
            ("W", "dW", "weights"),
            ("b", "db", "biases"),
        ):
            after = Quantity(step, layer, f"{name}_after")
            before = Quantity(step, layer, name)
            if not network_layer.trains(parameter):
                self._settle(after, [before], _same)
                continue
            inputs = [before, Quantity(step, layer, gradient)]
            velocity = Quantity(step, layer, f"v{name}")
            if self.trace.optimizer.uses_momentum and step > 1:
                inputs.append(Quantity(step - 1, layer, f"v{name}"))
            self._settle(velocity, inputs, self._velocity_rule(parameter))
            shared = parameter == "biases" and network_layer.bias == "shared"
            self._settle(
                after,
                [before, velocity],
                lambda value, v, shared=shared: (
                    value - self._eta * _spread(v, value, shared)
                ),
            )

    @property
    def _eta(self) -> sympy.Expr:
        return self.trace.learning_rate

    def _velocity_rule(self, parameter: str) -> Compute:
        """Return the step that the update subtracts ``eta`` times.

        Without momentum this is the gradient, plus ``lambda W`` for weights
        under weight decay. With momentum it is the new velocity
        ``mu v_before + gradient``, where ``v_before`` follows from the
        person's own earlier values.
        """
        optimizer = self.trace.optimizer
        decay = optimizer.weight_decay if parameter == "weights" else 0

        def step(
            value: sympy.Matrix, gradient: sympy.Matrix, *before: sympy.Matrix
        ) -> sympy.Matrix:
            total = gradient + decay * value if decay else gradient
            if before:
                total = optimizer.momentum * before[0] + total
            return total

        return step

    def _settle(
        self, quantity: Quantity, inputs: list[Quantity], compute: Compute
    ) -> None:
        """Recompute one value from the carried inputs, and judge the answer if any."""
        self.order[quantity] = len(self.order)
        truth = _true_value(self.trace, quantity)
        inherited = frozenset().union(*(self.origins[name] for name in inputs))
        recomputed = self._rounded(
            quantity.name, compute(*(self.carried[name] for name in inputs))
        )
        if truth is not None and not inherited:
            # Nothing earlier differs from the truth, so neither does this.
            # Taking the true value also keeps closed forms short.
            recomputed = truth
        elif truth is not None:
            recomputed = _prefer_truth(recomputed, truth)
        match = self.matched.get(quantity)
        carried = recomputed
        if match is not None:
            carried = _fill_blanks(match, recomputed)
            result = self._judge(quantity, match, truth, recomputed, inherited)
            self.results.append(result)
            self.statuses[quantity] = result.status
        self.carried[quantity] = carried

        if carried == truth:
            self.origins[quantity] = frozenset()
        elif match is not None and carried != recomputed:
            self.origins[quantity] = inherited | {quantity}
        else:
            self.origins[quantity] = inherited

    def _rounded(self, name: str, matrix: sympy.Matrix) -> sympy.Matrix:
        """Round a recomputed value as the trace's rounding policy rounded it.

        Rounding again a value that is already rounded changes nothing, so
        copies such as ``db`` (equal to ``dz``) may be rounded too.
        """
        rounding = self.trace.rounding
        if rounding is None:
            return matrix
        if not rounding.every_operation and name not in ("W_after", "b_after"):
            return matrix
        return matrix.applyfunc(lambda entry: _round_entry(rounding, entry))

    def _judge(
        self,
        quantity: Quantity,
        match: MatchedAnswer,
        truth: sympy.Matrix,
        recomputed: sympy.Matrix,
        inherited: frozenset[Quantity],
    ) -> ValueResult:
        answer = match.answer
        entries = tuple(
            _judge_entry(
                position, given, truth[i, j], recomputed[i, j], answer.tolerance
            )
            for (i, j), position, given in _filled(quantity.name, match.entries)
        )
        status, rule, carried_from = self._classify(entries, inherited)
        if status in (CORRECT, WITHIN_TOLERANCE):
            points = answer.points
        elif status == CARRIED_FORWARD:
            points = answer.points * self.credit
        else:
            points = sympy.Integer(0)
        return ValueResult(
            quantity=quantity,
            key_path=answer.key_path,
            status=status,
            rule=rule,
            entries=entries,
            expected=truth,
            recomputed=recomputed,
            carried_from=carried_from,
            points=points,
            max_points=answer.points,
        )

    def _classify(
        self, entries: tuple[EntryResult, ...], inherited: frozenset[Quantity]
    ) -> tuple[str, str, tuple[str, ...]]:
        """Return the status, rule and ``carried_from`` of a value."""
        statuses = {entry.status for entry in entries}
        if WRONG in statuses:
            return WRONG, "", ()
        if CARRIED_FORWARD not in statuses:
            if statuses == {CORRECT}:
                return CORRECT, "exact", ()
            return WITHIN_TOLERANCE, _combined_rule(entries), ()

        origins = sorted(inherited, key=self.order.__getitem__)
        if not origins:
            # Nothing earlier differs from the truth, so a value that matches
            # only the recomputation cannot follow from the person's work.
            return WRONG, "", ()
        slips = [origin for origin in origins if self.statuses.get(origin) == WRONG]
        if slips:
            return CARRIED_FORWARD, _combined_rule(entries), self._key_paths(slips)
        sources = self._key_paths(origins)
        rule = "follows from your accepted earlier values at " + ", ".join(sources)
        return WITHIN_TOLERANCE, rule, sources

    def _key_paths(self, quantities: list[Quantity]) -> tuple[str, ...]:
        return tuple(self.matched[quantity].answer.key_path for quantity in quantities)


def _same(value: sympy.Matrix) -> sympy.Matrix:
    return value


def _weighted_sum(W: sympy.Matrix, a: sympy.Matrix, b: sympy.Matrix) -> sympy.Matrix:
    """``W a + b``, with the bias column added to every sample's column."""
    return W * a + b * sympy.ones(1, a.cols)


def _bias_gradient(
    dz: sympy.Matrix, factor: sympy.Rational, shared: bool
) -> sympy.Matrix:
    """dL/db: ``dz`` summed over the batch (and the units, for a shared bias)."""
    total = dz * sympy.ones(dz.cols, 1)
    if shared:
        total = sympy.ones(1, dz.rows) * total
    return total if factor == 1 else factor * total


def _spread(step: sympy.Matrix, value: sympy.Matrix, shared: bool) -> sympy.Matrix:
    """Return each entry's step, giving a shared bias's one step to every unit."""
    return sympy.ones(value.rows, 1) * step if shared else step


def _scalar(value: sympy.Expr) -> sympy.Matrix:
    return sympy.Matrix([[value]])


def _round_entry(rounding: Any, entry: sympy.Expr) -> sympy.Rational:
    value = approximate(entry)
    return sympy.Rational(*rounding.round(int(value.p), int(value.q)))


def _true_value(trace: Trace, quantity: Quantity) -> sympy.Matrix | None:
    """Return the trace's value, or ``None`` for a velocity the run does not keep."""
    step = trace.steps[quantity.step - 1]
    if quantity.layer is None:
        return _scalar(step.loss)
    return getattr(step.layers[quantity.layer - 1], quantity.name)


def _prefer_truth(recomputed: sympy.Matrix, truth: sympy.Matrix) -> sympy.Matrix:
    """Take the true entry wherever a recomputed closed form has the same value.

    Recomputed closed forms differ in form from the engine's, which names
    long ones. Comparing them to 60 digits and keeping the true form makes
    equal values compare equal, and so keeps later expressions short.
    """
    return sympy.Matrix(
        recomputed.rows,
        recomputed.cols,
        [
            true if _same_number(entry, true) else entry
            for entry, true in zip(recomputed, truth)
        ],
    )


def _same_number(left: sympy.Expr, right: sympy.Expr) -> bool:
    if left == right:
        return True
    if is_exact_number(left) and is_exact_number(right):
        return False
    difference = approximate(left) - approximate(right)
    scale = max(abs(approximate(right)), sympy.Integer(1))
    return abs(difference) <= scale * sympy.Rational(1, 10**50)


def _fill_blanks(match: MatchedAnswer, recomputed: sympy.Matrix) -> sympy.Matrix:
    return sympy.Matrix(
        [
            [
                recomputed[i, j] if given is None else given.value
                for j, given in enumerate(row)
            ]
            for i, row in enumerate(match.entries)
        ]
    )


def _filled(
    name: str, entries: tuple[tuple[WrittenNumber | None, ...], ...]
) -> Iterable[tuple[tuple[int, int], str, WrittenNumber]]:
    single = len(entries) == 1 and len(entries[0]) == 1
    for i, row in enumerate(entries):
        for j, given in enumerate(row):
            if given is None:
                continue
            if single:
                position = ""
            elif name in WEIGHT_NAMES or len(row) > 1:
                position = f"row {i + 1}, column {j + 1}"
            else:
                position = f"entry {i + 1}"
            yield (i, j), position, given


def _judge_entry(
    position: str,
    given: WrittenNumber,
    expected: sympy.Rational,
    recomputed: sympy.Rational,
    tolerance: Tolerance,
) -> EntryResult:
    verdict = judge(given, expected, tolerance)
    if verdict.accepted:
        status = CORRECT if verdict.exact else WITHIN_TOLERANCE
        return EntryResult(position, given, expected, recomputed, status, verdict.rule)
    if recomputed != expected:
        carried = judge(given, recomputed, tolerance)
        if carried.accepted:
            return EntryResult(
                position, given, expected, recomputed, CARRIED_FORWARD, carried.rule
            )
    return EntryResult(position, given, expected, recomputed, WRONG, verdict.rule)


def _combined_rule(entries: tuple[EntryResult, ...]) -> str:
    rules = dict.fromkeys(entry.rule for entry in entries if entry.rule != "exact")
    return "; ".join(rules) if rules else "exact"


@dataclass(frozen=True)
class FileGrade:
    """The outcome of checking one file of a folder: a report or an error.

    ``error`` is the message without the file name, which ``path`` gives.
    """

    path: Path
    report: Report | None
    error: str = ""

    def summary_line(self) -> str:
        """Summarize the grade in one line, starting with the file name."""
        if self.report is None:
            return f"{self.path.name}: error: {self.error}"
        report = self.report
        text = (
            f"{self.path.name}: {show_number(report.points)} of "
            f"{show_number(report.total)} points, {report.count(WRONG)} wrong"
        )
        slip = report.first_slip
        if slip is not None:
            text += f", first slip at {slip.key_path}"
        return text


def check_file(trace: Trace, path: str | Path) -> Report:
    """Read an answer file and check it against a trace.

    Raises
    ------
    AnswerFileError
        If the file cannot be read or does not fit the trace.
    """
    return check_answers(trace, read_answers(path))


def check_folder(
    trace: Trace, folder: str | Path, exclude: Iterable[str | Path] = ()
) -> list[FileGrade]:
    """Check every ``*.toml`` file of a folder (not its subfolders), sorted by name.

    A file that cannot be read gets a :class:`FileGrade` with its error,
    so one bad file does not stop the others. Files in ``exclude``, such as
    a spec kept beside the answers, are skipped.

    Raises
    ------
    DerivationError
        If the folder has no ``*.toml`` files to check.
    """
    skipped = {Path(path).resolve() for path in exclude}
    paths = [
        path
        for path in sorted(Path(folder).glob("*.toml"))
        if path.resolve() not in skipped
    ]
    if not paths:
        raise DerivationError(f"{folder}: no answer files (*.toml) in this folder")
    grades = []
    for path in paths:
        try:
            grades.append(FileGrade(path, check_file(trace, path)))
        except AnswerFileError as error:
            grades.append(FileGrade(path, None, str(error.in_file(None))))
    return grades


CSV_COLUMNS = ("file", "points", "total", "wrong", "first_slip", "error")


def grades_to_csv(grades: Iterable[FileGrade]) -> str:
    """Write one CSV row per file: file, points, total, wrong, first_slip, error.

    Points are decimals where they terminate and fractions otherwise. A file
    that could not be read has empty points and its message under ``error``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for grade in grades:
        report = grade.report
        if report is None:
            name, error = _csv_text(grade.path.name), _csv_text(grade.error or "")
            writer.writerow([name, "", "", "", "", error])
            continue
        slip = report.first_slip
        writer.writerow(
            [
                _csv_text(grade.path.name),
                show_number(report.points),
                show_number(report.total),
                report.count(WRONG),
                "" if slip is None else _csv_text(slip.key_path),
                "",
            ]
        )
    return buffer.getvalue()


def _csv_text(text: str) -> str:
    """Keep a spreadsheet from reading a file name as a formula.

    Spreadsheets evaluate a cell that starts with ``=``, ``+``, ``-`` or
    ``@``; a leading apostrophe makes them show it as text instead.
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def grades_to_text(grades: Iterable[FileGrade]) -> str:
    """Write one summary line per file, as :meth:`FileGrade.summary_line` does."""
    return "".join(grade.summary_line() + "\n" for grade in grades)


def grades_to_json(grades: Iterable[FileGrade]) -> list[dict[str, Any]]:
    """Return one entry per file: its name, its report and its error, if any."""
    return [
        {
            "file": grade.path.name,
            "report": None if grade.report is None else grade.report.to_dict(),
            "error": grade.error or None,
        }
        for grade in grades
    ]
