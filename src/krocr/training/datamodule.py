"""The Lightning data module: training and validation crops of a run's dataset directories,
served in the (seed, epoch) order of :mod:`krocr.training.samplers`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from torch.utils.data import BatchSampler, DataLoader

from krocr.charset import Charset
from krocr.config import ExperimentConfig
from krocr.data.dataset import CropDataset, collate
from krocr.data.rejections import RejectionLog
from krocr.errors import DataError
from krocr.model.config import frames_for_width
from krocr.model.preprocess import PreprocessConfig
from krocr.training.builders import model_config
from krocr.training.samplers import EpochSampler, ResumedBatches, WidthBatchSampler


class CropDataModule(pl.LightningDataModule):
    """Training and validation crops. Training batches are augmented and full (the
    remainder of an epoch is dropped, as the reference's steps_per_epoch = n // batch)."""

    def __init__(
        self,
        train_set: CropDataset,
        val_set: CropDataset,
        batch_size: int,
        num_workers: int,
        seed: int,
        curriculum_samples: int = 0,
    ):
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
    def from_config(cls, config: ExperimentConfig, charset: Charset, preprocess: PreprocessConfig) -> CropDataModule:
        """Build (and so check) both datasets now, before any training process starts."""
        for directory in map(Path, config.data.dirs):
            missing = [name for name in ("train.lmdb", "val.lmdb") if not (directory / name).exists()]
            if missing:
                raise DataError(
                    f"{directory}: not a dataset directory (no {' / '.join(missing)}); "
                    "build one with krocr data or krocr synth"
                )

        def dataset(split: str, augment: bool) -> CropDataset:
            return CropDataset(
                [Path(d) / f"{split}.lmdb" for d in config.data.dirs],
                charset,
                preprocess,
                augment=config.augment if augment else None,
                max_label_length=config.data.max_label_length,
                oov_policy=config.charset.oov,
                seed=config.train.seed,
                frames_for_width=functools.partial(frames_for_width, model_config(config.model, charset)),
            )

        return cls(
            dataset("train", True),
            dataset("val", False),
            config.data.batch_size,
            config.data.num_workers,
            config.train.seed,
            config.data.curriculum_samples,
        )

    def rejections(self) -> dict[str, RejectionLog]:
        """The samples each split's dataset dropped ("train", "val"), for the splits that dropped any."""
        return {
            split: dataset.rejections
            for split, dataset in (("train", self.train_set), ("val", self.val_set))
            if len(dataset.rejections)
        }

    def _attached_trainer(self) -> pl.Trainer:
        """The trainer running this module: Lightning attaches it before it asks for a loader."""
        assert self.trainer is not None, "the loaders are built by a Lightning Trainer (trainer.fit)"
        return self.trainer

    def train_dataloader(self) -> DataLoader:
        loader = self._loader(self.train_set, shuffle=True)
        if len(loader) == 0:  # full batches only
            raise DataError(
                f"{len(self.train_set)} training samples over {self._attached_trainer().world_size} process(es) "
                f"do not fill one batch of {self.batch_size}; lower data.batch_size"
            )
        return loader

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set, shuffle=False)

    def _loader(self, dataset: CropDataset, shuffle: bool) -> DataLoader:
        # the epoch Lightning will pass to set_epoch (current_epoch lags by one right after a resume)
        trainer = self._attached_trainer()
        # the fit loop's epoch tracker is a _ProcessedTracker; Lightning declares its base class
        epoch = trainer.fit_loop.epoch_progress.current.processed  # type: ignore[attr-defined]
        sampler = EpochSampler(
            dataset,
            trainer.global_rank,
            trainer.world_size,
            shuffle=shuffle,
            even=shuffle,
            seed=self.seed,
            epoch=epoch,
            curriculum_samples=self.curriculum_samples if shuffle else 0,
        )
        if shuffle:
            batches = (
                BatchSampler(sampler, self.batch_size, drop_last=True)
                if self._train_widths is None
                else WidthBatchSampler(sampler, self._train_widths, self.batch_size)
            )
            # the batches of this epoch that a mid-epoch checkpoint had trained on; a checkpoint
            # at an epoch's end counts the whole finished epoch, and the next starts afresh
            done = trainer.fit_loop.epoch_loop.batch_progress.current.completed
            done = done if done < len(batches) else 0
            batching: dict[str, Any] = {"batch_sampler": ResumedBatches(batches, epoch, done)}
        else:
            batching = {"batch_size": self.batch_size, "sampler": sampler, "drop_last": False}
        return DataLoader(
            dataset,
            **batching,
            collate_fn=collate,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            # Worker base seeds come from this generator, not the global RNG: persistent workers
            # draw once per process, so a resumed run would draw at another point of the
            # global stream and shift every later dropout mask.
            generator=torch.Generator().manual_seed(self.seed),
        )
