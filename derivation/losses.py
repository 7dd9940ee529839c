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
    combined_activation
        The name of the output activation whose derivative cancels against
        this loss's gradient so that ``dL/dz = a - y`` (sigmoid for binary
        cross-entropy, softmax for categorical cross-entropy), or ``None``.
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
    combined_activation: str | None = None

    def batch_value(
        self, a: sympy.Matrix, y: sympy.Matrix, mean: bool = True
    ) -> sympy.Expr:
        """Return the loss of a batch, one sample per column of ``a`` and ``y``.

        The samples' losses are averaged, or summed when ``mean`` is false.
        """
        if y.cols == 1:
            return self.value(a, y)
        total = sympy.Add(*(self.value(a[:, k], y[:, k]) for k in range(y.cols)))
        return total / y.cols if mean else total

    def column_gradients(self, a: sympy.Matrix, y: sympy.Matrix) -> sympy.Matrix:
        """Return each sample's own dL/da, one column per sample."""
        if y.cols == 1:
            return self.gradient(a, y)
        return sympy.Matrix.hstack(
            *(self.gradient(a[:, k], y[:, k]) for k in range(y.cols))
        )

    def combines_with(self, activation_name: str) -> bool:
        """Whether ``dL/dz = a - y`` after an output layer with this activation."""
        return self.combined_activation == activation_name


# The squared-error losses differ only in the factor before the sum; each
# states its factor in its definition, since exercises disagree on it.
def _squared_error(factor: Callable[[int], sympy.Rational]) -> Callable[..., Any]:
    def value(a: Sequence[Any], y: Sequence[Any]) -> Any:
        squares = [(output - target) ** 2 for output, target in zip(a, y)]
        scale = factor(len(squares))
        return sum(squares[1:], squares[0]) * scale.p / scale.q

    return value


def _squared_error_gradient(
    factor: Callable[[int], sympy.Rational],
) -> Callable[..., list[Any]]:
    def gradient(a: Sequence[Any], y: Sequence[Any]) -> list[Any]:
        scale = 2 * factor(len(a))
        return [(output - target) * scale.p / scale.q for output, target in zip(a, y)]

    return gradient


def _on_matrices(function: Callable[..., Any]) -> Callable[..., sympy.Expr]:
    def value(a: sympy.Matrix, y: sympy.Matrix) -> sympy.Expr:
        return function(list(a), list(y))

    return value


def _column_gradient(function: Callable[..., list[Any]]) -> Callable[..., Any]:
    def gradient(a: sympy.Matrix, y: sympy.Matrix) -> sympy.Matrix:
        return sympy.Matrix(function(list(a), list(y)))

    return gradient


def _squared_error_float(factor: Callable[[int], sympy.Rational]) -> FloatLossValue:
    def value(a: numpy.ndarray, y: numpy.ndarray) -> float:
        # NumPy is imported here so that the exact path does not need it.
        import numpy

        return float(factor(a.shape[0])) * float(numpy.sum((a - y) ** 2))

    return value


def _squared_error_float_gradient(
    factor: Callable[[int], sympy.Rational],
) -> FloatLossGradient:
    def gradient(a: numpy.ndarray, y: numpy.ndarray) -> numpy.ndarray:
        return 2.0 * float(factor(a.shape[0])) * (a - y)

    return gradient


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


def _squared_loss(
    name: str,
    factor: Callable[[int], sympy.Rational],
    factor_latex: str,
    gradient_latex: str,
    frame: tuple[str, str],
) -> Loss:
    value = _squared_error(factor)
    gradient = _squared_error_gradient(factor)
    return Loss(
        name=name,
        value=_on_matrices(value),
        gradient=_column_gradient(gradient),
        definition=factor_latex + r"\sum_{{i}} \left({a}_i - {y}_i\right)^2",
        gradient_definition=gradient_latex,
        substituted=_squared_residuals,
        frame=frame,
        float_value=_squared_error_float(factor),
        float_gradient=_squared_error_float_gradient(factor),
        rational_value=value,
        rational_gradient=gradient,
    )


def half_squared_error() -> Loss:
    """Return ``L = 1/2 * sum_i (a_i - y_i)^2``, whose gradient is ``a - y``."""
    return _squared_loss(
        "half_squared_error",
        lambda n: sympy.Rational(1, 2),
        r"\frac{{1}}{{2}} ",
        "{a} - {y}",
        (r"\frac{1}{2} \Bigl[", r"\Bigr]"),
    )


def sum_squared_error() -> Loss:
    """Return ``L = sum_i (a_i - y_i)^2``, whose gradient is ``2 (a - y)``."""
    return _squared_loss(
        "sum_squared_error",
        lambda n: sympy.Integer(1),
        "",
        "2 ({a} - {y})",
        (r"\Bigl[", r"\Bigr]"),
    )


def mean_squared_error() -> Loss:
    """Return ``L = 1/n * sum_i (a_i - y_i)^2`` over the ``n`` outputs.

    Its gradient is ``2/n (a - y)``.
    """
    return _squared_loss(
        "mean_squared_error",
        lambda n: sympy.Rational(1, n),
        r"\frac{{1}}{{n}} ",
        r"\frac{{2}}{{n}} ({a} - {y})",
        (r"\frac{1}{n} \Bigl[", r"\Bigr]"),
    )


def _log(value: sympy.Expr) -> sympy.Expr:
    return sympy.log(value)


def _binary_cross_entropy(a: sympy.Matrix, y: sympy.Matrix) -> sympy.Expr:
    terms = [
        -(target * _log(output) + (1 - target) * _log(1 - output))
        for output, target in zip(a, y)
    ]
    return sympy.Add(*terms)


def _binary_cross_entropy_gradient(a: sympy.Matrix, y: sympy.Matrix) -> sympy.Matrix:
    return sympy.Matrix(
        [(output - target) / (output * (1 - output)) for output, target in zip(a, y)]
    )


def _binary_terms(
    a: sympy.Matrix, y: sympy.Matrix, write: Callable[[sympy.Expr], str]
) -> list[str]:
    return [
        rf"{_parenthesized(write(target))} \ln {_parenthesized(write(output))} + "
        rf"\bigl(1 - {_parenthesized(write(target))}\bigr) "
        rf"\ln\bigl(1 - {_parenthesized(write(output))}\bigr)"
        for output, target in zip(a, y)
    ]


def _binary_cross_entropy_float(a: numpy.ndarray, y: numpy.ndarray) -> float:
    import numpy

    return -float(numpy.sum(y * numpy.log(a) + (1 - y) * numpy.log(1 - a)))


def binary_cross_entropy() -> Loss:
    """Return ``L = -sum_i [y_i ln a_i + (1 - y_i) ln(1 - a_i)]``.

    Its gradient is ``(a - y) / (a (1 - a))``; after a sigmoid output layer
    the product with ``sigma'(z) = a (1 - a)`` leaves ``dL/dz = a - y``,
    which the engine uses directly.
    """
    return Loss(
        name="binary_cross_entropy",
        value=_binary_cross_entropy,
        gradient=_binary_cross_entropy_gradient,
        definition=(
            r"-\sum_{{i}} \Bigl[{y}_i \ln {a}_i + (1 - {y}_i) \ln(1 - {a}_i)\Bigr]"
        ),
        gradient_definition=r"\frac{{{a} - {y}}}{{{a} \odot (1 - {a})}}",
        substituted=_binary_terms,
        frame=(r"-\Bigl[", r"\Bigr]"),
        float_value=_binary_cross_entropy_float,
        float_gradient=lambda a, y: (a - y) / (a * (1 - a)),
        combined_activation="sigmoid",
    )


def _categorical_cross_entropy(a: sympy.Matrix, y: sympy.Matrix) -> sympy.Expr:
    return -sympy.Add(
        *[target * _log(output) for output, target in zip(a, y) if target != 0]
    )


def _categorical_terms(
    a: sympy.Matrix, y: sympy.Matrix, write: Callable[[sympy.Expr], str]
) -> list[str]:
    return [
        rf"{_parenthesized(write(target))} \ln {_parenthesized(write(output))}"
        for output, target in zip(a, y)
    ]


def _categorical_cross_entropy_float(a: numpy.ndarray, y: numpy.ndarray) -> float:
    import numpy

    return -float(numpy.sum(numpy.where(y != 0, y * numpy.log(a), 0.0)))


def categorical_cross_entropy() -> Loss:
    """Return ``L = -sum_i y_i ln a_i`` for a target that sums to 1.

    Its gradient is ``-y / a``. After a softmax output layer the product with
    the softmax Jacobian is ``a (1^T y) - y = a - y``, because the target
    entries sum to 1; the engine uses that directly.
    """
    return Loss(
        name="categorical_cross_entropy",
        value=_categorical_cross_entropy,
        gradient=lambda a, y: sympy.Matrix(
            [-target / output for output, target in zip(a, y)]
        ),
        definition=r"-\sum_{{i}} {y}_i \ln {a}_i",
        gradient_definition=r"-\frac{{{y}}}{{{a}}}",
        substituted=_categorical_terms,
        frame=(r"-\Bigl[", r"\Bigr]"),
        float_value=_categorical_cross_entropy_float,
        float_gradient=lambda a, y: -y / a,
        combined_activation="softmax",
    )


# Losses whose targets are probabilities, between 0 and 1.
PROBABILITY_LOSSES = ("binary_cross_entropy", "categorical_cross_entropy")


def _check_probabilities(loss: Loss, y: sympy.Matrix) -> None:
    for number in range(y.cols):
        for target in y[:, number]:
            if isinstance(target, sympy.Rational) and not 0 <= target <= 1:
                raise DerivationError(
                    f"y: sample {number + 1}: expected targets from 0 to 1 for "
                    f"{loss.name.replace('_', ' ')}, found {target}"
                )


def check_targets(loss: Loss, output_activation: str, y: sympy.Matrix) -> None:
    """Reject targets that the loss cannot take.

    Cross-entropy targets are probabilities, from 0 to 1. With softmax and
    categorical cross-entropy, ``dL/dz = a - y`` holds only when the targets
    of each sample (a column of ``y``) sum to 1.

    Raises
    ------
    DerivationError
        If a cross-entropy target lies outside 0 to 1, or the loss combines
        with a softmax output layer and a sample's targets do not sum to 1.
    """
    if loss.name in PROBABILITY_LOSSES:
        _check_probabilities(loss, y)
    if not (loss.combines_with("softmax") and output_activation == "softmax"):
        return
    for number in range(y.cols):
        total = sum(y[:, number], sympy.Integer(0))
        if total != 1:
            raise DerivationError(
                f"y: sample {number + 1}: expected targets that sum to 1 for "
                f"softmax with categorical cross-entropy, found a sum of {total}"
            )


def check_outputs(loss: Loss, a: sympy.Matrix, y: sympy.Matrix) -> None:
    """Reject outputs at which a cross-entropy loss has no finite value.

    Binary cross-entropy needs every output strictly between 0 and 1, and
    categorical cross-entropy a positive output wherever the target is not 0.

    Raises
    ------
    DerivationError
        If an output lies outside that range; the message names the sample
        and the unit, counted from 1.
    """
    if loss.name not in PROBABILITY_LOSSES:
        return
    from .quantities import exact_sign

    for (row, column), output in _entries(a):
        target = y[row, column]
        low = exact_sign(output) <= 0 and target != 0
        if loss.name == "binary_cross_entropy":
            low = exact_sign(output) <= 0 or exact_sign(1 - output) <= 0
        if low:
            expected = (
                "strictly between 0 and 1"
                if loss.name == "binary_cross_entropy"
                else "above 0 where the target is not 0"
            )
            raise DerivationError(
                f"output unit {row + 1} of sample {column + 1}: expected an output "
                f"{expected} for {loss.name.replace('_', ' ')}, found {output}; "
                "use a sigmoid or softmax output layer"
            )


def _entries(matrix: sympy.Matrix) -> list[tuple[tuple[int, int], sympy.Expr]]:
    return [
        ((row, column), matrix[row, column])
        for row in range(matrix.rows)
        for column in range(matrix.cols)
    ]


_FACTORIES: dict[str, Callable[[], Loss]] = {
    "half_squared_error": half_squared_error,
    "sum_squared_error": sum_squared_error,
    "mean_squared_error": mean_squared_error,
    "binary_cross_entropy": binary_cross_entropy,
    "categorical_cross_entropy": categorical_cross_entropy,
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
