"""Annotations → validated word crops → train/val LMDB caches (the library side of ``krocr data``).

:func:`build` imports one or more sources (:class:`SourceSpec`), splits each by photo,
checks every label and box, warps the crops upright and writes ``DIR/train.lmdb``,
``DIR/val.lmdb``, ``DIR/summary.json``, ``DIR/rejections.csv`` and ``DIR/preview.png``;
it returns the summary and the rejections (:class:`BuildResult`) and prints nothing.

The split happens before cropping (it is over photos, as in the reference), so crops
stream straight into their LMDB and memory stays flat however large the dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from krocr.charset import OOVReport
from krocr.data.crops import CropConfig, validate_box, warp_crop
from krocr.data.images import read_image, read_image_bytes
from krocr.data.importers import (
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
from krocr.data.store import DEFAULT_HEIGHT, DEFAULT_MAX_WIDTH, CacheWriter
from krocr.errors import ConfigError, DataError
from krocr.model.preprocess import to_gray
from krocr.progress import SILENT, ProgressHook

FORMATS = ("via", "icdar2015", "aihub", "labels", "lmdb")
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
            record.path, "image", Reason.UNREADABLE_IMAGE, f"{_detail(exc, record.path)} ({len(labelled)} words lost)"
        )
        return
    for word, text in labelled:
        crop = _warped(image, word.points, text, options)
        if isinstance(crop, Issue):
            log.add_issue(annotation, word.region, crop)
        else:
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
    ordered, issue = validate_box(points, (width, height), options.crop, chars=options.rules.length(text))
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

    Raises DataError (after writing summary.json and rejections.csv) if no crop survives.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    imported: list[Record] = []
    logs: dict[str, RejectionLog] = {}
    inputs: dict[str, list[dict]] = {}
    for spec in sources:
        records, log = import_source(spec)
        imported += records
        # an LMDB's samples keep their stored sources: list the input under each of them
        names = list(dict.fromkeys(r.source for r in records)) or [spec.name or Path(spec.annotations).stem]
        logs.setdefault(names[0], RejectionLog()).extend(log)
        for name in names:
            inputs.setdefault(name, []).append(
                {"format": spec.format, "annotations": str(spec.annotations), "images": str(spec.images or "")}
            )
    train, val = split_by_photo(imported, options.fraction, options.seed)
    report = OOVReport()
    kept = _write_caches(out, {"train": train, "val": val}, options, logs, report, progress)
    everything = RejectionLog.merged(logs.values())
    everything.write_csv(out / "rejections.csv")
    summary = _summary(inputs, imported, {"train": train, "val": val}, kept, logs, everything, report, options)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if summary["crops"]["total"] == 0:
        raise DataError(
            f"no usable samples from {len(sources)} source(s); see {out / 'rejections.csv'}\n"
            + everything.render_text()
        )
    if summary["crops"]["train"]:
        write_preview(out / "train.lmdb", out / "preview.png")
    return BuildResult(summary, everything)


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
    imported: list[Record],
    splits: dict[str, list[Record]],
    kept: dict[str, dict[str, int]],
    logs: dict[str, RejectionLog],
    everything: RejectionLog,
    report: OOVReport,
    options: BuildOptions,
) -> dict:
    words, photos = words_per_source(imported), photos_per_source(imported)
    sources = {
        name: {
            "inputs": inputs.get(name, []),
            "photos": photos.get(name, 0),
            "words": words.get(name, 0),
            **{split: kept[split].get(name, 0) for split in splits},
            "rejections": logs[name].counts_by_reason() if name in logs else {},
        }
        for name in dict.fromkeys([*inputs, *logs])
    }
    crops = {split: sum(kept[split].values()) for split in splits}
    rules = options.rules
    return {
        "format": "krocr-data-summary/1",
        "crops": {**crops, "total": sum(crops.values())},
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
