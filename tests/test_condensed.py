"""The condensed-lettering layout's text widths and geometry."""

from __future__ import annotations

import numpy as np
import pytest

from krocr.inference.condensed import CONDENSED_TAU, condensed_min_ems, stretched, text_ems


@pytest.mark.parametrize(
    "text, ems",
    [
        ("카페", 2.0),
        ("카 페", 2.28),
        ("A1", 0.71 + 0.60),
        ("", 0.0),
        ("24시 편의점", 4.0 + 0.28 + 2 * 0.60),
        ("T 051.818", 0.71 + 0.28 + 6 * 0.60 + 0.33),  # a full stop is half a digit
        ("■ 1,000₩", 1.0 + 0.28 + 4 * 0.60 + 0.33 + 0.64),  # ■ as wide as a syllable
        ("×♣", 2 * 0.64),  # characters of no class: an other symbol's width
    ],
)
def test_text_ems_counts_hangul_as_square_and_the_rest_by_class(text, ems):
    assert text_ems(text) == pytest.approx(ems)


def test_stretched_doubles_the_width_and_keeps_the_height():
    gray = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (20, 1))  # 25 px wide
    wide = stretched(gray)
    assert wide.shape == (20, 50) and wide.dtype == np.uint8
    assert wide[:, 0].tolist() == gray[:, 0].tolist() and wide[0, -1] >= 230  # ends where it ended


def test_min_ems_is_the_crops_aspect_over_tau():
    assert condensed_min_ems(np.zeros((40, 60), np.uint8)) == pytest.approx(1.5 / CONDENSED_TAU)
