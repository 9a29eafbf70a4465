"""The one error family krocr raises on bad input.

Every message names the file and the item (line, region, key) it is about, so a user can
fix the input without reading a traceback.
"""

from __future__ import annotations


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


class LabelError(KrocrError):
    """A label cannot be used for training (empty, too long, unalignable)."""


class ConfigError(KrocrError):
    """A configuration file or override is invalid (unknown key, wrong type)."""


class CheckpointError(KrocrError):
    """A weights file is missing, corrupt, unsafe or does not fit the model."""


class DataError(KrocrError):
    """An annotation file, image or dataset cannot be read or holds nothing usable."""
