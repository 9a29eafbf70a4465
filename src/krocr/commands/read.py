"""``krocr read``: print what the model reads in images, one tab-separated line each.

    krocr read [--weights W] IMAGE_OR_DIR...                      # each image is one crop
    krocr read --boxes FILE --format icdar2015|via|aihub PHOTO... # every box of each photo

Output, in input order (directories expand to their image files, sorted by name)::

    path<TAB>text<TAB>confidence                     a crop
    path#region<TAB>text<TAB>confidence              a box of a photo (--boxes)
    path<TAB><TAB>0.000<TAB>error: reason            unreadable file, too small or too long, bad box,
                                                     broken link, a directory without images

A backslash, tab or line break in a path is escaped (``\\``, ``\t``, ``\n``, ``\r``) so
each input stays one line of three or four fields; ``--json`` prints one JSON object per
line instead. An error line never stops the run; the exit status is 1 when any line is an
error (the count goes to stderr). Lines are printed chunk by chunk, so a long list starts
printing quickly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from krocr.commands.options import add_recognizer_arguments, recognizer_from_args
from krocr.errors import ConfigError
from krocr.inference.reading import (
    BOX_READERS,
    Item,
    box_items,
    crop_items,
    expand_inputs,
    read_items,
)
from krocr.inference.recognizer import Reading, Recognizer

# A tab or line break in a file name would split a line of the tab-separated output.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def format_line(name: str, reading: Reading | None, error: str = "") -> str:
    """One tab-separated line; backslash, tab and line breaks in the name are escaped (\\, \\t, \\n, \\r)."""
    name = name.translate(_ESCAPES)
    if reading is None:
        return f"{name}\t\t0.000\terror: {error}"
    return f"{name}\t{reading.text}\t{reading.confidence:.3f}"


def format_json(name: str, reading: Reading | None, error: str = "") -> str:
    """One JSON object per line: path, text, confidence, and error (null when read)."""
    record = {
        "path": name,
        "text": reading.text if reading else "",
        "confidence": round(reading.confidence, 4) if reading else 0.0,
        "error": error or None,
    }
    return json.dumps(record, ensure_ascii=False)


def print_readings(
    recognizer: Recognizer, items: Iterable[Item], out: TextIO, as_json: bool = False
) -> tuple[int, int]:
    """Read and print items as they are read; returns (lines printed, lines that are errors)."""
    lines = errors = 0
    formatter = format_json if as_json else format_line
    for item, reading in read_items(recognizer, items):
        print(formatter(item.name, reading, item.error), file=out, flush=True)
        lines += 1
        errors += reading is None
    return lines, errors


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="IMAGE_OR_DIR",
        help="crop images, or photos with --boxes; directories expand to their image files",
    )
    parser.add_argument("--boxes", type=Path, help="box file (or directory of them) for the photos: read every box")
    parser.add_argument("--format", choices=sorted(BOX_READERS), help="format of --boxes")
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per line (path, text, confidence, error) instead of TSV"
    )
    add_recognizer_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if bool(args.boxes) != bool(args.format):
        raise ConfigError("--boxes and --format go together: give both or neither")
    recognizer = recognizer_from_args(args)
    paths = expand_inputs(args.inputs)
    items = box_items(recognizer, paths, args.boxes, args.format) if args.boxes else crop_items(recognizer, paths)
    lines, errors = print_readings(recognizer, items, sys.stdout, args.json)
    if errors:
        print(f"krocr read: {errors} of {lines} inputs could not be read (see their error lines)", file=sys.stderr)
    return 1 if errors or not lines else 0
