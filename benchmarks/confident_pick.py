"""Two recognizers on the same crops, each crop taken from the one more confident of it: does
the pair read more than the better model alone? Both models' confidences must be calibrated on
the same fit set (``krocr calibrate``), so that they are comparable probabilities of being right.

    python benchmarks/confident_pick.py runs/s31/base_real runs/s34/svtr_long2/real

Each argument is a `krocr eval` output directory (its predictions.csv) over the same crops.
Prints A, B, the confident pick and the oracle (a crop counts when either model reads it), and
McNemar's test of the pick against the better of A and B. A tie of confidences goes to A.
The rule has no parameter, so nothing is fitted on the set it is measured on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paired_compare import fixes_and_breaks, mcnemar, read_column, read_correct


def confident_pick(a_dir: Path, b_dir: Path) -> tuple[dict[str, bool], dict[str, bool], dict[str, bool]]:
    """Per crop: read right by A, by B, and by whichever of the two is more confident of it.

    Args:
        a_dir, b_dir: ``krocr eval`` output directories over the same crops.

    Returns:
        item → right, for A, B and the confident pick.
    """
    right_a, right_b = read_correct(a_dir), read_correct(b_dir)
    if not right_a:
        raise SystemExit(f"{a_dir}/predictions.csv has no crops")
    if right_a.keys() != right_b.keys():
        missing = sorted(right_a.keys() ^ right_b.keys())
        raise SystemExit(f"{a_dir} and {b_dir} read different crops, e.g. {missing[0]} ({len(missing)} differ)")
    conf_a, conf_b = read_column(a_dir, "confidence"), read_column(b_dir, "confidence")
    pick = {item: right_b[item] if float(conf_b[item]) > float(conf_a[item]) else right_a[item] for item in right_a}
    return right_a, right_b, pick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path, help="krocr eval output directory of model A")
    parser.add_argument("b", type=Path, help="krocr eval output directory of model B (same crops)")
    args = parser.parse_args()
    right_a, right_b, pick = confident_pick(args.a, args.b)
    n = len(pick)
    name, better = ("A", right_a) if sum(right_a.values()) >= sum(right_b.values()) else ("B", right_b)
    fixed, broken = fixes_and_breaks([better[i] for i in pick], [pick[i] for i in pick])
    either = sum(right_a[i] or right_b[i] for i in pick)
    print(f"{n} crops · A {args.a} · B {args.b}")
    print(
        f"A {sum(right_a.values()) / n:.2%}  B {sum(right_b.values()) / n:.2%}  "
        f"confident pick {sum(pick.values()) / n:.2%} (against the better, {name}: fixes {fixed}, breaks {broken}; "
        f"McNemar p {mcnemar(fixed, broken)[1]:.3g})  either right {either / n:.2%}"
    )


if __name__ == "__main__":
    main()
