"""Checkpoints of a run: atomic weights-only files, the RNG states they carry, reading
them back (the best epoch, an export to a weights file) and deciding whether to resume.

A resumed run restores the schedule, the optimizer, the callbacks and the torch / NumPy /
Python RNG states from ``checkpoints/last.ckpt``; with the data order and augmentation
functions of (seed, epoch), it computes exactly what an uninterrupted run does.

Every read of a ``.ckpt`` (resume, the best epoch, an export) goes through
:func:`load_checkpoint_file`: a torch zip archive unpickled with ``weights_only=True``. A
damaged, truncated, foreign or malicious file becomes one :class:`CheckpointError` naming
the file and saying it was not loaded; a pickle that names code to run is never unpickled.
"""

from __future__ import annotations

import os
import pickle
import random
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from krocr.analysis.runs import CHARSET_FILE, CONFIG_FILE, SUMMARY_FILE
from krocr.charset import Charset
from krocr.config import (
    ExperimentConfig,
    config_differences,
    config_to_dict,
    load_config,
)
from krocr.errors import CheckpointError, ConfigError, KrocrError
from krocr.model.weights import load_state_checked, save_weights
from krocr.training.builders import build_model, preprocess_config

CHECKPOINTS = "checkpoints"  # the run directory's folder of checkpoints
LAST_CHECKPOINT = "last.ckpt"
# Keys a resumed run may change: they do not alter what the finished epochs computed.
RESUMABLE_CHANGES = frozenset({"train.name", "train.epochs", "data.num_workers", "train.log_every_n_steps"})
# What resuming reads from last.ckpt besides the weights (Lightning's loops and optimizer, krocr's RNGs).
RESUME_KEYS = ("state_dict", "optimizer_states", "loops", "pytorch-lightning_version", "krocr_rng")
# Words of torch's advice on loading a refused file anyway, never passed on to the user.
UNSAFE_ADVICE = ("weights_only", "safe_globals", "trust", "allowlist")
ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive; a bare pickle is never a krocr checkpoint


class AtomicCheckpointIO(TorchCheckpointIO):
    """Checkpoint files that are never torn, and never unpickle code.

    Saving writes a temporary file next to the target, fsyncs it and renames it over the
    target, so a kill at any moment leaves the previous file or the new one. (Lightning's
    own save moves a file from the system temp directory: a copy, not a rename, whenever
    that is another filesystem.) Loading is :func:`load_checkpoint_file`: always
    ``torch.load(weights_only=True)`` (krocr checkpoints hold only tensors and plain
    containers), and a file it refuses raises a one-line :class:`CheckpointError`.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def load_checkpoint(self, path: str | Path, map_location: Any = "cpu", weights_only: bool | None = None) -> dict:
        return load_checkpoint_file(path, map_location)


def load_checkpoint_file(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """The dict a ``torch.save`` zip archive holds, unpickled with ``weights_only=True``.

    Raises:
        CheckpointError: one line naming the file and saying it was not loaded, for a file
            that is missing, not a zip archive (a bare pickle, text, empty), truncated,
            damaged (every part's CRC is checked) or whose pickle names code to run (never
            unpickled; torch's advice to load it unsafely is not passed on).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(len(ZIP_MAGIC))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint not found") from None
    except OSError as exc:  # a directory, no permission
        raise CheckpointError(
            f"{path}: cannot read the checkpoint ({exc.strerror or exc}); it was not loaded"
        ) from None
    if not head:
        raise _not_loaded(path, "the file is empty")
    if head != ZIP_MAGIC:
        raise _not_loaded(path, "not a checkpoint file: krocr checkpoints are zip archives written by torch.save")
    if not zipfile.is_zipfile(path):
        raise _not_loaded(path, "truncated or damaged: its zip archive ends early")
    try:  # torch does not check the archive's CRCs: a flipped bit in a tensor would load as a wrong weight
        with zipfile.ZipFile(path) as archive:
            corrupt = archive.testzip()
    except Exception as exc:  # zipfile raises several types for a damaged directory
        raise _not_loaded(path, f"damaged ({_short(exc)})") from None
    if corrupt is not None:
        raise _not_loaded(path, f"damaged: its part {corrupt} fails its checksum")
    try:
        with warnings.catch_warnings():  # torch's notes on pickle protocols: not the user's concern
            warnings.simplefilter("ignore")
            checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise _not_loaded(path, _unpickling_reason(str(exc))) from None
    except Exception as exc:  # torch raises many types for damaged archives
        raise _not_loaded(path, f"damaged ({_short(exc)})") from None
    if not isinstance(checkpoint, dict):
        raise _not_loaded(path, f"it holds a {type(checkpoint).__name__}, not the dict of a checkpoint")
    return checkpoint


def _not_loaded(path: str | Path, reason: str) -> CheckpointError:
    return CheckpointError(f"{path}: not a loadable krocr checkpoint ({reason}); it was not loaded")


def _unpickling_reason(message: str) -> str:
    """Why torch's weights-only unpickler refused a file, without its advice to load it unsafely."""
    named = re.search(r"Unsupported global: GLOBAL ([\w.]+)|unrecognized function ([\w.<>]+)", message)
    if named:
        code = (named.group(1) or named.group(2)).rstrip(".")
        return (
            f"it names Python code to run when unpickled ({code}); a krocr checkpoint holds only tensors "
            "and plain values, so this file was altered or comes from elsewhere"
        )
    detail = re.search(r"WeightsUnpickler error:\s*([^\n]+)", message)
    return f"damaged: its pickle cannot be read ({_first_sentence(detail.group(1) if detail else '') or 'unreadable'})"


def _short(exc: Exception) -> str:
    """The first sentence of an exception's message, on one line, naming no unsafe remedy."""
    text = _first_sentence(str(exc))
    return text if " " in text else f"{type(exc).__name__} {text}".strip()


def _first_sentence(message: str) -> str:
    """The first sentence of ``message`` on one line; empty if it tells how to load a file unsafely."""
    lines = message.strip().splitlines()
    text = lines[0].split(". ")[0].strip().rstrip(".") if lines else ""
    return "" if any(word in text for word in UNSAFE_ADVICE) else text


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """A run checkpoint's contents (:func:`load_checkpoint_file`), which must hold a ``state_dict``;
    anything else raises a one-line CheckpointError naming the file."""
    checkpoint = load_checkpoint_file(path)
    if not isinstance(checkpoint.get("state_dict"), dict):
        raise _not_loaded(path, "a torch file without a state_dict, not a checkpoint of a krocr run")
    return checkpoint


def check_resumable(path: Path) -> None:
    """Refuse, before anything is built or written, a ``last.ckpt`` that resuming cannot load."""
    try:
        checkpoint = read_checkpoint(path)
    except CheckpointError as exc:
        raise CheckpointError(f"{exc}; to start over, train into another --run-dir") from None
    missing = [key for key in RESUME_KEYS if key not in checkpoint]
    if missing:
        raise CheckpointError(
            f"{path}: holds weights but not the training state a resume needs (no {', '.join(missing)}: "
            "an epoch's weights.NNN.ckpt?); it was not loaded; to start over, train into another --run-dir"
        )


def restore_best_weights(module: torch.nn.Module, best_path: str | Path) -> int:
    """Load the best checkpoint's weights into ``module``; returns its epoch."""
    checkpoint = read_checkpoint(best_path)
    module.load_state_dict(checkpoint["state_dict"])
    return int(checkpoint["epoch"])


def model_tensors(checkpoint: dict) -> dict[str, torch.Tensor]:
    """The model's tensors in a training system's checkpoint (its ``model.`` entries, named
    as the plain ``nn.Module`` names them)."""
    prefix = "model."
    return {k[len(prefix) :]: v for k, v in checkpoint["state_dict"].items() if k.startswith(prefix)}


def exported_info(checkpoint: Path, state: dict, config: dict) -> dict:
    """The ``info`` a weights file exported from a run's checkpoint carries: where it came
    from (run directory, checkpoint, epoch) and the run's config."""
    return {
        "run_dir": str(checkpoint.parent.parent),
        "checkpoint": checkpoint.name,
        "epoch": int(state.get("epoch", -1)),
        "config": config,
    }


def export_checkpoint(checkpoint: str | Path, out: str | Path, half: bool = False) -> Path:
    """Write the weights of a run's Lightning checkpoint (``RUN_DIR/checkpoints/*.ckpt``)
    as a krocr weights file, with the run's charset, model config and preprocessing: the
    way to use an epoch of a run that was stopped before it exported ``best.safetensors``.

    The checkpoint is read first (a damaged or foreign file is named as such); a checkpoint
    outside its run directory raises a CheckpointError saying where it must be."""
    checkpoint = Path(checkpoint)
    state = read_checkpoint(checkpoint)
    run_dir = checkpoint.parent.parent
    missing = [name for name in (CONFIG_FILE, CHARSET_FILE) if not (run_dir / name).is_file()]
    if missing:
        raise CheckpointError(
            f"{checkpoint}: a .ckpt is exported from inside its run directory, as "
            f"RUN_DIR/{CHECKPOINTS}/{checkpoint.name} beside RUN_DIR/{CONFIG_FILE} and RUN_DIR/{CHARSET_FILE} "
            f"(its model and charset), but {' and '.join(str(run_dir / name) for name in missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not there; a finished run has also written "
            "RUN_DIR/best.safetensors and RUN_DIR/last.safetensors, which need no export"
        )
    config = load_config(run_dir / CONFIG_FILE)
    charset = Charset.load(run_dir / CHARSET_FILE)
    model = build_model(config.model, charset)
    load_state_checked(model, model_tensors(state), str(checkpoint))
    info = exported_info(checkpoint, state, config_to_dict(config))
    save_weights(out, model, charset, preprocess_config(config), info, half=half)
    return Path(out)


def resume_checkpoint(run_dir: Path, config: ExperimentConfig, requested: bool) -> Path | None:
    """``last.ckpt`` of ``run_dir`` if training should continue from it, after checking that
    the run was trained with the same config."""
    last = run_dir / CHECKPOINTS / LAST_CHECKPOINT
    if (run_dir / SUMMARY_FILE).exists():
        raise KrocrError(f"{run_dir}: holds a finished run ({SUMMARY_FILE}); train into another --run-dir")
    if not last.exists():
        if requested:
            raise KrocrError(f"{run_dir}: nothing to resume (no {CHECKPOINTS}/{LAST_CHECKPOINT})")
        return None
    saved = load_config(run_dir / CONFIG_FILE)
    changed = {k: v for k, v in config_differences([saved, config]).items() if k not in RESUMABLE_CHANGES}
    if changed:
        shown = "; ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in changed.items())
        raise ConfigError(
            f"{run_dir}: was trained with another config ({shown}); resume with the same config "
            f"(only {', '.join(sorted(RESUMABLE_CHANGES))} may change) or use another --run-dir"
        )
    check_resumable(last)
    return last


def capture_rng() -> dict[str, Any]:
    """torch / NumPy / Python global RNG states as tensors and plain values (weights_only-safe)."""
    numpy_state = np.random.get_state(legacy=True)
    assert isinstance(numpy_state, tuple)  # the global RandomState is an MT19937, whose legacy state is a tuple
    _, keys, position, has_gauss, cached_gaussian = numpy_state
    version, python_state, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "position": int(position),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "python": {"version": version, "state": list(python_state), "gauss_next": gauss_next},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Set the global RNGs to a state :func:`capture_rng` took."""
    torch.set_rng_state(state["torch"])
    numpy_state = state["numpy"]
    np.random.set_state(
        (
            "MT19937",
            numpy_state["keys"].numpy().astype(np.uint32),
            numpy_state["position"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    python_state = state["python"]
    random.setstate((python_state["version"], tuple(python_state["state"]), python_state["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def best_checkpoint(run_dir: Path, monitor: str, mode: Literal["min", "max"]) -> ModelCheckpoint:
    """``best.ckpt`` by ``monitor`` and ``last.ckpt`` (what a resume reads) in RUN_DIR/checkpoints;
    overwritten, not versioned, when a resumed run saves them again."""
    return ModelCheckpoint(
        dirpath=run_dir / CHECKPOINTS,
        filename="best",
        monitor=monitor,
        mode=mode,
        save_top_k=1,
        save_last=True,
        auto_insert_metric_name=False,
        enable_version_counter=False,
    )


def epoch_checkpoints(run_dir: Path, filename: str) -> ModelCheckpoint:
    """A weights-only checkpoint after every epoch in RUN_DIR/checkpoints, named by Lightning's
    ``filename`` pattern (e.g. ``weights.{epoch:03d}``); a redone epoch overwrites its file."""
    return ModelCheckpoint(
        dirpath=run_dir / CHECKPOINTS,
        filename=filename,
        save_top_k=-1,
        every_n_epochs=1,
        save_weights_only=True,
        auto_insert_metric_name=False,
        enable_version_counter=False,
    )
