"""From a probability map to polygons (krocr.detection.postprocess) and how detections are
scored against ground truth (krocr.detection.metrics)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import shapely

from krocr.detection.config import PostprocessConfig
from krocr.detection.metrics import DetectionCounts, detection_metrics, match_image
from krocr.detection.postprocess import order_text_corners, polygons_from_map, region_score
from krocr.detection.targets import make_targets
from krocr.errors import ConfigError

WIDE = cv2.boxPoints(((150, 100), (180, 40), 20))  # a word tilted 20°
TALL = cv2.boxPoints(((320, 300), (50, 200), -10))  # a vertical column


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    pa, pb = shapely.Polygon(a), shapely.Polygon(b)
    return pa.intersection(pb).area / pa.union(pb).area


def test_two_rotated_words_come_back_from_their_shrunk_map_scaled_to_the_photo():
    probability = make_targets([WIDE, TALL], [False, False], (480, 640)).shrink_map * 0.9
    found = polygons_from_map(probability, (1280, 960))  # the photo is twice the map's size
    assert len(found) == 2
    assert found.polygons.dtype == np.float32 and found.polygons.shape == (2, 4, 2)
    np.testing.assert_allclose(found.scores, 0.9, atol=1e-5)
    truth = [WIDE * 2, TALL * 2]
    for polygon in found.polygons:
        assert max(_iou(polygon, t) for t in truth) > 0.8


@pytest.mark.parametrize("aspect", [1, 3, 8, 18])
def test_the_inverse_unclip_returns_words_of_any_aspect_at_their_size_where_dbnets_ratio_does_not(aspect):
    word = cv2.boxPoints(((320, 240), (32 * aspect, 32), 5))
    probability = make_targets([word], [False], (480, 640)).shrink_map
    (inverse,) = polygons_from_map(probability).polygons
    assert _iou(inverse, word) > 0.88  # rasterising the kernel costs a pixel or so
    (ratio,) = polygons_from_map(probability, config=PostprocessConfig(unclip="ratio", unclip_ratio=1.5)).polygons
    if aspect >= 8:
        assert _iou(ratio, word) < 0.7  # the height comes back at ~60 %


def test_a_line_of_merged_word_kernels_is_grown_as_words_with_max_word_aspect():
    # three 3:1 words 40 px high whose kernels touch (a sign set tight): one long thin blob
    words = [cv2.boxPoints(((100 + 120 * i, 240), (120, 40), 0)) for i in range(3)]
    probability = make_targets(words, [False] * 3, (480, 640)).shrink_map
    rows = np.flatnonzero(probability[:, 100] > 0)
    probability[rows.min() : rows.max() + 1, 100:340] = 1.0  # the gaps between kernels filled
    (uncapped,) = polygons_from_map(probability).polygons
    (capped,) = polygons_from_map(probability, config=PostprocessConfig(max_word_aspect=3)).polygons
    line = np.array([[40, 220], [400, 220], [400, 260], [40, 260]], np.float32)
    assert np.ptp(uncapped[:, 1]) > 1.3 * 40  # grown as one 9:1 word would have shrunk
    assert np.ptp(capped[:, 1]) == pytest.approx(40, abs=5)
    assert _iou(capped, line) > 0.8 > _iou(uncapped, line)


def test_max_word_aspect_leaves_shorter_words_as_the_exact_inverse_grows_them():
    word = cv2.boxPoints(((320, 240), (64, 32), 5))  # 2:1, under the cap
    probability = make_targets([word], [False], (480, 640)).shrink_map
    (exact,) = polygons_from_map(probability).polygons
    (capped,) = polygons_from_map(probability, config=PostprocessConfig(max_word_aspect=3)).polygons
    np.testing.assert_allclose(capped, exact)
    with pytest.raises(ConfigError, match="max_word_aspect"):
        PostprocessConfig(max_word_aspect=0.5)


def test_corners_run_clockwise_from_the_top_left_of_the_text_as_it_is_read():
    wide = order_text_corners(np.array([[120, 70], [20, 70], [20, 30], [120, 30]], np.float32))
    np.testing.assert_allclose(wide, [[20, 30], [120, 30], [120, 70], [20, 70]])
    # a column read top to bottom starts at its top-right: warped upright, it turns 90° counter-clockwise
    tall = order_text_corners(np.array([[20, 10], [60, 10], [60, 200], [20, 200]], np.float32))
    np.testing.assert_allclose(tall, [[60, 10], [60, 200], [20, 200], [20, 10]])
    probability = make_targets([TALL], [False], (480, 640)).shrink_map
    (polygon,) = polygons_from_map(probability).polygons
    first_edge = polygon[1] - polygon[0]
    assert abs(first_edge[1]) > abs(first_edge[0]) > 0  # runs down the column
    assert polygon[0, 0] > polygon[3, 0]  # from its right side


def test_weak_thin_and_empty_regions_give_nothing():
    empty = polygons_from_map(np.zeros((64, 64), np.float32))
    assert len(empty) == 0 and empty.polygons.shape == (0, 4, 2)
    weak = make_targets([WIDE], [False], (480, 640)).shrink_map * 0.5  # above bin_thresh, below box_thresh
    assert len(polygons_from_map(weak)) == 0
    assert len(polygons_from_map(weak, config=PostprocessConfig(box_thresh=0.4))) == 1
    line = np.zeros((64, 64), np.float32)
    line[30:32, 5:60] = 1.0  # 2 px thick < min_size 3
    assert len(polygons_from_map(line)) == 0


def test_region_score_is_the_mean_inside_the_polygon():
    probability = np.zeros((50, 50), np.float32)
    probability[10:20, 10:30] = 1.0
    probability[10:20, 30:40] = 0.5
    assert region_score(probability, np.array([[10, 10], [39, 10], [39, 19], [10, 19]])) == pytest.approx(
        (200 * 1.0 + 100 * 0.5) / 300
    )


# ---- metrics --------------------------------------------------------------------------------


def _box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def test_known_precision_recall_and_hmean():
    gt = [_box(0, 0, 100, 20), _box(0, 40, 100, 60), _box(0, 80, 100, 100), _box(200, 0, 260, 20)]
    dont_care = [False, False, False, True]
    detections = [
        _box(0, 0, 100, 20),  # exact: a match
        _box(0, 40, 60, 60),  # IoU 0.6: a match
        _box(0, 80, 40, 100),  # IoU 0.4: no match
        _box(300, 300, 340, 320),  # nothing there: a false positive
        _box(205, 0, 260, 20),  # on the ### word: not counted
    ]
    match = match_image(gt, dont_care, detections)
    assert match.pairs == [(0, 0), (1, 1)]
    assert match.ignored == [4]
    assert match.counts == DetectionCounts(matched=2, detections=4, ground_truth=3, ignored_detections=1)
    assert match.counts.precision == pytest.approx(0.5)
    assert match.counts.recall == pytest.approx(2 / 3)
    assert match.counts.hmean == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_matching_is_one_to_one_and_prefers_the_higher_iou():
    gt = [_box(0, 0, 100, 20)]
    detections = [_box(0, 0, 70, 20), _box(0, 0, 95, 20)]  # both IoU ≥ 0.5 with the one word
    match = match_image(gt, [False], detections)
    assert match.pairs == [(0, 1)]
    assert match.counts == DetectionCounts(matched=1, detections=2, ground_truth=1)
    exactly_half = match_image(gt, [False], [_box(0, 0, 50, 20)])  # IoU 0.5 counts
    assert exactly_half.counts.matched == 1


def test_a_set_sums_its_images_before_dividing():
    a = match_image([_box(0, 0, 10, 10)], [False], [_box(0, 0, 10, 10)])
    b = match_image([_box(0, 0, 10, 10), _box(20, 0, 30, 10), _box(40, 0, 50, 10)], [False] * 3, [])
    total = detection_metrics([a, b])
    assert (total.precision, total.recall) == (1.0, 0.25)
    assert total.hmean == pytest.approx(0.4)
    nothing = detection_metrics([match_image([], [], [])])
    assert (nothing.precision, nothing.recall, nothing.hmean) == (0.0, 0.0, 0.0)


def test_bow_tie_and_zero_area_polygons_do_not_break_the_score():
    bow_tie = np.array([[0, 0], [10, 10], [10, 0], [0, 10]], np.float64)
    flat = np.array([[0, 0], [10, 0], [10, 0], [0, 0]], np.float64)
    match = match_image([_box(0, 0, 10, 10)], [False], [flat, bow_tie])
    # the bow-tie, repaired, is two triangles covering half the box: IoU 0.5, a match
    assert match.counts.detections == 2 and match.pairs == [(0, 1)]
