"""How a step turns gradients into new parameters.

Plain gradient descent subtracts the learning rate ``eta`` times the
gradient. Two additions that exercises set are supported, each written out
in the rendered update:

* **L2 weight decay** with factor ``lambda`` adds ``lambda/2 * ||W||^2`` to
  the loss for every weight matrix (not the biases), so the weights'
  gradient becomes ``dW + lambda W``.
* **Momentum** with factor ``mu`` keeps a velocity per parameter, zero
  before the first step: ``v <- mu v + g`` and ``W <- W - eta v``, where
  ``g`` is the gradient (with the decay term, if any).

Adam is left out: its update divides by the square root of a running mean
of squared gradients, so every step's exact values are new algebraic
numbers (nested square roots of sums) that no hand solution writes out,
and the ``epsilon`` in the denominator keeps them from simplifying.

>>> Optimizer(momentum="0.9").describe()
'gradient descent with momentum 9/10'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import DerivationError
from .numbers import to_exact


@dataclass(frozen=True)
class Optimizer:
    """Gradient descent, optionally with momentum and L2 weight decay.

    Parameters
    ----------
    momentum
        The momentum factor ``mu`` (``0 <= mu < 1``), or ``None`` for none.
    weight_decay
        The L2 factor ``lambda`` (``>= 0``); 0 for none.

    Raises
    ------
    DerivationError
        If a factor is not an exact rational in its range.
    """

    momentum: Any = None
    weight_decay: Any = 0

    def __post_init__(self) -> None:
        if self.momentum is not None:
            mu = to_exact(self.momentum)
            if not 0 <= mu < 1:
                raise DerivationError(f"momentum: expected 0 <= mu < 1, found {mu}")
            object.__setattr__(self, "momentum", mu)
        decay = to_exact(self.weight_decay)
        if decay < 0:
            raise DerivationError(f"weight_decay: expected >= 0, found {decay}")
        object.__setattr__(self, "weight_decay", decay)

    @property
    def uses_momentum(self) -> bool:
        """Whether the update keeps a velocity."""
        return self.momentum is not None

    @property
    def decays(self) -> bool:
        """Whether the weights' gradient has an L2 term."""
        return self.weight_decay != 0

    @property
    def is_plain(self) -> bool:
        """Whether this is gradient descent with neither addition."""
        return not self.uses_momentum and not self.decays

    def describe(self) -> str:
        """Say in words what the update does."""
        words = "gradient descent"
        if self.uses_momentum:
            words += f" with momentum {self.momentum}"
        if self.decays:
            words += f" and L2 weight decay {self.weight_decay}"
        return words

    def to_dict(self) -> dict[str, str]:
        """Return the settings as exact strings, for JSON."""
        settings = {}
        if self.uses_momentum:
            settings["momentum"] = str(self.momentum)
        if self.decays:
            settings["weight_decay"] = str(self.weight_decay)
        return settings


PLAIN = Optimizer()
