import argparse
import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from krocr.analysis.compare import Comparison, read_run
from krocr.analysis.plots import best_row, best_validation, read_history, write_history, write_validations
from krocr.commands.compare import configure, run
from krocr.config import DataOptions, ExperimentConfig, LossOptions, TrainOptions, dump_config
from krocr.errors import DataError

BASE = ExperimentConfig(data=DataOptions(dirs=("data/ksign",)))


def make_run(
    root: Path,
    name: str,
    config: ExperimentConfig,
    val_losses: list[float],
    stopped_epoch: int | None = None,
    finished: bool = True,
) -> Path:
    """A run directory as krocr train leaves it (config.yaml, history.csv, summary.json)."""
    run_dir = root / name
    run_dir.mkdir()
    dump_config(replace(config, train=replace(config.train, name=name)), run_dir / "config.yaml")
    history = [
        {
            "epoch": float(e),
            "loss": v + 1,
            "val_loss": v,
            "val_cer": v / 10,
            "val_word_accuracy": 1 - v / 10,
            "val_mean_ned": v / 5,
            "lr": 1e-3,
        }
        for e, v in enumerate(val_losses)
    ]
    write_history(history, run_dir / "history.csv")
    if finished:
        summary = {"best_epoch": 0, "stopped_epoch": stopped_epoch, "epochs_completed": len(history)}
        (run_dir / "summary.json").write_text(json.dumps(summary))
    return run_dir


@pytest.fixture
def runs(tmp_path) -> list[Path]:
    return [
        make_run(tmp_path, "v1", BASE, [7.0, 5.854, 6.1, 6.2], stopped_epoch=3),
        make_run(tmp_path, "v3", replace(BASE, loss=LossOptions(alpha=0.25, gamma=1.0)), [6.0, 5.088, 5.2]),
        make_run(tmp_path, "running", BASE, [8.0], finished=False),
    ]


def test_best_epoch_metrics_and_status(runs):
    v1, v3, running = (read_run(r) for r in runs)
    assert v1.best_epoch == 1 and v1.metrics["val_loss"] == 5.854
    assert v1.metrics["val_cer"] == pytest.approx(0.5854) and v1.metrics["val_word_accuracy"] == pytest.approx(0.4146)
    assert v1.status == "early stop @ 3" and v3.status == "all epochs" and running.status == "unfinished"
    assert (v3.best_epoch, v3.epochs) == (1, 3) and running.stopped_epoch is None


def test_the_best_epoch_is_the_runs_monitor_not_always_val_loss(tmp_path):
    run_dir = make_run(tmp_path, "cer", replace(BASE, train=TrainOptions(monitor="val_cer")), [7.0, 5.0, 6.0])
    history = read_history(run_dir / "history.csv")
    rows = [dict(row, val_cer=cer) for row, cer in zip(history, [0.3, 0.2, 0.1], strict=True)]
    write_history(rows, run_dir / "history.csv")  # val_loss is lowest at epoch 1, val_cer at epoch 2
    result = read_run(run_dir)
    assert (result.best_epoch, result.metrics["val_cer"], result.metrics["val_loss"]) == (2, 0.1, 6.0)


def test_a_run_that_validated_within_epochs_is_scored_at_its_best_validation(tmp_path):
    run_dir = make_run(tmp_path, "halves", BASE, [5.0, 4.0])  # epoch ends: epoch 1 is lower
    validations = [
        {"epochs_trained": t, "step": 2 * t, "val_loss": v, "val_cer": v / 10, "val_word_accuracy": 0.5}
        for t, v in [(0.5, 6.0), (1.0, 3.5), (1.5, 4.5), (2.0, 4.0)]
    ]
    write_validations(validations, run_dir / "validations.csv")
    result = read_run(run_dir)  # the best checkpoint was the validation at the end of epoch 0
    assert (result.best_epoch, result.metrics["val_loss"], result.metrics["val_cer"]) == (0, 3.5, 0.35)
    best = best_validation(read_history(run_dir / "history.csv"), validations)
    assert best is not None and (best["epoch"], best["step"]) == (0.0, 2.0)


def test_best_row_skips_rows_without_the_monitor():
    nan = float("nan")
    rows = [{"epoch": 0.0, "val_cer": nan}, {"epoch": 1.0, "val_cer": 0.4}, {"epoch": 2.0, "val_cer": 0.4}]
    assert best_row(rows, "val_cer") == rows[1]  # the first of equals, as early stopping counts
    assert best_row(rows[:1], "val_cer") is None and best_row(rows, "val_loss") is None


def test_only_differing_keys_are_shown(runs):
    comparison = Comparison.of(runs)
    assert comparison.differences == {"loss.alpha": [0.75, 0.25, 0.75], "loss.gamma": [0.5, 1.0, 0.5]}
    markdown = comparison.markdown()
    assert "| loss.alpha | 0.75 | 0.25 | 0.75 |" in markdown
    assert f"| {runs[0]} | 1 | 5.854 | 0.5854 | 0.4146 | 1.171 | 3 | 4 | early stop @ 3 |" in markdown


def test_the_printed_table_shows_list_values_whole_even_when_narrow(tmp_path, monkeypatch, capsys):
    dirs = ("data/some_long_directory_name", "data/another_long_directory_name", "data/third")
    runs = [
        make_run(tmp_path, "a", BASE, [1.0]),
        make_run(tmp_path, "b", replace(BASE, data=DataOptions(dirs=dirs)), [1.0]),
    ]
    monkeypatch.setenv("COLUMNS", "60")
    parser = argparse.ArgumentParser()
    configure(parser)
    assert run(parser.parse_args([*map(str, runs), "--out", str(tmp_path / "cmp")])) == 0
    screen = capsys.readouterr().out
    assert "[data/ksign]" in screen and "data/third]" in screen and "…" not in screen


def test_command_prints_and_writes_markdown_and_csv(runs, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    configure(parser)
    assert run(parser.parse_args([*map(str, runs), "--out", str(tmp_path / "out" / "cmp")])) == 0
    assert "Config differences" in capsys.readouterr().out
    assert (tmp_path / "out" / "cmp.md").read_text().startswith("# Run comparison")
    with open(tmp_path / "out" / "cmp.csv") as f:
        rows = list(csv.DictReader(f))
    assert [row["run"] for row in rows] == list(map(str, runs))
    assert rows[1]["val_loss"] == "5.088" and rows[1]["loss.alpha"] == "0.25"
    assert rows[2]["stopped epoch"] == "" and rows[2]["status"] == "unfinished"


def test_a_directory_that_is_not_a_run(tmp_path):
    with pytest.raises(DataError, match="not a krocr run directory"):
        read_run(tmp_path)
