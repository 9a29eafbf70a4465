"""The text detector as data: :class:`DetectorConfig` (the network a weights file describes)
and :class:`PostprocessConfig` (how a probability map becomes polygons). No torch here, so
reading a weights file's or an ONNX export's metadata is cheap."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from krocr.errors import ConfigError, InvalidOption

ARCH = "dbnet"
STRIDE = 32  # the backbone halves the input five times: heights and widths are multiples of this
# the longer side photos are brought to for detection (inference and training alike); 1024 until
# 2026-12-05, see docs/experiments/2026-12-05-detection-size.md
DEFAULT_MAX_SIDE = 1600
MAX_CHANNELS = 4096  # far beyond any useful width; guards against crafted weights metadata
MAX_BLOCKS = 64
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class DetectorConfig:
    """A DBNet: an LCNet-like depthwise-separable backbone (stem at 1/2, then stages at 1/4,
    1/8, 1/16 and 1/32), an FPN neck fusing the four stages at 1/4, and a DB head that
    upsamples probability and threshold maps to the input size.

    The defaults have 1.07 M parameters (docs/detection.md)."""

    channels: tuple[int, int, int, int, int] = (32, 64, 128, 256, 512)  # stem, then each stage's output
    blocks: tuple[int, int, int, int] = (1, 2, 6, 2)  # depthwise-separable blocks per stage
    large_kernel: int = 5  # depthwise kernel of the 1/16 and 1/32 stages (LCNet's 5×5: a wider view)
    neck: int = 96  # FPN channels; each level contributes neck / 4 to the fused map
    k: float = 50.0  # the amplification of the approximate binary map 1 / (1 + exp(-k (P - T)))
    mean: tuple[float, float, float] = IMAGENET_MEAN  # RGB in [0, 1] → (x - mean) / std
    std: tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        # the values may come from a weights file: neither types nor ranges are trusted
        if not isinstance(self.channels, (tuple, list)) or len(self.channels) != 5:
            raise InvalidOption("model.channels", f"must be 5 integers, got {self.channels!r:.60}")
        if not all(_integer(c) and 1 <= c <= MAX_CHANNELS for c in self.channels):
            raise InvalidOption(
                "model.channels", f"must be integers from 1 to {MAX_CHANNELS}, got {self.channels!r:.60}"
            )
        if not isinstance(self.blocks, (tuple, list)) or len(self.blocks) != 4:
            raise InvalidOption("model.blocks", f"must be 4 integers, got {self.blocks!r:.60}")
        if not all(_integer(b) and 1 <= b <= MAX_BLOCKS for b in self.blocks):
            raise InvalidOption("model.blocks", f"must be integers from 1 to {MAX_BLOCKS}, got {self.blocks!r:.60}")
        if not _integer(self.large_kernel) or self.large_kernel not in (3, 5, 7):
            raise InvalidOption("model.large_kernel", f"must be 3, 5 or 7, got {self.large_kernel!r:.60}")
        if not _integer(self.neck) or not 4 <= self.neck <= MAX_CHANNELS or self.neck % 4:
            raise InvalidOption(
                "model.neck", f"must be a multiple of 4 from 4 to {MAX_CHANNELS}, got {self.neck!r:.60}"
            )
        if not _number(self.k) or not 1 <= self.k <= 1000:
            raise InvalidOption("model.k", f"must be a number from 1 to 1000, got {self.k!r:.60}")
        for name in ("mean", "std"):
            value = getattr(self, name)
            if not isinstance(value, (tuple, list)) or len(value) != 3 or not all(_number(v) for v in value):
                raise InvalidOption(f"model.{name}", f"must be 3 numbers (R, G, B), got {value!r:.60}")
        if not all(s > 0 for s in self.std):
            raise InvalidOption("model.std", f"must be positive, got {self.std!r:.60}")
        # JSON gives lists: keep the fields hashable and comparable with the defaults
        for name in ("channels", "blocks", "mean", "std"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> DetectorConfig:
        """The config a weights file's ``config`` metadata describes; unknown keys are errors."""
        if not isinstance(data, dict):
            raise ConfigError(f"detector config must be a mapping, got {data!r:.60}")
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(data) - known):
            raise ConfigError(f"detector config has unknown keys {unknown}")
        return cls(**data)


@dataclass(frozen=True)
class PostprocessConfig:
    """How a probability map becomes polygons (:mod:`krocr.detection.postprocess`).

    The values are DBNet's and PaddleOCR's published settings, not tuned on any evaluation
    set: a pixel is text where its probability exceeds ``bin_thresh``; a connected region is
    kept when its mean probability is at least ``box_thresh`` and its rotated box is at
    least ``min_size`` map pixels thick. Its box is then grown back by the training shrink:
    ``unclip="inverse"`` solves for the offset D = A (1 − r²) / L that shrank the word
    (exact for a rectangle, whatever its aspect ratio); ``unclip="ratio"`` is DBNet's fixed
    rule, offset = area × ``unclip_ratio`` / perimeter of the found region, which returns an
    8:1 word at 62 % of its height with ratio 1.5 (docs/detection.md). ``max_word_aspect``
    caps the inverse's growth at that of a word that many times as long as high: a line whose
    words' kernels merged is then grown as its words, not as one long word (whose kernel is
    far thinner). Off by default: on held-out scenes 2 raised h-mean by 6 points, on the real
    photos it read 1.4 points fewer words (docs/experiments/2026-12-06-detector-growth.md)."""

    bin_thresh: float = 0.3
    box_thresh: float = 0.6
    unclip: Literal["inverse", "ratio"] = "inverse"
    unclip_ratio: float = 1.5  # DBNet's, used with unclip="ratio"
    max_word_aspect: float | None = None  # unclip="inverse" grows a region at most as a word this long/high
    min_size: float = 3.0  # px of the probability map, the rotated box's short side
    max_candidates: int = 1000  # regions looked at per image, largest first

    def __post_init__(self) -> None:
        if not _number(self.bin_thresh) or not 0 < self.bin_thresh < 1:
            raise InvalidOption("postprocess.bin_thresh", f"must be in (0, 1), got {self.bin_thresh!r:.60}")
        if not _number(self.box_thresh) or not 0 <= self.box_thresh < 1:
            raise InvalidOption("postprocess.box_thresh", f"must be in [0, 1), got {self.box_thresh!r:.60}")
        if self.unclip not in ("inverse", "ratio"):
            raise InvalidOption("postprocess.unclip", f"must be 'inverse' or 'ratio', got {self.unclip!r:.60}")
        if not _number(self.unclip_ratio) or not 0 <= self.unclip_ratio <= 10:
            raise InvalidOption("postprocess.unclip_ratio", f"must be in [0, 10], got {self.unclip_ratio!r:.60}")
        if self.max_word_aspect is not None and (not _number(self.max_word_aspect) or self.max_word_aspect < 1):
            raise InvalidOption("postprocess.max_word_aspect", f"must be ≥ 1 or None, got {self.max_word_aspect!r:.60}")
        if not _number(self.min_size) or self.min_size < 0:
            raise InvalidOption("postprocess.min_size", f"must be ≥ 0, got {self.min_size!r:.60}")
        if not _integer(self.max_candidates) or self.max_candidates < 1:
            raise InvalidOption("postprocess.max_candidates", f"must be ≥ 1, got {self.max_candidates!r:.60}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> PostprocessConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"postprocess config must be a mapping, got {data!r:.60}")
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(data) - known):
            raise ConfigError(f"postprocess config has unknown keys {unknown}")
        return cls(**data)
