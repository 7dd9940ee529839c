"""The findings of an audit, as text for people and as JSON for tools."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """A slip: where it is, what is written, what is wrong and the right value.

    Attributes
    ----------
    line
        The line of the wrong value.
    equation
        The equation (or table cell) as written, on one line.
    quantity
        The quantity in words, such as ``"the updated biases of layer 2
        in step 1"``, or ``""`` when the equation names none.
    problem
        What is wrong, in one sentence.
    rule
        The rule that the written value breaks.
    right_value
        The right value, written as ``0.565`` or ``[1.18; -0.7325]``
        (rows separated by ``;``).
    kind
        ``value``, ``shape``, ``rounding`` or ``unmatched`` (a named value
        that disagrees with the solution although its own working is sound).
    """

    line: int
    equation: str
    quantity: str
    problem: str
    rule: str
    right_value: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as JSON-ready data."""
        return {
            "line": self.line,
            "equation": self.equation,
            "quantity": self.quantity,
            "problem": self.problem,
            "rule": self.rule,
            "right_value": self.right_value,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Consistent:
    """A value that is wrong only because it carries an earlier slip forward."""

    line: int
    equation: str
    quantity: str
    origins: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the note as JSON-ready data."""
        return {
            "line": self.line,
            "equation": self.equation,
            "quantity": self.quantity,
            "slip_lines": list(self.origins),
        }


@dataclass(frozen=True)
class NotChecked:
    """Math that the auditor could not read or had nothing to compare with."""

    line: int
    text: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as JSON-ready data."""
        return {"line": self.line, "text": self.text, "reason": self.reason}


@dataclass
class AuditReport:
    """Everything an audit found in one document.

    ``checked`` counts the equalities and values that were compared.
    """

    source: str
    findings: list[Finding] = field(default_factory=list)
    consistent: list[Consistent] = field(default_factory=list)
    not_checked: list[NotChecked] = field(default_factory=list)
    checked: int = 0

    @property
    def clean(self) -> bool:
        """Whether the audit found no slip."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "file": self.source,
            "checked": self.checked,
            "findings": [finding.to_dict() for finding in self.findings],
            "consistent_with_earlier_slip": [
                note.to_dict() for note in self.consistent
            ],
            "not_checked_count": len(self.not_checked),
            "not_checked": [entry.to_dict() for entry in self.not_checked],
        }

    def to_text(self) -> str:
        """Write the report for people, one block per finding."""
        lines = []
        for finding in self.findings:
            lines.append(
                f"{self.source}:{finding.line}: {_shortened(finding.equation)}"
            )
            if finding.quantity:
                lines.append(f"  quantity: {finding.quantity}")
            lines.append(f"  wrong: {finding.problem}")
            lines.append(f"  rule: {finding.rule}")
            lines.append(f"  right value: {finding.right_value}")
        for note in self.consistent:
            slips = ", ".join(str(line) for line in note.origins)
            lines.append(
                f"{self.source}:{note.line}: consistent with the slip at line "
                f"{slips}: {_shortened(note.equation)}"
            )
        count = len(self.findings)
        lines.append(
            f"{count} finding{'' if count == 1 else 's'}, {self.checked} "
            "equalities and values checked"
        )
        lines.append(f"not checked: {len(self.not_checked)}")
        for entry in self.not_checked:
            lines.append(
                f"  {self.source}:{entry.line}: {entry.reason}: "
                f"{_shortened(entry.text)}"
            )
        return "\n".join(lines) + "\n"


def _shortened(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
