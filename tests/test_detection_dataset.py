"""ICDAR 2015 folders as detector training and validation data (krocr.detection.dataset):
layouts, every rejection named, augmented crops with their targets."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from krocr.data.rejections import Reason
from krocr.detection.config import DetectorConfig
from krocr.detection.dataset import (
    AugmentOptions,
    DetectionTrainSet,
    DetectionValSet,
    collate_one,
    random_crop,
    read_scenes,
)
from krocr.detection.folders import scene_folders
from krocr.errors import DataError, InvalidOption


def draw_words(
    size: tuple[int, int], boxes: list[tuple[int, int, int, int]], seed: int = 0
) -> tuple[np.ndarray, list[str]]:
    """A light photo with dark glyph-like blocks in each (x0, y0, x1, y1) box, and its ICDAR lines."""
    rng = np.random.default_rng(seed)
    width, height = size
    image = np.full((height, width, 3), 200, np.uint8) + rng.integers(0, 30, (height, width, 3), dtype=np.uint8)
    lines = []
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        glyph = y1 - y0
        for gx in range(x0 + 2, x1 - glyph // 2, glyph):
            cv2.rectangle(image, (gx, y0 + 2), (min(gx + glyph - 6, x1 - 2), y1 - 2), (20, 20, 30), -1)
        lines.append(f"{x0},{y0},{x1},{y0},{x1},{y1},{x0},{y1},word{i}")
    return image, lines


def write_folder(root: Path, scenes: list[tuple[tuple[int, int], list[tuple[int, int, int, int]]]]) -> Path:
    """An ICDAR 2015 folder as `krocr synth --scenes` lays it out: scenes/images + scenes/gt."""
    (root / "scenes" / "images").mkdir(parents=True)
    (root / "scenes" / "gt").mkdir(parents=True)
    for n, (size, boxes) in enumerate(scenes):
        image, lines = draw_words(size, boxes, seed=n)
        cv2.imwrite(str(root / "scenes" / "images" / f"img_{n}.jpg"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        (root / "scenes" / "gt" / f"gt_img_{n}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


SCENES = [
    ((320, 240), [(20, 30, 180, 62), (40, 120, 280, 160)]),
    ((320, 240), [(100, 100, 220, 124)]),
]


def test_the_three_layouts_are_found(tmp_path):
    synth = write_folder(tmp_path / "synth", SCENES)
    assert scene_folders(synth) == (synth / "scenes" / "gt", synth / "scenes" / "images")
    assert scene_folders(synth / "scenes") == (synth / "scenes" / "gt", synth / "scenes" / "images")
    assert scene_folders(synth / "scenes" / "gt") == (synth / "scenes" / "gt",) * 2  # images beside: none here
    with pytest.raises(DataError, match="not an ICDAR 2015 folder"):
        scene_folders(tmp_path)


def test_every_dropped_word_and_image_is_a_named_rejection(tmp_path):
    root = write_folder(tmp_path / "d", SCENES)
    gt = root / "scenes" / "gt"
    with open(gt / "gt_img_0.txt", "a", encoding="utf-8") as f:
        f.write("1,2,3\n")  # malformed: line 3
        f.write("10,10,60,60,60,10,10,60,bowtie\n")  # crossing edges: line 4
        f.write("5,5,50,5,50,5,5,5,flat\n")  # no area: line 5
        f.write("200,200,260,200,260,220,200,220,###\n")  # illegible: kept as don't-care
    (gt / "gt_img_2.txt").write_text("1,1,9,1,9,9,1,9,x\n", encoding="utf-8")  # no image
    (root / "scenes" / "images" / "img_3.jpg").write_bytes(b"not a jpeg")
    (gt / "gt_img_3.txt").write_text("1,1,19,1,19,19,1,19,y\n", encoding="utf-8")
    scenes, log = read_scenes([root])
    assert [s.path.name for s in scenes] == ["img_0.jpg", "img_1.jpg"]
    found = {(Path(r.file).name, r.item, r.reason) for r in log}
    assert ("gt_img_0.txt", "line 3", Reason.MALFORMED_LINE) in found
    assert ("gt_img_0.txt", "line 4", Reason.SELF_INTERSECTING) in found
    assert ("gt_img_0.txt", "line 5", Reason.ZERO_AREA) in found
    assert ("img_2.jpg", "image", Reason.MISSING_IMAGE) in found
    assert ("img_3.jpg", "image", Reason.UNREADABLE_IMAGE) in found
    first = scenes[0]
    assert first.size == (320, 240)
    assert first.ignore == [False, False, True, True]  # the bow-tie's hull and ### are don't-care
    assert len(first.polygons) == 4


def test_a_folder_without_usable_images_is_an_error_listing_why(tmp_path):
    root = tmp_path / "empty"
    (root / "gt").mkdir(parents=True)
    (root / "images").mkdir()
    (root / "gt" / "gt_img_1.txt").write_text("1,1,9,1,9,9,1,9,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="no usable images"):
        read_scenes([root])


def test_training_samples_are_fixed_size_crops_with_their_targets(tmp_path):
    scenes, _ = read_scenes([write_folder(tmp_path / "d", SCENES)])
    data = DetectionTrainSet(scenes, DetectorConfig(), size=256)
    sample = data.sample(0, np.random.default_rng(0))
    assert sample["image"].shape == (3, 256, 256)
    for key in ("shrink_map", "shrink_mask", "threshold_map", "threshold_mask"):
        assert sample[key].shape == (256, 256)
    positives = [float(data.sample(i % 2, np.random.default_rng(i))["shrink_map"].sum()) for i in range(10)]
    assert sum(p > 0 for p in positives) >= 8  # text-aware crops show words
    assert len(data) == 2 and data[1]["image"].shape == (3, 256, 256)
    with pytest.raises(InvalidOption, match="augment.scale"):
        AugmentOptions(scale=(2.0, 0.5))


def test_crops_keep_words_inside_and_mark_cut_ones_dont_care():
    image, _ = draw_words((800, 600), [(50, 50, 750, 90)])
    word = np.array([[50, 50], [750, 50], [750, 90], [50, 90]], np.float32)
    no_zoom = AugmentOptions(scale=(1.0, 1.0), rotate=0.0)
    crop, polygons, ignore = random_crop(image, [word], [False], np.random.default_rng(0), 256, no_zoom)
    assert crop.shape == (256, 256, 3)
    assert ignore == [True]  # a 700-px word cannot fit a 256-px crop: cut, so don't-care
    small = np.array([[300, 300], [400, 300], [400, 330], [300, 330]], np.float32)
    _, polygons, ignore = random_crop(image, [small], [False], np.random.default_rng(1), 256, no_zoom)
    assert ignore == [False]
    assert (polygons[0] >= 0).all() and (polygons[0] <= 256).all()
    np.testing.assert_allclose(np.ptp(polygons[0], axis=0), [100, 30], atol=1e-3)


def test_a_large_photo_costs_no_more_than_its_crop():
    big = np.zeros((6000, 8000, 3), np.uint8)
    word = np.array([[3000, 3000], [3600, 3000], [3600, 3100], [3000, 3100]], np.float32)
    crop, polygons, _ = random_crop(big, [word], [False], np.random.default_rng(0), 512, AugmentOptions(), 1024)
    assert crop.shape == (512, 512, 3)
    size = np.ptp(polygons[0], axis=0)  # brought to the 1024-px detection scale, then zoomed 0.5–2×
    assert 600 * 1024 / 8000 * 0.5 - 1 <= max(size) <= 600 * 1024 / 8000 * 2 + 1


def test_validation_photos_keep_their_ground_truth_in_photo_pixels(tmp_path):
    scenes, _ = read_scenes([write_folder(tmp_path / "d", SCENES)])
    item = collate_one([DetectionValSet(scenes, DetectorConfig(), max_side=256)[0]])
    assert item["image"].shape == (1, 3, 192, 256)  # 320 × 240 at most 256 wide, multiples of 32
    assert item["size"] == (320, 240)
    np.testing.assert_allclose(item["polygons"][0], [[20, 30], [180, 30], [180, 62], [20, 62]])
