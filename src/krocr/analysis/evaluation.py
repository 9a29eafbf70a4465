"""``krocr eval``: score a weights file on labelled crops and explain its errors.

DATA is a dataset directory (``DIR/test.lmdb``, else ``DIR/val.lmdb``; ``--split``
chooses), one LMDB, or a label file (``image_path<TAB>text``). Written to ``--out``:

* ``metrics.json``: the krocr.analysis.metrics figures overall, by label length and by source;
  speed; the most frequent character substitutions; character accuracy of frequent, rare
  and unseen characters; the out-of-charset share; the unreadable crops;
* ``predictions.csv``: one row per crop;
* ``gallery_worst.png`` and ``gallery_random.png`` (see :mod:`krocr.analysis.gallery`).

Unreadable crops (corrupt bytes, missing files, too small) are listed and left out of the
scores: they say something about the data, not the model. Samples whose ground truth has
characters the weights' charset lacks are scored anyway (they can never be read exactly)
and their share is reported.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from rapidfuzz.distance import Levenshtein
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from krocr import __version__
from krocr.analysis.gallery import GalleryItem, draw_sheet, random_pick, worst_first
from krocr.analysis.metrics import (
    compute_metrics,
    edit_distance,
    normalized_edit_distance,
)
from krocr.charset import Charset, normalize_text
from krocr.data.importers import read_label_file
from krocr.data.store import CacheReader
from krocr.errors import DataError, read_input_text
from krocr.inference.recognizer import (
    DEFAULT_WEIGHTS,
    ImageInput,
    Reading,
    Recognizer,
    add_recognizer_arguments,
    recognizer_from_args,
)

# Label-length buckets in characters: (lowest, highest or None for no upper bound).
LENGTH_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 0), (1, 1), (2, 2), (3, 3), (4, 5), (6, 8), (9, 12), (13, None),
)
FREQUENT_SHARE = 0.8  # frequent characters: the most common ones covering 80 % of occurrences
TOP_CONFUSIONS = 30
TOP_MISSING = 30
CHUNK = 1024  # crops read and preprocessed at a time: bounds memory on large test sets
LMDB_SUFFIXES = (".lmdb", ".mdb")


# ---- what is evaluated ------------------------------------------------------------------------
@dataclass(frozen=True)
class EvalSample:
    item: str  # where the crop is: "test.lmdb#12" (1-based LMDB index) or its image path
    truth: str  # NFC, outer whitespace stripped (invisible in a crop)
    source: str
    kind: str = ""  # text kind of a synthetic crop (word, rare, long, …), else empty


@dataclass(frozen=True)
class Unreadable:
    item: str
    error: str


@dataclass
class EvalSet:
    description: str  # the LMDB or label file, for metrics.json
    samples: list[EvalSample]
    load: Callable[[int], ImageInput]  # sample index → its image
    unreadable: list[Unreadable]  # items lost before any image was read (missing files)


def open_eval_set(data: str | Path, split: str | None = None) -> EvalSet:
    """The samples of a dataset directory's split, an LMDB or a label file."""
    data = Path(data)
    if not data.exists():
        raise DataError(f"{data}: not found; expected a dataset directory, an .lmdb or a label file")
    splits = dataset_splits(data)
    if splits is not None:
        return _lmdb_set(_split_path(data, splits, split))
    if data.is_dir() or data.suffix in LMDB_SUFFIXES:
        return _lmdb_set(data)
    return _label_file_set(data)


def dataset_splits(data: Path) -> list[str] | None:
    """The splits (``*.lmdb`` names, sorted) of a dataset directory; None when ``data`` is not
    one but an LMDB or a label file."""
    if not data.is_dir() or (data / "data.mdb").is_file():
        return None
    return sorted(p.stem for p in data.glob("*.lmdb"))


def _split_path(directory: Path, present: list[str], split: str | None) -> Path:
    if not present:
        raise DataError(f"{directory}: no *.lmdb caches in this directory; build one with `krocr data`")
    chosen = split or ("test" if "test" in present else "val")
    if chosen not in present:
        raise DataError(f"{directory}: no {chosen}.lmdb (present: {', '.join(present)}); choose one with --split")
    return directory / f"{chosen}.lmdb"


def _lmdb_set(path: Path) -> EvalSet:
    reader = CacheReader(path)
    samples = [EvalSample(f"{path.name}#{i}", normalize_text(label).strip(), source, kind)
               for i, (label, source, kind) in enumerate(zip(reader.labels(), reader.sources(), reader.kinds()),
                                                         start=1)]
    return EvalSet(str(path), samples, lambda i: reader[i][0], [])


def _label_file_set(path: Path) -> EvalSet:
    records, log = read_label_file(path)
    samples = [EvalSample(str(r.path), r.text.strip(), r.source) for r in records]
    lost = [Unreadable(f"{r.file} {r.item}", f"{r.reason}: {r.detail}") for r in log]
    return EvalSet(str(path), samples, lambda i: records[i].path, lost)  # type: ignore[return-value,arg-type]


# ---- predicting ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prediction:
    index: int  # position in the EvalSet, to reload the crop for the gallery
    sample: EvalSample
    reading: Reading
    edit_distance: int
    normalized_edit_distance: float  # ED / len(truth), as the reference and the gallery show it


@dataclass
class Evaluation:
    predictions: list[Prediction]
    unreadable: list[Unreadable]
    seconds: float  # reading, preprocessing, the model and decoding, end to end

    @property
    def crops_per_second(self) -> float:
        return len(self.predictions) / self.seconds if self.seconds > 0 else 0.0


def predict(recognizer: Recognizer, eval_set: EvalSet, limit: int | None = None) -> Evaluation:
    """Read every sample (the first ``limit``), chunk by chunk; unreadable ones are listed."""
    total = len(eval_set.samples) if limit is None else min(limit, len(eval_set.samples))
    predictions: list[Prediction] = []
    unreadable = list(eval_set.unreadable)
    start = time.perf_counter()
    console = Console(stderr=True, markup=False, emoji=False)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("evaluating", total=total)
        for first in range(0, total, CHUNK):
            indices, prepared = [], []
            for i in range(first, min(first + CHUNK, total)):
                try:
                    prepared.append(recognizer.prepare(eval_set.load(i)))
                    indices.append(i)
                except DataError as exc:
                    unreadable.append(Unreadable(eval_set.samples[i].item, str(exc)))
            for i, reading in zip(indices, recognizer.recognize(prepared)):
                predictions.append(_scored(i, eval_set.samples[i], reading))
            progress.advance(task, min(CHUNK, total - first))
    return Evaluation(predictions, unreadable, time.perf_counter() - start)


def _scored(index: int, sample: EvalSample, reading: Reading) -> Prediction:
    return Prediction(index, sample, reading, edit_distance(sample.truth, reading.text),
                      normalized_edit_distance(sample.truth, reading.text))


# ---- analysis --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Alignment:
    """GT → prediction alignment of one sample (rapidfuzz editops)."""

    substitutions: list[tuple[str, str]]  # (GT character, predicted character)
    wrong_positions: frozenset[int]  # GT positions substituted or deleted


def align(truth: str, prediction: str) -> Alignment:
    ops = Levenshtein.editops(truth, prediction)
    return Alignment(
        [(truth[op.src_pos], prediction[op.dest_pos]) for op in ops if op.tag == "replace"],
        frozenset(op.src_pos for op in ops if op.tag in ("replace", "delete")),
    )


def length_bucket(length: int) -> str:
    for low, high in LENGTH_BUCKETS:
        if length >= low and (high is None or length <= high):
            return str(low) if low == high else f"{low}+" if high is None else f"{low}-{high}"
    raise ValueError(f"negative length {length}")


def grouped_metrics(predictions: Sequence[Prediction], key: Callable[[Prediction], str],
                    order: Iterable[str] | None = None) -> dict[str, dict]:
    """krocr.analysis.metrics figures for each group of predictions (in ``order``, else sorted)."""
    groups: dict[str, list[Prediction]] = {}
    for p in predictions:
        groups.setdefault(key(p), []).append(p)
    names = [n for n in order if n in groups] if order is not None else sorted(groups)
    return {name: _metrics(groups[name]) for name in names}


def _metrics(predictions: Sequence[Prediction]) -> dict:
    return compute_metrics([p.sample.truth for p in predictions], [p.reading.text for p in predictions]).to_dict()


def confusions(alignments: Sequence[Alignment], top: int = TOP_CONFUSIONS) -> list[dict]:
    """The most frequent substitutions GT character → predicted character (whitespace left out)."""
    counts = Counter(pair for a in alignments for pair in a.substitutions
                     if not (pair[0].isspace() or pair[1].isspace()))
    return [{"truth": t, "prediction": p, "count": n} for (t, p), n in counts.most_common(top)]


def character_accuracy(predictions: Sequence[Prediction], alignments: Sequence[Alignment],
                       reference: Counter | None = None, reference_name: str = "") -> dict:
    """Share of GT character occurrences read correctly (aligned to an equal character),
    for frequent, rare and unseen characters.

    Frequency comes from ``reference`` (training counts) when given, else from the
    evaluated ground truth itself. Frequent: the most common characters that together
    cover FREQUENT_SHARE of the reference occurrences; rare: the other characters the
    reference has; unseen: characters it lacks (only possible with training counts).
    """
    occurrences: Counter = Counter()
    correct: Counter = Counter()
    for p, a in zip(predictions, alignments):
        for position, ch in enumerate(p.sample.truth):
            if not ch.isspace():
                occurrences[ch] += 1
                correct[ch] += position not in a.wrong_positions
    counts = reference if reference is not None else occurrences
    frequent = _most_common_covering(counts, FREQUENT_SHARE)
    groups: dict[str, dict] = {name: {"characters": 0, "occurrences": 0, "correct": 0}
                               for name in ("frequent", "rare", "unseen")}
    for ch, n in occurrences.items():
        group = groups["frequent" if ch in frequent else "rare" if counts[ch] > 0 else "unseen"]
        group["characters"] += 1
        group["occurrences"] += n
        group["correct"] += correct[ch]
    for group in groups.values():
        group["accuracy"] = group["correct"] / group["occurrences"] if group["occurrences"] else None
    return {"frequency_from": reference_name if reference is not None else "evaluated ground truth",
            "frequent_share": FREQUENT_SHARE, "groups": groups}


def _most_common_covering(counts: Counter, share: float) -> set[str]:
    total = sum(counts.values())
    chosen: set[str] = set()
    covered = 0
    for ch, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if covered >= share * total:
            break
        chosen.add(ch)
        covered += n
    return chosen


def out_of_charset(predictions: Sequence[Prediction], charset: Charset) -> dict:
    """How much of the ground truth the weights' charset cannot produce."""
    missing: Counter = Counter()
    affected = [p for p in predictions if charset.missing(p.sample.truth)]
    for p in affected:
        missing.update(ch for ch in p.sample.truth if ch not in charset)
    inside = [p for p in predictions if not charset.missing(p.sample.truth)]
    characters = sum(len(p.sample.truth) for p in predictions)
    return {
        "samples": len(affected),
        "sample_share": len(affected) / len(predictions),
        "characters": sum(missing.values()),
        "character_share": sum(missing.values()) / characters if characters else 0.0,
        "missing": dict(missing.most_common(TOP_MISSING)),
        "word_accuracy_in_charset": _metrics(inside)["word_accuracy"] if inside else None,
    }


def load_char_counts(path: str | Path) -> Counter:
    """Training character counts: a CSV of ``char,count`` rows (a header row is skipped),
    a JSON object ``{char: count}``, or an LMDB / dataset split whose labels are counted."""
    path = Path(path)
    if path.is_dir() or path.suffix in LMDB_SUFFIXES:
        return Counter(ch for label in CacheReader(path).labels() for ch in normalize_text(label) if not ch.isspace())
    text = read_input_text(path, "character counts file", DataError)
    if path.suffix == ".json":
        return _json_counts(text, path)
    return _csv_counts(text, path)


def _json_counts(text: str, path: Path) -> Counter:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
        raise DataError(f"{path}: expected a JSON object mapping characters to integer counts")
    return Counter({normalize_text(k): v for k, v in data.items()})


def _csv_counts(text: str, path: Path) -> Counter:
    counts: Counter = Counter()
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row:
            continue
        if len(row) < 2 or len(normalize_text(row[0])) != 1 or not row[1].strip().isdigit():
            if lineno == 1:
                continue  # a header
            raise DataError(f"{path}:{lineno}: expected 'character,count', got {row!r}")
        counts[normalize_text(row[0])] += int(row[1])
    return counts


# ---- the whole evaluation ------------------------------------------------------------------------
def summarize(evaluation: Evaluation, charset: Charset, reference: Counter | None = None,
              reference_name: str = "") -> dict:
    """Everything metrics.json holds except the settings."""
    predictions = evaluation.predictions
    if not predictions:
        raise DataError(f"no readable samples to score ({len(evaluation.unreadable)} unreadable: "
                        + "; ".join(f"{u.item}: {u.error}" for u in evaluation.unreadable[:5]) + ")")
    alignments = [align(p.sample.truth, p.reading.text) for p in predictions]
    buckets = [length_bucket(low) for low, _ in LENGTH_BUCKETS]
    return {
        "samples": len(predictions),
        "overall": _metrics(predictions),
        "speed": {"seconds": evaluation.seconds, "crops_per_second": evaluation.crops_per_second},
        "by_length": grouped_metrics(predictions, lambda p: length_bucket(len(p.sample.truth)), buckets),
        "by_source": grouped_metrics(predictions, lambda p: p.sample.source),
        "by_kind": grouped_metrics([p for p in predictions if p.sample.kind], lambda p: p.sample.kind),
        "out_of_charset": out_of_charset(predictions, charset),
        "confusions": confusions(alignments),
        "character_accuracy": character_accuracy(predictions, alignments, reference, reference_name),
        "unreadable": {"count": len(evaluation.unreadable),
                       "items": [{"item": u.item, "error": u.error} for u in evaluation.unreadable]},
    }


PREDICTION_COLUMNS = ("item", "source", "kind", "truth", "prediction", "confidence", "edit_distance",
                      "normalized_edit_distance", "raw")


def write_predictions(predictions: Sequence[Prediction], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(PREDICTION_COLUMNS)
        for p in predictions:
            writer.writerow([p.sample.item, p.sample.source, p.sample.kind, p.sample.truth, p.reading.text,
                             f"{p.reading.confidence:.4f}", p.edit_distance, f"{p.normalized_edit_distance:.4f}",
                             p.reading.raw])


def write_gallery(recognizer: Recognizer, eval_set: EvalSet, predictions: Sequence[Prediction], out: Path,
                  per_sheet: int, seed: int = 0) -> list[Path]:
    """``gallery_worst.png`` (highest normalized ED first) and ``gallery_random.png``."""
    sheets = {
        "gallery_worst.png": ("Worst first", worst_first([p.normalized_edit_distance for p in predictions], per_sheet)),
        "gallery_random.png": ("Random", random_pick(len(predictions), per_sheet, seed)),
    }
    paths = []
    for name, (title, picks) in sheets.items():
        items = [_gallery_item(recognizer, eval_set, predictions[i]) for i in picks]
        paths.append(draw_sheet(items, out / name, f"{title}: {len(items)} of {len(predictions)} crops"))
    return paths


def _gallery_item(recognizer: Recognizer, eval_set: EvalSet, p: Prediction) -> GalleryItem:
    image = recognizer.prepare(eval_set.load(p.index))  # as the model saw it (before batch padding)
    return GalleryItem(image, p.sample.truth, p.reading.text, p.reading.raw, p.normalized_edit_distance, p.sample.item)


def evaluate(recognizer: Recognizer, data: str | Path, out: str | Path, split: str | None = None,
             train_stats: str | Path | None = None, limit: int | None = None, gallery: int = 24) -> dict:
    """Evaluate, write metrics.json, predictions.csv and the gallery into ``out``; return the metrics."""
    out = Path(out)
    eval_set = open_eval_set(data, split)
    reference = load_char_counts(train_stats) if train_stats else None
    evaluation = predict(recognizer, eval_set, limit)
    metrics = {"settings": _settings(recognizer, eval_set, limit),
               **summarize(evaluation, recognizer.charset, reference, str(train_stats or ""))}
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_predictions(evaluation.predictions, out / "predictions.csv")
    if gallery > 0:
        write_gallery(recognizer, eval_set, evaluation.predictions, out, gallery)
    return metrics


def _settings(recognizer: Recognizer, eval_set: EvalSet, limit: int | None) -> dict:
    return {
        "weights": str(recognizer.weights), "data": eval_set.description, "limit": limit,
        "decoder": recognizer.decoder, "beam_width": recognizer.beam_width if recognizer.decoder == "beam" else None,
        "width_mode": recognizer.preprocess.width_mode, "engine": recognizer.engine, "precision": recognizer.precision,
        "device": str(recognizer.device), "batch_size": recognizer.batch_size,
        "date": dt.datetime.now().isoformat(timespec="seconds"), "krocr": __version__,
    }


# ---- command line ----------------------------------------------------------------------------------
def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", type=Path,
                        help="dataset directory (its LMDB caches), one .lmdb, or a label file (image_path<TAB>text)")
    parser.add_argument("--split", choices=("test", "val", "train"),
                        help="split of a dataset directory (default: test if present, else val)")
    parser.add_argument("--out", type=Path,
                        help="output directory (default: eval/ next to the weights file, ./eval for the bundled model)")
    parser.add_argument("--train-stats", type=Path,
                        help="training character counts for the rare/frequent breakdown: a char,count CSV, "
                             "a {char: count} JSON, or the training LMDB (default: frequencies of the evaluated set)")
    parser.add_argument("--limit", type=int, help="evaluate only the first N samples")
    parser.add_argument("--gallery", type=int, default=24, help="crops per gallery sheet; 0 for none (default: 24)")
    add_recognizer_arguments(parser)


def run(args: argparse.Namespace) -> int:
    recognizer = recognizer_from_args(args)
    out = args.out or default_out(recognizer.weights)
    metrics = evaluate(recognizer, args.data, out, args.split, args.train_stats, args.limit, args.gallery)
    console = Console(markup=False, emoji=False)
    console.print(summary_table(metrics))
    for key, title in (("by_source", "by source"), ("by_kind", "by text kind")):
        if len(metrics[key]) > 1:  # e.g. font designs and text kinds of synthetic test sets
            console.print(group_table(metrics[key], title))
    print(f"wrote {out}/metrics.json, predictions.csv" + (" and the gallery" if args.gallery > 0 else ""))
    return 0


def default_out(weights: Path) -> Path:
    """``eval/`` beside the weights file (its run directory, where ``krocr report`` looks),
    but never inside the installed package."""
    return Path("eval") if weights == DEFAULT_WEIGHTS else weights.parent / "eval"


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
