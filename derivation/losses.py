"""Loss functions: value, gradient and LaTeX definition side by side.

A loss compares the network output ``a`` (a column) with the target ``y``.
The exact engine calls :attr:`Loss.value` and :attr:`Loss.gradient` on SymPy
matrices, and the float64 path calls :attr:`Loss.float_value` and
:attr:`Loss.float_gradient` on NumPy arrays. The engine's fast rational
arithmetic calls :attr:`Loss.rational_value` and :attr:`Loss.rational_gradient`
on lists of python-flint ``fmpq`` entries; :attr:`Loss.value` evaluates the
same function on the entries of SymPy matrices.

>>> loss = get_loss("half_squared_error")
>>> a, y = sympy.Matrix([sympy.Rational(25, 2)]), sympy.Matrix([1])
>>> loss.value(a, y)
529/8
>>> loss.gradient(a, y)
Matrix([[23/2]])
>>> import numpy
>>> loss.float_value(numpy.array([[12.5]]), numpy.array([[1.0]]))
66.125
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy

from .errors import DerivationError

if TYPE_CHECKING:
    import numpy

FloatLossValue = Callable[["numpy.ndarray", "numpy.ndarray"], float]
FloatLossGradient = Callable[["numpy.ndarray", "numpy.ndarray"], "numpy.ndarray"]
# Functions of the output entries and the target entries, both exact rationals
# of one type (SymPy Rational, fractions.Fraction, python-flint fmpq).
RationalLossValue = Callable[[Sequence[Any], Sequence[Any]], Any]
RationalLossGradient = Callable[[Sequence[Any], Sequence[Any]], list[Any]]


@dataclass(frozen=True)
class Loss:
    """A loss ``L(a, y)`` with its gradient with respect to the output ``a``.

    Attributes
    ----------
    name
        The name used in spec files.
    value
        ``L`` as an exact scalar.
    gradient
        ``dL/da`` as a column shaped like ``a``.
    definition
        LaTeX for ``L``, a template with the fields ``{a}`` (the output
        symbol) and ``{y}`` (the target symbol).
    gradient_definition
        LaTeX for ``dL/da``, a template with the same fields.
    substituted
        The terms of ``L`` with the numbers of ``a`` and ``y`` written in, one
        per output, given a function that writes one number. Renderers join
        them with ``+`` inside ``frame`` and may break the line between terms.
    frame
        LaTeX before and after the substituted terms.
    float_value
        ``L`` on float64 NumPy columns, as a Python float, or ``None`` if the
        loss has no float evaluation.
    float_gradient
        ``dL/da`` on float64 NumPy columns, shaped like ``a``.
    rational_value
        ``L`` on the entries of ``a`` and ``y`` as exact rationals of any one
        type, returning that type, or ``None`` if ``L`` does not map
        rationals to rationals.
    rational_gradient
        ``dL/da`` on the entries of ``a`` and ``y``, as a list of entries.
    """

    name: str
    value: Callable[[sympy.Matrix, sympy.Matrix], sympy.Expr]
    gradient: Callable[[sympy.Matrix, sympy.Matrix], sympy.Matrix]
    definition: str
    gradient_definition: str
    substituted: Callable[
        [sympy.Matrix, sympy.Matrix, Callable[[sympy.Expr], str]], list[str]
    ]
    frame: tuple[str, str]
    float_value: FloatLossValue | None = None
    float_gradient: FloatLossGradient | None = None
    rational_value: RationalLossValue | None = None
    rational_gradient: RationalLossGradient | None = None


def _half_squared_error(a: sympy.Matrix, y: sympy.Matrix) -> sympy.Expr:
    return _half_squared_error_of_entries(list(a), list(y))


def _half_squared_error_of_entries(a: Sequence[Any], y: Sequence[Any]) -> Any:
    squares = [(output - target) ** 2 for output, target in zip(a, y)]
    return sum(squares[1:], squares[0]) / 2


def _residuals(a: Sequence[Any], y: Sequence[Any]) -> list[Any]:
    return [output - target for output, target in zip(a, y)]


def _half_squared_error_float(a: numpy.ndarray, y: numpy.ndarray) -> float:
    # NumPy is imported here so that the exact path does not need it.
    import numpy

    return 0.5 * float(numpy.sum((a - y) ** 2))


def _squared_residuals(
    a: sympy.Matrix, y: sympy.Matrix, write: Callable[[sympy.Expr], str]
) -> list[str]:
    # \bigl and \bigr, unlike \left and \right, may sit on different rows.
    return [
        rf"\bigl({write(output)} - {_parenthesized(write(target))}\bigr)^2"
        for output, target in zip(a, y)
    ]


def _parenthesized(latex: str) -> str:
    return f"({latex})" if latex.startswith("-") else latex


def half_squared_error() -> Loss:
    """Return ``L = 1/2 * sum_i (a_i - y_i)^2``, whose gradient is ``a - y``."""
    return Loss(
        name="half_squared_error",
        value=_half_squared_error,
        gradient=lambda a, y: a - y,
        definition=r"\frac{{1}}{{2}} \sum_{{i}} \left({a}_i - {y}_i\right)^2",
        gradient_definition="{a} - {y}",
        substituted=_squared_residuals,
        frame=(r"\frac{1}{2} \Bigl[", r"\Bigr]"),
        float_value=_half_squared_error_float,
        float_gradient=lambda a, y: a - y,
        rational_value=_half_squared_error_of_entries,
        rational_gradient=_residuals,
    )


_FACTORIES: dict[str, Callable[[], Loss]] = {
    "half_squared_error": half_squared_error,
}

LOSS_NAMES = tuple(_FACTORIES)


def get_loss(name: str) -> Loss:
    """Look up a loss by its spec name.

    Raises
    ------
    DerivationError
        If the name is unknown; the message lists the supported names.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        raise DerivationError(
            f"unknown loss {name!r}; supported: {', '.join(LOSS_NAMES)}"
        )
    return factory()
