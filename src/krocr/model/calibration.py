"""Confidence calibration by temperature scaling, and how well a confidence is calibrated.

A crop's confidence is the lowest per-frame top probability of its best path
(:func:`krocr.model.decoding.greedy_decode`). Dividing the logits by a temperature T > 1
lowers it, T < 1 raises it; the text never changes. :func:`fit_temperature` picks the T
whose confidences best predict right and wrong readings (binary log-loss) on a held-out
split; the weights file then carries it (``info.calibration.temperature``) and every
reader applies it. No torch here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

TEMPERATURES = np.geomspace(0.25, 8.0, 121)  # the grid searched: 1.03× apart, 1.0 on it
RELIABILITY_BINS = 10
_EPSILON = 1e-6


def sequence_confidences(logits: Sequence[np.ndarray], temperature: float) -> np.ndarray:
    """Each crop's confidence at ``temperature``: the minimum over frames of the top softmax
    probability of (T, C) logits divided by it (float64, the decoder's arithmetic)."""
    out = np.empty(len(logits))
    for i, row in enumerate(logits):
        scaled = np.asarray(row, np.float64) / temperature
        top = scaled.max(axis=-1, keepdims=True)
        out[i] = (1.0 / np.exp(scaled - top).sum(axis=-1)).min()
    return out


def log_loss(confidences: np.ndarray, correct: np.ndarray) -> float:
    """Mean binary log-loss of confidences as probabilities that the reading is right."""
    p = np.clip(confidences, _EPSILON, 1 - _EPSILON)
    return float(-np.mean(np.where(correct, np.log(p), np.log1p(-p))))


def fit_temperature(logits: Sequence[np.ndarray], correct: Sequence[bool] | np.ndarray) -> float:
    """The temperature on :data:`TEMPERATURES` with the lowest log-loss.

    Args:
        logits: per crop, its (frames, classes) logits.
        correct: per crop, whether its greedy reading equals the truth.

    Returns:
        The temperature (1.0 when ``logits`` is empty).
    """
    if not len(logits):
        return 1.0
    right = np.asarray(correct, bool)
    losses = [log_loss(sequence_confidences(logits, t), right) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float

    def to_dict(self) -> dict:
        return asdict(self)


def reliability_bins(
    confidences: np.ndarray, correct: np.ndarray, bins: int = RELIABILITY_BINS
) -> list[ReliabilityBin]:
    """Equal-width confidence bins with their mean confidence and share of right readings
    (empty bins are listed with count 0)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidences, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        out.append(
            ReliabilityBin(
                float(edges[b]),
                float(edges[b + 1]),
                count,
                float(confidences[members].mean()) if count else 0.0,
                float(np.asarray(correct)[members].mean()) if count else 0.0,
            )
        )
    return out


def expected_calibration_error(confidences: np.ndarray, correct: np.ndarray, bins: int = RELIABILITY_BINS) -> float:
    """ECE: the count-weighted mean gap between confidence and accuracy over the bins."""
    table = reliability_bins(confidences, correct, bins)
    total = sum(b.count for b in table)
    return sum(b.count * abs(b.mean_confidence - b.accuracy) for b in table) / total if total else 0.0


def precision_at(confidences: np.ndarray, correct: np.ndarray, threshold: float) -> tuple[int, float]:
    """How many readings reach ``threshold`` and the share of them that are right."""
    kept = confidences >= threshold
    count = int(kept.sum())
    return count, float(np.asarray(correct)[kept].mean()) if count else 0.0
