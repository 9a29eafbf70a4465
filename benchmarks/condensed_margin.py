"""Condensed stretch: how much more confident a stretched reading must be than the crop's own
reading to be kept (:data:`krocr.inference.condensed.CONDENSED_MARGIN`), on renders as they
are and squeezed to half their width (condensed lettering the renders lack).

    python benchmarks/condensed_margin.py [DATA] [--squeeze 1 0.5] [--margins 0 0.05 0.1] [--write]

DATA defaults to data/calib_heldout40 (renders of the held-out fonts, seed 40: `krocr synth
--lang ko --fonts heldout --split test --count 3000 --seed 40 --out data/calib_heldout40`).
The margin chosen is the smallest at which the renders as they are read no worse than
without the stretch, in words and in edits. The real evaluation set is refused: its crops
check the choice, they never make it. Each crop's two layouts are read once; every margin
chooses among the same readings. ``--write`` stores the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from rapidfuzz.distance import Levenshtein
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish

from krocr.commands.options import add_recognizer_arguments, recognizer_from_args
from krocr.data.eval_sets import evaluation_only_root, open_eval_set
from krocr.errors import DataError
from krocr.inference.recognizer import Recognizer, chosen_layout, load_input

BATCH = 256


def read_both(
    recognizer: Recognizer, data: Path, squeeze: float, limit: int | None
) -> tuple[list[tuple], Counter[str]]:
    """Per crop: its truth, its layouts (as is, stretched) and each layout's greedy and final
    reading. ``squeeze`` narrows the crop first (0.5: half its width). Also the crops that
    cannot be read (too small or too long), counted by reason."""
    eval_set = open_eval_set(data)
    count = len(eval_set.samples) if limit is None else min(limit, len(eval_set.samples))
    rows, left_out = [], Counter()
    for start in tqdm(range(0, count, BATCH), desc=f"squeeze {squeeze}", unit="batch"):
        indices, layouts = [], []
        for i in range(start, min(start + BATCH, count)):
            try:
                gray = squeezed(load_input(eval_set.load(i)), squeeze)
                layouts.append(recognizer.prepare_layouts(gray, column=False, stretch=True))
                indices.append(i)
            except DataError as exc:  # named by what the recognizer says after the input's name
                left_out[str(exc).split(": ", 1)[-1]] += 1
        logits = iter(recognizer.crop_logits([layout.pixels for group in layouts for layout in group]))
        for i, group in zip(indices, layouts):
            group_logits = [next(logits) for _ in group]
            greedy = [recognizer.decode_greedy(row[None], thresholded=False)[0] for row in group_logits]
            final = [recognizer.decode(row[None])[0] for row in group_logits]
            rows.append((eval_set.samples[i].truth, group, greedy, final))
    return rows, left_out


def squeezed(gray: np.ndarray, factor: float) -> np.ndarray:
    """``gray`` narrowed to ``factor`` of its width (area averaging), its height kept."""
    if factor == 1:
        return gray
    return cv2.resize(gray, (max(1, round(gray.shape[1] * factor)), gray.shape[0]), interpolation=cv2.INTER_AREA)


def score(rows: list[tuple], margin: float | None) -> tuple[float, int, int]:
    """Words right, edits and stretched readings kept; ``margin`` None: never stretched."""
    right = edits = kept = 0
    for truth, group, greedy, final in rows:
        choice = (
            0
            if margin is None
            else chosen_layout([group[0], *(replace(g, handicap=margin) for g in group[1:])], greedy)
        )
        text = final[choice].text
        right += text == truth
        edits += Levenshtein.distance(text, truth)
        kept += choice > 0
    return right / len(rows), edits, kept


def table(results: dict[float, list[tuple]], margins: list[float]) -> str:
    lines = [
        "| crops | stretch kept when more confident by | words | edits | stretched readings kept |",
        "|---|---|---:|---:|---:|",
    ]
    for squeeze, rows in results.items():
        name = "as rendered" if squeeze == 1 else f"squeezed to {squeeze:g} of their width"
        for margin in [None, *margins]:
            words, edits, kept = score(rows, margin)
            label = "never (--no-stretch)" if margin is None else f"{margin:g}"
            lines.append(f"| {name} | {label} | {words:.1%} | {edits:,} | {kept:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("data/calib_heldout40"))
    parser.add_argument("--squeeze", type=float, nargs="+", default=[1.0, 0.5])
    parser.add_argument("--margins", type=float, nargs="+", default=[0.0, 0.05, 0.1])
    parser.add_argument("--limit", type=int, help="the first N crops only")
    parser.add_argument("--write", action="store_true", help="also write the table into docs/benchmarks.md")
    add_recognizer_arguments(parser)
    args = parser.parse_args()
    if evaluation_only_root(args.data) is not None:
        raise SystemExit(f"{args.data}: an evaluation-only set; choose the margin on renders, check it on real crops")
    recognizer = recognizer_from_args(args)
    results, left_out = {}, Counter()
    for squeeze in args.squeeze:
        results[squeeze], unreadable = read_both(recognizer, args.data, squeeze, args.limit)
        left_out += unreadable
    lost = "; ".join(f"{n} {reason}" for reason, n in left_out.items())
    body = (
        f"{args.data}, {len(next(iter(results.values())))} crops read, {recognizer.weights.name}"
        + (f" (left out, all squeezes: {lost})" if lost else "")
        + ":\n\n"
        + table(results, args.margins)
    )
    publish("condensed_margin", "Condensed stretch: the confidence margin", body, args.write)


if __name__ == "__main__":
    main()
