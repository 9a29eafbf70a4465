"""Training progress as plain log lines, for runs whose output is not a terminal.

A live progress bar redraws one line in place, which only a terminal shows: under ``nohup``,
in CI or through a pipe the rich bar prints nothing until the run ends. :class:`LogLineProgress`
takes its place there and writes one line every ``interval_s`` seconds of training (position
in the epoch, samples/s and time left in the epoch — both over training time, so validation
inside the epoch does not slow them — and the progress-bar metrics) and one line per
validation with every ``val_*`` metric, so that ``tail -f run.log`` answers "how far, how
fast, how good".
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ProgressBar, RichProgressBar


class LogLineProgress(ProgressBar):
    def __init__(self, interval_s: float = 60.0, stream: TextIO | None = None) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._stream = stream
        self._enabled = True
        self._epoch_start = 0.0
        self._last_line = 0.0
        self._samples = 0
        self._validation_start = 0.0
        self._validation_s = 0.0  # spent validating in this epoch: not training time

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def _write(self, line: str) -> None:
        if self._enabled and self.trainer.is_global_zero:
            print(line, file=self._stream or sys.stderr, flush=True)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._epoch_start = self._last_line = time.monotonic()
        self._samples = 0
        self._validation_s = 0.0

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self._samples += len(batch)
        now = time.monotonic()
        if now - self._last_line < self.interval_s:
            return
        self._last_line = now
        done, total = batch_idx + 1, self.total_train_batches
        elapsed = max(now - self._epoch_start - self._validation_s, 1e-9)
        position = f"{done:,} batches"
        if isinstance(total, int) and total > 0:
            left = (total - done) * elapsed / done
            position = f"{done:,}/{total:,} batches ({100 * done / total:.0f} %), {_duration(left)} left in the epoch"
        metrics = {k: v for k, v in self.get_metrics(trainer, pl_module).items() if k != "v_num"}
        self._write(
            f"epoch {trainer.current_epoch} · {position} · {self._samples / elapsed:,.0f} samples/s"
            + _metrics_text(metrics)
        )

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._validation_start = time.monotonic()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self._validation_s += time.monotonic() - self._validation_start
        metrics = {k: v for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
        self._write(f"epoch {trainer.current_epoch} · validated" + _metrics_text(metrics))


def progress_bar(interval_s: float = 60.0) -> ProgressBar:
    """The rich bar (with ETA) on a terminal, log lines anywhere else."""
    return RichProgressBar() if sys.stdout.isatty() else LogLineProgress(interval_s)


def _metrics_text(metrics: dict[str, Any]) -> str:
    parts = [f"{name} {float(value):.4g}" for name, value in sorted(metrics.items())]
    return " · " + " ".join(parts) if parts else ""


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
