"""Two recognizers read the same crops; where their readings differ, each model also scores the
other's text, and the text the two together find likelier wins (pair rescoring). Compared with
each model alone and with the confident pick (the surer model's own reading), McNemar's test on
the same crops.

    python benchmarks/pair_rescore.py --second runs/s42/svtr_fresh9/weights.safetensors \
        data/heldout_ko/test.lmdb data/heldout_ko27/test.lmdb ../shared/data/real-dev --out runs/s42/pair

Each model reads as ``krocr eval`` reads by default (``ko``: beam + Korean LM; the second
model with ``--second-lm``). A model's score of a text is
:meth:`krocr.inference.recognizer.Recognizer.text_confidence` on the logits of the layout that
model chose for the crop; a text scores the product of its two models' scores. The rule has no
parameter; a tie goes to the first model. Writes OUT/<set>.csv per set (each crop's two
readings, the four scores and what each rule picked) and prints one line per set.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paired_compare import fixes_and_breaks, mcnemar

from krocr.commands.bars import ProgressBar
from krocr.data.eval_sets import EvalSet, Unreadable, open_eval_set
from krocr.errors import DataError
from krocr.inference.recognizer import Layout, Reading, Recognizer
from krocr.progress import ProgressHook

CHUNK = 256  # crops prepared at a time, per model


@dataclass(frozen=True)
class PairedCrop:
    """One crop as both models read it, with each model's score of the other's text."""

    item: str
    truth: str
    kind: str
    tags: str
    first: Reading
    second: Reading
    first_of_second: float  # the first model's score of the second's text
    second_of_first: float  # the second model's score of the first's text

    @property
    def confident_pick(self) -> str:
        """The reading of the model surer of its own text (a tie: the first)."""
        return self.second.text if self.second.confidence > self.first.confidence else self.first.text

    @property
    def rescored(self) -> str:
        """The text whose two scores multiply to more (a tie: the first model's)."""
        first_score = self.first.confidence * self.second_of_first
        second_score = self.second.confidence * self.first_of_second
        return self.second.text if second_score > first_score else self.first.text


def read_with_logits(recognizer: Recognizer, layouts: list[list[Layout]]) -> tuple[list[np.ndarray], list[Reading]]:
    """Each crop's chosen-layout logits and its reading by ``recognizer``'s decoder."""
    rows, greedy = recognizer.choose_layouts(layouts)
    return rows, recognizer.finish(rows, greedy)


def pair_set(
    first: Recognizer, second: Recognizer, eval_set: EvalSet, progress: ProgressHook, limit: int | None = None
) -> tuple[list[PairedCrop], list[Unreadable]]:
    """Both models' readings of every crop both can prepare (the first ``limit``), with their
    cross scores.

    Returns:
        The paired crops in set order, and the crops left out (the set's own unreadable ones,
        and those either model refused), each with its reason.
    """
    crops: list[PairedCrop] = []
    left_out = list(eval_set.unreadable)
    total = len(eval_set.samples[:limit])
    progress.start("pair", total)
    for start in range(0, total, CHUNK):
        indices, first_layouts, second_layouts = [], [], []
        for i in range(start, min(start + CHUNK, total)):
            image = eval_set.load(i)
            try:
                layouts = first.prepare_layouts(image), second.prepare_layouts(image)
            except DataError as exc:
                left_out.append(Unreadable(eval_set.samples[i].item, str(exc)))
                continue
            indices.append(i)
            first_layouts.append(layouts[0])
            second_layouts.append(layouts[1])
        first_rows, first_readings = read_with_logits(first, first_layouts)
        second_rows, second_readings = read_with_logits(second, second_layouts)
        for i, row_a, a, row_b, b in zip(indices, first_rows, first_readings, second_rows, second_readings):
            sample = eval_set.samples[i]
            crops.append(
                PairedCrop(
                    sample.item,
                    sample.truth,
                    sample.kind,
                    ",".join(sample.tags),
                    a,
                    b,
                    first.text_confidence(row_a, b.text),
                    second.text_confidence(row_b, a.text),
                )
            )
        progress.advance(min(CHUNK, total - start))
    return crops, left_out


def write_csv(crops: list[PairedCrop], path: Path) -> None:
    """One row per crop: truth, both readings, the four scores and each rule's pick."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["item", "kind", "tags", "truth", "first", "first_conf", "second", "second_conf",
             "first_of_second", "second_of_first", "confident_pick", "rescored"]
        )  # fmt: skip
        for c in crops:
            writer.writerow(
                [c.item, c.kind, c.tags, c.truth, c.first.text, f"{c.first.confidence:.4f}", c.second.text,
                 f"{c.second.confidence:.4f}", f"{c.first_of_second:.4f}", f"{c.second_of_first:.4f}",
                 c.confident_pick, c.rescored]
            )  # fmt: skip


def summary(name: str, crops: list[PairedCrop]) -> str:
    """One line: each model, the confident pick and the rescoring, with McNemar of the
    rescoring against the first model and against the confident pick."""
    right = {
        "first": [c.first.text == c.truth for c in crops],
        "second": [c.second.text == c.truth for c in crops],
        "pick": [c.confident_pick == c.truth for c in crops],
        "rescored": [c.rescored == c.truth for c in crops],
    }
    n = len(crops)
    shares = "  ".join(f"{k} {sum(v) / n:.2%}" for k, v in right.items())
    tests = []
    for other in ("first", "pick"):
        fixed, broken = fixes_and_breaks(right[other], right["rescored"])
        tests.append(f"vs {other} +{fixed}/−{broken} p {mcnemar(fixed, broken)[1]:.3g}")
    either = sum(a or b for a, b in zip(right["first"], right["second"])) / n
    return f"{name} ({n} crops): {shares}  either {either:.2%} · rescored {' · '.join(tests)}"


def set_name(path: Path) -> str:
    """A short name for a set: the directory an LMDB lies in, else the path's own name."""
    return path.parent.name if path.suffix == ".lmdb" else path.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", type=Path, nargs="+", help="eval sets (LMDBs, dataset directories, real-dev)")
    parser.add_argument("--first", default="ko", help="the first model's weights (default: the shipped ko)")
    parser.add_argument("--second", required=True, help="the second model's weights")
    parser.add_argument("--second-lm", default="ko", help="the second model's language model ('none': greedy)")
    parser.add_argument("--out", type=Path, required=True, help="directory for the per-crop CSVs")
    parser.add_argument("--limit", type=int, help="the first N crops of each set (a quick check)")
    args = parser.parse_args()
    first = Recognizer(args.first)
    second = Recognizer(args.second, language_model=None if args.second_lm == "none" else args.second_lm)
    for path in args.sets:
        with ProgressBar() as bar:
            crops, left_out = pair_set(first, second, open_eval_set(path), bar, args.limit)
        write_csv(crops, args.out / f"{set_name(path)}.csv")
        print(summary(set_name(path), crops), flush=True)
        for crop in left_out:
            print(f"  left out {crop.item}: {crop.error}")


if __name__ == "__main__":
    main()
