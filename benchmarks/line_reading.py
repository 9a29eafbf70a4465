"""How the photo reader's text lines get their text (``PhotoReader(line_reading=…)``): the
regions' texts joined, the line cut out and read as one crop, or the crop's reading where it
is the more confident. Scored as the real photos are (:mod:`krocr.analysis.photos`): a word
is read by lines when a text line over it contains it.

    python benchmarks/line_reading.py data/det_val --modes joined crop confident --out runs/line_reading
    python benchmarks/line_reading.py ../shared/data/real-dev --modes joined confident --out runs/line_reading

DATA is an ICDAR 2015 scene folder (``krocr synth --scenes``), scored word by word through
an annotations.jsonl written next to the outputs, or a photo set with annotations.jsonl.
Each mode's files go to ``OUT/<set>_<mode>`` (``benchmarks/paired_compare.py`` compares two).
Choose on held-out scenes; a real set only checks the choice.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from krocr.analysis.photos import evaluate_photos
from krocr.data.eval_sets import PHOTO_ANNOTATIONS
from krocr.data.importers import read_icdar2015
from krocr.detection.folders import scene_folders
from krocr.inference.photo import LINE_READINGS, PhotoReader
from krocr.inference.recognizer import Recognizer


def scenes_as_photo_set(folder: Path, out: Path) -> Path:
    """An annotations.jsonl in ``out`` listing the scenes of an ICDAR 2015 folder (their
    images by absolute path, kind ``scene``, every word with its box); returns ``out``."""
    gt_dir, image_dir = scene_folders(folder)
    records, _ = read_icdar2015(gt_dir, image_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "image": str(record.path.resolve()),
                "kind": "scene",
                "words": [{"points": [list(map(float, p)) for p in w.points], "text": w.text} for w in record.words],
            },
            ensure_ascii=False,
        )
        for record in sorted(records, key=lambda r: str(r.path))
    ]
    (out / PHOTO_ANNOTATIONS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="held-out scenes (ICDAR 2015 folder) or a photo set")
    parser.add_argument("--modes", nargs="+", default=["joined", "confident"], choices=LINE_READINGS)
    parser.add_argument("--out", type=Path, default=Path("runs/line_reading"))
    args = parser.parse_args()
    data = args.data
    if not (data / PHOTO_ANNOTATIONS).is_file():
        data = scenes_as_photo_set(data, args.out / f"{args.data.name}_words")
    recognizer = Recognizer(language_model=None)  # greedy, as its figures in the docs were read
    print(f"{args.data}: shipped detector and recognizer (greedy)")
    for mode in args.modes:
        started = time.perf_counter()
        m = evaluate_photos(
            PhotoReader(recognizer=recognizer, line_reading=mode), data, args.out / f"{args.data.name}_{mode}"
        )
        print(
            f"{mode:>9}: found {m['found_rate']:.1%}  read {m['read_rate']:.1%}  "
            f"read by lines {m['read_lines_rate']:.1%}  ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
