"""Stored crop height (issue #27 item 4): cache bytes per crop and training-loader crops/s
when the same render is stored at 32 and at 64 px and read by models of 32, 48 and 64 px.

    python benchmarks/crop_height.py [--count 2000] [--seconds 10] [--write]

Renders ``--count`` Korean crops twice with one seed (same texts, fonts and looks; only the
stored height differs), then times CropDataset + collate in the main process with the
default augmentation, natural width, batch 64. ``--write`` stores the table in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import lmdb

from krocr.charset import korean_charset
from krocr.data.augment import AugmentConfig
from krocr.data.dataset import CropDataset
from krocr.data.store import DEFAULT_MAX_WIDTH, release
from krocr.model.preprocess import PreprocessConfig
from krocr.synth.generate import SynthOptions, generate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish
from loader_speed import crops_per_second


def stored_bytes(cache: Path) -> int:
    """Bytes of the stored values (images, labels, metadata): the data, not LMDB's map size."""
    release(cache)  # the render's summary left a shared read-only handle open
    env = lmdb.open(str(cache), readonly=True, lock=False)
    with env.begin() as txn:
        total = sum(len(value) for _, value in txn.cursor())
    env.close()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="crops rendered at each stored height")
    parser.add_argument("--seconds", type=float, default=10.0, help="timing per configuration")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="also write the table into docs/benchmarks.md")
    args = parser.parse_args()
    rows = [
        "| stored height | bytes per crop | model height | crops/s (augmented, batch 64) |",
        "|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for stored in (32, 64):
            out = Path(tmp) / f"h{stored}"
            generate(
                SynthOptions(
                    out=out,
                    count=args.count,
                    seed=args.seed,
                    height=stored,
                    max_width=DEFAULT_MAX_WIDTH * stored // 32,
                )
            )
            cache = out / "train.lmdb"
            per_crop = stored_bytes(cache) / args.count
            for model_height in (32, 48, 64) if stored == 64 else (32,):
                preprocess = PreprocessConfig(height=model_height, width=128, width_mode="natural")
                dataset = CropDataset(
                    [cache],
                    korean_charset(),
                    preprocess=preprocess,
                    augment=AugmentConfig.preset("default"),
                    seed=args.seed,
                )
                rate = crops_per_second(dataset, 0, args.seconds)
                rows.append(f"| {stored} | {per_crop:,.0f} | {model_height} | {rate:,.0f} |")
                print(rows[-1], flush=True)
    table = "\n".join(rows)
    publish("crop-height", "Stored crop height: cache size and loader speed", table, args.write, per_machine=True)


if __name__ == "__main__":
    main()
