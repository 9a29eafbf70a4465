"""Confidence calibration: the arithmetic on known values, the fits (temperature's direction,
Platt recovering a known logistic), reading the mapping from a weights file's info (old
temperature-only files unchanged, bad values refused), a calibrated weights file changing
confidences but never texts; min_confidence."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from krocr.analysis.calibration import calibrate
from krocr.charset import Charset
from krocr.cli import main
from krocr.errors import CheckpointError, ConfigError
from krocr.inference.recognizer import Recognizer
from krocr.model.calibration import (
    UNCALIBRATED,
    ConfidenceCalibration,
    expected_calibration_error,
    fit_logistic,
    fit_platt,
    fit_temperature,
    precision_at,
    reliability_bins,
    sequence_confidences,
    top_log_probs,
)
from krocr.model.decoding import greedy_decode, log_softmax

EXAMPLES = Path(__file__).parents[1] / "examples" / "crops"
CHARSET = Charset(tuple(chr(0xAC00 + i) for i in range(39)))  # 40 classes with the blank
WEIGHTS = Path("w.safetensors")
# frame 1: logits (0, 0) → top 0.5; frame 2: (ln 3, 0) → top 0.75
TWO_FRAMES = np.array([[0.0, 0.0], [np.log(3.0), 0.0]])


def _random_logits(crops: int, seed: int = 0, frames: int = 30, classes: int = 40) -> np.ndarray:
    return (np.random.default_rng(seed).normal(size=(crops, frames, classes)) * 4).astype(np.float32)


def test_top_log_probs_of_known_logits() -> None:
    assert top_log_probs(TWO_FRAMES) == pytest.approx([np.log(0.5), np.log(0.75)])
    # at T = 2 frame 2 becomes (ln 3 / 2, 0): top √3 / (√3 + 1)
    assert top_log_probs(TWO_FRAMES, 2.0)[1] == pytest.approx(np.log(np.sqrt(3) / (np.sqrt(3) + 1)))


def test_sequence_confidence_is_the_weakest_frame() -> None:
    assert sequence_confidences([TWO_FRAMES], UNCALIBRATED)[0] == pytest.approx(0.5)
    assert sequence_confidences([TWO_FRAMES[1:]], ConfidenceCalibration(2.0))[0] == pytest.approx(
        np.sqrt(3) / (np.sqrt(3) + 1)
    )


def test_platt_confidence_of_known_logits() -> None:
    # mean top log-probability m = ln(0.5 · 0.75) / 2 = −ln(8/3) / 2, so with slope −2, bias 0.5
    # the confidence is 1 / (1 + exp(−(−2 ln(−m) + 0.5))) = 1 / (1 + (ln(8/3) / 2)² e^−0.5)
    expected = 1 / (1 + (math.log(8 / 3) / 2) ** 2 * math.exp(-0.5))
    platt = ConfidenceCalibration(platt=(-2.0, 0.5))
    assert platt.method == "platt" and UNCALIBRATED.method == "temperature"
    assert platt.confidence(top_log_probs(TWO_FRAMES)) == pytest.approx(expected, rel=1e-12)
    assert sequence_confidences([TWO_FRAMES], platt)[0] == pytest.approx(expected, rel=1e-12)
    decoded = greedy_decode(TWO_FRAMES[None], Charset(("a",)), platt)[0]
    assert decoded.confidence == float(np.float32(expected))  # the decoder rounds to float32
    assert decoded.text == greedy_decode(TWO_FRAMES[None], Charset(("a",)))[0].text
    # frames that are all certain stay finite (the log's floor) and read as sure
    assert platt.confidence(np.zeros(3)) == pytest.approx(1.0)


def test_the_decoder_and_the_fits_compute_the_same_confidences() -> None:
    logits = _random_logits(6)
    for calibration in (UNCALIBRATED, ConfidenceCalibration(1.7), ConfidenceCalibration(1.0, (-1.5, 0.3))):
        decoded = [d.confidence for d in greedy_decode(logits, CHARSET, calibration)]
        assert decoded == sequence_confidences(list(logits), calibration).astype(np.float32).tolist()


def test_a_crops_confidence_does_not_depend_on_its_batch() -> None:
    logits = _random_logits(9, seed=3)
    for calibration in (UNCALIBRATED, ConfidenceCalibration(1.33), ConfidenceCalibration(1.0, (-2.2, 0.9))):
        together = greedy_decode(logits, CHARSET, calibration)
        alone = [greedy_decode(row[None], CHARSET, calibration)[0] for row in logits]
        assert together == alone


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
    assert fit_temperature(logits, half_right).temperature > 1.5
    always_right = np.ones(400, bool)
    assert fit_temperature(logits, always_right).temperature < 1.0
    assert fit_temperature(logits, always_right).platt is None
    assert fit_temperature([], []) == UNCALIBRATED


def test_the_logistic_fit_recovers_a_known_logistic() -> None:
    rng = np.random.default_rng(0)
    feature = rng.normal(size=20_000)
    correct = rng.random(20_000) < 1.0 / (1.0 + np.exp(-(-2.0 * feature + 0.5)))
    slope, bias = fit_logistic(feature, correct)
    assert slope == pytest.approx(-2.0, abs=0.1) and bias == pytest.approx(0.5, abs=0.1)


def test_the_platt_fit_recovers_a_known_logistic_of_the_mean_frame() -> None:
    rng = np.random.default_rng(1)
    classes = 8
    feature = rng.uniform(-3.0, 0.5, 6000)  # log(−mean top log-probability)
    # frames whose top probability p = exp(−exp(feature)) (≥ 1/classes, so class 0 stays on top):
    # logits (a, 0, …, 0) with e^a / (e^a + classes − 1) = p; two equal frames keep the mean
    p = np.exp(-np.exp(feature))
    margins = np.log(p * (classes - 1) / (1 - p))
    logits = [np.tile(np.r_[a, np.zeros(classes - 1)], (2, 1)) for a in margins]
    correct = rng.random(6000) < 1.0 / (1.0 + np.exp(-(-2.0 * feature - 1.0)))
    fitted = fit_platt(logits, correct)
    assert fitted.temperature == 1.0 and fitted.platt is not None
    assert fitted.platt[0] == pytest.approx(-2.0, abs=0.2) and fitted.platt[1] == pytest.approx(-1.0, abs=0.2)
    with pytest.raises(ValueError, match="at least one crop"):
        fit_platt([], [])


def test_weights_with_only_a_temperature_read_exactly_as_before() -> None:
    logits = _random_logits(5, seed=7)
    calibration = ConfidenceCalibration.from_info({"calibration": {"temperature": 1.3348398541700341}}, WEIGHTS)
    assert calibration == ConfidenceCalibration(1.3348398541700341) and calibration.platt is None
    # the decoder's arithmetic before the Platt option: the weakest frame of the scaled log-softmax
    for row, decoded in zip(logits, greedy_decode(logits, CHARSET, calibration)):
        log_probs = log_softmax(row.astype(np.float64) / 1.3348398541700341)
        path = log_probs.argmax(axis=-1)
        assert decoded.confidence == float(np.float32(np.exp(log_probs[np.arange(len(path)), path].min())))
    assert ConfidenceCalibration.from_info({}, WEIGHTS) == UNCALIBRATED
    assert ConfidenceCalibration.from_info({"calibration": None}, WEIGHTS) == UNCALIBRATED


def test_the_info_round_trips() -> None:
    for calibration in (UNCALIBRATED, ConfidenceCalibration(0.84), ConfidenceCalibration(1.0, (-2.5, 1.25))):
        stored = json.loads(json.dumps({"calibration": calibration.to_info()}))
        assert ConfidenceCalibration.from_info(stored, WEIGHTS) == calibration
    assert ConfidenceCalibration(1.0, (-2.5, 1.25)).to_info() == {
        "method": "platt",
        "temperature": 1.0,
        "platt": [-2.5, 1.25],
    }


@pytest.mark.parametrize(
    "calibration, message",
    [
        ({"temperature": -1}, "calibration temperature -1 "),
        ({"temperature": 0}, "calibration temperature 0 "),
        ({"temperature": 100}, "calibration temperature 100 "),
        ({"temperature": float("nan")}, "calibration temperature nan "),
        ({"temperature": "1.3"}, "calibration temperature '1.3' "),
        ({"platt": [-2.0]}, r"calibration platt \[-2.0\] is not \[slope, bias\]"),
        ({"platt": [-2.0, float("inf")]}, r"calibration platt \[-2.0, inf\]"),
        ({"platt": ["-2", 0.5]}, r"calibration platt \['-2', 0.5\]"),
        ({"platt": [True, 0.5]}, r"calibration platt \[True, 0.5\]"),
        ({"platt": {"slope": -2, "bias": 0.5}}, r"calibration platt \{'slope'"),
        ({"method": "platt", "temperature": 1.2}, "calibration method 'platt' does not match"),
        ({"method": "temperature", "platt": [-2, 0.5]}, "calibration method 'temperature' does not match"),
        ({"method": "isotonic"}, "calibration method 'isotonic' is not 'platt' or 'temperature'"),
    ],
)
def test_a_bad_calibration_is_refused_naming_the_file(calibration: dict, message: str) -> None:
    with pytest.raises(CheckpointError, match=rf"^w\.safetensors: {message}"):
        ConfidenceCalibration.from_info({"calibration": calibration}, WEIGHTS)


def _expected_platt(logits: np.ndarray, slope: float, bias: float) -> float:
    """The mean-frame Platt confidence written out, independently of the library's helpers."""
    rows = logits.astype(np.float64)
    top = rows.max(-1) - np.log(np.exp(rows).sum(-1))
    return float(np.float32(1 / (1 + math.exp(-(slope * math.log(-top.mean()) + bias)))))


def test_calibrate_writes_weights_that_read_with_the_platt_fit(tmp_path: Path) -> None:
    out = tmp_path / "ko_platt.safetensors"
    assert main(["calibrate", "ko", "--data", str(EXAMPLES / "labels.tsv"), "--out", str(out)]) == 0
    report = json.loads(out.with_name("ko_platt_calibration.json").read_text())
    assert report["fit_before"]["method"] == "temperature" and report["fit_before"]["temperature"] == 1.0
    assert report["fit_after"]["method"] == "platt"
    slope, bias = report["fit_after"]["platt"]
    calibrated = Recognizer(out, batch_size=1)
    stored = calibrated.info["calibration"]
    assert {k: stored[k] for k in ("method", "temperature", "platt")} == {
        "method": "platt",
        "temperature": 1.0,
        "platt": [slope, bias],
    }
    assert stored["crops"] == 8 and stored["fitted_on"] and {"ece_before", "ece_after"} <= stored.keys()
    assert calibrated.calibration == ConfidenceCalibration(1.0, (slope, bias))
    crops = sorted(EXAMPLES.glob("*.png"))
    readings = calibrated.read(crops)
    logits = calibrated.crop_logits([calibrated.prepare(c) for c in crops])
    assert [r.confidence for r in readings] == pytest.approx(
        [_expected_platt(row, slope, bias) for row in logits], rel=1e-6
    )
    uncalibrated = [d.confidence for row in logits for d in greedy_decode(row[None], calibrated.charset)]
    assert [r.confidence for r in readings] != pytest.approx(uncalibrated, abs=1e-3)
    assert [r.text for r in readings] == [
        r.text for r in Recognizer("ko", engine="torch", decoder="greedy").read(crops)
    ]
    batched = Recognizer(out, batch_size=8).read(crops)
    assert [r.confidence for r in batched] == pytest.approx([r.confidence for r in readings], abs=1e-5)


def test_a_temperature_calibrated_weights_file_changes_confidences_not_texts(tmp_path: Path) -> None:
    out = tmp_path / "ko_calibrated.safetensors"
    args = ["calibrate", "ko", "--data", str(EXAMPLES / "labels.tsv"), "--out", str(out), "--method", "temperature"]
    assert main(args) == 0
    report = json.loads(out.with_name("ko_calibrated_calibration.json").read_text())
    assert report["fit_after"]["method"] == "temperature" and "platt" not in report["fit_after"]
    temperature = report["fit_after"]["temperature"]
    assert out.with_name("ko_calibrated_reliability.png").is_file()
    shipped, calibrated = Recognizer("ko", engine="torch", decoder="greedy"), Recognizer(out)
    assert calibrated.calibration == ConfidenceCalibration(temperature)
    assert calibrated.info["calibration"]["method"] == "temperature"
    crops = sorted(EXAMPLES.glob("*.png"))
    before, after = shipped.read(crops), calibrated.read(crops)
    assert [r.text for r in before] == [r.text for r in after]
    # the confidences follow the temperature: above 1 it lowers them from the uncalibrated ones
    uncalibrated = sequence_confidences(shipped.crop_logits([shipped.prepare(c) for c in crops]), UNCALIBRATED)
    direction = np.sign(np.round(uncalibrated - [r.confidence for r in after], 6))
    assert set(direction.tolist()) <= {float(np.sign(temperature - 1.0)), 0.0}
    assert temperature == 1.0 or (direction != 0).any()


def test_calibrate_refuses_an_unknown_method() -> None:
    with pytest.raises(ConfigError, match="unknown calibration method 'isotonic'"):
        calibrate(None, EXAMPLES / "labels.tsv", method="isotonic")  # type: ignore[arg-type]


def test_min_confidence_empties_the_text_and_keeps_the_confidence() -> None:
    crops = sorted(EXAMPLES.glob("*.png"))
    readings = Recognizer("ko").read(crops)
    threshold = float(np.median([r.confidence for r in readings]))
    strict = Recognizer("ko", min_confidence=threshold).read(crops)
    for loose, kept in zip(readings, strict):
        assert kept.confidence == loose.confidence
        assert kept.text == (loose.text if loose.confidence >= threshold else "")


def test_calibrate_refuses_to_fit_on_an_evaluation_only_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "EVALUATION_ONLY").write_text("")
    (tmp_path / "labels.tsv").write_text("a.png\t가\n", encoding="utf-8")
    assert (
        main(["calibrate", "ko", "--data", str(tmp_path / "labels.tsv"), "--out", str(tmp_path / "w.safetensors")]) == 1
    )
    assert "evaluation-only set" in capsys.readouterr().err
