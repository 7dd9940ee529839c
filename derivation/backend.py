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

The flint arithmetic's values are :class:`FlintMatrix` objects, which carry
an upper bound on the bit length of their numerators and denominators
through every product and sum. The digit limit compares that bound and reads
the entries only when the bound is too high. Below, the bound of 5 bits
covers the entry 6, which has 3. The arithmetic also keeps its conversions of
recent immutable SymPy matrices (see :meth:`FlintArithmetic.take`), so the
initial parameters, ``x`` and ``y`` are converted once per run of ``train``.

>>> import sympy
>>> if FLINT is not None:
...     native = FLINT.take(sympy.Matrix([sympy.Rational(1, 2), 3]))
...     finished = FLINT.finish(native * 2, None)
...     print(finished.matrix.value().T, finished.height_bits)
... else:
...     print("Matrix([[1, 6]]) 5")
Matrix([[1, 6]]) 5
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import sympy
from sympy.external.gmpy import GROUND_TYPES
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix
from sympy.polys.matrices.sdm import SDM

from .lazy import Deferred

if TYPE_CHECKING:
    from flint import fmpq, fmpq_mat, fmpz

    from .activations import Activation
    from .growth import RoundingPolicy
    from .losses import Loss

# How many conversions of immutable SymPy matrices the flint arithmetic keeps.
# Training reads the initial parameters, x and y as immutable matrices, and a
# network of 30 layers has 62 of them.
TAKEN_CACHE_SIZE = 64

_IMMUTABLE_MATRICES = (sympy.ImmutableDenseMatrix, sympy.ImmutableSparseMatrix)


class Finished(NamedTuple):
    """A computed value after rounding, ready to be checked and recorded.

    Attributes
    ----------
    native
        The value in its arithmetic's form, rounded if a policy applied.
    matrix
        The same value as a ``sympy.Matrix`` (or a SymPy scalar for a loss),
        or a :class:`~derivation.lazy.Deferred` that builds the matrix.
    entries
        Its rational entries (objects with ``p`` and ``q``), as an iterable
        with a length, or an empty list when they are not all rational and so
        are neither rounded nor measured. Without rounding the flint
        arithmetic gives the :class:`FlintMatrix`, which reads its entries
        only when a caller iterates over them.
    height_bits
        An upper bound on the bit length of every numerator and denominator.
        The general arithmetic and rounding give the largest bit length
        itself; the flint arithmetic without rounding gives the bound that
        :class:`FlintMatrix` carries.
    """

    native: Any
    matrix: Any
    entries: Collection[Any]
    height_bits: int


def is_rational(matrix: sympy.MatrixBase) -> bool:
    """Return whether every entry of a SymPy matrix is rational, in O(1).

    SymPy keeps the entries of such a matrix over ``ZZ`` or ``QQ``; any
    other entry (a symbol, ``sqrt(2)``) moves the whole matrix to ``EXRAW``.
    """
    rep = getattr(matrix, "_rep", None)
    if rep is None:
        return False
    domain = rep.domain
    return domain.is_ZZ or domain.is_QQ


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


class FlintMatrix:
    """A python-flint ``fmpq_mat`` and a bound on the length of its entries.

    The bound is a common denominator ``D`` of the entries and a bit count
    ``n`` such that ``D * entry`` is an integer below ``2**n`` in absolute
    value for every entry. In lowest terms ``p/q`` an entry then has ``q``
    dividing ``D`` and ``|p| <= |D * entry|``, so no numerator or
    denominator has more than ``max(n, D.bit_length())`` bits.

    The operators ``*``, ``+``, ``-`` and :meth:`transpose` compute the bound
    of their result from the bounds of their operands in a few integer
    operations, so checking the digit limit reads no entry. A matrix built
    in any other way is measured when its bound is first needed. The bound
    can be far above the true length; :class:`~derivation.growth.DigitLimit`
    then counts the digits of the entries.

    Like a SymPy matrix, it iterates over its entries in row-major order,
    and its length is the number of entries.

    Attributes
    ----------
    value
        The ``fmpq_mat``.
    shape
        The number of rows and of columns.
    """

    __slots__ = ("value", "shape", "_bound")

    def __init__(
        self,
        value: Any,
        shape: tuple[int, int] | None = None,
        bound: tuple[int, int] | None = None,
    ) -> None:
        self.value = value
        self.shape = (value.nrows(), value.ncols()) if shape is None else shape
        # (n, D), or None until measured. One attribute, so that a thread
        # never reads n and D from two different measurements.
        self._bound = bound

    def bound(self) -> tuple[int, int]:
        """Return the bit count ``n`` and the common denominator ``D``."""
        bound = self._bound
        if bound is None:
            numerators, denominator = self.value.numer_denom()
            bound = (_numerator_bits(numerators, self.shape), int(denominator))
            self._bound = bound
        return bound

    def height_bits(self) -> int:
        """Return a bound on the bit length of every numerator and denominator."""
        bits, denominator = self.bound()
        return max(bits, denominator.bit_length())

    def nrows(self) -> int:
        """Return the number of rows."""
        return self.shape[0]

    def ncols(self) -> int:
        """Return the number of columns."""
        return self.shape[1]

    def entries(self) -> list:
        """Return the ``fmpq`` entries in row-major order."""
        return self.value.entries()

    def transpose(self) -> FlintMatrix:
        """Return the transpose, with the same bound."""
        rows, cols = self.shape
        return FlintMatrix(self.value.transpose(), (cols, rows), self.bound())

    def __len__(self) -> int:
        rows, cols = self.shape
        return rows * cols

    def __iter__(self) -> Iterator[Any]:
        return iter(self.value.entries())

    def __getattr__(self, name: str) -> Any:
        # Other fmpq_mat methods act on the value. The guard keeps the copy
        # module, which looks up names before __init__ fills the slots, from
        # recursing through an empty slot.
        if name.startswith("_") or name in FlintMatrix.__slots__:
            raise AttributeError(name)
        return getattr(self.value, name)

    def __getitem__(self, index: Any) -> Any:
        return self.value[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FlintMatrix):
            other = other.value
        return bool(self.value == other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FlintMatrix({self.value!r})"

    def __neg__(self) -> FlintMatrix:
        return FlintMatrix(-self.value, self.shape, self.bound())

    def __mul__(self, other: Any) -> Any:
        if type(other) is FlintMatrix:
            return _product(self, other)
        right = _as_flint_matrix(other)
        if right is not None:
            return _product(self, right)
        return _scaled(self, other)

    def __rmul__(self, other: Any) -> Any:
        if type(other) is _FMPQ:
            return _scaled(self, other)
        left = _as_flint_matrix(other)
        if left is not None:
            return _product(left, self)
        return _scaled(self, other)

    def __add__(self, other: Any) -> Any:
        if type(other) is FlintMatrix:
            return _sum(self, other, False)
        right = _as_flint_matrix(other)
        return NotImplemented if right is None else _sum(self, right, False)

    def __radd__(self, other: Any) -> Any:
        left = _as_flint_matrix(other)
        return NotImplemented if left is None else _sum(left, self, False)

    def __sub__(self, other: Any) -> Any:
        if type(other) is FlintMatrix:
            return _sum(self, other, True)
        right = _as_flint_matrix(other)
        return NotImplemented if right is None else _sum(self, right, True)

    def __rsub__(self, other: Any) -> Any:
        left = _as_flint_matrix(other)
        return NotImplemented if left is None else _sum(left, self, True)

    def __truediv__(self, other: Any) -> Any:
        if _FMPQ is None:
            raise RuntimeError("a FlintMatrix needs python-flint, which is missing")
        # Two checks rather than one tuple, so that the type checker narrows.
        if isinstance(other, int) or isinstance(other, _FLINT_SCALARS):
            return _scaled(self, 1 / _FMPQ(other))
        return NotImplemented


def _numerator_bits(numerators: Any, shape: tuple[int, int]) -> int:
    """Return a bit count ``n`` with ``abs(entry) < 2**n`` for an ``fmpz_mat``.

    For a column or a row this takes the sum of squares ``S`` in one product,
    with no Python object per entry: the largest entry is at most
    ``sqrt(S)``, which is below ``2**n`` for ``n = ceil(S.bit_length() / 2)``.
    Because ``S`` is at most ``length`` times the largest square, ``n`` is at
    most about ``log2(length) / 2 + 1`` bits above the exact count.
    """
    rows, cols = shape
    if cols == 1:
        square = (numerators.transpose() * numerators)[0, 0]
    elif rows == 1:
        square = (numerators * numerators.transpose())[0, 0]
    elif _BIT_LENGTH is None:
        raise RuntimeError("a FlintMatrix needs python-flint, which is missing")
    else:
        return max(map(_BIT_LENGTH, numerators.entries()), default=0)
    return (square.bit_length() + 1) // 2


def _as_flint_matrix(value: Any) -> FlintMatrix | None:
    """Return ``value`` as a :class:`FlintMatrix` if it is a matrix, else None."""
    if isinstance(value, FlintMatrix):
        return value
    if _FMPQ_MAT is not None and isinstance(value, _FMPQ_MAT):
        return FlintMatrix(value)
    return None


def _product(left: FlintMatrix, right: FlintMatrix) -> FlintMatrix:
    """Multiply two matrices and bound the result.

    A sum of ``k`` products of numerators below ``2**n1`` and ``2**n2`` is
    below ``2**(n1 + n2 + ceil(log2(k)))``, over the denominator ``D1 * D2``.
    """
    left_bits, left_denominator = left._bound or left.bound()
    right_bits, right_denominator = right._bound or right.bound()
    rows, inner = left.shape
    # (k - 1).bit_length() is ceil(log2(k)) for k >= 1, and 1 for k = 0.
    bits = left_bits + right_bits + (inner - 1).bit_length()
    return FlintMatrix(
        left.value * right.value,
        (rows, right.shape[1]),
        (bits, left_denominator * right_denominator),
    )


def _sum(left: FlintMatrix, right: FlintMatrix, subtract: bool) -> FlintMatrix:
    """Add or subtract two matrices and bound the result.

    Over ``L = lcm(D1, D2)`` the numerators are ``N1 * (L / D1)`` and
    ``N2 * (L / D2)``, and their sum needs at most one bit more than the
    longer of the two.
    """
    left_bits, left_denominator = left._bound or left.bound()
    right_bits, right_denominator = right._bound or right.bound()
    if left_denominator == right_denominator:
        common = left_denominator
    else:
        common = math.lcm(left_denominator, right_denominator)
        left_bits += (common // left_denominator).bit_length()
        right_bits += (common // right_denominator).bit_length()
    value = left.value - right.value if subtract else left.value + right.value
    bits = (left_bits if left_bits > right_bits else right_bits) + 1
    return FlintMatrix(value, left.shape, (bits, common))


def _scaled(matrix: FlintMatrix, scalar: Any) -> Any:
    """Multiply by an ``int``, ``fmpz`` or ``fmpq`` ``p/q`` and bound the result.

    The numerators gain the bits of ``p`` and the denominator a factor ``q``.
    """
    if isinstance(scalar, int):
        numerator, denominator = scalar, 1
    elif isinstance(scalar, _FLINT_SCALARS):
        numerator, denominator = int(scalar.numerator), int(scalar.denominator)
    else:
        return NotImplemented
    bits, common = matrix._bound or matrix.bound()
    return FlintMatrix(
        matrix.value * scalar,
        matrix.shape,
        (bits + numerator.bit_length(), common * denominator),
    )


class FlintArithmetic:
    """Arithmetic on python-flint ``fmpq_mat`` matrices of rationals.

    Values in this arithmetic are :class:`FlintMatrix` objects, which carry
    a bound on the length of their entries through the arithmetic. Only
    built when SymPy's ground types are flint, because the matrices it
    returns hold flint's ``fmpq`` entries as SymPy ``QQ`` elements.
    """

    name = "flint"

    def __init__(self) -> None:
        import flint

        self._matrix = flint.fmpq_mat
        self._number = flint.fmpq
        self._height = flint.fmpq.height_bits
        # Recent conversions of immutable SymPy matrices, such as the initial
        # parameters, x and y, keyed by id. Each entry references the matrix,
        # so its id cannot be reused while the entry is cached.
        self._taken: OrderedDict[int, tuple[sympy.MatrixBase, FlintMatrix]] = (
            OrderedDict()
        )
        # Threads that train at the same time share this arithmetic.
        self._taken_lock = threading.Lock()

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

    def take(self, matrix: Any) -> FlintMatrix:
        """Convert a rational SymPy matrix to a :class:`FlintMatrix`.

        The last :data:`TAKEN_CACHE_SIZE` conversions of immutable SymPy
        matrices are kept, so an immutable matrix converted recently is not
        converted again. Values already in this arithmetic's form (a
        :class:`FlintMatrix` or an ``fmpq_mat``) are returned as such.
        """
        native = _as_flint_matrix(matrix)
        if native is not None:
            return native
        key = id(matrix)
        with self._taken_lock:
            cached = self._taken.get(key)
            if cached is not None and cached[0] is matrix:
                self._taken.move_to_end(key)
                return cached[1]
        native = FlintMatrix(self._convert(matrix), matrix.shape)
        if isinstance(matrix, _IMMUTABLE_MATRICES):
            with self._taken_lock:
                self._taken[key] = (matrix, native)
                if len(self._taken) > TAKEN_CACHE_SIZE:
                    self._taken.popitem(last=False)
        return native

    def _convert(self, matrix: sympy.MatrixBase) -> Any:
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

    def transpose(self, native: Any) -> FlintMatrix:
        """Return the transpose."""
        if type(native) is not FlintMatrix:
            native = self.take(native)
        return native.transpose()

    def hadamard(self, left: Any, right: Any) -> FlintMatrix:
        """Return the element-wise product.

        Entry by entry the numerators multiply and so do the denominators,
        so the bits add and the common denominators multiply.
        """
        left, right = self.take(left), self.take(right)
        products = [x * y for x, y in zip(left.value.entries(), right.value.entries())]
        left_bits, left_denominator = left.bound()
        right_bits, right_denominator = right.bound()
        rows, cols = left.shape
        return FlintMatrix(
            self._matrix(rows, cols, products),
            left.shape,
            (left_bits + right_bits, left_denominator * right_denominator),
        )

    def activate(self, activation: Activation, native: Any) -> FlintMatrix:
        """Apply the activation's rational form to every entry."""
        return self._map(activation.rational_function, native)

    def slope(self, activation: Activation, native: Any) -> FlintMatrix:
        """Apply the rational form of the activation's derivative to every entry."""
        return self._map(activation.rational_slope, native)

    def _map(self, function: Callable[[Any], Any] | None, native: Any) -> FlintMatrix:
        if function is None:
            raise TypeError("the flint arithmetic needs a rational function")
        if type(native) is not FlintMatrix:
            native = self.take(native)
        values = [function(entry) for entry in native.value.entries()]
        rows, cols = native.shape
        return FlintMatrix(self._matrix(rows, cols, values), native.shape)

    def loss_value(self, loss: Loss, a: Any, y: Any) -> Any:
        """Return the loss of output ``a`` for target ``y`` as an ``fmpq``."""
        if loss.rational_value is None:
            raise TypeError(f"loss {loss.name!r} has no rational form")
        return self._number(loss.rational_value(a.entries(), y.entries()))

    def loss_gradient(self, loss: Loss, a: Any, y: Any) -> FlintMatrix:
        """Return dL/da for output ``a`` and target ``y``."""
        if loss.rational_gradient is None:
            raise TypeError(f"loss {loss.name!r} has no rational form")
        gradient = loss.rational_gradient(a.entries(), y.entries())
        rows, cols = a.nrows(), a.ncols()
        return FlintMatrix(self._matrix(rows, cols, gradient), (rows, cols))

    def finish(
        self, native: Any, rounding: RoundingPolicy | None, immutable: bool = False
    ) -> Finished:
        """Round a computed matrix and bound the length of its entries.

        Without rounding the height is the bound that the arithmetic carried,
        and the entries are the :class:`FlintMatrix` itself, read only if a
        caller iterates over it. The conversion to SymPy waits in a
        :class:`~derivation.lazy.Deferred` until a caller reads the value.
        With ``immutable`` it builds a ``sympy.ImmutableMatrix``, as layers
        hold.
        """
        tracked = native if type(native) is FlintMatrix else self.take(native)
        if rounding is not None:
            return self._finish_rounded(tracked, rounding, immutable)
        bits, denominator = tracked._bound or tracked.bound()
        height = bits if bits > denominator.bit_length() else denominator.bit_length()
        conversion = _FlintConversion(tracked.value, tracked.shape, immutable)
        return Finished(tracked, conversion, tracked, height)

    def _finish_rounded(
        self, native: FlintMatrix, rounding: RoundingPolicy, immutable: bool
    ) -> Finished:
        rows, cols = native.shape
        entries = [self._round(entry, rounding) for entry in native.entries()]
        value = self._matrix(rows, cols, entries)
        height = max(map(self._height, entries), default=0)
        conversion = _FlintConversion(value, native.shape, immutable)
        return Finished(FlintMatrix(value, native.shape), conversion, entries, height)

    def finish_scalar(self, value: Any, rounding: RoundingPolicy | None) -> Finished:
        """Round a computed ``fmpq``, measure it and convert it to SymPy."""
        if rounding is not None:
            value = self._round(value, rounding)
        scalar = sympy.Rational(int(value.p), int(value.q))
        return Finished(value, scalar, [value], value.height_bits())

    def _round(self, value: Any, rounding: RoundingPolicy) -> Any:
        return self._number(*rounding.round(int(value.p), int(value.q)))


class _FlintConversion(Deferred):
    """The conversion of an ``fmpq_mat`` to a SymPy matrix, run on first read."""

    __slots__ = ("_source", "_immutable")
    # Always given here, unlike in Deferred.
    shape: tuple[int, int]

    def __init__(self, source: Any, shape: tuple[int, int], immutable: bool) -> None:
        self._source = source
        self._immutable = immutable
        self.shape = shape

    def value(self) -> Any:
        """Build the SymPy matrix on the first call and return it on every call."""
        source = self._source
        if source is not None:
            rows, cols = self.shape
            self._value = to_sympy(rows, cols, source.entries(), self._immutable)
            self._source = None
        return self._value


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


def _flint_types() -> tuple[
    type[fmpq_mat] | None,
    tuple[type[fmpz], type[fmpq]] | tuple[()],
    Callable[[fmpz], int] | None,
]:
    """Return python-flint's matrix type, scalar types and ``fmpz.bit_length``."""
    try:
        import flint
    except ImportError:
        return None, (), None
    return flint.fmpq_mat, (flint.fmpz, flint.fmpq), flint.fmpz.bit_length


_FMPQ_MAT, _FLINT_SCALARS, _BIT_LENGTH = _flint_types()
_FMPQ = _FLINT_SCALARS[1] if _FLINT_SCALARS else None


GENERAL = GeneralArithmetic()

# The fast arithmetic, or None when SymPy does not run on flint ground types.
FLINT = _flint_arithmetic()
