"""Whole photos, krocr (detector + recognizer) against Tesseract 5's full-page modes: the share
of labelled words found and read, by kind, and seconds per photo; one Markdown table stamped
with the date, machine and command.

    python benchmarks/photo_recall.py [DATA] [--detector W] [--max-side PX] [--weights W] [--limit N] [--write-doc]

DATA is an annotated photo set (``annotations.jsonl`` + ``images/``; default
``../shared/data/real-dev``). Found and read are those of ``krocr eval --photos``
(:mod:`krocr.analysis.photos`): regions covering half a word find it; an overlapping region
whose text contains it reads it. Tesseract (``-l kor+eng``) runs once per photo in page
segmentation modes 3 (automatic) and 11 (sparse text); its text lines are its regions (a
line's box is the union of its words' boxes). krocr's drawn photos and word lists go to
``--out``. ``--write-doc`` writes the table into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish

from krocr.analysis.photos import WordOutcome, evaluate_photos, recall_summary, score_photo
from krocr.charset import normalize_text
from krocr.commands.options import (
    add_detector_arguments,
    add_recognizer_arguments,
    photo_reader_from_args,
    recognizer_from_args,
)
from krocr.data.eval_sets import AnnotatedPhoto, read_photo_set

DEFAULT_DATA = Path("../shared/data/real-dev")
TESSERACT_MODES = ("3", "11")
KINDS = ("sign-photo", "doc-scan", "screen", "other-photo")


def check_tesseract() -> None:
    if shutil.which("tesseract") is None:
        raise SystemExit("tesseract not found: make bench-tools (apt-get install -y tesseract-ocr tesseract-ocr-kor)")


def tesseract_lines(path: Path, psm: str) -> list[tuple[np.ndarray, str]]:
    """Tesseract's text lines of one photo as (box polygon, text)."""
    result = subprocess.run(
        ["tesseract", str(path), "stdout", "--psm", psm, "-l", "kor+eng", "tsv"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines: dict[tuple[str, ...], list[tuple[int, int, int, int, str]]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(result.stdout), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row["level"] == "5" and text:
            key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
            left, top, width, height = (int(row[k]) for k in ("left", "top", "width", "height"))
            lines[key].append((left, top, left + width, top + height, text))
    regions = []
    for words in lines.values():
        x0, y0 = min(w[0] for w in words), min(w[1] for w in words)
        x1, y1 = max(w[2] for w in words), max(w[3] for w in words)
        polygon = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
        regions.append((polygon, normalize_text(" ".join(w[4] for w in words))))
    return regions


def run_tesseract(photos: list[AnnotatedPhoto], psm: str) -> tuple[list[WordOutcome], float]:
    outcomes: list[WordOutcome] = []
    start = time.perf_counter()
    for photo in photos:
        outcomes += score_photo(photo, tesseract_lines(photo.path, psm))
    return outcomes, time.perf_counter() - start


def row(engine: str, summary: dict, seconds_per_photo: float) -> str:
    kinds = " | ".join(
        f"{summary['by_kind'][k]['read_lines_rate']:.0%}" if k in summary["by_kind"] else "–" for k in KINDS
    )
    return (
        f"| {engine} | {summary['words']} | {summary['found_rate']:.1%} | {summary['read_lines_rate']:.1%} "
        f"| {summary['read_rate']:.1%} | {summary['read_joined_rate']:.1%} | {kinds} | "
        f"{seconds_per_photo:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="annotated photo set")
    parser.add_argument("--limit", type=int, help="the first N photos only")
    parser.add_argument("--out", type=Path, default=Path("runs/photo_recall"), help="krocr's drawn photos and lists")
    parser.add_argument("--write-doc", action="store_true", help="also write the table into docs/benchmarks.md")
    add_recognizer_arguments(parser)
    add_detector_arguments(parser)
    args = parser.parse_args()
    check_tesseract()
    reader = photo_reader_from_args(args, recognizer_from_args(args))
    krocr_metrics = evaluate_photos(reader, args.data, args.out, args.limit)
    photos = read_photo_set(args.data)[: args.limit]
    rows = [row("krocr (detector + recognizer)", krocr_metrics, krocr_metrics["seconds_per_photo"])]
    for psm in TESSERACT_MODES:
        outcomes, seconds = run_tesseract(photos, psm)
        rows.append(row(f"Tesseract 5, --psm {psm}", recall_summary(outcomes), seconds / max(len(photos), 1)))
    header = (
        "| engine | words | found | read (lines) | read (words) | read (words joined) | read (lines): "
        + " | ".join(KINDS)
        + " | s/photo |\n|"
        + "---|" * (8 + len(KINDS) - 1)
    )
    body = "\n".join(
        [
            f"Data `{args.data}` ({len(photos)} photos); krocr: detector `{args.detector or 'shipped'}` at "
            f"{reader.detector.max_side} px, recognizer "
            f"`{args.weights}`; Tesseract `-l kor+eng`, its text lines as regions. Found: regions cover half the "
            "word; read (lines): an overlapping text line's text contains it (NFC, spaces ignored): krocr's "
            "lines are what `krocr read` prints, Tesseract's its rows; read (words): an overlapping word "
            "region's does (`krocr read --level word`; for Tesseract its rows again); read (words joined): or the "
            "texts of the word regions lying mostly inside it, joined in reading order, do (a third of the labels "
            "are whole lines).",
            "",
            header,
            *rows,
        ]
    )
    publish("photo-recall", "Whole photos: krocr vs Tesseract 5", body, args.write_doc)


if __name__ == "__main__":
    main()
