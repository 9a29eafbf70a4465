"""Detection precision, recall and h-mean in the manner of ICDAR 2015 (Robust Reading,
challenge 4, "incidental scene text", localisation).

Per image:

1. **don't care**: ground-truth words marked illegible (``###``) are not counted, and a
   detection is not counted either when more than half of its area lies inside one of
   them (it found the illegible word, which is neither right nor wrong);
2. **matching**: a counted detection and a counted ground-truth word match when their
   polygons' IoU is at least ``iou_threshold`` (0.5); matching is one-to-one and greedy,
   highest IoU first;
3. precision = matches / counted detections, recall = matches / counted ground truth,
   h-mean = their harmonic mean. Over a set, matches and counts are summed first (as the
   ICDAR script does), not averaged per image.

A ratio whose denominator is 0 is 0 (the ICDAR script's convention for a whole set):
score sets, not single images without text. Polygons are shapely polygons;
an invalid one (a bow-tie) is repaired with ``make_valid``, and one without area overlaps nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

IOU_THRESHOLD = 0.5
DONT_CARE_OVERLAP = 0.5  # a detection this much inside a ### word is not counted


@dataclass(frozen=True)
class DetectionCounts:
    """What the precision and recall of one image or a set are computed from."""

    matched: int = 0
    detections: int = 0  # counted detections (not on a don't-care word)
    ground_truth: int = 0  # counted ground-truth words (not ###)
    ignored_detections: int = 0

    def __add__(self, other: DetectionCounts) -> DetectionCounts:
        return DetectionCounts(
            self.matched + other.matched,
            self.detections + other.detections,
            self.ground_truth + other.ground_truth,
            self.ignored_detections + other.ignored_detections,
        )

    @property
    def precision(self) -> float:
        return self.matched / self.detections if self.detections else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.ground_truth if self.ground_truth else 0.0

    @property
    def hmean(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    def to_dict(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "hmean": self.hmean,
            "matched": self.matched,
            "detections": self.detections,
            "ground_truth": self.ground_truth,
            "ignored_detections": self.ignored_detections,
        }


@dataclass(frozen=True)
class ImageMatch:
    counts: DetectionCounts
    pairs: list[tuple[int, int]]  # (ground-truth index, detection index) of each match
    ignored: list[int]  # detection indices not counted (on a don't-care word)


def _shapes(polygons: Sequence[np.ndarray]) -> np.ndarray:
    shapes = shapely.polygons([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polygons])
    invalid = ~shapely.is_valid(shapes)
    if invalid.any():
        shapes[invalid] = shapely.make_valid(shapes[invalid])
    return shapes


def match_image(
    ground_truth: Sequence[np.ndarray],
    dont_care: Sequence[bool],
    detections: Sequence[np.ndarray],
    iou_threshold: float = IOU_THRESHOLD,
) -> ImageMatch:
    """Match one image's detections to its ground truth (module docstring).

    Args:
        ground_truth: word polygons, each (N ≥ 3, 2).
        dont_care: per ground-truth word, True for ``###`` (illegible).
        detections: detected polygons, each (N ≥ 3, 2).
        iou_threshold: the IoU at which a detection and a word match.

    Returns:
        The counts, the matched (ground truth, detection) index pairs and the ignored detections.
    """
    if len(dont_care) != len(ground_truth):
        raise ValueError(f"{len(ground_truth)} ground-truth polygons but {len(dont_care)} don't-care flags")
    care = np.array([not flag for flag in dont_care], dtype=bool)
    gt = _shapes(ground_truth) if len(ground_truth) else np.empty(0, dtype=object)
    det = _shapes(detections) if len(detections) else np.empty(0, dtype=object)
    ignored = np.zeros(len(det), dtype=bool)
    if len(det) and (~care).any():
        inside = shapely.area(shapely.intersection(det[:, None], gt[None, ~care]))  # (D, dont-care)
        det_area = shapely.area(det)[:, None]
        ignored = ((inside / np.maximum(det_area, 1e-12)) > DONT_CARE_OVERLAP).any(axis=1) & (det_area[:, 0] > 0)
    gt_idx, det_idx = np.flatnonzero(care), np.flatnonzero(~ignored)
    pairs: list[tuple[int, int]] = []
    if len(gt_idx) and len(det_idx):
        a, b = gt[gt_idx][:, None], det[det_idx][None, :]
        intersection = shapely.area(shapely.intersection(a, b))
        union = shapely.area(shapely.union(a, b))
        iou = np.where(union > 0, intersection / np.maximum(union, 1e-12), 0.0)
        used_gt, used_det = set(), set()
        for flat in np.argsort(-iou, axis=None, kind="stable"):
            i, j = divmod(int(flat), iou.shape[1])
            if iou[i, j] < iou_threshold:
                break
            if i in used_gt or j in used_det:
                continue
            used_gt.add(i)
            used_det.add(j)
            pairs.append((int(gt_idx[i]), int(det_idx[j])))
    counts = DetectionCounts(len(pairs), len(det_idx), len(gt_idx), int(ignored.sum()))
    return ImageMatch(counts, sorted(pairs), [int(i) for i in np.flatnonzero(ignored)])


def detection_metrics(images: Iterable[ImageMatch | DetectionCounts]) -> DetectionCounts:
    """The counts of a set of images, summed: ``.precision``, ``.recall``, ``.hmean``."""
    total = DetectionCounts()
    for image in images:
        total = total + (image.counts if isinstance(image, ImageMatch) else image)
    return total
