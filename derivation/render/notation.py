"""How quantities are named in a rendered derivation.

:class:`Notation` is a plain settings object. Its defaults follow the common
textbook form: layer superscripts in brackets, layers counted from 1, the
input written ``a^{[0]}``, gradients as ``\\frac{\\partial L}{\\partial W^{[1]}}``
and ``\\odot`` for element-wise products.

>>> notation = Notation()
>>> notation.symbol("W", 2)
'W^{[2]}'
>>> notation.transposed("a", 1)
'a^{[1]T}'
>>> notation.gradient("z", 3)
'\\\\frac{\\\\partial L}{\\\\partial z^{[3]}}'
>>> Notation(layer_marks="parentheses").symbol("z", 1)
'z^{(1)}'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import DerivationError

_LAYER_MARKS = {"brackets": ("[", "]"), "parentheses": ("(", ")")}
_GRADIENTS = {
    "partial": r"\frac{{\partial L}}{{\partial {0}}}",
    "dL/d": r"{{\partial L}}/{{\partial {0}}}",
}
_TRANSPOSES = {"T": "T", "top": r"\top"}
_PRODUCTS = {"odot": r"\odot", "*": "*"}


@dataclass(frozen=True)
class Notation:
    """Names and symbols used throughout a derivation.

    Parameters
    ----------
    layer_marks
        ``"brackets"`` for ``W^{[1]}`` or ``"parentheses"`` for ``W^{(1)}``.
    gradient_style
        ``"partial"`` for a fraction of partial derivatives, ``"dL/d"`` for
        the inline form.
    transpose
        ``"T"`` or ``"top"`` (``\\top``).
    product
        ``"odot"`` or ``"*"`` for element-wise products.

    Raises
    ------
    DerivationError
        If a setting has an unknown value; the message lists the valid ones.
    """

    layer_marks: str = "brackets"
    gradient_style: str = "partial"
    transpose: str = "T"
    product: str = "odot"

    def __post_init__(self) -> None:
        choices: dict[str, Mapping[str, object]] = {
            "layer_marks": _LAYER_MARKS,
            "gradient_style": _GRADIENTS,
            "transpose": _TRANSPOSES,
            "product": _PRODUCTS,
        }
        for name, valid in choices.items():
            value = getattr(self, name)
            if value not in valid:
                raise DerivationError(
                    f"notation: {name}: expected one of {', '.join(valid)}, "
                    f"found {value!r}"
                )

    def symbol(self, name: str, layer: int | str) -> str:
        """Write a per-layer quantity, such as ``z^{[2]}``."""
        return f"{name}^{{{self.layer_mark(layer)}}}"

    def transposed(self, name: str, layer: int | str) -> str:
        """Write the transpose of a per-layer quantity, such as ``W^{[2]T}``."""
        return f"{name}^{{{self.layer_mark(layer)}{self.transpose_mark}}}"

    def gradient_of(self, quantity: str) -> str:
        """Write the derivative of the loss with respect to ``quantity``."""
        return _GRADIENTS[self.gradient_style].format(quantity)

    def gradient(self, name: str, layer: int | str) -> str:
        """Write the derivative of the loss with respect to a per-layer quantity."""
        return self.gradient_of(self.symbol(name, layer))

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
        return f"{opening}{layer}{closing}"
