import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from krocr.charset import korean_charset
from krocr.cli import main
from krocr.errors import CheckpointError, DataError
from krocr.inference.export import calibration_crops, export_onnx
from krocr.inference.onnx_engine import read_onnx_metadata
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.preprocess import PreprocessConfig
from krocr.model.weights import load_weights, save_weights


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


def crops(widths=(256, 320, 404)):
    rng = np.random.default_rng(0)
    return [rng.uniform(-1, 1, (1, 1, 32, w)).astype(np.float32) for w in widths]


@pytest.fixture(scope="module")
def int8_model(weights, tmp_path_factory):
    return export_onnx(weights, tmp_path_factory.mktemp("q") / "q.onnx", int8_calibration=crops())


def test_int8_quantises_convolutions_statically_and_lstms_dynamically(weights, int8_model, tmp_path):
    ops = {node.op_type for node in onnx.load(str(int8_model)).graph.node}
    # ConvInteger (all-dynamic quantisation) runs slower than fp32 on the CPU: it must not appear
    assert {"QuantizeLinear", "DequantizeLinear", "Conv", "DynamicQuantizeLSTM"} <= ops
    assert "ConvInteger" not in ops and "LSTM" not in ops
    assert int8_model.stat().st_size < 0.5 * export_onnx(weights, tmp_path / "f.onnx").stat().st_size
    assert '"tokenizer": "jamo"' in read_onnx_metadata(int8_model)["charset"]


def test_int8_logits_stay_close_to_fp32(weights, int8_model, tmp_path):
    full = ort.InferenceSession(str(export_onnx(weights, tmp_path / "f.onnx")), providers=["CPUExecutionProvider"])
    quantised = ort.InferenceSession(str(int8_model), providers=["CPUExecutionProvider"])
    for crop in [*crops(), np.zeros((2, 1, 32, 256), np.float32)]:
        (reference,) = full.run(None, {"images": crop})
        (logits,) = quantised.run(None, {"images": crop})
        assert logits.shape == reference.shape
        assert np.abs(logits - reference).max() < 0.1 * np.abs(reference).max()


def test_calibration_crops_are_prepared_at_natural_width_and_spread_evenly(tmp_path):
    for i, width in enumerate((40, 300, 600)):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((16, width), 200, np.uint8))
    (tmp_path / "labels.txt").write_text("0.png\t가\n1.png\t나\n2.png\t다\n", encoding="utf-8")
    config = PreprocessConfig(width_mode="fixed")
    assert [c.shape for c in calibration_crops(tmp_path / "labels.txt", config)] == [
        (1, 1, 32, 256),
        (1, 1, 32, 600),
        (1, 1, 32, 1200),
    ]
    assert [c.shape[-1] for c in calibration_crops(tmp_path / "labels.txt", config, count=2)] == [256, 1200]


def test_calibration_names_the_crop_it_cannot_read(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    (tmp_path / "labels.txt").write_text("broken.png\t가\n", encoding="utf-8")
    with pytest.raises(DataError, match="broken.png"):
        calibration_crops(tmp_path / "labels.txt", PreprocessConfig())
    (tmp_path / "labels.txt").write_text("gone.png\t가\n", encoding="utf-8")
    with pytest.raises(DataError, match="gone.png"):
        calibration_crops(tmp_path / "labels.txt", PreprocessConfig())


def test_a_dataset_directory_calibrates_on_its_calib_val_or_train_split_never_test(tmp_path):
    from krocr.data.store import CacheWriter

    def write_split(name: str, width: int) -> None:
        with CacheWriter(tmp_path / f"{name}.lmdb") as writer:
            writer.add(np.full((32, width), 128, np.uint8), "가", "s")

    write_split("test", 300)
    with pytest.raises(DataError, match="no calib/val/train split.*present: test"):
        calibration_crops(tmp_path, PreprocessConfig())
    write_split("train", 400)
    assert calibration_crops(tmp_path, PreprocessConfig())[0].shape[-1] == 400
    write_split("val", 500)
    assert calibration_crops(tmp_path, PreprocessConfig())[0].shape[-1] == 500
    assert calibration_crops(tmp_path / "test.lmdb", PreprocessConfig())[0].shape[-1] == 300  # named explicitly


def test_int8_export_needs_calibration_crops(weights, tmp_path, capsys):
    assert main(["export", str(weights), "--out", str(tmp_path / "q.onnx"), "--int8"]) == 1
    assert "--int8 and --calibration go together" in capsys.readouterr().err
    assert main(["export", str(weights), "--out", str(tmp_path / "q.safetensors"), "--int8", "--calibration", "x"]) == 1
    assert "not an .onnx path" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_not_onnx(tmp_path):
    (tmp_path / "x.onnx").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="x.onnx"):
        read_onnx_metadata(tmp_path / "x.onnx")


def test_weights_convert_to_half_precision_keeping_metadata(weights, tmp_path):
    from krocr.inference.export import convert_weights

    half = convert_weights(weights, tmp_path / "half.safetensors", half=True)
    assert half.stat().st_size < 0.6 * weights.stat().st_size
    full, small = load_weights(weights), load_weights(half)
    assert small.charset == full.charset and small.preprocess == full.preprocess
    for key, tensor in full.model.state_dict().items():
        assert torch.allclose(small.model.state_dict()[key], tensor, atol=1e-3, rtol=1e-3), key


def test_int8_export_command_calibrates_on_the_given_crops(weights, tmp_path, capsys):
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.random.default_rng(i).integers(0, 255, (24, 60 + 40 * i), np.uint8))
    (tmp_path / "labels.txt").write_text("0.png\t가\n1.png\t나\n2.png\t다\n", encoding="utf-8")
    out = tmp_path / "q.onnx"
    assert (
        main(
            [
                "export",
                str(weights),
                "--out",
                str(out),
                "--int8",
                "--calibration",
                str(tmp_path / "labels.txt"),
                "--calibration-count",
                "2",
            ]
        )
        == 0
    )
    assert "int8 calibrated on 2 crops" in capsys.readouterr().out
    assert "DynamicQuantizeLSTM" in {node.op_type for node in onnx.load(str(out)).graph.node}
