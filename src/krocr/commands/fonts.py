"""``krocr fonts``: the Korean lettering krocr installs from npm
(:mod:`krocr.synth.font_packages`). ``krocr fonts install`` downloads the pinned packages with
``npm pack`` and keeps each font file whose sha256 is the manifest's; ``krocr fonts list`` prints
what is installed and what is missing (``--coverage``: how much of the Korean charset each
family draws). Opt-in: without them ``krocr synth`` uses the Debian fonts alone."""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from krocr.charset import korean_charset, ksx1001_hangul
from krocr.commands.bars import ProgressBar
from krocr.synth import font_packages
from krocr.synth.font_packages import FontPackage, InstalledFile
from krocr.synth.fonts import HELDOUT_DESIGNS, FontFace, FontPool, scan_fonts

MB = 1e6


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "examples:\n"
        "  krocr fonts install                  # every pinned package into ~/.cache/krocr/fonts/npm\n"
        "  krocr fonts install --family Gaegu --family galmuri\n"
        "  krocr fonts list --coverage\n"
        f"The fonts directory is --dir, else ${font_packages.FONTS_DIR_ENV}, else ~/.cache/krocr/fonts/npm;\n"
        f"krocr synth finds the fonts there (set ${font_packages.FONTS_DIR_ENV} if you install elsewhere)."
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = sub.add_parser("install", help="download the pinned npm font packages and verify each file")
    install.add_argument("--dir", type=Path, default=None, metavar="DIR", help="fonts directory")
    install.add_argument(
        "--family",
        action="append",
        default=[],
        metavar="NAME",
        help="only this family or package (repeatable; default: all)",
    )
    install.add_argument("--workers", type=int, default=4, help="downloads at once (default 4)")
    install.add_argument("--quiet", action="store_true", help="no progress bar")
    listing = sub.add_parser("list", help="what is installed, what is missing")
    listing.add_argument("--dir", type=Path, default=None, metavar="DIR", help="fonts directory")
    listing.add_argument(
        "--coverage",
        action="store_true",
        help="also how many KS X 1001 syllables and Korean charset symbols each family draws (cached)",
    )
    listing.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for --coverage")


def run(args: argparse.Namespace) -> int:
    return _install(args) if args.action == "install" else _list(args)


# ---- install ---------------------------------------------------------------------------------------
def _install(args: argparse.Namespace) -> int:
    packages = font_packages.select(font_packages.load_manifest(), args.family)
    with ProgressBar(enabled=not args.quiet) as bar:
        result = font_packages.install(args.dir, packages, progress=bar, workers=args.workers)
    for failure in result.failed:
        print(f"krocr fonts: {failure.package.spec}: not installed: {failure.reason}", file=sys.stderr)
    done = [r for r in result.packages if r.status == "installed"]
    present = [r for r in result.packages if r.status == "present"]
    faces = sum(len(r.package.files) for r in done)
    print(
        f"installed {len(done)} packages ({faces} faces, {result.downloaded_bytes / MB:.1f} MB downloaded, "
        f"{sum(f.bytes for r in done for f in r.package.files) / MB:.1f} MB of fonts) in {result.seconds:.1f} s"
        f"{f'; {len(present)} already installed' if present else ''}; fonts in {result.root}"
    )
    if result.failed:
        print(
            f"krocr fonts: {len(result.failed)} of {len(result.packages)} packages not installed; "
            "krocr synth keeps using the Debian fonts and the packages that are installed",
            file=sys.stderr,
        )
        return 1
    return 0


# ---- list ------------------------------------------------------------------------------------------
def _list(args: argparse.Namespace) -> int:
    root = font_packages.fonts_dir(args.dir)
    packages = font_packages.load_manifest()
    files = font_packages.installed_files(root, packages)
    by_package: dict[str, list[InstalledFile]] = defaultdict(list)
    for state in files:
        by_package[state.package.package].append(state)
    scan = scan_fonts(packages_dir=root)
    npm_faces = [face for face in scan.faces if face.package.startswith("npm:")]
    coverage = _coverage(npm_faces, args.workers) if args.coverage else {}

    console = Console(markup=False, emoji=False, width=None if sys.stdout.isatty() else 150)  # a log keeps rows whole
    table = Table(title=f"Korean lettering from npm in {root}")
    columns = ["family", "category", "package", "faces", "MB", "state"]
    if args.coverage:
        columns += ["KS X 1001", "charset"]
    for column in columns:
        table.add_column(column, justify="right" if column in ("faces", "MB", "KS X 1001", "charset") else "left")
    for package in packages:
        states = by_package[package.package]
        installed = [s for s in states if s.state == "installed"]
        row: list[str | Text] = [
            Text(package.family + (" (held out)" if package.family in HELDOUT_DESIGNS else "")),
            package.category,
            package.spec,
            f"{len(installed)}/{len(states)}",
            f"{sum(s.font.bytes for s in installed) / MB:.1f}",
            _state(states),
        ]
        if args.coverage:
            row += _coverage_cells(package, root, coverage)
        table.add_row(*row)
    console.print(table)
    for skipped in scan.skipped:
        console.print(Text(f"skipped {skipped.path}: {skipped.reason}"))
    installed_packages = sum(all(s.state == "installed" for s in by_package[p.package]) for p in packages)
    missing = sum(s.state != "installed" for s in files)
    total = sum(s.font.bytes for s in files if s.state == "installed")
    print(
        f"{installed_packages} of {len(packages)} families installed "
        f"({len(files) - missing} of {len(files)} faces, {total / MB:.1f} MB)"
        + (f"; `krocr fonts install` adds the {missing} missing faces" if missing else "")
    )
    return 0


def _state(states: list[InstalledFile]) -> str:
    kinds = {s.state for s in states}
    if kinds == {"installed"}:
        return "installed"
    if kinds == {"missing"}:
        return "missing"
    if "mismatch" in kinds:
        return f"sha256 mismatch ({sum(s.state == 'mismatch' for s in states)} files, not used)"
    return "partly installed"


def _coverage(faces: list[FontFace], workers: int) -> dict[str, tuple[int, int]]:
    """Per face path: (KS X 1001 syllables drawn, Korean charset symbols drawn)."""
    if not faces:
        return {}
    syllables, charset = set(ksx1001_hangul()), set(korean_charset().symbols)
    pool = FontPool.build(faces, "".join(sorted(syllables | charset)), workers=max(1, workers))
    return {face.path: (len(drawn & syllables), len(drawn & charset)) for face, drawn in zip(pool.faces, pool.drawable)}


def _coverage_cells(package: FontPackage, root: Path, coverage: dict[str, tuple[int, int]]) -> list[str]:
    """The fewest a face of the family draws (a face is drawn only for the texts it covers)."""
    found = [coverage[path] for path in (str(package.path(root, font)) for font in package.files) if path in coverage]
    if not found:
        return ["", ""]
    syllables, charset = min(c[0] for c in found), min(c[1] for c in found)
    return [f"{syllables}/{len(ksx1001_hangul())}", f"{charset}/{len(korean_charset().symbols)}"]
