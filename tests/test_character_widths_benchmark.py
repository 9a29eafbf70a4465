"""benchmarks/character_widths.py: one Korean face measured, a Latin-only face left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmark_modules import load_benchmark

from krocr.inference.condensed import CHARACTER_CLASSES, CLASS_EMS
from krocr.synth.fonts import FontFace

character_widths = load_benchmark("character_widths")
NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def face(path: Path, family: str, package: str) -> FontFace:
    if not path.is_file():
        pytest.skip(f"{path.name} ({package}) is not installed")
    return FontFace(str(path), 0, family, "Regular", package)


def test_a_korean_face_has_every_class_near_the_shipped_widths():
    widths = character_widths.class_widths(face(NANUM, "NanumGothic", "fonts-nanum"))
    assert widths is not None and set(widths) == set(CHARACTER_CLASSES)
    assert widths["narrow marks"] < widths["digits"] < widths["capitals"] < 1  # all narrower than a syllable
    for name, width in widths.items():
        assert width == pytest.approx(CLASS_EMS[name], abs=0.15), name  # one face, near the medians


def test_a_face_without_hangul_is_left_out():
    assert character_widths.class_widths(face(DEJAVU, "DejaVu Sans", "fonts-dejavu-core")) is None
