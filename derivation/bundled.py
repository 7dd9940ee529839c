"""The example specs shipped inside the package.

>>> "relu-1-2-2-1" in example_names()
True
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from .errors import DerivationError


def _folder() -> Traversable:
    return resources.files("derivation") / "examples"


def example_names() -> list[str]:
    """Return the names of the bundled examples, sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _folder().iterdir()
        if entry.name.endswith(".toml")
    )


def example_text(name: str) -> str:
    """Return the TOML text of a bundled example.

    Raises
    ------
    DerivationError
        If no example has that name; the message lists the names there are.
    """
    if name not in example_names():
        raise DerivationError(
            f"no bundled example named {name!r}; "
            f"available: {', '.join(example_names())}"
        )
    return (_folder() / f"{name}.toml").read_text(encoding="utf-8")
