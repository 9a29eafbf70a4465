"""Contact sheets of a crop cache: random samples with their labels and sources, each
optionally beside its augmented version (``krocr data preview``, and the ``preview.png``
that ``krocr data`` and ``krocr synth`` write)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from krocr.captions import korean_font
from krocr.data.augment import AugmentConfig, Augmenter, item_seed
from krocr.data.store import CacheReader
from krocr.errors import DataError


def write_preview(
    lmdb_path: str | Path,
    out: str | Path,
    count: int = 48,
    augment: AugmentConfig | None = None,
    seed: int = 0,
    columns: int = 3,
) -> Path:
    """A contact sheet of ``count`` random samples: each crop (and its augmented version
    when ``augment`` is given) with its label and source."""
    reader = CacheReader(lmdb_path)
    if len(reader) == 0:
        raise DataError(f"{lmdb_path}: no samples to preview")
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(len(reader), size=min(count, len(reader)), replace=False))
    augmenter = Augmenter(augment) if augment else None
    font, small = korean_font(18), korean_font(12)
    scale_h, cell_w, pad = 48, 360, 8
    rows_per_cell = 2 if augmenter else 1
    cell_h = pad + rows_per_cell * (scale_h + 4) + 22 + 16
    rows = -(-len(picks) // columns)
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for n, index in enumerate(picks):
        gray, label, source = reader[int(index)]
        x, y = (n % columns) * cell_w + pad, (n // columns) * cell_h + pad
        images = [gray] + ([augmenter(gray, item_seed(seed, int(index)))] if augmenter else [])
        for image in images:
            sheet.paste(_fit(image, scale_h, cell_w - 2 * pad), (x, y))
            y += scale_h + 4
        draw.text((x, y), label, fill="black", font=font)
        draw.text((x, y + 22), f"{source} #{int(index) + 1}", fill=(120, 120, 120), font=small)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def _fit(gray: np.ndarray, height: int, max_width: int) -> Image.Image:
    image = Image.fromarray(gray)
    width = max(1, round(image.width * height / image.height))
    if width > max_width:  # squeeze, as training does, rather than cut the label's end off
        width = max_width
    return image.resize((width, height), Image.Resampling.BILINEAR)
