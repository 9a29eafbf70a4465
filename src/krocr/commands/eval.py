"""``krocr eval``: evaluate weights on a dataset: metrics.json, predictions.csv, galleries.

With ``--photos`` it reads whole photos with the detector and the recognizer
(``krocr.analysis.photos``): of an annotated set (``annotations.jsonl``, as
``shared/data/real-dev``), how many labelled words were found and read; of an ICDAR 2015
folder (``krocr synth --scenes`` output), detection precision / recall / h-mean and
end-to-end word accuracy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from krocr.analysis.evaluation import evaluate
from krocr.commands.bars import ProgressBar
from krocr.commands.options import (
    add_detector_arguments,
    add_recognizer_arguments,
    photo_reader_from_args,
    recognizer_from_args,
)
from krocr.errors import ConfigError
from krocr.inference.recognizer import Recognizer


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "data", type=Path, help="dataset directory (its LMDB caches), one .lmdb, or a label file (image_path<TAB>text)"
    )
    parser.add_argument(
        "--split",
        choices=("test", "val", "train"),
        help="split of a dataset directory (default: test if present, else val)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="output directory (default: eval/ next to the weights file, ./eval for the bundled model)",
    )
    parser.add_argument(
        "--train-stats",
        type=Path,
        help="training character counts for the rare/frequent breakdown: a char,count CSV, "
        "a {char: count} JSON, or the training LMDB (default: frequencies of the evaluated set)",
    )
    parser.add_argument("--limit", type=int, help="evaluate only the first N samples (photos with --photos)")
    parser.add_argument(
        "--photos",
        action="store_true",
        help="read the set's whole photos (annotations.jsonl) with the detector: words found and read",
    )
    parser.add_argument("--gallery", type=int, default=24, help="crops per gallery sheet; 0 for none (default: 24)")
    add_recognizer_arguments(parser)
    add_detector_arguments(parser, " for --photos")


def run(args: argparse.Namespace) -> int:
    if not args.photos and (args.detector or args.max_side is not None or args.line_reading is not None):
        raise ConfigError("--detector, --max-side and --line-reading are for --photos (reading whole photos)")
    recognizer = recognizer_from_args(args)
    out = args.out or default_out(recognizer)
    if args.photos:
        return run_photos(args, recognizer, out)
    with ProgressBar(transient=True) as bar:
        metrics = evaluate(recognizer, args.data, out, args.split, args.train_stats, args.limit, args.gallery, bar)
    console = Console(markup=False, emoji=False)
    console.print(summary_table(metrics))
    groups = (("by_source", "by source"), ("by_kind", "by kind"), ("by_tag", "by tag"), ("by_layout", "by layout"))
    for key, title in groups:
        if len(metrics[key]) > 1:  # e.g. font designs and text kinds of synthetic test sets
            console.print(group_table(metrics[key], title))
    print(f"wrote {out}/metrics.json, predictions.csv" + (" and the gallery" if args.gallery > 0 else ""))
    for note in metrics["notes"]:
        print(f"krocr eval: note: {note}", file=sys.stderr)
    return 0


def run_photos(args: argparse.Namespace, recognizer: Recognizer, out: Path) -> int:
    from krocr.analysis.photos import evaluate_photos, evaluate_scenes, scene_lines_dir
    from krocr.data.eval_sets import PHOTO_ANNOTATIONS

    photo_set = (args.data / PHOTO_ANNOTATIONS).is_file()
    # text lines are scored on photo sets, and on scenes that have their drawn lines
    reader = photo_reader_from_args(args, recognizer, lines=photo_set or scene_lines_dir(args.data) is not None)
    if not photo_set:
        with ProgressBar(transient=True) as bar:
            scores = evaluate_scenes(reader, args.data, out, args.limit, bar)
        print(
            f"{args.data}: {scores['photos']} photos, {scores['ground_truth']} words: precision "
            f"{scores['precision']:.3f}, recall {scores['recall']:.3f}, h-mean {scores['hmean']:.3f}, "
            f"end-to-end word accuracy {scores['end_to_end_word_accuracy']:.1%}; wrote {out}/scene_metrics.json"
        )
        if scores["lines"] is not None:  # the folder holds its drawn lines (krocr synth --scenes writes lines/)
            lines = scores["lines"]
            print(
                f"text lines: {lines['ground_truth']} lines: precision {lines['precision']:.3f}, recall "
                f"{lines['recall']:.3f}, h-mean {lines['hmean']:.3f}, end-to-end line accuracy "
                f"{lines['end_to_end_line_accuracy']:.1%}"
            )
        return 0
    with ProgressBar(transient=True) as bar:
        metrics = evaluate_photos(reader, args.data, out, args.limit, bar)
    console = Console(markup=False, emoji=False)
    console.print(recall_table({"all": metrics, **metrics["by_kind"]}, f"{args.data}: {metrics['photos']} photos"))
    console.print(recall_table(metrics["by_tag"], "by tag"))
    print(f"{metrics['seconds_per_photo']:.2f} s per photo ({metrics['seconds_per_megapixel']:.2f} s per megapixel)")
    print(f"wrote {out}/photo_metrics.json, photo_words.csv and photos/ (missed words in red)")
    for failure in metrics["unreadable"]:
        print(f"krocr eval: {failure['error']}", file=sys.stderr)
    return 1 if metrics["unreadable"] else 0


def recall_table(groups: dict[str, dict], title: str) -> Table:
    table = Table(title=title)
    # "read (lines)" first: text lines are what `krocr read` prints
    for column in ("group", "words", "found", "read (lines)", "read (words)", "read (words joined)"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for name, figures in groups.items():
        table.add_row(
            name,
            str(figures["words"]),
            f"{figures['found_rate']:.1%}",
            f"{figures['read_lines_rate']:.1%}",
            f"{figures['read_rate']:.1%}",
            f"{figures['read_joined_rate']:.1%}",
        )
    return table


def default_out(recognizer: Recognizer) -> Path:
    """``eval/`` beside the weights file (its run directory, where ``krocr report`` looks),
    but never inside the installed package (a shipped model: ``./eval``)."""
    return Path("eval") if recognizer.shipped else recognizer.weights.parent / "eval"


def group_table(groups: dict[str, dict], title: str) -> Table:
    table = Table(title=title)
    for column in ("group", "crops", "word accuracy", "CER"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for name, figures in groups.items():
        table.add_row(name, str(figures["samples"]), f"{figures['word_accuracy']:.2%}", f"{figures['cer']:.4f}")
    return table


def summary_table(metrics: dict) -> Table:
    overall = metrics["overall"]
    table = Table(title=f"{metrics['settings']['data']}: {metrics['samples']} crops")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [
        ("word accuracy", f"{overall['word_accuracy']:.2%}"),
        ("word accuracy ignoring spaces", f"{overall['word_accuracy_ignore_space']:.2%}"),
        ("CER", f"{overall['cer']:.4f}"),
        ("mean edit distance", f"{overall['mean_edit_distance']:.3f}"),
        ("mean normalized edit distance", f"{overall['mean_normalized_edit_distance']:.3f}"),
        ("1 − NED (ICDAR 2019)", f"{overall['one_minus_ned']:.4f}"),
        ("crops/s", f"{metrics['speed']['crops_per_second']:.0f}"),
        ("out-of-charset samples", f"{metrics['out_of_charset']['sample_share']:.2%}"),
        ("unreadable crops", str(metrics["unreadable"]["count"])),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
