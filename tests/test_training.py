"""The training system end to end on a tiny rendered cache (seconds per fit)."""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from fixtures.tiny_crops import write_tiny_crops
from safetensors.torch import load_file
from torch.utils.data import BatchSampler

from krocr.analysis.plots import read_history
from krocr.charset import Charset, alphabet87
from krocr.commands.train import configure, run
from krocr.config import ExperimentConfig, OptimOptions, load_config
from krocr.errors import CheckpointError, ConfigError, DataError, KrocrError
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.preprocess import PreprocessConfig
from krocr.model.weights import load_weights, save_weights
from krocr.training.builders import build_model, resolve_precision
from krocr.training.checkpoints import (
    AtomicCheckpointIO,
    capture_rng,
    export_checkpoint,
    restore_rng,
)
from krocr.training.run import train
from krocr.training.samplers import EpochSampler, ResumedBatches, WidthBatchSampler
from krocr.training.schedules import learning_rate_factor, steps_per_epoch

TINY = Path(__file__).resolve().parents[1] / "configs" / "tiny.yaml"
SYMBOLS = "abcde"
FROZEN = ("conv1_1", "conv4_1")


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """64 training and 16 validation crops with distinct labels of 1–3 symbols of 'abcde'."""
    return write_tiny_crops(tmp_path_factory.mktemp("tiny_data"), seed=0, symbols=SYMBOLS)


def tiny_config(data_dir: Path, *overrides: str) -> ExperimentConfig:
    return load_config(TINY, [f"data.dirs=[{data_dir}]", *overrides])


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory, tiny_data) -> Path:
    """Weights of the tiny architecture for another charset (6 symbols, 3 shared with the run's)."""
    path = tmp_path_factory.mktemp("pretrained") / "source.safetensors"
    charset = Charset(tuple("xyzcab"))
    torch.manual_seed(1)
    save_weights(path, build_model(tiny_config(tiny_data).model, charset), charset, PreprocessConfig(width=64))
    return path


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_data, pretrained):
    config = tiny_config(tiny_data, f"transfer.pretrained={pretrained}", f"transfer.freeze=[{', '.join(FROZEN)}]")
    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    return run_dir, train(config, run_dir)


def test_a_run_writes_checkpoints_logs_plots_and_records(finished_run):
    run_dir, result = finished_run
    names = {p.name for p in (run_dir / "checkpoints").iterdir()}
    assert {"weights.000.ckpt", "weights.001.ckpt", "best.ckpt", "last.ckpt"} <= names
    for name in (
        "config.yaml",
        "charset.json",
        "environment.json",
        "transfer.md",
        "transfer.csv",
        "history.csv",
        "loss.png",
        "curves.png",
        "summary.json",
        "best.safetensors",
        "last.safetensors",
    ):
        assert (run_dir / name).stat().st_size > 0, name
    with open(next(run_dir.glob("logs/version_*/metrics.csv"))) as f:
        metrics = list(csv.DictReader(f))
    assert any(row["loss_step"] for row in metrics) and any(row["val_loss"] for row in metrics)
    assert any(row["lr-Adam"] for row in metrics)
    assert any(row.get("train/device/samples_per_sec") for row in metrics)
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert load_config(run_dir / "config.yaml").transfer.freeze == FROZEN
    assert Charset.load(run_dir / "charset.json") == alphabet87()
    session = json.loads((run_dir / "environment.json").read_text())["sessions"][0]
    assert {"torch", "lightning", "numpy", "python", "cpu", "seed", "command", "git_commit"} <= set(session)
    assert (result.setup.train_crops, result.setup.val_crops, result.setup.rejections) == (64, 16, {})
    assert {row.layer for row in result.setup.layers.rows if row.frozen} == set(FROZEN)


def test_every_checkpoint_loads_with_weights_only(finished_run):
    run_dir, _ = finished_run
    for path in (run_dir / "checkpoints").glob("*.ckpt"):
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        assert "state_dict" in checkpoint and "krocr_rng" in checkpoint


def test_history_summary_and_exports_agree(finished_run):
    run_dir, result = finished_run
    with open(run_dir / "history.csv") as f:
        history = list(csv.DictReader(f))
    assert [int(row["epoch"]) for row in history] == [0, 1] and result.epochs == 2
    best = min(history, key=lambda row: float(row["val_loss"]))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["best_epoch"] == int(best["epoch"]) == result.best_epoch
    assert summary["val_loss"] == pytest.approx(float(best["val_loss"]))
    assert 0 <= summary["val_word_accuracy"] <= 1 and summary["val_cer"] >= 0
    bundle = load_weights(run_dir / "best.safetensors")
    assert bundle.charset == alphabet87() and bundle.preprocess.width == 64
    assert bundle.info["epoch"] == result.best_epoch
    best_ckpt = torch.load(run_dir / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
    for name, tensor in bundle.model.state_dict().items():
        assert torch.equal(tensor, best_ckpt[f"model.{name}"]), name


def test_an_epoch_checkpoint_exports_to_a_weights_file(finished_run, tmp_path):
    run_dir, _ = finished_run
    out = export_checkpoint(run_dir / "checkpoints" / "weights.001.ckpt", tmp_path / "epoch1.safetensors")
    exported = load_weights(out)
    last = load_weights(run_dir / "last.safetensors")  # epoch 1 is the last epoch of this run
    assert exported.charset == last.charset and exported.preprocess == last.preprocess
    assert exported.info["epoch"] == 1
    for name, tensor in exported.model.state_dict().items():
        assert torch.equal(tensor, last.model.state_dict()[name]), name


def test_frozen_layers_keep_the_pretrained_weights(finished_run, pretrained):
    run_dir, _ = finished_run
    source, trained = load_file(str(pretrained)), load_file(str(run_dir / "last.safetensors"))
    for name, tensor in trained.items():
        unchanged = (
            torch.equal(tensor, source[name]) if name in source and source[name].shape == tensor.shape else False
        )
        layer = name.split(".")[0]
        if layer in FROZEN:  # weights and BatchNorm running statistics alike
            assert unchanged, name
        elif layer in ("conv2_1", "lstm1") and name.endswith("weight"):
            assert not unchanged, name
    with open(run_dir / "transfer.csv") as f:
        rows = {row["layer"]: row for row in csv.DictReader(f)}
    assert rows["conv1_1"]["frozen"] == "True" and rows["conv2_1"]["frozen"] == "False"
    assert rows["conv2_1"]["weights"] == "loaded" and rows["dense1"]["weights"] == "partially loaded"


class _KeepModule(pl.Callback):
    def setup(self, trainer, pl_module, stage):
        self.module = pl_module


class _Sabotage(pl.Callback):
    """From epoch 1 on, blow up the classifier before validation, so val_loss gets worse."""

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.current_epoch >= 1:
            with torch.no_grad():
                pl_module.model.dense1.weight.mul_(50)


def test_early_stopping_restores_the_best_weights(tmp_path, tiny_data):
    keep = _KeepModule()
    result = train(
        tiny_config(tiny_data, "train.epochs=6", "train.patience=1", "train.checkpoint_every_epoch=false"),
        tmp_path / "run",
        callbacks=[keep, _Sabotage()],
    )
    assert result.best_epoch == 0 and result.stopped_epoch == 1 and result.epochs == 2
    best = torch.load(tmp_path / "run" / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
    for name, tensor in keep.module.state_dict().items():
        assert torch.equal(tensor, best[name]), name
    last = load_file(str(tmp_path / "run" / "last.safetensors"))
    assert not torch.equal(last["dense1.weight"], best["model.dense1.weight"])
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["stopped_epoch"] == 1 and summary["best_epoch"] == 0


def test_val_cer_can_pick_the_best_weights_and_stop_early(tmp_path, tiny_data):
    config = tiny_config(tiny_data, "train.epochs=2", "train.monitor=val_cer", "train.checkpoint_every_epoch=false")
    result = train(config, tmp_path / "run")
    callbacks = torch.load(tmp_path / "run" / "checkpoints" / "best.ckpt", weights_only=True)["callbacks"]
    monitors = {key.split("'monitor': '")[1].split("'")[0] for key in callbacks if "'monitor': '" in key}
    assert monitors == {"val_cer"}  # ModelCheckpoint and EarlyStopping both watch it
    history = [float(row["val_cer"]) for row in _history(tmp_path / "run")]
    assert result.best["val_cer"] == pytest.approx(min(history))


def _history(run_dir):
    import csv

    with open(run_dir / "history.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class _Crash(pl.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.current_epoch == 2 and batch_idx == 1:
            raise RuntimeError("simulated crash")


def test_resume_after_a_crash_is_bit_exact(tmp_path, tiny_data):
    # with DataLoader workers: their prefetching and seeding are where resuming goes wrong
    config = tiny_config(tiny_data, "train.epochs=3", "train.checkpoint_every_epoch=false", "data.num_workers=2")
    train(config, tmp_path / "straight")
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(config, tmp_path / "resumed", callbacks=[_Crash()])
    assert not (tmp_path / "resumed" / "summary.json").exists()
    with pytest.raises(ConfigError, match="optim.lr"):
        train(tiny_config(tiny_data, "train.epochs=3", "data.num_workers=2", "optim.lr=0.01"), tmp_path / "resumed")
    train(config, tmp_path / "resumed")  # picks up checkpoints/last.ckpt by itself
    for name in ("last.safetensors", "best.safetensors"):
        straight, resumed = load_file(str(tmp_path / "straight" / name)), load_file(str(tmp_path / "resumed" / name))
        assert straight.keys() == resumed.keys()
        for key in straight:
            assert torch.equal(straight[key], resumed[key]), (name, key)
    assert (tmp_path / "straight" / "history.csv").read_text() == (tmp_path / "resumed" / "history.csv").read_text()
    sessions = json.loads((tmp_path / "resumed" / "environment.json").read_text())["sessions"]
    assert [s["resumed_from"] is not None for s in sessions] == [False, True]


class _CrashMidEpoch(pl.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.current_epoch == 1 and batch_idx == 3:  # after the mid-epoch validation's last.ckpt
            raise RuntimeError("simulated crash")


@pytest.mark.parametrize("width_mode", ["fixed", "natural"])
def test_a_run_resumed_mid_epoch_goes_on_with_the_batches_it_had_not_seen(tmp_path, tiny_data, width_mode):
    # a validation (and last.ckpt) every half epoch of 4 batches: long runs resume between epochs
    config = tiny_config(
        tiny_data,
        "train.epochs=2",
        "train.checkpoint_every_epoch=false",
        "train.val_check_interval=0.5",
        f"data.width_mode={width_mode}",
        "data.batch_size=16",
    )
    train(config, tmp_path / "straight")
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(config, tmp_path / "resumed", callbacks=[_CrashMidEpoch()])
    train(config, tmp_path / "resumed")
    straight = load_file(str(tmp_path / "straight" / "last.safetensors"))
    resumed = load_file(str(tmp_path / "resumed" / "last.safetensors"))
    assert all(torch.equal(straight[key], resumed[key]) for key in straight)
    validations = read_history(tmp_path / "straight" / "validations.csv")  # every validation, kept across the crash
    assert [row["epochs_trained"] for row in validations] == [0.5, 1.0, 1.5, 2.0]
    assert [row["step"] for row in validations] == [2, 4, 6, 8]
    assert read_history(tmp_path / "resumed" / "validations.csv") == validations
    assert validations[1]["val_cer"] == pytest.approx(float(_history(tmp_path / "straight")[0]["val_cer"]))
    best = min(validations, key=lambda row: row["val_loss"])  # the best checkpoint's validation
    summary = json.loads((tmp_path / "straight" / "summary.json").read_text())
    assert (summary["best_epoch"], summary["step"]) == (math.ceil(best["epochs_trained"]) - 1, best["step"])
    assert summary["val_loss"] == pytest.approx(best["val_loss"])


def _weights_file(path: Path, variant: str) -> Path:
    charset = alphabet87()
    save_weights(path, CRNN(CRNNConfig(num_classes=charset.num_classes, variant=variant)), charset, PreprocessConfig())
    return path


@pytest.mark.parametrize(
    "case",
    [
        "missing weights",
        "corrupt weights",
        "other architecture",
        "unknown layer",
        "no usable samples",
        "no dataset",
        "nothing to resume",
    ],
)
def test_bad_input_fails_before_training(tmp_path, tiny_data, case):
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x80\x04 not weights at all")
    (tmp_path / "xyz.txt").write_text("x\ny\nz\n")
    overrides, error, message = {
        "missing weights": ([f"transfer.pretrained={tmp_path / 'none.safetensors'}"], CheckpointError, "not found"),
        "corrupt weights": ([f"transfer.pretrained={corrupt}"], CheckpointError, "not a safetensors"),
        "other architecture": (
            [f"transfer.pretrained={_weights_file(tmp_path / 'ref.safetensors', 'reference')}"],
            CheckpointError,
            "different architecture",
        ),
        "unknown layer": (["transfer.freeze=[conv9_9]"], ConfigError, "conv9_9"),
        "no usable samples": ([f"charset.name={tmp_path / 'xyz.txt'}"], DataError, "no usable samples"),
        "no dataset": ([f"data.dirs=[{tmp_path / 'nowhere'}]"], DataError, "not a dataset directory"),
        "nothing to resume": ([], KrocrError, "nothing to resume"),
    }[case]
    with pytest.raises(error, match=message):
        train(tiny_config(tiny_data, *overrides), tmp_path / "run", resume=case == "nothing to resume")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_command_reports_config_errors(tmp_path, tiny_data):
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args([str(TINY), f"data.dirs=[{tiny_data}]", "optim.lrr=1", "--run-dir", str(tmp_path)])
    with pytest.raises(ConfigError, match=r"optim\.lrr: unknown key \(did you mean lr\?\)"):
        run(args)


class _FakeDataset:
    def __init__(self, size: int):
        self.size, self.epoch = size, 0

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


def test_resumed_batches_leave_out_the_batches_a_mid_epoch_checkpoint_had_seen():
    sampler = EpochSampler(_FakeDataset(12), seed=3, epoch=1)
    batches = BatchSampler(sampler, 3, drop_last=True)
    whole = list(batches)
    resumed = ResumedBatches(batches, epoch=1, done=2)
    assert list(resumed) == whole[2:] and len(resumed) == len(whole) == 4
    sampler.set_epoch(2)  # the next epoch is whole again
    assert list(resumed) == list(batches) != whole


def test_epoch_sampler_shards_by_rank_and_orders_by_seed_and_epoch():
    dataset = _FakeDataset(10)
    ranks = [EpochSampler(dataset, rank, 2, seed=3) for rank in (0, 1)]
    for sampler in ranks:
        sampler.set_epoch(4)
    first, second = list(ranks[0]), list(ranks[1])
    assert len(first) == len(second) == 5 and sorted(first + second) == list(range(10))
    assert dataset.epoch == 4  # augmentation follows the sampler's epoch
    again = EpochSampler(_FakeDataset(10), 0, 2, seed=3)
    again.set_epoch(4)
    assert list(again) == first
    again.set_epoch(5)
    assert list(again) != first
    uneven = [list(EpochSampler(_FakeDataset(5), r, 2, shuffle=False, even=False)) for r in (0, 1)]
    assert uneven == [[0, 2, 4], [1, 3]]
    padded = [list(EpochSampler(_FakeDataset(5), r, 2)) for r in (0, 1)]
    assert len(padded[0]) == len(padded[1]) == 3


@pytest.mark.parametrize("native", [True, False])
def test_precision_follows_the_hardware(monkeypatch, native):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.setattr("krocr.hardware.cpu_supports_bf16", lambda: native)
    assert resolve_precision("auto") == ("bf16-mixed" if native else "32-true")
    assert resolve_precision("fp32") == "32-true"


def test_explicit_bf16_on_a_cpu_that_emulates_it_warns_and_is_kept(monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.setattr("krocr.hardware.cpu_supports_bf16", lambda: False)
    with pytest.warns(UserWarning, match="no native bf16"):
        assert resolve_precision("bf16") == "bf16-mixed"


def test_learning_rate_follows_keras_time_decay():
    decay = learning_rate_factor(OptimOptions(decay=1e-4), total_steps=10)
    assert decay(0) == 1.0 and decay(1000) == pytest.approx(1 / 1.1)


def test_cosine_warms_up_then_reaches_zero_at_the_horizon():
    cosine = learning_rate_factor(OptimOptions(schedule="cosine", warmup_steps=10), total_steps=110)
    assert cosine(0) == pytest.approx(0.1) and cosine(9) == pytest.approx(1.0)
    assert cosine(60) == pytest.approx(0.5) and cosine(110) == pytest.approx(0.0) and cosine(500) == pytest.approx(0.0)
    assert learning_rate_factor(OptimOptions(schedule="constant"), total_steps=5)(10**6) == 1.0


@pytest.mark.parametrize("limit", [0.5, 4])
def test_a_cosine_reaches_zero_at_the_last_step_of_a_run_with_limited_batches(tmp_path, tiny_data, limit):
    config = tiny_config(
        tiny_data,
        "train.epochs=2",
        "train.checkpoint_every_epoch=false",
        "data.batch_size=8",  # 8 batches an epoch, 4 of them trained
        f"train.limit_train_batches={limit}",
        "optim.schedule=cosine",
        "optim.warmup_steps=0",
    )
    train(config, tmp_path / "run")
    rates = [float(row["lr"]) for row in _history(tmp_path / "run")]
    assert rates[0] == pytest.approx(config.optim.lr * 0.5 * (1 + math.cos(math.pi * 4 / 8)))  # after 4 of 8 steps
    assert rates[-1] == pytest.approx(0.0, abs=1e-12)


def test_steps_per_epoch_counts_as_lightning_limits_batches():
    assert [steps_per_epoch(10, limit) for limit in (1.0, 0.75, 0.01, 3, 30)] == [10, 7, 1, 3, 10]


def test_one_cycle_matches_torch_one_cycle_lr():
    total = 200
    factor = learning_rate_factor(OptimOptions(schedule="one_cycle"), total_steps=total)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    reference = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=total + 1, cycle_momentum=False)
    expected = []
    for _ in range(total + 1):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        reference.step()
    # torch's phases end at pct_start·total − 1 and total − 1 steps; ours at pct_start·total and total
    assert [factor(step) for step in (0, 60, total)] == pytest.approx([expected[0], 1.0, expected[-1]], rel=1e-6)
    assert factor(10 * total) == pytest.approx(expected[-1])


class _CurriculumDataset(_FakeDataset):
    @property
    def difficulty(self) -> np.ndarray:
        return np.arange(self.size, dtype=float)[::-1]  # the last sample is the easiest


def test_the_curriculum_starts_easy_and_keeps_the_epoch_length():
    dataset = _CurriculumDataset(1000)
    sampler = EpochSampler(dataset, seed=1, curriculum_samples=200)
    first = list(sampler)
    assert len(first) == 1000 and first == list(EpochSampler(_CurriculumDataset(1000), seed=1, curriculum_samples=200))
    assert min(first[:20]) >= 1000 - 186  # draw k < 20 comes from the easiest (10 + 90·k/200) %
    assert np.mean(first[:100]) > np.mean(first[100:200]) > 500  # the pool widens
    sampler.set_epoch(1)
    assert sorted(sampler) == list(range(1000))  # later epochs: a plain permutation


def test_width_batches_are_full_narrow_and_reproducible():
    widths = np.random.default_rng(0).integers(256, 1200, size=1000)

    def batches(epoch: int) -> list[list[int]]:
        sampler = WidthBatchSampler(EpochSampler(_FakeDataset(1000), seed=2), widths, batch_size=16)
        sampler.sampler.set_epoch(epoch)  # as Lightning does: batch_sampler.sampler
        return list(sampler)

    first = batches(0)
    assert len(first) == 1000 // 16 and all(len(b) == 16 for b in first)
    flat = [i for b in first for i in b]
    assert len(set(flat)) == len(flat)
    spread = np.mean([np.ptp(widths[b]) for b in first])
    assert spread < 0.1 * np.ptp(widths)  # similar widths share a batch
    assert first == batches(0) and first != batches(1)


def test_natural_width_training_resumes_exactly(tmp_path, tiny_data):
    # cosine + curriculum + width batches: every new piece of the data order and the schedule
    # width 40 < the 56 px of three-symbol crops, so batches really differ in width
    config = tiny_config(
        tiny_data,
        "train.epochs=3",
        "train.checkpoint_every_epoch=false",
        "data.width_mode=natural",
        "data.width=40",
        "data.max_label_length=4",
        "optim.schedule=cosine",
        "data.curriculum_samples=32",
        "data.batch_size=8",
    )
    train(config, tmp_path / "straight")
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(config, tmp_path / "resumed", callbacks=[_Crash()])
    train(config, tmp_path / "resumed")
    straight, resumed = (
        load_file(str(tmp_path / "straight" / "last.safetensors")),
        load_file(str(tmp_path / "resumed" / "last.safetensors")),
    )
    assert all(torch.equal(straight[key], resumed[key]) for key in straight)
    assert load_weights(tmp_path / "straight" / "last.safetensors").preprocess.width_mode == "natural"


def test_rng_states_survive_a_weights_only_round_trip(tmp_path):
    import random

    torch.manual_seed(5), np.random.seed(5), random.seed(5)
    torch.save(capture_rng(), tmp_path / "rng.pt")
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(0), np.random.seed(0), random.seed(0)
    restore_rng(torch.load(tmp_path / "rng.pt", weights_only=True))
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1]) and random.random() == expected[2]


def test_a_failed_checkpoint_write_leaves_the_previous_file(tmp_path, monkeypatch):
    io = AtomicCheckpointIO()
    target = tmp_path / "last.ckpt"
    io.save_checkpoint({"epoch": 1, "weights": torch.ones(3)}, target)

    def dies_halfway(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("killed")

    monkeypatch.setattr(torch, "save", dies_halfway)
    with pytest.raises(OSError):
        io.save_checkpoint({"epoch": 2, "weights": torch.zeros(3)}, target)
    monkeypatch.undo()
    assert io.load_checkpoint(target)["epoch"] == 1


_RUN_SCRIPT = textwrap.dedent("""
    import argparse, sys
    from pathlib import Path
    import lightning.pytorch as pl
    from safetensors.torch import save_file
    from krocr.commands.train import configure, run
    from krocr.config import load_config
    from krocr.training.run import train

    class RecordSeen(pl.Callback):
        '''Each rank writes the labels it trained on and its final weights.'''

        def __init__(self, out):
            self.out = Path(out)

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            with open(self.out / f"seen.rank{trainer.global_rank}.txt", "a") as f:
                f.write(f"{trainer.current_epoch}\\t" + "\\t".join(batch.texts) + "\\n")

        def on_train_end(self, trainer, pl_module):
            state = {k: v.contiguous() for k, v in pl_module.model.state_dict().items()}
            save_file(state, str(self.out / f"weights.rank{trainer.global_rank}.safetensors"))

    if __name__ == "__main__":
        if sys.argv[1] == "record":  # record OUT CONFIG overrides...: DDP on 2 CPU processes
            config = load_config(sys.argv[3], sys.argv[4:])
            train(config, Path(sys.argv[2]) / "run", devices=2, strategy="ddp",
                           callbacks=[RecordSeen(sys.argv[2])])
        else:  # the krocr train command
            parser = argparse.ArgumentParser()
            configure(parser)
            sys.exit(run(parser.parse_args(sys.argv[1:])))
""")


def _script(tmp_path: Path) -> Path:
    path = tmp_path / "run_training.py"
    path.write_text(_RUN_SCRIPT)
    return path


def test_ddp_ranks_see_different_samples_and_end_equal(tmp_path, tiny_data):
    out = tmp_path / "ddp"
    out.mkdir()
    command = [
        sys.executable,
        str(_script(tmp_path)),
        "record",
        str(out),
        str(TINY),
        f"data.dirs=[{tiny_data}]",
        "train.epochs=1",
        "train.checkpoint_every_epoch=false",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = [
        [t for line in (out / f"seen.rank{r}.txt").read_text().splitlines() for t in line.split("\t")[1:]]
        for r in (0, 1)
    ]
    assert len(seen[0]) == len(seen[1]) == 32
    assert not set(seen[0]) & set(seen[1])
    weights = [load_file(str(out / f"weights.rank{r}.safetensors")) for r in (0, 1)]
    for name in weights[0]:
        assert torch.equal(weights[0][name], weights[1][name]), name
    assert (out / "run" / "best.safetensors").exists()


@pytest.mark.slow  # two subprocess starts and a full run: 13-30 s on 2 cores
def test_resume_after_kill_9_matches_an_uninterrupted_run(tmp_path, tiny_data):
    train(tiny_config(tiny_data, "train.epochs=4"), tmp_path / "straight")
    killed = tmp_path / "killed"
    command = [
        sys.executable,
        str(_script(tmp_path)),
        str(TINY),
        f"data.dirs=[{tiny_data}]",
        "train.epochs=4",
        "--run-dir",
        str(killed),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not (killed / "checkpoints" / "weights.001.ckpt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / "summary.json").exists()
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    straight, again = (
        load_file(str(tmp_path / "straight" / "last.safetensors")),
        load_file(str(killed / "last.safetensors")),
    )
    for name in straight:
        assert torch.equal(straight[name], again[name]), name
