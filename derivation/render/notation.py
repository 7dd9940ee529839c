"""How quantities are named in a rendered derivation.

:class:`Notation` is a plain settings object. Its defaults follow the common
textbook form: layer superscripts in brackets, layers counted from 1, the
input written ``a^{[0]}``, gradients as ``\\frac{\\partial L}{\\partial W^{[1]}}``
and ``\\odot`` for element-wise products.

Layers are passed to the methods as positions: ``0`` is the input and ``1``
the first layer, whatever number the notation prints for them. Strings such
as ``"l"`` and ``"l-1"`` are printed as given.

>>> notation = Notation()
>>> notation.symbol("W", 2)
'W^{[2]}'
>>> notation.transposed("a", 1)
'a^{[1]T}'
>>> notation.gradient("z", 3)
'\\\\frac{\\\\partial L}{\\\\partial z^{[3]}}'
>>> Notation(layer_marks="parentheses").symbol("z", 1)
'z^{(1)}'
>>> zero_based = Notation(first_layer=0, case="upper")
>>> zero_based.symbol("a", 1), zero_based.symbol("a", 0)
('A^{[0]}', 'X')
>>> Notation(gradient_style="delta").gradient("z", 2)
'\\\\delta^{[2]}'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from .settings import (
    SettingError,
    describe_value,
    read_choice,
    reject_unknown_keys,
)

_GROUP = "notation"
_LAYER_MARKS = {"brackets": ("[", "]"), "parentheses": ("(", ")")}
_PARTIAL = r"\frac{{\partial L}}{{\partial {0}}}"
_GRADIENTS = {
    "partial": _PARTIAL,
    "dL/d": r"{{\partial L}}/{{\partial {0}}}",
    "d": r"\frac{{dL}}{{d{0}}}",
    "dW": r"d{0}",
    # delta^[l] is dL/dz^[l]; every other gradient keeps the partial fraction.
    "delta": _PARTIAL,
}
_TRANSPOSES = {"T": "T", "top": r"\top"}
# \ast prints as *, and unlike a bare * it cannot start Markdown emphasis.
_PRODUCTS = {"odot": r"\odot", "*": r"\ast"}
_CASES = ("lower", "upper")
_INPUTS = ("a", "x")
_FIRST_LAYERS = (0, 1)
# Quantities whose letter follows the case setting.
_CASED = frozenset("zaxy")


@dataclass(frozen=True)
class Notation:
    """Names and symbols used throughout a derivation.

    Parameters
    ----------
    layer_marks
        ``"brackets"`` for ``W^{[1]}`` or ``"parentheses"`` for ``W^{(1)}``.
    first_layer
        The number of the layer that reads the input: ``1`` (default) or
        ``0``.
    input
        ``"a"`` writes the input as the output of a layer before the first,
        ``a^{[0]}``; ``"x"`` writes it ``x``. The default is ``"a"`` when
        layers count from 1 and ``"x"`` when they count from 0, where ``"a"``
        is invalid because no layer number is left for the input.
    gradient_style
        How ``dL/dW`` is written: ``"partial"`` for a fraction of partial
        derivatives, ``"dL/d"`` for the inline form ``\\partial L/\\partial W``,
        ``"d"`` for ``\\frac{dL}{dW}``, ``"dW"`` for the shorthand ``dW``, or
        ``"delta"`` for ``\\delta^{[l]}`` in place of ``dL/dz^{[l]}`` and
        partial fractions for the other gradients.
    case
        ``"lower"`` for ``z``, ``a``, ``x``, ``y``; ``"upper"`` for ``Z``,
        ``A``, ``X``, ``Y``. Weights and biases are always ``W`` and ``b``.
    transpose
        ``"T"`` or ``"top"`` (``\\top``).
    product
        ``"odot"`` or ``"*"`` for element-wise products.

    Raises
    ------
    SettingError
        If a setting has an unknown value; the message lists the valid ones.
    """

    layer_marks: str = "brackets"
    gradient_style: str = "partial"
    transpose: str = "T"
    product: str = "odot"
    first_layer: int = 1
    input: str | None = None
    case: str = "lower"

    def __post_init__(self) -> None:
        choices: dict[str, tuple[str, ...]] = {
            "layer_marks": tuple(_LAYER_MARKS),
            "gradient_style": tuple(_GRADIENTS),
            "transpose": tuple(_TRANSPOSES),
            "product": tuple(_PRODUCTS),
            "case": _CASES,
        }
        for name, valid in choices.items():
            read_choice(_GROUP, name, getattr(self, name), valid)
        if self.input is not None:
            read_choice(_GROUP, "input", self.input, _INPUTS)
        first = self.first_layer
        if isinstance(first, bool) or first not in _FIRST_LAYERS:
            raise SettingError(_GROUP, "first_layer", "0 or 1", describe_value(first))
        if first == 0 and self.input == "a":
            raise SettingError(
                _GROUP,
                "input",
                "x when first_layer is 0, because no layer number is left for "
                "the input",
                "'a'",
            )

    @classmethod
    def from_mapping(
        cls, settings: Mapping[str, Any], base: Notation | None = None
    ) -> Notation:
        """Build a notation from a ``[notation]`` table or ``KEY=VALUE`` text.

        Keys not in ``settings`` keep their value in ``base`` (the defaults
        when ``base`` is ``None``).

        Raises
        ------
        SettingError
            For an unknown key or an invalid value.

        >>> Notation.from_mapping({"first_layer": "0", "transpose": "top"}).input_is_x
        True
        """
        known = [field.name for field in fields(cls)]
        reject_unknown_keys(_GROUP, settings, known)
        values = dict(settings)
        if values.get("first_layer") in ("0", "1"):
            values["first_layer"] = int(values["first_layer"])
        return replace(base or cls(), **values)

    @property
    def input_is_x(self) -> bool:
        """Whether the input is written ``x`` rather than ``a^{[0]}``."""
        return self.input == "x" or (self.input is None and self.first_layer == 0)

    @property
    def input_name(self) -> str:
        """The input sample: ``x`` or ``X``."""
        return self.letter("x")

    @property
    def target_name(self) -> str:
        """The target: ``y`` or ``Y``."""
        return self.letter("y")

    def letter(self, name: str) -> str:
        """Write the letter of a quantity in the chosen case."""
        return name.upper() if self.case == "upper" and name in _CASED else name

    def layer_number(self, layer: int) -> int:
        """Return the printed number of the layer at ``layer`` (1 is the first)."""
        return layer - 1 + self.first_layer

    def symbol(self, name: str, layer: int | str) -> str:
        """Write a per-layer quantity, such as ``z^{[2]}``."""
        if self.is_input(name, layer):
            return self.input_name
        return f"{self.letter(name)}^{{{self.layer_mark(layer)}}}"

    def transposed(self, name: str, layer: int | str) -> str:
        """Write the transpose of a per-layer quantity, such as ``W^{[2]T}``."""
        if self.is_input(name, layer):
            return f"{self.input_name}^{{{self.transpose_mark}}}"
        mark = self.layer_mark(layer)
        return f"{self.letter(name)}^{{{mark}{self.transpose_mark}}}"

    def gradient_of(self, quantity: str) -> str:
        """Write the derivative of the loss with respect to ``quantity``."""
        return _GRADIENTS[self.gradient_style].format(quantity)

    def gradient(self, name: str, layer: int | str) -> str:
        """Write the derivative of the loss with respect to a per-layer quantity."""
        if self.gradient_style == "delta" and name.lower() == "z":
            return rf"\delta^{{{self.layer_mark(layer)}}}"
        return self.gradient_of(self.symbol(name, layer))

    def is_input(self, name: str, layer: int | str) -> bool:
        """Whether ``name`` at ``layer`` is the input written as ``x``."""
        return name.lower() == "a" and layer == 0 and self.input_is_x

    @property
    def transpose_mark(self) -> str:
        """The superscript that marks a transpose."""
        return _TRANSPOSES[self.transpose]

    @property
    def elementwise(self) -> str:
        """The operator of element-wise products."""
        return _PRODUCTS[self.product]

    def layer_mark(self, layer: int | str) -> str:
        """Write the layer index with its brackets, such as ``[2]``."""
        opening, closing = _LAYER_MARKS[self.layer_marks]
        label = self.layer_number(layer) if isinstance(layer, int) else layer
        return f"{opening}{label}{closing}"
