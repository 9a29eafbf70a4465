"""Building blocks of the robustness suite: rendered signboard photos, annotation writers
for every format, and one call that runs ``krocr data`` and reads back what it wrote.

Photos are rendered here with Pillow and NanumGothic (nothing is copied from elsewhere):
a noisy gradient background with light sign panels carrying dark Korean words. Each test
starts from the same five good photos (two words each), adds one bad thing, runs the
pipeline and checks both sides: the bad item is named (file + line/region/index) and
every good word around it reached the cache.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

# Five photos, two words each: ten distinct labels that must all survive every test.
GOOD_WORDS: list[tuple[str, str]] = [
    ("간판", "커피"),
    ("약국", "식당"),
    ("우체국", "병원"),
    ("치킨", "빵집"),
    ("서울", "마트"),
]
PHOTO_SIZE = (240, 64)  # width, height
WORD_BOXES = [(8, 8, 104, 48), (124, 8, 104, 48)]  # x, y, w, h of the two words


def rect(x: float, y: float, w: float, h: float) -> list[tuple[float, float]]:
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


# ---- rendering ----------------------------------------------------------------------------------
def background(width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    base = rng.uniform(60, 160, size=3)
    image = base + (xs / width * 40 + ys / height * 30)[..., None] + rng.normal(0, 5, size=(height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def draw_word(photo: Image.Image, text: str, box: tuple[float, float, float, float], vertical: bool = False) -> None:
    """A light panel filling ``box`` with ``text`` in dark NanumGothic, centred (stacked if vertical)."""
    x, y, w, h = box
    draw = ImageDraw.Draw(photo)
    draw.rectangle([x, y, x + w - 1, y + h - 1], fill=(236, 230, 214))
    chars = list(text) if vertical else [text]
    size = int(min(w / (1.1 if vertical else max(len(text), 1) * 1.05), h / (len(chars) * 1.15)))
    font = ImageFont.truetype(FONT, max(size, 6))
    line = h / len(chars)
    for i, c in enumerate(chars):
        left, top, right, bottom = font.getbbox(c)
        cx = x + (w - (right - left)) / 2 - left
        cy = y + i * line + (line - (bottom - top)) / 2 - top
        draw.text((cx, cy), c, fill=(20, 20, 30), font=font)


def render_photo(
    words: list[tuple[str, tuple[float, float, float, float]]],
    size=PHOTO_SIZE,
    seed=0,
    vertical: frozenset[str] = frozenset(),
) -> Image.Image:
    photo = Image.fromarray(background(*size, seed))
    for text, box in words:
        draw_word(photo, text, box, vertical=text in vertical)
    return photo


def render_crop(text: str, height: int = 40) -> Image.Image:
    """An already-cropped word, as a crop dataset (label file) holds it."""
    width = int(height * 0.9 * max(len(text), 1)) + 10
    crop = Image.new("RGB", (width, height), (236, 230, 214))
    draw_word(crop, text, (0, 0, width, height))
    return crop


def encode(image: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


# ---- a dataset under construction -----------------------------------------------------------------
@dataclass
class Region:
    label: str
    points: list[tuple[float, float]]
    shape: dict | None = None  # a raw VIA shape_attributes to write instead of a polygon


@dataclass
class Photo:
    name: str
    regions: list[Region]
    data: bytes | None  # encoded image; None: the file does not exist


@dataclass
class SignSet:
    """Five good photos plus whatever a test adds, written as VIA, ICDAR 2015 or AI Hub."""

    root: Path
    photos: list[Photo] = field(default_factory=list)

    @classmethod
    def with_good_photos(cls, root: Path, good: list[Photo]) -> SignSet:
        return cls(root, [Photo(p.name, list(p.regions), p.data) for p in good])

    @property
    def images(self) -> Path:
        return self.root / "images"

    def good_labels(self) -> list[str]:
        return [w for pair in GOOD_WORDS for w in pair]

    def add(self, photo: Photo, at: int | None = None) -> Photo:
        """Insert ``photo`` (by default in the middle, so good photos come before and after it)."""
        self.photos.insert(len(self.photos) // 2 if at is None else at, photo)
        return photo

    def photo(self, name: str) -> Photo:
        return next(p for p in self.photos if p.name == name)

    def write_images(self) -> None:
        self.images.mkdir(parents=True, exist_ok=True)
        for photo in self.photos:
            if photo.data is not None:
                (self.images / photo.name).write_bytes(photo.data)

    # -- formats --
    def write_via(self, text_attribute: str = "annotation_kr") -> Path:
        self.write_images()
        metadata = {}
        for photo in self.photos:
            regions = []
            for region in photo.regions:
                shape = region.shape or {
                    "name": "polygon",
                    "all_points_x": [p[0] for p in region.points],
                    "all_points_y": [p[1] for p in region.points],
                }
                regions.append({"shape_attributes": shape, "region_attributes": {text_attribute: region.label}})
            metadata[f"{photo.name}{len(photo.data or b'')}"] = {
                "filename": photo.name,
                "size": len(photo.data or b""),
                "regions": regions,
                "file_attributes": {},
            }
        path = self.root / "via.json"
        project = {"_via_settings": {}, "_via_img_metadata": metadata, "_via_attributes": {}}
        path.write_text(json.dumps(project, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def icdar_lines(self, photo: Photo) -> list[str]:
        return [",".join(f"{v:g}" for p in r.points for v in p) + f",{r.label}" for r in photo.regions]

    def write_icdar(self, encoding: str = "utf-8", overrides: dict[str, bytes] | None = None) -> Path:
        """``gt/gt_<stem>.txt`` per photo; ``overrides`` replaces a file's bytes by photo name."""
        self.write_images()
        gt = self.root / "gt"
        gt.mkdir(exist_ok=True)
        for photo in self.photos:
            file = gt / f"gt_{Path(photo.name).stem}.txt"
            if overrides and photo.name in overrides:
                file.write_bytes(overrides[photo.name])
            else:
                file.write_bytes(("\r\n".join(self.icdar_lines(photo)) + "\r\n").encode(encoding))
        return gt

    def aihub_document(self, photo: Photo, number: int) -> dict:
        return {
            "images": [{"id": number, "file_name": photo.name, "width": PHOTO_SIZE[0], "height": PHOTO_SIZE[1]}],
            "annotations": [
                {"id": i, "image_id": number, "text": r.label, "points": [[float(x), float(y)] for x, y in r.points]}
                for i, r in enumerate(photo.regions, 1)
            ],
        }

    def write_aihub(self, overrides: dict[str, bytes] | None = None) -> Path:
        """One JSON per photo in ``aihub/`` (the per-image layout of the AI Hub release)."""
        self.write_images()
        directory = self.root / "aihub"
        directory.mkdir(exist_ok=True)
        for number, photo in enumerate(self.photos, 1):
            file = directory / f"{Path(photo.name).stem}.json"
            if overrides and photo.name in overrides:
                file.write_bytes(overrides[photo.name])
            else:
                file.write_text(json.dumps(self.aihub_document(photo, number), ensure_ascii=False), encoding="utf-8")
        return directory


def good_photos() -> list[Photo]:
    """The five good photos (PNG), rendered once per session."""
    photos = []
    for seed, words in enumerate(GOOD_WORDS):
        placed = list(zip(words, WORD_BOXES))
        image = render_photo(placed, seed=seed)
        name = f"good_{seed + 1}.png"
        photos.append(Photo(name, [Region(text, rect(*box)) for text, box in placed], encode(image, "PNG")))
    return photos


# ---- running krocr data -------------------------------------------------------------------------
@dataclass
class Built:
    out: Path
    summary: dict
    rejections: list[dict[str, str]]

    def labels(self) -> Counter:
        from krocr.data.store import CacheReader

        found: Counter = Counter()
        for split in ("train", "val"):
            if (self.out / f"{split}.lmdb").exists():
                found.update(CacheReader(self.out / f"{split}.lmdb").labels())
        return found

    def crops(self) -> dict[str, np.ndarray]:
        """label -> cached gray crop (labels are unique in these tests)."""
        from krocr.data.store import CacheReader

        found = {}
        for split in ("train", "val"):
            reader = CacheReader(self.out / f"{split}.lmdb")
            for i in range(len(reader)):
                gray, label, _ = reader[i]
                found[label] = gray
        return found

    def rejected(self, reason: str) -> list[dict[str, str]]:
        return [r for r in self.rejections if r["reason"] == reason]

    def only_rejection(self) -> dict[str, str]:
        assert len(self.rejections) == 1, self.rejections
        return self.rejections[0]


def data_args(source: list[str], out: Path, *options: str) -> list[str]:
    return [*source, "--out", str(out), "--quiet", *options]


def krocr_data(source: list[str], out: Path, *options: str) -> Built:
    """``krocr data SOURCE --out OUT OPTIONS`` (argument parsing and all), then its files."""
    from krocr.commands import data as data_command

    parser = argparse.ArgumentParser(prog="krocr data")
    data_command.configure(parser)
    assert data_command.run(parser.parse_args(data_args(source, out, *options))) == 0
    return read_built(out)


def read_built(out: Path) -> Built:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    with open(out / "rejections.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return Built(out, summary, rows)


def via_source(path: Path, images: Path) -> list[str]:
    return ["--format", "via", "--annotations", str(path), "--images", str(images), "--source", "signs"]
