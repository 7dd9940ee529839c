"""Answer files: values a person computed by hand, named by step and layer.

An answer file is TOML. Steps and layers count from 1, and the names are
those of :mod:`derivation.trace`::

    [tolerance]                 # optional; see derivation.tolerance
    decimals = 4

    [grading]                   # optional
    points = 1                  # points per value, unless a value sets its own
    carried_forward_credit = 1  # share of the points for a value that is
                                # consistent with an earlier slip

    [step.1]
    loss = 66.125

    [step.1.layer.2]
    z = [6.5, 6.5]
    dL_dW = [[40.25, 40.25], [40.25, 40.25]]
    W_after = { value = [[0.6, 0.6], [0.6, 0.6]], tolerance = { decimals = 1 } }

Vectors are flat lists and weights (``W``, ``dW``, ``W_after``) lists of
rows. When a step takes a batch of several samples, the values of each
sample (``a_prev``, ``z``, ``a``, ``da``, ``slope``, ``dz``, ``da_prev``)
are matrices with a row per unit and a column per sample of the batch,
written as lists of rows. A value with one row or one column may also be a
flat list, and a single value a number. Numbers are TOML integers, TOML decimals (read
exactly as written) or strings such as ``"-3/8"``. An empty string ``""``
is a blank: it is not checked, and a value whose entries are all blank is
skipped. :func:`answer_template` writes a file of blanks for a trace.

Errors name the file, the key path, what was expected and what was found.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import sympy

from .errors import DerivationError, NumberError
from .numbers import MAX_DIGITS, DecimalText, parse_number
from .numbers import describe_toml_value as _describe
from .tolerance import POLICIES, TIE_RULES, Tolerance, WrittenNumber, written_number
from .trace import Trace

LAYER_NAMES = (
    "W",
    "b",
    "a_prev",
    "z",
    "a",
    "da",
    "slope",
    "dz",
    "dW",
    "db",
    "da_prev",
    "W_after",
    "b_after",
)
"""The names of a layer's values, in the order of a step."""

STEP_NAMES = ("loss",)
"""The names of a step's values that belong to no single layer."""

ALIASES = {
    "input": "a_prev",
    "dL_da": "da",
    "activation_derivative": "slope",
    "dL_dz": "dz",
    "delta": "dz",
    "dL_dW": "dW",
    "dL_db": "db",
    "dL_da_prev": "da_prev",
    "dL_da_of_input": "da_prev",
}
"""Other accepted names, among them the keys of ``derivation solve --format json``."""

WEIGHT_NAMES = frozenset({"W", "dW", "W_after"})

SAMPLE_NAMES = frozenset({"a_prev", "z", "a", "da", "slope", "dz", "da_prev"})
"""The names with one column per sample of the step's batch."""

MEANINGS = {
    "loss": "L",
    "W": "weights used in this step",
    "b": "biases used in this step",
    "a_prev": "input of the layer",
    "z": "W a_prev + b",
    "a": "f(z)",
    "da": "dL/da",
    "slope": "f'(z)",
    "dz": "dL/dz = da * f'(z)",
    "dW": "dL/dW = dz a_prev^T",
    "db": "dL/db = dz",
    "da_prev": "dL/da_prev = W^T dz",
    "W_after": "W - eta dW",
    "b_after": "b - eta db",
}
"""The meaning of each value, as the template's comments give it."""

# Answer files are a few kilobytes; see read_answers.
MAX_ANSWER_BYTES = 1_000_000

_TOP_KEYS = ("step", "tolerance", "grading")
_STEP_KEYS = ("loss", "layer")
_VALUE_KEYS = ("value", "tolerance", "points")
_GRADING_KEYS = ("points", "carried_forward_credit")
_TOLERANCE_KEYS = (*POLICIES, "ties", "accept_correct_rounding")
_NUMBER = 'a number (integer, decimal, fraction such as "-3/8", or 2.5e-3)'
_COUNT = re.compile(r"[1-9][0-9]*", re.ASCII)

Entries = tuple[tuple[WrittenNumber | None, ...], ...]


class AnswerFileError(DerivationError):
    """An answer file that cannot be read: bad TOML, an unknown name, a wrong shape.

    The message has the form ``FILE: KEY PATH: expected ..., found ...``.

    >>> str(AnswerFileError("step 1: layer 2: dW", "a 2x2 matrix", "2x3", "a.toml"))
    'a.toml: step 1: layer 2: dW: expected a 2x2 matrix, found 2x3'
    """

    def __init__(
        self, key_path: str, expected: str, found: str, source: str | None = None
    ) -> None:
        self.key_path = key_path
        self.expected = expected
        self.found = found
        self.source = source
        parts = [source, key_path, f"expected {expected}"]
        super().__init__(": ".join(part for part in parts if part) + f", found {found}")

    def in_file(self, source: str | None) -> AnswerFileError:
        """Return a copy of this error that names the file it came from."""
        return AnswerFileError(self.key_path, self.expected, self.found, source)


class Quantity(NamedTuple):
    """One value of a trace: a step, a layer (``None`` for the loss) and a name."""

    step: int
    layer: int | None
    name: str

    def describe(self, name: str | None = None) -> str:
        """Return the key path, such as ``"step 1: layer 2: dW"``.

        ``name`` replaces the canonical name, to show an alias as written.
        """
        parts = [f"step {self.step}"]
        if self.layer is not None:
            parts.append(f"layer {self.layer}")
        parts.append(name or self.name)
        return ": ".join(parts)


@dataclass(frozen=True)
class Answer:
    """One value of an answer file, with the tolerance and points that apply.

    ``layout`` is how the value was written: ``"number"``, ``"list"`` (a
    flat list, stored as one row) or ``"rows"``. Blank entries are ``None``.
    """

    quantity: Quantity
    written_name: str
    layout: str
    entries: Entries
    tolerance: Tolerance
    points: sympy.Rational

    @property
    def key_path(self) -> str:
        """The value's key path with its name as written."""
        return self.quantity.describe(self.written_name)


@dataclass(frozen=True)
class AnswerSheet:
    """A whole answer file: its values and the grading settings.

    Attributes
    ----------
    answers
        The values that are not blank, in the order of the file.
    tolerance
        The tolerance of the ``[tolerance]`` table, or the default.
    carried_forward_credit
        The share of its points (0 to 1) that a value consistent with an
        earlier slip earns.
    source
        The file name, for messages.
    """

    answers: tuple[Answer, ...]
    tolerance: Tolerance = Tolerance()
    carried_forward_credit: sympy.Rational = sympy.Integer(1)
    source: str | None = None


def read_answers(path: str | Path) -> AnswerSheet:
    """Read an answer file.

    Raises
    ------
    AnswerFileError
        If the file cannot be read, is not UTF-8 TOML, or has an unknown
        key or a value that is not a number. Names and shapes are checked
        against a trace later, by :func:`match_answers`.
    """
    source = str(path)
    try:
        with open(path, "rb") as handle:
            # Reading stops past the limit, so that a wrong path such as
            # /dev/zero ends with a message instead of filling the memory.
            data = handle.read(MAX_ANSWER_BYTES + 1)
    except FileNotFoundError:
        found = "nothing (file not found)"
        raise AnswerFileError("", "an answer file", found, source) from None
    except OSError as error:
        found = f"a path that cannot be read ({error.strerror or error})"
        raise AnswerFileError("", "a readable answer file", found, source) from None
    if len(data) > MAX_ANSWER_BYTES:
        expected = f"an answer file of at most {MAX_ANSWER_BYTES} bytes"
        raise AnswerFileError("", expected, "a larger file", source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        found = f"the byte 0x{data[error.start]:02x} at offset {error.start}"
        raise AnswerFileError("", "UTF-8 text", found, source) from None
    return parse_answers(text, source=source)


def parse_answers(text: str, source: str | None = "<answers>") -> AnswerSheet:
    """Read the text of an answer file, named ``source`` in errors.

    >>> sheet = parse_answers('[step.1.layer.2]\\nz = [6.5, "13/2"]')
    >>> [number.value for number in sheet.answers[0].entries[0]]
    [13/2, 13/2]
    """
    try:
        document = tomllib.loads(text, parse_float=DecimalText)
    except tomllib.TOMLDecodeError as error:
        raise AnswerFileError("", "valid TOML", str(error), source) from None
    except RecursionError:
        found = "arrays or tables nested too deeply"
        raise AnswerFileError("", "valid TOML", found, source) from None
    except ValueError as error:
        # tomllib raises a plain ValueError for an integer of more than 4300
        # digits, Python's limit on converting text to int. Its message
        # suggests a Python setting, which would not help a user.
        digits = re.search(r"value has (\d+) digits", str(error))
        found = str(error)
        if digits:
            found = f"an integer of {digits[1]} digits, more than {MAX_DIGITS}"
        raise AnswerFileError("", "valid TOML", found, source) from None
    try:
        return _read_document(document, source)
    except AnswerFileError as error:
        raise error.in_file(source) from None


def _read_document(document: dict[str, Any], source: str | None) -> AnswerSheet:
    _reject_unknown_keys(document, _TOP_KEYS, "")
    tolerance = Tolerance()
    if "tolerance" in document:
        tolerance = read_tolerance(document["tolerance"], "tolerance", tolerance)
    grading = document.get("grading", {})
    if not isinstance(grading, dict):
        raise AnswerFileError("grading", "a [grading] table", _describe(grading))
    _reject_unknown_keys(grading, _GRADING_KEYS, "grading")
    points = sympy.Integer(1)
    if "points" in grading:
        points = _points(grading["points"], "grading: points")
    credit = sympy.Integer(1)
    if "carried_forward_credit" in grading:
        credit = _share(
            grading["carried_forward_credit"], "grading: carried_forward_credit"
        )

    defaults = (tolerance, points)
    answers = _read_steps(document.get("step", {}), defaults)
    return AnswerSheet(answers, tolerance, credit, source)


def _read_steps(
    steps: Any, defaults: tuple[Tolerance, sympy.Rational]
) -> tuple[Answer, ...]:
    if not isinstance(steps, dict):
        raise AnswerFileError("step", "[step.N] tables", _describe(steps))
    answers: list[Answer] = []
    for key, table in steps.items():
        number = _count(key, "step", "a step number (1, 2, ...)")
        path = f"step {number}"
        if not isinstance(table, dict):
            raise AnswerFileError(path, f"a [step.{number}] table", _describe(table))
        for name, value in table.items():
            if name == "layer":
                answers += _read_layers(value, number, defaults)
            elif name in STEP_NAMES:
                quantity = Quantity(number, None, name)
                answers += _read_answer(value, quantity, name, defaults)
            else:
                raise AnswerFileError(
                    f"{path}: {name}",
                    f"a known key ({', '.join(_STEP_KEYS)})",
                    _unknown_step_key(name, number),
                )
    _reject_duplicates(answers)
    return tuple(answers)


def _unknown_step_key(name: str, step: int) -> str:
    found = f"the unknown key {name!r}"
    if name in LAYER_NAMES or name in ALIASES:
        found += f", which belongs in a [step.{step}.layer.N] table"
    return found


def _read_layers(
    layers: Any, step: int, defaults: tuple[Tolerance, sympy.Rational]
) -> list[Answer]:
    path = f"step {step}: layer"
    if not isinstance(layers, dict):
        raise AnswerFileError(path, f"[step.{step}.layer.N] tables", _describe(layers))
    answers: list[Answer] = []
    for key, table in layers.items():
        number = _count(key, path, "a layer number (1, 2, ...)")
        layer_path = f"step {step}: layer {number}"
        if not isinstance(table, dict):
            expected = f"a [step.{step}.layer.{number}] table"
            raise AnswerFileError(layer_path, expected, _describe(table))
        for written_name, value in table.items():
            name = _layer_name(written_name, layer_path)
            quantity = Quantity(step, number, name)
            answers += _read_answer(value, quantity, written_name, defaults)
    return answers


def _layer_name(written_name: str, path: str) -> str:
    if written_name in LAYER_NAMES:
        return written_name
    if written_name in ALIASES:
        return ALIASES[written_name]
    known = ", ".join(LAYER_NAMES)
    aliases = ", ".join(ALIASES)
    found = f"the unknown key {written_name!r}"
    suggestion = _closest(written_name, (*LAYER_NAMES, *ALIASES))
    if suggestion:
        found += f" (did you mean {suggestion!r}?)"
    raise AnswerFileError(
        f"{path}: {written_name}",
        f"one of the names {known}, or an alias ({aliases})",
        found,
    )


def _closest(name: str, names: tuple[str, ...]) -> str | None:
    for candidate in names:
        if candidate.lower() == name.lower():
            return candidate
    matches = difflib.get_close_matches(name, names, n=1)
    return matches[0] if matches else None


def _reject_duplicates(answers: list[Answer]) -> None:
    seen: dict[Quantity, Answer] = {}
    for answer in answers:
        earlier = seen.setdefault(answer.quantity, answer)
        if earlier is not answer:
            raise AnswerFileError(
                answer.key_path,
                "each value once",
                f"the same value again, already given as {earlier.written_name!r}",
            )


def _read_answer(
    value: Any,
    quantity: Quantity,
    written_name: str,
    defaults: tuple[Tolerance, sympy.Rational],
) -> list[Answer]:
    """Read one value, plain or as a table with ``value``, ``tolerance``, ``points``.

    Returns a list of one answer, or an empty list when every entry is blank.
    """
    path = quantity.describe(written_name)
    tolerance, points = defaults
    if isinstance(value, dict):
        _reject_unknown_keys(value, _VALUE_KEYS, path)
        if "value" not in value:
            found = "nothing (the key is missing)"
            raise AnswerFileError(f"{path}: value", "a value", found)
        if "tolerance" in value:
            tolerance = read_tolerance(
                value["tolerance"], f"{path}: tolerance", tolerance
            )
        if "points" in value:
            points = _points(value["points"], f"{path}: points")
        value = value["value"]

    layout, entries = _read_entries(value, path)
    if all(entry is None for row in entries for entry in row):
        return []
    answer = Answer(quantity, written_name, layout, entries, tolerance, points)
    return [answer]


def _read_entries(value: Any, path: str) -> tuple[str, Entries]:
    if not isinstance(value, list):
        return "number", ((_entry(value, path),),)
    if not value:
        raise AnswerFileError(path, "a number or a list of numbers", "an empty list")
    if not any(isinstance(item, list) for item in value):
        row = tuple(
            _entry(item, f"{path}: entry {i}") for i, item in enumerate(value, 1)
        )
        return "list", (row,)
    if not all(isinstance(item, list) for item in value):
        found = "a list that mixes numbers and lists"
        raise AnswerFileError(path, "a flat list or a list of rows", found)
    lengths = sorted({len(row) for row in value})
    if len(lengths) > 1:
        found = "rows of lengths " + ", ".join(str(n) for n in lengths)
        raise AnswerFileError(path, "rows of equal length", found)
    rows = tuple(
        tuple(
            _entry(item, f"{path}: row {i}, column {j}")
            for j, item in enumerate(row, 1)
        )
        for i, row in enumerate(value, 1)
    )
    return "rows", rows


def _entry(value: Any, path: str) -> WrittenNumber | None:
    if isinstance(value, str) and not isinstance(value, DecimalText):
        if not value.strip():
            return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise AnswerFileError(path, f'{_NUMBER} or "" for a blank', _describe(value))
    try:
        return written_number(str(value))
    except NumberError as error:
        raise AnswerFileError(path, _NUMBER, _number_found(value, error)) from None


def _number(value: Any, path: str) -> sympy.Rational:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise AnswerFileError(path, _NUMBER, _describe(value))
    try:
        return parse_number(str(value))
    except NumberError as error:
        raise AnswerFileError(path, _NUMBER, _number_found(value, error)) from None


def _number_found(value: Any, error: NumberError) -> str:
    found = _describe(value)
    return f"{found}, which {error.detail}" if error.detail else found


def _points(value: Any, path: str) -> sympy.Rational:
    points = _number(value, path)
    if points < 0:
        raise AnswerFileError(path, "a number of points, 0 or more", _describe(value))
    return points


def _share(value: Any, path: str) -> sympy.Rational:
    share = _number(value, path)
    if not 0 <= share <= 1:
        raise AnswerFileError(path, "a number from 0 to 1", _describe(value))
    return share


def read_tolerance(value: Any, path: str, inherited: Tolerance) -> Tolerance:
    """Read a tolerance: ``"exact"``, ``"rounded"`` or a table of a policy.

    A table has one policy key (``exact = true``, ``rounded = true``,
    ``decimals = 2``, ``significant = 3``, ``absolute = 0.001`` or
    ``relative = 0.01``) and optionally ``ties`` and, beside ``absolute``
    or ``relative``, ``accept_correct_rounding``.

    Keys that the table leaves out keep their ``inherited`` values, so a
    value's own tolerance may set only ``ties``, or only a new policy.

    Raises
    ------
    AnswerFileError
        If the value is not one of those forms, or the table names more than
        one policy.
    """
    if isinstance(value, str) and not isinstance(value, DecimalText):
        if value in ("exact", "rounded"):
            return replace(inherited, policy=value, amount=None, digits=None)
    if not isinstance(value, dict):
        expected = '"exact", "rounded" or a table such as { decimals = 2 }'
        raise AnswerFileError(path, expected, _describe(value))
    _reject_unknown_keys(value, _TOLERANCE_KEYS, path)
    policies = [key for key in value if key in POLICIES]
    if len(policies) > 1:
        found = "the keys " + " and ".join(policies)
        raise AnswerFileError(path, "one policy", found)

    tolerance = inherited
    if policies:
        tolerance = _read_policy(value, policies[0], path, tolerance)
    if "ties" in value:
        tolerance = replace(tolerance, ties=_tie_rule(value["ties"], f"{path}: ties"))
    if "accept_correct_rounding" in value:
        tolerance = _read_rounding_switch(value, policies, path, tolerance)
    return tolerance


def _read_policy(
    table: Mapping[str, Any], policy: str, path: str, tolerance: Tolerance
) -> Tolerance:
    value = table[policy]
    key_path = f"{path}: {policy}"
    if policy in ("exact", "rounded"):
        if value is not True:
            raise AnswerFileError(key_path, "true", _describe(value))
        return replace(tolerance, policy=policy, amount=None, digits=None)
    if policy in ("absolute", "relative"):
        amount = _number(value, key_path)
        if amount < 0:
            raise AnswerFileError(key_path, "a number, 0 or more", _describe(value))
        return replace(tolerance, policy=policy, amount=amount, digits=None)
    least = 0 if policy == "decimals" else 1
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnswerFileError(key_path, f"an integer from {least}", _describe(value))
    if not least <= value <= MAX_DIGITS:
        expected = f"an integer from {least} to {MAX_DIGITS}"
        raise AnswerFileError(key_path, expected, _describe(value))
    return replace(tolerance, policy=policy, amount=None, digits=value)


def _tie_rule(value: Any, path: str) -> str:
    if value not in TIE_RULES:
        raise AnswerFileError(path, f"one of {', '.join(TIE_RULES)}", _describe(value))
    return str(value)


def _read_rounding_switch(
    table: Mapping[str, Any], policies: list[str], path: str, tolerance: Tolerance
) -> Tolerance:
    key_path = f"{path}: accept_correct_rounding"
    value = table["accept_correct_rounding"]
    if not isinstance(value, bool):
        raise AnswerFileError(key_path, "true or false", _describe(value))
    if policies and policies[0] not in ("absolute", "relative"):
        expected = "the policy absolute or relative beside it"
        raise AnswerFileError(key_path, expected, f"the policy {policies[0]}")
    return replace(tolerance, accept_correct_rounding=value)


def _count(key: str, path: str, expected: str) -> int:
    if not _COUNT.fullmatch(key):
        raise AnswerFileError(f"{path}: {key}", expected, f"the key {key!r}")
    return int(key)


def _reject_unknown_keys(
    table: Mapping[str, Any], known: tuple[str, ...], path: str
) -> None:
    for key in table:
        if key not in known:
            key_path = f"{path}: {key}" if path else key
            raise AnswerFileError(
                key_path,
                f"a known key ({', '.join(known)})",
                f"the unknown key {key!r}",
            )


@dataclass(frozen=True)
class MatchedAnswer:
    """An answer whose entries are arranged in the shape of the trace's value."""

    answer: Answer
    entries: Entries


def match_answers(sheet: AnswerSheet, trace: Trace) -> dict[Quantity, MatchedAnswer]:
    """Match every answer to a value of the trace and arrange it in that shape.

    Raises
    ------
    AnswerFileError
        If a step or layer does not exist in the trace or a value has the
        wrong shape. The message names the sheet's file.
    """
    matched = {}
    for answer in sheet.answers:
        try:
            shape = value_shape(trace, answer.quantity, answer.written_name)
            entries = _arrange(answer, shape)
        except AnswerFileError as error:
            raise error.in_file(sheet.source) from None
        matched[answer.quantity] = MatchedAnswer(answer, entries)
    return matched


def value_shape(
    trace: Trace, quantity: Quantity, written_name: str | None = None
) -> tuple[int, int]:
    """Return the (rows, columns) of a value of the trace.

    Raises
    ------
    AnswerFileError
        If the trace has no such step or layer.
    """
    steps = len(trace.steps)
    if not 1 <= quantity.step <= steps:
        path = f"step {quantity.step}"
        expected = f"a step from 1 to {steps}" if steps > 1 else "step 1"
        found = f"step {quantity.step} (the spec trains {_steps_phrase(steps)})"
        raise AnswerFileError(path, expected, found)
    if quantity.layer is None:
        return (1, 1)

    layers = trace.network.layers
    if not 1 <= quantity.layer <= len(layers):
        path = f"step {quantity.step}: layer {quantity.layer}"
        expected = f"a layer from 1 to {len(layers)}"
        raise AnswerFileError(path, expected, f"layer {quantity.layer}")
    layer = layers[quantity.layer - 1]
    if quantity.name == "slope" and not layer.activation.elementwise:
        path = quantity.describe(written_name)
        expected = "a value the layer has"
        found = f"slope, which a {layer.activation.name} layer does not have"
        raise AnswerFileError(path, expected, found)
    if quantity.name in WEIGHT_NAMES:
        return (layer.units, layer.inputs)
    if quantity.name == "db" and layer.bias == "shared":
        return (1, 1)
    if quantity.name not in SAMPLE_NAMES:
        return (layer.units, 1)
    batch = trace.steps[quantity.step - 1].x.cols
    if quantity.name in ("a_prev", "da_prev"):
        return (layer.inputs, batch)
    return (layer.units, batch)


def _steps_phrase(steps: int) -> str:
    return "1 step" if steps == 1 else f"{steps} steps"


def _arrange(answer: Answer, shape: tuple[int, int]) -> Entries:
    rows, cols = shape
    entries = answer.entries
    if answer.layout == "number" and shape == (1, 1):
        return entries
    if answer.layout == "list" and 1 in shape and len(entries[0]) == rows * cols:
        if cols == 1:
            return tuple((entry,) for entry in entries[0])
        return entries
    if answer.layout == "rows" and (len(entries), len(entries[0])) == shape:
        return entries
    raise AnswerFileError(
        answer.key_path,
        shape_phrase(answer.quantity.name, shape),
        _layout_found(answer),
    )


def shape_phrase(name: str, shape: tuple[int, int]) -> str:
    """Describe the expected form of a value, such as ``"a list of 2 values"``."""
    rows, cols = shape
    if shape == (1, 1):
        return "a number" if name == "loss" else "a number or a list of 1 value"
    if name in WEIGHT_NAMES or 1 not in shape:
        text = f"a {rows}x{cols} matrix (a list of rows)"
        if 1 in shape:
            text = text[:-1] + f", or a flat list of {rows * cols} values)"
        return text
    return f"a list of {rows * cols} values"


def _layout_found(answer: Answer) -> str:
    entries = answer.entries
    if answer.layout == "number":
        return "a single number"
    if answer.layout == "list":
        count = len(entries[0])
        return f"a list of {count} value" + ("" if count == 1 else "s")
    return f"a {len(entries)}x{len(entries[0])} matrix"


def answer_template(trace: Trace, title: str | None = None) -> str:
    """Write an answer file with a blank for every value of the trace.

    Each value is ``""`` (or a list of them) with its meaning and shape in a
    comment. The parameters ``W`` and ``b`` are listed from step 2 on,
    where they are the results of the step before. ``a_prev`` is left out
    because it is ``a`` of the layer before (or ``x``).

    >>> from derivation.engine import train
    >>> from derivation.network import Layer, Network
    >>> net = Network([Layer([[2]], [0], "identity")])
    >>> print(answer_template(train(net, [1], [3], learning_rate=1)).splitlines()[-1])
    b_after = [""]    # b - eta db, 1 value
    """
    lines = _template_header(title)
    names = [name for name in LAYER_NAMES if name != "a_prev"]
    meanings = _meanings(trace)
    for step in trace.steps:
        lines += ["", f"[step.{step.number}]"]
        if step.x.cols > 1:
            lines.append(f"# This step's batch: {_samples_phrase(step)}.")
        lines += _aligned([("loss", '""', "L, a number")])
        for number, layer in enumerate(trace.network.layers, start=1):
            lines += ["", f"[step.{step.number}.layer.{number}]"]
            rows = []
            for name in names:
                if name in ("W", "b") and step.number == 1:
                    continue
                if name == "slope" and not layer.activation.elementwise:
                    continue
                shape = value_shape(trace, Quantity(step.number, number, name))
                blank = _blank(name, shape)
                meaning = _meaning(meanings, name, step.number)
                rows.append((name, blank, f"{meaning}, {_shape_comment(name, shape)}"))
            lines += _aligned(rows)
    return "\n".join(lines) + "\n"


def _samples_phrase(step: Any) -> str:
    numbers = step.samples or tuple(range(1, step.x.cols + 1))
    listed = ", ".join(str(number) for number in numbers)
    return f"samples {listed}, one column each in z, a, da, slope, dz and da_prev"


def _meanings(trace: Trace) -> dict[str, str]:
    """Return the template's meanings, adjusted to the run's settings."""
    meanings = dict(MEANINGS)
    optimizer = trace.optimizer
    if optimizer.decays:
        meanings["W_after"] = "W - eta (dW + lambda W)"
    if optimizer.uses_momentum:
        gradient = "dW + lambda W" if optimizer.decays else "dW"
        meanings["W_after"] = f"W - eta v, v = mu v_before + {gradient}"
        meanings["b_after"] = "b - eta v, v = mu v_before + db"
    if trace.batch_size > 1 or any(step.x.cols > 1 for step in trace.steps):
        factor = "mean over" if trace.reduction == "mean" else "sum over"
        meanings["dW"] = f"dL/dW = dz a_prev^T, the {factor} the batch"
        meanings["db"] = f"dL/db, dz {factor} the batch"
    return meanings


def _template_header(title: str | None) -> list[str]:
    # The title goes into a comment line, so line breaks and control
    # characters, which would end the comment or make the TOML invalid,
    # become spaces.
    if title:
        printable = "".join(ch if ch.isprintable() else " " for ch in title)
        title = " ".join(printable.split())
    lines = [f"# Answers for: {title}"] if title else []
    lines += [
        '# Fill in the values you computed and leave the others blank ("").',
        "# Blank values and blank entries are not checked. Numbers may be",
        '# decimals (0.5975), fractions in quotes ("-3/8") or 2.5e-3.',
        "# Steps and layers count from 1. Vectors are flat lists, and W, dW",
        "# and W_after are lists of rows. Aliases such as dL_dW for dW work",
        "# too. Check the file with: derivation check SPEC FILE",
        "",
        "# [tolerance]      # optional; without it a value is right when exact",
        "#                  # or correctly rounded to the decimal places written",
        "# decimals = 2     # or: exact = true, significant = 3,",
        "#                  #     absolute = 0.001, relative = 0.01",
    ]
    return lines


def _meaning(meanings: dict[str, str], name: str, step: int) -> str:
    if name in ("W", "b"):
        return f"{meanings[name]} ({name}_after of step {step - 1})"
    return meanings[name]


def _blank(name: str, shape: tuple[int, int]) -> str:
    rows, cols = shape
    if name in WEIGHT_NAMES or cols > 1:
        row = "[" + ", ".join(['""'] * cols) + "]"
        return "[" + ", ".join([row] * rows) + "]"
    return "[" + ", ".join(['""'] * rows) + "]"


def _shape_comment(name: str, shape: tuple[int, int]) -> str:
    rows, cols = shape
    if name in WEIGHT_NAMES:
        return f"{rows}x{cols}"
    if cols > 1:
        return f"{rows}x{cols}, a column per sample"
    return "1 value" if rows == 1 else f"{rows} values"


def _aligned(rows: list[tuple[str, str, str]]) -> list[str]:
    assignments = [f"{name} = {value}" for name, value, _ in rows]
    width = max(len(text) for text in assignments)
    return [
        f"{text.ljust(width)}  # {comment}"
        for text, (_, _, comment) in zip(assignments, rows)
    ]
