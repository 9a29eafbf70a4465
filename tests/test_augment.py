from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from krocr.config import load_config
from krocr.data.augment import PRESETS, AugmentConfig, Augmenter, item_seed
from krocr.errors import ConfigError

ALL_OFF = AugmentConfig.preset("none")


def crop(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.full((32, 120), 220, np.uint8)
    image[8:24, 10:110] = rng.integers(0, 60, (16, 100), dtype=np.uint8)
    return image


def test_none_preset_returns_the_input_unchanged():
    image = crop()
    assert not ALL_OFF.enabled
    assert Augmenter(ALL_OFF)(image, seed=5) is image


def test_same_seed_same_output_different_seed_different_output():
    augment = Augmenter(AugmentConfig())
    image = crop()
    assert np.array_equal(augment(image, 1), augment(image, 1))
    outputs = {augment(image, s).tobytes() for s in range(8)}
    assert len(outputs) > 1


def test_two_augmenters_with_the_same_seed_agree():
    image = crop()
    assert np.array_equal(Augmenter(AugmentConfig())(image, 9), Augmenter(AugmentConfig())(image, 9))


@pytest.mark.parametrize(
    "name",
    [
        "blur_or_sharpen",
        "perspective",
        "rotate",
        "motion_blur",
        "noise",
        "jpeg",
        "brightness_contrast",
        "shadow",
        "shear",
        "stroke_width",
        "elastic",
    ],
)
def test_each_transform_alone_changes_a_gray_crop_and_keeps_its_shape(name):
    config = replace(ALL_OFF, **{name: 1.0})
    image = crop()
    out = Augmenter(config)(image, seed=3)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert not np.array_equal(out, image)
    assert np.array_equal(Augmenter(config)(image, seed=3), out)


def test_transforms_fire_independently_of_each_other():
    # a flat crop: noise shows as spread, brightness as a shifted mean. With one seed shared by
    # every transform, two of equal probability fired together or not at all.
    config = replace(ALL_OFF, noise=0.5, brightness_contrast=0.5)
    flat = np.full((32, 64), 128, np.uint8)
    outcomes = set()
    for seed in range(64):
        out = Augmenter(config)(flat, seed).astype(float)
        outcomes.add((out.std() > 0.5, abs(out.mean() - 128) > 1))
    assert outcomes == {(False, False), (True, False), (False, True), (True, True)}


def test_stroke_width_makes_strokes_thicker_or_thinner_never_both():
    config = replace(ALL_OFF, stroke_width=1.0)
    image = np.full((32, 64), 220, np.uint8)
    image[10:22, 8:56:6] = 20  # vertical dark strokes
    means = {np.sign(Augmenter(config)(image, seed).mean() - image.mean()) for seed in range(16)}
    assert means == {-1.0, 1.0}  # erosion widened the dark strokes, dilation thinned them


def test_reference_preset_is_blur_or_sharpen_only():
    reference = PRESETS["reference"]
    assert reference.blur_or_sharpen == pytest.approx(2 / 3)
    assert reference.enabled and reference.noise == 0 and reference.perspective == 0


def test_distort_preset_is_default_plus_the_lettering_distortions():
    distort, default = PRESETS["distort"], PRESETS["default"]
    assert default.shear == default.stroke_width == default.elastic == 0
    assert min(distort.shear, distort.stroke_width, distort.elastic) > 0
    assert replace(distort, shear=0.0, stroke_width=0.0, elastic=0.0) == default


def test_lettering_preset_is_distort_without_the_image_degradations():
    lettering, distort = PRESETS["lettering"], PRESETS["distort"]
    degradations = dict(blur_or_sharpen=0.0, motion_blur=0.0, noise=0.0, jpeg=0.0)
    assert all(getattr(distort, name) > 0 for name in degradations)
    assert replace(distort, **degradations) == lettering


def test_config_round_trip_and_errors():
    config = replace(AugmentConfig(), noise=0.5, jpeg_quality=(50, 60))
    assert AugmentConfig.from_dict(config.to_dict()) == config
    assert AugmentConfig.from_dict({"jpeg_quality": [40, 50]}).jpeg_quality == (40, 50)  # YAML gives lists
    with pytest.raises(ConfigError, match="unknown augmentation options"):
        AugmentConfig.from_dict({"noize": 0.5})
    with pytest.raises(ConfigError, match="unknown augmentation preset"):
        AugmentConfig.preset("heavy")


@pytest.mark.parametrize(
    "override, message",
    [
        ("augment.shear=1.5", r"augment\.shear: must be a probability in \[0, 1\], got 1\.5"),
        ("augment.noise=-0.1", r"augment\.noise: must be a probability"),
        ("augment.elastic_sigma=0", r"augment: albumentations rejects a strength \(sigma: Input should be greater"),
        ("augment.jpeg_quality=[90,30]", r"augment: albumentations rejects a strength \(quality_range"),
    ],
)
def test_out_of_range_options_are_config_errors_naming_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(Path(__file__).parents[1] / "configs" / "ko_crnn.yaml", [override])


def test_item_seed_is_stable_and_mixes_its_keys():
    assert item_seed(0, 1, 2) == item_seed(0, 1, 2)
    assert len({item_seed(0, e, i) for e in range(3) for i in range(100)}) == 300
