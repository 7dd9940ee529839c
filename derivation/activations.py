"""Activation functions: value, derivative and LaTeX definition side by side.

Each activation acts element-wise on a column of pre-activations ``z``. The
exact engine calls :meth:`Activation.value` and :meth:`Activation.derivative`
on SymPy matrices; the renderers read :attr:`Activation.definition` and
:attr:`Activation.derivative_definition` to state the function once. The
float64 path in :mod:`derivation.float_engine` calls
:meth:`Activation.float_value` and :meth:`Activation.float_derivative` on
NumPy arrays, so both paths evaluate one description of each function. The
engine's fast rational arithmetic calls :attr:`Activation.rational_function`
and :attr:`Activation.rational_slope` on python-flint ``fmpq`` entries; for
ReLU and the identity these are the same scalar functions as
:attr:`Activation.function` and :attr:`Activation.slope`, written to work on
any exact rational type.

>>> relu = get_activation("relu")
>>> relu.value(sympy.Matrix([-1, 0, 2]))
Matrix([
[0],
[0],
[2]])
>>> relu.derivative(sympy.Matrix([-1, 0, 2])).T
Matrix([[0, 0, 1]])
>>> import numpy
>>> relu.float_derivative(numpy.array([[-1.0], [0.0], [2.0]])).T
array([[0., 0., 1.]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy

from .errors import DerivationError

if TYPE_CHECKING:
    import numpy

ScalarFunction = Callable[[sympy.Expr], sympy.Expr]
# Maps an exact rational of any type (SymPy Rational, fractions.Fraction,
# python-flint fmpq) to a rational of the same type.
RationalFunction = Callable[[Any], Any]
ArrayFunction = Callable[["numpy.ndarray"], "numpy.ndarray"]


@dataclass(frozen=True)
class Activation:
    """An element-wise activation function ``a = f(z)``.

    Attributes
    ----------
    name
        The name used in spec files, such as ``"relu"``.
    function
        ``f`` on one exact value.
    slope
        ``f'`` on one exact value.
    definition
        LaTeX for ``f(z)``, written with ``z`` as the argument.
    derivative_definition
        LaTeX for ``f'(z)``.
    latex_name
        How ``f`` is written in equations, such as ``\\operatorname{ReLU}``.
    float_function
        ``f`` applied element-wise to a float64 NumPy array, or ``None`` if
        the activation has no float evaluation.
    float_slope
        ``f'`` applied element-wise to a float64 NumPy array, with the same
        convention at kinks as :attr:`slope`.
    rational_function
        ``f`` on one exact rational of any type, returning the same type, or
        ``None`` if ``f`` does not map rationals to rationals. The engine
        computes layers with such an activation in its general SymPy path.
    rational_slope
        ``f'`` on one exact rational of any type, like
        :attr:`rational_function`.
    """

    name: str
    function: ScalarFunction
    slope: ScalarFunction
    definition: str
    derivative_definition: str
    latex_name: str
    float_function: ArrayFunction | None = None
    float_slope: ArrayFunction | None = None
    rational_function: RationalFunction | None = None
    rational_slope: RationalFunction | None = None

    def value(self, z: sympy.Matrix) -> sympy.Matrix:
        """Apply ``f`` to every entry of ``z``."""
        return z.applyfunc(self.function)

    def derivative(self, z: sympy.Matrix) -> sympy.Matrix:
        """Apply ``f'`` to every entry of ``z``."""
        return z.applyfunc(self.slope)

    def float_value(self, z: numpy.ndarray) -> numpy.ndarray:
        """Apply ``f`` to every entry of a float64 array.

        Raises
        ------
        DerivationError
            If the activation has no float evaluation.
        """
        if self.float_function is None:
            raise DerivationError(f"activation {self.name!r} has no float evaluation")
        return self.float_function(z)

    def float_derivative(self, z: numpy.ndarray) -> numpy.ndarray:
        """Apply ``f'`` to every entry of a float64 array.

        Raises
        ------
        DerivationError
            If the activation has no float evaluation.
        """
        if self.float_slope is None:
            raise DerivationError(f"activation {self.name!r} has no float evaluation")
        return self.float_slope(z)

    @property
    def is_identity(self) -> bool:
        """Whether ``f(z) = z``, so that equations may leave ``f`` out."""
        return self.name == "identity"


# The scalar functions take any exact rational type; ``z * 0`` is a zero of
# the same type as z (a SymPy Integer for a SymPy Rational).
def _relu(z: Any) -> Any:
    return z if z > 0 else z * 0


def _relu_slope(at_zero: int) -> RationalFunction:
    def slope(z: Any) -> Any:
        zero = z * 0
        if z == 0:
            return zero + at_zero
        return zero + 1 if z > 0 else zero

    return slope


def _identity(z: Any) -> Any:
    return z


def _one(z: Any) -> Any:
    return z * 0 + 1


# NumPy is imported inside the float functions so that the exact path, which
# never calls them, does not need it.
def _relu_float(z: numpy.ndarray) -> numpy.ndarray:
    import numpy

    return numpy.where(z > 0, z, 0.0)


def _relu_float_slope(at_zero: int) -> ArrayFunction:
    def slope(z: numpy.ndarray) -> numpy.ndarray:
        import numpy

        return numpy.where(z > 0, 1.0, numpy.where(z == 0, float(at_zero), 0.0))

    return slope


def _identity_float(z: numpy.ndarray) -> numpy.ndarray:
    return z.copy()


def _identity_float_slope(z: numpy.ndarray) -> numpy.ndarray:
    import numpy

    return numpy.ones_like(z)


def relu(derivative_at_zero: int = 0) -> Activation:
    """Return ReLU with the given convention for ``ReLU'(0)`` (0 or 1).

    Textbooks differ on the value of the derivative at the kink, so the
    convention is stated in the rendered definition.

    Raises
    ------
    DerivationError
        If ``derivative_at_zero`` is not 0 or 1.
    """
    if derivative_at_zero not in (0, 1):
        raise DerivationError(f"ReLU'(0) must be 0 or 1, not {derivative_at_zero!r}")
    if derivative_at_zero == 0:
        derivative_definition = r"\begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}"
    else:
        derivative_definition = r"\begin{cases} 1 & z \ge 0 \\ 0 & z < 0 \end{cases}"
    slope = _relu_slope(derivative_at_zero)
    return Activation(
        name="relu",
        function=_relu,
        slope=slope,
        definition=r"\max(0, z)",
        derivative_definition=derivative_definition,
        latex_name=r"\operatorname{ReLU}",
        float_function=_relu_float,
        float_slope=_relu_float_slope(derivative_at_zero),
        rational_function=_relu,
        rational_slope=slope,
    )


def identity() -> Activation:
    """Return the identity activation ``f(z) = z``."""
    return Activation(
        name="identity",
        function=_identity,
        slope=_one,
        definition="z",
        derivative_definition="1",
        latex_name=r"\operatorname{id}",
        float_function=_identity_float,
        float_slope=_identity_float_slope,
        rational_function=_identity,
        rational_slope=_one,
    )


_FACTORIES: dict[str, Callable[..., Activation]] = {
    "identity": identity,
    "relu": relu,
}

ACTIVATION_NAMES = tuple(_FACTORIES)


def get_activation(name: str, *, relu_derivative_at_zero: int = 0) -> Activation:
    """Look up an activation by its spec name.

    Raises
    ------
    DerivationError
        If the name is unknown; the message lists the supported names.
    """
    if name == "relu":
        return relu(relu_derivative_at_zero)
    factory = _FACTORIES.get(name)
    if factory is None:
        raise DerivationError(
            f"unknown activation {name!r}; supported: {', '.join(ACTIVATION_NAMES)}"
        )
    return factory()
