"""Matrix arithmetic for the exact engine: python-flint inside, SymPy outside.

The engine computes each layer of a step in one of two arithmetics and
records every value as a ``sympy.Matrix``:

- :data:`FLINT` multiplies python-flint ``fmpq_mat`` matrices and applies
  element-wise functions to ``fmpq`` entries. It needs SymPy on flint ground
  types (SymPy 1.13 or later with python-flint installed), because then
  SymPy's ``QQ`` elements are ``fmpq``. A layer uses it when its values are
  rational and its activation has rational forms.
- :data:`GENERAL` is plain ``sympy.Matrix`` arithmetic, for anything else
  (symbols, or a SymPy without flint ground types).

A SymPy matrix stores its entries in a ``DomainMatrix``: over ``QQ`` when
they are all rational, as a dict of rows (SymPy's ``SDM``). The flint
arithmetic reads and writes that representation directly, so no entry passes
through a SymPy ``Rational`` on the way in or out. This relies on
``Matrix._rep`` and ``Matrix._fromrep``, which SymPy 1.9 to 1.14 share.

>>> import sympy
>>> if FLINT is not None:
...     native = FLINT.take(sympy.Matrix([sympy.Rational(1, 2), 3]))
...     finished = FLINT.finish(native * 2, None)
...     print(finished.matrix.value().T, finished.height_bits)
... else:
...     print("Matrix([[1, 6]]) 3")
Matrix([[1, 6]]) 3
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import sympy
from sympy.external.gmpy import GROUND_TYPES
from sympy.polys.domains import QQ, ZZ
from sympy.polys.matrices import DomainMatrix
from sympy.polys.matrices.sdm import SDM

from .lazy import Deferred

if TYPE_CHECKING:
    from .activations import Activation
    from .growth import RoundingPolicy
    from .losses import Loss


@dataclass(frozen=True)
class Finished:
    """A computed value after rounding, ready to be checked and recorded.

    Attributes
    ----------
    native
        The value in its arithmetic's form, rounded if a policy applied.
    matrix
        The same value as a ``sympy.Matrix`` (or a SymPy scalar for a loss),
        or a :class:`~derivation.lazy.Deferred` that builds the matrix.
    entries
        Its rational entries (objects with ``p`` and ``q``), or an empty list
        when they are not all rational and so are neither rounded nor
        measured.
    height_bits
        The largest bit length among the numerators and denominators.
    """

    native: Any
    matrix: Any
    entries: list
    height_bits: int


def is_rational(matrix: sympy.MatrixBase) -> bool:
    """Return whether every entry of a SymPy matrix is rational, in O(1).

    SymPy keeps the entries of such a matrix over ``ZZ`` or ``QQ``; any
    other entry (a symbol, ``sqrt(2)``) moves the whole matrix to ``EXRAW``.
    """
    rep = getattr(matrix, "_rep", None)
    return rep is not None and rep.domain in (ZZ, QQ)


class GeneralArithmetic:
    """Plain ``sympy.Matrix`` arithmetic, for entries of any kind."""

    name = "sympy"

    def take(self, matrix: sympy.Matrix) -> sympy.Matrix:
        """Return ``matrix`` in this arithmetic's form (unchanged)."""
        return matrix

    def scalar(self, value: sympy.Expr) -> sympy.Expr:
        """Return a SymPy scalar in this arithmetic's form (unchanged)."""
        return value

    def transpose(self, native: sympy.Matrix) -> sympy.Matrix:
        """Return the transpose."""
        return native.T

    def hadamard(self, left: sympy.Matrix, right: sympy.Matrix) -> sympy.Matrix:
        """Return the element-wise product."""
        return left.multiply_elementwise(right)

    def activate(self, activation: Activation, native: sympy.Matrix) -> sympy.Matrix:
        """Apply the activation to every entry."""
        return activation.value(native)

    def slope(self, activation: Activation, native: sympy.Matrix) -> sympy.Matrix:
        """Apply the activation's derivative to every entry."""
        return activation.derivative(native)

    def loss_value(self, loss: Loss, a: sympy.Matrix, y: sympy.Matrix) -> sympy.Expr:
        """Return the loss of output ``a`` for target ``y``."""
        return loss.value(a, y)

    def loss_gradient(
        self, loss: Loss, a: sympy.Matrix, y: sympy.Matrix
    ) -> sympy.Matrix:
        """Return dL/da for output ``a`` and target ``y``."""
        return loss.gradient(a, y)

    def finish(
        self,
        native: sympy.MatrixBase,
        rounding: RoundingPolicy | None,
        immutable: bool = False,
    ) -> Finished:
        """Round a computed matrix if it is rational and measure its entries.

        With ``immutable`` the matrix is a ``sympy.ImmutableMatrix``, as
        layers hold.
        """
        kind = sympy.ImmutableMatrix if immutable else sympy.Matrix
        if not is_rational(native):
            if immutable:
                native = sympy.ImmutableMatrix(native)
            return Finished(native, native, [], 0)
        entries = list(native)
        if rounding is not None:
            entries = [_round_sympy(entry, rounding) for entry in entries]
            native = kind(native.rows, native.cols, entries)
        elif immutable:
            native = sympy.ImmutableMatrix(native)
        return Finished(native, native, entries, _sympy_height(entries))

    def finish_scalar(
        self, value: sympy.Expr, rounding: RoundingPolicy | None
    ) -> Finished:
        """Round a computed scalar if it is rational and measure it."""
        if not isinstance(value, sympy.Rational):
            return Finished(value, value, [], 0)
        if rounding is not None:
            value = _round_sympy(value, rounding)
        return Finished(value, value, [value], _sympy_height([value]))


def _round_sympy(value: sympy.Rational, rounding: RoundingPolicy) -> sympy.Rational:
    numerator, denominator = rounding.round(int(value.p), int(value.q))
    return sympy.Rational(numerator, denominator)


def _sympy_height(entries: Sequence[sympy.Rational]) -> int:
    return max(
        (
            max(int(entry.p).bit_length(), int(entry.q).bit_length())
            for entry in entries
        ),
        default=0,
    )


class FlintArithmetic:
    """Arithmetic on python-flint ``fmpq_mat`` matrices of rationals.

    Only built when SymPy's ground types are flint, because the matrices it
    returns hold flint's ``fmpq`` entries as SymPy ``QQ`` elements.
    """

    name = "flint"

    def __init__(self) -> None:
        import flint

        self._matrix = flint.fmpq_mat
        self._number = flint.fmpq
        self._height = flint.fmpq.height_bits

    def accepts(self, matrix: sympy.MatrixBase) -> bool:
        """Return whether a SymPy matrix can enter this arithmetic."""
        return is_rational(matrix)

    def supports(self, activation: Activation) -> bool:
        """Return whether the activation has forms that map rationals to rationals."""
        return (
            activation.rational_function is not None
            and activation.rational_slope is not None
        )

    def supports_loss(self, loss: Loss) -> bool:
        """Return whether the loss has forms that map rationals to rationals."""
        return loss.rational_value is not None and loss.rational_gradient is not None

    def take(self, matrix: sympy.MatrixBase) -> Any:
        """Convert a rational SymPy matrix to an ``fmpq_mat``."""
        rows, cols = matrix.shape
        sparse = matrix._rep.rep.to_sdm()
        zero = self._number()
        dense = [[zero] * cols for _ in range(rows)]
        for i, row in sparse.items():
            dense_row = dense[i]
            for j, entry in row.items():
                dense_row[j] = entry
        if rows == 0 or cols == 0:
            return self._matrix(rows, cols)
        return self._matrix(dense)

    def scalar(self, value: sympy.Rational) -> Any:
        """Convert a SymPy rational to an ``fmpq``."""
        return self._number(int(value.p), int(value.q))

    def transpose(self, native: Any) -> Any:
        """Return the transpose."""
        return native.transpose()

    def hadamard(self, left: Any, right: Any) -> Any:
        """Return the element-wise product."""
        products = [x * y for x, y in zip(left.entries(), right.entries())]
        return self._matrix(left.nrows(), left.ncols(), products)

    def activate(self, activation: Activation, native: Any) -> Any:
        """Apply the activation's rational form to every entry."""
        return self._map(activation.rational_function, native)

    def slope(self, activation: Activation, native: Any) -> Any:
        """Apply the rational form of the activation's derivative to every entry."""
        return self._map(activation.rational_slope, native)

    def _map(self, function: Callable[[Any], Any] | None, native: Any) -> Any:
        if function is None:
            raise TypeError("the flint arithmetic needs a rational function")
        values = [function(entry) for entry in native.entries()]
        return self._matrix(native.nrows(), native.ncols(), values)

    def loss_value(self, loss: Loss, a: Any, y: Any) -> Any:
        """Return the loss of output ``a`` for target ``y`` as an ``fmpq``."""
        if loss.rational_value is None:
            raise TypeError(f"loss {loss.name!r} has no rational form")
        return self._number(loss.rational_value(a.entries(), y.entries()))

    def loss_gradient(self, loss: Loss, a: Any, y: Any) -> Any:
        """Return dL/da for output ``a`` and target ``y``."""
        if loss.rational_gradient is None:
            raise TypeError(f"loss {loss.name!r} has no rational form")
        gradient = loss.rational_gradient(a.entries(), y.entries())
        return self._matrix(a.nrows(), a.ncols(), gradient)

    def finish(
        self, native: Any, rounding: RoundingPolicy | None, immutable: bool = False
    ) -> Finished:
        """Round a computed matrix and measure it.

        The conversion to SymPy waits in a :class:`~derivation.lazy.Deferred`
        until a caller reads the value. With ``immutable`` it builds a
        ``sympy.ImmutableMatrix``, as layers hold.
        """
        rows, cols = native.nrows(), native.ncols()
        entries = native.entries()
        if rounding is not None:
            entries = [self._round(entry, rounding) for entry in entries]
            native = self._matrix(rows, cols, entries)
        height = max(map(self._height, entries), default=0)
        build = partial(to_sympy, rows, cols, entries, immutable)
        matrix = Deferred(build, (rows, cols))
        return Finished(native, matrix, entries, height)

    def finish_scalar(self, value: Any, rounding: RoundingPolicy | None) -> Finished:
        """Round a computed ``fmpq``, measure it and convert it to SymPy."""
        if rounding is not None:
            value = self._round(value, rounding)
        scalar = sympy.Rational(int(value.p), int(value.q))
        return Finished(value, scalar, [value], value.height_bits())

    def _round(self, value: Any, rounding: RoundingPolicy) -> Any:
        return self._number(*rounding.round(int(value.p), int(value.q)))


def to_sympy(
    rows: int, cols: int, entries: Sequence[Any], immutable: bool = False
) -> sympy.MatrixBase:
    """Build a SymPy matrix from row-major ``QQ`` elements.

    The entries must be SymPy's ``QQ`` elements (``fmpq`` under flint
    ground types). A mutable ``sympy.Matrix`` uses them as they are. A
    ``sympy.ImmutableMatrix`` (with ``immutable``) also keeps a SymPy
    ``Rational`` per entry, which took about 1.3 microseconds per entry on
    the 2-core benchmark machine (``benchmarks/run.py``).
    """
    elements: dict[int, dict[int, Any]] = {}
    if cols == 1:
        elements = {i: {0: entry} for i, entry in enumerate(entries) if entry}
    else:
        for i in range(rows):
            start = i * cols
            row = {
                j: entry
                for j, entry in enumerate(entries[start : start + cols])
                if entry
            }
            if row:
                elements[i] = row
    rep = DomainMatrix.from_rep(_sparse(elements, rows, cols))
    if immutable:
        return sympy.ImmutableMatrix._fromrep(rep)
    return sympy.Matrix._fromrep(rep)


def _sparse(elements: dict[int, dict[int, Any]], rows: int, cols: int) -> SDM:
    """Build SymPy's sparse ``QQ`` matrix from rows that are known to be valid.

    ``SDM(elements, shape, QQ)`` checks every row and column index, which
    took a fifth of a 2-wide step. The indices here come from loops over the
    shape, so this sets the four attributes that ``SDM.__init__`` sets
    (SymPy 1.13 and 1.14) and skips the check.
    """
    sparse = SDM.__new__(SDM)
    dict.update(sparse, elements)
    sparse.shape = (rows, cols)
    sparse.rows, sparse.cols = rows, cols
    sparse.domain = QQ
    return sparse


def _flint_arithmetic() -> FlintArithmetic | None:
    if GROUND_TYPES != "flint":
        return None
    return FlintArithmetic()


GENERAL = GeneralArithmetic()

# The fast arithmetic, or None when SymPy does not run on flint ground types.
FLINT = _flint_arithmetic()
