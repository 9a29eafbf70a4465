"""Reading a whole photo: detect its text regions, put them in reading order, warp each one
upright and read them in batches.

    from krocr import PhotoReader
    reader = PhotoReader()                     # the shipped detector and recognizer
    for line in reader.read("street.jpg").lines:
        print(line.polygon.tolist(), line.text, line.confidence)

The detector finds words (regions); they are joined into text lines, which are what
``krocr read`` prints (``PhotoReading.at(level)``): lines read more words than their regions
on held-out scenes and real photos (docs/experiments/2026-12-06-line-level.md).

A region's polygon is four corners (x, y) in the pixels of the photo as given (after its
EXIF rotation), clockwise from the top-left corner of the text as it is read; for a
vertical column the first corner is the column's top-right (:mod:`krocr.data.crops`). A
column is handed to the recognizer standing, which reads it unstacked into a row and turned
90° and keeps the more confident reading (:meth:`Recognizer.prepare_layouts`). The detector
often finds a vertical sign's syllables one by one: upright, about square regions centred
over each other with small gaps, none with a neighbour beside it on its line, are merged
into one column first (:func:`stacked_columns`), which the recognizer reads far better than
single syllables.

Reading order: the regions are first turned so that the photo's text runs level (by the
median angle of the regions that read across; a tilted page's line otherwise drifts out of
its first word's height), then grouped into lines by vertical overlap (two regions share a
line when they overlap over at least half the shorter one's height, and do not overlap
over half the narrower one's width, as words stacked on a tilted panel do), lines go top to
bottom, and regions left to right within a line.

Lines: :attr:`PhotoReading.lines` joins the regions of one reading-order line into a text
line where the gap between neighbours is at most :data:`LINE_GAP` times the text's height
(a word space; a wider gap, as between a menu's columns or two signs at one height, starts a
new line). Only regions read left to right join: a vertical column stays a line of its own.
A line's polygon runs from its first region's left edge to its last region's right edge.
Its text (``line_reading``): the regions' texts joined by spaces, the line cut out along its
polygon and read as one crop, or by default (``confident``) the crop's reading where it is at
least as confident as the joined texts (chosen on held-out scenes,
docs/experiments/2026-12-06-line-reading.md).

Upside-down text: the detector's boxes say where text is, not which way up, so every region
is also read turned 180° (twice the recognition work, a small share of a photo's time). A
photo is upside down when its regions' turned readings are on average more confident by
:data:`PHOTO_TURN_MARGIN`: then its regions are read turned (unless the upright reading of
one wins by :data:`REGION_TURN_MARGIN`) and the reading order is reversed. In an upright
photo a single region is read turned only when that wins by :data:`REGION_TURN_MARGIN`. A
turned region's polygon starts at the other corner, the text's own top-left. Both margins
were chosen before measuring, not fitted to any evaluation set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Protocol, get_args

import cv2
import numpy as np

from krocr.data.crops import is_turned_column, line_quad, validate_box, warp_standing
from krocr.data.images import ImageInput, border_pixels, pil_to_rgb, read_image
from krocr.errors import ConfigError, DataError
from krocr.inference.recognizer import Layout, Reading, Recognizer

if TYPE_CHECKING:
    from PIL import Image

LINE_OVERLAP = 0.5  # share of the shorter region's height two regions must overlap to share a line
LINE_GAP = 1.0  # widest gap between neighbouring regions of a text line, in text heights (a word space is ~0.3)
PHOTO_TURN_MARGIN = 0.1  # mean confidence gain of the turned readings that makes a photo upside down
REGION_TURN_MARGIN = 0.25  # confidence gain that decides one region against its photo's way up
# A vertical sign's syllables, found one by one: upright regions about as tall as wide
# (STACKED_ASPECT, height / width), centred over each other (within STACKED_ALIGN of the wider
# one's width), of similar width (STACKED_WIDTHS, wider / narrower), parted by at most
# STACKED_GAP widths (or overlapping by at most STACKED_OVERLAP: boxes found a little loose);
# a region with a neighbour beside it on its line is a horizontal line's
STACKED_ASPECT = (0.75, 1.35)
STACKED_ALIGN = 0.35
STACKED_WIDTHS = 1.6
STACKED_GAP = 0.5
STACKED_OVERLAP = 0.2


class DetectedPolygon(Protocol):
    @property
    def polygon(self) -> np.ndarray: ...

    @property
    def score(self) -> float: ...


class TextDetector(Protocol):
    def detect(self, image: np.ndarray) -> Sequence[DetectedPolygon]: ...


@dataclass(frozen=True)
class TextRegion:
    """One text region of a photo and what it says."""

    polygon: np.ndarray  # (4, 2) float32: tl, tr, br, bl of the text as it is read
    text: str
    confidence: float  # the recognizer's
    detection_score: float  # the detector's: mean text probability inside the region

    def to_dict(self) -> dict:
        return {
            "polygon": np.round(self.polygon, 1).tolist(),
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "detection_score": round(self.detection_score, 4),
        }


@dataclass(frozen=True)
class SkippedRegion:
    """A detected region that could not be read (too thin to hold a glyph, an extreme aspect)."""

    polygon: np.ndarray
    reason: str


@dataclass(frozen=True)
class TextLine:
    """Neighbouring regions of one line, joined: what a document or menu line says."""

    polygon: np.ndarray  # (4, 2) float32: the first region's tl, the last one's tr and br, the first one's bl
    text: str  # the regions' texts joined by spaces, or the line read as one crop (PhotoReader.line_reading)
    confidence: float  # the lowest of its regions', or the one crop's
    regions: tuple[int, ...]  # indices into PhotoReading.regions, in the line's reading order
    read_whole: bool = False  # its text is the line's crop read as one, not its regions' texts joined

    def to_dict(self) -> dict:
        return {
            "polygon": np.round(self.polygon, 1).tolist(),
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "regions": list(self.regions),
            "read_whole": self.read_whole,
        }


@dataclass(frozen=True)
class PhotoReading:
    """What was read in one photo: regions in reading order, the same regions joined into
    text lines, and detected regions not read."""

    regions: list[TextRegion]
    skipped: list[SkippedRegion] = field(default_factory=list)
    size: tuple[int, int] = (0, 0)  # width, height of the photo read
    turned: int = 0  # regions read upside down (turned 180°)
    lines: list[TextLine] = field(default_factory=list)

    def at(self, level: OutputLevel) -> list[TextLine] | list[TextRegion]:
        """What the photo says at one level: its text lines (``line``) or the detector's word regions (``word``)."""
        if level not in OUTPUT_LEVELS:
            raise ConfigError(f"level must be one of {', '.join(OUTPUT_LEVELS)}, got {level!r}")
        return self.lines if level == "line" else self.regions


# The level krocr read prints: lines read better than their words on held-out scenes and on
# the real photos (docs/experiments/2026-12-06-line-level.md); words stay one option away.
OutputLevel = Literal["line", "word"]
OUTPUT_LEVELS: tuple[OutputLevel, ...] = get_args(OutputLevel)
DEFAULT_LEVEL: OutputLevel = "line"
LineReading = Literal["joined", "crop", "confident"]
LINE_READINGS: tuple[LineReading, ...] = get_args(LineReading)
DEFAULT_LINE_READING: LineReading = (
    "confident"  # chosen on held-out scenes: docs/experiments/2026-12-06-line-reading.md
)


class PhotoReader:
    """A text detector and a recognizer made ready to read whole photos.

    Args:
        detector: a :class:`krocr.detection.detector.Detector` (anything with
            ``detect(rgb) -> regions with .polygon and .score``); None loads the shipped one.
        recognizer: a :class:`Recognizer`; None loads the shipped default.
        upside_down: read regions turned 180° too and keep the way up that reads better
            (see the module's docs); False reads each region as its polygon says.
        line_reading: how a text line of several regions gets its text: ``joined``, its
            regions' texts joined by spaces; ``crop``, the line cut out whole and read as
            one crop; ``confident``, the crop's reading where it is at least as confident
            as the least confident of its regions, else the joined texts.

    Example:
        >>> reading = PhotoReader().read("sign.jpg")  # doctest: +SKIP
        >>> [region.text for region in reading.regions]  # doctest: +SKIP
        ['행복약국', '02-123-4567']
    """

    def __init__(
        self,
        detector: TextDetector | None = None,
        recognizer: Recognizer | None = None,
        upside_down: bool = True,
        line_reading: LineReading = DEFAULT_LINE_READING,
    ):
        if detector is None:
            from krocr.detection.detector import Detector  # torch-free, but loads the weights

            detector = Detector()
        self.detector: TextDetector = detector
        self.recognizer = recognizer if recognizer is not None else Recognizer()
        self.upside_down = upside_down
        if line_reading not in LINE_READINGS:
            raise ConfigError(f"line_reading must be one of {', '.join(LINE_READINGS)}, got {line_reading!r}")
        self.line_reading = line_reading

    def read(self, image: ImageInput) -> PhotoReading:
        """Detect, order, warp and read every text region of one photo.

        Args:
            image: a path, a PIL image or an RGB uint8 array.

        Returns:
            A :class:`PhotoReading`; an image with no text gives no regions.
        """
        rgb = load_photo(image)
        height, width = rgb.shape[:2]
        padded, pad = pad_for_detection(rgb)
        quads, scores, skipped = [], [], []
        for region in self.detector.detect(padded):
            polygon = np.asarray(region.polygon, dtype=np.float32) - pad
            ordered, issue = validate_box(polygon, (width, height))
            if issue is not None:
                skipped.append(SkippedRegion(polygon, str(issue.reason)))
                continue
            assert ordered is not None  # validate_box returns corners exactly when it finds no issue
            quads.append(ordered)
            scores.append(float(region.score))
        quads, scores = _columns_merged(quads, scores, (width, height))
        lines = reading_lines(quads)
        order = [i for line in lines for i in line]
        crops, kept = [], []
        for i in order:
            try:
                crops.append(self._layouts(rgb, quads[i]))
                kept.append(i)
            except DataError as exc:  # too long for the recognizer: say so, keep the rest
                skipped.append(SkippedRegion(quads[i], str(exc).split(": ", 1)[-1]))
        rows, judged = self.recognizer.choose_layouts(crops)
        turned: list[int] = []
        photo_turned = False
        if self.upside_down:
            turned, photo_turned = self._turned(rgb, [quads[i] for i in kept], rows, judged)
        readings = self.recognizer.finish(rows, judged)
        for n in turned:
            quads[kept[n]] = np.roll(quads[kept[n]], 2, axis=0)
        if photo_turned:
            kept, readings = kept[::-1], readings[::-1]
        regions, line_of = [], []
        line_number = {i: n for n, line in enumerate(lines) for i in line}
        for i, reading in zip(kept, readings):
            if reading.text:
                regions.append(TextRegion(quads[i], reading.text, reading.confidence, scores[i]))
                line_of.append(line_number[i])
            else:  # below the recognizer's min_confidence, or it saw no character
                skipped.append(SkippedRegion(quads[i], f"nothing read (confidence {reading.confidence:.2f})"))
        joined_lines = text_lines(regions, line_of)
        if self.line_reading != "joined":
            joined_lines = self._lines_read_whole(rgb, joined_lines, regions)
        return PhotoReading(regions, skipped, (width, height), len(turned), joined_lines)

    def _lines_read_whole(self, rgb: np.ndarray, lines: list[TextLine], regions: list[TextRegion]) -> list[TextLine]:
        """Each line of several regions read the same way up, cut out along its polygon and
        read as one crop; its reading replaces the joined texts as :attr:`line_reading` says."""
        several = [
            n
            for n, line in enumerate(lines)
            if len(line.regions) > 1 and _one_way_up([regions[i].polygon for i in line.regions])
        ]
        crops, kept = [], []
        for n in several:
            try:
                crops.append(self._layouts(rgb, lines[n].polygon))
                kept.append(n)
            except DataError:  # longer than the recognizer reads: the joined texts stay
                continue
        rows, judged = self.recognizer.choose_layouts(crops)
        result = list(lines)
        for n, reading in zip(kept, self.recognizer.finish(rows, judged)):
            if reading.text and (self.line_reading == "crop" or reading.confidence >= lines[n].confidence):
                result[n] = replace(lines[n], text=reading.text, confidence=reading.confidence, read_whole=True)
        return result

    def _layouts(self, rgb: np.ndarray, quad: np.ndarray, upside_down: bool = False) -> list[Layout]:
        """The recognizer's layouts of one region (a column handed over standing), read as
        its polygon says or turned 180°."""
        column = is_turned_column(quad)
        crop = warp_standing(rgb, quad, self.recognizer.preprocess.height)
        if upside_down:
            crop = np.ascontiguousarray(np.rot90(crop, 2))
        # regions as they are: stretched too, the real photos' lines read no better (4 fixed / 4
        # broken) at 1.6 times the time (docs/experiments/2026-12-06-condensed-stretch.md)
        return self.recognizer.prepare_layouts(crop, column=column, stretch=False)

    def _turned(
        self, rgb: np.ndarray, quads: list[np.ndarray], rows: list[np.ndarray], judged: list[Reading]
    ) -> tuple[list[int], bool]:
        """Read every region turned 180° (greedy readings, as layouts are chosen); where that
        way up wins, its logits and reading replace the first in ``rows`` and ``judged``.
        Returns the indices replaced, and whether the photo is upside down."""
        turned_rows, turned = self.recognizer.choose_layouts(
            [self._layouts(rgb, quad, upside_down=True) for quad in quads]
        )
        gains = [t.confidence - r.confidence for t, r in zip(turned, judged)]
        photo_turned = bool(gains) and float(np.mean(gains)) > PHOTO_TURN_MARGIN
        needed = -REGION_TURN_MARGIN if photo_turned else REGION_TURN_MARGIN
        replaced = [n for n, gain in enumerate(gains) if gain > needed and turned[n].text]
        for n in replaced:
            rows[n], judged[n] = turned_rows[n], turned[n]
        return replaced, photo_turned


def load_photo(image: ImageInput) -> np.ndarray:
    """A path, PIL image or array as RGB uint8 (H, W, 3), EXIF rotation applied."""
    from PIL import Image

    if isinstance(image, np.ndarray):  # as a file would be read: RGBA composited on white
        if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
            raise DataError(f"array of shape {image.shape} and dtype {image.dtype}: expected uint8 gray, RGB or RGBA")
        return pil_to_rgb(Image.fromarray(image), f"array of shape {image.shape}")
    if isinstance(image, Image.Image):
        return pil_to_rgb(image)
    return read_image(image)


def pad_for_detection(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """The photo on a margin of its own border colour, and the margin's width in px.

    A detector learns text with some background around it; a large crop handed over as a
    photo has its letters touching the edge. The margin (4 % of the longer side, at least
    16 px) gives them room; polygons are shifted back and clipped to the photo afterwards.
    """
    pad = max(16, round(0.04 * max(rgb.shape[:2])))
    color = tuple(int(v) for v in np.median(border_pixels(rgb), axis=0))
    return cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=color), pad


def reading_order(quads: Sequence[np.ndarray]) -> list[int]:
    """Indices of ``quads`` in reading order: lines top to bottom, left to right in a line.

    Args:
        quads: (4, 2) corner arrays in image pixels.

    Returns:
        A permutation of ``range(len(quads))``.
    """
    return [i for line in reading_lines(quads) for i in line]


def reading_lines(quads: Sequence[np.ndarray]) -> list[list[int]]:
    """Indices of ``quads`` grouped into reading-order lines (see the module's docs): lines
    top to bottom, each left to right."""
    if not quads:
        return []
    quads = _levelled(quads)
    tops = np.array([q[:, 1].min() for q in quads])
    bottoms = np.array([q[:, 1].max() for q in quads])
    lefts = np.array([q[:, 0].min() for q in quads])
    rights = np.array([q[:, 0].max() for q in quads])

    def side_by_side(i: int, j: int) -> bool:  # words stacked in a tilted panel overlap in x: not one line
        overlap = min(rights[i], rights[j]) - max(lefts[i], lefts[j])
        return overlap < LINE_OVERLAP * min(rights[i] - lefts[i], rights[j] - lefts[j])

    lines: list[list[int]] = []
    line_spans: list[tuple[float, float]] = []
    for i in np.argsort((tops + bottoms) / 2, kind="stable"):
        for line, (top, bottom) in zip(lines, line_spans):
            overlap = min(bottom, bottoms[i]) - max(top, tops[i])
            if overlap >= LINE_OVERLAP * min(bottom - top, bottoms[i] - tops[i]) and all(
                side_by_side(int(i), j) for j in line
            ):
                line.append(int(i))
                break
        else:
            lines.append([int(i)])
            line_spans.append((float(tops[i]), float(bottoms[i])))
    lines.sort(key=lambda line: float(np.mean(tops[line])))
    return [sorted(line, key=lambda j: float(lefts[j])) for line in lines]


def _levelled(quads: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The quads turned so that the photo's text runs level: by minus the median angle of the
    regions that read across (a region read turned counts by its line's direction), so that
    the words of a tilted page or sign overlap in height along the whole line, not only near
    its first word."""
    angles = []
    for quad in quads:
        dx, dy = quad[1] - quad[0]
        if abs(dx) > abs(dy):  # folded into [-90°, 90°): a turned region's 180° counts as 0°
            angles.append((float(np.arctan2(dy, dx)) + np.pi / 2) % np.pi - np.pi / 2)
    if not angles:
        return list(quads)
    angle = float(np.median(angles))
    turn = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]], np.float32)
    return [np.asarray(quad, np.float32) @ turn.T for quad in quads]


def stacked_columns(quads: Sequence[np.ndarray]) -> list[list[int]]:
    """Regions that are the syllables of one vertical column, found one by one by the
    detector (see the :data:`STACKED_ASPECT` … :data:`STACKED_GAP` constants).

    Args:
        quads: (4, 2) corner arrays in image pixels, as :func:`krocr.data.crops.validate_box` orders them.

    Returns:
        Groups of at least two indices, each top to bottom, sorted by their first index.
    """
    boxes = np.array([[q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()] for q in quads]).reshape(-1, 4)
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    alone = {i for line in reading_lines(quads) for i in line if not _has_neighbour(line, i, boxes)}
    syllables = [
        i
        for i in range(len(quads))
        if i in alone
        and _axis_aligned(quads[i])
        and STACKED_ASPECT[0] * widths[i] <= heights[i] <= STACKED_ASPECT[1] * widths[i]
    ]
    below: dict[int, int] = {}
    for i in syllables:
        candidates = [j for j in syllables if j != i and _stacks_on(boxes[i], boxes[j])]
        if candidates:
            below[i] = min(candidates, key=lambda j: boxes[j, 1])
    above = {j: i for i, j in below.items()}
    columns = []
    for top in sorted((i for i in below if i not in above), key=lambda i: boxes[i, 1]):
        column = [top]
        while column[-1] in below and below[column[-1]] not in column:
            column.append(below[column[-1]])
        columns.append(column)
    return sorted(columns, key=lambda column: column[0])


def _columns_merged(
    quads: list[np.ndarray], scores: list[float], size: tuple[int, int]
) -> tuple[list[np.ndarray], list[float]]:
    """The regions with each :func:`stacked_columns` group replaced by one region around it
    (where its first syllable was; its score the mean of theirs), read as one column."""
    merged: dict[int, tuple[np.ndarray, float]] = {}
    dropped: set[int] = set()
    for column in stacked_columns(quads):
        box, issue = validate_box(_bounding_box([quads[i] for i in column]), size)
        if issue is not None:  # e.g. a column longer than any text line (extreme_aspect): left as found
            continue
        assert box is not None  # validate_box returns corners exactly when it finds no issue
        merged[column[0]] = box, float(np.mean([scores[i] for i in column]))
        dropped.update(column[1:])
    kept = [i for i in range(len(quads)) if i not in dropped]
    return (
        [merged[i][0] if i in merged else quads[i] for i in kept],
        [merged[i][1] if i in merged else scores[i] for i in kept],
    )


def _stacks_on(upper: np.ndarray, lower: np.ndarray) -> bool:
    """Whether box ``lower`` (x0, y0, x1, y1) is the next syllable under ``upper`` in a column."""
    width = max(upper[2] - upper[0], lower[2] - lower[0])
    narrow = min(upper[2] - upper[0], lower[2] - lower[0])
    gap = lower[1] - upper[3]
    centre_shift = abs((upper[0] + upper[2]) / 2 - (lower[0] + lower[2]) / 2)
    return (
        -STACKED_OVERLAP * width <= gap <= STACKED_GAP * width
        and centre_shift <= STACKED_ALIGN * width
        and width <= STACKED_WIDTHS * max(narrow, 1e-9)
    )


def _has_neighbour(line: list[int], i: int, boxes: np.ndarray) -> bool:
    """Whether region ``i`` has another region of its reading-order line within a word space
    (LINE_GAP text heights) beside it."""
    height = boxes[i, 3] - boxes[i, 1]
    for j in line:
        if j != i:
            gap = max(boxes[i, 0], boxes[j, 0]) - min(boxes[i, 2], boxes[j, 2])
            if gap <= LINE_GAP * height:
                return True
    return False


def _runs_backwards(polygons: Sequence[np.ndarray]) -> bool:
    """Whether regions that all read the same way read from the last one towards the first
    (a line mixing ways up keeps the image's order)."""
    if len(polygons) < 2 or not _one_way_up(polygons):
        return False
    step = polygons[-1].mean(axis=0) - polygons[0].mean(axis=0)
    return float(np.dot(polygons[0][1] - polygons[0][0], step)) < 0


def _one_way_up(polygons: Sequence[np.ndarray]) -> bool:
    """Whether regions run the same way (their reading edges, first corner to second, point
    alike): a line with one region read turned 180° has no single polygon to cut out."""
    first = polygons[0][1] - polygons[0][0]
    return all(float(np.dot(p[1] - p[0], first)) > 0 for p in polygons[1:])


def _axis_aligned(quad: np.ndarray) -> bool:
    """Whether a region's edges run (nearly) along the image's axes: a word of a line, or a
    column that validate_box relabelled to be turned, but not a tilted one."""
    dx, dy = np.abs(quad[1] - quad[0])
    return min(dx, dy) <= 0.2 * max(dx, dy)


def _bounding_box(quads: Sequence[np.ndarray]) -> np.ndarray:
    """The axis-aligned box (tl, tr, br, bl) around all corners of ``quads``."""
    points = np.concatenate(quads)
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def text_lines(regions: Sequence[TextRegion], line_of: Sequence[int]) -> list[TextLine]:
    """Regions (in reading order) joined into text lines: a region joins the line before it
    when both are in the same reading-order line (``line_of``), both read left to right, and
    the gap between them is at most :data:`LINE_GAP` text heights.

    Args:
        regions: the photo's regions in reading order.
        line_of: each region's reading-order line number.

    Returns:
        The text lines, in reading order; every region is in exactly one.
    """
    groups: list[list[int]] = []
    for n, region in enumerate(regions):
        if groups and line_of[groups[-1][-1]] == line_of[n] and _joins(regions[groups[-1][-1]].polygon, region.polygon):
            groups[-1].append(n)
        else:
            groups.append([n])
    # regions all read turned in an upright photo (or upright in a turned one) come in the
    # image's order but read the other way: the line runs from the last of them to the first
    groups = [group[::-1] if _runs_backwards([regions[n].polygon for n in group]) else group for group in groups]
    return [
        TextLine(
            _line_polygon(regions[group[0]].polygon, regions[group[-1]].polygon),
            " ".join(regions[n].text for n in group),
            min(regions[n].confidence for n in group),
            tuple(group),
        )
        for group in groups
    ]


def _line_polygon(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """The line's quad from its first and last regions; where they were read different ways up,
    both are taken the way the line runs (first to last), so the quad covers the line instead
    of crossing itself between the two."""
    if _one_way_up([first, last]):
        return line_quad(first, last)
    step = last.mean(axis=0) - first.mean(axis=0)
    first, last = (q if float(np.dot(q[1] - q[0], step)) >= 0 else np.roll(q, 2, axis=0) for q in (first, last))
    return line_quad(first, last)


def _joins(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether ``after`` continues the text of ``before``: both read left to right (in the
    image or, turned, right to left) and the gap between them is at most LINE_GAP text heights."""

    def horizontal(quad: np.ndarray) -> bool:
        dx, dy = quad[1] - quad[0]
        return abs(dx) > abs(dy)

    if not (horizontal(before) and horizontal(after)):
        return False
    height = float(np.mean([np.linalg.norm(q[3] - q[0]) for q in (before, after)]))
    lefts_rights = [(float(q[:, 0].min()), float(q[:, 0].max())) for q in (before, after)]
    gap = max(lefts_rights[0][0], lefts_rights[1][0]) - min(lefts_rights[0][1], lefts_rights[1][1])
    return gap <= LINE_GAP * max(height, 1e-9)


def draw_reading(image: ImageInput, reading: PhotoReading, level: OutputLevel = DEFAULT_LEVEL) -> Image.Image:
    """The photo with each text line's (or word region's) polygon and its text above it (in a
    Korean font), for a person to check what was read; regions not read in grey.

    Args:
        image: the photo that was read.
        reading: what :meth:`PhotoReader.read` returned for it.
        level: draw its text lines (``line``) or the detector's word regions (``word``).

    Returns:
        An RGB PIL image the size of the photo.
    """
    from PIL import Image, ImageDraw

    from krocr.captions import korean_font

    canvas = Image.fromarray(load_photo(image))
    draw = ImageDraw.Draw(canvas)
    line_width = max(2, round(max(canvas.size) / 500))
    for skipped in reading.skipped:
        draw.polygon([tuple(p) for p in skipped.polygon.tolist()], outline=(160, 160, 160), width=line_width)
    for region in reading.at(level):
        corners = [tuple(p) for p in region.polygon.tolist()]
        color = (0, 200, 0) if region.confidence >= 0.5 else (230, 120, 0)
        draw.polygon(corners, outline=color, width=line_width)
        text_height = float(np.ptp(region.polygon[:, 1]))
        font = korean_font(int(np.clip(text_height * 0.6, 14, 48)))
        x, y = float(region.polygon[:, 0].min()), float(region.polygon[:, 1].min())
        label = f"{region.text} ({region.confidence:.2f})"
        left, top, right, bottom = draw.textbbox((x, y), label, font=font, anchor="lb")
        draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=(255, 255, 255))
        draw.text((x, y), label, font=font, fill=color if color != (0, 200, 0) else (0, 110, 0), anchor="lb")
    return canvas
