"""benchmarks/condensed_margin.py: the margin's choice on hand-made readings, and its refusal
of the real evaluation set."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from benchmark_modules import load_benchmark

from krocr.data.eval_sets import EVALUATION_ONLY_MARKER
from krocr.inference.recognizer import Layout, Reading

condensed_margin = load_benchmark("condensed_margin")


def row(truth: str, own: Reading, wide: Reading) -> tuple:
    """A crop 1.5 heights wide (a stretched reading needs more than 3 ems), read both ways."""
    layouts = [Layout(np.zeros(1)), Layout(np.zeros(1), min_ems=3.0)]
    return truth, layouts, [own, wide], [own, wide]


def test_a_margin_keeps_only_clearly_more_confident_stretched_readings():
    rows = [
        row("우리은행", Reading("우리", 0.5), Reading("우리은행", 0.9)),  # fixed by the stretch
        row("우리은행", Reading("우리은행", 0.5), Reading("우리은행행", 0.55)),  # broken without a margin
    ]
    assert condensed_margin.score(rows, None) == (0.5, 2, 0)  # never stretched
    assert condensed_margin.score(rows, 0.0) == (0.5, 1, 2)
    assert condensed_margin.score(rows, 0.1) == (1.0, 0, 1)
    assert condensed_margin.score(rows, 0.5) == (0.5, 2, 0)


def test_the_real_evaluation_set_is_refused(tmp_path, monkeypatch):
    (tmp_path / EVALUATION_ONLY_MARKER).write_text("")
    monkeypatch.setattr(sys, "argv", ["condensed_margin.py", str(tmp_path)])
    with pytest.raises(SystemExit, match="evaluation-only"):
        condensed_margin.main()


def test_a_crop_too_small_to_read_is_counted_not_fatal(tmp_path, monkeypatch):
    from krocr.data.eval_sets import EvalSample, EvalSet
    from krocr.inference.recognizer import Recognizer

    crops = [np.full((2, 30), 200, np.uint8), np.full((32, 64), 200, np.uint8)]  # 2 px high: unreadable
    samples = [EvalSample(f"#{i}", "가", "src") for i in range(2)]
    monkeypatch.setattr(condensed_margin, "open_eval_set", lambda data: EvalSet("fake", samples, crops.__getitem__, []))
    rows, left_out = condensed_margin.read_both(Recognizer("ko", language_model=None), tmp_path, 1.0, None)
    assert len(rows) == 1 and sum(left_out.values()) == 1 and "2 px high" in next(iter(left_out))
