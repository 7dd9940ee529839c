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


# The values the engine records, as messages name them.
_QUANTITY_NAMES = {
    "z": "the pre-activation z",
    "a": "the activation a",
    "loss": "the loss L",
    "da": "dL/da",
    "slope": "the activation derivative",
    "dz": "dL/dz",
    "dW": "the weight gradient dL/dW",
    "da_prev": "dL/da of the layer's input",
    "W_after": "the updated weights",
    "b_after": "the updated biases",
}


class LimitError(DerivationError):
    """An exact value grew past the digit limit, so training stopped.

    Attributes name what grew: ``quantity`` is the name of the value in
    :class:`~derivation.trace.LayerStep` (``"dW"``, ``"W_after"``, ...) or
    ``"loss"``; ``step`` counts from 1; ``layer`` counts from 1 and is
    ``None`` for the loss; ``part`` is ``"numerator"`` or
    ``"denominator"``; ``digits`` is its length and ``limit`` the maximum.

    >>> print(LimitError("W_after", 3, 2, "denominator", 215, 200))
    step 3, layer 2: an entry of the updated weights has a denominator of 215 \
digits, more than the limit of 200. Exact values grow with every step; to go \
on, round them (rounding, such as 4 decimal places), take at most 2 steps, or \
raise the limit (max_digits).
    """

    def __init__(
        self,
        quantity: str,
        step: int,
        layer: int | None,
        part: str,
        digits: int,
        limit: int,
    ) -> None:
        self.quantity = quantity
        self.step = step
        self.layer = layer
        self.part = part
        self.digits = digits
        self.limit = limit
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = f"step {self.step}"
        if self.layer is not None:
            where += f", layer {self.layer}"
        name = _QUANTITY_NAMES.get(self.quantity, self.quantity)
        subject = name if self.quantity == "loss" else f"an entry of {name}"
        fewer = ""
        if self.step > 1:
            count = self.step - 1
            fewer = f"take at most {count} step{'' if count == 1 else 's'}, "
        return (
            f"{where}: {subject} has a {self.part} of {self.digits} digits, more "
            f"than the limit of {self.limit}. Exact values grow with every step; "
            "to go on, round them (rounding, such as 4 decimal places), "
            f"{fewer}or raise the limit (max_digits)."
        )
