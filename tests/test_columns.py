"""Cutting a stacked column into character cells (krocr.data.columns)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from krocr.data.columns import column_cuts, unstack_column


def stacked(cells: int, size: int = 40, gap: int = 8, margin: int = 10, split_glyphs: bool = False) -> np.ndarray:
    """Dark square "glyphs" on white, stacked with even gaps; with ``split_glyphs`` each glyph
    has a blank band across its middle, as a syllable with a vowel over a final consonant has."""
    height = 2 * margin + cells * size + (cells - 1) * gap
    column = np.full((height, size + 2 * margin), 255, np.uint8)
    for k in range(cells):
        top = margin + k * (size + gap)
        column[top : top + size, margin : margin + size] = 30
        if split_glyphs:
            column[top + size // 2 - 3 : top + size // 2 + 3, margin : margin + size] = 255
    return column


def gap_rows(cells: int, size: int = 40, gap: int = 8, margin: int = 10) -> list[range]:
    return [range(margin + k * (size + gap) + size, margin + (k + 1) * (size + gap) + 1) for k in range(cells - 1)]


@pytest.mark.parametrize("cells", [2, 3, 5, 8])
def test_cuts_fall_in_the_gaps_between_characters(cells):
    cuts = column_cuts(stacked(cells))
    assert cuts[0] == 0 and cuts[-1] == stacked(cells).shape[0]
    assert len(cuts) == cells + 1
    for cut, gap in zip(cuts[1:-1], gap_rows(cells)):
        assert cut in gap


def test_a_gap_inside_a_syllable_is_not_cut():
    cuts = column_cuts(stacked(4, split_glyphs=True))
    assert len(cuts) == 5
    for cut, gap in zip(cuts[1:-1], gap_rows(4)):
        assert cut in gap


def test_a_blank_or_single_character_column_stays_whole():
    assert column_cuts(np.full((90, 30), 200, np.uint8)) == [0, 90]
    assert column_cuts(stacked(1)) == [0, stacked(1).shape[0]]


def test_unstacked_cells_stand_side_by_side():
    column = stacked(3)
    line = unstack_column(column)
    cuts = column_cuts(column)
    tallest = max(b - a for a, b in itertools.pairwise(cuts))
    assert line.shape == (tallest, 3 * column.shape[1])
    assert line.dtype == np.uint8
    # every cell holds one whole glyph: as much ink as a glyph, none cut off
    width = column.shape[1]
    inks = [(line[:, k * width : (k + 1) * width] < 128).sum() for k in range(3)]
    assert inks == [40 * 40] * 3


def test_a_thin_stroke_or_a_one_pixel_column_is_cut_without_error():
    stroke = np.full((200, 100), 255, np.uint8)
    stroke[:, 48:51] = 0  # a 3-px vertical stroke (1, l, ㅣ): the cells are sized by the column, not the stroke
    cuts = column_cuts(stroke)
    assert cuts[0] == 0 and cuts[-1] == 200 and all(b - a >= 20 for a, b in itertools.pairwise(cuts))
    sliver = np.full((200, 1), 255, np.uint8)
    sliver[50:150] = 0
    cuts = column_cuts(sliver)
    assert cuts[0] == 0 and cuts[-1] == 200 and cuts == sorted(set(cuts))
    assert unstack_column(sliver).shape[0] >= 1


def test_a_long_column_is_cut_evenly_all_the_way_down():
    """30 glyphs at a pitch the shape prior does not expect: the cuts must not drift off the gaps."""
    column = stacked(30, size=40, gap=20)
    cuts = column_cuts(column)
    assert len(cuts) == 31
    for cut, gap in zip(cuts[1:-1], gap_rows(30, size=40, gap=20)):
        assert cut in gap
