from dataclasses import replace

import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from krocr.charset import Charset, alphabet87, korean_charset, resolve_charset
from krocr.data.augment import AugmentConfig
from krocr.data.dataset import Batch, CropDataset, collate
from krocr.data.store import CacheWriter
from krocr.errors import DataError
from krocr.model.preprocess import PreprocessConfig, preprocess

GOOD = ["간판", "ABC 마트", "24시", "ab" * 20]
BAD = {
    "": "empty_label",
    "   ": "empty_label",
    "x" * 63: "label_too_long",
    "漢字": "out_of_charset",
    "a" * 40: "unalignable",  # 40 tokens but 79 frames: more than 62
}


def crop(width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (32, width), dtype=np.uint8)


@pytest.fixture(scope="module")
def caches(tmp_path_factory):
    root = tmp_path_factory.mktemp("caches")
    with CacheWriter(root / "a.lmdb") as writer:
        for i, label in enumerate([*GOOD[:2], *BAD]):
            writer.add(crop(80 + 10 * i, i), label, "a")
    with CacheWriter(root / "b.lmdb") as writer:
        for i, label in enumerate(GOOD[2:]):
            writer.add(crop(300, 100 + i), label, "b")
    return [root / "a.lmdb", root / "b.lmdb"]


@pytest.fixture(scope="module")
def charset():
    return korean_charset()


def test_bad_labels_are_counted_once_and_good_ones_all_survive(caches, charset):
    dataset = CropDataset(caches, charset)
    assert dataset.texts() == GOOD
    counts = dataset.rejections.counts_by_reason()
    assert counts == {"empty_label": 2, "label_too_long": 1, "out_of_charset": 1, "unalignable": 1}
    unalignable = next(r for r in dataset.rejections if r.reason == "unalignable")
    assert unalignable.file == str(caches[0]) and unalignable.item == "index 7"
    assert "79 frames" in unalignable.detail and "62" in unalignable.detail
    assert dataset.oov_report.samples_rejected == 1


def test_curriculum_difficulty_ranks_length_plus_rarity_and_is_computed_once(caches, charset):
    dataset = CropDataset(caches, charset)
    difficulty = dataset.difficulty
    assert difficulty is dataset.difficulty  # cached: each train loader of a fit reuses it
    # length ranks [0, .5, .25, .75] + rarest-character ranks [.25, .5, .75, 0] ("ab"×20: a and b seen 20×)
    assert difficulty.tolist() == pytest.approx([0.25, 1.0, 1.0, 0.75])


def test_item_matches_shared_preprocessing(caches, charset):
    dataset = CropDataset(caches, charset)
    image, target, text = dataset[0]
    assert image.shape == (1, 32, 256) and image.dtype == torch.float32
    assert text == "간판" and target.dtype == torch.long
    assert charset.decode(target.tolist()) == "간판"
    gray, _, _ = dataset.readers[0][0]
    assert np.array_equal(image.numpy(), preprocess(gray, PreprocessConfig()))  # augmentation off


def test_a_crop_stored_at_64_px_is_augmented_at_the_models_height(tmp_path, charset):
    tall = cv2.resize(crop(100, 7), (200, 64), interpolation=cv2.INTER_NEAREST)
    with CacheWriter(tmp_path / "tall.lmdb", height=64) as writer:
        writer.add(tall, "간판", "t")
    seen = []

    class Recording:  # stands in for the augmenter: records the size it is given
        def __call__(self, gray, seed):
            seen.append(gray.shape)
            return gray

    natural = PreprocessConfig(width=64, width_mode="natural")
    dataset = CropDataset([tmp_path / "tall.lmdb"], charset, preprocess=natural)
    dataset.augmenter = Recording()
    image, _, _ = dataset[0]
    assert seen == [(32, 100)] and image.shape == (1, 32, 100)
    stored, _, _ = dataset.readers[0][0]
    assert stored.shape == (64, 200)
    assert np.array_equal(image.numpy(), preprocess(stored, natural))


def test_augmentation_is_reproducible_per_seed_and_epoch(caches, charset):
    first = CropDataset(caches, charset, augment=AugmentConfig(), seed=1)
    again = CropDataset(caches, charset, augment=AugmentConfig(), seed=1)
    assert all(torch.equal(first[i][0], again[i][0]) for i in range(len(first)))
    other_seed = CropDataset(caches, charset, augment=AugmentConfig(), seed=2)
    assert any(not torch.equal(first[i][0], other_seed[i][0]) for i in range(len(first)))
    epoch_0 = [first[i][0] for i in range(len(first))]
    first.set_epoch(1)
    assert any(not torch.equal(epoch_0[i], first[i][0]) for i in range(len(first)))
    first.set_epoch(0)
    assert all(torch.equal(epoch_0[i], first[i][0]) for i in range(len(first)))


def test_workers_give_the_same_stream_as_the_main_process(caches, charset):
    dataset = CropDataset(caches, charset, augment=AugmentConfig(), seed=3)
    dataset.set_epoch(2)
    main = next(iter(DataLoader(dataset, batch_size=4, collate_fn=collate)))
    worker = next(iter(DataLoader(dataset, batch_size=4, collate_fn=collate, num_workers=1)))
    assert torch.equal(main.images, worker.images) and main.texts == worker.texts


def test_persistent_workers_follow_set_epoch(caches, charset):
    dataset = CropDataset(caches, charset, augment=AugmentConfig(), seed=4)
    loader = DataLoader(dataset, batch_size=4, collate_fn=collate, num_workers=1, persistent_workers=True)
    epochs = []
    for epoch in range(2):
        dataset.set_epoch(epoch)
        epochs.append(next(iter(loader)).images)
    dataset.set_epoch(1)
    expected = collate([dataset[i] for i in range(4)]).images
    assert torch.equal(epochs[1], expected) and not torch.equal(epochs[0], expected)


def test_collate_shapes(caches, charset):
    dataset = CropDataset(caches, charset)
    batch = collate([dataset[i] for i in range(3)])
    assert isinstance(batch, Batch) and len(batch) == 3
    assert batch.images.shape == (3, 1, 32, 256)
    assert batch.target_lengths.tolist() == [2, 6, 3]
    assert batch.targets.shape == (11,) and batch.texts == GOOD[:3]


def test_natural_width_batches_pad_to_the_widest(caches, charset):
    config = PreprocessConfig(width=64, width_mode="natural", max_width=1024)
    dataset = CropDataset(caches, charset, preprocess=config)
    batch = collate([dataset[0], dataset[3]])
    assert batch.images.shape == (2, 1, 32, 300)


def test_natural_width_alignability_uses_each_crops_width(tmp_path):
    with CacheWriter(tmp_path / "n.lmdb") as writer:
        writer.add(crop(100, 0), "abcdefghijklmnopqrstuvwxyzABCD", "s")  # 30 tokens, 100 px → 23 frames
        writer.add(crop(400, 1), "abcdefghijklmnopqrstuvwxyzABCD", "s")  # 400 px → 98 frames
    config = PreprocessConfig(width=64, width_mode="natural", max_width=1024)
    dataset = CropDataset([tmp_path / "n.lmdb"], alphabet87(), preprocess=config)
    assert len(dataset) == 1 and dataset.samples[0].index == 1
    assert dataset.rejections.counts_by_reason() == {"unalignable": 1}


def test_drop_policy_keeps_the_sample_without_the_character(caches):
    small = Charset.from_labels(["간판ABC 마트24시ab"])
    dataset = CropDataset(caches, small, oov_policy="drop", max_output_length=100)
    assert "" not in dataset.texts() and "" not in [t.strip() for t in dataset.texts()]
    assert dataset.oov_report.samples_changed >= 1


def test_no_usable_sample_raises_with_the_table(tmp_path):
    with CacheWriter(tmp_path / "bad.lmdb") as writer:
        writer.add(crop(50, 0), "", "s")
        writer.add(crop(50, 1), "漢", "s")
    with pytest.raises(DataError, match="no usable samples") as error:
        CropDataset([tmp_path / "bad.lmdb"], korean_charset())
    assert "empty_label" in str(error.value) and "out_of_charset" in str(error.value)


def _concat_dataset(caches, charset, concat: float, max_label_length: int = 62) -> CropDataset:
    config = PreprocessConfig(width=64, width_mode="natural", max_width=2048)
    augment = AugmentConfig.from_dict({**AugmentConfig.preset("none").to_dict(), "concat": concat})
    return CropDataset(caches, charset, preprocess=config, augment=augment, max_label_length=max_label_length, seed=3)


def test_concat_pastes_a_second_crop_after_a_word_space_and_joins_the_labels(caches, charset):
    dataset = _concat_dataset(caches, charset, concat=1.0)
    for index, sample in enumerate(dataset.samples):
        image, tokens, text = dataset[index]
        assert text.startswith(sample.text + " ") and text[len(sample.text) + 1 :] in dataset.texts()
        assert tokens.tolist() == charset.encode(text)
        alone = dataset.readers[sample.reader][sample.index][0].shape[1]
        assert image.shape[2] > alone + 0.25 * 32  # the partner and the space are there
    assert [dataset[i][2] for i in range(len(dataset))] == [dataset[i][2] for i in range(len(dataset))]  # seeded


def test_concat_keeps_the_crop_alone_when_the_pair_would_not_fit(caches, charset):
    dataset = _concat_dataset(caches, charset, concat=1.0, max_label_length=41)
    texts = [dataset[i][2] for i in range(len(dataset))]
    assert "ab" * 20 in texts  # 40 characters: no partner fits in 41
    assert all(len(text) <= 41 for text in texts)
    assert any(" " in text and text.startswith("간판") for text in texts)  # the short ones still pair


def test_concat_counts_the_label_limit_in_the_charsets_tokens(caches):
    jamo = resolve_charset("korean-jamo")  # 간판 is 2 characters but 6 tokens
    dataset = _concat_dataset(caches, jamo, concat=1.0, max_label_length=12)
    pairs = [dataset[i][1:] for i in range(len(dataset))]
    assert all(len(tokens) <= 12 for tokens, _ in pairs)
    assert any(" " in text for _, text in pairs)  # 24시 and 간판 still fit together (11 tokens)


def test_concat_needs_natural_width():
    from pathlib import Path

    from krocr.config import load_config
    from krocr.errors import ConfigError

    configs = Path(__file__).resolve().parents[1] / "configs"
    with pytest.raises(ConfigError, match="augment.concat.*width_mode: natural"):
        load_config(configs / "tiny.yaml", ["augment.concat=0.2"])


def _squeeze_dataset(caches, charset, squeeze_range) -> CropDataset:
    config = PreprocessConfig(width=8, width_mode="natural", max_width=2048)  # pads hardly at all
    augment = replace(AugmentConfig.preset("none"), squeeze=1.0, squeeze_range=squeeze_range)
    return CropDataset(caches, charset, preprocess=config, augment=augment, seed=3)


def test_squeeze_narrows_crops_but_never_below_the_frames_their_labels_need(caches, charset):
    from krocr.model.config import output_length
    from krocr.model.focal_ctc import required_frames

    dataset = _squeeze_dataset(caches, charset, (0.35, 0.35))
    widths = {}
    for index, sample in enumerate(dataset.samples):
        image, tokens, text = dataset[index]
        assert text == sample.text and tokens.tolist() == list(sample.tokens)
        asked = round(0.35 * dataset.readers[sample.reader][sample.index][0].shape[1])
        needed = int(required_frames(tokens, torch.tensor([len(tokens)]))[0])
        width = widths[text] = image.shape[2]
        assert output_length(width) >= needed and width >= asked
        assert width == max(asked, 8) or output_length(width - 1) < needed  # no wider than it must be
    assert widths["간판"] == 28  # 80 px, asked 0.35
    assert widths["ab" * 20] > 0.35 * 300 + 8  # 40 frames: it keeps more of its width
    assert [dataset[i][0].shape for i in range(len(dataset))] == [dataset[i][0].shape for i in range(len(dataset))]


def test_squeeze_range_outside_zero_to_one_is_refused():
    from krocr.errors import InvalidOption

    with pytest.raises(InvalidOption, match="squeeze_range"):
        AugmentConfig(squeeze_range=(0.0, 1.0))
    with pytest.raises(InvalidOption, match="squeeze_range"):
        AugmentConfig(squeeze_range=(0.8, 0.5))


def test_pasting_and_squeezing_draw_apart_from_every_transform():
    from krocr.data.augment import build_pipeline
    from krocr.data.dataset import CONCAT_STREAM, SQUEEZE_STREAM

    positions = range(len(build_pipeline(AugmentConfig()).transforms))  # the Augmenter's item_seed keys
    assert {CONCAT_STREAM, SQUEEZE_STREAM}.isdisjoint(positions) and CONCAT_STREAM != SQUEEZE_STREAM


def test_a_squeeze_by_one_leaves_every_augmented_crop_as_it_was(caches, charset):
    config = PreprocessConfig(width=8, width_mode="natural", max_width=2048)
    plain = CropDataset(caches, charset, preprocess=config, augment=AugmentConfig(), seed=3)
    no_op = replace(AugmentConfig(), squeeze=1.0, squeeze_range=(1.0, 1.0))
    squeezed = CropDataset(caches, charset, preprocess=config, augment=no_op, seed=3)
    for index in range(len(plain)):
        assert torch.equal(plain[index][0], squeezed[index][0])
