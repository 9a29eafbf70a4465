"""Training loader speed: crops/s that CropDataset + collate deliver from an LMDB cache,
with and without augmentation, in the main process and with one worker.

    python benchmarks/loader_speed.py [--seconds 5] [--samples 2000] [--write]

The cache is generated on the fly (random ASCII words drawn with OpenCV at height 32).
Prints a Markdown table; ``--write`` also stores it in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import cv2
import numpy as np
from torch.utils.data import DataLoader

from krocr.charset import ALPHABET87, alphabet87
from krocr.data.augment import AugmentConfig
from krocr.data.dataset import CropDataset, collate
from krocr.data.store import CacheWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish


def make_cache(path: Path, samples: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    letters = np.array(list(ALPHABET87.replace(" ", "")))
    with CacheWriter(path) as writer:
        for _ in range(samples):
            word = "".join(rng.choice(letters, size=rng.integers(3, 15)))
            width = 14 * len(word) + 10
            image = np.full((32, width), int(rng.integers(150, 256)), np.uint8)
            cv2.putText(image, word, (5, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, int(rng.integers(0, 100)), 2)
            writer.add(image, word, "bench")


def crops_per_second(dataset: CropDataset, workers: int, seconds: float, batch_size: int = 64) -> float:
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        collate_fn=collate,
        persistent_workers=workers > 0,
    )
    next(iter(loader))  # start workers and warm caches outside the timing
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for batch in loader:
            count += len(batch)
            if time.perf_counter() - start >= seconds:
                break
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="timing per configuration")
    parser.add_argument("--samples", type=int, default=2000, help="crops in the generated cache")
    parser.add_argument("--write", action="store_true", help="also write the table into docs/benchmarks.md")
    args = parser.parse_args()
    rows = ["| augmentation | workers | crops/s (batch 64, 32×256) |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "bench.lmdb"
        make_cache(cache, args.samples)
        for preset in ("none", "default"):
            dataset = CropDataset([cache], alphabet87(), augment=AugmentConfig.preset(preset))
            for workers in (0, 1):
                rate = crops_per_second(dataset, workers, args.seconds)
                rows.append(f"| {preset} | {workers} | {rate:,.0f} |")
                print(rows[-1], flush=True)
    table = "\n".join(rows)
    publish("loader-speed", "Training loader speed", table, args.write, per_machine=True)


if __name__ == "__main__":
    main()
