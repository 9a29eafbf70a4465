"""The CRNN's architecture as data: what a weights file's ``model`` metadata holds and a
config's ``model:`` section builds. No torch here, so reading a file's metadata is cheap."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

from krocr.errors import ConfigError

Variant = Literal["reference", "slim"]

# (name, out channels, batch norm) per conv layer of the reference model.
CONV_LAYERS: tuple[tuple[str, int, bool], ...] = (
    ("conv1_1", 64, False),
    ("conv2_1", 128, False),
    ("conv3_1", 256, False),
    ("conv3_2", 256, False),
    ("conv4_1", 512, True),
    ("conv5_1", 512, True),
    ("conv6_1", 512, False),
)
WIDTH_FACTOR = {"reference": 1.0, "slim": 0.5}
_DEFAULT_RNN_UNITS = {"reference": 256, "slim": 128}
MAX_RNN_UNITS = 16384  # far beyond any useful size; guards against crafted weights metadata
MAX_CLASSES = 1 << 20  # more than all of Unicode's assigned characters


@dataclass(frozen=True)
class CRNNConfig:
    num_classes: int
    variant: Variant = "reference"
    activation: Literal["relu", "leaky_relu"] = "relu"
    leaky_slope: float = 0.05
    rnn: Literal["lstm", "gru"] = "lstm"
    rnn_units: int | None = None  # per direction; None = the variant's default
    rnn_dropout: float = 0.0  # dropout on each RNN layer's input (Keras `dropout`)
    input_height: int = 32
    extra: dict = field(default_factory=dict)  # reserved for forward-compatible metadata

    def __post_init__(self) -> None:
        # the values may come from a weights file: neither types nor ranges are trusted
        def integer(value: object) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        def number(value: object) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

        if not integer(self.num_classes) or not 2 <= self.num_classes <= MAX_CLASSES:
            raise ConfigError(
                f"num_classes must be an integer from 2 (blank + one symbol) to {MAX_CLASSES}, "
                f"got {self.num_classes!r:.60}"
            )
        if self.rnn_units is not None and (not integer(self.rnn_units) or not 1 <= self.rnn_units <= MAX_RNN_UNITS):
            raise ConfigError(
                f"model.rnn_units must be null or an integer from 1 to {MAX_RNN_UNITS}, got {self.rnn_units!r:.60}"
            )
        if not number(self.rnn_dropout) or not 0 <= self.rnn_dropout < 1:
            raise ConfigError(f"model.rnn_dropout must be a number in [0, 1), got {self.rnn_dropout!r:.60}")
        if not number(self.leaky_slope) or not 0 <= self.leaky_slope < 1:
            raise ConfigError(f"model.leaky_slope must be a number in [0, 1), got {self.leaky_slope!r:.60}")
        if not isinstance(self.extra, dict):
            raise ConfigError(f"model.extra must be a mapping, got {self.extra!r:.60}")
        if not isinstance(self.variant, str) or self.variant not in WIDTH_FACTOR:
            raise ConfigError(f"model.variant must be one of {sorted(WIDTH_FACTOR)}, got {self.variant!r:.60}")
        if self.activation not in ("relu", "leaky_relu"):
            raise ConfigError(f"model.activation must be 'relu' or 'leaky_relu', got {self.activation!r:.60}")
        if self.rnn not in ("lstm", "gru"):
            raise ConfigError(f"model.rnn must be 'lstm' or 'gru', got {self.rnn!r:.60}")
        if not integer(self.input_height) or self.input_height != 32:
            raise ConfigError(f"the CRNN's pooling is laid out for input height 32, got {self.input_height!r:.60}")

    @property
    def units(self) -> int:
        return self.rnn_units or _DEFAULT_RNN_UNITS[self.variant]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> CRNNConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"model config must be a mapping, got {type(data).__name__}")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**data)


def output_length(input_width: int) -> int:
    """Frames the CRNN emits for an input of this width (W/4 − 2)."""
    return input_width // 4 - 2


def min_input_width(frames: int) -> int:
    """Smallest input width that yields at least ``frames`` output frames."""
    return 4 * (frames + 2)
