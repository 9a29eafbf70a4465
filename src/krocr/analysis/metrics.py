"""Recognition metrics on rapidfuzz's Levenshtein distance.

* edit distance (ED) and mean ED;
* normalized ED by ground-truth length (the reference's "mean normalized edit distance");
* 1 − NED as ICDAR 2019 defines it: ED normalized by the longer of the two strings;
* character error rate: total ED / total ground-truth characters;
* word accuracy: exact, and ignoring whitespace.

Texts are compared after NFC normalization.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from rapidfuzz.distance import Levenshtein

from krocr.charset import normalize_text


def edit_distance(truth: str, prediction: str) -> int:
    return Levenshtein.distance(normalize_text(truth), normalize_text(prediction))


def normalized_edit_distance(truth: str, prediction: str) -> float:
    """ED / len(truth), the reference's figure (can exceed 1). An empty truth gives 0 for an
    empty prediction and 1 otherwise."""
    truth, prediction = normalize_text(truth), normalize_text(prediction)
    if not truth:
        return 0.0 if not prediction else 1.0
    return Levenshtein.distance(truth, prediction) / len(truth)


def icdar_ned(truth: str, prediction: str) -> float:
    """ED / max(len(truth), len(prediction)), in [0, 1]; two empty strings give 0."""
    return Levenshtein.normalized_distance(normalize_text(truth), normalize_text(prediction))


def compact(text: str) -> str:
    """NFC with all whitespace removed: texts compared ignoring spaces."""
    return "".join(normalize_text(text).split())


@dataclass(frozen=True)
class RecognitionMetrics:
    samples: int
    word_accuracy: float
    word_accuracy_ignore_space: float
    cer: float
    mean_edit_distance: float
    mean_normalized_edit_distance: float
    one_minus_ned: float

    def to_dict(self) -> dict:
        return asdict(self)


def compute_metrics(truths: Sequence[str], predictions: Sequence[str]) -> RecognitionMetrics:
    if len(truths) != len(predictions):
        raise ValueError(f"{len(truths)} ground truths but {len(predictions)} predictions")
    n = len(truths)
    if n == 0:
        raise ValueError("no samples to score")
    distances = [edit_distance(t, p) for t, p in zip(truths, predictions)]
    total_chars = sum(len(normalize_text(t)) for t in truths)
    return RecognitionMetrics(
        samples=n,
        word_accuracy=sum(normalize_text(t) == normalize_text(p) for t, p in zip(truths, predictions)) / n,
        word_accuracy_ignore_space=sum(compact(t) == compact(p) for t, p in zip(truths, predictions)) / n,
        cer=sum(distances) / max(total_chars, 1),
        mean_edit_distance=sum(distances) / n,
        mean_normalized_edit_distance=sum(normalized_edit_distance(t, p) for t, p in zip(truths, predictions)) / n,
        one_minus_ned=1.0 - sum(icdar_ned(t, p) for t, p in zip(truths, predictions)) / n,
    )
