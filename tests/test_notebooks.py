"""The notebooks in notebooks/ run from top to bottom in a Jupyter kernel.

Each notebook is executed with nbclient in a fresh ``python3`` kernel
(ipykernel), with matplotlib's non-interactive Agg backend, and the test
fails on the first cell that raises. Outputs are not written back.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED_NAMES = [
    "closed-forms-and-batches.ipynb",
    "learning-rate.ipynb",
    "relu-1-2-2-1-homework.ipynb",
    "tour.ipynb",
    "variants.ipynb",
]
# Seconds per cell; each cell here finishes in well under a second.
CELL_TIMEOUT = 60


def test_notebooks_present():
    assert [path.name for path in NOTEBOOKS] == EXPECTED_NAMES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_outputs_stored_empty(path):
    notebook = nbformat.read(path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] for cell in code_cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_in_kernel(path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    client.execute(env=dict(os.environ))
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
