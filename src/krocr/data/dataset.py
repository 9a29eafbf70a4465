"""The training dataset: crops from LMDB caches → (image tensor, token ids, text).

Labels are checked once, when the dataset is built, and every sample dropped is counted
in ``dataset.rejections`` (file = LMDB path, item = its 1-based index): empty labels,
labels over ``max_label_length`` tokens, out-of-charset labels under ``reject``, and
labels CTC cannot align in the model's output (a label needs one frame per token plus one
between equal neighbours). A dataset left with no sample raises DataError with the table.

Images go through :func:`krocr.model.preprocess.preprocess`, the same function evaluation and
inference use. Augmentation draws its randomness from (seed, epoch, index) only:
call :meth:`CropDataset.set_epoch` at the start of every epoch. The epoch lives in shared
memory, so DataLoader workers see it even when they are persistent.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from krocr.charset import Charset, OOVPolicy, OOVReport
from krocr.data.augment import AugmentConfig, Augmenter, item_seed
from krocr.data.records import LabelRules, check_label
from krocr.data.rejections import Reason, RejectionLog
from krocr.data.store import CacheReader
from krocr.errors import DataError
from krocr.model.config import output_length
from krocr.model.focal_ctc import required_frames
from krocr.model.preprocess import (
    PreprocessConfig,
    collate_widths,
    preprocess,
    scale_to_height,
    target_width,
)

_DEFAULT_PREPROCESS = PreprocessConfig()  # frozen: one shared default instance is safe
# item_seed keys of the pasting and squeezing draws: apart from the augmenter's own seed and
# from the keys it gives its transforms (their positions, 0, 1, 2...), so no draw is shared
CONCAT_STREAM = 1001
SQUEEZE_STREAM = 1002


@dataclass(frozen=True)
class _Sample:
    reader: int  # which cache
    index: int  # 0-based index inside it
    text: str  # after the out-of-charset policy
    tokens: tuple[int, ...]
    width: int  # preprocessed input width (natural width reads the image header once, here)


@dataclass
class Batch:
    images: torch.Tensor  # (N, 1, H, W) float32 in [-1, 1]
    targets: torch.Tensor  # (sum of target_lengths,) long: all labels concatenated
    target_lengths: torch.Tensor  # (N,) long
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)


class CropDataset(Dataset):
    def __init__(
        self,
        cache_paths: Sequence[str | Path],
        charset: Charset,
        preprocess: PreprocessConfig = _DEFAULT_PREPROCESS,
        augment: AugmentConfig | None = None,
        max_label_length: int = 62,
        max_output_length: int | None = None,
        oov_policy: OOVPolicy = "reject",
        seed: int = 0,
        frames_for_width: Callable[[int], int] = output_length,
    ):
        """``max_output_length``: CTC frames the model emits; None derives it from the
        preprocessing with ``frames_for_width`` (the CRNN's by default): fixed width, frames of
        ``preprocess.width``; natural width, frames of each crop's own padded width."""
        self.readers = [CacheReader(p) for p in cache_paths]
        self.charset = charset
        self.preprocess = preprocess
        self.augmenter = Augmenter(augment or AugmentConfig.preset("none"))
        self.concat = self.augmenter.config.concat
        self.squeeze = self.augmenter.config.squeeze
        self.max_label_length = max_label_length
        self.max_output_length = max_output_length
        self.frames_for_width = frames_for_width
        self.seed = seed
        self.rejections = RejectionLog()
        self.oov_report = OOVReport()
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        rules = LabelRules(charset, oov_policy, max_label_length)
        candidates = [s for r in range(len(self.readers)) for s in self._checked_labels(r, rules)]
        self.samples = self._alignable(candidates)
        if not self.samples:
            raise DataError(
                "no usable samples in " + ", ".join(map(str, cache_paths)) + "\n" + self.rejections.render_text()
            )

    # ---- construction: check every label once ---------------------------------------------
    def _checked_labels(self, reader_id: int, rules: LabelRules) -> list[_Sample]:
        reader = self.readers[reader_id]
        samples = []
        for index, label in enumerate(reader.labels()):
            text, issue = check_label(label, rules, self.oov_report)
            if issue:
                self.rejections.add_issue(reader.path, f"index {index + 1}", issue)
            else:
                assert text is not None  # check_label returns a label exactly when it finds no issue
                tokens = tuple(self.charset.encode(text))
                samples.append(_Sample(reader_id, index, text, tokens, self._input_width(reader_id, index)))
        return samples

    def _alignable(self, samples: list[_Sample]) -> list[_Sample]:
        if not samples:
            return []
        tokens = torch.tensor([t for s in samples for t in s.tokens], dtype=torch.long)
        lengths = torch.tensor([len(s.tokens) for s in samples], dtype=torch.long)
        needed = required_frames(tokens, lengths).tolist()
        kept = []
        for sample, frames in zip(samples, needed):
            available = self._frames(sample)
            if frames <= available:
                kept.append(sample)
            else:
                reader = self.readers[sample.reader]
                self.rejections.add(
                    reader.path,
                    f"index {sample.index + 1}",
                    Reason.UNALIGNABLE,
                    f"{sample.text[:40]!r} needs {frames} frames, the model outputs {available}",
                )
        return kept

    def _frames(self, sample: _Sample) -> int:
        if self.max_output_length is not None:
            return self.max_output_length
        return self.frames_for_width(sample.width)

    def _input_width(self, reader_id: int, index: int) -> int:
        """Width of a sample's preprocessed image (before the batch pads it further)."""
        if self.preprocess.width_mode == "fixed":
            return self.preprocess.width
        width, height = self.readers[reader_id].image_size(index)
        return max(target_width(height, width, self.preprocess), self.preprocess.width)

    def input_widths(self) -> np.ndarray:
        """Every sample's preprocessed width, for batching crops of similar width together."""
        return np.array([s.width for s in self.samples], dtype=np.int64)

    @functools.cached_property  # every train loader of a fit (one per resume or reload) shares it
    def difficulty(self) -> np.ndarray:
        """Curriculum score in [0, 2): the percentile rank of a label's length plus that of the
        rarity of its rarest character (characters counted over this dataset's labels)."""
        counts = Counter(ch for s in self.samples for ch in s.text)
        lengths = np.array([len(s.text) for s in self.samples])
        rarest = np.array([min(counts[ch] for ch in s.text) for s in self.samples])
        return _percentile_rank(lengths) + _percentile_rank(-rarest)

    # ---- access ------------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Select the augmentation stream of ``epoch`` (visible to running workers too)."""
        self._epoch.fill_(epoch)

    def sample_seed(self, index: int) -> int:
        """The augmentation seed of sample ``index`` in the current epoch."""
        return item_seed(self.seed, int(self._epoch), index)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        sample = self.samples[index]
        gray, text, tokens = self._scaled(sample), sample.text, sample.tokens
        seed = self.sample_seed(index)
        if self.concat:
            rng = np.random.default_rng(item_seed(seed, CONCAT_STREAM))
            if rng.random() < self.concat:
                gray, text, tokens = self._joined(gray, sample, self.samples[int(rng.integers(len(self)))], rng)
        if self.squeeze:
            rng = np.random.default_rng(item_seed(seed, SQUEEZE_STREAM))
            if rng.random() < self.squeeze:
                gray = self._squeezed(gray, tokens, float(rng.uniform(*self.augmenter.config.squeeze_range)))
        gray = self.augmenter(gray, seed)
        image = torch.from_numpy(preprocess(gray, self.preprocess))
        return image, torch.tensor(tokens, dtype=torch.long), text

    def _scaled(self, sample: _Sample) -> np.ndarray:
        """A sample's crop at the model's height: crops stored taller (64 px for a 32-px CRNN)
        are brought to it first, so augmentation costs and behaves as on crops stored at it."""
        gray, _, _ = self.readers[sample.reader][sample.index]
        return scale_to_height(gray, self.preprocess.height)

    def _joined(
        self, gray: np.ndarray, sample: _Sample, partner: _Sample, rng: np.random.Generator
    ) -> tuple[np.ndarray, str, tuple[int, ...]]:
        """``sample``'s crop with ``partner``'s pasted to its right after a word space (0.25–0.6
        of the height, in the gray where the two meet), the labels joined by a space; the
        sample alone when the pair would not fit the label length, the width or the frames."""
        text = f"{sample.text} {partner.text}"
        other = self._scaled(partner)
        height = gray.shape[0]
        gap = np.median(np.concatenate([gray[:, -1], other[:, 0]]))
        space = np.full((height, round(rng.uniform(0.25, 0.6) * height)), int(gap), np.uint8)
        joined = np.hstack([gray, space, other])
        tokens = tuple(self.charset.encode(text))
        frames_fit = _needed_frames(tokens) <= self._available_frames(*joined.shape)
        fits = len(tokens) <= self.max_label_length and joined.shape[1] <= self.preprocess.max_width
        return (joined, text, tokens) if fits and frames_fit else (gray, sample.text, sample.tokens)

    def _available_frames(self, height: int, width: int) -> int:
        """CTC frames the model emits for a crop of this size at the model's height, once
        resized and padded as :func:`preprocess` will."""
        if self.max_output_length is not None:
            return self.max_output_length
        return self.frames_for_width(max(target_width(height, width, self.preprocess), self.preprocess.width))

    def _squeezed(self, gray: np.ndarray, tokens: tuple[int, ...], factor: float) -> np.ndarray:
        """A crop at the model's height narrowed to ``factor`` of its width, or less narrowed
        where its label would need more CTC frames than the narrower crop gives."""
        height, width = gray.shape
        frames = _needed_frames(tokens)
        narrow, wide = max(1, round(width * factor)), width  # the crop as it is fits (_alignable)
        while narrow < wide:  # the narrowest width at least the asked one that still fits
            middle = (narrow + wide) // 2
            narrow, wide = (narrow, middle) if frames <= self._available_frames(height, middle) else (middle + 1, wide)
        return cv2.resize(gray, (narrow, height), interpolation=cv2.INTER_AREA) if narrow < width else gray

    def texts(self) -> list[str]:
        return [s.text for s in self.samples]


def _needed_frames(tokens: tuple[int, ...]) -> int:
    """CTC frames a label needs (one per token, one more between repeats)."""
    return int(required_frames(torch.tensor(tokens), torch.tensor([len(tokens)]))[0])


def _percentile_rank(values: np.ndarray) -> np.ndarray:
    """Rank of each value in [0, 1), ties broken by position."""
    return np.argsort(np.argsort(values, kind="stable"), kind="stable") / len(values)


def collate(batch: Sequence[tuple[torch.Tensor, torch.Tensor, str]]) -> Batch:
    """Stack samples into a Batch; images of different widths are padded on the right."""
    images = collate_widths([image.numpy() for image, _, _ in batch])
    return Batch(
        images=torch.from_numpy(images),
        targets=torch.cat([target for _, target, _ in batch]),
        target_lengths=torch.tensor([len(target) for _, target, _ in batch], dtype=torch.long),
        texts=[text for _, _, text in batch],
    )
