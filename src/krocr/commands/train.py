"""``krocr train CONFIG.yaml [key=value …]``: train a recognizer from a YAML experiment config.

Prints what the run trains on (crops, dropped samples, where each layer's weights come
from) before the first step, and the best epoch's validation at the end. Under DDP every
process runs this command; only the first one prints.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from lightning.pytorch.utilities import rank_zero_only
from rich.console import Console, RenderableType
from rich.table import Table

from krocr.config import load_config
from krocr.errors import ConfigError
from krocr.training.run import TrainResult, TrainSetup, train

RESULT_COLUMNS = ("val_loss", "val_cer", "val_word_accuracy", "val_mean_ned")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="experiment YAML (see configs/ and docs/training.md)")
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="config overrides, values in YAML: optim.lr=1e-4 transfer.freeze=[conv1_1]",
    )
    parser.add_argument("--run-dir", type=Path, help="where the run is written (default runs/<train.name>)")
    parser.add_argument(
        "--resume",
        nargs="?",
        const="",
        default=None,
        metavar="RUN_DIR",
        help="continue from RUN_DIR/checkpoints/last.ckpt (default: the run dir); "
        "a run dir that has last.ckpt is resumed even without this flag",
    )
    parser.add_argument("--devices", type=int, default=1, help="processes (CPU) or GPUs per node")
    parser.add_argument("--num-nodes", type=int, default=1)
    parser.add_argument("--strategy", default="auto", help="Lightning strategy, e.g. ddp (gloo on CPU)")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, args.overrides)
    run_dir = args.run_dir or Path("runs") / str(config.train.name)
    if args.resume:
        if args.run_dir and Path(args.resume) != args.run_dir:
            raise ConfigError(f"--resume {args.resume} and --run-dir {args.run_dir} name different runs")
        run_dir = Path(args.resume)
    result = train(
        config,
        run_dir,
        resume=args.resume is not None,
        devices=args.devices,
        num_nodes=args.num_nodes,
        strategy=args.strategy,
        on_setup=show_setup,
    )
    _show(result_table(result))
    return 0


def show_setup(setup: TrainSetup) -> None:
    """The crops a run trains on, the samples its datasets dropped, and its layers."""
    tables = [log.table(f"{split}: samples dropped") for split, log in setup.rejections.items()]
    _show(
        f"train: {setup.train_crops:,} crops, val: {setup.val_crops:,} crops from {', '.join(setup.data_dirs)}",
        *tables,
        setup.layers.rich(),
    )


def result_table(result: TrainResult) -> Table:
    """The best epoch's validation, and whether early stopping ended the run."""
    stopped = f"early stopping at epoch {result.stopped_epoch}" if result.stopped_epoch else "ran all epochs"
    table = Table(title=f"{result.run_dir}: best epoch {result.best_epoch} ({stopped})")
    for column in RESULT_COLUMNS:
        table.add_column(column, justify="right")
    table.add_row(*(f"{result.best.get(column, math.nan):.4f}" for column in RESULT_COLUMNS))
    return table


@rank_zero_only
def _show(*renderables: RenderableType) -> None:
    """Print once, from the first process (DDP ranks run this command too)."""
    console = Console(markup=False, emoji=False)
    for renderable in renderables:
        console.print(renderable)
