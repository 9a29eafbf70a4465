import numpy as np
import onnxruntime as ort
import pytest
import torch

from krocr.charset import korean_charset
from krocr.checkpoint import load_weights, save_weights
from krocr.errors import CheckpointError
from krocr.export import export_onnx, read_onnx_metadata
from krocr.models import CRNN, CRNNConfig
from krocr.preprocess import PreprocessConfig


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    torch.manual_seed(0)
    cs = korean_charset(tokenizer="jamo")
    path = tmp_path_factory.mktemp("w") / "slim.safetensors"
    save_weights(path, CRNN(CRNNConfig(num_classes=cs.num_classes, variant="slim")), cs, PreprocessConfig())
    return path


def test_onnx_matches_pytorch_for_any_batch_and_width(weights, tmp_path):
    out = export_onnx(weights, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    model = load_weights(weights).model
    for shape in [(1, 1, 32, 256), (5, 1, 32, 256), (2, 1, 32, 640)]:
        x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
        (onnx_logits,) = session.run(None, {"images": x})
        with torch.no_grad():
            torch_logits = model(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-4, rtol=1e-4)


def test_onnx_carries_the_charset(weights, tmp_path):
    meta = read_onnx_metadata(export_onnx(weights, tmp_path / "m.onnx"))
    assert '"tokenizer": "jamo"' in meta["charset"]


def test_int8_export_runs(weights, tmp_path):
    full = export_onnx(weights, tmp_path / "f.onnx")
    out = export_onnx(weights, tmp_path / "q.onnx", quantize_int8=True)
    assert out.stat().st_size < 0.5 * full.stat().st_size
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"images": np.zeros((2, 1, 32, 256), np.float32)})
    assert logits.shape[:2] == (2, 62)


def test_not_onnx(tmp_path):
    (tmp_path / "x.onnx").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="x.onnx"):
        read_onnx_metadata(tmp_path / "x.onnx")


def test_weights_convert_to_half_precision_keeping_metadata(weights, tmp_path):
    from krocr.export import convert_weights

    half = convert_weights(weights, tmp_path / "half.safetensors", half=True)
    assert half.stat().st_size < 0.6 * weights.stat().st_size
    full, small = load_weights(weights), load_weights(half)
    assert small.charset == full.charset and small.preprocess == full.preprocess
    for key, tensor in full.model.state_dict().items():
        assert torch.allclose(small.model.state_dict()[key], tensor, atol=1e-3, rtol=1e-3), key
