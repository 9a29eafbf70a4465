"""Korean lettering from npm, installed by the project: the pinned packages, their download with
``npm pack``, the sha256 check of every file, and what is installed.

The manifest (``font_packages.json`` beside this module) pins each package at one version and
names the font files krocr unpacks from its tarball, with family, style, weight, category,
licence (OFL-1.1 for all) and the sha256 of each file, written from a first real download. Only
the packages of :data:`ALLOWED_NPM_PACKAGES` (the Google Fonts Korean families of issue 27 and
Galmuri) may appear in it; the Google copies of the reserved fonts-woowa-bm designs
(:data:`RESERVED_FAMILIES`) never can, so they cannot be installed.

:func:`install` runs ``npm pack PACKAGE@VERSION`` into a temporary folder of the fonts
directory (:func:`fonts_dir`: ``$KROCR_FONTS_DIR``, else ``~/.cache/krocr/fonts/npm``),
unpacks only the manifest's files to ``DIR/PACKAGE/FILE`` and keeps a file only if its sha256 is
the manifest's; a package whose files are all there already is not downloaded again. Without
npm, or when a download fails, each package says why in its :class:`PackageResult` and nothing
else changes: the Debian fonts keep working. :func:`installed_files` says what is there.
Discovery of the installed files for rendering is :mod:`krocr.synth.fonts`'s job.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from krocr.errors import ConfigError, repeated
from krocr.progress import SILENT, ProgressHook

MANIFEST_PATH = Path(__file__).with_name("font_packages.json")
FONTS_DIR_ENV = "KROCR_FONTS_DIR"
CATEGORIES = ("handwriting", "display", "text", "pixel")
NPM_TIMEOUT_S = 300  # one `npm pack`; the largest tarball (Hahmlet) is 19 MB

# The npm packages fonts may come from (issue 27): Google Fonts' Korean families as whole files
# (@expo-google-fonts TTFs, else @fontsource's whole Korean woff per weight) and Galmuri.
ALLOWED_NPM_PACKAGES: frozenset[str] = frozenset(
    {
        # handwriting
        "@expo-google-fonts/gaegu",
        "@expo-google-fonts/gamja-flower",
        "@fontsource/hi-melody",
        "@expo-google-fonts/east-sea-dokdo",
        "@expo-google-fonts/poor-story",
        "@expo-google-fonts/single-day",
        "@expo-google-fonts/cute-font",
        "@expo-google-fonts/dokdo",
        # display
        "@expo-google-fonts/black-han-sans",
        "@expo-google-fonts/gugi",
        "@expo-google-fonts/black-and-white-picture",
        "@expo-google-fonts/bagel-fat-one",
        "@expo-google-fonts/gasoek-one",
        "@expo-google-fonts/moirai-one",
        # text and signage
        "@expo-google-fonts/gothic-a1",
        "@expo-google-fonts/ibm-plex-sans-kr",
        "@expo-google-fonts/gowun-dodum",
        "@expo-google-fonts/gowun-batang",
        "@expo-google-fonts/dongle",
        "@expo-google-fonts/sunflower",
        "@fontsource/stylish",
        "@expo-google-fonts/orbit",
        "@expo-google-fonts/asta-sans",
        "@expo-google-fonts/song-myung",
        "@fontsource/hahmlet",
        "@fontsource/diphylleia",
        "@fontsource/grandiflora-one",
        # pixel / LED
        "galmuri",
    }
)
# Reserved for evaluation, never installed nor trained on: Google's copies of fonts-woowa-bm.
RESERVED_FAMILIES: frozenset[str] = frozenset({"Jua", "Do Hyeon", "Yeon Sung", "Kirang Haerang"})
RESERVED_NPM_PACKAGES: frozenset[str] = frozenset(
    f"{scope}/{slug}"
    for scope in ("@expo-google-fonts", "@fontsource", "@fontsource-variable")
    for slug in ("jua", "do-hyeon", "yeon-sung", "kirang-haerang")
)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.(ttf|otf|woff)")


@dataclass(frozen=True)
class FontFile:
    """One font file of a package: where it is in the tarball, its name once installed, its face."""

    file: str  # installed as DIR/PACKAGE/FILE
    member: str  # path inside the npm tarball
    style: str
    weight: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class FontPackage:
    """One pinned npm package and the font files krocr takes from it."""

    package: str
    version: str
    family: str
    category: str  # handwriting | display | text | pixel
    license: str
    license_source: str
    tarball_bytes: int
    files: tuple[FontFile, ...]

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def source(self) -> str:
        """The package name krocr's font discovery gives the faces: ``npm:PACKAGE``."""
        return f"npm:{self.package}"

    def directory(self, root: Path) -> Path:
        return root.joinpath(*self.package.split("/"))

    def path(self, root: Path, font: FontFile) -> Path:
        return self.directory(root) / font.file


def fonts_dir(override: Path | None = None) -> Path:
    """Where npm fonts are installed: ``override``, else ``$KROCR_FONTS_DIR``, else
    ``~/.cache/krocr/fonts/npm`` (``$XDG_CACHE_HOME`` respected)."""
    if override is not None:
        return Path(override)
    if os.environ.get(FONTS_DIR_ENV):
        return Path(os.environ[FONTS_DIR_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "krocr" / "fonts" / "npm"


# ---- the manifest --------------------------------------------------------------------------------
def load_manifest(path: Path | None = None) -> tuple[FontPackage, ...]:
    """The pinned packages of a manifest file (default :data:`MANIFEST_PATH`). Raises
    :class:`ConfigError` naming the file and the item for a malformed entry, a package outside
    :data:`ALLOWED_NPM_PACKAGES`, or a reserved package or family."""
    path = MANIFEST_PATH if path is None else Path(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = data["packages"]
    except FileNotFoundError:
        raise ConfigError(f"{path}: font manifest not found") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a font manifest ({type(exc).__name__}: {exc})") from None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'packages' must be a list")
    packages = tuple(_package_entry(path, i, entry) for i, entry in enumerate(entries))
    duplicated = repeated(p.package for p in packages)
    if duplicated:
        raise ConfigError(f"{path}: package listed twice: {', '.join(duplicated)}")
    return packages


def _package_entry(path: Path, index: int, entry: object) -> FontPackage:
    where = f"{path}: packages[{index}]"
    try:
        assert isinstance(entry, dict)
        package = FontPackage(
            package=str(entry["package"]),
            version=str(entry["version"]),
            family=str(entry["family"]),
            category=str(entry["category"]),
            license=str(entry["license"]),
            license_source=str(entry.get("license_source", "")),
            tarball_bytes=int(entry.get("tarball_bytes", 0)),
            files=tuple(_file_entry(f) for f in entry["files"]),
        )
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: malformed entry ({type(exc).__name__}: {exc})") from None
    where = f"{where} ({package.package})"
    if package.package in RESERVED_NPM_PACKAGES or package.family in RESERVED_FAMILIES:
        raise ConfigError(f"{where}: {package.family} is reserved for evaluation and is never installed")
    if package.package not in ALLOWED_NPM_PACKAGES:
        raise ConfigError(f"{where}: not one of the allowed npm font packages")
    if package.category not in CATEGORIES:
        raise ConfigError(f"{where}: category must be one of {', '.join(CATEGORIES)}, got {package.category!r}")
    if not package.files:
        raise ConfigError(f"{where}: names no font file")
    for font in package.files:
        if not _FILE_NAME.fullmatch(font.file):
            raise ConfigError(f"{where}: file {font.file!r} is not a plain .ttf/.otf/.woff name")
        if not _SHA256.fullmatch(font.sha256):
            raise ConfigError(f"{where}: {font.file}: sha256 must be 64 lower-case hex digits")
        if not font.member.startswith("package/") or ".." in font.member.split("/"):
            raise ConfigError(f"{where}: {font.file}: member {font.member!r} is not inside the tarball's package/")
    return package


def _file_entry(entry: dict) -> FontFile:
    return FontFile(
        file=str(entry["file"]),
        member=str(entry["member"]),
        style=str(entry["style"]),
        weight=int(entry["weight"]),
        bytes=int(entry["bytes"]),
        sha256=str(entry["sha256"]).lower(),
    )


def select(packages: Sequence[FontPackage], names: Iterable[str]) -> tuple[FontPackage, ...]:
    """The packages named by family ("Gaegu") or package ("@expo-google-fonts/gaegu"),
    case-insensitive; an unknown name is a :class:`ConfigError` listing the families."""
    wanted = list(names)
    if not wanted:
        return tuple(packages)
    by_name = {key.lower(): p for p in packages for key in (p.family, p.package)}
    unknown = [n for n in wanted if n.lower() not in by_name]
    if unknown:
        families = ", ".join(sorted(p.family for p in packages))
        raise ConfigError(f"no font package named {', '.join(map(repr, unknown))}; the families are: {families}")
    chosen = {by_name[n.lower()].package for n in wanted}
    return tuple(p for p in packages if p.package in chosen)


# ---- what is installed ---------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True)
class InstalledFile:
    """One manifest file in the fonts directory: ``installed`` (sha256 matches), ``missing``,
    or ``mismatch`` (another file is at its path: never used)."""

    package: FontPackage
    font: FontFile
    path: Path
    state: str
    sha256: str = ""  # what the file on disk hashes to, when it is there


def installed_files(
    root: Path | None = None,
    packages: Sequence[FontPackage] | None = None,
    hasher: Callable[[Path], str] = sha256_file,
) -> list[InstalledFile]:
    """The state of every manifest file under ``root`` (default :func:`fonts_dir`)."""
    root = fonts_dir(root)
    packages = load_manifest() if packages is None else packages
    out = []
    for package in packages:
        for font in package.files:
            path = package.path(root, font)
            if not path.is_file():
                out.append(InstalledFile(package, font, path, "missing"))
                continue
            digest = hasher(path)
            out.append(InstalledFile(package, font, path, "installed" if digest == font.sha256 else "mismatch", digest))
    return out


# ---- installing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PackageResult:
    """What :func:`install` did with one package: ``installed`` (downloaded now), ``present``
    (every file was there already) or ``failed`` (``reason`` says why; files of the package that
    were verified are kept, the others are not installed)."""

    package: FontPackage
    status: str
    reason: str = ""
    downloaded_bytes: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class InstallResult:
    root: Path
    packages: tuple[PackageResult, ...]
    seconds: float

    @property
    def failed(self) -> tuple[PackageResult, ...]:
        return tuple(r for r in self.packages if r.status == "failed")

    @property
    def downloaded_bytes(self) -> int:
        return sum(r.downloaded_bytes for r in self.packages)

    @property
    def installed_bytes(self) -> int:
        """Bytes of font files the packages that did not fail hold in the fonts directory."""
        return sum(f.bytes for r in self.packages if r.status != "failed" for f in r.package.files)


def find_npm() -> str | None:
    return shutil.which("npm")


def install(
    root: Path | None = None,
    packages: Sequence[FontPackage] | None = None,
    progress: ProgressHook = SILENT,
    npm: str | None = None,
    workers: int = 4,
    timeout_s: float = NPM_TIMEOUT_S,
) -> InstallResult:
    """Install ``packages`` (default: the whole manifest) into ``root`` (default
    :func:`fonts_dir`); ``npm`` is the npm executable (default: the one on PATH). Never raises
    for a failed download: each package's :class:`PackageResult` says what happened.
    ``progress`` hears of each package done."""
    started = time.perf_counter()
    root = fonts_dir(root)
    packages = load_manifest() if packages is None else tuple(packages)
    npm = npm or find_npm()
    progress.start("fonts", len(packages))
    results: dict[str, PackageResult] = {}
    with ThreadPoolExecutor(max(1, workers)) as executor:
        futures = [executor.submit(_install_one, root, p, npm, timeout_s) for p in packages]
        for future in as_completed(futures):
            result = future.result()
            results[result.package.package] = result
            progress.advance()
    ordered = tuple(results[p.package] for p in packages)
    return InstallResult(root, ordered, time.perf_counter() - started)


def _install_one(root: Path, package: FontPackage, npm: str | None, timeout_s: float) -> PackageResult:
    started = time.perf_counter()

    def failed(reason: str, downloaded: int = 0) -> PackageResult:
        return PackageResult(package, "failed", reason, downloaded, time.perf_counter() - started)

    if all(f.state == "installed" for f in installed_files(root, [package])):
        return PackageResult(package, "present", seconds=time.perf_counter() - started)
    if npm is None:
        return failed("npm is not on PATH (install Node.js and npm, e.g. `apt-get install npm`)")
    try:
        root.mkdir(parents=True, exist_ok=True)
        download = Path(tempfile.mkdtemp(prefix=".download-", dir=root))
    except OSError as exc:
        return failed(f"cannot write to {root} ({exc.strerror or exc})")
    try:
        try:
            done = subprocess.run(
                [npm, "pack", package.spec, "--pack-destination", str(download), "--ignore-scripts", "--silent"],
                capture_output=True,
                text=True,
                timeout=timeout_s,
                cwd=download,
                env={**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"},
            )
        except subprocess.TimeoutExpired:
            return failed(f"`npm pack {package.spec}` timed out after {timeout_s:.0f} s")
        except OSError as exc:
            return failed(f"cannot run {npm} ({exc.strerror or exc})")
        tarballs = sorted(download.glob("*.tgz"))
        if done.returncode != 0 or len(tarballs) != 1:
            said = _last_line(done.stderr) or _last_line(done.stdout) or "no message"
            return failed(f"`npm pack {package.spec}` failed (exit {done.returncode}): {said}")
        downloaded = tarballs[0].stat().st_size
        problems = _unpack(tarballs[0], root, package)
        if problems:
            return failed("; ".join(problems), downloaded)
        return PackageResult(package, "installed", "", downloaded, time.perf_counter() - started)
    finally:
        shutil.rmtree(download, ignore_errors=True)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _unpack(tarball: Path, root: Path, package: FontPackage) -> list[str]:
    """Unpack the manifest's files of ``package`` from ``tarball``; each is written beside its
    final path and moved there only when its sha256 is the manifest's. Returns what went wrong."""
    problems = []
    directory = package.directory(root)
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            directory.mkdir(parents=True, exist_ok=True)
            for font in package.files:
                try:
                    member = archive.getmember(font.member)
                except KeyError:
                    problems.append(f"the tarball has no {font.member}")
                    continue
                source = archive.extractfile(member) if member.isfile() else None
                if source is None:
                    problems.append(f"{font.member} in the tarball is not a regular file")
                    continue
                target = package.path(root, font)
                partial = target.with_name(f".{target.name}.{os.getpid()}.part")
                digest = hashlib.sha256()
                try:
                    with source, open(partial, "wb") as out:
                        while block := source.read(1 << 20):
                            digest.update(block)
                            out.write(block)
                except BaseException:
                    partial.unlink(missing_ok=True)
                    raise
                if digest.hexdigest() != font.sha256:
                    partial.unlink()
                    problems.append(
                        f"{font.file}: sha256 {digest.hexdigest()[:16]}… is not the manifest's "
                        f"{font.sha256[:16]}…: refused, not installed"
                    )
                    continue
                partial.replace(target)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        problems.append(f"cannot unpack the downloaded tarball ({type(exc).__name__}: {exc})")
    return problems
