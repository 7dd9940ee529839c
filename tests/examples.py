"""Where the tests find the example specs and their reference values.

``tests/data/examples`` holds copies of the project's reference examples, so
the suite runs in any clone. When the reference folder ``shared/examples``
sits beside the repository, the tests also read it and check that the
copies have not drifted from it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_EXAMPLES = ROOT / "tests" / "data" / "examples"
BUNDLED_EXAMPLES = ROOT / "derivation" / "examples"
SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"

EXAMPLE_DIRECTORIES = [
    pytest.param(DATA_EXAMPLES, id="data"),
    pytest.param(BUNDLED_EXAMPLES, id="bundled"),
    pytest.param(
        SHARED_EXAMPLES,
        id="shared",
        marks=pytest.mark.skipif(
            not SHARED_EXAMPLES.is_dir(), reason="no shared/examples beside the clone"
        ),
    ),
]

SEED_EXPECTED = DATA_EXAMPLES / "relu-1-2-2-1.expected.json"
