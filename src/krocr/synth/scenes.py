"""Whole synthetic "storefront" scenes with ICDAR 2015 ground truth.

A scene is a building facade with several sign panels: horizontal panels in rows and
sometimes a tall vertical panel at a side, some rotated or under perspective. Each panel
carries 1–3 words drawn in one style and font with the crop renderer's pieces
(:func:`krocr.synth.render.text_layers`, ``paint_panel``, ``paint_text``), so scenes and
crops look alike. Every word's box is its ink box plus a small margin, mapped through the
panel's homography, written as ``x1,y1,x2,y2,x3,y3,x4,y4,text`` clockwise from the
top-left, one ``gt_img_N.txt`` per ``img_N.jpg`` (the ICDAR 2015 convention that
:func:`krocr.data.importers.read_icdar2015` reads). A stacked vertical word gets a tall box
whose first corner is the column's top-left, which ``krocr.data.crops`` turns into a
left-to-right crop.

:func:`plan_scene` fixes the layout and word count first (cheap, in the main process) so
the text stream can hand each scene its words; :func:`render_scene` draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np

from krocr.synth.fonts import FontPool
from krocr.synth.render import (
    RenderConfig,
    Style,
    crop_layers,
    degrade,
    paint_panel,
    paint_text,
    sample_style,
    text_layers,
)

Generator = np.random.Generator
ILLEGIBLE = "###"  # ICDAR 2015's mark for text nobody can read
_DEFAULT_RENDER = RenderConfig()  # frozen: one shared default instance is safe


@dataclass(frozen=True)
class SceneConfig:
    size: tuple[int, int] = (640, 480)  # width, height
    rows: tuple[int, int] = (1, 3)
    columns: tuple[int, int] = (1, 3)
    words_per_panel: tuple[int, int] = (1, 3)
    vertical_panel: float = 0.3  # P(a tall panel at a side, holding one word)
    tilt: float = 0.5  # P(a panel is rotated / under perspective)
    tilt_degrees: float = 8.0
    perspective: float = 0.08  # corner jitter, fraction of the panel's shorter side
    box_margin: float = 0.06  # annotation box around the ink, in font sizes
    min_legible: float = 10.0  # px of text height; thinner words are marked ### (illegible), as ICDAR does
    jpeg_quality: tuple[int, int] = (60, 95)


@dataclass(frozen=True)
class Slot:
    """A region of the scene reserved for one panel."""

    x: int
    y: int
    width: int
    height: int
    words: int
    vertical: bool


@dataclass(frozen=True)
class ScenePlan:
    slots: tuple[Slot, ...]

    @property
    def word_count(self) -> int:
        return sum(slot.words for slot in self.slots)


@dataclass
class SceneWord:
    points: np.ndarray  # (4, 2) float: top-left, top-right, bottom-right, bottom-left
    text: str


# ---- layout ------------------------------------------------------------------------------------
def plan_scene(rng: Generator, config: SceneConfig) -> ScenePlan:
    """Slots that never overlap: an optional tall side slot, then rows split into columns."""
    width, height = config.size
    slots: list[Slot] = []
    left, right = 0, width
    if rng.random() < config.vertical_panel:
        side_width = int(width * rng.uniform(0.09, 0.14))
        side_height = int(height * rng.uniform(0.55, 0.9))
        on_left = rng.random() < 0.5
        x = 0 if on_left else width - side_width
        slots.append(
            _inset(Slot(x, int(rng.integers(0, height - side_height + 1)), side_width, side_height, 1, True), rng)
        )
        left, right = (side_width, width) if on_left else (0, width - side_width)
    rows = int(rng.integers(config.rows[0], config.rows[1] + 1))
    for top, band in _split(0, height, rows, rng):
        columns = int(rng.integers(config.columns[0], config.columns[1] + 1))
        for x, span in _split(left, right - left, columns, rng):
            words = int(rng.integers(config.words_per_panel[0], config.words_per_panel[1] + 1))
            slots.append(_inset(Slot(x, top, span, band, words, False), rng))
    return ScenePlan(tuple(slots))


def _split(start: int, length: int, parts: int, rng: Generator) -> list[tuple[int, int]]:
    """``length`` cut into ``parts`` random spans (each at least half an equal share)."""
    shares = rng.uniform(0.5, 1.5, parts)
    edges = start + np.round(np.concatenate([[0], np.cumsum(shares)]) / shares.sum() * length).astype(int)
    return [(int(a), int(b - a)) for a, b in pairwise(edges)]


def _inset(slot: Slot, rng: Generator) -> Slot:
    gap = int(rng.integers(4, 16))
    return replace(
        slot, x=slot.x + gap, y=slot.y + gap, width=max(8, slot.width - 2 * gap), height=max(8, slot.height - 2 * gap)
    )


# ---- drawing -------------------------------------------------------------------------------------
def render_scene(
    plan: ScenePlan,
    texts: list[str],
    pool: FontPool,
    rng: Generator,
    render_config: RenderConfig = _DEFAULT_RENDER,
    config: SceneConfig = SceneConfig(),
) -> tuple[np.ndarray, list[SceneWord], list[str]]:
    """The scene (RGB uint8), its words with boxes, and the font of each panel."""
    if len(texts) != plan.word_count:
        raise ValueError(f"the plan holds {plan.word_count} words, got {len(texts)} texts")
    width, height = config.size
    scene = _facade(height, width, rng)
    words: list[SceneWord] = []
    fonts: list[str] = []
    flat = replace(render_config, rotate=0.0, perspective=0.0, curve=0.0)  # panels tilt as a whole
    used = 0
    for slot in plan.slots:
        slot_texts = texts[used : used + slot.words]
        used += slot.words
        panel, panel_words, font_names = _panel(slot, slot_texts, pool, rng, flat, config)
        words += _place(scene, panel, panel_words, slot, rng, config)
        fonts += font_names
    image = degrade(scene, 1.0, rng, replace(render_config, jpeg=0.0, low_res=0.0, motion_blur=0.0, blur=0.2))
    return image, words, fonts


def _facade(height: int, width: int, rng: Generator) -> np.ndarray:
    """A wall: a plain colour with texture, a light ramp and a few horizontal ledges."""
    base = np.array([rng.uniform(60, 220)] * 3, np.float32) + rng.uniform(-25, 25, 3).astype(np.float32)
    style = _wall_style(base)
    image = paint_panel(height, width, style, rng)
    for _ in range(int(rng.integers(0, 4))):
        y = int(rng.integers(0, height))
        cv2.line(
            image,
            (0, y),
            (width - 1, y),
            tuple(float(c) for c in base * rng.uniform(0.5, 0.8)),
            int(rng.integers(2, 10)),
        )
    return image


def _wall_style(base: np.ndarray) -> Style:
    return Style(
        size=32,
        tracking=0.0,
        vertical=False,
        bold=0,
        outline=0,
        shadow=None,
        panel="texture",
        background=np.clip(base, 0, 255),
        fill=base,
        fill_bottom=None,
        outline_color=base,
        shadow_color=base,
        glow=False,
        rotation=0.0,
        perspective=None,
        curve=0.0,
        margins=(0, 0, 0, 0),
    )


def _panel(
    slot: Slot, texts: list[str], pool: FontPool, rng: Generator, render_config: RenderConfig, config: SceneConfig
) -> tuple[np.ndarray, list[SceneWord], list[str]]:
    """A panel image (float32 RGB) with its words laid out in lines, boxes in panel pixels."""
    lines = len(texts)
    longest = max(len(t) for t in texts)
    # about one font size per character across, 1.4 per line down: the panel then fits its
    # slot with little shrinking
    size_hint = slot.width / 1.8 if slot.vertical else min(slot.height / (1.4 * lines + 0.8), slot.width / longest)
    size = int(np.clip(size_hint * rng.uniform(0.6, 1.0), 12, 72))
    # stacked when a side panel's word allows it; never for a multi-line panel
    vertical = 1.0 if slot.vertical else render_config.vertical if lines == 1 else 0.0
    style = sample_style(texts[0], rng, replace(render_config, font_size=(size, size), vertical=vertical))
    face = pool.choose("".join(texts), rng)
    faces = [face] * lines if face else [pool.choose(t, rng) for t in texts]
    margin = max(1, round(config.box_margin * style.size))
    tiles = []
    for text, text_face in zip(texts, faces):
        assert text_face is not None, f"no font covers {text!r}"  # texts come from a source that checks
        tiles.append(crop_layers(text_layers(text, text_face.load(style.size), style), (margin,) * 4))
    pad = max(2, round(style.size * rng.uniform(0.3, 0.8)))
    gap = round(style.size * rng.uniform(0.1, 0.4))
    panel_w = max(t.masks.shape[1] for t in tiles) + 2 * pad
    panel_h = sum(t.masks.shape[0] for t in tiles) + gap * (lines - 1) + 2 * pad
    panel = paint_panel(panel_h, panel_w, style, rng)
    _frame(panel, pad, rng)
    words, y = [], pad
    centered = rng.random() < 0.7
    for text, tile in zip(texts, tiles):
        tile_h, tile_w = tile.masks.shape[:2]
        x = (panel_w - tile_w) // 2 if centered else pad
        paint_text(panel[y : y + tile_h, x : x + tile_w], tile, style)
        corners = np.array([[x, y], [x + tile_w, y], [x + tile_w, y + tile_h], [x, y + tile_h]], np.float32)
        words.append(SceneWord(corners, text))
        y += tile_h + gap
    return panel, words, [f.name for f in faces if f is not None]


def _frame(panel: np.ndarray, pad: int, rng: Generator) -> None:
    """A border band inside the padding, as many signs have."""
    if rng.random() < 0.5 or pad < 4:
        return
    thickness = int(rng.integers(1, max(2, pad // 2)))
    color = tuple(float(c) for c in rng.uniform(0, 255, 3))
    cv2.rectangle(panel, (0, 0), (panel.shape[1] - 1, panel.shape[0] - 1), color, thickness)


def _place(
    scene: np.ndarray, panel: np.ndarray, words: list[SceneWord], slot: Slot, rng: Generator, config: SceneConfig
) -> list[SceneWord]:
    """Warp ``panel`` into ``slot`` (scaled to fit, maybe tilted) and map the word boxes."""
    panel_h, panel_w = panel.shape[:2]
    corners = np.array([[0, 0], [panel_w, 0], [panel_w, panel_h], [0, panel_h]], np.float32)
    tilt = _tilt(panel_w, panel_h, rng, config) if rng.random() < config.tilt else np.eye(3)
    projected = cv2.perspectiveTransform(corners[None], tilt)[0]
    low, high = projected.min(axis=0), projected.max(axis=0)
    # scaling after the tilt scales its extent exactly, so one fit suffices
    scale = min(slot.width / max(high[0] - low[0], 1), slot.height / max(high[1] - low[1], 1), 1.0)
    slack = np.array([slot.width, slot.height]) - (high - low) * scale
    offset = np.array([slot.x, slot.y]) + slack * rng.uniform(0, 1, 2) - low * scale
    matrix = np.array([[scale, 0, offset[0]], [0, scale, offset[1]], [0, 0, 1]]) @ tilt
    _composite(scene, panel, matrix)
    placed = [SceneWord(cv2.perspectiveTransform(w.points[None], matrix)[0], w.text) for w in words]
    return [SceneWord(w.points, w.text if _thickness(w.points) >= config.min_legible else ILLEGIBLE) for w in placed]


def _thickness(points: np.ndarray) -> float:
    """The shorter side of a word box: its text height (its width for a stacked column)."""
    tl, tr, br, bl = points
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    return float(min(width, height))


def _tilt(width: int, height: int, rng: Generator, config: SceneConfig) -> np.ndarray:
    """Rotation about the panel centre and a mild perspective."""
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    jitter = rng.uniform(-1, 1, (4, 2)) * config.perspective * min(width, height)
    matrix = cv2.getPerspectiveTransform(corners, (corners + jitter).astype(np.float32))
    angle = math.radians(rng.uniform(-config.tilt_degrees, config.tilt_degrees))
    cx, cy = width / 2, height / 2
    rotation = np.array(
        [
            [math.cos(angle), -math.sin(angle), cx - cx * math.cos(angle) + cy * math.sin(angle)],
            [math.sin(angle), math.cos(angle), cy - cx * math.sin(angle) - cy * math.cos(angle)],
            [0, 0, 1],
        ]
    )
    return rotation @ matrix


def _composite(scene: np.ndarray, panel: np.ndarray, matrix: np.ndarray) -> None:
    """Warp ``panel`` by ``matrix`` onto ``scene`` (in place), only over its bounding box."""
    height, width = scene.shape[:2]
    panel_h, panel_w = panel.shape[:2]
    corners = np.array([[0, 0], [panel_w, 0], [panel_w, panel_h], [0, panel_h]], np.float32)
    projected = cv2.perspectiveTransform(corners[None], matrix)[0]
    x0, y0 = np.maximum(np.floor(projected.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(projected.max(axis=0)).astype(int), [width, height])
    if x1 <= x0 or y1 <= y0:
        return
    local = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]]) @ matrix
    size = (int(x1 - x0), int(y1 - y0))
    warped = cv2.warpPerspective(panel, local, size, flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(np.ones((panel_h, panel_w), np.float32), local, size, flags=cv2.INTER_LINEAR)
    region = scene[y0:y1, x0:x1]
    region *= 1 - alpha[..., None]
    region += warped * alpha[..., None]


# ---- ground truth ------------------------------------------------------------------------------
def icdar2015_lines(words: list[SceneWord]) -> list[str]:
    """``x1,y1,x2,y2,x3,y3,x4,y4,text`` per word, integer pixels, clockwise from top-left."""
    # float(): round() of a NumPy 1.x float scalar gives a float, of a Python float an int
    return [",".join(str(round(float(v))) for v in w.points.reshape(-1)) + f",{w.text}" for w in words]


def write_icdar2015(path: str | Path, words: list[SceneWord]) -> Path:
    path = Path(path)
    path.write_text("".join(line + "\n" for line in icdar2015_lines(words)), encoding="utf-8")
    return path
