"""Start-up time: wall seconds from a shell command to its answer for one crop, krocr beside
Tesseract, on an otherwise idle machine.

    python benchmarks/startup.py [--repeats 7] [--write-doc]

Each command runs ``--repeats`` times as a fresh process (the first run warms the disk
cache and is not counted); the table gives the median and the fastest. Rows: ``import
krocr``; ``krocr read`` of one example crop with the shipped model (onnxruntime, the
default) and with ``--engine torch``; ``tesseract CROP - --psm 7 -l kor+eng``. With
``--write-doc`` the table replaces its section of docs/benchmarks.md for this machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_section

ROOT = Path(__file__).resolve().parents[1]
CROP = ROOT / "examples" / "crops" / "crop_01.png"


def commands() -> dict[str, list[str]]:
    krocr = str(Path(sys.executable).with_name("krocr"))
    rows = {
        "python -c 'import krocr'": [sys.executable, "-c", "import krocr"],
        "python -c 'pass' (the interpreter alone)": [sys.executable, "-c", "pass"],
        "krocr read CROP (shipped model, onnxruntime)": [krocr, "read", str(CROP)],
        "krocr read --engine torch CROP": [krocr, "read", "--engine", "torch", str(CROP)],
    }
    if shutil.which("tesseract"):
        rows["tesseract CROP - --psm 7 -l kor+eng"] = ["tesseract", str(CROP), "-", "--psm", "7", "-l", "kor+eng"]
    return rows


def wall_seconds(argv: list[str], repeats: int) -> list[float]:
    subprocess.run(argv, capture_output=True, check=True)  # warm-up: disk cache, .pyc files
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    lines = ["| command | median s | fastest s |", "|---|---:|---:|"]
    for name, argv in commands().items():
        times = wall_seconds(argv, args.repeats)
        lines.append(f"| `{name}` | {statistics.median(times):.2f} | {min(times):.2f} |")
        print(lines[-1], flush=True)
    body = f"One crop: `{CROP.relative_to(ROOT)}`; {args.repeats} runs each after a warm-up.\n\n" + "\n".join(lines)
    if args.write_doc:
        write_section("startup", "Start-up: one crop from the shell", body, per_machine=True)


if __name__ == "__main__":
    main()
