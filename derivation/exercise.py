"""Exercises: which values of a training run a student is asked to compute.

A spec becomes an exercise with an optional ``[exercise]`` table::

    [exercise]
    ask = ["step 1: loss", "step 1: layer 2: W_after", "step 2: loss"]
    instructions = "Give every value exactly."     # optional
    formulas = true     # optional: state the layer, loss and update equations

``ask`` is ``"all"`` (the default) or a list of key paths, written as
``derivation check`` reports them. Steps and layers count from 1, and the
names are those of answer files (:mod:`derivation.answers`), aliases such as
``dL_dW`` included:

``"step S: loss"``
    The loss of step ``S``, computed before that step's update.
``"step S: layer L: NAME"``
    One value of one layer, such as ``"step 1: layer 2: W_after"``, the
    weights of layer 2 after the update of step 1.
``"step S: NAME"``
    That value of every layer in step ``S``.
``"step S: layer L"``
    Every value of layer ``L`` in step ``S``.
``"step S"``
    Every value of step ``S``.

"Every value" means the loss and, per layer, ``z``, ``a``, ``da``,
``slope``, ``dz``, ``dW``, ``db``, ``da_prev``, ``W_after`` and ``b_after``
(:data:`EXPANDED_NAMES`). The asked values are kept in the order in which a
step computes them, whatever the order of the list.

:func:`answer_key` writes the asked values of a solved exercise as an answer
file, which ``derivation check`` accepts as correct for that exercise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy

from .answers import ALIASES, LAYER_NAMES, WEIGHT_NAMES, Quantity
from .errors import DerivationError, SpecError
from .files import mark_comment
from .limits import Limits
from .numbers import DecimalText, decimal_string, terminates
from .numbers import describe_toml_value as _describe
from .spec import Spec, parse_spec, read_spec_text, spec_document
from .trace import Trace

ASK_ALL = "all"

EXPANDED_NAMES = (
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
"""The names of a layer that ``"all"``, ``"step S"`` and ``"step S: layer L"`` ask."""

_EXERCISE_KEYS = ("ask", "instructions", "formulas")
_ASK_FORMS = (
    '"all" or a list of key paths such as "step 1: loss", '
    '"step 1: layer 2: W_after", "step 2: dW", "step 1: layer 1" or "step 2"'
)

# The phase of a step in which each value is computed, for ordering.
_FORWARD = ("W", "b", "a_prev", "z", "a")
_BACKWARD = ("da", "slope", "dz", "dW", "db", "da_prev")
_UPDATE = ("W_after", "b_after")


@dataclass(frozen=True)
class Exercise:
    """A spec and the values a student is asked to compute from it.

    Attributes
    ----------
    spec
        The validated spec: network, data and training settings.
    asked
        The asked values, in the order in which a step computes them.
    instructions
        Text printed with the tasks, or ``None``.
    formulas
        Whether the sheet states the layer, loss and update equations.
    """

    spec: Spec
    asked: tuple[Quantity, ...]
    instructions: str | None = None
    formulas: bool = True


def load_exercise(path: str | Path, limits: Limits | None = None) -> Exercise:
    """Read a spec file and its ``[exercise]`` table.

    Raises
    ------
    SpecError
        If the spec is invalid or the ``[exercise]`` table is; the message
        starts with the file name.
    """
    text = read_spec_text(path, limits)
    spec = parse_spec(text, source=str(path), limits=limits)
    return read_exercise(spec_document(text, str(path)), spec)


def parse_exercise(
    text: str, source: str = "<spec>", limits: Limits | None = None
) -> Exercise:
    """Read the text of a spec file and its ``[exercise]`` table.

    >>> exercise = parse_exercise('''
    ... [network]
    ... inputs = 1
    ... [[layer]]
    ... activation = "identity"
    ... weights = 2
    ... biases = 0
    ... [data]
    ... x = [1]
    ... y = [3]
    ... [training]
    ... loss = "half_squared_error"
    ... learning_rate = 0.5
    ... steps = 1
    ... [exercise]
    ... ask = ["step 1: layer 1: W_after", "step 1: loss"]
    ... ''')
    >>> [quantity.describe() for quantity in exercise.asked]
    ['step 1: loss', 'step 1: layer 1: W_after']
    """
    spec = parse_spec(text, source=source, limits=limits)
    return read_exercise(spec_document(text, source), spec)


def read_exercise(document: Mapping[str, Any], spec: Spec) -> Exercise:
    """Read the ``[exercise]`` table of a spec's TOML document.

    ``document`` is the raw TOML of the spec (see
    :func:`derivation.spec.spec_document`) and ``spec`` the validated spec.

    Raises
    ------
    SpecError
        If the table has an unknown key, or an asked value does not exist in
        the spec's run. The message names the spec's file.
    """
    try:
        return _read_table(document.get("exercise", {}), spec)
    except SpecError as error:
        raise error.in_file(spec.source or "<spec>") from None


def _read_table(table: Any, spec: Spec) -> Exercise:
    if not isinstance(table, dict):
        raise SpecError("exercise", "an [exercise] table", _describe(table))
    for key in table:
        if key not in _EXERCISE_KEYS:
            raise SpecError(
                f"exercise: {key}",
                f"a known key ({', '.join(_EXERCISE_KEYS)})",
                f"the unknown key {key!r}",
            )
    instructions = table.get("instructions")
    if instructions is not None and not _is_text(instructions):
        raise SpecError("exercise: instructions", "a string", _describe(instructions))
    formulas = table.get("formulas", True)
    if not isinstance(formulas, bool):
        raise SpecError("exercise: formulas", "true or false", _describe(formulas))
    asked = read_ask(table.get("ask", ASK_ALL), spec)
    return Exercise(spec, asked, instructions, formulas)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and not isinstance(value, DecimalText)


def read_ask(value: Any, spec: Spec) -> tuple[Quantity, ...]:
    """Read the ``ask`` value of an ``[exercise]`` table, in computation order.

    Raises
    ------
    SpecError
        If ``value`` is not ``"all"`` or a non-empty list of key paths, or a
        key path names a step, layer or value that the spec's run lacks.
    """
    steps, layers = spec.step_count, len(spec.network.layers)
    if _is_text(value) and value.strip().lower() == ASK_ALL:
        return computation_order(_everything(range(1, steps + 1), layers))
    if not isinstance(value, list) or not value:
        raise SpecError("exercise: ask", _ASK_FORMS, _describe(value))
    asked: list[Quantity] = []
    for number, item in enumerate(value, start=1):
        path = f"exercise: ask: entry {number}"
        if not _is_text(item):
            raise SpecError(path, 'a key path such as "step 1: loss"', _describe(item))
        asked += _expand(item, path, steps, layers)
    return computation_order(asked)


def _everything(steps: Iterable[int], layers: int) -> list[Quantity]:
    asked = []
    for step in steps:
        asked.append(Quantity(step, None, "loss"))
        asked += _layer_values(step, range(1, layers + 1), EXPANDED_NAMES)
    return asked


def _layer_values(
    step: int, layers: Iterable[int], names: Iterable[str]
) -> list[Quantity]:
    return [Quantity(step, layer, name) for layer in layers for name in names]


def _expand(item: str, path: str, steps: int, layers: int) -> list[Quantity]:
    """Read one key path of ``ask`` into the values it names."""
    parts = [part.strip() for part in item.split(":")]
    step = _numbered(parts[0], "step", steps, path, item)
    if len(parts) == 1:
        return _everything([step], layers)
    if parts[1].lower().startswith("layer"):
        layer = _numbered(parts[1], "layer", layers, path, item)
        if len(parts) == 2:
            return _layer_values(step, [layer], EXPANDED_NAMES)
        if len(parts) == 3:
            name = _value_name(parts[2], path, item)
            if name == "loss":
                found = (
                    f'{item!r}; the loss belongs to the step, as in "step {step}: loss"'
                )
                raise SpecError(path, "a value of the layer", found)
            return [Quantity(step, layer, name)]
    elif len(parts) == 2:
        name = _value_name(parts[1], path, item)
        if name == "loss":
            return [Quantity(step, None, "loss")]
        return _layer_values(step, range(1, layers + 1), [name])
    raise SpecError(path, _ASK_FORMS, repr(item))


def _numbered(text: str, word: str, count: int, path: str, item: str) -> int:
    """Read ``"step 2"`` or ``"layer 1"``, checking the number against ``count``."""
    pieces = text.split()
    if len(pieces) != 2 or pieces[0].lower() != word or not pieces[1].isdecimal():
        raise SpecError(path, _ASK_FORMS, repr(item))
    number = int(pieces[1])
    if not 1 <= number <= count:
        span = f"{word} 1" if count == 1 else f"a {word} from 1 to {count}"
        plural = word if count == 1 else f"{word}s"
        found = f"{word} {number} in {item!r} (the spec has {count} {plural})"
        raise SpecError(path, span, found)
    return number


def _value_name(text: str, path: str, item: str) -> str:
    if text == "loss":
        return "loss"
    if text in LAYER_NAMES:
        return text
    if text in ALIASES:
        return ALIASES[text]
    names = ", ".join(("loss", *LAYER_NAMES))
    raise SpecError(
        path, f"a value name ({names}) or an alias such as dL_dW", repr(item)
    )


def computation_order(quantities: Iterable[Quantity]) -> tuple[Quantity, ...]:
    """Sort values as a step computes them, dropping repeats.

    The order is the forward pass layer by layer, the loss, the backward
    pass from the last layer to the first, then the updates.
    """
    return tuple(sorted(set(quantities), key=_position))


def _position(quantity: Quantity) -> tuple[int, int, int, int]:
    name, layer = quantity.name, quantity.layer
    if layer is None:
        return (quantity.step, 1, 0, 0)
    if name in _FORWARD:
        return (quantity.step, 0, layer, _FORWARD.index(name))
    if name in _BACKWARD:
        return (quantity.step, 2, -layer, _BACKWARD.index(name))
    return (quantity.step, 3, layer, _UPDATE.index(name))


def asked_value(trace: Trace, quantity: Quantity) -> sympy.Matrix | None:
    """Return an asked value of a trace, or ``None`` if the run has none there.

    The loss is a 1x1 matrix. ``None`` stands for a value that a layer does
    not have, such as the activation derivative of softmax, whose
    derivative is a Jacobian.
    """
    step = trace.steps[quantity.step - 1]
    if quantity.layer is None:
        return sympy.Matrix([[step.loss]])
    value = getattr(step.layers[quantity.layer - 1], quantity.name)
    return None if value is None else sympy.Matrix(value)


def answer_key(
    trace: Trace, asked: Iterable[Quantity], title: str | None = None
) -> str:
    """Write the asked values of a trace as an answer file for ``derivation check``.

    Values are exact: terminating decimals as TOML decimals, other
    fractions as strings such as ``"-3/8"``. The file sets ``exact = true``
    as its tolerance, so a key checked against another exercise does not
    pass on values that merely round to it. Values that the run does not
    have (see :func:`asked_value`) are left out.

    Raises
    ------
    DerivationError
        If an asked value is not a rational number, such as a value of a
        sigmoid layer, which an answer file cannot hold exactly.
    """
    lines = [mark_comment("#")]
    if title:
        lines.append(f"# Answer key: {_comment_text(title)}")
    lines += [
        "# Every value is exact. Check a spec against this key with:",
        "#   derivation check SPEC THIS_FILE",
        "",
        "[tolerance]",
        "exact = true",
    ]
    # TOML allows each table once, so the values are grouped by step and
    # layer, each group in computation order.
    tables: dict[tuple[int, int], list[str]] = {}
    for quantity in asked:
        value = asked_value(trace, quantity)
        if value is None:
            continue
        group = tables.setdefault((quantity.step, quantity.layer or 0), [])
        group.append(f"{quantity.name} = {_toml_value(value, quantity)}")
    for (step, layer), assignments in sorted(tables.items()):
        header = f"[step.{step}.layer.{layer}]" if layer else f"[step.{step}]"
        lines += ["", header, *assignments]
    return "\n".join(lines) + "\n"


def _comment_text(text: str) -> str:
    """Keep text on one comment line: line breaks and control characters go."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())


def _toml_value(value: sympy.Matrix, quantity: Quantity) -> str:
    written = [
        [toml_number(entry, quantity) for entry in row] for row in value.tolist()
    ]
    if quantity.layer is None:
        return written[0][0]
    if quantity.name in WEIGHT_NAMES or value.cols > 1:
        return "[" + ", ".join("[" + ", ".join(row) + "]" for row in written) + "]"
    return "[" + ", ".join(row[0] for row in written) + "]"


def toml_number(value: sympy.Expr, quantity: Quantity | None = None) -> str:
    """Write an exact rational as a TOML value that reads back to it exactly.

    >>> toml_number(sympy.Rational(-123, 200)), toml_number(sympy.Rational(1, 3))
    ('-0.615', '"1/3"')
    """
    if not isinstance(value, sympy.Rational):
        where = f"{quantity.describe()}: " if quantity is not None else ""
        raise DerivationError(
            f"{where}{value} is not a rational number, so an answer file cannot "
            "hold it exactly"
        )
    if value.q == 1:
        return str(int(value.p))
    if terminates(value):
        decimal = decimal_string(value)
        # A decimal far longer than the fraction, such as 2**-40, reads
        # better as the fraction.
        if len(decimal) <= len(str(value)) + 8:
            return decimal
    return f'"{value.p}/{value.q}"'
