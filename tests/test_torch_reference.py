"""PyTorch autograd in float64 as an outside reference for the exact engine.

PyTorch is not a dependency of derivation: these tests run only where
``torch`` is importable and are skipped elsewhere. Autograd computes the
same polynomials as the float64 path, in whatever order its kernels choose,
so the rounding bound of :mod:`derivation.float_bound` covers it as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy
import pytest
from hypothesis import assume, event, given, note

from derivation import engine
from derivation.bundled import example_text
from derivation.float_bound import GUARANTEE_FACTOR, kink_risks, rounding_bound
from derivation.float_engine import to_float, to_float_array
from derivation.spec import parse_spec
from derivation.trace import Trace
from tests.checks import float_run_in_range, to_fraction
from tests.strategies import Problem, problems

torch = pytest.importorskip(
    "torch",
    reason="PyTorch is not installed; it is an optional reference, not a dependency",
)


@dataclass(frozen=True)
class TorchLayer:
    """What autograd computed for one layer in one step, as NumPy arrays."""

    z: numpy.ndarray
    dW: numpy.ndarray
    db: numpy.ndarray
    W_after: numpy.ndarray
    b_after: numpy.ndarray


def run_torch(trace: Trace) -> list[tuple[float, list[TorchLayer]]]:
    """Repeat the run of ``trace`` with autograd; return (loss, layers) per step."""
    parameters = [
        (_tensor(to_float_array(layer.W)), _tensor(to_float_array(layer.b)))
        for layer in trace.network.layers
    ]
    x = torch.from_numpy(to_float_array(trace.x))
    y = torch.from_numpy(to_float_array(trace.y))
    eta = to_float(trace.learning_rate)
    relu = [layer.activation.name == "relu" for layer in trace.network.layers]
    steps = []
    for _ in trace.steps:
        a, pre_activations = x, []
        for (W, b), is_relu in zip(parameters, relu):
            z = W @ a + b
            pre_activations.append(z.detach().numpy().copy())
            a = torch.relu(z) if is_relu else z
        loss = 0.5 * ((a - y) ** 2).sum()
        loss.backward()
        layers, parameters = _update(parameters, pre_activations, eta)
        steps.append((loss.item(), layers))
    return steps


def _tensor(array: numpy.ndarray) -> Any:
    return torch.from_numpy(array).requires_grad_(True)


def _update(
    parameters: list, pre_activations: list[numpy.ndarray], eta: float
) -> tuple[list[TorchLayer], list]:
    layers, updated = [], []
    with torch.no_grad():
        for (W, b), z in zip(parameters, pre_activations):
            W_after = W - eta * W.grad
            b_after = b - eta * b.grad
            layers.append(
                TorchLayer(
                    z=z,
                    dW=W.grad.numpy().copy(),
                    db=b.grad.numpy().copy(),
                    W_after=W_after.numpy().copy(),
                    b_after=b_after.numpy().copy(),
                )
            )
            updated.append(
                (_tensor(W_after.numpy().copy()), _tensor(b_after.numpy().copy()))
            )
    return layers, updated


def check_torch_agreement(trace: Trace) -> None:
    """Check every autograd value against the exact one within its rounding bound."""
    bound = rounding_bound(trace)
    torch_steps = run_torch(trace)
    for step, step_bound, (loss, layers) in zip(trace.steps, bound.steps, torch_steps):
        _assert_close(f"step {step.number}, loss", step.loss, loss, step_bound.loss)
        records = zip(step.layers, step_bound.layers, layers)
        for number, (record, layer_bound, found) in enumerate(records, start=1):
            for name in ("z", "dW", "db", "W_after", "b_after"):
                exact = getattr(record, name)
                values = getattr(found, name)
                bounds = getattr(layer_bound, name)
                for (i, j), value in numpy.ndenumerate(values):
                    where = (
                        f"step {step.number}, layer {number}, {name}[{i + 1},{j + 1}]"
                    )
                    _assert_close(where, exact[i, j], float(value), float(bounds[i, j]))


def _assert_close(where: str, exact: object, value: float, entry_bound: float) -> None:
    difference = abs(Fraction(value) - to_fraction(exact))
    allowed = GUARANTEE_FACTOR * entry_bound
    assert difference <= Fraction(allowed), (
        f"{where}: torch {value!r}, exact {exact}, difference "
        f"{float(difference):.3g} exceeds the bound {allowed:.3g}"
    )


def _has_relu_zero(trace: Trace) -> bool:
    """Whether a ReLU z is exactly 0, where torch always takes ReLU'(0) = 0."""
    relu = [layer.activation.name == "relu" for layer in trace.network.layers]
    return any(
        is_relu and any(value == 0 for value in record.z)
        for step in trace.steps
        for is_relu, record in zip(relu, step.layers)
    )


def test_torch_matches_bundled_example() -> None:
    spec = parse_spec(example_text("relu-1-2-2-1"))
    check_torch_agreement(engine.solve(spec))


def test_torch_bundled_gradients() -> None:
    spec = parse_spec(example_text("relu-1-2-2-1"))
    _, layers = run_torch(engine.solve(spec))[0]
    assert layers[0].dW.tolist() == [[92.0], [92.0]]
    assert layers[2].db.tolist() == [[11.5]]


@given(problems())
def test_torch_within_rounding_bound(problem: Problem) -> None:
    """Autograd agrees with the exact run within the float64 rounding bound.

    Draws are rejected, as in the float64 property, where a ReLU z lies
    within its bound of 0 or is exactly 0 (torch fixes ReLU'(0) = 0, and the
    drawn network may use 1), or where a value would overflow.
    """
    note("Drawn problem, as a spec file:\n" + problem.to_toml())
    trace = problem.train()
    bound = rounding_bound(trace)
    near_kink = bool(kink_risks(trace, bound)) or _has_relu_zero(trace)
    event("kink", "rejected: ReLU z at or near 0" if near_kink else "ok")
    assume(not near_kink)
    in_range = float_run_in_range(problem.train_float())
    event("float64 range", "rejected: overflow or underflow" if not in_range else "ok")
    assume(in_range)
    check_torch_agreement(trace)
