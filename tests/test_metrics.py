import unicodedata

import pytest

from krocr.analysis.metrics import (
    compute_metrics,
    edit_distance,
    icdar_ned,
    normalized_edit_distance,
)


@pytest.mark.parametrize(
    "truth, prediction, distance",
    [
        ("kitten", "sitting", 3),
        ("", "", 0),
        ("abc", "", 3),
        ("해맑은식당", "해운식당", 2),
        ("성인", "상인", 1),
    ],
)
def test_edit_distance_known_values(truth, prediction, distance):
    assert edit_distance(truth, prediction) == distance


def test_normalizations():
    assert normalized_edit_distance("abcd", "abxdyz") == pytest.approx(3 / 4)  # by truth: may exceed
    assert normalized_edit_distance("ab", "abcdef") == pytest.approx(2.0)
    assert icdar_ned("abcd", "abxdyz") == pytest.approx(3 / 6)  # by the longer string
    assert normalized_edit_distance("", "") == 0.0 and normalized_edit_distance("", "x") == 1.0
    assert icdar_ned("", "") == 0.0


def test_nfd_prediction_counts_as_correct():
    assert edit_distance("한글", unicodedata.normalize("NFD", "한글")) == 0


def test_width_variants_count_as_correct():
    assert edit_distance("￦5,000", "₩5,000") == 0
    assert compute_metrics(["（주）"], ["(주)"]).word_accuracy == 1.0


def test_aggregate_metrics_on_hand_computed_pairs():
    truths = ["치킨", "미용실", "A B", "약국"]
    preds = ["치킨", "미용", "AB", "악국"]
    m = compute_metrics(truths, preds)
    assert m.samples == 4
    assert m.word_accuracy == pytest.approx(1 / 4)
    assert m.word_accuracy_ignore_space == pytest.approx(2 / 4)
    # distances 0, 1, 1, 1 over 2 + 3 + 3 + 2 = 10 characters
    assert m.cer == pytest.approx(3 / 10)
    assert m.mean_edit_distance == pytest.approx(3 / 4)
    assert m.mean_normalized_edit_distance == pytest.approx((0 + 1 / 3 + 1 / 3 + 1 / 2) / 4)
    assert m.one_minus_ned == pytest.approx(1 - (0 + 1 / 3 + 1 / 3 + 1 / 2) / 4)


def test_metrics_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="2 ground truths but 1 predictions"):
        compute_metrics(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="no samples"):
        compute_metrics([], [])
