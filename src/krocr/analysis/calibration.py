"""Fitting a recognizer's confidence calibration on a held-out split, and measuring it on
any evaluation set: the mapping (a mean-frame Platt fit or a temperature), ECE,
reliability bins and a reliability diagram (the arithmetic is :mod:`krocr.model.calibration`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from krocr.data.eval_sets import EvalSet, open_eval_set
from krocr.errors import ConfigError, DataError
from krocr.inference.recognizer import Recognizer
from krocr.model.calibration import (
    METHODS,
    UNCALIBRATED,
    ConfidenceCalibration,
    Method,
    ReliabilityBin,
    expected_calibration_error,
    fit_platt,
    fit_temperature,
    precision_at,
    reliability_bins,
    sequence_confidences,
)
from krocr.model.decoding import greedy_decode
from krocr.progress import SILENT, ProgressHook

CHECK_THRESHOLD = 0.9  # the goal: readings at this confidence or above are right ≥ 97 % of the time


@dataclass(frozen=True)
class Calibration:
    """How confidence relates to being right on one set, under one calibration."""

    data: str
    crops: int
    mapping: ConfidenceCalibration
    accuracy: float
    ece: float
    bins: list[ReliabilityBin] = field(default_factory=list)
    at_threshold: tuple[int, float] = (0, 0.0)  # crops with confidence ≥ CHECK_THRESHOLD, share right
    left_out: dict[str, int] = field(default_factory=dict)  # crops not scored, by reason

    def to_dict(self) -> dict:
        return {
            "data": self.data,
            "crops": self.crops,
            **self.mapping.to_info(),
            "accuracy": self.accuracy,
            "ece": self.ece,
            f"confidence_at_least_{CHECK_THRESHOLD}": {"crops": self.at_threshold[0], "right": self.at_threshold[1]},
            "bins": [b.to_dict() for b in self.bins],
            "left_out": self.left_out,
        }


@dataclass(frozen=True)
class ScoredLogits:
    logits: list[np.ndarray]
    correct: np.ndarray
    unreadable: dict[str, int] = field(default_factory=dict)  # crops left out, by reason


def score_logits(
    recognizer: Recognizer, eval_set: EvalSet, limit: int | None = None, progress: ProgressHook = SILENT
) -> ScoredLogits:
    """Each crop's logits and whether its greedy reading equals the truth; crops that cannot
    be prepared (too small, too long, unreadable) are left out and counted by reason."""
    samples = eval_set.samples[:limit]
    logits: list[np.ndarray] = []
    correct: list[bool] = []
    unreadable: Counter = Counter(u.error.split(":")[0] for u in eval_set.unreadable)  # lost before reading
    progress.start("logits", len(samples))
    batch = recognizer.batch_size * 8
    for start in range(0, len(samples), batch):
        prepared, truths = [], []
        for i in range(start, min(start + batch, len(samples))):
            try:
                prepared.append(recognizer.prepare(eval_set.load(i)))
                truths.append(samples[i].truth)
            except DataError as exc:
                unreadable[_reason(str(exc))] += 1
        rows = recognizer.crop_logits(prepared)
        logits += rows
        correct += [greedy_decode(row[None], recognizer.charset)[0].text == truth for row, truth in zip(rows, truths)]
        progress.advance(min(batch, len(samples) - start))
    return ScoredLogits(logits, np.array(correct, bool), dict(unreadable))


def _reason(message: str) -> str:
    """What Recognizer.prepare refused a crop for, as a count key."""
    if "reads at most" in message:
        return "too long for the model"
    if "a crop needs at least" in message:
        return "too small"
    return "unreadable image"


def measure(scored: ScoredLogits, mapping: ConfidenceCalibration, data: str) -> Calibration:
    """Calibration figures of scored logits with their confidences under ``mapping``."""
    confidences = sequence_confidences(scored.logits, mapping)
    return Calibration(
        data,
        len(scored.logits),
        mapping,
        float(scored.correct.mean()) if len(scored.correct) else 0.0,
        expected_calibration_error(confidences, scored.correct),
        reliability_bins(confidences, scored.correct),
        precision_at(confidences, scored.correct, CHECK_THRESHOLD),
        scored.unreadable,
    )


def calibrate(
    recognizer: Recognizer,
    data: str | Path,
    split: str | None = None,
    limit: int | None = None,
    progress: ProgressHook = SILENT,
    method: Method = "platt",
) -> tuple[Calibration, Calibration]:
    """Fit a confidence calibration on a held-out split.

    Args:
        recognizer: the model (its own calibration is ignored: logits are raw).
        data: what ``krocr eval`` takes; a split the model did not train on.
        split: the dataset directory's split (default: test if present, else val).
        limit: only the first N crops.
        progress: advanced per crop.
        method: ``platt`` (the mean frame through a logistic, :func:`fit_platt`) or
            ``temperature`` (the weakest frame at a fitted temperature, :func:`fit_temperature`).

    Returns:
        (before: uncalibrated, the weakest frame at temperature 1; after: the fitted
        calibration) on that split.

    Raises:
        ConfigError: an unknown method.
        DataError: no readable crop in the split.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown calibration method {method!r}; use {' or '.join(map(repr, METHODS))}")
    eval_set = open_eval_set(data, split)
    scored = score_logits(recognizer, eval_set, limit, progress)
    if not scored.logits:
        raise DataError(f"{data}: no readable crops to calibrate on")
    fit = fit_platt if method == "platt" else fit_temperature
    fitted = fit(scored.logits, scored.correct)
    return measure(scored, UNCALIBRATED, eval_set.description), measure(scored, fitted, eval_set.description)


def plot_reliability(calibrations: dict[str, Calibration], out: str | Path) -> Path:
    """A reliability diagram: accuracy against mean confidence per bin, one line per entry
    (label → calibration), the diagonal for perfect calibration, ECE in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfectly calibrated")
    for label, calibration in calibrations.items():
        filled = [b for b in calibration.bins if b.count]
        ax.plot(
            [b.mean_confidence for b in filled],
            [b.accuracy for b in filled],
            marker="o",
            label=f"{label} ({calibration.mapping.describe()}, ECE {calibration.ece:.3f}, n {calibration.crops})",
        )
    ax.set_xlabel("confidence (bin mean)")
    ax.set_ylabel("share of readings that are right")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
