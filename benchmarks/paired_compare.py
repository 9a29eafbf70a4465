"""Two models on the same crops: which crops each reads that the other misses, and whether
the difference is more than the test set's noise (McNemar's test, continuity-corrected).

    python benchmarks/paired_compare.py runs/ko_eval/heldout_v5 runs/ko_eval/heldout_v6

Each argument is a `krocr eval` output directory (its predictions.csv). The p-value says
only how likely the test set alone would give such a split; it knows nothing of how much
two training runs of one command differ (docs/experiments.md, issue #9's section).
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path


def read_correct(eval_dir: Path) -> dict[str, bool]:
    """item → read exactly, from ``eval_dir/predictions.csv``."""
    with open(eval_dir / "predictions.csv", newline="", encoding="utf-8") as f:
        return {row["item"]: row["truth"] == row["prediction"] for row in csv.DictReader(f)}


def mcnemar(fixed: int, broken: int) -> tuple[float, float]:
    """(χ², p) with one degree of freedom and continuity correction."""
    if fixed + broken == 0:
        return 0.0, 1.0
    chi2 = (abs(fixed - broken) - 1) ** 2 / (fixed + broken)
    return chi2, math.erfc(math.sqrt(chi2 / 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path, help="krocr eval output directory of model A")
    parser.add_argument("after", type=Path, help="krocr eval output directory of model B, same crops")
    args = parser.parse_args()
    before, after = read_correct(args.before), read_correct(args.after)
    if before.keys() != after.keys():
        raise SystemExit(f"{args.before} and {args.after} did not evaluate the same crops")
    fixed = sum(after[item] and not ok for item, ok in before.items())
    broken = sum(ok and not after[item] for item, ok in before.items())
    chi2, p = mcnemar(fixed, broken)
    print(f"A {sum(before.values()) / len(before):.2%}  B {sum(after.values()) / len(after):.2%}  "
          f"B fixes {fixed}, breaks {broken}  McNemar chi2 {chi2:.2f}  p {p:.3g}")


if __name__ == "__main__":
    main()
