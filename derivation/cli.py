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
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

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

EXIT_OK = 0
EXIT_WRONG_VALUES = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

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

        document = {"written_by": version_text()} | solve_float(spec).to_dict()
        text = json.dumps(document, indent=2) + "\n"
        _emit(text, arguments, "the float64 JSON output")
        return EXIT_OK

    trace = solve(spec)
    text = _marked(render_solution(trace, spec, arguments), arguments.format)
    _emit(text, arguments, f"the {_FORMAT_NAMES[arguments.format]} output")
    return EXIT_OK


def _run_compare(arguments: argparse.Namespace) -> int:
    from .compare import compare
    from .float_engine import solve_float

    spec = _read_spec(arguments)
    comparison = compare(solve(spec), solve_float(spec))
    if arguments.format == "json":
        print(json.dumps(comparison.to_dict(), indent=2))
    else:
        print(comparison.to_text())
    return EXIT_OK


def _run_examples(arguments: argparse.Namespace) -> int:
    for name in example_names():
        spec = parse_spec(example_text(name), source=name)
        print(f"{name:<16} {spec.title or ''}".rstrip())
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
