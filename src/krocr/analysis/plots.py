"""Training curves: the per-epoch history of a run and its plots.

The reference watched a live loss plot while training (livelossplot) and drew a
"Training and validation loss" chart afterwards. The training callback
(:class:`krocr.training.callbacks.TrainingCurves`) does both with these functions, from one
history of completed epochs:

* ``history.csv``: one row per completed epoch (train loss, val loss, CER, word
  accuracy, mean normalized edit distance, learning rate) — what ``krocr compare`` reads;
* ``loss.png``: loss and val_loss per epoch, rewritten at every epoch end;
* ``curves.png``: at the end, the loss chart plus CER and word accuracy, best epoch marked.

Figures use matplotlib's object API (no pyplot state, no display needed) and replace the
previous file atomically, so an image viewer never shows a half-written PNG.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

# history column -> metric name as RecognizerModule logs it ("loss" is logged per step and
# per epoch, so Lightning names the epoch mean "loss_epoch")
LOGGED_METRICS: dict[str, str] = {
    "loss": "loss_epoch",
    "val_loss": "val_loss",
    "val_cer": "val_cer",
    "val_word_accuracy": "val_word_accuracy",
    "val_mean_ned": "val_mean_ned",
}
HISTORY_COLUMNS: tuple[str, ...] = ("epoch", *LOGGED_METRICS, "lr")

History = list[dict[str, float]]


def write_history(history: History, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=HISTORY_COLUMNS)
        writer.writeheader()
        writer.writerows({**row, "epoch": int(row["epoch"])} for row in history)
    os.replace(tmp, path)


def read_history(path: str | Path) -> History:
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: float(v) if v not in ("", None) else math.nan for k, v in row.items()} for row in csv.DictReader(f)]


def best_row(history: History) -> dict[str, float] | None:
    """The epoch with the lowest val_loss (the first of equals, as early stopping counts)."""
    scored = [row for row in history if not math.isnan(row["val_loss"])]
    return min(scored, key=lambda row: row["val_loss"]) if scored else None


def _column(history: History, name: str) -> list[float]:
    return [row[name] for row in history]


def _draw_losses(ax: Axes, history: History) -> None:
    epochs = _column(history, "epoch")
    ax.plot(epochs, _column(history, "loss"), "r", label="Training loss")
    ax.plot(epochs, _column(history, "val_loss"), "b", label="Validation loss")
    ax.set_title("Training and validation loss")
    ax.set_xlabel("epoch")
    ax.legend()


def _save(figure: Figure, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    figure.savefig(tmp, format="png", dpi=100)
    os.replace(tmp, path)


def plot_loss(history: History, path: Path) -> None:
    figure = Figure(figsize=(8, 5), layout="constrained")
    _draw_losses(figure.add_subplot(), history)
    _save(figure, path)


def plot_curves(history: History, path: Path) -> None:
    figure = Figure(figsize=(16, 5), layout="constrained")
    loss_ax, cer_ax, accuracy_ax = figure.subplots(1, 3)
    _draw_losses(loss_ax, history)
    epochs = _column(history, "epoch")
    cer_ax.plot(epochs, _column(history, "val_cer"), "m", label="CER")
    cer_ax.plot(epochs, _column(history, "val_mean_ned"), "c", label="mean normalized edit distance")
    cer_ax.set_title("Validation character error rate")
    accuracy_ax.plot(epochs, _column(history, "val_word_accuracy"), "g", label="word accuracy")
    accuracy_ax.set_title("Validation word accuracy")
    accuracy_ax.set_ylim(0, 1)
    best = best_row(history)
    for ax in (loss_ax, cer_ax, accuracy_ax):
        if best is not None:
            ax.axvline(best["epoch"], color="gray", linestyle="--", label=f"best epoch {int(best['epoch'])}")
        ax.set_xlabel("epoch")
        ax.legend()
    _save(figure, path)
