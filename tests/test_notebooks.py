"""The notebooks in notebooks/ run from top to bottom.

The code cells are executed in order in one namespace, as a kernel would run
them, so no Jupyter installation is needed for the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def code_cells(path: Path) -> list[str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [
        "".join(cell["source"])
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def test_notebooks_exist():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    monkeypatch.chdir(path.parent)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for number, source in enumerate(code_cells(path), start=1):
        code = compile(source, f"{path.name}, cell {number}", "exec")
        exec(code, namespace)  # the notebook is part of this repository
