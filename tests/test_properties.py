"""Property tests: drawn networks against float64, calculus and the trace equations.

Each property draws whole problems from :mod:`tests.strategies`, notes the
drawn problem as a spec file (printed when the property fails), and runs a
check from :mod:`tests.checks`. Draws that a property cannot judge, such as a
ReLU exactly at its kink, are rejected with ``assume`` and counted with
``event``. ``pytest --hypothesis-show-statistics`` prints how often.
"""

from __future__ import annotations

import sympy
from hypothesis import assume, event, given, note
from hypothesis import strategies as st

from derivation.compare import compare
from derivation.float_bound import kink_risks, rounding_bound
from derivation.render.notation import Notation
from derivation.spec import parse_spec
from tests.checks import (
    bound_is_finite,
    check_central_differences,
    check_descent,
    check_float_agreement,
    check_rendering,
    check_trace_consistency,
    descent_learning_rate,
    float_run_in_range,
    parameters_of,
    step_on_kink,
)
from tests.strategies import Problem, problems

# Parameters checked by central differences in one example; a network has at
# most 4 * (6 * 6 + 6) = 168.
_MAX_PARAMETERS = 12


def _describe(problem: Problem) -> None:
    note("Drawn problem, as a spec file:\n" + problem.to_toml())


@given(problems())
def test_float_path_within_rounding_bound(problem: Problem) -> None:
    """The float64 run agrees with the exact run within its rounding bound.

    The bound of each entry ``v`` is ``2 u C(v)`` with ``u = 2**-53`` and
    ``C(v) = sum_m N_m |m|`` over the monomials ``m`` of ``v`` as a
    polynomial in the inputs, ``N_m`` being how many roundings touch ``m``
    (see :mod:`derivation.float_bound` for the derivation). So
    ``C(v) <= N S(v)``, where ``S(v)`` is the magnitude of the values
    involved (``v`` computed on absolute values) and ``N`` grows with depth,
    width and steps. The factor 2 covers the second-order terms, since
    ``N u <= 1/4`` is checked. The bound is proved, not fitted.

    Draws are rejected when a ReLU pre-activation lies within its bound of 0
    (the float64 run may take the other branch there), when a float64 value
    leaves ``[2**-500, 2**500]`` (overflow or underflow), or when the bound
    itself, which sums magnitudes, overflows float64.
    """
    _describe(problem)
    trace = problem.train()
    float_trace = problem.train_float()
    in_range = float_run_in_range(float_trace)
    event("float64 range", "rejected: overflow or underflow" if not in_range else "ok")
    assume(in_range)
    bound = rounding_bound(trace)
    finite = bound_is_finite(trace, float_trace, bound)
    event("bound", "rejected: the bound overflows float64" if not finite else "ok")
    assume(finite)
    risks = kink_risks(trace, bound)
    event("kink", "rejected: a ReLU z within its bound of 0" if risks else "ok")
    assume(not risks)
    note(f"Largest rounding count N: {bound.max_roundings}")

    check_float_agreement(trace, float_trace, bound)
    comparison = compare(trace, float_trace)
    assert comparison.within_bound is True, str(comparison)


@given(problems(), st.data())
def test_gradients_match_central_differences(
    problem: Problem, data: st.DataObject
) -> None:
    """Every checked gradient equals the exact central difference of the loss.

    For a piecewise-linear network the loss is quadratic along one parameter
    between kinks, so the central difference is exact. The step ``h`` is
    halved until no kink lies within ``h`` (see
    :func:`tests.checks.check_central_differences`). Draws where a ReLU
    pre-activation is exactly 0 are rejected, because the loss has no
    derivative there.
    """
    _describe(problem)
    trace = problem.train()
    step_number = data.draw(st.integers(1, problem.steps), label="step")
    on_kink = step_on_kink(trace, step_number)
    event("kink", "rejected: a ReLU z is exactly 0" if on_kink else "ok")
    assume(not on_kink)
    candidates = parameters_of(problem.network)
    if len(candidates) > _MAX_PARAMETERS:
        candidates = data.draw(
            st.lists(
                st.sampled_from(candidates),
                min_size=_MAX_PARAMETERS,
                max_size=_MAX_PARAMETERS,
                unique=True,
            ),
            label="parameters",
        )
    check_central_differences(trace, step_number, candidates)


@given(problems(max_step_count=1))
def test_small_step_lowers_loss(problem: Problem) -> None:
    """One exact step with a small enough learning rate does not raise the loss.

    The rate is ``min(1, |g|^2 / (2 sum_k>=2 |c_k|))`` for the polynomial
    ``sum_k c_k t^k`` of the loss along ``-g``, halved until no ReLU changes
    sign on the way (see :func:`tests.checks.descent_learning_rate`). The
    loss must then fall strictly unless ``g = 0``. Draws where a ReLU
    pre-activation is exactly 0 are rejected.
    """
    _describe(problem)
    trace = problem.train()
    on_kink = step_on_kink(trace, 1)
    event("kink", "rejected: a ReLU z is exactly 0" if on_kink else "ok")
    assume(not on_kink)
    rate = descent_learning_rate(trace)
    note(f"Learning rate chosen for the descent step: {rate}")
    check_descent(trace, rate)


@given(problems())
def test_trace_is_consistent(problem: Problem) -> None:
    """Every recorded value satisfies the layer equations of the trace."""
    _describe(problem)
    check_trace_consistency(problem.train())


def notations() -> st.SearchStrategy[Notation]:
    """Draw every combination of the notation settings."""
    return st.builds(
        Notation,
        layer_marks=st.sampled_from(["brackets", "parentheses"]),
        gradient_style=st.sampled_from(["partial", "dL/d"]),
        transpose=st.sampled_from(["T", "top"]),
        product=st.sampled_from(["odot", "*"]),
    )


@given(problems(), notations())
def test_rendering_never_fails(problem: Problem, notation: Notation) -> None:
    """The LaTeX renderer writes a well-formed document for every drawn problem."""
    _describe(problem)
    check_rendering(problem.train(), notation)


@given(problems())
def test_problem_spec_file_round_trips(problem: Problem) -> None:
    """The spec file noted on failure loads back as the same problem."""
    spec = parse_spec(problem.to_toml())
    assert spec.network.widths == problem.network.widths
    for loaded, drawn in zip(spec.network.layers, problem.network.layers):
        assert loaded.W == drawn.W
        assert loaded.b == drawn.b
        assert loaded.activation.name == drawn.activation.name
        zero = sympy.Integer(0)
        assert loaded.activation.slope(zero) == drawn.activation.slope(zero)
    assert spec.x == problem.x
    assert spec.y == problem.y
    assert spec.learning_rate == problem.learning_rate
    assert spec.steps == problem.steps
