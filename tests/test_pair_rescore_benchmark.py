from pathlib import Path

import pytest
from benchmark_modules import load_benchmark

from krocr.inference.recognizer import Reading

pair_rescore = load_benchmark("pair_rescore")


def crop(first: Reading, second: Reading, first_of_second: float, second_of_first: float, truth: str = "약국"):
    return pair_rescore.PairedCrop("1.png", truth, "word", "", first, second, first_of_second, second_of_first)


def test_the_text_both_models_find_likelier_wins_though_the_other_model_is_surer():
    # the second model is surer of its own text (0.8 > 0.6), but the first finds it unlikely:
    # 0.6 · 0.5 = 0.30 for the first's text against 0.8 · 0.1 = 0.08 for the second's
    paired = crop(Reading("약국", 0.6), Reading("약곡", 0.8), first_of_second=0.1, second_of_first=0.5)
    assert paired.confident_pick == "약곡"
    assert paired.rescored == "약국"


def test_a_tie_goes_to_the_first_model():
    paired = crop(Reading("약국", 0.5), Reading("약곡", 0.5), first_of_second=0.4, second_of_first=0.4)
    assert paired.confident_pick == "약국"
    assert paired.rescored == "약국"


def test_the_summary_counts_each_rule_on_the_same_crops():
    crops = [
        crop(Reading("약국", 0.6), Reading("약곡", 0.8), 0.1, 0.5),  # rescoring right, pick wrong
        crop(Reading("빵짐", 0.6), Reading("빵집", 0.7), 0.5, 0.1, truth="빵집"),  # both right
    ]
    line = pair_rescore.summary("set", crops)
    assert "first 50.00%" in line and "second 50.00%" in line
    assert "pick 50.00%" in line and "rescored 100.00%" in line and "either 100.00%" in line


@pytest.mark.parametrize(("path", "name"), [("data/heldout_ko/test.lmdb", "heldout_ko"), ("real-dev", "real-dev")])
def test_sets_are_named_by_their_directory(path, name):
    assert pair_rescore.set_name(Path(path)) == name
