"""Render the sample inputs under examples/ that the README's tour reads.

    .venv/bin/python scripts/make_examples.py

Eight word crops in font designs no krocr model trains on (``examples/crops/*.png`` and
``labels.tsv``, ``path<TAB>text``) and one signboard scene with its word boxes in ICDAR 2015
format (``examples/photo/``). They are the project's own renders, so they can ship.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PIL import Image

from krocr.data.store import CacheReader
from krocr.synth.generate import SynthOptions, generate

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CROPS, SEED = 8, 2026


def write_crops(work: Path) -> None:
    generate(SynthOptions(out=work, lang="ko", count=CROPS, seed=SEED, fonts="heldout", split="test", height=48))
    out = EXAMPLES / "crops"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    reader = CacheReader(work / "test.lmdb")
    lines = []
    for i in range(len(reader)):
        image, label, _ = reader[i]
        name = f"crop_{i + 1:02d}.png"
        Image.fromarray(image).save(out / name)
        lines.append(f"{name}\t{label}")
    (out / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_photo(work: Path) -> None:
    generate(SynthOptions(out=work, lang="ko", count=1, seed=SEED, fonts="heldout", scenes=True))
    out = EXAMPLES / "photo"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copy(work / "scenes" / "images" / "img_1.jpg", out / "signs.jpg")
    shutil.copy(work / "scenes" / "gt" / "gt_img_1.txt", out / "gt_signs.txt")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_crops(Path(tmp) / "crops")
        write_photo(Path(tmp) / "photo")
    print(f"wrote {EXAMPLES}/crops ({CROPS} crops, labels.tsv) and {EXAMPLES}/photo (signs.jpg, gt_signs.txt)")


if __name__ == "__main__":
    main()
