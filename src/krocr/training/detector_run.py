"""A detector training run: :class:`DetectorExperiment` (its YAML config) and
:func:`train_detector`, from the config to ``best.safetensors``.

The config is read like a recognizer's (:mod:`krocr.config`: ``base:`` inheritance,
``key.path=value`` overrides, every key and type checked, errors naming the file and the
key). Sections: ``data`` (training and validation folders of ICDAR 2015 photos, crop and
batch size), ``model`` (:class:`~krocr.detection.config.DetectorConfig`), ``augment``
(:class:`~krocr.detection.dataset.AugmentOptions`), ``loss``, ``optim``, ``train`` and
``postprocess`` (the validation's thresholds, saved with nothing: the weights carry the
model only). See configs/detector.yaml and docs/detection.md.

A run directory holds ``config.yaml``, ``rejections.csv`` (what the data readers dropped),
``checkpoints/epoch=NNN.ckpt`` (weights after every epoch), ``checkpoints/best.ckpt``
(highest val_hmean) and ``last.ckpt`` (full state: a run that finds it resumes),
``logs/`` (Lightning's CSV metrics), ``history.csv`` (one row per epoch),
``last.safetensors``, ``best.safetensors`` and ``summary.json``.

The library stays silent: progress goes to a :class:`~krocr.progress.ProgressHook`, and
Lightning's own bar, model summary and info lines are off.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import lightning.pytorch as pl
import yaml
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader

from krocr.config import load_layered
from krocr.data.eval_sets import evaluation_only_root
from krocr.data.rejections import RejectionLog
from krocr.detection.config import DEFAULT_MAX_SIDE, DetectorConfig, PostprocessConfig
from krocr.detection.dataset import (
    CROP_SIZE,
    AugmentOptions,
    DetectionTrainSet,
    DetectionValSet,
    collate_one,
    read_scenes,
)
from krocr.detection.losses import DBLoss
from krocr.detection.model import DBNet, count_parameters
from krocr.detection.targets import MIN_TEXT_SIZE
from krocr.detection.weights import load_detector, save_detector
from krocr.errors import ConfigError, InvalidOption, KrocrError
from krocr.model.weights import load_state_checked
from krocr.progress import SILENT, ProgressHook
from krocr.training.builders import resolve_precision
from krocr.training.checkpoints import (
    CHECKPOINTS,
    LAST_CHECKPOINT,
    AtomicCheckpointIO,
    best_checkpoint,
    epoch_checkpoints,
    exported_info,
    model_tensors,
    read_checkpoint,
    restore_best_weights,
)
from krocr.training.detector_system import DetectorModule, DetectorOptim
from krocr.training.progress import progress_bar
from krocr.training.schedules import steps_per_epoch


def _require(condition: bool, key: str, reason: str) -> None:
    if not condition:
        raise InvalidOption(key, reason)


@dataclass(frozen=True)
class DetectorDataOptions:
    train_dirs: tuple[str, ...] = ()  # ICDAR 2015 folders (krocr synth --scenes output, or gt/ + images/)
    val_dirs: tuple[str, ...] = ()  # held-out folders the h-mean is measured on
    crop_size: int = CROP_SIZE  # training crops are crop_size × crop_size
    batch_size: int = 8
    num_workers: int = 2
    max_side: int = DEFAULT_MAX_SIDE  # the detection size photos are brought to (training and validation)
    min_text_size: float = MIN_TEXT_SIZE  # px: thinner words are masked out of the loss

    def __post_init__(self) -> None:
        _require(bool(self.train_dirs), "data.train_dirs", "at least one training folder is required")
        _require(bool(self.val_dirs), "data.val_dirs", "at least one held-out validation folder is required")
        for key, folders in (("data.train_dirs", self.train_dirs), ("data.val_dirs", self.val_dirs)):
            for folder in folders:
                held_out = evaluation_only_root(folder)
                _require(
                    held_out is None,
                    key,
                    f"{folder} is inside {held_out}, an evaluation-only set: it measures models and is never "
                    "trained or tuned on (validation picks the best epoch)",
                )
        _require(self.crop_size % 32 == 0 and self.crop_size >= 64, "data.crop_size", "must be a multiple of 32, ≥ 64")
        _require(self.batch_size >= 1, "data.batch_size", "must be at least 1")
        _require(self.num_workers >= 0, "data.num_workers", "must be at least 0")
        _require(self.max_side >= 32, "data.max_side", "must be at least 32")
        _require(self.min_text_size >= 0, "data.min_text_size", "must be ≥ 0")


@dataclass(frozen=True)
class DetectorLossOptions:
    alpha: float = 1.0  # BCE on the probability map
    beta: float = 10.0  # L1 on the threshold map
    gamma: float = 1.0  # dice on the binary map
    ohem_ratio: float = 3.0  # hardest negatives per positive
    min_negatives: int = 1000  # per image, so photos without text teach silence too

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "gamma", "ohem_ratio"):
            _require(getattr(self, name) >= 0, f"loss.{name}", "must be ≥ 0")
        _require(self.min_negatives >= 0, "loss.min_negatives", "must be ≥ 0")


@dataclass(frozen=True)
class DetectorOptimOptions:
    lr: float = 1e-3  # AdamW
    weight_decay: float = 1e-4
    warmup_steps: int = 200  # linear warm-up, then cosine to 0 at the end of the last epoch
    clip_norm: float = 5.0  # global gradient norm; 0 turns clipping off

    def __post_init__(self) -> None:
        _require(self.lr > 0, "optim.lr", f"must be > 0, got {self.lr}")
        _require(self.weight_decay >= 0, "optim.weight_decay", "must be ≥ 0")
        _require(self.warmup_steps >= 0, "optim.warmup_steps", "must be ≥ 0")
        _require(self.clip_norm >= 0, "optim.clip_norm", "must be ≥ 0")


@dataclass(frozen=True)
class DetectorTrainOptions:
    name: str | None = None  # run name (runs/<name>/); None = the config file's stem
    epochs: int = 100
    seed: int = 0
    precision: Literal["auto", "bf16", "fp32"] = "auto"  # auto: bf16 where the hardware has it
    limit_train_batches: int | float = 1.0  # fraction of the batches, or a count
    limit_val_batches: int | float = 1.0
    log_every_n_steps: int = 10
    # a detector weights file (or shipped name) to start from instead of random weights: a new
    # schedule on more or other scenes, or fine-tuning on a user's annotated photos
    init_weights: str | None = None

    def __post_init__(self) -> None:
        _require(self.epochs >= 1, "train.epochs", "must be at least 1")
        _require(self.limit_train_batches > 0, "train.limit_train_batches", "must be > 0")
        _require(self.limit_val_batches > 0, "train.limit_val_batches", "validation is needed (h-mean picks the best)")
        _require(self.log_every_n_steps >= 1, "train.log_every_n_steps", "must be at least 1")


@dataclass(frozen=True)
class DetectorExperiment:
    data: DetectorDataOptions
    model: DetectorConfig = field(default_factory=DetectorConfig)
    augment: AugmentOptions = field(default_factory=AugmentOptions)
    loss: DetectorLossOptions = DetectorLossOptions()
    optim: DetectorOptimOptions = DetectorOptimOptions()
    train: DetectorTrainOptions = DetectorTrainOptions()
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)


def load_detector_experiment(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> DetectorExperiment:
    """Read a detector config (following ``base:`` links), apply ``key.path=value``
    overrides, check every key and type. ``train.name`` defaults to the file's stem."""
    path = Path(path)
    config = load_layered(DetectorExperiment, path, overrides)
    if config.train.name is None:
        config = replace(config, train=replace(config.train, name=path.stem))
    return config


def experiment_to_dict(config: DetectorExperiment) -> dict[str, Any]:
    """Plain nested dicts and lists (YAML- and JSON-ready)."""
    return json.loads(json.dumps(asdict(config)))


@dataclass(frozen=True)
class DetectorSetup:
    """What a run trains on, known before its first step."""

    train_images: int
    val_images: int
    rejections: RejectionLog  # everything the readers dropped or kept as don't-care, train and val
    parameters: int


@dataclass(frozen=True)
class DetectorTrainResult:
    run_dir: Path
    best_epoch: int
    best: dict[str, float]  # the best epoch's history row (val_hmean, val_precision, …)
    epochs: int  # completed epochs
    weights: Path  # best.safetensors
    setup: DetectorSetup
    history: list[dict[str, float]] = field(default_factory=list)


def train_detector(
    config: DetectorExperiment,
    run_dir: str | Path,
    *,
    progress: ProgressHook = SILENT,
    on_setup: Callable[[DetectorSetup], None] | None = None,
    accelerator: str = "auto",
) -> DetectorTrainResult:
    """Train a detector into ``run_dir``, continuing from its ``checkpoints/last.ckpt`` if there is one.

    Args:
        config: the experiment (:func:`load_detector_experiment`).
        run_dir: where the run is written.
        progress: told each epoch's batches as they are trained.
        on_setup: called once the data and the model are built, before the first step.
        accelerator: Lightning's accelerator (``auto``, ``cpu``, ``gpu``).

    Returns:
        The best epoch (highest val_hmean) with its metrics; ``RUN_DIR/best.safetensors``
        holds its weights, ready for :class:`~krocr.detection.detector.Detector`.
    """
    run_dir = Path(run_dir)
    last = run_dir / CHECKPOINTS / LAST_CHECKPOINT
    if (run_dir / "summary.json").exists():
        raise ConfigError(f"{run_dir}: holds a finished run; choose another run directory")
    pl.seed_everything(config.train.seed, workers=True, verbose=False)
    data = config.data
    train_scenes, train_log = read_scenes(data.train_dirs)
    val_scenes, val_log = read_scenes(data.val_dirs)
    overlap = {s.path.resolve() for s in train_scenes} & {s.path.resolve() for s in val_scenes}
    if overlap:
        raise ConfigError(f"data.val_dirs: {len(overlap)} photos are in the training folders too, e.g. {min(overlap)}")
    rejections = RejectionLog.merged([train_log, val_log])
    model = initial_model(config)
    setup = DetectorSetup(len(train_scenes), len(val_scenes), rejections, count_parameters(model))
    if on_setup is not None:
        on_setup(setup)
    train_set = DetectionTrainSet(
        train_scenes, config.model, data.crop_size, config.augment, data.max_side, data.min_text_size, config.train.seed
    )
    val_set = DetectionValSet(val_scenes, config.model, data.max_side)
    train_loader = DataLoader(
        train_set,
        batch_size=data.batch_size,
        shuffle=True,
        drop_last=len(train_set) >= data.batch_size,
        num_workers=data.num_workers,
        persistent_workers=False,
    )
    val_loader = DataLoader(val_set, batch_size=1, collate_fn=collate_one, num_workers=min(data.num_workers, 1))
    epoch_steps = steps_per_epoch(len(train_loader), config.train.limit_train_batches)
    optim = DetectorOptim(
        config.optim.lr, config.optim.weight_decay, config.optim.warmup_steps, config.train.epochs * epoch_steps
    )
    loss = DBLoss(
        config.loss.alpha, config.loss.beta, config.loss.gamma, config.loss.ohem_ratio, config.loss.min_negatives
    )
    module = DetectorModule(model, loss, optim, config.postprocess)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(
        yaml.safe_dump(experiment_to_dict(config), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    rejections.write_csv(run_dir / "rejections.csv")
    every_epoch = epoch_checkpoints(run_dir, "epoch={epoch:03d}")
    best = best_checkpoint(run_dir, "val_hmean", "max")
    history = _History(run_dir / "history.csv", resumed=last.exists())
    with _quiet_lightning():
        trainer = _trainer(
            config, run_dir, accelerator, [every_epoch, best, history, _HookProgress(progress, config.train.epochs)]
        )
        trainer.fit(
            module,
            train_dataloaders=train_loader,
            val_dataloaders=val_loader,
            ckpt_path=last if last.exists() else None,
            weights_only=True,
        )
    return _finish(trainer, module, config, run_dir, setup, best, history)


def initial_model(config: DetectorExperiment) -> DBNet:
    """The model a run starts from.

    Args:
        config: the experiment; ``train.init_weights`` names a detector weights file or not.

    Returns:
        Seeded random weights, or the file's when its model config is ``config.model``
        (otherwise a ConfigError naming the file and the model settings that differ).
    """
    model = DBNet(config.model)
    if config.train.init_weights is None:
        return model
    start = load_detector(config.train.init_weights)
    if start.config != config.model:
        theirs, ours = start.config.to_dict(), config.model.to_dict()
        differ = sorted(k for k in ours if theirs[k] != ours[k])
        raise ConfigError(
            f"train.init_weights: {config.train.init_weights} holds a detector with other model settings "
            f"({', '.join(f'model.{k}' for k in differ)}) than this config"
        )
    model.load_state_dict(start.model.state_dict())
    return model


def _trainer(config: DetectorExperiment, run_dir: Path, accelerator: str, callbacks: list[pl.Callback]) -> pl.Trainer:
    return pl.Trainer(
        default_root_dir=run_dir,
        max_epochs=config.train.epochs,
        accelerator=accelerator,
        devices=1,
        precision=resolve_precision(config.train.precision),  # type: ignore[arg-type]
        gradient_clip_val=config.optim.clip_norm or None,
        limit_train_batches=config.train.limit_train_batches,
        limit_val_batches=config.train.limit_val_batches,
        log_every_n_steps=config.train.log_every_n_steps,
        num_sanity_val_steps=0,
        enable_model_summary=False,
        logger=CSVLogger(run_dir, name="logs"),
        plugins=[AtomicCheckpointIO()],
        callbacks=[*callbacks, progress_bar()],
    )


def _finish(
    trainer: pl.Trainer,
    module: DetectorModule,
    config: DetectorExperiment,
    run_dir: Path,
    setup: DetectorSetup,
    best: ModelCheckpoint,
    history: _History,
) -> DetectorTrainResult:
    """Export the last weights, restore the best ones, export them, write the summary."""
    if not best.best_model_path:
        raise KrocrError(f"{run_dir}: training ended without a validated epoch")
    info = {"run_dir": str(run_dir), "config": experiment_to_dict(config)}
    save_detector(run_dir / "last.safetensors", module.model, {**info, "epoch": trainer.current_epoch - 1})
    best_epoch = restore_best_weights(module, best.best_model_path)
    row = next((r for r in history.rows if int(r["epoch"]) == best_epoch), {})
    weights = save_detector(run_dir / "best.safetensors", module.model, {**info, "epoch": best_epoch, "metrics": row})
    summary = {"best_epoch": best_epoch, **{k: v for k, v in row.items() if k != "epoch"}, "epochs": len(history.rows)}
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return DetectorTrainResult(run_dir, best_epoch, row, len(history.rows), weights, setup, history.rows)


def is_detector_run(run_dir: Path) -> bool:
    """Whether ``run_dir`` is a detector run: its ``config.yaml`` has ``data.train_dirs``
    (a recognizer run's has ``data.dirs`` and a ``charset.json`` beside it)."""
    config = run_dir / "config.yaml"
    if not config.is_file():
        return False
    data = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("data")
    return isinstance(data, dict) and "train_dirs" in data


def export_detector_checkpoint(checkpoint: str | Path, out: str | Path) -> Path:
    """Write the weights of a detector run's Lightning checkpoint (``RUN_DIR/checkpoints/*.ckpt``)
    as a detector weights file: the way to use an epoch of a run stopped before it exported
    ``best.safetensors``.

    Args:
        checkpoint: the checkpoint, inside its run directory (beside ``config.yaml``).
        out: the ``.safetensors`` file to write.

    Returns:
        ``out``.
    """
    checkpoint = Path(checkpoint)
    state = read_checkpoint(checkpoint)
    run_dir = checkpoint.parent.parent
    config = load_detector_experiment(run_dir / "config.yaml")
    model = DBNet(config.model)
    load_state_checked(model, model_tensors(state), str(checkpoint))
    info = exported_info(checkpoint, state, experiment_to_dict(config))
    return save_detector(out, model, info)


class _History(pl.Callback):
    """One row per validated epoch (the epoch's logged metrics), written to ``history.csv``
    after every epoch; a resumed run starts from the rows already there."""

    def __init__(self, path: Path, resumed: bool):
        self.path = path
        self.rows: list[dict[str, float]] = []
        if resumed and path.is_file():
            with open(path, newline="", encoding="utf-8") as f:
                self.rows = [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # after the epoch's validation (Lightning validates before this hook) and its loss average
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if not k.endswith("_step")}
        row = {"epoch": float(trainer.current_epoch), **{k.removesuffix("_epoch"): v for k, v in metrics.items()}}
        self.rows = [r for r in self.rows if r["epoch"] < row["epoch"]] + [row]
        self.write()

    def write(self) -> None:
        columns = list(dict.fromkeys(k for row in self.rows for k in row))
        with open(self.path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, columns)
            writer.writeheader()
            writer.writerows(self.rows)


class _HookProgress(pl.Callback):
    """Each training epoch as a task of the progress hook: one step per batch."""

    def __init__(self, hook: ProgressHook, epochs: int):
        self.hook = hook
        self.epochs = epochs

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        total = trainer.num_training_batches
        self.hook.start(
            f"epoch {trainer.current_epoch + 1}/{self.epochs}", int(total) if math.isfinite(total) else None
        )

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        self.hook.advance()


@contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Lightning's info lines (devices, checkpoints) and its advice about worker counts off."""
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric", "lightning")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=r".*Found \d+ module\(s\) in eval mode.*")
            warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
            warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
