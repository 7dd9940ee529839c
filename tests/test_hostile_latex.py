"""Hostile titles cannot change what a LaTeX, HTML or Markdown solution does.

Each LaTeX title is compiled with ``pdflatex -no-shell-escape`` and the text
of the PDF must be the title as written (runs of white space become one
space). A title with a character that pdflatex cannot typeset is rejected
with a message before anything is written.
"""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from derivation import cli
from derivation.engine import train
from derivation.errors import DerivationError
from derivation.network import Layer, Network
from derivation.render.latex import render_latex
from tests.latex_tools import compile_latex

BASE = (Path(__file__).parent / "data" / "hostile" / "base.toml").read_text()

# pdflatex runs in the test's folder, so \write18 would create the file
# "injected" there if shell escape were on.
TITLES = {
    "input": r"\input{/etc/hostname}",
    "include": r"\include{injected}",
    "write18": r"\immediate\write18{touch injected}",
    "openout": r"\newwrite\f\immediate\openout\f=injected\immediate\closeout\f",
    "def": r"\def\x{boom}\x",
    "catcode": r"\catcode`\$=12 $x$",
    "unbalanced_open": "{{{ open",
    "unbalanced_close": "close }}}",
    "specials": r"$ % # & _ ^ ~ \ { }",
    "script": "<script>alert(1)</script>",
    "ligatures": "a -- b --- c `` d '' e << f >> g ?` h !` i",
    "backticks": "`code` and ``quoted''",
    "quotes": "'single' \"double\"",
    "newlines": "first line\n\nsecond paragraph",
    "tab": "tab\there",
    "greek": "Übung: σ(z), η = 0.1, Δw, λ",
    "latin": "Übung für Schüler: é à ç ß",
    "endinput": r"\endinput after",
    "end_document": r"\end{document} after",
    "verb": r"\verb|x| \makeatletter\@@end",
    "csname": r"\csname @@end\endcsname",
    "hat_hat": "^^41 ^^5c",
    "line_break": r"line\\next",
    "brackets": "[optional] title",
    "pipes": "a | b < c > d",
    "percent_comment": "100% sure % rest",
    "section": r"\section{Injected}",
    "usepackage": r"\usepackage{shellesc}",
    "par": r"one\par two",
}


def _trace():
    network = Network([Layer([[2]], [0], "identity")])
    return train(network, [1], [3], learning_rate="0.5", steps=1)


# pdftotext reads Computer Modern's capital delta as the increment sign.
_GLYPH_NAMES = str.maketrans({"\u2206": "\u0394"})


def _heading_text(folder: Path) -> str:
    """Return the PDF text before the first subsection, white space collapsed.

    ``pdftotext -raw`` keeps the spaces that ``-layout`` drops between
    wide symbols such as ``$ %``.
    """
    text = subprocess.run(
        ["pdftotext", "-raw", "-l", "1", "document.pdf", "-"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    before = text.split("Problem", 1)[0].translate(_GLYPH_NAMES)
    return " ".join(before.split())


@pytest.mark.latex
@pytest.mark.parametrize("name", sorted(TITLES))
def test_hostile_title_prints_literally(name, tmp_path):
    title = TITLES[name]
    compile_latex(render_latex(_trace(), title=title), tmp_path)
    assert _heading_text(tmp_path) == " ".join(title.split())
    assert not (tmp_path / "injected").exists()
    assert not (tmp_path / "injected.tex").exists()


@pytest.mark.latex
def test_input_title_reads_no_file(tmp_path):
    document = render_latex(_trace(), title=TITLES["input"])
    compiled = compile_latex(document, tmp_path)
    assert "/etc/hostname" not in compiled.log.replace(r"\input{/etc/hostname}", "")


def test_title_escapes_every_special_character():
    body = render_latex(_trace(), title=r"$%#&_^~\{}", standalone=False)
    heading = body.splitlines()[1]
    assert heading == (
        r"\section*{\$\%\#\&\_\textasciicircum{}\textasciitilde{}"
        r"\textbackslash{}\{\}}"
    )


@pytest.mark.parametrize(
    "character, name",
    [("日", "U+65E5"), ("😀", "U+1F600"), ("→", "U+2192"), ("\x00", "U+0000")],
)
def test_untypesettable_title_is_rejected(character, name):
    with pytest.raises(DerivationError) as raised:
        render_latex(_trace(), title=f"Week 3 {character}")
    assert str(raised.value) == (
        f"title: the character {character!r} ({name}) cannot be typeset by "
        "pdflatex; remove it or choose --format json"
    )


def test_untypesettable_title_writes_nothing(tmp_path, capsys):
    spec = tmp_path / "net.toml"
    spec.write_text('title = "Week 3 → 4"\n' + BASE, encoding="utf-8")
    output = tmp_path / "solution.tex"
    status = cli.main(["solve", str(spec), "-o", str(output)])
    error = capsys.readouterr().err
    assert status == 2
    assert error == (
        "derivation: error: title: the character '→' (U+2192) cannot be "
        "typeset by pdflatex; remove it or choose --format json\n"
    )
    assert not output.exists()


def test_untypesettable_title_is_kept_in_json(tmp_path, capsys):
    spec = tmp_path / "net.toml"
    spec.write_text('title = "Week 3 → 4 😀"\n' + BASE, encoding="utf-8")
    status = cli.main(["solve", str(spec), "--format", "json"])
    output = capsys.readouterr().out
    assert status == 0
    assert json.loads(output)["title"] == "Week 3 → 4 😀"


# --- HTML --------------------------------------------------------------------


class _PageScan(HTMLParser):
    """Collect the tags, the event-handler attributes and the text of h1."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.links: list[str] = []
        self.heading = ""
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self.links += [value or "" for name, value in attrs if name in ("href", "src")]
        self._in_heading = tag == "h1"

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_heading = False

    def handle_data(self, data):
        if self._in_heading:
            self.heading += data


def _html_page(title: str) -> str:
    from derivation.render.html import render_html

    return render_html(_trace(), title=title)


@pytest.mark.parametrize("name", sorted(TITLES))
def test_hostile_title_is_literal_in_html(name):
    pytest.importorskip("latex2mathml")
    title = TITLES[name]
    scan = _PageScan()
    scan.feed(_html_page(title))
    assert scan.heading == " ".join(title.split())


@pytest.mark.parametrize(
    "title",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//example.invalid/x.js></SCRIPT>",
        '<img src=x onerror="alert(1)">',
        "<svg onload=alert(1)>",
        '"><script>alert(1)</script>',
        "</title><script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        "<!-- comment --> <![CDATA[x]]>",
        "&lt;script&gt;",
    ],
)
def test_html_title_adds_no_markup(title):
    pytest.importorskip("latex2mathml")
    scan = _PageScan()
    scan.feed(_html_page(title))
    assert "script" not in scan.tags
    assert "img" not in scan.tags
    assert scan.handlers == []
    assert scan.links == []
    assert scan.heading == title


# --- Markdown ----------------------------------------------------------------


@pytest.mark.parametrize(
    "title, heading",
    [
        ("<script>alert(1)</script>", r"# \<script\>alert(1)\</script\>"),
        ("[a](javascript:alert(1))", r"# \[a\](javascript:alert(1))"),
        ("`code` *b* _i_", r"# \`code\` \*b\* \_i\_"),
        ("# not a heading\n\n- item", r"# \# not a heading - item"),
    ],
)
def test_markdown_title_adds_no_markup(title, heading):
    from derivation.render.markdown import render_markdown

    lines = render_markdown(_trace(), title=title).splitlines()
    assert heading in lines
