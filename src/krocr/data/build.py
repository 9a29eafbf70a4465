"""Annotations → validated word crops → train/val LMDB caches (the library side of ``krocr data``).

:func:`build` imports one or more sources (:class:`SourceSpec`), splits each by photo,
checks every label and box, warps the crops upright and writes ``DIR/train.lmdb``,
``DIR/val.lmdb``, ``DIR/summary.json``, ``DIR/rejections.csv`` and ``DIR/preview.png``;
it returns the summary and the rejections (:class:`BuildResult`) and prints nothing.

The split happens before cropping (it is over photos, as in the reference), so crops
stream straight into their LMDB and memory stays flat however large the dataset.

Every annotated word is accounted for: ``summary.json`` counts the words found in the
annotations (those the importers rejected too: a malformed line, every word of a missing
photo), and for each source and in all ``words = train + val + rejected``, where
``rejected`` counts the words the rejections drop (``rejected_by_reason``; ``rejections``
counts the rejections themselves).

The output is written into a staging directory inside ``DIR`` and moved into place when it
is complete: a directory that already holds a dataset is refused unless
``BuildOptions.overwrite``, and a build that fails leaves ``DIR`` as it was (removing
``DIR`` itself, and parents, if it created them and they are empty).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from krocr.charset import OOVReport
from krocr.data.crops import CropConfig, outside_by, validate_box, warp_crop, word_quad
from krocr.data.eval_sets import evaluation_only_root
from krocr.data.images import read_image, read_image_bytes
from krocr.data.importers import (
    drop_repeats,
    read_aihub,
    read_icdar2015,
    read_label_file,
    read_lmdb,
    read_via,
)
from krocr.data.preview import write_preview
from krocr.data.records import CropRecord, ImageRecord, LabelRules, Word, check_label
from krocr.data.rejections import Issue, Reason, RejectionLog
from krocr.data.split import photos_per_source, split_by_photo, words_per_source
from krocr.data.store import DEFAULT_HEIGHT, DEFAULT_MAX_WIDTH, CacheWriter, release
from krocr.errors import ConfigError, DataError
from krocr.model.preprocess import to_gray
from krocr.progress import SILENT, ProgressHook

FORMATS = ("via", "icdar2015", "aihub", "labels", "lmdb")
CACHES = ("train.lmdb", "val.lmdb")  # a directory holding either holds a dataset
DATASET_FILES = (*CACHES, "summary.json", "rejections.csv", "preview.png")  # what a build writes
REPORTS = ("summary.json", "rejections.csv")  # still written when nothing survives
Record = ImageRecord | CropRecord


@dataclass(frozen=True)
class SourceSpec:
    format: str
    annotations: Path
    images: Path | None = None
    name: str | None = None
    text_attribute: str = "annotation_kr"


@dataclass(frozen=True)
class BuildOptions:
    fraction: float = 0.8
    seed: int = 0
    crop: CropConfig = field(default_factory=CropConfig)
    rules: LabelRules = field(default_factory=LabelRules)
    height: int = DEFAULT_HEIGHT
    max_width: int = DEFAULT_MAX_WIDTH
    overwrite: bool = False  # replace the dataset the output directory already holds


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` wrote: the contents of ``summary.json`` (crops per split and
    source, rejections per reason, the options) and every rejection with the notes."""

    summary: dict
    rejections: RejectionLog


# ---- import -------------------------------------------------------------------------------
def import_source(spec: SourceSpec) -> tuple[Sequence[Record], RejectionLog]:
    """Records of one source, by its format."""
    if spec.format == "via":
        return read_via(spec.annotations, spec.images, spec.text_attribute, spec.name)
    if spec.format == "icdar2015":
        return read_icdar2015(spec.annotations, spec.images, spec.name)
    if spec.format == "aihub":
        return read_aihub(spec.annotations, spec.images, spec.name)
    if spec.format == "labels":
        return read_label_file(spec.annotations, spec.images, spec.name)
    if spec.format == "lmdb":
        return read_lmdb(spec.annotations, spec.name)
    raise ConfigError(f"unknown format {spec.format!r}; use one of {FORMATS}")


# ---- crops --------------------------------------------------------------------------------
def record_crops(
    record: Record, options: BuildOptions, log: RejectionLog, report: OOVReport
) -> Iterator[tuple[np.ndarray, str]]:
    """(gray crop at the cache height, label) for every usable word of a record; every
    unusable one is logged. Labels are checked first so that an image whose words are all
    unusable is never decoded."""
    if isinstance(record, CropRecord):
        yield from _crop_record_crops(record, options, log, report)
        return
    annotation = record.annotation or record.path
    labelled: list[tuple[Word, str]] = []
    for word in record.words:
        if word.illegible:
            log.add(annotation, word.region, Reason.ILLEGIBLE, f"transcription {word.text!r}")
            continue
        text, issue = check_label(word.text, options.rules, report)
        if issue:
            log.add_issue(annotation, word.region, issue)
            continue
        assert text is not None  # check_label returns a label exactly when it finds no issue
        labelled.append((word, text))
    if not labelled:
        return
    try:
        image = read_image(record.path)
    except DataError as exc:
        log.add(
            record.path,
            "image",
            Reason.UNREADABLE_IMAGE,
            f"{_detail(exc, record.path)} ({len(labelled)} words lost)",
            words=len(labelled),
        )
        return
    image_size = (image.shape[1], image.shape[0])
    for word, text in labelled:
        crop = _warped(image, word.points, text, options)
        if isinstance(crop, Issue):
            log.add_issue(annotation, word.region, crop)
            continue
        if (outside := outside_by(word_quad(word.points), image_size)) > options.crop.edge_tolerance:
            log.add_clipped(annotation, word.region, outside)  # kept (--outside clip), but said
        yield crop, text


def _crop_record_crops(
    record: CropRecord, options: BuildOptions, log: RejectionLog, report: OOVReport
) -> Iterator[tuple[np.ndarray, str]]:
    file = record.path or record.source

    def reject(issue: Issue) -> None:
        if record.annotation:  # a line of a label file: logged under that file, the detail names the image
            log.add(record.annotation, record.item, issue.reason, f"{file}: {issue.detail}")
        else:
            log.add_issue(file, record.item, issue)

    text, issue = check_label(record.text, options.rules, report)
    if issue:
        reject(issue)
        return
    assert text is not None  # check_label returns a label exactly when it finds no issue
    name = f"{file} {record.item}" if record.image_bytes is not None else str(file)
    try:
        image = read_image_bytes(record.image_bytes, name) if record.image_bytes is not None else read_image(file)
    except DataError as exc:
        reject(Issue(Reason.UNREADABLE_IMAGE, _detail(exc, name)))
        return
    height, width = image.shape[:2]
    # the whole crop as a box: the same size, aspect and vertical-text rules as photos
    crop = _warped(image, np.array([[0, 0], [width, 0], [width, height], [0, height]]), text, options)
    if isinstance(crop, Issue):
        reject(crop)
    else:
        yield crop, text


def _detail(exc: DataError, name: object) -> str:
    """The error message without the file name the rejection already shows."""
    return str(exc).removeprefix(f"{name}: ")


def _warped(image: np.ndarray, points: np.ndarray, text: str, options: BuildOptions) -> np.ndarray | Issue:
    """The gray crop of a box at the cache height, or why the box is unusable."""
    height, width = image.shape[:2]
    # characters, not the charset's tokens: a syllable is several tokens of a jamo charset
    ordered, issue = validate_box(points, (width, height), options.crop, chars=len(text))
    if issue:
        return issue
    assert ordered is not None  # validate_box returns corners exactly when it finds no issue
    return to_gray(warp_crop(image, ordered, options.height))


# ---- the whole build ------------------------------------------------------------------------
def build(
    sources: Sequence[SourceSpec],
    out: str | Path,
    options: BuildOptions = BuildOptions(),
    progress: ProgressHook = SILENT,
) -> BuildResult:
    """Import, split, crop and cache every source into ``out``; returns the summary and the
    rejections. ``progress`` hears of every word cropped.

    Raises DataError before reading anything if ``out`` already holds a dataset
    (``train.lmdb`` or ``val.lmdb``) and ``options.overwrite`` is false; with it, the new
    dataset's files replace the old ones once the new dataset is complete. A build that
    fails (a bad annotation file, an interruption) leaves ``out`` as it was.

    Raises DataError if no crop survives; ``summary.json`` and ``rejections.csv`` are then
    still written, unless ``out`` holds a dataset (that one is kept, and the message says so).
    """
    out = Path(out)
    _refuse_evaluation_only(sources)
    replacing = _check_output(out, options.overwrite)
    imported, logs, inputs, words = _import_sources(sources)
    created = _make_directory(out)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".krocr-data-", dir=out))
    except OSError as exc:
        _remove_created(out, created)
        raise DataError(f"{out}: cannot write here ({exc.strerror or exc})") from None
    try:
        summary, everything = _write_dataset(staging, imported, logs, inputs, words, options, progress)
        usable = summary["crops"]["total"] > 0
        if usable or not replacing:
            _publish(staging, out, DATASET_FILES if usable else REPORTS)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_created(out, created)
        raise
    shutil.rmtree(staging, ignore_errors=True)  # what was not published: the empty caches of a failed build
    if not usable:
        where = f"{out} is unchanged (its dataset was not replaced)" if replacing else f"see {out / 'rejections.csv'}"
        raise DataError(f"no usable samples from {len(sources)} source(s); {where}\n" + everything.render_text())
    return BuildResult(summary, everything)


def _refuse_evaluation_only(sources: Sequence[SourceSpec]) -> None:
    """Training data never comes from an evaluation-only set (the real evaluation set, or a
    folder with an EVALUATION_ONLY marker): raise DataError naming the source and the set."""
    for spec in sources:
        for path in (spec.annotations, spec.images):
            held_out = evaluation_only_root(path) if path is not None else None
            if held_out is not None:
                raise DataError(
                    f"{path} is inside {held_out}, an evaluation-only set: it measures models and never "
                    "becomes training data (read it with `krocr eval` instead)"
                )


def _import_sources(
    sources: Sequence[SourceSpec],
) -> tuple[list[Record], dict[str, RejectionLog], dict[str, list[dict]], dict[str, int]]:
    """Records of every source (each crop or box listed once), the rejections per source
    name, the inputs per source name, and the words found per source name: in the records,
    plus those the importers rejected."""
    imported: list[Record] = []
    logs: dict[str, RejectionLog] = {}
    inputs: dict[str, list[dict]] = {}
    rejected: dict[str, int] = {}
    for spec in sources:
        records, log = import_source(spec)
        imported += records
        # an LMDB's samples keep their stored sources: list the input under each of them
        names = list(dict.fromkeys(r.source for r in records)) or [spec.name or Path(spec.annotations).stem]
        logs.setdefault(names[0], RejectionLog()).extend(log)
        rejected[names[0]] = rejected.get(names[0], 0) + log.words()
        for name in names:
            inputs.setdefault(name, []).append(
                {"format": spec.format, "annotations": str(spec.annotations), "images": str(spec.images or "")}
            )
    found = words_per_source(imported)
    words = {name: found.get(name, 0) + rejected.get(name, 0) for name in dict.fromkeys([*found, *rejected])}
    # one crop or box listed again: with another label in any source, or with the same one in one source
    kept = drop_repeats(imported, lambda record: logs.setdefault(record.source, RejectionLog()))
    return kept, logs, inputs, words


def _write_dataset(
    out: Path,
    imported: list[Record],
    logs: dict[str, RejectionLog],
    inputs: dict[str, list[dict]],
    words: dict[str, int],
    options: BuildOptions,
    progress: ProgressHook,
) -> tuple[dict, RejectionLog]:
    """Every file of the dataset into ``out`` (a fresh directory); the summary and all rejections."""
    train, val = split_by_photo(imported, options.fraction, options.seed)
    report = OOVReport()
    kept = _write_caches(out, {"train": train, "val": val}, options, logs, report, progress)
    everything = RejectionLog.merged(logs.values())
    everything.write_csv(out / "rejections.csv")
    summary = _summary(inputs, words, imported, {"train": train, "val": val}, kept, logs, everything, report, options)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if summary["crops"]["train"]:
        write_preview(out / "train.lmdb", out / "preview.png")
        release(out / "train.lmdb")  # the preview's read-only handle: the cache is about to move
    return summary, everything


# ---- the output directory -------------------------------------------------------------------
def _check_output(out: Path, overwrite: bool) -> bool:
    """Whether ``out`` holds a dataset that the build will replace; DataError if it holds
    one and ``overwrite`` is false, or holds something under a dataset file's name that is
    not what a build writes there (a build never deletes what it did not write)."""
    if _exists(out) and not out.is_dir():
        raise DataError(f"{out}: exists and is not a directory; choose another output directory")
    held = [name for name in CACHES if _exists(out / name)]
    if held and not overwrite:
        raise DataError(
            f"{out}: already holds a dataset ({', '.join(held)}); choose another output directory, "
            "or allow overwriting (krocr data --overwrite)"
        )
    for name in DATASET_FILES:
        path = out / name
        if path.is_symlink() or not path.exists():
            continue  # a link is replaced, never followed
        if name in CACHES and not (path.is_dir() and (path / "data.mdb").is_file()):
            raise DataError(f"{path}: exists and is not an LMDB directory; refusing to delete it")
        if name not in CACHES and not path.is_file():
            raise DataError(f"{path}: exists and is not a file; refusing to delete it")
    return bool(held)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _make_directory(out: Path) -> Path | None:
    """Create ``out`` (and its parents); the topmost directory this created, if any."""
    created = None
    for directory in (out, *out.parents):
        if _exists(directory):
            break
        created = directory
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{out}: cannot create the output directory ({exc.strerror or exc})") from None
    return created


def _remove_created(out: Path, created: Path | None) -> None:
    """Remove the directories :func:`_make_directory` created, from ``out`` up to ``created``,
    while they are empty (what someone else put there meanwhile stays)."""
    if created is None:
        return
    for directory in (out, *out.parents):
        try:
            directory.rmdir()
        except OSError:
            return
        if directory == created:
            return


def _publish(staging: Path, out: Path, names: Sequence[str]) -> None:
    """Move ``names`` from ``staging`` into ``out``; every dataset file already in ``out``
    goes first (checked by :func:`_check_output`), so no file of an older build is left."""
    for name in DATASET_FILES:
        old = out / name
        if old.is_symlink() or old.is_file():
            old.unlink()
        elif old.is_dir():
            shutil.rmtree(old)  # a handle still open on it keeps its old pages; a new one sees the new cache
    for name in names:
        if _exists(staging / name):
            (staging / name).rename(out / name)


def _write_caches(
    out: Path,
    splits: dict[str, list[Record]],
    options: BuildOptions,
    logs: dict[str, RejectionLog],
    report: OOVReport,
    progress: ProgressHook,
) -> dict[str, dict[str, int]]:
    """Crops written per split and source."""
    kept: dict[str, dict[str, int]] = {split: {} for split in splits}
    total = sum(len(r.words) if isinstance(r, ImageRecord) else 1 for rs in splits.values() for r in rs)
    progress.start("cropping words", total)
    for split, records in splits.items():
        meta = {"split": split, "fraction": options.fraction, "seed": options.seed}
        with CacheWriter(
            out / f"{split}.lmdb", height=options.height, max_width=options.max_width, overwrite=True, meta=meta
        ) as writer:
            for record in records:
                log = logs.setdefault(record.source, RejectionLog())
                for gray, text in record_crops(record, options, log, report):
                    writer.add(gray, text, record.source)
                    kept[split][record.source] = kept[split].get(record.source, 0) + 1
                progress.advance(len(record.words) if isinstance(record, ImageRecord) else 1)
    return kept


def _summary(
    inputs: dict[str, list[dict]],
    words: dict[str, int],
    imported: list[Record],
    splits: dict[str, list[Record]],
    kept: dict[str, dict[str, int]],
    logs: dict[str, RejectionLog],
    everything: RejectionLog,
    report: OOVReport,
    options: BuildOptions,
) -> dict:
    photos = photos_per_source(imported)
    empty = RejectionLog()
    sources = {
        name: {
            "inputs": inputs.get(name, []),
            "photos": photos.get(name, 0),
            "words": words.get(name, 0),  # = train + val + rejected
            **{split: kept[split].get(name, 0) for split in splits},
            "rejected": logs.get(name, empty).words(),
            "rejected_by_reason": logs.get(name, empty).words_by_reason(),
            "rejections": logs.get(name, empty).counts_by_reason(),
            "clipped": len(logs.get(name, empty).clipped),
        }
        for name in dict.fromkeys([*inputs, *logs])
    }
    crops = {split: sum(kept[split].values()) for split in splits}
    rules = options.rules
    return {
        "format": "krocr-data-summary/1",
        "words": sum(words.values()),  # = crops total + rejected
        "crops": {**crops, "total": sum(crops.values())},
        "rejected": everything.words(),
        "rejected_by_reason": everything.words_by_reason(),
        "split": {
            "fraction": options.fraction,
            "seed": options.seed,
            "by": "photo, per source",
            **{
                split: {
                    "photos": sum(photos_per_source(records).values()),
                    "photos_by_source": photos_per_source(records),
                }
                for split, records in splits.items()
            },
        },
        "sources": sources,
        "rejections": everything.counts_by_reason(),
        "rejected_total": len(everything),
        "clipped": len(everything.clipped),  # words kept with their box cut at the image's edge
        "clipped_boxes": everything.clipped,  # each as "file: item: by N px"
        "out_of_charset": report.summary(),
        "notes": everything.notes,
        "options": {
            "crop": options.crop.to_dict(),
            "charset_size": len(rules.charset) if rules.charset else None,
            "oov_policy": rules.oov_policy,
            "max_length": rules.max_length,
            "height": options.height,
            "max_width": options.max_width,
        },
    }
