"""The exceptions that derivation raises for bad input.

Every error a user can cause by what they write derives from
:class:`DerivationError`, so a caller (the command line among them) can catch
that one class and show its message without a traceback.
"""

from __future__ import annotations


class DerivationError(Exception):
    """Base class of the errors caused by input that derivation cannot use."""


class NumberError(DerivationError, ValueError):
    """Text or a value that is not an exact number of a supported form.

    ``detail`` is the reason alone, such as ``"has a zero denominator"``, for
    callers that name the offending value themselves; it is ``None`` when
    the text is simply not written as a number.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class SpecError(DerivationError):
    """A spec that cannot be loaded: bad TOML, a missing key, a wrong shape.

    The message has the form ``FILE: KEY PATH: expected ..., found ...``, with
    layers counted from 1 in the order of the ``[[layer]]`` tables.

    >>> str(SpecError("layer 2: weights", "a 2x2 matrix", "2x3", source="net.toml"))
    'net.toml: layer 2: weights: expected a 2x2 matrix, found 2x3'
    """

    def __init__(
        self,
        key_path: str,
        expected: str,
        found: str,
        source: str | None = None,
    ) -> None:
        self.key_path = key_path
        self.expected = expected
        self.found = found
        self.source = source
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = [self.source, self.key_path, f"expected {self.expected}"]
        message = ": ".join(part for part in parts if part)
        return f"{message}, found {self.found}"

    def in_file(self, source: str) -> SpecError:
        """Return a copy of this error that names the file it came from."""
        return SpecError(self.key_path, self.expected, self.found, source=source)
