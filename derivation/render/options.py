"""Command-line options that choose how ``derivation solve`` writes a solution.

``--notation`` and ``--numbers`` take ``KEY=VALUE`` items, several separated
by commas or the option repeated. They override the spec's ``[notation]``
and ``[numbers]`` tables key by key. ``--detail``, ``--max-columns`` and
``--max-rows`` set the :class:`~derivation.render.document.Detail`, and
``--diagram`` adds a picture of the network.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import DerivationError
from ..spec import Spec
from ..trace import Trace
from .document import DETAIL_LEVELS, MIN_MATRIX_LIMIT, Detail
from .notation import Notation
from .number_format import NumberFormat
from .settings import parse_assignments

# Formats written from the document model, which these options shape.
DOCUMENT_FORMATS = ("latex", "markdown", "html")


def add_presentation_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--notation``, ``--numbers``, ``--detail`` and the matrix limits."""
    parser.add_argument(
        "--notation",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=(
            "a notation setting, such as layer_marks=parentheses, first_layer=0, "
            "gradient_style=delta or case=upper; overrides the spec's [notation] "
            "table; repeatable, or separate items with commas"
        ),
    )
    parser.add_argument(
        "--numbers",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=(
            "a number format setting, such as style=decimal,places=4 or "
            "decimal_separator=comma; overrides the spec's [numbers] table"
        ),
    )
    parser.add_argument(
        "--detail",
        choices=DETAIL_LEVELS,
        help=(
            "full: every substitution (default); compact: equations and "
            "results; answers: the summary tables"
        ),
    )
    parser.add_argument(
        "--diagram",
        action="store_true",
        default=None,
        help=(
            "draw the network after the problem statement, with its weights, "
            "biases and the values of step 1 (TikZ in LaTeX, SVG in Markdown "
            "and HTML); the spec sets it with [output] diagram = true"
        ),
    )
    for dimension, default in (("columns", 6), ("rows", 12)):
        parser.add_argument(
            f"--max-{dimension}",
            type=int,
            metavar="N",
            help=(
                f"show at most N {dimension} of a matrix, eliding the middle ones "
                f"(default {default}; 0 shows every {dimension[:-1]})"
            ),
        )


def render_solution(trace: Trace, spec: Spec, arguments: argparse.Namespace) -> str:
    """Write the solution in ``arguments.format`` with the chosen presentation.

    Raises
    ------
    DerivationError
        If a presentation option is invalid or given with ``--format json``.
    """
    if arguments.format not in DOCUMENT_FORMATS:
        _reject_presentation(arguments)
        from .json import render_json

        return render_json(trace, title=spec.title)
    notation = Notation.from_mapping(
        parse_assignments(arguments.notation, "--notation"), base=spec.notation
    )
    numbers = NumberFormat.from_mapping(
        parse_assignments(arguments.numbers, "--numbers"), base=spec.numbers
    )
    shared: dict[str, Any] = {
        "title": spec.title,
        "notation": notation,
        "numbers": numbers,
        "detail": _detail(arguments),
        "diagram": bool(arguments.diagram or spec.diagram),
    }
    if arguments.format == "markdown":
        from .markdown import render_markdown

        return render_markdown(trace, **shared)
    if arguments.format == "html":
        from .html import render_html

        return render_html(trace, **shared)
    from .latex import render_latex

    return render_latex(trace, standalone=not arguments.fragment, **shared)


def _detail(arguments: argparse.Namespace) -> Detail:
    limits = {}
    for dimension in ("columns", "rows"):
        given = getattr(arguments, f"max_{dimension}")
        if given is None:
            continue
        if given != 0 and given < MIN_MATRIX_LIMIT:
            raise DerivationError(
                f"--max-{dimension}: expected 0 (no limit) or an integer of at "
                f"least {MIN_MATRIX_LIMIT}, found {given}"
            )
        limits[f"max_{dimension}"] = given or None
    return Detail(arguments.detail or "full", **limits)


def _reject_presentation(arguments: argparse.Namespace) -> None:
    given = [
        option
        for option, value in (
            ("--notation", arguments.notation),
            ("--numbers", arguments.numbers),
            ("--detail", arguments.detail),
            ("--max-columns", arguments.max_columns),
            ("--max-rows", arguments.max_rows),
            ("--diagram", arguments.diagram),
        )
        if value is not None and value != []
    ]
    if given:
        raise DerivationError(
            f"{', '.join(given)} applies only to --format "
            f"{', '.join(DOCUMENT_FORMATS)}; JSON holds every value exactly"
        )
