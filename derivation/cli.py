"""The ``derivation`` command line.

Exit status: 0 on success, 1 when a check finds wrong values, 2 for bad
input (a malformed spec, an unknown option, a file that cannot be read or
written, a resource limit exceeded), 130 when interrupted. Messages for bad
input go to standard error without a traceback.

Output files are replaced atomically, and only when derivation wrote them
or ``--force`` is given (see :mod:`derivation.files`). ``--limit NAME=N``
changes a resource limit (see :mod:`derivation.limits`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TypedDict, TypeVar

from . import __version__
from .bundled import example_names, example_text
from .engine import solve
from .errors import DerivationError
from .files import (
    OWN_MARKS,
    check_replaceable,
    mark_comment,
    same_file,
    version_text,
    write_output,
)
from .limits import (
    DEFAULT_LIMITS,
    LIMIT_NAMES,
    Limits,
    ResourceLimitError,
    check_output,
)
from .render.options import add_presentation_arguments, render_solution
from .spec import Spec, load_spec, parse_spec

if TYPE_CHECKING:
    from .render.document import Detail
    from .render.notation import Notation
    from .render.number_format import NumberFormat

EXIT_OK = 0
EXIT_WRONG_VALUES = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

_T = TypeVar("_T")

FORMATS = ("latex", "markdown", "html", "json")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` and return the exit status."""
    parser = _build_parser()
    arguments = parser.parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except DerivationError as error:
        print(f"derivation: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as interrupt:
        print(_interrupted_message(interrupt, arguments), file=sys.stderr)
        return EXIT_INTERRUPTED


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derivation",
        description=(
            "Exact neural-network arithmetic, written out as a step-by-step solution."
        ),
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    solve_parser = commands.add_parser(
        "solve",
        help="train the network of a spec and write the worked solution",
        description="Train the network of a spec exactly and write the solution.",
    )
    _add_source_arguments(solve_parser)
    solve_parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (replaced only on success); default: standard output",
    )
    solve_parser.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: latex, or json with --float)",
    )
    solve_parser.add_argument(
        "--float",
        action="store_true",
        help="compute in NumPy float64 instead of exactly (JSON output only)",
    )
    solve_parser.add_argument(
        "--fragment",
        action="store_true",
        help="LaTeX body only, for \\input into another document",
    )
    add_presentation_arguments(solve_parser)
    _add_force_argument(solve_parser)
    _add_limit_argument(solve_parser)
    solve_parser.set_defaults(run=_run_solve)

    examples_parser = commands.add_parser(
        "examples", help="list the bundled example specs"
    )
    examples_parser.set_defaults(run=_run_examples)

    compare_parser = commands.add_parser(
        "compare",
        help="compare float64 training with the exact solution",
        description=(
            "Train the spec's network exactly and in float64, and report per "
            "quantity the largest absolute and relative difference, where it "
            "occurs, and any ReLU kink that float64 rounded across."
        ),
    )
    _add_source_arguments(compare_parser)
    compare_parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="report format (default: text)",
    )
    _add_limit_argument(compare_parser)
    compare_parser.set_defaults(run=_run_compare)
    _add_answer_parsers(commands)
    _add_audit_parser(commands)
    _add_exercise_parsers(commands)
    return parser


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "spec", nargs="?", help="the spec file (TOML); - reads standard input"
    )
    source.add_argument(
        "--example",
        metavar="NAME",
        help="use a bundled example instead of a file (see 'derivation examples')",
    )


def _add_force_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help=(
            "replace an existing output file that derivation did not write "
            "(without --force such a file is kept and the command fails)"
        ),
    )


def _add_limit_argument(parser: argparse.ArgumentParser) -> None:
    defaults = ", ".join(
        f"{name}={getattr(DEFAULT_LIMITS, name)}" for name in LIMIT_NAMES
    )
    parser.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME=N",
        help=(
            f"set a resource limit; repeatable (defaults: {defaults}; sizes in "
            "bytes; see docs/limits.md)"
        ),
    )


def _limits(arguments: argparse.Namespace) -> Limits:
    return DEFAULT_LIMITS.with_overrides(getattr(arguments, "limit", []))


def _run_solve(arguments: argparse.Namespace) -> int:
    if arguments.format is None:
        arguments.format = "json" if arguments.float else "latex"
    if arguments.float and arguments.format != "json":
        raise DerivationError(
            f"--float writes JSON only; drop --format {arguments.format}"
        )
    if arguments.fragment and arguments.format != "latex":
        raise DerivationError("--fragment applies only to --format latex")
    _reject_output_over_spec(arguments)
    # Checked before training as well, so that a long run is not wasted.
    _check_output_path(arguments)
    spec = _read_spec(arguments)
    if arguments.float:
        from .float_engine import solve_float

        document = {"written_by": version_text()} | _in_spec(
            spec, lambda: solve_float(spec)
        ).to_dict()
        text = json.dumps(document, indent=2) + "\n"
        _emit(text, arguments, "the float64 JSON output")
        return EXIT_OK

    trace = _in_spec(spec, lambda: solve(spec))
    text = _marked(render_solution(trace, spec, arguments), arguments.format)
    _emit(text, arguments, f"the {_FORMAT_NAMES[arguments.format]} output")
    return EXIT_OK


def _in_spec(spec: Spec, run: Callable[[], _T]) -> _T:
    """Run a computation on ``spec``, naming the spec file in any error.

    Errors found while training (a digit limit, an output outside a loss's
    range, a sign that depends on symbols) do not know the file by
    themselves.
    """
    try:
        return run()
    except DerivationError as error:
        source = spec.source
        if source is None or str(error).startswith(f"{source}:"):
            raise
        raise DerivationError(f"{source}: {error}") from None


def _run_compare(arguments: argparse.Namespace) -> int:
    from .compare import compare
    from .float_engine import solve_float

    spec = _read_spec(arguments)
    comparison = _in_spec(spec, lambda: compare(solve(spec), solve_float(spec)))
    if arguments.format == "json":
        print(json.dumps(comparison.to_dict(), indent=2))
    else:
        print(comparison.to_text())
    return EXIT_OK


def _run_examples(arguments: argparse.Namespace) -> int:
    names = example_names()
    width = max(len(name) for name in names)
    for name in names:
        spec = parse_spec(example_text(name), source=name)
        print(f"{name:<{width}}  {spec.title or ''}".rstrip())
    return EXIT_OK


def _add_answer_parsers(commands: argparse._SubParsersAction) -> None:
    check_parser = commands.add_parser(
        "check",
        help="check hand-computed values in an answer file against the solution",
        description=(
            "Check the values of an answer file (TOML) against the exact solution "
            "of a spec, with error carried forward. Exit status: 0 when every "
            "value is right, 1 when some are wrong, 2 for bad input."
        ),
    )
    check_parser.add_argument("spec", help="the spec file (TOML)")
    check_parser.add_argument(
        "answers",
        help="an answer file (TOML), or a folder whose *.toml files are all checked",
    )
    check_parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="report format (default: text)",
    )
    check_parser.add_argument(
        "--csv",
        metavar="FILE",
        help=(
            "also write one row per answer file to FILE (file, points, total, "
            "wrong, first_slip, error); '-' writes it to standard output instead "
            "of the report"
        ),
    )
    _add_force_argument(check_parser)
    _add_limit_argument(check_parser)
    check_parser.set_defaults(run=_run_check)

    template_parser = commands.add_parser(
        "template",
        help="write a blank answer file that names every value of a spec",
        description="Write an answer file with a blank for every value of a spec.",
    )
    source = template_parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "spec", nargs="?", help="the spec file (TOML); - reads standard input"
    )
    source.add_argument(
        "--example",
        metavar="NAME",
        help="use a bundled example instead of a file (see 'derivation examples')",
    )
    template_parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (replaced only on success); default: standard output",
    )
    _add_force_argument(template_parser)
    _add_limit_argument(template_parser)
    template_parser.set_defaults(run=_run_template)


def _run_check(arguments: argparse.Namespace) -> int:
    from .check import (
        FileGrade,
        check_file,
        check_folder,
        grades_to_csv,
        grades_to_json,
        grades_to_text,
    )

    answers = Path(arguments.answers)
    csv_path = arguments.csv
    sources = [Path(arguments.spec), answers]
    if answers.is_dir():
        sources += sorted(answers.glob("*.toml"))
    for source in sources:
        if csv_path not in (None, "-") and same_file(csv_path, source):
            raise DerivationError(
                f"the CSV output {csv_path} is the input file {source}; "
                "choose another output file"
            )
    if csv_path not in (None, "-"):
        check_replaceable(csv_path, force=arguments.force, marks=_CSV_MARKS)
    trace = solve(load_spec(arguments.spec, _limits(arguments)))
    if answers.is_dir():
        grades = check_folder(trace, answers, exclude=[arguments.spec])
        text = grades_to_text(grades)
        document: object = grades_to_json(grades)
    else:
        report = check_file(trace, answers)
        grades = [FileGrade(answers, report)]
        text = report.to_text()
        document = report.to_dict()

    if csv_path == "-":
        text = grades_to_csv(grades)
    elif arguments.format == "json":
        text = json.dumps(document, indent=2) + "\n"
    sys.stdout.write(text)
    if csv_path not in (None, "-"):
        csv_text = grades_to_csv(grades)
        check_output(csv_text, "the CSV output", _limits(arguments))
        check_replaceable(csv_path, force=arguments.force, marks=_CSV_MARKS)
        write_output(csv_path, csv_text)

    reports = [grade.report for grade in grades]
    if any(report is None for report in reports):
        return EXIT_BAD_INPUT
    if all(report is not None and report.all_right for report in reports):
        return EXIT_OK
    return EXIT_WRONG_VALUES


def _add_audit_parser(commands: argparse._SubParsersAction) -> None:
    audit_parser = commands.add_parser(
        "audit",
        help="check every equation of a written solution (LaTeX or Markdown)",
        description=(
            "Check every equality of a written solution, with the shapes of its "
            "products and sums, and list what could not be checked. With --spec, "
            "named quantities are also compared with the exact solution. Exit "
            "status: 0 when nothing is wrong, 1 when something is, 2 for bad input."
        ),
    )
    audit_parser.add_argument(
        "file", help="the solution: .tex is read as LaTeX, anything else as Markdown"
    )
    audit_parser.add_argument(
        "--spec",
        metavar="SPEC",
        help="the exercise's spec file (TOML), to match named values to its solution",
    )
    audit_parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="report format (default: text)",
    )
    _add_limit_argument(audit_parser)
    audit_parser.set_defaults(run=_run_audit)


def _run_audit(arguments: argparse.Namespace) -> int:
    from .audit import audit_file

    trace = None
    if arguments.spec is not None:
        trace = solve(load_spec(arguments.spec, _limits(arguments)))
    report = audit_file(arguments.file, spec=trace)
    if arguments.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(report.to_text())
    return EXIT_OK if report.clean else EXIT_WRONG_VALUES


def _add_exercise_parsers(commands: argparse._SubParsersAction) -> None:
    exercise_parser = commands.add_parser(
        "exercise",
        help="write the exercise sheet of a spec: the question without the answers",
        description=(
            "Write the problem of a spec and the values its [exercise] table asks "
            "for (every value when it has none), without any answer."
        ),
    )
    _add_source_arguments(exercise_parser)
    exercise_parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (replaced only on success); default: standard output",
    )
    _add_document_arguments(exercise_parser, "output format (default: latex)")
    exercise_parser.set_defaults(run=_run_exercise)

    variants_parser = commands.add_parser(
        "variants",
        help="draw variants of an exercise, each with its sheet, solution and key",
        description=(
            "Draw variants of a spec from the ranges and choices of its [variants] "
            "table, keep those that meet its constraints, and write for each an "
            "exercise sheet, a full solution, its spec and an answer key, plus "
            "one document for the teacher with every variant and its key. "
            "Exit status 2 when the constraints cannot be met."
        ),
    )
    _add_source_arguments(variants_parser)
    variants_parser.add_argument(
        "--count", type=int, default=1, metavar="N", help="variants to draw (default 1)"
    )
    variants_parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="seed of the random draws; the same seed gives the same files (default 0)",
    )
    variants_parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FOLDER",
        help="the folder to write into; it is created if missing",
    )
    _add_document_arguments(
        variants_parser,
        "format of the sheets, solutions and teacher document (default: latex)",
    )
    variants_parser.set_defaults(run=_run_variants)


def _add_document_arguments(parser: argparse.ArgumentParser, format_help: str) -> None:
    """Add the options of a command that writes documents, not JSON.

    These are the document format, the presentation options of ``solve``,
    ``--force`` and ``--limit``.
    """
    parser.add_argument(
        "--format",
        choices=("latex", "markdown", "html"),
        default="latex",
        help=format_help,
    )
    add_presentation_arguments(parser)
    _add_force_argument(parser)
    _add_limit_argument(parser)


def _run_exercise(arguments: argparse.Namespace) -> int:
    from .exercise import read_exercise
    from .render.exercise import exercise_document, render_document
    from .spec import spec_document

    _reject_output_over_spec(arguments)
    _check_output_path(arguments)
    text, source = _spec_text(arguments)
    spec = parse_spec(text, source=source, limits=_limits(arguments))
    exercise = read_exercise(spec_document(text, source), spec)
    document = exercise_document(
        exercise,
        solve(spec),
        title=spec.title,
        **_presentation(arguments, spec),
    )
    output = _marked(render_document(document, arguments.format), arguments.format)
    _emit(output, arguments, "the exercise sheet")
    return EXIT_OK


def _run_variants(arguments: argparse.Namespace) -> int:
    from .spec import spec_document
    from .variants import draw_variants, variant_files, write_variant_files

    if arguments.count < 1:
        raise DerivationError(f"--count: expected 1 or more, found {arguments.count}")
    text, source = _spec_text(arguments)
    limits = _limits(arguments)
    spec = parse_spec(text, source=source, limits=limits)
    options = _presentation(arguments, spec)
    document = spec_document(text, source)
    variant_set = draw_variants(document, spec, arguments.count, arguments.seed, limits)
    files = variant_files(variant_set, arguments.format, **options)
    write_variant_files(files, arguments.output, force=arguments.force)
    sys.stdout.write(variant_set.report())
    print(f"wrote {len(files)} files to {arguments.output}")
    return EXIT_OK


def _spec_text(arguments: argparse.Namespace) -> tuple[str, str]:
    """Return the text of the spec that the arguments name, and its name."""
    limits = _limits(arguments)
    if arguments.example is not None:
        return example_text(arguments.example), arguments.example
    if arguments.spec == "-":
        return _read_standard_input(limits.spec_bytes), "<stdin>"
    # load_spec reports a missing, unreadable or oversized file by its name.
    load_spec(arguments.spec, limits)
    return Path(arguments.spec).read_text(encoding="utf-8"), arguments.spec


class _Presentation(TypedDict):
    """The presentation options that the renderers take as keywords."""

    notation: Notation
    numbers: NumberFormat
    detail: Detail
    diagram: bool


def _presentation(arguments: argparse.Namespace, spec: Spec) -> _Presentation:
    """Read --notation, --numbers, --max-columns, --max-rows and --diagram."""
    from .render.document import MIN_MATRIX_LIMIT, Detail
    from .render.notation import Notation
    from .render.number_format import NumberFormat
    from .render.settings import parse_assignments

    if arguments.detail not in (None, "full") and arguments.command == "exercise":
        raise DerivationError("--detail applies to solutions, not to exercise sheets")
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
    return {
        "notation": Notation.from_mapping(
            parse_assignments(arguments.notation, "--notation"), base=spec.notation
        ),
        "numbers": NumberFormat.from_mapping(
            parse_assignments(arguments.numbers, "--numbers"), base=spec.numbers
        ),
        "detail": Detail(arguments.detail or "full", **limits),
        "diagram": bool(arguments.diagram or spec.diagram),
    }


def _reject_output_over_spec(arguments: argparse.Namespace) -> None:
    if (
        arguments.spec
        and arguments.output
        and same_file(arguments.spec, arguments.output)
    ):
        raise DerivationError(
            f"the output {arguments.output} is the spec file itself; "
            "choose another output file"
        )


def _run_template(arguments: argparse.Namespace) -> int:
    from .answers import answer_template

    _reject_output_over_spec(arguments)
    _check_output_path(arguments)
    spec = _read_spec(arguments)
    text = answer_template(solve(spec), title=spec.title)
    _emit(text, arguments, "the answer template")
    return EXIT_OK


def _read_spec(arguments: argparse.Namespace) -> Spec:
    limits = _limits(arguments)
    if arguments.example is not None:
        text = example_text(arguments.example)
        return parse_spec(text, source=arguments.example, limits=limits)
    if arguments.spec == "-":
        text = _read_standard_input(limits.spec_bytes)
        return parse_spec(text, source="<stdin>", limits=limits)
    return load_spec(arguments.spec, limits)


def _read_standard_input(limit: int) -> str:
    """Read standard input as UTF-8, stopping one byte past ``limit`` bytes."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:
        return sys.stdin.read(limit + 1)
    data = binary.read(limit + 1)
    if len(data) > limit:
        detail = "or more; reading stopped there"
        raise ResourceLimitError("spec_bytes", len(data), limit, "", detail, "<stdin>")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DerivationError(
            f"<stdin>: expected UTF-8 text, found the byte "
            f"0x{data[error.start]:02x} at offset {error.start}"
        ) from None


_FORMAT_NAMES = {
    "latex": "LaTeX",
    "json": "JSON",
    "markdown": "Markdown",
    "html": "HTML",
}

# The marks that let an output replace an existing file without --force. An
# answer template is filled in by hand, so it has none, and the header row
# marks a CSV file of grades.
_TEMPLATE_MARKS: tuple[str, ...] = ()
_CSV_MARKS = ("file,points,total,wrong,first_slip,error",)


def _marked(text: str, output_format: str) -> str:
    """Add the mark comment to Markdown and HTML output that lacks one."""
    if any(mark in text[:4096] for mark in OWN_MARKS):
        return text
    comment = mark_comment("<!--") + " -->"
    if output_format == "markdown":
        return f"{comment}\n{text}"
    if output_format == "html":
        doctype, newline, rest = text.partition("\n")
        if doctype.lower().startswith("<!doctype"):
            return f"{doctype}\n{comment}\n{rest}"
        return f"{comment}\n{text}"
    return text


def _check_output_path(arguments: argparse.Namespace) -> None:
    output = arguments.output
    if output in (None, "-"):
        return
    marks = _TEMPLATE_MARKS if arguments.command == "template" else OWN_MARKS
    check_replaceable(output, force=arguments.force, marks=marks)


def _emit(text: str, arguments: argparse.Namespace, what: str) -> None:
    """Write ``text`` to ``arguments.output`` or standard output, within limits."""
    check_output(text, what, _limits(arguments))
    output = arguments.output
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    _check_output_path(arguments)
    write_output(output, text)


def _interrupted_message(
    interrupt: KeyboardInterrupt, arguments: argparse.Namespace
) -> str:
    """Say where an interrupted command stopped, and what became of its output."""
    frames = [frame for frame, _ in traceback.walk_tb(interrupt.__traceback__)]
    message = "derivation: interrupted" + _stopped_at(frames)
    writing = [frame for frame in frames if frame.f_code is write_output.__code__]
    output = getattr(arguments, "output", None)
    if writing:
        path = writing[0].f_locals.get("path")
        message += f" while writing {path}, which is either unchanged or complete"
    elif output not in (None, "-"):
        message += f"; {output} was not written"
    return message


def _stopped_at(frames: list[FrameType]) -> str:
    """Describe the training step or phase that the frames were running.

    The frame of ``train`` (or ``train_float``) contains the step ``number``
    it was taking and the total ``steps``.
    """
    # NOTE: this reads local variables of train and train_float, which the
    # interrupt tests pin; a progress callback in the engine would be sturdier.
    from . import engine, float_engine

    trainers = {
        engine.train.__code__: "training",
        float_engine.train_float.__code__: "float64 training",
    }
    for frame in frames:
        phase = trainers.get(frame.f_code)
        if phase is None:
            continue
        steps = frame.f_locals.get("steps")
        number = frame.f_locals.get("number")
        if number is None:
            return f" during {phase}, before step 1 of {steps}"
        return f" during {phase}, in step {number} of {steps}"
    if any(f"{os.sep}render{os.sep}" in frame.f_code.co_filename for frame in frames):
        return " while writing out the solution, after training"
    return ""
