"""Fuzzing every reader of untrusted input with hypothesis.

Each reader gets random bytes and random *structured* documents (shaped like the real
format, with wrong types, missing keys, NaN / inf / huge coordinates and arbitrary
Unicode). Whatever it is given, it may only return or raise a ``KrocrError``; records it
returns are pushed through the crop stage, which must hold the same line. Any other
exception fails the test with the example that caused it (the bugs the fuzzers found are
fixed, each with a regression test in ``test_robust_known_bugs.py``).

Profiles: ``fast`` (default run; derandomized, so CI sees the same examples every time;
whole module well under 40 s on 2 cores) and ``slow`` (``-m slow``; random, 20× more
examples). Every example has a deadline and every test a wall-clock limit (conftest.py).
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import lmdb
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from krocr.charset import Charset, OOVReport, korean_charset
from krocr.config import load_config
from krocr.data.build import BuildOptions, record_crops
from krocr.data.crops import CropConfig
from krocr.data.images import read_image_bytes
from krocr.data.importers import (
    read_aihub,
    read_icdar2015,
    read_label_file,
    read_lmdb,
    read_via,
)
from krocr.data.records import LabelRules
from krocr.data.rejections import RejectionLog
from krocr.data.store import CacheReader
from krocr.errors import KrocrError
from krocr.model.weights import load_weights, read_metadata

FAST = dict(max_examples=150, derandomize=True)
SLOW = dict(max_examples=3000, derandomize=False)
PROFILES = [
    pytest.param(FAST, id="fast", marks=pytest.mark.timeout_s(30)),
    pytest.param(SLOW, id="slow", marks=[pytest.mark.slow, pytest.mark.timeout_s(600)]),
]
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def fuzz(profile: dict, deadline_ms: int = 5000, scale: float = 1.0) -> settings:
    return settings(
        max_examples=max(1, int(profile["max_examples"] * scale)),
        derandomize=profile["derandomize"],
        deadline=timedelta(milliseconds=deadline_ms),
        database=None,
        suppress_health_check=HEALTH,
        print_blob=True,
    )


def only_krocr_errors(call: Callable[[], Any]) -> Any:
    """Run ``call``; a KrocrError is fine, anything else propagates."""
    try:
        return call()
    except KrocrError:
        return None


# ---- strategies -------------------------------------------------------------------------------------
# Structured documents are a valid skeleton (one entry for the test image, a.png) whose
# leaves vary, plus siblings and whole documents of junk. (Hypothesis does not repeat an
# example, so a branch with few distinct values, like the file name "a.png", would soon
# stop being drawn if it were a random choice at every level.)
HUGE_INTS = st.sampled_from([10**400, -(10**400), 2**63, 2**64 + 1, 10**20])
NUMBERS = st.one_of(
    st.integers(-5000, 5000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e4, 1e4),
    HUGE_INTS,
    st.sampled_from([1e308, -1e308, 1e38, 3.5e38, 0.0, -0.0]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=12))
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
# coordinates inside the 64×48 test image or a little outside it; or anything at all
IN_X, IN_Y = st.floats(-8, 72, allow_nan=False), st.floats(-8, 56, allow_nan=False)
WEIRD_COORD = st.one_of(NUMBERS, st.sampled_from(["12", "nan", "inf", "", "1e999"]), JUNK)
COORD = st.one_of(IN_X, st.integers(-8, 72), WEIRD_COORD)
GOOD_TEXT = st.sampled_from(["간판", "커피 24시", "ABC", "약국", "서울 식당", "가", "1,000원", "약국약국"])
WEIRD_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["###", "xxx", "", "  ", "漢字", "\u1100\u1161", "a" * 70, "\ufeff간판", "가\n나"]),
)
LABEL = st.one_of(GOOD_TEXT, WEIRD_TEXT, JUNK)
TEXT_LABEL = st.one_of(GOOD_TEXT, WEIRD_TEXT)
WEIRD_NAME = st.one_of(
    st.sampled_from(
        ["missing.png", "", ".", "../images/a.png", "a.png/x", "A.PNG", "a" * 300, "a\x00.png", "/etc/hostname"]
    ),
    st.text(max_size=20),
    JUNK,
)


def box_xywh() -> st.SearchStrategy:
    return st.tuples(st.integers(-10, 60), st.integers(-10, 40), st.integers(0, 70), st.integers(0, 50))


def quad(xywh: tuple[int, int, int, int]) -> list[tuple[float, float]]:
    x, y, w, h = xywh
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


# VIA
SANE_SHAPE = st.one_of(
    box_xywh().map(lambda b: {"name": "rect", "x": b[0], "y": b[1], "width": b[2], "height": b[3]}),
    box_xywh().map(
        lambda b: {"name": "polygon", "all_points_x": [p[0] for p in quad(b)], "all_points_y": [p[1] for p in quad(b)]}
    ),
    st.lists(st.tuples(IN_X, IN_Y), min_size=3, max_size=7).map(
        lambda ps: {"name": "polygon", "all_points_x": [p[0] for p in ps], "all_points_y": [p[1] for p in ps]}
    ),
)
WEIRD_SHAPE = st.one_of(
    st.fixed_dictionaries(
        {"name": st.just("polygon")},
        optional={
            "all_points_x": st.one_of(st.lists(COORD, max_size=8), JUNK),
            "all_points_y": st.one_of(st.lists(COORD, max_size=8), JUNK),
        },
    ),
    st.fixed_dictionaries(
        {"name": st.just("rect")}, optional={"x": COORD, "y": COORD, "width": COORD, "height": COORD}
    ),
    st.fixed_dictionaries({"name": st.one_of(st.sampled_from(["circle", "point", "ellipse", "polyline"]), JUNK)}),
    JUNK,
)
ATTRIBUTES = st.one_of(
    st.fixed_dictionaries({"annotation_kr": LABEL}),
    st.fixed_dictionaries({}, optional={"annotation_kr": LABEL, "text": LABEL}),
    JUNK,
)
REGION = st.one_of(
    st.fixed_dictionaries({"shape_attributes": st.one_of(SANE_SHAPE, WEIRD_SHAPE), "region_attributes": ATTRIBUTES}),
    JUNK,
)
ANY_ENTRY = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "filename": WEIRD_NAME,
            "size": JUNK,
            "file_attributes": JUNK,
            "regions": st.one_of(
                st.lists(REGION, max_size=3), st.dictionaries(st.text(max_size=3), REGION, max_size=3), JUNK
            ),
        },
    ),
    JUNK,
)
VIA_ENTRIES = st.builds(
    lambda regions, as_dict, others: {
        "a.png123": {
            "filename": "a.png",
            "size": 123,
            "file_attributes": {},
            "regions": dict(zip(map(str, range(len(regions))), regions)) if as_dict else regions,
        },
        **others,
    },
    st.lists(REGION, min_size=1, max_size=4),
    st.booleans(),
    st.dictionaries(st.text(max_size=6), ANY_ENTRY, max_size=2),
)
VIA_DOCUMENT = st.one_of(
    VIA_ENTRIES.map(lambda entries: {"_via_settings": {}, "_via_img_metadata": entries}),
    VIA_ENTRIES,
    st.fixed_dictionaries({"_via_img_metadata": JUNK}),
    st.fixed_dictionaries({"project": JUNK, "file": JUNK, "metadata": JUNK}),
    JUNK,
)

# AI Hub
SANE_BOX = st.one_of(
    box_xywh().map(list),
    box_xywh().map(lambda b: [list(p) for p in quad(b)]),
    box_xywh().map(lambda b: [v for p in quad(b) for v in p]),
    st.lists(st.tuples(IN_X, IN_Y).map(list), min_size=3, max_size=6),
)
BOX = st.one_of(SANE_BOX, st.lists(COORD, max_size=10), st.lists(st.lists(COORD, max_size=3), max_size=6), JUNK)
IMAGE_ID = st.one_of(st.sampled_from([1, "1", None]), st.integers(0, 3), JUNK)
ANNOTATION = st.one_of(
    st.builds(
        lambda key, image_id, text, box, ident: {
            "image_id": image_id,
            "text": text,
            key: box,
            **({"id": ident} if ident is not None else {}),
        },
        st.sampled_from(["bbox", "points", "polygon"]),
        IMAGE_ID,
        LABEL,
        BOX,
        st.one_of(st.none(), JUNK),
    ),
    st.fixed_dictionaries(
        {}, optional={"id": JUNK, "image_id": IMAGE_ID, "text": LABEL, "transcription": LABEL, "bbox": BOX}
    ),
    JUNK,
)
IMAGE = st.builds(
    lambda key, ident, width, extra: {key: "a.png", "id": ident, "width": width, **extra},
    st.sampled_from(["file_name", "filename", "name"]),
    st.one_of(st.just(1), JUNK),
    st.one_of(st.just(64), COORD),
    st.dictionaries(st.sampled_from(["height", "license"]), COORD, max_size=2),
)
AIHUB_DOCUMENT = st.one_of(
    st.builds(
        lambda images, annotations, single: {"images": images[0] if single else images, "annotations": annotations},
        st.lists(
            st.one_of(IMAGE, IMAGE, st.fixed_dictionaries({}, optional={"file_name": WEIRD_NAME, "id": JUNK}), JUNK),
            min_size=1,
            max_size=3,
        ),
        st.lists(ANNOTATION, min_size=1, max_size=4),
        st.booleans(),
    ),
    st.fixed_dictionaries({}, optional={"images": JUNK, "annotations": JUNK}),
    JUNK,
)


def json_text(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, allow_nan=True)


TOKENS = st.one_of(
    st.integers(-100, 300).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "###", "nan", "inf", "-inf", "1e999", " 12 ", "0x10", "간판", "a,b", "\ufeff"]),
    st.text(max_size=8),
)
SANE_ICDAR_LINE = st.builds(
    lambda b, text: ",".join(f"{v:g}" for p in quad(b) for v in p) + "," + text, box_xywh(), TEXT_LABEL
)
ICDAR_LINE = st.one_of(SANE_ICDAR_LINE, SANE_ICDAR_LINE, st.lists(TOKENS, max_size=11).map(",".join))
LABEL_LINE = st.one_of(
    st.builds(lambda text: f"a.png\t{text}", TEXT_LABEL),
    st.tuples(
        st.one_of(WEIRD_NAME.filter(lambda x: isinstance(x, str)), st.text(max_size=10)),
        st.sampled_from(["\t", "\t", " ", "", "\t\t"]),
        st.one_of(st.text(max_size=15), TOKENS),
    ).map("".join),
)


def text_file(lines: st.SearchStrategy) -> st.SearchStrategy:
    """Lines joined by a random newline style, encoded by a random encoding (maybe with a BOM)."""

    def encode(parts: list[str], newline: str, encoding: str, bom: bool) -> bytes:
        text = newline.join(parts)
        data = text.encode(encoding, errors="replace")
        return (b"\xef\xbb\xbf" if bom else b"") + data

    return st.builds(
        encode,
        st.lists(lines, min_size=1, max_size=6),
        st.sampled_from(["\n", "\r\n", "\r"]),
        st.sampled_from(["utf-8", "utf-8", "utf-8", "cp949", "utf-16", "latin-1"]),
        st.booleans(),
    )


RANDOM_BYTES = st.one_of(st.binary(max_size=600), st.text(max_size=200).map(lambda t: t.encode("utf-8")))


# ---- a workspace with one real image ------------------------------------------------------------------
@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    images = root / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(images / "a.png")
    return root


RULES = BuildOptions(crop=CropConfig(), rules=LabelRules(korean_charset(), "reject", 62))


def crop_everything(records) -> None:
    """The crop stage on imported records must also never raise anything else."""
    log, report = RejectionLog(), OOVReport()
    for record in records:
        for gray, text in record_crops(record, RULES, log, report):
            assert gray.dtype == np.uint8 and gray.shape[0] == 32 and text == text.strip() and text


def import_and_crop(reader: Callable[[], Any]) -> None:
    result = only_krocr_errors(reader)
    if result is not None:
        records, log = result
        assert all(r.file and r.item and r.reason for r in log), log.rejections
        only_krocr_errors(lambda: crop_everything(records))


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---- importers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
def test_fuzz_read_via(workspace, profile):
    target = workspace / "via.json"

    @fuzz(profile)
    @given(st.one_of(VIA_DOCUMENT.map(json_text).map(lambda t: t.encode("utf-8")), RANDOM_BYTES))
    def check(data):
        write(target, data)
        import_and_crop(lambda: read_via(target, workspace / "images"))

    check()


@pytest.mark.parametrize("profile", PROFILES)
def test_fuzz_read_aihub(workspace, profile):
    single, directory = workspace / "aihub.json", workspace / "aihub"

    @fuzz(profile)
    @given(
        st.lists(
            st.one_of(AIHUB_DOCUMENT.map(json_text).map(lambda t: t.encode("utf-8")), RANDOM_BYTES),
            min_size=1,
            max_size=3,
        )
    )
    def check(files):
        write(single, files[0])
        import_and_crop(lambda: read_aihub(single, workspace / "images"))
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir()
        for i, data in enumerate(files):
            write(directory / f"{i}.json", data)
        import_and_crop(lambda: read_aihub(directory, workspace / "images"))

    check()


@pytest.mark.parametrize("profile", PROFILES)
def test_fuzz_read_icdar2015(workspace, profile):
    gt = workspace / "gt"

    @fuzz(profile)
    @given(st.lists(st.one_of(text_file(ICDAR_LINE), RANDOM_BYTES), min_size=1, max_size=3))
    def check(files):
        shutil.rmtree(gt, ignore_errors=True)
        gt.mkdir()
        for i, data in enumerate(files):  # gt_a.txt belongs to images/a.png
            write(gt / ("gt_a.txt" if i == 0 else f"gt_{i}.txt"), data)
        import_and_crop(lambda: read_icdar2015(gt / "gt_a.txt", workspace / "images"))
        import_and_crop(lambda: read_icdar2015(gt, workspace / "images"))

    check()


@pytest.mark.parametrize("profile", PROFILES)
def test_fuzz_read_label_file(workspace, profile):
    target = workspace / "images" / "labels.txt"

    @fuzz(profile)
    @given(st.one_of(text_file(LABEL_LINE), RANDOM_BYTES))
    def check(data):
        write(target, data)
        import_and_crop(lambda: read_label_file(target))

    check()


# ---- charsets -------------------------------------------------------------------------------------------
CHARSET_DOCUMENT = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "format": JUNK,
            "tokenizer": st.one_of(st.sampled_from(["char", "jamo"]), JUNK),
            "unknown": JUNK,
            "symbols": st.one_of(st.lists(st.text(max_size=2), max_size=8), JUNK),
        },
    ),
    JUNK,
)


@pytest.mark.parametrize("profile", PROFILES)
def test_fuzz_charset_load(workspace, profile):
    @fuzz(profile)
    @given(
        st.one_of(
            CHARSET_DOCUMENT.map(json_text).map(lambda t: t.encode("utf-8")),
            RANDOM_BYTES,
            text_file(st.text(max_size=3)),
        ),
        st.sampled_from([".json", ".txt"]),
    )
    def check(data, suffix):
        charset = only_krocr_errors(lambda: Charset.load(write(workspace / f"charset{suffix}", data)))
        if charset is not None:  # a charset that loads must also work
            assert len(set(charset.tokens)) == len(charset.tokens) and charset.num_classes == len(charset.tokens) + 1
            text = "".join(charset.symbols[:5])
            assert charset.decode(charset.encode(text)) == text or charset.tokenizer == "jamo"

    check()


# ---- images ---------------------------------------------------------------------------------------------
def seed_images() -> list[bytes]:
    rng = np.random.default_rng(1)
    rgb = Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
    out = []
    for image, fmt in [
        (rgb, "PNG"),
        (rgb, "JPEG"),
        (rgb.convert("P"), "GIF"),
        (rgb, "BMP"),
        (rgb, "TIFF"),
        (rgb, "WEBP"),
        (rgb.convert("L").convert("I;16"), "PNG"),
        (rgb.convert("CMYK"), "JPEG"),
        (rgb.convert("RGBA"), "PNG"),
        (rgb.convert("1"), "PNG"),
        (rgb.convert("LA"), "PNG"),
    ]:
        buffer = io.BytesIO()
        image.save(buffer, fmt)
        out.append(buffer.getvalue())
    return out


SEEDS = seed_images()


@st.composite
def mutated_image(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "int"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "cut":
            data = data[:at]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:  # a size or length field gone wild
            value = draw(st.sampled_from([0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 60000]))
            data[at:at] = value.to_bytes(4, draw(st.sampled_from(["big", "little"])))
    return bytes(data)


@pytest.mark.filterwarnings("ignore")  # Pillow warns about odd TIFF tags and EXIF on the way to its errors
@pytest.mark.parametrize("profile", PROFILES)
def test_fuzz_read_image_bytes(profile):
    @fuzz(profile, deadline_ms=10000, scale=3)
    @given(st.one_of(mutated_image(), RANDOM_BYTES, st.sampled_from(SEEDS)))
    def check(data):
        image = only_krocr_errors(lambda: read_image_bytes(data, "fuzz.img"))
        if image is not None:
            assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and image.size > 0

    check()


# ---- LMDB caches ----------------------------------------------------------------------------------------
WEIRD_VALUE = st.one_of(
    st.none(),
    st.binary(max_size=64),
    st.sampled_from([b"", b"-3", b"99", b"{}", b"[]", b"\xff"]),
    st.text(max_size=6).map(lambda t: t.encode("cp949", errors="replace")),
)
CACHE_KEYS = {
    b"num-samples": st.one_of(st.sampled_from([b"1", b"2", b"3"]), WEIRD_VALUE),
    b"meta": st.one_of(st.just(b'{"format": "krocr-crops/1"}'), WEIRD_VALUE, JUNK.map(json_text).map(str.encode)),
    b"image-000000001": st.one_of(st.sampled_from(SEEDS), WEIRD_VALUE, mutated_image()),
    b"label-000000001": st.one_of(TEXT_LABEL.map(str.encode), WEIRD_VALUE),
    b"source-000000001": st.one_of(st.text(max_size=6).map(str.encode), WEIRD_VALUE),
    b"image-000000002": st.one_of(st.sampled_from(SEEDS), WEIRD_VALUE, mutated_image()),
    b"label-000000002": st.one_of(TEXT_LABEL.map(str.encode), WEIRD_VALUE),
}


@pytest.mark.filterwarnings("ignore")  # Pillow warns about the mutated images on the way to its errors
@pytest.mark.parametrize("profile", PROFILES)
def test_fuzz_cache_reader(workspace, profile):
    @fuzz(profile)
    @given(st.one_of(st.fixed_dictionaries(CACHE_KEYS), st.fixed_dictionaries(CACHE_KEYS), RANDOM_BYTES))
    def check(content):
        directory = Path(tempfile.mkdtemp(dir=workspace))
        try:
            if isinstance(content, bytes):  # garbage in place of the LMDB file
                write(directory / "data.mdb", content)
            else:
                env = lmdb.open(str(directory), map_size=1 << 20)
                with env.begin(write=True) as txn:
                    for key, value in content.items():
                        if value is not None:
                            txn.put(key, value)
                env.close()

            def read():
                reader = CacheReader(directory)
                for i in range(min(len(reader), 3)):
                    only_krocr_errors(lambda i=i: reader.raw(i))
                    only_krocr_errors(lambda i=i: reader[i])
                    only_krocr_errors(lambda i=i: reader.image_size(i))
                only_krocr_errors(reader.labels)
                only_krocr_errors(reader.sources)

            only_krocr_errors(read)
            import_and_crop(lambda: read_lmdb(directory))
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    check()


# ---- weights ---------------------------------------------------------------------------------------------
def safetensors_bytes(header: Any, body: bytes = b"") -> bytes:
    raw = json.dumps(header, allow_nan=True).encode("utf-8") if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(raw)) + raw + body


MODEL_CONFIG = st.fixed_dictionaries(
    {"num_classes": st.one_of(st.just(3), JUNK)},
    optional={
        "variant": st.one_of(st.sampled_from(["slim", "reference"]), JUNK),
        "activation": st.one_of(st.sampled_from(["relu", "leaky_relu"]), JUNK),
        "leaky_slope": COORD,
        "rnn": st.one_of(st.sampled_from(["lstm", "gru"]), JUNK),
        "rnn_units": st.one_of(st.none(), st.integers(1, 16), st.sampled_from([0, -5, 10**9, 2.5, "8"])),
        "rnn_dropout": st.one_of(st.floats(0, 0.9), COORD),
        "input_height": st.one_of(st.just(32), JUNK),
        "extra": JUNK,
    },
)
METADATA = st.fixed_dictionaries(
    {
        "format": st.sampled_from(["krocr-weights/1", "krocr-weights/1", "other"]),
        "charset": st.one_of(
            st.just(json.dumps({"symbols": ["가", "a"]})), CHARSET_DOCUMENT.map(json_text), st.text(max_size=10)
        ),
        "model": st.one_of(MODEL_CONFIG.map(json_text), JUNK.map(json_text), st.text(max_size=10)),
        "preprocess": st.one_of(st.just("{}"), JUNK.map(json_text), st.text(max_size=10)),
    },
    optional={"info": st.one_of(JUNK.map(json_text), st.text(max_size=10))},
)
HEADER = st.one_of(
    st.fixed_dictionaries({"__metadata__": st.one_of(METADATA, JUNK)}),
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(
            st.fixed_dictionaries(
                {
                    "dtype": st.sampled_from(["F32", "F16", "I64", "X"]),
                    "shape": st.lists(st.integers(-1, 4), max_size=3),
                    "data_offsets": st.lists(st.integers(-1, 64), max_size=3),
                }
            ),
            JUNK,
        ),
        max_size=3,
    ),
    JUNK,
)


@pytest.mark.parametrize("profile", PROFILES)
def test_fuzz_weights_files(workspace, profile):
    target = workspace / "w.safetensors"

    @fuzz(profile)
    @given(
        st.one_of(
            RANDOM_BYTES,
            st.builds(safetensors_bytes, HEADER, st.binary(max_size=64)),
            st.builds(
                lambda n, rest: struct.pack("<Q", n) + rest,
                st.sampled_from([0, 2, 2**63, 2**64 - 1, 100_000_000]),
                st.binary(max_size=32),
            ),
        )
    )
    def check(data):
        write(target, data)
        metadata = only_krocr_errors(lambda: read_metadata(target))
        if metadata is not None:
            assert metadata["format"] == "krocr-weights/1"
        only_krocr_errors(lambda: load_weights(target))

    check()


# ---- configs ---------------------------------------------------------------------------------------------
CONFIG_DOCUMENT = st.dictionaries(
    st.sampled_from(["data", "model", "charset", "loss", "optim", "train", "transfer", "augment", "base", "extra"]),
    st.one_of(
        st.dictionaries(
            st.sampled_from(
                [
                    "dirs",
                    "batch_size",
                    "width",
                    "lr",
                    "epochs",
                    "name",
                    "freeze",
                    "preset",
                    "noise",
                    "variant",
                    "oov",
                    "max_label_length",
                    "unknown",
                ]
            ),
            JUNK,
            max_size=4,
        ),
        JUNK,
    ),
    max_size=5,
)


@pytest.mark.parametrize("profile", PROFILES)
def test_fuzz_config_files_and_overrides(workspace, profile):
    target = workspace / "cfg.yaml"

    @fuzz(profile, scale=0.5)
    @given(
        st.one_of(CONFIG_DOCUMENT.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), st.text(max_size=120)),
        st.lists(
            st.one_of(
                st.builds(
                    lambda k, v: f"{k}={v}",
                    st.sampled_from(["optim.lr", "data.dirs", "train.x", "a..b", "", "augment.preset"]),
                    st.text(max_size=12),
                ),
                st.text(max_size=12),
            ),
            max_size=2,
        ),
    )
    def check(text, overrides):
        target.write_text(text, encoding="utf-8")
        only_krocr_errors(lambda: load_config(target, overrides))

    check()


def test_fuzz_profiles_are_modest():
    """The fast profile keeps this module well inside the 40 s budget on 2 cores."""
    assert FAST["max_examples"] <= 200 and FAST["derandomize"] and SLOW["max_examples"] >= 10 * FAST["max_examples"]
