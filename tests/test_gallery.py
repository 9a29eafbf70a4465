"""Gallery sheets: selection, drawing, and the Korean font with its fallback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image
from test_recognizer import word_image

from krocr import captions
from krocr.analysis import gallery
from krocr.analysis.gallery import (
    GalleryItem,
    draw_sheet,
    korean_font_family,
    random_pick,
    worst_first,
)
from krocr.model.preprocess import PreprocessConfig, preprocess


def items(count: int = 3) -> list[GalleryItem]:
    config = PreprocessConfig(width_mode="natural")
    return [
        GalleryItem(
            preprocess(word_image(80 + 200 * i, seed=i), config),
            "카페 베네",
            "카폐 베네" if i else "카페 베네",
            "--카-폐--" * (i + 1),
            0.25 * i,
            f"test.lmdb#{i + 1}",
        )
        for i in range(count)
    ]


def test_worst_first_and_random_pick():
    assert worst_first([0.0, 0.5, 1.2, 0.5], 3) == [2, 1, 3]
    assert random_pick(10, 4, seed=1) == random_pick(10, 4, seed=1)
    assert len(set(random_pick(10, 4))) == 4 and random_pick(3, 10) == [0, 1, 2]


def test_sheet_is_a_png_with_one_row_per_crop(tmp_path):
    path = draw_sheet(items(3), tmp_path / "sheets" / "worst.png", "Worst first: 3 of 3 crops")
    image = np.asarray(Image.open(path).convert("L"))
    assert image.shape[1] == 1100 and image.shape[0] > 300
    assert image.std() > 10  # crops and text drawn, not a blank page
    taller = np.asarray(Image.open(draw_sheet(items(5), tmp_path / "five.png", "five")))
    assert taller.shape[0] > image.shape[0]


def test_korean_font_is_registered():
    if captions.korean_font_path() is None:
        pytest.skip("no Korean font installed (Debian: fonts-nanum)")
    family = korean_font_family()
    assert len(family) == 2 and family[-1] == gallery.FALLBACK_FAMILY


def test_without_a_korean_font_it_warns_and_still_draws(monkeypatch, tmp_path):
    monkeypatch.setattr(captions, "korean_font_path", lambda: None)
    korean_font_family.cache_clear()
    try:
        with pytest.warns(UserWarning, match="no Korean font"):
            assert korean_font_family() == [gallery.FALLBACK_FAMILY]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no warning per missing glyph
            assert draw_sheet(items(1), tmp_path / "plain.png", "fallback").stat().st_size > 0
    finally:
        korean_font_family.cache_clear()


def test_sheets_fit_the_report_column_so_captions_keep_their_size(tmp_path):
    from krocr.analysis import gallery

    sheet = Image.open(draw_sheet(items(2), tmp_path / "sheet.png", "two"))
    assert sheet.width <= 1150  # the report's max-width: shown unscaled
    assert gallery.CAPTION_PT * gallery.DPI / 72 >= 14  # px of a caption line at 100 % zoom
