"""The HTML page: self-contained, escaped, every formula converted to MathML."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from derivation import Layer, Network, load_spec, solve, train
from derivation.cli import main
from derivation.errors import DerivationError
from derivation.render import Detail, Notation, NumberFormat, render_html
from derivation.render.html import mathml
from tests.browser import page_findings, screenshot

EXAMPLES = Path(__file__).resolve().parents[1] / "derivation" / "examples"
SEED = EXAMPLES / "relu-1-2-2-1.toml"
GALLERY = Path(__file__).resolve().parents[1] / "docs" / "gallery"
MATHML = "{http://www.w3.org/1998/Math/MathML}"


@pytest.fixture(scope="module")
def seed_page() -> str:
    spec = load_spec(SEED)
    return render_html(solve(spec), title=spec.title)


def main_element(page: str) -> ElementTree.Element:
    """Parse the <main> part of a page, which is well-formed XML."""
    body = page.split("<main>", 1)[1].split("</main>", 1)[0]
    return ElementTree.fromstring(f"<main>{body}</main>")


def small_trace():
    network = Network([Layer([[1]], [0], "identity")])
    return train(network, [1], [0], learning_rate="1/3")


def test_page_loads_nothing_from_outside(seed_page):
    without_namespace = seed_page.replace("http://www.w3.org/1998/Math/MathML", "")
    assert "http" not in without_namespace
    assert "<script" not in seed_page
    assert "<link" not in seed_page
    assert "src=" not in seed_page


def test_page_is_complete_html(seed_page):
    assert seed_page.startswith("<!DOCTYPE html>\n")
    assert '<meta charset="utf-8">' in seed_page
    assert seed_page.endswith("</html>\n")


def test_page_body_is_well_formed(seed_page):
    main = main_element(seed_page)
    assert len(main.findall(f".//{MATHML}math")) == seed_page.count("<math ")


def test_every_formula_is_converted(seed_page):
    assert "\\" not in seed_page


def test_headings_follow_title(seed_page):
    headings = re.findall(r"<(h\d)>([^<]*)</h\d>", seed_page)
    assert headings[:3] == [
        ("h1", "Two steps of backpropagation through a small ReLU network"),
        ("h3", "Problem"),
        ("h3", "Definitions"),
    ]
    assert ("h2", "Step 2") in headings
    assert ("h4", "Layer 3") in headings


def test_summary_tables_hold_values(seed_page):
    tables = seed_page.split('<table class="summary">')[1:]
    assert len(tables) == 6
    assert "<mn>0.5975</mn>" in tables[1]
    assert "<mn>0.59885</mn>" in tables[5]


def test_title_is_escaped():
    page = render_html(small_trace(), title='<script>alert("x")</script> & co')
    assert "<script>" not in page
    assert "<h1>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</h1>" in page
    assert (
        "<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</title>"
        in page
    )


def test_title_rejects_control_characters():
    with pytest.raises(DerivationError) as caught:
        render_html(small_trace(), title="bell\x07")
    assert str(caught.value) == (
        "title: the control character U+0007 cannot be written; remove it"
    )


def test_page_without_title_has_generic_title():
    page = render_html(small_trace())
    assert "<title>Worked solution</title>" in page
    assert "<h1>" not in page


def test_decimal_comma_stays_one_number():
    converted = mathml(r"0{,}5975 + 12{,}5")
    assert "<mn>0,5975</mn>" in converted
    assert "<mn>12,5</mn>" in converted


def test_repeating_decimal_keeps_point():
    converted = mathml(r"0.1\overline{6}")
    assert converted.count("<mn>0.1</mn><mover>") == 1


def test_function_names_are_identifiers():
    converted = mathml(r"\operatorname{ReLU}(z) = \max(0, z)")
    assert "<mi>ReLU</mi>" in converted
    assert "<mi>max</mi>" in converted


def test_rounded_result_shows_approx():
    page = render_html(
        small_trace(), numbers=NumberFormat("decimal", places=3), detail=Detail()
    )
    assert "<mn>0.667</mn>" in page
    assert "&#x02248;" in page


def test_notation_reaches_html():
    page = render_html(small_trace(), notation=Notation(layer_marks="parentheses"))
    assert (
        '<mi>W</mi><mrow><mo stretchy="false">&#x00028;</mo><mn>1</mn>'
        '<mo stretchy="false">&#x00029;</mo></mrow>'
    ) in page
    assert '<mo stretchy="false">[</mo><mn>1</mn>' not in page


def test_cli_writes_html(tmp_path, capsys):
    output = tmp_path / "solution.html"
    arguments = ["solve", "--example", "relu-2-2-1", "--format", "html"]
    status = main([*arguments, "-o", str(output)])
    assert status == 0
    page = output.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<h1>One step of backpropagation through a 2-2-1 network</h1>" in page


_CHECK_SCRIPT = """
<script>
window.addEventListener("load", () => {
  const maths = Array.from(document.querySelectorAll("math"));
  const empty = maths.filter((m) => {
    const box = m.getBoundingClientRect();
    return box.width <= 0 || box.height <= 0;
  }).length;
  const text = document.body.innerText;
  const result = document.createElement("pre");
  result.id = "result";
  result.textContent = JSON.stringify({
    math: maths.length,
    empty: empty,
    errors: document.querySelectorAll("merror").length,
    backslashes: (text.match(/\\\\/g) || []).length,
    mathmlSupported: maths.length > 0 && maths[0].namespaceURI ===
      "http://www.w3.org/1998/Math/MathML",
  });
  document.body.appendChild(result);
});
</script>
"""


@pytest.mark.parametrize("example", ["relu-1-2-2-1", "relu-2-2-1"])
def test_browser_renders_every_formula(example, tmp_path):
    spec = load_spec(EXAMPLES / f"{example}.toml")
    page = render_html(solve(spec), title=spec.title)
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", _CHECK_SCRIPT + "</body>"))
    findings = page_findings(checked)
    assert findings["math"] == page.count("<math ")
    assert findings["empty"] == 0
    assert findings["errors"] == 0
    assert findings["backslashes"] == 0
    assert findings["mathmlSupported"] is True


def test_browser_screenshot_for_gallery(tmp_path):
    spec = load_spec(SEED)
    page = tmp_path / "solution.html"
    page.write_text(
        render_html(
            solve(spec),
            title=spec.title,
            notation=Notation(gradient_style="delta"),
            numbers=NumberFormat("decimal", places=3),
            detail=Detail("compact"),
        )
    )
    folder = GALLERY if _updating_gallery() else tmp_path
    image = folder / "html-relu-1-2-2-1-compact.png"
    screenshot(page, image)
    assert image.stat().st_size > 10_000


def _updating_gallery() -> bool:
    return os.environ.get("UPDATE_GALLERY") == "1"
