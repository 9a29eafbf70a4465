"""Deterministic reproductions of the library bugs this suite found (see known_bugs.py).

Each test states the behaviour krocr promises and is marked ``xfail(strict=True)`` with the
exception it currently fails with: when the bug is fixed the test passes, strict xfail
reports that as a failure, and whoever fixed it deletes the mark (and the fuzzers'
tolerance entry in known_bugs.py).
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import lmdb
import numpy as np
import pytest
from safetensors.torch import load_file, save_file

from known_bugs import KNOWN_BUGS, innermost_krocr_frame, known_bug
from krocr.cache import CacheReader, CacheWriter
from krocr.charset import Charset, alphabet87
from krocr.checkpoint import load_weights, read_metadata, save_weights
from krocr.config import load_config
from krocr.errors import CharsetError, CheckpointError, DataError, KrocrError
from krocr.importers import read_aihub, read_label_file, read_via
from krocr.models import CRNN, CRNNConfig
from krocr.preprocess import PreprocessConfig
from robust_helpers import Region, krocr_data, via_source


def bug(name: str, raises) -> pytest.MarkDecorator:
    entry = next(b for b in KNOWN_BUGS if b.name == name)
    return pytest.mark.xfail(strict=True, raises=raises, reason=f"BUG {entry.name}: {entry.summary}")


def via(tmp_path: Path, shape: dict | str, attributes) -> Path:
    (tmp_path / "a.png").write_bytes(b"")
    path = tmp_path / "via.json"
    region = {"shape_attributes": shape, "region_attributes": attributes}
    text = shape if isinstance(shape, str) else json.dumps({"k": {"filename": "a.png", "regions": [region]}})
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def known(name: str):
    """Today's failure must be the one the registry entry ``name`` describes, so that the
    fuzzers tolerate exactly it; otherwise this raises AssertionError (a real failure)."""
    try:
        yield
    except (KrocrError, AssertionError):
        raise
    except Exception as exc:
        found = known_bug(exc)
        if found is None or found.name != name:
            raise AssertionError(f"known_bugs entry {name!r} does not describe {exc!r} "
                                 f"(from {innermost_krocr_frame(exc)})") from exc
        raise


# ---- importers ------------------------------------------------------------------------------------
RECT = {"name": "rect", "x": 1, "y": 1, "width": 50, "height": 20}


@bug("json_parser_limits", (ValueError, RecursionError))
@pytest.mark.parametrize("text", ['{"k": ' + "1" * 5000 + "}", "[" * 100_000 + "]" * 100_000],
                         ids=["int_over_4300_digits", "nesting_100000_deep"])
def test_known_bug_json_parser_limits_in_importers(tmp_path, text):
    """importers.read_json catches only JSONDecodeError; json.loads also raises ValueError for
    integers over sys.get_int_max_str_digits() and RecursionError for deep nesting.
    Fix: catch (ValueError, RecursionError) there (and in Charset.from_json, CacheReader meta)."""
    path = tmp_path / "via.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"via\.json"), known("json_parser_limits"):
        read_via(path)


@bug("float_overflow", OverflowError)
@pytest.mark.parametrize("document", [
    {"k": {"filename": "a.png", "regions": [{"shape_attributes": {**RECT, "x": 10 ** 400},
                                              "region_attributes": {"annotation_kr": "가"}}]}},
], ids=["via_rect_x_10e400"])
def test_known_bug_float_overflow_in_via(tmp_path, document):
    """importers._floats catches TypeError/ValueError but float(10**400) raises OverflowError.
    Fix: add OverflowError to the except (it is then a malformed_region)."""
    (tmp_path / "a.png").write_bytes(b"")
    path = tmp_path / "via.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with known("float_overflow"):
        records, log = read_via(path)
    assert [r.reason for r in log] == ["malformed_region"]


@bug("float_overflow", OverflowError)
@pytest.mark.parametrize("text", [
    '{"images": [{"file_name": "a.png", "width": Infinity}], "annotations": []}',
    '{"images": [{"file_name": "a.png", "width": 1e999}], "annotations": []}',
    '{"images": [{"file_name": "a.png"}], "annotations": [{"text": "가", "bbox": [1' + "0" * 400 + ', 2, 3, 4]}]}',
], ids=["width_Infinity", "width_1e999", "bbox_10e400"])
def test_known_bug_float_overflow_in_aihub(tmp_path, text):
    """importers._int_or_none: int(inf) raises OverflowError (not caught); _floats as above.
    Fix: catch OverflowError in both (a width of inf is 'unknown', a bbox of 1e400 malformed)."""
    (tmp_path / "a.png").write_bytes(b"")
    path = tmp_path / "labels.json"
    path.write_text(text, encoding="utf-8")
    with known("float_overflow"):
        read_aihub(path)


@bug("via_region_attributes_not_a_dict", TypeError)
@pytest.mark.parametrize("attributes", ["annotation_kr", 7, True, ["annotation_kr"]],
                         ids=["string", "int", "bool", "list"])
def test_known_bug_via_region_attributes_not_a_dict(tmp_path, attributes):
    """importers._via_word: `text_attribute not in attributes` and `attributes[text_attribute]`
    assume a dict. Fix: `if not isinstance(attributes, dict): raise _ItemError(MALFORMED_REGION, …)`."""
    with known("via_region_attributes_not_a_dict"):
        records, log = read_via(via(tmp_path, RECT, attributes))
    assert [r.reason for r in log] == ["malformed_region"] and log.rejections[0].item == "a.png region 1"


@bug("file_name_too_long", OSError)
def test_known_bug_file_name_too_long(tmp_path):
    """Path.is_file() swallows ENOENT/ENOTDIR but raises ENAMETOOLONG, so an annotation naming
    a 300-character file name crashes the import (importers._check_image, read_label_file).
    Fix: catch OSError around is_file() and report missing_image (with the errno text)."""
    path = tmp_path / "via.json"
    path.write_text(json.dumps({"k": {"filename": "a" * 300 + ".jpg", "regions": []}}), encoding="utf-8")
    with known("file_name_too_long"):
        records, log = read_via(path)
    assert [r.reason for r in log] == ["missing_image"]
    labels = tmp_path / "labels.txt"
    labels.write_text("b" * 300 + ".png\t가\n", encoding="utf-8")
    with known("file_name_too_long"):
        records, log = read_label_file(labels)
    assert [(r.item, r.reason) for r in log] == [("line 1", "missing_image")]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="BUG: importers._via_word / _floats iterate a "
                   "string: all_points_x '1234' is read as the points 1, 2, 3, 4")
def test_known_bug_via_coordinates_given_as_a_string_are_split_into_digits(tmp_path):
    shape = {"name": "polygon", "all_points_x": "1234", "all_points_y": "5678"}
    records, log = read_via(via(tmp_path, shape, {"annotation_kr": "가"}))
    assert [r.reason for r in log] == ["malformed_region"]  # today: a word with points (1,5) (2,6) (3,7) (4,8)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="BUG: importers.read_via logs a non-list 'regions' "
                   "under the item entry['filename'], which is '' for an entry with an empty file name")
def test_known_bug_via_rejection_item_is_empty_for_an_empty_file_name(tmp_path):
    path = tmp_path / "via.json"
    path.write_text(json.dumps({"key7": {"filename": "", "regions": True}}), encoding="utf-8")
    records, log = read_via(path)
    assert log.rejections and all(r.item for r in log)  # e.g. "entry key7"


# ---- crops ----------------------------------------------------------------------------------------
@bug("crop_nan_box", ValueError)
def test_known_bug_crop_nan_box_from_huge_polygon(signs, tmp_path):
    """crops.validate_box: a polygon of more than 4 points with finite but huge coordinates
    (3e38, within float32) makes cv2.minAreaRect return NaN corners; every later check compares
    with NaN and passes, validate_box returns NaN corners without an issue, and warp_crop's
    round(nan) raises ValueError, which ends `krocr data` with a traceback.
    Fix: after minAreaRect (and before returning) require np.isfinite(ordered).all() and a
    finite area, else MALFORMED_REGION; better, refuse coordinates far outside any image
    (|v| > 1e6) up front."""
    photo = signs.photos[2]
    photo.regions.append(Region("거대", [(0, 0), (3e38, 0), (3e38, 10), (0, 10), (5, 5)]))
    via_file = signs.write_via()
    with known("crop_nan_box"):
        built = krocr_data(via_source(via_file, signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())
    assert [(r["item"], r["reason"]) for r in built.rejections] == [(f"{photo.name} region 3", "malformed_region")]


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


@bug("cache_meta_not_json", ValueError)
@pytest.mark.parametrize("meta", [b"{not json", b"\xff\xfe\x00"], ids=["not_json", "not_utf8"])
def test_known_bug_cache_meta_not_json(tmp_path, meta):
    """cache.CacheReader.__init__: json.loads(raw_meta) is not guarded. Fix: catch ValueError
    (JSONDecodeError, UnicodeDecodeError) and raise DataError naming the LMDB and the 'meta' key;
    also check that meta is a dict."""
    with pytest.raises(DataError, match=r"c\.lmdb.*meta"), known("cache_meta_not_json"):
        CacheReader(cache(tmp_path, meta=meta))


@bug("cache_negative_num_samples", ValueError)
def test_known_bug_cache_negative_num_samples(tmp_path):
    """cache.CacheReader accepts num-samples '-3'; len() then raises ValueError.
    Fix: require a non-negative integer in __init__ (DataError otherwise)."""
    with pytest.raises(DataError, match="num-samples"), known("cache_negative_num_samples"):
        len(CacheReader(cache(tmp_path, num_samples=b"-3")))


@bug("cache_text_not_utf8", UnicodeDecodeError)
@pytest.mark.parametrize("call", ["raw", "labels"])
def test_known_bug_cache_text_not_utf8(tmp_path, call):
    """cache.CacheReader.raw / labels / sources decode UTF-8 unguarded; a foreign DTRB LMDB with
    CP949 or latin-1 labels crashes CropDataset and `krocr data --format lmdb`.
    Fix: catch UnicodeDecodeError → DataError naming the LMDB and index (read_lmdb then logs it)."""
    reader = CacheReader(cache(tmp_path, label_000000001="간판".encode("cp949")))
    with pytest.raises(DataError, match=r"c\.lmdb.*index 1"), known("cache_text_not_utf8"):
        reader.raw(0) if call == "raw" else reader.labels()


@bug("cache_empty_image_value", Exception)
def test_known_bug_cache_empty_image_value(tmp_path):
    """cache.decode_gray calls cv2.imdecode on b'' (cv2.error: !buf.empty()).
    Fix: `if not data:` go to read_image_bytes, which raises DataError 'empty image'."""
    reader = CacheReader(cache(tmp_path, image_000000001=b""))
    with pytest.raises(DataError, match=r"c\.lmdb index 1"), known("cache_empty_image_value"):
        reader[0]


# ---- weights ----------------------------------------------------------------------------------------
@bug("weights_model_config_unchecked", (ValueError, TypeError, RuntimeError))
@pytest.mark.parametrize("change", [{"rnn_units": -5}, {"rnn_dropout": 5.0}, {"num_classes": 88.0},
                                    {"rnn_units": 10 ** 9}],
                         ids=["negative_units", "dropout_5", "float_classes", "units_1e9"])
def test_known_bug_weights_model_config_unchecked(tmp_path, change):
    """checkpoint.load_weights builds CRNN(config) from the file's 'model' metadata without
    checking types or ranges: torch raises ValueError/TypeError, or tries to allocate the
    model a crafted file describes (rnn_units 10**9: an allocation of petabytes; a few
    thousand units: gigabytes). Fix: validate CRNNConfig fields (types, ranges) in
    __post_init__, and compare the config with the tensor shapes in the file header
    (safe_open(...).get_slice(name).get_shape()) before building the model."""
    charset = alphabet87()
    good = tmp_path / "good.safetensors"
    save_weights(good, CRNN(CRNNConfig(num_classes=charset.num_classes, variant="slim", rnn_units=8)), charset,
                 PreprocessConfig())
    metadata = dict(read_metadata(good))
    metadata["model"] = json.dumps({**json.loads(metadata["model"]), **change})
    crafted = tmp_path / "crafted.safetensors"
    save_file(load_file(str(good)), str(crafted), metadata=metadata)
    with pytest.raises(CheckpointError, match=r"crafted\.safetensors"), known("weights_model_config_unchecked"):
        load_weights(crafted)


# ---- configs ----------------------------------------------------------------------------------------
@bug("config_preset_not_a_string", TypeError)
@pytest.mark.parametrize("value", ["[]", "{a: 1}"], ids=["list", "mapping"])
def test_known_bug_config_augment_preset_not_a_string(tmp_path, value):
    """config._Reader.build passes `augment.preset` to AugmentConfig.preset unchecked, whose
    `name not in PRESETS` raises TypeError for a list or mapping (found by the config fuzzer).
    Fix: require a string there (or catch TypeError in AugmentConfig.preset) → ConfigError."""
    path = tmp_path / "cfg.yaml"
    path.write_text(f"data: {{dirs: [d]}}\naugment: {{preset: {value}}}\n", encoding="utf-8")
    with pytest.raises(KrocrError, match=r"cfg\.yaml: augment\.preset"), known("config_preset_not_a_string"):
        load_config(path)


@bug("config_file_unreadable", OSError)
@pytest.mark.parametrize("base", ["''", "."], ids=["empty", "dot"])
def test_known_bug_config_base_naming_a_directory(tmp_path, base):
    """config._file_layers catches only FileNotFoundError around read_text: `base: ''` (or any
    base, or `krocr train DIR`, naming a directory) raises IsADirectoryError (found by the config
    fuzzer). Fix: catch OSError → ConfigError naming the file and the reason."""
    path = tmp_path / "cfg.yaml"
    path.write_text(f"base: {base}\ndata: {{dirs: [d]}}\n", encoding="utf-8")
    with pytest.raises(KrocrError, match=r"cfg\.yaml|is a directory"), known("config_file_unreadable"):
        load_config(path)


# ---- charsets ---------------------------------------------------------------------------------------
@pytest.mark.xfail(strict=True, raises=AssertionError, reason="BUG: Charset.from_dict uses bool(data['unknown']), "
                   "so the string 'false' (hand-edited JSON) turns the unknown token on")
def test_known_bug_charset_unknown_flag_as_a_string(tmp_path):
    path = tmp_path / "charset.json"
    path.write_text(json.dumps({"symbols": ["가"], "unknown": "false"}), encoding="utf-8")
    try:
        charset = Charset.load(path)
    except CharsetError:
        return  # refusing it is fine too
    assert charset.unknown is False


@pytest.mark.xfail(strict=True, raises=IsADirectoryError, reason="BUG: Charset.load catches FileNotFoundError and "
                   "UnicodeDecodeError only; a directory (or an unreadable file) raises a bare OSError")
def test_known_bug_charset_path_is_a_directory(tmp_path):
    (tmp_path / "chars.txt").mkdir()
    with pytest.raises(CharsetError, match=r"chars\.txt"):
        Charset.load(tmp_path / "chars.txt")
