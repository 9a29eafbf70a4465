"""Resuming from, and exporting, a ``last.ckpt`` that is not what krocr wrote: what a user
sees end to end through ``krocr train`` and ``krocr export`` (``krocr.cli.main``).

Each test copies a real interrupted run (the tiny config, stopped by an exception in its
second epoch: ``config.yaml``, ``charset.json``, ``checkpoints/last.ckpt`` of epoch 0, no
``summary.json``) and spoils its ``last.ckpt``: a pickle whose unpickling would run code
(a bare pickle, or a ``torch.save`` zip holding the payload), the real file cut in half,
the real file with one bit of a tensor flipped (torch does not check the archive's CRCs),
files that are not checkpoints at all, and an epoch's weights-only checkpoint. Every case
must end in exactly one line ``krocr CMD: error: <path>: … it was not loaded …`` with exit
status 1, no traceback, no advice to load the file with ``weights_only=False``, no payload
run, and nothing written into the run directory.
"""

from __future__ import annotations

import pickle
import shutil
import struct
import zipfile
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
from fixtures.tiny_crops import write_tiny_crops

from krocr.cli import main
from krocr.config import load_config
from krocr.training.run import train

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml"
OVERRIDES = ["train.epochs=2", "train.checkpoint_every_epoch=false"]
SPOILED = ["raw_pickle", "torch_save_payload", "truncated", "bit_flip", "text", "empty", "weights_only_epoch"]


class Payload:
    """Unpickling this calls ``Path(marker).touch()``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path(self.marker).touch, ())


class _Interrupt(pl.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.current_epoch == 1:
            raise RuntimeError("interrupted")


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    return write_tiny_crops(tmp_path_factory.mktemp("resume_data"), seed=2)


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory, tiny_data) -> Path:
    """A run directory left by a run that stopped in epoch 1: ``last.ckpt`` is epoch 0's."""
    run_dir = tmp_path_factory.mktemp("interrupted") / "run"
    with pytest.raises(RuntimeError, match="interrupted"):
        train(load_config(TINY, [f"data.dirs=[{tiny_data}]", *OVERRIDES]), run_dir, callbacks=[_Interrupt()])
    assert (run_dir / "checkpoints" / "last.ckpt").exists() and not (run_dir / "summary.json").exists()
    return run_dir


def spoil(last: Path, kind: str, marker: Path) -> None:
    """Replace the run's ``last.ckpt`` by a bad file of ``kind``."""
    if kind == "raw_pickle":
        last.write_bytes(pickle.dumps(Payload(marker)))
    elif kind == "torch_save_payload":
        torch.save({"state_dict": {"w": torch.zeros(2)}, "extra": Payload(marker)}, last)
    elif kind == "truncated":
        data = last.read_bytes()
        last.write_bytes(data[: len(data) // 2])
    elif kind == "bit_flip":  # one bit of the largest tensor: torch itself would load it as a wrong weight
        with zipfile.ZipFile(last) as archive:
            part = max(archive.infolist(), key=lambda info: info.file_size)
        data = bytearray(last.read_bytes())
        name_length, extra_length = struct.unpack("<HH", data[part.header_offset + 26 : part.header_offset + 30])
        data[part.header_offset + 30 + name_length + extra_length + part.file_size // 2] ^= 0x01
        last.write_bytes(bytes(data))
    elif kind == "text":
        last.write_text("epoch: 3\nthis is not a checkpoint\n")
    elif kind == "empty":
        last.write_bytes(b"")
    else:  # an epoch checkpoint, weights only, copied over last.ckpt
        full = torch.load(last, weights_only=True)
        torch.save({"epoch": full["epoch"], "global_step": full["global_step"], "state_dict": full["state_dict"]}, last)


def files(run_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*")) if p.is_file()}


def one_error_line(err: str, command: str, path: Path) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"krocr {command}: error: {path}: "), lines[0]
    return lines[0]


def assert_refused_safely(line: str, output: str) -> None:
    assert "it was not loaded" in line
    for advice in ("weights_only", "Traceback", "trust", "safe_globals"):
        assert advice not in output, advice


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("kind", SPOILED)
def test_resume_from_a_spoiled_last_ckpt_is_one_error_line(tmp_path, tiny_data, interrupted, kind, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(interrupted, run_dir)
    last, marker = run_dir / "checkpoints" / "last.ckpt", tmp_path / "pwned"
    spoil(last, kind, marker)
    before = files(run_dir)
    capsys.readouterr()
    status = main(["train", str(TINY), f"data.dirs=[{tiny_data}]", *OVERRIDES, "--run-dir", str(run_dir)])
    out, err = capsys.readouterr()
    assert status == 1
    line = one_error_line(err, "train", last)
    assert_refused_safely(line, out + err)
    assert "train into another --run-dir" in line  # what to do
    assert not marker.exists()
    assert files(run_dir) == before  # nothing written, nothing overwritten


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("kind", [kind for kind in SPOILED if kind != "weights_only_epoch"])
def test_export_of_a_spoiled_ckpt_is_one_error_line(tmp_path, interrupted, kind, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(interrupted, run_dir)
    last, marker, out_file = run_dir / "checkpoints" / "last.ckpt", tmp_path / "pwned", tmp_path / "x.safetensors"
    spoil(last, kind, marker)
    capsys.readouterr()
    status = main(["export", str(last), "--out", str(out_file)])
    out, err = capsys.readouterr()
    assert status == 1
    assert_refused_safely(one_error_line(err, "export", last), out + err)
    assert not marker.exists() and not out_file.exists()


def test_export_of_a_ckpt_outside_its_run_directory_says_where_it_belongs(tmp_path, interrupted, capsys):
    moved = tmp_path / "downloads" / "last.ckpt"
    moved.parent.mkdir()
    shutil.copy(interrupted / "checkpoints" / "last.ckpt", moved)
    status = main(["export", str(moved), "--out", str(tmp_path / "x.safetensors")])
    line = one_error_line(capsys.readouterr().err, "export", moved)
    assert status == 1
    assert "exported from inside its run directory" in line
    assert "RUN_DIR/checkpoints/last.ckpt beside RUN_DIR/config.yaml" in line
    assert "best.safetensors" in line and "last.safetensors" in line
    assert not (tmp_path / "x.safetensors").exists()
    # in its run directory the same file exports
    in_place = interrupted / "checkpoints" / "last.ckpt"
    assert main(["export", str(in_place), "--out", str(tmp_path / "x.safetensors")]) == 0
    assert (tmp_path / "x.safetensors").stat().st_size > 0
