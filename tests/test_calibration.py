"""Confidence calibration: the arithmetic on known values, the fit's direction, and a
calibrated weights file changing confidences but never texts; min_confidence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from krocr.cli import main
from krocr.errors import CheckpointError
from krocr.inference.recognizer import Recognizer, calibration_temperature
from krocr.model.calibration import (
    expected_calibration_error,
    fit_temperature,
    precision_at,
    reliability_bins,
    sequence_confidences,
)

EXAMPLES = Path(__file__).parents[1] / "examples" / "crops"


def test_sequence_confidence_is_the_weakest_frame() -> None:
    # frame 1: logits (0, 0) → top 0.5; frame 2: (ln 3, 0) → top 0.75
    logits = [np.array([[0.0, 0.0], [np.log(3.0), 0.0]])]
    assert sequence_confidences(logits, 1.0)[0] == pytest.approx(0.5)
    # at T = 2 frame 2 becomes (ln 3 / 2, 0): top √3 / (√3 + 1)
    assert sequence_confidences([logits[0][1:]], 2.0)[0] == pytest.approx(np.sqrt(3) / (np.sqrt(3) + 1))


def test_reliability_and_ece_on_known_values() -> None:
    confidences = np.array([0.95, 0.95, 0.95, 0.95, 0.15])
    correct = np.array([True, True, False, False, False])
    bins = reliability_bins(confidences, correct)
    assert (bins[9].count, bins[9].accuracy) == (4, 0.5) and bins[1].count == 1
    assert expected_calibration_error(confidences, correct) == pytest.approx((4 * 0.45 + 1 * 0.15) / 5)
    assert precision_at(confidences, correct, 0.9) == (4, 0.5)


def _frames(margin: float) -> np.ndarray:
    return np.array([[margin, 0.0, 0.0]])


def test_an_overconfident_model_gets_a_temperature_above_one_and_a_modest_one_below() -> None:
    rng = np.random.default_rng(0)
    margins = rng.uniform(3, 8, 400)  # confidences 0.9–1.0 at T = 1
    logits = [_frames(m) for m in margins]
    half_right = rng.random(400) < 0.6
    assert fit_temperature(logits, half_right) > 1.5
    always_right = np.ones(400, bool)
    assert fit_temperature(logits, always_right) < 1.0
    assert fit_temperature([], []) == 1.0


def test_a_calibrated_weights_file_changes_confidences_not_texts(tmp_path: Path) -> None:
    out = tmp_path / "ko_calibrated.safetensors"
    assert main(["calibrate", "ko", "--data", str(EXAMPLES / "labels.tsv"), "--out", str(out)]) == 0
    report = json.loads(out.with_name("ko_calibrated_calibration.json").read_text())
    temperature = report["fit_after"]["temperature"]
    assert out.with_name("ko_calibrated_reliability.png").is_file()
    shipped, calibrated = Recognizer("ko", engine="torch"), Recognizer(out)
    assert calibrated.temperature == pytest.approx(temperature)
    crops = sorted(EXAMPLES.glob("*.png"))
    before, after = shipped.read(crops), calibrated.read(crops)
    assert [r.text for r in before] == [r.text for r in after]
    # the confidences follow the temperature: a higher one than the shipped weights' lowers them
    direction = np.sign(np.array([r.confidence for r in before]) - [r.confidence for r in after])
    assert set(direction.tolist()) <= {float(np.sign(temperature - shipped.temperature)), 0.0}
    assert temperature == shipped.temperature or (direction != 0).any()


def test_min_confidence_empties_the_text_and_keeps_the_confidence() -> None:
    crops = sorted(EXAMPLES.glob("*.png"))
    readings = Recognizer("ko").read(crops)
    threshold = float(np.median([r.confidence for r in readings]))
    strict = Recognizer("ko", min_confidence=threshold).read(crops)
    for loose, kept in zip(readings, strict):
        assert kept.confidence == loose.confidence
        assert kept.text == (loose.text if loose.confidence >= threshold else "")


def test_a_bad_calibration_temperature_is_refused() -> None:
    with pytest.raises(CheckpointError, match="calibration temperature -1"):
        calibration_temperature({"calibration": {"temperature": -1}}, Path("w.safetensors"))
    assert calibration_temperature({}, Path("w.safetensors")) == 1.0


def test_calibrate_refuses_to_fit_on_an_evaluation_only_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "EVALUATION_ONLY").write_text("")
    (tmp_path / "labels.tsv").write_text("a.png\t가\n", encoding="utf-8")
    assert (
        main(["calibrate", "ko", "--data", str(tmp_path / "labels.tsv"), "--out", str(tmp_path / "w.safetensors")]) == 1
    )
    assert "evaluation-only set" in capsys.readouterr().err
