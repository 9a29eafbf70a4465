"""The text detector's network, its weights files, its ONNX export and the Detector engines
(krocr.detection.model, weights, export, detector)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from krocr.detection.config import DetectorConfig
from krocr.detection.detector import Detector, detection_size, prepare_image
from krocr.detection.export import export_detector_onnx
from krocr.detection.metadata import FORMAT, parse_detector_metadata, read_safetensors_metadata
from krocr.detection.model import DBNet, count_parameters
from krocr.detection.weights import load_detector, save_detector
from krocr.errors import CheckpointError, ConfigError, DataError

SMALL = DetectorConfig(channels=(8, 16, 16, 32, 32), blocks=(1, 1, 1, 1), neck=16)


@pytest.mark.parametrize(("height", "width"), [(64, 96), (160, 128)])
def test_maps_in_training_and_the_probability_alone_in_eval_at_the_input_size(height, width):
    model = DBNet(SMALL)
    images = torch.randn(2, 3, height, width)
    maps = model.train()(images).detach()
    assert maps.shape == (2, 3, height, width)
    assert float(maps.min()) >= 0 and float(maps.max()) <= 1
    probability = model.eval()(images)
    assert probability.shape == (2, 1, height, width)
    assert model.maps(images).shape == (2, 3, height, width)  # whatever the mode
    torch.testing.assert_close(probability, model.maps(images)[:, :1])


def test_sides_that_are_not_multiples_of_32_are_refused():
    with pytest.raises(ValueError, match="multiples of 32"):
        DBNet(SMALL).eval()(torch.zeros(1, 3, 64, 70))


def test_the_default_detector_fits_the_parameter_budget():
    assert 1_000_000 <= count_parameters(DBNet(DetectorConfig())) <= 4_000_000


def test_config_checks_values_that_may_come_from_a_file():
    with pytest.raises(ConfigError, match=r"model\.channels"):
        DetectorConfig(channels=(8, 16, 16, 32))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"model\.channels"):
        DetectorConfig(channels=(8, 16, 16, 32, 10**9))
    with pytest.raises(ConfigError, match=r"model\.neck"):
        DetectorConfig(neck=30)
    with pytest.raises(ConfigError, match="unknown keys"):
        DetectorConfig.from_dict({"channels": [8, 16, 16, 32, 32], "depth": 3})
    assert DetectorConfig.from_dict(json.loads(json.dumps(SMALL.to_dict()))) == SMALL


def test_weights_round_trip_with_their_config_in_the_metadata(tmp_path):
    model = DBNet(SMALL).eval()
    path = save_detector(tmp_path / "det.safetensors", model, {"note": "test"})
    meta = read_safetensors_metadata(path)
    assert meta["format"] == FORMAT and meta["arch"] == "dbnet" and meta["version"]
    assert json.loads(meta["config"]) == json.loads(json.dumps(SMALL.to_dict()))
    bundle = load_detector(path)
    assert bundle.config == SMALL and bundle.info == {"note": "test"}
    images = torch.randn(1, 3, 64, 64)
    torch.testing.assert_close(bundle.model(images), model(images))


def test_a_recognizer_file_or_damaged_weights_are_refused_with_the_path(tmp_path):
    recognizer = tmp_path / "rec.safetensors"
    save_file({"x": torch.zeros(1)}, str(recognizer), metadata={"format": "krocr-weights/1"})
    with pytest.raises(CheckpointError, match="a recognizer's weights"):
        load_detector(recognizer)
    path = save_detector(tmp_path / "det.safetensors", DBNet(SMALL))
    meta = read_safetensors_metadata(path)
    bigger = {**json.loads(meta["config"]), "neck": 32}
    tensors = {k: v.contiguous() for k, v in DBNet(SMALL).state_dict().items()}
    save_file(tensors, str(tmp_path / "lie.safetensors"), metadata={**meta, "config": json.dumps(bigger)})
    with pytest.raises(CheckpointError, match="do not fit"):
        load_detector(tmp_path / "lie.safetensors")
    with pytest.raises(CheckpointError, match="damaged metadata"):
        parse_detector_metadata({**meta, "config": "{"}, "x.safetensors")
    with pytest.raises(CheckpointError, match="not found"):
        load_detector(tmp_path / "missing.safetensors")


def test_a_missing_shipped_detector_is_said_plainly(tmp_path, monkeypatch):
    from krocr.detection import registry

    monkeypatch.setattr(registry, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(CheckpointError, match="detector.safetensors is not in this installation of krocr"):
        Detector()


def test_the_shipped_detector_loads_by_name_with_either_engine():
    assert Detector().engine == "onnx"
    assert Detector(engine="torch").model is not None


def test_onnx_export_matches_torch_at_two_sizes(tmp_path):
    torch.manual_seed(0)
    model = DBNet(SMALL).eval()
    for m in model.modules():  # random batch-norm statistics, so the parity covers them too
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    weights = save_detector(tmp_path / "det.safetensors", model)
    onnx_path = export_detector_onnx(weights, tmp_path / "det.onnx")
    by_torch = Detector(weights, engine="torch")
    by_onnx = Detector(onnx_path)
    assert by_onnx.engine == "onnx" and by_onnx.config == SMALL
    rng = np.random.default_rng(0)
    for shape in ((96, 160, 3), (200, 130, 3)):  # dynamic height and width
        image = rng.integers(0, 256, shape, dtype=np.uint8)
        expected, found = by_torch.probability_map(image), by_onnx.probability_map(image)
        assert found.shape == expected.shape == tuple(reversed(detection_size(shape[1], shape[0])))
        np.testing.assert_allclose(found, expected, atol=1e-4)


def test_photos_are_shrunk_to_the_detection_size_in_multiples_of_32():
    assert detection_size(640, 480) == (640, 480)
    assert detection_size(1155, 866, 1024) == (1024, 768)
    assert detection_size(12_000, 9_000, 1024) == (1024, 768)
    assert detection_size(4000, 100, 1024) == (1024, 32)
    assert detection_size(20, 10) == (32, 32)
    batch = prepare_image(np.full((3000, 4000, 3), 255, np.uint8), (1024, 768), SMALL)
    assert batch.shape == (1, 3, 768, 1024) and batch.dtype == np.float32


def test_detect_maps_polygons_to_the_original_pixels(tmp_path):
    weights = save_detector(tmp_path / "det.safetensors", DBNet(SMALL))
    detector = Detector(weights, max_side=256)
    image = np.zeros((600, 900, 3), np.uint8)
    for region in detector.detect(image):  # random weights: whatever it finds lies inside the photo
        assert region.polygon.shape == (4, 2) and region.polygon.dtype == np.float32
        assert (region.polygon >= 0).all() and (region.polygon[:, 0] <= 900).all()
        assert (region.polygon[:, 1] <= 600).all()
    assert detector.probability_map(image).shape == (160, 256)
    with pytest.raises(DataError, match="uint8"):
        detector.detect(image.astype(np.float32))
    with pytest.raises(ConfigError, match="engine"):
        Detector(weights, engine="tensorrt")  # type: ignore[arg-type]


def test_gray_and_rgba_photos_are_read_as_rgb(tmp_path):
    detector = Detector(save_detector(tmp_path / "det.safetensors", DBNet(SMALL)), max_side=128)
    rgb = np.random.default_rng(0).integers(0, 256, (100, 140, 3), dtype=np.uint8)
    rgba = np.concatenate([rgb, np.full((100, 140, 1), 255, np.uint8)], axis=2)
    np.testing.assert_array_equal(detector.probability_map(rgba), detector.probability_map(rgb))
    gray = rgb[:, :, 0]
    np.testing.assert_array_equal(detector.probability_map(gray), detector.probability_map(np.dstack([gray] * 3)))
    with pytest.raises(DataError, match=r"\(H, W, 3\)"):
        detector.detect(np.zeros((10, 10, 2), np.uint8))


def test_detecting_with_the_onnx_export_loads_no_torch(tmp_path):
    onnx_path = export_detector_onnx(save_detector(tmp_path / "det.safetensors", DBNet(SMALL)), tmp_path / "det.onnx")
    probe = (
        "import sys, numpy as np\n"
        "from krocr.detection.detector import Detector\n"
        f"Detector({str(onnx_path)!r}).detect(np.zeros((120, 200, 3), np.uint8))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'lightning', 'onnx')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_krocr_export_writes_a_detectors_onnx_and_refuses_int8(tmp_path, capsys):
    from krocr.cli import main
    from krocr.detection.detector import Detector

    weights = save_detector(tmp_path / "det.safetensors", DBNet(SMALL))
    assert main(["export", str(weights), "--out", str(tmp_path / "det.onnx")]) == 0
    assert "detector" in capsys.readouterr().out
    image = np.random.default_rng(0).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    np.testing.assert_allclose(
        Detector(tmp_path / "det.onnx").probability_map(image), Detector(weights).probability_map(image), atol=1e-4
    )
    assert main(["export", str(weights), "--out", str(tmp_path / "det8.onnx"), "--half"]) == 1
    assert "a detector's weights file: it exports to an fp32 .onnx file only" in capsys.readouterr().err
