"""benchmarks/decode_speed.py: one row per decoder, each reading the same crops."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from benchmark_modules import load_benchmark


def test_the_table_has_a_row_per_decoder_and_the_decoders_agree_where_they_should(monkeypatch, capsys):
    decode_speed = load_benchmark("decode_speed")
    monkeypatch.setattr(sys, "argv", ["decode_speed.py", "examples/crops/labels.tsv"])
    decode_speed.main()
    out = capsys.readouterr().out
    rows = [line.split("|")[1:-1] for line in out.splitlines() if line.startswith("| ") and "ms per crop" not in line]
    assert [row[0].strip() for row in rows] == [
        "greedy",
        "beam search, width 10",
        "beam + `--lm ko`, fresh caches",
        "beam + `--lm ko`, caches warm",
    ]
    assert "examples/crops/labels.tsv`: 8 crops" in out
    assert all(float(row[1]) > 0 for row in rows)


def test_warm_caches_change_the_speed_never_the_text():
    decode_speed = load_benchmark("decode_speed")
    from krocr.inference.recognizer import Recognizer

    crops = sorted(Path("examples/crops").glob("*.png"))
    fused = Recognizer("ko", language_model="ko")
    logits = fused.crop_logits([fused.prepare(crop) for crop in crops])
    _, fresh = decode_speed.timed(fused, logits)
    _, warm = decode_speed.timed(fused, logits)
    assert warm == fresh
    assert fresh == [reading.text for reading in Recognizer("ko", language_model="ko").read(crops)]


def test_a_missing_set_is_named_in_the_error(monkeypatch):
    decode_speed = load_benchmark("decode_speed")
    monkeypatch.setattr(sys, "argv", ["decode_speed.py", "no/such/set"])
    with pytest.raises(Exception, match="no/such/set"):
        decode_speed.main()
