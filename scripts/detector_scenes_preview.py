"""Draw docs/images/detector_scenes.jpg: one synthetic detector scene of each kind but
``blank`` (storefront, signs, menu, label, scanned and photographed document), then a dense
storefront, signs and a menu at night, 3 x 3, with their ground-truth word boxes (green;
``###`` red; a dot on each box's first corner).

    .venv/bin/python scripts/detector_scenes_preview.py [--out docs/images/detector_scenes.jpg]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np

from krocr.synth.generate import SynthOptions, generate
from krocr.synth.scenes import SceneConfig

ROOT = Path(__file__).resolve().parents[1]
SEED = 29
TILE = (480, 360)  # each scene shrunk to this (width, height) on the sheet


def render(work: Path, kind: str, index: int, night: bool) -> tuple[np.ndarray, list[tuple[np.ndarray, str]]]:
    """Scene ``index`` of a run of ``kind`` scenes (all at night, or none) and its boxes."""
    out = work / f"{kind}{index}{'night' if night else ''}"
    config = SceneConfig(kinds=((kind, 1.0),), night=float(night), dense=float(night))
    generate(SynthOptions(out=out, lang="ko", count=index, seed=SEED, scenes=True, scene=config))
    image = cv2.imread(str(out / "scenes" / "images" / f"img_{index}.jpg"))
    assert image is not None, f"scene {index} was not written"
    boxes = []
    for line in (out / "scenes" / "gt" / f"gt_img_{index}.txt").read_text(encoding="utf-8").splitlines():
        *coords, text = line.split(",", 8)
        boxes.append((np.array(coords, np.float32).reshape(4, 2), text))
    return image, boxes


def tile(image: np.ndarray, boxes: list[tuple[np.ndarray, str]]) -> np.ndarray:
    scale = TILE[0] / image.shape[1]
    small = cv2.resize(image, TILE, interpolation=cv2.INTER_AREA)
    for points, text in boxes:
        corners = np.round(points * scale).astype(np.int32)
        color = (40, 40, 235) if text == "###" else (60, 220, 60)
        cv2.polylines(small, [corners], True, color, 1, cv2.LINE_AA)
        cv2.circle(small, tuple(int(v) for v in corners[0]), 2, (235, 120, 30), -1)
    return small


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "detector_scenes.jpg")
    args = parser.parse_args()
    # (kind, index): indices picked so the sheet shows a scan and a photographed page
    picks = [("storefront", 1), ("signs", 4), ("menu", 5), ("label", 1), ("document", 1), ("document", 2)]
    nights = [("storefront", 2), ("signs", 3), ("menu", 2)]
    with tempfile.TemporaryDirectory() as tmp:
        tiles = [tile(*render(Path(tmp), kind, index, False)) for kind, index in picks]
        tiles += [tile(*render(Path(tmp), kind, index, True)) for kind, index in nights]
    sheet = np.vstack([np.hstack(tiles[row : row + 3]) for row in (0, 3, 6)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), sheet, [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
