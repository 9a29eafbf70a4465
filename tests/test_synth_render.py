"""The crop renderer: determinism, exact ink inside the crop, vertical presentation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from krocr.synth.fonts import FontFace
from krocr.synth.render import (
    RenderConfig,
    render,
    render_word,
    sample_style,
    text_layers,
)

GOTHIC = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
TEXTS = ["행복치킨", "영업시간 10:00~22:00", "02-123-4567", "Cafe 온", "【특가】", "gjpqy Ag", "₩5,000"]


@pytest.fixture(scope="module")
def gothic() -> FontFace:
    if not GOTHIC.is_file():
        pytest.skip("NanumGothic (Debian fonts-nanum) is not installed")
    return FontFace(str(GOTHIC), 0, "NanumGothic", "Regular", "fonts-nanum")


def test_same_generator_state_gives_the_same_crop(gothic):
    a = render_word("행복치킨", gothic, np.random.default_rng([7, 1]))
    b = render_word("행복치킨", gothic, np.random.default_rng([7, 1]))
    c = render_word("행복치킨", gothic, np.random.default_rng([7, 2]))
    assert np.array_equal(a, b) and not (a.shape == c.shape and np.array_equal(a, c))


def test_ink_never_touches_the_crop_border(gothic):
    # every effect on, to stress rotation, perspective, curvature, outline and shadow
    config = RenderConfig(rotate=1.0, perspective=1.0, curve=1.0, outline=0.5, shadow=0.5, tracking=0.5)
    for seed in range(60):
        text = TEXTS[seed % len(TEXTS)]
        result = render(text, gothic, np.random.default_rng(seed), config)
        height, width = result.image.shape[:2]
        x0, y0, x1, y1 = result.box
        assert result.image.dtype == np.uint8 and result.image.shape[2] == 3
        assert 1 <= x0 < x1 <= width - 1 and 1 <= y0 < y1 <= height - 1, (text, seed, result.box, (width, height))


@pytest.mark.parametrize("seed", range(5))
def test_letter_spaced_lines_are_drawn_to_their_last_character(gothic, seed):
    # word gaps are wider than the letter spacing; the canvas once left them out and cut the
    # end of spaced lines off while the label kept it
    text = "가 나 다 라 마 바 사 아"
    style = replace(
        sample_style(text, np.random.default_rng(seed), RenderConfig(tracking=1.0, vertical=0.0)),
        bold=0,
        outline=0,
        shadow=None,
        curve=0.0,
    )
    fill = text_layers(text, gothic.load(style.size), style).masks[..., 0]
    inked = np.flatnonzero(fill.max(axis=0) > 12)
    words = 1 + int(np.sum(np.diff(inked) > 0.4 * style.size))  # ink runs split by word gaps
    assert style.tracking > 0 and words == 8, (seed, words)
    assert inked[-1] < fill.shape[1] - 2  # the last glyph ends inside the canvas


def test_vertical_text_is_rotated_like_the_data_pipeline_or_kept_upright(gothic):
    stacked = RenderConfig(vertical=1.0, rotate=0.0, perspective=0.0)
    rotated = render_word("노래연습장", gothic, np.random.default_rng(0), stacked)
    upright = render_word("노래연습장", gothic, np.random.default_rng(0), replace(stacked, vertical_output="upright"))
    assert rotated.shape[1] > rotated.shape[0]  # turned 90° counter-clockwise: reads left to right
    assert upright.shape[0] > upright.shape[1]
    flat = render_word("노래 연습장", gothic, np.random.default_rng(0), stacked)  # a space: never stacked
    assert flat.shape[1] > flat.shape[0]


def test_the_clean_twin_is_the_degraded_crop_before_its_degradation(gothic, monkeypatch):
    from krocr.synth import render as render_module

    before: list[np.ndarray] = []
    original = render_module.degrade

    def recording(image, *args):
        before.append(np.clip(image, 0, 255).astype(np.uint8))
        return original(image, *args)

    full = RenderConfig(shading=0.0)  # uneven light is kept by the twin; leave it out to compare pixels
    for seed in range(20):
        text = TEXTS[seed % len(TEXTS)]
        monkeypatch.setattr(render_module, "degrade", recording)
        degraded = render(text, gothic, np.random.default_rng(seed), full)
        monkeypatch.setattr(render_module, "degrade", original)
        twin = render(text, gothic, np.random.default_rng(seed), full.without_degradation())
        assert twin.box == degraded.box and np.array_equal(twin.image, before[-1])
