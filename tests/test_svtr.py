"""The SVTR-style recognizer (model/svtr.py): shapes at every supported height, frames per
width, weights files that say their architecture, reading and ONNX export like the CRNN."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from test_recognizer import word_image

from krocr.charset import Charset, korean_charset
from krocr.errors import CheckpointError, ConfigError
from krocr.inference.recognizer import Recognizer
from krocr.model.config import CRNNConfig, SVTRConfig, frames_for_width, model_config_from_dict
from krocr.model.focal_ctc import FocalCTCLoss
from krocr.model.networks import build_network
from krocr.model.preprocess import PreprocessConfig
from krocr.model.svtr import SVTR
from krocr.model.weights import load_weights, read_metadata, save_weights

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
CHARSET = Charset(tuple("가나다abc"), tokenizer="jamo")
SMALL = SVTRConfig(num_classes=CHARSET.num_classes, channels=(8, 16, 16, 32), blocks=(1, 1, 1), dim=32, heads=4)


@pytest.mark.parametrize("height", [32, 48, 64])
@pytest.mark.parametrize("width", [64, 130, 256])
def test_any_supported_height_gives_a_quarter_of_the_width_in_frames(height, width):
    config = SVTRConfig(**{**SMALL.to_dict(), "input_height": height})
    logits = SVTR(config).eval()(torch.zeros(2, 1, height, width))
    assert logits.shape == (2, frames_for_width(config, width), CHARSET.num_classes)
    assert frames_for_width(config, width) == -(-width // 4)


def test_the_default_fits_the_parameter_budget():
    jamo = sum(
        p.numel() for p in SVTR(SVTRConfig(num_classes=korean_charset(tokenizer="jamo").num_classes)).parameters()
    )
    syllables = sum(p.numel() for p in SVTR(SVTRConfig(num_classes=korean_charset().num_classes)).parameters())
    assert 1.5e6 < jamo < syllables < 6e6


def test_a_height_the_model_was_not_built_for_is_refused():
    with pytest.raises(ValueError, match=r"\(N, 1, 48, W\)"):
        SVTR(SMALL)(torch.zeros(1, 1, 32, 64))
    with pytest.raises(ConfigError, match="input_height"):
        SVTRConfig(num_classes=10, input_height=40)


def test_a_config_of_one_architecture_is_not_read_as_the_other():
    with pytest.raises(ConfigError, match="unknown model config keys for arch 'svtr'"):
        model_config_from_dict({**SMALL.to_dict(), "rnn": "lstm"})
    with pytest.raises(ConfigError, match="unknown model arch"):
        model_config_from_dict({"arch": "vit", "num_classes": 5})
    assert isinstance(model_config_from_dict({"num_classes": 5, "variant": "slim"}), CRNNConfig)  # files before arch
    assert model_config_from_dict(json.loads(json.dumps(SMALL.to_dict()))) == SMALL


def test_focal_ctc_trains_it(tmp_path):
    torch.manual_seed(0)
    model = SVTR(SMALL)
    images = torch.rand(4, 1, 48, 96) * 2 - 1
    words = ["가나", "ab", "다c", "나"]
    targets = torch.tensor([i for w in words for i in CHARSET.encode(w)])
    lengths = torch.tensor([len(CHARSET.encode(w)) for w in words])
    loss_fn = FocalCTCLoss(alpha=0.75, gamma=0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        out = loss_fn(model(images), targets, lengths)
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
        losses.append(out.loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.fixture(scope="module")
def svtr_weights(tmp_path_factory):
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("svtr") / "svtr.safetensors"
    save_weights(path, build_network(SMALL).eval(), CHARSET, PreprocessConfig(height=48, width_mode="natural"))
    return path


def test_weights_say_their_architecture_and_load_back(svtr_weights):
    assert json.loads(read_metadata(svtr_weights)["model"])["arch"] == "svtr"
    bundle = load_weights(svtr_weights)
    assert isinstance(bundle.model, SVTR) and bundle.model.config == SMALL and bundle.preprocess.height == 48


def test_weights_whose_tensors_do_not_fit_their_architecture_are_refused(svtr_weights, tmp_path):
    from safetensors.torch import load_file, save_file

    meta = read_metadata(svtr_weights)
    wider = {**json.loads(meta["model"]), "dim": 64}
    bad = tmp_path / "bad.safetensors"
    save_file(load_file(str(svtr_weights)), str(bad), metadata={**meta, "model": json.dumps(wider)})
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        load_weights(bad)


def test_it_reads_crops_and_exports_to_onnx_with_the_same_readings(svtr_weights, tmp_path):
    from krocr.inference.export import export_onnx

    crops = [word_image(int(w), seed=i) for i, w in enumerate(np.linspace(60, 500, 12))]
    by_torch = Recognizer(svtr_weights).read(crops)
    assert Recognizer(svtr_weights).preprocess.height == 48
    onnx = export_onnx(svtr_weights, tmp_path / "svtr.onnx")
    by_onnx = Recognizer(onnx).read(crops)
    assert [r.text for r in by_onnx] == [r.text for r in by_torch]
    assert [r.confidence for r in by_onnx] == pytest.approx([r.confidence for r in by_torch], abs=1e-4)
    alone = Recognizer(onnx, batch_size=1).read(crops)  # a crop's reading does not depend on its companions
    assert [r.confidence for r in alone] == pytest.approx([r.confidence for r in by_onnx], abs=1e-5)


def test_a_config_trains_it_end_to_end_and_the_weights_read(tmp_path):
    from fixtures.tiny_crops import write_tiny_crops

    from krocr.config import load_config
    from krocr.training.run import train

    data = write_tiny_crops(tmp_path / "data", seed=0, symbols="abcde")
    config = load_config(CONFIGS / "tiny_svtr.yaml", [f"data.dirs=[{data}]"])
    result = train(config, tmp_path / "run")
    bundle = load_weights(tmp_path / "run" / "best.safetensors")
    assert isinstance(bundle.model, SVTR) and bundle.preprocess.height == 32
    assert result.epochs == config.train.epochs
    reading = Recognizer(tmp_path / "run" / "best.safetensors").read(word_image(120))
    assert 0.0 <= reading.confidence <= 1.0


def test_a_config_that_mixes_the_architectures_options_is_refused():
    from krocr.config import load_config

    with pytest.raises(ConfigError, match="model.rnn_units: an option of arch 'crnn' only"):
        load_config(CONFIGS / "tiny_svtr.yaml", ["model.rnn_units=64"])
    with pytest.raises(ConfigError, match="model.dim: an option of arch 'svtr' only"):
        load_config(CONFIGS / "tiny.yaml", ["model.dim=64"])
    with pytest.raises(ConfigError, match="the CRNN reads crops 32, 48, 64 px high, got 40"):
        load_config(CONFIGS / "tiny.yaml", ["model.input_height=40"])


def test_int8_export_quantises_its_convolutions_and_keeps_its_logits_close(svtr_weights, tmp_path):
    import onnx
    import onnxruntime as ort

    from krocr.inference.export import export_onnx

    rng = np.random.default_rng(0)
    crops = [rng.uniform(-1, 1, (1, 1, 48, width)).astype(np.float32) for width in (96, 192, 300)]
    full = export_onnx(svtr_weights, tmp_path / "f.onnx")
    int8 = export_onnx(svtr_weights, tmp_path / "q.onnx", int8_calibration=crops)
    ops = {node.op_type for node in onnx.load(str(int8)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops and "ConvInteger" not in ops
    sessions = [ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]) for path in (full, int8)]
    for crop in [*crops, np.zeros((2, 1, 48, 128), np.float32)]:
        reference, logits = (session.run(None, {"images": crop})[0] for session in sessions)
        assert logits.shape == reference.shape
        assert np.abs(logits - reference).max() < 0.1 * np.abs(reference).max()
