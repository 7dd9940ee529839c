"""Notation settings: the symbols they produce, validation, spec and CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from derivation import Layer, Network, load_spec, parse_spec, solve, train
from derivation.cli import main
from derivation.errors import SpecError
from derivation.render import Notation, SettingError, render_latex, render_markdown

EXAMPLES = Path(__file__).resolve().parents[1] / "derivation" / "examples"
SEED = EXAMPLES / "relu-1-2-2-1.toml"


@pytest.fixture(scope="module")
def seed_trace():
    return solve(load_spec(SEED))


def seed_latex(trace, **settings) -> str:
    return render_latex(trace, notation=Notation(**settings), standalone=False)


# -- symbols ---------------------------------------------------------------


def test_default_symbols():
    n = Notation()
    assert n.symbol("z", 2) == "z^{[2]}"
    assert n.symbol("a", 0) == "a^{[0]}"
    assert n.transposed("W", 3) == "W^{[3]T}"
    assert n.gradient("W", 1) == r"\frac{\partial L}{\partial W^{[1]}}"
    assert n.elementwise == r"\odot"


def test_parentheses_mark_layers():
    n = Notation(layer_marks="parentheses")
    assert n.symbol("W", 2) == "W^{(2)}"
    assert n.layer_mark("l-1") == "(l-1)"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("partial", r"\frac{\partial L}{\partial W^{[1]}}"),
        ("dL/d", r"{\partial L}/{\partial W^{[1]}}"),
        ("d", r"\frac{dL}{dW^{[1]}}"),
        ("dW", "dW^{[1]}"),
        ("delta", r"\frac{\partial L}{\partial W^{[1]}}"),
    ],
)
def test_gradient_styles_write_weight_gradient(style, expected):
    assert Notation(gradient_style=style).gradient("W", 1) == expected


def test_delta_names_pre_activation_gradient():
    n = Notation(gradient_style="delta", layer_marks="parentheses")
    assert n.gradient("z", 2) == r"\delta^{(2)}"
    assert n.gradient("a", 2) == r"\frac{\partial L}{\partial a^{(2)}}"


def test_zero_based_layers_read_x():
    n = Notation(first_layer=0)
    assert n.symbol("W", 1) == "W^{[0]}"
    assert n.symbol("a", 0) == "x"
    assert n.transposed("a", 0) == "x^{T}"
    assert n.layer_number(3) == 2
    assert n.input_is_x


def test_input_x_with_one_based_layers():
    n = Notation(input="x")
    assert n.symbol("a", 0) == "x"
    assert n.symbol("a", 1) == "a^{[1]}"
    assert n.gradient("a", 0) == r"\frac{\partial L}{\partial x}"


def test_upper_case_vectors():
    n = Notation(case="upper")
    assert n.symbol("z", 1) == "Z^{[1]}"
    assert n.symbol("a", 1) == "A^{[1]}"
    assert n.symbol("W", 1) == "W^{[1]}"
    assert n.symbol("b", 1) == "b^{[1]}"
    assert n.input_name == "X"
    assert n.target_name == "Y"


def test_transpose_and_product_marks():
    n = Notation(transpose="top", product="*")
    assert n.transposed("W", 1) == r"W^{[1]\top}"
    assert n.elementwise == r"\ast"


# -- validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"layer_marks": "braces"},
            "notation: layer_marks: expected one of brackets, parentheses, "
            "found 'braces'",
        ),
        (
            {"gradient_style": "nabla"},
            "notation: gradient_style: expected one of partial, dL/d, d, dW, "
            "delta, found 'nabla'",
        ),
        (
            {"transpose": "t"},
            "notation: transpose: expected one of T, top, found 't'",
        ),
        ({"product": "x"}, "notation: product: expected one of odot, *, found 'x'"),
        (
            {"case": "title"},
            "notation: case: expected one of lower, upper, found 'title'",
        ),
        ({"input": "a0"}, "notation: input: expected one of a, x, found 'a0'"),
        ({"first_layer": 2}, "notation: first_layer: expected 0 or 1, found 2"),
        ({"first_layer": True}, "notation: first_layer: expected 0 or 1, found true"),
        (
            {"first_layer": 0, "input": "a"},
            "notation: input: expected x when first_layer is 0, because no layer "
            "number is left for the input, found 'a'",
        ),
    ],
)
def test_invalid_settings_rejected(settings, message):
    with pytest.raises(SettingError) as caught:
        Notation(**settings)
    assert str(caught.value) == message


def test_unknown_key_rejected():
    with pytest.raises(SettingError) as caught:
        Notation.from_mapping({"superscripts": "round"})
    assert str(caught.value) == (
        "notation: superscripts: expected a known key (layer_marks, "
        "gradient_style, transpose, product, first_layer, input, case), found "
        "the unknown key 'superscripts'"
    )


def test_from_mapping_keeps_base():
    base = Notation(layer_marks="parentheses")
    merged = Notation.from_mapping({"first_layer": "0", "case": "upper"}, base=base)
    assert merged == Notation(layer_marks="parentheses", first_layer=0, case="upper")


def test_from_mapping_rejects_text_layer():
    with pytest.raises(SettingError) as caught:
        Notation.from_mapping({"first_layer": "one"})
    assert str(caught.value) == "notation: first_layer: expected 0 or 1, found 'one'"


# -- spec and command line -------------------------------------------------


def test_spec_reads_notation_table():
    text = SEED.read_text() + '\n[notation]\nfirst_layer = 0\ngradient_style = "dW"\n'
    spec = parse_spec(text)
    assert spec.notation == Notation(first_layer=0, gradient_style="dW")


def test_spec_without_notation_table():
    assert load_spec(SEED).notation is None


def test_spec_names_bad_notation_key():
    text = SEED.read_text() + '\n[notation]\ntranspose = "prime"\n'
    with pytest.raises(SpecError) as caught:
        parse_spec(text, source="net.toml")
    assert str(caught.value) == (
        "net.toml: notation: transpose: expected one of T, top, found 'prime'"
    )


def test_spec_rejects_notation_value():
    text = SEED.read_text().replace("[network]", "notation = 3\n[network]", 1)
    with pytest.raises(SpecError) as caught:
        parse_spec(text, source="net.toml")
    assert str(caught.value) == (
        "net.toml: notation: expected a [notation] table, found 3"
    )


def test_cli_notation_overrides_spec(tmp_path, capsys):
    spec = tmp_path / "net.toml"
    spec.write_text(SEED.read_text() + '\n[notation]\nlayer_marks = "parentheses"\n')
    status = main(
        ["solve", str(spec), "--fragment", "--notation", "transpose=top,case=upper"]
    )
    output = capsys.readouterr().out
    assert status == 0
    assert r"W^{(1)\top}" in output
    assert "Z^{(1)}" in output


def test_cli_rejects_bad_notation(capsys):
    arguments = ["solve", "--example", "relu-2-2-1", "--notation", "case=mixed"]
    assert main(arguments) == 2
    assert capsys.readouterr().err == (
        "derivation: error: notation: case: expected one of lower, upper, "
        "found 'mixed'\n"
    )


# -- applied through the whole document ------------------------------------


def test_parentheses_everywhere(seed_trace):
    document = seed_latex(seed_trace, layer_marks="parentheses")
    assert "^{[" not in document
    assert "W^{(3)}" in document


def test_zero_based_headings_and_symbols(seed_trace):
    document = seed_latex(seed_trace, first_layer=0)
    headings = re.findall(r"\\subsubsection\*\{Layer (\d)\}", document)
    assert set(headings) == {"0", "1", "2"}
    assert "a^{[0]}" in document
    assert "a^{[-1]}" not in document
    assert "W^{[3]}" not in document
    assert r"\text{(" not in document
    assert "Layers are numbered from 0; layer 0 reads the input $x$." in document
    assert "layers 0 and 1" in document


def test_input_x_replaces_a0(seed_trace):
    document = seed_latex(seed_trace, input="x")
    assert "a^{[0]" not in document
    assert r"W^{[1]} x + b^{[1]}" in document
    assert r"\frac{\partial L}{\partial z^{[1]}} x^{T}" in document
    assert "where $a^{[l-1]}$ is the input $x$ in layer 1" in document


def test_upper_case_everywhere(seed_trace):
    document = seed_latex(seed_trace, case="upper")
    assert re.search(r"[^a-zA-Z\\][za]\^\{", document) is None
    assert "Z^{[2]} &= W^{[2]} A^{[1]} + b^{[2]}" in document
    assert r"\left(A^{[3]}_i - Y_i\right)" in document


def test_delta_defined_and_used(seed_trace):
    document = seed_latex(seed_trace, gradient_style="delta")
    assert r"where $\delta^{[l]}$ is $\frac{\partial L}{\partial z^{[l]}}$," in document
    steps = document.split(r"\section*{Step 1}")[1]
    assert r"\partial z^{[" not in steps
    assert r"\delta^{[2]} &= \frac{\partial L}{\partial a^{[2]}} \odot" in document


def test_short_gradients_have_no_partials(seed_trace):
    document = seed_latex(seed_trace, gradient_style="dW")
    assert r"\partial" not in document
    assert r"dW^{[1]} &= dz^{[1]}" in document
    assert r"\theta &\leftarrow \theta - \eta d\theta." in document


def test_top_and_star_everywhere(seed_trace):
    document = seed_latex(seed_trace, transpose="top", product="*")
    assert "T}" not in document
    assert r"\odot" not in document
    assert r"\top}" in document
    assert r"\ast" in document


def test_markdown_uses_notation(seed_trace):
    text = render_markdown(seed_trace, notation=Notation(first_layer=0, case="upper"))
    assert "### Layer 0" in text
    assert "Z^{[0]}" in text


def test_every_combination_renders():
    network = Network([Layer([[1], [2]], [0, 1], "relu"), Layer([[1, -1]], 0)])
    trace = train(network, [1], [2], learning_rate="1/4")
    for marks in ("brackets", "parentheses"):
        for first in (0, 1):
            for style in ("partial", "dL/d", "d", "dW", "delta"):
                for case in ("lower", "upper"):
                    notation = Notation(
                        layer_marks=marks,
                        first_layer=first,
                        gradient_style=style,
                        case=case,
                    )
                    document = render_latex(trace, notation=notation)
                    assert document.count(r"\begin{") == document.count(r"\end{")
