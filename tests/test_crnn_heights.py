"""The CRNN at 48 px: a 32-px run's weights start it, it trains, reads and exports like the
reference-height model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures.tiny_crops import write_tiny_crops
from test_recognizer import word_image

from krocr.config import load_config
from krocr.inference.export import export_onnx
from krocr.inference.recognizer import Recognizer
from krocr.model.crnn import CRNN
from krocr.model.weights import load_weights
from krocr.training.run import train

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module")
def tall_weights(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crnn48")
    data = write_tiny_crops(root / "data", seed=0, symbols="abcde")
    short = load_config(CONFIGS / "tiny.yaml", [f"data.dirs=[{data}]", "train.epochs=1"])
    train(short, root / "run32")
    tall = load_config(
        CONFIGS / "tiny.yaml",
        [
            f"data.dirs=[{data}]",
            "train.epochs=1",
            "model.input_height=48",
            "data.width=96",
            f"transfer.pretrained={root / 'run32' / 'best.safetensors'}",
        ],
    )
    train(tall, root / "run48")
    return root / "run48" / "best.safetensors"


def test_a_32_px_run_starts_a_48_px_one_and_its_weights_say_48(tall_weights):
    bundle = load_weights(tall_weights)
    assert isinstance(bundle.model, CRNN)
    assert bundle.model.config.input_height == 48 and bundle.preprocess.height == 48
    transfer = (tall_weights.parent / "transfer.csv").read_text()
    assert "conv1_1" in transfer and "dense1" in transfer


def test_it_reads_the_same_alone_and_in_a_batch_and_through_onnx(tall_weights, tmp_path):
    crops = [word_image(int(w), seed=i) for i, w in enumerate(np.linspace(60, 400, 8))]
    in_batch = Recognizer(tall_weights).read(crops)
    alone = Recognizer(tall_weights, batch_size=1).read(crops)
    assert [r.text for r in alone] == [r.text for r in in_batch]
    assert [r.confidence for r in alone] == pytest.approx([r.confidence for r in in_batch], abs=1e-4)
    by_onnx = Recognizer(export_onnx(tall_weights, tmp_path / "crnn48.onnx")).read(crops)
    assert [r.text for r in by_onnx] == [r.text for r in in_batch]
    assert [r.confidence for r in by_onnx] == pytest.approx([r.confidence for r in in_batch], abs=1e-4)
