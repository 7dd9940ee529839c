"""The documentation site builds, and every example in the docs runs.

- ``mkdocs build --strict`` builds the site from mkdocs.yml into a temporary
  folder. Without MkDocs the test is skipped, except in CI (``CI=true``),
  where the ``test`` extra installs it.
- Every ```` ```python ```` block of docs/*.md and README.md runs, in order,
  in one namespace per page.
- Every line of a ```` ```sh ```` block that starts with ``derivation `` runs
  through ``bash`` in a temporary folder that contains the spec and answer files
  the docs name. A line exits 0 unless it carries a comment ``# exits N``.
- docs/examples.md is the Markdown output of the bundled relu-2-2-1 example
  with a few option sets; ``UPDATE_DOCS=1 python -m pytest tests/test_docs.py``
  writes it again.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derivation.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]
EXAMPLES_PAGE = DOCS / "examples.md"
BUNDLED = ROOT / "derivation" / "examples"
ANSWERS = ROOT / "tests" / "data" / "answers"

# Files that the docs' examples name, and the bundled or test file copied
# under each name.
STAND_INS = {
    "relu-1-2-2-1.toml": BUNDLED / "relu-1-2-2-1.toml",
    "my-exercise.toml": BUNDLED / "relu-1-2-2-1.toml",
    "net.toml": BUNDLED / "relu-1-2-2-1.toml",
    "long.toml": BUNDLED / "relu-1-2-2-1.toml",
    "submissions/correct.toml": ANSWERS / "relu-1-2-2-1-correct.toml",
    "submissions/one-slip.toml": ANSWERS / "relu-1-2-2-1-one-slip.toml",
}
# The Python examples read an answer file with one slip; the shell examples
# write their own with `derivation template`.
PYTHON_STAND_INS = {"answers.toml": ANSWERS / "relu-1-2-2-1-one-slip.toml"}

# The bundled spec and the option sets shown on docs/examples.md.
EXAMPLE_NAME = "relu-2-2-1"
EXAMPLE_CASES = [
    ("Default options", []),
    (
        "Delta gradients, upper case, a decimal comma, compact",
        [
            "--notation",
            "gradient_style=delta,case=upper",
            "--numbers",
            "style=decimal,places=3,decimal_separator=comma",
            "--detail",
            "compact",
        ],
    ),
    (
        "Parentheses, layers from 0, fractions, answers only",
        [
            "--notation",
            "layer_marks=parentheses,first_layer=0",
            "--numbers",
            "style=fraction",
            "--detail",
            "answers",
        ],
    ),
]
EXAMPLES_INTRO = """\
# Rendered examples

The Markdown output of the bundled `{name}` example with a few option sets,
as MkDocs shows it with MathJax. [What a solution contains](output.md)
explains every option. This page is generated:
`UPDATE_DOCS=1 python -m pytest tests/test_docs.py` writes it again, and the
tests fail when it is out of date. The headings of each solution are moved
two levels down to fit under the headings of this page.
"""

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXPECTED_STATUS = re.compile(r"#.*\bexits (\d+)")
# Seconds for one documented command; each takes about a second.
COMMAND_TIMEOUT = 60


def code_blocks(page: Path, language: str) -> list[str]:
    """Return the bodies of the fenced blocks of ``language`` in ``page``."""
    text = page.read_text(encoding="utf-8")
    return [body for lang, body in FENCE.findall(text) if lang == language]


def shell_commands(page: Path) -> list[str]:
    """Return the lines of the ``sh`` blocks of ``page`` that run derivation."""
    return [
        line.strip()
        for block in code_blocks(page, "sh")
        for line in block.splitlines()
        if line.strip().startswith("derivation ")
    ]


def lay_out_files(folder: Path, stand_ins: dict[str, Path]) -> None:
    """Copy each stand-in file into ``folder`` under the name the docs use."""
    for name, source in stand_ins.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def shift_headings(markdown: str, levels: int) -> str:
    """Return ``markdown`` with each heading outside ``$$`` math moved down."""
    lines = []
    in_math = False
    for line in markdown.splitlines():
        if line.strip() == "$$":
            in_math = not in_math
        elif not in_math and line.startswith("#"):
            line = "#" * levels + line
        lines.append(line)
    return "\n".join(lines)


def render_examples_page(folder: Path) -> str:
    """Return docs/examples.md as the command line renders it now."""
    parts = [EXAMPLES_INTRO.format(name=EXAMPLE_NAME)]
    for number, (heading, options) in enumerate(EXAMPLE_CASES, start=1):
        arguments = ["solve", "--example", EXAMPLE_NAME, "--format", "markdown"]
        arguments += options
        output = folder / f"example-{number}.md"
        assert cli_main([*arguments, "-o", str(output)]) == 0
        solution = output.read_text(encoding="utf-8")
        # The first line is the marker comment that names the writer's version.
        if solution.startswith("<!--"):
            solution = solution.split("\n", 1)[1]
        command = shlex.join(["derivation", *arguments])
        parts.append(f"## {heading}\n\n```sh\n{command}\n```\n")
        parts.append(shift_headings(solution, 2).strip() + "\n")
    return "\n".join(parts)


PYTHON_PAGES = [page for page in PAGES if code_blocks(page, "python")]
SHELL_PAGES = [page for page in PAGES if shell_commands(page)]


def test_pages_with_examples_found():
    python_names = [page.name for page in PYTHON_PAGES]
    shell_names = [page.name for page in SHELL_PAGES]
    assert python_names == [
        "checking.md",
        "exercises.md",
        "float-path.md",
        "index.md",
        "limits.md",
        "output.md",
        "performance.md",
        "python-api.md",
        "README.md",
    ]
    assert shell_names == [
        "checking.md",
        "examples.md",
        "exercises.md",
        "index.md",
        "limits.md",
        "output.md",
        "README.md",
    ]


def test_examples_page_up_to_date(tmp_path):
    expected = render_examples_page(tmp_path)
    if os.environ.get("UPDATE_DOCS") == "1":
        EXAMPLES_PAGE.write_text(expected, encoding="utf-8")
    assert EXAMPLES_PAGE.read_text(encoding="utf-8") == expected


def test_shift_headings_skips_math():
    text = "# Title\n\n$$\n# not a heading\n$$\n\n## Step"
    expected = "### Title\n\n$$\n# not a heading\n$$\n\n#### Step"
    assert shift_headings(text, 2) == expected


def test_gallery_page_shows_every_image():
    page = (DOCS / "gallery.md").read_text(encoding="utf-8")
    missing = [
        image.name
        for image in sorted((DOCS / "gallery").glob("*.png"))
        if f"(gallery/{image.name})" not in page
    ]
    assert missing == []


def load_doctest_fences():
    """Import the site's Griffe extension from docs/_ext."""
    spec = importlib.util.spec_from_file_location(
        "doctest_fences", DOCS / "_ext" / "doctest_fences.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sphinx_roles_become_code():
    module = load_doctest_fences()
    text = "See :func:`train` and :func:`load_spec <derivation.spec.load_spec>`."
    expected = "See `train` and `load_spec`."
    assert module.SPHINX_ROLE.sub(r"`\1`", text) == expected


def test_doctest_fences_wrap_blocks():
    module = load_doctest_fences()
    text = "Add.\n\n>>> 1 + 1\n2\n\n```\n>>> kept\n```\n    >>> x\n    1"
    expected = (
        "Add.\n\n```pycon\n>>> 1 + 1\n2\n```\n\n```\n>>> kept\n```\n"
        "    ```pycon\n    >>> x\n    1\n    ```"
    )
    assert module.fence_doctests(text) == expected


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=lambda page: page.name)
def test_python_examples_run(page, tmp_path, monkeypatch):
    blocks = code_blocks(page, "python")
    lay_out_files(tmp_path, STAND_INS | PYTHON_STAND_INS)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"{page.name}, python block {number}", "exec")
        # The code is the repository's own documentation, run as a reader would.
        exec(code, namespace)


@pytest.mark.parametrize("page", SHELL_PAGES, ids=lambda page: page.name)
def test_shell_examples_run(page, tmp_path):
    commands = shell_commands(page)
    lay_out_files(tmp_path, STAND_INS)
    program = f"{shlex.quote(sys.executable)} -m derivation "
    failures = []
    for command in commands:
        found = EXPECTED_STATUS.search(command)
        expected = int(found[1]) if found else 0
        result = subprocess.run(
            ["bash", "-c", program + command.removeprefix("derivation ")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        if result.returncode != expected:
            failures.append(
                f"{command}: exit status {result.returncode}, expected"
                f" {expected}: {result.stderr.strip()}"
            )
    assert failures == []


def test_site_builds_strict(tmp_path):
    missing = [
        name
        for name in ("mkdocs", "material", "mkdocstrings_handlers.python")
        if importlib.util.find_spec(name.split(".")[0]) is None
    ]
    if missing and os.environ.get("CI") != "true":
        pytest.skip(f"{', '.join(missing)} not installed: pip install '.[docs]'")
    site = tmp_path / "site"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", site],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        # Material 9.8 prints a notice about MkDocs 2.0 on every build without it.
        env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
    )
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    assert (site / "index.html").is_file()
    engine_page = (site / "api" / "engine" / "index.html").read_text()
    assert 'id="derivation.engine.train"' in engine_page
    examples_page = (site / "examples" / "index.html").read_text()
    assert 'class="arithmatex"' in examples_page
    assert seconds < 120
