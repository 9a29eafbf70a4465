"""Detector scenes (krocr.synth.scenes) and their photo backgrounds (krocr.synth.backgrounds):
one box per word, every labelled box whole inside the image and over its ink (and all ink
inside some box), curved and turned lines boxed around their ink, ### for tiny, hidden or
edge-cut words, text-free scenes, every fallback counted (no photo, no paper texture, photo
sign panels, unreadable files named), and identical bytes whatever the number of workers."""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from krocr.charset import normalize_text
from krocr.commands.synth import _scene_line, configure
from krocr.data.importers import read_icdar2015
from krocr.errors import ConfigError
from krocr.synth import backgrounds, scenes
from krocr.synth.fonts import FontFace, FontPool
from krocr.synth.generate import SynthOptions, generate
from krocr.synth.render import Layers, RenderConfig
from krocr.synth.scenes import (
    CLIP_TOLERANCE,
    ILLEGIBLE,
    SCENE_KINDS,
    Block,
    SceneConfig,
    ScenePlan,
    _hidden_share,
    _plain_style,
    _thickness,
    arc_line,
    plan_scene,
    render_scene,
    sign_panel,
    stacked_column,
    stacked_words,
    straight_line,
    turned_line,
    write_icdar2015,
)

GOTHIC = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
TEXTS = [
    "행복치킨",
    "영업시간 10:00 - 22:00",
    "02-123-4567",
    "Cafe 온",
    "1인 3개까지 구매 가능합니다.",
    "돼지고기(국내산), 쌀(국내산)",
    "SEOUL 77",
    "신규 오픈",
    "·",
    "￦5,000",
]
SMALL = (192, 144)  # renders in tests stay tiny


@pytest.fixture(scope="module")
def pool() -> FontPool:
    if not GOTHIC.is_file():
        pytest.skip("NanumGothic (Debian fonts-nanum) is not installed")
    face = FontFace(str(GOTHIC), 0, "NanumGothic", "Regular", "fonts-nanum")
    chars = frozenset("".join(TEXTS) + " 0123456789,원$.")
    return FontPool((face,), (chars,))


def _texts(count: int, offset: int = 0) -> list[str]:
    return [TEXTS[(offset + i) % len(TEXTS)] for i in range(count)]


def _clockwise(points: np.ndarray) -> bool:
    """Positive shoelace area with y pointing down: corners go clockwise on screen."""
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) > 0


def _area(points: np.ndarray) -> float:
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))) / 2


def _without_ink(monkeypatch, render):
    """``render()`` again with every glyph mask empty: the same layout and draws, no ink."""
    real = scenes.text_layers

    def blank(*args, **kwargs) -> Layers:
        layers = real(*args, **kwargs)
        return Layers(np.zeros_like(layers.masks), layers.box)

    with monkeypatch.context() as patch:
        patch.setattr(scenes, "text_layers", blank)
        return render()


@pytest.mark.parametrize("kind", SCENE_KINDS)
def test_every_kind_labels_only_whole_words_over_their_ink(pool, kind, monkeypatch):
    """Many scenes per kind (all effects on): one box per word; each labelled box whole inside
    the image (no edge cut it), of positive area and over ink (the scene minus its twin drawn
    without ink); and every ink pixel inside some box."""
    config = SceneConfig(size=SMALL, kinds=((kind, 1.0),))
    width, height = SMALL
    for seed in range(20):
        plan = plan_scene(np.random.default_rng([seed, 1]), config)
        assert plan.kind == kind
        texts = _texts(plan.text_count, seed)

        def draw(plan=plan, texts=texts, seed=seed):
            return render_scene(plan, texts, pool, np.random.default_rng([seed, 2]), RenderConfig(), config)

        scene = draw()
        twin = _without_ink(monkeypatch, draw)
        assert [w.points.tolist() for w in twin.words] == [w.points.tolist() for w in scene.words]
        ink = np.abs(scene.image.astype(np.int16) - twin.image).max(axis=2)
        assert scene.image.shape == (height, width, 3) and scene.image.dtype == np.uint8
        assert scene.kind == kind
        assert scene.clipped_words == 0  # surfaces hold their widest lines: no edge cuts a word
        covered = np.zeros((height, width), np.uint8)
        for word in scene.words:
            assert word.points.shape == (4, 2) and word.unclipped is not None
            inside = np.zeros((height, width), np.uint8)
            cv2.fillPoly(inside, [np.round(word.points).astype(np.int32)], 1)
            covered |= inside
            if word.text == ILLEGIBLE:
                continue
            whole = word.unclipped  # the box before any edge cut it: all of it in the image
            assert (whole >= -CLIP_TOLERANCE).all(), (seed, word.text, whole)
            assert (whole[:, 0] <= width - 1 + CLIP_TOLERANCE).all(), (seed, word.text, whole)
            assert (whole[:, 1] <= height - 1 + CLIP_TOLERANCE).all(), (seed, word.text, whole)
            assert np.linalg.norm(word.points - whole, axis=1).max() <= CLIP_TOLERANCE
            assert _area(word.points) > 4, (seed, word.text)
            assert ink[inside > 0].mean() > 3, (seed, word.text)  # gray levels the word's ink adds
        near = cv2.dilate(covered, np.ones((5, 5), np.uint8))  # blur spreads ink ~2 px
        assert int(((ink > 40) & (near == 0)).sum()) == 0, seed
        # one box per word of the texts (split at spaces); menus add one price per row
        tokens = [token for text in texts for token in text.split()]
        drawn = [w for w in scene.words if not w.generated]
        assert len(drawn) == len(tokens)
        assert all(w.text in (ILLEGIBLE, normalize_text(token)) for w, token in zip(drawn, tokens))
        rows = max(plan.text_count - 1, 0) if kind == "menu" else 0
        assert sum(w.generated for w in scene.words) == rows
        assert all(_clockwise(w.points) for w in scene.words if _thickness(w.points, w.text) > 1)


def test_a_blank_scene_has_no_text_and_an_empty_ground_truth_that_imports(pool, tmp_path):
    config = SceneConfig(size=SMALL, kinds=(("blank", 1.0),))
    plan = plan_scene(np.random.default_rng(0), config)
    assert plan.blocks == () and plan.text_count == 0
    scene = render_scene(plan, [], pool, np.random.default_rng(1), RenderConfig(), config)
    assert scene.words == []
    cv2.imwrite(str(tmp_path / "img_1.jpg"), scene.image)
    write_icdar2015(tmp_path / "gt_img_1.txt", scene.words)
    records, log = read_icdar2015(tmp_path / "gt_img_1.txt", tmp_path)
    assert len(records) == 1 and records[0].words == [] and len(log) == 0


def test_plans_keep_blocks_inside_and_apart():
    for kind in ("signs", "storefront", "label"):
        config = SceneConfig(kinds=((kind, 1.0),))
        for seed in range(20):
            plan = plan_scene(np.random.default_rng(seed), config)
            assert plan == plan_scene(np.random.default_rng(seed), config)  # deterministic
            for a in plan.blocks:
                assert a.x >= 0 and a.x + a.width <= 640 and a.y >= 0 and a.y + a.height <= 480
                for b in plan.blocks:
                    if a is not b:
                        apart = a.x + a.width <= b.x or b.x + b.width <= a.x
                        assert apart or a.y + a.height <= b.y or b.y + b.height <= a.y


def _ink_outside(masks: np.ndarray, words) -> int:
    """Ink pixels (any layer) that no word box covers."""
    covered = np.zeros(masks.shape[:2], np.uint8)
    for w in words:
        cv2.fillPoly(covered, [np.round(w.points).astype(np.int32)], 1)
    grown = cv2.dilate(covered, np.ones((3, 3), np.uint8))  # rounding to whole pixels
    return int(((masks.max(axis=2) > 40) & (grown == 0)).sum())


def test_straight_curved_turned_and_stacked_lines_box_all_their_ink(pool):
    face = pool.faces[0]
    font = face.load(28)
    style = _plain_style(28, np.zeros(3), np.full(3, 255.0))
    words = ["영업시간", "10:00", "-", "22:00"]
    line = straight_line(words, font, style, 2)
    assert [w.text for w in line.words] == words and _ink_outside(line.masks, line.words) == 0
    # a lone dash gets a box as tall as the text around it, not a sliver
    assert _thickness(line.words[2].points, "-") >= 0.6 * 28
    for upward in (True, False):
        arc = arc_line(words, font, style, 2, np.radians(70), upward)
        assert [w.text for w in arc.words] == words and _ink_outside(arc.masks, arc.words) == 0
        # the boxes follow the arc: the first and last words lean opposite ways
        first, last = (np.subtract(*w.points[[1, 0]])[::-1] for w in (arc.words[0], arc.words[-1]))
        assert np.sign(np.arctan2(*first)) == -np.sign(np.arctan2(*last))
    turned = turned_line(line)
    assert turned.masks.shape[:2] == line.masks.shape[1::-1]
    assert _ink_outside(turned.masks, turned.words) == 0
    top_left = turned.words[0].points[0]  # the text's top-left is the box's top-right on screen
    assert top_left[0] > turned.words[0].points[3][0]
    column = stacked_column("행복치킨", font, replace(style, vertical=True), 2)
    assert column.masks.shape[0] > column.masks.shape[1] and _ink_outside(column.masks, column.words) == 0


def test_a_vertical_panel_stacks_words_in_columns_side_by_side(pool):
    """Two texts in a column block: two columns, the first on the right; a text of short
    Hangul words is stacked word below word, each word its own tall box over its ink."""
    font = FontFace(str(GOTHIC), 0, "NanumGothic", "Regular", "fonts-nanum").load(32)
    style = _plain_style(32, np.zeros(3), np.full(3, 255.0))
    line = stacked_words(["신규", "오픈"], font, replace(style, vertical=True), 2)
    assert [w.text for w in line.words] == ["신규", "오픈"] and _ink_outside(line.masks, line.words) == 0
    block = Block("column", 0, 0, 90, 400, 2)
    for seed in range(4):
        draw = np.random.default_rng(seed)
        surface = sign_panel(block, ["행복치킨", "신규 오픈"], pool, draw, RenderConfig(), SceneConfig(), 0.0)
        right, top, bottom = surface.words
        assert [w.text for w in surface.words] == ["행복치킨", "신규", "오픈"]
        for word in surface.words:  # stacked: taller than wide, read from the column's top-left
            size = word.points.max(axis=0) - word.points.min(axis=0)
            assert size[1] > size[0] and (word.points[0] == word.points.min(axis=0)).all()
        assert right.points[:, 0].min() > max(top.points[:, 0].max(), bottom.points[:, 0].max())
        assert top.points[:, 1].max() <= bottom.points[:, 1].min()


def test_night_scenes_are_dark_and_their_words_lie_on_lit_ink(pool, tmp_path):
    """The same plan by day and at night: at night what lies outside the word boxes is far
    darker, while every word's box still holds bright ink (luminous letters or a light box);
    the summary counts the night scenes."""
    size = (320, 240)
    for kind in ("storefront", "signs"):
        config = SceneConfig(size=size, kinds=((kind, 1.0),), night=0.0)
        medians = {False: [], True: []}
        for seed in range(6):
            plan = plan_scene(np.random.default_rng([seed, 1]), config)
            assert not plan.night
            texts = _texts(plan.text_count, seed)
            for night in (False, True):
                draw = np.random.default_rng([seed, 2])
                scene = render_scene(replace(plan, night=night), texts, pool, draw, RenderConfig(), config)
                assert scene.night == night
                gray = cv2.cvtColor(scene.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
                boxes = np.zeros(gray.shape, np.uint8)
                for word in scene.words:
                    cv2.fillPoly(boxes, [np.round(word.points).astype(np.int32)], 1)
                outside = float(np.median(gray[boxes == 0]))
                medians[night].append(outside)
                if not night:
                    continue
                assert outside < 60, (kind, seed)
                for word in scene.words:
                    if word.text == ILLEGIBLE:
                        continue
                    inside = cv2.fillPoly(np.zeros(gray.shape, np.uint8), [np.round(word.points).astype(np.int32)], 1)
                    bright = np.percentile(gray[inside > 0], 99)
                    assert bright > max(2 * outside, 80), (kind, seed, word.text, bright, outside)
        assert np.mean(medians[True]) < 0.4 * np.mean(medians[False]), (kind, medians)
    config = SceneConfig(size=(160, 120), kinds=(("storefront", 1.0), ("document", 1.0)), night=1.0)
    summary = generate(SynthOptions(out=tmp_path, lang="ko", count=4, seed=3, scenes=True, workers=1, scene=config))
    stats = summary["scenes"]
    assert stats["night"] == stats["kinds"].get("storefront", 0)  # documents are never at night
    assert f"({stats['night']} at night)" in _scene_line(stats)


def test_dense_facades_hold_more_signs_and_words(pool):
    """A dense facade plans well over half as many sign panels again as a default storefront
    (at least 5), and its scenes hold more word boxes."""
    panels, words = {}, {}
    for share in (1.0, 0.0):
        config = SceneConfig(kinds=(("storefront", 1.0),), dense=share, night=0.0)
        plans = [plan_scene(np.random.default_rng([seed, 1]), config) for seed in range(30)]
        counts = [sum(block.kind == "panel" for block in plan.blocks) for plan in plans]
        assert share == 0.0 or min(counts) >= 5
        panels[share] = np.mean(counts)
        words[share] = 0
        for seed, plan in enumerate(plans[:6]):
            draw = np.random.default_rng(seed)
            scene = render_scene(plan, _texts(plan.text_count, seed), pool, draw, RenderConfig(), config)
            words[share] += len(scene.words)
    assert panels[1.0] > 1.6 * panels[0.0] and words[1.0] > 1.15 * words[0.0], (panels, words)


def test_text_height_decides_legibility():
    wide = np.array([[0, 0], [40, 0], [40, 9], [0, 9]], np.float32)
    assert _thickness(wide, "word") == 9
    narrow = np.array([[0, 0], [5, 0], [5, 14], [0, 14]], np.float32)
    assert _thickness(narrow, "1") == 14  # one narrow character keeps its height
    assert _thickness(narrow, "행복") == 5  # a stacked column: its width


def test_tiny_words_are_illegible(pool):
    config = SceneConfig(size=SMALL, kinds=(("document", 1.0),), min_legible=1000.0)
    plan = plan_scene(np.random.default_rng(3), config)
    scene = render_scene(plan, _texts(plan.text_count), pool, np.random.default_rng(4), RenderConfig(), config)
    assert scene.words and all(w.text == ILLEGIBLE for w in scene.words)


def test_the_share_of_a_box_behind_a_pole():
    hidden = np.zeros((50, 100), np.uint8)
    hidden[:, 40:60] = 255
    box = np.array([[20, 10], [80, 10], [80, 30], [20, 30]], np.float32)
    assert _hidden_share(hidden, box) == pytest.approx(20 / 60, abs=0.05)
    assert _hidden_share(hidden, box - [20, 0]) == pytest.approx(20 / 60, abs=0.05)
    assert _hidden_share(hidden, box * [0.4, 1]) == 0.0  # x 8..32: clear of the pole


def test_no_photo_installed_falls_back_to_a_drawn_background_and_says_so(pool, monkeypatch, tmp_path):
    monkeypatch.setattr(backgrounds, "PHOTO_MANIFEST", {"not-a-package": (str(tmp_path / "none" / "*.jpg"),)})
    assert backgrounds.background_photos() == []
    assert backgrounds.random_background(np.random.default_rng(0), 32, 48) is None
    config = SceneConfig(size=SMALL, kinds=(("signs", 1.0),))
    plan = plan_scene(np.random.default_rng(0), config)
    scene = render_scene(plan, _texts(plan.text_count), pool, np.random.default_rng(1), RenderConfig(), config)
    assert scene.background == "procedural" and scene.fallback
    assert scene.fallbacks.get("photo_fallback") == 1 and scene.unreadable == ()
    summary = generate(SynthOptions(out=tmp_path / "out", lang="ko", count=2, scenes=True, scene=config))
    stats = summary["scenes"]
    assert stats["backgrounds"] == {"photo": 0, "procedural": 2, "photo_fallback": 2, "photo_unreadable": 0}
    assert stats["photos_installed"] == 0 and stats["unreadable_files"] == {}
    assert "2 scenes wanted a photo background and got a drawn one: no photo installed" in _scene_line(stats)


def test_a_page_without_paper_texture_is_plain_and_counted(pool, monkeypatch, tmp_path):
    monkeypatch.setattr(backgrounds, "PAPER_MANIFEST", {"not-a-package": (str(tmp_path / "none" / "*.png"),)})
    assert backgrounds.paper_textures() == []
    config = SceneConfig(size=SMALL, kinds=(("document", 1.0),))
    for seed in range(2):
        plan = plan_scene(np.random.default_rng(seed), config)
        scene = render_scene(plan, _texts(plan.text_count), pool, np.random.default_rng(seed), RenderConfig(), config)
        assert scene.paper_fallback and scene.fallbacks.get("paper_fallback") == 1
        assert "paper_unreadable" not in scene.fallbacks
    summary = generate(SynthOptions(out=tmp_path / "out", lang="ko", count=3, scenes=True, scene=config))
    stats = summary["scenes"]
    assert stats["fallbacks"]["paper_fallback"] == 3 and stats["fallbacks"]["paper_unreadable"] == 0
    assert stats["papers_installed"] == 0
    assert "3 document pages were drawn on plain paper: no paper texture installed" in _scene_line(stats)


def test_an_installed_file_that_cannot_be_read_is_counted_apart_and_named_once(monkeypatch, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a JPEG after all")
    manifest = {"test": (str(tmp_path / "*.jpg"),)}
    monkeypatch.setattr(backgrounds, "PHOTO_MANIFEST", manifest)
    monkeypatch.setattr(backgrounds, "PAPER_MANIFEST", manifest)
    assert backgrounds.background_photos() == [broken] and backgrounds.paper_textures() == [broken]
    with backgrounds.unreadable_files() as outer, backgrounds.unreadable_files() as inner:
        assert backgrounds.random_background(np.random.default_rng(0), 32, 48) is None
        assert backgrounds.random_paper(np.random.default_rng(0), 32, 48) is None
    assert outer == inner == [broken, broken]
    config = SceneConfig(size=SMALL, kinds=(("signs", 1.0), ("document", 1.0)))
    summary = generate(SynthOptions(out=tmp_path / "out", lang="ko", count=6, scenes=True, scene=config))
    stats = summary["scenes"]
    backdrops, fallbacks = stats["backgrounds"], stats["fallbacks"]
    assert backdrops["photo"] == 0 and backdrops["photo_fallback"] == 0  # installed: not "none installed"
    assert backdrops["photo_unreadable"] > 0 and fallbacks["paper_unreadable"] == stats["kinds"].get("document", 0)
    assert fallbacks["paper_fallback"] == fallbacks["panel_fallback"] == 0
    caused = backdrops["photo_unreadable"] + fallbacks["paper_unreadable"] + fallbacks["panel_unreadable"]
    assert stats["unreadable_files"] == {str(broken): caused}
    line = _scene_line(stats)
    assert line.count(str(broken)) == 1 and f"cannot read {broken}" in line
    assert "no photo installed" not in line and "no paper texture installed" not in line


@pytest.mark.parametrize("installed", ["none", "unreadable"])
def test_photo_sign_panels_that_fall_back_are_counted(pool, monkeypatch, tmp_path, installed):
    if installed == "unreadable":
        (tmp_path / "broken.jpg").write_bytes(b"not an image")
    monkeypatch.setattr(backgrounds, "PHOTO_MANIFEST", {"test": (str(tmp_path / "*.jpg"),)})
    config = SceneConfig(size=SMALL, kinds=(("storefront", 1.0),))
    photo_panels = RenderConfig().only_look("photo")  # every sign panel wants a photo
    plan = plan_scene(np.random.default_rng(2), config)
    scene = render_scene(plan, _texts(plan.text_count), pool, np.random.default_rng(3), photo_panels, config)
    panels = len(plan.blocks)  # a storefront is sign panels (and maybe a column) on a drawn facade
    assert panels > 0
    if installed == "none":
        assert scene.fallbacks == {"panel_fallback": panels} and scene.unreadable == ()
    else:
        assert scene.fallbacks == {"panel_unreadable": panels}
        assert scene.unreadable == (str(tmp_path / "broken.jpg"),) * panels


def test_a_word_an_edge_cuts_is_illegible_and_counted(pool, monkeypatch):
    """The safety net: a word whose box the surface's or the image's edge cuts by more than
    CLIP_TOLERANCE px is ### and counted, whatever the layout did."""
    config = SceneConfig(size=SMALL, kinds=(("label", 1.0),), tilt=0.0, occluders=0.0)
    texts = ["행복치킨", "돼지고기(국내산), 쌀(국내산)", "1인 3개까지 구매 가능합니다."]
    # the image's edge: a label block hanging 60 px over the left border
    plan = ScenePlan("label", (Block("label", -60, 10, 150, 120, len(texts)),))
    scene = render_scene(plan, texts, pool, np.random.default_rng(0), RenderConfig(), config)
    # the surface's edge: the first line of a page laid out from 20 px left of the page
    real = scenes._paint_lines

    def shifted(surface, puts, generated=lambda _: False):
        puts = list(puts)
        puts[0] = replace(puts[0], x=-20)
        real(surface, puts, generated)

    monkeypatch.setattr(scenes, "_paint_lines", shifted)
    doc = SceneConfig(size=SMALL, kinds=(("document", 1.0),))
    page = plan_scene(np.random.default_rng(1), doc)
    cut_page = render_scene(page, _texts(page.text_count), pool, np.random.default_rng(1), RenderConfig(), doc)
    for one in (scene, cut_page):
        cuts = [float(np.linalg.norm(w.points - w.unclipped, axis=1).max()) for w in one.words]
        assert one.clipped_words == sum(cut > CLIP_TOLERANCE for cut in cuts) > 0
        assert all(w.text == ILLEGIBLE for w, cut in zip(one.words, cuts) if cut > CLIP_TOLERANCE)
        assert all((w.points >= 0).all() for w in one.words)
    assert cut_page.words[0].text == ILLEGIBLE


def test_random_background_crops_installed_photos(tmp_path, monkeypatch):
    photo = np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), photo)
    monkeypatch.setattr(backgrounds, "PHOTO_MANIFEST", {"test": (str(tmp_path / "*.png"),)})
    monkeypatch.setattr(backgrounds, "PAPER_MANIFEST", {"test": (str(tmp_path / "*.png"),)})
    assert backgrounds.background_photos() == [tmp_path / "a.png"]
    for height, width in ((48, 160), (480, 640), (7, 3)):
        crop = backgrounds.random_background(np.random.default_rng(5), height, width)
        assert crop is not None and crop.shape == (height, width, 3) and crop.dtype == np.uint8
        assert crop.flags.writeable
        again = backgrounds.random_background(np.random.default_rng(5), height, width)
        assert again is not None and np.array_equal(crop, again)
        paper = backgrounds.random_paper(np.random.default_rng(5), height, width)
        assert paper is not None and paper.shape == (height, width, 3)
    with pytest.raises(ValueError):
        backgrounds.random_background(np.random.default_rng(0), 0, 10)


def test_the_photo_packages_are_what_setup_installs():
    setup = (Path(__file__).resolve().parents[1] / "scripts" / "setup.sh").read_text(encoding="utf-8")
    listed = re.search(r"^BACKGROUNDS=\(([^)]*)\)", setup, re.M)
    assert listed is not None and sorted(listed.group(1).split()) == backgrounds.photo_packages()


def test_scenes_are_the_same_bytes_with_one_or_two_workers(tmp_path):
    config = SceneConfig(size=(160, 120))
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        generate(SynthOptions(out=out, lang="ko", count=4, seed=7, scenes=True, workers=workers, scene=config))
        outs.append(out / "scenes")
    names = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert len(names) == 12  # per scene: the image, its words and its lines
    for name in names:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_scene_options_on_the_command_line():
    parser = argparse.ArgumentParser()
    configure(parser)
    base = ["--count", "1", "--out", "x", "--scenes"]
    args = parser.parse_args([*base, "--scene-kinds", "signs=2,document=1", "--scene-size", "640x640"])
    assert args.scene_kinds == (("signs", 2.0), ("document", 1.0)) and args.scene_size == (640, 640)
    for bad in (["--scene-kinds", "posters=1"], ["--scene-kinds", "signs=0"], ["--scene-size", "640"]):
        with pytest.raises(SystemExit):
            parser.parse_args([*base, *bad])
    with pytest.raises(ConfigError):
        SceneConfig(kinds=(("signs", -1.0),))
    with pytest.raises(ConfigError):
        SceneConfig(size=(32, 32))
    with pytest.raises(ConfigError, match=r"scene kind given twice: 'signs'$"):
        SceneConfig(kinds=(("signs", 1.0), ("document", 1.0), ("signs", 2.0)))


def test_scene_lines_join_the_words_of_each_drawn_line_in_a_box_around_them():
    from krocr.synth.scenes import SceneWord, scene_lines

    def box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)

    words = [
        SceneWord(box(10, 10, 50, 30), "김치", line=0),
        SceneWord(box(60, 12, 100, 32), "찌개", line=0),
        SceneWord(box(200, 10, 240, 30), "8,000", line=1),
        SceneWord(box(10, 50, 50, 70), "###", line=2),
        SceneWord(box(60, 50, 90, 70), "라면", line=2),
    ]
    lines = scene_lines(words)
    assert [line.text for line in lines] == ["김치 찌개", "8,000", "###"]
    # the first word's left corners and the last one's right corners, as the photo reader's lines
    assert lines[0].points.tolist() == [[10, 10], [100, 12], [100, 32], [10, 30]]
    assert lines[1].points.tolist() == words[2].points.tolist()  # a word alone keeps its box
    stacked = scene_lines([SceneWord(box(10, 10, 40, 70), "피부과"), SceneWord(box(12, 80, 38, 120), "의원")])
    assert [line.text for line in stacked] == ["피부과 의원"]
    assert np.allclose(stacked[0].points, box(10, 10, 40, 120))  # a column: the rectangle around both
