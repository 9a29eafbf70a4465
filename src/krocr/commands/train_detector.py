"""``krocr train-detector CONFIG.yaml [key=value …]``: train the text detector.

Prints what the run trains on (photos, dropped or don't-care annotations, parameters)
before the first step, a progress bar per epoch while it trains (on a terminal), and the
best epoch's validation at the end. The run's files are listed in
:mod:`krocr.training.detector_run`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rich.console import Console
from rich.table import Table

from krocr.commands.bars import ProgressBar
from krocr.training.detector_run import DetectorSetup, load_detector_experiment, train_detector

RESULT_COLUMNS = ("val_hmean", "val_precision", "val_recall", "loss")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="detector YAML (see configs/detector.yaml and docs/detection.md)")
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="config overrides, values in YAML: optim.lr=5e-4 data.train_dirs=[data/scenes]",
    )
    parser.add_argument("--run-dir", type=Path, help="where the run is written (default runs/<train.name>)")
    parser.add_argument("--accelerator", default="auto", help="Lightning accelerator: auto, cpu or gpu")


def run(args: argparse.Namespace) -> int:
    config = load_detector_experiment(args.config, args.overrides)
    run_dir = args.run_dir or Path("runs") / str(config.train.name)
    with ProgressBar(log_lines=False) as bar:  # off a terminal, the trainer's own log lines report
        result = train_detector(config, run_dir, progress=bar, on_setup=show_setup, accelerator=args.accelerator)
    table = Table()
    for column in RESULT_COLUMNS:
        table.add_column(column, justify="right")
    table.add_row(*(f"{result.best.get(column, math.nan):.4f}" for column in RESULT_COLUMNS))
    console = Console(markup=False, emoji=False, soft_wrap=True)
    console.print(f"{result.run_dir}: best epoch {result.best_epoch} of {result.epochs}")
    console.print(table)
    console.print(f"weights: {result.weights}")
    return 0


def show_setup(setup: DetectorSetup) -> None:
    console = Console(markup=False, emoji=False, soft_wrap=True)
    console.print(
        f"train: {setup.train_images:,} photos, val: {setup.val_images:,} photos; "
        f"detector: {setup.parameters / 1e6:.2f} M parameters"
    )
    if len(setup.rejections):
        console.print(setup.rejections.table("annotations dropped or kept as don't-care"))
