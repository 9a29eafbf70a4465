"""Confidence calibration: how a crop's per-frame probabilities become its confidence, the
fits that choose that mapping, and how well a confidence is calibrated.

A greedy reading's frames each have a top log-probability (of the class the best path
takes), computed from the logits divided by a temperature T. A :class:`ConfidenceCalibration`
turns them into the confidence in one of two ways:

* ``temperature`` (no Platt parameters): the weakest frame, ``exp(min)``, so one doubtful
  frame makes the reading doubtful; T > 1 lowers it, T < 1 raises it.
  :func:`fit_temperature` picks T on a grid.
* ``platt``: the mean over frames ``m`` (at T = 1 as :func:`fit_platt` fits it), mapped by a logistic
  ``sigmoid(slope · log(max(−m, 1e-12)) + bias)`` (slope < 0: the surer the frames, the
  higher the confidence). :func:`fit_platt` fits slope and bias. On held-out renders the
  mean frame ranks right above wrong readings better than the weakest frame does, and
  its fit is better calibrated (``benchmarks/confidence_signals.py``).

Both fits minimise the binary log-loss of the confidences as predictions that the reading
is right, on a held-out split; the text never changes. The weights file carries the result
(``info.calibration``, :meth:`ConfidenceCalibration.from_info`) and every reader applies it.
No torch here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from krocr.errors import CheckpointError

TEMPERATURES = np.geomspace(0.25, 8.0, 121)  # the grid searched: 1.03× apart, 1.0 on it
MAX_TEMPERATURE = 100.0  # a weights file's temperature must lie in (0, this)
RELIABILITY_BINS = 10
_EPSILON = 1e-6
_PLATT_FLOOR = 1e-12  # keeps the log finite for a crop whose frames are all certain

Method = Literal["platt", "temperature"]
METHODS: tuple[Method, ...] = ("platt", "temperature")


def top_log_probs(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Per frame, the log-probability of its most likely class, from (frames, classes) logits
    divided by ``temperature``, in float64 (the greedy decoder's arithmetic, to the bit)."""
    scaled = np.asarray(logits).astype(np.float64) / temperature
    shifted = scaled - scaled.max(axis=-1, keepdims=True)
    return -np.log(np.exp(shifted).sum(axis=-1))


def platt_feature(log_prob: np.ndarray | float) -> np.ndarray:
    """The log of a negative log-probability: a near-linear scale for the logistic fit."""
    return np.log(np.maximum(-np.asarray(log_prob, np.float64), _PLATT_FLOOR))


def logistic(z: np.ndarray | float) -> np.ndarray:
    """``1 / (1 + exp(−z))``, without overflow for large negative ``z``."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, np.float64)))


def fit_logistic(feature: np.ndarray, correct: Sequence[bool] | np.ndarray) -> tuple[float, float]:
    """Slope and bias of the logistic regression of ``correct`` on ``feature``.

    Nelder-Mead on the binary log-loss, from slope −1 and bias 0.

    Args:
        feature: one number per crop (e.g. :func:`platt_feature` of a log-probability).
        correct: per crop, whether its reading is right.

    Returns:
        (slope, bias).
    """
    from scipy.optimize import minimize  # only the fits need scipy, not reading

    x = np.asarray(feature, np.float64)
    right = np.asarray(correct, bool)

    def loss(w: np.ndarray) -> float:
        return log_loss(logistic(w[0] * x + w[1]), right)

    fitted = minimize(loss, np.array([-1.0, 0.0]), method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-9})
    return float(fitted.x[0]), float(fitted.x[1])


@dataclass(frozen=True)
class ConfidenceCalibration:
    """How a greedy reading's per-frame top log-probabilities become its confidence.

    ``temperature`` divides the logits before the softmax. Without ``platt`` the confidence
    is the weakest frame's top probability; with ``platt = (slope, bias)`` it is the logistic
    of the mean frame (see the module docstring).
    """

    temperature: float = 1.0
    platt: tuple[float, float] | None = None

    @property
    def method(self) -> Method:
        return "temperature" if self.platt is None else "platt"

    def confidence(self, top: np.ndarray) -> float:
        """One crop's confidence from its per-frame top log-probabilities, already computed at
        :attr:`temperature` (:func:`top_log_probs`).

        Args:
            top: (frames,) log-probabilities, at least one frame.

        Returns:
            The confidence in [0, 1] (float64; the decoder rounds it to float32).
        """
        if self.platt is None:
            return float(np.exp(top.min()))
        slope, bias = self.platt
        return float(logistic(slope * platt_feature(top.mean()) + bias))

    def describe(self) -> str:
        """A short label for tables and legends: ``T 1.33`` or ``Platt -2.10, 0.85``."""
        if self.platt is None:
            return f"T {self.temperature:.2f}"
        scaled = "" if self.temperature == 1.0 else f", T {self.temperature:.2f}"
        return f"Platt {self.platt[0]:.2f}, {self.platt[1]:.2f}{scaled}"

    def to_info(self) -> dict:
        """The mapping as a weights file's ``info.calibration`` stores it (JSON-ready)."""
        out: dict = {"method": self.method, "temperature": self.temperature}
        if self.platt is not None:
            out["platt"] = list(self.platt)
        return out

    @classmethod
    def from_info(cls, info: dict, weights: Path) -> ConfidenceCalibration:
        """The calibration a weights file carries in ``info["calibration"]``.

        Reads ``temperature`` (default 1) and the optional ``platt: [slope, bias]``; a file
        with a temperature only reads as it always did (weakest frame at that T), and one
        without a calibration is uncalibrated.

        Args:
            info: the weights file's info.
            weights: the file, named in errors.

        Returns:
            The calibration.

        Raises:
            CheckpointError: a temperature outside (0, 100), a ``platt`` that is not two
                finite numbers, or a ``method`` that is unknown or does not match them.
        """
        calibration = info.get("calibration") or {}
        if not isinstance(calibration, dict):
            raise CheckpointError(f"{weights}: info.calibration {calibration!r} is not a mapping")
        temperature = calibration.get("temperature", 1.0)
        if not _is_finite_number(temperature) or not 0 < temperature < MAX_TEMPERATURE:
            raise CheckpointError(
                f"{weights}: calibration temperature {temperature!r} is not a number in (0, {MAX_TEMPERATURE:g})"
            )
        platt = calibration.get("platt")
        if platt is not None and not (
            isinstance(platt, (list, tuple)) and len(platt) == 2 and all(_is_finite_number(v) for v in platt)
        ):
            raise CheckpointError(f"{weights}: calibration platt {platt!r} is not [slope, bias], two finite numbers")
        parsed = cls(float(temperature), None if platt is None else (float(platt[0]), float(platt[1])))
        method = calibration.get("method", parsed.method)
        if method not in METHODS:
            raise CheckpointError(f"{weights}: calibration method {method!r} is not {' or '.join(map(repr, METHODS))}")
        if method != parsed.method:
            raise CheckpointError(
                f"{weights}: calibration method {method!r} does not match its parameters "
                f"({'a' if parsed.platt else 'no'} platt [slope, bias])"
            )
        return parsed


UNCALIBRATED = ConfidenceCalibration()  # the weakest frame at T = 1


def _is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def sequence_confidences(logits: Sequence[np.ndarray], calibration: ConfidenceCalibration) -> np.ndarray:
    """Each crop's greedy confidence under ``calibration``, from its (frames, classes) logits
    (float64, the decoder's arithmetic before its float32 rounding)."""
    return np.array([calibration.confidence(top_log_probs(row, calibration.temperature)) for row in logits], np.float64)


def log_loss(confidences: np.ndarray, correct: np.ndarray) -> float:
    """Mean binary log-loss of confidences as probabilities that the reading is right."""
    p = np.clip(confidences, _EPSILON, 1 - _EPSILON)
    return float(-np.mean(np.where(correct, np.log(p), np.log1p(-p))))


def fit_temperature(logits: Sequence[np.ndarray], correct: Sequence[bool] | np.ndarray) -> ConfidenceCalibration:
    """The weakest-frame calibration whose temperature on :data:`TEMPERATURES` has the lowest log-loss.

    Args:
        logits: per crop, its (frames, classes) logits.
        correct: per crop, whether its greedy reading equals the truth.

    Returns:
        The calibration (temperature 1 when ``logits`` is empty).
    """
    if not len(logits):
        return UNCALIBRATED
    right = np.asarray(correct, bool)
    losses = [log_loss(sequence_confidences(logits, ConfidenceCalibration(t)), right) for t in TEMPERATURES]
    return ConfidenceCalibration(float(TEMPERATURES[int(np.argmin(losses))]))


def fit_platt(logits: Sequence[np.ndarray], correct: Sequence[bool] | np.ndarray) -> ConfidenceCalibration:
    """The mean-frame Platt calibration (at T = 1) with the lowest log-loss.

    Args:
        logits: per crop, its (frames, classes) logits; at least one crop.
        correct: per crop, whether its greedy reading equals the truth.

    Returns:
        The calibration, ``platt = (slope, bias)``.

    Raises:
        ValueError: no crops.
    """
    if not len(logits):
        raise ValueError("a Platt fit needs at least one crop")
    feature = platt_feature(np.array([top_log_probs(row).mean() for row in logits]))
    return ConfidenceCalibration(1.0, fit_logistic(feature, correct))


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
