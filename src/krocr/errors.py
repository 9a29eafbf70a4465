"""The one error family krocr raises on bad input.

Every message names the file and the item (line, region, key) it is about, so a user can
fix the input without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class KrocrError(Exception):
    """Base class of every error krocr raises for bad input or configuration."""


class CharsetError(KrocrError):
    """A charset file or definition is invalid (duplicates, reserved symbols, bad format)."""


class OutOfCharsetError(KrocrError):
    """A label holds characters the charset cannot encode and the policy is ``reject``."""

    def __init__(self, text: str, missing: list[str]):
        self.text = text
        self.missing = missing
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
        super().__init__(f"label {text!r} has characters outside the charset: {shown}")


class ConfigError(KrocrError):
    """A configuration file or override is invalid (unknown key, wrong type)."""


class InvalidOption(ConfigError):
    """A value of the right type but out of range; ``key`` is its dotted path."""

    def __init__(self, key: str, reason: str):
        self.key = key
        self.reason = reason
        super().__init__(f"{key}: {reason}")


class CheckpointError(KrocrError):
    """A weights file is missing, corrupt, unsafe or does not fit the model."""


class DataError(KrocrError):
    """An annotation file, image or dataset cannot be read or holds nothing usable."""


def read_input(path: Path, what: str, error: type[KrocrError], name: str | None = None) -> bytes:
    """The bytes of an input file. A missing or unreadable one raises ``error`` naming the file
    (``name``, by default the path) and ``what`` it was meant to be."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error(f"{name or path}: {what} not found") from None
    except OSError as exc:  # a directory, no permission, a name too long
        raise error(f"{name or path}: cannot read {what} ({exc.strerror or exc})") from None


def read_input_text(path: Path, what: str, error: type[KrocrError], name: str | None = None) -> str:
    """:func:`read_input` decoded as UTF-8 (a byte-order mark allowed)."""
    try:
        return read_input(path, what, error, name).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{name or path}: not UTF-8 ({exc})") from None


def repeated(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted, so an error can name every one given twice."""
    seen: set[str] = set()
    twice: set[str] = set()
    for name in names:
        (twice if name in seen else seen).add(name)
    return sorted(twice)
