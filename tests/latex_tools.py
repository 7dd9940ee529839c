"""Compile LaTeX with pdflatex and read the result back with pdftotext.

Tests that compile are skipped when the tools are missing, except in CI
(``CI=true``), where a missing tool is a failure: ``.ci/run`` installs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

TOOLS = ("pdflatex", "pdftotext")


def require_latex_tools() -> None:
    """Skip the calling test when pdflatex or pdftotext is missing (fail in CI)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; .ci/run should have installed it")
    pytest.skip(message)


@dataclass(frozen=True)
class Compiled:
    """What pdflatex produced: the log and the text of the PDF."""

    log: str
    text: str

    @property
    def overfull_boxes(self) -> list[str]:
        return re.findall(r"^Overfull \\hbox.*$", self.log, flags=re.MULTILINE)


def compile_latex(source: str, folder: Path, name: str = "document") -> Compiled:
    """Compile a standalone document in ``folder`` and return log and text.

    Fails the test, with the end of the log, when pdflatex reports an error.
    """
    require_latex_tools()
    tex = folder / f"{name}.tex"
    tex.write_text(source, encoding="utf-8")
    result = subprocess.run(
        [
            "pdflatex",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
            tex.name,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = (folder / f"{name}.log").read_text(encoding="latin-1")
    if result.returncode != 0:
        pytest.fail(f"pdflatex failed:\n{log[-3000:]}")
    text = subprocess.run(
        ["pdftotext", "-layout", f"{name}.pdf", "-"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return Compiled(log=log, text=text.replace("\u2212", "-"))
