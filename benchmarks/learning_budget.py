"""Fixed-budget learning benchmark: how well does each recipe read held-out fonts after
N minutes of training on this machine?

Every variant trains from the same base config and data for the same budget of training
time (evaluation time excluded): on a CPU the CPU time of the training steps (loading and
augmenting the batches, in worker processes, not counted), so that variants run side by
side, or beside other work, are not charged for each other's work; on a GPU the wall clock.
Every ``--eval-every`` minutes its current weights read a Korean test set rendered with
fonts no variant trains on and, with ``--real`` (by default ``../shared/data/real-dev``
when it is there), the real evaluation set. Writes

* ``runs/budget/<variant>/`` — the ordinary training run, plus ``budget.csv``;
* ``runs/budget/budget.csv`` and ``docs/images/learning_budget.png`` — all variants;
* a section of ``docs/experiments/results.md`` with the table at each evaluation point.

    python benchmarks/learning_budget.py --minutes 10 --eval-every 2 \\
        --heldout data/heldout_ko/test.lmdb --variants syllable jamo

Variants run by separate invocations with the same settings share the table and the figure;
give each the same ``OMP_NUM_THREADS`` (CPU time spread over more threads buys less per
second on a shared machine).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import lightning.pytorch as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DOCS, save_figure, write_records, write_section

from krocr.analysis.evaluation import predict
from krocr.analysis.metrics import RecognitionMetrics, compute_metrics
from krocr.config import load_config
from krocr.data.eval_sets import open_eval_set
from krocr.inference.recognizer import Recognizer
from krocr.model.weights import save_weights
from krocr.training.run import train
from krocr.training.system import RecognizerModule

ENGLISH = "transfer.pretrained=en"
JAMO = "charset.tokenizer=jamo"
# what configs/budget_ko.yaml sets for a budget run, applied to the ksign configs too
BUDGET_SETTINGS = (
    "data.dirs=[data/synth_ko]",
    "data.num_workers=1",
    "train.limit_val_batches=4",
    "train.log_every_n_steps=20",
    "train.checkpoint_every_epoch=false",
)


@dataclass(frozen=True)
class Variant:
    overrides: tuple[str, ...]
    config: Path | None = None  # None: --config, the budget base; else a shipped config + BUDGET_SETTINGS


VARIANTS: dict[str, Variant] = {
    "syllable": Variant(()),
    "jamo": Variant((JAMO,)),
    # slim vs reference size: no English weights exist for the reference size, so both start
    # from scratch, with eps 1e-8 (with Keras' 1e-3 scratch runs are still blank at 6 minutes)
    "jamo-adam-eps": Variant((JAMO, "optim.eps=1e-8")),
    "jamo-reference-size-adam-eps": Variant((JAMO, "model.variant=reference", "optim.eps=1e-8")),
    "jamo-english-init": Variant((JAMO, ENGLISH)),
    "syllable-english-init": Variant((ENGLISH,)),
    "jamo-english-init-plain-ctc": Variant((JAMO, ENGLISH, "loss.alpha=1", "loss.gamma=0")),
    "jamo-english-init-frozen": Variant((JAMO, ENGLISH, "transfer.freeze=[conv1_1,conv2_1,conv3_1,conv3_2,conv4_1]")),
    "jamo-english-init-adam-eps": Variant((JAMO, ENGLISH, "optim.eps=1e-8")),  # PyTorch's default, not Keras' 1e-3
    "jamo-english-init-adam-eps-batch32": Variant((JAMO, ENGLISH, "optim.eps=1e-8", "data.batch_size=32")),
    "jamo-english-init-constant": Variant((JAMO, ENGLISH, "optim.schedule=constant")),
    "jamo-english-init-cosine": Variant((JAMO, ENGLISH, "optim.schedule=cosine", "optim.warmup_steps=100")),
    "jamo-english-init-one-cycle": Variant((JAMO, ENGLISH, "optim.schedule=one_cycle")),
    "jamo-english-init-batch32": Variant((JAMO, ENGLISH, "data.batch_size=32")),
    "jamo-english-init-curriculum": Variant((JAMO, ENGLISH, "data.curriculum_samples=30000")),
    "jamo-english-init-natural": Variant((JAMO, ENGLISH, "data.width_mode=natural")),
    # the shipped Korean model's recipe (configs/ko_crnn.yaml), as it is
    "ko-crnn": Variant((), Path("configs/ko_crnn.yaml")),
    # … with slant, stroke-width and elastic distortions of the lettering (handwriting faces)
    "ko-crnn-distort": Variant(("augment.preset=distort",), Path("configs/ko_crnn.yaml")),
    # … with the lettering distortions but no second blur/noise/JPEG on the already degraded renders
    "ko-crnn-lettering": Variant(("augment.preset=lettering",), Path("configs/ko_crnn.yaml")),
    # … with twice the RNN units (256 per direction, ~9 % slower per sample); from slim-128 weights
    # the RNNs are widened (transfer.widen_rnn), the new units starting silent
    "ko-crnn-distort-rnn256": Variant(
        ("augment.preset=distort", "model.rnn_units=256", "transfer.widen_rnn=true"), Path("configs/ko_crnn.yaml")
    ),
    # … reading 48 px high (issue #28's "CRNN at 48 px"), the 32-px English weights transferred;
    # data.width keeps the recipe's 4:1 minimum
    "ko-crnn-48": Variant(
        ("model.input_height=48", "data.width=192", "data.max_width=3072"), Path("configs/ko_crnn.yaml")
    ),
    # … from scratch, as the SVTR starts: the architectures compared without the English head start
    "ko-crnn-scratch": Variant(("transfer.pretrained=null",), Path("configs/ko_crnn.yaml")),
    # … with crop concatenation (PaddleOCR's RecConAug) on 15 % of the crops
    "ko-crnn-concat": Variant(("augment.concat=0.15",), Path("configs/ko_crnn.yaml")),
    # the SVTR-style model (issue #28) from scratch, 48 px high, and the same at the CRNN's 32 px
    "ko-svtr": Variant((), Path("configs/ko_svtr.yaml")),
    "ko-svtr-32": Variant(("model.input_height=32",), Path("configs/ko_svtr.yaml")),
    # … guided by the training-only attention decoder (GTC, model/guide.py), and with its CTC
    # branch on detached features as PaddleOCR does
    "ko-svtr-32-gtc": Variant(("model.input_height=32", "guide.weight=1.0"), Path("configs/ko_svtr.yaml")),
    "ko-svtr-32-gtc-detach": Variant(
        ("model.input_height=32", "guide.weight=1.0", "guide.detach_ctc=true"), Path("configs/ko_svtr.yaml")
    ),
    # the reference's three versions (issue #5 (c)), on the same data and budget
    "ksign-v1": Variant(BUDGET_SETTINGS, Path("configs/ksign_v1.yaml")),
    "ksign-v2": Variant(BUDGET_SETTINGS, Path("configs/ksign_v2.yaml")),
    "ksign-v3": Variant(BUDGET_SETTINGS, Path("configs/ksign_v3.yaml")),
}
DEFAULT_OUT = Path("runs/budget")
REAL_SET = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-dev"


@dataclass
class BudgetRow:
    variant: str
    minutes: float
    samples: int
    word_accuracy: float
    cer: float
    mean_normalized_edit_distance: float
    real_word_accuracy: float = float("nan")  # on --real; NaN when not measured
    real_cer: float = float("nan")
    clock: str = "cpu"  # what "minutes" counts: the training step's CPU time, or "wall" (before 2026-12-05, GPUs)


class TrainingBudget(pl.Callback):
    """Counts training time (validation and these evaluations excluded), reads the held-out
    set every ``every`` minutes and stops the run after ``minutes``. Time is the training
    steps' CPU time on a CPU (the issue's "CPU-minutes": fair between runs that share the machine)
    and the wall clock on a GPU (the host mostly waits there)."""

    def __init__(
        self, variant: str, minutes: float, every: float, heldout: Path, snapshots: Path, real: Path | None = None
    ):
        self.variant, self.budget, self.every = variant, minutes * 60, every * 60
        self.heldout, self.snapshots, self.real = heldout, snapshots, real
        self.rows: list[BudgetRow] = []
        self.clock = 0.0
        self.samples = 0
        self.next_eval = self.every
        self._tick: float | None = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._tick = _now(pl_module)

    def on_train_batch_end(self, trainer, pl_module: RecognizerModule, outputs, batch, batch_idx) -> None:
        self.clock += _now(pl_module) - (self._tick or _now(pl_module))
        self.samples += len(batch) * trainer.world_size
        done = self.clock >= self.budget
        if self.clock >= self.next_eval or done:
            self.rows.append(self.evaluate(pl_module))
            self.next_eval += self.every
        if done:
            trainer.should_stop = True

    def evaluate(self, module: RecognizerModule) -> BudgetRow:
        weights = self.snapshots / f"minute{self.clock / 60:06.2f}.safetensors"
        save_weights(weights, module.model, module.charset, module.trainer.datamodule.train_set.preprocess)
        # read as the variant trained: squeezed to the input width, or at natural width
        width_mode = module.trainer.datamodule.train_set.preprocess.width_mode
        reader = Recognizer(weights, width_mode=width_mode)
        metrics = _read(reader, self.heldout)
        real = _read(reader, self.real) if self.real else None
        module.model.train()
        row = BudgetRow(
            self.variant,
            round(self.clock / 60, 2),
            self.samples,
            metrics.word_accuracy,
            metrics.cer,
            metrics.mean_normalized_edit_distance,
            real.word_accuracy if real else float("nan"),
            real.cer if real else float("nan"),
            _clock(module),
        )
        print(f"[budget] {row}", flush=True)
        return row


def _clock(module: pl.LightningModule) -> str:
    """What the budget counts where ``module`` trains: CPU time on a CPU, else the wall clock."""
    return "cpu" if module.device.type == "cpu" else "wall"


def _now(module: pl.LightningModule) -> float:
    return time.process_time() if _clock(module) == "cpu" else time.monotonic()


def _read(reader: Recognizer, data: Path) -> RecognitionMetrics:
    evaluation = predict(reader, open_eval_set(data))
    return compute_metrics(
        [p.sample.truth for p in evaluation.predictions], [p.reading.text for p in evaluation.predictions]
    )


def run_variant(name: str, args: argparse.Namespace) -> list[BudgetRow]:
    # cosine / one-cycle need a horizon: the steps the budget covers at the measured training rate
    variant = VARIANTS[name]
    path = variant.config or args.config
    config = load_config(path, [*variant.overrides, *args.override])
    horizon = round(args.minutes * 60 * args.samples_per_second / config.data.batch_size)
    overrides = [
        *variant.overrides,
        f"optim.total_steps={horizon}",
        "train.epochs=1000",
        "train.patience=1000",
        *args.override,
    ]
    config = load_config(path, overrides)
    run_dir = args.out / name
    budget = TrainingBudget(name, args.minutes, args.eval_every, args.heldout, run_dir / "snapshots", args.real)
    train(config, run_dir, callbacks=[budget])
    write_records(run_dir / "budget.csv", BudgetRow, budget.rows)
    return budget.rows


def read_rows(out: Path) -> list[BudgetRow]:
    """The rows of every variant run so far under ``out``, in VARIANTS order."""
    rows = []
    for name in VARIANTS:
        path = out / name / "budget.csv"
        if path.exists():
            with path.open(encoding="utf-8") as f:
                rows += [
                    BudgetRow(
                        r["variant"],
                        float(r["minutes"]),
                        int(r["samples"]),
                        float(r["word_accuracy"]),
                        float(r["cer"]),
                        float(r["mean_normalized_edit_distance"]),
                        float(r.get("real_word_accuracy") or "nan"),  # older runs measured no real set
                        float(r.get("real_cer") or "nan"),
                        r.get("clock") or "wall",  # runs before 2026-12-05 counted the wall clock
                    )
                    for r in csv.DictReader(f)
                ]
    return rows


def plot(rows: list[BudgetRow], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (acc_ax, cer_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for variant in dict.fromkeys(r.variant for r in rows):
        mine = [r for r in rows if r.variant == variant]
        acc_ax.plot([r.minutes for r in mine], [100 * r.word_accuracy for r in mine], marker="o", label=variant)
        cer_ax.plot([r.minutes for r in mine], [100 * r.cer for r in mine], marker="o", label=variant)
    clocks = " / ".join(sorted({"CPU" if r.clock == "cpu" else "wall-clock" for r in rows}))
    acc_ax.set(xlabel=f"training minutes ({clocks})", ylabel="held-out word accuracy (%)", title="Word accuracy")
    cer_ax.set(xlabel=f"training minutes ({clocks})", ylabel="held-out CER (%)", title="Character error rate")
    for ax in (acc_ax, cer_ax):
        ax.legend()
    save_figure(fig, out)


def _percent(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/budget_ko.yaml"))
    parser.add_argument("--heldout", type=Path, required=True, help="held-out-font LMDB or dataset dir")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--eval-every", type=float, default=2.0)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--override", nargs="*", default=[], help="extra config overrides for every variant")
    parser.add_argument(
        "--samples-per-second",
        type=float,
        default=140.0,
        help="measured training rate (samples per CPU-second on a CPU, per second on a GPU): sets the horizon "
        "of cosine / one-cycle schedules",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--real",
        type=Path,
        default=REAL_SET if REAL_SET.is_dir() else None,
        help=f"the real evaluation set, read beside --heldout (default: {REAL_SET} when present)",
    )
    args = parser.parse_args()
    for name in args.variants:
        run_variant(name, args)
    rows = read_rows(args.out)  # variants of earlier invocations too: one table, one figure
    write_records(args.out / "budget.csv", BudgetRow, rows)
    # the default --out is the variant comparison; another --out (a long run) gets its own section
    suffix = "" if args.out == DEFAULT_OUT else f"-{args.out.name}"
    image = DOCS / "images" / f"learning_budget{suffix.replace('-', '_')}.png"
    plot(rows, image)
    table = [
        "| variant | minutes (clock) | samples seen | held-out fonts: word accuracy | CER "
        "| real set: word accuracy | CER |",
        "|---|---|---|---|---|---|---|",
    ]
    table += [
        f"| {r.variant} | {r.minutes:.1f} ({r.clock}) | {r.samples:,} | {r.word_accuracy:.1%} | {r.cer:.1%} "
        f"| {_percent(r.real_word_accuracy)} | {_percent(r.real_cer)} |"
        for r in rows
    ]
    body = f"![learning curves](../images/{image.name})\n\n" + "\n".join(table)
    write_section(
        f"learning-budget{suffix}",
        f"Fixed-budget learning{f' ({args.out})' if suffix else ''}",
        body,
        doc=DOCS / "experiments" / "results.md",
    )


if __name__ == "__main__":
    main()
