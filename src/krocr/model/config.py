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
# 32 is the reference's input; taller inputs leave conv6_1 2 (48) or 3 (64) rows high, and
# a max over them keeps every weight's shape, so a 32-px model's weights start a taller one
CRNN_HEIGHTS = (32, 48, 64)
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
        if not integer(self.input_height) or self.input_height not in CRNN_HEIGHTS:
            raise ConfigError(f"model.input_height must be one of {CRNN_HEIGHTS}, got {self.input_height!r:.60}")

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


SVTR_HEIGHTS = (32, 48, 64)  # the backbone halves the height four times, then averages it away


@dataclass(frozen=True)
class SVTRConfig:
    """An SVTR-LCNet-style CTC recognizer (issue #28): a depthwise-separable CNN that pools the
    height to 1 and keeps W/4 time steps, a neck of global self-attention blocks over that
    sequence, and a linear CTC head. Stored in weights metadata with ``"arch": "svtr"``."""

    num_classes: int
    arch: Literal["svtr"] = "svtr"
    input_height: int = 48
    channels: tuple[int, int, int, int] = (64, 128, 256, 512)  # stem, then stages 2–4
    blocks: tuple[int, int, int] = (2, 4, 2)  # depthwise-separable blocks per stage
    dim: int = 256  # width of the attention neck: 1.9 M parameters with jamo tokens, 2.5 M with syllables
    depth: int = 2  # transformer blocks in the neck
    heads: int = 8
    dropout: float = 0.1

    def __post_init__(self) -> None:
        # the values may come from a weights file: neither types nor ranges are trusted
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "blocks", tuple(self.blocks))

        def integers(values: tuple, low: int, high: int) -> bool:
            return all(isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in values)

        if not integers((self.num_classes,), 2, MAX_CLASSES):
            raise ConfigError(f"num_classes must be an integer from 2 to {MAX_CLASSES}, got {self.num_classes!r:.60}")
        if self.arch != "svtr":
            raise ConfigError(f"an SVTR config has arch 'svtr', got {self.arch!r:.60}")
        if self.input_height not in SVTR_HEIGHTS:
            raise ConfigError(f"model.input_height must be one of {SVTR_HEIGHTS}, got {self.input_height!r:.60}")
        if len(self.channels) != 4 or not integers(self.channels, 1, 4096):
            raise ConfigError(f"model.channels must be 4 integers from 1 to 4096, got {self.channels!r:.60}")
        if len(self.blocks) != 3 or not integers(self.blocks, 1, 64):
            raise ConfigError(f"model.blocks must be 3 integers from 1 to 64, got {self.blocks!r:.60}")
        if not integers((self.dim, self.depth, self.heads), 1, 4096) or self.dim % self.heads:
            raise ConfigError(
                f"model.dim must be a positive multiple of model.heads, and depth ≥ 1; got dim {self.dim!r:.20}, "
                f"heads {self.heads!r:.20}, depth {self.depth!r:.20}"
            )
        if not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ConfigError(f"model.dropout must be a number in [0, 1), got {self.dropout!r:.60}")

    def to_dict(self) -> dict:
        return {**asdict(self), "channels": list(self.channels), "blocks": list(self.blocks)}

    @classmethod
    def from_dict(cls, data: dict) -> SVTRConfig:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown model config keys for arch 'svtr': {sorted(unknown)}")
        return cls(**data)


ModelConfig = CRNNConfig | SVTRConfig


def model_config_from_dict(data: object) -> ModelConfig:
    """A weights file's ``model`` metadata → its config. Files without ``arch`` are CRNNs
    (every file written before the second architecture)."""
    if not isinstance(data, dict):
        raise ConfigError(f"model config must be a mapping, got {type(data).__name__}")
    arch = data.get("arch", "crnn")
    if arch == "svtr":
        return SVTRConfig.from_dict(data)
    if arch == "crnn":
        return CRNNConfig.from_dict({k: v for k, v in data.items() if k != "arch"})
    raise ConfigError(f"unknown model arch {arch!r:.40}; krocr knows 'crnn' and 'svtr'")


def frames_for_width(config: ModelConfig, input_width: int) -> int:
    """CTC frames a model emits for an input of this width."""
    if isinstance(config, SVTRConfig):
        return (input_width + 3) // 4  # two stride-2 convolutions on the width, padded
    return output_length(input_width)
