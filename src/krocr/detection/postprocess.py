"""A probability map → scored 4-point polygons in the pixels of the original image.

1. binarise at ``bin_thresh``; each outer contour (OpenCV) is a candidate, largest first,
   at most ``max_candidates``;
2. its minimum-area rotated box must be at least ``min_size`` map pixels thick;
3. its score is the mean probability inside the contour; below ``box_thresh`` it is dropped;
4. the box is grown back: the model learned words shrunk by D = A (1 − r²) / L (their area
   A, perimeter L, r = 0.4). By default (``unclip="inverse"``) the box grows by the D that
   solves that equation for the word it came from — for a rectangle w × h found, the
   positive root of 4 (1 + r²) D² + 2 r² (w + h) D − (1 − r²) w h = 0 — so words of any
   aspect ratio come back at their size; ``max_word_aspect`` caps that growth at a word of
   that aspect's (a merged line of words is grown as its words). ``unclip="ratio"`` is
   DBNet's rule: pyclipper offsets the box by A × ``unclip_ratio`` / L with round joins,
   which suits words of about 3:1 and returns longer ones too thin. The grown shape's
   minimum-area box is the region (dropped if thinner than ``min_size`` + 2);
5. corners are scaled from the map to the original image (x and y each by their own
   factor: the detector's input is a resize to multiples of 32) and clipped to it.

Corners are ordered clockwise from the top-left corner of the text as it is read
(:func:`order_text_corners`): for a box wider than tall, top-left, top-right,
bottom-right, bottom-left; for a box taller than wide (a vertical column, read top to
bottom) the first corner is the column's top-right, so warping the quad to an upright
rectangle turns the column 90° counter-clockwise with its first character on the left —
the convention of :mod:`krocr.data.crops`. A rotated box alone cannot tell upside-down text
from upright: it is returned as if upright.

Thresholds are :class:`~krocr.detection.config.PostprocessConfig` (DBNet's published
values, not tuned on an evaluation set).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from krocr.data.crops import box_size, order_points
from krocr.detection.config import PostprocessConfig
from krocr.detection.targets import SHRINK_RATIO, offset_polygon


@dataclass(frozen=True)
class ScoredPolygons:
    polygons: np.ndarray  # (K, 4, 2) float32, in the original image's pixels
    scores: np.ndarray  # (K,) float32: mean text probability inside each region

    def __len__(self) -> int:
        return len(self.scores)


def polygons_from_map(
    probability: np.ndarray,
    original_size: tuple[int, int] | None = None,
    config: PostprocessConfig | None = None,
) -> ScoredPolygons:
    """The text regions of one probability map.

    Args:
        probability: (H, W) float probabilities (a (1, H, W) map is accepted too).
        original_size: the (width, height) the polygons are scaled to; None keeps map pixels.
        config: the thresholds (None: :class:`~krocr.detection.config.PostprocessConfig`'s defaults).

    Returns:
        :class:`ScoredPolygons`: (K, 4, 2) float32 corners and (K,) scores, in the order
        the regions were found (largest first).
    """
    config = config or PostprocessConfig()
    prob = np.asarray(probability, dtype=np.float32)
    if prob.ndim == 3 and prob.shape[0] == 1:
        prob = prob[0]
    if prob.ndim != 2:
        raise ValueError(f"expected an (H, W) probability map, got shape {prob.shape}")
    map_h, map_w = prob.shape
    out_w, out_h = original_size if original_size is not None else (map_w, map_h)
    scale = np.array([out_w / map_w, out_h / map_h], dtype=np.float64)
    bitmap = (prob > config.bin_thresh).astype(np.uint8)
    contours, _ = cv2.findContours(bitmap, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    contours = sorted(contours, key=cv2.contourArea, reverse=True)[: config.max_candidates]
    polygons, scores = [], []
    for contour in contours:
        box, thickness = _rotated_box(contour.reshape(-1, 2))
        if thickness < config.min_size:
            continue
        score = region_score(prob, contour.reshape(-1, 2))
        if score < config.box_thresh:
            continue
        if config.unclip == "inverse":
            box, thickness = unshrink(box, max_aspect=config.max_word_aspect)
        else:
            grown = unclip(box, config.unclip_ratio)
            if grown is None:
                continue
            box, thickness = _rotated_box(grown)
        if thickness < config.min_size + 2:
            continue
        corners = box * scale
        corners[:, 0] = np.clip(corners[:, 0], 0, out_w)
        corners[:, 1] = np.clip(corners[:, 1], 0, out_h)
        polygons.append(order_text_corners(corners))
        scores.append(score)
    if not polygons:
        return ScoredPolygons(np.zeros((0, 4, 2), np.float32), np.zeros(0, np.float32))
    return ScoredPolygons(np.stack(polygons).astype(np.float32), np.asarray(scores, np.float32))


def _rotated_box(points: np.ndarray) -> tuple[np.ndarray, float]:
    """The minimum-area rectangle's 4 corners (float64) and its short side."""
    rect = cv2.minAreaRect(np.asarray(points, dtype=np.float32).reshape(-1, 1, 2))
    return cv2.boxPoints(rect).astype(np.float64), float(min(rect[1]))


def region_score(probability: np.ndarray, polygon: np.ndarray) -> float:
    """The mean probability inside ``polygon`` (map pixels), computed over its bounding box only."""
    height, width = probability.shape
    pts = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int), 0, [width - 1, height - 1])
    x1, y1 = np.clip(np.ceil(pts.max(axis=0)).astype(int), 0, [width - 1, height - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    shifted = np.round(pts - [x0, y0]).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(mask, [shifted], 1)
    return float(cv2.mean(probability[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def inverse_offset(width: float, height: float, ratio: float = SHRINK_RATIO) -> float:
    """The D that shrank a rectangle to ``width`` × ``height``: the positive root of
    D = W H (1 − r²) / (2 (W + H)) with W = width + 2 D, H = height + 2 D."""
    r2 = ratio * ratio
    a, b, c = 4 * (1 + r2), 2 * r2 * (width + height), -(1 - r2) * width * height
    return float((-b + math.sqrt(b * b - 4 * a * c)) / (2 * a))


def word_offset(thickness: float, aspect: float, ratio: float = SHRINK_RATIO) -> float:
    """The D that shrank a word ``aspect`` times as long as high to ``thickness``: D = d h
    with d = aspect (1 − r²) / (2 (aspect + 1)) of the word's height h = thickness / (1 − 2 d)."""
    share = aspect * (1 - ratio * ratio) / (2 * (aspect + 1))
    return share * thickness / (1 - 2 * share)


def unshrink(box: np.ndarray, ratio: float = SHRINK_RATIO, max_aspect: float | None = None) -> tuple[np.ndarray, float]:
    """A rotated box (4, 2) grown by :func:`inverse_offset` on every side, at most by the
    :func:`word_offset` of a word ``max_aspect`` times as long as high (None: no cap): its
    corners and short side."""
    (cx, cy), (w, h), angle = cv2.minAreaRect(np.asarray(box, dtype=np.float32).reshape(-1, 1, 2))
    offset = inverse_offset(w, h, ratio)
    if max_aspect is not None:
        offset = min(offset, word_offset(min(w, h), max_aspect, ratio))
    grow = 2 * offset
    rect = ((cx, cy), (w + grow, h + grow), angle)
    return cv2.boxPoints(rect).astype(np.float64), float(min(w, h) + grow)


def unclip(box: np.ndarray, ratio: float) -> np.ndarray | None:
    """``box`` grown by area × ratio / perimeter (round joins); None when it vanishes."""
    pts = np.asarray(box, dtype=np.float32)
    perimeter = cv2.arcLength(pts, closed=True)
    if perimeter <= 0:
        return None
    distance = abs(cv2.contourArea(pts)) * ratio / perimeter
    grown = offset_polygon(box, distance)
    return grown[0] if grown else None


def order_text_corners(corners: np.ndarray) -> np.ndarray:
    """Four corners clockwise from the top-left of the text as it is read (module docstring):
    (tl, tr, br, bl) for a box wider than tall, (tr, br, bl, tl) of the image for a taller one."""
    ordered = order_points(corners)
    width, height = box_size(ordered)
    if height > width:
        ordered = np.roll(ordered, -1, axis=0)
    return ordered.astype(np.float32)
