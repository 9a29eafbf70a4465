"""Annotation importers: each format becomes records plus a log of what was dropped.

Every importer returns ``(records, RejectionLog)`` and never raises for one bad item
(a line, a region, one file of a directory); only an annotation file that cannot be read
at all raises :class:`DataError` naming it (with line and column for JSON). Records carry
NFC text and the ``source`` name (default: the annotation file's stem). Importers check
that each image exists; decoding images and checking geometry happen later
(:mod:`krocr.data.crops`), so importing a large dataset is fast.

Text files are read as UTF-8 (a BOM is fine). A file that is not UTF-8 but decodes as
CP949 (Korean Windows) is read as CP949 and a note says so; anything else is an error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from krocr.data.crops import MAX_COORDINATE
from krocr.data.records import ILLEGIBLE_MARKERS, CropRecord, ImageRecord, Word
from krocr.data.rejections import Issue, Reason, RejectionLog
from krocr.data.store import CacheReader
from krocr.errors import DataError, read_input

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
AIHUB_ILLEGIBLE = ILLEGIBLE_MARKERS | {"xxx"}  # AI Hub marks unreadable text "xxx"


class _ItemError(Exception):
    """One item cannot be used; caught by the importer and logged, never escapes."""

    def __init__(self, reason: Reason, detail: str):
        super().__init__(detail)
        self.issue = Issue(reason, detail)


# ---- shared file reading ----------------------------------------------------------------
def read_text(path: Path, log: RejectionLog) -> str:
    """A text file as str: UTF-8 (BOM allowed), else CP949 with a note, else DataError."""
    data = read_input(path, "annotation file", DataError)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp949")
    except UnicodeDecodeError:
        raise DataError(
            f"{path}: not UTF-8 (byte {utf8_error.start}: {utf8_error.reason}) and not CP949 either; "
            "convert it to UTF-8"
        ) from None
    log.note(
        f"{path}: not UTF-8; decoded as CP949 (Korean Windows). Check a few labels, or convert it with "
        f"iconv -f cp949 -t utf-8"
    )
    return text


def read_json(path: Path, log: RejectionLog) -> Any:
    try:
        return json.loads(read_text(path, log))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise DataError(f"{path}: invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # an integer over sys.get_int_max_str_digits() digits
        raise DataError(f"{path}: invalid JSON ({exc})") from None


def _annotation_files(path: Path, suffix: str) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == suffix and p.is_file())
        if not files:
            raise DataError(f"{path}: no *{suffix} annotation files in this directory")
        return files
    if not path.exists():
        raise DataError(f"{path}: annotation file not found")
    return [path]


def _read_each(
    files: list[Path], reader: Callable[[Path, RejectionLog], Any], log: RejectionLog
) -> Iterator[tuple[Path, Any]]:
    """(file, content) for each file; in a directory, a file that cannot be read at all is
    a rejection (one bad file among thousands must not stop an import); alone it raises."""
    for file in files:
        try:
            yield file, reader(file, log)
        except DataError as exc:
            if len(files) == 1:
                raise
            log.add(file, "file", Reason.UNREADABLE_ANNOTATION, str(exc))


def _floats(values: Any, what: str) -> list[float]:
    """Coordinates from JSON. Not a list (a string would be read digit by digit), a bool, a
    non-number or a number too large for a float is a MALFORMED_REGION, and so is a
    coordinate that ``_coordinates`` refuses."""
    if not isinstance(values, (list, tuple)):
        raise _ItemError(Reason.MALFORMED_REGION, f"{what} are not a list of numbers: {_short(values)}")
    try:
        if any(isinstance(v, bool) for v in values):
            raise TypeError  # float(True) is 1.0, but true is no coordinate
        numbers = [float(v) for v in values]
    except (TypeError, ValueError, OverflowError):
        raise _ItemError(Reason.MALFORMED_REGION, f"{what} are not all numbers: {_short(values)}") from None
    return _coordinates(numbers, f"{what}: {_short(values)}")


def _coordinates(numbers: list[float], shown: str) -> list[float]:
    """``numbers`` if all are finite and within ±MAX_COORDINATE px, else a MALFORMED_REGION
    (a Word holds float32, and minAreaRect of points far outside any image yields NaN)."""
    if not all(math.isfinite(v) for v in numbers):
        raise _ItemError(Reason.MALFORMED_REGION, f"non-finite coordinates in {shown}")
    if any(abs(v) > MAX_COORDINATE for v in numbers):
        raise _ItemError(Reason.MALFORMED_REGION, f"coordinates beyond ±{MAX_COORDINATE:g} px in {shown}")
    return numbers


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rect(x: float, y: float, w: float, h: float) -> np.ndarray:
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)


def _is_file(path: Path) -> tuple[bool, str]:
    """(is a file, why not). ``Path.is_file`` raises the OSErrors it does not expect (a
    name too long, no permission); they count as a missing image, with the reason."""
    try:
        return path.is_file(), "not found"
    except OSError as exc:
        return False, f"cannot be opened ({exc.strerror or exc})"


def _check_image(record: ImageRecord, log: RejectionLog) -> bool:
    found, why = _is_file(record.path)
    if found:
        return True
    log.add(
        record.path,
        "image",
        Reason.MISSING_IMAGE,
        f"image file {why}; named in {record.annotation} ({len(record.words)} words lost)",
    )
    return False


# ---- VGG Image Annotator ------------------------------------------------------------------
def read_via(
    path: str | Path,
    images_dir: str | Path | None = None,
    text_attribute: str = "annotation_kr",
    source: str | None = None,
) -> tuple[list[ImageRecord], RejectionLog]:
    """A VIA 1/2 project (``_via_img_metadata``) or its JSON export ({key: entry}).

    Regions may be a list (VIA 2) or a dict (VIA 1); shapes ``polygon``
    (``all_points_x``/``all_points_y``) and ``rect`` (``x, y, width, height``) are read;
    the text is the region attribute ``text_attribute``. Images are looked up in
    ``images_dir`` (default: the JSON's directory). Regions count from 1 in file order.
    """
    path = Path(path)
    images_dir = Path(images_dir) if images_dir else path.parent
    source = source or path.stem
    log = RejectionLog()
    records = []
    for key, entry in _via_entries(read_json(path, log), path).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            log.add(path, f"entry {key}", Reason.MALFORMED_REGION, "entry has no 'filename'")
            continue
        regions = entry.get("regions") or []
        if not isinstance(regions, (list, dict)):
            log.add(
                path,
                entry["filename"] or f"entry {key}",
                Reason.MALFORMED_REGION,
                f"'regions' is not a list: {_short(regions)}",
            )
            continue
        region_items = regions.items() if isinstance(regions, dict) else enumerate(regions, 1)
        record = ImageRecord(images_dir / entry["filename"], [], source, annotation=path)
        for number, region in region_items:
            item = f"{entry['filename']} region {number}"
            try:
                record.words.append(_via_word(region, text_attribute, item))
            except _ItemError as exc:
                log.add_issue(path, item, exc.issue)
        if _check_image(record, log):
            records.append(record)
    return records, log


def _via_entries(data: Any, path: Path) -> dict:
    if isinstance(data, dict) and isinstance(data.get("_via_img_metadata"), dict):
        return data["_via_img_metadata"]  # a project (possibly still empty)
    if isinstance(data, dict) and {"project", "file", "metadata"} <= data.keys():
        raise DataError(f"{path}: a VIA 3 project; export the annotations as VIA 2 JSON (Annotation → Export)")
    if not isinstance(data, dict) or not any(isinstance(e, dict) and "filename" in e for e in data.values()):
        raise DataError(f"{path}: not a VIA project or export (no entries with a 'filename')")
    return data


def _via_word(region: Any, text_attribute: str, item: str) -> Word:
    if not isinstance(region, dict) or not isinstance(region.get("shape_attributes"), dict):
        raise _ItemError(Reason.MALFORMED_REGION, "region has no 'shape_attributes'")
    shape = region["shape_attributes"]
    name = shape.get("name")
    if name == "polygon":
        xs = _floats(shape.get("all_points_x") or [], "all_points_x")
        ys = _floats(shape.get("all_points_y") or [], "all_points_y")
        if len(xs) != len(ys):
            raise _ItemError(Reason.MALFORMED_REGION, f"{len(xs)} x values but {len(ys)} y values")
        points = np.stack([xs, ys], axis=1) if xs else np.zeros((0, 2))
    elif name == "rect":
        points = _rect(*_floats([shape.get(k) for k in ("x", "y", "width", "height")], "rect x, y, width, height"))
    else:
        raise _ItemError(Reason.UNSUPPORTED_SHAPE, f"shape {name!r}; only polygon and rect are read")
    attributes = region.get("region_attributes") or {}
    if not isinstance(attributes, dict):
        raise _ItemError(Reason.MALFORMED_REGION, f"'region_attributes' is not an object: {_short(attributes)}")
    if text_attribute not in attributes:
        present = ", ".join(map(repr, attributes)) or "none"
        raise _ItemError(Reason.MISSING_LABEL, f"no {text_attribute!r} region attribute (present: {present})")
    text = attributes[text_attribute]
    if not isinstance(text, str):
        raise _ItemError(Reason.MALFORMED_REGION, f"{text_attribute!r} is not text: {_short(text)}")
    return Word(points, text, illegible=text.strip() in ILLEGIBLE_MARKERS, region=item)


# ---- ICDAR 2015 ---------------------------------------------------------------------------
def read_icdar2015(
    gt_path: str | Path, images_dir: str | Path | None = None, source: str | None = None
) -> tuple[list[ImageRecord], RejectionLog]:
    """ICDAR 2015 incidental-text ground truth: one ``.txt`` per image (a file or a
    directory of them), lines ``x1,y1,x2,y2,x3,y3,x4,y4,text``; the text may hold commas;
    ``###`` marks illegible text. ``gt_img_7.txt`` belongs to ``img_7.*``; otherwise the
    image has the same stem as the text file. Lines count from 1."""
    gt_path = Path(gt_path)
    images_dir = Path(images_dir) if images_dir else (gt_path if gt_path.is_dir() else gt_path.parent)
    source = source or gt_path.stem
    log = RejectionLog()
    images = _image_index(images_dir)
    records = []
    for file, text in _read_each(_annotation_files(gt_path, ".txt"), read_text, log):
        record = ImageRecord(_icdar_image(file, images, images_dir), [], source, annotation=file)
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record.words.append(_icdar_word(line, f"line {lineno}"))
            except _ItemError as exc:
                log.add_issue(file, f"line {lineno}", exc.issue)
        if _check_image(record, log):
            records.append(record)
    return records, log


def _image_index(directory: Path) -> dict[str, Path]:
    if not directory.is_dir():
        raise DataError(f"{directory}: image directory not found")
    return {p.stem: p for p in sorted(directory.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}


def _icdar_image(gt_file: Path, images: dict[str, Path], images_dir: Path) -> Path:
    stems = [gt_file.stem.removeprefix("gt_"), gt_file.stem]
    for stem in stems:
        if stem in images:
            return images[stem]
    return images_dir / f"{stems[0]}.jpg"  # reported as missing


def _icdar_word(line: str, item: str) -> Word:
    fields = line.split(",", 8)
    if len(fields) < 9:
        raise _ItemError(
            Reason.MALFORMED_LINE, f"expected x1,y1,...,x4,y4,text; got {len(fields)} fields: {_short(line)}"
        )
    try:
        coords = [float(v) for v in fields[:8]]
    except ValueError:
        raise _ItemError(Reason.MALFORMED_LINE, f"coordinates are not numbers: {_short(line)}") from None
    points = np.array(_coordinates(coords, _short(line))).reshape(4, 2)
    text = fields[8]
    return Word(points, text, illegible=text.strip() in ILLEGIBLE_MARKERS, region=item)


# ---- AI Hub -------------------------------------------------------------------------------
def read_aihub(
    path: str | Path, images_dir: str | Path | None = None, source: str | None = None
) -> tuple[list[ImageRecord], RejectionLog]:
    """AI Hub Korean scene-text JSON (one file, or a directory of per-image files).

    Accepted: a top-level ``images`` list (or one dict) with ``file_name`` / ``filename`` /
    ``name``, optional ``id``, ``width``, ``height``; an ``annotations`` list with ``text``
    (or ``transcription``), ``image_id`` (optional when the file has one image) and the box
    under ``bbox`` (or ``points`` / ``polygon``) as ``[x, y, w, h]``, a flat
    ``[x1, y1, ..., xn, yn]`` or ``[[x, y], ...]``. ``xxx`` and ``###`` mark illegible
    text. Annotations count from 1 when they have no ``id``.
    """
    path = Path(path)
    images_dir = Path(images_dir) if images_dir else (path if path.is_dir() else path.parent)
    source = source or path.stem
    log = RejectionLog()
    records = []
    for file, data in _read_each(_annotation_files(path, ".json"), read_json, log):
        records += _aihub_records(data, file, images_dir, source, log)
    return records, log


def _aihub_records(data: Any, file: Path, images_dir: Path, source: str, log: RejectionLog) -> list[ImageRecord]:
    images = _first(data, ("images",))
    images = [images] if isinstance(images, dict) else images
    annotations = _first(data, ("annotations",))
    if not isinstance(images, list) or not isinstance(annotations, list):
        log.add(file, "file", Reason.UNREADABLE_ANNOTATION, "expected an object with 'images' and 'annotations' lists")
        return []
    by_id: dict[str, ImageRecord] = {}  # ids as text: files mix 7 and "7"
    for number, entry in enumerate(images, 1):
        name = _first(entry, ("file_name", "filename", "name"))
        if not isinstance(name, str) or not name:
            log.add(file, f"image {number}", Reason.MALFORMED_REGION, "image entry has no file_name")
            continue
        width, height = _int_or_none(entry.get("width")), _int_or_none(entry.get("height"))
        by_id[str(entry.get("id", number))] = ImageRecord(images_dir / name, [], source, width, height, file)
    single = next(iter(by_id.values())) if len(by_id) == 1 else None
    for number, annotation in enumerate(annotations, 1):
        ident, image_id = _first(annotation, ("id",)), _first(annotation, ("image_id",))
        item = f"annotation {ident if ident is not None else number}"
        try:
            record = by_id.get(str(image_id)) if image_id is not None else single
            if record is None:
                raise _ItemError(Reason.MALFORMED_REGION, f"image_id {_short(image_id)} matches no image")
            record.words.append(_aihub_word(annotation, item))
        except _ItemError as exc:
            log.add_issue(file, item, exc.issue)
    return [r for r in by_id.values() if _check_image(r, log)]


def _first(mapping: Any, keys: tuple[str, ...]) -> Any:
    """The value of the first of ``keys`` that ``mapping`` has (None if none or not a dict)."""
    if isinstance(mapping, dict):
        for key in keys:
            if key in mapping:
                return mapping[key]
    return None


def _aihub_word(annotation: Any, item: str) -> Word:
    text = _first(annotation, ("text", "transcription"))
    if not isinstance(text, str):
        raise _ItemError(Reason.MISSING_LABEL, "annotation has no 'text'")
    box = _first(annotation, ("bbox", "points", "polygon"))
    if not isinstance(box, list):
        raise _ItemError(Reason.MALFORMED_REGION, f"annotation has no bbox/points list: {_short(box)}")
    return Word(_aihub_points(box), text, illegible=text.strip() in AIHUB_ILLEGIBLE, region=item)


def _aihub_points(box: list) -> np.ndarray:
    if box and all(isinstance(p, (list, tuple)) for p in box):
        if any(len(p) != 2 for p in box):
            raise _ItemError(Reason.MALFORMED_REGION, f"points must be [x, y] pairs: {_short(box)}")
        return np.array([_floats(p, "point coordinates") for p in box]).reshape(-1, 2)
    values = _floats(box, "bbox values")
    if len(values) == 4:
        return _rect(*values)  # AI Hub's [x, y, width, height]
    if len(values) % 2:
        raise _ItemError(Reason.MALFORMED_REGION, f"odd number of coordinates ({len(values)})")
    return np.array(values).reshape(-1, 2)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # missing, not a number, NaN, infinity
        return None


# ---- crop label files and LMDBs -------------------------------------------------------------
def read_label_file(
    path: str | Path, root: str | Path | None = None, source: str | None = None
) -> tuple[list[CropRecord], RejectionLog]:
    """``image_path<TAB>text`` lines (PaddleOCR, deep-text-recognition-benchmark).

    Paths are relative to ``root`` (default: the label file's directory). The text is
    everything after the first tab. Blank lines are skipped; lines count from 1.
    """
    path = Path(path)
    root = Path(root) if root else path.parent
    source = source or path.stem
    log = RejectionLog()
    records = []
    for lineno, line in enumerate(read_text(path, log).splitlines(), 1):
        if not line.strip():
            continue
        item = f"line {lineno}"
        image, tab, text = line.partition("\t")
        if not tab or not image.strip():
            log.add(path, item, Reason.MALFORMED_LINE, f"expected 'image_path<TAB>text': {_short(line)}")
            continue
        image_path = root / image.strip()
        found, why = _is_file(image_path)
        if found:
            records.append(CropRecord(image_path, text, source, item, annotation=path))
        else:
            log.add(path, item, Reason.MISSING_IMAGE, f"{image_path} {why}")
    return records, log


def read_lmdb(path: str | Path, source: str | None = None) -> tuple[list[CropRecord], RejectionLog]:
    """Every sample of a crop LMDB (krocr's or a foreign DTRB one) with its image bytes;
    ``path`` of each record is the LMDB, ``item`` its 1-based index.

    Samples keep their stored source unless ``source`` is given; foreign LMDBs default to
    the directory name. Loads all image bytes: meant for re-splitting and merging."""
    reader = CacheReader(path, default_source=source)
    log = RejectionLog()
    records = []
    for i in range(len(reader)):
        try:
            data, label, stored_source = reader.raw(i)
        except DataError as exc:
            log.add(reader.path, f"index {i + 1}", Reason.UNREADABLE_IMAGE, str(exc))
            continue
        records.append(CropRecord(reader.path, label, source or stored_source, f"index {i + 1}", data))
    return records, log
