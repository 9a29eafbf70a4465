"""The weights krocr ships in src/krocr/weights/: what they hold, and that they still read
text the way docs/benchmarks.md says (a regression guard, with a margin for the small sample)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from krocr.analysis.metrics import compute_metrics
from krocr.charset import alphabet87, korean_charset
from krocr.data.store import CacheReader
from krocr.inference.recognizer import Recognizer
from krocr.model.registry import SHIPPED
from krocr.model.weights import load_weights
from krocr.synth.fonts import discover_fonts
from krocr.synth.generate import SynthOptions, generate

KOREAN = SHIPPED["ko"].safetensors_path
ENGLISH = SHIPPED["en"].safetensors_path
needs_fonts = pytest.mark.skipif(not discover_fonts(), reason="no fonts under /usr/share/fonts")


def test_the_korean_model_reads_ks_x_1001_latin_and_sign_symbols_as_jamo():
    bundle = load_weights(KOREAN)
    assert bundle.charset.tokenizer == "jamo"
    assert set(korean_charset().symbols) <= set(bundle.charset.symbols)
    assert set(alphabet87().symbols) <= set(bundle.charset.symbols)
    assert {"·", "₩", "※"} <= set(bundle.charset.symbols) and "￦" not in bundle.charset.symbols  # folded into ₩
    assert bundle.preprocess.width_mode == "natural"
    assert KOREAN.stat().st_size < 10e6  # fp16, small enough for the repository


def test_the_english_model_uses_the_87_symbol_alphabet():
    assert load_weights(ENGLISH).charset == alphabet87()


def _heldout_word_accuracy(tmp_path, monkeypatch, lang: str, weights) -> float:
    # the Debian held-out designs that docs/benchmarks.md measures, whether or not `krocr fonts install` ran
    monkeypatch.setenv("KROCR_FONTS_DIR", str(tmp_path / "no-npm-fonts"))
    generate(SynthOptions(out=tmp_path, lang=lang, count=150, seed=99, fonts="heldout", split="test"))
    reader = CacheReader(tmp_path / "test.lmdb")
    crops = [reader[i][0] for i in range(len(reader))]
    readings = Recognizer(weights, language_model=None).read(crops)  # greedy, as the figures below
    return compute_metrics(list(reader.labels()), [r.text for r in readings]).word_accuracy


@needs_fonts
def test_the_korean_model_reads_heldout_fonts(tmp_path, monkeypatch):
    # Renders since 2026-12-04 carry issue 27's text and looks: v10 reads 63.5 % of 3,000 such held-out crops,
    # and 60.7 % of these 150 since the combo text kind (2026-12-05) changed the stream (72 % before: the draw
    # is 150 crops); the standard error here is 3.9 points, and the floor three of them below the 3,000's
    assert _heldout_word_accuracy(tmp_path, monkeypatch, "ko", "ko") >= 0.52


@needs_fonts
def test_the_english_model_reads_heldout_fonts(tmp_path, monkeypatch):
    # v1 reads 69 % of these 150 English crops in held-out fonts (v0: 54 %), 65 % of 2,000
    # (docs/models.md); the floor sits three standard errors (4 points each) lower
    assert _heldout_word_accuracy(tmp_path, monkeypatch, "en", ENGLISH) >= 0.57


def test_the_shipped_onnx_was_exported_from_the_shipped_weights():
    # a retrained ko_crnn.safetensors must come with a fresh export: `krocr export
    # src/krocr/weights/ko_crnn.safetensors --out src/krocr/weights/ko_crnn.onnx`
    from krocr.inference.onnx_engine import read_onnx_metadata

    model = SHIPPED["ko"]
    assert model.onnx_path is not None
    meta = read_onnx_metadata(model.onnx_path)
    assert meta["source_sha256"] == hashlib.sha256(model.safetensors_path.read_bytes()).hexdigest()


def test_the_shipped_onnx_reads_the_example_crops_as_torch_does():
    crops = sorted((Path(__file__).resolve().parents[1] / "examples" / "crops").glob("*.png"))
    by_onnx = Recognizer("ko", engine="onnx").read(crops)
    by_torch = Recognizer("ko", engine="torch").read(crops)
    assert [r.text for r in by_onnx] == [r.text for r in by_torch]
    assert [r.confidence for r in by_onnx] == pytest.approx([r.confidence for r in by_torch], abs=1e-3)
