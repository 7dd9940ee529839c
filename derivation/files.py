"""Writing output files so that a failed run never leaves a half-written file.

A regular file is written to a temporary file in the same folder, flushed to
disk and renamed over the target, so readers see either the old content or
the new, never a mixture. Symbolic links are followed first, so the file
they point to is replaced and the link stays. Targets that are not regular
files, such as ``/dev/null`` or a named pipe, are written in place, since
renaming over them would replace the device or pipe itself.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import DerivationError


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
