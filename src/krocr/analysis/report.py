"""``krocr report RUN_DIR… [--out report.html]``: one self-contained HTML page per set of runs.

For each run directory (as ``krocr train`` writes it; a bare ``krocr eval`` output
directory works too) the page shows, each in a ``<section>`` with a fixed id:

==================  ===========================================================================
``runN-config``     ``config.yaml``
``runN-curves``     loss, CER and word accuracy per epoch (krocr.analysis.plots), from the CSV logger's
                    ``logs/version_*/metrics.csv``, else ``history.csv``
``runN-metrics``    validation at the best epoch, then ``eval/metrics.json`` of ``krocr eval``:
                    overall, by label length, by source, character groups, out-of-charset, unreadable
``runN-gallery``    ``eval/gallery_worst.png`` and ``eval/gallery_random.png``
``runN-confusions`` the most frequent substitutions
==================  ===========================================================================

With several runs a ``comparison`` section comes first: one row per run, and the config
keys that differ. Missing pieces are shown as "not available" with what would provide
them. Images are embedded as base64 PNG; styling is a small inline stylesheet; no script.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import json
import math
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from krocr.analysis.compare import Comparison, RunResult, read_run
from krocr.analysis.plots import (
    LOGGED_METRICS,
    History,
    plot_curves,
    read_history,
)
from krocr.analysis.runs import HISTORY_FILE, VALIDATIONS_FILE
from krocr.version import __version__

METRIC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("samples", "samples"),
    ("word_accuracy", "word acc."),
    ("word_accuracy_ignore_space", "word acc. ignoring spaces"),
    ("cer", "CER"),
    ("mean_edit_distance", "mean ED"),
    ("mean_normalized_edit_distance", "mean NED"),
    ("one_minus_ned", "1 − NED"),
)
SHOWN_UNREADABLE = 20
SHOWN_CONFUSIONS = 20
GALLERY_FILES = (("gallery_worst.png", "Worst first"), ("gallery_random.png", "Random sample"))

STYLE = """
body { font-family: "NanumGothic", "Noto Sans CJK KR", "Malgun Gothic", sans-serif; margin: 2em auto;
       max-width: 1150px; color: #222; background: #fff; line-height: 1.45; }
h1 { border-bottom: 3px solid #2a5d9f; padding-bottom: .3em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
section { margin: 1em 0 2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 9px; text-align: right; }
th { background: #eef3fa; }
td:first-child, th:first-child { text-align: left; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 13px; }
img { max-width: 100%; border: 1px solid #ddd; }
.gallery { max-height: 75vh; overflow-y: auto; border: 1px solid #ddd; }
.gallery img { border: 0; }
.na { color: #a33; font-style: italic; }
.muted { color: #666; font-size: 13px; }
"""


# ---- what a run directory holds ------------------------------------------------------------------
@dataclass(frozen=True)
class RunView:
    directory: Path
    slug: str  # section id prefix: run1, run2, …
    training: RunResult | None  # None without config.yaml
    eval_dir: Path | None
    metrics: dict | None  # eval_dir/metrics.json


def load_run(directory: Path, number: int) -> RunView:
    eval_dir = find_eval_dir(directory)
    metrics = json.loads((eval_dir / "metrics.json").read_text(encoding="utf-8")) if eval_dir else None
    training = read_run(directory) if (directory / "config.yaml").is_file() else None
    return RunView(directory, f"run{number}", training, eval_dir, metrics)


def find_eval_dir(run_dir: Path) -> Path | None:
    """``RUN/eval``, else the first directory below RUN holding a krocr eval metrics.json."""
    for candidate in [run_dir / "eval", *sorted(p.parent for p in run_dir.rglob("metrics.json"))]:
        path = candidate / "metrics.json"
        if path.is_file() and "overall" in _json_or_empty(path):
            return candidate
    return None


def _json_or_empty(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def history_from_logger(run_dir: Path) -> History:
    """Per-epoch rows (krocr.analysis.plots' history columns) from the CSV logger's metrics.csv files;
    versions are read in order, so a resumed run's later version wins for a repeated epoch."""
    by_epoch: dict[int, dict[str, float]] = {}
    for path in sorted(run_dir.glob("logs/version_*/metrics.csv"), key=_version_number):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if not row.get("epoch"):
                    continue
                values = by_epoch.setdefault(int(float(row["epoch"])), {})
                values.update({column: float(row[name]) for column, name in LOGGED_METRICS.items() if row.get(name)})
    return [
        {"epoch": float(epoch), **{c: values.get(c, math.nan) for c in LOGGED_METRICS}}
        for epoch, values in sorted(by_epoch.items())
    ]


def _version_number(path: Path) -> int:
    match = re.search(r"version_(\d+)", str(path))
    return int(match.group(1)) if match else -1


def training_history(run_dir: Path) -> tuple[History, str]:
    """The history and where it came from ("" if the run has none)."""
    history = history_from_logger(run_dir)
    if history:
        return history, "logs/version_*/metrics.csv"
    if (run_dir / HISTORY_FILE).is_file():
        return read_history(run_dir / HISTORY_FILE), HISTORY_FILE
    return [], ""


# ---- HTML pieces ---------------------------------------------------------------------------------
def esc(value: Any) -> str:
    return html.escape(str(value))


def fmt(value: Any, key: str = "") -> str:
    """A table cell: shares as percentages, other floats to 4 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.2%}" if "accuracy" in key or key.endswith("share") else f"{value:.4g}"
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(section_id: str, title: str, body: str) -> str:
    return f'<section id="{esc(section_id)}"><h3>{esc(title)}</h3>{body}</section>'


def not_available(what: str) -> str:
    return f'<p class="na">not available: {esc(what)}</p>'


def png(data: bytes, alt: str) -> str:
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'


def metrics_table(groups: dict[str, dict], first_column: str) -> str:
    header = [first_column, *(label for _, label in METRIC_COLUMNS)]
    rows = [[name, *(fmt(values.get(key), key) for key, _ in METRIC_COLUMNS)] for name, values in groups.items()]
    return table(header, rows)


# ---- sections ----------------------------------------------------------------------------------
def config_section(run: RunView) -> str:
    path = run.directory / "config.yaml"
    body = (
        f"<details><summary>{esc(path)}</summary><pre>{esc(path.read_text(encoding='utf-8'))}</pre></details>"
        if path.is_file()
        else not_available(f"{path} (written by krocr train)")
    )
    return section(f"{run.slug}-config", "Config", body)


def curves_section(run: RunView) -> str:
    history, origin = training_history(run.directory)
    if not history:
        body = not_available(f"no logs/version_*/metrics.csv or {HISTORY_FILE} in {run.directory}")
    else:
        validations_file = run.directory / VALIDATIONS_FILE
        validations = read_history(validations_file) if validations_file.is_file() else None
        with tempfile.TemporaryDirectory() as tmp:
            image = Path(tmp) / "curves.png"
            monitor = run.training.config.train.monitor if run.training else "val_loss"
            plot_curves(history, image, validations, monitor)
            body = png(image.read_bytes(), "training curves") + f'<p class="muted">from {esc(origin)}</p>'
    return section(f"{run.slug}-curves", "Training curves", body)


def metrics_section(run: RunView) -> str:
    parts = [_training_part(run.training)]
    metrics = run.metrics
    if metrics is None:
        hint = f"no eval/metrics.json; run krocr eval --weights {run.directory}/best.safetensors DATA"
        parts.append(not_available(hint))
        return section(f"{run.slug}-metrics", "Metrics", "".join(parts))
    settings = metrics.get("settings", {})
    parts.append(f"<h4>Evaluation</h4>{table(['setting', 'value'], [[k, fmt(v)] for k, v in settings.items()])}")
    speed = metrics.get("speed", {})
    parts.append(
        metrics_table({"all": metrics["overall"]}, "crops")
        + f'<p class="muted">{fmt(speed.get("crops_per_second"))} crops/s end to end</p>'
    )
    for key, title, column in (
        ("by_length", "By label length (characters)", "length"),
        ("by_source", "By source", "source"),
    ):
        groups = metrics_table(metrics[key], column) if metrics.get(key) else not_available(key)
        parts.append(f"<h4>{title}</h4>{groups}")
    if metrics.get("by_kind"):  # synthetic test sets only
        parts.append(f"<h4>By text kind</h4>{metrics_table(metrics['by_kind'], 'kind')}")
    parts.append(_character_part(metrics.get("character_accuracy")))
    parts.append(_charset_part(metrics.get("out_of_charset")))
    parts.append(_unreadable_part(metrics.get("unreadable")))
    return section(f"{run.slug}-metrics", "Metrics", "".join(parts))


def _training_part(training: RunResult | None) -> str:
    if training is None or training.best_epoch is None:
        return "<h4>Validation during training</h4>" + not_available("no training history (config.yaml, history.csv)")
    rows = [[f"best epoch {training.best_epoch}", *(fmt(v, k) for k, v in training.metrics.items())]]
    return (
        f"<h4>Validation during training</h4>{table(['', *training.metrics], rows)}"
        f'<p class="muted">{training.epochs} epochs, {esc(training.status)}</p>'
    )


def _character_part(accuracy: dict | None) -> str:
    if not accuracy:
        return not_available("character accuracy")
    rows = [
        [name, g["characters"], g["occurrences"], fmt(g["accuracy"], "accuracy")]
        for name, g in accuracy["groups"].items()
    ]
    return (
        f"<h4>Character accuracy by frequency</h4>{table(['group', 'characters', 'occurrences', 'accuracy'], rows)}"
        f'<p class="muted">frequency from {esc(accuracy["frequency_from"])}; frequent = the most common characters '
        f"covering {accuracy['frequent_share']:.0%} of occurrences</p>"
    )


def _charset_part(oov: dict | None) -> str:
    if not oov:
        return not_available("out-of-charset figures")
    missing = ", ".join(f"{c} ×{n}" for c, n in oov["missing"].items()) or "none"
    rows = [
        ["samples with characters outside the charset", oov["samples"], fmt(oov["sample_share"], "share")],
        ["characters outside the charset", oov["characters"], fmt(oov["character_share"], "share")],
        ["word accuracy on the other samples", "", fmt(oov["word_accuracy_in_charset"], "accuracy")],
    ]
    return f'<h4>Out of charset</h4>{table(["", "count", "share"], rows)}<p class="muted">missing: {esc(missing)}</p>'


def _unreadable_part(unreadable: dict | None) -> str:
    if not unreadable or not unreadable["count"]:
        return "<h4>Unreadable crops</h4><p>none</p>"
    rows = [[u["item"], u["error"]] for u in unreadable["items"][:SHOWN_UNREADABLE]]
    return f"<h4>Unreadable crops: {unreadable['count']}</h4>{table(['item', 'error'], rows)}"


def gallery_section(run: RunView) -> str:
    images = [(run.eval_dir / name, title) for name, title in GALLERY_FILES if run.eval_dir]
    # each sheet scrolls in a box of its own: 24 rows would otherwise make the page ~5,000 px taller per sheet
    shown = [
        f'<h4>{esc(title)}</h4><div class="gallery">{png(path.read_bytes(), title)}</div>'
        for path, title in images
        if path.is_file()
    ]
    body = "".join(shown) or not_available("no gallery PNGs; krocr eval writes them (--gallery N)")
    return section(f"{run.slug}-gallery", "Prediction gallery", body)


def confusions_section(run: RunView) -> str:
    pairs = (run.metrics or {}).get("confusions")
    if pairs is None:
        body = not_available("no eval/metrics.json")
    elif not pairs:
        body = "<p>no substitutions</p>"
    else:
        body = table(
            ["ground truth", "predicted", "count"],
            [[p["truth"], p["prediction"], p["count"]] for p in pairs[:SHOWN_CONFUSIONS]],
        )
    return section(f"{run.slug}-confusions", "Most confused characters (GT → predicted)", body)


def comparison_section(runs: Sequence[RunView]) -> str:
    header = [
        "run",
        "best epoch",
        "val_loss",
        "val CER",
        "val word acc.",
        "eval samples",
        "word acc.",
        "word acc. ignoring spaces",
        "CER",
        "1 − NED",
        "crops/s",
    ]
    rows = []
    for run in runs:
        training = run.training.metrics if run.training else {}
        overall = (run.metrics or {}).get("overall", {})
        speed = (run.metrics or {}).get("speed", {})
        rows.append(
            [
                run.directory.name,
                fmt(run.training.best_epoch if run.training else None),
                fmt(training.get("val_loss")),
                fmt(training.get("val_cer")),
                fmt(training.get("val_word_accuracy"), "accuracy"),
                fmt(overall.get("samples")),
                fmt(overall.get("word_accuracy"), "accuracy"),
                fmt(overall.get("word_accuracy_ignore_space"), "accuracy"),
                fmt(overall.get("cer")),
                fmt(overall.get("one_minus_ned")),
                fmt(speed.get("crops_per_second")),
            ]
        )
    return section("comparison", "Comparison", table(header, rows) + _differences(runs))


def _differences(runs: Sequence[RunView]) -> str:
    configured = [run for run in runs if run.training]
    if len(configured) < 2:
        return not_available("config differences (needs two runs with config.yaml)")
    differences = Comparison.of([run.directory for run in configured]).differences
    if not differences:
        return "<p>The configs are identical.</p>"
    rows = [[key, *map(fmt, values)] for key, values in differences.items()]
    return "<h4>Config differences</h4>" + table(["key", *(run.directory.name for run in configured)], rows)


def render(run_dirs: Sequence[str | Path]) -> str:
    runs = [load_run(Path(d), number) for number, d in enumerate(run_dirs, start=1)]
    parts = [comparison_section(runs)] if len(runs) > 1 else []
    for run in runs:
        parts.append(f"<h2>{esc(run.slug)}: {esc(run.directory)}</h2>")
        parts += [
            config_section(run),
            curves_section(run),
            metrics_section(run),
            gallery_section(run),
            confusions_section(run),
        ]
    stamp = f"krocr {__version__} · {dt.datetime.now().isoformat(timespec='seconds')}"
    return (
        '<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>krocr report</title>'
        f'<style>{STYLE}</style></head><body><h1>krocr report</h1><p class="muted">{esc(stamp)}</p>'
        + "".join(parts)
        + "</body></html>\n"
    )


def write_report(run_dirs: Sequence[str | Path], out: str | Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(run_dirs), encoding="utf-8")
    return out
