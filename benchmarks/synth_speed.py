"""Synthetic crop speed: crops/s for English and Korean, rendering alone in one process
and ``krocr synth`` end to end (texts, rendering, LMDB writing) with 1 worker and all cores.

    python benchmarks/synth_speed.py [--count 1500] [--write]

Prints a Markdown table (date, machine, command in its header); ``--write`` also stores it
in docs/benchmarks.md. Glyph coverage is computed (and cached) before timing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from krocr.charset import resolve_charset
from krocr.model.preprocess import PreprocessConfig, resize_crop
from krocr.synth.fonts import FontPool, discover_fonts, split_fonts
from krocr.synth.generate import DEFAULT_CHARSETS, SynthOptions, generate
from krocr.synth.render import render_word
from krocr.synth.text import TextConfig, TextSource

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish


def render_only(lang: str, count: int) -> float:
    """Crops/s of text + font choice + render + resize to height 32, one process."""
    charset = resolve_charset(DEFAULT_CHARSETS[lang])
    pool = FontPool.build(split_fonts(discover_fonts()).train, "".join(charset.symbols))
    source = TextSource(charset, TextConfig(lang=lang), np.random.default_rng(0), accept=pool.covers)
    resize = PreprocessConfig(width_mode="natural")
    texts = [source()[0] for _ in range(count)]
    for text in texts[:50]:  # warm the font cache
        rng = np.random.default_rng([1, 0])
        render_word(text, pool.choose(text, rng), rng)
    started = time.perf_counter()
    for index, text in enumerate(texts, 1):
        rng = np.random.default_rng([0, index])
        resize_crop(render_word(text, pool.choose(text, rng), rng), resize)
    return count / (time.perf_counter() - started)


def end_to_end(lang: str, count: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        generate(SynthOptions(out=Path(tmp), lang=lang, count=count, workers=workers))
        return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1500, help="crops per measurement")
    parser.add_argument("--write", action="store_true", help="also store the table in docs/benchmarks.md")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    rows = []
    for lang in ("en", "ko"):
        rows.append((lang, "render only", 1, render_only(lang, args.count)))
        for workers in sorted({1, cores}):
            rows.append((lang, "krocr synth", workers, end_to_end(lang, args.count * workers, workers)))
    table = "\n".join(
        ["| lang | what | processes | crops/s |", "|---|---|---|---|"]
        + [f"| {lang} | {what} | {workers} | {speed:,.0f} |" for lang, what, workers, speed in rows]
    )
    publish("synth_speed", "Synthetic crop speed", table, args.write, per_machine=True)


if __name__ == "__main__":
    main()
