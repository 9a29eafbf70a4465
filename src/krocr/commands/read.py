"""``krocr read``: print what the model reads in images, one tab-separated line each.

    krocr read [--weights W] IMAGE_OR_DIR...                      # crops as crops, photos detected
    krocr read --mode photo --draw out.png PHOTO                  # detect, read, and draw what was read
    krocr read --level word PHOTO                                 # the detector's word regions, not lines
    krocr read --boxes FILE --format icdar2015|via|aihub PHOTO... # every box of each photo

``--mode auto`` (the default) reads an image whose shorter side is under 200 px as one word
crop and a larger one as a photo: the detector finds its text regions, which are read in
reading order (``krocr.inference.photo``); ``--draw``, ``--level`` or ``--line-reading`` ask
for photos, so with them every input is read as one. ``--mode crop`` or ``--mode photo``
decides for every input (a large crop of one word reads as a crop with ``--mode crop``).

A photo is printed one text line per row (``--level line``, the default): neighbouring
words of one line, read again as one crop where that is at least as confident
(``--line-reading``). Lines were chosen over the detector's words because they read more of
the held-out scenes' and the real photos' words (docs/experiments/2026-12-06-line-level.md);
``--level word`` prints the words.

Output, in input order (directories expand to their image files, sorted by name)::

    path<TAB>text<TAB>confidence                     a crop
    path<TAB>x1,y1,x2,y2,x3,y3,x4,y4<TAB>text<TAB>confidence
                                                     a text line of a photo, in reading order
                                                     (with --level word: a word region)
    path#region<TAB>text<TAB>confidence              a box of a photo (--boxes)
    path<TAB><TAB>0.000<TAB>error: reason            unreadable file, too small or too long, bad box,
                                                     broken link, a directory without images

A photo without text prints no line (stderr says so) and is not an error.

A backslash, tab or line break in a path is escaped (``\\``, ``\t``, ``\n``, ``\r``) so
each input stays one line of three or four fields; ``--json`` prints one JSON object per
line instead. An error line never stops the run; the exit status is 1 when any line is an
error (the count goes to stderr). Lines are printed chunk by chunk, so a long list starts
printing quickly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from itertools import groupby
from pathlib import Path
from typing import TextIO

from krocr.commands.options import (
    add_detector_arguments,
    add_recognizer_arguments,
    photo_reader_from_args,
    recognizer_from_args,
)
from krocr.errors import ConfigError, DataError
from krocr.inference.photo import (
    DEFAULT_LEVEL,
    OUTPUT_LEVELS,
    OutputLevel,
    PhotoReader,
    TextLine,
    TextRegion,
    draw_reading,
)
from krocr.inference.reading import (
    BOX_READERS,
    InputMode,
    Item,
    box_items,
    crop_items,
    expand_inputs,
    input_mode,
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


def format_region(
    name: str, region: TextRegion | TextLine, as_json: bool = False, words: Sequence[TextRegion] = ()
) -> str:
    """One text line or word region of a photo: a TSV line (polygon as integer x,y pairs) or
    a JSON object, in which a line lists its word regions under ``words`` when ``words``
    (the photo's regions) is given, else their indices under ``regions``."""
    if as_json:
        record = region.to_dict()
        if isinstance(region, TextLine) and words:
            del record["regions"]
            record["words"] = [words[n].to_dict() for n in region.regions]
        return json.dumps({"path": name, **record, "error": None}, ensure_ascii=False)
    polygon = ",".join(str(round(float(v))) for v in region.polygon.reshape(-1))
    return f"{name.translate(_ESCAPES)}\t{polygon}\t{region.text}\t{region.confidence:.3f}"


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
        help="crop images or photos (see --mode), or photos with --boxes; directories expand to their image files",
    )
    parser.add_argument(
        "--mode",
        choices=("auto", "crop", "photo"),
        default="auto",
        help="crop: each image is one word crop; photo: detect its text regions first; "
        "auto: photo when the image's shorter side is 200 px or more, or when --draw, --level or "
        "--line-reading is given (default: auto)",
    )
    parser.add_argument(
        "--draw",
        type=Path,
        metavar="PATH",
        help="write each photo with its regions and their text drawn: a .png/.jpg file for one photo, "
        "else a directory (one PNG per photo, named after it)",
    )
    parser.add_argument(
        "--level",
        choices=OUTPUT_LEVELS,
        default=None,  # None: not given (refused beside --boxes); DEFAULT_LEVEL applies
        help="what a photo's rows are: its text lines (neighbouring words of one line; see --line-reading) "
        f"or the detector's word regions (default: {DEFAULT_LEVEL})",
    )
    parser.add_argument("--boxes", type=Path, help="box file (or directory of them) for the photos: read every box")
    parser.add_argument("--format", choices=sorted(BOX_READERS), help="format of --boxes")
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per line (path, text, confidence, error) instead of TSV"
    )
    add_recognizer_arguments(parser)
    add_detector_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if bool(args.boxes) != bool(args.format):
        raise ConfigError("--boxes and --format go together: give both or neither")
    detecting = (
        args.mode != "auto"
        or args.draw
        or args.detector
        or args.level is not None
        or args.max_side is not None
        or args.line_reading is not None
    )
    if args.boxes and detecting:
        raise ConfigError(
            "--boxes reads the given boxes: --mode, --draw, --detector, --max-side, --level and --line-reading "
            "are for detection"
        )
    level: OutputLevel = args.level or DEFAULT_LEVEL
    if args.line_reading is not None and level != "line":
        raise ConfigError("--line-reading says how text lines are read, and --level word prints no lines")
    if args.mode == "crop" and (args.level or args.line_reading or args.draw):
        raise ConfigError(
            "--level, --line-reading and --draw are for photos, and --mode crop reads every input as a crop"
        )
    recognizer = recognizer_from_args(args)
    paths = expand_inputs(args.inputs)
    if args.boxes:
        lines, errors = print_readings(
            recognizer, box_items(recognizer, paths, args.boxes, args.format), sys.stdout, args.json
        )
        return _status(lines, errors)
    draw = _draw_target(args, paths)
    # asking for drawings or text lines asks for photos: a small image is not then read as a crop
    photo_options = args.draw or args.level is not None or args.line_reading is not None
    asked: InputMode = "photo" if args.mode == "auto" and photo_options else args.mode
    lines = errors = 0
    photo_reader: PhotoReader | None = None
    for mode, group in groupby(paths, key=lambda path: input_mode(path, asked)):
        members = list(group)
        if mode == "crop":
            printed, failed = print_readings(recognizer, crop_items(recognizer, members), sys.stdout, args.json)
        else:
            photo_reader = photo_reader or photo_reader_from_args(args, recognizer, lines=level == "line")
            printed, failed = print_photos(photo_reader, members, sys.stdout, args.json, draw, level)
        lines, errors = lines + printed, errors + failed
    return _status(lines, errors)


def print_photos(
    reader: PhotoReader,
    paths: Sequence[Path],
    out: TextIO,
    as_json: bool,
    draw: Path | None,
    level: OutputLevel = DEFAULT_LEVEL,
) -> tuple[int, int]:
    """Detect and read each photo, printing its text lines (or, at ``level`` word, its word
    regions); returns (inputs read, inputs that are errors)."""
    inputs = errors = 0
    for path in paths:
        inputs += 1
        try:
            reading = reader.read(path)
        except DataError as exc:
            errors += 1
            formatter = format_json if as_json else format_line
            print(formatter(str(path), None, str(exc).removeprefix(f"{path}: ")), file=out, flush=True)
            continue
        for region in reading.at(level):
            print(format_region(str(path), region, as_json, reading.regions), file=out, flush=True)
        if not reading.regions:
            print(f"krocr read: {path}: no text found", file=sys.stderr)
        if reading.turned:
            print(f"krocr read: {path}: {reading.turned} regions read upside down", file=sys.stderr)
        if reading.skipped:
            reasons = ", ".join(sorted({skipped.reason.split(" (")[0] for skipped in reading.skipped}))
            print(
                f"krocr read: {path}: {len(reading.skipped)} detected regions not listed ({reasons})", file=sys.stderr
            )
        if draw is not None:
            target = draw / f"{path.stem}.png" if draw.suffix.lower() not in (".png", ".jpg", ".jpeg") else draw
            target.parent.mkdir(parents=True, exist_ok=True)
            draw_reading(path, reading, level).save(target)
    return inputs, errors


def _draw_target(args: argparse.Namespace, paths: Sequence[Path]) -> Path | None:
    """--draw as given; a file name only makes sense for one input, else it is a directory
    holding one ``STEM.png`` per photo, so two photos with one stem would overwrite each other."""
    draw: Path | None = args.draw
    if draw is None:
        return None
    inputs = {os.path.realpath(path) for path in paths}
    if os.path.realpath(draw) in inputs:
        raise ConfigError(f"--draw {draw} is one of the inputs: the drawing would replace the photo")
    if draw.suffix.lower() in (".png", ".jpg", ".jpeg"):
        if len(paths) > 1:
            raise ConfigError(f"--draw {draw}: a file name, but {len(paths)} inputs; give a directory instead")
        return draw
    stems: dict[str, Path] = {}
    for path in paths:
        if path.stem in stems and stems[path.stem] != path:
            raise ConfigError(
                f"--draw {draw}: {stems[path.stem]} and {path} would both be drawn as {path.stem}.png; "
                "read them in separate calls"
            )
        if os.path.realpath(draw / f"{path.stem}.png") in inputs:
            raise ConfigError(f"--draw {draw}: {path.stem}.png there is one of the inputs and would be replaced")
        stems[path.stem] = path
    return draw


def _status(lines: int, errors: int) -> int:
    if errors:
        print(f"krocr read: {errors} of {lines} inputs could not be read (see their error lines)", file=sys.stderr)
    return 1 if errors or not lines else 0
