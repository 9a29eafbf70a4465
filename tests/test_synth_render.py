"""The crop renderer: determinism, exact ink inside the crop, vertical presentation, and the
looks (krocr.synth.looks): each forced on changes the crop, keeps its type and its text."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from krocr.synth import looks as looks_module
from krocr.synth.fonts import FontFace
from krocr.synth.looks import (
    LOOK_DRAWS,
    bounces,
    bouncing_line,
    cut_edge,
    letter_colour_map,
    letter_starts,
    photo_panel,
    sample_looks,
)
from krocr.synth.render import (
    CHANCES,
    LETTER_GRAY_GAP,
    LOOKS,
    RenderConfig,
    Style,
    _line_mask,
    _pen_gaps,
    _with_neighbour,
    ink_box,
    luminance,
    paint_text,
    preview_sheet,
    render,
    render_word,
    sample_style,
    text_layers,
    warp_layers,
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
    # (the looks that cut a glyph's edge on purpose are off)
    config = RenderConfig(
        rotate=1.0, perspective=1.0, curve=1.0, outline=0.5, shadow=0.5, tracking=0.5, edge_cut=0.0, strong_curve=0.3
    )
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


def test_wide_word_spaces_widen_only_the_spaces(gothic):
    text = "위담 한의원"
    plain = replace(
        sample_style(text, np.random.default_rng(0), RenderConfig(wide_space=0.0, tracking=0.0, vertical=0.0)),
        bold=0,
        outline=0,
        shadow=None,
        curve=0.0,
    )
    assert plain.word_space == 0.0
    wide = replace(plain, word_space=0.8 * plain.size)
    font = gothic.load(plain.size)
    narrow_fill, wide_fill = (text_layers(text, font, s).masks[..., 0] for s in (plain, wide))

    def gap_and_ink(fill: np.ndarray) -> tuple[int, int]:
        inked = np.flatnonzero(fill.max(axis=0) > 12)
        return int(np.diff(inked).max()), int(inked[-1] - inked[0])

    (narrow_gap, narrow_span), (wide_gap, wide_span) = gap_and_ink(narrow_fill), gap_and_ink(wide_fill)
    added = round(0.8 * plain.size)
    assert abs((wide_gap - narrow_gap) - added) <= 2  # the space grew by the word space
    assert abs((wide_span - narrow_span) - added) <= 2  # and nothing else moved


def test_wide_word_spaces_are_drawn_only_for_texts_with_spaces():
    config = RenderConfig(wide_space=1.0)
    assert sample_style("위담 한의원", np.random.default_rng(0), config).word_space > 0
    assert sample_style("위담한의원", np.random.default_rng(0), config).word_space == 0.0


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


# ---- looks -----------------------------------------------------------------------------------------
def _names(look: str) -> set[str]:
    """What Rendered.looks holds when ``look`` was drawn."""
    return {
        "relief": {"relief_emboss", "relief_engrave"},
        "photo": {"photo", "photo_missing"},
    }.get(look, {look})


def test_with_chances_changes_only_the_chances_named():
    base = RenderConfig()
    changed = base.with_chances({"small_text": 0.3, "low_res": 0.0})
    assert (changed.small_text, changed.low_res) == (0.3, 0.0)
    assert replace(changed, small_text=base.small_text, low_res=base.low_res) == base
    assert set(CHANCES) <= {name for name, value in vars(base).items() if isinstance(value, float)}


@pytest.mark.parametrize(
    "chances, message",
    [
        ({"sparkles": 0.5}, r"unknown chance 'sparkles'"),
        ({"photo": 0.5}, r"unknown chance 'photo'"),
        ({"blur": 1.01}, r"chance blur=1.01 is not a probability"),
        ({"noise": -0.1}, r"chance noise=-0.1 is not a probability"),
        ({"jpeg": True}, r"chance jpeg=True is not a probability"),
    ],
)
def test_with_chances_refuses_what_is_not_a_chance(chances, message):
    with pytest.raises(ValueError, match=message):
        RenderConfig().with_chances(chances)


@pytest.mark.parametrize("look", LOOKS)
def test_each_look_forced_on_changes_the_crop_keeps_its_type_and_repeats(gothic, look):
    on, off = RenderConfig().only_look(look), RenderConfig().only_look(None)
    drawn = 0
    for seed, text in enumerate(TEXTS):
        a = render(text, gothic, np.random.default_rng([3, seed]), on)
        plain = render(text, gothic, np.random.default_rng([3, seed]), off)
        assert a.image.dtype == np.uint8 and a.image.ndim == 3 and a.image.shape[2] == 3
        assert min(a.image.shape[:2]) >= 4
        assert not plain.looks
        # nothing could be cut without removing half a stroke: left whole; no colour stood
        # apart from the fill, or the panel was neon: the letters keep the fill
        if look in ("edge_cut", "letter_colours") and not a.looks:
            continue
        if look == "bounce" and not any(map(bounces, text)):
            assert not a.looks  # Latin letters and marks stay on the line: no look to name
            continue
        assert _names(look) & set(a.looks), (text, a.looks)
        assert a.image.shape != plain.image.shape or not np.array_equal(a.image, plain.image), (look, text)
        again = render(text, gothic, np.random.default_rng([3, seed]), on)
        assert again.looks == a.looks and np.array_equal(again.image, a.image)  # same seed, same bytes
        drawn += 1
    assert drawn >= len(TEXTS) // 2, (look, drawn)


@pytest.mark.parametrize("look", [look for look in LOOKS if look != "edge_cut"])
def test_looks_keep_every_glyph_inside_the_crop(gothic, look):
    # the label stays exact: the text's ink box lies inside the crop with room to spare (the
    # neighbouring line lies outside that box; only edge_cut cuts into it, tested below)
    config = RenderConfig().only_look(look)
    for seed in range(21):
        text = TEXTS[seed % len(TEXTS)]
        result = render(text, gothic, np.random.default_rng([4, seed]), config)
        height, width = result.image.shape[:2]
        x0, y0, x1, y1 = result.box
        assert 1 <= x0 < x1 <= width - 1 and 1 <= y0 < y1 <= height - 1, (look, text, seed, result.box)


def test_edge_cut_touches_one_side_only(gothic):
    config = RenderConfig().only_look("edge_cut")
    cut = 0
    for seed in range(21):
        text = TEXTS[seed % len(TEXTS)]
        result = render(text, gothic, np.random.default_rng([5, seed]), config)
        height, width = result.image.shape[:2]
        x0, y0, x1, y1 = result.box
        touching = [x0 == 0, y0 == 0, x1 == width, y1 == height]
        assert sum(touching) == ("edge_cut" in result.looks), (text, seed, result.box, (width, height))
        cut += "edge_cut" in result.looks
    assert cut >= 18


def test_edge_cut_trims_a_stroke_but_never_removes_it():
    fill = np.zeros((60, 80), np.uint8)
    fill[20:50, 10:70] = 255  # a glyph body
    fill[14:18, 30:34] = 255  # a 4-px tick standing above it, like the one of ㅎ
    fill[30:34, 4:7] = 255  # a 3-px dot left of it
    assert cut_edge(fill, "top", want=5) == 14 + 2  # half the tick, not the 5 px asked
    assert cut_edge(fill, "left", want=5) == 4 + 1  # 3 // 2
    assert cut_edge(fill, "bottom", want=2) == 50 - 2  # the body is thick: the 2 px asked
    assert cut_edge(fill, "right", want=0.6) is None  # less than a pixel: no cut
    thin = np.zeros((20, 20), np.uint8)
    thin[5, 2:18] = 255  # a 1-px bar at the top: cannot lose half a pixel
    thin[6:15, 8:12] = 0
    assert cut_edge(thin, "top", want=3) is None


def test_the_neighbouring_line_is_apart_from_the_text(gothic):
    config = RenderConfig().only_look("neighbour_line")
    for seed in range(12):
        text = TEXTS[seed % len(TEXTS)]
        rng = np.random.default_rng([6, seed])
        style = sample_style(text, rng, config, sample_looks(rng, config))
        font = gothic.load(style.size)
        layers, margins = _with_neighbour(text_layers(text, font, style), text, font, style)
        strip = layers.masks[..., 3]
        _, y0, _, y1 = layers.box
        rows = np.flatnonzero(strip.max(axis=1) > 12)
        assert len(rows) and layers.masks[..., :3][rows].max() <= 12  # no row holds both lines
        if style.looks.neighbour == "top":
            assert rows[-1] < y0 - 1 and y0 - margins[1] > rows[0]  # the crop edge cuts the strip
        else:
            assert rows[0] > y1 and y1 + margins[3] < rows[-1]


def test_the_photo_panel_keeps_the_text_contrast():
    fill_colors = [np.array(c, np.float32) for c in ((20, 20, 20), (250, 240, 120), (128, 128, 128), (230, 30, 35))]
    for seed, fill in enumerate(fill_colors):
        for background in (np.zeros(3, np.float32), np.full(3, 255, np.float32)):
            panel = photo_panel(40, 160, fill, background, 70.0, seed)
            if panel is None:
                pytest.skip("no background photo installed (krocr.synth.backgrounds)")
            assert panel.shape == (40, 160, 3) and panel.dtype == np.float32
            assert np.abs(luminance(panel) - luminance(fill)).min() >= 70.0 - 1e-3


def test_a_missing_photo_falls_back_to_a_texture_and_says_so(gothic, monkeypatch):
    monkeypatch.setattr(looks_module, "random_background", lambda rng, height, width: None)
    result = render("행복치킨", gothic, np.random.default_rng(0), RenderConfig().only_look("photo"))
    assert "photo_missing" in result.looks and "photo" not in result.looks
    assert result.image.dtype == np.uint8 and result.image.shape[2] == 3


def test_the_looks_take_a_fixed_number_of_draws():
    # switching a look on or off leaves every later draw of the crop as it was
    all_on = RenderConfig(document=1, small_text=1, extrude=1, relief=1, neighbour_line=1, strong_curve=1, edge_cut=1)
    after = []
    for config in (all_on, RenderConfig().only_look(None)):
        rng = np.random.default_rng(9)
        sample_looks(rng, config)
        after.append(rng.random())
    reference = np.random.default_rng(9)
    reference.random(LOOK_DRAWS)
    reference.integers(2**31)
    assert after[0] == after[1] == reference.random()


def test_relief_changes_the_letters_only(gothic):
    # relief keeps the crop's layout (a paired crop): same size, same panel away from the text
    # (relief letters have no outline or shadow: leave those out of both)
    base = RenderConfig(shading=0.0, outline=0.0, shadow=0.0).without_degradation()
    on, off = base.only_look("relief"), base.only_look(None)
    a = render("행복치킨", gothic, np.random.default_rng(1), on)
    b = render("행복치킨", gothic, np.random.default_rng(1), off)
    assert a.image.shape == b.image.shape and a.box == b.box and a.looks != b.looks
    changed = np.abs(a.image.astype(int) - b.image.astype(int)).max(axis=2) > 0
    ys, xs = np.nonzero(changed)
    x0, y0, x1, y1 = a.box
    reach = 10  # the shading's tail: ~4 sigma of its 0.035 em blur at 64 px
    assert len(xs) and xs.min() >= x0 - reach and xs.max() < x1 + reach
    assert ys.min() >= y0 - reach and ys.max() < y1 + reach


def test_scene_styles_have_no_looks():
    style = sample_style("행복치킨", np.random.default_rng(0), RenderConfig(document=1.0, relief=1.0))
    assert style.looks.names() == [] and style.panel != "paper"


def test_preview_sheet(gothic):
    sheet = preview_sheet("document", [(t, gothic) for t in TEXTS[:4]], seed=0, cell=(120, 30), columns=2)
    assert sheet.dtype == np.uint8 and sheet.shape == (2 * 36 + 6, 2 * 126 + 6, 3)
    with pytest.raises(ValueError, match="unknown look"):
        RenderConfig().only_look("sparkles")


def test_bouncing_letters_draw_from_their_own_stream_and_leave_the_other_looks_as_they_were():
    # so renders made before the bounce repeat: the crop's generator is left where it was
    plain, bouncing = RenderConfig(document=0.0), RenderConfig(document=0.0, bounce=1.0)
    for seed in range(20):
        rng_off, rng_on = np.random.default_rng([8, seed]), np.random.default_rng([8, seed])
        off, on = sample_looks(rng_off, plain), sample_looks(rng_on, bouncing)
        low, high = bouncing.bounce_amount
        assert off.bounce == 0 and low <= on.bounce <= high
        assert replace(on, bounce=0.0) == off
        assert rng_on.bit_generator.state == rng_off.bit_generator.state


def test_bouncing_letters_without_bounce_stand_where_the_straight_line_puts_them(gothic):
    font = gothic.load(48)
    style = sample_style("행복 치킨", np.random.default_rng(2), RenderConfig().only_look(None))
    style = replace(style, tracking=6.0)  # the straight line is drawn a character at a time too
    straight, straight_pen = _line_mask("행복 치킨", font, style, pad=20)
    flat, pen = bouncing_line("행복 치킨", font, _pen_gaps("행복 치킨", style), 20, 0.0, seed=1)
    assert flat.shape == straight.shape
    assert pen == pytest.approx(straight_pen)  # unscaled letters: the pen moves alike
    box, straight_box = ink_box(flat[..., None]), ink_box(straight[..., None])
    assert all(abs(a - b) <= 1 for a, b in zip(box, straight_box)), (box, straight_box)


def _ink_rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask.max(axis=1) > 12)


def test_bouncing_letters_stand_at_different_heights(gothic):
    font = gothic.load(48)
    flat, _ = bouncing_line("가가가가가가", font, [], 30, 0.0, seed=3)
    bouncy, _ = bouncing_line("가가가가가가", font, [], 30, 0.35, seed=3)

    def centres(mask: np.ndarray) -> list[float]:
        # the middle of the ink rows in each character's sixth of the line
        x0, _, x1, _ = ink_box(mask[..., None])
        edges = np.linspace(x0, x1, 7).astype(int)
        return [float(_ink_rows(mask[:, a:b]).mean()) for a, b in itertools.pairwise(edges)]

    assert max(centres(flat)) - min(centres(flat)) < 1  # one height: the same syllable six times
    assert max(centres(bouncy)) - min(centres(bouncy)) >= 4
    assert np.array_equal(bouncy, bouncing_line("가가가가가가", font, [], 30, 0.35, seed=3)[0])  # repeats


def test_marks_stay_on_the_line_while_the_syllables_bounce(gothic):
    font = gothic.load(48)
    width = round(font.getlength("."))
    for seed in range(5):
        bouncy, _ = bouncing_line(".가나", font, [], 30, 0.35, seed=seed)
        flat, _ = bouncing_line(".가나", font, [], 30, 0.0, seed=seed)
        dot = slice(30, 30 + width // 2 + 1)  # the left half of the mark's advance
        assert np.array_equal(_ink_rows(bouncy[:, dot]), _ink_rows(flat[:, dot]))


def test_a_bounce_amount_of_one_or_more_is_refused():
    with pytest.raises(ValueError, match="bounce_amount"):
        RenderConfig(bounce_amount=(0.5, 1.0))
    with pytest.raises(ValueError, match="bounce_amount"):
        RenderConfig(bounce_amount=(0.3, 0.2))


def test_letter_colours_draw_from_their_own_stream_and_leave_the_other_looks_as_they_were():
    # so renders made before the letter colours repeat: the crop's generator is left where it was
    plain, coloured = RenderConfig(document=0.0), RenderConfig(document=0.0, letter_colours=1.0)
    counts = set()
    for seed in range(20):
        rng_off, rng_on = np.random.default_rng([9, seed]), np.random.default_rng([9, seed])
        off, on = sample_looks(rng_off, plain), sample_looks(rng_on, coloured)
        assert off.letter_colours == 0 and on.letter_colours in (2, 3)
        assert replace(on, letter_colours=0) == off
        assert rng_on.bit_generator.state == rng_off.bit_generator.state
        counts.add(on.letter_colours)
    assert counts == {2, 3}


def test_the_colour_map_takes_the_colours_in_turn_and_skips_spaces():
    # "가 나다": 가 over [0, 10), the space [10, 15) keeps 가's colour, 나 [15, 25), 다 to the end
    colours = letter_colour_map("가 나다", [0.0, 10.0, 15.0, 25.0, 35.0], (2, 40), colours=2, vertical=False)
    assert colours.shape == (2, 40) and colours.dtype == np.uint8
    assert colours[0, :15].tolist() == [0] * 15 and colours[1, 15:25].tolist() == [1] * 10
    assert colours[0, 25:].tolist() == [0] * 15
    three = letter_colour_map("가나다라", [0.0, 5.0, 10.0, 15.0, 20.0], (20, 3), colours=3, vertical=True)
    assert three[[0, 5, 10, 15], 1].tolist() == [0, 1, 2, 0]  # down the rows of a column


def test_a_colour_band_starts_in_the_gap_nearest_the_pen_not_inside_a_syllable():
    # the first glyph overhangs its advance (ink in column 6); its own gap (columns 2-3) is
    # beyond a quarter advance of the pen, so the band starts at the first empty column after it
    ink = np.array([3, 3, 0, 0, 3, 3, 3, 0, 0, 3, 3, 3])
    assert letter_starts(ink, [0.0, 6.0, 12.0]) == [0.0, 7.0, 12.0]
    assert letter_starts(np.full(12, 3), [0.0, 6.0, 12.0]) == [0.0, 6.0, 12.0]  # no gap: the pen


SOLID_LETTER_COLOURS = RenderConfig(letter_colours=1.0, document=0.0, panels=(("solid", 1.0),))


def _coloured_style(text: str, seed: int, **changes) -> Style:
    config = SOLID_LETTER_COLOURS.only_look("letter_colours")
    looks = sample_looks(np.random.default_rng([6, seed]), config)
    return replace(sample_style(text, np.random.default_rng([5, seed]), config, looks), **changes)


def test_letter_colours_paint_each_letter_in_its_own_colour(gothic):
    font = gothic.load(48)
    plain = {"rotation": 0.0, "perspective": None, "curve": 0.0, "outline": 0, "shadow": None, "vertical": False}
    painted = 0
    for seed in range(8):
        style = _coloured_style("가나", seed, **plain)
        if style.palette is None:  # no colour stood apart from the fill (tested below)
            continue
        assert len(style.palette) == style.looks.letter_colours
        layers = text_layers("가나", font, style)
        image = np.zeros((*layers.masks.shape[:2], 3), np.float32) + style.background
        paint_text(image, layers, style)
        ink = layers.masks[..., 0] == 255  # the fill's solid core: no panel shows through
        middle = (layers.box[0] + layers.box[2]) // 2
        first, second = image[:, :middle][ink[:, :middle]], image[:, middle:][ink[:, middle:]]
        assert np.abs(first - style.palette[0]).max() < 1, seed
        assert np.abs(second - style.palette[1]).max() < 1, seed
        painted += 1
    assert painted >= 5


def test_the_palette_stands_out_from_the_panel_and_its_colours_from_each_other():
    grays = []
    for seed in range(40):
        style = _coloured_style("가나다", seed)
        if style.palette is None:  # no colour stood apart: the look is off, and says so
            assert not style.looks.letter_colours and "letter_colours" not in style.looks.names()
            continue
        assert len(style.palette) == style.looks.letter_colours >= 2
        gray = luminance(style.palette)
        for value in gray[1:]:
            assert abs(float(value - luminance(style.background))) >= SOLID_LETTER_COLOURS.min_contrast
        assert min(abs(a - b) for a, b in itertools.combinations(gray, 2)) >= LETTER_GRAY_GAP
        grays.append(len(gray))
    assert set(grays) == {2, 3}


def test_each_glyph_keeps_one_colour_through_arcs_rotation_and_perspective(gothic):
    font = gothic.load(48)
    checked = 0
    for seed in range(6):
        style = _coloured_style("가 나 다", seed, vertical=False, rotation=8.0, curve=14.0, outline=0, shadow=None)
        style.perspective = np.random.default_rng(seed).uniform(-1, 1, (4, 2)) * 6
        style.looks.arc = 0.5 if seed % 2 else 0.0  # the circular arc or the parabola
        if style.palette is None:
            continue
        checked += 1
        layers = warp_layers(text_layers("가 나 다", font, style), style)
        count, labels = cv2.connectedComponents((layers.masks[..., 0] > 128).astype(np.uint8))
        seen = set()
        for component in range(1, count):
            indices = np.unique(layers.colour_map[labels == component])
            assert len(indices) == 1, (seed, component, indices)  # one glyph part, one colour
            seen.add(int(indices[0]))
        assert len(seen) >= 2, seed
    assert checked >= 4


def test_neon_and_photo_panels_and_single_letters_change_no_colour():
    looks = sample_looks(np.random.default_rng(1), SOLID_LETTER_COLOURS)
    assert looks.letter_colours
    assert not looks.fitting("가 ", vertical=False, panel="solid").letter_colours
    assert looks.fitting("가나", vertical=False, panel="solid").letter_colours == looks.letter_colours
    for panel in ("neon", "photo"):  # the glow is the fill's colour; a photo keeps clear of the fill alone
        assert not looks.fitting("가나", vertical=False, panel=panel).letter_colours
