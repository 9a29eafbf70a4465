"""``krocr read``: print what the model reads in images, one tab-separated line each.

    krocr read [--weights W] IMAGE_OR_DIR...                      # each image is one crop
    krocr read --boxes FILE --format icdar2015|via|aihub PHOTO... # every box of each photo

Output, in input order (directories expand to their image files, sorted by name)::

    path<TAB>text<TAB>confidence                     a crop
    path#region<TAB>text<TAB>confidence              a box of a photo (--boxes)
    path<TAB><TAB>0.000<TAB>error: reason            unreadable file, too small, bad box

An error line never stops the run; the exit status is 1 when any line is an error.
Lines are printed chunk by chunk, so a long list starts printing quickly.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence, TextIO

import numpy as np

from krocr.data.crops import validate_box, warp_crop
from krocr.data.images import read_image
from krocr.data.importers import IMAGE_SUFFIXES, read_aihub, read_icdar2015, read_via
from krocr.data.records import ImageRecord, Word
from krocr.errors import ConfigError, DataError
from krocr.inference.recognizer import (
    Reading,
    Recognizer,
    add_recognizer_arguments,
    recognizer_from_args,
)

BOX_READERS = {"icdar2015": read_icdar2015, "via": read_via, "aihub": read_aihub}
CHUNK_BATCHES = 8  # crops preprocessed per chunk, in batches: memory stays flat, output streams


@dataclass(frozen=True)
class Item:
    """One line of output: a crop to read, or the reason it cannot be read."""

    name: str
    crop: np.ndarray | None = None  # preprocessed (1, H, W)
    error: str = ""


def format_line(name: str, reading: Reading | None, error: str = "") -> str:
    if reading is None:
        return f"{name}\t\t0.000\terror: {error}"
    return f"{name}\t{reading.text}\t{reading.confidence:.3f}"


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories as their image files sorted by name (not recursive)."""
    paths: list[Path] = []
    for entry in map(Path, inputs):
        if entry.is_dir():
            paths += sorted(p for p in entry.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            paths.append(entry)
    return paths


def crop_items(recognizer: Recognizer, paths: Iterable[Path]) -> Iterator[Item]:
    """Each file as one crop."""
    for path in paths:
        try:
            yield Item(str(path), recognizer.prepare(path))
        except DataError as exc:
            yield Item(str(path), error=_reason(exc, path))


def box_items(recognizer: Recognizer, paths: Sequence[Path], boxes: Path, format: str) -> Iterator[Item]:
    """Every box of each photo, warped upright as the data pipeline does."""
    records = _records_by_image(paths, boxes, format)
    for path in paths:
        record = records.get(path.resolve())
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
    try:
        return Item(name, recognizer.prepare(warp_crop(image, ordered, recognizer.preprocess.height)))
    except DataError as exc:
        return Item(name, error=str(exc))


def _records_by_image(paths: Sequence[Path], boxes: Path, format: str) -> dict[Path, ImageRecord]:
    """The box file's records keyed by resolved image path, reading it once per directory
    of the given photos (the importers look images up in one directory)."""
    records: dict[Path, ImageRecord] = {}
    for directory in sorted({p.parent for p in paths}):
        imported, _ = BOX_READERS[format](boxes, directory)  # rejections show up as error lines
        records.update({r.path.resolve(): r for r in imported})
    return records


def _region_name(word: Word, path: Path) -> str:
    """The word's place in its box file; VIA names repeat the image name, which the line shows already."""
    return word.region.removeprefix(f"{path.name} ").strip() or "box"


def _reason(exc: DataError, path: Path) -> str:
    return str(exc).removeprefix(f"{path}: ")


def read_items(recognizer: Recognizer, items: Iterable[Item], out: TextIO) -> int:
    """Read and print items chunk by chunk, in order; returns how many were errors."""
    errors = 0
    chunk: list[Item] = []
    chunk_size = recognizer.batch_size * CHUNK_BATCHES
    for item in items:
        chunk.append(item)
        if len(chunk) >= chunk_size:
            errors += _print_chunk(recognizer, chunk, out)
            chunk = []
    return errors + _print_chunk(recognizer, chunk, out)


def _print_chunk(recognizer: Recognizer, chunk: list[Item], out: TextIO) -> int:
    crops = [item.crop for item in chunk if item.crop is not None]
    readings = iter(recognizer.recognize(crops))
    for item in chunk:
        print(format_line(item.name, next(readings) if item.crop is not None else None, item.error), file=out)
    out.flush()
    return len(chunk) - len(crops)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR",
                        help="crop images, or photos with --boxes; directories expand to their image files")
    parser.add_argument("--boxes", type=Path, help="box file (or directory of them) for the photos: read every box")
    parser.add_argument("--format", choices=sorted(BOX_READERS), help="format of --boxes")
    add_recognizer_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if bool(args.boxes) != bool(args.format):
        raise ConfigError("--boxes and --format go together: give both or neither")
    recognizer = recognizer_from_args(args)
    paths = expand_inputs(args.inputs)
    if args.boxes:
        items = box_items(recognizer, paths, args.boxes, args.format)
    else:
        items = crop_items(recognizer, paths)
    return 1 if read_items(recognizer, items, sys.stdout) else 0
