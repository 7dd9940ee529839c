"""Hypothesis strategies that draw whole training problems with exact values.

A :class:`Problem` is a network of 1 to 4 dense layers of 1 to 6 units
(identity or ReLU, with either convention for ``ReLU'(0)``), one sample, a
learning rate and a number of steps. Every number is a small rational, drawn
so that Hypothesis shrinks it towards 0 and towards a denominator of 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sympy
from hypothesis import strategies as st

from derivation import engine, float_engine
from derivation.activations import Activation, get_activation
from derivation.float_engine import FloatTrace
from derivation.losses import Loss, get_loss
from derivation.network import Layer, Network
from derivation.numbers import exact_string
from derivation.trace import Trace

MAX_DEPTH = 4
MAX_WIDTH = 6
MAX_STEPS = 5

# The bit length of the exact values grows about like
# (2 * depth - 1) ** steps, because each update multiplies the weights of
# every layer into every other layer's gradient. Measured on the 2-core
# development machine, depth 4 with 5 steps took about 20 s for one problem
# and depth 4 with 3 steps 0.03 s, so deeper networks get fewer steps.
_GROWTH_BUDGET = 700


def max_steps(depth: int, limit: int = MAX_STEPS) -> int:
    """Return the most steps, up to ``limit``, that a network of ``depth`` gets.

    >>> [max_steps(depth) for depth in (1, 2, 3, 4)]
    [5, 5, 4, 3]
    """
    steps = 1
    while steps < limit and (2 * depth - 1) ** (steps + 1) <= _GROWTH_BUDGET:
        steps += 1
    return steps


@dataclass(frozen=True, repr=False)
class Problem:
    """A drawn training problem, runnable by the exact and the float64 engine."""

    network: Network
    x: sympy.Matrix
    y: sympy.Matrix
    learning_rate: sympy.Rational
    steps: int
    loss: Loss

    def __repr__(self) -> str:
        # Failure reports print this; the properties note the full spec file.
        activations = ", ".join(layer.activation.name for layer in self.network.layers)
        return (
            f"Problem(widths={self.network.widths}, activations=({activations}), "
            f"learning_rate={self.learning_rate}, steps={self.steps})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints dataclasses field by field unless this hook exists.
        printer.text(repr(self))

    def train(self) -> Trace:
        """Run the exact engine; it is looked up on each call, so tests may patch it."""
        return engine.train(
            self.network,
            self.x,
            self.y,
            loss=self.loss,
            learning_rate=self.learning_rate,
            steps=self.steps,
        )

    def train_float(self) -> FloatTrace:
        """Run the float64 path on the same problem."""
        return float_engine.train_float(
            self.network,
            self.x,
            self.y,
            loss=self.loss,
            learning_rate=self.learning_rate,
            steps=self.steps,
        )

    def to_toml(self) -> str:
        """Write the problem as a spec file that ``derivation solve`` reads."""
        lines = ["[network]", f"inputs = {self.network.inputs}", ""]
        for layer in self.network.layers:
            lines.append("[[layer]]")
            lines.append(f'activation = "{layer.activation.name}"')
            if layer.activation.name == "relu":
                at_zero = layer.activation.slope(sympy.Integer(0))
                lines.append(f"relu_derivative_at_zero = {at_zero}")
            rows = ", ".join(_toml_list(row) for row in layer.W.tolist())
            lines.append(f"weights = [{rows}]")
            lines.append(f"biases = {_toml_list(layer.b)}")
            lines.append("")
        lines += [
            "[data]",
            f"x = {_toml_list(self.x)}",
            f"y = {_toml_list(self.y)}",
            "",
            "[training]",
            f'loss = "{self.loss.name}"',
            f'learning_rate = "{exact_string(self.learning_rate)}"',
            f"steps = {self.steps}",
        ]
        return "\n".join(lines) + "\n"


def _toml_list(values: Iterable[sympy.Expr]) -> str:
    return "[" + ", ".join(f'"{exact_string(value)}"' for value in values) + "]"


@st.composite
def rationals(
    draw: st.DrawFn, max_abs: int = 3, max_denominator: int = 10
) -> sympy.Rational:
    """Draw ``n/d`` with ``1 <= d <= max_denominator`` and ``|n/d| <= max_abs``."""
    denominator = draw(st.integers(1, max_denominator))
    limit = max_abs * denominator
    numerator = draw(st.integers(-limit, limit))
    return sympy.Rational(numerator, denominator)


def learning_rates() -> st.SearchStrategy[sympy.Rational]:
    """Draw a learning rate ``n/d``: ``n`` from 1 to 3, ``d`` in 4, 8, 10, 100, 1000."""
    return st.builds(
        sympy.Rational,
        st.integers(1, 3),
        st.sampled_from([4, 8, 10, 100, 1000]),
    )


def activations() -> st.SearchStrategy[Activation]:
    """Draw identity, or ReLU with ``ReLU'(0)`` equal to 0 or 1."""
    return st.sampled_from(
        [
            get_activation("identity"),
            get_activation("relu", relu_derivative_at_zero=0),
            get_activation("relu", relu_derivative_at_zero=1),
        ]
    )


@st.composite
def columns(draw: st.DrawFn, length: int) -> sympy.Matrix:
    """Draw a column of ``length`` rationals."""
    return sympy.Matrix([draw(rationals()) for _ in range(length)])


@st.composite
def layers(draw: st.DrawFn, inputs: int, units: int) -> Layer:
    """Draw a dense layer with ``inputs`` inputs and ``units`` units."""
    weights = [[draw(rationals()) for _ in range(inputs)] for _ in range(units)]
    biases = [draw(rationals()) for _ in range(units)]
    return Layer(weights, biases, draw(activations()))


@st.composite
def networks(
    draw: st.DrawFn, max_depth: int = MAX_DEPTH, max_width: int = MAX_WIDTH
) -> Network:
    """Draw a network of 1 to ``max_depth`` layers, each 1 to ``max_width`` wide."""
    depth = draw(st.integers(1, max_depth))
    widths = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    return Network(
        draw(layers(inputs, units)) for inputs, units in zip(widths, widths[1:])
    )


@st.composite
def problems(
    draw: st.DrawFn,
    max_depth: int = MAX_DEPTH,
    max_width: int = MAX_WIDTH,
    max_step_count: int = MAX_STEPS,
) -> Problem:
    """Draw a network, a sample, a learning rate and 1 to ``max_step_count`` steps.

    Deeper networks get fewer steps (see :func:`max_steps`), so that the exact
    run stays fast.
    """
    network = draw(networks(max_depth, max_width))
    limit = max_steps(len(network.layers), max_step_count)
    return Problem(
        network=network,
        x=draw(columns(network.inputs)),
        y=draw(columns(network.outputs)),
        learning_rate=draw(learning_rates()),
        steps=draw(st.integers(1, limit)),
        loss=get_loss("half_squared_error"),
    )
