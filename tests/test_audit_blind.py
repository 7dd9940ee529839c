"""The auditor against documents written without reading its code.

Each document in ``tests/data/audit/blind`` has a key beside it listing the
lines that hold a slip and the right values; ``compute.py`` there rebuilt
every right value with its own Fraction arithmetic. The auditor must find
exactly the slips of each key, at their lines, and nothing else.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from derivation.audit import audit_text
from derivation.engine import solve
from derivation.spec import load_spec

BLIND = Path(__file__).parent / "data" / "audit" / "blind"
KEYS = sorted(BLIND.glob("*.key.toml"))


def document_for(key: Path) -> Path:
    stem = key.name.removesuffix(".key.toml")
    for suffix in (".md", ".tex"):
        candidate = BLIND / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no document for {key.name}")


def audit_blind(key: Path) -> tuple[list[dict], list]:
    answer = tomllib.loads(key.read_text(encoding="utf-8"))
    document = document_for(key)
    trace = solve(load_spec(BLIND / answer["spec"]))
    report = audit_text(
        document.read_text(encoding="utf-8"), spec=trace, source=document.name
    )
    return answer.get("finding", []), report.findings


def numbers_in(text: str) -> list[str]:
    """Return the numbers of a written value, ignoring brackets and separators."""
    for mark in "[];,":
        text = text.replace(mark, " ")
    return text.split()


def test_blind_documents_present():
    assert len(KEYS) == 8


@pytest.mark.parametrize("key", KEYS, ids=lambda key: key.name)
def test_blind_document_slip_lines(key):
    expected, findings = audit_blind(key)
    assert sorted(finding.line for finding in findings) == sorted(
        slip["line"] for slip in expected
    )


@pytest.mark.parametrize("key", KEYS, ids=lambda key: key.name)
def test_blind_document_right_values(key):
    expected, findings = audit_blind(key)
    by_line = {finding.line: finding for finding in findings}
    for slip in expected:
        finding = by_line.get(slip["line"])
        assert finding is not None, slip["line"]
        written = numbers_in(finding.right_value)
        for value in numbers_in(slip["right"]):
            assert value in written, (slip["line"], value, finding.right_value)
