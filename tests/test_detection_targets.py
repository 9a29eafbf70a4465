"""What the detector learns from (krocr.detection.targets) and how it is scored in training
(krocr.detection.losses): DBNet's shrink and threshold maps, and its loss."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from krocr.detection.losses import DBLoss, balanced_bce, dice_loss, masked_l1
from krocr.detection.targets import make_targets, offset_polygon, point_to_polygon_edges, shrink_offset

RECT = np.array([[20, 30], [120, 30], [120, 70], [20, 70]], np.float32)  # 100 × 40 px


def test_a_rectangle_is_shrunk_by_dbnets_offset_and_its_band_is_scaled_to_the_threshold_range():
    distance = shrink_offset(RECT)
    assert distance == pytest.approx(100 * 40 * (1 - 0.4**2) / 280)  # 12.0 px
    t = make_targets([RECT], [False], (100, 160))
    ys, xs = np.nonzero(t.shrink_map)
    # the shrunk rectangle lies inside the word, 12 px in from each side (±1 px of rasterising)
    assert xs.min() == pytest.approx(20 + distance, abs=1) and xs.max() == pytest.approx(120 - distance, abs=1)
    assert ys.min() == pytest.approx(30 + distance, abs=1) and ys.max() == pytest.approx(70 - distance, abs=1)
    assert t.shrink_mask.min() == 1  # nothing ignored
    assert t.threshold_map.min() >= 0.3 and t.threshold_map.max() <= 0.7
    assert t.threshold_map.min() >= 0 and t.threshold_map.max() <= 1
    assert t.threshold_map[30, 60] == pytest.approx(0.7)  # on the word's edge: the largest threshold
    assert t.threshold_map[50, 70] == pytest.approx(0.3)  # 20 px inside, beyond the band
    assert t.threshold_map[30 - 6, 60] == pytest.approx(0.3 + 0.4 * (1 - 6 / distance), abs=1e-3)
    band = t.threshold_mask.astype(bool)
    assert band[30 - 11, 60] and not band[30 - 14, 60]  # the grown polygon reaches 12 px out
    for m in (t.shrink_map, t.shrink_mask, t.threshold_map, t.threshold_mask):
        assert m.shape == (100, 160) and m.dtype == np.float32


def test_illegible_and_tiny_words_are_masked_out_not_taught():
    tiny = np.array([[10, 10], [40, 10], [40, 15], [10, 15]], np.float32)  # 5 px thick < 8
    t = make_targets([RECT, tiny], [True, False], (100, 160))
    assert t.shrink_map.max() == 0 and t.threshold_mask.max() == 0
    assert t.shrink_mask[50, 70] == 0 and t.shrink_mask[12, 20] == 0
    assert t.shrink_mask[90, 150] == 1


def test_offsets_grow_and_shrink_rotated_polygons_and_swallowed_ones_vanish():
    rotated = cv2.boxPoints(((80, 50), (100, 30), 25))
    area = cv2.contourArea(rotated)
    (grown,) = offset_polygon(rotated, 5)
    (shrunk,) = offset_polygon(rotated, -5)
    assert cv2.contourArea(grown.astype(np.float32)) > area > cv2.contourArea(shrunk.astype(np.float32))
    assert offset_polygon(rotated, -20) == []


def test_point_to_edge_distances():
    points = np.array([[[70.0, 20.0], [130.0, 50.0], [70.0, 50.0], [140.0, 90.0]]])
    expected = [[10.0, 10.0, 20.0, np.hypot(20, 20)]]
    np.testing.assert_allclose(point_to_polygon_edges(points, RECT), expected)


# ---- loss -----------------------------------------------------------------------------------


def _batch(targets):
    return [torch.from_numpy(np.stack(x)) for x in zip(*targets)]


def test_the_loss_is_lower_for_the_right_maps_than_for_wrong_ones():
    t = make_targets([RECT], [False], (96, 160))
    shrink, shrink_mask, thresh, thresh_mask = _batch(
        [(t.shrink_map, t.shrink_mask, t.threshold_map, t.threshold_mask)]
    )
    right = torch.stack([shrink, thresh, shrink], dim=1)
    wrong = torch.stack([1 - shrink, 1 - thresh, 1 - shrink], dim=1)
    loss = DBLoss()
    good, bad = (
        loss(right, shrink, shrink_mask, thresh, thresh_mask),
        loss(wrong, shrink, shrink_mask, thresh, thresh_mask),
    )
    assert float(good.total) < 0.01 < float(bad.total)
    assert float(good.threshold) == pytest.approx(0, abs=1e-6) and float(good.binary) == pytest.approx(0, abs=1e-4)


def test_hard_negatives_are_three_per_positive_per_image_at_least_min_negatives():
    target = torch.zeros(2, 1, 100)
    target[0, 0, :10] = 1  # image 0: 10 positives; image 1: none
    mask = torch.ones_like(target)
    probability = torch.full_like(target, 0.5)
    probability[0, 0, :10] = 1.0  # positives right: no loss
    probability[0, 0, 10:20] = 0.9  # 10 hard negatives in image 0, the rest at 0.5
    probability[1, 0, :5] = 0.99
    bce = balanced_bce(probability, target, mask, ratio=3, min_negatives=5)
    # image 0: 10 positives (0 loss), 30 negatives: 10 at -log 0.1, 20 at -log 0.5; image 1: 5 at -log 0.01
    expected = (10 * -np.log(0.1) + 20 * -np.log(0.5) + 5 * -np.log(0.01)) / (10 + 30 + 5)
    assert float(bce) == pytest.approx(expected, rel=1e-4)


def test_the_batched_loss_equals_the_loss_of_each_image_computed_alone():
    torch.manual_seed(0)
    target = (torch.rand(3, 40, 40) > 0.8).float()
    mask = (torch.rand(3, 40, 40) > 0.1).float()
    probability = torch.rand(3, 40, 40)
    batched = balanced_bce(probability, target, mask, 3, 10)
    # the same pixel choice per image, pooled over the batch: sum of chosen losses / pixels chosen
    sums, counts = 0.0, 0.0
    for i in range(3):
        p, g, m = probability[i].flatten(), target[i].flatten(), mask[i].flatten()
        loss = -(g * torch.log(p.clamp(1e-6, 1 - 1e-6)) + (1 - g) * torch.log1p(-p.clamp(1e-6, 1 - 1e-6)))
        pos = (g * m).bool()
        neg_losses = loss[((1 - g) * m).bool()]
        k = int(min(len(neg_losses), max(3 * int(pos.sum()), 10)))
        sums += float(loss[pos].sum() + neg_losses.topk(k).values.sum())
        counts += int(pos.sum()) + k
    assert float(batched) == pytest.approx(sums / counts, rel=1e-5)
    assert float(masked_l1(torch.ones(1, 4), torch.zeros(1, 4), torch.tensor([[1.0, 1, 0, 0]]))) == pytest.approx(1)
    assert float(dice_loss(torch.ones(1, 4), torch.ones(1, 4), torch.ones(1, 4))) == pytest.approx(0, abs=1e-6)


def test_the_loss_runs_under_bf16_autocast_and_stays_finite():
    t = make_targets([RECT], [False], (96, 160))
    shrink, shrink_mask, thresh, thresh_mask = _batch(
        [(t.shrink_map, t.shrink_mask, t.threshold_map, t.threshold_mask)]
    )
    maps = torch.stack([shrink, thresh, shrink], dim=1).bfloat16()  # saturated: log(0) without the clamp
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = DBLoss()(maps, shrink, shrink_mask, thresh, thresh_mask)
    assert torch.isfinite(out.total) and out.total.dtype == torch.float32
