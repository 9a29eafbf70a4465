"""Catalogue: labels. A bad label among ten good ones is named (file + region/line/index)
and every good word reaches the cache; NFD is stored as NFC; each out-of-charset policy
does what it says; labels the CTC output cannot align are dropped by the training dataset."""

from __future__ import annotations

import unicodedata
from collections import Counter

import numpy as np
import pytest
from robust_helpers import (
    Photo,
    Region,
    encode,
    krocr_data,
    rect,
    render_crop,
    render_photo,
    via_source,
)

from krocr.charset import korean_charset
from krocr.data.dataset import CropDataset
from krocr.data.store import CacheWriter
from krocr.errors import DataError
from krocr.model.preprocess import PreprocessConfig


def spoil(signs, label: str) -> str:
    """Add a region labelled ``label`` as region 3 of the third good photo; returns its item."""
    photo = signs.photos[2]
    photo.regions.append(Region(label, rect(60, 12, 120, 40)))
    return f"{photo.name} region 3"


@pytest.mark.parametrize("label", ["", "  \t\u3000 "], ids=["empty", "whitespace_only"])
def test_empty_or_whitespace_label_is_named_and_the_others_survive(signs, tmp_path, label):
    item = spoil(signs, label)
    via = signs.write_via()
    built = krocr_data(via_source(via, signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert (rejection["file"], rejection["item"], rejection["reason"]) == (str(via), item, "empty_label")
    assert "whitespace" in rejection["detail"]


NFD_WORD = "한글"


@pytest.mark.parametrize("fmt", ["via", "icdar2015", "aihub", "labels"])
def test_nfd_label_is_kept_as_nfc(signs, tmp_path, fmt):
    nfd = unicodedata.normalize("NFD", NFD_WORD)
    assert nfd != NFD_WORD and len(nfd) == 6
    words = [(NFD_WORD, (8, 8, 104, 48)), ("문자", (124, 8, 104, 48))]
    photo = Photo(
        "nfd.png",
        [Region(nfd, rect(*words[0][1])), Region("문자", rect(*words[1][1]))],
        encode(render_photo(words, seed=9), "PNG"),
    )
    signs.add(photo)
    if fmt == "via":
        source = via_source(signs.write_via(), signs.images)
    elif fmt == "icdar2015":
        source = ["--format", "icdar2015", "--annotations", str(signs.write_icdar()), "--images", str(signs.images)]
    elif fmt == "aihub":
        source = ["--format", "aihub", "--annotations", str(signs.write_aihub()), "--images", str(signs.images)]
    else:
        crops = tmp_path / "crops"
        crops.mkdir()
        lines = []
        for i, label in enumerate([*signs.good_labels(), nfd, "문자"]):
            render_crop(unicodedata.normalize("NFC", label)).save(crops / f"{i}.png")
            lines.append(f"{i}.png\t{label}")
        (crops / "labels.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        source = ["--format", "labels", "--annotations", str(crops / "labels.txt")]
    built = krocr_data(source, tmp_path / "out")
    assert built.rejections == []
    assert built.labels() == Counter([*signs.good_labels(), NFD_WORD, "문자"])
    assert all(unicodedata.is_normalized("NFC", label) for label in built.labels())


# ---- out of charset -----------------------------------------------------------------------------
OOV_LABEL = "韓國 빵"  # two Hanja outside the korean charset, then a syllable inside it
OOV_EXPECTED = {"reject": None, "drop": "빵", "unknown": "\ufffd\ufffd 빵"}


@pytest.mark.parametrize("policy", list(OOV_EXPECTED))
def test_out_of_charset_label_follows_each_policy(signs, tmp_path, policy):
    item = spoil(signs, OOV_LABEL)
    via = signs.write_via()
    built = krocr_data(via_source(via, signs.images), tmp_path / "out", "--oov", policy)
    expected = OOV_EXPECTED[policy]
    assert built.labels() == Counter([*signs.good_labels(), *([expected] if expected else [])])
    if expected is None:
        rejection = built.only_rejection()
        assert (rejection["file"], rejection["item"], rejection["reason"]) == (str(via), item, "out_of_charset")
        assert "U+97D3" in rejection["detail"] and "U+570B" in rejection["detail"]  # 韓, 國 named by code point
    else:
        assert built.rejections == []
    assert "韓" in built.summary["out_of_charset"]  # counted under every policy, never silent


def test_label_of_only_out_of_charset_characters_under_drop_is_an_empty_label(signs, tmp_path):
    item = spoil(signs, "漢字")
    built = krocr_data(via_source(signs.write_via(), signs.images), tmp_path / "out", "--oov", "drop")
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert (rejection["item"], rejection["reason"]) == (item, "empty_label")
    assert "'drop'" in rejection["detail"]


def test_label_over_max_length_is_named_and_the_others_survive(signs, tmp_path):
    item = spoil(signs, "가" * 63)
    via = signs.write_via()
    built = krocr_data(via_source(via, signs.images), tmp_path / "out")  # default --max-length 62
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert (rejection["file"], rejection["item"], rejection["reason"]) == (str(via), item, "label_too_long")
    assert "63 tokens > 62" in rejection["detail"]


def test_label_longer_than_the_output_can_align_is_dropped_by_the_dataset(tmp_path):
    """Width 64 gives 14 CTC frames: 8 distinct syllables fit, 8 equal ones need 15."""
    cache = tmp_path / "train.lmdb"
    labels = ["간판", "커피", "가나다라마바사아", "가" * 8, "약국", "식당"]
    with CacheWriter(cache) as writer:
        for label in labels:
            writer.add(np.asarray(render_crop(label).convert("L")), label, "crops")
    dataset = CropDataset([cache], korean_charset(), PreprocessConfig(width=64))
    assert dataset.texts() == ["간판", "커피", "가나다라마바사아", "약국", "식당"]
    (rejection,) = dataset.rejections
    assert (rejection.file, rejection.item, rejection.reason) == (str(cache), "index 4", "unalignable")
    assert "needs 15 frames" in rejection.detail and "outputs 14" in rejection.detail
    with pytest.raises(DataError, match="no usable samples") as error:  # and alone it is a clear error
        CropDataset([cache], korean_charset(), PreprocessConfig(width=12))
    assert "unalignable" in str(error.value) and "index 1" in str(error.value)
