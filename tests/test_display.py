"""Notebook display: the ``_repr_markdown_`` methods and ``Trace.show``.

Jupyter calls these methods itself; the tests call them directly, so no
IPython is needed.
"""

from __future__ import annotations

import pytest

import derivation as dv
from derivation.render import Detail, NumberFormat, render_markdown
from derivation.render.display import (
    MAX_FULL_DISPLAY_STEPS,
    MarkdownView,
    render_step_markdown,
)


@pytest.fixture(scope="module")
def trace():
    return dv.solve(dv.parse_spec(dv.example_text("relu-1-2-2-1")))


def long_trace():
    net = dv.Network([dv.Layer([[1]], [0], "identity")])
    steps = MAX_FULL_DISPLAY_STEPS + 1
    return dv.train(net, x=[1], y=[0], learning_rate="0.5", steps=steps)


def balanced_math(text: str) -> bool:
    """Whether every ``$$`` block is closed, each delimiter on its own line."""
    lines = text.splitlines()
    delimiters = [line for line in lines if "$$" in line]
    return all(line == "$$" for line in delimiters) and len(delimiters) % 2 == 0


def test_network_repr_lists_parameters(trace):
    text = trace.network._repr_markdown_()
    assert "A network with layer widths 1\u20132\u20132\u20131:" in text
    assert r"b^{[1]} &= \begin{bmatrix} -0.5 \\" in text
    assert r"W^{[2]} &= \begin{bmatrix} 1 & 1 \\" in text
    assert r"f^{[3]} &= \operatorname{id}" in text


def test_network_repr_names_activations(trace):
    text = trace.network._repr_markdown_()
    assert text.count(r"\operatorname{ReLU}") == 2


def test_network_repr_math_balanced(trace):
    assert balanced_math(trace.network._repr_markdown_())


def test_step_repr_shows_loss(trace):
    text = trace.steps[1]._repr_markdown_()
    assert text.startswith("# Step 2\n")
    assert "L &= 1.3041125" in text


def test_step_repr_shows_updates(trace):
    text = trace.steps[1]._repr_markdown_()
    assert r"W^{[3]} &\leftarrow \begin{bmatrix} 0.2525 & 0.2525 \end{bmatrix}" in text
    assert r"b^{[3]} &\leftarrow \begin{bmatrix} -0.59885 \end{bmatrix}" in text


def test_step_repr_shows_gradients(trace):
    text = trace.steps[1]._repr_markdown_()
    expected = (
        r"\frac{\partial L}{\partial b^{[3]}} &= \begin{bmatrix} -1.615 \end{bmatrix}"
    )
    assert expected in text


def test_step_repr_math_balanced(trace):
    assert balanced_math(trace.steps[0]._repr_markdown_())


def test_trace_repr_is_whole_derivation(trace):
    text = trace._repr_markdown_()
    assert text == render_markdown(trace)


def test_trace_repr_long_run_answers():
    trace = long_trace()
    text = trace._repr_markdown_()
    assert text.startswith(f"This trace has {MAX_FULL_DISPLAY_STEPS + 1} steps")
    assert "## Forward pass" not in text
    assert f"# Step {MAX_FULL_DISPLAY_STEPS + 1}\n" in text


def test_trace_repr_math_balanced(trace):
    assert balanced_math(trace._repr_markdown_())


def test_show_step_is_one_step(trace):
    text = str(trace.show(step=2))
    assert text.startswith("# Step 2\n")
    assert "# Step 1\n" not in text
    assert "## Problem" not in text


def test_show_step_exact_values(trace):
    text = str(trace.show(step=1))
    assert r"= \begin{bmatrix} 12.5 \end{bmatrix}" in text
    assert "= 66.125" in text


def test_show_step_math_balanced(trace):
    assert balanced_math(str(trace.show(step=1)))


def test_show_returns_markdown_view(trace):
    view = trace.show(step=1)
    assert isinstance(view, MarkdownView)
    assert view._repr_markdown_() == view.markdown


def test_show_without_step_is_whole(trace):
    assert str(trace.show()) == render_markdown(trace)


def test_show_passes_options(trace):
    options = {"numbers": NumberFormat(style="fraction")}
    text = str(trace.show(step=1, **options))
    assert r"\frac{1}{2}" in text


def test_show_answers_detail(trace):
    text = str(trace.show(step=2, detail=Detail(level="answers")))
    assert "## Forward pass" not in text
    assert "= 1.3041125" in text


@pytest.mark.parametrize("number", [0, 3, -1, True, "1"])
def test_show_rejects_bad_step(trace, number):
    with pytest.raises(dv.DerivationError) as caught:
        trace.show(step=number)
    message = f"step: expected a step number from 1 to 2, found {number!r}"
    assert str(caught.value) == message


def test_render_step_markdown_matches_show(trace):
    assert render_step_markdown(trace, 2) == str(trace.show(step=2))
