"""Checkpoints of a run: atomic weights-only files, the RNG states they carry, reading
them back (the best epoch, an export to a weights file) and deciding whether to resume.

A resumed run restores the schedule, the optimizer, the callbacks and the torch / NumPy /
Python RNG states from ``checkpoints/last.ckpt``; with the data order and augmentation
functions of (seed, epoch), it computes exactly what an uninterrupted run does.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
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


class AtomicCheckpointIO(TorchCheckpointIO):
    """Checkpoint files that are never torn, and never unpickle code.

    Saving writes a temporary file next to the target, fsyncs it and renames it over the
    target, so a kill at any moment leaves the previous file or the new one. (Lightning's
    own save moves a file from the system temp directory: a copy, not a rename, whenever
    that is another filesystem.) Loading always uses ``torch.load(weights_only=True)``:
    krocr checkpoints hold only tensors and plain containers.
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
        return super().load_checkpoint(path, map_location=map_location, weights_only=True)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint's contents, loaded with ``weights_only=True``; a CheckpointError names the file."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint not found") from None
    except Exception as exc:  # torch raises many types for damaged or unsafe files
        raise CheckpointError(f"{path}: not a loadable krocr checkpoint ({exc})") from None


def restore_best_weights(module: torch.nn.Module, best_path: str | Path) -> int:
    """Load the best checkpoint's weights into ``module``; returns its epoch."""
    checkpoint = read_checkpoint(best_path)
    module.load_state_dict(checkpoint["state_dict"])
    return int(checkpoint["epoch"])


def export_checkpoint(checkpoint: str | Path, out: str | Path, half: bool = False) -> Path:
    """Write the weights of a run's Lightning checkpoint (``RUN_DIR/checkpoints/*.ckpt``)
    as a krocr weights file, with the run's charset, model config and preprocessing: the
    way to use an epoch of a run that was stopped before it exported ``best.safetensors``."""
    checkpoint = Path(checkpoint)
    run_dir = checkpoint.parent.parent
    config = load_config(run_dir / CONFIG_FILE)
    charset = Charset.load(run_dir / CHARSET_FILE)
    model = build_model(config.model, charset)
    state = read_checkpoint(checkpoint)
    prefix = "model."
    weights = {k[len(prefix) :]: v for k, v in state["state_dict"].items() if k.startswith(prefix)}
    load_state_checked(model, weights, str(checkpoint))
    info = {
        "run_dir": str(run_dir),
        "checkpoint": checkpoint.name,
        "epoch": int(state.get("epoch", -1)),
        "config": config_to_dict(config),
    }
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
