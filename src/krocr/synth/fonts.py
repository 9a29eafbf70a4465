"""Fonts for synthetic text: discovery, the train / held-out split, and glyph coverage.

Only fonts from the allowed packages are ever used (Debian fonts-nanum, fonts-nanum-extra,
fonts-noto-cjk, fonts-unfonts-core, fonts-baekmuk; for Latin fonts-dejavu, fonts-liberation
and, since 2026-12-02, fonts-urw-base35, fonts-open-sans, fonts-roboto-unhinted,
fonts-comic-neue, fonts-dancingscript; the pip package ``manimgx-fonts-cjk`` ships the same
Noto Sans CJK design; and, once ``krocr fonts install`` has put them in place, the pinned npm
packages of :mod:`krocr.synth.font_packages`, named ``npm:PACKAGE``).
Font files come from /usr/share/fonts, that pip package and the npm fonts directory; each face
of a ``.ttc`` is its own :class:`FontFace` (only the Korean faces of Noto CJK collections: the
JP/SC/TC/HK faces share their Hangul and Latin outlines). An npm font file is used only if its
sha256 is the manifest's. :func:`scan_fonts` also returns the files it skipped and why
(unreadable, truncated, a sha256 mismatch, a reserved family); the library prints nothing.

Held-out designs (:data:`HELDOUT_DESIGNS`) are never used for training, so a model can be
evaluated on lettering it has not seen; see docs/synth.md for why these.

A font *covers* a string only if every character is in its cmap **and** really draws:
NanumSquare / NanumSquareRound map all 11,172 syllables but draw 2,479, Baekmuk Dotum /
Headline map 11,172 but draw 2,350 (the rest are empty glyphs), and for characters
outside the cmap Pillow draws the .notdef box. :func:`drawable_chars` renders each
character and rejects empty glyphs and copies of the .notdef rendering; results are
cached per face in a JSON file under ~/.cache/krocr/glyphs keyed by what decides them
(:func:`coverage_key`): the sha256 of the font file's bytes, the face index, the version of
the drawable test, and the Pillow, FreeType and fontTools versions that read the cmap and
rasterise the glyphs. A font replaced at the same path, a new test or a new rasteriser
never reuses an old answer; the same font at two paths shares one entry.

Without fonts, :func:`missing_fonts_error` says which are missing, where they were looked
for, and how to install them.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import io
import json
import math
import os
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import fontTools
import numpy as np
import PIL
from fontTools.ttLib import TTCollection, TTFont
from PIL import ImageFont, features

from krocr.errors import ConfigError
from krocr.synth import font_packages
from krocr.synth.font_packages import ALLOWED_NPM_PACKAGES, RESERVED_FAMILIES, RESERVED_NPM_PACKAGES

FONT_ROOTS: tuple[Path, ...] = (Path("/usr/share/fonts"),)
FONT_SUFFIXES = frozenset({".ttf", ".otf", ".ttc"})
PIP_FONT_PACKAGE = "manimgx-fonts-cjk"
ALLOWED_PACKAGES: frozenset[str] = frozenset(
    {
        "fonts-nanum",
        "fonts-nanum-extra",
        "fonts-noto-cjk",
        "fonts-noto-cjk-extra",  # Thin … Black weights of the Noto CJK designs (issue 27)
        "fonts-unfonts-core",
        "fonts-baekmuk",
        "fonts-dejavu-core",
        "fonts-dejavu-extra",
        "fonts-liberation",
        "fonts-liberation2",
        f"pip:{PIP_FONT_PACKAGE}",
        # Latin lettering the faces above lack: geometric (single-storey a), condensed, old-style
        # serifs, casual and script hands
        "fonts-urw-base35",
        "fonts-open-sans",
        "fonts-roboto-unhinted",
        "fonts-comic-neue",
        "fonts-dancingscript",
    }
    # Korean lettering from npm, opt-in with `krocr fonts install` (issue 27)
    | {f"npm:{package}" for package in ALLOWED_NPM_PACKAGES}
)
# Reserved for evaluation (issue 27): never installed for training nor trained on. The Google copies
# of fonts-woowa-bm (Jua, Do Hyeon, Yeon Sung, Kirang Haerang) are also refused by family name.
RESERVED_PACKAGES: frozenset[str] = frozenset(
    {
        "fonts-woowa-bm",
        "fonts-alee",
        "fonts-unfonts-extra",
        "fonts-lexi-gulim",
        "fonts-lexi-saebom",
        "fonts-nanum-eco",
        "fonts-naver-d2coding",
    }
    | {f"npm:{package}" for package in RESERVED_NPM_PACKAGES}
)
# What issue 27 added to the training pool: the npm families and the Thin … Black weights of
# fonts-noto-cjk-extra (the Noto CJK designs, whose Regular and Bold come from fonts-noto-cjk).
# `krocr synth --without fonts` leaves their faces out, as though not installed, to measure what
# they add (issue 27, item 6).
ISSUE27_FONT_PACKAGES: frozenset[str] = frozenset(
    {"fonts-noto-cjk-extra"} | {f"npm:{package}" for package in ALLOWED_NPM_PACKAGES}
)
# Used only where dpkg cannot be run (not a Debian system); see _package.
PACKAGE_BY_DIRECTORY: dict[str, str] = {
    "nanum": "fonts-nanum",
    "noto": "fonts-noto-cjk",
    "unfonts-core": "fonts-unfonts-core",
    "baekmuk": "fonts-baekmuk",
    "dejavu": "fonts-dejavu-core",
    "liberation2": "fonts-liberation2",
    "liberation": "fonts-liberation",
    "urw-base35": "fonts-urw-base35",
    "open-sans": "fonts-open-sans",
    "roboto": "fonts-roboto-unhinted",
    "comic-neue": "fonts-comic-neue",
    "dancingscript": "fonts-dancingscript",
}
# Faces that are not text faces for signs (math, symbols, dingbats), or that copy a held-out
# design: Nimbus Roman is a Times, as is the held-out Liberation Serif.
EXCLUDED_FAMILIES: frozenset[str] = frozenset(
    {"DejaVu Math TeX Gyre", "Standard Symbols PS", "D050000L", "Nimbus Roman"}
)
NOTO_CJK_KOREAN_MARK = "CJK KR"

# A design is a family with its variants folded in ("NanumMyeongjo Eco", "... YetHangul"
# are NanumMyeongjo outlines), so that sampling weights and the held-out split treat a
# design as one.
DESIGN_SUFFIXES = (" YetHangul", " Eco")
# Families that are sizes of one design: Galmuri's pixel grids (7, 9, 11, 14 px and a monospaced 11)
DESIGN_FAMILIES: dict[str, str] = {
    family: "Galmuri" for family in ("Galmuri7", "Galmuri9", "Galmuri11", "Galmuri14", "GalmuriMono11")
}
# Held out, never trained on: a serif (NanumMyeongjo), a rounded display face
# (NanumSquareRound), a handwriting face (UnPilgi), a decorative display face (UnDinaru),
# and for Latin a serif (Liberation Serif). Each has a relative in training (UnBatang and
# Noto Serif; NanumSquare; NanumPen; UnGraphic; DejaVu Serif), so evaluation measures
# generalization to unseen lettering, not to a missing category. From npm (present once
# `krocr fonts install` ran): a marker handwriting (Gamja Flower; training keeps Gaegu, Poor
# Story, Hi Melody, Single Day, Cute Font) and a fat rounded display face (Bagel Fat One; training
# keeps Black Han Sans, Gasoek One, Gugi): of their categories the two that draw the most of the
# Korean charset (all 2,350 KS X 1001 syllables, the 87 Latin symbols and most sign punctuation).
HELDOUT_DESIGNS: frozenset[str] = frozenset(
    {"NanumMyeongjo", "NanumSquareRound", "UnPilgi", "UnDinaru", "Liberation Serif", "Gamja Flower", "Bagel Fat One"}
)
# The held-out designs that come from npm, and so exist only where `krocr fonts install` ran
NPM_HELDOUT_DESIGNS: frozenset[str] = frozenset({"Gamja Flower", "Bagel Fat One"})

COVERAGE_SIZE = 32  # px; glyph bitmaps compared at this size
COVERAGE_VERSION = 1  # bump when the drawable test changes, to invalidate caches

# What to install when a font set is missing (`make setup` as root installs all of them);
# the pip package draws Korean and Latin but holds no held-out design.
INSTALL_PACKAGES: dict[tuple[str, str], tuple[str, ...]] = {
    ("ko", "train"): ("fonts-nanum", "fonts-noto-cjk", "fonts-unfonts-core", "fonts-baekmuk"),
    ("ko", "heldout"): ("fonts-nanum", "fonts-unfonts-core"),
    ("en", "train"): (
        "fonts-dejavu-core",
        "fonts-liberation2",
        "fonts-urw-base35",
        "fonts-open-sans",
        "fonts-roboto-unhinted",
        "fonts-comic-neue",
        "fonts-dancingscript",
    ),
    ("en", "heldout"): ("fonts-liberation2",),
}


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int  # face index inside a collection (.ttc), else 0
    family: str  # typographic family (name ID 16, else 1)
    style: str  # subfamily (name ID 17, else 2)
    package: str  # Debian package, "pip:NAME" or "npm:PACKAGE"

    @property
    def name(self) -> str:
        """Short unique name: file name, plus ``#index`` for collection faces."""
        base = Path(self.path).name
        return f"{base}#{self.index}" if self.path.endswith(".ttc") else base

    @property
    def design(self) -> str:
        if self.family in DESIGN_FAMILIES:
            return DESIGN_FAMILIES[self.family]
        for suffix in DESIGN_SUFFIXES:
            if self.family.endswith(suffix):
                return self.family[: -len(suffix)]
        return self.family

    @property
    def allowed(self) -> bool:
        return self.package in ALLOWED_PACKAGES and self.design not in RESERVED_FAMILIES

    def load(self, size: int) -> ImageFont.FreeTypeFont:
        return load_font(self.path, self.index, size)


@functools.lru_cache(maxsize=256)  # ~0.4 MB each: bounded for many workers
def load_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    """A Pillow font, cached: opening a CJK font costs milliseconds. BASIC layout: precomposed
    Hangul needs no shaping, and it is several times faster than raqm. A WOFF file is opened
    as its decoded copy (:func:`decoded_font`)."""
    return ImageFont.truetype(decoded_font(path), size, index=index, layout_engine=ImageFont.Layout.BASIC)


def decoded_font(path: str) -> str | io.BytesIO:
    """What FreeType should open for ``path``: the file itself, or for a WOFF its tables decoded
    into a plain font file, written once under ~/.cache/krocr/sfnt/ (``$XDG_CACHE_HOME``) and
    named by the WOFF's sha256. FreeType inflates every table of a WOFF at each open (24 ms for
    Hi Melody, 0.1 ms for its decoded copy), and the font cache opens a face again for each
    size. Where that folder cannot be written, the decoded bytes in memory."""
    if not path.lower().endswith(".woff"):
        return path
    target = default_cache_dir().parent / "sfnt" / f"{file_sha256(path)}.ttf"
    if target.is_file():
        return str(target)
    font = TTFont(path, lazy=True)
    font.flavor = None
    data = io.BytesIO()
    font.save(data, reorderTables=False)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")  # atomic: parallel workers may race
        temporary.write_bytes(data.getvalue())
        temporary.replace(target)
    except OSError:
        data.seek(0)
        return data
    return str(target)


@dataclass(frozen=True)
class FontSplit:
    train: tuple[FontFace, ...]
    heldout: tuple[FontFace, ...]

    def select(self, which: str) -> tuple[FontFace, ...]:
        if which not in ("train", "heldout"):
            raise ValueError(f"font set must be 'train' or 'heldout', got {which!r}")
        return self.train if which == "train" else self.heldout


# ---- discovery -------------------------------------------------------------------------------
def font_files(roots: Iterable[Path] | None = None) -> list[Path]:
    """Font files under ``roots`` (default :data:`FONT_ROOTS`) plus those of the pip font
    package, if installed."""
    return _root_font_files(FONT_ROOTS if roots is None else roots) + _pip_font_files()


def _root_font_files(roots: Iterable[Path]) -> list[Path]:
    return [p for root in roots if root.is_dir() for p in sorted(root.rglob("*")) if p.suffix.lower() in FONT_SUFFIXES]


def _pip_font_files() -> list[Path]:
    try:
        distribution = importlib.metadata.distribution(PIP_FONT_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return []
    return sorted(
        Path(str(distribution.locate_file(f)))
        for f in distribution.files or []
        if Path(str(f)).suffix.lower() in FONT_SUFFIXES
    )


def debian_packages(paths: Sequence[Path]) -> dict[Path, str] | None:
    """Package of each path from one ``dpkg -S`` call; paths it does not know are left out.
    None where dpkg cannot be run (not a Debian system)."""
    if not paths:
        return {}
    try:
        output = subprocess.run(["dpkg", "-S", *map(str, paths)], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    owners: dict[Path, str] = {}
    for line in output.splitlines():
        packages, _, path = line.partition(": ")
        if path:
            owners[Path(path)] = packages.split(",")[0].strip()
    return owners


def _package(path: Path, owners: dict[Path, str] | None) -> str:
    """The package that installed ``path``: dpkg's answer (``owners``), the pip font package,
    or — only where dpkg cannot be asked (``owners`` None) — the folder naming convention.
    A file dpkg does not know is ``unknown``, never guessed from its folder: another package
    (fonts-noto-cjk-extra, say) may share the folder name."""
    if owners is not None and path in owners:
        return owners[path]
    if any(part.endswith(".dist-info") or part == "site-packages" for part in path.parts):
        return f"pip:{PIP_FONT_PACKAGE}"
    if owners is not None:
        return "unknown"
    # the nearest folder that names a package (Roboto keeps faces in roboto/unhinted/RobotoTTF)
    return next(
        (PACKAGE_BY_DIRECTORY[part] for part in reversed(path.parent.parts) if part in PACKAGE_BY_DIRECTORY), "unknown"
    )


def _faces_of(path: Path) -> list[TTFont]:
    if path.suffix.lower() == ".ttc":
        return list(TTCollection(str(path), lazy=True).fonts)
    return [TTFont(str(path), lazy=True)]


@dataclass(frozen=True)
class SkippedFont:
    """A font file discovery did not use, and why (for the commands to print)."""

    path: str
    reason: str


@dataclass(frozen=True)
class FontScan:
    faces: tuple[FontFace, ...]
    skipped: tuple[SkippedFont, ...]


def discover_fonts(roots: Iterable[Path] | None = None, packages_dir: Path | None = None) -> list[FontFace]:
    """Every usable face of the font files found under ``roots`` (default :data:`FONT_ROOTS`),
    in the pip font package and among the installed npm fonts (``packages_dir``, default
    :func:`krocr.synth.font_packages.fonts_dir`), with family and package. Files that cannot be
    used are left out; :func:`scan_fonts` says which and why."""
    return list(scan_fonts(roots, packages_dir).faces)


def scan_fonts(
    roots: Iterable[Path] | None = None, packages_dir: Path | None = None, exclude: frozenset[str] = frozenset()
) -> FontScan:
    """:func:`discover_fonts` with the files it skipped: unreadable or truncated files, npm files
    whose sha256 is not the manifest's, faces of a reserved family.

    Args:
        roots: folders to search (default :data:`FONT_ROOTS`).
        packages_dir: the npm fonts directory (default :func:`krocr.synth.font_packages.fonts_dir`).
        exclude: packages (as :attr:`FontFace.package` names them, e.g. :data:`ISSUE27_FONT_PACKAGES`)
            whose files are left out before any is opened, as though not installed: neither
            faces nor skipped files.

    Returns:
        The usable faces, in discovery order, and the files skipped with the reason.
    """
    npm_files, skipped = package_font_files(packages_dir, exclude)
    npm_paths = {path for path, _ in npm_files}
    files = [path for path in font_files(roots) if path not in npm_paths]  # an npm folder set under a root
    owners = debian_packages([p for p in files if _package(p, None) != f"pip:{PIP_FONT_PACKAGE}"])
    # excluded before the (family, style) deduplication below, so that a copy of an excluded face from
    # another package is kept, as it was where the excluded package was not installed
    sources = [(path, package) for path in files if (package := _package(path, owners)) not in exclude]
    sources += npm_files  # npm last: the order stays
    faces: list[FontFace] = []
    seen: dict[tuple[str, str], int] = {}  # (family, style) -> index in faces
    for path, package in sources:
        try:
            tt_faces = _faces_of(path)
            names = [_names(tt) for tt in tt_faces]
            problem = _truncation(path, tt_faces)
        except Exception as exc:  # fontTools raises many types for broken files
            skipped.append(SkippedFont(str(path), f"cannot be read ({type(exc).__name__}: {exc})"))
            continue
        if problem:
            skipped.append(SkippedFont(str(path), problem))
            continue
        for index, (family, style) in enumerate(names):
            if family in EXCLUDED_FAMILIES or (path.suffix.lower() == ".ttc" and NOTO_CJK_KOREAN_MARK not in family):
                continue
            if family in RESERVED_FAMILIES:
                skipped.append(SkippedFont(str(path), f"{family} is reserved for evaluation, never trained on"))
                continue
            face = FontFace(str(path), index, family, style, package)
            first = seen.get((family, style))
            # e.g. the pip copy of a Debian Noto face; a copy from an allowed package replaces one from another
            if first is not None and (faces[first].allowed or not face.allowed):
                continue
            try:  # what the renderer will open (a WOFF's decoded copy, written here once): FreeType must open it
                ImageFont.truetype(
                    decoded_font(str(path)), COVERAGE_SIZE, index=index, layout_engine=ImageFont.Layout.BASIC
                )
            except Exception as exc:  # FreeType's OSError, or fontTools failing to decode a WOFF
                skipped.append(SkippedFont(str(path), f"face {index} cannot be opened by FreeType ({exc})"))
                continue
            if first is None:
                seen[(family, style)] = len(faces)
                faces.append(face)
            else:
                faces[first] = face
    return FontScan(tuple(faces), tuple(skipped))


def package_font_files(
    packages_dir: Path | None = None, exclude: frozenset[str] = frozenset()
) -> tuple[list[tuple[Path, str]], list[SkippedFont]]:
    """The installed npm font files whose sha256 is the manifest's, each with its package
    (``npm:PACKAGE``), and those skipped for another sha256. Files not installed, and those of
    the packages in ``exclude``, are left out quietly: the npm fonts are optional (``krocr fonts
    install``)."""
    root = font_packages.fonts_dir(packages_dir)
    usable: list[tuple[Path, str]] = []
    skipped: list[SkippedFont] = []
    if not root.is_dir():
        return usable, skipped
    for package in font_packages.load_manifest():
        if package.source in exclude:
            continue
        for font in package.files:
            path = package.path(root, font)
            if not path.is_file():
                continue
            try:
                digest = file_sha256(str(path))
            except OSError as exc:
                skipped.append(SkippedFont(str(path), f"cannot be read ({exc.strerror or exc})"))
                continue
            if digest != font.sha256:
                skipped.append(
                    SkippedFont(
                        str(path),
                        f"sha256 {digest[:16]}… is not the one {package.spec} pins ({font.sha256[:16]}…): "
                        "not used; `krocr fonts install` replaces it",
                    )
                )
                continue
            usable.append((path, package.source))
    return usable, skipped


def _truncation(path: Path, tt_faces: Sequence[TTFont]) -> str | None:
    """Why a font file is cut short (a table that ends past the end of the file), or None."""
    size = path.stat().st_size
    for tt in tt_faces:
        reader = tt.reader
        if reader is None or getattr(reader, "flavor", None) == "woff2":  # woff2 offsets are into the decoded data
            continue
        for tag, entry in reader.tables.items():
            end = int(entry.offset) + int(entry.length)
            if end > size:
                return f"truncated: its '{tag}' table ends at byte {end:,} but the file has {size:,} bytes"
    return None


def _names(tt: TTFont) -> tuple[str, str]:
    table = tt["name"]
    family = table.getDebugName(16) or table.getDebugName(1) or "unknown"
    style = table.getDebugName(17) or table.getDebugName(2) or "Regular"
    return family, style


def split_fonts(faces: Iterable[FontFace], heldout_designs: frozenset[str] = HELDOUT_DESIGNS) -> FontSplit:
    """Allowed faces only: held-out designs on one side, everything else for training."""
    allowed = [f for f in faces if f.allowed]
    return FontSplit(
        train=tuple(f for f in allowed if f.design not in heldout_designs),
        heldout=tuple(f for f in allowed if f.design in heldout_designs),
    )


def missing_fonts_error(
    lang: str, which: str, found: Sequence[FontFace] = (), usable: Sequence[FontFace] = ()
) -> ConfigError:
    """The error for a font set that is missing: ``lang``'s ``which`` ("train" or "heldout")
    fonts, where they were looked for, what was ``found`` there (every face) and ``usable``
    (the faces of the set, none of which draws the language), and how to install them."""
    language = {"ko": "Korean ", "en": ""}.get(lang, "")
    kind = "training" if which == "train" else "held-out"
    roots = FONT_ROOTS
    in_roots = _root_font_files(roots)
    pip_files = _pip_font_files()
    pip_state = f"{len(pip_files)} font files" if pip_files else "not installed"
    npm_dir = font_packages.fonts_dir()
    npm_found = len(package_font_files()[0])
    npm_state = f"{npm_found} font files" if npm_found else "not installed"
    looked = (
        f"looked in {', '.join(map(str, roots))} ({len(in_roots)} font files) "
        f"and the pip package {PIP_FONT_PACKAGE} ({pip_state}), and the npm fonts in {npm_dir} ({npm_state})"
    )
    if usable:
        what = f"the {len(usable)} {kind} faces found draw no Hangul"
    elif found:
        what = f"none of the {len(found)} faces found is a {kind} face from an allowed package"
    else:
        what = "no font files"
    packages = " ".join(INSTALL_PACKAGES.get((lang, which), INSTALL_PACKAGES[("ko", "train")]))
    pip = f", or `pip install {PIP_FONT_PACKAGE}` (Noto Sans CJK KR)" if which == "train" else ""
    npm = "; `krocr fonts install` adds Korean designs from npm" if lang == "ko" else ""
    return ConfigError(
        f"no {language}{kind} fonts found under the allowed font packages ({looked}: {what}); "
        f"install them with `apt-get install {packages}` (Debian, as root; `make setup` as root "
        f"installs every font krocr uses){pip}{npm}"
    )


def draws_hangul(drawable: Iterable[str]) -> bool:
    """Whether a drawable set holds a Hangul syllable."""
    return any("\uac00" <= ch <= "\ud7a3" for ch in drawable)


# ---- glyph coverage --------------------------------------------------------------------------
def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "krocr" / "glyphs"


def drawable_chars(face: FontFace, chars: Iterable[str], cache_dir: Path | None = None) -> frozenset[str]:
    """The characters of ``chars`` that ``face`` really draws (cmap entry, inked, not the
    .notdef box). Whitespace counts as drawable when it is in the cmap. Cached on disk under
    :func:`coverage_key`."""
    wanted = set(chars)
    stamp = coverage_key(face)
    key = hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()[:32]
    cache_file = (cache_dir or default_cache_dir()) / f"{key}.json"
    cached = _read_cache(cache_file, stamp)
    checked, drawable = set(cached["checked"]), set(cached["drawable"])
    todo = wanted - checked
    if todo:
        drawable |= _check_glyphs(face, todo)
        checked |= todo
        _write_cache(cache_file, stamp, checked, drawable)
    return frozenset(drawable & wanted)


def coverage_key(face: FontFace) -> dict:
    """Everything a face's drawable set depends on: the font's bytes (sha256) and face index,
    the drawable test (:data:`COVERAGE_VERSION`, :data:`COVERAGE_SIZE`), and the libraries
    that run it — fontTools reads the cmap, Pillow and its FreeType rasterise each glyph
    that is compared with the empty bitmap and the .notdef box. The path is not part of it."""
    return {
        "sha256": file_sha256(face.path),
        "index": face.index,
        "version": COVERAGE_VERSION,
        "size": COVERAGE_SIZE,
        **renderer_versions(),
    }


def renderer_versions() -> dict[str, str]:
    """The versions of the libraries the drawable test runs on (read at each call)."""
    return {
        "pillow": PIL.__version__,
        "freetype": str(features.version("freetype2")),
        "fonttools": fontTools.version,
    }


# sha256 per (path, size, mtime, ctime, inode): a file is hashed once per process. The kernel
# sets ctime on every write, so a font rewritten in place (even with its mtime put back) is
# hashed again. Never kept across processes: the disk cache is keyed on the content itself.
_HASHES: dict[tuple[str, int, int, int, int], str] = {}


def file_sha256(path: str) -> str:
    """The sha256 of a file's bytes, memoised within the process while the file is unchanged."""
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        memo = (path, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        if memo not in _HASHES:
            _HASHES[memo] = hashlib.file_digest(handle, "sha256").hexdigest()
    return _HASHES[memo]


def _read_cache(cache_file: Path, stamp: dict) -> dict:
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
        if data.get("stamp") == stamp:
            return data
    except (OSError, ValueError):
        pass  # missing or unreadable: recompute
    return {"checked": "", "drawable": ""}


def _write_cache(cache_file: Path, stamp: dict, checked: set[str], drawable: set[str]) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    data = {"stamp": stamp, "checked": "".join(sorted(checked)), "drawable": "".join(sorted(drawable))}
    temporary = cache_file.with_suffix(f".{os.getpid()}.tmp")  # atomic: parallel workers may race
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    temporary.replace(cache_file)


def _check_glyphs(face: FontFace, chars: Iterable[str]) -> set[str]:
    cmap = _cmap(face)
    # opened afresh, not through load_font's cache by path: the file may have been replaced
    font = ImageFont.truetype(face.path, COVERAGE_SIZE, index=face.index, layout_engine=ImageFont.Layout.BASIC)
    notdef = _bitmap(font, _unmapped_char(cmap))
    drawable = set()
    for ch in chars:
        if ord(ch) not in cmap:
            continue
        if ch.isspace():
            drawable.add(ch)
            continue
        try:
            bitmap = _bitmap(font, ch)
        except OSError:  # a glyph FreeType cannot load (a damaged outline): not drawable
            continue
        if bitmap[1].any() and not _same(bitmap, notdef):
            drawable.add(ch)
    return drawable


def _cmap(face: FontFace) -> dict[int, str]:
    return TTFont(face.path, fontNumber=face.index, lazy=True).getBestCmap() or {}


def _unmapped_char(cmap: dict[int, str]) -> str:
    """A code point the font does not map, so Pillow renders its .notdef glyph."""
    return next(chr(c) for c in range(0x10FFFD, 0xF0000, -1) if c not in cmap)


def _bitmap(font: ImageFont.FreeTypeFont, ch: str) -> tuple[tuple[int, int], np.ndarray]:
    mask = font.getmask(ch)
    return mask.size, np.asarray(mask, dtype=np.uint8) if mask.size[0] and mask.size[1] else np.zeros(0, np.uint8)


def _same(a: tuple[tuple[int, int], np.ndarray], b: tuple[tuple[int, int], np.ndarray]) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1])


def _face_weights(faces: Sequence[FontFace], design_weights: Mapping[str, float]) -> np.ndarray:
    """Each face's sampling weight: its design's weight (1 unless named) split over the design's faces."""
    per_design = Counter(f.design for f in faces)
    unknown = sorted(set(design_weights) - set(per_design))
    if unknown:
        raise ConfigError(
            f"--design-weight names no font design of this set: {', '.join(map(repr, unknown))}; "
            f"designs are: {', '.join(sorted(per_design))}"
        )
    for design, weight in design_weights.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight <= 0:
            raise ConfigError(f"--design-weight of {design!r} must be a finite number > 0, got {weight!r}")
    return np.array([design_weights.get(f.design, 1.0) / per_design[f.design] for f in faces])


# ---- a pool of faces for sampling ------------------------------------------------------------
@dataclass
class FontPool:
    """Faces with their drawable characters; picks a face that covers a given text.

    Each design gets the same total weight, split over its faces, so a design with many
    weights (DejaVu has 20 faces) does not dominate; ``design_weights`` multiplies the weight
    of the named designs against the others' 1 (e.g. 3 for a hand-drawn face the model reads poorly).
    """

    faces: tuple[FontFace, ...]
    drawable: tuple[frozenset[str], ...]
    design_weights: Mapping[str, float] = field(default_factory=dict)
    weights: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.weights = _face_weights(self.faces, self.design_weights)

    @classmethod
    def build(
        cls,
        faces: Sequence[FontFace],
        chars: str,
        cache_dir: Path | None = None,
        design_weights: Mapping[str, float] | None = None,
        workers: int = 1,
    ) -> FontPool:
        """Glyph coverage of every face over ``chars`` (cached on disk; with ``workers`` > 1 the
        faces are checked in parallel processes, which pays on a cold cache)."""
        faces, design_weights = tuple(faces), dict(design_weights or {})
        _face_weights(faces, design_weights)  # a bad --design-weight fails before the slow coverage pass
        if workers > 1:
            with ProcessPoolExecutor(workers) as executor:
                drawable = tuple(executor.map(drawable_chars, faces, [chars] * len(faces), [cache_dir] * len(faces)))
        else:
            drawable = tuple(drawable_chars(face, chars, cache_dir) for face in faces)
        return cls(faces, drawable, design_weights)

    def covering(self, text: str) -> list[int]:
        """Indices of the faces that draw every character of ``text``."""
        needed = set(text)
        return [i for i, chars in enumerate(self.drawable) if needed <= chars]

    def covers(self, text: str) -> bool:
        needed = set(text)
        return any(needed <= chars for chars in self.drawable)

    def choose(self, text: str, rng: np.random.Generator) -> FontFace | None:
        candidates = self.covering(text)
        if not candidates:
            return None
        weights = self.weights[candidates]
        pick = int(np.searchsorted(np.cumsum(weights), rng.random() * weights.sum(), side="right"))
        return self.faces[candidates[min(pick, len(candidates) - 1)]]

    def missing_report(self, chars: str) -> dict[str, int]:
        """Per face: how many of ``chars`` it cannot draw (faces drawing all are left out)."""
        wanted = set(chars)
        return {f.name: len(wanted - d) for f, d in zip(self.faces, self.drawable) if not wanted <= d}
