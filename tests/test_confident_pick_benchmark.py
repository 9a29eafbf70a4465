import csv

import pytest
from benchmark_modules import load_benchmark

confident_pick = load_benchmark("confident_pick")


def write(directory, rows):
    directory.mkdir()
    with open(directory / "predictions.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["item", "truth", "prediction", "confidence"])
        writer.writerows(rows)
    return directory


def test_each_crop_comes_from_the_more_confident_model_and_a_tie_from_a(tmp_path):
    a = write(
        tmp_path / "a",
        [["1.png", "카페", "카페", "0.9"], ["2.png", "빵집", "빵짐", "0.3"], ["3.png", "약국", "약곡", "0.5"]],
    )
    b = write(
        tmp_path / "b",
        [["1.png", "카페", "카폐", "0.4"], ["2.png", "빵집", "빵집", "0.8"], ["3.png", "약국", "약국", "0.5"]],
    )
    right_a, right_b, pick = confident_pick.confident_pick(a, b)
    assert right_a == {"1.png": True, "2.png": False, "3.png": False}
    assert right_b == {"1.png": False, "2.png": True, "3.png": True}
    assert pick == {"1.png": True, "2.png": True, "3.png": False}  # 3: a tie keeps A's wrong reading


def test_sets_of_other_crops_are_refused_naming_one(tmp_path):
    a = write(tmp_path / "a", [["1.png", "카페", "카페", "0.9"]])
    b = write(tmp_path / "b", [["2.png", "카페", "카페", "0.9"]])
    with pytest.raises(SystemExit, match="1.png"):
        confident_pick.confident_pick(a, b)


def test_an_empty_set_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="no crops"):
        confident_pick.confident_pick(write(tmp_path / "a", []), write(tmp_path / "b", []))
