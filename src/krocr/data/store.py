"""LMDB crop cache in the deep-text-recognition-benchmark (DTRB) layout.

Keys (indices start at 1)::

    num-samples        ASCII integer
    image-%09d         PNG bytes: gray crop, already at the cache height, natural width
    label-%09d         UTF-8 label, NFC
    source-%09d        UTF-8 source dataset name   (krocr addition)
    kind-%09d          UTF-8 text kind of a synthetic crop: word, rare, long, …   (krocr addition, optional)
    meta               JSON: format, height, max_width, counts  (krocr addition)

:class:`CacheReader` also reads foreign DTRB LMDBs (no ``source``/``meta`` keys, images
of any size, color or format): they come back as gray uint8 at their stored size.
Readers open the environment lazily and again in each process, readonly and without
locks, so DataLoader workers (forked or spawned) never share an LMDB handle.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from types import TracebackType

import cv2
import lmdb
import numpy as np
from PIL import Image

from krocr.charset import normalize_text
from krocr.data.images import read_image_bytes
from krocr.errors import DataError
from krocr.model.preprocess import PreprocessConfig, resize_crop, to_gray

CACHE_FORMAT = "krocr-crops/1"
DEFAULT_HEIGHT = 32
DEFAULT_MAX_WIDTH = 2048
_COMMIT_EVERY = 512  # samples per write transaction


def _key(kind: str, index: int) -> bytes:
    return f"{kind}-{index:09d}".encode("ascii")


class CacheWriter:
    """Writes crops into a new LMDB. Use as a context manager; ``close`` finalizes it.

    ``add`` resizes each crop to ``height`` (aspect kept, width capped at ``max_width`` by
    squeezing, never truncating) and stores it as gray PNG. The map starts at
    ``map_size`` bytes and doubles whenever LMDB reports it full.
    """

    def __init__(
        self,
        path: str | Path,
        map_size: int = 1 << 28,
        height: int = DEFAULT_HEIGHT,
        max_width: int = DEFAULT_MAX_WIDTH,
        overwrite: bool = False,
        meta: dict | None = None,
    ):
        self.path = Path(path)
        _prepare_directory(self.path, overwrite)
        try:
            self._env = lmdb.open(str(self.path), map_size=map_size, meminit=False)
        except lmdb.Error as exc:
            raise DataError(f"{self.path}: cannot create LMDB ({exc})") from None
        self._resize = PreprocessConfig(height=height, width_mode="natural", max_width=max_width)
        self._meta = {"format": CACHE_FORMAT, "height": height, "max_width": max_width, **(meta or {})}
        self._pending: list[tuple[bytes, bytes]] = []
        self._count = 0
        self._closed = False

    def __enter__(self) -> CacheWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __len__(self) -> int:
        return self._count

    def add(self, image: np.ndarray, label: str, source: str, kind: str = "") -> int:
        """Store one crop (gray or RGB uint8) and, if given, the kind of its text; returns
        its 1-based index."""
        gray = resize_crop(image, self._resize)
        ok, png = cv2.imencode(".png", gray)
        if not ok:
            raise DataError(f"{self.path}: could not PNG-encode a crop of shape {gray.shape}")
        self._count += 1
        self._pending += [
            (_key("image", self._count), png.tobytes()),
            (_key("label", self._count), normalize_text(label).encode("utf-8")),
            (_key("source", self._count), source.encode("utf-8")),
        ]
        if kind:
            self._pending.append((_key("kind", self._count), kind.encode("utf-8")))
        if len(self._pending) >= 3 * _COMMIT_EVERY:
            self._flush()
        return self._count

    def close(self) -> None:
        if self._closed:
            return
        meta = {**self._meta, "num_samples": self._count}
        self._pending += [
            (b"num-samples", str(self._count).encode("ascii")),
            (b"meta", json.dumps(meta, ensure_ascii=False).encode("utf-8")),
        ]
        self._flush()
        self._env.close()
        self._closed = True

    def _flush(self) -> None:
        while True:
            try:
                with self._env.begin(write=True) as txn:  # aborted if a put fails
                    for key, value in self._pending:
                        txn.put(key, value)
                break
            except lmdb.MapFullError:
                self._env.set_mapsize(self._env.info()["map_size"] * 2)
        self._pending.clear()


def _prepare_directory(path: Path, overwrite: bool) -> None:
    occupied = path.is_file() or (path.is_dir() and any(path.iterdir()))
    if occupied:
        if not overwrite:
            raise DataError(f"{path}: already exists; choose another path or allow overwriting")
        if not (path / "data.mdb").is_file():
            raise DataError(f"{path}: exists and is not an LMDB directory; refusing to delete it")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)


class CacheReader:
    """Random access to an LMDB of crops: ``reader[i] -> (gray uint8, label, source)``.

    ``i`` counts from 0 (key index i + 1). Foreign LMDBs without source keys report
    ``default_source`` (the directory's name without suffix unless given).
    """

    def __init__(self, path: str | Path, default_source: str | None = None):
        self.path = Path(path)
        if not self.path.exists():
            raise DataError(f"{self.path}: LMDB not found")
        self.default_source = default_source or self.path.stem
        self._env: lmdb.Environment | None = None
        self._pid: int | None = None
        raw_count = self._get(b"num-samples")
        if raw_count is None:
            raise DataError(f"{self.path}: not a crop LMDB (no 'num-samples' key)")
        try:
            self._length = int(raw_count.decode("ascii"))
        except ValueError:  # also UnicodeDecodeError and integers past the digit limit
            raise DataError(f"{self.path}: 'num-samples' is not an integer: {raw_count[:20]!r}") from None
        if self._length < 0:
            raise DataError(f"{self.path}: 'num-samples' is negative: {self._length}")
        raw_meta = self._get(b"meta")
        self.meta: dict = self._parse_meta(raw_meta) if raw_meta else {}

    def _parse_meta(self, raw: bytes) -> dict:
        try:
            meta = json.loads(raw.decode("utf-8"))
        except RecursionError:
            raise DataError(f"{self.path}: 'meta' key is not valid JSON (nested too deeply)") from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, huge integers
            raise DataError(f"{self.path}: 'meta' key is not valid UTF-8 JSON ({exc})") from None
        if not isinstance(meta, dict):
            raise DataError(f"{self.path}: 'meta' key is not a JSON object: {type(meta).__name__}")
        return meta

    # ---- process-safe access ------------------------------------------------------------
    def _environment(self) -> lmdb.Environment:
        if self._env is None or self._pid != os.getpid():
            self._env = _open_readonly(self.path)
            self._pid = os.getpid()
        return self._env

    def _get(self, key: bytes) -> bytes | None:
        with self._environment().begin() as txn:
            return txn.get(key)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_env"] = None  # an LMDB handle must not cross processes
        state["_pid"] = None
        return state

    # ---- samples ------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._length

    def raw(self, i: int) -> tuple[bytes, str, str]:
        """The stored image bytes, label and source of sample ``i``."""
        index = self._index(i)
        with self._environment().begin() as txn:
            image = txn.get(_key("image", index))
            label = txn.get(_key("label", index))
            source = txn.get(_key("source", index))
        if image is None or label is None:
            raise DataError(f"{self.path}: index {index}: missing image or label key")
        text = self._text(label, "label", index)
        return image, text, self._text(source, "source", index) if source else self.default_source

    def __getitem__(self, i: int) -> tuple[np.ndarray, str, str]:
        data, label, source = self.raw(i)
        return decode_gray(data, f"{self.path} index {self._index(i)}"), label, source

    def labels(self) -> list[str]:
        """All labels in index order, read in one transaction."""
        return self._read_all("label", missing="")

    def sources(self) -> list[str]:
        return self._read_all("source", missing=self.default_source)

    def kinds(self) -> list[str]:
        """The text kind of each sample, ``""`` where none is stored (anything not synthetic)."""
        return self._read_all("kind", missing="")

    def image_size(self, i: int) -> tuple[int, int]:
        """(width, height) of sample ``i`` from its image header, without decoding pixels."""
        data, _, _ = self.raw(i)
        try:
            with Image.open(io.BytesIO(data)) as image:
                return image.size
        except Exception as exc:  # Pillow raises many types for bad headers
            raise DataError(f"{self.path} index {self._index(i)}: unreadable image header ({exc})") from None

    def _index(self, i: int) -> int:
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError(f"{self.path}: index {i} out of range for {self._length} samples")
        return i + 1

    def _read_all(self, kind: str, missing: str) -> list[str]:
        with self._environment().begin() as txn:
            values = [txn.get(_key(kind, i)) for i in range(1, self._length + 1)]
        return [self._text(v, kind, i) if v is not None else missing for i, v in enumerate(values, 1)]

    def _text(self, value: bytes, kind: str, index: int) -> str:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{self.path}: index {index}: {kind} is not UTF-8 (byte {exc.start}: {exc.reason}): {value[:40]!r}"
            ) from None


# LMDB allows one handle per file and process, so readers of the same file share one,
# keyed by path and tagged with the process and the data file's inode. A forked worker
# inherits its parent's handles: it closes them (py-lmdb still counts them as open) and
# opens its own. A cache rewritten in place (new inode) gets a fresh handle too.
_READONLY: dict[str, tuple[int, int, lmdb.Environment]] = {}


def _open_readonly(path: Path) -> lmdb.Environment:
    data_file = path / "data.mdb" if path.is_dir() else path
    try:
        inode = data_file.stat().st_ino
    except OSError:
        raise DataError(f"{path}: LMDB not found") from None
    key, pid = str(path.resolve()), os.getpid()
    cached = _READONLY.get(key)
    if cached and cached[:2] == (pid, inode):
        return cached[2]
    if cached:
        cached[2].close()  # inherited from the parent, or mapping a deleted file
    try:
        env = lmdb.open(str(path), readonly=True, lock=False, readahead=False, meminit=False, subdir=path.is_dir())
    except lmdb.Error as exc:
        raise DataError(f"{path}: cannot open LMDB ({exc})") from None
    _READONLY[key] = (pid, inode, env)
    return env


def release(path: str | Path) -> None:
    """Close this process's shared read-only handle of the LMDB at ``path``, if it has one
    (before the LMDB is moved or deleted; readers opened on it must not be used after)."""
    cached = _READONLY.pop(str(Path(path).resolve()), None)
    if cached:
        cached[2].close()


def decode_gray(data: bytes, name: str) -> np.ndarray:
    """Encoded image bytes → gray uint8 (H, W). krocr's own gray PNGs take OpenCV's fast
    path; anything else (color, alpha, 16-bit, odd formats) goes through ``read_image_bytes``
    so that it is handled exactly as a photo would be."""
    try:
        array = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:  # e.g. no bytes at all: read_image_bytes names the problem
        array = None
    if array is not None and array.ndim == 2 and array.dtype == np.uint8:
        return array
    return to_gray(read_image_bytes(data, name))
