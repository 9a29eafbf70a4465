import io
import pickle
import unicodedata

import cv2
import lmdb
import numpy as np
import pytest
from PIL import Image

from krocr.data.store import CacheReader, CacheWriter
from krocr.errors import DataError


def crop(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)


def test_round_trip_keeps_nfc_labels_sources_and_resizes(tmp_path):
    path = tmp_path / "c.lmdb"
    nfd = unicodedata.normalize("NFD", "한글")
    with CacheWriter(path, meta={"note": "test"}) as writer:
        assert writer.add(crop(64, 200), nfd, "via") == 1
        writer.add(np.zeros((32, 40, 3), np.uint8), "간판", "icdar")
    reader = CacheReader(path)
    assert len(reader) == 2
    gray, label, source = reader[0]
    assert gray.dtype == np.uint8 and gray.shape == (32, 100)  # height 32, aspect kept
    assert label == "한글" and label == unicodedata.normalize("NFC", nfd)
    assert source == "via" and reader[1][2] == "icdar" and reader[-1][1] == "간판"
    assert reader.labels() == ["한글", "간판"] and reader.sources() == ["via", "icdar"]
    assert reader.kinds() == ["", ""]  # no text kinds stored
    assert reader.meta["height"] == 32 and reader.meta["note"] == "test" and reader.meta["num_samples"] == 2
    assert reader.image_size(0) == (100, 32)
    with pytest.raises(IndexError):
        reader[2]


def test_text_kinds_are_stored_where_given(tmp_path):
    with CacheWriter(tmp_path / "c.lmdb") as writer:
        writer.add(crop(32, 40), "가", "synth", kind="rare")
        writer.add(crop(32, 40), "나", "photos")
    assert CacheReader(tmp_path / "c.lmdb").kinds() == ["rare", ""]


def test_stored_pixels_are_the_resized_crop(tmp_path):
    image = crop(32, 77, seed=5)
    with CacheWriter(tmp_path / "c.lmdb") as writer:
        writer.add(image, "가", "s")
    assert np.array_equal(CacheReader(tmp_path / "c.lmdb")[0][0], image)  # PNG is lossless


def test_wide_crops_are_squeezed_to_max_width(tmp_path):
    with CacheWriter(tmp_path / "c.lmdb", max_width=300) as writer:
        writer.add(crop(32, 1000), "긴 간판", "s")
    assert CacheReader(tmp_path / "c.lmdb")[0][0].shape == (32, 300)


def test_map_grows_when_full(tmp_path):
    with CacheWriter(tmp_path / "c.lmdb", map_size=64 * 1024) as writer:
        for i in range(300):
            writer.add(crop(32, 200, seed=i), f"{i}", "s")  # noise: ~6 kB each, ~2 MB in all
    reader = CacheReader(tmp_path / "c.lmdb")
    assert len(reader) == 300 and reader[299][1] == "299"


def test_refuses_to_overwrite_unless_asked(tmp_path):
    path = tmp_path / "c.lmdb"
    with CacheWriter(path) as writer:
        writer.add(crop(32, 40), "가", "s")
    with pytest.raises(DataError, match="already exists"):
        CacheWriter(path)
    with CacheWriter(path, overwrite=True) as writer:
        pass
    assert len(CacheReader(path)) == 0
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(DataError, match="not an LMDB directory"):
        CacheWriter(other, overwrite=True)


def test_reads_a_foreign_dtrb_lmdb(tmp_path):
    path = tmp_path / "foreign_set.lmdb"
    env = lmdb.open(str(path), map_size=1 << 24)
    color = np.zeros((50, 120, 3), np.uint8)
    color[:, :, 2] = 255
    jpeg = cv2.imencode(".jpg", color)[1].tobytes()
    rgba = io.BytesIO()
    Image.new("RGBA", (30, 20), (0, 0, 0, 0)).save(rgba, "PNG")
    with env.begin(write=True) as txn:
        txn.put(b"num-samples", b"2")
        txn.put(b"image-000000001", jpeg)
        txn.put(b"label-000000001", b"red")
        txn.put(b"image-000000002", rgba.getvalue())
        txn.put(b"label-000000002", b"clear")
    env.close()
    reader = CacheReader(path)
    gray, label, source = reader[0]
    assert gray.shape == (50, 120) and gray.dtype == np.uint8 and label == "red" and source == "foreign_set"
    assert 60 < gray.mean() < 90  # red's luma, not a channel picked at random
    assert (reader[1][0] == 255).all()  # transparent → white, as read_image does
    assert reader.meta == {}


def test_bad_lmdbs(tmp_path):
    with pytest.raises(DataError, match="LMDB not found"):
        CacheReader(tmp_path / "none.lmdb")
    env = lmdb.open(str(tmp_path / "empty.lmdb"))
    env.close()
    with pytest.raises(DataError, match="no 'num-samples' key"):
        CacheReader(tmp_path / "empty.lmdb")
    env = lmdb.open(str(tmp_path / "broken.lmdb"))
    with env.begin(write=True) as txn:
        txn.put(b"num-samples", b"1")
        txn.put(b"image-000000001", b"garbage")
        txn.put(b"label-000000001", b"x")
    env.close()
    with pytest.raises(DataError, match=r"broken\.lmdb index 1: not a recognizable image"):
        CacheReader(tmp_path / "broken.lmdb")[0]


def test_reader_pickles_without_its_handle(tmp_path):
    with CacheWriter(tmp_path / "c.lmdb") as writer:
        writer.add(crop(32, 40), "가", "s")
    reader = CacheReader(tmp_path / "c.lmdb")
    reader[0]
    copy = pickle.loads(pickle.dumps(reader))
    assert copy._env is None and copy[0][1] == "가"
