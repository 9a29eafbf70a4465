"""The training system: ``krocr train CONFIG.yaml [key=value …]`` on PyTorch Lightning.

* :class:`RecognizerModule` wraps the plain :class:`~krocr.model.crnn.CRNN`: focal CTC, Adam
  with the Keras time decay ``lr / (1 + decay · iteration)`` stepped per batch, and
  validation by greedy decoding (CER, word accuracy, mean normalized edit distance).
* :class:`CropDataModule` serves :class:`~krocr.data.dataset.CropDataset` through an
  :class:`EpochSampler`: each rank's share of the data in an order fixed by (seed, epoch).
* :func:`train` assembles Lightning's own callbacks and loggers (checkpoints every epoch +
  best + last, early stopping on val_loss, CSV and TensorBoard logs, learning-rate and
  throughput monitors, a rich progress bar with ETA — log lines when the output is not a
  terminal) and, at the end, loads the best checkpoint's weights back into the model and
  exports ``best.safetensors`` and ``last.safetensors``.

A run directory (``runs/<name>/`` unless ``--run-dir``) holds::

    config.yaml  charset.json  environment.json  transfer.md  transfer.csv
    checkpoints/weights.000.ckpt …  best.ckpt  last.ckpt
    history.csv  loss.png  curves.png  summary.json
    logs/version_N/metrics.csv  tensorboard/
    best.safetensors  last.safetensors

Resuming (``--resume``, or automatically when ``checkpoints/last.ckpt`` exists) restores the
schedule, the optimizer, the callbacks and the torch / NumPy / Python RNG states from
``last.ckpt``; with the data order and augmentation functions of (seed, epoch), a resumed run
computes exactly what an uninterrupted one does. Checkpoints hold only tensors and plain
containers, are written atomically, and are loaded with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import random
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.callbacks import (
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
    ThroughputMonitor,
)
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.plugins.io import TorchCheckpointIO
from lightning.pytorch.utilities import rank_zero_only
from rich.console import Console, RenderableType
from rich.table import Table
from torch.utils.data import DataLoader, Sampler

import krocr
from krocr.analysis.metrics import compute_metrics
from krocr.analysis.plots import TrainingCurves
from krocr.charset import Charset, resolve_charset
from krocr.config import (
    CharsetOptions,
    ExperimentConfig,
    LossOptions,
    ModelOptions,
    OptimOptions,
    TransferOptions,
    config_differences,
    config_to_dict,
    dump_config,
    load_config,
)
from krocr.data.dataset import Batch, CropDataset, collate
from krocr.errors import CheckpointError, ConfigError, DataError, KrocrError
from krocr.hardware import (
    bf16_is_native,
    cpu_description,
    cpu_supports_bf16,
    warn_if_bf16_is_emulated,
)
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.decoding import greedy_decode
from krocr.model.focal_ctc import FocalCTCLoss, LossOutput
from krocr.model.preprocess import PreprocessConfig
from krocr.model.transfer import (
    LayerTable,
    TransferReport,
    freeze_layers,
    load_pretrained,
)
from krocr.model.weights import load_state_checked, save_weights
from krocr.training.progress import progress_bar

CHECKPOINTS = "checkpoints"
LAST_CHECKPOINT = "last.ckpt"
SUMMARY = "summary.json"
# Keys a resumed run may change: they do not alter what the finished epochs computed.
RESUMABLE_CHANGES = frozenset({"train.name", "train.epochs", "data.num_workers", "train.log_every_n_steps"})

_console = Console(markup=False, emoji=False)


@rank_zero_only
def _show(*renderables: RenderableType) -> None:
    """Print once, from the first process (DDP ranks run this module too)."""
    for renderable in renderables:
        _console.print(renderable)


# ---- building blocks from the config -----------------------------------------------------------


def build_charset(options: CharsetOptions) -> Charset:
    """The named charset with the configured tokenizer (and an unknown token for oov=unknown)."""
    base = resolve_charset(options.name)
    return Charset(base.symbols, unknown=options.oov == "unknown", tokenizer=options.tokenizer)


def build_model(options: ModelOptions, charset: Charset) -> CRNN:
    return CRNN(CRNNConfig(
        num_classes=charset.num_classes, variant=options.variant, activation=options.activation,
        leaky_slope=options.leaky_slope, rnn=options.rnn, rnn_units=options.rnn_units,
        rnn_dropout=options.rnn_dropout,
    ))


def prepare_weights(model: CRNN, options: TransferOptions, charset: Charset) -> LayerTable:
    """Load the pretrained weights (if any), freeze the listed layers, describe the result."""
    if options.pretrained:
        report = load_pretrained(model, options.pretrained, charset, options.widen_rnn)
    else:
        report = TransferReport.from_scratch(model)
    freeze_layers(model, options.freeze)
    return LayerTable.describe(model, report)


def resolve_precision(setting: str) -> str:
    """Lightning's precision for ``auto`` / ``bf16`` / ``fp32``: auto is bf16 mixed precision
    where the hardware computes bf16 natively, else fp32."""
    if setting == "fp32":
        return "32-true"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if setting == "bf16":
        warn_if_bf16_is_emulated(device, "train.precision")  # points at resolve_precision's caller
        return "bf16-mixed"
    return "bf16-mixed" if bf16_is_native(device) else "32-true"


def preprocess_config(config: ExperimentConfig) -> PreprocessConfig:
    """How a run's crops become model input (saved into its weights for reading)."""
    return PreprocessConfig(width=config.data.width, width_mode=config.data.width_mode, max_width=config.data.max_width)


def learning_rate_factor(options: OptimOptions, total_steps: int) -> Callable[[int], float]:
    """Multiplier of the base learning rate at optimizer step ``step`` (0 for the first).

    time_decay is Keras' lr / (1 + decay · iterations), iterations = updates done so far;
    cosine and one_cycle span ``total_steps`` and stay at their final value after it (a run
    that goes on never fails, unlike torch's OneCycleLR)."""
    if options.schedule == "time_decay":
        return lambda step: 1.0 / (1.0 + options.decay * step)
    if options.schedule == "constant":
        return lambda step: 1.0
    if options.schedule == "cosine":
        return partial(_cosine_factor, warmup=options.warmup_steps, total=total_steps)
    return partial(_one_cycle_factor, total=total_steps)


def _cosine_between(start: float, end: float, progress: float) -> float:
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))


def _cosine_factor(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return _cosine_between(1.0, 0.0, (step - warmup) / max(total - warmup, 1))


# torch.optim.lr_scheduler.OneCycleLR's defaults: pct_start, div_factor, final_div_factor
ONE_CYCLE_RISE, ONE_CYCLE_START, ONE_CYCLE_END = 0.3, 1 / 25, 1 / 25 / 1e4


def _one_cycle_factor(step: int, total: int) -> float:
    peak = ONE_CYCLE_RISE * total
    if step < peak:
        return _cosine_between(ONE_CYCLE_START, 1.0, step / peak)
    return _cosine_between(1.0, ONE_CYCLE_END, (step - peak) / max(total - peak, 1))


# ---- data ---------------------------------------------------------------------------------------


class EpochSampler(Sampler[int]):
    """This rank's share of a dataset, in an order that depends only on (seed, epoch).

    Lightning calls :meth:`set_epoch` before every epoch, and the sampler passes the epoch on
    to the dataset, whose augmentation draws from (seed, epoch, index); so a resumed run sees
    the data an uninterrupted run sees. The sampler must also *start* at the current epoch:
    Lightning creates the first iterator of a session before calling ``set_epoch``, and
    DataLoader workers prefetch from it at once. With ``even=True`` (training) the
    order is padded by wrapping around so that every rank runs the same number of steps,
    which DDP needs; validation shards are left uneven so no sample counts twice.
    """

    def __init__(self, dataset: CropDataset, rank: int = 0, world_size: int = 1,
                 shuffle: bool = True, even: bool = True, seed: int = 0, epoch: int = 0,
                 curriculum_samples: int = 0):
        self.dataset = dataset
        self.rank = rank
        self.world_size = world_size
        self.shuffle = shuffle
        self.even = even
        self.seed = seed
        self.curriculum_samples = curriculum_samples
        self.set_epoch(epoch)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.dataset.set_epoch(epoch)

    def _order(self) -> np.ndarray:
        size = len(self.dataset)
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(size) if self.shuffle else np.arange(size)
        if self.curriculum_samples and self.epoch == 0:
            order = curriculum_order(self.dataset.difficulty, self.curriculum_samples, order, rng)
        if self.even:
            order = np.resize(order, math.ceil(size / self.world_size) * self.world_size)  # wraps around
        return order[self.rank :: self.world_size]

    def __iter__(self) -> Iterator[int]:
        return iter(self._order().tolist())

    def __len__(self) -> int:
        return len(self._order())


CURRICULUM_START = 0.1  # share of the easiest samples the curriculum starts drawing from


def curriculum_order(difficulty: np.ndarray, steps: int, order: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The first epoch under a linear pacing function (Hacohen & Weinshall, 2019): sample k < steps
    is drawn from the easiest CURRICULUM_START + (1 − CURRICULUM_START)·k/steps of the data, the
    rest of the epoch follows ``order``; the epoch keeps its length."""
    size = len(difficulty)
    steps = min(steps, size)
    easiest_first = np.argsort(difficulty, kind="stable")
    pool = (CURRICULUM_START + (1 - CURRICULUM_START) * np.arange(steps) / steps) * size
    drawn = easiest_first[np.minimum((rng.random(steps) * pool).astype(np.int64), size - 1)]
    return np.concatenate([drawn, order[: size - steps]])


class WidthBatchSampler(Sampler[list[int]]):
    """Full batches of crops of similar width, for natural-width training: the epoch's order is
    cut into pools of POOL_BATCHES batches, each pool sorted by width and cut into batches,
    and the batches shuffled. Batches pad little, and everything still depends only on
    (seed, epoch), so resume stays exact."""

    POOL_BATCHES = 50

    def __init__(self, sampler: EpochSampler, widths: np.ndarray, batch_size: int):
        self.sampler = sampler
        self.widths = widths
        self.batch_size = batch_size

    def set_epoch(self, epoch: int) -> None:  # called by Lightning through DataLoader.batch_sampler
        self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[list[int]]:
        order = np.fromiter(self.sampler, dtype=np.int64)
        order = order[: len(order) // self.batch_size * self.batch_size]
        pool = self.POOL_BATCHES * self.batch_size
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(self.widths[chunk], kind="stable")]
            batches += [chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)]
        shuffle = np.random.default_rng([self.sampler.seed, self.sampler.epoch, 1]).permutation(len(batches))
        return iter([batches[i] for i in shuffle])

    def __len__(self) -> int:
        return len(self.sampler) // self.batch_size


class CropDataModule(pl.LightningDataModule):
    """Training and validation crops. Training batches are augmented and full (the
    remainder of an epoch is dropped, as the reference's steps_per_epoch = n // batch)."""

    def __init__(self, train_set: CropDataset, val_set: CropDataset, batch_size: int, num_workers: int, seed: int,
                 curriculum_samples: int = 0):
        super().__init__()
        self.train_set = train_set
        self.val_set = val_set
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.seed = seed
        self.curriculum_samples = curriculum_samples
        natural = train_set.preprocess.width_mode == "natural"
        self._train_widths = train_set.input_widths() if natural else None

    @classmethod
    def from_config(cls, config: ExperimentConfig, charset: Charset, preprocess: PreprocessConfig) -> "CropDataModule":
        """Build (and so check) both datasets now, before any training process starts."""
        for directory in map(Path, config.data.dirs):
            missing = [name for name in ("train.lmdb", "val.lmdb") if not (directory / name).exists()]
            if missing:
                raise DataError(f"{directory}: not a dataset directory (no {' / '.join(missing)}); "
                                "build one with krocr data or krocr synth")

        def dataset(split: str, augment: bool) -> CropDataset:
            return CropDataset(
                [Path(d) / f"{split}.lmdb" for d in config.data.dirs], charset, preprocess,
                augment=config.augment if augment else None, max_label_length=config.data.max_label_length,
                oov_policy=config.charset.oov, seed=config.train.seed,
            )

        return cls(dataset("train", True), dataset("val", False), config.data.batch_size,
                   config.data.num_workers, config.train.seed, config.data.curriculum_samples)

    def rejection_tables(self) -> list[Table]:
        return [dataset.rejections.table(f"{split}: samples dropped")
                for split, dataset in (("train", self.train_set), ("val", self.val_set)) if len(dataset.rejections)]

    def train_dataloader(self) -> DataLoader:
        loader = self._loader(self.train_set, shuffle=True)
        if len(loader) == 0:  # full batches only
            raise DataError(f"{len(self.train_set)} training samples over {self.trainer.world_size} process(es) "
                            f"do not fill one batch of {self.batch_size}; lower data.batch_size")
        return loader

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set, shuffle=False)

    def _loader(self, dataset: CropDataset, shuffle: bool) -> DataLoader:
        # the epoch Lightning will pass to set_epoch (current_epoch lags by one right after a resume)
        epoch = self.trainer.fit_loop.epoch_progress.current.processed
        sampler = EpochSampler(dataset, self.trainer.global_rank, self.trainer.world_size, shuffle=shuffle,
                               even=shuffle, seed=self.seed, epoch=epoch,
                               curriculum_samples=self.curriculum_samples if shuffle else 0)
        if shuffle and self._train_widths is not None:
            batching: dict[str, Any] = {"batch_sampler": WidthBatchSampler(sampler, self._train_widths, self.batch_size)}
        else:
            batching = {"batch_size": self.batch_size, "sampler": sampler, "drop_last": shuffle}
        return DataLoader(
            dataset, **batching, collate_fn=collate,
            num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
            # Worker base seeds come from this generator, not the global RNG: persistent workers
            # draw once per process, so a resumed run would draw at another point of the
            # global stream and shift every later dropout mask.
            generator=torch.Generator().manual_seed(self.seed),
        )


# ---- RNG state in checkpoints -------------------------------------------------------------------


def capture_rng() -> dict[str, Any]:
    """torch / NumPy / Python global RNG states as tensors and plain values (weights_only-safe)."""
    _, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    version, python_state, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "position": int(position),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached_gaussian)},
        "python": {"version": version, "state": list(python_state), "gauss_next": gauss_next},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    numpy_state = state["numpy"]
    np.random.set_state(("MT19937", numpy_state["keys"].numpy().astype(np.uint32), numpy_state["position"],
                         numpy_state["has_gauss"], numpy_state["cached_gaussian"]))
    python_state = state["python"]
    random.setstate((python_state["version"], tuple(python_state["state"]), python_state["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ---- the Lightning module -----------------------------------------------------------------------


@dataclass
class ValidationTally:
    """Validation results of one process; merged over processes before scoring."""

    loss_sum: float = 0.0
    scored: int = 0  # samples in the loss (alignable)
    unalignable: int = 0
    truths: list[str] = field(default_factory=list)
    predictions: list[str] = field(default_factory=list)

    def add(self, out: LossOutput, truths: list[str], predictions: list[str]) -> None:
        self.loss_sum += float(out.per_sample.sum())
        self.scored += len(truths) - out.unalignable
        self.unalignable += out.unalignable
        self.truths += truths
        self.predictions += predictions

    @classmethod
    def merge(cls, tallies: Sequence["ValidationTally"]) -> "ValidationTally":
        merged = cls()
        for tally in tallies:
            merged.loss_sum += tally.loss_sum
            merged.scored += tally.scored
            merged.unalignable += tally.unalignable
            merged.truths += tally.truths
            merged.predictions += tally.predictions
        return merged

    def metrics(self) -> dict[str, float]:
        scores = compute_metrics(self.truths, self.predictions)
        return {
            "val_loss": self.loss_sum / max(self.scored, 1),  # the mean over samples, as in training
            "val_cer": scores.cer,
            "val_word_accuracy": scores.word_accuracy,
            "val_mean_ned": scores.mean_normalized_edit_distance,
            "val_unalignable": float(self.unalignable),
        }


class RecognizerModule(pl.LightningModule):
    """A CRNN trained with focal CTC. Logs ``loss`` (per step and epoch), ``unalignable``,
    ``val_loss``, ``val_cer``, ``val_word_accuracy``, ``val_mean_ned``, ``val_unalignable``."""

    flops_per_batch = None  # read by Lightning's ThroughputMonitor; krocr reports samples/s only

    def __init__(self, model: CRNN, charset: Charset, loss: LossOptions, optim: OptimOptions):
        super().__init__()
        self.model = model
        self.charset = charset
        self.loss_fn = FocalCTCLoss(loss.alpha, loss.gamma)
        self.optim = optim
        self._tally = ValidationTally()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        out = self.loss_fn(self.model(batch.images), batch.targets, batch.target_lengths)
        size = len(batch)
        self.log("loss", out.loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=size, sync_dist=True)
        self.log("unalignable", float(out.unalignable), on_step=False, on_epoch=True, reduce_fx="sum",
                 batch_size=size, sync_dist=True)
        return out.loss

    def on_validation_epoch_start(self) -> None:
        self._tally = ValidationTally()

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        logits = self.model(batch.images)
        out = self.loss_fn(logits, batch.targets, batch.target_lengths)
        self._tally.add(out, batch.texts, [d.text for d in greedy_decode(logits, self.charset)])

    def on_validation_epoch_end(self) -> None:
        tally = self._tally
        if self.trainer.world_size > 1:  # every rank scores the union of all shards
            gathered: list[Any] = [None] * self.trainer.world_size
            torch.distributed.all_gather_object(gathered, tally)
            tally = ValidationTally.merge(gathered)
        if not tally.truths:
            return
        metrics = tally.metrics()
        shown = {k: metrics.pop(k) for k in ("val_loss", "val_cer")}
        # identical on every rank, so sync_dist only keeps Lightning from warning about DDP
        self.log_dict(shown, prog_bar=True, sync_dist=True)
        self.log_dict(metrics, sync_dist=True)

    def configure_optimizers(self) -> dict[str, Any]:
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(trainable, lr=self.optim.lr, eps=self.optim.eps)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, learning_rate_factor(self.optim, self._total_steps()))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def _total_steps(self) -> int:
        """The schedule's horizon: optim.total_steps, else epochs × optimizer steps per epoch.
        Counted from the dataset, not trainer.estimated_stepping_batches: that builds the train
        loader before a resumed run has restored its epoch."""
        if self.optim.total_steps is not None:
            return self.optim.total_steps
        data = self.trainer.datamodule
        per_rank = math.ceil(len(data.train_set) / self.trainer.world_size)
        return max(1, self.trainer.max_epochs * (per_rank // data.batch_size))

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["krocr_rng"] = capture_rng()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        restore_rng(checkpoint["krocr_rng"])


# ---- checkpoint files ---------------------------------------------------------------------------


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
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint not found") from None
    except Exception as exc:  # torch raises many types for damaged or unsafe files
        raise CheckpointError(f"{path}: not a loadable krocr checkpoint ({exc})") from None


def restore_best_weights(module: RecognizerModule, best_path: str | Path) -> int:
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
    config = load_config(run_dir / "config.yaml")
    charset = Charset.load(run_dir / "charset.json")
    model = build_model(config.model, charset)
    state = read_checkpoint(checkpoint)
    prefix = "model."
    weights = {k[len(prefix):]: v for k, v in state["state_dict"].items() if k.startswith(prefix)}
    load_state_checked(model, weights, str(checkpoint))
    info = {"run_dir": str(run_dir), "checkpoint": checkpoint.name, "epoch": int(state.get("epoch", -1)),
            "config": config_to_dict(config)}
    save_weights(out, model, charset, preprocess_config(config), info, half=half)
    return Path(out)


# ---- run directory ------------------------------------------------------------------------------


class RunFiles(pl.Callback):
    """Writes the run's record files once, from the global-zero process, when fitting
    starts (under DDP every rank runs the command; the rank is known only then)."""

    def __init__(self, files: dict[Path, str]):
        self.files = files

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if trainer.is_global_zero:
            for path, text in self.files.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")


def resume_checkpoint(run_dir: Path, config: ExperimentConfig, requested: bool) -> Path | None:
    """``last.ckpt`` of ``run_dir`` if training should continue from it, after checking that
    the run was trained with the same config."""
    last = run_dir / CHECKPOINTS / LAST_CHECKPOINT
    if (run_dir / SUMMARY).exists():
        raise KrocrError(f"{run_dir}: holds a finished run ({SUMMARY}); train into another --run-dir")
    if not last.exists():
        if requested:
            raise KrocrError(f"{run_dir}: nothing to resume (no {CHECKPOINTS}/{LAST_CHECKPOINT})")
        return None
    saved = load_config(run_dir / "config.yaml")
    changed = {k: v for k, v in config_differences([saved, config]).items() if k not in RESUMABLE_CHANGES}
    if changed:
        shown = "; ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in changed.items())
        raise ConfigError(f"{run_dir}: was trained with another config ({shown}); resume with the same config "
                          f"(only {', '.join(sorted(RESUMABLE_CHANGES))} may change) or use another --run-dir")
    return last


def _git_commit() -> str | None:
    source = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain"], capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit} (with uncommitted changes)" if dirty else commit


def environment_record(config: ExperimentConfig, command: Sequence[str], precision: str,
                       resumed_from: Path | None, devices: int, num_nodes: int, strategy: str) -> dict[str, Any]:
    return {
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": list(command),
        "resumed_from": str(resumed_from) if resumed_from else None,
        "git_commit": _git_commit(),
        "krocr": krocr.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": pl.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": cpu_description(),
        "cpu_count": os.cpu_count(),
        "cpu_bf16": cpu_supports_bf16(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "torch_threads": torch.get_num_threads(),
        "precision": precision,
        "devices": devices,
        "num_nodes": num_nodes,
        "strategy": strategy,
        "seed": config.train.seed,
    }


def _environment_json(run_dir: Path, session: dict[str, Any]) -> str:
    """environment.json keeps one entry per session: the first start and every resume."""
    path = run_dir / "environment.json"
    sessions = json.loads(path.read_text(encoding="utf-8"))["sessions"] if session["resumed_from"] and path.exists() else []
    return json.dumps({"sessions": [*sessions, session]}, indent=2, ensure_ascii=False) + "\n"


# ---- train --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    best_epoch: int
    best: dict[str, float]  # the history row of the best epoch (val_loss, val_cer, …)
    stopped_epoch: int | None  # the epoch early stopping ended on; None if training ran its course
    epochs: int  # completed epochs


def train(
    config: ExperimentConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    devices: int = 1,
    num_nodes: int = 1,
    strategy: str = "auto",
    callbacks: Sequence[pl.Callback] = (),
) -> TrainResult:
    """Train ``config`` into ``run_dir``, continuing from its ``last.ckpt`` if there is one.
    Every input problem raises a KrocrError before the first step."""
    run_dir = Path(run_dir)
    last = resume_checkpoint(run_dir, config, resume)
    pl.seed_everything(config.train.seed, workers=True, verbose=False)
    charset = build_charset(config.charset)
    preprocess = preprocess_config(config)
    data = CropDataModule.from_config(config, charset, preprocess)
    model = build_model(config.model, charset)
    layers = prepare_weights(model, config.transfer, charset)
    _show(f"train: {len(data.train_set):,} crops, val: {len(data.val_set):,} crops from "
          f"{', '.join(config.data.dirs)}", *data.rejection_tables(), layers.rich())
    module = RecognizerModule(model, charset, config.loss, config.optim)
    precision = resolve_precision(config.train.precision)
    session = environment_record(config, sys.argv, precision, last, devices, num_nodes, strategy)
    record = RunFiles({
        run_dir / "config.yaml": dump_config(config),
        run_dir / "charset.json": charset.to_json() + "\n",
        run_dir / "environment.json": _environment_json(run_dir, session),
        run_dir / "transfer.md": layers.markdown(),
        run_dir / "transfer.csv": layers.csv(),
    })
    curves = TrainingCurves(run_dir)
    best = ModelCheckpoint(dirpath=run_dir / CHECKPOINTS, filename="best", monitor="val_loss", mode="min",
                           save_top_k=1, save_last=True, auto_insert_metric_name=False, enable_version_counter=False)
    stopper = EarlyStopping(monitor="val_loss", mode="min", patience=config.train.patience, verbose=True,
                            log_rank_zero_only=True)
    trainer = pl.Trainer(
        default_root_dir=run_dir,
        max_epochs=config.train.epochs,
        accelerator="auto",
        devices=devices,
        num_nodes=num_nodes,
        strategy=strategy,
        precision=precision,  # type: ignore[arg-type]
        gradient_clip_val=config.optim.clip_norm or None,
        gradient_clip_algorithm="norm",  # the global norm over all gradients, as Keras 2's clipnorm
        val_check_interval=config.train.val_check_interval,
        limit_train_batches=config.train.limit_train_batches,
        limit_val_batches=config.train.limit_val_batches,
        log_every_n_steps=config.train.log_every_n_steps,
        use_distributed_sampler=False,  # EpochSampler shards the data itself
        logger=[CSVLogger(run_dir, name="logs"), TensorBoardLogger(run_dir, name="tensorboard", version="")],
        plugins=[AtomicCheckpointIO()],
        callbacks=[
            record, curves, *_epoch_checkpoints(config, run_dir), best, stopper,
            LearningRateMonitor(logging_interval="step"),
            ThroughputMonitor(batch_size_fn=len, window_size=5),  # samples/s over the last 5 batches
            progress_bar(),
            *callbacks,
        ],
    )
    with warnings.catch_warnings():  # frozen BatchNorms are in eval mode on purpose
        warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode")
        trainer.fit(module, datamodule=data, ckpt_path=last, weights_only=True)
    return _finish(trainer, module, charset, preprocess, config, run_dir, best, stopper, curves)


def _epoch_checkpoints(config: ExperimentConfig, run_dir: Path) -> list[ModelCheckpoint]:
    """``weights.{epoch:03d}.ckpt`` after every epoch (weights only, like the reference's
    per-epoch .h5 files); overwritten, not versioned, when a resumed run redoes an epoch."""
    if not config.train.checkpoint_every_epoch:
        return []
    return [ModelCheckpoint(dirpath=run_dir / CHECKPOINTS, filename="weights.{epoch:03d}", save_top_k=-1,
                            every_n_epochs=1, save_weights_only=True, auto_insert_metric_name=False,
                            enable_version_counter=False)]


def _finish(trainer: pl.Trainer, module: RecognizerModule, charset: Charset, preprocess: PreprocessConfig,
            config: ExperimentConfig, run_dir: Path, best: ModelCheckpoint, stopper: EarlyStopping,
            curves: TrainingCurves) -> TrainResult:
    """Export the last weights, restore the best ones into the module, export them, summarize."""
    if not best.best_model_path:
        raise KrocrError(f"{run_dir}: training ended without a validated epoch")
    info = {"run_dir": str(run_dir), "config": config_to_dict(config)}
    last_epoch = trainer.current_epoch - 1
    if trainer.is_global_zero:
        save_weights(run_dir / "last.safetensors", module.model, charset, preprocess, {**info, "epoch": last_epoch})
    best_epoch = restore_best_weights(module, best.best_model_path)
    # the best epoch's end-of-epoch metrics (the same validation unless val_check_interval < 1)
    row = next((r for r in curves.history if int(r["epoch"]) == best_epoch), {})
    result = TrainResult(run_dir, best_epoch, row, stopper.stopped_epoch or None, len(curves.history))
    if trainer.is_global_zero:
        save_weights(run_dir / "best.safetensors", module.model, charset, preprocess,
                     {**info, "epoch": best_epoch, "metrics": row})
        summary = {"best_epoch": best_epoch, **{k: v for k, v in row.items() if k != "epoch"},
                   "stopped_epoch": result.stopped_epoch, "epochs_completed": result.epochs}
        (run_dir / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        _show(_result_table(result))
    return result


_RESULT_COLUMNS = ("val_loss", "val_cer", "val_word_accuracy", "val_mean_ned")


def _result_table(result: TrainResult) -> Table:
    stopped = f"early stopping at epoch {result.stopped_epoch}" if result.stopped_epoch else "ran all epochs"
    table = Table(title=f"{result.run_dir}: best epoch {result.best_epoch} ({stopped})")
    for column in _RESULT_COLUMNS:
        table.add_column(column, justify="right")
    table.add_row(*(f"{result.best.get(column, math.nan):.4f}" for column in _RESULT_COLUMNS))
    return table


# ---- command line -------------------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="experiment YAML (see configs/ and docs/training.md)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                        help="config overrides, values in YAML: optim.lr=1e-4 transfer.freeze=[conv1_1]")
    parser.add_argument("--run-dir", type=Path, help="where the run is written (default runs/<train.name>)")
    parser.add_argument("--resume", nargs="?", const="", default=None, metavar="RUN_DIR",
                        help="continue from RUN_DIR/checkpoints/last.ckpt (default: the run dir); "
                             "a run dir that has last.ckpt is resumed even without this flag")
    parser.add_argument("--devices", type=int, default=1, help="processes (CPU) or GPUs per node")
    parser.add_argument("--num-nodes", type=int, default=1)
    parser.add_argument("--strategy", default="auto", help="Lightning strategy, e.g. ddp (gloo on CPU)")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, args.overrides)
    run_dir = args.run_dir or Path("runs") / str(config.train.name)
    if args.resume:
        if args.run_dir and Path(args.resume) != args.run_dir:
            raise ConfigError(f"--resume {args.resume} and --run-dir {args.run_dir} name different runs")
        run_dir = Path(args.resume)
    train(config, run_dir, resume=args.resume is not None, devices=args.devices, num_nodes=args.num_nodes,
          strategy=args.strategy)
    return 0
