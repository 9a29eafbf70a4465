"""Word and short-line crops in the look of Korean signboards, with exact labels.

:func:`render_word` draws ``text`` with one font face and returns an RGB uint8 crop. The
steps, each driven by the caller's ``numpy.random.Generator`` (same generator state, same
crop):

1. **Style** (:func:`sample_style`): font size, letter spacing (tracking), word spacing, vertical
   stacking, fake bold, outline, drop shadow, colours with enough *gray* contrast (the
   cache stores gray crops), panel kind, rotation, perspective, curvature, margins.
2. **Layers** (:func:`text_layers`): coverage masks of the fill, outline and shadow drawn
   with Pillow/FreeType on a padded canvas, char by char when tracking or stacking.
3. **Geometry**: curvature (remap), then rotation + perspective (one homography).
4. **Crop**: the union of all ink plus margins of 0.04–0.35 × the font size on each side
   (tight but never cutting a glyph: the box is measured on the warped masks).
5. **Paint**: a panel (solid, gradient, texture, light box, neon), then shadow, outline and
   fill (optionally a vertical colour gradient, or the letters in turn in two or three
   colours), then glow.
6. **Border and occlusion**: distractor edges (panel frame bands, lines, a sliver of a
   neighbouring glyph) drawn only in the margins, thin cables across the text.
7. **Degradation**: uneven lighting, blur or motion blur, low resolution, noise, JPEG.

**Looks** (:mod:`krocr.synth.looks`, drawn first, each with its probability in
``RenderConfig``) join these steps: a printed document (dark ink on paper, skew, then toner
speckle and binarisation after step 6), small text (steps 1-6 at a font size of 12-28 px, then
scaled up before 7), extruded letters (a layer in 2) and embossed or engraved relief (in 5), a
photographic panel (5), a strip of the neighbouring line (a fourth mask in 2, kept out of the
ink box), a strong arc instead of the mild curve (3), a crop edge that trims the glyphs (4),
bouncing letters (2) and letters in turn in several colours (a colour map in 2, warped with
the masks in 3, painted in 5).
``Rendered.looks`` names the looks a crop got.

Vertical text (a stacked Korean column) is turned 90° counter-clockwise by default, as
``krocr.data.crops`` presents a vertical box to the recognizer (first character on the left);
``vertical_output="upright"`` keeps the column standing.

Outlines and fake bold are dilations of the fill mask (cv2), ~30× faster than FreeType's
stroker.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from krocr.charset import is_hangul_syllable
from krocr.synth.fonts import FontFace
from krocr.synth.looks import (
    STREAM_COLOURS,
    STREAM_NEIGHBOUR,
    Looks,
    arc_warp,
    bouncing_line,
    cut_edge,
    extrusion,
    letter_colour_map,
    letter_starts,
    neighbour_line,
    photo_panel,
    place_neighbour,
    relief,
    sample_looks,
    scan,
)

Generator = np.random.Generator
Color = np.ndarray  # float32 RGB, 0..255
PanelKind = Literal["solid", "gradient", "texture", "lightbox", "neon", "photo", "paper"]

PALETTE_CANDIDATES = 6  # colours tried for each further letter colour (letter_colours)
LETTER_GRAY_GAP = 30.0  # gray levels a further letter colour keeps from those taken before
# Sign colours (RGB): whites, creams, primaries and the dark tones sign makers use.
SIGN_COLORS = np.array(
    [
        (255, 255, 255),
        (245, 242, 230),
        (250, 235, 200),
        (255, 221, 0),
        (255, 190, 30),
        (245, 130, 20),
        (230, 30, 35),
        (170, 20, 30),
        (240, 120, 150),
        (0, 150, 70),
        (0, 90, 50),
        (0, 140, 140),
        (90, 180, 230),
        (20, 90, 200),
        (15, 35, 90),
        (110, 50, 140),
        (110, 70, 40),
        (20, 20, 20),
        (60, 60, 65),
        (160, 160, 165),
        (0, 0, 0),
        (200, 200, 200),
        (255, 240, 120),
        (40, 40, 120),
    ],
    dtype=np.float32,
)
INK_RIM = 2  # px around a Layers box where masks may still hold antialiasing below its threshold
# Font sizes are multiples of this, so loaded fonts are reused (each costs ~0.4 MB and ~0.1 ms
# to open); the final crop is resized anyway.
SIZE_STEP = 4
BRIGHT_COLORS = np.array(
    [(255, 60, 60), (255, 240, 80), (80, 255, 120), (90, 220, 255), (255, 120, 230), (255, 255, 255), (255, 170, 60)],
    dtype=np.float32,
)


@dataclass(frozen=True)
class RenderConfig:
    font_size: tuple[int, int] = (24, 64)  # px; crops are resized to the cache height later
    min_contrast: float = 70.0  # gray levels between text and panel
    tracking: float = 0.25  # P(wide letter spacing)
    tracking_em: tuple[float, float] = (0.08, 0.5)
    # P(wider word spaces) for texts with spaces: signs space words by eye, often far wider
    # than the font's space, and a model that never saw that reads "위담 한의원" as one word
    wide_space: float = 0.2
    wide_space_em: tuple[float, float] = (0.2, 1.0)  # px added to each space, in font sizes
    vertical: float = 0.06  # P(stacked column) for short Hangul/digit texts without spaces
    vertical_output: Literal["rotated", "upright"] = "rotated"
    bold: float = 0.2
    outline: float = 0.25
    outline_em: tuple[float, float] = (0.04, 0.12)
    shadow: float = 0.2
    text_gradient: float = 0.1
    # "photo": a crop of a real text-free photo (krocr.synth.backgrounds), "texture" where none
    # is installed; "paper" is the documents' panel and is not drawn from this list
    panels: tuple[tuple[PanelKind, float], ...] = (
        ("solid", 0.27),
        ("gradient", 0.2),
        ("texture", 0.25),
        ("lightbox", 0.11),
        ("neon", 0.07),
        ("photo", 0.1),
    )
    rotate: float = 0.4
    rotate_degrees: float = 4.0
    perspective: float = 0.3
    perspective_em: float = 0.12  # corner jitter, in font sizes
    curve: float = 0.07
    curve_em: float = 0.15  # arc height, in font sizes
    margin_em: tuple[float, float] = (0.04, 0.35)
    distractor: float = 0.35  # P(edges or glyph slivers in the margins)
    occlusion: float = 0.08  # P(a thin cable across the text)
    shading: float = 0.3
    blur: float = 0.35
    motion_blur: float = 0.08
    low_res: float = 0.15
    noise: float = 0.4
    jpeg: float = 0.4
    jpeg_quality: tuple[int, int] = (20, 85)
    # looks (krocr.synth.looks; docs/synth.md, "Looks"): each a probability per crop
    document: float = 0.08  # P(printed document: dark ink on paper, slight skew; not for vertical text)
    document_font_size: tuple[int, int] = (24, 48)  # Hangul ~0.85 em: text 20-40 px high
    document_skew_degrees: float = 2.0
    binarize: float = 0.5  # P(the document's scan is binarised | document)
    speckle: float = 0.5  # P(toner speckle | document)
    small_text: float = 0.12  # P(drawn with an x-height of small_x_height px, then scaled up)
    small_x_height: tuple[int, int] = (6, 14)  # px; the font size is twice this
    extrude: float = 0.04  # P(3-D letters: stacked copies in a darker shade behind the fill)
    extrude_em: tuple[float, float] = (0.05, 0.14)  # depth of the stack
    relief: float = 0.04  # P(embossed or engraved panel: letters as a lit relief, faintly coloured)
    neighbour_line: float = 0.08  # P(a strip of the line above or below, cut by the crop edge)
    neighbour_visible: tuple[float, float] = (0.15, 0.4)  # of that line's ink height
    strong_curve: float = 0.05  # P(baseline on a circular arc, instead of the mild curve)
    strong_curve_em: tuple[float, float] = (0.3, 1.0)  # arc height
    edge_cut: float = 0.08  # P(the crop cuts a glyph edge: 2-6 % of the text height, or 0.03-0.1 em at an end)
    # P(bouncing letters: each character its own size, height and tilt; not for documents or
    # columns). Off by default so that renders made before it repeat: --chance bounce=P
    bounce: float = 0.0
    bounce_amount: tuple[float, float] = (0.15, 0.35)  # scale varies by up to this, height by half, tilt 25x in °
    # P(the letters painted in turn in two or three colours, as on shop signs in a brand's
    # colours; not for documents). Off by default so that renders made before it repeat
    letter_colours: float = 0.0

    def __post_init__(self) -> None:
        weakest, strongest = self.bounce_amount
        if not 0.0 <= weakest <= strongest < 1.0:  # 1 - amount is the smallest scale
            raise ValueError(f"bounce_amount {self.bounce_amount} must satisfy 0 <= low <= high < 1")

    def without_degradation(self) -> RenderConfig:
        """No blur, motion blur, low resolution, noise or JPEG (uneven light stays). Degradation
        is the last step of a render, so with the same per-crop generator this draws the same
        text layout, font, panel and geometry as the degraded crop: a paired, clean twin."""
        return replace(self, blur=0.0, motion_blur=0.0, low_res=0.0, noise=0.0, jpeg=0.0)

    def only_look(self, look: str | None) -> RenderConfig:
        """Every look of :data:`LOOKS` off but ``look`` (a name of LOOKS), which is always on;
        ``"photo"`` means photographic panels only, and the other looks draw no photo panel.
        None: all looks off (the signs as before the looks)."""
        off: dict[str, Any] = {name: 0.0 for name in LOOKS if name != "photo"}
        if look is None:
            return replace(self, **off, panels=tuple(p for p in self.panels if p[0] != "photo"))
        if look not in LOOKS:
            raise ValueError(f"unknown look {look!r}; one of {', '.join(LOOKS)}")
        if look == "photo":
            return replace(self, **off, panels=(("photo", 1.0),))
        return replace(self, **(off | {look: 1.0}), panels=tuple(p for p in self.panels if p[0] != "photo"))

    def with_chances(self, chances: Mapping[str, float]) -> RenderConfig:
        """This configuration with some per-crop probabilities replaced, e.g. more small text.

        Args:
            chances: a name of :data:`CHANCES` to its probability in [0, 1].

        Returns:
            The changed copy.

        Raises:
            ValueError: naming the first unknown name or probability outside [0, 1].
        """
        for name, chance in chances.items():
            if name not in CHANCES:
                raise ValueError(f"unknown chance {name!r}; one of {', '.join(CHANCES)}")
            if isinstance(chance, bool) or not 0.0 <= chance <= 1.0:  # True would pass as 1
                raise ValueError(f"chance {name}={chance} is not a probability in [0, 1]")
        changes: dict[str, Any] = dict(chances)
        return replace(self, **changes)


# the looks of RenderConfig that RenderConfig.only_look switches, and the preview sheets show
LOOKS = (
    "document",
    "small_text",
    "extrude",
    "relief",
    "photo",
    "neighbour_line",
    "strong_curve",
    "edge_cut",
    "bounce",
    "letter_colours",
)
# the per-crop probabilities RenderConfig.with_chances may change: the looks drawn by a
# probability ("photo" is a share of the panels) and the degradations
CHANCES = (*(name for name in LOOKS if name != "photo"), "shading", "blur", "motion_blur", "low_res", "noise", "jpeg")


@dataclass
class Style:
    """The concrete look of one crop (drawn by :func:`sample_style`)."""

    size: int
    tracking: float  # px added after each character
    vertical: bool
    bold: int  # px of dilation of the fill
    outline: int  # px of outline around the fill (0: none)
    shadow: tuple[int, int] | None  # (dx, dy) px
    panel: PanelKind
    background: Color
    fill: Color
    fill_bottom: Color | None  # vertical fill gradient to this colour
    outline_color: Color
    shadow_color: Color
    glow: bool
    rotation: float  # degrees
    perspective: np.ndarray | None  # (4, 2) corner offsets, px
    curve: float  # px, signed
    margins: tuple[int, int, int, int]  # left, top, right, bottom, px
    word_space: float = 0.0  # px added to each space beyond the font's own
    looks: Looks = field(default_factory=Looks)  # documents, small text, relief... (krocr.synth.looks)
    palette: np.ndarray | None = None  # (n, 3) the letters' colours in turn, the fill first (letter_colours)


@dataclass
class Layers:
    """uint8 coverage masks (H, W, 3): fill, outline, shadow; and the ink box of all three.
    Kept as one array so every warp is a single OpenCV call."""

    masks: np.ndarray
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
    colour_map: np.ndarray | None = None  # (H, W) uint8: the palette index painting each pixel

    @classmethod
    def of(cls, masks: np.ndarray, colour_map: np.ndarray | None = None) -> Layers:
        return cls(masks, ink_box(masks[..., :3] if masks.shape[2] > 3 else masks), colour_map)

    def alphas(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fill, outline and shadow as float32 in [0, 1]."""
        alpha = self.masks.astype(np.float32) * (1 / 255)
        return alpha[..., 0], alpha[..., 1], alpha[..., 2]

    def neighbour(self) -> np.ndarray | None:
        """The strip of a neighbouring line (a fourth mask, outside the box), as float32."""
        return self.masks[..., 3].astype(np.float32) * (1 / 255) if self.masks.shape[2] > 3 else None


@dataclass
class Rendered:
    image: np.ndarray  # RGB uint8
    box: tuple[int, int, int, int]  # ink box inside the crop: x0, y0, x1, y1 (exclusive), clipped to it
    # the looks this crop got (Looks.names(), "photo"), and "photo_missing" when a photo panel
    # was drawn but no photo is installed (a texture panel then stands in)
    looks: tuple[str, ...] = ()


# ---- public entry points --------------------------------------------------------------------
def render_word(text: str, face: FontFace, rng: Generator, config: RenderConfig = RenderConfig()) -> np.ndarray:
    """An RGB uint8 crop of ``text`` drawn with ``face`` in a random signboard style."""
    return render(text, face, rng, config).image


def render(text: str, face: FontFace, rng: Generator, config: RenderConfig = RenderConfig()) -> Rendered:
    """Like :func:`render_word`, also returning where the ink lies in the crop."""
    style = sample_style(text, rng, config, sample_looks(rng, config))
    looks = style.looks
    names = looks.names()
    upscale = 1.0
    if looks.small_size:  # drawn small, scaled up after painting
        upscale = max(style.size / looks.small_size, 1.25)
        style = _shrunk(style, looks.small_size)
    font = face.load(style.size)
    layers = text_layers(text, font, style)
    margins = style.margins
    if looks.neighbour:
        layers, margins = _with_neighbour(layers, text, font, style)
    layers = warp_layers(layers, style)
    if looks.cut:
        margins, cut = _cut_margins(layers, style, margins)
        if not cut:
            names.remove("edge_cut")
    layers = crop_layers(layers, margins)
    if style.vertical and config.vertical_output == "rotated":
        colour_map = None if layers.colour_map is None else np.ascontiguousarray(np.rot90(layers.colour_map))
        layers = Layers.of(np.ascontiguousarray(np.rot90(layers.masks)), colour_map)  # CCW: first character on the left
    height, width = layers.masks.shape[:2]
    if style.panel == "photo":
        names.append("photo")
    image = paint_panel(height, width, style, rng, config.min_contrast)
    if names and names[-1] == "photo" and style.panel != "photo":
        names[-1] = "photo_missing"  # paint_panel fell back to a texture
    paint_text(image, layers, style)
    if rng.random() < config.distractor:
        add_distractors(image, layers.box, style, font, text, rng)
    if rng.random() < config.occlusion:
        add_cable(image, style, rng)
    if looks.document and looks.ink is not None and looks.paper is not None:
        scan(image, looks.ink, looks.paper, looks, style.size)
    box = layers.box
    if upscale > 1:
        size = (max(1, round(width * upscale)), max(1, round(height * upscale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC if looks.cubic else cv2.INTER_LINEAR)
        sx, sy = size[0] / width, size[1] / height
        box = (math.floor(box[0] * sx), math.floor(box[1] * sy), math.ceil(box[2] * sx), math.ceil(box[3] * sy))
    image = degrade(image, style.size * upscale / 32, rng, config)
    return Rendered(image, box, tuple(names))


# ---- style -------------------------------------------------------------------------------------
def sample_style(text: str, rng: Generator, config: RenderConfig, looks: Looks | None = None) -> Style:
    """The look of one crop; ``looks`` (:func:`krocr.synth.looks.sample_looks`, drawn by
    :func:`render` before the style) adds documents, relief, arcs... as far as the text allows.
    Without it (scenes) the style has no look."""
    low, high = config.font_size
    size = int(rng.integers(low // SIZE_STEP, high // SIZE_STEP + 1)) * SIZE_STEP
    vertical = can_stack(text) and rng.random() < config.vertical
    panel = _pick_panel(rng, config)
    looks = Looks() if looks is None else looks.fitting(text, bool(vertical), panel)
    size = looks.document_size or size
    background, fill, outline_color = _pick_colors(panel, rng, config.min_contrast)
    outline = _em(rng, config.outline_em, size) if rng.random() < config.outline else 0
    has_shadow = rng.random() < config.shadow
    shadow = None
    if has_shadow:
        offset = max(1, round(size * rng.uniform(0.03, 0.09)))
        shadow = (int(offset * rng.choice([-1, 1, 1])), offset)
    fill_bottom = None
    if rng.random() < config.text_gradient:
        fill_bottom = _contrasting(rng, [background], config.min_contrast, near=fill)
    style = Style(
        size=size,
        tracking=size * rng.uniform(*config.tracking_em) if rng.random() < config.tracking else 0.0,
        word_space=(
            size * rng.uniform(*config.wide_space_em) if " " in text and rng.random() < config.wide_space else 0.0
        ),
        vertical=bool(vertical),
        bold=max(1, round(size * rng.uniform(0.02, 0.045))) if rng.random() < config.bold else 0,
        outline=outline,
        shadow=shadow,
        panel=panel,
        background=background,
        fill=fill,
        fill_bottom=fill_bottom,
        outline_color=outline_color,
        shadow_color=np.zeros(3, np.float32) + rng.uniform(0, 60),
        glow=panel == "neon",
        rotation=rng.uniform(-config.rotate_degrees, config.rotate_degrees) if rng.random() < config.rotate else 0.0,
        perspective=(
            rng.uniform(-1, 1, (4, 2)) * config.perspective_em * size if rng.random() < config.perspective else None
        ),
        curve=rng.uniform(-1, 1) * config.curve_em * size if rng.random() < config.curve and not vertical else 0.0,
        margins=_margins(rng, config.margin_em, size),
        looks=looks,
    )
    if looks.letter_colours:
        style.palette = _letter_palette(style, config.min_contrast)
        if len(style.palette) < 2:  # no colour stood apart from the fill: the look is not drawn
            style.palette, style.looks = None, replace(looks, letter_colours=0)
        else:
            style.looks = replace(looks, letter_colours=len(style.palette))
    return _with_looks(style) if style.looks.names() else style


def _letter_palette(style: Style, min_contrast: float) -> np.ndarray:
    """The fill and up to ``letter_colours`` − 1 more colours, each standing out by
    ``min_contrast`` from the panel, the outline (a letter the colour of its outline would lose
    its shape) and the 3-D letters' sides, and by ``LETTER_GRAY_GAP`` from the colours taken
    before (the model reads gray): of ``PALETTE_CANDIDATES`` tries, the farthest in gray.
    Fewer colours when no try qualifies. Drawn from the looks' own generator."""
    rng = np.random.default_rng([style.looks.seed, STREAM_COLOURS, 1])
    against = [style.background]
    if style.outline:
        against.append(style.outline_color)
    if style.looks.extrude:
        against.append(_extrusion_color(style))
    palette = [style.fill]
    for _ in range(style.looks.letter_colours - 1):
        candidates = [_contrasting(rng, against, min_contrast) for _ in range(PALETTE_CANDIDATES)]
        apart = [c for c in candidates if _stands_out(c, against, min_contrast)]  # not _contrasting's fallback
        taken = luminance(np.stack(palette))
        gaps = [float(np.abs(taken - luminance(c)).min()) for c in apart]
        if gaps and max(gaps) >= LETTER_GRAY_GAP:
            palette.append(apart[int(np.argmax(gaps))])
    return np.stack(palette).astype(np.float32)


def _with_looks(style: Style) -> Style:
    """The style's fields the looks replace (all draws are made before: see sample_looks)."""
    looks = style.looks
    if looks.document and looks.paper is not None and looks.ink is not None:
        style = replace(
            style,
            panel="paper",
            background=looks.paper,
            fill=looks.ink,
            outline=0,
            shadow=None,
            fill_bottom=None,
            glow=False,
            rotation=looks.skew,
            perspective=None,
            curve=0.0,
        )
    if looks.arc:
        style.curve = looks.arc * style.size
    if looks.extrude:
        style.shadow = None  # the stacked copies take the shadow's layer
    if looks.relief:
        style.outline, style.shadow, style.fill_bottom = 0, None, None
    return style


def _shrunk(style: Style, size: int) -> Style:
    """``style`` for font size ``size``: every length in pixels scaled alike (at least 1 px
    where it was not 0)."""
    factor = size / style.size

    def px(value: int) -> int:
        return max(1, round(value * factor)) if value else 0

    shadow = (
        None
        if style.shadow is None
        else (int(np.sign(style.shadow[0])) * px(abs(style.shadow[0])), px(style.shadow[1]))
    )
    return replace(
        style,
        size=size,
        tracking=style.tracking * factor,
        word_space=style.word_space * factor,
        bold=round(style.bold * factor),  # 1 px at 12 px would be twice the boldest fake bold
        outline=px(style.outline),
        shadow=shadow,
        perspective=None if style.perspective is None else style.perspective * factor,
        curve=style.curve * factor,
        margins=(px(style.margins[0]), px(style.margins[1]), px(style.margins[2]), px(style.margins[3])),
    )


def _em(rng: Generator, bounds: tuple[float, float], size: int) -> int:
    return max(1, round(size * rng.uniform(*bounds)))


def _margins(rng: Generator, bounds: tuple[float, float], size: int) -> tuple[int, int, int, int]:
    """Left, top, right, bottom margins, drawn in that order."""
    return (_em(rng, bounds, size), _em(rng, bounds, size), _em(rng, bounds, size), _em(rng, bounds, size))


def can_stack(text: str) -> bool:
    """Vertical signs stack short Hangul words (digits may join); anything else stays flat."""
    return (
        2 <= len(text) <= 8
        and any(is_hangul_syllable(c) for c in text)
        and all(is_hangul_syllable(c) or c.isdigit() for c in text)
    )


def _pick_panel(rng: Generator, config: RenderConfig) -> PanelKind:
    kinds = [k for k, _ in config.panels]
    weights = np.array([w for _, w in config.panels], dtype=np.float64)
    return kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]


def luminance(color: np.ndarray) -> np.ndarray:
    """Gray value (ITU-R BT.601, as OpenCV's RGB→gray) of RGB values in the last axis."""
    return color[..., 0] * 0.299 + color[..., 1] * 0.587 + color[..., 2] * 0.114


def _jitter(rng: Generator, color: np.ndarray, amount: float) -> Color:
    return np.clip(color + rng.uniform(-amount, amount, 3), 0, 255).astype(np.float32)


def _contrasting(
    rng: Generator, against: list[Color], min_delta: float, near: Color | None = None, palette: np.ndarray = SIGN_COLORS
) -> Color:
    """A palette colour (jittered) whose gray differs from each of ``against`` by ``min_delta``;
    with ``near``, the candidate closest in gray to it among a few random picks."""
    gray = luminance(palette)
    ok = np.all([np.abs(gray - luminance(a)) >= min_delta for a in against], axis=0)
    candidates = palette[ok] if ok.any() else palette[[np.argmin(gray), np.argmax(gray)]]
    for _ in range(8):
        color = _jitter(rng, candidates[int(rng.integers(len(candidates)))], 20)
        if near is not None and abs(float(luminance(color) - luminance(near))) > 60:
            continue
        if _stands_out(color, against, min_delta):
            return color
    darkest = all(luminance(a) > 127 for a in against)
    return np.zeros(3, np.float32) if darkest else np.full(3, 255, np.float32)


def _stands_out(color: Color, against: list[Color], min_delta: float) -> bool:
    """Whether ``color``'s gray differs from each of ``against`` by ``min_delta``."""
    return all(abs(float(luminance(color) - luminance(a))) >= min_delta for a in against)


def _pick_colors(panel: PanelKind, rng: Generator, min_contrast: float) -> tuple[Color, Color, Color]:
    """(background, fill, outline) colours suited to the panel kind."""
    gray = luminance(SIGN_COLORS)
    if panel == "neon":
        background = _jitter(rng, np.array([15, 15, 25], np.float32), 15)
        fill = _contrasting(rng, [background], min_contrast + 60, palette=BRIGHT_COLORS)
    elif panel == "lightbox":
        background = _jitter(rng, SIGN_COLORS[gray > 170][int(rng.integers(int((gray > 170).sum())))], 10)
        fill = _contrasting(rng, [background], min_contrast)
    else:
        background = _jitter(rng, SIGN_COLORS[int(rng.integers(len(SIGN_COLORS)))], 25)
        fill = _contrasting(rng, [background], min_contrast)
    outline = _contrasting(rng, [fill], min_contrast * 0.7)
    return background, fill, outline


# ---- layers ------------------------------------------------------------------------------------
def text_layers(text: str, font: ImageFont.FreeTypeFont, style: Style) -> Layers:
    """Fill, outline and shadow masks of ``text`` on a canvas padded for every effect."""
    pad = math.ceil(style.size * 0.5 + abs(style.curve)) + style.outline + style.bold + 2
    pad += math.ceil(style.looks.bounce * style.size)  # a raised, grown letter; 0 without the look
    if style.shadow:
        pad += max(map(abs, style.shadow))
    extrude = style.looks.extrude_px(style.size)
    if extrude:
        pad += max(map(abs, extrude))
    fill, pen = _stacked_mask(text, font, style, pad) if style.vertical else _line_mask(text, font, style, pad)
    if style.bold:
        fill = _dilate(fill, style.bold)
    outline = _dilate(fill, style.outline) if style.outline else np.zeros_like(fill)
    shadow = np.zeros_like(fill)
    if style.shadow:
        dx, dy = style.shadow
        source = np.maximum(fill, outline)
        shadow = np.roll(source, (dy, dx), axis=(0, 1))  # the pad keeps rolled ink away from the far side
    elif extrude:
        shadow = extrusion(np.maximum(fill, outline), extrude)
    colour_map = None
    if style.palette is not None:
        ink = fill.sum(axis=1 if style.vertical else 0, dtype=np.int64)  # along the line
        starts = letter_starts(ink, pen)
        colour_map = letter_colour_map(text, starts, fill.shape, len(style.palette), style.vertical)
    return Layers.of(np.stack([fill, outline, shadow], axis=-1), colour_map)


def _with_neighbour(
    layers: Layers, text: str, font: ImageFont.FreeTypeFont, style: Style
) -> tuple[Layers, tuple[int, int, int, int]]:
    """``layers`` with a fourth mask: another line of the same font above or below the ink,
    and the margins that let the crop edge cut it with ``neighbour_visible`` of it inside."""
    looks = style.looks
    assert looks.neighbour is not None
    rng = np.random.default_rng([looks.seed, STREAM_NEIGHBOUR])
    x0, _, x1, _ = layers.box
    strip = neighbour_line(text, font, (x1 - x0) * rng.uniform(0.6, 1.6), rng)
    if not strip.size:
        return layers, style.margins
    if style.bold:
        strip = _dilate(np.pad(strip, style.bold), style.bold)
    gap = round(looks.neighbour_gap * style.size) + style.outline + 1  # its outline stays off this ink
    x = x0 + round(looks.neighbour_shift * style.size)
    masks, box = place_neighbour(layers.masks, layers.box, strip, looks.neighbour, gap, x)
    margins = list(style.margins)
    margins[1 if looks.neighbour == "top" else 3] = gap + max(1, round(looks.neighbour_visible * strip.shape[0]))
    colour_map = layers.colour_map
    if colour_map is not None:  # the canvas grew by these rows above or below
        extra = masks.shape[0] - colour_map.shape[0]
        rows = (extra, 0) if looks.neighbour == "top" else (0, extra)
        colour_map = np.pad(colour_map, (rows, (0, 0)), mode="edge")
    return Layers(masks, box, colour_map), (margins[0], margins[1], margins[2], margins[3])


def _line_mask(text: str, font: ImageFont.FreeTypeFont, style: Style, pad: int) -> tuple[np.ndarray, list[float]]:
    """The fill mask of a line, and the pen's x before each character and after the last."""
    gaps = _pen_gaps(text, style)
    if style.looks.bounce:
        return bouncing_line(text, font, gaps, pad, style.looks.bounce, style.looks.seed)
    ascent, descent = font.getmetrics()
    advances = [font.getlength(ch) for ch in text]
    # the canvas must hold the same gaps the pen adds, or the end of a spaced line is cut off
    width = math.ceil(sum(advances) + sum(gaps)) + 2 * pad
    image = Image.new("L", (max(width, 1), ascent + descent + 2 * pad))
    draw = ImageDraw.Draw(image)
    baseline = pad + ascent
    pen = [float(pad)]
    for advance, gap in zip(advances, [*gaps, 0.0] if gaps else [0.0] * len(text)):
        pen.append(pen[-1] + advance + gap)
    if not gaps:
        draw.text((pad, baseline), text, font=font, fill=255, anchor="ls")
    else:
        for ch, x in zip(text, pen):
            draw.text((x, baseline), ch, font=font, fill=255, anchor="ls")
    return np.asarray(image), pen


def _pen_gaps(text: str, style: Style) -> list[float]:
    """px the pen moves beyond each character's advance (all but the last); empty when the
    line is drawn in one call. A space stays wider than the letter spacing around it."""
    if not (style.tracking or style.word_space):
        return []
    word_gap = (style.tracking + 0.5 * style.size if style.tracking else 0.0) + style.word_space
    return [word_gap if ch == " " else style.tracking for ch in text[:-1]]


def _stacked_mask(text: str, font: ImageFont.FreeTypeFont, style: Style, pad: int) -> tuple[np.ndarray, list[float]]:
    """One character per row, each centred on the column axis; and the y of each row's top
    and of the last row's bottom."""
    step = style.size * 1.05 + style.tracking
    column = max(font.getlength(ch) for ch in text)
    image = Image.new("L", (math.ceil(column) + 2 * pad, math.ceil(step * len(text)) + 2 * pad))
    draw = ImageDraw.Draw(image)
    center = pad + column / 2
    for i, ch in enumerate(text):
        draw.text((center, pad + i * step), ch, font=font, fill=255, anchor="mt")
    return np.asarray(image), [pad + i * step for i in range(len(text) + 1)]


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask, kernel)


def ink_box(masks: np.ndarray, threshold: int = 12) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1), exclusive ends, of any (H, W, C) uint8 mask above
    ``threshold``. Reduces over whole rows and columns first: a max over the 3-long channel
    axis is numpy's slow case."""
    height, width = masks.shape[:2]
    rows = np.flatnonzero(masks.reshape(height, -1).max(axis=1) > threshold)
    cols = np.flatnonzero(masks.reshape(height, width, -1).max(axis=0).max(axis=1) > threshold)
    if not len(rows):
        return 0, 0, width, height
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


# ---- geometry ----------------------------------------------------------------------------------
def warp_layers(layers: Layers, style: Style) -> Layers:
    """Curvature, then rotation and perspective; the canvas grows to keep every pixel. The
    colour map (palette indices) goes through the same warps by nearest neighbour, never blended."""
    box = layers.box

    def warped(image: np.ndarray, interpolation: int) -> np.ndarray:
        if style.curve and style.looks.arc:
            image = arc_warp(image, style.curve, box, interpolation)
        elif style.curve:
            image = _curve(image, style.curve, box, interpolation)
        if style.rotation or style.perspective is not None:
            image = _homography(image, style, interpolation)
        return image

    colours = None if layers.colour_map is None else warped(layers.colour_map, cv2.INTER_NEAREST)
    return Layers.of(warped(layers.masks, cv2.INTER_LINEAR), colours)


def _curve(
    masks: np.ndarray, amplitude: float, box: tuple[int, int, int, int], interpolation: int = cv2.INTER_LINEAR
) -> np.ndarray:
    """Bend the baseline into a parabola of height ``amplitude`` over the ink's width."""
    height, width = masks.shape[:2]
    x0, _, x1, _ = box
    xs = np.arange(width, dtype=np.float32)
    t = np.clip((xs - x0) / max(x1 - x0, 1), 0, 1) * 2 - 1
    shift = amplitude * (t * t - 0.5)
    map_x = np.broadcast_to(xs, (height, width)).astype(np.float32)
    map_y = (np.arange(height, dtype=np.float32)[:, None] - shift[None, :]).astype(np.float32)
    return cv2.remap(masks, map_x, map_y, interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _homography(masks: np.ndarray, style: Style, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    height, width = masks.shape[:2]
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    moved = corners + (style.perspective if style.perspective is not None else 0)
    matrix = cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
    center = np.array([width / 2, height / 2])
    angle = math.radians(style.rotation)
    rotation = np.array([[math.cos(angle), -math.sin(angle), 0], [math.sin(angle), math.cos(angle), 0], [0, 0, 1]])
    to_origin = np.array([[1, 0, -center[0]], [0, 1, -center[1]], [0, 0, 1]])
    back = np.array([[1, 0, center[0]], [0, 1, center[1]], [0, 0, 1]])
    matrix = back @ rotation @ to_origin @ matrix
    projected = cv2.perspectiveTransform(corners[None], matrix)[0]
    low, high = np.floor(projected.min(axis=0)), np.ceil(projected.max(axis=0))
    shift = np.array([[1, 0, -low[0]], [0, 1, -low[1]], [0, 0, 1]])
    size = (int(high[0] - low[0]), int(high[1] - low[1]))
    return cv2.warpPerspective(masks, shift @ matrix, size, flags=interpolation, borderValue=0)


def crop_layers(layers: Layers, margins: tuple[int, int, int, int]) -> Layers:
    """The ink box grown by ``margins`` (left, top, right, bottom), clipped to the canvas; a
    negative margin cuts into the ink (the box is clipped to the crop)."""
    x0, y0, x1, y1 = layers.box
    left, top, right, bottom = margins
    height, width = layers.masks.shape[:2]
    cx0, cy0 = max(0, x0 - left), max(0, y0 - top)
    cx1, cy1 = min(width, x1 + right), min(height, y1 + bottom)
    box = (max(x0, cx0) - cx0, max(y0, cy0) - cy0, min(x1, cx1) - cx0, min(y1, cy1) - cy0)
    colour_map = None if layers.colour_map is None else layers.colour_map[cy0:cy1, cx0:cx1]
    return Layers(layers.masks[cy0:cy1, cx0:cx1], box, colour_map)


def _cut_margins(
    layers: Layers, style: Style, margins: tuple[int, int, int, int]
) -> tuple[tuple[int, int, int, int], bool]:
    """``margins`` with the cut side's margin negative, so the crop edge cuts the glyphs'
    edge (:func:`krocr.synth.looks.cut_edge`); unchanged (and False) when nothing can be cut."""
    looks = style.looks
    fill = layers.masks[..., 0]
    if looks.cut in ("top", "bottom"):
        rows = np.flatnonzero(fill.max(axis=1) > 127)
        want = looks.cut_amount * (rows[-1] - rows[0] + 1 if len(rows) else 0)
    else:
        want = looks.cut_amount * style.size
    want = max(want, 1.0)  # small text: at least a pixel, if half a stroke allows it
    edge = cut_edge(fill, looks.cut or "top", want)
    if edge is None:
        return margins, False
    x0, y0, x1, y1 = layers.box
    left, top, right, bottom = margins
    if looks.cut == "left":
        left = x0 - edge
    elif looks.cut == "top":
        top = y0 - edge
    elif looks.cut == "right":
        right = edge - x1
    else:
        bottom = edge - y1
    return (left, top, right, bottom), True


# ---- painting ----------------------------------------------------------------------------------
def paint_panel(
    height: int, width: int, style: Style, rng: Generator, min_contrast: float = RenderConfig.min_contrast
) -> np.ndarray:
    """The sign's surface behind the text: float32 RGB (H, W, 3), 0..255. A ``"photo"`` panel
    keeps ``min_contrast`` gray levels from the fill; where no photo is installed it is a
    ``"texture"`` panel, and ``style.panel`` says so afterwards."""
    if style.panel == "photo":
        photo = photo_panel(height, width, style.fill, style.background, min_contrast, style.looks.seed)
        if photo is not None:
            return photo
        style.panel = "texture"
    image = np.empty((height, width, 3), np.float32)
    image[:] = style.background
    if style.panel == "gradient":
        image += _ramp(height, width, rng)[..., None] * rng.uniform(-35, 35, 3).astype(np.float32)
    elif style.panel == "texture":
        image += _texture(height, width, rng)
    elif style.panel == "lightbox":  # backlit: brighter in the middle
        image *= 1.0 + 0.18 * _spot(height, width, rng)[..., None]
    elif style.panel == "neon":
        image += _texture(height, width, rng) * 0.4
    elif style.panel == "paper":  # faint fibres and grain
        image += _texture(height, width, rng) * 0.12
    return np.clip(image, 0, 255, out=image)


def _ramp(height: int, width: int, rng: Generator) -> np.ndarray:
    """A linear ramp from -0.5 to 0.5 in a random direction."""
    angle = rng.uniform(0, 2 * math.pi)
    xs = np.arange(width, dtype=np.float32)[None, :] * math.cos(angle) / max(width, 1)
    ys = np.arange(height, dtype=np.float32)[:, None] * math.sin(angle) / max(height, 1)
    ramp = xs + ys  # the same values as on a full grid, computed once per row and column
    return ramp - ramp.mean()


def _spot(height: int, width: int, rng: Generator) -> np.ndarray:
    """1 at a centre near the middle, falling to about 0 at the borders."""
    ys, xs = np.ogrid[0:height, 0:width]
    cx, cy = width * rng.uniform(0.3, 0.7), height * rng.uniform(0.3, 0.7)
    d = ((xs - cx) / max(width, 1)) ** 2 + ((ys - cy) / max(height, 1)) ** 2
    return np.exp(-4 * d).astype(np.float32)


def _texture(height: int, width: int, rng: Generator) -> np.ndarray:
    """Blotches (low-frequency noise), sometimes brushed streaks, and grain; ±~30 gray levels."""
    cell = int(rng.integers(6, 24))
    small = rng.normal(0, 1, (height // cell + 2, width // cell + 2, 1)).astype(np.float32)
    blotch = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)[..., None]
    texture = np.repeat(blotch * rng.uniform(5, 18), 3, axis=2)
    if rng.random() < 0.4:  # brushed metal, siding: streaks along one axis
        shape = (height, 1, 1) if rng.random() < 0.5 else (1, width, 1)
        texture += rng.standard_normal(shape, dtype=np.float32) * np.float32(rng.uniform(3, 10))
    texture += rng.standard_normal((height, width, 1), dtype=np.float32) * np.float32(rng.uniform(1, 5))
    return texture


def paint_text(image: np.ndarray, layers: Layers, style: Style) -> None:
    """Shadow, outline, fill and glow onto ``image`` (float32 RGB, same size as the layers).
    The layers are blended over their ink box only, grown by ``INK_RIM`` px: outside it the
    masks are zero (what lies below the box's threshold is an antialiased rim of a pixel)."""
    looks = style.looks
    height, width = image.shape[:2]
    x0, y0, x1, y1 = layers.box
    x0, y0, x1, y1 = max(0, x0 - INK_RIM), max(0, y0 - INK_RIM), min(width, x1 + INK_RIM), min(height, y1 + INK_RIM)
    region = image[y0:y1, x0:x1]
    alpha = layers.masks[y0:y1, x0:x1, :3].astype(np.float32) * np.float32(1 / 255)
    fill, outline, shadow = alpha[..., 0], alpha[..., 1], alpha[..., 2]
    if style.shadow:
        _blend(region, shadow * 0.7, style.shadow_color)
    elif looks.extrude:
        _blend(region, shadow, _extrusion_color(style))
    neighbour = layers.neighbour()  # outside the box
    if neighbour is not None:
        if style.outline:
            _blend(image, _dilate(neighbour, style.outline), style.outline_color)
        _blend(image, neighbour, style.fill)
    if style.outline:
        _blend(region, outline, style.outline_color)
    fill_color: np.ndarray = style.fill
    if style.palette is not None and layers.colour_map is not None:
        fill_color = style.palette[layers.colour_map[y0:y1, x0:x1]]
    elif style.fill_bottom is not None:
        t = np.linspace(0, 1, height, dtype=np.float32)[y0:y1, None, None]
        fill_color = style.fill * (1 - t) + style.fill_bottom * t
    _blend(region, fill * looks.fill_opacity if looks.fill_opacity < 1 else fill, fill_color)
    if looks.relief or style.glow:  # these reach beyond the ink: over the whole crop
        whole = layers.alphas()
        if looks.relief:
            shading = relief(whole[0], style.size, looks.light, looks.relief_strength, looks.relief == "engrave")
            image += shading[..., None]
        if style.glow:
            halo = cv2.GaussianBlur(np.maximum(whole[0], whole[1]), (0, 0), max(1.0, style.size * 0.12))
            image += halo[..., None] * style.fill * 0.8
        np.clip(image, 0, 255, out=image)


def _extrusion_color(style: Style) -> Color:
    """The stacked copies' colour: the fill darkened; for a fill too dark to darken visibly,
    a tone towards the panel instead."""
    darker = style.fill * style.looks.extrude_shade
    if float(luminance(style.fill) - luminance(darker)) >= 35:
        return darker.astype(np.float32)
    return (style.fill + (style.background - style.fill) * 0.45).astype(np.float32)


def _blend(image: np.ndarray, alpha: np.ndarray, color: np.ndarray) -> None:
    """``image`` += alpha * (color - image), in place."""
    step = color - image
    step *= alpha[..., None]
    image += step


# ---- borders and occlusion -----------------------------------------------------------------------
def add_distractors(
    image: np.ndarray,
    box: tuple[int, int, int, int],
    style: Style,
    font: ImageFont.FreeTypeFont,
    text: str,
    rng: Generator,
) -> None:
    """Things a detector's box catches around a word, drawn only in the margins: a panel
    frame band, a thin line, a sliver of a neighbouring glyph."""
    height, width = image.shape[:2]
    x0, y0, x1, y1 = box
    margins = {"left": x0, "top": y0, "right": width - x1, "bottom": height - y1}
    side = list(margins)[int(rng.integers(4))]
    room = margins[side]
    if room < 2:
        return
    kind = rng.random()
    if kind < 0.45:
        thickness = int(rng.integers(1, room))
        _paint_band(image, side, thickness, _jitter(rng, SIGN_COLORS[int(rng.integers(len(SIGN_COLORS)))], 20))
    elif kind < 0.75:
        offset = int(rng.integers(0, room - 1))
        thickness = max(1, min(room - offset - 1, round(style.size * 0.04)))
        _paint_band(image, side, thickness, style.outline_color, offset)
    elif side in ("left", "right"):
        _glyph_sliver(image, side, room, style, font, text[int(rng.integers(len(text)))])


def _paint_band(image: np.ndarray, side: str, thickness: int, color: Color, offset: int = 0) -> None:
    region = {
        "top": (slice(offset, offset + thickness), slice(None)),
        "bottom": (slice(image.shape[0] - offset - thickness, image.shape[0] - offset), slice(None)),
        "left": (slice(None), slice(offset, offset + thickness)),
        "right": (slice(None), slice(image.shape[1] - offset - thickness, image.shape[1] - offset)),
    }[side]
    image[region] = color


def _glyph_sliver(
    image: np.ndarray, side: str, room: int, style: Style, font: ImageFont.FreeTypeFont, neighbour: str
) -> None:
    """At most a quarter of a neighbouring glyph (one the font draws: taken from the text),
    cut by the crop border, inside the margin."""
    glyph = font.getmask(neighbour)
    if not glyph.size[0] or not glyph.size[1]:
        return
    mask = np.asarray(glyph, dtype=np.float32).reshape(glyph.size[1], glyph.size[0]) / 255
    visible = min(room - 1, max(1, mask.shape[1] // 4))
    sliver = mask[:, -visible:] if side == "left" else mask[:, :visible]
    rows = min(sliver.shape[0], image.shape[0])
    top = (image.shape[0] - rows) // 2
    columns = slice(0, visible) if side == "left" else slice(image.shape[1] - visible, image.shape[1])
    _blend(image[top : top + rows, columns], sliver[:rows], style.fill)


def add_cable(image: np.ndarray, style: Style, rng: Generator) -> None:
    """A thin dark line across the crop (a cable, a branch): too thin to hide a stroke."""
    height, width = image.shape[:2]
    thickness = max(1, round(style.size * rng.uniform(0.02, 0.05)))
    start = (0, int(rng.integers(0, height)))
    end = (width - 1, int(rng.integers(0, height)))
    color = tuple(float(c) for c in np.full(3, rng.uniform(10, 70)))
    cv2.line(image, start, end, color, thickness, lineType=cv2.LINE_AA)


# ---- degradation --------------------------------------------------------------------------------
def degrade(image: np.ndarray, scale: float, rng: Generator, config: RenderConfig) -> np.ndarray:
    """Uneven light, blur, low resolution, noise and JPEG; float32 in, uint8 RGB out.
    ``scale`` sizes the blurs: the font size / 32."""
    height, width = image.shape[:2]
    if rng.random() < config.shading:
        image *= (1 + rng.uniform(0.2, 0.5) * _ramp(height, width, rng))[..., None]
    if rng.random() < config.blur:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.1) * scale)
    elif rng.random() < config.motion_blur:
        image = _motion_blur(image, max(3, round(rng.uniform(2, 5) * scale)), rng)
    if rng.random() < config.low_res:
        factor = rng.uniform(0.35, 0.7)
        small = cv2.resize(
            image, (max(1, round(width * factor)), max(1, round(height * factor))), interpolation=cv2.INTER_AREA
        )
        image = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    if rng.random() < config.noise:
        sigma = np.float32(rng.uniform(2, 10))
        image += rng.standard_normal(image.shape, dtype=np.float32) * sigma
    out = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < config.jpeg:
        quality = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)  # channel order is kept either way
    return out


def _motion_blur(image: np.ndarray, length: int, rng: Generator) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1 / length
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(-30, 30), 1.0)
    turned = cv2.warpAffine(kernel, rotation, (length, length))
    return cv2.filter2D(image, -1, turned / max(turned.sum(), 1e-6))


# ---- preview sheets -----------------------------------------------------------------------------------------
def preview_sheet(
    look: str | None,
    samples: list[tuple[str, FontFace]],
    seed: int = 0,
    cell: tuple[int, int] = (360, 56),
    columns: int = 3,
) -> np.ndarray:
    """RGB uint8 contact sheet of ``samples`` ((text, FontFace) pairs) rendered with only
    ``look`` on (:meth:`RenderConfig.only_look`; None: no look), sample ``i`` with
    ``default_rng([seed, i])``: each crop scaled to fit a ``cell`` (width, height)."""
    config = RenderConfig().only_look(look)
    cell_w, cell_h = cell
    rows = math.ceil(len(samples) / columns)
    sheet = np.full((rows * (cell_h + 6) + 6, columns * (cell_w + 6) + 6, 3), 255, np.uint8)
    for i, (text, face) in enumerate(samples):
        crop = render(text, face, np.random.default_rng([seed, i]), config).image
        height, width = crop.shape[:2]
        scale = min(cell_h / height, cell_w / width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        row, column = divmod(i, columns)
        y = 6 + row * (cell_h + 6) + (cell_h - size[1]) // 2
        x = 6 + column * (cell_w + 6)
        sheet[y : y + size[1], x : x + size[0]] = crop
    return sheet
