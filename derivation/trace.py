"""The record of a training run: every intermediate value of every step.

Names follow the equations of one dense layer ``l``::

    z = W a_prev + b          a = f(z)
    dz = da * f'(z)           (element-wise)
    dW = dz a_prev^T          db = dz          da_prev = W^T dz
    W_after = W - eta dW      b_after = b - eta db

where every ``d`` name is a derivative of the loss ``L``: ``dW`` is dL/dW,
``da`` is dL/da for this layer's output, and ``da_prev`` is dL/da for its
input. Vectors are SymPy column matrices.

A :class:`Trace` is plain data: renderers and checkers read it. Nothing in
it is computed on access except the JSON conversion and the first read of a
:class:`LayerStep` field, which converts the engine's value to SymPy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import sympy

from .growth import RoundingPolicy
from .lazy import LazyField
from .losses import Loss
from .network import Network
from .numbers import exact_string
from .optimizers import PLAIN, Optimizer
from .quantities import Named

# The JSON key of each LayerStep field, shared by the exact and float traces.
JSON_KEYS = {
    "W": "W",
    "b": "b",
    "a_prev": "input",
    "z": "z",
    "a": "a",
    "da": "dL_da",
    "slope": "activation_derivative",
    "dz": "dL_dz",
    "dW": "dL_dW",
    "db": "dL_db",
    "da_prev": "dL_da_of_input",
    "W_after": "W_after",
    "b_after": "b_after",
}

# The JSON keys of the fields that only some runs fill (momentum).
OPTIONAL_JSON_KEYS = {"vW": "velocity_W", "vb": "velocity_b"}

# Weight-shaped fields, written as lists of rows even when they have one column.
ROW_FIELDS = frozenset({"W", "dW", "W_after", "vW"})


class _OptionalLazyField(LazyField):
    """A :class:`LazyField` that defaults to ``None``."""

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return None
        return super().__get__(instance, owner)


@dataclass(frozen=True)
class LayerStep:
    """The values of one layer in one step, before and after its update.

    Every field reads as a ``sympy.Matrix``. The engine fills the fields with
    :class:`~derivation.lazy.Deferred` conversions from its own matrices,
    which run on the first read of each field.
    """

    W: sympy.Matrix = LazyField()
    b: sympy.Matrix = LazyField()
    a_prev: sympy.Matrix = LazyField()
    z: sympy.Matrix = LazyField()
    a: sympy.Matrix = LazyField()
    da: sympy.Matrix = LazyField()
    slope: sympy.Matrix = LazyField()
    dz: sympy.Matrix = LazyField()
    dW: sympy.Matrix = LazyField()
    db: sympy.Matrix = LazyField()
    da_prev: sympy.Matrix = LazyField()
    W_after: sympy.Matrix = LazyField()
    b_after: sympy.Matrix = LazyField()
    vW: sympy.Matrix | None = _OptionalLazyField()
    vb: sympy.Matrix | None = _OptionalLazyField()

    def to_dict(self, number: int) -> dict[str, Any]:
        """Return the layer's values as exact strings, keyed by readable names.

        ``activation_derivative`` is ``None`` for softmax, whose derivative
        is a Jacobian; the velocities appear only when momentum is used.
        """
        return layer_document(self, number, matrix_to_json)

    def fields(self) -> dict[str, Any]:
        """Return every field's value by name, including unset ones as ``None``."""
        return {name: getattr(self, name) for name in (*JSON_KEYS, *OPTIONAL_JSON_KEYS)}


@dataclass(frozen=True)
class Step:
    """One step of gradient descent: forward pass, loss, backward pass, update.

    ``number`` counts from 1, and ``layers[0]`` is the layer fed by ``x``.
    """

    number: int
    x: sympy.Matrix
    y: sympy.Matrix
    layers: tuple[LayerStep, ...]
    loss: sympy.Expr
    samples: tuple[int, ...] | None = None

    @property
    def output(self) -> sympy.Matrix:
        """The network output ``a`` of the last layer."""
        return self.layers[-1].a

    def to_dict(self) -> dict[str, Any]:
        """Return the step as JSON-ready data with exact strings."""
        return {
            "step": self.number,
            "loss": exact_string(self.loss),
            "layers": [
                layer.to_dict(number)
                for number, layer in enumerate(self.layers, start=1)
            ],
        }

    def _repr_markdown_(self) -> str:
        """Write the step's values as Markdown math for Jupyter to display."""
        from .render.display import step_markdown

        return step_markdown(self)


@dataclass(frozen=True)
class Trace:
    """A whole training run: the problem and the steps taken.

    Attributes
    ----------
    network
        The network before the first step.
    x, y
        The input and the target, as columns.
    loss
        The loss function.
    learning_rate
        The step size ``eta``.
    steps
        One :class:`Step` per update, in order.
    final_network
        The network after the last step.
    rounding
        The rounding policy that training applied, or ``None`` if every
        value is exact.
    """

    network: Network
    x: sympy.Matrix
    y: sympy.Matrix
    loss: Loss
    learning_rate: sympy.Expr
    steps: tuple[Step, ...]
    final_network: Network
    rounding: RoundingPolicy | None = None
    batch_size: int = 1
    reduction: str = "mean"
    optimizer: Optimizer = PLAIN
    quantities: tuple[Named, ...] = ()

    @property
    def sample_count(self) -> int:
        """How many samples the data hold (the columns of ``x``)."""
        return int(self.x.cols)

    def to_dict(self) -> dict[str, Any]:
        """Return the whole trace as JSON-ready data with exact strings.

        Vectors (biases, activations and their gradients) become flat
        lists; weights and their gradients are always lists of rows. The
        key ``rounding`` is present only when a rounding policy applied.
        """
        document: dict[str, Any] = {
            "network": {
                "inputs": self.network.inputs,
                "layers": [
                    {
                        "activation": layer.activation.name,
                        "W": matrix_to_json(layer.W, as_rows=True),
                        "b": matrix_to_json(layer.b),
                    }
                    for layer in self.network.layers
                ],
            },
            "x": matrix_to_json(self.x),
            "y": matrix_to_json(self.y),
            "loss": self.loss.name,
            "learning_rate": exact_string(self.learning_rate),
            "steps": [step.to_dict() for step in self.steps],
            "final": [
                {
                    "W": matrix_to_json(layer.W, as_rows=True),
                    "b": matrix_to_json(layer.b),
                }
                for layer in self.final_network.layers
            ],
        }
        if self.rounding is not None:
            document["rounding"] = self.rounding.to_dict()
        document.update(self._settings_json())
        return document

    def _settings_json(self) -> dict[str, Any]:
        """Return the settings that differ from one sample and plain descent.

        Leaving out the defaults keeps the JSON of a plain run as it was.
        """
        settings: dict[str, Any] = {}
        if self.sample_count > 1:
            settings["batch_size"] = self.batch_size
            settings["reduction"] = self.reduction
            settings["batches"] = [list(step.samples or ()) for step in self.steps]
        if not self.optimizer.is_plain:
            settings["optimizer"] = self.optimizer.to_dict()
        layers = {}
        for number, layer in enumerate(self.network.layers, start=1):
            options: dict[str, Any] = {}
            if layer.bias != "per_unit":
                options["bias"] = layer.bias
            if layer.frozen:
                options["frozen"] = sorted(layer.frozen)
            if options:
                layers[str(number)] = options
        if layers:
            settings["layer_options"] = layers
        if self.quantities:
            from .quantities import SHOWN_DIGITS, numeric

            settings["named_values"] = [
                {
                    "name": str(named),
                    "definition": exact_string(named.definition),
                    "value": str(numeric(named, SHOWN_DIGITS)),
                }
                for named in self.quantities
            ]
        return settings

    def subs(self, values: dict[Any, Any]) -> Trace:
        """Put numbers in for symbols, in every value of the trace.

        ``values`` maps symbols or their names to exact numbers, such as
        ``{"w1": "1/2", "eta": "0.1"}``. The result is a trace of the same
        shape; with every symbol given, it is the numeric solution.

        Raises
        ------
        DerivationError
            If a value is not an exact number.
        """
        from .symbols import symbol, to_exact_value

        mapping = {
            (symbol(key) if isinstance(key, str) else key): to_exact_value(value)
            for key, value in values.items()
        }

        def put(value: Any) -> Any:
            return None if value is None else value.xreplace(mapping)

        def network(net: Network) -> Network:
            return Network(
                layer.with_parameters(put(layer.W), put(layer.b))
                for layer in net.layers
            )

        steps = tuple(
            Step(
                number=step.number,
                x=put(step.x),
                y=put(step.y),
                layers=tuple(
                    LayerStep(**{k: put(v) for k, v in layer.fields().items()})
                    for layer in step.layers
                ),
                loss=put(step.loss),
                samples=step.samples,
            )
            for step in self.steps
        )
        return replace(
            self,
            network=network(self.network),
            x=put(self.x),
            y=put(self.y),
            learning_rate=put(self.learning_rate),
            steps=steps,
            final_network=network(self.final_network),
        )

    def show(self, step: int | None = None, **options: Any) -> Any:
        """Render the derivation, or one ``step`` of it, for a notebook to display.

        ``options`` are the ``notation``, ``numbers`` and ``detail`` settings
        of :func:`derivation.render.render_markdown`. The result displays as
        Markdown math in Jupyter, and ``str()`` of it is the Markdown source.

        Raises
        ------
        DerivationError
            If ``step`` is not the number of a step in this trace.
        """
        from .render.display import show_trace

        return show_trace(self, step, **options)

    def _repr_markdown_(self) -> str:
        """Write the derivation as Markdown math for Jupyter to display."""
        from .render.display import trace_markdown

        return trace_markdown(self)


def layer_document(
    record: Any, number: int, write: Callable[..., list[Any]]
) -> dict[str, Any]:
    """Return one layer's record as JSON-ready data, keyed by readable names.

    ``write(value, as_rows=...)`` turns one value into lists; ``None``
    values (a softmax slope) stay ``None``, and the optional velocities
    appear only when set. The exact and the float traces share this layout.
    """
    document: dict[str, Any] = {"layer": number}
    for field, key in JSON_KEYS.items():
        value = getattr(record, field)
        document[key] = (
            None if value is None else write(value, as_rows=field in ROW_FIELDS)
        )
    for field, key in OPTIONAL_JSON_KEYS.items():
        value = getattr(record, field)
        if value is not None:
            document[key] = write(value, as_rows=field in ROW_FIELDS)
    return document


def matrix_to_json(matrix: sympy.Matrix, as_rows: bool = False) -> list[Any]:
    """Write a matrix as lists of rows of exact strings; a column as a flat list.

    ``as_rows`` keeps a one-column matrix as rows, as weights need.

    >>> matrix_to_json(sympy.Matrix([sympy.Rational(1, 2), 3]))
    ['1/2', '3']
    >>> matrix_to_json(sympy.Matrix([sympy.Rational(1, 2), 3]), as_rows=True)
    [['1/2'], ['3']]
    """
    if matrix.cols == 1 and not as_rows:
        return [exact_string(entry) for entry in matrix]
    return [[exact_string(entry) for entry in row] for row in matrix.tolist()]
