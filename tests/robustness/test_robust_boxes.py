"""Catalogue: boxes. A broken polygon among ten good words is named (file + region) with
its reason; every good word reaches the cache. Boxes partly outside are clipped (or
rejected on request), vertical words are turned so their first character is on the left
(or rejected on request)."""

from __future__ import annotations

from collections import Counter

import cv2
import numpy as np
import pytest
from robust_helpers import (
    Photo,
    Region,
    encode,
    krocr_data,
    rect,
    render_photo,
    via_source,
)

BROKEN = {
    # case: (points in file order, reason, text the detail must hold)
    "fewer_than_4_points": ([(60, 12), (180, 12), (120, 52)], "too_few_points", "3 points, need 4"),
    "no_points": ([], "too_few_points", "0 points, need 4"),
    "zero_area": ([(60, 20), (120, 20), (180, 20), (90, 20)], "zero_area", "area 0.0 px²"),
    "self_intersecting": ([(60, 12), (180, 52), (180, 12), (60, 52)], "self_intersecting", "edge 1 crosses edge 3"),
    "fully_outside": (rect(400, 100, 80, 30), "outside_image", "entirely outside the 240×64 image"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_box_is_named_and_the_others_survive(signs, tmp_path, case):
    points, reason, detail = BROKEN[case]
    photo = signs.photos[2]
    photo.regions.append(Region("고장", points))
    via = signs.write_via()
    built = krocr_data(via_source(via, signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert (rejection["file"], rejection["item"], rejection["reason"]) == (str(via), f"{photo.name} region 3", reason)
    assert detail in rejection["detail"]


def test_non_finite_coordinates_are_a_malformed_region(signs, tmp_path):
    photo = signs.photos[2]
    photo.regions.append(Region("무한", [(60, 12), (float("inf"), 12), (180, 52), (float("nan"), 52)]))
    via = signs.write_via()  # json writes NaN and Infinity literals, which Python's reader accepts
    built = krocr_data(via_source(via, signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert (rejection["item"], rejection["reason"]) == (f"{photo.name} region 3", "malformed_region")
    assert "non-finite" in rejection["detail"]


# ---- partly outside --------------------------------------------------------------------------------
EDGE_WORD = ("가장자리", (130, 10, 110, 44))  # drawn up to the right edge of the 240 px photo
EDGE_BOX = rect(130, 10, 140, 44)  # annotated 30 px past it


def edge_photo() -> Photo:
    image = render_photo([EDGE_WORD], seed=21)
    return Photo("edge.png", [Region(EDGE_WORD[0], EDGE_BOX)], encode(image, "PNG"))


def test_box_partly_outside_is_clipped_by_default(signs, tmp_path):
    signs.add(edge_photo())
    built = krocr_data(via_source(signs.write_via(), signs.images), tmp_path / "out")
    assert built.rejections == []
    assert built.labels() == Counter([*signs.good_labels(), EDGE_WORD[0]])
    crop = built.crops()[EDGE_WORD[0]]
    assert crop.shape == (32, round(110 * 32 / 44))  # clipped to x ≤ 240: 110 px wide, not 140


def test_box_partly_outside_is_named_with_outside_reject(signs, tmp_path):
    signs.add(edge_photo())
    via = signs.write_via()
    built = krocr_data(via_source(via, signs.images), tmp_path / "out", "--outside", "reject")
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert (rejection["file"], rejection["item"], rejection["reason"]) == (
        str(via),
        "edge.png region 1",
        "outside_image",
    )
    assert "extends 30 px outside the 240×64 image" in rejection["detail"]


# ---- vertical ----------------------------------------------------------------------------------------
VERTICAL_WORD = ("세로", (36, 10, 48, 120))


def vertical_photo() -> tuple[Photo, np.ndarray]:
    image = render_photo([VERTICAL_WORD], size=(120, 140), seed=31, vertical=frozenset({VERTICAL_WORD[0]}))
    x, y, w, h = VERTICAL_WORD[1]
    patch = np.asarray(image.convert("L"))[y : y + h, x : x + w]
    return Photo("vertical.png", [Region(VERTICAL_WORD[0], rect(*VERTICAL_WORD[1]))], encode(image, "PNG")), patch


def test_vertical_word_is_turned_counter_clockwise_by_default(signs, tmp_path):
    photo, patch = vertical_photo()
    signs.add(photo)
    built = krocr_data(via_source(signs.write_via(), signs.images), tmp_path / "out")
    assert built.rejections == []
    assert built.labels() == Counter([*signs.good_labels(), VERTICAL_WORD[0]])
    crop = built.crops()[VERTICAL_WORD[0]].astype(float)
    assert crop.shape == (32, round(120 * 32 / 48))  # lying down: wider than tall

    def error(turned: np.ndarray) -> float:
        return float(np.abs(cv2.resize(turned, crop.shape[::-1], interpolation=cv2.INTER_AREA) - crop).mean())

    ccw, cw = error(np.rot90(patch, 1)), error(np.rot90(patch, -1))
    assert ccw < 20 and ccw < cw / 2  # 세 on the left, where a left-to-right reader starts


def test_vertical_word_is_named_with_vertical_reject(signs, tmp_path):
    photo, _ = vertical_photo()
    signs.add(photo)
    via = signs.write_via()
    built = krocr_data(via_source(via, signs.images), tmp_path / "out", "--vertical", "reject")
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert (rejection["file"], rejection["item"], rejection["reason"]) == (
        str(via),
        "vertical.png region 1",
        "vertical",
    )
    assert "48×120 px box is taller than wide" in rejection["detail"]
