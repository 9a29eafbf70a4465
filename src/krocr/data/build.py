"""``krocr data``: annotations → validated word crops → train/val LMDB caches.

Import one or more sources, split each by photo, check every label and box, warp the
crops upright and write ``DIR/train.lmdb``, ``DIR/val.lmdb``, ``DIR/summary.json``,
``DIR/rejections.csv`` and ``DIR/preview.png``. ``krocr data preview`` draws a contact
sheet of an existing cache, optionally augmented.

A source is a group of options that starts with ``--format``; ``--annotations``,
``--images``, ``--source`` (its name) and ``--text-attribute`` belong to the latest
``--format``. Repeat the group to merge sources::

    krocr data --format via --annotations HighQuality.json --images imgs/ --source hq \\
               --format icdar2015 --annotations gt/ --images icdar_imgs/ --out data/ksign

The split happens before cropping (it is over photos, as in the reference), so crops
stream straight into their LMDB and memory stays flat however large the dataset.
"""

from __future__ import annotations

import argparse
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
from PIL import Image, ImageDraw
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from krocr.charset import OOV_POLICIES, Charset, OOVReport, resolve_charset
from krocr.data.augment import PRESETS, AugmentConfig, Augmenter, item_seed
from krocr.data.crops import CropConfig, validate_box, warp_crop
from krocr.data.images import read_image, read_image_bytes
from krocr.data.importers import (
    read_aihub,
    read_icdar2015,
    read_label_file,
    read_lmdb,
    read_via,
)
from krocr.data.records import CropRecord, ImageRecord, LabelRules, Word, check_label
from krocr.data.rejections import Issue, Reason, RejectionLog
from krocr.data.split import photos_per_source, split_by_photo, words_per_source
from krocr.data.store import DEFAULT_HEIGHT, DEFAULT_MAX_WIDTH, CacheReader, CacheWriter
from krocr.errors import ConfigError, DataError
from krocr.model.preprocess import to_gray
from krocr.synth.fonts import korean_font

FORMATS = ("via", "icdar2015", "aihub", "labels", "lmdb")
SPLITS = ("train", "val")
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
    crop: CropConfig = CropConfig()
    rules: LabelRules = LabelRules()
    height: int = DEFAULT_HEIGHT
    max_width: int = DEFAULT_MAX_WIDTH
    progress: bool = True


# ---- import -------------------------------------------------------------------------------
def import_source(spec: SourceSpec) -> tuple[list[Record], RejectionLog]:
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
        else:
            labelled.append((word, text))
    if not labelled:
        return
    try:
        image = read_image(record.path)
    except DataError as exc:
        log.add(record.path, "image", Reason.UNREADABLE_IMAGE, f"{_detail(exc, record.path)} ({len(labelled)} words lost)")
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
    name = f"{file} {record.item}" if record.image_bytes is not None else str(file)
    try:
        if record.image_bytes is not None:
            image = read_image_bytes(record.image_bytes, name)
        else:
            image = read_image(file)
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
    return to_gray(warp_crop(image, ordered, options.height))


# ---- the whole build ------------------------------------------------------------------------
def build(sources: Sequence[SourceSpec], out: str | Path, options: BuildOptions = BuildOptions(),
          console: Console | None = None) -> dict:
    """Import, split, crop and cache every source into ``out``; returns the summary.

    Raises DataError (after writing summary.json and rejections.csv) if no crop survives.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    console = console or Console(stderr=True, markup=False, emoji=False)
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
    kept = _write_caches(out, {"train": train, "val": val}, options, logs, report, console)
    everything = RejectionLog.merged(logs.values())
    everything.write_csv(out / "rejections.csv")
    summary = _summary(inputs, imported, {"train": train, "val": val}, kept, logs, everything, report, options)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if summary["crops"]["total"] == 0:
        raise DataError(f"no usable samples from {len(sources)} source(s); see {out / 'rejections.csv'}\n"
                        + everything.render_text())
    if summary["crops"]["train"]:
        write_preview(out / "train.lmdb", out / "preview.png")
    _print_report(summary, everything, console)
    return summary


def _write_caches(out: Path, splits: dict[str, list[Record]], options: BuildOptions,
                  logs: dict[str, RejectionLog], report: OOVReport, console: Console) -> dict[str, dict[str, int]]:
    """Crops written per split and source."""
    kept: dict[str, dict[str, int]] = {split: {} for split in splits}
    total = sum(len(r.words) if isinstance(r, ImageRecord) else 1 for rs in splits.values() for r in rs)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not options.progress) as progress:
        task = progress.add_task("cropping words", total=total)
        for split, records in splits.items():
            meta = {"split": split, "fraction": options.fraction, "seed": options.seed}
            with CacheWriter(out / f"{split}.lmdb", height=options.height, max_width=options.max_width,
                             overwrite=True, meta=meta) as writer:
                for record in records:
                    log = logs.setdefault(record.source, RejectionLog())
                    for gray, text in record_crops(record, options, log, report):
                        writer.add(gray, text, record.source)
                        kept[split][record.source] = kept[split].get(record.source, 0) + 1
                    progress.advance(task, len(record.words) if isinstance(record, ImageRecord) else 1)
    return kept


def _summary(inputs: dict[str, list[dict]], imported: list[Record], splits: dict[str, list[Record]],
             kept: dict[str, dict[str, int]], logs: dict[str, RejectionLog], everything: RejectionLog,
             report: OOVReport, options: BuildOptions) -> dict:
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
        "split": {"fraction": options.fraction, "seed": options.seed, "by": "photo, per source",
                  **{split: {"photos": sum(photos_per_source(records).values()),
                             "photos_by_source": photos_per_source(records)} for split, records in splits.items()}},
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


def _print_report(summary: dict, rejections: RejectionLog, console: Console) -> None:
    table = Table(title="Crops written")
    for column in ("source", "photos", "words", *SPLITS, "rejected"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for name, info in summary["sources"].items():
        rejected = sum(info["rejections"].values())
        table.add_row(Text(name), str(info["photos"]), str(info["words"]), *(str(info[s]) for s in SPLITS), str(rejected))
    console.print(table)
    if len(rejections):
        console.print(rejections.table())
    for message in rejections.notes:
        console.print(Text.assemble(("note:", "yellow"), f" {message}"))
    if summary["crops"]["val"] == 0:
        console.print(Text.assemble(("note:", "yellow"), " the validation split is empty"))


# ---- preview --------------------------------------------------------------------------------
@functools.cache
def write_preview(lmdb_path: str | Path, out: str | Path, count: int = 48, augment: AugmentConfig | None = None,
                  seed: int = 0, columns: int = 3) -> Path:
    """A contact sheet of ``count`` random samples: each crop (and its augmented version
    when ``augment`` is given) with its label and source."""
    reader = CacheReader(lmdb_path)
    if len(reader) == 0:
        raise DataError(f"{lmdb_path}: no samples to preview")
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(len(reader), size=min(count, len(reader)), replace=False))
    augmenter = Augmenter(augment) if augment else None
    font, small = korean_font(18), korean_font(12)
    scale_h, cell_w, pad = 48, 360, 8
    rows_per_cell = 2 if augmenter else 1
    cell_h = pad + rows_per_cell * (scale_h + 4) + 22 + 16
    rows = -(-len(picks) // columns)
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for n, index in enumerate(picks):
        gray, label, source = reader[int(index)]
        x, y = (n % columns) * cell_w + pad, (n // columns) * cell_h + pad
        images = [gray] + ([augmenter(gray, item_seed(seed, int(index)))] if augmenter else [])
        for image in images:
            sheet.paste(_fit(image, scale_h, cell_w - 2 * pad), (x, y))
            y += scale_h + 4
        draw.text((x, y), label, fill="black", font=font)
        draw.text((x, y + 22), f"{source} #{int(index) + 1}", fill=(120, 120, 120), font=small)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def _fit(gray: np.ndarray, height: int, max_width: int) -> Image.Image:
    image = Image.fromarray(gray)
    width = max(1, round(image.width * height / image.height))
    if width > max_width:  # squeeze, as training does, rather than cut the label's end off
        width = max_width
    return image.resize((width, height), Image.Resampling.BILINEAR)


# ---- command line ---------------------------------------------------------------------------
class _StartSource(argparse.Action):
    """``--format`` opens a new source group."""

    def __call__(self, parser, namespace, value, option_string=None):
        groups = list(getattr(namespace, "sources", []) or [])
        groups.append({"format": value})
        namespace.sources = groups


class _SourceOption(argparse.Action):
    """Options that belong to the latest ``--format``."""

    def __call__(self, parser, namespace, value, option_string=None):
        groups = getattr(namespace, "sources", None)
        if not groups:
            parser.error(f"{option_string} must come after the --format of its source")
        if self.dest in groups[-1]:
            parser.error(f"{option_string} given twice for source {len(groups)} (start a new one with --format)")
        groups[-1][self.dest] = value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Build train/val crop caches from annotated photos or crop datasets.\n"
        "A source starts with --format; --annotations, --images, --source and --text-attribute\n"
        "apply to the latest --format. Repeat the group to merge several sources."
    )
    parser.epilog = (
        "examples:\n"
        "  krocr data --format via --annotations HighQuality.json --images photos/ --out data/ksign\n"
        "  krocr data --format icdar2015 --annotations gt/ --images imgs/ --source icdar \\\n"
        "             --format labels --annotations crops/labels.txt --source crops --out data/mixed\n"
        "  krocr data preview data/ksign --out sheet.png --augment"
    )
    parser.set_defaults(sources=[], action=None)
    source = parser.add_argument_group("source (repeatable group)")
    source.add_argument("--format", choices=FORMATS, action=_StartSource, default=argparse.SUPPRESS,
                        help="annotation format; starts a new source")
    source.add_argument("--annotations", type=Path, action=_SourceOption, default=argparse.SUPPRESS, metavar="PATH",
                        help="annotation file or directory (label file for labels, LMDB directory for lmdb)")
    source.add_argument("--images", type=Path, action=_SourceOption, default=argparse.SUPPRESS, metavar="DIR",
                        help="image directory (default: next to the annotations; root of label-file paths)")
    source.add_argument("--source", action=_SourceOption, default=argparse.SUPPRESS, metavar="NAME",
                        dest="name", help="source name in summaries (default: the annotation file's stem)")
    source.add_argument("--text-attribute", action=_SourceOption, default=argparse.SUPPRESS, metavar="NAME",
                        help="VIA region attribute holding the text (default annotation_kr)")
    output = parser.add_argument_group("output")
    output.add_argument("--out", type=Path, metavar="DIR", help="dataset directory to write")
    output.add_argument("--split", type=float, default=0.8, help="fraction of each source's photos for training")
    output.add_argument("--seed", type=int, default=0, help="split seed (0 reproduces the reference split)")
    output.add_argument("--height", type=int, default=DEFAULT_HEIGHT, help="crop height stored in the cache")
    output.add_argument("--max-width", type=int, default=DEFAULT_MAX_WIDTH, help="wider crops are squeezed to this")
    checks = parser.add_argument_group("checks")
    checks.add_argument("--vertical", choices=("rotate", "reject"), default="rotate",
                        help="multi-character boxes taller than wide: turn 90° counter-clockwise, or drop")
    checks.add_argument("--outside", choices=("clip", "reject"), default="clip",
                        help="boxes partly outside the image: clip them, or drop")
    checks.add_argument("--charset", default="korean",
                        help="built-in charset name or charset file; 'none' accepts any character")
    checks.add_argument("--oov", choices=OOV_POLICIES, default="reject",
                        help="labels with out-of-charset characters: drop the sample, drop the characters, "
                             "or replace them with the unknown token")
    checks.add_argument("--max-length", type=int, default=62, help="longest label in tokens")
    checks.add_argument("--quiet", action="store_true", help="no progress bar")
    sub = parser.add_subparsers(dest="action", metavar="{preview}")
    preview = sub.add_parser("preview", help="contact sheet of a cache's samples",
                             description="Draw a contact sheet of random samples of a dataset directory or LMDB.")
    preview.add_argument("input", type=Path, metavar="DIR_or_LMDB")
    preview.add_argument("--out", type=Path, required=True, metavar="PNG")
    preview.add_argument("--split", default="train", help="which LMDB of a dataset directory (default train)")
    preview.add_argument("--augment", nargs="?", const="default", default=None, choices=sorted(PRESETS),
                         metavar="PRESET", help="show each crop augmented too (preset, default 'default')")
    preview.add_argument("--count", type=int, default=48)
    preview.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    if args.action == "preview":
        return _run_preview(args)
    if not args.sources:
        raise ConfigError("give at least one source: --format FORMAT --annotations PATH [--images DIR]")
    if args.out is None:
        raise ConfigError("--out DIR is required")
    specs = [_source_spec(group, number) for number, group in enumerate(args.sources, 1)]
    options = BuildOptions(
        fraction=args.split,
        seed=args.seed,
        crop=CropConfig(vertical=args.vertical, outside=args.outside),
        rules=LabelRules(_charset(args.charset, args.oov), args.oov, args.max_length),
        height=args.height,
        max_width=args.max_width,
        progress=not args.quiet,
    )
    if not 0.0 <= options.fraction <= 1.0:
        raise ConfigError(f"--split must be between 0 and 1, got {options.fraction}")
    summary = build(specs, args.out, options)
    print(f"wrote {summary['crops']['train']} train and {summary['crops']['val']} val crops to {args.out}")
    return 0


def _source_spec(group: dict[str, Any], number: int) -> SourceSpec:
    if "annotations" not in group:
        raise ConfigError(f"source {number} (--format {group['format']}) has no --annotations")
    return SourceSpec(**group)


def _charset(spec: str, oov: str) -> Charset | None:
    if spec == "none":
        return None
    charset = resolve_charset(spec)
    return Charset(charset.symbols, unknown=True, tokenizer=charset.tokenizer) if oov == "unknown" else charset


def _run_preview(args: argparse.Namespace) -> int:
    path = args.input / f"{args.split}.lmdb" if (args.input / f"{args.split}.lmdb").is_dir() else args.input
    augment = AugmentConfig.preset(args.augment) if args.augment else None
    out = write_preview(path, args.out, args.count, augment, args.seed)
    print(f"wrote {out}")
    return 0
