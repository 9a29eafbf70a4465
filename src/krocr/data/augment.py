"""Training-time augmentation of gray word crops (albumentations 2.x).

The reference picked, per crop, one of blur / sharpen / nothing at random; krocr keeps
that as ``blur_or_sharpen`` and adds what real signboard photos vary in: perspective,
a small rotation, motion blur, sensor noise, JPEG artifacts, brightness/contrast and
shadows. Each transform has its own probability (0 turns it off) and strength.

Augmentation is a pure function of (crop, seed): :class:`Augmenter` reseeds its pipeline
for every call, so the dataset can derive each sample's seed from (run seed, epoch,
index) and a resumed run sees exactly the same stream, whatever the worker count.
Validation, evaluation and inference use the ``none`` preset (the input is returned
unchanged).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import albumentations as A
import cv2
import numpy as np

from krocr.errors import ConfigError, InvalidOption


@dataclass(frozen=True)
class AugmentConfig:
    # the reference's choice: blur or sharpen (each half of this probability), else nothing
    blur_or_sharpen: float = 2 / 3
    blur_kernel: tuple[int, int] = (3, 3)  # odd kernel sizes
    sharpen_alpha: tuple[float, float] = (0.2, 0.5)
    perspective: float = 0.3
    perspective_scale: tuple[float, float] = (0.02, 0.05)  # corner jitter, fraction of the size
    rotate: float = 0.3
    rotate_degrees: float = 3.0
    motion_blur: float = 0.1
    motion_blur_kernel: tuple[int, int] = (3, 5)
    noise: float = 0.2
    noise_std: tuple[float, float] = (0.02, 0.08)  # fraction of the 0..255 range
    jpeg: float = 0.2
    jpeg_quality: tuple[int, int] = (30, 90)
    brightness_contrast: float = 0.3
    brightness_limit: float = 0.25
    contrast_limit: float = 0.25
    shadow: float = 0.1
    # lettering the fonts lack (handwriting, hand-painted signs): slant, strokes one pixel
    # thinner or thicker, wobbly glyph shapes. Off in "default"; the "distort" preset turns
    # them on.
    shear: float = 0.0
    shear_degrees: float = 12.0
    stroke_width: float = 0.0
    elastic: float = 0.0
    elastic_alpha: float = 60.0  # displacement scale (before smoothing) at the 32-px cache height
    elastic_sigma: float = 5.0  # smoothness of the displacement field, pixels
    # PaddleOCR's RecConAug: paste a second training crop to the right, a word space between
    # them, the labels joined by a space (natural width only; see CropDataset)
    concat: float = 0.0
    # condensed lettering (narrow sign faces, text squeezed to fit a panel): the crop's width
    # times a factor drawn from squeeze_range, never below what its label needs in CTC frames
    # (see CropDataset). The renders set every font at its own width.
    squeeze: float = 0.0
    squeeze_range: tuple[float, float] = (0.35, 1.0)

    def __post_init__(self) -> None:
        for name in _PROBABILITIES:
            if not 0 <= getattr(self, name) <= 1:
                raise InvalidOption(f"augment.{name}", f"must be a probability in [0, 1], got {getattr(self, name)}")
        low, high = self.squeeze_range
        if not 0 < low <= high <= 1:
            raise InvalidOption(
                "augment.squeeze_range", f"must be [low, high] with 0 < low <= high <= 1, got {low, high}"
            )
        try:  # the strengths: albumentations checks them when the transforms are built
            build_pipeline(self)
        except (ValueError, TypeError) as exc:
            raise InvalidOption("augment", f"albumentations rejects a strength ({_first_complaint(exc)})") from None

    @property
    def enabled(self) -> bool:
        return any(getattr(self, name) > 0 for name in _PROBABILITIES)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AugmentConfig:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown augmentation options: {sorted(unknown)}")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)

    @classmethod
    def preset(cls, name: str) -> AugmentConfig:
        if name not in PRESETS:
            raise ConfigError(f"unknown augmentation preset {name!r}; use one of {sorted(PRESETS)}")
        return PRESETS[name]


_PROBABILITIES = (
    "blur_or_sharpen",
    "perspective",
    "rotate",
    "motion_blur",
    "noise",
    "jpeg",
    "brightness_contrast",
    "shadow",
    "shear",
    "stroke_width",
    "elastic",
    "concat",
    "squeeze",
)


def build_pipeline(config: AugmentConfig) -> A.Compose:
    """The albumentations pipeline: the lettering's own shape first (slant, wobble, stroke
    width), then the camera's geometry, light, blur, noise, JPEG last (the order a camera and
    an encoder apply them). Borders replicate the crop's edge."""
    border = cv2.BORDER_REPLICATE
    return A.Compose(
        [
            A.Affine(
                shear={"x": (-config.shear_degrees, config.shear_degrees), "y": (0, 0)},
                border_mode=border,
                p=config.shear,
            ),
            A.ElasticTransform(
                alpha=config.elastic_alpha, sigma=config.elastic_sigma, border_mode=border, p=config.elastic
            ),
            # dilation thickens light strokes and thins dark ones, erosion the reverse
            A.OneOf(
                [A.Morphological(scale=(2, 2), operation=operation) for operation in ("dilation", "erosion")],
                p=config.stroke_width,
            ),
            A.Perspective(scale=config.perspective_scale, keep_size=True, border_mode=border, p=config.perspective),
            A.Rotate(limit=(-config.rotate_degrees, config.rotate_degrees), border_mode=border, p=config.rotate),
            A.RandomBrightnessContrast(
                brightness_limit=config.brightness_limit,
                contrast_limit=config.contrast_limit,
                p=config.brightness_contrast,
            ),
            A.RandomShadow(shadow_roi=(0, 0, 1, 1), p=config.shadow),
            A.OneOf(
                [A.Blur(blur_limit=config.blur_kernel), A.Sharpen(alpha=config.sharpen_alpha)], p=config.blur_or_sharpen
            ),
            A.MotionBlur(blur_limit=config.motion_blur_kernel, p=config.motion_blur),
            A.GaussNoise(std_range=config.noise_std, p=config.noise),
            A.ImageCompression(quality_range=config.jpeg_quality, p=config.jpeg),
        ]
    )


def _switched_off(config: AugmentConfig, keep: tuple[str, ...] = ()) -> AugmentConfig:
    """``config`` with every transform's probability but those named in ``keep`` set to 0."""
    off: dict[str, Any] = {name: 0.0 for name in _PROBABILITIES if name not in keep}
    return replace(config, **off)


_DISTORT = replace(AugmentConfig(), shear=0.3, stroke_width=0.2, elastic=0.3)
PRESETS: dict[str, AugmentConfig] = {
    "default": AugmentConfig(),
    "none": _switched_off(AugmentConfig()),
    "reference": _switched_off(AugmentConfig(), keep=("blur_or_sharpen",)),
    "distort": _DISTORT,
    # distort without the image degradations (blur/sharpen, motion blur, noise, JPEG): for crops the
    # renderer has already degraded like a photo, so augmentation does not stack a second camera
    "lettering": replace(_DISTORT, blur_or_sharpen=0.0, motion_blur=0.0, noise=0.0, jpeg=0.0),
}


def _first_complaint(exc: Exception) -> str:
    """The field and reason of a pydantic validation error ("sigma: Input should be greater
    than or equal to 1"), else the message."""
    lines = [line.strip() for line in str(exc).splitlines()]
    if len(lines) >= 3 and "validation error" in lines[0]:
        return f"{lines[1]}: {lines[2].split(' [type=')[0]}"
    return str(exc)


def item_seed(*keys: int) -> int:
    """A well-mixed 32-bit seed from integers such as (run seed, epoch, index)."""
    return int(np.random.SeedSequence(list(keys)).generate_state(1)[0])


class Augmenter:
    """``augmenter(gray, seed) -> gray``: the same (crop, seed) always gives the same output."""

    def __init__(self, config: AugmentConfig):
        self.config = config
        self._pipeline = build_pipeline(config) if config.enabled else None

    def __call__(self, gray: np.ndarray, seed: int) -> np.ndarray:
        if self._pipeline is None:
            return gray
        # Compose.set_random_seed hands every transform the same seed, so all would draw the same
        # first number and fire together (each whenever one of smaller p does): each transform
        # gets a seed of its own.
        self._pipeline.set_random_seed(seed)
        for position, transform in enumerate(self._pipeline.transforms):
            transform.set_random_seed(item_seed(seed, position))
        return self._pipeline(image=gray)["image"]
