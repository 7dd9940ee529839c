"""Symbol names in place of numbers, for deriving general formulas.

Any weight, bias, input, target or the learning rate may be a name such as
``"w11"`` or ``"eta"`` instead of a number. The engine then computes with
SymPy expressions in those names, and :meth:`derivation.trace.Trace.subs`
puts numbers in later.

A name is a letter followed by letters, digits or underscores. Names that a
reader would take for numbers, constants or functions (``inf``, ``nan``,
``oo``, ``pi``, ``e``, ``i``, ``exp``, ``log``, ``sqrt``, ...) and the names
the engine gives long values (``q_1``, ``q_2``, ...) are refused.

>>> to_exact_value("eta")
eta
>>> to_exact_value("0.5")
1/2
>>> to_exact_value("q_1")
Traceback (most recent call last):
...
derivation.errors.NumberError: 'q_1' is reserved for long values that the \
engine names; choose another symbol name
"""

from __future__ import annotations

import re

import sympy

from .errors import NumberError
from .numbers import to_exact

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}\Z")
_RESERVED = re.compile(
    r"(q_\d+|inf|infinity|nan|oo|zoo|pi|e|i|exp|log|ln|sqrt|sin|cos|tan|tanh|"
    r"max|min)\Z",
    re.IGNORECASE,
)


def symbol(name: str) -> sympy.Symbol:
    """Return the real-valued SymPy symbol for a symbol name.

    Raises
    ------
    NumberError
        If ``name`` is not a valid symbol name or is reserved.
    """
    if not _NAME.match(name):
        raise NumberError(
            f"{name!r} is neither a number nor a symbol name (a letter followed "
            "by up to 30 letters, digits or underscores)"
        )
    if _RESERVED.match(name):
        if name.lower().startswith("q_"):
            raise NumberError(
                f"{name!r} is reserved for long values that the engine names; "
                "choose another symbol name",
                detail="is reserved for the values that the engine names",
            )
        raise NumberError(f"{name!r} is not a number and cannot be a symbol name")
    return sympy.Symbol(name, real=True)


def to_exact_value(value: object) -> sympy.Expr:
    """Convert a value to an exact rational, or a string name to a symbol.

    SymPy expressions built from rationals and symbols pass unchanged;
    everything else goes through :func:`derivation.numbers.to_exact`.

    Raises
    ------
    NumberError
        If the value is neither exact nor a valid symbol name.
    """
    if isinstance(value, str):
        try:
            return to_exact(value)
        except NumberError:
            if not _NAME.match(value.strip()):
                raise
        return symbol(value.strip())
    if isinstance(value, sympy.Expr) and value.free_symbols:
        if value.atoms(sympy.Float):
            raise NumberError(f"{value} contains a binary float, which is not exact")
        return value
    return to_exact(value)


def is_symbolic(value: sympy.Basic) -> bool:
    """Whether a value (a scalar or a matrix) contains user symbols."""
    from .quantities import Named

    return any(not isinstance(s, Named) for s in value.free_symbols)
