"""Regression tests for the library bugs this suite found (issue #8), all fixed.

Each test reproduces one bug deterministically and states the behaviour krocr now
promises: a rejection naming the file and item, or a ``KrocrError`` naming the file;
never a bare ``ValueError``, ``OSError``, ``cv2.error``, a huge allocation or a silent
misreading. (The fuzzers in ``test_robust_fuzz.py`` found most of them and now tolerate
no exception but ``KrocrError``.)
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import lmdb
import numpy as np
import pytest
from robust_helpers import Region, krocr_data, via_source
from safetensors.torch import load_file, save_file

from krocr.charset import Charset, alphabet87
from krocr.config import load_config
from krocr.data.importers import read_aihub, read_label_file, read_via
from krocr.data.store import CacheReader, CacheWriter
from krocr.errors import CharsetError, CheckpointError, ConfigError, DataError
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.preprocess import PreprocessConfig
from krocr.model.weights import load_weights, read_metadata, save_weights


def via(tmp_path: Path, shape: dict | str, attributes) -> Path:
    (tmp_path / "a.png").write_bytes(b"")
    path = tmp_path / "via.json"
    region = {"shape_attributes": shape, "region_attributes": attributes}
    text = shape if isinstance(shape, str) else json.dumps({"k": {"filename": "a.png", "regions": [region]}})
    path.write_text(text, encoding="utf-8")
    return path


# ---- importers ------------------------------------------------------------------------------------
RECT = {"name": "rect", "x": 1, "y": 1, "width": 50, "height": 20}


@pytest.mark.parametrize(
    "text",
    ['{"k": ' + "1" * 5000 + "}", "[" * 100_000 + "]" * 100_000],
    ids=["int_over_4300_digits", "nesting_100000_deep"],
)
def test_known_bug_json_parser_limits_in_importers(tmp_path, text):
    """json.loads raises ValueError for integers over sys.get_int_max_str_digits() and
    RecursionError for deep nesting, not only JSONDecodeError: read_json (like Charset.from_json
    and the CacheReader meta) turns them into an error naming the file."""
    path = tmp_path / "via.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"via\.json"):
        read_via(path)


@pytest.mark.parametrize(
    "document",
    [
        {
            "k": {
                "filename": "a.png",
                "regions": [{"shape_attributes": {**RECT, "x": 10**400}, "region_attributes": {"annotation_kr": "가"}}],
            }
        },
    ],
    ids=["via_rect_x_10e400"],
)
def test_known_bug_float_overflow_in_via(tmp_path, document):
    """float(10**400) raises OverflowError: the region is a malformed_region."""
    (tmp_path / "a.png").write_bytes(b"")
    path = tmp_path / "via.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    _, log = read_via(path)
    assert [r.reason for r in log] == ["malformed_region"]


@pytest.mark.parametrize(
    "text",
    [
        '{"images": [{"file_name": "a.png", "width": Infinity}], "annotations": []}',
        '{"images": [{"file_name": "a.png", "width": 1e999}], "annotations": []}',
        '{"images": [{"file_name": "a.png"}], "annotations": [{"text": "가", "bbox": [1' + "0" * 400 + ", 2, 3, 4]}]}",
    ],
    ids=["width_Infinity", "width_1e999", "bbox_10e400"],
)
def test_known_bug_float_overflow_in_aihub(tmp_path, text):
    """int(inf) and float(10**400) raise OverflowError: a width of inf is unknown, a bbox of
    10**400 a malformed_region."""
    (tmp_path / "a.png").write_bytes(b"")
    path = tmp_path / "labels.json"
    path.write_text(text, encoding="utf-8")
    records, log = read_aihub(path)
    assert len(records) == 1
    assert [(r.item, r.reason) for r in log] == ([("annotation 1", "malformed_region")] if "bbox" in text else [])


@pytest.mark.parametrize(
    "attributes", ["annotation_kr", 7, True, ["annotation_kr"]], ids=["string", "int", "bool", "list"]
)
def test_known_bug_via_region_attributes_not_a_dict(tmp_path, attributes):
    """region_attributes that is not an object is a malformed_region (was: TypeError)."""
    _, log = read_via(via(tmp_path, RECT, attributes))
    assert [r.reason for r in log] == ["malformed_region"] and log.rejections[0].item == "a.png region 1"


def test_known_bug_file_name_too_long(tmp_path):
    """Path.is_file() swallows ENOENT/ENOTDIR but raises ENAMETOOLONG: an image named by a
    300-character file name is a missing_image whose detail gives the reason."""
    path = tmp_path / "via.json"
    path.write_text(json.dumps({"k": {"filename": "a" * 300 + ".jpg", "regions": []}}), encoding="utf-8")
    _, log = read_via(path)
    assert [r.reason for r in log] == ["missing_image"] and "File name too long" in log.rejections[0].detail
    labels = tmp_path / "labels.txt"
    labels.write_text("b" * 300 + ".png\t가\n", encoding="utf-8")
    _, log = read_label_file(labels)
    assert [(r.item, r.reason) for r in log] == [("line 1", "missing_image")]


def test_known_bug_via_coordinates_given_as_a_string_are_split_into_digits(tmp_path):
    """all_points_x "1234" was read as the points 1, 2, 3, 4; a string is not a list of numbers."""
    shape = {"name": "polygon", "all_points_x": "1234", "all_points_y": "5678"}
    _, log = read_via(via(tmp_path, shape, {"annotation_kr": "가"}))
    assert [r.reason for r in log] == ["malformed_region"]  # was: a word with points (1,5) (2,6) (3,7) (4,8)


def test_known_bug_via_rejection_item_is_empty_for_an_empty_file_name(tmp_path):
    """An entry with filename "" and bad regions is named by its key."""
    path = tmp_path / "via.json"
    path.write_text(json.dumps({"key7": {"filename": "", "regions": True}}), encoding="utf-8")
    _, log = read_via(path)
    assert [(r.item, r.reason) for r in log] == [("entry key7", "malformed_region")]


# ---- crops ----------------------------------------------------------------------------------------
def test_known_bug_crop_nan_box_from_huge_polygon(signs, tmp_path):
    """A polygon of more than 4 points with finite but huge coordinates (3e38, within float32)
    made cv2.minAreaRect return NaN corners that passed every check until warp_crop's round(nan)
    ended `krocr data` with a ValueError. Coordinates beyond ±1e6 px are now a malformed_region
    (in the importers and in crops.validate_box)."""
    photo = signs.photos[2]
    photo.regions.append(Region("거대", [(0, 0), (3e38, 0), (3e38, 10), (0, 10), (5, 5)]))
    via_file = signs.write_via()
    built = krocr_data(via_source(via_file, signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())
    assert [(r["item"], r["reason"]) for r in built.rejections] == [(f"{photo.name} region 3", "malformed_region")]
    assert "beyond ±1e+06 px" in built.rejections[0]["detail"]


# ---- LMDB caches -----------------------------------------------------------------------------------
def cache(tmp_path: Path, **values: bytes) -> Path:
    path = tmp_path / "c.lmdb"
    with CacheWriter(path) as writer:
        writer.add(np.full((32, 40), 128, np.uint8), "가", "s")
    env = lmdb.open(str(path))
    with env.begin(write=True) as txn:
        for key, value in values.items():
            txn.put(key.replace("_", "-").encode(), value)
    env.close()
    return path


@pytest.mark.parametrize("meta", [b"{not json", b"\xff\xfe\x00"], ids=["not_json", "not_utf8"])
def test_known_bug_cache_meta_not_json(tmp_path, meta):
    """A 'meta' value that is not UTF-8 JSON is an error naming the LMDB and the key."""
    with pytest.raises(DataError, match=r"c\.lmdb.*meta"):
        CacheReader(cache(tmp_path, meta=meta))


def test_known_bug_cache_negative_num_samples(tmp_path):
    """num-samples '-3' was accepted, and len() then raised ValueError."""
    with pytest.raises(DataError, match="num-samples"):
        len(CacheReader(cache(tmp_path, num_samples=b"-3")))


@pytest.mark.parametrize("call", ["raw", "labels"])
def test_known_bug_cache_text_not_utf8(tmp_path, call):
    """A foreign DTRB LMDB with CP949 or latin-1 labels crashed CropDataset and `krocr data
    --format lmdb` with UnicodeDecodeError; now an error names the LMDB and the index."""
    reader = CacheReader(cache(tmp_path, label_000000001="간판".encode("cp949")))
    with pytest.raises(DataError, match=r"c\.lmdb.*index 1"):
        reader.raw(0) if call == "raw" else reader.labels()


def test_known_bug_cache_empty_image_value(tmp_path):
    """An empty image value raised cv2.error (!buf.empty()) in cache.decode_gray."""
    reader = CacheReader(cache(tmp_path, image_000000001=b""))
    with pytest.raises(DataError, match=r"c\.lmdb index 1"):
        reader[0]


# ---- weights ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, message",
    [
        ({"rnn_units": -5}, "damaged metadata .*rnn_units"),
        ({"rnn_dropout": 5.0}, "damaged metadata .*rnn_dropout"),
        ({"num_classes": 88.0}, "damaged metadata .*num_classes"),
        ({"rnn_units": 10**9}, "damaged metadata .*16384"),
        ({"rnn_units": 4000}, "weights do not fit the model its metadata describes"),
    ],
    ids=["negative_units", "dropout_5", "float_classes", "units_1e9", "units_4000"],
)
def test_known_bug_weights_model_config_unchecked(tmp_path, change, message):
    """load_weights built CRNN(config) from the file's 'model' metadata unchecked: torch raised
    ValueError/TypeError, or allocated the model a crafted file describes (rnn_units 10**9:
    petabytes; 4000 units: gigabytes). The config's types and ranges are now checked, and the
    model it describes is compared with the tensor shapes in the file header before it is built."""
    charset = alphabet87()
    good = tmp_path / "good.safetensors"
    save_weights(
        good,
        CRNN(CRNNConfig(num_classes=charset.num_classes, variant="slim", rnn_units=8)),
        charset,
        PreprocessConfig(),
    )
    metadata = dict(read_metadata(good))
    metadata["model"] = json.dumps({**json.loads(metadata["model"]), **change})
    crafted = tmp_path / "crafted.safetensors"
    save_file(load_file(str(good)), str(crafted), metadata=metadata)
    with pytest.raises(CheckpointError, match=rf"crafted\.safetensors: {message}"):
        load_weights(crafted)


# ---- configs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["[]", "{a: 1}"], ids=["list", "mapping"])
def test_known_bug_config_augment_preset_not_a_string(tmp_path, value):
    """A list or mapping as `augment.preset` raised TypeError (found by the config fuzzer)."""
    path = tmp_path / "cfg.yaml"
    path.write_text(f"data: {{dirs: [d]}}\naugment: {{preset: {value}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cfg\.yaml: augment\.preset"):
        load_config(path)


@pytest.mark.parametrize("base", ["''", "."], ids=["empty", "dot"])
def test_known_bug_config_base_naming_a_directory(tmp_path, base):
    """`base: ''` (or any base naming a directory) raised IsADirectoryError (found by the config
    fuzzer); the error now names the file whose base link it is."""
    path = tmp_path / "cfg.yaml"
    path.write_text(f"base: {base}\ndata: {{dirs: [d]}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cfg\.yaml: base .*: cannot read config file"):
        load_config(path)


# ---- charsets ---------------------------------------------------------------------------------------
def test_known_bug_charset_unknown_flag_as_a_string(tmp_path):
    """bool("false") turned the unknown token on; only true or false is accepted now."""
    path = tmp_path / "charset.json"
    path.write_text(json.dumps({"symbols": ["가"], "unknown": "false"}), encoding="utf-8")
    with pytest.raises(CharsetError, match=r"charset\.json: 'unknown' must be true or false"):
        Charset.load(path)


def test_known_bug_charset_path_is_a_directory(tmp_path):
    """A directory as a charset file raised IsADirectoryError."""
    (tmp_path / "chars.txt").mkdir()
    with pytest.raises(CharsetError, match=r"chars\.txt"):
        Charset.load(tmp_path / "chars.txt")
