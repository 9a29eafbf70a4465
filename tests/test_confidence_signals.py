import numpy as np
import pytest
from benchmark_modules import load_benchmark

signals = load_benchmark("confidence_signals")


def test_auroc_ranks_right_above_wrong():
    correct = np.array([False, False, True, True])
    assert signals.auroc(np.array([0.1, 0.2, 0.8, 0.9]), correct) == 1.0
    assert signals.auroc(np.array([0.9, 0.8, 0.2, 0.1]), correct) == 0.0
    assert signals.auroc(np.ones(4), correct) == 0.5


def test_the_signals_of_known_frames():
    top = np.log(np.array([0.5, 0.75]))
    assert signals.SIGNALS["weakest frame"](top) == np.log(0.5)
    assert signals.SIGNALS["mean frame"](top) == pytest.approx(np.log(0.375) / 2)
    assert signals.SIGNALS["best path"](top) == pytest.approx(np.log(0.375))


def test_pooled_keeps_every_crop_of_every_part_in_order():
    first = signals.ScoredLogits([np.zeros((2, 3))], np.array([True]))
    second = signals.ScoredLogits([np.ones((4, 3)), np.ones((1, 3))], np.array([False, True]))
    both = signals.pooled([first, second])
    assert [logits.shape[0] for logits in both.logits] == [2, 4, 1]
    assert both.correct.tolist() == [True, False, True]
