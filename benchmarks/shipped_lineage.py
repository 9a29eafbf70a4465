"""The shipped Korean model's whole training run as one curve: every version of
``src/krocr/weights/ko_crnn.safetensors`` that was ever committed reads the same held-out
set, plotted against the CPU-minutes of training behind it.

    python benchmarks/shipped_lineage.py --heldout data/heldout_ko/test.lmdb

Each version continued the one before it (docs/models.md has every command), so the curve is
one long run cut into sessions. Weights come from git history (every commit that changed the
file, ``git show COMMIT:PATH``), so the script needs a clone with history. Writes ``runs/lineage/lineage.csv``,
``docs/images/shipped_lineage.png`` and a section of docs/experiments/results.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DOCS, save_figure, write_records, write_section

from krocr.analysis.evaluation import predict
from krocr.analysis.metrics import compute_metrics
from krocr.data.eval_sets import EvalSet, open_eval_set
from krocr.inference.recognizer import Recognizer

REPO = DOCS.parent
WEIGHTS = "src/krocr/weights/ko_crnn.safetensors"
# the handwriting face no training face resembles (docs/benchmarks.md): reported apart too
HANDWRITING_DESIGN = "UnPilgi"


# CPU-minutes of training behind each shipped version, all sessions together (docs/models.md);
# one entry per commit that changed WEIGHTS, oldest first. Shipping a new version adds its entry.
# v9 was trained but never shipped, so the commits skip from v8 to v10. A commit that only
# re-fitted a version's confidence calibration (same tensors) repeats its name and minutes.
SHIPPED: tuple[tuple[str, int], ...] = (
    ("v0", 60),
    ("v1", 135),
    ("v2", 235),
    ("v3", 295),
    ("v4", 340),
    ("v5", 385),
    ("v6", 430),
    ("v7", 515),
    ("v8", 590),
    ("v10", 670),
    ("v10", 670),  # 2026-12-05: temperature refitted on held-out-design renders (1.33)
    ("v10", 670),  # 2026-12-05: mean-frame Platt calibration on the same renders
    ("v14", 826),  # v10 + v13's 90 min + 66 min on the render with wide spaces and `|`
)


@dataclass(frozen=True)
class Version:
    name: str
    commit: str  # the commit that shipped it
    cpu_minutes: int


def git(*args: str, text: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=text, check=False)


def shipped_versions() -> list[Version]:
    """Every shipped version of WEIGHTS, oldest first, named as docs/models.md does (each at
    the commit that first shipped it)."""
    shallow = git("rev-parse", "--is-shallow-repository")
    if shallow.returncode != 0 or shallow.stdout.strip() != "false":
        raise SystemExit(f"{REPO} is not a git clone with full history: {shallow.stderr.strip()}")
    log = git("log", "--reverse", "--format=%h", "--", WEIGHTS)
    commits = log.stdout.split()
    if len(commits) != len(SHIPPED):
        raise SystemExit(
            f"{WEIGHTS} has {len(commits)} committed versions but SHIPPED lists {len(SHIPPED)}: "
            "add the new version's name and CPU-minutes (docs/models.md)"
        )
    first: dict[str, Version] = {}  # a recalibration keeps the commit that shipped the version
    for commit, (name, minutes) in zip(commits, SHIPPED):
        first.setdefault(name, Version(name, commit, minutes))
    return list(first.values())


@dataclass(frozen=True)
class LineageRow:
    version: str
    commit: str
    cpu_minutes: int
    word_accuracy: float
    cer: float
    word_accuracy_without_handwriting: float


def weights_at(commit: str, folder: Path) -> Path:
    """The Korean weights file as committed in ``commit``, written into ``folder``."""
    blob = git("show", f"{commit}:{WEIGHTS}", text=False)
    if blob.returncode != 0:
        raise SystemExit(
            f"git show {commit}:{WEIGHTS} failed (a clone without history?): "
            f"{blob.stderr.decode(errors='replace').strip()}"
        )
    path = folder / f"ko_crnn_{commit}.safetensors"
    path.write_bytes(blob.stdout)
    return path


def measure(version: Version, weights: Path, eval_set: EvalSet) -> LineageRow:
    # crops as they are: the lineage compares the weights, not the reader's layouts
    evaluation = predict(Recognizer(weights, stretch_condensed=False), eval_set)
    everything = compute_metrics(
        [p.sample.truth for p in evaluation.predictions], [p.reading.text for p in evaluation.predictions]
    )
    # a synthetic crop's source is "synth-ko-heldout/DESIGN"
    printed = [p for p in evaluation.predictions if p.sample.source.rpartition("/")[2] != HANDWRITING_DESIGN]
    without = compute_metrics([p.sample.truth for p in printed], [p.reading.text for p in printed])
    row = LineageRow(
        version.name,
        version.commit,
        version.cpu_minutes,
        everything.word_accuracy,
        everything.cer,
        without.word_accuracy,
    )
    print(row, flush=True)
    return row


def plot(rows: list[LineageRow], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [r.cpu_minutes for r in rows]
    fig, (acc_ax, cer_ax) = plt.subplots(1, 2, figsize=(11, 4))
    acc_ax.plot(minutes, [100 * r.word_accuracy for r in rows], marker="o", label="all five held-out faces")
    acc_ax.plot(
        minutes,
        [100 * r.word_accuracy_without_handwriting for r in rows],
        marker="o",
        label=f"without {HANDWRITING_DESIGN} (handwriting)",
    )
    cer_ax.plot(minutes, [100 * r.cer for r in rows], marker="o", color="C3")
    for r in rows:
        acc_ax.annotate(
            r.version,
            (r.cpu_minutes, 100 * r.word_accuracy),
            textcoords="offset points",
            xytext=(0, -14),
            ha="center",
            fontsize=8,
        )
    # the minutes are the training machines': 2 Xeon cores in bf16 up to v6, 2 AVX2 EPYC cores
    # in fp32 for v7 (about 10× fewer samples per minute), 2 EPYC cores in bf16 for v8 (docs/models.md)
    minutes_label = "minutes of training on 2 CPU cores\n(Xeon bf16 to v6, EPYC fp32 v7, EPYC bf16 v8)"
    acc_ax.set(xlabel=minutes_label, ylabel="held-out word accuracy (%)", title="Shipped Korean model: word accuracy")
    cer_ax.set(xlabel=minutes_label, ylabel="held-out CER (%)", title="Character error rate")
    acc_ax.margins(y=0.12)  # room for the version labels under the lowest point
    acc_ax.legend()
    save_figure(fig, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", type=Path, required=True, help="held-out-font LMDB or dataset dir")
    parser.add_argument("--out", type=Path, default=Path("runs/lineage"))
    args = parser.parse_args()
    eval_set = open_eval_set(args.heldout)
    with tempfile.TemporaryDirectory() as folder:
        rows = [measure(v, weights_at(v.commit, Path(folder)), eval_set) for v in shipped_versions()]
    write_records(args.out / "lineage.csv", LineageRow, rows)
    image = DOCS / "images" / "shipped_lineage.png"
    plot(rows, image)
    table = [
        "| version | commit | CPU-minutes | word accuracy | CER | without the handwriting face |",
        "|---|---|---|---|---|---|",
    ]
    table += [
        f"| {r.version} | {r.commit} | {r.cpu_minutes} | {r.word_accuracy:.1%} | {r.cer:.1%} | "
        f"{r.word_accuracy_without_handwriting:.1%} |"
        for r in rows
    ]
    body = f"![shipped lineage](../images/{image.name})\n\n" + "\n".join(table)
    write_section(
        "shipped-lineage", "The shipped Korean model, every version", body, doc=DOCS / "experiments" / "results.md"
    )


if __name__ == "__main__":
    main()
