"""``krocr eval``: score a weights file on labelled crops and explain its errors.

DATA is a dataset directory (``DIR/test.lmdb``, else ``DIR/val.lmdb``; ``--split``
chooses), one LMDB, or a label file (``image_path<TAB>text``). Written to ``--out``:

* ``metrics.json``: the krocr.analysis.metrics figures overall, by label length, source, kind,
  tag and by the layout whose reading was kept (a crop as it is or stretched, a column
  unstacked or turned: :class:`krocr.inference.recognizer.Layout`);
  speed; the most frequent character substitutions; character accuracy of frequent, rare
  and unseen characters; the out-of-charset share; the unreadable crops;
* ``predictions.csv``: one row per crop, with the layout its reading came from;
* ``gallery_worst.png`` and ``gallery_random.png`` (see :mod:`krocr.analysis.gallery`).

Unreadable crops (corrupt bytes, missing files, too small) are listed and left out of the
scores: they say something about the data, not the model. Samples whose ground truth has
characters the weights' charset lacks are scored anyway (they can never be read exactly)
and their share is reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from krocr.analysis.gallery import GalleryItem, draw_sheet, random_pick, worst_first
from krocr.analysis.metrics import (
    compute_metrics,
    edit_distance,
    normalized_edit_distance,
)
from krocr.charset import Charset, normalize_text
from krocr.data.eval_sets import (
    LMDB_SUFFIXES,
    EvalSample,
    EvalSet,
    Unreadable,
    open_eval_set,
)
from krocr.data.store import CacheReader
from krocr.errors import DataError, KrocrError, read_input_text
from krocr.inference.recognizer import Reading, Recognizer
from krocr.progress import SILENT, ProgressHook
from krocr.version import __version__

# Label-length buckets in characters: (lowest, highest or None for no upper bound).
LENGTH_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 0),
    (1, 1),
    (2, 2),
    (3, 3),
    (4, 5),
    (6, 8),
    (9, 12),
    (13, None),
)
FREQUENT_SHARE = 0.8  # frequent characters: the most common ones covering 80 % of occurrences
TOP_CONFUSIONS = 30
TOP_MISSING = 30
CHUNK = 1024  # crops read and preprocessed at a time: bounds memory on large test sets


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


def predict(
    recognizer: Recognizer, eval_set: EvalSet, limit: int | None = None, progress: ProgressHook = SILENT
) -> Evaluation:
    """Read every sample (the first ``limit``), chunk by chunk; unreadable ones are listed.

    Args:
        recognizer: the model that reads.
        eval_set: what to read (:func:`krocr.data.eval_sets.open_eval_set`).
        limit: read only the first ``limit`` samples.
        progress: told the total, then each batch of crops read.

    Returns:
        The predictions in sample order, the unreadable samples and the seconds it took.
    """
    total = len(eval_set.samples) if limit is None else min(limit, len(eval_set.samples))
    predictions: list[Prediction] = []
    unreadable = list(eval_set.unreadable)
    start = time.perf_counter()
    progress.start("evaluating", total)
    for first in range(0, total, CHUNK):
        indices, prepared = [], []
        for i in range(first, min(first + CHUNK, total)):
            try:
                prepared.append(recognizer.prepare_layouts(eval_set.load(i)))
                indices.append(i)
            except DataError as exc:
                unreadable.append(Unreadable(eval_set.samples[i].item, str(exc)))
        progress.advance(len(range(first, min(first + CHUNK, total))) - len(prepared))  # unreadable ones
        # one recognize call per batch, so the bar moves as crops are read, not per chunk
        for low in range(0, len(prepared), recognizer.batch_size):
            batch = prepared[low : low + recognizer.batch_size]
            for i, reading in zip(indices[low:], recognizer.recognize_layouts(batch)):
                predictions.append(_scored(i, eval_set.samples[i], reading))
            progress.advance(len(batch))
    return Evaluation(predictions, unreadable, time.perf_counter() - start)


def _scored(index: int, sample: EvalSample, reading: Reading) -> Prediction:
    return Prediction(
        index,
        sample,
        reading,
        edit_distance(sample.truth, reading.text),
        normalized_edit_distance(sample.truth, reading.text),
    )


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


def grouped_metrics(
    predictions: Sequence[Prediction], key: Callable[[Prediction], str], order: Iterable[str] | None = None
) -> dict[str, dict]:
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
    counts = Counter(
        pair for a in alignments for pair in a.substitutions if not (pair[0].isspace() or pair[1].isspace())
    )
    return [{"truth": t, "prediction": p, "count": n} for (t, p), n in counts.most_common(top)]


def character_accuracy(
    predictions: Sequence[Prediction],
    alignments: Sequence[Alignment],
    reference: Counter | None = None,
    reference_name: str = "",
) -> dict:
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
    groups: dict[str, dict] = {
        name: {"characters": 0, "occurrences": 0, "correct": 0} for name in ("frequent", "rare", "unseen")
    }
    for ch, n in occurrences.items():
        group = groups["frequent" if ch in frequent else "rare" if counts[ch] > 0 else "unseen"]
        group["characters"] += 1
        group["occurrences"] += n
        group["correct"] += correct[ch]
    for group in groups.values():
        group["accuracy"] = group["correct"] / group["occurrences"] if group["occurrences"] else None
    return {
        "frequency_from": reference_name if reference is not None else "evaluated ground truth",
        "frequent_share": FREQUENT_SHARE,
        "groups": groups,
    }


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
UNTAGGED = "(no tag)"  # the group of crops without a tag, in metrics.json and the tables


def tag_metrics(predictions: Sequence[Prediction]) -> dict[str, dict]:
    """Metrics per tag (a crop counts under each of its tags) and for untagged crops; empty
    when no crop has a tag."""
    if not any(p.sample.tags for p in predictions):
        return {}
    tags = sorted({t for p in predictions for t in p.sample.tags})
    groups = {tag: [p for p in predictions if tag in p.sample.tags] for tag in tags}
    groups[UNTAGGED] = [p for p in predictions if not p.sample.tags]
    return {tag: _metrics(group) for tag, group in groups.items() if group}


def summarize(
    evaluation: Evaluation, charset: Charset, reference: Counter | None = None, reference_name: str = ""
) -> dict:
    """Everything metrics.json holds except the settings."""
    predictions = evaluation.predictions
    if not predictions:
        raise DataError(
            f"no readable samples to score ({len(evaluation.unreadable)} unreadable: "
            + "; ".join(f"{u.item}: {u.error}" for u in evaluation.unreadable[:5])
            + ")"
        )
    alignments = [align(p.sample.truth, p.reading.text) for p in predictions]
    buckets = [length_bucket(low) for low, _ in LENGTH_BUCKETS]
    return {
        "samples": len(predictions),
        "overall": _metrics(predictions),
        "speed": {"seconds": evaluation.seconds, "crops_per_second": evaluation.crops_per_second},
        "by_length": grouped_metrics(predictions, lambda p: length_bucket(len(p.sample.truth)), buckets),
        "by_source": grouped_metrics(predictions, lambda p: p.sample.source),
        "by_kind": grouped_metrics([p for p in predictions if p.sample.kind], lambda p: p.sample.kind),
        "by_tag": tag_metrics(predictions),
        "by_layout": grouped_metrics(predictions, lambda p: p.reading.layout),
        "out_of_charset": out_of_charset(predictions, charset),
        "confusions": confusions(alignments),
        "character_accuracy": character_accuracy(predictions, alignments, reference, reference_name),
        "unreadable": {
            "count": len(evaluation.unreadable),
            "items": [{"item": u.item, "error": u.error} for u in evaluation.unreadable],
        },
    }


PREDICTION_COLUMNS = (
    "item",
    "source",
    "kind",
    "tags",
    "truth",
    "prediction",
    "confidence",
    "edit_distance",
    "normalized_edit_distance",
    "raw",
    "layout",
)


def write_predictions(predictions: Sequence[Prediction], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(PREDICTION_COLUMNS)
        for p in predictions:
            writer.writerow(
                [
                    p.sample.item,
                    p.sample.source,
                    p.sample.kind,
                    ",".join(p.sample.tags),
                    p.sample.truth,
                    p.reading.text,
                    f"{p.reading.confidence:.4f}",
                    p.edit_distance,
                    f"{p.normalized_edit_distance:.4f}",
                    p.reading.raw,
                    p.reading.layout,
                ]
            )


def write_gallery(
    recognizer: Recognizer,
    eval_set: EvalSet,
    predictions: Sequence[Prediction],
    out: Path,
    per_sheet: int,
    seed: int = 0,
) -> list[Path]:
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
    # the layout whose reading was kept (a stretched crop, an unstacked column), before batch padding
    layouts = recognizer.prepare_layouts(eval_set.load(p.index))
    image = next((layout.pixels for layout in layouts if layout.name == p.reading.layout), None)
    if image is None:  # prepared otherwise than when it was read: a fault of the caller, not the data
        raise KrocrError(f"{p.sample.item}: read as {p.reading.layout!r}, but prepared again it has no such layout")
    return GalleryItem(image, p.sample.truth, p.reading.text, p.reading.raw, p.normalized_edit_distance, p.sample.item)


def evaluate(
    recognizer: Recognizer,
    data: str | Path,
    out: str | Path,
    split: str | None = None,
    train_stats: str | Path | None = None,
    limit: int | None = None,
    gallery: int = 24,
    progress: ProgressHook = SILENT,
) -> dict:
    """Evaluate a model on a dataset and write ``metrics.json``, ``predictions.csv`` and the
    gallery sheets into ``out``.

    Args:
        recognizer: the model that reads.
        data: a dataset directory, an LMDB crop cache or a ``path<TAB>text`` label file.
        out: output directory (created).
        split: the split of a dataset directory (default: test if present, else val).
        train_stats: training character counts for the rare/frequent breakdown.
        limit: evaluate only the first ``limit`` samples.
        gallery: crops per gallery sheet; 0 for none.
        progress: told the crops read as they are read.

    Returns:
        The metrics written to ``metrics.json`` (overall, by source, kind and length, ...).

    Example:
        >>> metrics = evaluate(Recognizer("ko"), "data/heldout_ko", "runs/eval")  # doctest: +SKIP
        >>> metrics["overall"]["word_accuracy"]  # doctest: +SKIP
    """
    out = Path(out)
    eval_set = open_eval_set(data, split)
    reference = load_char_counts(train_stats) if train_stats else None
    evaluation = predict(recognizer, eval_set, limit, progress)
    metrics = {
        "settings": _settings(recognizer, eval_set, limit),
        **summarize(evaluation, recognizer.charset, reference, str(train_stats or "")),
        "notes": eval_set.notes,  # e.g. a label file decoded as CP949
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_predictions(evaluation.predictions, out / "predictions.csv")
    if gallery > 0:
        write_gallery(recognizer, eval_set, evaluation.predictions, out, gallery)
    return metrics


def _settings(recognizer: Recognizer, eval_set: EvalSet, limit: int | None) -> dict:
    return {**recognizer_settings(recognizer), "data": eval_set.description, **run_stamp(limit)}


def recognizer_settings(recognizer: Recognizer) -> dict:
    """How ``recognizer`` reads, for a metrics file: weights, decoding, engine, threshold."""
    return {
        "weights": str(recognizer.weights),
        "decoder": recognizer.decoder,
        "beam_width": recognizer.beam_width if recognizer.decoder == "beam" else None,
        "language_model": None if recognizer.fusion is None else str(recognizer.language_model_file or "(in memory)"),
        "lm_weight": None if recognizer.fusion is None else recognizer.fusion.weight,
        "lm_bonus": None if recognizer.fusion is None else recognizer.fusion.bonus,
        "lm_scope": None if recognizer.fusion is None else recognizer.fusion.scope,
        "width_mode": recognizer.preprocess.width_mode,
        "stretch_condensed": recognizer.stretch_condensed,
        "engine": recognizer.engine,
        "precision": recognizer.precision,
        "device": str(recognizer.device),
        "batch_size": recognizer.batch_size,
        "min_confidence": recognizer.min_confidence,
    }


def run_stamp(limit: int | None) -> dict:
    """The sample limit, the date and the krocr version of an evaluation."""
    return {"limit": limit, "date": dt.datetime.now().isoformat(timespec="seconds"), "krocr": __version__}
