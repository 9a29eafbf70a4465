import numpy as np
import pytest

from krocr.errors import DataError
from krocr.model.preprocess import (
    PreprocessConfig,
    collate_widths,
    preprocess,
    target_width,
)


def crop(h, w, value=200):
    img = np.full((h, w, 3), value, np.uint8)
    img[h // 4 : 3 * h // 4, w // 8 : 7 * w // 8] = 20  # dark "text"
    return img


def test_fixed_mode_pads_narrow_and_squeezes_wide():
    cfg = PreprocessConfig()
    narrow = preprocess(crop(64, 128), cfg)
    assert narrow.shape == (1, 32, 256) and narrow.dtype == np.float32
    assert np.allclose(narrow[0, :, 64:], narrow[0, 0, 0])  # padded with the background gray
    wide = preprocess(crop(32, 2000), cfg)
    assert wide.shape == (1, 32, 256)  # squeezed, not truncated: text reaches the right end
    assert wide[0, 16, 100] < 0 < wide[0, 16, 5]  # truncation would show background at 100


def test_natural_mode_keeps_aspect_ratio():
    cfg = PreprocessConfig(width_mode="natural", max_width=1024)
    assert preprocess(crop(32, 700), cfg).shape == (1, 32, 700)
    assert preprocess(crop(32, 100), cfg).shape == (1, 32, 256)
    assert target_width(32, 5000, cfg) == 1024


def test_range_and_gray_inputs():
    out = preprocess(np.zeros((10, 10), np.uint8), PreprocessConfig())
    assert out.min() == -1.0
    out = preprocess(np.full((10, 10, 4), 255, np.uint8), PreprocessConfig())
    assert out.max() == 1.0


def test_bad_crops():
    with pytest.raises(DataError, match="uint8"):
        preprocess(np.zeros((10, 10), np.float32), PreprocessConfig())
    with pytest.raises(DataError, match="empty crop"):
        preprocess(np.zeros((0, 10), np.uint8), PreprocessConfig())


def test_collate_widths_pads_to_multiple_of_four():
    a = preprocess(crop(32, 300), PreprocessConfig(width_mode="natural"))
    b = preprocess(crop(32, 50), PreprocessConfig(width_mode="natural"))
    batch = collate_widths([a, b])
    assert batch.shape == (2, 1, 32, 300)
    batch = collate_widths([preprocess(crop(32, 301), PreprocessConfig(width_mode="natural"))])
    assert batch.shape[-1] == 304
