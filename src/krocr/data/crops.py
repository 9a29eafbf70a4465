"""From an annotated polygon to an upright word crop: order, validate, warp.

:func:`validate_box` checks a polygon in the order the file gives it, so a bow-tie
(corners listed in a crossing order) is reported rather than silently "repaired", then
returns its four corners ordered top-left, top-right, bottom-right, bottom-left for
:func:`warp_crop`. Polygons with more than four points (curved words traced in VIA) are
reduced to their minimum-area rectangle.

Vertical words: a box taller than wide whose label has more than one character is read
top to bottom. With ``vertical="rotate"`` its corners are relabelled so that the warp
turns it 90° counter-clockwise (the first character ends up on the left, where a
left-to-right reader expects it); with ``"reject"`` it is dropped, as the reference did.
A single tall character is kept upright. Reading (not training) warps a column standing
(:func:`warp_standing`), because the recognizer lays columns out itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import cv2
import numpy as np

from krocr.data.rejections import Issue, Reason

MAX_COORDINATE = 1e6  # px: no image is this large, and far beyond it float32 geometry yields NaN

VerticalPolicy = Literal["rotate", "reject"]
OutsidePolicy = Literal["clip", "reject"]


@dataclass(frozen=True)
class CropConfig:
    vertical: VerticalPolicy = "rotate"
    outside: OutsidePolicy = "clip"  # boxes partly outside: clip to the image, or reject
    min_area: float = 4.0  # px²; smaller boxes are degenerate (zero_area)
    min_height: float = 4.0  # px across the text line; thinner boxes are too_small
    max_aspect: float = 40.0  # long side : short side; beyond it extreme_aspect
    edge_tolerance: float = 2.0  # px a point may stray outside the image and still count as inside

    def to_dict(self) -> dict:
        return asdict(self)


def order_points(points: np.ndarray) -> np.ndarray:
    """Four corners as (tl, tr, br, bl) float32, whatever order or direction they came in.

    The corners are sorted clockwise around their centroid; the top-left corner is the
    start of the edge pointing most nearly to the right (the top edge of a word), which
    stays correct for rotated boxes where "smallest x + y" does not.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) != 4:
        raise ValueError(f"order_points needs 4 points, got {len(pts)}")
    center = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - center[1], pts[:, 0] - center[0])
    clockwise = pts[np.argsort(angles)]  # y points down, so increasing angle is clockwise
    edges = np.roll(clockwise, -1, axis=0) - clockwise
    rightness = edges[:, 0] / np.maximum(np.linalg.norm(edges, axis=1), 1e-9)
    return np.roll(clockwise, -int(np.argmax(rightness)), axis=0).astype(np.float32)


def box_size(ordered: np.ndarray) -> tuple[float, float]:
    """(width, height) of an ordered quad: the longer of each pair of opposite edges."""
    tl, tr, br, bl = ordered.astype(np.float64)
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    return float(width), float(height)


def validate_box(
    points: np.ndarray,
    image_size: tuple[int, int],
    config: CropConfig = CropConfig(),
    chars: int | None = None,
) -> tuple[np.ndarray | None, Issue | None]:
    """Ordered, clipped (and for vertical words, rotated) corners, or None and the issue.

    ``image_size`` is (width, height); ``chars`` is the label length (None: unknown,
    treated as several characters when deciding whether a tall box is vertical text).
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(pts).all():
        return None, Issue(Reason.MALFORMED_REGION, "non-finite coordinates")
    if np.abs(pts).max(initial=0) > MAX_COORDINATE:
        return None, Issue(Reason.MALFORMED_REGION, f"coordinates beyond ±{MAX_COORDINATE:g} px")
    if len(pts) < 4:
        return None, Issue(Reason.TOO_FEW_POINTS, f"{len(pts)} points, need 4")
    if crossing := _first_crossing(pts):
        i, j = crossing
        return None, Issue(Reason.SELF_INTERSECTING, f"edge {i + 1} crosses edge {j + 1} (points out of order)")
    if len(pts) > 4:
        pts = word_quad(pts)
    elif _area(pts) >= config.min_area and not cv2.isContourConvex(pts.astype(np.float32)):
        return None, Issue(Reason.NOT_CONVEX, "the 4 points form a concave shape")
    pts, issue = _fit_inside(pts, image_size, config)
    if issue:
        return None, issue
    area = _area(pts)
    if area < config.min_area:
        return None, Issue(Reason.ZERO_AREA, f"area {area:.1f} px² < {config.min_area:g}")
    ordered = order_points(pts)
    width, height = box_size(ordered)
    if height > width and (chars is None or chars > 1):
        if config.vertical == "reject":
            return None, Issue(Reason.VERTICAL, f"{width:.0f}×{height:.0f} px box is taller than wide")
        ordered = np.roll(ordered, -1, axis=0)  # tr becomes tl: the warp turns it 90° CCW
        width, height = height, width
    thickness, length = min(width, height), max(width, height)
    if thickness < config.min_height:
        return None, Issue(Reason.TOO_SMALL, f"text height {thickness:.1f} px < {config.min_height:g}")
    if length / thickness > config.max_aspect:
        return None, Issue(Reason.EXTREME_ASPECT, f"aspect {length / thickness:.0f}:1 > {config.max_aspect:g}:1")
    return ordered, None


def warp_crop(image: np.ndarray, points: np.ndarray, height: int | None = None) -> np.ndarray:
    """The quad (tl, tr, br, bl) perspective-warped to an upright rectangle, optionally
    resized to ``height`` keeping its aspect ratio. Keeps the image's channels and dtype."""
    ordered = np.asarray(points, dtype=np.float32).reshape(4, 2)
    width_f, height_f = box_size(ordered)
    w, h = max(2, round(width_f)), max(2, round(height_f))
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(ordered, target)
    crop = cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if height is None or height == h:
        return crop
    new_w = max(1, round(w * height / h))
    # INTER_AREA averages when shrinking (no aliasing); cubic is sharper when enlarging.
    interpolation = cv2.INTER_AREA if height < h else cv2.INTER_CUBIC
    return cv2.resize(crop, (new_w, height), interpolation=interpolation)


def line_quad(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """The quad of a text line from its first and last words' quads (each tl, tr, br, bl as
    the text is read): the first word's left corners and the last one's right corners, so it
    follows the line's tilt and perspective. The photo reader builds its text lines so, and
    the synthetic scenes their drawn lines, so that the two are scored alike."""
    return np.stack([first[0], last[1], last[2], first[3]]).astype(np.float32)


def is_turned_column(ordered: np.ndarray) -> bool:
    """Whether corners from :func:`validate_box` are a vertical column's, relabelled so that
    :func:`warp_crop` turns it: their reading edge (first corner to second) runs down the image."""
    corners = np.asarray(ordered, dtype=np.float64).reshape(4, 2)
    dx, dy = corners[1] - corners[0]
    return bool(dy > abs(dx))


def warp_standing(image: np.ndarray, ordered: np.ndarray, height: int | None = None) -> np.ndarray:
    """:func:`warp_crop`, except that a vertical column (:func:`is_turned_column`) comes out
    standing, ``height`` then being its width: the recognizer lays a column out itself
    (unstacked and turned, :meth:`krocr.inference.recognizer.Recognizer.prepare_layouts`)."""
    crop = warp_crop(image, ordered, height)
    return np.ascontiguousarray(np.rot90(crop, -1)) if is_turned_column(ordered) else crop


def _area(pts: np.ndarray) -> float:
    return float(abs(cv2.contourArea(pts.astype(np.float32))))


def word_quad(points: np.ndarray) -> np.ndarray:
    """The four corners a word is cut along: its own four points, or the smallest rotated
    rectangle around a longer polygon (which may reach past the polygon's points)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) <= 4:
        return pts
    return cv2.boxPoints(cv2.minAreaRect(pts.astype(np.float32))).astype(np.float64)


def outside_by(points: np.ndarray, image_size: tuple[int, int]) -> float:
    """How far (px) a box's farthest point lies outside the (width, height) image; 0 inside."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    width, height = image_size
    low, high = pts.min(axis=0), pts.max(axis=0)
    return float(max(0.0, -low[0], -low[1], high[0] - width, high[1] - height))


def _fit_inside(pts: np.ndarray, image_size: tuple[int, int], config: CropConfig) -> tuple[np.ndarray, Issue | None]:
    width, height = image_size
    low, high = pts.min(axis=0), pts.max(axis=0)
    if high[0] <= 0 or high[1] <= 0 or low[0] >= width or low[1] >= height:
        return pts, Issue(
            Reason.OUTSIDE_IMAGE, f"box {_bounds(low, high)} is entirely outside the {width}×{height} image"
        )
    overshoot = outside_by(pts, image_size)
    if overshoot > config.edge_tolerance and config.outside == "reject":
        return pts, Issue(
            Reason.OUTSIDE_IMAGE,
            f"box {_bounds(low, high)} extends {overshoot:.0f} px outside the {width}×{height} image",
        )
    return np.clip(pts, 0, [width, height]), None


def _bounds(low: np.ndarray, high: np.ndarray) -> str:
    return f"({low[0]:.0f},{low[1]:.0f})-({high[0]:.0f},{high[1]:.0f})"


def _first_crossing(pts: np.ndarray) -> tuple[int, int] | None:
    """The first pair of non-adjacent polygon edges that properly cross, if any."""
    n = len(pts)
    for i in range(n):
        a, b = pts[i], pts[(i + 1) % n]
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # the last edge is adjacent to the first
            if _segments_cross(a, b, pts[j], pts[(j + 1) % n]):
                return i, j
    return None


def _segments_cross(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> bool:
    """True when the segments cross at a single interior point (touching does not count)."""

    def side(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    d1, d2 = side(q1, q2, p1), side(q1, q2, p2)
    d3, d4 = side(p1, p2, q1), side(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0
