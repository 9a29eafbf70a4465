"""Deterministic train/validation split by photo.

The reference split its list of photos with ``np.random.seed(0); np.random.shuffle(idx)``
and took the first ``round(0.8 * n)`` as training. krocr does the same with a private
``RandomState(seed)`` (identical permutation, no global side effect), with two
refinements so that no photo's words can land on both sides and merged sources stay
balanced:

* records naming the same image file form one group (a photo listed twice, or in two
  annotation files, is one photo);
* each source is split on its own, so a small source still gets its share of validation
  photos. With a single source the result equals the reference's split.

A :class:`~krocr.data.records.CropRecord` is its own photo (nothing says which crops share
one), except that crops read from the same image file are grouped.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

import numpy as np

from krocr.data.records import CropRecord, ImageRecord

Record = TypeVar("Record", bound=ImageRecord | CropRecord)
# Crops imported from one LMDB or label file share a path: resolve each path once, not per crop.
_real_path = lru_cache(maxsize=65536)(os.path.realpath)


def photo_key(record: ImageRecord | CropRecord) -> str:
    """What identifies the photo a record's words come from: its file's real path, so that
    ``photos/p0.jpg`` and ``/abs/photos/p0.jpg`` (or a link to it) are one photo."""
    path = _real_path(record.path) if record.path else str(record.path)  # never raises, even on a link loop
    if isinstance(record, CropRecord) and record.image_bytes is not None:
        return f"{path}#{record.item}"
    return path


def reference_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val) of ``n`` items as the reference drew them."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"split fraction must be in [0, 1], got {fraction}")
    order = np.arange(n)
    np.random.RandomState(seed).shuffle(order)
    cut = round(float(fraction) * n)  # float(): a NumPy 1.x float scalar rounds to a float, not an int
    return order[:cut], order[cut:]


def split_by_photo(
    records: Sequence[Record], fraction: float = 0.8, seed: int = 0
) -> tuple[list[Record], list[Record]]:
    """(train, val) records: per source, photos shuffled with ``seed`` and cut at
    ``round(fraction * photos)``. Record order within each side follows the input."""
    groups: dict[str, list[int]] = {}  # photo -> record indices, in first-seen order
    group_source: dict[str, str] = {}
    for i, record in enumerate(records):
        key = photo_key(record)
        groups.setdefault(key, []).append(i)
        group_source.setdefault(key, record.source)  # a shared photo follows its first source
    train_indices: list[int] = []
    for source in dict.fromkeys(group_source.values()):
        photos = [key for key, s in group_source.items() if s == source]
        train_photos, _ = reference_split(len(photos), fraction, seed)
        train_indices += [i for p in train_photos for i in groups[photos[p]]]
    in_train = set(train_indices)
    train = [r for i, r in enumerate(records) if i in in_train]
    val = [r for i, r in enumerate(records) if i not in in_train]
    return train, val


def words_per_source(records: Sequence[ImageRecord | CropRecord]) -> dict[str, int]:
    """Annotated words (crops) per source."""
    counts: Counter[str] = Counter()
    for record in records:
        counts[record.source] += len(record.words) if isinstance(record, ImageRecord) else 1
    return dict(counts)


def photos_per_source(records: Sequence[ImageRecord | CropRecord]) -> dict[str, int]:
    """Distinct photos per source."""
    seen = {(r.source, photo_key(r)) for r in records}
    return dict(Counter(source for source, _ in seen))
