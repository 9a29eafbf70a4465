"""Upside-down photos: end-to-end word accuracy of the photo reader on synthetic held-out
scenes as drawn and turned 180°, with and without its way-up check
(:mod:`krocr.inference.photo`), and the seconds per photo each costs.

    python benchmarks/upside_down.py [SCENES] [--limit 100] [--detector W] [--max-side PX] [--weights W] [--write]

SCENES is an ICDAR 2015 folder (default data/det_val: ``krocr synth --lang ko --count 200
--seed 1 --out data/det_val --scenes --fonts heldout``). The turned copy (images and boxes
turned 180°, box corners kept in reading order) is written to a temporary folder.
``--write`` stores the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish

from krocr.analysis.photos import evaluate_scenes
from krocr.commands.options import (
    add_detector_arguments,
    add_recognizer_arguments,
    detector_from_args,
    photo_reader_from_args,
    recognizer_from_args,
)
from krocr.data.importers import read_icdar2015
from krocr.detection.folders import scene_folders


def turn_folder(folder: Path, out: Path, limit: int | None) -> Path:
    """A copy of an ICDAR 2015 folder with every image and box turned 180°."""
    gt_dir, image_dir = scene_folders(folder)
    records, _ = read_icdar2015(gt_dir, image_dir)
    (out / "gt").mkdir(parents=True)
    (out / "images").mkdir()
    for record in sorted(records, key=lambda r: str(r.path))[:limit]:
        image = Image.open(record.path)
        width, height = image.size
        image.rotate(180).save(out / "images" / record.path.name, quality=95)
        lines = []
        for word in record.words:
            points = [(width - 1 - x, height - 1 - y) for x, y in word.points]  # a turn keeps the corner order
            lines.append(",".join(f"{round(v)}" for point in points for v in point) + f",{word.text}")
        (out / "gt" / f"gt_{record.path.stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenes", nargs="?", type=Path, default=Path("data/det_val"))
    parser.add_argument("--limit", type=int, default=100, help="photos (the first N by path)")
    parser.add_argument("--write", action="store_true", help="also write the table into docs/benchmarks.md")
    add_recognizer_arguments(parser)
    parser.set_defaults(lm="none")  # greedy unless --lm is given, as its documented figures were read
    add_detector_arguments(parser)
    args = parser.parse_args()
    recognizer = recognizer_from_args(args)
    detector = detector_from_args(args)  # one for every reader: each row times reading, not loading
    rows = ["| photos | way-up check | end-to-end words read | h-mean | s / photo |", "|---|---|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        folders = {"as drawn": args.scenes, "turned 180°": turn_folder(args.scenes, Path(tmp) / "turned", args.limit)}
        for name, folder in folders.items():
            for check in (False, True):
                reader = photo_reader_from_args(args, recognizer, upside_down=check, detector=detector)
                metrics = evaluate_scenes(reader, folder, Path(tmp) / "out", limit=args.limit)
                rows.append(
                    f"| {name} | {'on' if check else 'off'} | {metrics['end_to_end_word_accuracy']:.1%} "
                    f"| {metrics['hmean']:.3f} | {metrics['seconds_per_photo']:.3f} |"
                )
                print(rows[-1], flush=True)
    table = "\n".join(rows)
    publish("upside-down", "Upside-down photos: the way-up check", table, args.write)


if __name__ == "__main__":
    main()
