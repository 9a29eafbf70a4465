"""Crash and resume: ``kill -9`` a training process, train again into the same run
directory, and get bit-for-bit the weights and history of a run that was never interrupted.

The training runs in a child process that is ended by SIGKILL (no ``finally``, no
``atexit``, no Lightning teardown), at three moments:

* ``mid_checkpoint`` (default run): halfway through writing ``last.ckpt`` after epoch 1,
  so the file being written is torn; the previous ``last.ckpt`` must still be whole
  (atomic writes), and the run resumes from epoch 1;
* ``mid_epoch`` (slow): in the middle of epoch 2 (deterministic: the child kills itself);
* ``external`` (slow): the parent sends SIGKILL at a random moment after the first
  checkpoint appears, as an out-of-memory killer or a pre-empted machine would.

The child pins torch to the parent's thread count, so both processes compute alike.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from fixtures.tiny_crops import write_tiny_crops
from safetensors.torch import load_file

from krocr.config import load_config
from krocr.training.checkpoints import read_checkpoint
from krocr.training.run import train

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml"
OVERRIDES = ["train.epochs=3", "train.checkpoint_every_epoch=false", "data.num_workers=0"]

CHILD = r"""
import io, json, os, signal, sys, time
from pathlib import Path
import torch
tiny, data, run_dir, threads, mode, overrides = sys.argv[1:7]
torch.set_num_threads(int(threads))
import lightning.pytorch as pl
from krocr.config import load_config
from krocr.training.run import train

def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)

class Kill(pl.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if mode == "mid_epoch" and trainer.current_epoch == 2 and batch_idx == 1:
            die()
        if mode == "external":
            time.sleep(0.05)  # leave the parent a window to strike in

saves = []
real_save = torch.save
def torn_save(obj, f, *args, **kwargs):
    name = getattr(f, "name", str(f))
    if mode == "mid_checkpoint" and "last.ckpt" in os.path.basename(str(name)):  # whatever file that save writes
        saves.append(name)
        if len(saves) == 2:  # last.ckpt after epoch 1
            buffer = io.BytesIO()
            real_save(obj, buffer, *args, **kwargs)
            data = buffer.getvalue()
            f.write(data[: len(data) // 2])
            f.flush()
            os.fsync(f.fileno())
            die()
    return real_save(obj, f, *args, **kwargs)
torch.save = torn_save

config = load_config(tiny, [f"data.dirs=[{data}]", *json.loads(overrides)])
train(config, Path(run_dir), callbacks=[Kill()])
print("finished without being killed")
"""


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    return write_tiny_crops(tmp_path_factory.mktemp("kill_data"), seed=1)


def config(data: Path):
    return load_config(TINY, [f"data.dirs=[{data}]", *OVERRIDES])


@pytest.fixture(scope="module")
def straight(tmp_path_factory, tiny_data) -> Path:
    """The uninterrupted run to compare with."""
    run_dir = tmp_path_factory.mktemp("straight") / "run"
    train(config(tiny_data), run_dir)
    return run_dir


def child(tiny_data: Path, run_dir: Path, mode: str) -> subprocess.Popen:
    env = {**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(TINY),
            str(tiny_data),
            str(run_dir),
            str(torch.get_num_threads()),
            mode,
            json.dumps(OVERRIDES),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=run_dir.parent,
    )


def assert_same_as_straight(run_dir: Path, straight: Path) -> None:
    for name in ("last.safetensors", "best.safetensors"):
        a, b = load_file(str(straight / name)), load_file(str(run_dir / name))
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]), (name, key)
    assert (straight / "history.csv").read_text() == (run_dir / "history.csv").read_text()
    assert json.loads((straight / "summary.json").read_text()) == json.loads((run_dir / "summary.json").read_text())
    sessions = json.loads((run_dir / "environment.json").read_text())["sessions"]
    assert [s["resumed_from"] is not None for s in sessions] == [False, True]


@pytest.mark.timeout_s(120)
@pytest.mark.parametrize("mode", [pytest.param("mid_epoch", marks=pytest.mark.slow), "mid_checkpoint"])
def test_sigkill_then_resume_is_bit_exact(tmp_path, tiny_data, straight, mode):
    run_dir = tmp_path / "run"
    process = child(tiny_data, run_dir, mode)
    output, _ = process.communicate(timeout=100)
    assert process.returncode == -signal.SIGKILL, output
    assert "finished without being killed" not in output
    assert not (run_dir / "summary.json").exists() and not (run_dir / "best.safetensors").exists()
    checkpoints = run_dir / "checkpoints"
    last = read_checkpoint(checkpoints / "last.ckpt")  # whole and loadable, whatever the moment of the kill
    if mode == "mid_checkpoint":
        (torn,) = [p for p in checkpoints.iterdir() if "last.ckpt" in p.name and p.name != "last.ckpt"]
        assert 0 < torn.stat().st_size < (checkpoints / "last.ckpt").stat().st_size * 0.75  # half written
        assert last["epoch"] == 0  # the previous last.ckpt, untouched by the torn write
    else:
        assert last["epoch"] == 1  # the end of epoch 1; epoch 2 was cut short
    train(config(tiny_data), run_dir)  # resumes from checkpoints/last.ckpt by itself
    assert_same_as_straight(run_dir, straight)


@pytest.mark.slow
@pytest.mark.timeout_s(300)
@pytest.mark.parametrize("attempt", range(3))
def test_sigkill_at_a_random_moment_then_resume_is_bit_exact(tmp_path, tiny_data, straight, attempt):
    run_dir = tmp_path / "run"
    last = run_dir / "checkpoints" / "last.ckpt"
    process = child(tiny_data, run_dir, "external")
    deadline = time.monotonic() + 100
    while not last.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(random.Random(attempt).uniform(0.0, 1.5))  # somewhere in epochs 1-2, checkpoint writes included
    process.send_signal(signal.SIGKILL)
    output, _ = process.communicate(timeout=60)
    if process.returncode != -signal.SIGKILL:
        pytest.fail(f"the child was not killed (exit {process.returncode}); slow it down:\n{output[-2000:]}")
    read_checkpoint(last)
    train(config(tiny_data), run_dir)
    assert_same_as_straight(run_dir, straight)
