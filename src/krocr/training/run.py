"""A training run: :func:`train` assembles the run from its config and fits it with Lightning.

Lightning's own callbacks and loggers do the bookkeeping: checkpoints every epoch + best +
last, early stopping on val_loss (or val_cer: ``train.monitor``), CSV and TensorBoard logs,
learning-rate and throughput monitors, a rich progress bar with ETA (log lines when the
output is not a terminal). At the end the best checkpoint's weights are loaded back into
the model, ``best.safetensors`` and ``last.safetensors`` are exported and ``summary.json``
is written. The run directory's files are listed in :mod:`krocr.analysis.runs`; a run that
finds ``checkpoints/last.ckpt`` resumes from it exactly (:mod:`krocr.training.checkpoints`).
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.callbacks import (
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
    ThroughputMonitor,
)
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from krocr.analysis.plots import VALIDATED, best_validation
from krocr.analysis.runs import CHARSET_FILE, CONFIG_FILE, SUMMARY_FILE
from krocr.charset import Charset
from krocr.config import ExperimentConfig, config_to_dict, dump_config
from krocr.data.rejections import RejectionLog
from krocr.errors import KrocrError
from krocr.model.preprocess import PreprocessConfig
from krocr.model.transfer import LayerTable
from krocr.model.weights import save_weights
from krocr.training.builders import (
    build_charset,
    build_model,
    prepare_weights,
    preprocess_config,
    resolve_precision,
)
from krocr.training.callbacks import RunFiles, TrainingCurves
from krocr.training.checkpoints import (
    AtomicCheckpointIO,
    best_checkpoint,
    epoch_checkpoints,
    restore_best_weights,
    resume_checkpoint,
)
from krocr.training.datamodule import CropDataModule
from krocr.training.environment import (
    ENVIRONMENT_FILE,
    environment_json,
    environment_record,
)
from krocr.training.progress import progress_bar
from krocr.training.system import RecognizerModule


@dataclass(frozen=True)
class TrainSetup:
    """What a run trains on, known before its first step."""

    data_dirs: tuple[str, ...]
    train_crops: int  # usable samples, after the dataset's checks
    val_crops: int
    rejections: dict[str, RejectionLog]  # "train" / "val" -> samples dropped, for the splits that dropped any
    layers: LayerTable  # per layer: where its weights came from and whether it trains


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    best_epoch: int
    best: dict[str, float]  # the history row of the best epoch (val_loss, val_cer, …)
    stopped_epoch: int | None  # the epoch early stopping ended on; None if training ran its course
    epochs: int  # completed epochs
    setup: TrainSetup


def train(
    config: ExperimentConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    devices: int = 1,
    num_nodes: int = 1,
    strategy: str = "auto",
    callbacks: Sequence[pl.Callback] = (),
    on_setup: Callable[[TrainSetup], None] | None = None,
) -> TrainResult:
    """Train ``config`` into ``run_dir``, continuing from its ``checkpoints/last.ckpt`` if there is one.

    Every input problem raises a KrocrError before the first step. Under DDP every process
    calls this function and gets the result; only the first one writes the run's files.

    Args:
        config: the experiment (:func:`krocr.config.load_config`).
        run_dir: where the run is written; a directory holding a finished run is refused.
        resume: require a checkpoint to resume from (one is resumed from even without this).
        devices: processes (CPU) or GPUs per node.
        num_nodes: machines.
        strategy: Lightning's strategy, e.g. ``"ddp"``.
        callbacks: more Lightning callbacks.
        on_setup: called once the data and the model are built, before fitting: the place to
            show what the run trains on while it trains.

    Returns:
        The best epoch (lowest ``train.monitor``, val_loss by default) with its metrics, where early stopping ended, the
        number of completed epochs, and the setup. ``RUN_DIR/best.safetensors`` holds the
        best epoch's weights, ready for :class:`~krocr.inference.recognizer.Recognizer`.

    Example::

        from krocr.config import load_config
        from krocr.training.run import train

        result = train(load_config("configs/tiny.yaml", ["data.dirs=[data/tiny]"]), "runs/tiny")
        print(result.best_epoch, result.best["val_cer"])
    """
    run_dir = Path(run_dir)
    last = resume_checkpoint(run_dir, config, resume)
    pl.seed_everything(config.train.seed, workers=True, verbose=False)
    charset = build_charset(config.charset)
    preprocess = preprocess_config(config)
    data = CropDataModule.from_config(config, charset, preprocess)
    model = build_model(config.model, charset)
    layers = prepare_weights(model, config.transfer, charset)
    setup = TrainSetup(tuple(config.data.dirs), len(data.train_set), len(data.val_set), data.rejections(), layers)
    if on_setup is not None:
        on_setup(setup)
    module = RecognizerModule(model, charset, config.loss, config.optim, config.guide)
    precision = resolve_precision(config.train.precision)
    session = environment_record(config, sys.argv, precision, last, devices, num_nodes, strategy)
    record = RunFiles(
        {
            run_dir / CONFIG_FILE: dump_config(config),
            run_dir / CHARSET_FILE: charset.to_json() + "\n",
            run_dir / ENVIRONMENT_FILE: environment_json(run_dir, session),
            run_dir / "transfer.md": layers.markdown(),
            run_dir / "transfer.csv": layers.csv(),
        }
    )
    curves = TrainingCurves(run_dir, config.train.monitor)
    best = best_checkpoint(run_dir, config.train.monitor, "min")
    stopper = EarlyStopping(
        monitor=config.train.monitor, mode="min", patience=config.train.patience, verbose=True, log_rank_zero_only=True
    )
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
            record,
            curves,
            *_epoch_checkpoints(config, run_dir),
            best,
            stopper,
            LearningRateMonitor(logging_interval="step"),
            ThroughputMonitor(batch_size_fn=len, window_size=5),  # samples/s over the last 5 batches
            progress_bar(),
            *callbacks,
        ],
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode")  # frozen BatchNorms
        # a mid-epoch resume goes on with the unseen batches (ResumedBatches), as Lightning asks
        warnings.filterwarnings("ignore", message=r"You're resuming from a checkpoint that ended before the epoch")
        warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")  # Lightning's, on resume
        trainer.fit(module, datamodule=data, ckpt_path=last, weights_only=True)
    return _finish(trainer, module, charset, preprocess, config, run_dir, setup, best, stopper, curves)


def _epoch_checkpoints(config: ExperimentConfig, run_dir: Path) -> list[ModelCheckpoint]:
    """``weights.{epoch:03d}.ckpt`` after every epoch (weights only, like the reference's
    per-epoch .h5 files); overwritten, not versioned, when a resumed run redoes an epoch."""
    if not config.train.checkpoint_every_epoch:
        return []
    return [epoch_checkpoints(run_dir, "weights.{epoch:03d}")]


def _finish(
    trainer: pl.Trainer,
    module: RecognizerModule,
    charset: Charset,
    preprocess: PreprocessConfig,
    config: ExperimentConfig,
    run_dir: Path,
    setup: TrainSetup,
    best: ModelCheckpoint,
    stopper: EarlyStopping,
    curves: TrainingCurves,
) -> TrainResult:
    """Export the last weights, restore the best ones into the module, export them, summarize."""
    if not best.best_model_path:
        raise KrocrError(f"{run_dir}: training ended without a validated epoch")
    info = {"run_dir": str(run_dir), "config": config_to_dict(config)}
    last_epoch = trainer.current_epoch - 1
    if trainer.is_global_zero:
        save_weights(run_dir / "last.safetensors", module.model, charset, preprocess, {**info, "epoch": last_epoch})
    best_epoch = restore_best_weights(module, best.best_model_path)
    row = _best_metrics(curves, best_epoch, config.train.monitor)
    result = TrainResult(run_dir, best_epoch, row, stopper.stopped_epoch or None, len(curves.history), setup)
    if trainer.is_global_zero:
        save_weights(
            run_dir / "best.safetensors",
            module.model,
            charset,
            preprocess,
            {**info, "epoch": best_epoch, "metrics": row},
        )
        summary = {
            "best_epoch": best_epoch,
            **{k: v for k, v in row.items() if k != "epoch"},  # val_* of the best validation
            "stopped_epoch": result.stopped_epoch,
            "epochs_completed": result.epochs,
        }
        (run_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return result


def _best_metrics(curves: TrainingCurves, best_epoch: int, monitor: str) -> dict[str, float]:
    """The best checkpoint's metrics: its epoch's row (training loss, lr) with the val_* of the
    validation the checkpoint was chosen at, which is not the epoch's last when the run
    validated within epochs."""
    row = next((r for r in curves.history if int(r["epoch"]) == best_epoch), {})
    best = best_validation(curves.history, curves.validations, monitor)
    if best is None or int(best["epoch"]) != best_epoch:  # the checkpoint's epoch decides
        return row
    return {**row, **{k: best[k] for k in (*VALIDATED, "step", "epochs_trained") if k in best}}
