"""Evaluation sets: the crops and true texts a model is measured on, from a dataset
directory's split, one LMDB crop cache or a ``path<TAB>text`` label file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from krocr.charset import normalize_text
from krocr.data.images import ImageInput
from krocr.data.importers import read_label_file
from krocr.data.store import CacheReader
from krocr.errors import DataError

LMDB_SUFFIXES = (".lmdb", ".mdb")


@dataclass(frozen=True)
class EvalSample:
    item: str  # where the crop is: "test.lmdb#12" (1-based LMDB index) or its image path
    truth: str  # NFC, outer whitespace stripped (invisible in a crop)
    source: str
    kind: str = ""  # text kind of a synthetic crop (word, rare, long, …), else empty


@dataclass(frozen=True)
class Unreadable:
    item: str
    error: str


@dataclass
class EvalSet:
    description: str  # the LMDB or label file, for metrics.json
    samples: list[EvalSample]
    load: Callable[[int], ImageInput]  # sample index → its image
    unreadable: list[Unreadable]  # items lost before any image was read (missing files)


def open_eval_set(data: str | Path, split: str | None = None) -> EvalSet:
    """The samples of a dataset directory's split, an LMDB or a label file."""
    data = Path(data)
    if not data.exists():
        raise DataError(f"{data}: not found; expected a dataset directory, an .lmdb or a label file")
    splits = dataset_splits(data)
    if splits is not None:
        return _lmdb_set(_split_path(data, splits, split))
    if data.is_dir() or data.suffix in LMDB_SUFFIXES:
        return _lmdb_set(data)
    return _label_file_set(data)


def dataset_splits(data: Path) -> list[str] | None:
    """The splits (``*.lmdb`` names, sorted) of a dataset directory; None when ``data`` is not
    one but an LMDB or a label file."""
    if not data.is_dir() or (data / "data.mdb").is_file():
        return None
    return sorted(p.stem for p in data.glob("*.lmdb"))


def _split_path(directory: Path, present: list[str], split: str | None) -> Path:
    if not present:
        raise DataError(f"{directory}: no *.lmdb caches in this directory; build one with `krocr data`")
    chosen = split or ("test" if "test" in present else "val")
    if chosen not in present:
        raise DataError(f"{directory}: no {chosen}.lmdb (present: {', '.join(present)}); choose one with --split")
    return directory / f"{chosen}.lmdb"


def _lmdb_set(path: Path) -> EvalSet:
    reader = CacheReader(path)
    samples = [
        EvalSample(f"{path.name}#{i}", normalize_text(label).strip(), source, kind)
        for i, (label, source, kind) in enumerate(zip(reader.labels(), reader.sources(), reader.kinds()), start=1)
    ]
    return EvalSet(str(path), samples, lambda i: reader[i][0], [])


def _label_file_set(path: Path) -> EvalSet:
    records, log = read_label_file(path)
    samples = [EvalSample(str(r.path), r.text.strip(), r.source) for r in records]
    lost = [Unreadable(f"{r.file} {r.item}", f"{r.reason}: {r.detail}") for r in log]

    def load(i: int) -> ImageInput:
        image = records[i].path
        assert image is not None  # read_label_file gives every record its image file
        return image

    return EvalSet(str(path), samples, load, lost)
