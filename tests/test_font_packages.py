"""The Korean lettering krocr installs from npm (``krocr fonts``), without the network: a fake
``npm`` on PATH serves a tarball holding a small Debian font. Install, sha256 verification,
refusal of a mismatch, a missing npm or a failed download, discovery of the installed files
beside the Debian ones, skipped broken files, and the reserved designs that can never be
installed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import tarfile
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import ImageFont

from krocr.cli import main
from krocr.errors import ConfigError
from krocr.synth import font_packages
from krocr.synth import fonts as font_module
from krocr.synth.font_packages import (
    ALLOWED_NPM_PACKAGES,
    RESERVED_FAMILIES,
    RESERVED_NPM_PACKAGES,
    install,
    installed_files,
    load_manifest,
)
from krocr.synth.fonts import (
    ALLOWED_PACKAGES,
    HELDOUT_DESIGNS,
    NPM_HELDOUT_DESIGNS,
    RESERVED_PACKAGES,
    FontFace,
    FontPool,
    scan_fonts,
    split_fonts,
)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
PACKAGE = "@expo-google-fonts/gaegu"  # an allowed package name; the test serves other bytes under it
MEMBER = "package/400Regular/Fake_400Regular.ttf"
FILE = "Fake_400Regular.ttf"
RESERVED_SLUGS = ("jua", "do-hyeon", "yeon-sung", "kirang-haerang")


def installed(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} is not installed (Debian fonts-dejavu-core)")
    return path


def make_tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in {"package/package.json": b'{"name": "fake"}', **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def write_manifest(path: Path, data: bytes, *, package: str = PACKAGE, family: str = "Gaegu", sha256: str = "") -> Path:
    entry = {
        "package": package,
        "version": "0.0.0-test",
        "family": family,
        "category": "handwriting",
        "license": "OFL-1.1",
        "files": [
            {
                "file": FILE,
                "member": MEMBER,
                "style": "Regular",
                "weight": 400,
                "bytes": len(data),
                "sha256": sha256 or hashlib.sha256(data).hexdigest(),
            }
        ],
    }
    path.write_text(json.dumps({"manifest": 1, "packages": [entry]}), encoding="utf-8")
    return path


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """A fake ``npm`` first on PATH: ``npm pack SPEC --pack-destination DIR`` copies
    $FAKE_NPM_TARBALL into DIR, or fails like a 404 when $FAKE_NPM_FAIL is set; each call is
    logged to $FAKE_NPM_LOG."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "$FAKE_NPM_LOG"\n'
        'if [ -n "$FAKE_NPM_FAIL" ]; then echo "npm error code E404" >&2; '
        'echo "npm error 404 Not Found - GET https://registry.npmjs.org/$2" >&2; exit 1; fi\n'
        "dest=.\n"
        'while [ $# -gt 0 ]; do if [ "$1" = "--pack-destination" ]; then dest="$2"; fi; shift; done\n'
        'cp "$FAKE_NPM_TARBALL" "$dest/fake-0.0.0-test.tgz"\n'
    )
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "npm.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_NPM_LOG", str(log))
    monkeypatch.delenv("FAKE_NPM_FAIL", raising=False)
    return log


@pytest.fixture
def served(tmp_path, monkeypatch, fake_npm):
    """DejaVu Sans served as the package's only font, with a manifest pinning its sha256."""
    data = installed(DEJAVU).read_bytes()
    monkeypatch.setenv("FAKE_NPM_TARBALL", str(make_tarball(tmp_path / "fake.tgz", {MEMBER: data})))
    manifest = write_manifest(tmp_path / "manifest.json", data)
    monkeypatch.setattr(font_packages, "MANIFEST_PATH", manifest)
    return data


def only_npm_fonts(monkeypatch, tmp_path) -> list[Path]:
    """Discovery sees no Debian or pip fonts, only the npm fonts directory."""
    empty = tmp_path / "no-debian-fonts"
    empty.mkdir(exist_ok=True)
    monkeypatch.setattr(font_module, "_pip_font_files", list)
    return [empty]


# ---- install and verify -------------------------------------------------------------------------------
def test_install_unpacks_only_the_manifest_files_and_verifies_them(tmp_path, served, fake_npm):
    root = tmp_path / "fonts"
    result = install(root)
    assert [r.status for r in result.packages] == ["installed"], result
    target = root / "@expo-google-fonts" / "gaegu" / FILE
    assert target.read_bytes() == served
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        f"@expo-google-fonts/gaegu/{FILE}"
    ]  # no package.json, no tarball, no partial file left
    assert [f.state for f in installed_files(root)] == ["installed"]
    assert result.downloaded_bytes == (tmp_path / "fake.tgz").stat().st_size
    assert "pack @expo-google-fonts/gaegu@0.0.0-test --pack-destination" in fake_npm.read_text()

    calls = fake_npm.read_text()
    again = install(root)  # everything there: nothing downloaded
    assert [r.status for r in again.packages] == ["present"] and fake_npm.read_text() == calls


def test_install_reports_progress_per_package(tmp_path, served):
    class Recorder:
        def __init__(self):
            self.tasks, self.steps = [], 0

        def start(self, description, total):
            self.tasks.append((description, total))

        def advance(self, steps=1):
            self.steps += steps

    recorder = Recorder()
    install(tmp_path / "fonts", progress=recorder)
    assert recorder.tasks == [("fonts", 1)] and recorder.steps == 1


def test_a_sha256_mismatch_is_refused_and_the_file_not_installed(tmp_path, served, monkeypatch):
    monkeypatch.setattr(
        font_packages, "MANIFEST_PATH", write_manifest(tmp_path / "other.json", served, sha256="0" * 64)
    )
    root = tmp_path / "fonts"
    (result,) = install(root).packages
    assert result.status == "failed"
    assert re.search(
        rf"{FILE}: sha256 [0-9a-f]{{16}}… is not the manifest's 0{{16}}…: refused, not installed", result.reason
    )
    assert not [p for p in root.rglob("*") if p.is_file()]  # not there, not even as a partial file
    assert [f.state for f in installed_files(root)] == ["missing"]
    assert scan_fonts(only_npm_fonts(monkeypatch, tmp_path), root).faces == ()


def test_a_file_replaced_after_install_is_not_used_and_reinstall_repairs_it(tmp_path, served, monkeypatch):
    root = tmp_path / "fonts"
    install(root)
    target = root / "@expo-google-fonts" / "gaegu" / FILE
    target.write_bytes(installed(DEJAVU_MONO).read_bytes())
    scan = scan_fonts(only_npm_fonts(monkeypatch, tmp_path), root)
    assert scan.faces == ()
    (skipped,) = scan.skipped
    assert skipped.path == str(target)
    assert re.fullmatch(
        r"sha256 [0-9a-f]{16}… is not the one @expo-google-fonts/gaegu@0\.0\.0-test pins \([0-9a-f]{16}…\): "
        r"not used; `krocr fonts install` replaces it",
        skipped.reason,
    )
    assert [f.state for f in installed_files(root)] == ["mismatch"]
    assert [r.status for r in install(root).packages] == ["installed"]
    assert target.read_bytes() == served


def test_a_tarball_that_is_not_one_fails_with_a_reason(tmp_path, served, monkeypatch):
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(b"this is no gzip")
    monkeypatch.setenv("FAKE_NPM_TARBALL", str(junk))
    (result,) = install(tmp_path / "fonts").packages
    assert result.status == "failed" and result.reason.startswith("cannot unpack the downloaded tarball (")


def test_a_tarball_without_the_pinned_file_fails(tmp_path, served, monkeypatch):
    monkeypatch.setenv("FAKE_NPM_TARBALL", str(make_tarball(tmp_path / "other.tgz", {"package/x.ttf": served})))
    (result,) = install(tmp_path / "fonts").packages
    assert result.status == "failed" and result.reason == f"the tarball has no {MEMBER}"


# ---- bad input: no npm, a failed download ---------------------------------------------------------
def test_without_npm_every_package_says_so_in_one_line_and_the_command_exits_1(tmp_path, monkeypatch, capsys):
    no_npm = tmp_path / "empty-path"
    no_npm.mkdir()
    monkeypatch.setenv("PATH", str(no_npm))
    root = tmp_path / "fonts"
    rc = main(["fonts", "install", "--dir", str(root), "--quiet"])
    out, err = capsys.readouterr()
    packages = load_manifest()
    lines = err.splitlines()
    assert rc == 1 and "Traceback" not in err
    assert len(lines) == len(packages) + 1
    for package, line in zip(packages, lines):
        assert line == (
            f"krocr fonts: {package.spec}: not installed: npm is not on PATH "
            "(install Node.js and npm, e.g. `apt-get install npm`)"
        )
    assert lines[-1] == (
        f"krocr fonts: {len(packages)} of {len(packages)} packages not installed; "
        "krocr synth keeps using the Debian fonts and the packages that are installed"
    )
    assert out.startswith("installed 0 packages")
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_a_failed_download_is_one_line_per_package_and_exit_1(tmp_path, fake_npm, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_NPM_FAIL", "1")
    rc = main(["fonts", "install", "--dir", str(tmp_path / "fonts"), "--family", "Gaegu", "--family", "galmuri"])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.splitlines()[:2] == [
        "krocr fonts: @expo-google-fonts/gaegu@0.4.1: not installed: `npm pack @expo-google-fonts/gaegu@0.4.1` "
        "failed (exit 1): npm error 404 Not Found - GET https://registry.npmjs.org/@expo-google-fonts/gaegu@0.4.1",
        "krocr fonts: galmuri@2.40.3: not installed: `npm pack galmuri@2.40.3` failed (exit 1): "
        "npm error 404 Not Found - GET https://registry.npmjs.org/galmuri@2.40.3",
    ]
    assert len(err.splitlines()) == 3


def test_the_debian_pool_keeps_working_without_npm_fonts(tmp_path):
    without = scan_fonts(packages_dir=tmp_path / "no-npm-fonts")
    if not without.faces:
        pytest.skip("no Debian fonts")
    assert not any(f.package.startswith("npm:") for f in without.faces)
    others = {f.path for f in scan_fonts().faces if not f.package.startswith("npm:")}
    assert {f.path for f in without.faces} == others  # the same Debian and pip faces, with or without npm fonts


def test_an_unknown_family_is_a_config_error(capsys):
    assert main(["fonts", "install", "--family", "Jua"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("krocr fonts: error: no font package named 'Jua'; the families are: ") and "Gaegu" in err


# ---- discovery -------------------------------------------------------------------------------------
def test_discovery_picks_up_the_installed_file_as_an_npm_package(tmp_path, served, monkeypatch):
    root = tmp_path / "fonts"
    install(root)
    scan = scan_fonts(only_npm_fonts(monkeypatch, tmp_path), root)
    (face,) = scan.faces
    assert scan.skipped == ()
    assert face == FontFace(str(root / "@expo-google-fonts/gaegu" / FILE), 0, "DejaVu Sans", "Book", f"npm:{PACKAGE}")
    assert face.allowed and split_fonts([face]).train == (face,)
    # drawn only for the texts it covers: DejaVu draws Latin, no Hangul
    pool = FontPool.build([face], "A가", tmp_path / "glyphs")
    assert pool.covers("A") and not pool.covers("가")


def test_the_installed_npm_packages_are_allowed_and_split_by_design():
    for package in load_manifest():
        assert package.source in ALLOWED_PACKAGES
    face = FontFace("x.ttf", 0, "Gamja Flower", "Regular", "npm:@expo-google-fonts/gamja-flower")
    assert split_fonts([face]).heldout == (face,)
    galmuri = [FontFace(f"{n}.ttf", 0, n, "Regular", "npm:galmuri") for n in ("Galmuri7", "Galmuri11", "GalmuriMono11")]
    assert {f.design for f in galmuri} == {"Galmuri"}  # sizes of one design share its sampling weight


def woff_of(path: Path, out: Path) -> Path:
    font = TTFont(str(path))
    font.flavor = "woff"
    font.save(str(out))
    return out


@pytest.mark.parametrize("cut", [100, 400_000], ids=["last-table", "mid-file"])
def test_a_truncated_font_is_skipped_with_a_reason(tmp_path, monkeypatch, cut):
    data = installed(DEJAVU).read_bytes()
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "Truncated.ttf").write_bytes(data[:-cut])
    (fonts / "Garbage.ttf").write_bytes(b"not a font at all")
    monkeypatch.setattr(font_module, "_pip_font_files", list)
    scan = scan_fonts([fonts], tmp_path / "no-npm-fonts")
    assert scan.faces == ()
    reasons = {Path(s.path).name: s.reason for s in scan.skipped}
    assert reasons.keys() == {"Truncated.ttf", "Garbage.ttf"}
    assert re.fullmatch(
        r"truncated: its '.{4}' table ends at byte [\d,]+ but the file has [\d,]+ bytes|cannot be read \(.+\)",
        reasons["Truncated.ttf"],
    )
    if cut == 100:  # only the last table is cut: fontTools and FreeType open it, the bounds check does not
        assert reasons["Truncated.ttf"].startswith("truncated: its 'prep' table ends at byte ")
    assert reasons["Garbage.ttf"].startswith("cannot be read (")


def test_a_truncated_woff_from_npm_is_skipped_with_a_reason(tmp_path, monkeypatch, fake_npm):
    """A WOFF cut short (pinned so here, past the sha256 check that would otherwise refuse it)
    is caught by the bounds check of its tables."""
    woff = woff_of(installed(DEJAVU), tmp_path / "DejaVuSans.woff").read_bytes()
    cut = woff[:-50]
    member = "package/files/fake-korean-400-normal.woff"
    monkeypatch.setenv("FAKE_NPM_TARBALL", str(make_tarball(tmp_path / "fake.tgz", {member: cut})))
    manifest = json.loads(write_manifest(tmp_path / "m.json", cut).read_text())
    manifest["packages"][0]["files"][0].update(file="fake-korean-400-normal.woff", member=member)
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(font_packages, "MANIFEST_PATH", tmp_path / "m.json")
    root = tmp_path / "fonts"
    assert [r.status for r in install(root).packages] == ["installed"]
    scan = scan_fonts(only_npm_fonts(monkeypatch, tmp_path), root)
    assert scan.faces == ()
    (skipped,) = scan.skipped
    assert skipped.path.endswith("fake-korean-400-normal.woff")
    assert re.fullmatch(
        r"truncated: its '.{4}' table ends at byte [\d,]+ but the file has [\d,]+ bytes", skipped.reason
    )


def test_a_woff_face_is_rendered_from_its_decoded_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    woff = woff_of(installed(DEJAVU), tmp_path / "Sans.woff")
    decoded = font_module.decoded_font(str(woff))
    assert decoded == str(tmp_path / "xdg/krocr/sfnt" / f"{hashlib.sha256(woff.read_bytes()).hexdigest()}.ttf")
    assert TTFont(decoded).flavor is None
    direct = ImageFont.truetype(str(woff), 32, layout_engine=ImageFont.Layout.BASIC).getmask("가A&")
    loaded = font_module.load_font(str(woff), 0, 32).getmask("가A&")
    assert direct.size == loaded.size and bytes(direct) == bytes(loaded)


def test_the_fonts_list_command_says_what_is_installed_and_missing(tmp_path, served, capsys, monkeypatch):
    monkeypatch.setattr(font_module, "FONT_ROOTS", tuple(only_npm_fonts(monkeypatch, tmp_path)))  # no Debian copy
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # the glyph cache
    root = tmp_path / "fonts"
    assert main(["fonts", "list", "--dir", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "0 of 1 families installed (0 of 1 faces, 0.0 MB); `krocr fonts install` adds the 1 missing faces"
    )
    install(root)
    assert main(["fonts", "list", "--dir", str(root), "--coverage", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "@expo-google-fonts/gaegu@0.0.0-test" in out and "installed" in out and "0/2350" in out
    assert out.splitlines()[-1] == f"1 of 1 families installed (1 of 1 faces, {len(served) / 1e6:.1f} MB)"


# ---- the manifest and the reserved designs ------------------------------------------------------------
def test_the_manifest_pins_each_allowed_package_once_with_its_licence():
    packages = load_manifest()
    assert {p.package for p in packages} == ALLOWED_NPM_PACKAGES
    for package in packages:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package.version), package.spec  # an exact version, not a range
        assert package.license == "OFL-1.1", package.spec
        assert package.files and all(re.fullmatch(r"[0-9a-f]{64}", f.sha256) for f in package.files)
        assert package.package.startswith("@expo-google-fonts/") or package.files[0].file.endswith(
            ("-normal.woff", ".ttf")
        )
    by_family = {p.family: p for p in packages}
    assert by_family["Gamja Flower"].category == "handwriting" and by_family["Bagel Fat One"].category == "display"
    assert {"Gamja Flower", "Bagel Fat One"} == NPM_HELDOUT_DESIGNS and NPM_HELDOUT_DESIGNS <= HELDOUT_DESIGNS


def test_the_reserved_designs_are_in_neither_the_manifest_nor_the_allowed_lists():
    packages = load_manifest()
    assert not {p.package for p in packages} & RESERVED_NPM_PACKAGES
    assert not {p.family for p in packages} & RESERVED_FAMILIES
    assert not ALLOWED_NPM_PACKAGES & RESERVED_NPM_PACKAGES
    assert not ALLOWED_PACKAGES & RESERVED_PACKAGES
    for name in ALLOWED_NPM_PACKAGES | {p.package for p in packages}:
        assert name.rsplit("/", 1)[-1] not in RESERVED_SLUGS, name
    assert {"Jua", "Do Hyeon", "Yeon Sung", "Kirang Haerang"} <= RESERVED_FAMILIES
    assert {"fonts-woowa-bm", "fonts-alee", "fonts-naver-d2coding"} <= RESERVED_PACKAGES


@pytest.mark.parametrize("slug", RESERVED_SLUGS)
def test_a_manifest_naming_a_reserved_package_is_refused(tmp_path, slug):
    manifest = write_manifest(tmp_path / "m.json", b"x", package=f"@expo-google-fonts/{slug}", family="Whatever")
    with pytest.raises(ConfigError, match=rf"m\.json: packages\[0\] \(@expo-google-fonts/{slug}\): .* reserved"):
        load_manifest(manifest)


@pytest.mark.parametrize(
    "package, family, message",
    [
        ("@expo-google-fonts/gaegu", "Jua", r"Jua is reserved for evaluation and is never installed"),
        ("@expo-google-fonts/nanum-gothic", "Nanum Gothic", r"not one of the allowed npm font packages"),
    ],
)
def test_a_manifest_naming_a_reserved_family_or_another_package_is_refused(tmp_path, package, family, message):
    with pytest.raises(ConfigError, match=message):
        load_manifest(write_manifest(tmp_path / "m.json", b"x", package=package, family=family))


def test_a_malformed_manifest_names_the_file_and_the_item(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"packages": [{"package": PACKAGE}]}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"m\.json: packages\[0\]: malformed entry \(KeyError: 'version'\)"):
        load_manifest(bad)
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"m\.json: not a font manifest"):
        load_manifest(bad)


def test_a_face_of_a_reserved_family_is_never_used_even_from_an_allowed_package(tmp_path, monkeypatch):
    face = FontFace("x.ttf", 0, "Jua", "Regular", f"npm:{PACKAGE}")
    assert not face.allowed and split_fonts([face]) == split_fonts([])
    font = TTFont(str(installed(DEJAVU)))
    font["name"].setName("Jua", 1, 3, 1, 0x409)
    font["name"].removeNames(nameID=16)
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    font.save(str(fonts / "Jua-Regular.ttf"))
    monkeypatch.setattr(font_module, "_pip_font_files", list)
    scan = scan_fonts([fonts], tmp_path / "no-npm-fonts")
    assert scan.faces == ()
    assert [s.reason for s in scan.skipped] == ["Jua is reserved for evaluation, never trained on"]
