"""``krocr compare RUN_DIR…``: what differs between runs and how each did.

For every run: the best epoch (lowest ``train.monitor``, val_loss by default) with its
val_loss, CER, word accuracy and mean normalized edit distance — those of the best validation
when the run validated within epochs, as its best checkpoint was chosen — the epoch early
stopping ended on, and how many epochs completed — read from the run's ``config.yaml``,
``history.csv``, ``validations.csv`` and (for finished runs) ``summary.json``. Only config
keys whose values differ between the runs are shown. Prints rich tables and writes
``PREFIX.md`` and ``PREFIX.csv``.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from krocr.analysis.plots import best_validation, read_history
from krocr.analysis.runs import CONFIG_FILE, HISTORY_FILE, SUMMARY_FILE, VALIDATIONS_FILE
from krocr.config import ExperimentConfig, config_differences, load_config
from krocr.errors import DataError

METRICS: tuple[str, ...] = ("val_loss", "val_cer", "val_word_accuracy", "val_mean_ned")
RESULT_HEADER: tuple[str, ...] = ("run", "best epoch", *METRICS, "stopped epoch", "epochs", "status")
SHOWN_HEADER: tuple[str, ...] = (
    "run",
    "best epoch",
    "val_loss",
    "CER",
    "word acc.",
    "mean NED",
    "stopped",
    "epochs",
    "status",
)
IGNORED_KEYS = ("train.name",)  # the run's name: already the run column


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    config: ExperimentConfig
    best_epoch: int | None  # None before the first validated epoch
    metrics: dict[str, float]  # METRICS at the best epoch
    stopped_epoch: int | None  # early stopping's epoch; None if it did not stop early
    epochs: int  # completed epochs
    finished: bool

    @property
    def status(self) -> str:
        if not self.finished:
            return "unfinished"
        return f"early stop @ {self.stopped_epoch}" if self.stopped_epoch is not None else "all epochs"


def read_run(run_dir: str | Path) -> RunResult:
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG_FILE).exists():
        raise DataError(f"{run_dir}: not a krocr run directory (no {CONFIG_FILE})")
    config = load_config(run_dir / CONFIG_FILE)
    history = read_history(run_dir / HISTORY_FILE) if (run_dir / HISTORY_FILE).exists() else []
    validations = read_history(run_dir / VALIDATIONS_FILE) if (run_dir / VALIDATIONS_FILE).exists() else None
    best = best_validation(history, validations, config.train.monitor)
    summary_path = run_dir / SUMMARY_FILE
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else None
    return RunResult(
        run_dir=run_dir,
        config=config,
        best_epoch=int(best["epoch"]) if best else None,
        metrics={m: best[m] for m in METRICS} if best else {},
        stopped_epoch=summary["stopped_epoch"] if summary else None,
        epochs=len(history),
        finished=summary is not None,
    )


@dataclass(frozen=True)
class Comparison:
    runs: list[RunResult]
    differences: dict[str, list[Any]]  # config key -> value per run

    @classmethod
    def of(cls, run_dirs: list[str | Path]) -> Comparison:
        runs = [read_run(d) for d in run_dirs]
        differences = config_differences([r.config for r in runs])
        return cls(runs, {k: v for k, v in differences.items() if k not in IGNORED_KEYS})

    def result_rows(self) -> list[list[Any]]:
        """RESULT_HEADER's values per run (None where there is none yet)."""
        return [
            [str(r.run_dir), r.best_epoch, *(r.metrics.get(m) for m in METRICS), r.stopped_epoch, r.epochs, r.status]
            for r in self.runs
        ]

    def tables(self) -> list[Table]:
        results = Table(title="Runs (metrics at the best validation: lowest train.monitor)")
        for column in SHOWN_HEADER:
            results.add_column(column, justify="left" if column in ("run", "status") else "right", overflow="fold")
        for row in self.result_rows():
            results.add_row(*map(_value, row))
        differences = Table(title="Config differences" if self.differences else "Configs are identical")
        differences.add_column("key", overflow="fold")
        for run in self.runs:
            differences.add_column(str(run.run_dir), overflow="fold")
        for key, values in self.differences.items():
            differences.add_row(key, *map(_value, values))
        return [results, differences]

    def markdown(self) -> str:
        lines = [
            "# Run comparison",
            "",
            "Metrics at each run's best validation (lowest `train.monitor`, val_loss by default).",
            "",
            _md_row(SHOWN_HEADER),
            _md_row(["---"] * len(SHOWN_HEADER)),
        ]
        lines += [_md_row(map(_value, row)) for row in self.result_rows()]
        lines += ["", "## Config differences", ""]
        if self.differences:
            header = ["key", *(str(r.run_dir) for r in self.runs)]
            lines += [_md_row(header), _md_row(["---"] * len(header))]
            lines += [_md_row([key, *map(_value, values)]) for key, values in self.differences.items()]
        else:
            lines.append("The configs are identical.")
        return "\n".join(lines) + "\n"

    def write_csv(self, path: Path) -> None:
        """One row per run: results, then every differing config key."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow([*RESULT_HEADER, *self.differences])
            for i, row in enumerate(self.result_rows()):
                values = [*row, *(values[i] for values in self.differences.values())]
                writer.writerow(["" if v is None else json.dumps(v) if isinstance(v, list) else v for v in values])


def _value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _md_row(cells: Any) -> str:
    return "| " + " | ".join(str(c).replace("|", "¦") for c in cells) + " |"
