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


def format_line(name: str, reading: Reading | None, error: str = "") -> str:
    if reading is None:
        return f"{name}\t\t0.000\terror: {error}"
    return f"{name}\t{reading.text}\t{reading.confidence:.3f}"


def print_readings(recognizer: Recognizer, items: Iterable[Item], out: TextIO) -> int:
    """Read and print items as they are read; returns how many were errors."""
    errors = 0
    for item, reading in read_items(recognizer, items):
        print(format_line(item.name, reading, item.error), file=out, flush=True)
        errors += reading is None
    return errors


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="IMAGE_OR_DIR",
        help="crop images, or photos with --boxes; directories expand to their image files",
    )
    parser.add_argument("--boxes", type=Path, help="box file (or directory of them) for the photos: read every box")
    parser.add_argument("--format", choices=sorted(BOX_READERS), help="format of --boxes")
    add_recognizer_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if bool(args.boxes) != bool(args.format):
        raise ConfigError("--boxes and --format go together: give both or neither")
    recognizer = recognizer_from_args(args)
    paths = expand_inputs(args.inputs)
    items = box_items(recognizer, paths, args.boxes, args.format) if args.boxes else crop_items(recognizer, paths)
    return 1 if print_readings(recognizer, items, sys.stdout) else 0
