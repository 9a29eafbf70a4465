"""Fonts that are stale, moved or missing: the glyph-coverage cache trusts only an entry
computed from the same font bytes by the same drawable test and libraries, and
``krocr synth`` without the fonts it needs says which are missing and how to install them."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import fontTools
import PIL
import pytest
from PIL import features

from krocr.cli import main
from krocr.synth import fonts as font_module
from krocr.synth.fonts import FontFace, discover_fonts, drawable_chars

LATIN = Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf")  # no Hangul
KOREAN = Path("/usr/share/fonts/truetype/nanum/NanumSquare_acR.ttf")  # draws 가
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
CHARS = "가A"


def installed(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not installed (Debian fonts-liberation2 / fonts-nanum / fonts-dejavu-core)")
    return path


def padded(path: Path, size: int) -> bytes:
    """The font's bytes with zeros after its last table (ignored by readers), ``size`` in all."""
    data = path.read_bytes()
    return data + bytes(size - len(data))


def test_a_font_replaced_at_the_same_path_size_and_mtime_is_checked_again(tmp_path, monkeypatch):
    """The stale entry of issue 30: another font (a package upgrade, a tree copied with its
    times) at the same path, with the same size and mtime, must not inherit the old coverage."""
    latin, korean = installed(LATIN), installed(KOREAN)
    size = max(latin.stat().st_size, korean.stat().st_size)
    font = tmp_path / "fonts" / "Sign.ttf"
    font.parent.mkdir()
    font.write_bytes(padded(latin, size))
    before = os.stat(font)
    sign = FontFace(str(font), 0, "Sign", "Regular", "test")
    cache = tmp_path / "cache"
    assert drawable_chars(sign, CHARS, cache) == frozenset("A")

    font.write_bytes(padded(korean, size))
    os.utime(font, ns=(before.st_atime_ns, before.st_mtime_ns))  # same path, size and mtime
    assert (os.stat(font).st_size, os.stat(font).st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    monkeypatch.setattr(font_module, "_HASHES", {}, raising=False)  # a later `krocr synth`: a new process
    assert drawable_chars(sign, CHARS, cache) == frozenset(CHARS)  # follows the new font

    font.write_bytes(latin.read_bytes())  # replaced again, within the same process
    assert drawable_chars(sign, CHARS, cache) == frozenset("A")


def test_the_in_process_hash_memo_notices_a_font_rewritten_with_its_mtime_put_back(tmp_path):
    latin, korean = installed(LATIN), installed(KOREAN)
    size = max(latin.stat().st_size, korean.stat().st_size)
    font = tmp_path / "Sign.ttf"
    font.write_bytes(padded(latin, size))
    before = os.stat(font)
    sign = FontFace(str(font), 0, "Sign", "Regular", "test")
    assert drawable_chars(sign, CHARS, tmp_path / "cache") == frozenset("A")
    time.sleep(0.05)  # past the kernel's coarse clock tick, so the rewrite gets a new ctime
    font.write_bytes(padded(korean, size))
    os.utime(font, ns=(before.st_atime_ns, before.st_mtime_ns))
    if os.stat(font).st_ctime_ns == before.st_ctime_ns:
        pytest.skip("this file system kept the ctime over a rewrite")
    assert drawable_chars(sign, CHARS, tmp_path / "cache") == frozenset(CHARS)


def _freetype(version: str):
    real = features.version

    def fake(name: str) -> str | None:
        return version if name == "freetype2" else real(name)

    return fake


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m: m.setattr(font_module, "COVERAGE_VERSION", font_module.COVERAGE_VERSION + 1), id="test"),
        pytest.param(lambda m: m.setattr(PIL, "__version__", "0.0.test"), id="pillow"),
        pytest.param(lambda m: m.setattr(features, "version", _freetype("0.0.test")), id="freetype"),
        pytest.param(lambda m: m.setattr(fontTools, "version", "0.0.test"), id="fonttools"),
    ],
)
def test_a_cache_entry_of_another_drawable_test_or_rasteriser_is_not_trusted(tmp_path, monkeypatch, change):
    """An entry written under another drawable test, Pillow, FreeType or fontTools claims that
    Liberation Sans draws 가; this renderer checks again and finds it does not."""
    latin = FontFace(str(installed(LATIN)), 0, "Liberation Sans", "Regular", "test")
    with monkeypatch.context() as other:
        change(other)
        other.setattr(font_module, "_check_glyphs", lambda face, chars: set(chars))  # its verdict: all draw
        assert drawable_chars(latin, CHARS, tmp_path) == frozenset(CHARS)
    assert drawable_chars(latin, CHARS, tmp_path) == frozenset("A")


def test_the_same_font_at_two_paths_shares_one_cache_entry(tmp_path, monkeypatch):
    latin = installed(LATIN)
    copies = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        copies.append(FontFace(str(shutil.copy(latin, tmp_path / folder / latin.name)), 0, "L", "Regular", "test"))
    cache = tmp_path / "cache"
    assert drawable_chars(copies[0], CHARS, cache) == frozenset("A")
    monkeypatch.setattr(font_module, "_check_glyphs", lambda *a: pytest.fail("the content-keyed entry was not used"))
    assert drawable_chars(copies[1], CHARS, cache) == frozenset("A")
    assert len(list(cache.glob("*.json"))) == 1


# ---- krocr synth without the fonts it needs ------------------------------------------------------
def synth_without_fonts(tmp_path, monkeypatch, capsys, roots: tuple[Path, ...], *args: str) -> tuple[int, str, Path]:
    monkeypatch.setattr(font_module, "FONT_ROOTS", roots)
    monkeypatch.setattr(font_module, "_pip_font_files", list)  # nor the pip fallback
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # no glyph cache, no npm fonts (krocr fonts install)
    monkeypatch.delenv("KROCR_FONTS_DIR", raising=False)
    out = tmp_path / "out"
    rc = main(["synth", "--count", "5", "--out", str(out), "--workers", "1", "--quiet", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return rc, captured.err, out


@pytest.mark.parametrize(
    "args, expected, packages, pip",
    [
        (
            ("--lang", "ko"),
            "no Korean training fonts",
            "fonts-nanum fonts-noto-cjk fonts-unfonts-core fonts-baekmuk",
            True,
        ),
        (("--lang", "ko", "--fonts", "heldout"), "no Korean held-out fonts", "fonts-nanum fonts-unfonts-core", False),
        (("--lang", "en"), "no training fonts", "fonts-dejavu-core fonts-liberation2 fonts-urw-base35", True),
    ],
    ids=["ko", "ko_heldout", "en"],
)
def test_synth_without_fonts_names_them_where_it_looked_and_how_to_install(
    tmp_path, monkeypatch, capsys, args, expected, packages, pip
):
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    rc, err, out = synth_without_fonts(tmp_path, monkeypatch, capsys, (empty,), *args)
    assert rc == 1 and err.count("\n") == 1, err  # one line
    assert err.startswith(f"krocr synth: error: {expected} found under the allowed font packages ("), err
    assert f"looked in {empty} (0 font files) and the pip package manimgx-fonts-cjk (not installed)" in err
    assert f"`apt-get install {packages}" in err and "`make setup` as root" in err
    assert ("`pip install manimgx-fonts-cjk`" in err) == pip
    assert not out.exists()  # nothing written


def test_synth_ko_with_only_latin_fonts_says_korean_fonts_are_missing(tmp_path, monkeypatch, capsys):
    latin_only = installed(DEJAVU)
    if not discover_fonts([latin_only]):
        pytest.skip("dpkg does not own the DejaVu fonts here")
    rc, err, out = synth_without_fonts(tmp_path, monkeypatch, capsys, (latin_only,), "--lang", "ko")
    assert rc == 1 and err.count("\n") == 1, err
    assert err.startswith("krocr synth: error: no Korean training fonts found under the allowed font packages"), err
    assert f"looked in {latin_only} (" in err and "training faces found draw no Hangul" in err
    assert "`apt-get install fonts-nanum fonts-noto-cjk fonts-unfonts-core fonts-baekmuk" in err
    assert "`pip install manimgx-fonts-cjk`" in err
    assert not out.exists()
