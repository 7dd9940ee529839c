"""Network diagrams: TikZ that compiles cleanly, SVG that parses, wide layers elided."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from derivation import Layer, Network, load_spec, solve
from derivation.cli import main
from derivation.render import Notation, render_html, render_latex, render_markdown
from derivation.render.diagram import diagram_caption, svg_diagram, tikz_diagram
from tests.latex_tools import compile_latex

EXAMPLES = Path(__file__).resolve().parents[1] / "derivation" / "examples"
SEED = EXAMPLES / "relu-1-2-2-1.toml"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def seed_trace():
    return solve(load_spec(SEED))


def svg_texts(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def wide_network() -> Network:
    return Network(
        [
            Layer([[1]] * 10, [0] * 10, "relu"),
            Layer([[2] * 10], ["1/3"], "identity"),
        ]
    )


def test_seed_diagram_compiles_without_overfull(seed_trace, tmp_path):
    document = render_latex(seed_trace, diagram=True)
    compiled = compile_latex(document, tmp_path)
    assert compiled.overfull_boxes == []


def test_compiled_diagram_shows_values(seed_trace, tmp_path):
    text = compile_latex(render_latex(seed_trace, diagram=True), tmp_path).text
    assert "b = -0.5" in text
    assert "z = 12.5" in text
    assert "a = 6.5" in text
    assert "Each edge carries its weight." in text


def test_preamble_loads_tikz_only_with_diagram(seed_trace):
    assert r"\usepackage{tikz}" not in render_latex(seed_trace)
    assert r"\usepackage{tikz}" in render_latex(seed_trace, diagram=True)


def test_tikz_labels_seed_edges_and_units(seed_trace):
    tikz = tikz_diagram(seed_trace.network, seed_trace.steps[0])
    assert tikz.count(r"node[weight") == 8
    assert r"{$a^{[0]}_{1}$}" in tikz
    assert r"{$a^{[3]}_{1}$}" in tikz
    assert r"{$z=12.5$\\$a=12.5$}" in tikz


def test_tikz_input_follows_notation(seed_trace):
    tikz = tikz_diagram(seed_trace.network, notation=Notation(input="x"))
    assert r"{$x_{1}$}" in tikz
    assert "a^{[0]}" not in tikz


def test_tikz_writes_fractions_exactly():
    tikz = tikz_diagram(wide_network())
    assert r"$b=\frac{1}{3}$" in tikz


def test_svg_parses_with_seed_labels(seed_trace):
    texts = svg_texts(svg_diagram(seed_trace.network, seed_trace.steps[0]))
    assert "b=\u22120.5" in texts
    assert "z=12.5" in texts
    assert "a=6.5" in texts
    assert texts.count("1") == 8
    assert "a[0]1" in texts


def test_svg_names_units_from_zero(seed_trace):
    svg = svg_diagram(seed_trace.network, notation=Notation(first_layer=0))
    texts = svg_texts(svg)
    assert "x1" in texts
    assert "a[0]1" in texts


def test_wide_layer_elides_middle_units():
    network = wide_network()
    tikz = tikz_diagram(network)
    assert tikz.count(r"\node[unit]") == 1 + 6 + 1
    assert tikz.count(r"$\vdots$") == 1
    assert "node[weight" not in tikz


def test_wide_layer_svg_elides_middle_units():
    root = ElementTree.fromstring(svg_diagram(wide_network()))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 8
    assert "\u22ee" in svg_texts(svg_diagram(wide_network()))


def test_caption_names_omissions():
    caption = diagram_caption(wide_network())
    assert caption == (
        "The network with the bias of each unit above it. The weights of layers "
        "1 and 2 are left off the edges, because each has more than 3 inputs or "
        "3 units. Layer 1 shows units 1\u20133 and 8\u201310 of 10."
    )


def test_wide_diagram_compiles_without_overfull(tmp_path):
    from derivation import train

    trace = train(wide_network(), [1], [1], learning_rate="0.1", steps=1)
    compiled = compile_latex(render_latex(trace, diagram=True), tmp_path)
    assert compiled.overfull_boxes == []


def test_html_embeds_svg_figure(seed_trace):
    page = render_html(seed_trace, diagram=True)
    assert '<figure class="diagram">\n<svg xmlns=' in page
    assert "<figcaption>The network with" in page


def test_markdown_embeds_svg_image(seed_trace):
    text = render_markdown(seed_trace, diagram=True)
    assert '<img alt="The network with' in text
    assert 'src="data:image/svg+xml;base64,' in text


def test_cli_diagram_flag_writes_tikz(tmp_path):
    output = tmp_path / "solution.tex"
    assert main(["solve", str(SEED), "--diagram", "-o", str(output)]) == 0
    assert r"\begin{tikzpicture}" in output.read_text(encoding="utf-8")


def test_spec_output_table_enables_diagram(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        SEED.read_text(encoding="utf-8") + "\n[output]\ndiagram = true\n",
        encoding="utf-8",
    )
    assert load_spec(spec).diagram is True


def test_cli_diagram_rejected_with_json(capsys):
    code = main(["solve", str(SEED), "--format", "json", "--diagram"])
    assert code != 0
    assert "--diagram applies only to --format latex" in capsys.readouterr().err
