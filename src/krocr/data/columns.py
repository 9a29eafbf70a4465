"""Vertical columns laid out as a line: cut a stacked column into one cell per character and
set the cells side by side, upright.

Korean signs stack syllables top to bottom, each upright. Turning such a column 90° gives
the recognizer a line of sideways glyphs, which it has seen only in the few renders drawn
that way; unstacking gives it upright glyphs in a row, which is what it reads best.

Stacked characters keep one pitch down a column, so the cuts are chosen per count of
cells: the inked rows are divided evenly, each cut slides to the emptiest row near its even
place (the gap between two characters), and the count wins whose cuts cross the least ink
and slide the least while its pitch stays near :data:`PITCH` times the width of the
column's ink (a Hangul syllable is about as tall as wide). Even spacing is what keeps a cut
out of the gaps inside one syllable (under 업's ㅓ, say).
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from krocr.data.images import border_pixels

# a cell is this many times the width of the column's ink tall, at least and at most: one
# stacked syllable (about as tall as wide) with its share of the spacing; the renders step
# 1.05–1.55 em per character, and a syllable's ink is often only 0.75–0.9 em wide
CELL_HEIGHTS = (0.55, 2.5)
# the pitch expected, in widths of the column's ink: a syllable plus the gap to the next
PITCH = 1.2
# weight of the pitch's cost (squared log of pitch / PITCH) against the ink the cuts cross
# (a row's mean ink: 0 for an empty row, about 0.2–0.4 through a syllable's strokes)
SHAPE_WEIGHT = 0.2
# the column is cut at this width: the cuts need only the rows' ink profile
PROFILE_WIDTH = 32
# a row or column holds text where its mean ink reaches this share of the busiest one's:
# the text's extent inside the crop's margins, which sizes the cells
INK_SHARE = 0.15
# an even cut may slide this share of a pitch to an emptier row (glyphs differ in height)
CUT_SLACK = 0.2
# a column of more characters than this is not a sign (and would cost a search per count)
MAX_CELLS = 48
# the profile rows a cell needs at least: thinner cells are noise, not characters
MIN_PITCH_ROWS = 3
# the narrowest ink that sizes the cells, as a share of the column's width
MIN_INK_WIDTH = 0.4
# cost of a cut's slide, per pitch: of two counts whose cuts all find empty rows, the one
# whose gaps sit nearer their even places wins (a syllable's own gaps are off the pitch)
STRAY_WEIGHT = 0.1


def column_cuts(gray: np.ndarray) -> list[int]:
    """Rows at which to cut an upright column into character cells.

    Args:
        gray: a (height, width) uint8 column, text stacked top to bottom.

    Returns:
        Increasing row indices, starting at 0 and ending at ``height``: cell ``k`` is rows
        ``cuts[k]:cuts[k + 1]``. A column with no ink, or too short for two cells, gives
        ``[0, height]``.
    """
    height, width = gray.shape
    scale = PROFILE_WIDTH / width
    rows = max(1, round(height * scale))
    small = cv2.resize(gray, (PROFILE_WIDTH, rows), interpolation=cv2.INTER_AREA).astype(np.float32)
    ink = _ink(small)
    inked_rows, inked_columns = _extent(ink.mean(axis=1)), _extent(ink.mean(axis=0))
    if inked_rows is None or inked_columns is None:
        return [0, height]
    top, bottom = inked_rows
    # a column's syllables fill most of its width; a thin stroke (1, ㅣ) does not make thin cells
    glyph_width = max(inked_columns[1] - inked_columns[0], MIN_INK_WIDTH * PROFILE_WIDTH)
    cuts = _cheapest_cuts(ink[top:bottom].mean(axis=1), glyph_width)
    if cuts is None:
        return [0, height]
    inner = [min(height, round((top + c) / scale)) for c in cuts[1:-1]]
    return [0, *inner, height]


def _cheapest_cuts(profile: np.ndarray, glyph_width: float) -> list[int] | None:
    """Cuts 0 … len(profile) into evenly pitched cells: for each count of cells whose pitch
    fits :data:`CELL_HEIGHTS`, the even cuts each slide to the emptiest row within
    :data:`CUT_SLACK` of a pitch; the count wins whose cuts cross the least ink and slide
    the least (:data:`STRAY_WEIGHT`), plus its pitch's cost. None when no count fits."""
    rows = len(profile)
    best: tuple[float, list[int]] | None = None
    for cells in range(2, MAX_CELLS + 1):
        pitch = rows / cells
        if pitch < max(MIN_PITCH_ROWS, CELL_HEIGHTS[0] * glyph_width):
            break
        if pitch > CELL_HEIGHTS[1] * glyph_width:
            continue
        cuts, strayed = _even_cuts(profile, cells)
        crossed = float(sum(profile[c] for c in cuts[1:-1]))
        cost = (crossed + STRAY_WEIGHT * strayed) / (cells - 1)
        cost += SHAPE_WEIGHT * float(np.log(pitch / (PITCH * glyph_width))) ** 2
        if best is None or cost < best[0]:
            best = (cost, cuts)
    return None if best is None else best[1]


def _even_cuts(profile: np.ndarray, cells: int) -> tuple[list[int], float]:
    """0, ``cells - 1`` cuts and ``len(profile)``, and how far the cuts slid, in pitches.

    Each cut starts at its even place, the rows left below the cut before shared evenly
    among the cells left (so a pitch a little off does not add up down a long column), and
    slides to the emptiest row within :data:`CUT_SLACK` of a pitch (of equally empty rows,
    the nearest); each cut lies at least a row below the one before."""
    rows = len(profile)
    pitch = rows / cells
    slack = max(1, round(CUT_SLACK * pitch))
    cuts, strayed = [0], 0.0
    for k in range(1, cells):
        even = cuts[-1] + (rows - cuts[-1]) / (cells - k + 1)
        centre = round(even)
        near = np.arange(max(cuts[-1] + 1, centre - slack), min(rows - (cells - k), centre + slack) + 1)
        if not len(near):  # no room left to slide: the even place, kept in order
            near = np.array([min(max(cuts[-1] + 1, centre), rows - (cells - k))])
        distance = np.abs(near - even)
        cut = int(near[np.argmin(profile[near] + 1e-3 * distance / slack)])
        cuts.append(cut)
        strayed += abs(cut - even) / pitch
    return [*cuts, rows], strayed


def unstack_column(gray: np.ndarray) -> np.ndarray:
    """An upright column as a line: its character cells side by side, left to right.

    Args:
        gray: a (height, width) uint8 column, text stacked top to bottom.

    Returns:
        A (cell height, width × cells) uint8 image; cells shorter than the tallest are
        padded at the bottom and top with the column's background (its border's median).
    """
    cuts = column_cuts(gray)
    cells = [gray[top:bottom] for top, bottom in itertools.pairwise(cuts)]
    tallest = max(cell.shape[0] for cell in cells)
    background = int(np.median(border_pixels(gray)))
    padded = []
    for cell in cells:
        missing = tallest - cell.shape[0]
        padded.append(
            cv2.copyMakeBorder(cell, missing // 2, missing - missing // 2, 0, 0, cv2.BORDER_CONSTANT, value=background)
        )
    return np.hstack(padded)


def _ink(gray: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] per pixel: distance from the background (the border's median), scaled
    by the crop's strongest ink so that faint and bold columns cost alike."""
    ink = np.abs(gray - np.median(border_pixels(gray)))
    strong = float(np.percentile(ink, 98))
    return np.clip(ink / strong, 0, 1) if strong > 0 else np.zeros_like(ink)


def _extent(profile: np.ndarray) -> tuple[int, int] | None:
    """First and one-past-last index where the profile reaches :data:`INK_SHARE` of its peak."""
    peak = float(profile.max(initial=0))
    if peak <= 0:
        return None
    inked = np.flatnonzero(profile >= INK_SHARE * peak)
    return int(inked[0]), int(inked[-1]) + 1
