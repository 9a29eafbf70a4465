"""Two models on the same crops: which crops each reads that the other misses, and whether
the difference is more than the test set's noise (McNemar's test, continuity-corrected).

    python benchmarks/paired_compare.py runs/ko_eval/heldout_v5 runs/ko_eval/heldout_v6

    python benchmarks/paired_compare.py runs/ko_eval/heldout_v6 runs/ko_eval/heldout_v7 --by kind

Each argument is a `krocr eval` output directory (its predictions.csv). A second line
compares characters: the crops B reads with fewer edits than A and with more, with the
exact two-sided sign test. Two ``krocr eval --photos`` directories (their photo_words.csv)
are compared word by word on each measure: found, read, read joined and read by lines.
``--by kind`` or ``--by source`` adds the word comparison for each text kind or font design;
``--by tag`` for each tag of the real set (a crop with several tags counts under each, a crop
with none under "(no tag)", as ``krocr eval`` names it); ``--by layout`` for each layout B's
readings came from (as is, stretched, …).
The p-values say only how likely the test set alone would give such a split; it knows
nothing of how much two training runs of one command differ (docs/experiments/2026-12-03-hour-fresh-crops.md).
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Iterable
from pathlib import Path

from krocr.analysis.evaluation import UNTAGGED


def read_correct(eval_dir: Path) -> dict[str, bool]:
    """item → read exactly, from ``eval_dir/predictions.csv``."""
    with open(eval_dir / "predictions.csv", newline="", encoding="utf-8") as f:
        return {row["item"]: row["truth"] == row["prediction"] for row in csv.DictReader(f)}


def read_edit_distances(eval_dir: Path) -> dict[str, int]:
    """item → edit distance between truth and prediction, from ``eval_dir/predictions.csv``."""
    return {item: int(value) for item, value in read_column(eval_dir, "edit_distance").items()}


def read_column(eval_dir: Path, column: str) -> dict[str, str]:
    """item → its value in ``column`` of ``eval_dir/predictions.csv`` (e.g. kind, source)."""
    with open(eval_dir / "predictions.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if column not in (reader.fieldnames or []):
            raise SystemExit(f"{eval_dir}/predictions.csv has no column {column!r}")
        return {row["item"]: row[column] for row in reader}


def group_items(eval_dir: Path, column: str) -> dict[str, list[str]]:
    """group → its items, from ``column`` of ``eval_dir/predictions.csv``; the ``tags`` column
    holds comma-separated tags and puts an item under each of them."""
    groups: dict[str, list[str]] = {}
    for item, value in read_column(eval_dir, column).items():
        names = value.split(",") if column == "tags" and value else [value]
        for name in names:
            groups.setdefault(name or (UNTAGGED if column == "tags" else "(none)"), []).append(item)
    return groups


def compare(before: dict[str, bool], after: dict[str, bool], items: list[str]) -> str:
    """One line: both accuracies on ``items``, the crops B fixes and breaks, McNemar's p."""
    fixed, broken = fixes_and_breaks([before[item] for item in items], [after[item] for item in items])
    chi2, p = mcnemar(fixed, broken)
    return (
        f"A {sum(before[i] for i in items) / len(items):.2%}  B {sum(after[i] for i in items) / len(items):.2%}  "
        f"B fixes {fixed}, breaks {broken}  McNemar chi2 {chi2:.2f}  p {p:.3g}"
    )


def sign_test(fewer: int, more: int) -> float:
    """Exact two-sided sign test: p of a split at least this uneven when both sides are equally likely."""
    n = fewer + more
    tail = sum(math.comb(n, k) for k in range(min(fewer, more) + 1)) / 2**n
    return min(1.0, 2 * tail)


def compare_edits(before: dict[str, int], after: dict[str, int]) -> str:
    """One line: total edits of A and B, the crops B reads with fewer and with more edits, sign-test p."""
    fewer = sum(after[item] < distance for item, distance in before.items())
    more = sum(after[item] > distance for item, distance in before.items())
    return (
        f"edits A {sum(before.values())}  B {sum(after.values())}  B fewer on {fewer} crops, more on {more}  "
        f"sign test p {sign_test(fewer, more):.3g}"
    )


def fixes_and_breaks(before: Iterable[bool], after: Iterable[bool]) -> tuple[int, int]:
    """Paired right/wrong of the same crops: (right only after, right only before), McNemar's two counts."""
    pairs = list(zip(before, after, strict=True))
    fixed = sum(right_after and not right_before for right_before, right_after in pairs)
    broken = sum(right_before and not right_after for right_before, right_after in pairs)
    return fixed, broken


def mcnemar(fixed: int, broken: int) -> tuple[float, float]:
    """(χ², p) with one degree of freedom and continuity correction."""
    if fixed + broken == 0:
        return 0.0, 1.0
    chi2 = (abs(fixed - broken) - 1) ** 2 / (fixed + broken)
    return chi2, math.erfc(math.sqrt(chi2 / 2))


PHOTO_MEASURES = ("found", "read", "read_joined", "read_lines")


def read_photo_words(eval_dir: Path) -> dict[str, dict[str, bool]]:
    """measure → (photo#n → outcome) from ``eval_dir/photo_words.csv``: the n-th labelled word
    of each photo, in the annotation's order (a photo may label one text twice)."""
    out: dict[str, dict[str, bool]] = {measure: {} for measure in PHOTO_MEASURES}
    seen: dict[str, int] = {}
    with open(eval_dir / "photo_words.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            n = seen[row["photo"]] = seen.get(row["photo"], -1) + 1
            for measure in PHOTO_MEASURES:
                if measure in row:
                    out[measure][f"{row['photo']}#{n}"] = row[measure] == "1"
    return out


def compare_photos(before_dir: Path, after_dir: Path) -> None:
    """Print the word-by-word comparison of two whole-photo evaluations, one line per measure."""
    before, after = read_photo_words(before_dir), read_photo_words(after_dir)
    for measure in PHOTO_MEASURES:
        if not before[measure] or not after[measure]:
            continue  # an evaluation older than the measure
        if before[measure].keys() != after[measure].keys():
            raise SystemExit(f"{before_dir} and {after_dir} did not evaluate the same photos")
        print(f"{measure:<12} {compare(before[measure], after[measure], list(before[measure]))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path, help="krocr eval output directory of model A")
    parser.add_argument("after", type=Path, help="krocr eval output directory of model B, same crops")
    parser.add_argument(
        "--by",
        choices=("kind", "source", "tag", "layout"),
        help="also compare within each text kind, source, tag, or layout of B's readings",
    )
    args = parser.parse_args()
    if (args.before / "photo_words.csv").is_file() and (args.after / "photo_words.csv").is_file():
        compare_photos(args.before, args.after)
        return
    before, after = read_correct(args.before), read_correct(args.after)
    if before.keys() != after.keys():
        raise SystemExit(f"{args.before} and {args.after} did not evaluate the same crops")
    print(compare(before, after, list(before)))
    print(compare_edits(read_edit_distances(args.before), read_edit_distances(args.after)))
    if args.by:
        groups = group_items(args.after, "tags" if args.by == "tag" else args.by)
        width = max(map(len, groups))
        for group, items in sorted(groups.items()):
            print(f"  {group:<{width}}  {len(items):5d} crops  {compare(before, after, items)}")


if __name__ == "__main__":
    main()
