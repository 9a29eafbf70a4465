"""Whole synthetic scenes with ICDAR 2015 word boxes: training data for a text detector.

Six kinds of scene (shares in :class:`SceneConfig`, ``krocr synth --scene-kinds``):

* ``storefront``: a drawn building facade with rows of sign panels and sometimes a tall
  vertical panel at a side (the original scene); a *dense facade* (``SceneConfig.dense``)
  has 3–4 rows of 2–4 signs of varied sizes around one band of big letters.
* ``signs``: a photograph (:mod:`krocr.synth.backgrounds`) with sign panels at random
  places, sometimes a vertical panel and text drawn straight onto the photo; lines of a
  panel or of bare text are sometimes set on an arc.
* ``menu``: a board (chalk, light, wood, dark) with a title and rows of item + price.

A vertical panel holds one column, or two side by side (``two_columns``; the first text on
the right); a text whose words all stack (short Hangul, digits) is stacked one syllable per
row, word below word, else it is a line turned 90°.

**Night** (``SceneConfig.night``, storefronts, signs and menus; ``Scene.night``): the
backdrop is darkened to 10–35 % under a blue or orange cast, with lit windows and lamps
that are not text; each sign is lit: luminous letters (a bright colour, whitened in the
middle as a camera overexposes it) on a dark panel or with no panel at all on the wall, or
a light box (the sign as by day, lit from behind; every menu board is one). What shines
adds a blurred glow of its own colour around it (:func:`_glow`); the glow is light, not
ink: word boxes stay around the ink.
* ``label``: one or two product labels: a name, several small lines (wrapped), rules,
  sometimes a barcode.
* ``document``: black text on white paper: a title and paragraphs of wrapped lines, either
  scanned (the page fills the image, slightly skewed, with scan noise and specks) or
  photographed (a page on a photo, under perspective).
* ``blank``: a photo (or a facade) with no text at all, so a detector also learns silence.

On top of any kind: rotation and perspective per panel, occluders (poles that hide words,
cables), uneven lighting (ramps, spots, cast shadows), blur, noise and JPEG. Text sizes run
from 8 px (document body text) to 200 px (sign names, ``max_text``). Texts come from the caller (the
crop renderer's :class:`~krocr.synth.text.TextSource`), fonts from the
:class:`~krocr.synth.fonts.FontPool`; prices on menus are the only text made here.

**Ground truth is per word**: each text is split at spaces and every word gets its own
4-point box: the word's ink plus ``box_margin`` em, mapped through its panel's homography,
clockwise from the word's own top-left (``x1,y1,…,x4,y4,text``, ``gt_img_N.txt`` per
``img_N.jpg``, what :func:`krocr.data.importers.read_icdar2015` reads). A curved line's
word gets the smallest box aligned with the arc's direction at the word's middle that holds
all its glyphs (4 points: the writer and the importer carry quads). A stacked vertical word
gets a tall box starting at the column's top-left; a line turned 90° (text that cannot stack)
starts at its first letter's top-left, i.e. the box's top-right on screen. Words thinner than
``min_legible`` px, or hidden past ``occluded`` by a pole, are written as ``###`` (ICDAR's
"don't care"). Every box lies inside the image, and no label claims ink the image lacks:
surfaces are sized to their widest line (a document title to its widest word), and a word
whose box the edge of its surface or of the image still cuts by more than
:data:`CLIP_TOLERANCE` px is written as ``###`` and counted (``Scene.clipped_words``).
Each word knows the drawn line it belongs to (``SceneWord.line``); :func:`scene_lines` joins
them into line ground truth (``lines/gt_img_N.txt`` beside ``gt/``).

Fallbacks are counted per scene (``Scene.fallbacks``, keys :data:`FALLBACKS`): a photo
backdrop, a document page's paper texture or a photo sign panel that was wanted but is not
installed (``*_fallback``) or whose file could not be read (``*_unreadable``, the paths in
``Scene.unreadable``).

:func:`plan_scene` fixes the kind, the blocks and how many texts each takes (cheap, in the
main process, so the text stream hands each scene its texts in order);
:func:`render_scene` draws it from the per-scene generator alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import ImageFont

from krocr.charset import is_hangul_syllable, normalize_text
from krocr.data.crops import line_quad
from krocr.errors import ConfigError, repeated
from krocr.synth.backgrounds import random_background, random_paper, unreadable_files
from krocr.synth.fonts import FontFace, FontPool
from krocr.synth.render import (
    SIGN_COLORS,
    Layers,
    RenderConfig,
    Style,
    luminance,
    paint_panel,
    paint_text,
    sample_style,
    text_layers,
)

Generator = np.random.Generator
ILLEGIBLE = "###"  # ICDAR 2015's mark for text nobody can read
_DEFAULT_RENDER = RenderConfig()  # frozen: one shared default instance is safe

SceneKind = Literal["storefront", "signs", "menu", "label", "document", "blank"]
SCENE_KINDS: tuple[SceneKind, ...] = ("storefront", "signs", "menu", "label", "document", "blank")
DEFAULT_KIND_SHARES: tuple[tuple[str, float], ...] = (
    ("storefront", 0.20),
    ("signs", 0.25),
    ("menu", 0.15),
    ("label", 0.15),
    ("document", 0.20),
    ("blank", 0.05),
)
Shine = Literal["letters", "channel", "lightbox"]  # how a sign shines at night (_night_sign)
BlockKind = Literal["panel", "column", "bare", "menu", "label", "page", "scan"]
NIGHT_KINDS: tuple[SceneKind, ...] = ("storefront", "signs", "menu")  # the kinds drawn at night
Background = Literal["photo", "procedural"]
CLIP_TOLERANCE = 2.0  # px: a word box an edge cuts by more (at any corner) is ###
# what a scene drew instead of what it wanted: a photo backdrop, a page's paper texture, a
# photo sign panel; "_fallback": none installed, "_unreadable": the file drawn could not be read
FALLBACKS = (
    "photo_fallback",
    "photo_unreadable",
    "paper_fallback",
    "paper_unreadable",
    "panel_fallback",
    "panel_unreadable",
)


@dataclass(frozen=True)
class SceneConfig:
    size: tuple[int, int] = (640, 480)  # width, height
    kinds: tuple[tuple[str, float], ...] = DEFAULT_KIND_SHARES
    # storefront layout
    rows: tuple[int, int] = (1, 3)
    columns: tuple[int, int] = (1, 3)
    words_per_panel: tuple[int, int] = (1, 3)  # texts (lines) per panel
    dense: float = 0.35  # P(a storefront is a dense facade: 3-4 rows of 2-4 signs, one row of big letters)
    vertical_panel: float = 0.4  # P(a tall panel at a side (storefront) or somewhere (signs))
    two_columns: float = 0.35  # P(a vertical panel holds two columns side by side)
    tilt: float = 0.5  # P(a sign panel is rotated / under perspective)
    tilt_degrees: float = 8.0
    perspective: float = 0.08  # corner jitter, fraction of the panel's shorter side
    # text
    box_margin: float = 0.06  # annotation box around the ink, in font sizes
    min_legible: float = 10.0  # px across a word box; thinner words are ### (illegible), as ICDAR does
    min_text: int = 8  # px: the smallest font size drawn
    max_text: int = 200  # px: the largest font size of a sign
    curve: float = 0.2  # P(a line of a sign or of bare text is set on an arc)
    curve_degrees: tuple[float, float] = (25.0, 80.0)  # the angle a curved line's arc spans
    # the whole image
    night: float = 0.25  # P(a storefront, signs or menu scene at night: dark, its signs lit)
    occluders: float = 0.35  # P(poles and cables in front of the scene)
    occluded: float = 0.4  # a word with more of its box behind a pole is ###
    lighting: float = 0.6  # P(uneven light: a ramp, a spot, a cast shadow)
    blur: float = 0.35
    motion_blur: float = 0.08
    noise: float = 0.4
    jpeg_quality: tuple[int, int] = (35, 95)

    def __post_init__(self) -> None:
        width, height = self.size
        if width < 64 or height < 64:
            raise ConfigError(f"scene size must be at least 64x64, got {width}x{height}")
        unknown = sorted({name for name, _ in self.kinds} - set(SCENE_KINDS))
        if unknown:
            raise ConfigError(f"unknown scene kind {', '.join(map(repr, unknown))} (known: {', '.join(SCENE_KINDS)})")
        twice = repeated(name for name, _ in self.kinds)
        if twice:
            raise ConfigError(f"scene kind given twice: {', '.join(map(repr, twice))}")
        if any(not math.isfinite(share) or share < 0 for _, share in self.kinds):
            raise ConfigError("scene kind shares must be finite and >= 0")
        if sum(share for _, share in self.kinds) <= 0:
            raise ConfigError("at least one scene kind needs a share > 0")


@dataclass(frozen=True)
class Block:
    """A region of the scene reserved for one surface (a panel, a board, a page...)."""

    kind: BlockKind
    x: int
    y: int
    width: int
    height: int
    texts: int  # texts from the text stream that it shows


@dataclass(frozen=True)
class ScenePlan:
    kind: SceneKind
    blocks: tuple[Block, ...]
    night: bool = False  # dark, its signs lit (NIGHT_KINDS only)

    @property
    def text_count(self) -> int:
        return sum(block.texts for block in self.blocks)


@dataclass
class SceneWord:
    points: np.ndarray  # (4, 2) float: the word's top-left, top-right, bottom-right, bottom-left
    text: str
    generated: bool = False  # made by the scene (a menu price), not a word of the text stream
    # the box before the edges of its surface and of the image cut it (None: never cut yet)
    unclipped: np.ndarray | None = None
    line: int = 0  # the drawn line it is a word of, numbered from 0 per surface, then per scene


@dataclass
class Scene:
    image: np.ndarray  # RGB uint8
    words: list[SceneWord]
    fonts: list[str]  # the face of each line drawn
    kind: SceneKind
    background: Background
    fallback: bool  # a photo backdrop was wanted and none is installed: drawn instead
    fallbacks: dict[str, int] = field(default_factory=dict)  # FALLBACKS -> how many in this scene
    unreadable: tuple[str, ...] = ()  # installed files drawn but unreadable, one per fallback they caused
    clipped_words: int = 0  # words made ### because an edge cut their box
    night: bool = False  # drawn at night (ScenePlan.night)

    @property
    def paper_fallback(self) -> bool:
        """A document page drawn on plain paper: no paper texture installed."""
        return self.fallbacks.get("paper_fallback", 0) > 0


# ---- planning (main process) -------------------------------------------------------------------
def plan_scene(rng: Generator, config: SceneConfig) -> ScenePlan:
    """The scene's kind and its blocks, none overlapping, each with its number of texts."""
    names = [name for name, _ in config.kinds]
    shares = np.array([share for _, share in config.kinds], np.float64)
    kind: SceneKind = names[int(rng.choice(len(names), p=shares / shares.sum()))]  # type: ignore[assignment]
    width, height = config.size
    area = width * height / (640 * 480)  # more text on bigger scenes
    blocks: list[Block]
    if kind == "storefront":
        blocks = _plan_storefront(rng, config)
    elif kind == "signs":
        blocks = _plan_signs(rng, config)
    elif kind == "menu":
        rows = max(2, round(rng.integers(3, 11) * min(height / 480, 1.5)))
        blocks = [_centered(rng, "menu", width, height, (0.45, 0.95), (0.6, 0.97), 1 + rows)]
    elif kind == "label":
        count = 1 if rng.random() < 0.7 else 2
        blocks = []
        for part in range(count):
            left = part * width // count
            sub = _centered(rng, "label", width // count, height, (0.55, 0.95), (0.4, 0.9), int(rng.integers(3, 9)))
            blocks.append(replace(sub, x=sub.x + left))
    elif kind == "document":
        texts = max(4, round(rng.integers(8, 48) * area))
        if rng.random() < 0.45:
            blocks = [Block("scan", 0, 0, width, height, texts)]
        else:
            blocks = [_centered(rng, "page", width, height, (0.5, 0.92), (0.6, 0.95), texts)]
    else:
        blocks = []
    night = kind in NIGHT_KINDS and rng.random() < config.night
    return ScenePlan(kind, tuple(blocks), night)


def _plan_storefront(rng: Generator, config: SceneConfig) -> list[Block]:
    """Rows split into columns, and maybe a tall side slot first. A dense facade: 3–4 rows,
    one of them (a band of big letters) 2–3.5 times as tall as the others and split in 1–2,
    the others in 2–4 signs (mostly of one text), each smaller than its slot at a random
    place in it."""
    width, height = config.size
    dense = rng.random() < config.dense
    blocks: list[Block] = []
    left, right = 0, width
    if rng.random() < config.vertical_panel:
        texts = 2 if rng.random() < config.two_columns else 1
        side_width = int(width * rng.uniform(0.09, 0.14) * (1.7 if texts == 2 else 1.0))
        side_height = int(height * rng.uniform(0.55, 0.9))
        on_left = rng.random() < 0.5
        x = 0 if on_left else width - side_width
        y = int(rng.integers(0, height - side_height + 1))
        blocks.append(_inset(Block("column", x, y, side_width, side_height, texts), rng))
        left, right = (side_width, width) if on_left else (0, width - side_width)
    if not dense:
        rows = int(rng.integers(config.rows[0], config.rows[1] + 1))
        for top, band in _split(0, height, rows, rng):
            columns = int(rng.integers(config.columns[0], config.columns[1] + 1))
            for x, span in _split(left, right - left, columns, rng):
                texts = int(rng.integers(config.words_per_panel[0], config.words_per_panel[1] + 1))
                blocks.append(_inset(Block("panel", x, top, span, band, texts), rng))
        return blocks
    rows = int(rng.integers(3, 5))
    shares = rng.uniform(0.6, 1.1, rows)
    big = int(rng.integers(rows))
    shares[big] = rng.uniform(2.0, 3.5)
    for row, (top, band) in enumerate(_split(0, height, rows, rng, shares)):
        columns = int(rng.integers(1, 3) if row == big else rng.integers(2, 5))
        for x, span in _split(left, right - left, columns, rng):
            texts = 1 if row == big or rng.random() < 0.7 else 2
            block = _inset(Block("panel", x, top, span, band, texts), rng)
            blocks.append(block if row == big else _shrink(block, rng))
    return blocks


def _shrink(block: Block, rng: Generator) -> Block:
    """A smaller block (75–100 % of its width, 70–100 % of its height) at a random place
    inside ``block``."""
    width = max(8, int(block.width * rng.uniform(0.75, 1.0)))
    height = max(8, int(block.height * rng.uniform(0.7, 1.0)))
    x = block.x + int(rng.integers(0, block.width - width + 1))
    y = block.y + int(rng.integers(0, block.height - height + 1))
    return replace(block, x=x, y=y, width=width, height=height)


def _plan_signs(rng: Generator, config: SceneConfig) -> list[Block]:
    """Panels, maybe a column and bare text at random free places of a photo."""
    width, height = config.size
    taken: list[Block] = []

    def place(kind: BlockKind, size: tuple[float, float], texts: int) -> None:
        block_w, block_h = max(16, int(size[0])), max(16, int(size[1]))
        if kind != "column":  # a line needs some 30 px of height to be read
            texts = max(1, min(texts, block_h // 30))
        if block_w >= width or block_h >= height:
            return
        for _ in range(12):
            x = int(rng.integers(0, width - block_w + 1))
            y = int(rng.integers(0, height - block_h + 1))
            block = Block(kind, x, y, block_w, block_h, texts)
            if not any(_overlap(block, other, 6) for other in taken):
                taken.append(block)
                return

    if rng.random() < config.vertical_panel:
        texts = 2 if rng.random() < config.two_columns else 1
        column_w = width * rng.uniform(0.07, 0.13) * (1.7 if texts == 2 else 1.0)
        place("column", (column_w, height * rng.uniform(0.4, 0.85)), texts)
    for _ in range(int(rng.integers(2, 7))):
        block_w = width * rng.uniform(0.2, 0.75)
        place("panel", (block_w, min(height * 0.5, block_w * rng.uniform(0.18, 0.6))), int(rng.integers(1, 4)))
    for _ in range(int(rng.integers(0, 3))):
        place("bare", (width * rng.uniform(0.25, 0.8), height * rng.uniform(0.07, 0.22)), int(rng.integers(1, 3)))
    return taken


def _overlap(a: Block, b: Block, gap: int) -> bool:
    return not (
        a.x + a.width + gap <= b.x
        or b.x + b.width + gap <= a.x
        or a.y + a.height + gap <= b.y
        or b.y + b.height + gap <= a.y
    )


def _centered(
    rng: Generator,
    kind: BlockKind,
    width: int,
    height: int,
    width_share: tuple[float, float],
    height_share: tuple[float, float],
    texts: int,
) -> Block:
    block_w = int(width * rng.uniform(*width_share))
    block_h = int(height * rng.uniform(*height_share))
    x = int(rng.integers(0, width - block_w + 1))
    y = int(rng.integers(0, height - block_h + 1))
    return Block(kind, x, y, block_w, block_h, texts)


def _split(
    start: int, length: int, parts: int, rng: Generator, shares: np.ndarray | None = None
) -> list[tuple[int, int]]:
    """``length`` cut into ``parts`` random spans (each at least half an equal share), or
    in proportion to ``shares``."""
    if shares is None:
        shares = rng.uniform(0.5, 1.5, parts)
    edges = start + np.round(np.concatenate([[0], np.cumsum(shares)]) / shares.sum() * length).astype(int)
    return [(int(a), int(b - a)) for a, b in pairwise(edges)]


def _inset(block: Block, rng: Generator) -> Block:
    gap = int(rng.integers(4, 16))
    return replace(
        block,
        x=block.x + gap,
        y=block.y + gap,
        width=max(8, block.width - 2 * gap),
        height=max(8, block.height - 2 * gap),
    )


# ---- lines of text -----------------------------------------------------------------------------
@dataclass
class Line:
    """Coverage masks (fill, outline, shadow) of one line and its word boxes, in line pixels."""

    masks: np.ndarray  # (H, W, 3) uint8
    words: list[SceneWord]
    baseline: float  # y of the baseline (the middle of a curved line's arc)


def _size(value: float, low: int, high: int) -> int:
    """A font size in [low, high], rounded to a step (2 px below 24, 4 above) so loaded fonts are reused."""
    size = float(np.clip(value, low, high))
    step = 2 if size < 24 else 4
    return int(max(low, min(high, round(size / step) * step)))


def _size_at_most(value: float, low: int, high: int) -> int:
    """:func:`_size`, but never above ``value`` (unless ``value`` is under ``low``): rounding
    to a step must not make a title that was sized to fit too wide."""
    size = _size(value, low, high)
    while size > value and size > low:
        size = _size(size - (2 if size <= 24 else 4), low, high)
    return size


def _margin(style: Style, config: SceneConfig) -> int:
    return max(1, round(config.box_margin * style.size))


def _word_gap(font: ImageFont.FreeTypeFont, style: Style) -> float:
    """The space between words: a space's advance, never narrower than a quarter em, wider
    with letter spacing (as the crop renderer keeps it)."""
    space = max(font.getlength(" "), 0.25 * style.size)
    return space + (style.tracking + 0.5 * style.size if style.tracking else 0.0)


def _word_width(word: str, font: ImageFont.FreeTypeFont, style: Style) -> float:
    return font.getlength(word) + style.tracking * max(len(word) - 1, 0)


def _rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def straight_line(words: Sequence[str], font: ImageFont.FreeTypeFont, style: Style, margin: int) -> Line:
    """Words drawn one by one on a shared baseline, a word gap apart; one box per word."""
    layers = [text_layers(word, font, style) for word in words]
    height = max(layer.masks.shape[0] for layer in layers)
    gap = round(_word_gap(font, style))
    spans = [(layer.box[0], layer.box[2]) for layer in layers]
    width = sum(x1 - x0 for x0, x1 in spans) + gap * (len(words) - 1) + 2 * margin
    masks = np.zeros((height, max(width, 1), 3), np.uint8)
    boxes: list[SceneWord] = []
    # the baseline of text_layers' canvas: pad + ascent, with the pad that makes its height
    ascent, descent = font.getmetrics()
    baseline = (layers[0].masks.shape[0] - ascent - descent) / 2 + ascent
    x = margin
    for word, layer, (x0, x1) in zip(words, layers, spans):
        piece = layer.masks[:, x0:x1]
        target = masks[: piece.shape[0], x : x + (x1 - x0)]
        np.maximum(target, piece, out=target)
        y0, y1 = _band(layer.box, baseline, style.size)
        boxes.append(SceneWord(_rect(x - margin, y0 - margin, x + (x1 - x0) + margin, y1 + margin), word))
        x += x1 - x0 + gap
    return _crop_rows(Line(masks, boxes, baseline))


def _band(box: tuple[int, int, int, int], baseline: float, size: int) -> tuple[float, float]:
    """A word box's rows: its ink, but at least 0.6 em above the baseline, so a dash, a dot
    or a comma standing alone gets a box as tall as the text around it."""
    _, y0, _, y1 = box
    return min(float(y0), baseline - 0.6 * size), max(float(y1), baseline)


def _crop_rows(line: Line) -> Line:
    """Only the rows the word boxes span (the canvas carries padding for every effect)."""
    top = max(0, math.floor(min(float(w.points[:, 1].min()) for w in line.words)))
    bottom = min(line.masks.shape[0], math.ceil(max(float(w.points[:, 1].max()) for w in line.words)))
    words = [SceneWord(w.points - np.array([0, top], np.float32), w.text) for w in line.words]
    for w in words:
        w.points[:, 1] = np.clip(w.points[:, 1], 0, bottom - top)
    return Line(line.masks[top:bottom], words, line.baseline - top)


def stacked_column(word: str, font: ImageFont.FreeTypeFont, style: Style, margin: int) -> Line:
    """One word stacked top to bottom (``style.vertical``), its box the whole column."""
    layer = text_layers(word, font, style)
    x0, y0, x1, y1 = layer.box
    height, width = layer.masks.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin), min(height, y1 + margin)
    masks = layer.masks[cy0:cy1, cx0:cx1]
    return Line(masks, [SceneWord(_rect(0, 0, cx1 - cx0, cy1 - cy0), word)], (cy1 - cy0) / 2)


def stacked_words(words: Sequence[str], font: ImageFont.FreeTypeFont, style: Style, margin: int) -> Line:
    """Words stacked one below the other in one column (``피부과`` over ``의원``), each a
    :func:`stacked_column` with its own box, half an em apart, centred on the column's axis."""
    columns = [stacked_column(word, font, style, margin) for word in words]
    if len(columns) == 1:
        return columns[0]
    gap = round(0.5 * style.size)
    width = max(column.masks.shape[1] for column in columns)
    height = sum(column.masks.shape[0] for column in columns) + gap * (len(columns) - 1)
    masks = np.zeros((height, width, 3), np.uint8)
    boxes, y = [], 0
    for column in columns:
        column_h, column_w = column.masks.shape[:2]
        x = (width - column_w) // 2
        target = masks[y : y + column_h, x : x + column_w]
        np.maximum(target, column.masks, out=target)
        word = column.words[0]
        boxes.append(SceneWord(word.points + np.array([x, y], np.float32), word.text))
        y += column_h + gap
    return Line(masks, boxes, height / 2)


def _stackable(text: str) -> bool:
    """A vertical sign stacks a text whose words are all short Hangul (digits may join), at
    least two syllables in all; anything else in a column is a turned line."""
    words = _tokens(text)
    return (
        bool(words)
        and sum(map(len, words)) >= 2
        and all(len(word) <= 8 and all(is_hangul_syllable(c) or c.isdigit() for c in word) for word in words)
        and any(is_hangul_syllable(c) for c in text)
    )


def turned_line(line: Line) -> Line:
    """The line turned 90° clockwise (read top to bottom); boxes keep the text's own order."""
    height = line.masks.shape[0]
    masks = np.ascontiguousarray(np.rot90(line.masks, k=-1))
    words = []
    for w in line.words:
        x, y = w.points[:, 0], w.points[:, 1]
        words.append(SceneWord(np.stack([height - y, x], axis=1).astype(np.float32), w.text))
    return Line(masks, words, masks.shape[0] / 2)


def arc_line(
    words: Sequence[str], font: ImageFont.FreeTypeFont, style: Style, margin: int, span: float, upward: bool
) -> Line:
    """Words on a circular arc spanning ``span`` radians, each glyph turned along it;
    ``upward``: the ends bend down (an arch), else up (a smile). Each word's box is the
    smallest rectangle aligned with the arc at the word's middle that holds its glyphs."""
    flat = replace(style, tracking=0.0)
    ascent, descent = font.getmetrics()
    gap = _word_gap(font, style)
    # arc-length positions of each glyph's centre, and which word it belongs to
    glyphs: list[tuple[str, float, float, int]] = []  # char, centre, advance, word index
    s = 0.0
    for index, word in enumerate(words):
        if index:
            s += gap
        for char in word:
            advance = font.getlength(char)
            glyphs.append((char, s + advance / 2, advance, index))
            s += advance + style.tracking
    length = max(s - style.tracking, 1.0)
    radius = length / max(span, 1e-3)
    sign = 1.0 if upward else -1.0
    placed = []  # (masks, 2x3 matrix glyph->line, ink corners in line px, word index)
    for char, centre, advance, index in glyphs:
        layer = text_layers(char, font, flat)
        phi = (centre - length / 2) / radius
        anchor = np.array([radius * math.sin(phi), sign * radius * (1 - math.cos(phi))])
        angle = sign * phi
        cos, sin = math.cos(angle), math.sin(angle)
        pad = (layer.masks.shape[0] - ascent - descent) / 2
        origin = np.array([pad + advance / 2, pad + ascent])  # the glyph's baseline centre in its canvas
        rotation = np.array([[cos, -sin], [sin, cos]])
        matrix = np.hstack([rotation, (anchor - rotation @ origin)[:, None]])
        x0, _, x1, _ = layer.box
        y0, y1 = _band(layer.box, origin[1], style.size)
        ink = _rect(x0 - margin, y0 - margin, x1 + margin, y1 + margin).astype(np.float64)
        placed.append((layer.masks, matrix, ink @ rotation.T + matrix[:, 2], index))
    corners = np.concatenate([_corners(m) @ t[:, :2].T + t[:, 2] for m, t, _, _ in placed])
    low = np.floor(corners.min(axis=0)) - 1
    high = np.ceil(corners.max(axis=0)) + 1
    size = (int(high[0] - low[0]), int(high[1] - low[1]))
    masks = np.zeros((size[1], size[0], 3), np.uint8)
    for glyph, matrix, _, _ in placed:
        shifted = matrix.copy()
        shifted[:, 2] -= low
        moved = _corners(glyph) @ shifted[:, :2].T + shifted[:, 2]
        gx0, gy0 = np.maximum(np.floor(moved.min(axis=0)).astype(int), 0)
        gx1, gy1 = np.minimum(np.ceil(moved.max(axis=0)).astype(int), size)
        if gx1 <= gx0 or gy1 <= gy0:
            continue
        local = shifted.copy()
        local[:, 2] -= (gx0, gy0)
        warped = cv2.warpAffine(glyph, local, (gx1 - gx0, gy1 - gy0), flags=cv2.INTER_LINEAR, borderValue=0)
        region = masks[gy0:gy1, gx0:gx1]
        np.maximum(region, warped, out=region)
    boxes = []
    for index, word in enumerate(words):
        points = np.concatenate([ink for _, _, ink, i in placed if i == index]) - low
        centres = [centre for _, centre, _, i in glyphs if i == index]
        phi = ((centres[0] + centres[-1]) / 2 - length / 2) / radius
        boxes.append(SceneWord(_aligned_box(points, sign * phi), word))
    return Line(masks, boxes, float(-low[1]))


def _corners(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    return np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)


def _aligned_box(points: np.ndarray, angle: float) -> np.ndarray:
    """The smallest rectangle at ``angle`` (radians, the text's direction) holding ``points``:
    top-left, top-right, bottom-right, bottom-left in the text's frame."""
    u = np.array([math.cos(angle), math.sin(angle)])
    v = np.array([-u[1], u[0]])  # "down" in the text's frame
    a, b = points @ u, points @ v
    return np.array(
        [
            u * a.min() + v * b.min(),
            u * a.max() + v * b.min(),
            u * a.max() + v * b.max(),
            u * a.min() + v * b.max(),
        ],
        np.float32,
    )


# ---- surfaces ------------------------------------------------------------------------------------
@dataclass
class Surface:
    """A panel, board, label or page: RGB premultiplied by ``alpha`` (float32), its words in
    surface pixels, and the faces it used."""

    image: np.ndarray
    alpha: np.ndarray
    opaque: bool
    words: list[SceneWord] = field(default_factory=list)
    fonts: list[str] = field(default_factory=list)
    fallbacks: Counter[str] = field(default_factory=Counter)  # what it drew instead (FALLBACKS)
    ink: np.ndarray | None = None  # (H, W) float32: the letters' fill coverage, kept where set (night)
    emission: np.ndarray | None = None  # (H, W, 3) float32: the light it gives (night; _glow spreads it)
    glow: float = 0.0  # the glow's blur, surface px
    glow_inside: bool = True  # False: the glow falls only around the surface (a light box keeps its face)

    @classmethod
    def solid(cls, image: np.ndarray) -> Surface:
        return cls(image, np.ones(image.shape[:2], np.float32), True)

    @classmethod
    def clear(cls, height: int, width: int) -> Surface:
        return cls(np.zeros((height, width, 3), np.float32), np.zeros((height, width), np.float32), False)


@dataclass
class _Put:
    line: Line
    x: int
    y: int  # top-left of the line's masks in the surface
    style: Style


def _paint_lines(surface: Surface, puts: Sequence[_Put], generated: Callable[[int], bool] = lambda _: False) -> None:
    """Paint each line onto the surface (clipped at its border) and collect its word boxes,
    clipped too (each keeps its whole box in ``unclipped``: render_scene judges the cut)."""
    height, width = surface.image.shape[:2]
    count = 0
    first_line = 1 + max((word.line for word in surface.words), default=-1)
    for line_number, put in enumerate(puts, first_line):
        line_h, line_w = put.line.masks.shape[:2]
        x0, y0 = max(put.x, 0), max(put.y, 0)
        x1, y1 = min(put.x + line_w, width), min(put.y + line_h, height)
        if x1 > x0 and y1 > y0:
            masks = put.line.masks[y0 - put.y : y1 - put.y, x0 - put.x : x1 - put.x]
            paint_text(surface.image[y0:y1, x0:x1], Layers(masks, (0, 0, x1 - x0, y1 - y0)), put.style)
            if not surface.opaque:  # paint_text blended onto black: the coverage it used
                fill, outline, shadow = Layers(masks, (0, 0, 0, 0)).alphas()
                coverage = 1 - (1 - fill) * (1 - outline) * (1 - 0.7 * shadow)
                np.maximum(surface.alpha[y0:y1, x0:x1], coverage, out=surface.alpha[y0:y1, x0:x1])
            if surface.ink is not None:
                fill = masks[..., 0].astype(np.float32) * np.float32(1 / 255)
                np.maximum(surface.ink[y0:y1, x0:x1], fill, out=surface.ink[y0:y1, x0:x1])
        for word in put.line.words:
            whole = word.points + np.array([put.x, put.y], np.float32)
            points = whole.copy()
            points[:, 0] = np.clip(points[:, 0], 0, width)
            points[:, 1] = np.clip(points[:, 1], 0, height)
            surface.words.append(SceneWord(points, word.text, generated(count), whole, line_number))
            count += 1


def _plain_style(size: int, fill: np.ndarray, background: np.ndarray, panel: str = "solid", bold: int = 0) -> Style:
    return Style(
        size=size,
        tracking=0.0,
        vertical=False,
        bold=bold,
        outline=0,
        shadow=None,
        panel=panel,  # type: ignore[arg-type]
        background=np.clip(np.asarray(background, np.float32), 0, 255),
        fill=np.clip(np.asarray(fill, np.float32), 0, 255),
        fill_bottom=None,
        outline_color=np.zeros(3, np.float32),
        shadow_color=np.zeros(3, np.float32),
        glow=False,
        rotation=0.0,
        perspective=None,
        curve=0.0,
        margins=(0, 0, 0, 0),
    )


def _face(pool: FontPool, texts: Sequence[str], rng: Generator) -> list[FontFace]:
    """One face for all ``texts`` when one covers them all, else one per text."""
    face = pool.choose("".join(texts), rng)
    faces = [face] * len(texts) if face else [pool.choose(t, rng) for t in texts]
    for text, one in zip(texts, faces):
        assert one is not None, f"no font covers {text!r}"  # texts come from a source that checks
    return faces  # type: ignore[return-value]


def _tokens(text: str) -> list[str]:
    return text.split()


def _sign_lines(
    texts: Sequence[str],
    faces: Sequence[FontFace],
    style: Style,
    rng: Generator,
    config: SceneConfig,
    column: bool,
    curved: float,
) -> list[Line]:
    lines = []
    for index, (text, face) in enumerate(zip(texts, faces)):
        font = face.load(style.size)
        margin = _margin(style, config)
        if column and _stackable(text):
            lines.append(stacked_words(_tokens(text), font, replace(style, vertical=True), margin))
        elif column:
            lines.append(turned_line(straight_line(_tokens(text), font, replace(style, vertical=False), margin)))
        elif index == 0 and rng.random() < curved:
            span = math.radians(rng.uniform(*config.curve_degrees))
            lines.append(arc_line(_tokens(text), font, style, margin, span, rng.random() < 0.6))
        else:
            lines.append(straight_line(_tokens(text), font, style, margin))
    return lines


def _fitting_size(block: Block, texts: Sequence[str], faces: Sequence[FontFace], column: bool) -> float:
    """The largest font size at which the lines (measured by their advances) fit the block
    with a sign's padding, so few panels need shrinking: small text only where the layout
    asks for it."""
    widths = [face.load(32).getlength(text) / 32 for text, face in zip(texts, faces)]  # in em
    if column:  # columns side by side: stacked (1.05 em a syllable, 0.5 between words) or turned lines
        stacked = [
            len(t.replace(" ", "")) * 1.05 + 0.5 * t.count(" ") if _stackable(t) else w for t, w in zip(texts, widths)
        ]
        along = max(max(stacked) + 1.2, 1.0)
        return min(block.width / (1.6 * len(texts)), block.height / along)
    across = max(max(widths) + 1.2, 1.0)
    return min(block.height / (1.4 * len(texts) + 0.8), block.width / across)


def _em(face: FontFace, text: str) -> float:
    """The advance of ``text`` in em."""
    return face.load(32).getlength(text) / 32


def _broken(block: Block, texts: Sequence[str], faces: Sequence[FontFace]) -> tuple[list[str], list[FontFace], float]:
    """Each text in 1–4 lines of about equal width (at spaces), whichever count lets the
    panel's text be largest: a long address or menu line wraps on a small sign as it would on
    a real one. Returns the lines, the face of each and the fitting size."""
    one_line = _fitting_size(block, texts, faces, False)
    best: tuple[list[str], list[FontFace], float] = (list(texts), list(faces), one_line)
    for parts in (2, 3, 4):
        lines, line_faces = [], []
        for text, face in zip(texts, faces):
            tokens = text.split()
            limit = _em(face, text) / parts
            current: list[str] = []
            for token in tokens:
                if current and _em(face, " ".join([*current, token])) > limit * 1.15:
                    lines.append(" ".join(current))
                    line_faces.append(face)
                    current = []
                current.append(token)
            lines.append(" ".join(current))
            line_faces.append(face)
        size = _fitting_size(block, lines, line_faces, False)
        if size > best[2] * 1.1:
            best = (lines, line_faces, size)
    return best


def sign_panel(
    block: Block,
    texts: Sequence[str],
    pool: FontPool,
    rng: Generator,
    render: RenderConfig,
    config: SceneConfig,
    curved: float,
    night: bool = False,
) -> Surface:
    """A sign: one style and font, each text a line; in a column each text is a column
    (stacked words or a turned line), side by side from the right. At ``night`` it shines
    (:func:`_night_sign`)."""
    column = block.kind == "column"
    faces = _face(pool, texts, rng)
    font_names = [f.name for f in faces]
    if column:
        size_hint = _fitting_size(block, texts, faces, column)
    else:
        texts, faces, size_hint = _broken(block, texts, faces)
    size = _size(size_hint * rng.uniform(0.7, 1.0), max(config.min_text, 10), config.max_text)
    vertical = 1.0 if column else 0.0
    flat = replace(render, font_size=(size, size), vertical=vertical, rotate=0.0, perspective=0.0, curve=0.0)
    style = sample_style(texts[0], rng, flat)
    if style.panel == "photo":  # a photo panel's crop is drawn from the look's seed: one per panel
        style = replace(style, looks=replace(style.looks, seed=int(rng.integers(2**31))))
    shine: Shine | None = None
    light = style.fill
    if night:
        shine, style, light = _night_sign(style, rng)
    lines = _sign_lines(texts, faces, style, rng, config, column, curved)
    pad = max(2, round(style.size * rng.uniform(0.3, 0.8)))
    gap = round(style.size * rng.uniform(0.1, 0.4))
    widths = [line.masks.shape[1] for line in lines]
    heights = [line.masks.shape[0] for line in lines]
    if column:  # columns side by side
        gap += round(style.size * 0.3)
        panel_w = sum(widths) + gap * (len(lines) - 1) + 2 * pad
        panel_h = max(heights) + 2 * pad
    else:
        panel_w = max(widths) + 2 * pad
        panel_h = sum(heights) + gap * (len(lines) - 1) + 2 * pad
    photo = style.panel == "photo"
    if shine == "channel":  # letters on the wall
        surface = Surface.clear(panel_h, panel_w)
    else:
        with unreadable_files() as unreadable:
            surface = Surface.solid(paint_panel(panel_h, panel_w, style, rng))
        if photo and style.panel != "photo":  # paint_panel drew a texture instead
            surface.fallbacks["panel_unreadable" if unreadable else "panel_fallback"] += 1
        _frame(surface.image, pad, rng)
    centered = rng.random() < 0.7
    puts, x, y = [], panel_w - pad, pad
    for line, line_w, line_h in zip(lines, widths, heights):
        if column:  # the first column on the right
            x -= line_w
            puts.append(_Put(line, x, pad + (panel_h - 2 * pad - line_h) // 2 if centered else pad, style))
            x -= gap
        else:
            puts.append(_Put(line, (panel_w - line_w) // 2 if centered else pad, y, style))
            y += line_h + gap
    if shine in ("letters", "channel"):
        surface.ink = np.zeros((panel_h, panel_w), np.float32)
    _paint_lines(surface, puts)
    if shine is not None:
        _shine(surface, shine, light, style.size, rng)
    surface.fonts = font_names
    return surface


# what shines at night (RGB): white and warm white LEDs, yellow, orange, red, pink, green, cyan, blue
NIGHT_COLORS = np.array(
    [
        (255, 255, 255),
        (255, 238, 205),
        (255, 228, 60),
        (255, 150, 30),
        (255, 40, 40),
        (255, 80, 200),
        (60, 255, 110),
        (60, 220, 255),
        (50, 110, 255),
    ],
    np.float32,
)


def _night_sign(style: Style, rng: Generator) -> tuple[Shine, Style, np.ndarray]:
    """How a sign shines at night, its style and the colour of its light: ``letters``
    (luminous letters on a dark panel, 40 %), ``channel`` (luminous letters on the wall, no
    panel, 25 %) or ``lightbox`` (the sign as by day, lit from behind; always for a photo
    panel, a printed face)."""
    draw = 1.0 if style.panel == "photo" else rng.random()
    if draw >= 0.65:
        return "lightbox", style, style.background
    lit, light = _luminous(style, rng)
    return ("letters" if draw < 0.4 else "channel"), lit, light


def _luminous(style: Style, rng: Generator) -> tuple[Style, np.ndarray]:
    """Luminous letters: a bright colour, whitened in the middle (a camera overexposes
    them), no outline or shadow, on a near-black panel; and the colour of their glow."""
    light = np.clip(NIGHT_COLORS[int(rng.integers(len(NIGHT_COLORS)))] + rng.uniform(-20, 20, 3), 0, 255)
    core = light + (255 - light) * rng.uniform(0.2, 0.8)
    dark = np.clip(rng.uniform(4, 35) + rng.uniform(-6, 6, 3), 0, 255)
    lit = replace(
        style,
        panel="neon",
        background=dark.astype(np.float32),
        fill=core.astype(np.float32),
        fill_bottom=None,
        outline=0,
        shadow=None,
        glow=False,
    )
    return lit, light.astype(np.float32)


def _shine(surface: Surface, shine: Shine, light: np.ndarray, size: int, rng: Generator) -> None:
    """What of ``surface`` emits light (:func:`_glow` spreads it once placed): luminous
    letters their ink in ``light``; a light box all of it, its glow only around it (its face
    stays as by day: a glow over light letters on a light panel would wash them out)."""
    if shine == "lightbox":
        surface.emission = surface.image * rng.uniform(0.2, 0.45)
        surface.glow = 0.2 * size
        surface.glow_inside = False
    else:
        assert surface.ink is not None
        surface.emission = surface.ink[..., None] * (light * rng.uniform(0.7, 1.2))
        surface.glow = 0.1 * size


def bare_text(
    block: Block,
    texts: Sequence[str],
    pool: FontPool,
    rng: Generator,
    render: RenderConfig,
    config: SceneConfig,
    backdrop: np.ndarray,
    night: bool = False,
) -> Surface:
    """Text straight on the photo (painted letters, a poster, a window decal): transparent
    around the letters, coloured against the mean of what lies behind, often outlined; at
    ``night`` luminous letters (:func:`_luminous`)."""
    gray = float(luminance(backdrop.reshape(-1, 3).mean(axis=0)))
    faces = _face(pool, texts, rng)
    font_names = [f.name for f in faces]
    texts, faces, size_hint = _broken(block, texts, faces)
    size = _size(size_hint * rng.uniform(0.7, 1.0), max(config.min_text, 10), config.max_text)
    flat = replace(render, font_size=(size, size), vertical=0.0, rotate=0.0, perspective=0.0, curve=0.0)
    style = sample_style(texts[0], rng, flat)
    palette = SIGN_COLORS[np.abs(luminance(SIGN_COLORS) - gray) >= 90]
    if not len(palette):
        palette = np.array([[0, 0, 0], [255, 255, 255]], np.float32)
    fill = np.clip(palette[int(rng.integers(len(palette)))] + rng.uniform(-15, 15, 3), 0, 255).astype(np.float32)
    dark = float(luminance(fill)) > 127
    style = replace(
        style,
        fill=fill,
        fill_bottom=None,
        glow=False,
        outline=max(1, round(size * rng.uniform(0.04, 0.1))) if rng.random() < 0.5 else 0,
        outline_color=np.full(3, 20.0 if dark else 235.0, np.float32),
    )
    if night:
        style, light = _luminous(style, rng)
    lines = _sign_lines(texts, faces, style, rng, config, False, config.curve)
    gap = round(size * rng.uniform(0.1, 0.3))
    width = max(line.masks.shape[1] for line in lines)
    height = sum(line.masks.shape[0] for line in lines) + gap * (len(lines) - 1)
    surface = Surface.clear(height, width)
    puts, y = [], 0
    for line in lines:
        puts.append(_Put(line, (width - line.masks.shape[1]) // 2, y, style))
        y += line.masks.shape[0] + gap
    if night:
        surface.ink = np.zeros((height, width), np.float32)
    _paint_lines(surface, puts)
    if night:
        _shine(surface, "channel", light, size, rng)
    surface.fonts = font_names
    return surface


_MENU_THEMES = {  # background, text, accent (prices and title)
    "chalk": ((35, 50, 40), (240, 240, 230), (250, 220, 120)),
    "dark": ((25, 25, 28), (235, 235, 235), (255, 190, 30)),
    "wood": ((120, 80, 45), (250, 240, 215), (255, 255, 255)),
    "light": ((245, 240, 228), (30, 30, 30), (170, 20, 30)),
    "white": ((252, 252, 250), (20, 20, 60), (20, 90, 200)),
}


def _price(rng: Generator, hangul: bool) -> str:
    value = int(rng.integers(5, 400)) * (100 if hangul else 5)
    if hangul:
        number = f"{value:,}"
        return number + "원" if rng.random() < 0.6 else number
    number = f"{value / 100:.2f}"
    return "$" + number if rng.random() < 0.6 else number


def menu_board(
    block: Block, texts: Sequence[str], pool: FontPool, rng: Generator, config: SceneConfig, night: bool = False
) -> Surface:
    """A title and rows of item (left) and price (right, made here), maybe dotted leaders;
    at ``night`` a light board (light or white, lit from behind)."""
    title, items = texts[0], list(texts[1:])
    themes = ("light", "white") if night else tuple(_MENU_THEMES)
    theme = themes[int(rng.integers(len(themes)))]
    background, ink, accent = (np.array(c, np.float32) + rng.uniform(-12, 12, 3) for c in _MENU_THEMES[theme])
    hangul = any(is_hangul_syllable(c) for c in "".join(texts))
    prices = [_price(rng, hangul) for _ in items]
    # a price some face draws together with its item (digits alone, failing that)
    prices = [p if pool.covers(f"{i} {p}") else p.strip("$원") for i, p in zip(items, prices)]
    width, height = block.width, block.height
    pad = round(width * rng.uniform(0.04, 0.08))
    faces = _face(pool, [title, *(f"{item} {price}" for item, price in zip(items, prices))], rng)
    # sizes that fit the board across (title; the widest row with 2 em before its price) and down
    across = width - 2 * pad
    title_fit = min(height * rng.uniform(0.07, 0.13), across / max(_em(faces[0], title) + 0.5, 1.0))
    title_size = _size(title_fit, max(config.min_text, 12), 96)
    spacing = rng.uniform(1.25, 1.7)
    rows_em = max((_em(f, item) + _em(f, price) + 2 for item, price, f in zip(items, prices, faces[1:])), default=1)
    body_fit = min((height - 2 * pad - title_size * 1.8) / (max(len(items), 1) * spacing), across / rows_em)
    body_size = _size(body_fit, config.min_text, 48)
    title_style = _plain_style(title_size, accent, background, bold=max(0, round(title_size * 0.03)))
    body_style = _plain_style(body_size, ink, background)
    price_style = _plain_style(body_size, accent if rng.random() < 0.5 else ink, background)
    margin = _margin(body_style, config)
    title_line = straight_line(_tokens(title), faces[0].load(title_size), title_style, _margin(title_style, config))
    rows = []
    for item, price, face in zip(items, prices, faces[1:]):
        font = face.load(body_size)
        rows.append(
            (straight_line(_tokens(item), font, body_style, margin), straight_line([price], font, price_style, margin))
        )
    needed = max([title_line.masks.shape[1]] + [a.masks.shape[1] + b.masks.shape[1] + 2 * body_size for a, b in rows])
    width = max(width, needed + 2 * pad)
    step = round(body_size * spacing)
    height = max(height, pad + title_line.masks.shape[0] + round(title_size * 0.6) + step * len(rows) + pad)
    style = _plain_style(body_size, ink, background, panel="texture" if theme in ("chalk", "wood") else "solid")
    surface = Surface.solid(paint_panel(height, width, style, rng))
    _frame(surface.image, pad, rng)
    puts = [_Put(title_line, (width - title_line.masks.shape[1]) // 2, pad, title_style)]
    generated = [False] * len(title_line.words)
    baseline = pad + title_line.masks.shape[0] + round(title_size * 0.6) + body_size
    leaders = rng.random() < 0.4
    for item_line, price_line in rows:
        item_y = round(baseline - item_line.baseline)
        price_x = width - pad - price_line.masks.shape[1]
        puts.append(_Put(item_line, pad, item_y, body_style))
        puts.append(_Put(price_line, price_x, round(baseline - price_line.baseline), price_style))
        generated += [False] * len(item_line.words) + [True]
        if leaders:
            start, end = pad + item_line.masks.shape[1] + body_size // 2, price_x - body_size // 2
            dot = max(1, body_size // 10)
            for x in range(start, end, max(3 * dot, body_size // 3)):
                cv2.circle(surface.image, (x, round(baseline) - dot), dot, tuple(float(c) for c in ink), -1)
        baseline += step
    _paint_lines(surface, puts, lambda i: generated[i])
    if night:
        _shine(surface, "lightbox", background, body_size, rng)
    surface.fonts = [f.name for f in faces]
    return surface


def product_label(block: Block, texts: Sequence[str], pool: FontPool, rng: Generator, config: SceneConfig) -> Surface:
    """A product name over small lines (ingredients, facts) wrapped to the label, rules
    between them, sometimes a frame and a barcode."""
    gray = luminance(SIGN_COLORS)
    light = rng.random() < 0.75
    grounds = SIGN_COLORS[gray > 200] if light else SIGN_COLORS[gray < 90]
    ink = np.full(3, rng.uniform(0, 60) if light else rng.uniform(220, 255), np.float32)
    background = np.clip(grounds[int(rng.integers(len(grounds)))] + rng.uniform(-10, 10, 3), 0, 255).astype(np.float32)
    title, body = texts[0], list(texts[1:])
    width, height = block.width, block.height
    pad = max(4, round(width * rng.uniform(0.04, 0.08)))
    faces = _face(pool, [title, *body], rng)
    title_fit = min(height * rng.uniform(0.1, 0.2), (width - 2 * pad) / max(_em(faces[0], title) + 0.3, 1.0))
    title_size = _size(title_fit, max(config.min_text, 10), 80)
    spacing = rng.uniform(1.2, 1.6)
    body_area = (width - 2 * pad) * (height - 3 * pad - title_size * 1.5)
    fitted = _fill_size(body, faces[-1], body_area * rng.uniform(0.4, 0.85), spacing)
    body_size = _size(min(fitted, title_size * 0.7), config.min_text, 28)
    title_style = _plain_style(title_size, ink, background, bold=max(0, round(title_size * 0.04)))
    body_style = _plain_style(body_size, ink, background)
    title_line = straight_line(_tokens(title), faces[0].load(title_size), title_style, _margin(title_style, config))
    width = max(width, title_line.masks.shape[1] + 2 * pad)
    title_left = rng.random() < 0.5
    body_puts = []
    y = pad + title_line.masks.shape[0] + round(body_size * 0.8)
    rules = [y - round(body_size * 0.4)]
    for text, face in zip(body, faces[1:]):
        font = face.load(body_size)
        for tokens in _wrap(_tokens(text), font, body_style, width - 2 * pad):
            line = straight_line(tokens, font, body_style, _margin(body_style, config))
            body_puts.append(_Put(line, pad, round(y + body_size - line.baseline), body_style))
            y += round(body_size * spacing)
        rules.append(y + round(body_size * 0.1))
        y += round(body_size * 0.4)
    # a word wider than the label has a line of its own: the label grows to hold it
    width = max([width] + [put.x + put.line.masks.shape[1] + pad for put in body_puts])
    title_x = pad if title_left else (width - title_line.masks.shape[1]) // 2
    puts = [_Put(title_line, title_x, pad, title_style), *body_puts]
    barcode = rng.random() < 0.3
    bar_h = round(body_size * 3)
    height = y + pad + (bar_h + pad if barcode else 0)  # the label fits its text; placing scales it
    surface = Surface.solid(paint_panel(height, width, _plain_style(body_size, ink, background), rng))
    color = tuple(float(c) for c in ink)
    if rng.random() < 0.6:
        for rule in rules[:-1]:
            cv2.line(surface.image, (pad, rule), (width - pad, rule), color, max(1, body_size // 10))
    if rng.random() < 0.5:
        cv2.rectangle(
            surface.image, (pad // 2, pad // 2), (width - pad // 2, height - pad // 2), color, max(1, pad // 4)
        )
    if barcode:
        _barcode(surface.image, width - pad - bar_h * 2, height - pad - bar_h, bar_h * 2, bar_h, ink, rng)
    _paint_lines(surface, puts)
    surface.fonts = [f.name for f in faces]
    return surface


def _fill_size(texts: Sequence[str], face: FontFace, area: float, spacing: float) -> float:
    """The font size at which ``texts``, set in lines ``spacing`` em apart, cover ``area`` px²
    (the line length at 1 px, times the size, times the line pitch)."""
    probe = face.load(32)
    length = sum(probe.getlength(t) for t in texts) / 32 + 0.3 * sum(len(_tokens(t)) for t in texts)
    return math.sqrt(max(area, 1.0) / max(length * spacing, 1e-6))


def _barcode(image: np.ndarray, x: int, y: int, width: int, height: int, ink: np.ndarray, rng: Generator) -> None:
    if x < 0 or y < 0:
        return
    pos = x
    while pos < x + width:
        bar = int(rng.integers(1, 4))
        if rng.random() < 0.5:
            image[y : y + height, pos : min(pos + bar, x + width)] = ink
        pos += bar


def _wrap(tokens: list[str], font: ImageFont.FreeTypeFont, style: Style, limit: float) -> list[list[str]]:
    """Greedy line breaking at spaces; a word longer than the line gets a line of its own."""
    gap = _word_gap(font, style)
    lines: list[list[str]] = []
    current: list[str] = []
    used = 0.0
    for token in tokens:
        width = _word_width(token, font, style)
        if current and used + gap + width > limit:
            lines.append(current)
            current, used = [token], width
        else:
            used = width if not current else used + gap + width
            current.append(token)
    if current:
        lines.append(current)
    return lines


def document_page(block: Block, texts: Sequence[str], pool: FontPool, rng: Generator, config: SceneConfig) -> Surface:
    """Dark text on white paper: a title (80 %), then paragraphs of the remaining texts,
    wrapped to the page; the body size is chosen so the text fills 45–90 % of the page."""
    width, height = block.width, block.height
    with unreadable_files() as unreadable:
        paper = random_paper(rng, height, width)
    white = rng.uniform(228, 252)
    if paper is not None:
        sheet = paper.astype(np.float32)
        sheet += white - sheet.mean(axis=(0, 1))  # the texture's grain on a near-white page
        sheet = np.clip(sheet, 0, 255)
    else:
        sheet = np.full((height, width, 3), white, np.float32)
        sheet += rng.normal(0, 2.5, (height, width, 1)).astype(np.float32)
    ink = np.array([rng.uniform(0, 50)] * 3, np.float32)
    if rng.random() < 0.15:
        ink = np.array([20, 30, rng.uniform(90, 140)], np.float32)  # blue ink
    fallbacks: Counter[str] = Counter()
    if paper is None:
        fallbacks["paper_unreadable" if unreadable else "paper_fallback"] += 1
    has_title = rng.random() < 0.8
    title, body = (texts[0], list(texts[1:])) if has_title else ("", list(texts))
    margin_x = round(width * rng.uniform(0.05, 0.12))
    margin_y = round(height * rng.uniform(0.05, 0.1))
    text_w = width - 2 * margin_x
    faces = _face(pool, texts, rng)
    spacing = rng.uniform(1.35, 1.9)
    area = text_w * (height - 2 * margin_y) * (0.8 if has_title else 1.0)
    # a photographed page shrinks under its tilt: its body text starts 2 px larger than a scan's
    low = config.min_text + (1 if block.kind == "scan" else 3)
    body_size = _size(_fill_size(body, faces[-1], area * rng.uniform(0.3, 0.7), spacing), low, 28)
    body_style = _plain_style(body_size, ink, sheet.mean(axis=(0, 1)))
    titles: list[tuple[_Put, bool]] = []  # each title line, and whether it is centred
    puts: list[_Put] = []
    y = margin_y
    if has_title:
        # as large as 1.3–2.2 body sizes, but its widest word (and box margins) fits the text width
        widest = max(_em(faces[0], token) for token in _tokens(title)) + 2 * config.box_margin
        wanted = min(body_size * rng.uniform(1.3, 2.2), text_w / max(widest, 1e-3))
        title_size = _size_at_most(wanted, config.min_text, 64)
        title_style = _plain_style(title_size, ink, body_style.background, bold=max(0, round(title_size * 0.04)))
        font = faces[0].load(title_size)
        for tokens in _wrap(_tokens(title), font, title_style, text_w):
            line = straight_line(tokens, font, title_style, _margin(title_style, config))
            put = _Put(line, margin_x, round(y + title_size - line.baseline), title_style)
            titles.append((put, rng.random() >= 0.5))
            y += round(title_size * 1.4)
        y += round(body_size * 0.6)
    paragraphs = np.array_split(np.arange(len(body)), max(1, min(len(body), int(rng.integers(1, 5)))))
    indent = round(body_size * 2) if rng.random() < 0.5 else 0
    step = round(body_size * spacing)
    body_faces = faces[1:] if has_title else faces
    for paragraph in paragraphs:
        # texts in a row drawn by the same face run on together; another face starts a line
        runs: list[tuple[FontFace, list[str]]] = []
        for i in paragraph:
            if runs and runs[-1][0] is body_faces[i]:
                runs[-1][1].extend(_tokens(body[i]))
            else:
                runs.append((body_faces[i], _tokens(body[i])))
        first = True
        for face, tokens in runs:
            font = face.load(body_size)
            for line_tokens in _wrap(tokens, font, body_style, text_w - indent):
                line = straight_line(line_tokens, font, body_style, _margin(body_style, config))
                x = margin_x + (indent if first else 0)
                puts.append(_Put(line, x, round(y + body_size - line.baseline), body_style))
                y += step
                first = False
        y += round(step * rng.uniform(0.3, 1.0))
    height = max(height, y + margin_y)
    # a line wider than the text (a word longer than a line; a title at the smallest size)
    # widens the page, as more text than page makes it longer (then it shrinks into its block)
    lines = [put for put, _ in titles] + puts
    width = max([width] + [put.x + put.line.masks.shape[1] + margin_x for put in lines])
    if (height, width) != sheet.shape[:2]:  # mirrored: grain and noise run on without seams
        grow = ((0, height - sheet.shape[0]), (0, width - sheet.shape[1]), (0, 0))
        sheet = np.pad(sheet, grow, mode="symmetric")
    centred = [replace(put, x=(width - put.line.masks.shape[1]) // 2) if middle else put for put, middle in titles]
    surface = Surface.solid(sheet)
    _paint_lines(surface, centred + puts)
    surface.fonts = [f.name for f in faces]
    surface.fallbacks = fallbacks
    return surface


def _frame(panel: np.ndarray, pad: int, rng: Generator) -> None:
    """A border band inside the padding, as many signs have."""
    if rng.random() < 0.5 or pad < 4:
        return
    thickness = int(rng.integers(1, max(2, pad // 2)))
    color = tuple(float(c) for c in rng.uniform(0, 255, 3))
    cv2.rectangle(panel, (0, 0), (panel.shape[1] - 1, panel.shape[0] - 1), color, thickness)


# ---- the scene -------------------------------------------------------------------------------------
# P(tilt), degrees of rotation, perspective (corner jitter, fraction of the shorter side) per block kind
_TILTS: dict[str, tuple[float, float, float]] = {
    "column": (0.25, 3.0, 0.04),
    "bare": (0.5, 12.0, 0.05),
    "menu": (0.6, 5.0, 0.14),
    "label": (0.7, 20.0, 0.1),
    "page": (0.9, 8.0, 0.1),
    "scan": (0.8, 2.5, 0.0),
}


def render_scene(
    plan: ScenePlan,
    texts: list[str],
    pool: FontPool,
    rng: Generator,
    render_config: RenderConfig = _DEFAULT_RENDER,
    config: SceneConfig = SceneConfig(),
) -> Scene:
    """The scene and its word boxes, drawn from ``rng`` alone."""
    if len(texts) != plan.text_count:
        raise ValueError(f"the plan holds {plan.text_count} texts, got {len(texts)}")
    width, height = config.size
    words: list[SceneWord] = []
    fonts: list[str] = []
    fallbacks: Counter[str] = Counter()
    used = 0
    with unreadable_files() as unreadable:
        scene, background, fallback = _backdrop(plan, height, width, rng)
        if fallback:
            fallbacks[fallback] += 1
        if plan.night:  # uneven light falls on the street, not on what shines
            _nightfall(scene, rng)
            _lighting(scene, rng, config)
        for block in plan.blocks:
            block_texts = texts[used : used + block.texts]
            used += block.texts
            surface = _surface(plan.kind, block, block_texts, scene, pool, rng, render_config, config, plan.night)
            if block.kind in ("panel",):
                tilt = (config.tilt, config.tilt_degrees, config.perspective)
            else:
                tilt = _TILTS[block.kind]
            placed = _place(scene, surface, block, rng, tilt, grow=block.kind in ("menu", "label", "page", "scan"))
            first_line = 1 + max((word.line for word in words), default=-1)
            words += [replace(word, line=word.line + first_line) for word in placed]
            fonts += surface.fonts
            fallbacks.update(surface.fallbacks)
    hidden = _occluders(scene, rng, plan.night) if rng.random() < config.occluders else None
    if not plan.night:
        _lighting(scene, rng, config)
    image = _finish(scene, rng, config, plan.kind, plan.night)
    clipped = 0
    for word in words:
        whole = word.points.copy() if word.unclipped is None else word.unclipped
        word.unclipped = whole
        word.points[:, 0] = np.clip(word.points[:, 0], 0, width - 1)
        word.points[:, 1] = np.clip(word.points[:, 1], 0, height - 1)
        word.text = normalize_text(word.text)  # labels fold width variants (￦ is drawn, labelled ₩)
        # cut by its surface's or the image's edge: the label would name ink the image lacks
        cut = float(np.linalg.norm(word.points - whole, axis=1).max()) > CLIP_TOLERANCE
        clipped += cut
        thin = _thickness(word.points, word.text) < config.min_legible
        if cut or thin or (hidden is not None and _hidden_share(hidden, word.points) > config.occluded):
            word.text = ILLEGIBLE
    return Scene(
        image,
        words,
        fonts,
        plan.kind,
        background,
        fallback == "photo_fallback",
        {name: fallbacks[name] for name in FALLBACKS if fallbacks[name]},
        tuple(str(path) for path in unreadable),
        clipped,
        plan.night,
    )


def _surface(
    kind: SceneKind,
    block: Block,
    texts: list[str],
    scene: np.ndarray,
    pool: FontPool,
    rng: Generator,
    render_config: RenderConfig,
    config: SceneConfig,
    night: bool,
) -> Surface:
    if block.kind in ("panel", "column"):
        # arcs on photo signs; storefront panels keep straight lines, as before
        curved = config.curve if kind == "signs" and block.kind == "panel" else 0.0
        return sign_panel(block, texts, pool, rng, render_config, config, curved, night)
    if block.kind == "bare":
        backdrop = scene[block.y : block.y + block.height, block.x : block.x + block.width]
        return bare_text(block, texts, pool, rng, render_config, config, backdrop, night)
    if block.kind == "menu":
        return menu_board(block, texts, pool, rng, config, night)
    if block.kind == "label":
        return product_label(block, texts, pool, rng, config)
    return document_page(block, texts, pool, rng, config)


def _backdrop(plan: ScenePlan, height: int, width: int, rng: Generator) -> tuple[np.ndarray, Background, str]:
    """The scene's background (float32 RGB): a facade for storefronts, a scanner bed for
    scans, a photo for the rest (a drawn facade with clutter when none is installed or the
    one drawn cannot be read), and the fallback it took ("" when none, else a FALLBACKS key)."""
    if plan.kind == "storefront":
        return _facade(height, width, rng), "procedural", ""
    if any(block.kind == "scan" for block in plan.blocks):  # the scanner's bed: gray, sometimes dark
        bed = np.full((height, width, 3), rng.uniform(30, 200), np.float32)
        return bed + rng.normal(0, 3, (height, width, 1)).astype(np.float32), "procedural", ""
    with unreadable_files() as unreadable:
        photo = random_background(rng, height, width)
    if photo is None:
        fallback = "photo_unreadable" if unreadable else "photo_fallback"
        return _clutter(_facade(height, width, rng), rng), "procedural", fallback
    return photo.astype(np.float32), "photo", ""


def _facade(height: int, width: int, rng: Generator) -> np.ndarray:
    """A wall: a plain colour with texture, a light ramp and a few horizontal ledges."""
    base = np.array([rng.uniform(60, 220)] * 3, np.float32) + rng.uniform(-25, 25, 3).astype(np.float32)
    style = _plain_style(32, base, base, panel="texture")
    image = paint_panel(height, width, style, rng)
    for _ in range(int(rng.integers(0, 4))):
        y = int(rng.integers(0, height))
        color = tuple(float(c) for c in base * rng.uniform(0.5, 0.8))
        cv2.line(image, (0, y), (width - 1, y), color, int(rng.integers(2, 10)))
    return image


def _clutter(image: np.ndarray, rng: Generator) -> np.ndarray:
    """Shapes a photo would have (windows, boxes, blobs), blurred a little: what the detector
    must not call text when no photo is installed."""
    height, width = image.shape[:2]
    for _ in range(int(rng.integers(3, 12))):
        color = tuple(float(c) for c in rng.uniform(0, 255, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.5:
            w, h = int(rng.integers(10, width // 2)), int(rng.integers(10, height // 2))
            cv2.rectangle(image, (x, y), (x + w, y + h), color, -1 if rng.random() < 0.6 else int(rng.integers(1, 6)))
        else:
            cv2.ellipse(
                image,
                (x, y),
                (int(rng.integers(5, 80)), int(rng.integers(5, 80))),
                rng.uniform(0, 180),
                0,
                360,
                color,
                -1,
            )
    return cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 2.5))


def _place(
    scene: np.ndarray,
    surface: Surface,
    block: Block,
    rng: Generator,
    tilt: tuple[float, float, float],
    grow: bool = False,
) -> list[SceneWord]:
    """Warp ``surface`` into ``block`` (scaled to fit, maybe tilted) and map its word boxes."""
    panel_h, panel_w = surface.image.shape[:2]
    corners = np.array([[0, 0], [panel_w, 0], [panel_w, panel_h], [0, panel_h]], np.float32)
    chance, degrees, perspective = tilt
    matrix = _tilt(panel_w, panel_h, rng, degrees, perspective) if rng.random() < chance else np.eye(3)
    projected = cv2.perspectiveTransform(corners[None], matrix)[0]
    low, high = projected.min(axis=0), projected.max(axis=0)
    # scaling after the tilt scales its extent exactly, so one fit suffices
    scale = min(block.width / max(high[0] - low[0], 1), block.height / max(high[1] - low[1], 1))
    if not grow:
        scale = min(scale, 1.0)
    slack = np.array([block.width, block.height]) - (high - low) * scale
    offset = np.array([block.x, block.y]) + slack * rng.uniform(0, 1, 2) - low * scale
    matrix = np.array([[scale, 0, offset[0]], [0, scale, offset[1]], [0, 0, 1]]) @ matrix
    _composite(scene, surface, matrix)
    if surface.emission is not None:  # the surface's scale in the scene: its glow's too
        sigma = surface.glow * math.sqrt(abs(np.linalg.det(matrix[:2, :2])))
        _glow(scene, surface.emission, matrix, sigma, None if surface.glow_inside else surface.alpha)

    def mapped(points: np.ndarray) -> np.ndarray:
        return cv2.perspectiveTransform(points[None].astype(np.float32), matrix)[0]

    return [
        SceneWord(mapped(w.points), w.text, w.generated, None if w.unclipped is None else mapped(w.unclipped), w.line)
        for w in surface.words
    ]


def _thickness(points: np.ndarray, text: str) -> float:
    """The text height of a word box, in the box's own frame (its first edge runs along the
    text): the side across the text; for a stacked column (taller than wide, 2+ characters)
    the column's width. A narrow single character ("1", "/") keeps its height."""
    tl, tr, br, bl = points
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    return float(width if height > width and len(text) > 1 else height)


def _tilt(width: int, height: int, rng: Generator, degrees: float, perspective: float) -> np.ndarray:
    """Rotation about the surface centre and a perspective jitter of its corners."""
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    jitter = rng.uniform(-1, 1, (4, 2)) * perspective * min(width, height)
    matrix = cv2.getPerspectiveTransform(corners, (corners + jitter).astype(np.float32))
    angle = math.radians(rng.uniform(-degrees, degrees))
    cx, cy = width / 2, height / 2
    rotation = np.array(
        [
            [math.cos(angle), -math.sin(angle), cx - cx * math.cos(angle) + cy * math.sin(angle)],
            [math.sin(angle), math.cos(angle), cy - cx * math.sin(angle) - cy * math.cos(angle)],
            [0, 0, 1],
        ]
    )
    return rotation @ matrix


def _composite(scene: np.ndarray, surface: Surface, matrix: np.ndarray) -> None:
    """Warp the (premultiplied) surface by ``matrix`` onto ``scene`` in place, only over its
    bounding box."""
    height, width = scene.shape[:2]
    panel_h, panel_w = surface.image.shape[:2]
    corners = np.array([[0, 0], [panel_w, 0], [panel_w, panel_h], [0, panel_h]], np.float32)
    projected = cv2.perspectiveTransform(corners[None], matrix)[0]
    x0, y0 = np.maximum(np.floor(projected.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(projected.max(axis=0)).astype(int), [width, height])
    if x1 <= x0 or y1 <= y0:
        return
    local = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]]) @ matrix
    size = (int(x1 - x0), int(y1 - y0))
    warped = cv2.warpPerspective(surface.image, local, size, flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(surface.alpha, local, size, flags=cv2.INTER_LINEAR)
    region = scene[y0:y1, x0:x1]
    region *= 1 - alpha[..., None]
    region += warped


def _glow(
    scene: np.ndarray, emission: np.ndarray, matrix: np.ndarray, sigma: float, outside: np.ndarray | None = None
) -> None:
    """Add the light ``emission`` (surface px, warped by ``matrix``) gives, blurred: a tight
    halo (``sigma``) and a wide one (3 ``sigma``), as a lens spreads a bright light; with
    ``outside`` (the surface's alpha) only where the surface is not. Light, not ink: no word
    box holds it."""
    height, width = scene.shape[:2]
    sigma = max(sigma, 0.8)
    reach = math.ceil(9 * sigma) + 1  # 3 sigma of the wide halo
    projected = cv2.perspectiveTransform(_corners(emission)[None].astype(np.float32), matrix)[0]
    x0, y0 = np.maximum(np.floor(projected.min(axis=0)).astype(int) - reach, 0)
    x1, y1 = np.minimum(np.ceil(projected.max(axis=0)).astype(int) + reach, [width, height])
    if x1 <= x0 or y1 <= y0:
        return
    local = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]]) @ matrix
    warped = cv2.warpPerspective(emission, local, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR)
    halo = cv2.GaussianBlur(warped, (0, 0), sigma) * 0.6 + cv2.GaussianBlur(warped, (0, 0), 3 * sigma) * 0.4
    if outside is not None:
        halo *= 1 - cv2.warpPerspective(outside, local, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR)[..., None]
    scene[y0:y1, x0:x1] += halo


# ---- night, what lies in front, light and the camera --------------------------------------------------
def _nightfall(scene: np.ndarray, rng: Generator) -> None:
    """Night in place: the backdrop at 10–35 % of its light under a blue, orange or neutral
    cast, then lights that are not text (lit windows, lamps), so bright is not text by itself."""
    height, width = scene.shape[:2]
    casts = np.array([(0.75, 0.9, 1.25), (1.25, 0.95, 0.7), (1.0, 1.0, 1.0)], np.float32)
    scene *= rng.uniform(0.1, 0.35) * casts[int(rng.integers(len(casts)))]
    unit = min(width, height) / 480
    for _ in range(int(rng.integers(0, 5))):  # windows: warm or cold, dimmer than a sign
        w, h = (rng.uniform(15, 90, 2) * unit).astype(int)
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        color = (np.array((255, 200, 130) if rng.random() < 0.6 else (190, 215, 255)) * rng.uniform(0.3, 0.75)).tolist()
        cv2.rectangle(scene, (x, y), (x + w, y + h), color, -1)
    ys, xs = np.ogrid[0:height, 0:width]
    for _ in range(int(rng.integers(0, 3))):  # lamps: a small bright disc in a wide halo
        cx, cy = rng.uniform(0, width), rng.uniform(0, height * 0.6)
        radius = rng.uniform(3, 12) * unit
        color = np.array((255, 190, 110) if rng.random() < 0.5 else (235, 240, 255), np.float32)
        d2 = ((xs - cx) ** 2 + (ys - cy) ** 2).astype(np.float32)
        light = np.exp(-d2 / (2 * radius**2)) * 1.5 + np.exp(-d2 / (2 * (radius * rng.uniform(4, 10)) ** 2)) * 0.35
        scene += light[..., None] * color


# ---- what lies in front, light and the camera ------------------------------------------------------
def _occluders(scene: np.ndarray, rng: Generator, night: bool = False) -> np.ndarray:
    """Poles (thick, shaded, slanting a little; they hide text; dim at night) and cables
    (thin sagging lines, drawn only). Returns the mask of the poles."""
    height, width = scene.shape[:2]
    dim = rng.uniform(0.15, 0.4) if night else 1.0
    hidden = np.zeros((height, width), np.uint8)
    unit = min(width, height) / 480
    for _ in range(int(rng.integers(0, 3))):
        thickness = max(3, round(rng.uniform(6, 28) * unit))
        top = rng.uniform(0, width)
        bottom = top + rng.uniform(-0.15, 0.15) * height
        mask = np.zeros((height, width), np.uint8)
        cv2.line(mask, (round(top), -5), (round(bottom), height + 5), 255, thickness)
        base = rng.uniform(40, 180) * dim
        color = np.array([base, base * rng.uniform(0.9, 1.1), base * rng.uniform(0.85, 1.15)], np.float32)
        shade = _ramp(height, width, math.atan2(height, bottom - top) + math.pi / 2, thickness)
        alpha = mask.astype(np.float32)[..., None] / 255
        pole = color * (1 + 0.35 * shade[..., None])
        scene *= 1 - alpha
        scene += pole * alpha
        np.maximum(hidden, mask, out=hidden)
    for _ in range(int(rng.integers(0, 4))):
        start = np.array([-10, rng.uniform(0, height * 0.7)])
        end = np.array([width + 10, rng.uniform(0, height * 0.7)])
        sag = rng.uniform(5, 60) * unit
        t = np.linspace(0, 1, 32)
        points = start + (end - start) * t[:, None]
        points[:, 1] += sag * 4 * t * (1 - t)
        cable = (float(rng.uniform(10, 60)),) * 3
        cv2.polylines(
            scene, [points.round().astype(np.int32)], False, cable, max(1, round(rng.uniform(1, 3) * unit)), cv2.LINE_AA
        )
    return hidden


def _ramp(height: int, width: int, angle: float, period: float) -> np.ndarray:
    """A cosine across a pole of width ``period``, in [-1, 1]: a round pole's shading."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    across = xs * math.cos(angle) + ys * math.sin(angle)
    return np.cos(across * (math.pi / max(period, 1))).astype(np.float32)


def _hidden_share(hidden: np.ndarray, points: np.ndarray) -> float:
    """The share of a word box behind the poles."""
    height, width = hidden.shape
    x0, y0 = np.maximum(np.floor(points.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(points.max(axis=0)).astype(int) + 1, [width, height])
    if x1 <= x0 or y1 <= y0:
        return 0.0
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round(points - (x0, y0)).astype(np.int32)], 1)
    inside = int(mask.sum())
    if not inside:
        return 0.0
    return float((hidden[y0:y1, x0:x1] > 0)[mask > 0].sum()) / inside


def _lighting(scene: np.ndarray, rng: Generator, config: SceneConfig) -> None:
    """Uneven light in place: a ramp, a spot or a vignette, sometimes a cast shadow."""
    if rng.random() >= config.lighting:
        return
    height, width = scene.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    xs /= width
    ys /= height
    kind = rng.random()
    if kind < 0.4:
        angle = rng.uniform(0, 2 * math.pi)
        gain = 1 + rng.uniform(0.2, 0.6) * ((xs - 0.5) * math.cos(angle) + (ys - 0.5) * math.sin(angle))
    elif kind < 0.75:
        cx, cy = rng.uniform(0, 1, 2)
        gain = rng.uniform(0.55, 0.85) + rng.uniform(0.3, 0.6) * np.exp(
            -((xs - cx) ** 2 + (ys - cy) ** 2) / rng.uniform(0.05, 0.3)
        )
    else:
        gain = 1 - rng.uniform(0.2, 0.45) * ((xs - 0.5) ** 2 + (ys - 0.5) ** 2) * 2
    if rng.random() < 0.35:  # a cast shadow: a soft-edged polygon over part of the scene
        points = (rng.uniform(-0.2, 1.2, (4, 2)) * (width, height)).astype(np.int32)
        shadow: np.ndarray = np.zeros((height, width), np.float32)
        cv2.fillPoly(shadow, [cv2.convexHull(points)], 1.0)
        shadow = cv2.GaussianBlur(shadow, (0, 0), rng.uniform(2, 12))
        gain = gain * (1 - rng.uniform(0.3, 0.55) * shadow)
    scene *= gain[..., None].astype(np.float32)


def _finish(scene: np.ndarray, rng: Generator, config: SceneConfig, kind: SceneKind, night: bool = False) -> np.ndarray:
    """The camera (or scanner): blur, motion blur, noise (more often at night), scan specks;
    uint8 RGB out. JPEG is the writer's last step."""
    height, width = scene.shape[:2]
    unit = min(width, height) / 480
    image: np.ndarray = scene
    if kind == "document" and rng.random() < 0.5:  # scanner: specks and a little toner noise
        for _ in range(int(rng.integers(5, 60))):
            x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
            cv2.circle(image, (x, y), int(rng.integers(0, 2)), (float(rng.uniform(0, 90)),) * 3, -1)
    if rng.random() < config.blur:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.3) * unit)
    elif rng.random() < config.motion_blur:
        length = max(3, round(rng.uniform(3, 7) * unit))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1 / length
        rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1.0)
        turned = cv2.warpAffine(kernel, rotation, (length, length))
        image = cv2.filter2D(image, -1, (turned / max(float(turned.sum()), 1e-6)).astype(np.float32))
    else:
        image = cv2.GaussianBlur(image, (0, 0), 0.5)  # no camera is perfectly sharp
    if rng.random() < (max(config.noise, 0.8) if night else config.noise):
        image = image + rng.normal(0, rng.uniform(2, 8), (height, width, 1)).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


# ---- ground truth ------------------------------------------------------------------------------
def icdar2015_lines(words: list[SceneWord]) -> list[str]:
    """``x1,y1,x2,y2,x3,y3,x4,y4,text`` per word, integer pixels, clockwise from top-left."""
    # float(): round() of a NumPy 1.x float scalar gives a float, of a Python float an int
    return [",".join(str(round(float(v))) for v in w.points.reshape(-1)) + f",{w.text}" for w in words]


def scene_lines(words: Sequence[SceneWord]) -> list[SceneWord]:
    """The drawn lines of a scene's words, as the photo reader's text lines are scored
    (:func:`krocr.analysis.photos.evaluate_scenes`): the words of one line joined by spaces
    (``###`` when any of them is), boxed as :func:`_line_box` says, in the order of their
    first words.

    Args:
        words: a scene's words (:attr:`Scene.words`).

    Returns:
        One pseudo-word per line; its ``points`` start at the corner nearest its first
        word's first corner and run clockwise.
    """
    members: dict[int, list[SceneWord]] = {}
    for word in words:
        members.setdefault(word.line, []).append(word)
    lines = []
    for group in members.values():
        text = ILLEGIBLE if any(w.text == ILLEGIBLE for w in group) else " ".join(w.text for w in group)
        lines.append(SceneWord(_line_box([w.points for w in group]), text, line=group[0].line))
    return lines


def _line_box(boxes: Sequence[np.ndarray]) -> np.ndarray:
    """A line's box from its words' (in reading order): one word's own; words running along
    their text, :func:`~krocr.data.crops.line_quad`, as the photo reader builds its lines;
    words stacked across it (a vertical sign's ``피부과`` over ``의원``), the smallest rotated
    rectangle around them."""
    first, last = np.asarray(boxes[0], np.float32), np.asarray(boxes[-1], np.float32)
    if len(boxes) == 1:
        return first
    step = last.mean(axis=0) - first.mean(axis=0)
    along = first[1] - first[0]
    if abs(float(step @ along)) >= abs(float(step[0] * along[1] - step[1] * along[0])):
        return line_quad(first, last)
    corners = cv2.boxPoints(cv2.minAreaRect(np.concatenate(boxes).astype(np.float32)))
    if cv2.contourArea(corners, oriented=True) < 0:  # clockwise on screen (y down), as every box here
        corners = corners[::-1]
    start = int(np.argmin(np.linalg.norm(corners - first[0], axis=1)))
    return np.roll(corners, -start, axis=0).astype(np.float32)


def write_icdar2015(path: str | Path, words: list[SceneWord]) -> Path:
    path = Path(path)
    path.write_text("".join(line + "\n" for line in icdar2015_lines(words)), encoding="utf-8")
    return path
