"""Annotation importers: each format becomes records plus a log of what was dropped.

Every importer returns ``(records, RejectionLog)`` and never raises for one bad item
(a line, a region, one file of a directory); only an annotation file that cannot be read
at all raises :class:`DataError` naming it (with line and column for JSON). Records carry
NFC text and the ``source`` name (default: the annotation file's stem). Importers check
that each image exists; decoding images and checking geometry happen later
(:mod:`krocr.data.crops`), so importing a large dataset is fast.

Text files are read as UTF-8 (a BOM is fine). A file that is not UTF-8 but decodes as
CP949 (Korean Windows) is read as CP949 and a note says so; anything else is an error.

Matching annotations to images by name never guesses: when an annotation could belong to
several image files (``gt_img_4.txt`` beside ``img_4.jpg`` and ``img_4.png``; one VIA file
name in entries of different sizes; one AI Hub ``image_id`` for two files), its words are
an ``ambiguous_image`` rejection naming every candidate, and no image gets them.
:func:`drop_repeats` handles the same crop (or box of a photo) listed more than once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

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
            log.add(file, "file", Reason.UNREADABLE_ANNOTATION, str(exc), words=0)  # its words cannot be counted


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
    """The corners of an ``x, y, width, height`` box; a negative size is refused, not mirrored."""
    if w < 0 or h < 0:
        raise _ItemError(Reason.MALFORMED_REGION, f"box x {x:g}, y {y:g} has a negative size {w:g} × {h:g}")
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
        words=len(record.words),
    )
    return False


def _ambiguous(
    log: RejectionLog, file: Path, item: str, why: str, images: Sequence[Path], words: int, advice: str
) -> None:
    """An ``ambiguous_image`` rejection: ``why`` the annotation's words could belong to any
    of ``images``; none of them gets the words."""
    names = " and ".join(str(p) for p in images)
    log.add(
        file,
        item,
        Reason.AMBIGUOUS_IMAGE,
        f"{why}: {names}; nothing guessed: {advice} ({words} words lost)",
        words=words,
        images=images,
    )


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
    entries = _via_entries(read_json(path, log), path)
    sizes = _via_sizes(entries)
    for key, entry in entries.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            regions = entry.get("regions") if isinstance(entry, dict) else None
            words = len(regions) if isinstance(regions, (list, dict)) else 0
            log.add(path, f"entry {key}", Reason.MALFORMED_REGION, "entry has no 'filename'", words=words)
            continue
        regions = entry.get("regions") or []
        if not isinstance(regions, (list, dict)):
            log.add(
                path,
                entry["filename"] or f"entry {key}",
                Reason.MALFORMED_REGION,
                f"'regions' is not a list: {_short(regions)}",
                words=0,  # no regions to count
            )
            continue
        if len(sizes[entry["filename"]]) > 1:  # one name, different files: whose regions are these?
            stated = ", ".join(f"{k!r}: {size} bytes" for size, k in sizes[entry["filename"]].items())
            why = f"{len(sizes[entry['filename']])} entries of different sizes ({stated}) name one file"
            advice = "two photos share this name; give each its own, or remove the stale entry"
            _ambiguous(log, path, f"entry {key}", why, [images_dir / entry["filename"]], len(regions), advice)
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


def _via_sizes(entries: dict) -> dict[str, dict[str, str]]:
    """File name → {stated size: first entry key}. VIA keys an entry by file name and size,
    so one name with two sizes is two different photos that share a name (say from two
    folders), and only one of them can be ``images_dir / name``. A missing size says nothing."""
    sizes: dict[str, dict[str, str]] = {}
    for key, entry in entries.items():
        if isinstance(entry, dict) and isinstance(entry.get("filename"), str):
            stated = sizes.setdefault(entry["filename"], {})
            if entry.get("size") is not None:
                stated.setdefault(str(entry["size"]), str(key))
    return sizes


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
        candidates = _icdar_images(file, images, images_dir)
        record = ImageRecord(candidates[0], [], source, annotation=file)
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record.words.append(_icdar_word(line, f"line {lineno}"))
            except _ItemError as exc:
                log.add_issue(file, f"line {lineno}", exc.issue)
        if len(candidates) > 1:
            why = f"{len(candidates)} images have the stem {candidates[0].stem!r} that {file.name} belongs to"
            _ambiguous(log, file, "image", why, candidates, len(record.words), "rename or move all but one")
        elif _check_image(record, log):
            records.append(record)
    return records, log


def _image_index(directory: Path) -> dict[str, list[Path]]:
    """Stem → the image files with that stem, sorted (several: an ambiguous match)."""
    if not directory.is_dir():
        raise DataError(f"{directory}: image directory not found")
    index: dict[str, list[Path]] = {}
    for p in sorted(directory.iterdir()):
        if p.suffix.lower() in IMAGE_SUFFIXES:
            index.setdefault(p.stem, []).append(p)
    return index


def _icdar_images(gt_file: Path, images: dict[str, list[Path]], images_dir: Path) -> list[Path]:
    """The image files ``gt_file`` belongs to: ``img_7.*`` for ``gt_img_7.txt``, else its
    own stem; one (possibly missing) or several (ambiguous)."""
    stems = [gt_file.stem.removeprefix("gt_"), gt_file.stem]
    for stem in stems:
        if stem in images:
            return images[stem]
    return [images_dir / f"{stems[0]}.jpg"]  # reported as missing


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
        words = len(annotations) if isinstance(annotations, list) else 0
        log.add(
            file,
            "file",
            Reason.UNREADABLE_ANNOTATION,
            "expected an object with 'images' and 'annotations' lists",
            words=words,
        )
        return []
    by_id: dict[str, ImageRecord] = {}  # ids as text: files mix 7 and "7"
    shared: dict[str, list[Path]] = {}  # ids that name several files: ambiguous
    for number, entry in enumerate(images, 1):
        name = _first(entry, ("file_name", "filename", "name"))
        if not isinstance(name, str) or not name:
            log.add(file, f"image {number}", Reason.MALFORMED_REGION, "image entry has no file_name", words=0)
            continue
        ident = entry.get("id")
        if ident is None and len(images) > 1:  # its position would be a guess at the ids annotations use
            why = f"image entry {_short(name)} has no id, and the file lists {len(images)} images"
            log.add(file, f"image {number}", Reason.MALFORMED_REGION, why, words=0)
            continue
        width, height = _int_or_none(entry.get("width")), _int_or_none(entry.get("height"))
        key = str(ident if ident is not None else number)
        record = ImageRecord(images_dir / name, [], source, width, height, file)
        first = by_id.setdefault(key, record)
        if record.path != first.path and record.path not in shared.get(key, []):
            shared.setdefault(key, [first.path]).append(record.path)
    only = next(iter(by_id)) if len(by_id) == 1 else None
    for number, annotation in enumerate(annotations, 1):
        ident, image_id = _first(annotation, ("id",)), _first(annotation, ("image_id",))
        item = f"annotation {ident if ident is not None else number}"
        named = str(image_id) if image_id is not None else only
        if named in shared:
            why = f"image_id {_short(image_id if image_id is not None else named)} names {len(shared[named])} images"
            _ambiguous(log, file, item, why, shared[named], 1, "give each image its own id")
            continue
        try:
            target = by_id.get(named) if named is not None else None
            if target is None:
                raise _ItemError(Reason.MALFORMED_REGION, f"image_id {_short(image_id)} matches no image")
            target.words.append(_aihub_word(annotation, item))
        except _ItemError as exc:
            log.add_issue(file, item, exc.issue)
    return [r for key, r in by_id.items() if key not in shared and _check_image(r, log)]


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
    return drop_repeats(records, lambda _: log), log


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


# ---- the same crop or box listed twice --------------------------------------------------------
Listed = TypeVar("Listed", bound=ImageRecord | CropRecord)


@dataclass(frozen=True)
class _Listing:
    """One listing of a crop (or of a box of a photo) and where it is."""

    record: ImageRecord | CropRecord
    word: Word | None  # the box, for a photo; None for a crop
    label: str  # as compared: NFC, outer whitespace stripped; illegible marks all agree
    text: str  # as written
    file: str
    item: str

    def where(self, other: _Listing) -> str:
        """This listing's place, as seen from ``other``'s rejection."""
        return self.item if self.file == other.file else f"{self.item} of {self.file}"


def drop_repeats(records: Sequence[Listed], log_of: Callable[[Listed], RejectionLog]) -> list[Listed]:
    """``records`` without repeated listings of one crop, each dropped listing logged in
    ``log_of(its record)``. A crop is its image file (for an LMDB sample, its index), and a
    box is its photo (resolved path) and its corners (in any order, to 0.01 px).

    Listed with different labels, in any sources: every listing is a ``conflicting_labels``
    rejection naming the others, since at most one label can be right and nothing says
    which. Listed again with the same label in the same source: the first listing is kept,
    the others are each a ``duplicate`` (a slip that would weigh the crop twice, in training
    or in a score). The same crop with the same label in two sources is kept in both: that
    is what merging them asks for. Photos keep their other words; records are copied,
    never changed in place."""
    groups: dict[tuple, list[_Listing]] = {}
    for record in records:
        file = str(record.annotation or record.path)
        if isinstance(record, CropRecord):
            listing = _Listing(record, None, record.text.strip(), record.text, file, record.item)
            groups.setdefault(("crop", *_crop_key(record)), []).append(listing)
            continue
        photo = _resolved(record.path)
        for word in record.words:
            if len(word.points):
                label = "\0illegible" if word.illegible else word.text.strip()
                listing = _Listing(record, word, label, word.text, file, word.region)
                groups.setdefault(("box", photo, _box_key(word.points)), []).append(listing)
    dropped: set[int] = set()  # ids of dropped crop records and words
    for listings in groups.values():
        if len(listings) > 1:
            dropped.update(_log_repeats(listings, log_of))
    kept: list[Listed] = []
    for record in records:
        if isinstance(record, CropRecord):
            if id(record) not in dropped:
                kept.append(record)
        elif any(id(word) in dropped for word in record.words):
            kept.append(replace(record, words=[w for w in record.words if id(w) not in dropped]))
        else:
            kept.append(record)
    return kept


def _log_repeats(listings: list[_Listing], log_of: Callable[[Any], RejectionLog]) -> list[int]:
    """Log the repeated listings of one crop; the ids of the records or words dropped."""
    record = listings[0].record
    what = f"the same box on {record.path.name}" if isinstance(record, ImageRecord) else _crop_name(record)
    if len({listing.label for listing in listings}) == 1:
        firsts: dict[str, _Listing] = {}  # per source
        dropped = [o for o in listings if firsts.setdefault(o.record.source, o) is not o]
        for listing in dropped:
            kept = firsts[listing.record.source]
            detail = f"{what} again, with the same label {listing.text!r} as {kept.where(listing)}; kept once"
            log_of(listing.record).add(listing.file, listing.item, Reason.DUPLICATE, detail)
    else:
        dropped = listings
        for listing in dropped:
            others = ", ".join(f"{o.text!r} in {o.where(listing)}" for o in listings if o is not listing)
            detail = (
                f"{what} is labelled {listing.text!r} here but {others}; "
                f"nothing guessed: all {len(listings)} listings dropped"
            )
            log_of(listing.record).add(listing.file, listing.item, Reason.CONFLICTING_LABELS, detail)
    return [id(listing.word if listing.word is not None else listing.record) for listing in dropped]


def _crop_key(record: CropRecord) -> tuple:
    if record.image_bytes is not None:  # an LMDB sample: its index in that LMDB
        return (_resolved(record.path) if record.path else record.source, record.item)
    return (_resolved(record.path),) if record.path else ("record", id(record))


def _crop_name(record: CropRecord) -> str:
    if record.image_bytes is not None:
        return f"{record.path} {record.item}"
    return str(record.path)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return path.absolute()


def _box_key(points: np.ndarray) -> tuple:
    return tuple(sorted((round(float(x), 2), round(float(y), 2)) for x, y in points))
