"""Whole-photo evaluation: how many labelled words the detector finds and the pipeline reads.

The real evaluation set boxes only the words someone could read and chose to label, so a
detection that matches no label may still be text: precision cannot be scored there. What
is scored is recall, word by word (``###`` regions are not scored):

* **found** — the detected regions together cover at least half of the word's area;
* **read (lines)** (``read_lines``) — found, and one of the reader's text lines
  (:attr:`PhotoReading.lines`: its word regions joined where a word space parts them, read
  whole where that is more confident) that overlaps the word contains it (both NFC,
  whitespace removed): the issue's rule applied to what ``krocr read`` prints, and to the
  same level as Tesseract's text lines in ``benchmarks/photo_recall.py``;
* **read (words)** (``read``) — found, and one of the detector's word regions that overlaps
  the word has a text that contains it (what ``krocr read --level word`` prints);
* **read (words joined)** (``read_joined``) — read by words, or found and the texts of the
  word regions lying mostly inside the label (at least :data:`JOIN_INSIDE` of each region's
  area), joined in reading order, contain it. A third of the real set's labels are whole
  lines, which word regions can only read together.

Synthetic scenes, boxed completely, are scored by :func:`evaluate_scenes` with ICDAR 2015
precision / recall / h-mean (IoU ≥ 0.5, ``###`` words don't-care; :mod:`krocr.detection.metrics`)
and end-to-end word accuracy: the share of labelled words matched by a region that reads
them exactly (NFC, spaces ignored).
"""

from __future__ import annotations

import csv
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from shapely import make_valid, unary_union
from shapely.geometry import Polygon

from krocr.analysis.evaluation import recognizer_settings, run_stamp
from krocr.analysis.metrics import compact
from krocr.data.eval_sets import AnnotatedPhoto, read_photo_set
from krocr.data.importers import read_icdar2015
from krocr.data.records import ImageRecord
from krocr.data.rejections import RejectionLog
from krocr.detection.folders import scene_folders
from krocr.detection.metrics import DetectionCounts, match_image
from krocr.errors import DataError
from krocr.inference.photo import PhotoReader, PhotoReading, draw_reading
from krocr.progress import SILENT, ProgressHook

FOUND_COVERAGE = 0.5  # share of a word's area the detected regions must cover
JOIN_INSIDE = 0.5  # share of a region's area inside a label for its text to join the label's reading
ILLEGIBLE = "###"


@dataclass(frozen=True)
class WordOutcome:
    """One labelled word of a photo, and whether the pipeline found and read it."""

    photo: str
    kind: str
    tags: tuple[str, ...]
    truth: str
    coverage: float  # share of the word's area inside detected regions
    found: bool
    read: bool
    region_text: str  # the text of the region that overlaps the word most ("" if none)
    # read by the regions lying mostly inside it, joined in reading order: a label that is a
    # whole line, read by word-level regions (the strict ``read`` wants one region holding it)
    read_joined: bool = False
    read_lines: bool = False  # read by one of the reader's text lines (the regions' when none are given)


def score_photo(
    photo: AnnotatedPhoto,
    regions: Sequence[tuple[np.ndarray, str]],
    lines: Sequence[tuple[np.ndarray, str]] | None = None,
) -> list[WordOutcome]:
    """Found / read for each labelled word of one photo.

    Args:
        photo: the photo's labelled words.
        regions: (polygon (N, 2) in the photo's pixels, text) of every detected region, in
            reading order; a region the recognizer did not read has text "" (it still finds words).
        lines: (polygon, text) of the reader's text lines; None scores ``read_lines`` as ``read``.

    Returns:
        One outcome per word whose text is not ``###``, in the annotation's order.
    """
    line_shapes = [(_shape(polygon), text) for polygon, text in lines or ()]
    shapes = [(_shape(polygon), text) for polygon, text in regions]
    joins_at = [JOIN_INSIDE * max(shape.area, 1e-9) for shape, _ in shapes]  # overlap that puts a region inside
    covered = unary_union([shape for shape, _ in shapes]) if shapes else Polygon()
    outcomes = []
    for word in photo.words:
        if word.text == ILLEGIBLE:
            continue
        word_shape = _shape(np.array(word.points))
        area = max(word_shape.area, 1e-9)
        overlaps = [word_shape.intersection(shape).area for shape, _ in shapes]
        coverage = word_shape.intersection(covered).area / area
        found = coverage >= FOUND_COVERAGE
        texts = [text for (_, text), overlap in zip(shapes, overlaps) if overlap > 0]
        read = found and any(compact(word.text) in compact(text) for text in texts if text)
        best = shapes[int(np.argmax(overlaps))][1] if overlaps and max(overlaps) > 0 else ""
        inside = "".join(text for (_, text), overlap, at in zip(shapes, overlaps, joins_at) if overlap >= at)
        joined = read or (found and compact(word.text) in compact(inside))
        by_lines = read if lines is None else found and _contained(word.text, word_shape, line_shapes)
        outcomes.append(
            WordOutcome(
                photo.path.name,
                photo.kind,
                word.tags,
                word.text,
                round(coverage, 4),
                found,
                read,
                best,
                joined,
                by_lines,
            )
        )
    return outcomes


def _contained(truth: str, word: Polygon, shapes: Sequence[tuple[Polygon, str]]) -> bool:
    """Whether a text of the shapes overlapping ``word`` contains ``truth`` (NFC, spaces ignored)."""
    return any(compact(truth) in compact(text) for shape, text in shapes if text and word.intersection(shape).area > 0)


def _shape(points: np.ndarray) -> Polygon:
    """A polygon as shapely sees it; a self-crossing one is repaired (its area kept)."""
    shape = Polygon(np.asarray(points, np.float64).reshape(-1, 2))
    return shape if shape.is_valid else make_valid(shape)


def recall_summary(outcomes: Sequence[WordOutcome]) -> dict:
    """Words, found and read counts and rates, overall and by kind and tag (a word counts
    under each of its tags; untagged words under ``untagged``)."""
    by_kind: dict[str, list[WordOutcome]] = defaultdict(list)
    by_tag: dict[str, list[WordOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
        for tag in outcome.tags or ("untagged",):
            by_tag[tag].append(outcome)
    return {
        **_rates(outcomes),
        "by_kind": {kind: _rates(group) for kind, group in sorted(by_kind.items())},
        "by_tag": {tag: _rates(group) for tag, group in sorted(by_tag.items())},
    }


def _rates(outcomes: Sequence[WordOutcome]) -> dict:
    words = len(outcomes)
    found = sum(o.found for o in outcomes)
    read = sum(o.read for o in outcomes)
    joined = sum(o.read_joined for o in outcomes)
    by_lines = sum(o.read_lines for o in outcomes)
    return {
        "words": words,
        "found": found,
        "read": read,
        "read_joined": joined,
        "read_lines": by_lines,
        "found_rate": found / words if words else 0.0,
        "read_rate": read / words if words else 0.0,
        "read_joined_rate": joined / words if words else 0.0,
        "read_lines_rate": by_lines / words if words else 0.0,
    }


def detected_regions(reading: PhotoReading) -> list[tuple[np.ndarray, str]]:
    """Every region the detector gave, with its text; regions not read (skipped) with "" ."""
    return [(r.polygon, r.text) for r in reading.regions] + [(s.polygon, "") for s in reading.skipped]


def evaluate_photos(
    reader: PhotoReader,
    data: str | Path,
    out: str | Path,
    limit: int | None = None,
    progress: ProgressHook = SILENT,
) -> dict:
    """Read every photo of an annotated set and score its labelled words.

    Args:
        reader: the detector and recognizer to evaluate.
        data: the set's folder (``annotations.jsonl`` and ``images/``, as ``shared/data/real-dev``).
        out: where ``photo_metrics.json``, ``photo_words.csv`` (every word, found and read)
            and ``photos/`` (each photo drawn: its text lines in green/orange, words its lines
            do not read in red) go.
        limit: only the first N photos.
        progress: told the photo count, then advanced once per photo.

    Returns:
        The metrics written to ``photo_metrics.json``.
    """
    photos = read_photo_set(data)[:limit]
    out = Path(out)
    (out / "photos").mkdir(parents=True, exist_ok=True)
    outcomes: list[WordOutcome] = []
    unreadable: list[dict] = []
    seconds = megapixels = 0.0
    progress.start("photos", len(photos))
    for photo in photos:
        start = time.perf_counter()
        try:
            reading = reader.read(photo.path)
        except DataError as exc:  # its words count as missed: an unreadable photo finds nothing
            unreadable.append({"photo": str(photo.path), "error": str(exc)})
            outcomes += score_photo(photo, [])
            progress.advance(1)
            continue
        seconds += time.perf_counter() - start
        megapixels += reading.size[0] * reading.size[1] / 1e6
        scored = score_photo(photo, detected_regions(reading), [(line.polygon, line.text) for line in reading.lines])
        outcomes += scored
        _draw(photo, reading, scored, out / "photos" / f"{photo.path.stem}.jpg")
        progress.advance(1)
    metrics = {
        "data": str(data),
        "settings": _settings(reader, limit),
        "photos": len(photos),
        **recall_summary(outcomes),
        "seconds_per_photo": seconds / max(len(photos) - len(unreadable), 1),
        "seconds_per_megapixel": seconds / megapixels if megapixels else 0.0,
        "unreadable": unreadable,
        "missed": [asdict(o) for o in outcomes if not o.read_lines],  # by what `krocr read` prints
    }
    (out / "photo_metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    _write_words(outcomes, out / "photo_words.csv")
    return metrics


def evaluate_scenes(
    reader: PhotoReader,
    folder: str | Path,
    out: str | Path,
    limit: int | None = None,
    progress: ProgressHook = SILENT,
) -> dict:
    """Detection precision / recall / h-mean and end-to-end word accuracy on completely boxed
    photos (ICDAR 2015 ground truth, as ``krocr synth --scenes`` writes); where the folder
    also holds its drawn lines (``lines/`` beside ``gt/``), the reader's text lines are
    scored against them the same way (``lines``).

    Args:
        reader: the detector and recognizer to evaluate.
        folder: an ICDAR 2015 folder (``scenes/gt`` + ``scenes/images``, ``gt/`` + ``images/``,
            or images beside their ``gt_img_N.txt``).
        out: where ``scene_metrics.json`` goes.
        limit: only the first N photos (by path).
        progress: told the photo count, then advanced once per photo.

    Returns:
        The metrics written to ``scene_metrics.json``; ``rejected`` counts the ground-truth
        lines that could not be read, by reason; ``lines`` is None without line ground truth.
    """
    gt_dir, image_dir = scene_folders(folder)
    records, log = read_icdar2015(gt_dir, image_dir)
    records = sorted(records, key=lambda record: str(record.path))[:limit]
    lines_dir = scene_lines_dir(folder)
    line_records, line_log = {}, None
    if lines_dir is not None:
        found_lines, line_log = read_icdar2015(lines_dir, image_dir)
        line_records = {record.path: record for record in found_lines}
    words, lines = _LevelScore(), _LevelScore()
    started = time.perf_counter()
    progress.start("scenes", len(records))
    for record in records:
        reading = reader.read(record.path)
        words.add(record, detected_regions(reading))
        if record.path in line_records:  # regions not read count as detections, as for words
            skipped = [(region.polygon, "") for region in reading.skipped]
            lines.add(line_records[record.path], [(line.polygon, line.text) for line in reading.lines] + skipped)
        progress.advance(1)
    metrics = {
        "data": str(folder),
        "settings": _settings(reader, limit),
        "photos": len(records),
        **words.to_dict("word"),
        "lines": None if line_log is None else _line_metrics(lines, line_log, records, line_records),
        "seconds_per_photo": (time.perf_counter() - started) / max(len(records), 1),
        "rejected": log.counts_by_reason(),
    }
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / "scene_metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return metrics


def scene_lines_dir(folder: str | Path) -> Path | None:
    """The drawn lines' ground truth of an ICDAR 2015 folder (``lines/`` beside ``gt/``), if it has one."""
    gt_dir, _ = scene_folders(folder)
    lines_dir = gt_dir.parent / "lines"
    return lines_dir if gt_dir.name == "gt" and lines_dir.is_dir() else None


def _line_metrics(
    lines: _LevelScore, log: RejectionLog, records: Sequence[ImageRecord], line_records: dict[Path, ImageRecord]
) -> dict:
    """The line scores, the line files' rejections, and the photos scored for words only
    (no line file: say so rather than score fewer photos unnoticed)."""
    missing = [str(record.path) for record in records if record.path not in line_records]
    return {
        **lines.to_dict("line"),
        "photos": len(records) - len(missing),
        "photos_without_lines": missing,
        "rejected": log.counts_by_reason(),
    }


@dataclass
class _LevelScore:
    """ICDAR 2015 counts and exact readings of one level (words or lines) over a scene set."""

    counts: DetectionCounts = field(default_factory=DetectionCounts)
    read_right: int = 0

    def add(self, record: ImageRecord, detected: Sequence[tuple[np.ndarray, str]]) -> None:
        truths = [word.text for word in record.words]
        match = match_image(
            [np.asarray(word.points, np.float32) for word in record.words],
            [word.illegible for word in record.words],  # any marker the importer knows, spaces and all
            [polygon for polygon, _ in detected],
        )
        self.counts = self.counts + match.counts
        self.read_right += sum(compact(detected[d][1]) == compact(truths[g]) for g, d in match.pairs)

    def to_dict(self, level: str) -> dict:
        truth = self.counts.ground_truth
        return {**self.counts.to_dict(), f"end_to_end_{level}_accuracy": self.read_right / truth if truth else 0.0}


def _settings(reader: PhotoReader, limit: int | None) -> dict:
    """What read the photos, and how, for the metrics file (a test's stand-in detector has no path)."""
    detector = reader.detector
    return {
        "detector": str(getattr(detector, "path", type(detector).__name__)),
        "max_side": getattr(detector, "max_side", None),
        "upside_down": reader.upside_down,
        "line_reading": reader.line_reading,
        "recognizer": recognizer_settings(reader.recognizer),
        **run_stamp(limit),
    }


def _draw(photo: AnnotatedPhoto, reading: PhotoReading, outcomes: Sequence[WordOutcome], path: Path) -> None:
    from PIL import ImageDraw

    canvas = draw_reading(photo.path, reading)
    draw = ImageDraw.Draw(canvas)
    labelled = [w for w in photo.words if w.text != ILLEGIBLE]
    for word, outcome in zip(labelled, outcomes):
        if not outcome.read_lines:
            draw.polygon([tuple(p) for p in word.points], outline=(220, 0, 0), width=2)
    canvas.save(path, quality=85)


def _write_words(outcomes: Sequence[WordOutcome], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["photo", "kind", "tags", "truth", "coverage", "found", "read", "region_text", "read_joined", "read_lines"]
        )
        for o in outcomes:
            writer.writerow(
                [
                    o.photo,
                    o.kind,
                    ",".join(o.tags),
                    o.truth,
                    o.coverage,
                    int(o.found),
                    int(o.read),
                    o.region_text,
                    int(o.read_joined),
                    int(o.read_lines),
                ]
            )
