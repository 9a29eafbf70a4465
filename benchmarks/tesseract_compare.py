"""Tesseract 5 against krocr on the same crops: word accuracy, CER and crops/s, one Markdown
row per engine, stamped with the date, machine and command.

    python benchmarks/tesseract_compare.py DATA --weights W [--engine onnx] [--split test] [--limit N] [--write-doc]

DATA is what ``krocr eval`` takes (dataset directory, LMDB or label file). Tesseract
(Debian ``tesseract-ocr tesseract-ocr-kor``) runs as ``--psm 7 -l kor+eng`` (one text
line, Korean + English) in one process over a list of all crops, so its model loads once.
Both engines get the crops exactly as stored: on 98 rendered 32-px word crops Tesseract
read 100 % as stored, 98 % with a 10-px border and 93 % when also enlarged to 64 px.
Crops krocr cannot read are left out for both engines. ``--write-doc`` also writes the
table into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish

from krocr.analysis.evaluation import predict
from krocr.analysis.metrics import compute_metrics
from krocr.charset import normalize_text
from krocr.commands.options import add_recognizer_arguments, recognizer_from_args
from krocr.data.eval_sets import EvalSet, open_eval_set
from krocr.inference.recognizer import load_input

TESSERACT_ARGS = ("--psm", "7", "-l", "kor+eng")
HEADER = "| engine | crops | word accuracy | word acc. ignoring spaces | CER | crops/s |\n|---|---|---|---|---|---|"


def check_tesseract() -> None:
    if shutil.which("tesseract") is None:
        raise SystemExit("tesseract not found: apt-get install -y tesseract-ocr tesseract-ocr-kor")
    languages = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    if "kor" not in languages:
        raise SystemExit("Tesseract has no Korean model: apt-get install -y tesseract-ocr-kor")


def run_tesseract(eval_set: EvalSet, indices: list[int]) -> tuple[list[str], float]:
    """Tesseract's text for each crop and the seconds it took (writing its input files included)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n, i in enumerate(indices):
            path = Path(tmp) / f"{n:07d}.png"
            cv2.imwrite(str(path), load_input(eval_set.load(i)))
            files.append(str(path))
        listing = Path(tmp) / "list.txt"
        listing.write_text("\n".join(files) + "\n", encoding="utf-8")
        result = subprocess.run(
            ["tesseract", str(listing), "stdout", *TESSERACT_ARGS], capture_output=True, text=True, check=True
        )
    pages = result.stdout.split("\f")  # one page per listed image; the last has no form feed
    if len(pages) != len(indices):
        raise SystemExit(f"tesseract returned {len(pages)} pages for {len(indices)} crops:\n{result.stderr[-2000:]}")
    return [" ".join(normalize_text(page).split()) for page in pages], time.perf_counter() - start


def row(engine: str, truths: list[str], predictions: list[str], seconds: float) -> str:
    m = compute_metrics(truths, predictions)
    return (
        f"| {engine} | {m.samples} | {m.word_accuracy:.1%} | {m.word_accuracy_ignore_space:.1%} | "
        f"{m.cer:.3f} | {m.samples / seconds:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="dataset directory, LMDB or label file")
    parser.add_argument("--split", choices=("test", "val", "train"), help="default: test if present, else val")
    parser.add_argument("--limit", type=int, help="compare on the first N crops only")
    parser.add_argument("--write-doc", action="store_true", help="also write the table into docs/benchmarks.md")
    add_recognizer_arguments(parser)
    args = parser.parse_args()
    check_tesseract()
    recognizer = recognizer_from_args(args)
    eval_set = open_eval_set(args.data, args.split)
    krocr_run = predict(recognizer, eval_set, args.limit)
    truths = [p.sample.truth for p in krocr_run.predictions]
    tesseract_texts, tesseract_seconds = run_tesseract(eval_set, [p.index for p in krocr_run.predictions])
    weights = Path(recognizer.weights).resolve()
    shown = weights.relative_to(Path.cwd()) if weights.is_relative_to(Path.cwd()) else weights  # no machine paths
    body = "\n".join(
        [
            f"Data `{eval_set.description}`; krocr weights `{shown}` ({recognizer.engine}, {recognizer.decoder}, "
            f"{recognizer.preprocess.width_mode} width); Tesseract `{' '.join(TESSERACT_ARGS)}`. Both read the crops "
            "as stored; speeds include reading and preparing them.",
            "",
            HEADER,
            row("krocr", truths, [p.reading.text for p in krocr_run.predictions], krocr_run.seconds),
            row("Tesseract 5", truths, tesseract_texts, tesseract_seconds),
        ]
    )
    publish("tesseract-compare", "Tesseract 5 vs krocr", body, args.write_doc)


if __name__ == "__main__":
    main()
