"""Training curves: the per-epoch history of a run and its plots.

The reference watched a live loss plot while training (livelossplot) and drew a
"Training and validation loss" chart afterwards. The training callback
(:class:`krocr.training.callbacks.TrainingCurves`) does both with these functions, from one
history of completed epochs:

* ``history.csv``: one row per completed epoch (train loss, val loss, CER, word
  accuracy, mean normalized edit distance, learning rate) — what ``krocr compare`` reads;
* ``validations.csv``: one row per validation, at the epochs trained so far (fractional when
  ``train.val_check_interval`` validates within epochs);
* ``loss.png``: loss and val_loss per epoch, rewritten at every epoch end;
* ``curves.png``: at the end, the loss chart plus CER and word accuracy, best epoch marked.
  A run that validated more often than it finished epochs (a long run of one or two epochs)
  draws its validation curves per validation, against the epochs trained, so they are more
  than a point.

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
VALIDATED: tuple[str, ...] = tuple(c for c in LOGGED_METRICS if c.startswith("val_"))  # what a validation logs
VALIDATION_COLUMNS: tuple[str, ...] = ("epochs_trained", "step", *VALIDATED, "lr")

History = list[dict[str, float]]


def write_history(history: History, path: Path) -> None:
    _write_rows([{**row, "epoch": int(row["epoch"])} for row in history], HISTORY_COLUMNS, path)


def write_validations(validations: History, path: Path) -> None:
    _write_rows([{**row, "step": int(row["step"])} for row in validations], VALIDATION_COLUMNS, path)


def _write_rows(rows: list[dict], columns: tuple[str, ...], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def read_history(path: str | Path) -> History:
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: float(v) if v not in ("", None) else math.nan for k, v in row.items()} for row in csv.DictReader(f)]


def best_row(history: History, monitor: str = "val_loss") -> dict[str, float] | None:
    """The row with the lowest ``monitor`` (the run's ``train.monitor``; the first of equals, as
    early stopping and the best checkpoint count), or None when no row has it."""
    scored = [row for row in history if not math.isnan(row.get(monitor, math.nan))]
    return min(scored, key=lambda row: row[monitor]) if scored else None


def per_validation(history: History, validations: History | None) -> bool:
    """Whether the run validated more often than it finished epochs (``train.val_check_interval``
    < 1), so that its best checkpoint was chosen among validations, not epoch ends."""
    return validations is not None and len(validations) > len(history)


def best_validation(
    history: History, validations: History | None, monitor: str = "val_loss"
) -> dict[str, float] | None:
    """The validation the run's best checkpoint was chosen at, with its ``epoch`` (the epoch it
    fell in): among all validations when the run validated within epochs, else among epoch ends.

    Args:
        history: one row per completed epoch (``history.csv``).
        validations: one row per validation (``validations.csv``), or None for runs without it.
        monitor: the run's ``train.monitor``.

    Returns:
        The row (its ``val_*`` metrics; ``epochs_trained`` and ``step`` when chosen among
        validations), or None when nothing was validated.
    """
    if not per_validation(history, validations):
        return best_row(history, monitor)
    best = best_row(validations or [], monitor)
    if best is None:
        return None
    # a validation after e + 0.25 or e + 1 epochs falls in epoch e
    return {**best, "epoch": float(max(math.ceil(best["epochs_trained"]) - 1, 0))}


def _column(history: History, name: str) -> list[float]:
    return [row[name] for row in history]


def _draw_losses(ax: Axes, history: History) -> None:
    epochs = _column(history, "epoch")
    ax.plot(epochs, _column(history, "loss"), "r.-", label="Training loss")
    ax.plot(epochs, _column(history, "val_loss"), "b.-", label="Validation loss")
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


def plot_curves(history: History, path: Path, validations: History | None = None, monitor: str = "val_loss") -> None:
    """The loss, CER and word-accuracy charts, the best epoch (or validation) marked.

    Args:
        history: one row per completed epoch (``history.csv``).
        path: the PNG to write (replaced atomically).
        validations: one row per validation (``validations.csv``); used when the run
            validated more often than it finished epochs, the x axis then being epochs trained
            and the best validation marked.
        monitor: the metric whose lowest value is best (the run's ``train.monitor``).
    """
    figure = Figure(figsize=(16, 5), layout="constrained")
    loss_ax, cer_ax, accuracy_ax = figure.subplots(1, 3)
    best = best_validation(history, validations, monitor)
    if validations and per_validation(history, validations):
        _draw_per_validation(loss_ax, history, validations)
        points, x_column, x_label = validations, "epochs_trained", "epochs trained"
        marker = (best["epochs_trained"], f"best validation (step {int(best['step'])})") if best else None
    else:
        _draw_losses(loss_ax, history)
        points, x_column, x_label = history, "epoch", "epoch"
        marker = (best["epoch"], f"best epoch {int(best['epoch'])}") if best else None
    x = _column(points, x_column)
    cer_ax.plot(x, _column(points, "val_cer"), "m.-", label="CER")
    cer_ax.plot(x, _column(points, "val_mean_ned"), "c.-", label="mean normalized edit distance")
    cer_ax.set_title("Validation character error rate")
    accuracy_ax.plot(x, _column(points, "val_word_accuracy"), "g.-", label="word accuracy")
    accuracy_ax.set_title("Validation word accuracy")
    accuracy_ax.set_ylim(0, 1)
    for ax in (loss_ax, cer_ax, accuracy_ax):
        if marker is not None:
            ax.axvline(marker[0], color="gray", linestyle="--", label=marker[1])
        ax.set_xlabel(x_label)
        ax.legend()
    _save(figure, path)


def _draw_per_validation(ax: Axes, history: History, validations: History) -> None:
    """Training loss at each epoch's end and validation loss at each validation, against epochs trained."""
    ax.plot([row["epoch"] + 1 for row in history], _column(history, "loss"), "r.-", label="Training loss")
    ax.plot(_column(validations, "epochs_trained"), _column(validations, "val_loss"), "b.-", label="Validation loss")
    ax.set_title("Training and validation loss")
