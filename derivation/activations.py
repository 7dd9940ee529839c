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
from .quantities import exact_sign

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
    column_function
        For an activation that is not element-wise (softmax), ``f`` on one
        column of exact values; :attr:`function` and :attr:`slope` are then
        unused, and the backward pass multiplies by the Jacobian instead.
    float_column_function
        The same on a float64 array, column by column.
    parameters
        LaTeX for the settings stated with the definition, such as the
        slope of leaky ReLU, or an empty string.
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
    column_function: Callable[[sympy.Matrix], sympy.Matrix] | None = None
    float_column_function: ArrayFunction | None = None
    parameters: str = ""

    @property
    def elementwise(self) -> bool:
        """Whether ``f`` acts on each entry alone (all but softmax)."""
        return self.column_function is None

    def value(self, z: sympy.Matrix) -> sympy.Matrix:
        """Apply ``f`` to every entry of ``z``, or to every column for softmax."""
        if self.column_function is not None:
            columns = [self.column_function(z[:, k]) for k in range(z.cols)]
            return sympy.Matrix.hstack(*columns)
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
        if self.float_column_function is not None:
            return self.float_column_function(z)
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
def _sign(z: Any) -> int:
    """Return the sign of an exact value: a rational, or a closed form."""
    if isinstance(z, sympy.Basic) and not isinstance(z, sympy.Rational):
        return exact_sign(z)
    return 1 if z > 0 else (-1 if z < 0 else 0)


def _positive(z: Any) -> bool:
    if isinstance(z, sympy.Basic) and not isinstance(z, sympy.Rational):
        return exact_sign(z) > 0
    return bool(z > 0)


def _relu(z: Any) -> Any:
    return z if _positive(z) else z * 0


def _relu_slope(at_zero: int) -> RationalFunction:
    def slope(z: Any) -> Any:
        zero = z * 0
        sign = _sign(z)
        if sign == 0:
            return zero + at_zero
        return zero + 1 if sign > 0 else zero

    return slope


def _leaky(numerator: int, denominator: int) -> RationalFunction:
    def leaky(z: Any) -> Any:
        return z if _positive(z) else z * numerator / denominator

    return leaky


def _leaky_slope(numerator: int, denominator: int, at_zero: int) -> RationalFunction:
    def slope(z: Any) -> Any:
        zero = z * 0
        sign = _sign(z)
        if sign > 0 or (sign == 0 and at_zero == 1):
            return zero + 1
        return (zero + numerator) / denominator

    return slope


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-z))


def _sigmoid_slope(z: sympy.Expr) -> sympy.Expr:
    value = _sigmoid(z)
    return value * (1 - value)


def _tanh_slope(z: sympy.Expr) -> sympy.Expr:
    return 1 - sympy.tanh(z) ** 2


def _softplus(z: sympy.Expr) -> sympy.Expr:
    return sympy.log(1 + sympy.exp(z))


def softmax_backward(a: sympy.Matrix, da: sympy.Matrix) -> sympy.Matrix:
    """Multiply each column of ``da`` by the softmax Jacobian of ``a``.

    The Jacobian ``diag(a) - a a^T`` is symmetric, so the product is
    ``a * (da - a^T da)`` entry by entry.
    """
    columns = []
    for k in range(a.cols):
        column, gradient = a[:, k], da[:, k]
        inner = (column.T * gradient)[0, 0]
        shifted = gradient - sympy.ones(*column.shape) * inner
        columns.append(column.multiply_elementwise(shifted))
    return sympy.Matrix.hstack(*columns)


def _softmax_column(z: sympy.Matrix) -> sympy.Matrix:
    powers = [sympy.exp(entry) for entry in z]
    total = sympy.Add(*powers)
    return sympy.Matrix([power / total for power in powers])


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


def _leaky_float(slope: float) -> ArrayFunction:
    def leaky(z: numpy.ndarray) -> numpy.ndarray:
        import numpy

        return numpy.where(z > 0, z, slope * z)

    return leaky


def _leaky_float_slope(slope: float, at_zero: int) -> ArrayFunction:
    def derivative(z: numpy.ndarray) -> numpy.ndarray:
        import numpy

        at_kink = 1.0 if at_zero == 1 else slope
        return numpy.where(z > 0, 1.0, numpy.where(z == 0, at_kink, slope))

    return derivative


def _sigmoid_float(z: numpy.ndarray) -> numpy.ndarray:
    import numpy

    return 1.0 / (1.0 + numpy.exp(-z))


def _sigmoid_float_slope(z: numpy.ndarray) -> numpy.ndarray:
    value = _sigmoid_float(z)
    return value * (1.0 - value)


def _tanh_float(z: numpy.ndarray) -> numpy.ndarray:
    import numpy

    return numpy.tanh(z)


def _tanh_float_slope(z: numpy.ndarray) -> numpy.ndarray:
    import numpy

    return 1.0 - numpy.tanh(z) ** 2


def _softplus_float(z: numpy.ndarray) -> numpy.ndarray:
    import numpy

    return numpy.logaddexp(0.0, z)


def _softmax_float(z: numpy.ndarray) -> numpy.ndarray:
    import numpy

    shifted = numpy.exp(z - z.max(axis=0, keepdims=True))
    return shifted / shifted.sum(axis=0, keepdims=True)


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


# The default slope of leaky ReLU for negative inputs.
LEAKY_SLOPE = sympy.Rational(1, 100)


def leaky_relu(slope: object = LEAKY_SLOPE, derivative_at_zero: int = 0) -> Activation:
    """Return leaky ReLU, ``z`` for ``z > 0`` and ``slope * z`` otherwise.

    ``slope`` is an exact rational (1/100 by default). ``derivative_at_zero``
    picks ``f'(0)``: 0 takes the left side (``slope``), 1 the right side (1).

    Raises
    ------
    DerivationError
        If the slope is not an exact rational or the convention is not 0 or 1.
    """
    from .numbers import to_exact

    alpha = to_exact(slope)
    if not isinstance(alpha, sympy.Rational):
        raise DerivationError(f"leaky ReLU slope must be rational, not {alpha}")
    if derivative_at_zero not in (0, 1):
        raise DerivationError(f"ReLU'(0) must be 0 or 1, not {derivative_at_zero!r}")
    p, q = int(alpha.p), int(alpha.q)
    written = sympy.latex(alpha)
    if derivative_at_zero == 0:
        cases = r"\begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}"
    else:
        cases = r"\begin{cases} 1 & z \ge 0 \\ \alpha & z < 0 \end{cases}"
    function, derivative = _leaky(p, q), _leaky_slope(p, q, derivative_at_zero)
    return Activation(
        name="leaky_relu",
        function=function,
        slope=derivative,
        definition=r"\max(\alpha z, z)",
        derivative_definition=cases,
        latex_name=r"\operatorname{LReLU}",
        float_function=_leaky_float(_as_float(alpha)),
        float_slope=_leaky_float_slope(_as_float(alpha), derivative_at_zero),
        rational_function=function,
        rational_slope=derivative,
        parameters=rf"\alpha = {written}",
    )


def _as_float(value: sympy.Rational) -> float:
    """Return the nearest float, or an infinity for a value beyond float range."""
    try:
        return int(value.p) / int(value.q)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def sigmoid() -> Activation:
    """Return the logistic sigmoid ``1 / (1 + e^{-z})``, kept in closed form."""
    return Activation(
        name="sigmoid",
        function=_sigmoid,
        slope=_sigmoid_slope,
        definition=r"\frac{1}{1 + e^{-z}}",
        derivative_definition=r"\sigma(z) \bigl(1 - \sigma(z)\bigr)",
        latex_name=r"\sigma",
        float_function=_sigmoid_float,
        float_slope=_sigmoid_float_slope,
    )


def tanh() -> Activation:
    """Return the hyperbolic tangent, kept in closed form."""
    return Activation(
        name="tanh",
        function=sympy.tanh,
        slope=_tanh_slope,
        definition=r"\frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
        derivative_definition=r"1 - \tanh^2(z)",
        latex_name=r"\tanh",
        float_function=_tanh_float,
        float_slope=_tanh_float_slope,
    )


def softplus() -> Activation:
    """Return softplus ``ln(1 + e^z)``, whose derivative is the sigmoid."""
    return Activation(
        name="softplus",
        function=_softplus,
        slope=_sigmoid,
        definition=r"\ln\bigl(1 + e^{z}\bigr)",
        derivative_definition=r"\frac{1}{1 + e^{-z}}",
        latex_name=r"\operatorname{softplus}",
        float_function=_softplus_float,
        float_slope=_sigmoid_float,
    )


def softmax() -> Activation:
    """Return softmax, which maps each column to positive values summing to 1.

    It is not element-wise: its Jacobian is ``diag(a) - a a^T``, so the
    backward pass computes ``dz = a * (da - (a^T da))`` column by column.
    """
    return Activation(
        name="softmax",
        function=_identity,
        slope=_one,
        definition=r"\frac{e^{z_i}}{\sum_j e^{z_j}}",
        derivative_definition=(
            r"\frac{\partial a_i}{\partial z_j} = a_i (\delta_{ij} - a_j)"
        ),
        latex_name=r"\operatorname{softmax}",
        column_function=_softmax_column,
        float_column_function=_softmax_float,
    )


_FACTORIES: dict[str, Callable[..., Activation]] = {
    "identity": identity,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softplus": softplus,
    "softmax": softmax,
}

ACTIVATION_NAMES = tuple(_FACTORIES)


def get_activation(
    name: str, *, relu_derivative_at_zero: int = 0, slope: object = LEAKY_SLOPE
) -> Activation:
    """Look up an activation by its spec name.

    ``relu_derivative_at_zero`` applies to ReLU and leaky ReLU, ``slope`` to
    leaky ReLU.

    Raises
    ------
    DerivationError
        If the name is unknown; the message lists the supported names.
    """
    if name == "relu":
        return relu(relu_derivative_at_zero)
    if name == "leaky_relu":
        return leaky_relu(slope, relu_derivative_at_zero)
    factory = _FACTORIES.get(name)
    if factory is None:
        raise DerivationError(
            f"unknown activation {name!r}; supported: {', '.join(ACTIVATION_NAMES)}"
        )
    return factory()
