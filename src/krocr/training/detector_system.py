"""The detector's training system: :class:`DetectorModule`, the LightningModule that trains a
plain :class:`~krocr.detection.model.DBNet` with :class:`~krocr.detection.losses.DBLoss`
and AdamW (linear warm-up, then cosine to 0, stepped per batch), and validates on whole
photos: probability map → polygons (:mod:`krocr.detection.postprocess`) → ICDAR 2015
precision, recall and h-mean (:mod:`krocr.detection.metrics`).

Logged: ``loss`` (per step and epoch), ``loss_prob``, ``loss_threshold``, ``loss_binary``
(per epoch), ``val_precision``, ``val_recall``, ``val_hmean``. Its checkpoints carry the
global RNG states, as the recognizer's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.utilities.types import OptimizerLRSchedulerConfig

from krocr.config import OptimOptions
from krocr.detection.config import PostprocessConfig
from krocr.detection.losses import DBLoss
from krocr.detection.metrics import DetectionCounts, match_image
from krocr.detection.model import DBNet
from krocr.detection.postprocess import polygons_from_map
from krocr.training.checkpoints import capture_rng, restore_rng
from krocr.training.schedules import learning_rate_factor


@dataclass(frozen=True)
class DetectorOptim:
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    total_steps: int = 1  # the cosine's horizon: epochs × optimizer steps per epoch


class DetectorModule(pl.LightningModule):
    def __init__(
        self,
        model: DBNet,
        loss: DBLoss,
        optim: DetectorOptim,
        postprocess: PostprocessConfig | None = None,
    ):
        super().__init__()
        self.model = model
        self.loss_fn = loss
        self.optim = optim
        self.postprocess = postprocess or PostprocessConfig()
        self._counts = DetectionCounts()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        maps = self.model.maps(batch["image"])
        parts = self.loss_fn(
            maps, batch["shrink_map"], batch["shrink_mask"], batch["threshold_map"], batch["threshold_mask"]
        )
        size = len(batch["image"])
        self.log("loss", parts.total, on_step=True, on_epoch=True, prog_bar=True, batch_size=size)
        self.log_dict(
            {"loss_prob": parts.probability, "loss_threshold": parts.threshold, "loss_binary": parts.binary},
            on_step=False,
            on_epoch=True,
            batch_size=size,
        )
        return parts.total

    def on_validation_epoch_start(self) -> None:
        self._counts = DetectionCounts()

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        probability = self.model(batch["image"])[0, 0].float().cpu().numpy()
        found = polygons_from_map(probability, batch["size"], self.postprocess)
        match = match_image(batch["polygons"], batch["ignore"], list(found.polygons))
        self._counts = self._counts + match.counts

    def on_validation_epoch_end(self) -> None:
        counts = self._counts
        if self.trainer.world_size > 1:  # every rank scores the union of all shards
            gathered: list[Any] = [None] * self.trainer.world_size
            torch.distributed.all_gather_object(gathered, counts)
            counts = sum(gathered[1:], gathered[0])
        self.log_dict(
            {"val_precision": counts.precision, "val_recall": counts.recall, "val_hmean": counts.hmean},
            prog_bar=True,
            sync_dist=True,
        )

    def configure_optimizers(self) -> OptimizerLRSchedulerConfig:
        optim = self.optim
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=optim.lr, weight_decay=optim.weight_decay)
        schedule = OptimOptions(
            lr=optim.lr, schedule="cosine", warmup_steps=optim.warmup_steps, total_steps=optim.total_steps
        )
        factor = learning_rate_factor(schedule, optim.total_steps)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["krocr_rng"] = capture_rng()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "krocr_rng" in checkpoint:
            restore_rng(checkpoint["krocr_rng"])
