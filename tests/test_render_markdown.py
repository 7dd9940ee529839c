"""The Markdown solution: $$ math that Markdown parsers and MathJax accept."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from derivation import Layer, Network, load_spec, solve, train
from derivation.cli import main
from derivation.errors import DerivationError
from derivation.render import Detail, Notation, NumberFormat, render_markdown
from derivation.render.markdown import escape_markdown, markdown_math
from tests.browser import page_findings, require_chromium, require_mathjax, screenshot

EXAMPLES = Path(__file__).resolve().parents[1] / "derivation" / "examples"
SEED = EXAMPLES / "relu-1-2-2-1.toml"
GALLERY = Path(__file__).resolve().parents[1] / "docs" / "gallery"
_DISPLAY = re.compile(r"^\$\$\n(.*?)\n\$\$$", re.DOTALL | re.MULTILINE)
_INLINE = re.compile(r"(?<![$\\])\$(?!\$)(.+?)(?<!\\)\$")


@pytest.fixture(scope="module")
def seed_markdown() -> str:
    spec = load_spec(SEED)
    return render_markdown(solve(spec), title=spec.title)


def small_trace():
    network = Network([Layer([[1]], [0], "identity")])
    return train(network, [1], [0], learning_rate="1/3")


def display_blocks(text: str) -> list[str]:
    return _DISPLAY.findall(text)


def test_title_is_first_heading(seed_markdown):
    first = seed_markdown.splitlines()[0]
    assert first == "# Two steps of backpropagation through a small ReLU network"


def test_display_math_on_own_lines(seed_markdown):
    lines = seed_markdown.splitlines()
    dollar_lines = [line for line in lines if "$$" in line]
    assert dollar_lines
    assert all(line == "$$" for line in dollar_lines)
    assert len(dollar_lines) == 2 * len(display_blocks(seed_markdown))


def test_display_math_has_no_blank_lines(seed_markdown):
    for block in display_blocks(seed_markdown):
        assert "\n\n" not in block


def test_display_math_sits_between_blank_lines(seed_markdown):
    blocks = len(display_blocks(seed_markdown))
    assert seed_markdown.count("\n\n$$\n") == blocks
    assert (seed_markdown + "\n").count("\n$$\n\n") == blocks


def test_every_row_break_ends_its_line(seed_markdown):
    for block in display_blocks(seed_markdown):
        breaks = block.count("\\\\")
        assert breaks == block.count("\\\\\n")


def test_math_avoids_forms_markdown_changes(seed_markdown):
    assert r"\\[" not in seed_markdown
    assert r"\," not in seed_markdown
    assert "align*" not in seed_markdown
    assert r"\begin{aligned}" in seed_markdown
    assert r"\begin{array}{lcc}" in seed_markdown


def test_summary_values_present(seed_markdown):
    summary = seed_markdown.split("## Summary of step 2")[1]
    assert r"\text{Layer 3} & W^{[3]} & b^{[3]} \\" in summary
    assert "-0.59885" in summary
    assert "0.5975" in summary


def test_markdown_math_moves_row_breaks():
    rewritten = markdown_math(r"a \\[1ex] b \\ c \, d")
    assert rewritten == "a \\\\\nb \\\\\nc \\thinspace d"


def test_text_is_escaped():
    text = escape_markdown(r"Week_3 *bold* [link](x) <b> $5 #1 a|b ~c~ `x` \n")
    assert text == (r"Week\_3 \*bold\* \[link\](x) \<b\> \$5 \#1 a\|b \~c\~ \`x\` \\n")


def test_title_is_escaped():
    text = render_markdown(small_trace(), title="Quiz $1$ _draft_")
    assert text.startswith("# Quiz \\$1\\$ \\_draft\\_\n")


def test_title_rejects_control_characters():
    with pytest.raises(DerivationError) as caught:
        render_markdown(small_trace(), title="tab\tis fine, escape\x1b is not")
    assert str(caught.value) == (
        "title: the control character U+001B cannot be written; remove it"
    )


def test_inline_math_keeps_spaces_around():
    text = render_markdown(small_trace())
    assert r"learning rate $\eta = \frac{1}{3}$. Layers" in text


def test_compact_drops_substitutions():
    full = render_markdown(small_trace())
    compact = render_markdown(small_trace(), detail=Detail("compact"))
    assert r"\Bigl[" in full
    assert r"\Bigl[" not in compact
    assert "## Forward pass" in compact
    assert r"z^{[1]} &= W^{[1]} a^{[0]} + b^{[1]} = \begin{bmatrix} 1" in compact


def test_answers_keep_tables_only():
    answers = render_markdown(small_trace(), detail=Detail("answers"))
    assert "## Forward pass" not in answers
    assert "## Definitions" not in answers
    assert r"\begin{array}" in answers
    assert "L &= " in answers


def test_cli_writes_markdown(capsys):
    arguments = ["solve", "--example", "relu-2-2-1", "--format", "markdown"]
    status = main([*arguments, "--notation", "layer_marks=parentheses"])
    assert status == 0
    output = capsys.readouterr().out
    assert "\n# One step of backpropagation through a 2-2-1 network\n" in output
    assert "W^{(1)}" in output


def test_cli_rejects_fragment_for_markdown(capsys):
    arguments = ["solve", "--example", "relu-2-2-1", "--format", "markdown"]
    status = main([*arguments, "--fragment"])
    assert status == 2
    assert capsys.readouterr().err == (
        "derivation: error: --fragment applies only to --format latex\n"
    )


# -- what Markdown parsers make of it -------------------------------------


def arithmatex_html(text: str) -> str:
    """Convert as MkDocs with pymdownx.arithmatex (generic mode) does."""
    markdown = pytest.importorskip("markdown")
    pytest.importorskip("pymdownx.arithmatex")
    return markdown.markdown(
        text,
        extensions=["pymdownx.arithmatex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )


def dollarmath_html(text: str) -> str:
    """Convert with markdown-it-py and its dollarmath plugin, as MyST does."""
    markdown_it = pytest.importorskip("markdown_it")
    dollarmath = pytest.importorskip("mdit_py_plugins.dollarmath")

    def delimited(content: str, options: dict) -> str:
        opening, closing = ("\\[", "\\]") if options["display_mode"] else ("\\(", "\\)")
        return html.escape(f"{opening}{content}{closing}")

    parser = markdown_it.MarkdownIt("commonmark").use(
        dollarmath.dollarmath_plugin, renderer=delimited
    )
    return parser.render(text)


CONVERTERS = {"arithmatex": arithmatex_html, "dollarmath": dollarmath_html}


def tex_in_html(converted: str) -> list[str]:
    found = re.findall(r"\\\[(.*?)\\\]|\\\((.*?)\\\)", html.unescape(converted), re.S)
    return [display or inline for display, inline in found]


@pytest.mark.parametrize("converter", CONVERTERS)
def test_parsers_keep_math_verbatim(converter, seed_markdown):
    converted = CONVERTERS[converter](seed_markdown)
    expected = [
        block.strip() for block in display_blocks(seed_markdown)
    ] + _INLINE.findall(_DISPLAY.sub("", seed_markdown))
    found = [tex.strip() for tex in tex_in_html(converted)]
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize("converter", CONVERTERS)
def test_parsers_keep_escaped_text(converter):
    converted = CONVERTERS[converter](
        render_markdown(small_trace(), title="a_b *c* $d$")
    )
    assert "<h1>a_b *c* $d$</h1>" in converted


# -- MathJax in a real browser --------------------------------------------

_MATHJAX_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<script>
window.MathJax = {{
  tex: {{
    inlineMath: [["\\\\(", "\\\\)"]],
    displayMath: [["\\\\[", "\\\\]"]],
    // Without noundefined, an unknown command is an error, not red text.
    packages: {{"[-]": ["noundefined"]}},
  }},
  startup: {{
    pageReady: () => MathJax.startup.defaultPageReady().then(() => {{
      const containers = document.querySelectorAll("mjx-container");
      const errors = document.querySelectorAll("mjx-merror, [data-mjx-error]");
      const copy = document.body.cloneNode(true);
      copy.querySelectorAll("mjx-container, script").forEach((n) => n.remove());
      const text = copy.textContent;
      const result = document.createElement("pre");
      result.id = "result";
      result.textContent = JSON.stringify({{
        containers: containers.length,
        errors: Array.from(errors).map((e) => e.getAttribute("data-mjx-error")
          || e.textContent),
        leftover: (text.match(/\\\\[a-zA-Z]+|\\$/g) || []).slice(0, 10),
      }});
      document.body.appendChild(result);
    }}),
  }},
}};
</script>
<script src="{mathjax}"></script>
</head><body>
{body}
</body></html>
"""


def mathjax_page(folder: Path, converted: str) -> Path:
    page = folder / "page.html"
    page.write_text(
        _MATHJAX_PAGE.format(mathjax=require_mathjax().as_uri(), body=converted),
        encoding="utf-8",
    )
    return page


CASES = {
    "default": {},
    "options": {
        "notation": Notation(
            layer_marks="parentheses", gradient_style="delta", transpose="top"
        ),
        "numbers": NumberFormat("mixed", significant=3, decimal_separator="comma"),
    },
    "repeating": {"numbers": NumberFormat(repeating=True)},
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("converter", CONVERTERS)
@pytest.mark.parametrize("example", ["relu-1-2-2-1", "relu-2-2-1"])
def test_mathjax_renders_every_formula(example, converter, case, tmp_path):
    require_chromium()
    spec = load_spec(EXAMPLES / f"{example}.toml")
    text = render_markdown(solve(spec), title=spec.title, **CASES[case])
    converted = CONVERTERS[converter](text)
    findings = page_findings(mathjax_page(tmp_path, converted))
    assert findings["containers"] == len(tex_in_html(converted))
    assert findings["errors"] == []
    assert findings["leftover"] == []


def test_mathjax_screenshot_for_gallery(tmp_path):
    require_chromium()
    spec = load_spec(SEED)
    text = render_markdown(
        solve(spec),
        title=spec.title,
        notation=Notation(first_layer=0, case="upper"),
        numbers=NumberFormat("decimal", places=3, decimal_separator="comma"),
        detail=Detail("answers"),
    )
    page = mathjax_page(tmp_path, arithmatex_html(text))
    folder = GALLERY if os.environ.get("UPDATE_GALLERY") == "1" else tmp_path
    image = folder / "markdown-relu-1-2-2-1-answers.png"
    screenshot(page, image)
    assert image.stat().st_size > 10_000
