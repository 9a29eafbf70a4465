"""Photos with word polygons (ICDAR 2015 folders) → what the detector trains and validates on.

A folder is any of: the output of ``krocr synth --scenes`` (``DIR/scenes/images`` +
``DIR/scenes/gt``), a folder with ``images/`` and ``gt/``, or one folder holding both the
images and their ``gt_img_N.txt`` files. Annotations are read by
:func:`krocr.data.importers.read_icdar2015`; nothing is dropped silently — malformed lines,
missing or unreadable images and unusable polygons are :class:`~krocr.data.rejections.RejectionLog`
entries naming the file and the line (a bow-tie polygon is kept as a don't-care region,
so its pixels are not taught as background). An image that fails to decode during training
raises a :class:`~krocr.errors.DataError` naming it.

Training samples (:class:`DetectionTrainSet`), each drawn afresh:

1. the photo is brought to the scale the detector reads it at (longer side ≤ ``max_side``);
2. one affine warp scales it by a random factor in ``scale`` (log-uniform, 0.5–2) and
   rotates it by up to ±``rotate``° (10), straight into a ``size`` × ``size`` crop (512):
   only the crop is ever rendered, so a large photo costs no more than a small one;
3. the crop is text-aware: among ``crop_tries`` candidate windows, most centred on a
   random word, the one cutting the fewest words wins (ties: the one holding more words);
   a word the crop edge still cuts becomes don't-care;
4. colour jitter (brightness, contrast, saturation, hue) with probability ``color``, and
   a slight blur sometimes;
5. targets by :func:`krocr.detection.targets.make_targets`.

Validation samples (:class:`DetectionValSet`) are whole photos at their detection size,
with the ground truth in the photo's own pixels for :mod:`krocr.detection.metrics`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import shapely
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from krocr.data.images import MAX_PIXELS, read_image
from krocr.data.importers import read_icdar2015
from krocr.data.rejections import Reason, RejectionLog
from krocr.detection.config import DEFAULT_MAX_SIDE, DetectorConfig
from krocr.detection.detector import detection_size, prepare_image
from krocr.detection.folders import scene_folders
from krocr.detection.targets import MIN_TEXT_SIZE, make_targets
from krocr.errors import DataError, InvalidOption

CROP_SIZE = 512


@dataclass(frozen=True)
class AugmentOptions:
    scale: tuple[float, float] = (0.5, 2.0)  # random zoom range after the detection-size rescale
    rotate: float = 10.0  # degrees, either way
    color: float = 0.5  # probability of colour jitter
    blur: float = 0.1  # probability of a slight Gaussian blur
    crop_tries: int = 10  # candidate windows per sample
    text_centred: float = 0.9  # share of candidate windows centred on a random word

    def __post_init__(self) -> None:
        low, high = self.scale
        if not 0 < low <= high:
            raise InvalidOption("augment.scale", f"must be two numbers 0 < low ≤ high, got {self.scale}")
        if not 0 <= self.rotate <= 90:
            raise InvalidOption("augment.rotate", f"must be in [0, 90] degrees, got {self.rotate}")
        for name in ("color", "blur", "text_centred"):
            if not 0 <= getattr(self, name) <= 1:
                raise InvalidOption(f"augment.{name}", f"is a probability in [0, 1], got {getattr(self, name)}")
        if self.crop_tries < 1:
            raise InvalidOption("augment.crop_tries", f"must be ≥ 1, got {self.crop_tries}")


@dataclass
class SceneImage:
    """A photo and its word polygons (don't-care words flagged)."""

    path: Path
    polygons: list[np.ndarray]  # (N, 2) float32 each, in the photo's pixels
    ignore: list[bool]  # per polygon: ### (illegible) or unusable geometry
    size: tuple[int, int]  # (width, height) from the file's header


def read_scenes(folders: Sequence[str | Path]) -> tuple[list[SceneImage], RejectionLog]:
    """The photos and word polygons of ICDAR 2015 folders, and everything that was dropped.

    Args:
        folders: one or more folders (module docstring).

    Returns:
        The usable photos (sorted by path within each folder) and a log of every rejection.
    """
    if not folders:
        raise DataError("no detection data folders given")
    scenes: list[SceneImage] = []
    log = RejectionLog()
    for folder in folders:
        gt_dir, images_dir = scene_folders(folder)
        records, folder_log = read_icdar2015(gt_dir, images_dir, source=Path(folder).name)
        log.extend(folder_log)
        for record in sorted(records, key=lambda r: str(r.path)):
            size = _image_size(record.path, log, len(record.words))
            if size is None:
                continue
            polygons, ignore = [], []
            for word in record.words:
                usable = _usable_polygon(word.points, record.annotation or record.path, word.region, log)
                if usable is None:
                    continue
                polygon, valid = usable
                polygons.append(polygon)
                ignore.append(word.illegible or not valid)
            scenes.append(SceneImage(record.path, polygons, ignore, size))
    if not scenes:
        shown = log.render_text("Rejected") if len(log) else ""
        raise DataError(f"no usable images in {', '.join(map(str, folders))}\n{shown}".rstrip())
    return scenes, log


def _image_size(path: Path, log: RejectionLog, words: int) -> tuple[int, int] | None:
    """The (width, height) in an image's header, or None and an unreadable_image rejection."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
        log.add(path, "image", Reason.UNREADABLE_IMAGE, f"cannot be opened ({exc}); {words} words lost", words=words)
        return None
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        log.add(path, "image", Reason.UNREADABLE_IMAGE, f"{width}×{height} px is out of range", words=words)
        return None
    return width, height


def _usable_polygon(points: np.ndarray, file: Path, item: str, log: RejectionLog) -> tuple[np.ndarray, bool] | None:
    """(polygon, valid) for a word: None (and a rejection) when it has no area at all; a
    bow-tie is logged and kept as a don't-care region (valid False), its convex hull."""
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if len(pts) < 3:
        log.add(file, item, Reason.TOO_FEW_POINTS, f"{len(pts)} points")
        return None
    valid = bool(shapely.is_valid(shapely.Polygon(pts)))
    if not valid:  # a bow-tie's signed area cancels out: measure its convex hull
        pts = cv2.convexHull(pts).reshape(-1, 2).astype(np.float32)
    area = abs(cv2.contourArea(pts))
    if area < 1.0:
        log.add(file, item, Reason.ZERO_AREA, f"area {area:.1f} px²")
        return None
    if not valid:
        log.add(file, item, Reason.SELF_INTERSECTING, "edges cross; its convex hull is kept as a don't-care region")
        return pts, False
    return pts, True


# ---- training crops ---------------------------------------------------------------------------


class DetectionTrainSet(Dataset):
    """Random augmented crops with their target maps (module docstring); ``len`` is the
    number of photos, each visit draws a new crop."""

    def __init__(
        self,
        scenes: Sequence[SceneImage],
        config: DetectorConfig,
        size: int = CROP_SIZE,
        augment: AugmentOptions = AugmentOptions(),
        max_side: int = DEFAULT_MAX_SIDE,
        min_text_size: float = MIN_TEXT_SIZE,
        seed: int = 0,
    ):
        if size % 32:
            raise ValueError(f"crop size must be a multiple of 32, got {size}")
        self.scenes = list(scenes)
        self.config = config
        self.size = size
        self.augment = augment
        self.max_side = max_side
        self.min_text_size = min_text_size
        self.seed = seed
        self._rng: np.random.Generator | None = None
        self._rng_key: tuple[int, int] | None = None

    def __len__(self) -> int:
        return len(self.scenes)

    def _generator(self) -> np.random.Generator:
        """One generator per process, seeded from torch's seed there (each DataLoader worker,
        each epoch, gets its own), so ``seed_everything`` makes runs repeatable."""
        key = (os.getpid(), torch.initial_seed())
        if self._rng is None or self._rng_key != key:
            self._rng = np.random.default_rng([self.seed, torch.initial_seed() % (1 << 63)])
            self._rng_key = key
        return self._rng

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.sample(index, self._generator())

    def sample(self, index: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """One augmented crop of photo ``index``: ``image`` (3, S, S) normalised, and the
        four targets (S, S)."""
        scene = self.scenes[index]
        image = read_image(scene.path)
        crop, polygons, ignore = random_crop(
            image, scene.polygons, scene.ignore, rng, self.size, self.augment, self.max_side
        )
        crop = jitter_colors(crop, rng, self.augment)
        targets = make_targets(polygons, ignore, (self.size, self.size), min_text_size=self.min_text_size)
        normalised = prepare_image(crop, (self.size, self.size), self.config)[0]
        return {
            "image": torch.from_numpy(normalised),
            "shrink_map": torch.from_numpy(targets.shrink_map),
            "shrink_mask": torch.from_numpy(targets.shrink_mask),
            "threshold_map": torch.from_numpy(targets.threshold_map),
            "threshold_mask": torch.from_numpy(targets.threshold_mask),
        }


def random_crop(
    image: np.ndarray,
    polygons: Sequence[np.ndarray],
    ignore: Sequence[bool],
    rng: np.random.Generator,
    size: int = CROP_SIZE,
    augment: AugmentOptions = AugmentOptions(),
    max_side: int = DEFAULT_MAX_SIDE,
) -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
    """A ``size`` × ``size`` crop of ``image`` scaled and rotated at random (steps 1–3 of
    the module docstring), with the polygons that show in it, moved into its pixels, and
    their don't-care flags (words the crop edge cuts become don't-care)."""
    height, width = image.shape[:2]
    base = min(1.0, max_side / max(width, height))
    low, high = augment.scale
    zoom = base * math.exp(rng.uniform(math.log(low), math.log(high)))
    angle = rng.uniform(-augment.rotate, augment.rotate)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, zoom)  # 2×3, about the centre
    corners = _transform(np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64), matrix)
    matrix[:, 2] -= corners.min(axis=0)  # the warped photo's bounding box starts at (0, 0)
    extent = corners.max(axis=0) - corners.min(axis=0)
    moved = [_transform(np.asarray(p, np.float64), matrix) for p in polygons]
    origin = _choose_window(moved, ignore, extent, size, rng, augment)
    matrix[:, 2] -= origin
    interpolation = cv2.INTER_AREA if zoom < 0.75 else cv2.INTER_LINEAR
    crop = cv2.warpAffine(
        image, matrix, (size, size), flags=interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0)
    )
    kept, flags = [], []
    for polygon, ignored in zip(moved, ignore):
        shifted = polygon - origin
        low_corner, high_corner = shifted.min(axis=0), shifted.max(axis=0)
        if (high_corner <= 0).any() or (low_corner >= size).any():
            continue  # wholly outside the crop
        cut = (low_corner < -1).any() or (high_corner > size + 1).any()
        kept.append(shifted.astype(np.float32))
        flags.append(bool(ignored or cut))
    return crop, kept, flags


def _transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def _choose_window(
    polygons: Sequence[np.ndarray],
    ignore: Sequence[bool],
    extent: np.ndarray,
    size: int,
    rng: np.random.Generator,
    augment: AugmentOptions,
) -> np.ndarray:
    """The crop's top-left corner in the warped photo: among candidate windows, the one
    cutting the fewest words, then holding the most."""
    low = np.minimum(0.0, extent - size)  # a photo smaller than the crop sits at a random place in it
    high = np.maximum(0.0, extent - size)
    candidates = rng.uniform(low, high, size=(augment.crop_tries, 2))
    care = [p for p, flag in zip(polygons, ignore) if not flag]
    if not polygons:
        return candidates[0]
    boxes = np.array([[*p.min(axis=0), *p.max(axis=0)] for p in polygons])  # (K, 4) x0 y0 x1 y1
    if care:
        centred = rng.random(augment.crop_tries) < augment.text_centred
        for i in np.flatnonzero(centred):
            word = care[rng.integers(len(care))]
            centre = (word.min(axis=0) + word.max(axis=0)) / 2
            jitter = rng.uniform(-0.35, 0.35, size=2) * size
            candidates[i] = np.clip(centre - size / 2 + jitter, low, high)
    x0, y0 = candidates[:, :1], candidates[:, 1:]  # (T, 1)
    overlaps = (boxes[None, :, 2] > x0) & (boxes[None, :, 0] < x0 + size)
    overlaps &= (boxes[None, :, 3] > y0) & (boxes[None, :, 1] < y0 + size)
    inside = (boxes[None, :, 0] >= x0) & (boxes[None, :, 2] <= x0 + size)
    inside &= (boxes[None, :, 1] >= y0) & (boxes[None, :, 3] <= y0 + size)
    cuts = (overlaps & ~inside).sum(axis=1)
    held = inside.sum(axis=1)
    best = np.lexsort((-held, cuts))[0]  # fewest cuts, then most words
    return candidates[best]


def jitter_colors(image: np.ndarray, rng: np.random.Generator, augment: AugmentOptions) -> np.ndarray:
    """Brightness, contrast, saturation and hue jitter (probability ``augment.color``), and
    sometimes a slight blur; RGB uint8 in and out."""
    out = image
    if rng.random() < augment.color:
        hsv = cv2.cvtColor(out, cv2.COLOR_RGB2HSV).astype(np.float32)
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(-8, 8)) % 180  # OpenCV hue is 0–179
        hsv[..., 1] *= rng.uniform(0.7, 1.3)
        out = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB)
        contrast, brightness = rng.uniform(0.7, 1.3), rng.uniform(-30, 30)
        mean = out.mean()
        out = np.clip((out.astype(np.float32) - mean) * contrast + mean + brightness, 0, 255).astype(np.uint8)
    if rng.random() < augment.blur:
        out = cv2.GaussianBlur(out, (0, 0), sigmaX=rng.uniform(0.5, 1.2))
    return out


# ---- validation photos ------------------------------------------------------------------------


class DetectionValSet(Dataset):
    """Whole photos at their detection size, with ground truth in the photo's own pixels."""

    def __init__(self, scenes: Sequence[SceneImage], config: DetectorConfig, max_side: int = DEFAULT_MAX_SIDE):
        self.scenes = list(scenes)
        self.config = config
        self.max_side = max_side

    def __len__(self) -> int:
        return len(self.scenes)

    def __getitem__(self, index: int) -> dict[str, Any]:
        scene = self.scenes[index]
        image = read_image(scene.path)
        height, width = image.shape[:2]
        batch = prepare_image(image, detection_size(width, height, self.max_side), self.config)
        return {
            "image": torch.from_numpy(batch[0]),
            "size": (width, height),
            "polygons": scene.polygons,
            "ignore": scene.ignore,
            "path": str(scene.path),
        }


def collate_one(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Validation batches of one photo (their sizes differ): its image gains a batch axis."""
    if len(items) != 1:
        raise ValueError("validation photos are batched one at a time")
    item = dict(items[0])
    item["image"] = item["image"][None]
    return item
