"""Reading many inputs for ``krocr read``: image files as crops, or every box of a photo
from a box file, as items read in chunks and yielded in input order (an item that cannot
be read carries its reason instead of a crop)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from krocr.data.crops import is_turned_column, validate_box, warp_standing
from krocr.data.images import read_image
from krocr.data.importers import IMAGE_SUFFIXES, read_aihub, read_icdar2015, read_via
from krocr.data.records import ImageRecord, Word
from krocr.data.rejections import Reason, RejectionLog
from krocr.errors import DataError
from krocr.inference.recognizer import Layout, Reading, Recognizer

# A box file and the directory of its images → records and what was dropped.
BoxReader = Callable[[Path, Path], tuple[list[ImageRecord], RejectionLog]]
BOX_READERS: dict[str, BoxReader] = {"icdar2015": read_icdar2015, "via": read_via, "aihub": read_aihub}
CHUNK_BATCHES = 8  # crops preprocessed per chunk, in batches: memory stays flat, output streams
# In ``auto`` mode an image whose shorter side reaches this many pixels is read as a photo
# (detect, then read each region); smaller ones are word crops. No size separates the two
# (the real evaluation set's crops reach 388 px across, its photos start at 139 px): 200
# keeps 94 % of its crops crops and 98 % of its photos photos; --mode decides the rest.
PHOTO_MIN_SIDE = 200

InputMode = Literal["auto", "crop", "photo"]


@dataclass(frozen=True)
class Item:
    """One line of output: a crop to read, or the reason it cannot be read."""

    name: str
    layouts: list[Layout] | None = None  # from Recognizer.prepare_layouts
    error: str = ""


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories as their image files sorted by name (not recursive),
    broken symbolic links among them included (they become error lines, not silence). A
    directory without image files stays in the list as itself, to be reported."""
    paths: list[Path] = []
    for entry in map(Path, inputs):
        if not entry.is_dir():
            paths.append(entry)
            continue
        images = sorted(
            p for p in entry.iterdir() if (p.is_file() or p.is_symlink()) and p.suffix.lower() in IMAGE_SUFFIXES
        )
        paths += images or [entry]
    return paths


def input_mode(path: Path, mode: InputMode = "auto") -> Literal["crop", "photo"]:
    """How ``krocr read`` reads an image: ``mode`` itself unless it is ``auto``, which reads
    images whose shorter side is at least :data:`PHOTO_MIN_SIDE` px as photos. Only the
    image header is read; a file that cannot be opened counts as a crop, whose reading
    then reports why, and one too large to decode as a photo, whose reading does."""
    if mode != "auto":
        return mode
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the reading decides on size
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        return "photo"
    except (OSError, UnidentifiedImageError, ValueError):
        return "crop"
    return "photo" if min(width, height) >= PHOTO_MIN_SIDE else "crop"


def crop_items(recognizer: Recognizer, paths: Iterable[Path]) -> Iterator[Item]:
    """Each file as one crop; a directory (one without image files) or a broken link as an error."""
    for path in paths:
        if path.is_dir():
            yield Item(str(path), error=f"no image files in this directory ({', '.join(sorted(IMAGE_SUFFIXES))})")
        elif path.is_symlink() and not path.exists():
            yield Item(str(path), error=f"broken symbolic link (to {path.readlink()})")
        else:
            try:
                yield Item(str(path), recognizer.prepare_layouts(path))
            except DataError as exc:
                yield Item(str(path), error=_reason(exc, path))


def box_items(recognizer: Recognizer, paths: Sequence[Path], boxes: Path, format: str) -> Iterator[Item]:
    """Every box of each photo, warped upright as the data pipeline does."""
    records = _records_by_image(paths, boxes, format)
    for path in paths:
        record = records.get(path.resolve())
        if isinstance(record, str):  # its boxes could be another image's: nothing guessed
            yield Item(str(path), error=record)
            continue
        if record is None or not record.words:
            yield Item(str(path), error=f"no boxes for this image in {boxes}")
            continue
        try:
            image = read_image(path)
        except DataError as exc:
            yield Item(str(path), error=_reason(exc, path))
            continue
        for word in record.words:
            yield _box_item(recognizer, image, word, f"{path}#{_region_name(word, path)}")


def _box_item(recognizer: Recognizer, image: np.ndarray, word: Word, name: str) -> Item:
    height, width = image.shape[:2]
    ordered, issue = validate_box(word.points, (width, height), chars=len(word.text) or None)
    if issue:
        return Item(name, error=f"{issue.reason}: {issue.detail}")
    assert ordered is not None  # validate_box returns corners exactly when it finds no issue
    try:
        crop = warp_standing(image, ordered, recognizer.preprocess.height)
        return Item(name, recognizer.prepare_layouts(crop, column=is_turned_column(ordered)))
    except DataError as exc:
        return Item(name, error=str(exc))


def _records_by_image(paths: Sequence[Path], boxes: Path, format: str) -> dict[Path, ImageRecord | str]:
    """The box file's records keyed by resolved image path, reading it once per directory
    of the given photos (the importers look images up in one directory). A photo listed
    twice (two entries, two files) gets the boxes of both. A photo that an annotation
    matches only ambiguously (``img_4.jpg`` beside ``img_4.png``) maps to the error instead,
    naming the box file and every candidate: its boxes may be another image's."""
    records: dict[Path, ImageRecord | str] = {}
    for directory in sorted({p.parent for p in paths}):
        imported, log = BOX_READERS[format](boxes, directory)  # bad boxes show up as error lines
        found: dict[Path, ImageRecord] = {}
        for record in imported:
            key = record.path.resolve()
            known = found.get(key)
            found[key] = replace(known, words=[*known.words, *record.words]) if known else record
        records.update(found)
        for rejection in log:
            if rejection.reason == Reason.AMBIGUOUS_IMAGE:
                where = rejection.file if rejection.item == "image" else f"{rejection.file}: {rejection.item}"
                error = f"{rejection.reason}: {where}: {rejection.detail}"
                records.update({Path(image).resolve(): error for image in rejection.images})
    return records


def _region_name(word: Word, path: Path) -> str:
    """The word's place in its box file; VIA names repeat the image name, which the line shows already."""
    return word.region.removeprefix(f"{path.name} ").strip() or "box"


def _reason(exc: DataError, path: Path) -> str:
    return str(exc).removeprefix(f"{path}: ")


def read_items(recognizer: Recognizer, items: Iterable[Item]) -> Iterator[tuple[Item, Reading | None]]:
    """Read items chunk by chunk, in order, so a long list yields its first results quickly.

    Args:
        recognizer: the model that reads.
        items: from :func:`crop_items` or :func:`box_items`.

    Returns:
        An iterator of (item, reading); the reading is None for an item that holds an error.
    """
    chunk: list[Item] = []
    chunk_size = recognizer.batch_size * CHUNK_BATCHES
    for item in items:
        chunk.append(item)
        if len(chunk) >= chunk_size:
            yield from _read_chunk(recognizer, chunk)
            chunk = []
    yield from _read_chunk(recognizer, chunk)


def _read_chunk(recognizer: Recognizer, chunk: list[Item]) -> Iterator[tuple[Item, Reading | None]]:
    readings = iter(recognizer.recognize_layouts([item.layouts for item in chunk if item.layouts is not None]))
    for item in chunk:
        yield item, next(readings) if item.layouts is not None else None
