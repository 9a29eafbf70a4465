import numpy as np
import pytest
from benchmark_modules import load_benchmark

signals = load_benchmark("confidence_signals")


def test_top_log_probs_of_known_logits():
    top = signals.top_log_probs(np.array([[0.0, 0.0], [np.log(3.0), 0.0]]))
    assert top == pytest.approx([np.log(0.5), np.log(0.75)])


def test_auroc_ranks_right_above_wrong():
    correct = np.array([False, False, True, True])
    assert signals.auroc(np.array([0.1, 0.2, 0.8, 0.9]), correct) == 1.0
    assert signals.auroc(np.array([0.9, 0.8, 0.2, 0.1]), correct) == 0.0
    assert signals.auroc(np.ones(4), correct) == 0.5


def test_platt_recovers_a_known_logistic():
    rng = np.random.default_rng(0)
    feature = rng.normal(size=20_000)
    correct = rng.random(20_000) < 1.0 / (1.0 + np.exp(-(-2.0 * feature + 0.5)))
    slope, bias = signals.fit_platt(feature, correct)
    assert slope == pytest.approx(-2.0, abs=0.1) and bias == pytest.approx(0.5, abs=0.1)
