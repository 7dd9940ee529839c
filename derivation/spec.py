"""Spec files: a training exercise written in TOML, read into exact values.

A spec names the network, the training samples and the training settings::

    title = "Two steps through a small ReLU network"   # optional

    [network]
    inputs = 1
    relu_derivative_at_zero = 0     # optional, 0 (default) or 1

    [[layer]]                       # one table per layer, input side first
    activation = "relu"             # identity | relu | leaky_relu | sigmoid
                                    # | tanh | softplus | softmax (output only)
    # slope = 0.1                   # leaky_relu only; default 1/100
    units = 2                       # optional; needed when weights and biases
                                    # are both single numbers
    weights = [[1], [1]]            # (units) x (inputs); a scalar fills it
    biases = [-0.5, -0.5]           # one per unit; a scalar fills it
    bias = true                     # optional: true | "shared" | false
    frozen = []                     # optional: any of "weights", "biases"

    [data]
    x = [4]                         # one sample, or one row per sample:
    y = [1]                         # x = [[1, 2], [3, 4]]

    [training]
    loss = "half_squared_error"     # or sum_squared_error, mean_squared_error,
                                    # binary_cross_entropy,
                                    # categorical_cross_entropy
    learning_rate = 0.01
    steps = 2                       # or epochs = 1, not both
    batch_size = 1                  # optional; default all samples
    reduction = "mean"              # optional: "mean" (default) | "sum"
    momentum = 0.9                  # optional, 0 <= mu < 1
    weight_decay = 0.01             # optional L2 factor, default 0
    rounding = { mode = "decimals", digits = 4 }   # optional; see growth.py
    max_digits = 200                # optional digit limit, default 4000

    [notation]                      # optional; see render/notation.py
    layer_marks = "parentheses"

    [numbers]                       # optional; see render/number_format.py
    style = "decimal"
    places = 4

    [output]                        # optional
    diagram = true                  # draw the network; default false

    [exercise]                      # optional; see derivation/exercise.py
    ask = ["step 1: loss", "step 2: layer 1: W_after"]

    [variants]                      # optional; see derivation/variants.py
    max_decimals = 4
    "data.x" = { range = [1, 5] }

Numbers may be TOML integers, TOML decimals (read exactly as written, so
``0.01`` is 1/100) or strings such as ``"-3/8"`` and ``"2.5e-3"``. Weights,
biases, data and the learning rate may also be symbol names such as
``"w1"`` or ``"eta"`` (see :mod:`derivation.symbols`). Every error names the
file, the key path (layers counted from 1), what was expected and what was
found.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy

from .activations import ACTIVATION_NAMES, LEAKY_SLOPE, get_activation
from .errors import DerivationError, NumberError, SpecError
from .growth import (
    DEFAULT_MAX_DIGITS,
    MAX_ROUNDING_DIGITS,
    ROUNDING_MODES,
    ROUNDING_TIMES,
    RoundingPolicy,
)
from .limits import DEFAULT_LIMITS, Limits, ResourceLimitError, check_values
from .losses import LOSS_NAMES, Loss, check_targets, get_loss
from .network import Layer, Network
from .numbers import MAX_DIGITS, DecimalText, parse_number, to_exact
from .numbers import describe_toml_value as _describe
from .optimizers import PLAIN, Optimizer
from .render.notation import Notation
from .render.number_format import NumberFormat
from .render.settings import SettingError
from .symbols import to_exact_value

# Spec files are a few hundred bytes. Reading stops at the spec_bytes limit,
# this value by default, so a wrong path such as /dev/zero ends with a
# message instead of filling the memory.
MAX_SPEC_BYTES = DEFAULT_LIMITS.spec_bytes

_INTEGER_TOO_LONG = re.compile(r"integer string conversion: value has (\d+) digits")

_TOP_KEYS = (
    "title",
    "network",
    "layer",
    "data",
    "training",
    "notation",
    "numbers",
    "output",
    # Read by derivation.exercise and derivation.variants from spec_document.
    "exercise",
    "variants",
)
_OUTPUT_KEYS = ("diagram",)
_NETWORK_KEYS = ("inputs", "relu_derivative_at_zero")
_LAYER_KEYS = (
    "activation",
    "units",
    "weights",
    "biases",
    "relu_derivative_at_zero",
    "slope",
    "bias",
    "frozen",
)
_DATA_KEYS = ("x", "y")
_TRAINING_KEYS = (
    "loss",
    "learning_rate",
    "steps",
    "epochs",
    "batch_size",
    "reduction",
    "momentum",
    "weight_decay",
    "rounding",
    "max_digits",
)
_ROUNDING_KEYS = ("mode", "digits", "when")


@dataclass(frozen=True)
class Spec:
    """A validated exercise: the network, its samples and how to train on it."""

    network: Network
    x: sympy.Matrix
    y: sympy.Matrix
    loss: Loss
    learning_rate: sympy.Expr
    steps: int | None
    title: str | None = None
    source: str | None = None
    rounding: RoundingPolicy | None = None
    max_digits: int = DEFAULT_MAX_DIGITS
    notation: Notation | None = None
    numbers: NumberFormat | None = None
    diagram: bool = False
    epochs: int | None = None
    batch_size: int | None = None
    reduction: str = "mean"
    optimizer: Optimizer = PLAIN

    @property
    def step_count(self) -> int:
        """How many updates training takes."""
        if self.epochs is None:
            return self.steps or 1
        batch = self.batch_size or self.x.cols
        return self.epochs * -(-self.x.cols // batch)


def load_spec(path: str | Path, limits: Limits | None = None) -> Spec:
    """Read and validate a spec file.

    ``limits`` bounds the file size and the network, steps and values of the
    run it describes (:data:`~derivation.limits.DEFAULT_LIMITS` if ``None``).

    Raises
    ------
    SpecError
        If the file cannot be read, is not UTF-8 TOML, or does not describe a
        consistent exercise. The message starts with the file name.
    ResourceLimitError
        If the file or the run it describes is larger than ``limits`` allow.
    """
    limits = limits or DEFAULT_LIMITS
    return parse_spec(read_spec_text(path, limits), source=str(path), limits=limits)


def read_spec_text(path: str | Path, limits: Limits | None = None) -> str:
    """Read a spec file's text, within the ``spec_bytes`` limit.

    Raises
    ------
    SpecError
        If the file cannot be read or is not UTF-8. The message starts with
        the file name.
    ResourceLimitError
        If the file is larger than ``limits`` allow.
    """
    source = str(path)
    limits = limits or DEFAULT_LIMITS
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.spec_bytes + 1)
    except FileNotFoundError:
        found = "nothing (file not found)"
        raise SpecError("", "a spec file", found, source=source) from None
    except OSError as error:
        found = f"a path that cannot be read ({error.strerror or error})"
        raise SpecError("", "a readable spec file", found, source=source) from None
    if len(data) > limits.spec_bytes:
        raise _oversized(path, len(data), limits).in_file(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        found = f"the byte 0x{data[error.start]:02x} at offset {error.start}"
        raise SpecError("", "UTF-8 text", found, source=source) from None
    return text


def _oversized(path: str | Path, read: int, limits: Limits) -> ResourceLimitError:
    """Describe a spec file past the size limit, with its size if known."""
    try:
        size = max(Path(path).stat().st_size, read)
    except OSError:
        size = read
    detail = "" if size > read else "or more; the file was read no further"
    return ResourceLimitError("spec_bytes", size, limits.spec_bytes, "", detail)


def parse_spec(text: str, source: str = "<spec>", limits: Limits | None = None) -> Spec:
    """Validate the text of a spec file; ``source`` names it in errors.

    ``limits`` is as in :func:`load_spec`.

    >>> spec = parse_spec('''
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
    ... ''')
    >>> spec.learning_rate, spec.network.layers[0].W
    (1/2, Matrix([[2]]))
    """
    limits = limits or DEFAULT_LIMITS
    if len(text) > limits.spec_bytes // 4:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > limits.spec_bytes:
            error = ResourceLimitError("spec_bytes", size, limits.spec_bytes)
            raise error.in_file(source)
    # Editors on Windows often start UTF-8 files with a byte order mark.
    text = text.removeprefix("\ufeff")
    try:
        document = tomllib.loads(text, parse_float=DecimalText)
    except tomllib.TOMLDecodeError as error:
        raise SpecError("", "valid TOML", str(error), source=source) from None
    except (ValueError, RecursionError) as error:
        raise SpecError(
            "", "valid TOML", _describe_error(error), source=source
        ) from None

    try:
        return _read_document(document, source, limits)
    except (SpecError, ResourceLimitError) as error:
        raise error.in_file(source) from None


def spec_document(text: str, source: str = "<spec>") -> dict[str, Any]:
    """Return the raw TOML document of a spec's text, decimals kept as written.

    Decimals are :class:`~derivation.numbers.DecimalText`. Tables that
    :func:`parse_spec` does not read, such as ``[exercise]``, are returned
    as they are, for the modules that read them.

    Raises
    ------
    SpecError
        If the text is not valid TOML.
    """
    try:
        return tomllib.loads(text.removeprefix("\ufeff"), parse_float=DecimalText)
    except (ValueError, RecursionError) as error:
        raise SpecError(
            "", "valid TOML", _describe_error(error), source=source
        ) from None


def _describe_error(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "arrays or tables nested too deeply"
    # tomllib converts integers with int(), which Python 3.11 limits to 4300
    # digits; its message suggests a Python setting, which would not help.
    too_long = _INTEGER_TOO_LONG.search(str(error))
    if too_long:
        return (
            f"an integer of {too_long[1]} digits, which has more than "
            f"{MAX_DIGITS} digits"
        )
    return str(error)


def _read_document(document: dict[str, Any], source: str, limits: Limits) -> Spec:
    _reject_unknown_keys(document, _TOP_KEYS, "")
    title = document.get("title")
    if title is not None and (
        not isinstance(title, str) or isinstance(title, DecimalText)
    ):
        raise SpecError("title", "a string", _describe(title))

    network_table = _table(document, "network", "")
    _reject_unknown_keys(network_table, _NETWORK_KEYS, "network")
    inputs = _positive_int(network_table, "inputs", "network")
    limits.check("width", inputs, "network: inputs")
    relu_default = _relu_convention(network_table, "network", 0)
    network = _read_layers(document, inputs, relu_default, limits)

    data = _table(document, "data", "")
    _reject_unknown_keys(data, _DATA_KEYS, "data")
    x = _samples(_require(data, "x", "data"), inputs, "data: x")
    y = _samples(_require(data, "y", "data"), network.outputs, "data: y")
    _reject_notation_symbols(network, x, y)
    if x.cols != y.cols:
        raise SpecError(
            "data: y", f"{x.cols} samples (as many as data: x)", f"{y.cols}"
        )

    training = _table(document, "training", "")
    _reject_unknown_keys(training, _TRAINING_KEYS, "training")
    loss = _loss(_require(training, "loss", "training"))
    _check_loss_fits(loss, network)
    try:
        check_targets(loss, network.layers[-1].activation.name, y)
    except DerivationError as error:
        # The message reads "y: sample N: expected ..., found ...".
        _, sample, rest = str(error).split(": ", 2)
        expected, found = rest.removeprefix("expected ").rsplit(", found ", 1)
        raise SpecError(f"data: y: {sample}", expected, found) from None
    learning_rate = _number(
        _require(training, "learning_rate", "training"), "training: learning_rate"
    )
    schedule = _schedule(training, x.cols)
    limits.check("steps", schedule["count"], "training: steps")
    check_values(
        network.widths,
        schedule["count"],
        limits,
        "training: steps",
        samples=schedule["batch_size"] or x.cols,
    )
    optimizer = _optimizer(training)
    rounding = _rounding(training["rounding"]) if "rounding" in training else None
    max_digits = DEFAULT_MAX_DIGITS
    if "max_digits" in training:
        max_digits = _positive_int(training, "max_digits", "training")

    notation = _settings(document, "notation", Notation.from_mapping)
    numbers = _settings(document, "numbers", NumberFormat.from_mapping)
    diagram = _diagram(document)

    return Spec(
        network,
        x,
        y,
        loss,
        learning_rate,
        schedule["steps"],
        title,
        source,
        rounding,
        max_digits,
        notation=notation,
        numbers=numbers,
        diagram=diagram,
        epochs=schedule["epochs"],
        batch_size=schedule["batch_size"],
        reduction=schedule["reduction"],
        optimizer=optimizer,
    )


# Greek letters that the solution uses for its own quantities (learning rate,
# momentum, weight decay, leaky slope, a parameter, the error signal, the
# sigmoid), so a weight or a datum named so would read as one of them.
_NOTATION_SYMBOLS = ("eta", "mu", "lambda", "alpha", "theta", "delta", "sigma")


def _reject_notation_symbols(
    network: Network, x: sympy.Matrix, y: sympy.Matrix
) -> None:
    places = [
        (f"layer {number}: {name}", matrix)
        for number, layer in enumerate(network.layers, start=1)
        for name, matrix in (("weights", layer.W), ("biases", layer.b))
    ]
    places += [("data: x", x), ("data: y", y)]
    for path, matrix in places:
        for entry in matrix:
            for name in sorted(str(symbol) for symbol in entry.free_symbols):
                if name in _NOTATION_SYMBOLS:
                    raise SpecError(
                        path,
                        "a symbol name that the solution does not use for its "
                        f"own quantities (not {', '.join(_NOTATION_SYMBOLS)})",
                        f"the string {name!r}",
                    )


def _samples(value: Any, length: int, path: str) -> sympy.Matrix:
    """Read data: a flat list is one sample, a list of lists one per row."""
    if not (isinstance(value, list) and value and isinstance(value[0], list)):
        return _vector(value, length, path)
    rows = []
    for number, row in enumerate(value, 1):
        rows.append(list(_vector(row, length, f"{path}: sample {number}")))
    return sympy.Matrix(rows).T


def _schedule(training: Mapping[str, Any], samples: int) -> dict[str, Any]:
    """Read steps or epochs, the batch size and the reduction."""
    if "steps" in training and "epochs" in training:
        raise SpecError("training", "steps or epochs, not both", "both")
    steps = epochs = batch_size = None
    if "epochs" in training:
        epochs = _positive_int(training, "epochs", "training")
    else:
        steps = _positive_int(training, "steps", "training")
    if "batch_size" in training:
        batch_size = _positive_int(training, "batch_size", "training")
        if batch_size > samples:
            raise SpecError(
                "training: batch_size",
                f"at most {samples} (the number of samples)",
                str(batch_size),
            )
    reduction = training.get("reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise SpecError("training: reduction", '"mean" or "sum"', _describe(reduction))
    batch = batch_size or samples
    count = steps if epochs is None else epochs * -(-samples // batch)
    return {
        "steps": steps,
        "epochs": epochs,
        "batch_size": batch_size,
        "reduction": reduction,
        "count": count,
    }


def _optimizer(training: Mapping[str, Any]) -> Optimizer:
    momentum = None
    if "momentum" in training:
        momentum = _number(training["momentum"], "training: momentum")
        if not isinstance(momentum, sympy.Rational) or not 0 <= momentum < 1:
            raise SpecError(
                "training: momentum",
                "a number from 0 up to (not including) 1",
                _describe(training["momentum"]),
            )
    decay = sympy.Integer(0)
    if "weight_decay" in training:
        decay = _number(training["weight_decay"], "training: weight_decay")
        if not isinstance(decay, sympy.Rational) or decay < 0:
            raise SpecError(
                "training: weight_decay",
                "a number of at least 0",
                _describe(training["weight_decay"]),
            )
    return Optimizer(momentum=momentum, weight_decay=decay)


def _check_loss_fits(loss: Loss, network: Network) -> None:
    """Reject softmax on a layer other than the output."""
    for number, layer in enumerate(network.layers[:-1], start=1):
        if not layer.activation.elementwise:
            raise SpecError(
                f"layer {number}: activation",
                "softmax only on the output layer",
                f"softmax on layer {number} of {len(network.layers)}",
            )


def _read_layers(
    document: Mapping[str, Any], inputs: int, relu_default: int, limits: Limits
) -> Network:
    tables = document.get("layer")
    if not isinstance(tables, list) or not tables:
        found = "none" if tables is None else _describe(tables)
        raise SpecError("layer", "at least one [[layer]] table", found)
    limits.check("depth", len(tables), "layer")

    layers = []
    widths = [inputs]
    for number, table in enumerate(tables, start=1):
        path = f"layer {number}"
        if not isinstance(table, dict):
            raise SpecError(path, "a [[layer]] table", _describe(table))
        _reject_unknown_keys(table, _LAYER_KEYS, path)
        layer = _read_layer(table, widths, path, relu_default, limits)
        layers.append(layer)
        widths.append(layer.units)
    return Network(layers)


def _read_layer(
    table: dict[str, Any],
    widths: list[int],
    path: str,
    relu_default: int,
    limits: Limits,
) -> Layer:
    """Read one layer; ``widths`` are those of the input and the layers before."""
    inputs = widths[-1]
    name = _require(table, "activation", path)
    if name not in ACTIVATION_NAMES:
        raise SpecError(
            f"{path}: activation",
            f"one of {', '.join(ACTIVATION_NAMES)}",
            _describe(name),
        )
    convention = _relu_convention(table, path, relu_default)
    slope = LEAKY_SLOPE
    if "slope" in table:
        if name != "leaky_relu":
            raise SpecError(
                f"{path}: slope",
                "no slope (only leaky_relu has one)",
                _describe(table["slope"]),
            )
        slope = _number(table["slope"], f"{path}: slope")
        if not isinstance(slope, sympy.Rational):
            raise SpecError(f"{path}: slope", "a number", _describe(table["slope"]))
    activation = get_activation(name, relu_derivative_at_zero=convention, slope=slope)
    bias = _bias_mode(table, path)
    frozen = _frozen(table, path)

    weights_value = _require(table, "weights", path)
    if bias == "none":
        if "biases" in table:
            raise SpecError(
                f"{path}: biases",
                "no biases (bias = false)",
                _describe(table["biases"]),
            )
        biases_value: Any = 0
    else:
        biases_value = _require(table, "biases", path)
    units = _units_of(weights_value, biases_value, f"{path}: weights")
    if "units" in table:
        units = _declared_units(table, path, units, weights_value, biases_value)
    # Checked before the matrices are built, since scalar weights and
    # ``units`` fill a matrix of any size from a few characters. A run
    # records at least one step, so one step must fit the values limit.
    limits.check("width", units, f"{path}: units")
    check_values([*widths, units], 1, limits, f"{path}: units")
    W = _matrix(weights_value, units, inputs, f"{path}: weights")
    if bias == "shared" and isinstance(biases_value, list):
        raise SpecError(
            f"{path}: biases", 'one number (bias = "shared")', _describe(biases_value)
        )
    b = _vector(biases_value, units, f"{path}: biases")
    return Layer(W, b, activation, bias=bias, frozen=frozen)


def _bias_mode(table: Mapping[str, Any], path: str) -> str:
    value = table.get("bias", True)
    if value is True:
        return "per_unit"
    if value is False:
        return "none"
    if value == "shared":
        return "shared"
    raise SpecError(f"{path}: bias", 'true, false or "shared"', _describe(value))


def _frozen(table: Mapping[str, Any], path: str) -> tuple[str, ...]:
    value = table.get("frozen", [])
    if not isinstance(value, list) or any(
        entry not in ("weights", "biases") for entry in value
    ):
        raise SpecError(
            f"{path}: frozen", 'a list of "weights" and "biases"', _describe(value)
        )
    return tuple(value)


def _units_of(weights: Any, biases: Any, path: str) -> int:
    """Return the number of units of a layer, the row count of its weights.

    Scalar weights fill a matrix with one row per bias, or a single row when
    the biases are a scalar too.
    """
    if isinstance(weights, list):
        if not weights:
            raise SpecError(path, "a matrix with at least one row", "an empty list")
        return len(weights)
    if isinstance(biases, list) and biases:
        return len(biases)
    return 1


def _declared_units(
    table: Mapping[str, Any], path: str, units: int, weights: Any, biases: Any
) -> int:
    """Return the ``units`` key, which must agree with any list given."""
    declared = _positive_int(table, "units", path)
    if isinstance(weights, list) and len(weights) != declared:
        found = f"{len(weights)} rows"
        raise SpecError(
            f"{path}: weights", f"{declared} rows (units = {declared})", found
        )
    if (
        isinstance(biases, list)
        and len(biases) != declared
        and not isinstance(weights, list)
    ):
        found = f"{len(biases)} values"
        raise SpecError(
            f"{path}: biases", f"{declared} values (units = {declared})", found
        )
    return declared


def _matrix(value: Any, rows: int, cols: int, path: str) -> sympy.Matrix:
    expected = f"a {rows}x{cols} matrix"
    if not isinstance(value, list):
        return sympy.Matrix(rows, cols, lambda i, j: _number(value, path))
    if not all(isinstance(row, list) for row in value):
        raise SpecError(path, f"{expected} (a list of rows)", _describe(value))

    lengths = sorted({len(row) for row in value})
    if len(lengths) > 1:
        found = "rows of lengths " + ", ".join(str(n) for n in lengths)
        raise SpecError(path, expected, found)
    if (len(value), lengths[0]) != (rows, cols):
        raise SpecError(path, expected, f"{len(value)}x{lengths[0]}")

    return sympy.Matrix(
        [
            [
                _number(entry, f"{path}: row {i}, column {j}")
                for j, entry in enumerate(row, 1)
            ]
            for i, row in enumerate(value, 1)
        ]
    )


def _vector(value: Any, length: int, path: str) -> sympy.Matrix:
    noun = "value" if length == 1 else "values"
    expected = f"a list of {length} {noun}"
    if not isinstance(value, list):
        scalar = _number(value, path)
        return sympy.Matrix([scalar] * length)
    if any(isinstance(entry, list) for entry in value):
        raise SpecError(path, f"{expected} (a flat list)", "a nested list")
    if len(value) != length:
        raise SpecError(path, expected, _describe(value))
    return sympy.Matrix(
        [_number(entry, f"{path}: entry {i}") for i, entry in enumerate(value, 1)]
    )


def _number(value: Any, path: str) -> sympy.Expr:
    # Symbol names are accepted too, but the message keeps to numbers:
    # a mistyped number is the usual cause.
    expected = 'a number (integer, decimal, fraction such as "-3/8", or 2.5e-3)'
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SpecError(path, expected, _describe(value))
    try:
        if isinstance(value, int):
            return to_exact(value)
        if isinstance(value, DecimalText):
            return parse_number(value)
        return to_exact_value(value)
    except NumberError as error:
        found = _describe(value)
        if error.detail:
            found = f"{found}, which {error.detail}"
        raise SpecError(path, expected, found) from None


def _positive_int(table: Mapping[str, Any], key: str, path: str) -> int:
    value = _require(table, key, path)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{path}: {key}", "a positive integer", _describe(value))
    return value


def _relu_convention(table: Mapping[str, Any], path: str, default: int) -> int:
    value = table.get("relu_derivative_at_zero", default)
    if isinstance(value, bool) or value not in (0, 1):
        raise SpecError(f"{path}: relu_derivative_at_zero", "0 or 1", _describe(value))
    return int(value)


def _loss(name: Any) -> Loss:
    if name not in LOSS_NAMES:
        raise SpecError(
            "training: loss", f"one of {', '.join(LOSS_NAMES)}", _describe(name)
        )
    return get_loss(name)


def _rounding(value: Any) -> RoundingPolicy:
    path = "training: rounding"
    if not isinstance(value, dict):
        expected = 'a table such as { mode = "decimals", digits = 4 }'
        raise SpecError(path, expected, _describe(value))
    _reject_unknown_keys(value, _ROUNDING_KEYS, path)
    mode = _require(value, "mode", path)
    if mode not in ROUNDING_MODES:
        expected = f"one of {', '.join(ROUNDING_MODES)}"
        raise SpecError(f"{path}: mode", expected, _describe(mode))
    when = value.get("when", "operation")
    if when not in ROUNDING_TIMES:
        expected = f"one of {', '.join(ROUNDING_TIMES)}"
        raise SpecError(f"{path}: when", expected, _describe(when))
    digits = _require(value, "digits", path)
    low = RoundingPolicy.minimum_digits(mode)
    if (
        isinstance(digits, bool)
        or not isinstance(digits, int)
        or not low <= digits <= MAX_ROUNDING_DIGITS
    ):
        expected = f"an integer from {low} to {MAX_ROUNDING_DIGITS}"
        raise SpecError(f"{path}: digits", expected, _describe(digits))
    return RoundingPolicy(mode, digits, when)


def _settings(document: Mapping[str, Any], key: str, build: Any) -> Any:
    """Read an optional table of rendering settings with ``build``, or ``None``."""
    if key not in document:
        return None
    table = _table(document, key, "")
    try:
        return build(table)
    except SettingError as error:
        raise SpecError(f"{key}: {error.key}", error.expected, error.found) from None


def _diagram(document: Mapping[str, Any]) -> bool:
    """Read ``[output] diagram``, which is false when absent."""
    if "output" not in document:
        return False
    table = _table(document, "output", "")
    _reject_unknown_keys(table, _OUTPUT_KEYS, "output")
    diagram = table.get("diagram", False)
    if not isinstance(diagram, bool):
        raise SpecError("output: diagram", "true or false", _describe(diagram))
    return diagram


def _table(document: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
    value = _require(document, key, path)
    if not isinstance(value, dict):
        raise SpecError(_join(path, key), f"a [{key}] table", _describe(value))
    return value


def _require(table: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in table:
        expected = f"a [{key}] table" if not path else "a value"
        raise SpecError(_join(path, key), expected, "nothing (the key is missing)")
    return table[key]


def _reject_unknown_keys(
    table: Mapping[str, Any], known: tuple[str, ...], path: str
) -> None:
    for key in table:
        if key not in known:
            raise SpecError(
                _join(path, key),
                f"a known key ({', '.join(known)})",
                f"the unknown key {key!r}",
            )


def _join(path: str, key: str) -> str:
    return f"{path}: {key}" if path else key
