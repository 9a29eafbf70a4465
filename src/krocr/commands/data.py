"""``krocr data``: build train/val crop caches from annotations (:func:`krocr.data.build.build`)
and print what was written and rejected; ``krocr data preview`` draws a contact sheet of an
existing cache, optionally augmented (:func:`krocr.data.preview.write_preview`).

A source is a group of options that starts with ``--format``; ``--annotations``,
``--images``, ``--source`` (its name) and ``--text-attribute`` belong to the latest
``--format``. Repeat the group to merge sources::

    krocr data --format via --annotations HighQuality.json --images imgs/ --source hq \\
               --format icdar2015 --annotations gt/ --images icdar_imgs/ --out data/ksign
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from krocr.charset import OOV_POLICIES, Charset, resolve_charset
from krocr.commands.bars import ProgressBar
from krocr.data.augment import PRESETS, AugmentConfig
from krocr.data.build import FORMATS, BuildOptions, BuildResult, SourceSpec, build
from krocr.data.crops import CropConfig
from krocr.data.preview import write_preview
from krocr.data.records import LabelRules
from krocr.data.store import DEFAULT_HEIGHT, DEFAULT_MAX_WIDTH
from krocr.errors import ConfigError

SPLITS = ("train", "val")


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
    source.add_argument(
        "--format",
        choices=FORMATS,
        action=_StartSource,
        default=argparse.SUPPRESS,
        help="annotation format; starts a new source",
    )
    source.add_argument(
        "--annotations",
        type=Path,
        action=_SourceOption,
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="annotation file or directory (label file for labels, LMDB directory for lmdb)",
    )
    source.add_argument(
        "--images",
        type=Path,
        action=_SourceOption,
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="image directory (default: next to the annotations; root of label-file paths)",
    )
    source.add_argument(
        "--source",
        action=_SourceOption,
        default=argparse.SUPPRESS,
        metavar="NAME",
        dest="name",
        help="source name in summaries (default: the annotation file's stem)",
    )
    source.add_argument(
        "--text-attribute",
        action=_SourceOption,
        default=argparse.SUPPRESS,
        metavar="NAME",
        help="VIA region attribute holding the text (default annotation_kr)",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--out", type=Path, metavar="DIR", help="dataset directory to write")
    output.add_argument("--split", type=float, default=0.8, help="fraction of each source's photos for training")
    output.add_argument("--seed", type=int, default=0, help="split seed (0 reproduces the reference split)")
    output.add_argument("--height", type=int, default=DEFAULT_HEIGHT, help="crop height stored in the cache")
    output.add_argument("--max-width", type=int, default=DEFAULT_MAX_WIDTH, help="wider crops are squeezed to this")
    output.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the dataset DIR already holds (refused otherwise); the old one stays if the build fails",
    )
    checks = parser.add_argument_group("checks")
    checks.add_argument(
        "--vertical",
        choices=("rotate", "reject"),
        default="rotate",
        help="multi-character boxes taller than wide: turn 90° counter-clockwise, or drop",
    )
    checks.add_argument(
        "--outside",
        choices=("clip", "reject"),
        default="clip",
        help="boxes partly outside the image: clip them, or drop",
    )
    checks.add_argument(
        "--charset", default="korean", help="built-in charset name or charset file; 'none' accepts any character"
    )
    checks.add_argument(
        "--oov",
        choices=OOV_POLICIES,
        default="reject",
        help="labels with out-of-charset characters: drop the sample, drop the characters, "
        "or replace them with the unknown token",
    )
    checks.add_argument("--max-length", type=int, default=62, help="longest label in tokens")
    checks.add_argument("--quiet", action="store_true", help="no progress bar")
    sub = parser.add_subparsers(dest="action", metavar="{preview}")
    preview = sub.add_parser(
        "preview",
        help="contact sheet of a cache's samples",
        description="Draw a contact sheet of random samples of a dataset directory or LMDB.",
    )
    preview.add_argument("input", type=Path, metavar="DIR_or_LMDB")
    preview.add_argument("--out", type=Path, required=True, metavar="PNG")
    preview.add_argument("--split", default="train", help="which LMDB of a dataset directory (default train)")
    preview.add_argument(
        "--augment",
        nargs="?",
        const="default",
        default=None,
        choices=sorted(PRESETS),
        metavar="PRESET",
        help="show each crop augmented too (preset, default 'default')",
    )
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
        overwrite=args.overwrite,
    )
    if not 0.0 <= options.fraction <= 1.0:
        raise ConfigError(f"--split must be between 0 and 1, got {options.fraction}")
    with ProgressBar(enabled=not args.quiet) as bar:
        result = build(specs, args.out, options, progress=bar)
    _print_report(result, Console(stderr=True, markup=False, emoji=False))
    crops = result.summary["crops"]
    print(f"wrote {crops['train']} train and {crops['val']} val crops to {args.out}")
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


def _print_report(result: BuildResult, console: Console) -> None:
    """What was written: per source, words = train + val + rejected (words, not rejections:
    a missing photo is one rejection that drops all of its words)."""
    table = Table(title="Crops written")
    for column in ("source", "photos", "words", *SPLITS, "rejected"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for name, info in result.summary["sources"].items():
        table.add_row(
            Text(name), str(info["photos"]), str(info["words"]), *(str(info[s]) for s in SPLITS), str(info["rejected"])
        )
    summary = result.summary
    if len(summary["sources"]) > 1:
        photos = sum(info["photos"] for info in summary["sources"].values())
        crops = (str(summary["crops"][s]) for s in SPLITS)
        table.add_section()
        table.add_row("total", str(photos), str(summary["words"]), *crops, str(summary["rejected"]))
    console.print(table)
    rejections = result.rejections
    if len(rejections):
        console.print(rejections.table())
    for message in rejections.notes:
        console.print(Text.assemble(("note:", "yellow"), f" {message}"))
    if rejections.clipped:
        clipped = (
            f" {len(rejections.clipped)} boxes partly outside their image were kept, cut at its edge "
            f"(first: {rejections.clipped[0]}; all in summary.json); --outside reject drops them instead"
        )
        console.print(Text.assemble(("note:", "yellow"), clipped))
    if result.summary["crops"]["val"] == 0:
        console.print(Text.assemble(("note:", "yellow"), " the validation split is empty"))


def _run_preview(args: argparse.Namespace) -> int:
    path = args.input / f"{args.split}.lmdb" if (args.input / f"{args.split}.lmdb").is_dir() else args.input
    augment = AugmentConfig.preset(args.augment) if args.augment else None
    out = write_preview(path, args.out, args.count, augment, args.seed)
    print(f"wrote {out}")
    return 0
