"""``krocr synth``: render synthetic word crops (or whole scenes) into a dataset directory
(:func:`krocr.synth.generate.generate`) and print what was written."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from krocr.commands.bars import ProgressBar
from krocr.data.store import DEFAULT_HEIGHT, DEFAULT_MAX_WIDTH
from krocr.errors import ConfigError, repeated
from krocr.synth.backgrounds import PAPER_MANIFEST, PHOTO_MANIFEST
from krocr.synth.generate import LEVERS, SynthOptions, generate
from krocr.synth.render import CHANCES, RenderConfig
from krocr.synth.scenes import DEFAULT_KIND_SHARES, SCENE_KINDS, SceneConfig
from krocr.synth.text import TextConfig


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "examples:\n"
        "  krocr synth --lang en --count 200000 --seed 0 --out data/synth-en --val-fraction 0.02\n"
        "  krocr synth --lang ko --count 100000 --seed 1 --out data/synth-ko\n"
        "  krocr synth --lang ko --count 2000 --seed 2 --out data/synth-ko-heldout --fonts heldout --split test\n"
        "  krocr synth --lang ko --count 100 --out data/scenes --scenes\n"
        "  krocr synth --lang ko --count 5000 --out data/det --scenes --scene-size 640x640 "
        "--scene-kinds signs=2,document=1\n"
        "  krocr synth --lang ko --count 60000 --seed 50 --out data/lever_fonts --without text,looks\n"
        "  krocr synth --lang ko --count 200000 --seed 90 --out data/synth_ko90 --height 64 --chance small_text=0.3\n"
        "  krocr synth --lang ko --count 2000 --out data/faq-heldout --texts faq.txt --fonts heldout --split test"
    )
    parser.add_argument("--lang", choices=("en", "ko"), default="ko", help="English pretraining or Korean signboards")
    parser.add_argument("--count", type=int, required=True, help="samples to render (scenes with --scenes)")
    parser.add_argument("--seed", type=int, default=0, help="same seed and options give identical output")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="dataset directory to write")
    parser.add_argument(
        "--scenes",
        action="store_true",
        help="whole scene images + ICDAR 2015 ground truth under DIR/scenes instead of crops",
    )
    parser.add_argument(
        "--scene-kinds",
        type=_scene_kinds,
        default=None,
        metavar="KIND=SHARE,...",
        help=f"with --scenes: shares of the scene kinds ({', '.join(SCENE_KINDS)}); kinds left out get 0 "
        f"(default {','.join(f'{k}={v:g}' for k, v in DEFAULT_KIND_SHARES)})",
    )
    parser.add_argument(
        "--scene-size",
        type=_scene_size,
        default=SceneConfig.size,
        metavar="WxH",
        help="with --scenes: image width x height in pixels (default 640x480)",
    )
    parser.add_argument(
        "--fonts",
        choices=("train", "heldout"),
        default="train",
        help="training fonts, or the held-out fonts (for evaluation only)",
    )
    parser.add_argument(
        "--height",
        type=int,
        choices=(32, 48, 64),
        default=DEFAULT_HEIGHT,
        help=f"crop height stored (default {DEFAULT_HEIGHT}); a model of another input height resizes in its loader",
    )
    parser.add_argument("--split", default="train", metavar="NAME", help="writes DIR/NAME.lmdb (default train)")
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.0,
        metavar="F",
        help="also write DIR/val.lmdb with this fraction of the samples",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: all cores)")
    parser.add_argument(
        "--charset",
        default="",
        metavar="NAME",
        help="built-in charset or charset file (default alphabet87 for en, korean for ko)",
    )
    parser.add_argument(
        "--rare-share",
        type=float,
        default=TextConfig.rare_share,
        help="share of pseudo-words of the least-seen syllables (ko)",
    )
    parser.add_argument(
        "--long-share", type=float, default=TextConfig.long_share, help="share of 20–40 character lines"
    )
    parser.add_argument(
        "--no-degradation",
        action="store_true",
        help="no blur, low resolution, noise or JPEG: with the same seed, the clean twins of the "
        "crops (same texts, fonts and layout), to measure what image quality costs",
    )
    parser.add_argument(
        "--design-weight",
        action="append",
        default=[],
        metavar="DESIGN=W",
        type=_design_weight,
        help="multiply the share of a font design (repeatable), e.g. 'Nanum Pen Script=3'",
    )
    parser.add_argument(
        "--chance",
        action="append",
        default=[],
        metavar="NAME=P",
        type=_chance,
        help=f"set the per-crop probability of a look or a degradation (repeatable; {', '.join(CHANCES)}), "
        "e.g. 'small_text=0.3'",
    )
    parser.add_argument(
        "--without",
        type=_levers,
        default=(),
        metavar="LEVER[,LEVER...]",
        help=f"switch off issue 27's levers ({', '.join(LEVERS)}): render with the fonts, text or looks "
        "from before them, everything else alike, to measure each (docs/synth.md)",
    )
    parser.add_argument(
        "--texts",
        type=Path,
        metavar="FILE",
        help="render these texts (a UTF-8 file, one per line, each once in a seeded order before any "
        "repeats) instead of the text stream; lines outside the charset, over 40 characters or that no font "
        "draws are left out and counted (with --val-fraction a repeated line may land in both splits)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace LMDBs that already exist")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _design_weight(text: str) -> tuple[str, float]:
    design, value = _name_and_number(text)
    if not design or not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected DESIGN=W with a number W > 0, got {text!r}")
    return design, value


def _chance(text: str) -> tuple[str, float]:
    """NAME=P; RenderConfig.with_chances checks the name and range, for library callers too."""
    name, value = _name_and_number(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected NAME=P with a number P, got {text!r}")
    return name.strip(), value


def _name_and_number(text: str) -> tuple[str, float]:
    """NAME=NUMBER split at the last ``=`` (a design's name may hold one); NaN where there is
    no ``=`` or no number after it."""
    name, sep, number = text.rpartition("=")
    try:
        return name, float(number) if sep else math.nan
    except ValueError:
        return name, math.nan


def _levers(text: str) -> tuple[str, ...]:
    """The comma-separated levers; SynthOptions checks their names, for library callers too."""
    return tuple(part.strip() for part in text.split(","))


def _scene_kinds(text: str) -> tuple[tuple[str, float], ...]:
    shares = []
    for part in text.split(","):
        kind, sep, share = part.strip().partition("=")
        try:
            value = float(share) if sep else 1.0
        except ValueError:
            value = math.nan
        if kind not in SCENE_KINDS or not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(
                f"expected KIND=SHARE,... with KIND in {', '.join(SCENE_KINDS)} and SHARE >= 0, got {part!r}"
            )
        shares.append((kind, value))
    if len({k for k, _ in shares}) != len(shares) or not sum(v for _, v in shares) > 0:
        raise argparse.ArgumentTypeError(f"each kind once and some share > 0, got {text!r}")
    return tuple(shares)


def _scene_size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()) or int(width) < 64 or int(height) < 64:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, each at least 64, e.g. 640x640, got {text!r}")
    return int(width), int(height)


def run(args: argparse.Namespace) -> int:
    if args.no_degradation and args.scenes:
        raise ConfigError("--no-degradation applies to crops: scenes are always blurred a little and saved as JPEG")
    if not args.scenes and (args.scene_kinds is not None or args.scene_size != SceneConfig.size):
        raise ConfigError("--scene-kinds and --scene-size apply to --scenes")
    if args.scenes and args.height != DEFAULT_HEIGHT:
        raise ConfigError("--height applies to crops: scenes keep their size (--scene-size)")
    if args.scenes and args.chance:
        raise ConfigError("--chance applies to crops: scenes draw no looks and degrade by their own settings")
    scene = SceneConfig(size=args.scene_size, kinds=args.scene_kinds or DEFAULT_KIND_SHARES)
    options = SynthOptions(
        out=args.out,
        lang=args.lang,
        count=args.count,
        seed=args.seed,
        fonts=args.fonts,
        split=args.split,
        val_fraction=args.val_fraction,
        workers=args.workers,
        charset=args.charset,
        scenes=args.scenes,
        overwrite=args.overwrite,
        text=TextConfig(lang=args.lang, rare_share=args.rare_share, long_share=args.long_share),
        render=_render_config(args),
        design_weights=tuple(args.design_weight),
        without=args.without,
        texts=args.texts,
        scene=scene,
        height=args.height,
        max_width=DEFAULT_MAX_WIDTH * args.height // 32,  # the same longest line at any height
    )
    with ProgressBar(enabled=not args.quiet) as bar:
        summary = generate(options, progress=bar)
    written = ", ".join(f"{n} {name}" for name, n in summary["counts"].items())
    coverage = summary["syllables"]
    seen = f"; syllables seen {coverage['seen']}/{coverage['target']}" if coverage.get("target") else ""
    print(f"wrote {written} to {options.out} ({summary['per_second']}/s){seen}")
    if options.scenes:
        print(_scene_line(summary["scenes"]))
    texts = summary["config"].get("texts")
    if texts:
        left_out = ", ".join(f"{n} {reason}" for reason, n in texts["left_out"].items()) or "none"
        print(f"texts: {texts['lines']:,} lines of {texts['path']} (left out: {left_out})")
    for skipped in summary["fonts"]["skipped"]:
        print(f"font not used: {skipped['path']}: {skipped['reason']}")
    missing_photos = summary.get("looks", {}).get("photo_missing", 0)
    if missing_photos:
        print(f"warning: {missing_photos} crops wanted a photo panel and got a texture: no background photos installed")
    return 0


def _render_config(args: argparse.Namespace) -> RenderConfig:
    render = RenderConfig().without_degradation() if args.no_degradation else RenderConfig()
    twice = repeated(name for name, _ in args.chance)
    if twice:
        raise ConfigError(f"--chance given twice for {', '.join(map(repr, twice))}")
    try:
        return render.with_chances(dict(args.chance))
    except ValueError as error:
        raise ConfigError(f"--chance: {error}") from error


def _scene_line(stats: dict) -> str:
    """Kinds and backgrounds of the scenes, with a warning for every fallback: photos or
    paper textures wanted and not installed, and each installed file that could not be read
    (named once)."""
    kinds = ", ".join(f"{n} {kind}" for kind, n in stats["kinds"].items())
    backgrounds, fallbacks = stats["backgrounds"], stats["fallbacks"]
    line = (
        f"scenes: {kinds} ({stats['night']} at night); "
        f"backgrounds: {backgrounds['photo']} photo, {backgrounds['procedural']} drawn; "
        f"{stats['illegible_words']} words ### (illegible)"
    )
    if stats["clipped_words"]:
        line += f", {stats['clipped_words']} of them cut by an edge"
    photos = " ".join(sorted(PHOTO_MANIFEST))
    if backgrounds["photo_fallback"]:
        line += (
            f"\nwarning: {backgrounds['photo_fallback']} scenes wanted a photo background and got a drawn one: "
            f"no photo installed (apt-get install {photos}, or make setup as root)"
        )
    if fallbacks["panel_fallback"]:
        line += (
            f"\nwarning: {fallbacks['panel_fallback']} photo sign panels were drawn as texture: "
            f"no photo installed (apt-get install {photos}, or make setup as root)"
        )
    if fallbacks["paper_fallback"]:
        line += (
            f"\nwarning: {fallbacks['paper_fallback']} document pages were drawn on plain paper: no paper texture "
            f"installed (apt-get install {' '.join(sorted(PAPER_MANIFEST))}, or make setup as root)"
        )
    for path, count in stats["unreadable_files"].items():
        line += f"\nwarning: cannot read {path} (installed, in the manifest): {count} fallbacks drawn instead"
    return line
