"""Griffe extension that shows the doctests of docstrings as code on the site.

The package's docstrings hold doctests as bare ``>>>`` paragraphs, which
pytest runs. Markdown would read them as prose, and an output line such as
``[13/2, 13/2]`` as a reference link. So this extension wraps each doctest
block, from a ``>>>`` line to the next blank line, in a ``pycon`` fence
before mkdocstrings renders the docstring. It also writes Sphinx roles such
as ``:func:`train``` as plain code, because Markdown has no roles. The source
files are not changed.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

FENCE = "```"
# A Sphinx role with its target, as in :func:`train` or
# :func:`load_spec <derivation.spec.load_spec>`; group 1 is the text shown.
SPHINX_ROLE = re.compile(
    r":(?:func|meth|class|mod|data|attr|exc|obj):`~?([^`<]+?)\s*(?:<[^`>]*>)?`"
)


def fence_doctests(text: str) -> str:
    """Return ``text`` with each doctest block wrapped in a ``pycon`` fence."""
    lines_out: list[str] = []
    in_doctest = False
    in_fence = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if in_doctest and not stripped:
            lines_out.append(indent + FENCE)
            in_doctest = False
        elif not in_doctest and stripped.startswith(FENCE):
            in_fence = not in_fence
        elif not in_doctest and not in_fence and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            lines_out.append(indent + FENCE + "pycon")
            in_doctest = True
        lines_out.append(line)
    if in_doctest:
        lines_out.append(indent + FENCE)
    return "\n".join(lines_out)


class DoctestFences(griffe.Extension):
    """Wrap the doctests of every loaded object's docstring in code fences."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            text = SPHINX_ROLE.sub(r"`\1`", obj.docstring.value)
            obj.docstring.value = fence_doctests(text)
