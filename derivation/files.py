"""Writing output files so that a failed run never leaves a half-written file.

A regular file is written to a temporary file in the same folder, flushed to
disk and renamed over the target, so readers see either the old content or
the new, never a mixture. Symbolic links are followed first, so the file
they point to is replaced and the link stays. Targets that are not regular
files, such as ``/dev/null`` or a named pipe, are written in place, since
renaming over them would replace the device or pipe itself.

Files that derivation writes carry a mark near the top (:data:`OWN_MARKS`),
such as the LaTeX comment ``% Written by derivation 0.1.0``. The command
line replaces an existing file without the mark only when given
``--force`` (see :func:`check_replaceable`), so a mistyped ``-o`` cannot
overwrite a student's own work.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import DerivationError

# How much of an existing file is searched for a mark.
_MARK_SEARCH_BYTES = 4096

OWN_MARKS = ("Written by derivation", '"written_by": "derivation')
"""Texts that mark a file as derivation's output: a comment and a JSON key."""


def version_text() -> str:
    """Return ``"derivation 0.1.0"``: the program and its version, for marks."""
    from . import __version__

    return f"derivation {__version__}"


def mark_comment(prefix: str) -> str:
    """Return the comment line that marks output, after a comment ``prefix``.

    >>> mark_comment("%").startswith("% Written by derivation ")
    True
    """
    return (
        f"{prefix} Written by {version_text()}; running derivation again "
        "replaces this file."
    )


def check_replaceable(
    path: str | Path,
    *,
    force: bool = False,
    marks: tuple[str, ...] = OWN_MARKS,
) -> None:
    """Check that writing ``path`` loses nothing that derivation did not write.

    A path is replaceable when it does not exist, is empty, is not a
    regular file (such as ``/dev/null``), or has one of ``marks`` in its
    first 4096 bytes. With ``force`` any path is replaceable. Links are
    followed.

    Raises
    ------
    DerivationError
        If the path is a regular file without a mark and ``force`` is false.
    """
    if force or not str(path):
        return
    target = Path(os.path.realpath(path))
    try:
        if not target.is_file() or target.stat().st_size == 0:
            return
    except OSError:
        # write_output reports a path whose folder cannot be searched.
        return
    try:
        with open(target, "rb") as handle:
            head = handle.read(_MARK_SEARCH_BYTES).decode("utf-8", "replace")
    except OSError as error:
        # Renaming over a file needs no permission on the file itself, so an
        # unreadable file would be replaced without its mark being checked.
        raise DerivationError(
            f"cannot read {path} to check that derivation wrote it "
            f"({error.strerror or error}); pass --force to replace it"
        ) from None
    if not any(mark in head for mark in marks):
        raise DerivationError(
            f"{path} exists and was not written by derivation, so it was left "
            "unchanged; choose another output file, or pass --force to "
            "replace it"
        )


def write_output(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path``, replacing a regular file only on success.

    Raises
    ------
    DerivationError
        If the path is empty or a folder, its folder does not exist, or it
        cannot be written.
    """
    if not str(path):
        raise DerivationError("the output path is empty; give a file name")
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise _write_error(path, error) from None

    if mode is not None and stat.S_ISDIR(mode):
        raise DerivationError(f"cannot write {path}: it is a folder")
    if mode is not None and not stat.S_ISREG(mode):
        _write_in_place(path, target, text)
        return
    _write_atomically(path, target, text)


def _write_in_place(shown: str | Path, target: Path, text: str) -> None:
    try:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise _write_error(shown, error) from None


def _write_atomically(shown: str | Path, target: Path, text: str) -> None:
    try:
        handle = tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=target.parent,
            prefix=f".{target.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as error:
        raise _write_error(shown, error) from None

    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _permissions_for(target))
        os.replace(handle.name, target)
    except BaseException as error:
        Path(handle.name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _write_error(shown, error) from None
        raise


def _write_error(path: str | Path, error: OSError) -> DerivationError:
    return DerivationError(f"cannot write {path}: {error.strerror or error}")


def _permissions_for(path: Path) -> int:
    """Keep the mode of a file being replaced; give a new one the umask default."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def same_file(first: str | Path, second: str | Path) -> bool:
    """Return whether two paths name the same existing file."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False
