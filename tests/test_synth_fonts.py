"""Font discovery, the train / held-out split, and the glyph coverage check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from krocr.synth import fonts as font_module
from krocr.synth.fonts import (
    ALLOWED_PACKAGES,
    EXCLUDED_FAMILIES,
    HELDOUT_DESIGNS,
    NPM_HELDOUT_DESIGNS,
    FontFace,
    FontPool,
    discover_fonts,
    drawable_chars,
    split_fonts,
)

NANUM = Path("/usr/share/fonts/truetype/nanum")
BAEKMUK = Path("/usr/share/fonts/truetype/baekmuk")
NOT_KSX = "갂"  # U+AC02: a modern syllable outside KS X 1001's 2,350


def face(path: Path) -> FontFace:
    if not path.is_file():
        pytest.skip(f"{path} is not installed (Debian fonts-nanum / fonts-baekmuk)")
    return FontFace(str(path), 0, path.stem, "Regular", "test")


@pytest.fixture(scope="module")
def split():
    faces = discover_fonts()
    if not faces:
        pytest.skip("no fonts under /usr/share/fonts")
    return split_fonts(faces)


def test_heldout_and_training_fonts_are_disjoint(split):
    train, heldout = {f.name for f in split.train}, {f.name for f in split.heldout}
    assert train and heldout and not train & heldout
    assert not {f.design for f in split.train} & {f.design for f in split.heldout}
    korean_heldout = {f.design for f in split.heldout if f.package.startswith("fonts-nanum") or "Un" in f.design}
    assert len(korean_heldout) >= 2
    truetype = Path("/usr/share/fonts/truetype")
    if all((truetype / folder).is_dir() for folder in ("nanum", "unfonts-core", "liberation2")):
        # all held-out packages installed: a renamed family would silently move into training
        # (the npm held-out designs exist only where `krocr fonts install` ran)
        npm = any(f.package.startswith("npm:") for f in split.train + split.heldout)
        assert {f.design for f in split.heldout} == (HELDOUT_DESIGNS if npm else HELDOUT_DESIGNS - NPM_HELDOUT_DESIGNS)


def test_only_allowed_packages_and_korean_noto_faces(split):
    for f in split.train + split.heldout:
        assert f.package in ALLOWED_PACKAGES, f
        if f.path.endswith(".ttc"):
            assert "CJK KR" in f.family, f
    assert not {f.family for f in split.train + split.heldout} & EXCLUDED_FAMILIES
    assert {"DejaVu Math TeX Gyre", "Nimbus Roman", "Standard Symbols PS", "D050000L"} <= EXCLUDED_FAMILIES


def test_latin_faces_of_the_added_packages_train_but_no_times_copy(split):
    if not Path("/usr/share/fonts/opentype/urw-base35").is_dir():
        pytest.skip("fonts-urw-base35 is not installed")
    designs = {f.design for f in split.train}
    assert {"URW Gothic", "C059", "Z003", "Nimbus Sans"} <= designs
    assert "Nimbus Roman" not in designs  # a Times, like the held-out Liberation Serif


@pytest.mark.parametrize(
    "path, package",
    [
        ("/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-Regular.ttf", "fonts-roboto-unhinted"),
        ("/srv/copy/fonts/urw-base35/C059-Roman.otf", "fonts-urw-base35"),
        ("/usr/share/fonts/truetype/elsewhere/Some.ttf", "unknown"),
    ],
)
def test_without_dpkg_the_package_is_the_nearest_known_folder(path, package):
    assert font_module._package(Path(path), None) == package


def test_a_file_dpkg_does_not_own_is_unknown_whatever_its_folder():
    unowned = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Unpackaged.ttc")
    assert font_module._package(unowned, {}) == "unknown"
    assert font_module._package(unowned, {unowned: "fonts-noto-cjk-other"}) == "fonts-noto-cjk-other"
    face = FontFace(str(unowned), 0, "Noto Sans CJK KR", "Regular", "fonts-noto-cjk-other")
    assert split_fonts([face]).train == ()  # a Korean package outside the allowed ones never trains


def test_baekmuk_maps_but_does_not_draw_syllables_outside_ksx1001(tmp_path):
    dotum = face(BAEKMUK / "dotum.ttf")
    assert ord(NOT_KSX) in TTFont(dotum.path, lazy=True).getBestCmap()  # the cmap claims it
    drawable = drawable_chars(dotum, "가힝" + NOT_KSX + "쏀", tmp_path)
    assert "가" in drawable and "힝" in drawable  # first and last of KS X 1001
    assert NOT_KSX not in drawable
    assert "쏀" not in drawable  # a KS X 1001 syllable Baekmuk Dotum leaves empty


def test_nanum_square_draws_only_its_2479_syllables_but_nanum_gothic_draws_all(tmp_path):
    square = face(NANUM / "NanumSquareR.ttf")
    assert drawable_chars(square, "가" + NOT_KSX, tmp_path) == frozenset("가")
    gothic = face(NANUM / "NanumGothic.ttf")
    assert drawable_chars(gothic, "가" + NOT_KSX, tmp_path) == frozenset("가" + NOT_KSX)


def test_unmapped_characters_are_not_drawable(tmp_path):
    square_ac = face(NANUM / "NanumSquare_acR.ttf")  # no cmap entry: Pillow would draw .notdef
    assert NOT_KSX not in drawable_chars(square_ac, NOT_KSX + " A", tmp_path)
    assert {" ", "A"} <= drawable_chars(square_ac, NOT_KSX + " A", tmp_path)


def test_coverage_is_cached_per_face(tmp_path, monkeypatch):
    gothic = face(NANUM / "NanumGothic.ttf")
    first = drawable_chars(gothic, "가나다", tmp_path)
    monkeypatch.setattr(font_module, "_check_glyphs", lambda *a: pytest.fail("cache not used"))
    assert drawable_chars(gothic, "가나", tmp_path) == first - {"다"}


def test_pool_chooses_only_faces_that_cover_the_text(tmp_path):
    faces = [face(BAEKMUK / "dotum.ttf"), face(NANUM / "NanumGothic.ttf")]
    pool = FontPool.build(faces, "가" + NOT_KSX, tmp_path)
    rng = np.random.default_rng(0)
    assert {pool.choose(NOT_KSX, rng).name for _ in range(20)} == {"NanumGothic.ttf"}
    assert pool.covers("가") and not pool.covers("\U0001f600")
    assert pool.choose("\U0001f600", rng) is None
    assert pool.missing_report("가" + NOT_KSX) == {"dotum.ttf": 1}


def test_design_weights_multiply_a_designs_share(tmp_path):
    faces = [face(BAEKMUK / "dotum.ttf"), face(NANUM / "NanumGothic.ttf")]
    even = FontPool.build(faces, "가", tmp_path)
    tilted = FontPool.build(faces, "가", tmp_path, {"NanumGothic": 3})

    def gothic_share(pool: FontPool) -> float:
        rng = np.random.default_rng(0)
        return sum(pool.choose("가", rng).design == "NanumGothic" for _ in range(4000)) / 4000

    assert abs(gothic_share(even) - 0.5) < 0.03 and abs(gothic_share(tilted) - 0.75) < 0.03


@pytest.mark.parametrize(
    "weights, message",
    [
        (
            {"Nanum Gothic": 2},
            r"--design-weight names no font design of this set: 'Nanum Gothic'; designs are: NanumGothic, dotum",
        ),
        ({"dotum": 0}, r"--design-weight of 'dotum' must be a finite number > 0, got 0"),
        ({"dotum": True}, r"must be a finite number > 0, got True"),
        ({"dotum": float("nan")}, r"must be a finite number > 0"),
    ],
)
def test_bad_design_weights_are_config_errors(tmp_path, weights, message):
    from krocr.errors import ConfigError

    faces = [face(BAEKMUK / "dotum.ttf"), face(NANUM / "NanumGothic.ttf")]
    with pytest.raises(ConfigError, match=message):
        FontPool.build(faces, "가", tmp_path, weights)


def test_a_bad_design_weight_fails_before_the_coverage_pass(tmp_path, monkeypatch):
    from krocr.errors import ConfigError
    from krocr.synth import fonts

    def coverage_pass(*args, **kwargs):
        raise AssertionError("the coverage pass ran before the design weights were checked")

    monkeypatch.setattr(fonts, "drawable_chars", coverage_pass)
    with pytest.raises(ConfigError, match="names no font design"):
        FontPool.build([face(BAEKMUK / "dotum.ttf")], "가", tmp_path, {"Nanum Gothic": 2})
