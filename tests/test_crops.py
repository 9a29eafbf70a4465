import itertools

import cv2
import numpy as np
import pytest

from krocr.data.crops import (
    CropConfig,
    box_size,
    is_turned_column,
    order_points,
    outside_by,
    validate_box,
    warp_crop,
    warp_standing,
    word_quad,
)
from krocr.data.rejections import Reason

RECT = np.array([[10, 20], [110, 20], [110, 50], [10, 50]], dtype=np.float32)  # tl tr br bl, 100×30
IMAGE = (640, 480)


def rotated_rect(cx, cy, w, h, degrees):
    return cv2.boxPoints(((cx, cy), (w, h), degrees))


@pytest.mark.parametrize("start", range(4))
@pytest.mark.parametrize("reverse", [False, True])
def test_order_points_any_start_and_direction(start, reverse):
    points = np.roll(RECT, start, axis=0)
    if reverse:
        points = points[::-1]
    assert np.array_equal(order_points(points), RECT)


def test_order_points_any_permutation_of_a_convex_box():
    for perm in itertools.permutations(range(4)):
        assert np.array_equal(order_points(RECT[list(perm)]), RECT)


@pytest.mark.parametrize("degrees", [-30, -10, 10, 30])
def test_order_points_rotated_box_keeps_top_edge(degrees):
    ordered = order_points(rotated_rect(300, 200, 200, 40, degrees))
    tl, tr, br, bl = ordered
    assert tr[0] > tl[0] and br[0] > bl[0]  # top and bottom edges run left to right
    assert (tl[1] + tr[1]) / 2 < (bl[1] + br[1]) / 2  # top edge above bottom edge
    width, height = box_size(ordered)
    assert width == pytest.approx(200, abs=1) and height == pytest.approx(40, abs=1)


def test_good_box_passes_ordered():
    points, issue = validate_box(RECT[[2, 3, 0, 1]], IMAGE)
    assert issue is None and np.array_equal(points, RECT)


@pytest.mark.parametrize(
    "points, config, reason",
    [
        ([[0, 0], [10, 0], [5, 10]], CropConfig(), Reason.TOO_FEW_POINTS),
        ([[0, 10], [50, 10], [100, 10], [20, 10]], CropConfig(), Reason.ZERO_AREA),
        ([[10, 10], [110, 40], [110, 10], [10, 40]], CropConfig(), Reason.SELF_INTERSECTING),
        ([[10, 10], [110, 10], [60, 20], [60, 60]], CropConfig(), Reason.NOT_CONVEX),
        ([[700, 10], [760, 10], [760, 40], [700, 40]], CropConfig(), Reason.OUTSIDE_IMAGE),
        ([[600, 10], [700, 10], [700, 40], [600, 40]], CropConfig(outside="reject"), Reason.OUTSIDE_IMAGE),
        ([[0, 0], [300, 0], [300, 5], [0, 5]], CropConfig(max_aspect=40), Reason.EXTREME_ASPECT),
        ([[0, 0], [30, 0], [30, 3], [0, 3]], CropConfig(), Reason.TOO_SMALL),
        ([[10, 10], [40, 10], [40, 100], [10, 100]], CropConfig(vertical="reject"), Reason.VERTICAL),
        ([[0, 0], [np.nan, 0], [10, 10], [0, 10]], CropConfig(), Reason.MALFORMED_REGION),
    ],
)
def test_each_rejection_reason(points, config, reason):
    result, issue = validate_box(np.array(points, dtype=np.float32), IMAGE, config)
    assert result is None
    assert issue.reason == reason and issue.detail


def test_partly_outside_box_is_clipped():
    points, issue = validate_box(np.array([[600, -5], [700, -5], [700, 40], [600, 40]]), IMAGE)
    assert issue is None
    assert points[:, 0].max() == 640 and points[:, 1].min() == 0


def test_a_polygon_is_cut_along_its_rectangle_which_may_reach_past_its_points():
    # an octagon around a word tilted by 20°, inside the image; its rectangle leaves it at the top
    octagon = np.array([[244, 74], [212, 77], [143, 59], [79, 29], [56, 6], [88, 3], [157, 21], [221, 51]], float)
    quad = word_quad(octagon)
    assert quad.shape == (4, 2) and outside_by(octagon, IMAGE) == 0
    assert 4 < outside_by(quad, IMAGE) < 5  # so the build counts the word as clipped
    assert word_quad(octagon[:4]).tolist() == octagon[:4].tolist()  # four points stay as they are
    points, issue = validate_box(octagon, IMAGE)
    assert issue is None and points[:, 1].min() == 0


def test_small_overshoot_within_tolerance_is_not_rejected():
    points, issue = validate_box(
        np.array([[-1, 10], [100, 10], [100, 40], [-1, 40]]), IMAGE, CropConfig(outside="reject")
    )
    assert issue is None and points[:, 0].min() == 0


def test_vertical_word_is_turned_counter_clockwise():
    tall = np.array([[10, 10], [40, 10], [40, 100], [10, 100]], dtype=np.float32)
    points, issue = validate_box(tall, IMAGE, chars=3)
    assert issue is None
    assert points[0].tolist() == [40, 10]  # the old top-right corner is the new top-left
    width, height = box_size(points)
    assert width > height


def test_single_tall_character_stays_upright():
    tall = np.array([[10, 10], [40, 10], [40, 60], [10, 60]], dtype=np.float32)
    points, issue = validate_box(tall, IMAGE, CropConfig(vertical="reject"), chars=1)
    assert issue is None and np.array_equal(points, tall)


def test_many_point_polygon_becomes_its_minimum_rectangle():
    curve = np.array([[10, 20], [60, 15], [110, 20], [110, 50], [60, 45], [10, 50]], dtype=np.float32)
    points, issue = validate_box(curve, IMAGE)
    assert issue is None and points.shape == (4, 2)


def test_self_intersecting_polygon_with_many_points():
    zigzag = np.array([[0, 0], [100, 0], [100, 50], [50, -20], [0, 50]], dtype=np.float32)
    _, issue = validate_box(zigzag + 100, IMAGE)
    assert issue.reason == Reason.SELF_INTERSECTING


def two_tone(quad, image_size=(300, 200)):
    """A gray image where the quad's first half (along tl→tr) is dark, the rest bright."""
    image = np.full((image_size[1], image_size[0]), 128, np.uint8)
    tl, tr, br, bl = quad
    left = np.array([tl, (tl + tr) / 2, (bl + br) / 2, bl], dtype=np.int32)
    right = np.array([(tl + tr) / 2, tr, br, (bl + br) / 2], dtype=np.int32)
    cv2.fillConvexPoly(image, left, 20)
    cv2.fillConvexPoly(image, right, 240)
    return image


def test_warp_crop_straightens_a_rotated_box():
    quad = order_points(rotated_rect(150, 100, 160, 40, 20))
    crop = warp_crop(two_tone(quad), quad, height=32)
    assert crop.shape == (32, 128)
    assert crop[8:24, 8:56].mean() < 60 and crop[8:24, 72:120].mean() > 200


def test_warp_crop_keeps_channels_and_native_size():
    image = np.zeros((100, 200, 3), np.uint8)
    crop = warp_crop(image, RECT)
    assert crop.shape == (30, 100, 3)


TALL = np.array([[100, 20], [140, 20], [140, 180], [100, 180]], dtype=np.float32)  # in a 300×200 image


def dark_over_bright_column() -> np.ndarray:
    """A 300×200 gray image whose TALL box is dark in its top half and bright below."""
    image = np.full((200, 300), 128, np.uint8)
    image[20:100, 100:140] = 20
    image[100:180, 100:140] = 240
    return image


def test_warp_of_turned_vertical_word_puts_its_top_on_the_left():
    image = dark_over_bright_column()
    points, _ = validate_box(TALL, (300, 200), chars=2)
    crop = warp_crop(image, points, height=32)
    assert crop.shape[1] > crop.shape[0]
    assert crop[:, : crop.shape[1] // 3].mean() < 60 and crop[:, -crop.shape[1] // 3 :].mean() > 200


def test_warp_standing_gives_a_column_back_standing_and_a_line_as_warp_crop_does():
    image = dark_over_bright_column()
    column, _ = validate_box(TALL, (300, 200), chars=2)
    assert is_turned_column(column)
    standing = warp_standing(image, column, height=32)
    assert standing.shape == (128, 32)  # the column's width is the height asked for
    assert standing[: standing.shape[0] // 3].mean() < 60 and standing[-standing.shape[0] // 3 :].mean() > 200
    line, _ = validate_box(RECT, IMAGE)
    assert not is_turned_column(line)
    assert np.array_equal(warp_standing(image, line, 32), warp_crop(image, line, 32))
    assert not is_turned_column(np.roll(column, 2, axis=0))  # read upside down: its edge runs up
