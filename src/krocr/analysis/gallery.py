"""Prediction galleries: PNG sheets of crops as the model saw them, with what it read.

Like the reference's figure, each row shows one crop (the preprocessed array: gray,
height 32, as the model saw it for the reading that was kept, stretched or unstacked if so)
and under it the raw per-frame argmax (blank ``-``), then the ground truth, the prediction
and the normalized edit distance (ED / len(ground truth)), green when the reading is exact
and red otherwise.

Korean text needs a Korean font: NanumGothic (or what fontconfig picks for Korean) is
registered with matplotlib; without one the sheet is still drawn, with boxes for Hangul.
"""

from __future__ import annotations

import functools
import random
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure

from krocr import captions

DPI = 100
# 1,100 px: the report's 1,150-px column shows a sheet at its own size, so captions keep
# their pixel size (a wider sheet was scaled down to ~9-px captions).
SHEET_WIDTH_IN = 11.0
IMAGE_HEIGHT_IN = 0.42  # a 32-px crop drawn this high; its width follows its aspect ratio
ROW_HEIGHT_IN = 1.05
CAPTION_PT = 11  # 15 px at DPI: Hangul legible at 100 % zoom
RAW_PT = 9
TITLE_HEIGHT_IN = 0.45
MARGIN_IN = 0.2
MAX_RAW_CHARS = 100  # raw strings of very wide crops are cut to fit the sheet width
FALLBACK_FAMILY = "DejaVu Sans"


@dataclass(frozen=True)
class GalleryItem:
    image: np.ndarray  # (1, H, W) float32 in [-1, 1], as the model saw it
    truth: str
    prediction: str
    raw: str
    ned: float
    name: str = ""  # where the crop came from (file, LMDB index)


def worst_first(neds: Sequence[float], count: int) -> list[int]:
    """Indices of the ``count`` highest normalized edit distances (ties keep input order)."""
    return sorted(range(len(neds)), key=lambda i: -neds[i])[:count]


def random_pick(total: int, count: int, seed: int = 0) -> list[int]:
    """``count`` distinct indices out of ``total``, reproducible for a ``seed``, sorted."""
    return sorted(random.Random(seed).sample(range(total), min(count, total)))


@functools.cache
def korean_font_family() -> list[str]:
    """Font families for Hangul text, most preferred first, ending with matplotlib's
    default so Latin text always renders. Warns once when no Korean font is installed."""
    path = captions.korean_font_path()
    if path is None:
        warnings.warn("no Korean font found (install fonts-nanum); Hangul in galleries shows as boxes", stacklevel=2)
        return [FALLBACK_FAMILY]
    font_manager.fontManager.addfont(str(path))
    return [font_manager.FontProperties(fname=str(path)).get_name(), FALLBACK_FAMILY]


def draw_sheet(items: Sequence[GalleryItem], path: str | Path, title: str) -> Path:
    """Draw ``items`` one per row into a PNG at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    height = TITLE_HEIGHT_IN + ROW_HEIGHT_IN * max(len(items), 1) + MARGIN_IN
    figure = Figure(figsize=(SHEET_WIDTH_IN, height), dpi=DPI)
    family = korean_font_family()
    figure.text(MARGIN_IN / SHEET_WIDTH_IN, 1 - 0.3 / height, title, fontsize=12, fontweight="bold", family=family)
    for row, item in enumerate(items):
        top = TITLE_HEIGHT_IN + row * ROW_HEIGHT_IN
        _draw_row(figure, item, top, height, family)
    with warnings.catch_warnings():
        # one warning per missing glyph would bury the single one korean_font_family gives
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure.savefig(path, facecolor="white")
    return path


def _draw_row(figure: Figure, item: GalleryItem, top_in: float, sheet_height_in: float, family: list[str]) -> None:
    gray = item.image[0]
    image_width_in = min(IMAGE_HEIGHT_IN * gray.shape[1] / gray.shape[0], SHEET_WIDTH_IN - 2 * MARGIN_IN)
    left = MARGIN_IN / SHEET_WIDTH_IN
    bottom = 1 - (top_in + IMAGE_HEIGHT_IN) / sheet_height_in
    axes = figure.add_axes((left, bottom, image_width_in / SHEET_WIDTH_IN, IMAGE_HEIGHT_IN / sheet_height_in))
    axes.imshow(gray, cmap="gray", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    axes.set_axis_off()

    def line(offset_in: float, text: str, size: int, **style: object) -> None:
        y = 1 - (top_in + IMAGE_HEIGHT_IN + offset_in) / sheet_height_in
        figure.text(left, y, text, fontsize=size, family=family, va="top", **style)  # type: ignore[arg-type]

    raw = item.raw if len(item.raw) <= MAX_RAW_CHARS else item.raw[:MAX_RAW_CHARS] + "…"
    line(0.04, raw, RAW_PT, color="dimgray")
    exact = item.truth == item.prediction
    caption = f"GT: {item.truth}    PRED: {item.prediction}    NED {item.ned:.2f}"
    line(
        0.24,
        caption + (f"    {item.name}" if item.name else ""),
        CAPTION_PT,
        color="darkgreen" if exact else "firebrick",
    )
