"""Which confidence a recognizer should report, and whether calibration can meet issue 28's
goal (readings at confidence ≥ 0.9 right ≥ 97 % of the time on the real set).

    python benchmarks/confidence_signals.py --fit data/calib_heldout40 \
        --check data/heldout_ko27/test.lmdb ../shared/data/real-dev [--weights ko] [--write]
    python benchmarks/confidence_signals.py --fit data/calib_heldout40 data/doc_heldout41 \
        data/bounce_heldout42 data/small_heldout43 --fit-limit 2000 --check ...   # a pooled fit set

Three signals of a crop's greedy reading, each from its (frames, classes) logits:

* ``weakest frame``: the lowest per-frame top probability (what krocr reports);
* ``mean frame``: the mean per-frame top log-probability;
* ``best path``: the sum of the per-frame top log-probabilities.

Each is mapped to a probability on the fit set only, in two ways: the shipped temperature
fit (weakest frame only; :func:`krocr.model.calibration.fit_temperature`) and a Platt fit (a
logistic regression on the log of the signal's negative log-probability,
:func:`krocr.model.calibration.fit_logistic`; for the mean frame it is what ``krocr calibrate
--method platt`` fits). The table gives,
per set: AUROC (how well the signal ranks right above wrong, whatever the mapping), log-loss,
ECE, and the crops at ≥ 0.9 with the share of them that are right. The check sets are only
measured. Several ``--fit`` sets are pooled into one fit set (``--fit-limit`` crops of each),
so that the mappings can be fitted on renders of several looks at once. ``--write`` stores
the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish

from krocr.analysis.calibration import CHECK_THRESHOLD, ScoredLogits, score_logits
from krocr.commands.options import add_recognizer_arguments, recognizer_from_args
from krocr.data.eval_sets import open_eval_set
from krocr.model.calibration import (
    expected_calibration_error,
    fit_logistic,
    fit_temperature,
    log_loss,
    logistic,
    platt_feature,
    sequence_confidences,
    top_log_probs,
)

SIGNALS: dict[str, Callable[[np.ndarray], float]] = {
    "weakest frame": lambda top: float(top.min()),
    "mean frame": lambda top: float(top.mean()),
    "best path": lambda top: float(top.sum()),
}


def auroc(score: np.ndarray, correct: np.ndarray) -> float:
    """The chance that a right reading scores above a wrong one (ties count half)."""
    right = int(correct.sum())
    wrong = len(correct) - right
    if not right or not wrong:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[correct].sum() - right * (right + 1) / 2) / (right * wrong))


def row(label: str, name: str, confidences: np.ndarray, score: np.ndarray, correct: np.ndarray) -> str:
    kept = confidences >= CHECK_THRESHOLD
    share = f"{correct[kept].mean():.1%}" if kept.any() else "–"
    return (
        f"| {label} | {name} | {len(correct)} | {auroc(score, correct):.3f} | {log_loss(confidences, correct):.3f} "
        f"| {expected_calibration_error(confidences, correct):.3f} | {int(kept.sum())} | {share} |"
    )


def pooled(parts: list[ScoredLogits]) -> ScoredLogits:
    """One fit set of several sets' crops."""
    return ScoredLogits(
        [logits for part in parts for logits in part.logits], np.concatenate([part.correct for part in parts])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", type=Path, nargs="+", required=True, help="held-out crops the mappings are fitted on")
    parser.add_argument("--fit-limit", type=int, help="the first N crops of each --fit set (default: all)")
    parser.add_argument("--check", type=Path, nargs="*", default=[], help="sets only measured")
    parser.add_argument("--write", action="store_true", help="also write the table into docs/benchmarks.md")
    add_recognizer_arguments(parser)
    args = parser.parse_args()
    recognizer = recognizer_from_args(args)
    fit_name = "fit: " + " + ".join(str(path) for path in args.fit)
    fit_parts = [score_logits(recognizer, open_eval_set(path), args.fit_limit) for path in args.fit]
    sets = {fit_name: pooled(fit_parts)} | {
        str(path): score_logits(recognizer, open_eval_set(path)) for path in args.check
    }
    tops = {name: [top_log_probs(logits) for logits in scored.logits] for name, scored in sets.items()}
    fit = sets[fit_name]
    temperature_fit = fit_temperature(fit.logits, fit.correct)
    platt = {
        signal: fit_logistic(platt_feature(np.array([f(t) for t in tops[fit_name]])), fit.correct)
        for signal, f in SIGNALS.items()
    }
    rows = [
        "| signal, mapping | set | crops | AUROC | log-loss | ECE | conf ≥ 0.9 | right there |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, scored in sets.items():
        weakest = np.array([SIGNALS["weakest frame"](t) for t in tops[name]])
        shipped = sequence_confidences(scored.logits, temperature_fit)
        rows.append(
            row(f"weakest frame, temperature {temperature_fit.temperature:.2f}", name, shipped, weakest, scored.correct)
        )
        for signal, f in SIGNALS.items():
            feature = platt_feature(np.array([f(t) for t in tops[name]]))
            slope, bias = platt[signal]
            mapped = logistic(slope * feature + bias)
            rows.append(row(f"{signal}, Platt", name, mapped, -feature, scored.correct))
    table = "\n".join(rows)
    publish("confidence-signals", "Confidence signals and their calibration", table, args.write)


if __name__ == "__main__":
    main()
