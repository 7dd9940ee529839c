"""Reading rendering settings from spec tables and command-line text.

Settings objects such as :class:`~derivation.render.notation.Notation` and
:class:`~derivation.render.number_format.NumberFormat` are built from a
mapping of keys to values. Values come from a TOML table (strings, integers,
booleans) or from ``KEY=VALUE`` text on the command line (always strings).
The readers here accept both forms. They reject everything else with a
message that names the setting, what it expects and what it found.

>>> parse_assignments(["layer_marks=parentheses,transpose=top"], "--notation")
{'layer_marks': 'parentheses', 'transpose': 'top'}
>>> read_integer("numbers", "places", "3", 0, 20)
3
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import DerivationError


class SettingError(DerivationError):
    """A rendering setting with an unknown key or an invalid value.

    The message has the form ``GROUP: KEY: expected ..., found ...``; the
    parts are kept so that the spec reader can name its file and table.

    >>> str(SettingError("notation", "transpose", "one of T, top", "'t'"))
    "notation: transpose: expected one of T, top, found 't'"
    """

    def __init__(self, group: str, key: str, expected: str, found: str) -> None:
        self.group = group
        self.key = key
        self.expected = expected
        self.found = found
        super().__init__(f"{group}: {key}: expected {expected}, found {found}")


def parse_assignments(texts: Iterable[str], option: str) -> dict[str, str]:
    """Read ``KEY=VALUE`` items, several to a text when separated by commas.

    Later items replace earlier ones with the same key.

    Raises
    ------
    DerivationError
        If an item has no ``=`` or an empty key; the message names ``option``.
    """
    settings: dict[str, str] = {}
    for text in texts:
        for item in text.split(","):
            key, equals, value = item.partition("=")
            if not equals or not key.strip():
                raise DerivationError(
                    f"{option}: expected KEY=VALUE items separated by commas, "
                    f"found {item!r}"
                )
            settings[key.strip()] = value.strip()
    return settings


def reject_unknown_keys(
    group: str, settings: Mapping[str, Any], known: Sequence[str]
) -> None:
    """Raise :class:`SettingError` for the first key not in ``known``."""
    for key in settings:
        if key not in known:
            raise SettingError(
                group,
                key,
                f"a known key ({', '.join(known)})",
                f"the unknown key {key!r}",
            )


def read_choice(group: str, key: str, value: Any, valid: Sequence[str]) -> str:
    """Return ``value`` if it is one of the strings in ``valid``."""
    if not isinstance(value, str) or value not in valid:
        raise SettingError(
            group, key, f"one of {', '.join(valid)}", describe_value(value)
        )
    return value


def read_integer(group: str, key: str, value: Any, low: int, high: int) -> int:
    """Return ``value`` as an integer from ``low`` to ``high``.

    Integers and strings of decimal digits are accepted; booleans are not.
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and len(value) < 20:
        text = value.strip()
        if text.isdigit() or (text.startswith("-") and text[1:].isdigit()):
            number = int(text)
    if number is None or not low <= number <= high:
        raise SettingError(
            group, key, f"an integer from {low} to {high}", describe_value(value)
        )
    return number


def read_flag(group: str, key: str, value: Any) -> bool:
    """Return ``value`` as a boolean: ``true`` or ``false``, as TOML or text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise SettingError(group, key, "true or false", describe_value(value))


def describe_value(value: Any) -> str:
    """Describe a setting's value for an error message, briefly."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        return repr(shown)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"a value of type {type(value).__name__}"
