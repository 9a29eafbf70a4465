"""Fonts for synthetic text: discovery, the train / held-out split, and glyph coverage.

Only fonts from the allowed packages are ever used (Debian fonts-nanum, fonts-nanum-extra,
fonts-noto-cjk, fonts-unfonts-core, fonts-baekmuk; for Latin fonts-dejavu, fonts-liberation
and, since 2026-12-02, fonts-urw-base35, fonts-open-sans, fonts-roboto-unhinted,
fonts-comic-neue, fonts-dancingscript; the pip package ``manimgx-fonts-cjk`` ships the same
Noto Sans CJK design).
Font files come from /usr/share/fonts and that pip package; each face of a ``.ttc`` is
its own :class:`FontFace` (only the Korean faces of Noto CJK collections: the JP/SC/TC/HK
faces share their Hangul and Latin outlines).

Held-out designs (:data:`HELDOUT_DESIGNS`) are never used for training, so a model can be
evaluated on lettering it has not seen; see docs/synth.md for why these.

A font *covers* a string only if every character is in its cmap **and** really draws:
NanumSquare / NanumSquareRound map all 11,172 syllables but draw 2,479, Baekmuk Dotum /
Headline map 11,172 but draw 2,350 (the rest are empty glyphs), and for characters
outside the cmap Pillow draws the .notdef box. :func:`drawable_chars` renders each
character and rejects empty glyphs and copies of the .notdef rendering; results are
cached per face in a JSON file under ~/.cache/krocr/glyphs keyed by path, face index,
mtime and size.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import math
import os
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTCollection, TTFont
from PIL import ImageFont

from krocr.errors import ConfigError

FONT_ROOTS: tuple[Path, ...] = (Path("/usr/share/fonts"),)
FONT_SUFFIXES = frozenset({".ttf", ".otf", ".ttc"})
PIP_FONT_PACKAGE = "manimgx-fonts-cjk"
ALLOWED_PACKAGES: frozenset[str] = frozenset(
    {
        "fonts-nanum",
        "fonts-nanum-extra",
        "fonts-noto-cjk",
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
# Held out, never trained on: a serif (NanumMyeongjo), a rounded display face
# (NanumSquareRound), a handwriting face (UnPilgi), a decorative display face (UnDinaru),
# and for Latin a serif (Liberation Serif). Each has a relative in training (UnBatang and
# Noto Serif; NanumSquare; NanumPen; UnGraphic; DejaVu Serif), so evaluation measures
# generalization to unseen lettering, not to a missing category.
HELDOUT_DESIGNS: frozenset[str] = frozenset(
    {"NanumMyeongjo", "NanumSquareRound", "UnPilgi", "UnDinaru", "Liberation Serif"}
)

COVERAGE_SIZE = 32  # px; glyph bitmaps compared at this size
COVERAGE_VERSION = 1  # bump when the drawable test changes, to invalidate caches


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int  # face index inside a collection (.ttc), else 0
    family: str  # typographic family (name ID 16, else 1)
    style: str  # subfamily (name ID 17, else 2)
    package: str  # Debian package, or "pip:NAME"

    @property
    def name(self) -> str:
        """Short unique name: file name, plus ``#index`` for collection faces."""
        base = Path(self.path).name
        return f"{base}#{self.index}" if self.path.endswith(".ttc") else base

    @property
    def design(self) -> str:
        for suffix in DESIGN_SUFFIXES:
            if self.family.endswith(suffix):
                return self.family[: -len(suffix)]
        return self.family

    @property
    def allowed(self) -> bool:
        return self.package in ALLOWED_PACKAGES

    def load(self, size: int) -> ImageFont.FreeTypeFont:
        return load_font(self.path, self.index, size)


@functools.lru_cache(maxsize=256)  # ~0.4 MB each: bounded for many workers
def load_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    """A Pillow font, cached: opening a CJK font costs milliseconds. BASIC layout: precomposed
    Hangul needs no shaping, and it is several times faster than raqm."""
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)


@dataclass(frozen=True)
class FontSplit:
    train: tuple[FontFace, ...]
    heldout: tuple[FontFace, ...]

    def select(self, which: str) -> tuple[FontFace, ...]:
        if which not in ("train", "heldout"):
            raise ValueError(f"font set must be 'train' or 'heldout', got {which!r}")
        return self.train if which == "train" else self.heldout


# ---- discovery -------------------------------------------------------------------------------
def font_files(roots: Iterable[Path] = FONT_ROOTS) -> list[Path]:
    """Font files under ``roots`` plus those of the pip font package, if installed."""
    files = [p for root in roots if root.is_dir() for p in sorted(root.rglob("*")) if p.suffix.lower() in FONT_SUFFIXES]
    return files + _pip_font_files()


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


def discover_fonts(roots: Iterable[Path] = FONT_ROOTS) -> list[FontFace]:
    """Every usable face of the font files found, with family and package. Fonts fontTools
    cannot read are skipped."""
    files = font_files(roots)
    owners = debian_packages([p for p in files if _package(p, None) != f"pip:{PIP_FONT_PACKAGE}"])
    faces: list[FontFace] = []
    seen: set[tuple[str, str]] = set()
    for path in files:
        try:
            tt_faces = _faces_of(path)
        except Exception:  # fontTools raises many types for broken files
            continue
        for index, tt in enumerate(tt_faces):
            family, style = _names(tt)
            if family in EXCLUDED_FAMILIES or (path.suffix.lower() == ".ttc" and NOTO_CJK_KOREAN_MARK not in family):
                continue
            if (family, style) in seen:  # e.g. the pip copy of a Debian Noto face
                continue
            seen.add((family, style))
            faces.append(FontFace(str(path), index, family, style, _package(path, owners)))
    return faces


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


# ---- glyph coverage --------------------------------------------------------------------------
def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "krocr" / "glyphs"


def drawable_chars(face: FontFace, chars: Iterable[str], cache_dir: Path | None = None) -> frozenset[str]:
    """The characters of ``chars`` that ``face`` really draws (cmap entry, inked, not the
    .notdef box). Whitespace counts as drawable when it is in the cmap."""
    wanted = set(chars)
    key = hashlib.sha1(f"{face.path}#{face.index}".encode()).hexdigest()[:20]
    cache_file = (cache_dir or default_cache_dir()) / f"{key}.json"
    stamp = _file_stamp(face.path)
    cached = _read_cache(cache_file, stamp)
    checked, drawable = set(cached["checked"]), set(cached["drawable"])
    todo = wanted - checked
    if todo:
        drawable |= _check_glyphs(face, todo)
        checked |= todo
        _write_cache(cache_file, stamp, checked, drawable)
    return frozenset(drawable & wanted)


def _file_stamp(path: str) -> dict:
    stat = os.stat(path)
    return {"path": path, "mtime_ns": stat.st_mtime_ns, "size": stat.st_size, "version": COVERAGE_VERSION}


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
    font = face.load(COVERAGE_SIZE)
    notdef = _bitmap(font, _unmapped_char(cmap))
    drawable = set()
    for ch in chars:
        if ord(ch) not in cmap:
            continue
        if ch.isspace():
            drawable.add(ch)
            continue
        bitmap = _bitmap(font, ch)
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
