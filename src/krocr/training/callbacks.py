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
    VALIDATED,
    History,
    plot_curves,
    plot_loss,
    write_history,
    write_validations,
)
from krocr.analysis.runs import HISTORY_FILE, VALIDATIONS_FILE


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
    """Records every completed epoch and redraws ``loss.png``, records every validation; draws
    ``curves.png`` at the end."""

    def __init__(self, directory: str | Path, monitor: str = "val_loss"):
        self.directory = Path(directory)
        self.monitor = monitor  # marks the best epoch or validation in curves.png
        self.history: History = []
        self.validations: History = []

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        per_epoch = trainer.num_training_batches  # optimizer steps per epoch (no accumulation)
        row = {
            "epochs_trained": trainer.global_step / per_epoch if math.isfinite(per_epoch) and per_epoch else math.nan,
            "step": float(trainer.global_step),
        }
        row.update({column: float(metrics[column]) if column in metrics else math.nan for column in VALIDATED})
        row["lr"] = float(trainer.optimizers[0].param_groups[0]["lr"])
        self.validations.append(row)
        if trainer.is_global_zero:
            write_validations(self.validations, self.directory / VALIDATIONS_FILE)

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
            plot_curves(self.history, self.directory / "curves.png", self.validations, self.monitor)

    def state_dict(self) -> dict[str, Any]:
        # floats only: loads with weights_only
        return {"history": [dict(row) for row in self.history], "validations": [dict(row) for row in self.validations]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = [dict(row) for row in state_dict["history"]]
        self.validations = [dict(row) for row in state_dict.get("validations", [])]  # none in older checkpoints
