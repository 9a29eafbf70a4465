"""Samplers that fix the data order by (seed, epoch), so a resumed run sees what an
uninterrupted one does: :class:`EpochSampler` (each rank's share, with an optional curriculum
for the first epoch, :func:`curriculum_order`), :class:`WidthBatchSampler` (batches of
similar-width crops for natural-width training) and :class:`ResumedBatches` (a run resumed
mid-epoch goes on with the batches it had not seen).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import islice

import numpy as np
from torch.utils.data import BatchSampler, Sampler

from krocr.data.dataset import CropDataset


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

    def __init__(
        self,
        dataset: CropDataset,
        rank: int = 0,
        world_size: int = 1,
        shuffle: bool = True,
        even: bool = True,
        seed: int = 0,
        epoch: int = 0,
        curriculum_samples: int = 0,
    ):
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


class ResumedBatches(Sampler[list[int]]):
    """A batch sampler whose epoch ``epoch`` leaves out its first ``done`` batches: those a
    run resumed from a mid-epoch checkpoint (``train.val_check_interval`` < 1) had trained on.
    Lightning counts them as done and ends the epoch when the batches run out, so the length
    stays the whole epoch's. Other epochs are the inner batch sampler's as they are.
    """

    def __init__(self, batches: WidthBatchSampler | BatchSampler, epoch: int, done: int):
        assert isinstance(batches.sampler, EpochSampler)  # the training loader's, see CropDataModule
        self.batches = batches
        # Lightning sets the epoch on ``batch_sampler.sampler``
        self.sampler: EpochSampler = batches.sampler
        self.resumed_epoch = epoch
        self.done = done

    def __iter__(self) -> Iterator[list[int]]:
        skip = self.done if self.sampler.epoch == self.resumed_epoch else 0
        return islice(iter(self.batches), skip, None)

    def __len__(self) -> int:
        return len(self.batches)
