"""Lightning callbacks that keep a run's record: :class:`RunFiles` writes the files that
describe the run when it starts (config, charset, environment, transfer table), and
:class:`TrainingCurves` records every completed epoch into ``history.csv`` and the loss and
curve plots of :mod:`krocr.analysis.plots`, keeping that history in the checkpoints so a
resumed run continues its curves.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import lightning.pytorch as pl

from krocr.analysis.plots import (
    LOGGED_METRICS,
    History,
    plot_curves,
    plot_loss,
    write_history,
)
from krocr.analysis.runs import HISTORY_FILE


class RunFiles(pl.Callback):
    """Writes the run's record files once, from the global-zero process, when fitting
    starts (under DDP every rank runs the command; the rank is known only then)."""

    def __init__(self, files: dict[Path, str]):
        self.files = files

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if trainer.is_global_zero:
            for path, text in self.files.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")


class TrainingCurves(pl.Callback):
    """Records every completed epoch and redraws ``loss.png``; draws ``curves.png`` at the end."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.history: History = []

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = trainer.callback_metrics
        row = {"epoch": float(trainer.current_epoch)}
        row.update(
            {column: float(metrics[name]) if name in metrics else math.nan for column, name in LOGGED_METRICS.items()}
        )
        row["lr"] = float(trainer.optimizers[0].param_groups[0]["lr"])
        self.history.append(row)
        if trainer.is_global_zero:
            write_history(self.history, self.directory / HISTORY_FILE)
            plot_loss(self.history, self.directory / "loss.png")

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.is_global_zero and self.history:
            plot_curves(self.history, self.directory / "curves.png")

    def state_dict(self) -> dict[str, Any]:
        return {"history": [dict(row) for row in self.history]}  # floats only: loads with weights_only

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = [dict(row) for row in state_dict["history"]]
