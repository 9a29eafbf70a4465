"""Render the preview sheets of the renderer's looks shown in docs/synth.md ("Looks").

    .venv/bin/python scripts/make_looks.py [--seed 0] [--out docs/images]

One sheet per look of ``krocr.synth.render.LOOKS``, ``looks_<look>.png``, and
``looks_none.png`` without any look: the same 12 Korean texts, fonts and per-crop seeds in
each (``krocr.synth.render.preview_sheet``), so a sheet differs from ``looks_none.png`` by
its look alone (and what the look draws instead: a document's size and colours, a photo
instead of a panel). Colour crops, as rendered; the cache stores them gray. Needs the
training fonts (Debian fonts-nanum and friends); photos come from krocr.synth.backgrounds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from krocr.charset import resolve_charset
from krocr.synth.fonts import FontFace, FontPool, discover_fonts, split_fonts
from krocr.synth.render import LOOKS, preview_sheet
from krocr.synth.text import TextConfig, TextSource

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
SAMPLES = 12


def samples(seed: int, count: int = SAMPLES) -> list[tuple[str, FontFace]]:
    """``count`` (text, training font face) pairs from the Korean text stream, at most 18
    characters long so a sheet stays readable."""
    charset = resolve_charset("korean")
    pool = FontPool.build(split_fonts(discover_fonts()).train, "".join(charset.symbols))
    source = TextSource(charset, TextConfig(lang="ko"), np.random.default_rng([seed, 27]), accept=pool.covers)
    pairs: list[tuple[str, FontFace]] = []
    while len(pairs) < count:
        text = source()[0]
        if len(text) <= 18:
            face = pool.choose(text, np.random.default_rng([seed, len(pairs)]))
            assert face is not None  # the source accepts only texts a face covers
            pairs.append((text, face))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=IMAGES)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pairs = samples(args.seed)
    for look in (None, *LOOKS):
        sheet = preview_sheet(look, pairs, seed=args.seed)
        path = args.out / f"looks_{look or 'none'}.png"
        # a 128-colour palette keeps a sheet near 60 KB (full colour: ~190 KB) and looks the same
        Image.fromarray(sheet).quantize(128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            path, optimize=True
        )
        print(path)


if __name__ == "__main__":
    main()
