"""Vertical columns: how well the recognizer reads stacked Korean columns turned 90° (the
renders' and box files' convention) against unstacked into a row of upright cells
(:mod:`krocr.data.columns`), and the more confident of the two, on columns drawn upright in
the held-out designs.

    python benchmarks/vertical_columns.py [--count 400] [--seed 3] [--weights W] [--write]

The columns are rendered here (``RenderConfig(vertical=1.0, vertical_output="upright")``,
held-out fonts, texts the renderer stacks: 2–8 Hangul syllables or digits), so nothing is
stored. ``--write`` stores the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish
from paired_compare import fixes_and_breaks, mcnemar

from krocr.charset import resolve_charset
from krocr.commands.options import add_recognizer_arguments, recognizer_from_args
from krocr.data.columns import unstack_column
from krocr.inference.recognizer import Reading
from krocr.model.preprocess import to_gray
from krocr.synth.fonts import FontPool, scan_fonts, split_fonts
from krocr.synth.render import RenderConfig, can_stack, render
from krocr.synth.text import TextConfig, TextSource

LAYOUTS = ("turned 90°", "unstacked", "more confident")


def upright_columns(count: int, seed: int) -> list[tuple[np.ndarray, str]]:
    """``count`` (gray column, text) pairs in the held-out designs, drawn standing."""
    charset = resolve_charset("korean")
    pool = FontPool.build(split_fonts(scan_fonts().faces).select("heldout"), "".join(charset.symbols))
    source = TextSource(charset, TextConfig(lang="ko"), np.random.default_rng([seed, 1]), accept=pool.covers)
    stackable = (text for text, _ in source if can_stack(text))
    config = RenderConfig(vertical=1.0, vertical_output="upright")
    columns = []
    for index in tqdm(range(count), desc="rendering columns"):
        text = next(stackable)
        rng = np.random.default_rng([seed, index])
        face = pool.choose(text, rng)
        assert face is not None  # the source accepts only covered texts
        columns.append((to_gray(render(text, face, rng, config).image), text))
    return columns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="also write the table into docs/benchmarks.md")
    add_recognizer_arguments(parser)
    # greedy unless --lm is given, and the column's two layouts alone (no condensed stretch), as its
    # documented figures were read
    parser.set_defaults(lm="none", stretch_condensed=False)
    args = parser.parse_args()
    recognizer = recognizer_from_args(args)
    columns = upright_columns(args.count, args.seed)
    texts = [text for _, text in columns]
    turned_layouts = [recognizer.prepare_layouts(np.rot90(column), column=False) for column, _ in columns]
    unstacked_layouts = [recognizer.prepare_layouts(unstack_column(column), column=False) for column, _ in columns]
    turned = recognizer.recognize_layouts(turned_layouts)
    unstacked = recognizer.recognize_layouts(unstacked_layouts)
    best = recognizer.recognize_layouts([u + t for u, t in zip(unstacked_layouts, turned_layouts)])  # as read() does
    readings: dict[str, list[Reading]] = dict(zip(LAYOUTS, (turned, unstacked, best)))
    right = {name: [r.text == text for r, text in zip(rs, texts)] for name, rs in readings.items()}
    rows = ["| layout | words read | CER | vs turned: fixed / broken, McNemar p |", "|---|---:|---:|---|"]
    for name, rs in readings.items():
        edits = sum(Levenshtein.distance(r.text, text) for r, text in zip(rs, texts))
        fixed, broken = fixes_and_breaks(right["turned 90°"], right[name])
        paired = "—" if name == "turned 90°" else f"{fixed} / {broken}, p {mcnemar(fixed, broken)[1]:.2g}"
        rows.append(f"| {name} | {np.mean(right[name]):.1%} | {edits / sum(map(len, texts)):.1%} | {paired} |")
    table = "\n".join(rows) + f"\n\n{len(columns)} columns in the held-out designs, seed {args.seed}."
    publish("vertical-columns", "Vertical columns: turned or unstacked", table, args.write)


if __name__ == "__main__":
    main()
