"""Values built on first read, for the fields of records that the engine fills.

The engine computes with python-flint matrices, and at small widths turning
every computed matrix into a ``sympy.Matrix`` costs more than the arithmetic.
A :class:`Deferred` delays that conversion until a caller reads the value, and
a :class:`LazyField` is a dataclass field that accepts a value or a
:class:`Deferred` and always returns the value.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Record:
...     value: int = LazyField()
>>> Record(Deferred(lambda: 6 * 7)).value
42
>>> Record(5).value
5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Deferred:
    """A value that a zero-argument function builds on first use, then caches.

    One :class:`Deferred` may fill several fields, and all of them then
    return the same object.

    Attributes
    ----------
    shape
        The shape of the matrix it builds, readable without building it, or
        ``None`` when the value is not a matrix or the shape is not given.
    """

    __slots__ = ("_build", "_value", "shape")

    def __init__(
        self, build: Callable[[], Any], shape: tuple[int, int] | None = None
    ) -> None:
        self._build: Callable[[], Any] | None = build
        self._value: Any = None
        self.shape = shape

    def value(self) -> Any:
        """Build the value on the first call and return it on every call."""
        if self._build is not None:
            self._value = self._build()
            self._build = None
        return self._value


class LazyField:
    """A dataclass field whose stored :class:`Deferred` is resolved when read.

    Assigning stores the value as given, so building a record costs no
    conversion. Reading returns the value and keeps it in place of the
    :class:`Deferred`. Reading from the class raises ``AttributeError``, so
    ``dataclass`` gives the field no default.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            raise AttributeError(self._name)
        stored = instance.__dict__[self._name]
        if isinstance(stored, Deferred):
            stored = stored.value()
            instance.__dict__[self._name] = stored
        return stored

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self._name] = value


def stored_value(instance: Any, name: str) -> Any:
    """Return the value a :class:`LazyField` stores, without building a deferred one."""
    return instance.__dict__[name]
