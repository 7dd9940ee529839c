"""Solutions written by derivation itself audit clean, in every option.

Every notation setting and every number format of the renderers, in LaTeX
and Markdown, gives a document with no findings, with and without the
spec. A Hypothesis property renders drawn networks with drawn options and
audits them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from derivation.audit import audit_text
from derivation.bundled import example_text
from derivation.cli import main
from derivation.engine import solve
from derivation.render.document import Detail
from derivation.render.latex import render_latex
from derivation.render.markdown import render_markdown
from derivation.render.notation import Notation
from derivation.render.number_format import NumberFormat
from derivation.spec import parse_spec

from .strategies import problems

NOTATIONS = [
    {},
    {"layer_marks": "parentheses"},
    {"first_layer": 0},
    {"input": "x"},
    {"gradient_style": "dL/d"},
    {"gradient_style": "d"},
    {"gradient_style": "dW"},
    {"gradient_style": "delta"},
    {"case": "upper"},
    {"transpose": "top"},
    {"product": "*"},
    {
        "first_layer": 0,
        "case": "upper",
        "layer_marks": "parentheses",
        "gradient_style": "delta",
        "transpose": "top",
        "product": "*",
    },
]
NUMBERS = [
    {},
    {"style": "fraction"},
    {"repeating": True},
    {"decimal_separator": "comma"},
    {"style": "decimal", "places": 4},
    {"style": "decimal", "places": 1},
    {"style": "decimal", "significant": 3},
    {"style": "mixed", "significant": 3},
    {"style": "mixed", "places": 2},
    {"style": "decimal", "places": 2, "decimal_separator": "comma"},
]
RENDERERS = [
    pytest.param(render_latex, True, id="latex"),
    pytest.param(render_markdown, False, id="markdown"),
]


@pytest.fixture(scope="module")
def traces():
    return {
        name: solve(parse_spec(example_text(name), source=name))
        for name in ("relu-1-2-2-1", "relu-2-2-1")
    }


def _audit(text: str, trace, latex: bool):
    return audit_text(text, spec=trace, latex=latex, source="solution")


@pytest.mark.parametrize("render, latex", RENDERERS)
@pytest.mark.parametrize("settings", NOTATIONS, ids=str)
def test_every_notation_audits_clean(traces, render, latex, settings):
    trace = traces["relu-1-2-2-1"]
    text = render(trace, notation=Notation(**settings))
    report = _audit(text, trace, latex)
    assert report.findings == []


@pytest.mark.parametrize("render, latex", RENDERERS)
@pytest.mark.parametrize("settings", NUMBERS, ids=str)
def test_every_number_format_audits_clean(traces, render, latex, settings):
    trace = traces["relu-1-2-2-1"]
    text = render(trace, numbers=NumberFormat(**settings))
    report = _audit(text, trace, latex)
    assert report.findings == []


@pytest.mark.parametrize("render, latex", RENDERERS)
@pytest.mark.parametrize("settings", NUMBERS, ids=str)
def test_number_formats_clean_without_spec(traces, render, latex, settings):
    trace = traces["relu-2-2-1"]
    text = render(trace, numbers=NumberFormat(**settings))
    report = _audit(text, None, latex)
    assert report.findings == []


@pytest.mark.parametrize("render, latex", RENDERERS)
@pytest.mark.parametrize("level", ["compact", "answers"])
def test_detail_levels_audit_clean(traces, render, latex, level):
    trace = traces["relu-1-2-2-1"]
    text = render(
        trace, detail=Detail(level), numbers=NumberFormat("decimal", places=3)
    )
    report = _audit(text, trace, latex)
    assert report.findings == []


def test_full_solution_checks_every_step(traces):
    trace = traces["relu-1-2-2-1"]
    report = _audit(render_markdown(trace), trace, False)
    assert report.checked == 194


def test_full_solution_lists_general_formulas(traces):
    trace = traces["relu-1-2-2-1"]
    report = _audit(render_markdown(trace), trace, False)
    reasons = {entry.reason for entry in report.not_checked}
    assert reasons == {
        "a formula in general symbols",
        "cannot read the environment 'cases'",
    }


def test_solve_output_audits_clean_through_cli(tmp_path, capsys):
    spec = tmp_path / "net.toml"
    spec.write_text(example_text("relu-2-2-1"))
    output = tmp_path / "solution.tex"
    solved = main(
        [
            "solve",
            str(spec),
            "-o",
            str(output),
            "--notation",
            "gradient_style=delta,first_layer=0",
            "--numbers",
            "style=decimal,places=3",
        ]
    )
    assert solved == 0
    status = main(["audit", str(output), "--spec", str(spec)])
    assert status == 0


_NOTATION_CHOICES = st.fixed_dictionaries(
    {},
    optional={
        "layer_marks": st.sampled_from(["brackets", "parentheses"]),
        "gradient_style": st.sampled_from(["partial", "dL/d", "d", "dW", "delta"]),
        "case": st.sampled_from(["lower", "upper"]),
        "first_layer": st.sampled_from([0, 1]),
        "transpose": st.sampled_from(["T", "top"]),
        "product": st.sampled_from(["odot", "*"]),
    },
)
_NUMBER_CHOICES = st.sampled_from(NUMBERS)


# Rendering drawn networks dominates the time, so this property draws fewer
# and smaller examples than the profile's default.
@settings(max_examples=15)
@given(
    problem=problems(max_depth=2, max_width=2, max_step_count=2),
    notation=_NOTATION_CHOICES,
    numbers=_NUMBER_CHOICES,
    latex=st.booleans(),
    with_spec=st.booleans(),
)
def test_drawn_networks_audit_clean(problem, notation, numbers, latex, with_spec):
    note(problem.to_toml())
    trace = problem.train()
    render = render_latex if latex else render_markdown
    text = render(trace, notation=Notation(**notation), numbers=NumberFormat(**numbers))
    report = audit_text(text, spec=trace if with_spec else None, latex=latex)
    note(report.to_text())
    assert report.findings == []
