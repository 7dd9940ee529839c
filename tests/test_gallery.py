"""The gallery: bundled examples in several notations and number formats.

Every case is compiled with pdflatex and must have no overfull box. The text
of the PDF must show the expected values in the chosen format. A few pages
are rendered to PNG with pdftoppm so that a person can look at them: into a
temporary folder, or into docs/gallery when ``UPDATE_GALLERY=1`` is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy

from derivation import Layer, Network, load_spec, solve, train
from derivation.render import Detail, Notation, NumberFormat, render_latex
from tests.latex_tools import compile_latex
from tests.test_render_latex import random_network

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "derivation" / "examples"
GALLERY = ROOT / "docs" / "gallery"

CASES = {
    "default": {},
    "parentheses-fractions": {
        "notation": Notation(
            layer_marks="parentheses",
            first_layer=0,
            gradient_style="dL/d",
            transpose="top",
            product="*",
        ),
        "numbers": NumberFormat("fraction"),
    },
    "delta-upper-comma": {
        "notation": Notation(gradient_style="delta", case="upper"),
        "numbers": NumberFormat("decimal", places=3, decimal_separator="comma"),
    },
    "short-figures-compact": {
        "notation": Notation(gradient_style="dW", input="x"),
        "numbers": NumberFormat("decimal", significant=3),
        "detail": Detail("compact"),
    },
    "d-mixed-answers": {
        "notation": Notation(gradient_style="d"),
        "numbers": NumberFormat("mixed", places=3),
        "detail": Detail("answers"),
    },
    "repeating": {"numbers": NumberFormat(repeating=True)},
}

# Values the PDF text must show, per example and case; pdftotext writes the
# numerator and denominator of a fraction on separate lines.
EXPECTED = {
    "relu-1-2-2-1": {
        "default": ["0.5975", "-0.59885", "-0.4077875"],
        "parentheses-fractions": ["239", "400", "11977", "20000", "Layer 0"],
        "delta-upper-comma": ["0,598", "-0,599", "-0,408"],
        "short-figures-compact": ["0.598", "-0.599", "-0.408"],
        "d-mixed-answers": ["0.5975", "-0.59885", "Step 2"],
        "repeating": ["0.5975", "-0.59885"],
    },
    "relu-2-2-1": {
        "default": ["10.81125", "-1.1625", "2.325"],
        "parentheses-fractions": ["8649", "800", "93", "80"],
        "delta-upper-comma": ["10,811", "-1,163", "2,325"],
        "short-figures-compact": ["10.8", "-1.16", "2.33"],
        "d-mixed-answers": ["10.81125", "0.565"],
        "repeating": ["10.81125", "-1.1625"],
    },
}
# Words that only some detail levels print.
ABSENT = {"d-mixed-answers": ["Forward pass", "Definitions"]}

# (example, case, page) rendered to PNG for a person to look at.
PICTURES = [
    ("relu-1-2-2-1", "default", 2),
    ("relu-1-2-2-1", "delta-upper-comma", 3),
    ("relu-1-2-2-1", "parentheses-fractions", 6),
    ("relu-2-2-1", "d-mixed-answers", 1),
]


@pytest.fixture(scope="module")
def traces():
    return {
        name: (solve(spec), spec.title)
        for name in EXPECTED
        for spec in [load_spec(EXAMPLES / f"{name}.toml")]
    }


@pytest.mark.latex
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("example", EXPECTED)
def test_gallery_compiles_cleanly(example, case, traces, tmp_path):
    trace, title = traces[example]
    document = render_latex(trace, title=title, **CASES[case])
    compiled = compile_latex(document, tmp_path)
    assert compiled.overfull_boxes == []
    for value in EXPECTED[example][case]:
        assert value in compiled.text
    for words in ABSENT.get(case, []):
        assert words not in compiled.text


def wide_trace():
    """A 3-8-8-2 network, wider than the default limit of 6 columns."""
    quarter = sympy.Rational(1, 4)
    first = [[((3 * i + j) % 7 - 3) * quarter for j in range(3)] for i in range(8)]
    second = [[((i + 2 * j) % 5 - 2) * quarter for j in range(8)] for i in range(8)]
    last = [[((i + j) % 3 - 1) * 2 * quarter for j in range(8)] for i in range(2)]
    network = Network(
        [
            Layer(first, [quarter] * 8, "relu"),
            Layer(second, [-quarter] * 8, "relu"),
            Layer(last, [0, 0], "identity"),
        ]
    )
    return train(network, [1, "-1/2", 2], [1, -1], learning_rate="0.1")


@pytest.mark.latex
@pytest.mark.parametrize("level", ["full", "compact"])
def test_wide_matrices_elide_and_fit(level, tmp_path):
    document = render_latex(wide_trace(), detail=Detail(level))
    assert r"\cdots" in document
    assert r"\setcounter{MaxMatrixCols}" not in document
    compiled = compile_latex(document, tmp_path)
    assert compiled.overfull_boxes == []
    assert "Summary of step 1" in compiled.text


def test_elided_matrix_keeps_first_and_last_columns():
    document = render_latex(wide_trace(), standalone=False)
    first_row = r"\begin{bmatrix} -0.5 & 0 & 0.5 & \cdots & 0 & 0.5 \\"
    assert first_row in document


def test_matrix_limits_can_be_lifted():
    document = render_latex(
        wide_trace(), detail=Detail(max_columns=None), standalone=False
    )
    assert r"\cdots" not in document


def test_tall_matrices_elide_rows():
    document = render_latex(wide_trace(), detail=Detail(max_rows=5), standalone=False)
    assert r"\vdots & \vdots" in document


NUMBER_FORMATS = {
    "exact": NumberFormat(),
    "places": NumberFormat("decimal", places=4),
    "figures": NumberFormat("decimal", significant=3),
    "mixed": NumberFormat("mixed", significant=3, decimal_separator="comma"),
    "repeating": NumberFormat(repeating=True),
}


@pytest.mark.latex
@pytest.mark.parametrize("numbers", NUMBER_FORMATS)
def test_long_values_fit_in_every_format(numbers, tmp_path):
    network, x, y = random_network(3)
    trace = train(network, x, y, learning_rate="1/3", steps=2)
    document = render_latex(trace, numbers=NUMBER_FORMATS[numbers])
    compiled = compile_latex(document, tmp_path)
    assert compiled.overfull_boxes == []
    assert "Summary of step 2" in compiled.text


@pytest.mark.latex
def test_gallery_pages_render_to_png(traces, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not installed (Debian: poppler-utils)")
    folder = GALLERY if os.environ.get("UPDATE_GALLERY") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for example, case, page in PICTURES:
        trace, title = traces[example]
        build = tmp_path / f"{example}-{case}"
        build.mkdir()
        compile_latex(render_latex(trace, title=title, **CASES[case]), build)
        stem = folder / f"latex-{example}-{case}"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                "document.pdf",
                str(stem),
            ],
            cwd=build,
            check=True,
            timeout=60,
        )
        assert stem.with_suffix(".png").stat().st_size > 10_000
