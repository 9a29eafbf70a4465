from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from krocr.data.records import CropRecord, ImageRecord, Word
from krocr.data.split import (
    photo_key,
    photos_per_source,
    reference_split,
    split_by_photo,
    words_per_source,
)


def photo(name: str, source: str = "a", words: int = 2) -> ImageRecord:
    return ImageRecord(Path(name), [Word(np.zeros((4, 2)), f"{name}{i}") for i in range(words)], source)


def test_single_source_matches_the_reference_split():
    records = [photo(f"p{i}.jpg") for i in range(23)]
    np.random.seed(0)  # exactly what the reference did
    idx = np.arange(23)
    np.random.shuffle(idx)
    n = round(0.8 * 23)
    train, val = split_by_photo(records, 0.8, seed=0)
    assert sorted(str(r.path) for r in train) == sorted(f"p{i}.jpg" for i in idx[:n])
    assert sorted(str(r.path) for r in val) == sorted(f"p{i}.jpg" for i in idx[n:])


def test_deterministic_and_seed_dependent():
    records = [photo(f"p{i}.jpg") for i in range(40)]
    first = split_by_photo(records, seed=3)
    assert split_by_photo(records, seed=3) == first
    assert split_by_photo(records, seed=4) != first


def test_the_same_photo_listed_twice_stays_on_one_side():
    records = [photo(f"p{i}.jpg") for i in range(10)] + [photo(f"p{i}.jpg", source="b") for i in range(10)]
    train, val = split_by_photo(records, 0.5)
    assert {str(r.path) for r in train}.isdisjoint({str(r.path) for r in val})
    assert len(train) == 10 and len(val) == 10  # the second listing follows the first source's photos


def test_one_photo_named_by_two_paths_stays_on_one_side(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "p0.jpg").write_bytes(b"")
    (tmp_path / "link.jpg").symlink_to(tmp_path / "photos" / "p0.jpg")
    names = ["photos/p0.jpg", str(tmp_path / "photos" / "p0.jpg"), "photos/../photos/p0.jpg", "link.jpg"]
    assert len({photo_key(photo(name)) for name in names}) == 1
    records = [photo(name) for name in names] + [photo(f"other{i}.jpg") for i in range(6)]
    train, _ = split_by_photo(records, 0.5)
    sides = [any(r.path == Path(name) for r in train) for name in names]
    assert len(set(sides)) == 1  # all four listings on the same side


def test_each_source_is_split_on_its_own():
    records = [photo(f"big{i}.jpg", "big") for i in range(50)] + [photo(f"small{i}.jpg", "small") for i in range(5)]
    train, val = split_by_photo(records, 0.8)
    assert photos_per_source(val) == {"big": 10, "small": 1}
    assert photos_per_source(train) == {"big": 40, "small": 4}


def test_crop_records_from_one_lmdb_are_separate_photos():
    crops = [CropRecord(Path("x.lmdb"), "가", "l", f"index {i}", b"png") for i in range(10)]
    assert len({photo_key(c) for c in crops}) == 10
    train, val = split_by_photo(crops, 0.7)
    assert (len(train), len(val)) == (7, 3)


def test_counts():
    records = [photo("a.jpg", "s", 3), photo("b.jpg", "s", 1), CropRecord(Path("c.png"), "가", "t")]
    assert words_per_source(records) == {"s": 4, "t": 1}
    assert photos_per_source(records) == {"s": 2, "t": 1}


def test_fraction_edges():
    records = [photo(f"p{i}.jpg") for i in range(5)]
    assert split_by_photo(records, 1.0)[1] == [] and split_by_photo(records, 0.0)[0] == []
    assert reference_split(0, 0.8, 0)[0].size == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.sampled_from("abc")), max_size=40), st.floats(0, 1), st.integers(0, 99)
)
def test_no_photo_on_both_sides_and_nothing_lost(items, fraction, seed):
    records = [photo(f"p{n}.jpg", source) for n, source in items]
    train, val = split_by_photo(records, fraction, seed)
    assert len(train) + len(val) == len(records)
    assert {photo_key(r) for r in train}.isdisjoint({photo_key(r) for r in val})
