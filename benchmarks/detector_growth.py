"""How far the detector grows its regions back: the photo reader with several
``max_word_aspect`` caps (:class:`krocr.detection.config.PostprocessConfig`) on held-out
scenes (precision / recall / h-mean, end-to-end word accuracy) or on a photo set with
annotations.jsonl (words found, read, read by lines).

    python benchmarks/detector_growth.py data/det_val --caps none 1 1.5 2 3 4 6 --out runs/growth
    python benchmarks/detector_growth.py ../shared/data/real-dev --caps none 2 --out runs/growth

Each cap's full output (``krocr eval --photos``'s files) goes to ``OUT/<set>_cap<A>``, so two
caps on one photo set compare word by word with ``benchmarks/paired_compare.py``. Text lines
are their regions' texts joined (``line_reading="joined"``, as when the caps were measured).
Choose a cap on held-out scenes; a real set only checks the choice.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from krocr.analysis.photos import evaluate_photos, evaluate_scenes
from krocr.data.eval_sets import PHOTO_ANNOTATIONS
from krocr.detection.config import PostprocessConfig
from krocr.detection.detector import Detector
from krocr.inference.photo import PhotoReader
from krocr.inference.recognizer import Recognizer


def summary(data: Path, reader: PhotoReader, out: Path) -> str:
    """One row of results for ``reader`` on ``data`` (scenes or annotated photos)."""
    if (data / PHOTO_ANNOTATIONS).is_file():
        m = evaluate_photos(reader, data, out)
        return f"found {m['found_rate']:.1%}  read {m['read_rate']:.1%}  read by lines {m['read_lines_rate']:.1%}"
    m = evaluate_scenes(reader, data, out)
    return (
        f"P {m['precision']:.3f}  R {m['recall']:.3f}  H {m['hmean']:.3f}  "
        f"end to end {m['end_to_end_word_accuracy']:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="held-out scenes (ICDAR 2015 folder) or a photo set")
    parser.add_argument("--caps", nargs="+", default=["none", "2"], help="max_word_aspect values; none: no cap")
    parser.add_argument("--out", type=Path, default=Path("runs/detector_growth"))
    args = parser.parse_args()
    recognizer = Recognizer(language_model=None)  # greedy, as its figures in the docs were read
    print(f"{args.data}: shipped detector and recognizer (greedy)")
    for cap in args.caps:
        postprocess = PostprocessConfig(max_word_aspect=None if cap == "none" else float(cap))
        reader = PhotoReader(Detector(postprocess=postprocess), recognizer, line_reading="joined")
        started = time.perf_counter()
        row = summary(args.data, reader, args.out / f"{args.data.name}_cap{cap}")
        print(f"max_word_aspect {cap:>5}: {row}  ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
