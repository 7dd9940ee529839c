"""Exact forward pass, backward pass and gradient-descent update.

Every value stays a SymPy expression with exact entries, so the trace it
returns is the true solution, not an approximation. The equations and the
names used for their terms are those listed in :mod:`derivation.trace`.

>>> from derivation.network import Layer
>>> net = Network([Layer([[2]], [0], "identity")])
>>> trace = train(net, x=[1], y=[3], learning_rate="1/2", steps=1)
>>> trace.steps[0].loss, trace.steps[0].layers[0].dW
(1/2, Matrix([[-1]]))
>>> trace.final_network.layers[0].W
Matrix([[5/2]])
"""

from __future__ import annotations

import sympy

from .errors import DerivationError
from .losses import Loss, get_loss
from .network import Network, exact_matrix
from .numbers import to_exact
from .spec import Spec
from .trace import LayerStep, Step, Trace


def forward(
    network: Network, x: sympy.Matrix
) -> list[tuple[sympy.Matrix, sympy.Matrix, sympy.Matrix]]:
    """Run the forward pass and return ``(a_prev, z, a)`` for every layer."""
    values = []
    a = x
    for layer in network.layers:
        z = layer.W * a + layer.b
        a_prev, a = a, layer.activation.value(z)
        values.append((a_prev, z, a))
    return values


def gradient_step(
    network: Network,
    x: sympy.Matrix,
    y: sympy.Matrix,
    loss: Loss,
    learning_rate: sympy.Expr,
    number: int = 1,
) -> tuple[Step, Network]:
    """Take one step of gradient descent and record every value on the way.

    Returns the recorded step and the network with updated parameters. The
    backward pass uses the weights from before the update throughout.
    """
    values = forward(network, x)
    output = values[-1][2]
    da = loss.gradient(output, y)

    records: list[LayerStep] = []
    for layer, (a_prev, z, a) in reversed(list(zip(network.layers, values))):
        slope = layer.activation.derivative(z)
        dz = da.multiply_elementwise(slope)
        dW = dz * a_prev.T
        da_prev = layer.W.T * dz
        records.append(
            LayerStep(
                W=layer.W,
                b=layer.b,
                a_prev=a_prev,
                z=z,
                a=a,
                da=da,
                slope=slope,
                dz=dz,
                dW=dW,
                db=dz,
                da_prev=da_prev,
                W_after=layer.W - learning_rate * dW,
                b_after=layer.b - learning_rate * dz,
            )
        )
        da = da_prev
    records.reverse()

    step = Step(
        number=number, x=x, y=y, layers=tuple(records), loss=loss.value(output, y)
    )
    updated = Network(
        layer.with_parameters(record.W_after, record.b_after)
        for layer, record in zip(network.layers, records)
    )
    return step, updated


def train(
    network: Network,
    x: object,
    y: object,
    *,
    loss: Loss | str = "half_squared_error",
    learning_rate: object,
    steps: int = 1,
) -> Trace:
    """Train ``network`` on one sample and return the trace of every step.

    Parameters
    ----------
    network
        The network before training.
    x, y
        The input and the target, as flat lists (or columns) of exact values.
    loss
        A :class:`Loss` or its name.
    learning_rate
        The step size, as an exact value such as ``"0.01"``.
    steps
        How many updates to take, at least 1.

    Raises
    ------
    DerivationError
        If the shapes of ``x`` or ``y`` do not fit the network, a value is not
        exact, or ``steps`` is not a positive integer.
    """
    x_column = _column(x, network.inputs, "x")
    y_column = _column(y, network.outputs, "y")
    eta = to_exact(learning_rate)
    if isinstance(loss, str):
        loss = get_loss(loss)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise DerivationError(f"steps must be a positive integer, not {steps!r}")

    records = []
    current = network
    for number in range(1, steps + 1):
        step, current = gradient_step(current, x_column, y_column, loss, eta, number)
        records.append(step)
    return Trace(
        network=network,
        x=x_column,
        y=y_column,
        loss=loss,
        learning_rate=eta,
        steps=tuple(records),
        final_network=current,
    )


def _column(values: object, length: int, name: str) -> sympy.Matrix:
    column = exact_matrix(values, name)
    if column.shape != (length, 1):
        noun = "value" if length == 1 else "values"
        if column.cols == 1:
            found = f"{column.rows} {'value' if column.rows == 1 else 'values'}"
        else:
            found = f"a {column.rows}x{column.cols} matrix"
        raise DerivationError(f"{name}: expected {length} {noun}, found {found}")
    return column


def solve(spec: Spec) -> Trace:
    """Train the network of a loaded spec as the spec says."""
    return train(
        spec.network,
        spec.x,
        spec.y,
        loss=spec.loss,
        learning_rate=spec.learning_rate,
        steps=spec.steps,
    )
