"""The trace as JSON, every value an exact string such as ``"2/25"``."""

from __future__ import annotations

import json

from ..files import version_text
from ..trace import Trace


def render_json(trace: Trace, *, title: str | None = None) -> str:
    """Write the whole trace as indented JSON.

    Column vectors are flat lists and other matrices lists of rows; every
    number is an exact string that :func:`derivation.numbers.parse_number`
    reads back to the same value. The first key, ``written_by``, names the
    program and its version, such as ``"derivation 0.1.0"``; it marks the
    file as derivation's own output (see :mod:`derivation.files`).
    """
    document: dict[str, object] = {"written_by": version_text()}
    if title:
        document["title"] = title
    document |= trace.to_dict()
    return json.dumps(document, indent=2) + "\n"
