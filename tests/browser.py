"""Render pages in headless Chromium and read back what the page script found.

Tests that need a browser are skipped when Chromium is missing (Debian:
``apt-get install chromium chromium-driver``); ``.ci/run`` installs
it, so CI runs them. Markdown pages are typeset with MathJax 3, read
from the folder named by the ``DERIVATION_MATHJAX`` environment variable (the
``es5`` folder of the npm package ``mathjax``, version 3) or from a
``node_modules/mathjax`` folder beside the repository or inside it.

The page under test runs a script that records its findings as JSON in an
element with the id ``result``; Chromium's ``--dump-dom`` prints the page
after its scripts ran, and :func:`page_findings` reads the JSON back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
_MATHJAX_SCRIPT = "tex-svg-full.js"
# How long Chromium lets scripts run, in virtual time, before it prints the
# page. MathJax typesets a long solution within about 2 s on one core.
_BUDGET_MS = 30_000
_RESULT = re.compile(r'<pre id="result">(.*?)</pre>', re.DOTALL)


def require_chromium() -> str:
    """Return the Chromium command, or skip the calling test."""
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "Chromium is not installed (Debian: apt-get install chromium chromium-driver)"
    )


def require_mathjax() -> Path:
    """Return the MathJax 3 script that typesets TeX as SVG, or skip."""
    candidates = []
    configured = os.environ.get("DERIVATION_MATHJAX")
    if configured:
        candidates.append(Path(configured))
    candidates += [
        ROOT / "node_modules" / "mathjax" / "es5",
        ROOT.parent / "node_modules" / "mathjax" / "es5",
    ]
    for folder in candidates:
        script = folder if folder.is_file() else folder / _MATHJAX_SCRIPT
        if script.is_file():
            return script
    pytest.skip(
        "MathJax 3 not found: set DERIVATION_MATHJAX to the es5 folder of the "
        "npm package mathjax@3 (npm install mathjax@3)"
    )


def run_chromium(arguments: list[str], page: Path) -> str:
    """Run headless Chromium on a local page and return its standard output."""
    command = [
        require_chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--virtual-time-budget={_BUDGET_MS}",
        *arguments,
        page.as_uri(),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=180, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"chromium failed:\n{result.stderr[-3000:]}")
    return result.stdout


def page_findings(page: Path) -> dict:
    """Load ``page`` and return the JSON its script left in ``#result``."""
    dom = run_chromium(["--dump-dom"], page)
    found = _RESULT.search(dom)
    if found is None:
        pytest.fail("the page script left no result; the page did not finish")
    text = found[1].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(text)


def screenshot(page: Path, image: Path, width: int = 1000, height: int = 1400) -> None:
    """Save a PNG of the top of ``page``."""
    run_chromium([f"--screenshot={image}", f"--window-size={width},{height}"], page)
    if not image.is_file() or image.stat().st_size == 0:
        pytest.fail(f"chromium wrote no screenshot to {image}")
