"""Audit a written solution: check every equality it states, and its shapes.

:func:`audit_text` reads a solution in LaTeX or Markdown, finds its math
(see :mod:`derivation.audit.document`), reads each equation with a small
grammar (:mod:`derivation.audit.math_reader`) and checks every link of every
chain exactly, with the shapes of every product and sum. With a trace (a
spec solved by :func:`derivation.engine.solve`), named quantities are
matched to the exact solution as well. The result is an
:class:`AuditReport` of findings, values consistent with an earlier slip,
and what could not be checked.

>>> report = audit_text("$$z = 2 \\\\cdot 3 = 7$$", source="note.md")
>>> [(finding.line, finding.right_value) for finding in report.findings]
[(1, '6')]
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DerivationError
from ..trace import Trace
from .checker import Auditor
from .document import is_latex, read_document
from .report import AuditReport, Consistent, Finding, NotChecked
from .tokens import TooDeep

MAX_DOCUMENT_BYTES = 1_000_000
"""The largest document read, in bytes: about sixty times a generated solution."""

__all__ = [
    "AuditReport",
    "Consistent",
    "Finding",
    "MAX_DOCUMENT_BYTES",
    "NotChecked",
    "audit_file",
    "audit_text",
]


def audit_text(
    text: str,
    *,
    spec: Trace | None = None,
    source: str = "<text>",
    latex: bool | None = None,
) -> AuditReport:
    """Audit a solution given as text.

    Parameters
    ----------
    text
        The solution, LaTeX or Markdown.
    spec
        The trace of the exercise (``solve(load_spec(...))``), or ``None`` to
        check the document only against itself.
    source
        The name used in the report; its extension (``.tex``, ``.md``) picks
        the format unless ``latex`` is given.
    latex
        ``True`` for LaTeX, ``False`` for Markdown, ``None`` to decide from
        ``source`` and the text.

    Raises
    ------
    DerivationError
        If the text is larger than :data:`MAX_DOCUMENT_BYTES`.
    """
    if len(text) > MAX_DOCUMENT_BYTES:
        raise DerivationError(
            f"{source}: expected at most {MAX_DOCUMENT_BYTES} bytes, found "
            f"{len(text)} characters; audit a smaller document"
        )
    if latex is None:
        latex = is_latex(text, source)
    parts = read_document(text, latex)
    try:
        return Auditor(spec, source).run(parts)
    except TooDeep as error:
        raise DerivationError(
            f"{source}: {error}; no worked solution nests that deep"
        ) from None


def audit_file(path: str | Path, *, spec: Trace | None = None) -> AuditReport:
    """Read and audit a solution file; ``.tex`` files are LaTeX, others Markdown
    unless their content is clearly LaTeX.

    Raises
    ------
    DerivationError
        If the file cannot be read, is not UTF-8, or is larger than
        :data:`MAX_DOCUMENT_BYTES`; the message names the file.
    """
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise DerivationError(f"{source}: file not found") from None
    except OSError as error:
        raise DerivationError(
            f"{source}: cannot be read ({error.strerror or error})"
        ) from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DerivationError(
            f"{source}: expected at most {MAX_DOCUMENT_BYTES} bytes, found more; "
            "audit a smaller document"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DerivationError(
            f"{source}: expected UTF-8 text, found the byte "
            f"0x{data[error.start]:02x} at offset {error.start}"
        ) from None
    return audit_text(text, spec=spec, source=source)
