"""Training progress as plain log lines, for runs whose output is not a terminal.

A live progress bar redraws one line in place, which only a terminal shows: under ``nohup``,
in CI or through a pipe the rich bar prints nothing until the run ends. :class:`LogLineProgress`
takes its place there and writes one line every ``interval_s`` seconds of training (the epoch
out of the run's epochs, position in the epoch, time left in the epoch and in the run,
samples/s, and the progress-bar metrics) and one line per validation with every ``val_*``
metric, so that ``tail -f run.log`` answers "how far, how fast, how good, how long":

    epoch 3/19 · 120/500 batches (24 %), 2 min 10 s left in the epoch, up to 41 min 05 s
    left in the run (16 more epochs) · 1,234 samples/s · loss 0.52      (one line)

Epochs count from 0 as everywhere in a run (``history.csv``, ``weights.003.ckpt``, the rich
bar's "Epoch 3/19"): ``3/19`` is the fourth of 20. Speed and time left in the epoch are over
training time, so validation inside the epoch does not slow them. Time left in the run adds
the epochs after this one at the mean length of the epochs finished in this process
(validation and checkpoints included), or, during the first one, at this epoch's projected
training time plus the validation seen so far; "up to", since early stopping may end the run
sooner.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ProgressBar, RichProgressBar

from krocr.progress import format_duration


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
        self._epoch_s: list[float] = []  # wall time of each whole epoch finished in this process
        self._whole_epoch = True  # this epoch started at its first batch (not resumed mid-epoch)
        self._first_batch = 0  # the first batch this process trained in the epoch

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def _write(self, line: str) -> None:
        if self._enabled and self.trainer.is_global_zero:
            print(line, file=self._stream or sys.stderr, flush=True)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # a run resumed mid-epoch gets no on_train_epoch_start for the epoch it resumes in
        self._epoch_start = self._last_line = time.monotonic()

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._epoch_start = self._last_line = time.monotonic()
        self._samples = 0
        self._validation_s = 0.0
        self._whole_epoch = True

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._whole_epoch:
            self._epoch_s.append(time.monotonic() - self._epoch_start)  # end-of-epoch validation included

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self._samples == 0:  # the first batch of the epoch, or of a run resumed within it
            self._first_batch = batch_idx
            self._whole_epoch = self._whole_epoch and batch_idx == 0
        self._samples += _batch_size(batch)
        now = time.monotonic()
        if now - self._last_line < self.interval_s:
            return
        self._last_line = now
        done, total = batch_idx + 1, self.total_train_batches
        elapsed = max(now - self._epoch_start - self._validation_s, 1e-9)
        position = f"{done:,} batches"
        if isinstance(total, int) and total > 0:
            per_batch = elapsed / (done - self._first_batch)  # over the batches trained here
            left = (total - done) * per_batch
            position = f"{done:,}/{total:,} batches ({100 * done / total:.0f} %)"
            position += f", {format_duration(left)} left in the epoch"
            position += self._run_left(trainer, left, total * per_batch)
        metrics = {k: v for k, v in self.get_metrics(trainer, pl_module).items() if k != "v_num"}
        self._write(
            f"{_epoch(trainer)} · {position} · {self._samples / elapsed:,.0f} samples/s" + _metrics_text(metrics)
        )

    def _run_left(self, trainer: pl.Trainer, epoch_left: float, epoch_training: float) -> str:
        """``, up to … left in the run (N more epochs)`` when the run has a known number of epochs."""
        max_epochs = trainer.max_epochs
        if max_epochs is None or max_epochs < 0:
            return ""
        after = max_epochs - 1 - trainer.current_epoch
        if after <= 0:
            return ", the last epoch"
        per_epoch = sum(self._epoch_s) / len(self._epoch_s) if self._epoch_s else epoch_training + self._validation_s
        run_left = epoch_left + after * per_epoch
        return f", up to {format_duration(run_left)} left in the run ({after} more epoch{'s' if after > 1 else ''})"

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._validation_start = time.monotonic()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self._validation_s += time.monotonic() - self._validation_start
        metrics = {k: v for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
        self._write(f"{_epoch(trainer)} · validated" + _metrics_text(metrics))


def _batch_size(batch: Any) -> int:
    """Samples in a batch: a recognizer's Batch has a length; a detector's is a dict of
    tensors, each with one row per photo."""
    if isinstance(batch, dict):
        return len(next(iter(batch.values()))) if batch else 0
    return len(batch)


def progress_bar(interval_s: float = 60.0) -> ProgressBar:
    """The rich bar (with ETA) on a terminal, log lines anywhere else."""
    return RichProgressBar() if sys.stdout.isatty() else LogLineProgress(interval_s)


def _epoch(trainer: pl.Trainer) -> str:
    """``epoch 3/19``: the epoch and the last one of the run, counted from 0 (as the rich bar does)."""
    max_epochs = trainer.max_epochs
    if max_epochs is None or max_epochs < 0:
        return f"epoch {trainer.current_epoch}"
    return f"epoch {trainer.current_epoch}/{max_epochs - 1}"


def _metrics_text(metrics: dict[str, Any]) -> str:
    parts = [f"{name} {float(value):.4g}" for name, value in sorted(metrics.items())]
    return " · " + " ".join(parts) if parts else ""
