"""Training the detector: the DB loss teaches a small DBNet two words (overfit), and a run
(krocr.training.detector_run, `krocr train-detector`) writes its checkpoints, history and
weights that the Detector reads."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
import torch
from test_detection_dataset import SCENES, draw_words, write_folder

from krocr.cli import main
from krocr.detection.config import DetectorConfig
from krocr.detection.detector import Detector, prepare_image
from krocr.detection.losses import DBLoss
from krocr.detection.metrics import match_image
from krocr.detection.model import DBNet
from krocr.detection.postprocess import polygons_from_map
from krocr.detection.targets import make_targets
from krocr.detection.weights import load_detector
from krocr.errors import ConfigError
from krocr.training.detector_run import initial_model, load_detector_experiment, train_detector

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_a_small_dbnet_learns_to_find_two_words_it_is_shown():
    torch.manual_seed(0)
    boxes = [(16, 20, 112, 44), (40, 80, 104, 100)]
    image, _ = draw_words((128, 128), boxes)
    words = [np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32) for x0, y0, x1, y1 in boxes]
    config = DetectorConfig(channels=(8, 16, 24, 32, 48), blocks=(1, 1, 1, 1), neck=16)
    t = make_targets(words, [False, False], (128, 128))
    targets = [torch.from_numpy(m)[None] for m in (t.shrink_map, t.shrink_mask, t.threshold_map, t.threshold_mask)]
    images = torch.from_numpy(prepare_image(image, (128, 128), config))
    model, loss_fn = DBNet(config), DBLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    model.train()
    for _ in range(100):
        optimizer.zero_grad()
        loss = loss_fn(model.maps(images), *targets).total
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        probability = model(images)[0, 0].numpy()
    found = polygons_from_map(probability)
    match = match_image(words, [False, False], list(found.polygons))
    assert match.counts.matched == 2 and match.counts.detections == 2, (float(loss), found)
    for gt, det in match.pairs:
        a, b = shapely.Polygon(words[gt]), shapely.Polygon(found.polygons[det])
        assert a.intersection(b).area / a.union(b).area > 0.6


def _data(tmp_path: Path) -> tuple[Path, Path]:
    train = write_folder(tmp_path / "train", SCENES * 2)
    val = write_folder(tmp_path / "val", [((256, 192), [(30, 40, 200, 70)])])
    return train, val


def test_a_run_writes_checkpoints_history_and_weights_the_detector_reads(tmp_path):
    train, val = _data(tmp_path)
    config = load_detector_experiment(
        CONFIGS / "detector_tiny.yaml", [f"data.train_dirs=[{train}]", f"data.val_dirs=[{val}]"]
    )
    started = []

    class Hook:
        def start(self, description: str, total: int | None) -> None:
            started.append((description, total))

        def advance(self, steps: int = 1) -> None:
            pass

    result = train_detector(config, tmp_path / "run", progress=Hook())
    run = tmp_path / "run"
    assert started == [("epoch 1/2", 2), ("epoch 2/2", 2)]
    assert result.epochs == 2 and result.weights == run / "best.safetensors"
    assert result.setup.train_images == 4 and result.setup.val_images == 1
    for name in ("epoch=000.ckpt", "epoch=001.ckpt", "best.ckpt", "last.ckpt"):
        assert (run / "checkpoints" / name).is_file()
    with open(run / "history.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["epoch"]) for r in rows] == [0.0, 1.0]
    assert {"loss", "loss_prob", "loss_threshold", "loss_binary", "val_hmean"} <= set(rows[0])
    summary = json.loads((run / "summary.json").read_text())
    assert summary["best_epoch"] == result.best_epoch
    detector = Detector(run / "best.safetensors")
    assert detector.config == config.model
    assert detector.info["epoch"] == result.best_epoch
    image, _ = draw_words((256, 192), [(30, 40, 200, 70)])
    detector.detect(image)  # two tiny epochs find little; that it runs is the point
    with pytest.raises(ConfigError, match="finished run"):
        train_detector(config, run)
    # an epoch's checkpoint exports to the weights the run itself wrote for that epoch
    from safetensors.torch import load_file

    from krocr.cli import main

    exported = tmp_path / f"epoch{result.best_epoch}.safetensors"
    assert main(["export", str(run / "checkpoints" / "best.ckpt"), "--out", str(exported)]) == 0
    assert Detector(exported).config == config.model
    for name, tensor in load_file(str(run / "best.safetensors")).items():
        assert torch.equal(load_file(str(exported))[name], tensor), name


def test_a_run_with_last_ckpt_resumes_and_keeps_its_history(tmp_path):
    train, val = _data(tmp_path)
    data = [f"data.train_dirs=[{train}]", f"data.val_dirs=[{val}]"]
    train_detector(
        load_detector_experiment(CONFIGS / "detector_tiny.yaml", [*data, "train.epochs=1"]), tmp_path / "run"
    )
    (tmp_path / "run" / "summary.json").unlink()  # as if stopped after epoch 0's checkpoint
    result = train_detector(
        load_detector_experiment(CONFIGS / "detector_tiny.yaml", [*data, "train.epochs=2"]), tmp_path / "run"
    )
    assert [row["epoch"] for row in result.history] == [0.0, 1.0]
    assert (tmp_path / "run" / "checkpoints" / "epoch=001.ckpt").is_file()


def test_a_run_starts_from_the_tensors_of_init_weights_when_its_model_matches(tmp_path):
    train, val = _data(tmp_path)
    data = [f"data.train_dirs=[{train}]", f"data.val_dirs=[{val}]", "train.epochs=1"]
    first = train_detector(load_detector_experiment(CONFIGS / "detector_tiny.yaml", data), tmp_path / "first")
    follow_up = load_detector_experiment(CONFIGS / "detector_tiny.yaml", [*data, f"train.init_weights={first.weights}"])
    started = initial_model(follow_up).state_dict()
    saved = load_detector(first.weights).model.state_dict()
    assert all(torch.equal(started[k], saved[k]) for k in saved)
    fresh = initial_model(load_detector_experiment(CONFIGS / "detector_tiny.yaml", data)).state_dict()
    assert not all(torch.equal(fresh[k], saved[k]) for k in saved)
    other = load_detector_experiment(
        CONFIGS / "detector_tiny.yaml", [*data, f"train.init_weights={first.weights}", "model.neck=8"]
    )
    with pytest.raises(ConfigError, match=r"init_weights: .*best.safetensors .*model.neck"):
        train_detector(other, tmp_path / "second")


def test_config_errors_name_the_file_and_key(tmp_path):
    with pytest.raises(
        ConfigError, match=r"override 'model\.chanels=.*': model\.chanels: unknown key \(did you mean channels"
    ):
        load_detector_experiment(CONFIGS / "detector_tiny.yaml", ["model.chanels=[1,2,3,4,5]"])
    with pytest.raises(ConfigError, match=r"override 'model\.neck=30': model\.neck: must be a multiple of 4"):
        load_detector_experiment(CONFIGS / "detector_tiny.yaml", ["model.neck=30"])
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"base: {CONFIGS / 'detector.yaml'}\naugment:\n  rotate: 120\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"mine\.yaml: augment\.rotate: must be in \[0, 90\]"):
        load_detector_experiment(mine)
    held_out = tmp_path / "real"
    held_out.mkdir()
    (held_out / "EVALUATION_ONLY").write_text("")
    with pytest.raises(ConfigError, match="evaluation-only"):
        load_detector_experiment(CONFIGS / "detector_tiny.yaml", [f"data.val_dirs=[{held_out}]"])
    assert load_detector_experiment(CONFIGS / "detector.yaml").model == DetectorConfig()


@pytest.mark.slow
def test_the_command_trains_and_prints_the_best_epoch(tmp_path, capsys):
    train, val = _data(tmp_path)
    code = main(
        [
            "train-detector",
            str(CONFIGS / "detector_tiny.yaml"),
            f"data.train_dirs=[{train}]",
            f"data.val_dirs=[{val}]",
            "--run-dir",
            str(tmp_path / "run"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "train: 4 photos, val: 1 photos" in out and "best epoch" in out and "best.safetensors" in out
