"""The LaTeX solution: exact values in the source, and a clean pdflatex run."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
import sympy

from derivation import Layer, Network, load_spec, solve, train
from derivation.numbers import parse_number
from derivation.render import Notation, render_latex
from tests.examples import SEED_EXPECTED
from tests.latex_tools import compile_latex

EXAMPLES = Path(__file__).resolve().parents[1] / "derivation" / "examples"
SEED = EXAMPLES / "relu-1-2-2-1.toml"

_MATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", re.DOTALL)
_FRACTION = re.compile(r"(-?)\\frac\{(\d+)\}\{(\d+)\}")


def read_number(latex: str) -> sympy.Rational:
    """Read a number as the renderer writes it: a decimal or a \\frac."""
    fraction = _FRACTION.fullmatch(latex.strip())
    if fraction:
        value = sympy.Rational(int(fraction[2]), int(fraction[3]))
        return -value if fraction[1] else value
    return parse_number(latex)


def read_matrix(latex: str) -> sympy.Matrix:
    rows = latex.split(r"\\")
    return sympy.Matrix(
        [[read_number(cell) for cell in row.split("&")] for row in rows]
    )


def last_matrix(text: str) -> sympy.Matrix:
    return read_matrix(_MATRIX.findall(text)[-1])


def step_section(document: str, number: int) -> str:
    sections = re.split(r"\\section\*\{Step \d+\}", document)
    return sections[number]


def chain_result(section: str, left: str) -> str:
    """Return the text of the equation chain that starts with ``left &``."""
    rows = re.split(r" \\\\\[1ex\]\n|\n", section)
    for index, row in enumerate(rows):
        if row.startswith(f"{left} &"):
            chain = [row, *_continuations(rows[index + 1 :])]
            return " ".join(chain)
    raise AssertionError(f"no equation for {left}")


def _continuations(rows: list[str]):
    for row in rows:
        if not row.startswith("&="):
            return
        yield row


def summary_rows(section: str, layer: int) -> dict[str, tuple[sympy.Matrix, ...]]:
    table = section.split(rf"Layer {layer} & W^{{[{layer}]}}")[1].split(r"\bottomrule")[
        0
    ]
    rows = {}
    for label in ("Parameter", "Gradient", "Updated"):
        line = re.search(rf"^{label} & (.*) \\\\$", table, flags=re.MULTILINE)[1]
        rows[label] = tuple(read_matrix(m) for m in _MATRIX.findall(line))
    return rows


def expected_steps() -> list[dict]:
    return json.loads(SEED_EXPECTED.read_text())["steps"]


def as_matrix(values: list) -> sympy.Matrix:
    if values and isinstance(values[0], list):
        return sympy.Matrix([[parse_number(v) for v in row] for row in values])
    return sympy.Matrix([parse_number(v) for v in values])


@pytest.fixture(scope="module")
def seed_document() -> str:
    spec = load_spec(SEED)
    return render_latex(solve(spec), title=spec.title)


@pytest.mark.parametrize("step", [1, 2])
def test_seed_summary_tables_hold_expected_values(seed_document, step):
    section = step_section(seed_document, step)
    for layer, expected in enumerate(expected_steps()[step - 1]["layers"], start=1):
        rows = summary_rows(section, layer)
        assert rows["Gradient"][0] == as_matrix(expected["dL_dW"])
        assert rows["Gradient"][1] == as_matrix(expected["dL_db"])
        assert rows["Updated"][0] == as_matrix(expected["W_after"])
        assert rows["Updated"][1] == as_matrix(expected["b_after"])


@pytest.mark.parametrize("step", [1, 2])
def test_seed_equations_hold_expected_values(seed_document, step):
    section = step_section(seed_document, step)
    n = Notation()
    expected = expected_steps()[step - 1]
    for layer, values in enumerate(expected["layers"], start=1):
        z = chain_result(section, n.symbol("z", layer))
        a = chain_result(section, n.symbol("a", layer))
        dz = chain_result(section, n.gradient("z", layer))
        dW = chain_result(section, n.gradient("W", layer))
        da_prev = chain_result(section, n.gradient("a", layer - 1))
        assert last_matrix(z) == as_matrix(values["z"])
        assert last_matrix(a) == as_matrix(values["a"])
        assert last_matrix(dz) == as_matrix(values["dL_dz"])
        assert last_matrix(dW) == as_matrix(values["dL_dW"])
        assert last_matrix(da_prev) == as_matrix(values["dL_da_of_input"])


@pytest.mark.parametrize("step", [1, 2])
def test_seed_loss_is_exact(seed_document, step):
    loss = chain_result(step_section(seed_document, step), "L")
    expected = parse_number(expected_steps()[step - 1]["loss_before_update"])
    assert read_number(loss.rsplit("=", 1)[1]) == expected


def test_seed_writes_decimals_where_they_terminate(seed_document):
    assert "0.5975" in seed_document
    assert "-0.59885" in seed_document
    assert "-0.4077875" in seed_document
    entries_with_fractions = [m for m in _MATRIX.findall(seed_document) if "frac" in m]
    assert entries_with_fractions == []


def test_fractions_where_decimals_do_not_terminate():
    net = Network([Layer([[1]], [0], "identity")])
    document = render_latex(train(net, [1], [0], learning_rate="1/3"), standalone=False)
    assert r"\eta = \frac{1}{3}" in document
    assert r"\begin{bmatrix} \frac{2}{3} \end{bmatrix}" in document


def test_relu_derivative_shows_convention(seed_document):
    assert r"0 & z \le 0" in seed_document


def test_definitions_appear_once(seed_document):
    assert seed_document.count(r"\subsection*{Definitions}") == 1
    assert seed_document.count(r"\operatorname{ReLU}(z) &= \max(0, z)") == 1


def test_fragment_has_no_preamble():
    spec = load_spec(SEED)
    fragment = render_latex(solve(spec), standalone=False)
    assert r"\documentclass" not in fragment
    assert r"\begin{document}" not in fragment


@pytest.mark.latex
def test_seed_compiles_without_overfull_boxes(seed_document, tmp_path):
    compiled = compile_latex(seed_document, tmp_path)
    assert compiled.overfull_boxes == []


@pytest.mark.latex
def test_compiled_seed_shows_summary_values(seed_document, tmp_path):
    text = compile_latex(seed_document, tmp_path).text
    summary = text.split("Summary of step 2")[1]
    assert "Summary of step 1" in text
    assert "0.5975" in text
    assert "-0.615" in text
    assert "0.2525" in summary
    assert "-0.59885" in summary


@pytest.mark.latex
def test_fragment_compiles_inside_a_document(tmp_path):
    spec = load_spec(SEED)
    (tmp_path / "body.tex").write_text(render_latex(solve(spec), standalone=False))
    wrapper = "\n".join(
        [
            r"\documentclass{article}",
            r"\usepackage[margin=2cm]{geometry}",
            r"\usepackage{amsmath,amssymb,booktabs,array}",
            r"\begin{document}",
            r"\input{body}",
            r"\end{document}",
        ]
    )
    text = compile_latex(wrapper, tmp_path).text
    assert "0.5975" in text


@pytest.mark.latex
def test_title_prints_literally(tmp_path):
    title = r"Week 3 \input{/etc/hostname} $x$ 100% #1 a&b c_d e^f ~g {h}"
    net = Network([Layer([[1]], [0], "identity")])
    document = render_latex(train(net, [1], [0], learning_rate="0.5"), title=title)
    text = compile_latex(document, tmp_path).text
    assert "Week 3 \\input{/etc/hostname} $x$ 100% #1 a&b c_d e^f ~g {h}" in text


def random_network(seed: int) -> tuple[Network, list, list]:
    """Draw a network of depth 1 to 4 and widths 1 to 5 with exercise-like values.

    Values are halves and quarters of size at most 2, as in exercises meant to
    be solved by hand.
    """
    rng = random.Random(seed)
    widths = [rng.randint(1, 5) for _ in range(rng.randint(2, 5))]

    def value():
        return sympy.Rational(rng.randint(-8, 8), rng.choice([2, 4]))

    layers = []
    for index, (inputs, units) in enumerate(zip(widths, widths[1:])):
        last = index == len(widths) - 2
        layers.append(
            Layer(
                [[value() for _ in range(inputs)] for _ in range(units)],
                [value() for _ in range(units)],
                "identity" if last else rng.choice(["relu", "identity"]),
            )
        )
    x = [value() for _ in range(widths[0])]
    y = [value() for _ in range(widths[-1])]
    return Network(layers), x, y


@pytest.mark.latex
@pytest.mark.parametrize("seed", range(1, 9))
def test_random_networks_compile_cleanly(seed, tmp_path):
    network, x, y = random_network(seed)
    trace = train(network, x, y, learning_rate="0.1", steps=1)
    compiled = compile_latex(render_latex(trace), tmp_path)
    assert compiled.overfull_boxes == []


@pytest.mark.latex
def test_huge_values_still_compile(tmp_path):
    network, x, y = random_network(3)
    trace = train(network, x, y, learning_rate="1/3", steps=3)
    compiled = compile_latex(render_latex(trace), tmp_path)
    assert "Summary of step 3" in compiled.text
