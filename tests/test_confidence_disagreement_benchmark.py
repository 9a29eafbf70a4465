import csv

import numpy as np
import pytest
from benchmark_modules import load_benchmark

disagreement = load_benchmark("confidence_disagreement")

COLUMNS = ["item", "truth", "prediction", "confidence", "layout"]


def write(directory, rows):
    directory.mkdir()
    with open(directory / "predictions.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return directory


def test_features_of_known_readings(tmp_path):
    default = write(
        tmp_path / "default",
        [["a.png", "카페", "카페", "0.5", "as is"], ["b.png", "빵집", "빵짐", "0.9", "stretched ×2"]],
    )
    greedy = write(
        tmp_path / "greedy", [["a.png", "카페", "카페", "0.5", "as is"], ["b.png", "빵집", "빵집", "0.8", "as is"]]
    )
    x, right = disagreement.features(default, greedy)
    assert x[:, 0] == pytest.approx([0.0, np.log(9.0)])
    assert x[:, 1].tolist() == [0.0, 1.0]  # only b's text differs from greedy
    assert x[:, 2].tolist() == [0.0, 1.0]  # only b came from another layout
    assert right.tolist() == [True, False]


def test_a_crop_missing_from_the_greedy_reading_is_named(tmp_path):
    default = write(tmp_path / "default", [["a.png", "카페", "카페", "0.5", "as is"]])
    greedy = write(tmp_path / "greedy", [["c.png", "카페", "카페", "0.5", "as is"]])
    with pytest.raises(SystemExit, match="a.png"):
        disagreement.features(default, greedy)


def test_fit_puts_weight_on_the_feature_that_predicts_being_right():
    rng = np.random.default_rng(0)
    telling, noise = rng.random(4000) < 0.5, rng.random(4000)
    right = telling == (rng.random(4000) < 0.9)  # right 90 % of the time when telling is on, 10 % when off
    weights = disagreement.fit(np.column_stack([telling.astype(float), noise]), right)
    assert weights[1] == pytest.approx(2 * np.log(9), abs=0.4)  # the logit's true step
    assert abs(weights[2]) < 0.6  # noise: within about three standard errors of zero
