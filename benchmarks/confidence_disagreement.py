"""Does a default reading that differs from the greedy one (the language model's beam, or the
stretched layout, changed the text) tell more about being wrong than its confidence does?

    python benchmarks/confidence_disagreement.py --fit FIT_DEFAULT FIT_GREEDY \
        --check SET_DEFAULT SET_GREEDY [--check ...]

Each argument pair is two `krocr eval` output directories of the same crops: the reading as
`krocr read` does it by default (`--lm ko`, the stretch) and the greedy one (`--lm none
--no-stretch`). Per crop, the default reading's features are the logit of its confidence,
whether its text differs from the greedy text, and whether it came from another layout than
the crop as it is. A logistic regression on them is fitted on the fit pair only (binary
log-loss) and measured on every pair: AUROC, ECE, and the readings at ≥ 0.9 with the share of
them that are right. The first row of each set is the confidence alone, refitted, so the
columns compare like with like.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from confidence_signals import auroc
from paired_compare import read_column, read_correct

from krocr.analysis.calibration import CHECK_THRESHOLD
from krocr.model.calibration import expected_calibration_error, log_loss, logistic, precision_at

FEATURES = ("confidence logit", "differs from greedy", "another layout")
FEATURE_SETS = {"confidence": [0], "+ differs": [0, 1], "+ differs + layout": [0, 1, 2]}


def features(default_dir: Path, greedy_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """(crops, 3) features of the default readings and whether each is right."""
    confidences, texts, layouts = (read_column(default_dir, c) for c in ("confidence", "prediction", "layout"))
    greedy = read_column(greedy_dir, "prediction")
    missing = texts.keys() - greedy.keys()
    if missing:
        raise SystemExit(f"{greedy_dir}: {len(missing)} crops of {default_dir} are not read there, e.g. {min(missing)}")
    right = read_correct(default_dir)
    rows = []
    for item, text in texts.items():
        confidence = float(np.clip(float(confidences[item]), 1e-6, 1 - 1e-6))
        logit = np.log(confidence / (1 - confidence))
        rows.append([logit, float(text != greedy[item]), float(layouts[item] != "as is")])
    return np.array(rows), np.array([right[item] for item in texts])


def fit(x: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Weights (bias first) of the logistic regression of ``right`` on the columns of ``x``."""
    design = np.hstack([np.ones((len(x), 1)), x])

    def loss(weights: np.ndarray) -> float:
        return log_loss(logistic(design @ weights), right)

    return minimize(loss, np.zeros(design.shape[1]), method="BFGS").x


def row(name: str, columns: str, confidences: np.ndarray, right: np.ndarray) -> str:
    count, share = precision_at(confidences, right, CHECK_THRESHOLD)
    return (
        f"| {name} | {columns} | {len(right)} | {auroc(confidences, right):.3f} "
        f"| {expected_calibration_error(confidences, right):.3f} | {count} | {share:.1%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", type=Path, nargs=2, required=True, metavar=("DEFAULT", "GREEDY"))
    parser.add_argument("--check", type=Path, nargs=2, action="append", default=[], metavar=("DEFAULT", "GREEDY"))
    args = parser.parse_args()
    sets = {f"fit: {args.fit[0]}": features(*args.fit)} | {
        str(default): features(default, g) for default, g in args.check
    }
    x_fit, right_fit = next(iter(sets.values()))
    weights = {name: fit(x_fit[:, columns], right_fit) for name, columns in FEATURE_SETS.items()}
    print("| set | features | crops | AUROC | ECE | conf ≥ 0.9 | right there |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, (x, right) in sets.items():
        for columns_name, columns in FEATURE_SETS.items():
            w = weights[columns_name]
            print(row(name, columns_name, logistic(w[0] + x[:, columns] @ w[1:]), right))
    for columns_name, w in weights.items():
        named = ", ".join(f"{FEATURES[c]} {v:+.3f}" for c, v in zip(FEATURE_SETS[columns_name], w[1:]))
        print(f"\n{columns_name}: bias {w[0]:+.3f}, {named}", end="")
    print()


if __name__ == "__main__":
    main()
