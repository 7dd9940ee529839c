"""Tests for the bounds that the flint arithmetic carries and the fast LaTeX path."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivation.backend import FLINT, FlintMatrix
from derivation.errors import LimitError
from derivation.growth import DigitLimit
from derivation.render import tex
from derivation.render.number_format import NumberFormat

R = sympy.Rational

needs_flint = pytest.mark.skipif(FLINT is None, reason="SymPy is not on flint")

# Rationals with up to 30-digit parts and denominators that are powers of 10
# or arbitrary, so that common denominators both stay small and grow.
_NUMERATORS = st.integers(-(10**30), 10**30)
_DENOMINATORS = st.one_of(
    st.integers(0, 12).map(lambda power: 10**power), st.integers(1, 10**30)
)
rationals = st.builds(R, _NUMERATORS, _DENOMINATORS)


def matrices(rows: int, cols: int) -> st.SearchStrategy[sympy.Matrix]:
    return st.lists(rationals, min_size=rows * cols, max_size=rows * cols).map(
        lambda entries: sympy.Matrix(rows, cols, entries)
    )


def exact_height(matrix: FlintMatrix) -> int:
    return max(
        (max(abs(int(e.p)).bit_length(), int(e.q).bit_length()) for e in matrix),
        default=0,
    )


@st.composite
def matrix_pairs(draw: st.DrawFn) -> tuple[sympy.Matrix, sympy.Matrix, sympy.Matrix]:
    """Draw A (r x k), B (k x c) and C (r x c), so A B and A B + C exist."""
    rows, inner, cols = (draw(st.integers(1, 4)) for _ in range(3))
    return (
        draw(matrices(rows, inner)),
        draw(matrices(inner, cols)),
        draw(matrices(rows, cols)),
    )


@needs_flint
@settings(max_examples=150, deadline=None)
@given(matrix_pairs(), rationals)
def test_bound_covers_every_operation(pair, scalar):
    a, b, c = pair
    left, right, other = FLINT.take(a), FLINT.take(b), FLINT.take(c)
    rate = FLINT.scalar(scalar)
    results = {
        "product": (left * right, a * b),
        "sum": (left * right + other, a * b + c),
        "difference": (other - left * right, c - a * b),
        "scaled": (rate * other, scalar * c),
        "transpose": (FLINT.transpose(left), a.T),
        "hadamard": (FLINT.hadamard(other, other), c.multiply_elementwise(c)),
        "negation": (-other, -c),
    }
    if scalar != 0:
        results["quotient"] = (other / rate, c / scalar)
    for name, (native, expected) in results.items():
        finished = FLINT.finish(native, None)
        assert finished.matrix.value() == expected, name
        assert finished.height_bits >= exact_height(native), name


@needs_flint
@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(10**30), 10**30), min_size=3, max_size=3))
def test_bound_of_integer_column_is_tight(column):
    # S <= 3 * max**2 adds at most 2 bits to S, so at most 1 to its root.
    native = FLINT.take(sympy.Matrix(column))
    assert exact_height(native) <= native.height_bits() <= exact_height(native) + 1


@needs_flint
def test_take_keeps_immutable_conversion():
    matrix = sympy.ImmutableMatrix([[R(1, 2), 3]])
    assert FLINT.take(matrix) is FLINT.take(matrix)


@needs_flint
def test_take_converts_mutable_each_time():
    matrix = sympy.Matrix([[R(1, 2), 3]])
    first = FLINT.take(matrix)
    matrix[0, 0] = 5
    assert FLINT.take(matrix) is not first
    assert list(FLINT.take(matrix)) == [5, 3]


@needs_flint
def test_flint_matrix_iterates_like_sympy():
    native = FLINT.take(sympy.Matrix([[R(1, 2), 3], [0, R(-5, 7)]]))
    assert len(native) == 4
    assert list(native) == [R(1, 2), 3, 0, R(-5, 7)]


def column_product() -> tuple[object, int]:
    """Finish [10**30, 10**30] times its transpose, 2 * 10**60 (61 digits)."""
    row = FLINT.take(sympy.Matrix([[10**30, 10**30]]))
    finished = FLINT.finish(row * FLINT.transpose(row), None)
    return finished.entries, finished.height_bits


@needs_flint
def test_limit_check_counts_digits_within_limit():
    entries, height = column_product()
    limit = DigitLimit(61)
    assert height > limit.safe_bits
    limit.check(entries, height, "z", 1, 1)


@needs_flint
def test_limit_check_counts_digits_over_limit():
    entries, height = column_product()
    with pytest.raises(LimitError) as raised:
        DigitLimit(60).check(entries, height, "z", 1, 1)
    assert raised.value.digits == 61


STYLES = [
    NumberFormat(),
    NumberFormat("fraction"),
    NumberFormat("decimal", places=3),
    NumberFormat("mixed", significant=2),
    NumberFormat(repeating=True),
    NumberFormat(decimal_separator="comma"),
]


@pytest.mark.parametrize("numbers", STYLES, ids=repr)
def test_write_matrix_matches_write(numbers):
    values = sympy.Matrix([[R(1, 3), 0, R(-239, 400)], [7, R(1, 2**40), R(-22, 7)]])
    expected = [[numbers.write(entry) for entry in row] for row in values.tolist()]
    assert NumberFormat.from_mapping({}, numbers).write_matrix(values) == expected


def test_write_matrix_of_symbols_uses_sympy():
    written = NumberFormat().write_matrix(sympy.Matrix([[sympy.sqrt(2), 1]]))
    assert [cell.latex for cell in written[0]] == [r"\sqrt{2}", "1"]


def test_matrix_width_matches_number_width():
    values = sympy.Matrix([[R(-239, 400), R(1, 3)], [12, R(-5, 7)]])
    piece = tex.matrix(values)
    columns = [["-0.5975", "12"], [r"\frac{1}{3}", r"-\frac{5}{7}"]]
    expected = (
        1.0
        + sum(
            max(tex.number_width(cell, 0.5, in_matrix=True) for cell in column)
            for column in columns
        )
        + 1.0
    )
    assert piece.width == expected
