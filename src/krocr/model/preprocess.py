"""Crop preprocessing, identical in training, evaluation and inference.

A crop becomes a float32 array of shape (1, height, width): grayscale, resized to the
model height keeping the aspect ratio, then

* ``fixed`` mode (training, the reference's 32×256): narrower crops are padded on the
  right to ``width``; wider crops are squeezed to ``width`` (the reference truncated them
  while keeping the whole label: a bug);
* ``natural`` mode (reading long lines): the crop keeps its natural width, at least
  ``width`` and at most ``max_width``; batches pad to their widest member.

Padding uses the crop's median gray, close to its background, so the model sees no edge.
Pixels are scaled to [-1, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import cv2
import numpy as np

from krocr.errors import DataError

WidthMode = Literal["fixed", "natural"]


@dataclass(frozen=True)
class PreprocessConfig:
    height: int = 32
    width: int = 256
    width_mode: WidthMode = "fixed"
    max_width: int = 2048

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PreprocessConfig:
        return cls(**data)


def to_gray(image: np.ndarray) -> np.ndarray:
    """A uint8 (H, W) gray image from gray, RGB or RGBA uint8 input."""
    if image.dtype != np.uint8:
        raise DataError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2GRAY)
    raise DataError(f"unsupported image shape {image.shape}")


def target_width(src_height: int, src_width: int, config: PreprocessConfig) -> int:
    """Width of the resized crop before padding (aspect ratio kept, then clamped)."""
    natural = max(1, round(src_width * config.height / max(src_height, 1)))
    if config.width_mode == "fixed":
        return min(natural, config.width)
    return min(natural, config.max_width)


def resize_crop(image: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Gray uint8 crop resized to the model height (aspect kept, squeezed if too wide)."""
    gray = to_gray(image)
    h, w = gray.shape
    if h < 1 or w < 1:
        raise DataError(f"empty crop of shape {gray.shape}")
    return _resized(gray, target_width(h, w, config), config.height)


def scale_to_height(gray: np.ndarray, height: int) -> np.ndarray:
    """A gray uint8 crop resized to ``height`` with its aspect ratio kept and no width limit
    (a taller stored crop brought to the model's height before augmentation)."""
    h, w = gray.shape
    if h == height:
        return gray
    return _resized(gray, max(1, round(w * height / h)), height)


def _resized(gray: np.ndarray, width: int, height: int) -> np.ndarray:
    """``gray`` at width × height: area averaging when shrinking (no aliasing of thin strokes),
    bilinear when growing."""
    interpolation = cv2.INTER_AREA if gray.shape[0] > height else cv2.INTER_LINEAR
    return cv2.resize(gray, (width, height), interpolation=interpolation)


def normalize(gray: np.ndarray) -> np.ndarray:
    """uint8 gray → float32 in [-1, 1]."""
    return gray.astype(np.float32) * (2.0 / 255.0) - 1.0


def pad_to_width(gray: np.ndarray, width: int) -> np.ndarray:
    """Right-pad a resized gray crop to ``width`` with its median gray."""
    h, w = gray.shape
    if w >= width:
        return gray
    out = np.empty((h, width), dtype=gray.dtype)
    out[:, :w] = gray
    out[:, w:] = np.median(gray)
    return out


def preprocess(image: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """One crop → float32 (1, height, width) for the model (natural mode: width ≥ config.width)."""
    resized = resize_crop(image, config)
    return normalize(pad_to_width(resized, config.width))[None]


def collate_widths(arrays: Sequence[np.ndarray], multiple: int = 4) -> np.ndarray:
    """Stack (1, H, W_i) arrays into (N, 1, H, W_max), padding each on the right with its
    own median value; W_max is rounded up to ``multiple`` (the CNN's width stride)."""
    if not arrays:
        raise DataError("cannot collate an empty batch")
    width = max(a.shape[-1] for a in arrays)
    width = -(-width // multiple) * multiple
    batch = np.empty((len(arrays), 1, arrays[0].shape[-2], width), dtype=np.float32)
    for i, a in enumerate(arrays):
        w = a.shape[-1]
        batch[i, :, :, :w] = a
        batch[i, :, :, w:] = np.median(a)
    return batch
