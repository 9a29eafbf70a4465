"""Evaluation sets: the crops and true texts a model is measured on, from a dataset
directory's split, one LMDB crop cache or a ``path<TAB>text`` label file.

A label file may have a ``meta.tsv`` beside it (``file<TAB>kind<TAB>tags<TAB>image``, tags
comma-separated), as the real evaluation set ``shared/data/real-dev`` does: its kinds
(sign-photo, doc-scan, …) and tags (lowres, rotated, …) then group the metrics. A directory
holding ``labels.tsv`` or ``crops/labels.tsv`` (that set's root) is read as its label file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from krocr.charset import normalize_text
from krocr.data.images import ImageInput
from krocr.data.importers import read_label_file
from krocr.data.rejections import Reason
from krocr.data.store import CacheReader
from krocr.errors import DataError, read_input_text

LMDB_SUFFIXES = (".lmdb", ".mdb")
EMPTY_LABEL = f"{Reason.EMPTY_LABEL}: no text to score a reading against"
LABEL_FILE = "labels.tsv"
META_FILE = "meta.tsv"
# A folder holding this file, or laid out as the real evaluation set (annotations.jsonl beside
# crops/meta.tsv), is evaluation data: training on anything inside it is refused.
EVALUATION_ONLY_MARKER = "EVALUATION_ONLY"


@dataclass(frozen=True)
class EvalSample:
    item: str  # where the crop is: "test.lmdb#12" (1-based LMDB index) or its image path
    truth: str  # NFC, outer whitespace stripped (invisible in a crop)
    source: str
    kind: str = ""  # text kind of a synthetic crop (word, rare, long, …) or a real crop's kind, else empty
    tags: tuple[str, ...] = ()  # a real crop's conditions (lowres, rotated, …) from meta.tsv


@dataclass(frozen=True)
class Unreadable:
    item: str
    error: str


@dataclass
class EvalSet:
    description: str  # the LMDB or label file, for metrics.json
    samples: list[EvalSample]
    load: Callable[[int], ImageInput]  # sample index → its image
    unreadable: list[Unreadable]  # items lost before any image was read (missing files, empty labels)
    notes: list[str] = field(default_factory=list)  # what was read with a guess (a legacy encoding)


def open_eval_set(data: str | Path, split: str | None = None) -> EvalSet:
    """The samples of a dataset directory's split, an LMDB or a label file."""
    data = Path(data)
    if not data.exists():
        raise DataError(f"{data}: not found; expected a dataset directory, an .lmdb or a label file")
    splits = dataset_splits(data)
    labels = _label_file_in(data)
    if labels is not None and not splits:
        return _label_file_set(labels)
    if splits is not None:
        return _lmdb_set(_split_path(data, splits, split))
    if data.is_dir() or data.suffix in LMDB_SUFFIXES:
        return _lmdb_set(data)
    return _label_file_set(data)


def evaluation_only_root(path: str | Path) -> Path | None:
    """The evaluation-only set ``path`` lies in (itself or a parent), or None.

    Args:
        path: any file or directory.

    Returns:
        The set's root folder: one holding an ``EVALUATION_ONLY`` file, or laid out as the
        real evaluation set (``annotations.jsonl`` beside ``crops/meta.tsv``).
    """
    resolved = Path(path).resolve()
    for folder in (resolved, *resolved.parents):
        if (folder / EVALUATION_ONLY_MARKER).is_file():
            return folder
        if (folder / "annotations.jsonl").is_file() and (folder / "crops" / META_FILE).is_file():
            return folder
    return None


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
    samples, indices, lost = [], [], []
    for i, (label, source, kind) in enumerate(zip(reader.labels(), reader.sources(), reader.kinds(), strict=True)):
        item, truth = f"{path.name}#{i + 1}", normalize_text(label).strip()
        if truth:
            samples.append(EvalSample(item, truth, source, kind))
            indices.append(i)
        else:
            lost.append(Unreadable(item, EMPTY_LABEL))
    return EvalSet(str(path), samples, lambda j: reader[indices[j]][0], lost)


def _label_file_in(directory: Path) -> Path | None:
    """A directory's label file: ``labels.tsv`` in it or in its ``crops/``; None if neither."""
    if not directory.is_dir():
        return None
    return next((p for p in (directory / LABEL_FILE, directory / "crops" / LABEL_FILE) if p.is_file()), None)


def read_meta(path: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """``meta.tsv``: crop file name → (kind, tags). A malformed line raises DataError naming
    the file and the line."""
    meta: dict[str, tuple[str, tuple[str, ...]]] = {}
    for lineno, line in enumerate(read_input_text(path, "crop metadata file", DataError).splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0]:
            raise DataError(f"{path}:{lineno}: expected 'file<TAB>kind<TAB>tags<TAB>image', got {line!r:.80}")
        tags = tuple(t for t in (fields[2].split(",") if len(fields) > 2 else []) if t)
        meta[fields[0]] = (fields[1], tags)
    return meta


def _label_file_set(path: Path) -> EvalSet:
    records, log = read_label_file(path)
    meta_path = path.with_name(META_FILE)
    meta = read_meta(meta_path) if meta_path.is_file() else {}
    samples, kept = [], []
    lost = [Unreadable(f"{r.file} {r.item}", f"{r.reason}: {r.detail}") for r in log]
    for r in records:
        assert r.path is not None  # read_label_file gives every record its image file
        if not (truth := normalize_text(r.text).strip()):
            lost.append(Unreadable(f"{path} {r.item}", EMPTY_LABEL))
            continue
        name = r.path.relative_to(path.parent).as_posix() if r.path.is_relative_to(path.parent) else r.path.name
        kind, tags = meta.get(name, ("", ()))
        samples.append(EvalSample(str(r.path), truth, r.source, kind, tags))
        kept.append(r.path)
    return EvalSet(str(path), samples, kept.__getitem__, lost, log.notes)


PHOTO_ANNOTATIONS = "annotations.jsonl"


@dataclass(frozen=True)
class PhotoWord:
    """A labelled word of a photo: its 4 corners in the photo's pixels, its text, its tags."""

    points: tuple[tuple[float, float], ...]
    text: str  # NFC; "###" for a region nobody could read (not scored)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnnotatedPhoto:
    path: Path
    kind: str
    words: tuple[PhotoWord, ...]


def read_photo_set(root: str | Path) -> list[AnnotatedPhoto]:
    """The whole photos of an evaluation set laid out as ``shared/data/real-dev``:
    ``annotations.jsonl`` with one JSON object per image (``image`` relative to the root,
    ``kind``, ``words``: ``points``, ``text``, ``tags``).

    Args:
        root: the set's folder, or its ``annotations.jsonl``.

    Returns:
        The photos in file order. A malformed line raises DataError naming the file and line.
    """
    path = Path(root)
    path = path / PHOTO_ANNOTATIONS if path.is_dir() else path
    photos = []
    for lineno, line in enumerate(read_input_text(path, "photo annotations file", DataError).splitlines(), 1):
        if line.strip():
            photos.append(_annotated_photo(line, path, lineno))
    return photos


def _typed(value: object, kind: type, name: str) -> Any:
    """``value`` if it is a ``kind``; else TypeError naming the field (a null text is not "None")."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} is {type(value).__name__}, not {kind.__name__}: {value!r:.40}")
    return value


def _annotated_photo(line: str, path: Path, lineno: int) -> AnnotatedPhoto:
    where = f"{path}:{lineno}"
    try:
        entry = json.loads(line)
        words = tuple(
            PhotoWord(
                tuple((float(x), float(y)) for x, y in word["points"]),
                normalize_text(_typed(word["text"], str, "text")).strip(),
                tuple(str(t) for t in _typed(word.get("tags", []), list, "tags")),
            )
            for word in entry["words"]
        )
        image = path.parent / str(entry["image"])
        kind = str(entry.get("kind", ""))
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: not JSON ({exc.msg})") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{where}: expected image, kind and words with points [[x, y]×4] and text ({exc!r})") from None
    if any(len(word.points) < 4 for word in words):
        raise DataError(f"{where}: a word with fewer than 4 points")
    return AnnotatedPhoto(image, kind, words)
