"""Catalogue: a dataset with zero usable samples. ``krocr data`` still writes
summary.json and rejections.csv, then fails with the rejection table (one row per reason,
with an example naming file and item); ``CropDataset`` raises DataError with its table."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from robust_helpers import Photo, Region, data_args, rect, via_source

from krocr import cli
from krocr.charset import korean_charset
from krocr.data.dataset import CropDataset
from krocr.data.store import CacheWriter
from krocr.errors import DataError


def test_krocr_data_with_zero_usable_samples_fails_with_the_rejection_table(signs, tmp_path, capsys):
    """Every word of every photo is bad, each in its own way."""
    first, second, third, fourth, fifth = signs.photos
    first.regions = [Region("", rect(8, 8, 104, 48)), Region("漢字", rect(124, 8, 104, 48))]
    second.regions = [Region("셋", [(8, 8), (100, 8), (50, 40)]), Region("###", rect(124, 8, 104, 48))]
    third.regions = [Region("밖", rect(400, 8, 50, 40))]
    fourth.data = b"\x89PNG\r\n\x1a\n" + b"\0" * 40  # corrupt
    fifth.data = None  # missing
    signs.add(Photo("empty.png", [], b""))  # a photo without words is not an error
    via = signs.write_via()
    out = tmp_path / "out"
    assert cli.main(["data", *data_args(via_source(via, signs.images), out)]) == 1
    error = capsys.readouterr().err
    assert "no usable samples from 1 source(s)" in error and str(out / "rejections.csv") in error
    reasons = [
        "empty_label",
        "out_of_charset",
        "too_few_points",
        "illegible",
        "outside_image",
        "unreadable_image",
        "missing_image",
    ]
    for reason in reasons:  # the table, one row per reason
        assert reason in error, reason
    assert "Traceback" not in error
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["crops"] == {"train": 0, "val": 0, "total": 0}
    assert summary["rejections"] == {reason: 1 for reason in reasons}
    with open(out / "rejections.csv", encoding="utf-8") as f:
        rows = {row["reason"]: row for row in csv.DictReader(f)}
    assert (rows["empty_label"]["file"], rows["empty_label"]["item"]) == (str(via), "good_1.png region 1")
    assert (rows["unreadable_image"]["file"], rows["unreadable_image"]["item"]) == (
        str(signs.images / "good_4.png"),
        "image",
    )
    assert not (out / "preview.png").exists()


def test_crop_dataset_with_zero_usable_samples_raises_data_error_with_the_table(tmp_path):
    cache = tmp_path / "val.lmdb"
    with CacheWriter(cache) as writer:
        for label in ["", "漢字", "가" * 63, "   "]:
            writer.add(np.full((32, 80), 128, np.uint8), label, "x")
    with pytest.raises(DataError, match=r"no usable samples in .*val\.lmdb") as error:
        CropDataset([cache], korean_charset())
    message = str(error.value)
    for reason in ("empty_label", "out_of_charset", "label_too_long"):
        assert reason in message
    assert "index 1" in message and "index 2" in message and "index 3" in message


def test_empty_cache_raises_data_error(tmp_path):
    cache = tmp_path / "train.lmdb"
    CacheWriter(cache).close()
    with pytest.raises(DataError, match=r"no usable samples in .*train\.lmdb"):
        CropDataset([cache], korean_charset())
