"""Looks the signboard renderer lacked (issue #27, item 3), as pieces :mod:`krocr.synth.render`
composes: printed-document crops with scan artefacts, text drawn small then scaled up,
extruded (3-D) letters, embossed and engraved relief, photographic panels, a strip of the
neighbouring line, strongly arched baselines, crops that cut a glyph's edge slightly,
playful shop lettering whose characters bounce (each its own size, height and tilt), and
letters painted in turn in two or three colours.

:func:`sample_looks` decides them for one crop from a **fixed number of draws** of the
crop's generator (one vector of uniforms and one seed, whatever is switched on; the bounce
and the letter colours, added later, draw from the looks' own generators so that older renders
repeat), so turning
one look on or off leaves the other draws of the crop as they were: a crop and its twin with
relief share everything but the lit letters (tested). A look that changes the crop's size
(a document, small text, an arc...) also changes the draws whose count follows the size
(a texture's blotches), and what comes after them. A look that needs random numbers while
drawing (toner dots, the neighbouring line's characters, the photo crop) takes them from
its own generator, ``default_rng([looks.seed, k])``.

The functions here work on plain arrays; which style fields they read and when they run is
:func:`krocr.synth.render.render`'s business.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from krocr.charset import is_hangul_syllable
from krocr.synth.backgrounds import random_background

if TYPE_CHECKING:  # render imports this module
    from krocr.synth.render import PanelKind, RenderConfig

Generator = np.random.Generator
Side = Literal["left", "top", "right", "bottom"]
SIDES: tuple[Side, ...] = ("left", "top", "right", "bottom")

# every look's on/off and parameters come from one vector of this many uniforms
LOOK_DRAWS = 34
X_HEIGHT_EM = 0.5  # a Latin x-height in font sizes; Hangul syllables stand ~0.85 em
MAX_ARC_DEGREES = 80.0  # a strong curve never turns the end glyphs more than half of this
# printed ink: black, dark gray, blue-black (RGB)
INKS = np.array([(12, 12, 14), (35, 35, 38), (60, 60, 62), (25, 30, 70)], dtype=np.float32)
# child generators of Looks.seed, one per look that draws while painting
STREAM_NEIGHBOUR, STREAM_SCAN, STREAM_PHOTO, STREAM_BOUNCE, STREAM_COLOURS = 1, 2, 3, 4, 5
BOUNCE_PIVOT_EM = 0.4  # bouncing letters scale and tilt about this height: half-way up a Hangul syllable


@dataclass
class Looks:
    """Which of the looks one crop gets, with their parameters (:func:`sample_looks`).
    The defaults are "none": a scene's wall, or any style built by hand, has no look."""

    seed: int = 0  # of the looks' own generators (STREAM_*)
    document: bool = False  # dark ink on paper; size, colours, panel and skew set by sample_style
    document_size: int = 0  # a document's font size (replaces the sign's)
    ink: np.ndarray | None = None  # the document's ink colour (RGB float32)
    paper: np.ndarray | None = None  # the document's paper colour
    skew: float = 0.0  # degrees: a document's only geometry
    binarize: float | None = None  # scan threshold between ink (0) and paper (1)
    speckle: float = 0.0  # toner dots per pixel
    small_size: int = 0  # font size the text is drawn at, then scaled up (0: not small)
    cubic: bool = False  # bicubic (else bilinear) scaling up
    extrude: tuple[float, float] | None = None  # (dx, dy) em of the deepest stacked copy
    extrude_shade: float = 0.5  # the copies' colour: the fill times this (darker)
    relief: Literal["emboss", "engrave"] | None = None
    light: float = 0.0  # direction the relief is lit from, radians (image axes, y down)
    relief_strength: float = 0.0  # gray levels added at the steepest edge
    fill_opacity: float = 1.0  # of the fill colour over the panel (relief letters are faint)
    neighbour: Literal["top", "bottom"] | None = None  # side of the strip of another line
    neighbour_visible: float = 0.0  # fraction of that line's ink height inside the crop
    neighbour_gap: float = 0.0  # em between the two lines' ink
    neighbour_shift: float = 0.0  # em the other line starts right of this one
    arc: float = 0.0  # a strong curve: arc height in em, > 0 arched, < 0 sagging (0: none)
    cut: Side | None = None  # the crop cuts the glyphs' edge on this side
    cut_amount: float = 0.0  # of the text height (top, bottom) or em (left, right)
    bounce: float = 0.0  # how far the characters' sizes, heights and tilts vary (0: a straight line)
    letter_colours: int = 0  # the letters painted in turn in this many colours (0: all in the fill)

    def fitting(self, text: str, vertical: bool, panel: PanelKind) -> Looks:
        """These looks less what the crop cannot have: a stacked column keeps only small text,
        extrusion, relief and letter colours; neon letters (their glow stands out already) lose
        extrusion and relief; a text without a Hangul syllable or digit cannot bounce; letters
        change colour only in a text of two or more, and not on neon (the glow is the fill's
        colour) or a photo (its gray keeps clear of the fill's alone)."""
        looks = self
        if vertical or not any(bounces(ch) for ch in text):
            looks = replace(looks, bounce=0.0)
        if sum(not ch.isspace() for ch in text) < 2 or panel in ("neon", "photo"):
            looks = replace(looks, letter_colours=0)
        if vertical:
            looks = replace(looks, document=False, document_size=0, neighbour=None, arc=0.0, cut=None)
        if panel == "neon":
            looks = replace(looks, extrude=None, relief=None, fill_opacity=1.0)
        return looks

    def extrude_px(self, size: int) -> tuple[int, int] | None:
        """The deepest copy's offset (dx, dy) in pixels at font size ``size`` (at least 2 px deep)."""
        if self.extrude is None:
            return None
        dx, dy = self.extrude
        scale = max(size, 2 / max(math.hypot(dx, dy), 1e-6))
        return round(dx * scale), max(1, round(dy * scale))

    def names(self) -> list[str]:
        """The looks drawn, as ``Rendered.looks`` and the preview sheets name them."""
        flags = [
            ("document", self.document),
            ("binarized", self.document and self.binarize is not None),
            ("speckle", self.document and self.speckle > 0),
            ("small_text", self.small_size > 0),
            ("extrude", self.extrude is not None),
            (f"relief_{self.relief}", self.relief is not None),
            ("neighbour_line", self.neighbour is not None),
            ("strong_curve", self.arc != 0),
            ("edge_cut", self.cut is not None),
            ("bounce", self.bounce > 0),
            ("letter_colours", self.letter_colours > 0),
        ]
        return [name for name, on in flags if on]


def sample_looks(rng: Generator, config: RenderConfig) -> Looks:
    """The looks of one crop. Always draws ``LOOK_DRAWS`` uniforms and one integer, each look
    reading its own fixed slots, so switching one look changes no other draw; what a crop
    cannot have (a stacked column, neon letters) :meth:`Looks.fitting` drops later."""
    u = rng.random(LOOK_DRAWS)
    looks = Looks(seed=int(rng.integers(2**31)))
    if u[0] < config.document:  # slots 0-10
        looks.document = True
        looks.document_size = _pick(_sizes(*config.document_font_size), u[1])
        looks.ink = _jittered(INKS[_index(len(INKS), u[2])], u[3], 10)
        tone, tint = 228 + 27 * u[4], (u[5] - 0.5) * 12  # white to off-white; warm or cool
        looks.paper = np.clip(np.array([tone + tint, tone, tone - tint], np.float32), 0, 255)
        looks.skew = (2 * u[6] - 1) * config.document_skew_degrees
        if u[7] < config.binarize:
            looks.binarize = 0.45 + 0.3 * u[8]
        if u[9] < config.speckle:
            looks.speckle = 0.0004 + 0.003 * u[10]
    if u[11] < config.small_text:  # slots 11-13
        low, high = config.small_x_height
        looks.small_size = _pick(_sizes(round(low / X_HEIGHT_EM), round(high / X_HEIGHT_EM)), u[12])
        looks.cubic = bool(u[13] < 0.5)
    if not looks.document and u[14] < config.extrude:  # slots 14-17
        low_em, high_em = config.extrude_em
        depth = low_em + (high_em - low_em) * u[15]
        angle = math.radians(20 + 140 * u[16])  # downwards, to the right or the left
        looks.extrude = (depth * math.cos(angle), depth * math.sin(angle))
        looks.extrude_shade = 0.35 + 0.3 * u[17]
    elif not looks.document and u[18] < config.relief:  # slots 18-22
        looks.relief = "emboss" if u[19] < 0.5 else "engrave"
        looks.light = math.radians(-160 + 140 * u[20])  # from above: up-left to up-right
        looks.relief_strength = 55 + 55 * u[21]
        looks.fill_opacity = (0.3 + 0.4 * u[22]) if looks.relief == "emboss" else (0.45 + 0.55 * u[22])
    if u[23] < config.neighbour_line:  # slots 23-27
        looks.neighbour = "top" if u[24] < 0.5 else "bottom"
        least, most = config.neighbour_visible
        looks.neighbour_visible = least + (most - least) * u[25]
        looks.neighbour_gap = 0.12 + 0.3 * u[26]
        looks.neighbour_shift = 2 * u[27] - 1
    if not looks.document and u[28] < config.strong_curve:  # slots 28-30
        lowest, highest = config.strong_curve_em
        looks.arc = (lowest + (highest - lowest) * u[29]) * (1 if u[30] < 0.6 else -1)  # arches more often than sags
    if u[31] < config.edge_cut:  # slots 31-33
        sides = [s for s in SIDES if s != looks.neighbour]
        looks.cut = sides[_index(len(sides), u[32])]
        across = looks.cut in ("top", "bottom")
        looks.cut_amount = (0.02 + 0.04 * u[33]) if across else (0.03 + 0.07 * u[33])
    if not looks.document:
        bounce = np.random.default_rng([looks.seed, STREAM_BOUNCE]).random(2)
        if bounce[0] < config.bounce:
            weakest, strongest = config.bounce_amount
            looks.bounce = weakest + (strongest - weakest) * float(bounce[1])
        colours = np.random.default_rng([looks.seed, STREAM_COLOURS]).random(2)
        if colours[0] < config.letter_colours:
            looks.letter_colours = 2 if colours[1] < 0.6 else 3
    return looks


def _sizes(low: int, high: int) -> np.ndarray:
    """Font sizes in [low, high] that are multiples of 4 (loaded fonts are reused)."""
    return np.arange(math.ceil(low / 4), high // 4 + 1) * 4


def _index(n: int, u: float) -> int:
    return min(int(u * n), n - 1)


def _pick(values: np.ndarray, u: float) -> int:
    return int(values[_index(len(values), u)])


def _jittered(color: np.ndarray, u: float, amount: float) -> np.ndarray:
    return np.clip(color + (2 * u - 1) * amount, 0, 255).astype(np.float32)


# ---- bouncing letters ------------------------------------------------------------------------------
def bouncing_line(
    text: str, font: ImageFont.FreeTypeFont, gaps: list[float], pad: int, amount: float, seed: int
) -> tuple[np.ndarray, list[float]]:
    """The fill mask of ``text`` drawn one character at a time, each Hangul syllable and digit
    scaled by up to ``amount`` (mostly smaller), raised or lowered by up to half of it in font
    sizes and tilted by up to 25 times it in degrees: the playful lettering of snack bars and
    toy shops. Marks and Latin letters stay on the line at their size (a raised ``.`` would
    read as ``·``, a shrunk ``O`` as ``o``). ``gaps`` are the px the pen moves beyond each
    advance (empty: none); ``pad`` the px of empty canvas around the line.

    Returns:
        An (H, W) uint8 mask of the height the straight line's canvas would have, and the pen's
        x before each character and after the last (px).
    """
    # [seed, STREAM_BOUNCE] decided whether to bounce; numpy seeds [s, k] and [s, k, 0] alike
    rng = np.random.default_rng([seed, STREAM_BOUNCE, 1])
    ascent, descent = font.getmetrics()
    em = font.size
    count = len(text)
    moving = np.array([bounces(ch) for ch in text])
    scales = np.where(moving, 1 + amount * rng.uniform(-1.0, 0.5, count), 1.0)
    shifts = np.where(moving, amount * 0.5 * em * rng.uniform(-1.0, 1.0, count), 0.0)
    tilts = np.where(moving, amount * 25 * rng.uniform(-1.0, 1.0, count), 0.0)
    widths = [font.getlength(ch) for ch in text]
    advances = [width * scale for width, scale in zip(widths, scales)]
    pen_gaps = gaps or [0.0] * (count - 1)
    width = math.ceil(sum(advances) + sum(pen_gaps)) + 2 * pad
    canvas = np.zeros((ascent + descent + 2 * pad, max(width, 1)), np.uint8)
    pivot = pad + ascent - BOUNCE_PIVOT_EM * em
    pen = [float(pad)]
    steps = zip(text, widths, advances, [*pen_gaps, 0.0], scales, shifts, tilts)
    for ch, glyph_width, advance, gap, scale, shift, tilt in steps:
        glyph, (cx, cy) = _glyph(ch, font, glyph_width, float(scale), float(tilt))
        _paste_max(canvas, glyph, round(pen[-1] + advance / 2 - cx), round(pivot + shift - cy))
        pen.append(pen[-1] + advance + gap)
    return canvas, pen


def letter_starts(ink: np.ndarray, pen: list[float]) -> list[float]:
    """Where each character's colour band begins: ``pen`` with each inner position moved to the
    emptiest column (or row) within a quarter of the narrower neighbour's advance, the one
    nearest the pen, so that a glyph overhanging its advance, a bold dilation or a bounced
    letter stays in its own band (a wider search would find the gaps inside a syllable).

    Args:
        ink: the fill's ink summed across the line, one number per column (or row).
        pen: the pen's position before each character and after the last, px.

    Returns:
        As many positions as ``pen``; the first and last unchanged.
    """
    starts = [pen[0]]
    for i in range(1, len(pen) - 1):
        reach = min(pen[i] - pen[i - 1], pen[i + 1] - pen[i]) / 4
        low, high = max(0, math.floor(pen[i] - reach)), min(len(ink), math.ceil(pen[i] + reach) + 1)
        if low >= high:
            starts.append(pen[i])
            continue
        window = ink[low:high]
        emptiest = low + np.flatnonzero(window == window.min())
        starts.append(float(emptiest[np.argmin(np.abs(emptiest - pen[i]))]))
    return [*starts, pen[-1]]


def letter_colour_map(
    text: str, starts: list[float], shape: tuple[int, int], colours: int, vertical: bool
) -> np.ndarray:
    """Which of ``colours`` palette colours paints each pixel (0: the fill): the letters take
    the colours in turn, spaces skipped, each over the band from its start to the next
    character's (columns, or rows of a stacked column). Warped with the masks (nearest
    neighbour, so no seam takes a third colour), it keeps each glyph in its colour.

    Args:
        text: the drawn text.
        starts: where each character's band begins, and the last one ends, px along the line.
        shape: (H, W) of the masks.
        colours: how many colours.
        vertical: ``starts`` run down the rows (a stacked column), not along the columns.

    Returns:
        An (H, W) uint8 map of palette indices.
    """
    length = shape[0] if vertical else shape[1]
    band = np.zeros(length, np.uint8)
    letter = -1
    for i, ch in enumerate(text):
        letter += not ch.isspace()  # a space keeps the colour of the letter before it
        start = max(0, round(starts[i]))
        stop = length if i == len(text) - 1 else max(start, round(starts[i + 1]))
        band[start:stop] = max(letter, 0) % colours
    return np.ascontiguousarray(np.broadcast_to(band[:, None] if vertical else band[None, :], shape))


def bounces(ch: str) -> bool:
    """Whether ``ch`` bounces in :func:`bouncing_line`: Hangul syllables and digits do."""
    return is_hangul_syllable(ch) or ch.isdigit()


def _glyph(
    ch: str, font: ImageFont.FreeTypeFont, advance: float, scale: float, tilt: float
) -> tuple[np.ndarray, tuple[float, float]]:
    """One character's mask (``advance``: its unscaled advance, px) scaled and tilted about the
    point ``BOUNCE_PIVOT_EM`` above its baseline, half-way along its advance, on a canvas with
    room for both; and that point."""
    ascent, descent = font.getmetrics()
    margin = math.ceil(0.6 * (ascent + descent))
    image = Image.new("L", (math.ceil(advance) + 2 * margin, ascent + descent + 2 * margin))
    ImageDraw.Draw(image).text((margin, margin + ascent), ch, font=font, fill=255, anchor="ls")
    pivot = (margin + advance / 2, margin + ascent - BOUNCE_PIVOT_EM * font.size)
    matrix = cv2.getRotationMatrix2D(pivot, tilt, scale)
    glyph = cv2.warpAffine(np.asarray(image), matrix, image.size, flags=cv2.INTER_LINEAR)
    return glyph, pivot


def _paste_max(canvas: np.ndarray, patch: np.ndarray, left: int, top: int) -> None:
    """``canvas`` = max(canvas, patch placed with its corner at (left, top)), clipped to the canvas."""
    height, width = canvas.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + patch.shape[0], height), min(left + patch.shape[1], width)
    if y0 < y1 and x0 < x1:
        region = canvas[y0:y1, x0:x1]
        np.maximum(region, patch[y0 - top : y1 - top, x0 - left : x1 - left], out=region)


# ---- extruded letters and relief -------------------------------------------------------------------
def extrusion(mask: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
    """The union of ``mask`` shifted by every step from (0, 0) to ``offset`` (dx, dy): the
    stacked copies behind a 3-D letter, as one dilation with a line-shaped kernel."""
    dx, dy = offset
    reach = max(abs(dx), abs(dy))
    kernel = np.zeros((2 * reach + 1, 2 * reach + 1), np.uint8)
    # dilate takes the max over src(p + k - anchor): a copy shifted by +d needs the element -d
    cv2.line(kernel, (reach, reach), (reach - dx, reach - dy), 1)
    return cv2.dilate(mask, kernel, anchor=(reach, reach))


def relief(alpha: np.ndarray, size: int, light: float, strength: float, engrave: bool) -> np.ndarray:
    """Shading (float32, gray levels to add) of letters raised from (or cut into) the panel:
    the fill coverage as a height field, smoothed over ~0.035 em, lit from the direction
    ``light``. Normalised so the steepest edge gets ``strength``."""
    sigma = max(0.8, size * 0.035)
    height = cv2.GaussianBlur(alpha, (0, 0), sigma)
    gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3) * (1 / 8)
    gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3) * (1 / 8)
    # a surface tilted towards the light is brighter: normal (-gx, -gy, 1) against the light;
    # the slope of a unit step blurred by sigma peaks at 1 / (sigma * sqrt(2 pi))
    scale = strength * sigma * math.sqrt(2 * math.pi) * (-1 if engrave else 1)
    return (gx * math.cos(light) + gy * math.sin(light)) * np.float32(scale)


# ---- a strong curve ---------------------------------------------------------------------------------
def arc_warp(
    masks: np.ndarray, height: float, box: tuple[int, int, int, int], interpolation: int = cv2.INTER_LINEAR
) -> np.ndarray:
    """Bend the ink's middle line onto a circular arc ``height`` px high over the ink's width
    (> 0: arched, the ends lower; < 0: sagging). Glyphs turn with the arc (unlike the mild
    parabola of ``render._curve``, which shears columns); the arc spans at most
    ``MAX_ARC_DEGREES``, so a short word's arc is lower than asked. Same canvas size: the
    renderer's padding holds ``abs(height)``. ``interpolation``: an OpenCV flag (nearest for
    a map of indices)."""
    rows, cols = masks.shape[:2]
    x0, y0, x1, y1 = box
    length = max(x1 - x0, 1)
    angle = _arc_angle(abs(height) / length)
    radius = length / angle
    xc, yc = (x0 + x1) / 2, (y0 + y1) / 2
    # the inverse map is smooth: compute it on a grid 4x coarser and resize it
    step = 4
    ys, xs = np.mgrid[0 : rows + step : step, 0 : cols + step : step].astype(np.float32)
    up = 1 if height > 0 else -1  # centre below the text (arched) or above it (sagging)
    centre_y = yc + up * radius
    dx, dy = xs - xc, (centre_y - ys) * up
    distance = np.hypot(dx, dy)
    map_x = xc + np.arctan2(dx, dy) * radius
    map_y = yc - up * (distance - radius)
    full = (cols + step - 1) // step * step + step, (rows + step - 1) // step * step + step
    map_x = cv2.resize(map_x, full, interpolation=cv2.INTER_LINEAR)[:rows, :cols]
    map_y = cv2.resize(map_y, full, interpolation=cv2.INTER_LINEAR)[:rows, :cols]
    return cv2.remap(masks, map_x, map_y, interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _arc_angle(ratio: float) -> float:
    """The angle (radians) an arc of unit length spans when its height is ``ratio``:
    solves (1 - cos(a / 2)) / a = ratio, capped at MAX_ARC_DEGREES."""
    high = math.radians(MAX_ARC_DEGREES)
    if (1 - math.cos(high / 2)) / high <= ratio:
        return high
    low = 1e-6
    for _ in range(30):  # the left side rises monotonically on (0, high]
        mid = (low + high) / 2
        if (1 - math.cos(mid / 2)) / mid < ratio:
            low = mid
        else:
            high = mid
    return max((low + high) / 2, 1e-6)


# ---- the neighbouring line ---------------------------------------------------------------------------
def neighbour_line(text: str, font: ImageFont.FreeTypeFont, width: float, rng: Generator) -> np.ndarray:
    """A uint8 mask, cut to its ink, of another line in the same font about ``width`` px
    long: characters of ``text`` (ones the font draws) in random order, with word gaps."""
    chars = [c for c in text if not c.isspace()] or ["-"]
    line = ""
    while font.getlength(line) < width and len(line) < 200:
        line += chars[int(rng.integers(len(chars)))]
        if rng.random() < 0.18 and not line.endswith(" "):
            line += " "
    ascent, descent = font.getmetrics()
    image = Image.new("L", (math.ceil(font.getlength(line)) + 4, ascent + descent + 4))
    ImageDraw.Draw(image).text((2, 2 + ascent), line, font=font, fill=255, anchor="ls")
    mask = np.asarray(image)
    rows = np.flatnonzero(mask.max(axis=1) > 12)
    cols = np.flatnonzero(mask.max(axis=0) > 12)
    if not len(rows):
        return np.zeros((0, 0), np.uint8)
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def place_neighbour(
    masks: np.ndarray,
    box: tuple[int, int, int, int],
    strip: np.ndarray,
    side: Literal["top", "bottom"],
    gap: int,
    x: int,
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """``masks`` (H, W, 3) with a fourth channel holding ``strip`` ``gap`` px above or below
    the ink ``box``, starting at column ``x`` (cut at the canvas sides); the canvas grows
    where the strip needs room. Returns the masks and the ink box in the new canvas."""
    rows, cols = masks.shape[:2]
    x0, y0, x1, y1 = box
    height = strip.shape[0]
    if side == "top":
        extra = max(0, height + gap - y0)
        top = y0 + extra - gap - height
    else:
        extra = max(0, y1 + gap + height - rows)
        top = y1 + gap
    out = np.zeros((rows + extra, cols, 4), np.uint8)
    shift = extra if side == "top" else 0
    out[shift : shift + rows, :, :3] = masks
    left, right = max(0, x), min(cols, x + strip.shape[1])
    if right > left:
        out[top : top + height, left:right, 3] = strip[:, left - x : right - x]
    return out, (x0, y0 + shift, x1, y1 + shift)


# ---- cutting a glyph's edge ----------------------------------------------------------------------------
def cut_edge(fill: np.ndarray, side: Side, want: float) -> int | None:
    """Where the crop's ``side`` edge goes to cut about ``want`` px off the text's solid ink
    on that side, and never more than half of any stroke that reaches within the cut: per
    column (row, for left and right) the first run of ink from that side keeps at least half
    its length. So a dot, a tick or a thin bar at the edge is trimmed, never removed. A
    canvas coordinate (the first row or column kept for top/left, one past the last kept
    for bottom/right); None when not even one pixel can be cut."""
    solid = fill > 127
    if side in ("left", "right"):
        solid = solid.T
    if side in ("bottom", "right"):
        solid = solid[::-1]
    inked = np.flatnonzero(solid.any(axis=1))
    if not len(inked):
        return None
    start = int(inked[0])
    reach = max(2, math.ceil(want) * 2 + 2)  # rows that can matter for a cut of `want`
    band = solid[start : start + reach]
    depth = np.arange(len(band))[:, None]
    first = np.where(band.any(axis=0), band.argmax(axis=0), reach)  # first ink row per column
    after = (~band) & (depth > first)
    end = np.where(after.any(axis=0), after.argmax(axis=0), len(band) + reach)  # first gap after it
    limit = first + (end - first) / 2  # cut rows < limit: at most half the first run
    cut = math.floor(min(want, float(limit.min())))
    if cut < 1:
        return None
    length = solid.shape[0]
    return start + cut if side in ("top", "left") else length - start - cut


# ---- a printed document -------------------------------------------------------------------------------
def scan(image: np.ndarray, ink: np.ndarray, paper: np.ndarray, looks: Looks, size: int) -> None:
    """Scan artefacts on a document crop (float32 RGB, in place): toner speckle, then
    binarisation at a threshold between ink and paper (``looks.binarize``: 0 at the ink's
    gray, 1 at the paper's; above 0.5 strokes come out a little bolder, below thinner)."""
    rng = np.random.default_rng([looks.seed, STREAM_SCAN])
    height, width = image.shape[:2]
    if looks.speckle:
        count = max(1, round(looks.speckle * height * width))
        ys, xs = rng.integers(0, height, count), rng.integers(0, width, count)
        image[ys, xs] = ink
        big = rng.random(count) < 0.35  # some dots are 2 x 2
        image[np.minimum(ys[big] + 1, height - 1), xs[big]] = ink
        image[ys[big], np.minimum(xs[big] + 1, width - 1)] = ink
        image[np.minimum(ys[big] + 1, height - 1), np.minimum(xs[big] + 1, width - 1)] = ink
    if looks.binarize is not None:
        gray = image @ np.array([0.299, 0.587, 0.114], np.float32)
        dark, light = float(ink @ [0.299, 0.587, 0.114]), float(paper @ [0.299, 0.587, 0.114])
        is_ink = gray < dark + looks.binarize * (light - dark)
        image[:] = paper
        image[is_ink] = ink


# ---- a photographic panel --------------------------------------------------------------------------------
def photo_panel(
    height: int, width: int, fill: np.ndarray, background: np.ndarray, min_contrast: float, seed: int
) -> np.ndarray | None:
    """A crop of a real text-free photo (float32 RGB) whose gray lies at least ``min_contrast``
    from the fill's everywhere: its 1st-99th percentile range is mapped (one affine map for
    all channels, shrunk only if it must) to the side of the fill where ``background`` lies
    (the other side when that has less room), and every channel is clipped to that band.
    None when no photo is installed."""
    photo = random_background(np.random.default_rng([seed, STREAM_PHOTO]), height, width)
    if photo is None:
        return None
    image = photo.astype(np.float32)
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    sample = image[:: max(1, height // 24), :: max(1, width // 48)] @ weights
    low, high = (float(v) for v in np.percentile(sample, (1, 99)))
    fill_gray, background_gray = float(fill @ weights), float(background @ weights)
    above = (fill_gray + min_contrast, 255.0)
    below = (0.0, fill_gray - min_contrast)
    band = above if background_gray >= fill_gray else below
    other = below if band is above else above
    if band[1] - band[0] < 40 and other[1] - other[0] > band[1] - band[0]:
        band = other
    band_low, band_high = band[0], max(band[0], band[1])
    span = max(high - low, 1.0)
    target = min(span, band_high - band_low)
    new_low = min(max((low + high) / 2 - target / 2, band_low), band_high - target)
    image -= low
    image *= target / span
    image += new_low
    return np.clip(image, band_low, band_high, out=image)
