"""What the detector learns to draw: word polygons → DBNet's four target maps.

* **shrink map** (probability target): 1 inside each word polygon shrunk by Vatti clipping
  (pyclipper, round joins) with the offset D = A (1 − r²) / L of its area A and perimeter L,
  r = 0.4; shrinking keeps neighbouring words apart, and the post-processing grows the
  found regions back (:mod:`krocr.detection.postprocess`).
* **shrink mask**: 1 where the probability loss counts; 0 over ``###`` (illegible) words,
  words whose rotated box is thinner than ``min_text_size`` px, and words that shrink to
  nothing — text the model should neither be rewarded nor punished for finding.
* **threshold map**: in the band between each polygon shrunk and grown by D, 1 − d / D for
  the distance d to the nearest polygon edge (largest on the edge), rescaled to
  [``thresh_min``, ``thresh_max``] = [0.3, 0.7]; ``thresh_min`` elsewhere.
* **threshold mask**: 1 inside each grown polygon (where the L1 loss on thresholds counts).

All maps are (H, W) float32 at the image's own resolution: the head predicts at the input size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import pyclipper

SHRINK_RATIO = 0.4
MIN_TEXT_SIZE = 8.0  # px: thinner words are masked out of the loss rather than taught
THRESH_MIN, THRESH_MAX = 0.3, 0.7
_CLIPPER_SCALE = 256  # pyclipper works in integers: 1/256 px keeps offsets sub-pixel


@dataclass
class DetectionTargets:
    shrink_map: np.ndarray  # (H, W) float32 in {0, 1}
    shrink_mask: np.ndarray  # (H, W) float32 in {0, 1}
    threshold_map: np.ndarray  # (H, W) float32 in [thresh_min, thresh_max]
    threshold_mask: np.ndarray  # (H, W) float32 in {0, 1}


def offset_polygon(polygon: np.ndarray, distance: float) -> list[np.ndarray]:
    """``polygon`` (N, 2) grown (distance > 0) or shrunk (< 0) by Vatti clipping with round
    joins; the resulting polygons as float64 (M, 2) arrays, largest first (none when a
    shrink swallows it)."""
    offset = pyclipper.PyclipperOffset()
    path = pyclipper.scale_to_clipper(np.asarray(polygon, dtype=np.float64).tolist(), _CLIPPER_SCALE)
    offset.AddPath(path, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    result = offset.Execute(distance * _CLIPPER_SCALE)
    polygons = [np.asarray(pyclipper.scale_from_clipper(p, _CLIPPER_SCALE), dtype=np.float64) for p in result]
    polygons = [p for p in polygons if len(p) >= 3]
    return sorted(polygons, key=lambda p: -abs(cv2.contourArea(p.astype(np.float32))))


def shrink_offset(polygon: np.ndarray, ratio: float = SHRINK_RATIO) -> float:
    """DBNet's D = A (1 − r²) / L: how far a polygon is shrunk (and its threshold band reaches)."""
    pts = np.asarray(polygon, dtype=np.float32)
    area = abs(cv2.contourArea(pts))
    perimeter = cv2.arcLength(pts, closed=True)
    return float(area * (1 - ratio**2) / perimeter) if perimeter > 0 else 0.0


def text_thickness(polygon: np.ndarray) -> float:
    """The short side of the polygon's minimum-area rectangle, in px."""
    (_, _), (w, h), _ = cv2.minAreaRect(np.asarray(polygon, dtype=np.float32))
    return float(min(w, h))


def make_targets(
    polygons: Sequence[np.ndarray],
    ignore: Sequence[bool],
    size: tuple[int, int],
    shrink_ratio: float = SHRINK_RATIO,
    min_text_size: float = MIN_TEXT_SIZE,
    thresh_min: float = THRESH_MIN,
    thresh_max: float = THRESH_MAX,
) -> DetectionTargets:
    """The four target maps of one image.

    Args:
        polygons: word polygons, each (N ≥ 3, 2) x, y in the image's pixels.
        ignore: per polygon, True for don't-care text (``###``, a word cut by a crop).
        size: the image's (height, width).
        shrink_ratio: r of the offset D = A (1 − r²) / L.
        min_text_size: words whose rotated box is thinner (px) are masked out, not taught.
        thresh_min, thresh_max: the range the threshold map is rescaled to.

    Returns:
        :class:`DetectionTargets`, each map (height, width) float32.
    """
    height, width = size
    shrink_map = np.zeros((height, width), np.float32)
    shrink_mask = np.ones((height, width), np.float32)
    canvas = np.zeros((height, width), np.float32)  # 1 − d / D before rescaling
    threshold_mask = np.zeros((height, width), np.float32)
    for polygon, ignored in zip(polygons, ignore):
        pts = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
        if len(pts) < 3:
            continue
        distance = shrink_offset(pts, shrink_ratio)
        shrunk = offset_polygon(pts, -distance) if distance > 0 else []
        if ignored or not shrunk or text_thickness(pts) < min_text_size:
            _fill(shrink_mask, pts, 0.0)
            continue
        for part in shrunk:
            _fill(shrink_map, part, 1.0)
        grown = offset_polygon(pts, distance)
        if grown:
            _fill(threshold_mask, grown[0], 1.0)
            _draw_border(canvas, pts, grown[0], distance)
    threshold_map = np.clip(canvas * (thresh_max - thresh_min) + thresh_min, thresh_min, thresh_max)
    return DetectionTargets(shrink_map, shrink_mask, threshold_map.astype(np.float32), threshold_mask)


def _fill(target: np.ndarray, polygon: np.ndarray, value: float) -> None:
    cv2.fillPoly(target, [np.round(polygon).astype(np.int32).reshape(-1, 1, 2)], value)


def _draw_border(canvas: np.ndarray, polygon: np.ndarray, grown: np.ndarray, distance: float) -> None:
    """canvas = max(canvas, 1 − d / D) over the grown polygon's bounding box (inside the
    image), d the distance to ``polygon``'s nearest edge, clipped to [0, 1]."""
    height, width = canvas.shape
    x0, y0 = np.floor(grown.min(axis=0)).astype(int)
    x1, y1 = np.ceil(grown.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width - 1), min(y1, height - 1)
    if x1 < x0 or y1 < y0:
        return
    ys, xs = np.mgrid[y0 : y1 + 1, x0 : x1 + 1].astype(np.float64)
    points = np.stack([xs, ys], axis=-1)  # (h, w, 2)
    nearest = point_to_polygon_edges(points, polygon)
    closeness = 1.0 - np.clip(nearest / distance, 0.0, 1.0)
    region = canvas[y0 : y1 + 1, x0 : x1 + 1]
    np.maximum(region, closeness.astype(np.float32), out=region)


def point_to_polygon_edges(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """The distance from each point (..., 2) to the nearest edge (segment) of a closed polygon (N, 2)."""
    starts = np.asarray(polygon, dtype=np.float64)
    edges = np.roll(starts, -1, axis=0) - starts  # (N, 2)
    lengths2 = np.maximum((edges**2).sum(axis=1), 1e-12)
    rel = points[None] - starts.reshape(-1, *([1] * (points.ndim - 1)), 2)  # (N, ..., 2)
    edge_b = edges.reshape(-1, *([1] * (points.ndim - 1)), 2)
    along = np.clip((rel * edge_b).sum(axis=-1) / lengths2.reshape(-1, *([1] * (points.ndim - 1))), 0.0, 1.0)
    gap = rel - along[..., None] * edge_b
    return np.sqrt((gap**2).sum(axis=-1)).min(axis=0)
