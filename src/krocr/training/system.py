"""The training system: :class:`RecognizerModule`, the LightningModule that trains a plain
:class:`~krocr.model.crnn.CRNN` or :class:`~krocr.model.svtr.SVTR` with focal CTC and Adam (learning rate per
:mod:`krocr.training.schedules`, stepped per batch) and validates by greedy decoding (CER,
word accuracy, mean normalized edit distance, tallied over every process by
:class:`ValidationTally`). Its checkpoints carry the global RNG states for exact resume.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.utilities.types import OptimizerLRSchedulerConfig

from krocr.analysis.metrics import compute_metrics
from krocr.charset import Charset
from krocr.config import GuideOptions, LossOptions, OptimOptions
from krocr.data.dataset import Batch
from krocr.model.decoding import greedy_decode
from krocr.model.focal_ctc import FocalCTCLoss, LossOutput
from krocr.model.guide import AttentionGuide
from krocr.model.networks import Network
from krocr.model.svtr import SVTR
from krocr.training.checkpoints import capture_rng, restore_rng
from krocr.training.datamodule import CropDataModule
from krocr.training.schedules import learning_rate_factor, steps_per_epoch


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
    def merge(cls, tallies: Sequence[ValidationTally]) -> ValidationTally:
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


NO_GUIDE = GuideOptions()  # frozen: one shared default is safe


class RecognizerModule(pl.LightningModule):
    """A recognizer (CRNN or SVTR) trained with focal CTC, the SVTR optionally guided by an
    attention decoder (``guide``, training only: its tensors live in checkpoints, not in
    weights files). Logs ``loss`` (per step and epoch), ``unalignable``, ``guide_loss`` (with
    a guide), ``val_loss``, ``val_cer``, ``val_word_accuracy``, ``val_mean_ned``, ``val_unalignable``."""

    flops_per_batch = None  # read by Lightning's ThroughputMonitor; krocr reports samples/s only

    def __init__(
        self,
        model: Network,
        charset: Charset,
        loss: LossOptions,
        optim: OptimOptions,
        guide: GuideOptions = NO_GUIDE,
    ):
        super().__init__()
        self.model = model
        self.charset = charset
        self.loss_fn = FocalCTCLoss(loss.alpha, loss.gamma)
        self.optim = optim
        self.guide_options = guide
        self.guide = None
        if guide.weight > 0:
            assert isinstance(model, SVTR), "the config refuses a guide for the CRNN"
            channels = model.config.channels[-1]
            self.guide = AttentionGuide(channels, charset.num_classes, guide.dim, guide.layers, guide.heads)
        self._tally = ValidationTally()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        size = len(batch)
        if self.guide is None:
            out = self.loss_fn(self.model(batch.images), batch.targets, batch.target_lengths)
            total = out.loss
        else:
            assert isinstance(self.model, SVTR)
            features = self.model.features(batch.images)
            read = features.detach() if self.guide_options.detach_ctc else features
            out = self.loss_fn(self.model.read(read), batch.targets, batch.target_lengths)
            guided = self.guide(features, batch.targets, batch.target_lengths)
            self.log("guide_loss", guided, on_step=True, on_epoch=True, batch_size=size, sync_dist=True)
            total = out.loss + self.guide_options.weight * guided
        self.log("loss", out.loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=size, sync_dist=True)
        self.log(
            "unalignable",
            float(out.unalignable),
            on_step=False,
            on_epoch=True,
            reduce_fx="sum",
            batch_size=size,
            sync_dist=True,
        )
        return total

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

    def configure_optimizers(self) -> OptimizerLRSchedulerConfig:
        trainable = [p for p in self.parameters() if p.requires_grad]  # the model's and the guide's
        optimizer = torch.optim.Adam(trainable, lr=self.optim.lr, eps=self.optim.eps)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, learning_rate_factor(self.optim, self._total_steps()))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def _total_steps(self) -> int:
        """The schedule's horizon: optim.total_steps, else epochs × optimizer steps per epoch
        (under train.limit_train_batches, so a cosine reaches zero at the run's last step).
        Counted from the dataset, not trainer.estimated_stepping_batches: that builds the train
        loader before a resumed run has restored its epoch."""
        if self.optim.total_steps is not None:
            return self.optim.total_steps
        data = self.trainer.datamodule  # type: ignore[attr-defined]  # set by Trainer.fit, not declared on Trainer
        assert isinstance(data, CropDataModule), "the schedule's horizon is counted from a CropDataModule"
        max_epochs = self.trainer.max_epochs
        assert max_epochs is not None  # the Trainer fills in a default when it is given none
        per_rank = math.ceil(len(data.train_set) / self.trainer.world_size)
        return max_epochs * steps_per_epoch(per_rank // data.batch_size, self.trainer.limit_train_batches)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["krocr_rng"] = capture_rng()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        restore_rng(checkpoint["krocr_rng"])
