"""Reading word crops with a trained recognizer: the library entry point for inference.

    from krocr import Recognizer
    reader = Recognizer("ko")                  # the shipped Korean model
    reader.read("crop.png")                    # Reading(text='카페', confidence=0.97, raw='--카-페--')
    reader.read([path, pil_image, array])      # a list of Readings, in input order

Inputs are file paths, PIL images or uint8 numpy arrays (gray, RGB or RGBA, in RGB order
like :func:`krocr.data.images.read_image` returns). Crops go through
:func:`krocr.model.preprocess.preprocess` with the weights file's own preprocessing, except for
the width mode, which defaults to ``natural`` so long lines are read at their aspect ratio
instead of being squeezed into 256 px. Batches are formed by width (sorted, batched, then
put back in input order) so padding stays small.

Two engines run the forward pass; preprocessing, batching and decoding are the same code:
``onnx`` (onnxruntime on the CPU, an ``.onnx`` file written by ``krocr export``; no torch
is imported, so a one-crop read starts quickly) and ``torch`` (a ``.safetensors`` weights
file, any device, bf16 autocast). ``engine="auto"`` picks onnx for ``.onnx`` files and for
a shipped model with an ONNX export, torch otherwise.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

import numpy as np
from PIL import Image

from krocr.data.columns import unstack_column
from krocr.data.crops import CropConfig
from krocr.data.images import ImageInput, pil_to_rgb, read_image
from krocr.errors import CheckpointError, DataError, KrocrError
from krocr.inference.condensed import CONDENSED_MARGIN, condensed_min_ems, stretched, text_ems
from krocr.inference.onnx_engine import (
    Logits,
    open_session,
    session_logits,
    session_metadata,
)
from krocr.model.calibration import ConfidenceCalibration
from krocr.model.decoding import Decoded, LanguageFusion, aligned_confidence, beam_decode, greedy_decode, raw_frames
from krocr.model.language_model import (
    DEFAULT_LM_BONUS,
    DEFAULT_LM_SCOPE,
    DEFAULT_LM_WEIGHT,
    LmScope,
    NgramLanguageModel,
)
from krocr.model.metadata import parse_metadata
from krocr.model.preprocess import PreprocessConfig, WidthMode, collate_widths, preprocess, target_width, to_gray
from krocr.model.registry import (
    DEFAULT_MODEL,
    ShippedModel,
    resolve_language_model,
    resolve_weights,
    shipped_model,
)

if TYPE_CHECKING:
    import torch

    from krocr.charset import Charset

# A language model must know this share of the recognizer's tokens (v10 lacks only the "|" of today's charset)
MIN_LM_COVERAGE = 0.9
# language_model="auto": the shipped model's own (docs/experiments/2026-12-06-lm-default.md)
AUTO_LANGUAGE_MODEL = "auto"
# Crops are padded to a multiple of this many pixels (8 CRNN frames) and batched only with
# crops of the same padded width, so a crop's reading does not depend on its companions.
WIDTH_BUCKET = 32
# A crop needs a few pixel rows to hold a glyph; the crop stage drops thinner boxes too.
MIN_INPUT_HEIGHT = int(CropConfig().min_height)
# a crop this many times taller than wide is a vertical column, read top to bottom (one
# stacked syllable is about 1.1× taller than wide, two about 2×): it is read twice, its
# characters unstacked into a row (krocr.data.columns) and turned 90° counter-clockwise as the
# renders draw columns, and the more confident reading is kept
VERTICAL_RATIO = 1.5

# How a layout showed its input to the model, as a reading and an evaluation's predictions.csv
# record it: a crop as it is or stretched ×2 wide, a column unstacked into a row or turned 90°
LayoutName = Literal["as is", "stretched", "unstacked", "turned"]
Decoder = Literal["greedy", "beam"]
Precision = Literal["fp32", "bf16"]
Engine = Literal["auto", "torch", "onnx"]


@dataclass(frozen=True)
class Layout:
    """One way of showing an input to the model: the float32 (1, height, width) array it sees,
    the fewest ems (:func:`krocr.inference.condensed.text_ems`) its reading must hold to count
    (0: any reading counts; a stretched layout of a condensed crop asks for more), and the
    handicap taken from its reading's confidence when layouts are compared; its name says which
    way of showing it is (:data:`LayoutName`)."""

    pixels: np.ndarray
    min_ems: float = 0.0
    handicap: float = 0.0
    name: LayoutName = "as is"

    def admits(self, text: str) -> bool:
        """Whether a reading of this layout with ``text`` may be chosen."""
        return self.min_ems <= 0 or text_ems(text) > self.min_ems


@dataclass(frozen=True)
class Reading:
    """What the model read in one crop. ``raw`` is the per-frame argmax (blank shown as
    ``-``) before CTC collapsing: it shows where the model saw each character. ``layout``
    says how the input was shown to the model for the reading that was kept
    (:data:`LayoutName`), as :meth:`Recognizer.read` and :meth:`Recognizer.recognize_layouts`
    choose it; :meth:`Recognizer.recognize` and :meth:`Recognizer.decode` read the arrays
    they are given and call them ``as is``."""

    text: str
    confidence: float
    raw: str = ""
    layout: LayoutName = "as is"


class Recognizer:
    """A model made ready to read crops.

    Args:
        weights: a shipped model's name (``"ko"``, the default, or ``"ko-crnn"``), a
            ``.safetensors`` weights file written by ``krocr train``, or an ``.onnx`` file
            written by ``krocr export``.
        device: ``cpu`` or ``cuda`` (torch engine only).
        batch_size: crops per forward pass.
        width_mode: ``natural`` keeps each crop's aspect ratio; ``fixed`` squeezes it to the
            training width.
        decoder: ``greedy`` (best path) or ``beam`` (CTC prefix beam search, ``beam_width``
            beams). Default: beam when a language model weighs the beams, else greedy.
        precision: ``fp32``, or ``bf16`` autocast (torch engine; fast on CPUs with AVX-512 BF16 / AMX).
        beam_width: beams kept by the beam decoder.
        engine: ``auto``, ``onnx`` or ``torch`` (see the module docstring).
        min_confidence: a reading whose confidence is below it comes back with empty text
            (its confidence and raw frames kept): "not read" instead of a likely wrong text.
        language_model: a language model that weighs the beams (shallow fusion): a shipped
            one's name (``"ko"``), a file written by ``krocr lm``, or a loaded
            :class:`~krocr.model.language_model.NgramLanguageModel`. None: no language model.
            ``"auto"`` (the default): the one the shipped model reads with (``"ko"`` for the
            Korean model), none for other weights or with ``decoder="greedy"``.
        lm_weight: the weight of its log-probability against the recognizer's.
        lm_bonus: log-score added per token (offsets the model's taste for short texts).
        lm_scope: the tokens it weighs: ``all``, or ``hangul`` (spaces, punctuation, digits
            and Latin letters then follow the recognizer alone).
        stretch_condensed: also read each crop (not a column) stretched to twice its width,
            for condensed lettering (:mod:`krocr.inference.condensed`); it costs a second,
            twice as wide forward pass for crops whose own reading is below 0.9. Natural
            width mode only (a fixed width would squeeze the stretch back).

    Greedy confidences use the calibration the weights file carries (``krocr calibrate``:
    a temperature, or a Platt map of the mean frame; :mod:`krocr.model.calibration`), kept
    as ``calibration``; without one, the weakest frame at temperature 1. The beam decoder
    scores its text's best alignment with the same calibration, so both decoders' confidences
    mean the same.

    Example:
        >>> reader = Recognizer("ko")  # doctest: +SKIP
        >>> reader.read("crop.png").text  # doctest: +SKIP
        '우리치킨'

    ``model`` is the torch module with the torch engine and None with onnx.
    """

    # Set by _open_onnx or _open_torch from the weights file.
    charset: Charset
    info: dict
    preprocess: PreprocessConfig

    def __init__(
        self,
        weights: str | Path | None = None,
        device: str = "cpu",
        batch_size: int = 64,
        width_mode: WidthMode = "natural",
        decoder: Decoder | None = None,
        precision: Precision = "fp32",
        beam_width: int = 10,
        engine: Engine = "auto",
        min_confidence: float = 0.0,
        language_model: str | Path | NgramLanguageModel | None = AUTO_LANGUAGE_MODEL,
        lm_weight: float = DEFAULT_LM_WEIGHT,
        lm_bonus: float = DEFAULT_LM_BONUS,
        lm_scope: LmScope = DEFAULT_LM_SCOPE,
        stretch_condensed: bool = True,
    ):
        if batch_size < 1:
            raise KrocrError(f"batch size must be at least 1, got {batch_size}")
        if beam_width < 1:
            raise KrocrError(f"beam width must be at least 1, got {beam_width}")
        if decoder not in (None, "greedy", "beam"):
            raise KrocrError(f"unknown decoder {decoder!r}; use 'greedy' or 'beam'")
        if language_model == AUTO_LANGUAGE_MODEL:
            language_model = default_language_model(DEFAULT_MODEL if weights is None else weights, decoder)
        if decoder is None:
            decoder = "greedy" if language_model is None else "beam"
        if language_model is not None and decoder != "beam":
            raise KrocrError(f"a language model weighs beams: it needs decoder='beam', not {decoder!r}")
        if precision not in ("fp32", "bf16"):
            raise KrocrError(f"unknown precision {precision!r}; use 'fp32' or 'bf16'")
        if engine not in ("auto", "torch", "onnx"):
            raise KrocrError(f"unknown engine {engine!r}; use 'auto', 'torch' or 'onnx'")
        if not 0.0 <= min_confidence <= 1.0:
            raise KrocrError(f"min_confidence must lie in [0, 1], got {min_confidence}")
        self.shipped: ShippedModel | None = shipped_model(DEFAULT_MODEL if weights is None else weights)
        self.engine = _choose_engine(engine, self.shipped, weights, device, precision)
        if self.engine == "onnx" and precision != "fp32":
            raise KrocrError(
                f"precision {precision!r} is for the torch engine; the onnx engine runs the exported "
                "model as it was exported (fp32, or int8 with `krocr export --int8`)"
            )
        if self.engine == "onnx" and device != "cpu":
            raise KrocrError(
                f"device {device!r} with the onnx engine: it runs on the CPU only (onnxruntime's "
                "CPUExecutionProvider); use --device cpu, or --engine torch for a GPU"
            )
        self.weights = _weights_file(self.shipped, weights, self.engine)
        self.model: torch.nn.Module | None = None
        self.device: str | torch.device = device  # parsed to a torch.device by the torch engine
        self._onnx_logits: Logits | None = None
        if self.engine == "onnx":
            self._open_onnx()
        else:
            self._open_torch(device)
        self.preprocess = replace(self.preprocess, width_mode=width_mode)
        self.batch_size = batch_size
        self.decoder = decoder
        self.precision = precision
        if precision == "bf16":  # once the weights are known to load
            from krocr.hardware import warn_if_bf16_is_emulated

            warn_if_bf16_is_emulated(self.device, f"reading with {self.weights.name}")
        self.beam_width = beam_width
        self.stretch_condensed = stretch_condensed
        self.min_confidence = min_confidence
        self.calibration = ConfidenceCalibration.from_info(self.info, self.weights)
        # where the language model came from, for metrics files; None: none, or one built in memory
        self.language_model_file = (
            None
            if language_model is None or isinstance(language_model, NgramLanguageModel)
            else resolve_language_model(language_model)
        )
        self.fusion = (
            None
            if language_model is None
            else _fusion(
                _language_model(language_model), self.language_model_file, self.charset, lm_weight, lm_bonus, lm_scope
            )
        )

    def _open_onnx(self) -> None:
        if self.weights.suffix.lower() == ".safetensors":
            raise CheckpointError(
                f"{self.weights}: a .safetensors weights file; the onnx engine reads an ONNX "
                f"export of it. Export it first: `krocr export {self.weights} --out "
                f"{self.weights.with_suffix('.onnx')}`, then pass the .onnx file "
                "(or use --engine torch)"
            )
        session = open_session(self.weights)
        meta = parse_metadata(session_metadata(session, self.weights), self.weights)
        self._onnx_logits = session_logits(session, self.weights, meta.charset.num_classes)
        self.charset, self.info, self.preprocess = meta.charset, meta.info, meta.preprocess

    def _open_torch(self, device: str) -> None:
        if self.weights.suffix.lower() == ".onnx":
            raise CheckpointError(
                f"{self.weights}: an ONNX model; read it with --engine onnx (Recognizer(..., engine='onnx'))"
            )
        from krocr.model.weights import load_weights  # torch: only for this engine

        parsed = _checked_device(device)
        bundle = load_weights(self.weights, parsed)
        self.device, self.model = parsed, bundle.model
        self.charset, self.info, self.preprocess = bundle.charset, bundle.info, bundle.preprocess

    # ---- single steps ---------------------------------------------------------------------
    def prepare(self, image: ImageInput) -> np.ndarray:
        """One input → the float32 (1, height, width) array the model sees: the first of
        :meth:`prepare_layouts` (the crop as it is; for a vertical column, its characters
        unstacked into a row)."""
        return self.prepare_layouts(image)[0].pixels

    def prepare_layouts(
        self, image: ImageInput, column: bool | None = None, stretch: bool | None = None
    ) -> list[Layout]:
        """Every layout of one input worth reading: the crop as it is, and with
        :attr:`stretch_condensed` the crop stretched to twice its width (its reading trusted
        only when long for the crop); or for a vertical column its characters unstacked
        into a row of upright cells and the column turned 90° counter-clockwise.
        :meth:`recognize_layouts` keeps the most confident reading a layout admits.

        Args:
            image: a path, PIL image or uint8 array.
            column: whether the input is a standing column (a box or photo region known to
                be one, :func:`krocr.data.crops.warp_standing`); None decides by its shape
                (:data:`VERTICAL_RATIO`).
            stretch: whether a crop is also read stretched; None: :attr:`stretch_condensed`.

        Raises:
            DataError: naming the input, when it cannot be read, or no layout of it can
                (too small to hold text, or too long for the model).
        """
        pixels = load_input(image)
        if column is None:
            column = pixels.shape[0] >= VERTICAL_RATIO * pixels.shape[1]
        if not column:
            layouts = [Layout(self._model_input(pixels, image))]
            # too long for the model stretched (DataError): the crop as it is reads alone. In
            # fixed width mode a stretched crop would be squeezed back: no second layout.
            natural = self.preprocess.width_mode == "natural"
            with suppress(DataError):
                if natural and (self.stretch_condensed if stretch is None else stretch):
                    wide = self._model_input(stretched(pixels), image)
                    layouts.append(Layout(wide, condensed_min_ems(pixels), CONDENSED_MARGIN, "stretched"))
            return layouts
        layouts, errors = [], []
        column_layouts: tuple[tuple[Callable[[np.ndarray], np.ndarray], LayoutName], ...] = (
            (unstack_column, "unstacked"),
            (np.rot90, "turned"),
        )
        for layout, name in column_layouts:
            try:
                layouts.append(Layout(self._model_input(layout(pixels), image), name=name))
            except DataError as exc:  # the other layout may still read
                errors.append(exc)
        if not layouts:
            raise errors[-1]  # the turned column's: the layout every column has
        return layouts

    def _model_input(self, pixels: np.ndarray, image: ImageInput) -> np.ndarray:
        height, width = pixels.shape
        if height < MIN_INPUT_HEIGHT:
            raise DataError(
                f"{_describe(image)}: image is {height} px high; a crop needs at least {MIN_INPUT_HEIGHT} px"
            )
        config = self.preprocess
        natural = target_width(height, width, replace(config, max_width=sys.maxsize))
        if config.width_mode == "natural" and natural > config.max_width:
            # squeezing it to max_width would crush its glyphs: refuse rather than read nonsense
            raise DataError(
                f"{_describe(image)}: a {width}×{height} crop is {natural} px wide at the model's "
                f"{config.height}-px height, and the model reads at most {config.max_width} px "
                f"(about {config.max_width / config.height:.0f}:1); cut the line into shorter crops"
            )
        return preprocess(np.ascontiguousarray(pixels), config)

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """(N, 1, H, W) preprocessed crops → float32 logits (N, frames, classes), from the
        engine chosen at construction."""
        if self._onnx_logits is not None:
            return self._onnx_logits(batch)
        import torch

        assert self.model is not None
        images = torch.as_tensor(batch, dtype=torch.float32).to(self.device)
        with (
            torch.inference_mode(),
            torch.autocast(torch.device(self.device).type, torch.bfloat16, enabled=self.precision == "bf16"),
        ):
            return self.model(images).float().cpu().numpy()

    def decode(self, logits: np.ndarray) -> list[Reading]:
        """Logits → one Reading per crop, with the decoder chosen at construction, the
        weights' calibration, and empty text below ``min_confidence``."""
        if self.decoder == "beam":
            decoded = beam_decode(
                logits, self.charset, self.beam_width, fusion=self.fusion, calibration=self.calibration
            )
            return self._readings(decoded, logits)
        return self.decode_greedy(logits)

    def decode_greedy(self, logits: np.ndarray, thresholded: bool = True) -> list[Reading]:
        """Logits → one Reading per crop by best path, whatever the decoder (layouts and ways
        up are chosen by these), calibrated; with ``thresholded``, empty text below
        ``min_confidence``."""
        decoded = greedy_decode(logits, self.charset, self.calibration)
        return self._readings(decoded, logits, thresholded)

    def _readings(self, decoded: list[Decoded], logits: np.ndarray, thresholded: bool = True) -> list[Reading]:
        raws = raw_frames(logits, self.charset)
        readings = [Reading(d.text, d.confidence, raw) for d, raw in zip(decoded, raws)]
        return [self._thresholded(r) for r in readings] if thresholded else readings

    # ---- batches ----------------------------------------------------------------------------
    def recognize(self, prepared: Sequence[np.ndarray]) -> list[Reading]:
        """Read arrays from :meth:`prepare`, returned in input order (see :meth:`crop_logits`)."""
        return [self.decode(row[None])[0] for row in self.crop_logits(prepared)]

    def recognize_layouts(self, layouts: Sequence[Sequence[Layout]]) -> list[Reading]:
        """Read each input's layouts from :meth:`prepare_layouts` (at least one each): per
        input, the layout :meth:`choose_layouts` picks, read by :meth:`finish`; input order."""
        return self.finish(*self.choose_layouts(layouts))

    def choose_layouts(self, layouts: Sequence[Sequence[Layout]]) -> tuple[list[np.ndarray], list[Reading]]:
        """Per input, among the layouts that admit their greedy reading (the first always
        does), the one whose reading says something and is the most confident less the
        layout's handicap (the first on a tie): that layout's logits and greedy reading, in
        input order. The first layouts are read first; a later one only where it could win
        (a stretched crop is not read again when its own reading is surer than 0.9).

        Layouts (and the photo reader's ways up) are chosen by greedy readings whatever the
        decoder: they say what the frames show, while a beam's confidence drops where a
        language model overrode the frames, so a rare word could lose to its upside-down reading.
        """
        # chosen on what the frames show (min_confidence then applies to the chosen reading):
        # emptied below it, a reading would lose "says something" and with it the margin
        first_rows = self.crop_logits([group[0].pixels for group in layouts])
        first_readings = [self.decode_greedy(row[None], thresholded=False)[0] for row in first_rows]
        # a later layout is read only where it could win: one handicapped by h cannot beat a
        # first reading that says something at confidence 1 - h or more
        contenders = [
            [layout for layout in group[1:] if not first.text or first.confidence < 1 - layout.handicap]
            for group, first in zip(layouts, first_readings)
        ]
        later_rows = iter(self.crop_logits([layout.pixels for group in contenders for layout in group]))
        chosen_rows, chosen = [], []
        for group, first_row, first, later in zip(layouts, first_rows, first_readings, contenders):
            group_rows = [first_row, *(next(later_rows) for _ in later)]
            readings = [first, *(self.decode_greedy(row[None], thresholded=False)[0] for row in group_rows[1:])]
            candidates = [group[0], *later]
            best = chosen_layout(candidates, readings)
            chosen_rows.append(group_rows[best])
            chosen.append(replace(self._thresholded(readings[best]), layout=candidates[best].name))
        return chosen_rows, chosen

    def _thresholded(self, reading: Reading) -> Reading:
        """``reading`` with empty text when its confidence is below ``min_confidence``."""
        return reading if reading.confidence >= self.min_confidence else replace(reading, text="")

    def finish(self, rows: Sequence[np.ndarray], greedy: Sequence[Reading]) -> list[Reading]:
        """The readings of chosen layouts (from :meth:`choose_layouts`): their greedy readings,
        or with the beam decoder their logits decoded again."""
        if self.decoder == "greedy":
            return list(greedy)
        return [replace(self.decode(row[None])[0], layout=g.layout) for row, g in zip(rows, greedy)]

    def text_confidence(self, row: np.ndarray, text: str) -> float:
        """How sure this model is of any ``text`` on one crop: the calibrated confidence of the
        text's best CTC alignment, as its decoders score their own readings (so for the text it
        read, its reading's confidence). Lets two models each weigh the other's reading.

        Args:
            row: (frames, classes) logits of one crop, e.g. a row from :meth:`choose_layouts`.
            text: the text to score.

        Returns:
            The confidence in [0, 1]; 0 for a text the charset cannot encode or too long for
            the frames.
        """
        if self.charset.missing(text):
            return 0.0
        return aligned_confidence(row, self.charset.encode(text), self.calibration)

    def crop_logits(self, prepared: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Each crop's (frames, classes) logits, in input order.

        Crops are batched with others of the same width bucket (:data:`WIDTH_BUCKET`) and
        padded to that bucket, never to a wider companion: the bidirectional LSTM reads
        padding too, so a crop's text and confidence would otherwise depend on the other
        crops of the call.
        """
        buckets: dict[int, list[int]] = defaultdict(list)
        for i, crop in enumerate(prepared):
            buckets[-(-crop.shape[-1] // WIDTH_BUCKET)].append(i)
        rows: list[np.ndarray | None] = [None] * len(prepared)
        for bucket in sorted(buckets):
            members = buckets[bucket]
            for start in range(0, len(members), self.batch_size):
                chunk = members[start : start + self.batch_size]
                batch = collate_widths([prepared[i] for i in chunk], multiple=WIDTH_BUCKET)
                for i, row in zip(chunk, self.logits(batch)):
                    rows[i] = row
        return rows  # type: ignore[return-value]  # every slot is filled above

    @overload
    def read(self, inputs: ImageInput) -> Reading: ...

    @overload
    def read(self, inputs: list[ImageInput] | tuple[ImageInput, ...]) -> list[Reading]: ...

    def read(self, inputs: ImageInput | list[ImageInput] | tuple[ImageInput, ...]) -> Reading | list[Reading]:
        """Read one input (→ Reading) or a list or tuple of them (→ list, in input order)."""
        if isinstance(inputs, (list, tuple)):
            return self.recognize_layouts([self.prepare_layouts(item) for item in inputs])
        return self.recognize_layouts([self.prepare_layouts(inputs)])[0]


def chosen_layout(layouts: Sequence[Layout], readings: Sequence[Reading]) -> int:
    """Which of one input's layouts :meth:`Recognizer.choose_layouts` keeps, given each one's
    greedy reading: among those that admit their reading (the first always does), the one
    whose reading says something and is the most confident less its handicap; the first on a tie.
    """
    admitted = [0] + [i for i in range(1, len(layouts)) if layouts[i].admits(readings[i].text)]
    return max(admitted, key=lambda i: (bool(readings[i].text), readings[i].confidence - layouts[i].handicap))


def load_input(image: ImageInput) -> np.ndarray:
    """A path, PIL image or uint8 array as a uint8 gray (H, W) array."""
    if isinstance(image, (str, Path)):
        return to_gray(read_image(image))
    if isinstance(image, Image.Image):
        return to_gray(pil_to_rgb(image, _describe(image)))
    if isinstance(image, np.ndarray):
        if image.size == 0:
            raise DataError(f"{_describe(image)}: empty image")
        return to_gray(image)
    raise DataError(f"cannot read a {type(image).__name__}; pass a path, a PIL image or a numpy array")


def _describe(image: object) -> str:
    if isinstance(image, (str, Path)):
        return str(image)
    if isinstance(image, np.ndarray):
        return f"array of shape {image.shape}"
    if isinstance(image, Image.Image):
        return f"PIL image {image.mode} {image.width}×{image.height}"
    return type(image).__name__


def _choose_engine(
    engine: Engine, shipped: ShippedModel | None, weights: str | Path | None, device: str, precision: Precision
) -> Literal["torch", "onnx"]:
    """``auto``: onnx for an .onnx file, or a shipped model with an ONNX export read on the CPU
    in fp32; torch otherwise."""
    if engine != "auto":
        return engine
    if shipped is not None:
        return "onnx" if shipped.onnx_path is not None and device == "cpu" and precision == "fp32" else "torch"
    return "onnx" if Path(str(weights)).suffix.lower() == ".onnx" else "torch"


def _weights_file(shipped: ShippedModel | None, weights: str | Path | None, engine: str) -> Path:
    """The file the engine opens: a shipped model's ONNX or safetensors file, or the path given."""
    if shipped is None:
        return Path(str(weights))
    if engine == "onnx" and shipped.onnx_path is not None:
        if not shipped.onnx_path.is_file():
            raise CheckpointError(
                f"shipped model {shipped.name!r}: {shipped.onnx_path} is missing from this "
                "installation of krocr; reinstall it, or read with --engine torch"
            )
        return shipped.onnx_path
    return resolve_weights(shipped.name)


def default_language_model(weights: str | Path, decoder: Decoder | None) -> str | None:
    """What ``language_model="auto"`` means: the shipped model's own language model, unless
    greedy decoding was asked for; none for weights of one's own (their tokens may differ)."""
    shipped = shipped_model(weights)
    return None if shipped is None or decoder == "greedy" else shipped.language_model


def _language_model(spec: str | Path | NgramLanguageModel) -> NgramLanguageModel:
    return spec if isinstance(spec, NgramLanguageModel) else NgramLanguageModel.load(resolve_language_model(spec))


def _fusion(
    model: NgramLanguageModel, file: Path | None, charset: Charset, weight: float, bonus: float, scope: LmScope
) -> LanguageFusion:
    """The fusion of ``model`` into beam search (which checks the weight, bonus and scope),
    refused when it cannot serve this charset."""
    fusion = LanguageFusion(model, weight, bonus, scope)
    known = float(np.mean(model.token_map(charset)[1:] >= 0))
    if known < MIN_LM_COVERAGE:
        raise KrocrError(
            f"{file or 'the language model'}: knows {known:.0%} of the recognizer's {charset.tokenizer} tokens; "
            f"it was counted for other tokens (its tokenizer: {model.provenance.get('tokenizer', 'not recorded')})"
        )
    return fusion


def _checked_device(device: str) -> torch.device:
    import torch

    try:
        parsed = torch.device(device)
    except RuntimeError as exc:
        raise KrocrError(f"unknown device {device!r} ({exc}); use 'cpu' or 'cuda'") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise KrocrError("device 'cuda' requested but no CUDA GPU is available to this torch build; use --device cpu")
    return parsed
