"""Planted faults: each replaces the engine's gradient step with a faulty copy.

Every test patches :func:`derivation.engine.gradient_step` with a copy that
has one deliberate mistake, then shows that a property check fails, both on
the bundled example and under a Hypothesis search like the property's own.
A bias gradient summed over the wrong batch axis cannot be planted yet,
because the engine trains on one sample at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy
from hypothesis import Phase, assume, given, settings

from derivation import engine
from derivation.bundled import example_text
from derivation.losses import Loss
from derivation.network import Network
from derivation.spec import parse_spec
from derivation.trace import LayerStep, Step, Trace
from tests.checks import (
    check_central_differences,
    check_trace_consistency,
    step_on_kink,
)
from tests.strategies import Problem, problems

GradientStep = Callable[..., tuple[Step, Network]]

# The search stops at the first failure: shrinking it would only slow the test.
_SEARCH = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)


def faulty_gradient_step(fault: str) -> GradientStep:
    """Return a copy of the engine's gradient step with one planted fault.

    ``fault`` names the mistake:

    - ``"sign"``: dL/dW of the first layer is negated, in the record and in
      the update.
    - ``"transpose"``: dL/dW is recorded as ``a_prev dz^T``, shaped like
      ``W^T``, while the update uses the right matrix.
    - ``"updated weights"``: the backward pass reads ``W_after`` in place of
      ``W``.
    """

    def gradient_step(
        network: Network,
        x: sympy.Matrix,
        y: sympy.Matrix,
        loss: Loss,
        learning_rate: sympy.Expr,
        number: int = 1,
    ) -> tuple[Step, Network]:
        values = engine.forward(network, x)
        output = values[-1][2]
        da = loss.gradient(output, y)
        records: list[LayerStep] = []
        backward = list(enumerate(zip(network.layers, values)))
        for index, (layer, (a_prev, z, a)) in reversed(backward):
            slope = layer.activation.derivative(z)
            dz = da.multiply_elementwise(slope)
            dW = dz * a_prev.T
            if fault == "sign" and index == 0:
                dW = -dW
            W_after = layer.W - learning_rate * dW
            recorded_dW = a_prev * dz.T if fault == "transpose" else dW
            backward_W = W_after if fault == "updated weights" else layer.W
            da_prev = backward_W.T * dz
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
                    dW=recorded_dW,
                    db=dz,
                    da_prev=da_prev,
                    W_after=W_after,
                    b_after=layer.b - learning_rate * dz,
                )
            )
            da = da_prev
        records.reverse()
        step = Step(number, x, y, tuple(records), loss.value(output, y))
        updated = Network(
            layer.with_parameters(record.W_after, record.b_after)
            for layer, record in zip(network.layers, records)
        )
        return step, updated

    return gradient_step


def bundled_trace() -> Trace:
    """Return the exact run of the bundled 1-2-2-1 ReLU example."""
    spec = parse_spec(example_text("relu-1-2-2-1"))
    return engine.solve(spec)


def test_bundled_example_passes_checks() -> None:
    trace = bundled_trace()
    check_trace_consistency(trace)
    check_central_differences(trace, 1)


def test_wrong_sign_fails_central_differences(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "gradient_step", faulty_gradient_step("sign"))
    message = (
        r"step 1, layer 1, W\[1,1\]: recorded gradient -92, "
        r"central difference 92 \(h = 1/2\)"
    )
    with pytest.raises(AssertionError, match=f"^{message}$"):
        check_central_differences(bundled_trace(), 1)

    @_SEARCH
    @given(problems())
    def search(problem: Problem) -> None:
        trace = problem.train()
        assume(not step_on_kink(trace, 1))
        check_central_differences(trace, 1)

    with pytest.raises(AssertionError, match="central difference"):
        search()


def test_missing_transpose_fails_consistency(monkeypatch: pytest.MonkeyPatch) -> None:
    """In the 1x2 output layer the transposed dW is 2x1, and the shape check fails."""
    monkeypatch.setattr(engine, "gradient_step", faulty_gradient_step("transpose"))
    message = r"step 1, layer 3: dW is \(2, 1\), expected \(1, 2\)"
    with pytest.raises(AssertionError, match=f"^{message}$"):
        check_trace_consistency(bundled_trace())

    @_SEARCH
    @given(problems())
    def search(problem: Problem) -> None:
        check_trace_consistency(problem.train())

    with pytest.raises(AssertionError, match="dW"):
        search()


def test_updated_weights_fail_central_differences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        engine, "gradient_step", faulty_gradient_step("updated weights")
    )
    message = (
        r"step 1, layer 1, W\[1,1\]: recorded gradient 333905697/16000000, "
        r"central difference 92 \(h = 1/2\)"
    )
    with pytest.raises(AssertionError, match=f"^{message}$"):
        check_central_differences(bundled_trace(), 1)

    @_SEARCH
    @given(problems())
    def search(problem: Problem) -> None:
        trace = problem.train()
        assume(not step_on_kink(trace, 1))
        check_central_differences(trace, 1)

    with pytest.raises(AssertionError, match="central difference"):
        search()


def test_updated_weights_fail_consistency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        engine, "gradient_step", faulty_gradient_step("updated weights")
    )
    message = r"step 1, layer 3: da_prev != W\^T dz"
    with pytest.raises(AssertionError, match=f"^{message}$"):
        check_trace_consistency(bundled_trace())
