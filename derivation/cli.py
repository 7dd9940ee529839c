"""The ``derivation`` command line.

Exit status: 0 on success, 1 when a check finds wrong values, 2 for bad
input (a malformed spec, an unknown option, a file that cannot be read or
written), 130 when interrupted. Messages for bad input go to standard error
without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .bundled import example_names, example_text
from .engine import solve
from .errors import DerivationError
from .spec import Spec, load_spec, parse_spec

EXIT_OK = 0
EXIT_WRONG_VALUES = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

FORMATS = ("latex", "json")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` and return the exit status."""
    parser = _build_parser()
    arguments = parser.parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except DerivationError as error:
        print(f"derivation: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("derivation: interrupted", file=sys.stderr)
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
    source = solve_parser.add_mutually_exclusive_group(required=True)
    source.add_argument("spec", nargs="?", help="the spec file (TOML)")
    source.add_argument(
        "--example",
        metavar="NAME",
        help="use a bundled example instead of a file (see 'derivation examples')",
    )
    solve_parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (replaced only on success); default: standard output",
    )
    solve_parser.add_argument(
        "--format",
        choices=FORMATS,
        default="latex",
        help="output format (default: latex)",
    )
    solve_parser.add_argument(
        "--fragment",
        action="store_true",
        help="LaTeX body only, for \\input into another document",
    )
    solve_parser.set_defaults(run=_run_solve)

    examples_parser = commands.add_parser(
        "examples", help="list the bundled example specs"
    )
    examples_parser.set_defaults(run=_run_examples)
    return parser


def _run_solve(arguments: argparse.Namespace) -> int:
    spec = _read_spec(arguments)
    trace = solve(spec)
    if arguments.format == "json":
        from .render.json import render_json

        text = render_json(trace, title=spec.title)
    else:
        from .render.latex import render_latex

        text = render_latex(trace, title=spec.title, standalone=not arguments.fragment)
    _emit(text, arguments.output)
    return EXIT_OK


def _run_examples(arguments: argparse.Namespace) -> int:
    for name in example_names():
        spec = parse_spec(example_text(name), source=name)
        print(f"{name:<16} {spec.title or ''}".rstrip())
    return EXIT_OK


def _read_spec(arguments: argparse.Namespace) -> Spec:
    if arguments.example is not None:
        return parse_spec(example_text(arguments.example), source=arguments.example)
    return load_spec(arguments.spec)


def _emit(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    write_atomically(Path(output), text)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place.

    A reader never sees a half-written file, and an existing file is replaced
    only once the new content is complete on disk.

    Raises
    ------
    DerivationError
        If the folder does not exist or cannot be written.
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle = tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=folder,
            prefix=f".{path.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as error:
        raise DerivationError(
            f"cannot write {path}: {error.strerror or error}"
        ) from None

    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _permissions_for(path))
        os.replace(handle.name, path)
    except BaseException as error:
        Path(handle.name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise DerivationError(
                f"cannot write {path}: {error.strerror or error}"
            ) from None
        raise


def _permissions_for(path: Path) -> int:
    """Keep the mode of a file being replaced; give a new one the umask default."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
