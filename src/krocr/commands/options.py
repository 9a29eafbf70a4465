"""Options shared by the commands that read crops (read, eval, and the benchmarks), and by
the commands that read whole photos (read, eval --photos)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from krocr.detection.config import DEFAULT_MAX_SIDE, STRIDE
from krocr.detection.registry import DEFAULT_DETECTOR
from krocr.errors import ConfigError
from krocr.inference.photo import DEFAULT_LINE_READING, LINE_READINGS
from krocr.inference.recognizer import AUTO_LANGUAGE_MODEL, Decoder, Recognizer, default_language_model
from krocr.model.language_model import DEFAULT_LM_BONUS, DEFAULT_LM_SCOPE, DEFAULT_LM_WEIGHT, LM_SCOPES
from krocr.model.registry import DEFAULT_MODEL, SHIPPED, SHIPPED_LANGUAGE_MODELS

NO_LANGUAGE_MODEL = "none"  # --lm none: greedy decoding

if TYPE_CHECKING:
    from krocr.detection.detector import Detector
    from krocr.inference.photo import PhotoReader


def add_recognizer_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every command that reads crops shares (read, eval, benchmarks)."""
    group = parser.add_argument_group("model")
    group.add_argument(
        "--weights",
        default=DEFAULT_MODEL,
        help=f"a shipped model ({', '.join(SHIPPED)}), a .safetensors weights file written by "
        f"`krocr train`, or an .onnx file written by `krocr export` (default: {DEFAULT_MODEL})",
    )
    group.add_argument(
        "--engine",
        choices=("auto", "torch", "onnx"),
        default="auto",
        help="onnx: onnxruntime on the CPU (an .onnx file or a shipped model's ONNX export); "
        "torch: a .safetensors file, any device and precision; auto: onnx for .onnx files "
        "and shipped models read on the CPU in fp32, else torch (default: auto)",
    )
    group.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu; the onnx engine is CPU only)")
    group.add_argument("--batch-size", type=int, default=64, help="crops per forward pass (default: 64)")
    group.add_argument(
        "--width-mode",
        choices=("natural", "fixed"),
        default="natural",
        help="natural: keep each crop's aspect ratio (long lines stay legible); "
        "fixed: squeeze to the training width (default: natural)",
    )
    group.add_argument(
        "--precision", choices=("fp32", "bf16"), default="fp32", help="torch engine only (default: fp32)"
    )
    group.add_argument(
        "--beam",
        action="store_true",
        help="CTC prefix beam search (the shipped Korean model already searches beams with its language "
        "model; plain beam search: --beam --lm none)",
    )
    group.add_argument(
        "--beam-width", type=int, default=10, help="beams kept by beam search, with or without --lm (default: 10)"
    )
    group.add_argument(
        "--lm",
        metavar="NAME_OR_FILE",
        default=AUTO_LANGUAGE_MODEL,
        help=f"beam search weighed by a language model: a shipped one ({', '.join(SHIPPED_LANGUAGE_MODELS)}), "
        "a file written by `krocr lm`, or none (greedy decoding, the fastest); auto: the shipped model's "
        "own (ko for the Korean model, by name), none for weights given as a file, the shipped ones "
        "included (default: auto)",
    )
    group.add_argument(
        "--lm-weight",
        type=float,
        help=f"weight of the language model's log-probability (default: {DEFAULT_LM_WEIGHT})",
    )
    group.add_argument(
        "--lm-bonus", type=float, help=f"log-score added per token by the language model (default: {DEFAULT_LM_BONUS})"
    )
    group.add_argument(
        "--lm-scope",
        choices=LM_SCOPES,
        help="tokens the language model weighs: all, or hangul (spaces, punctuation, digits and "
        f"Latin then follow the recognizer alone) (default: {DEFAULT_LM_SCOPE})",
    )
    group.add_argument(
        "--min-confidence",
        type=float,
        default=0.0,
        help="readings below this confidence come back with empty text (photo regions: not listed) (default: 0)",
    )
    group.add_argument(
        "--no-stretch",
        dest="stretch_condensed",
        action="store_false",
        help="read each crop only as it is, not also stretched to twice its width for condensed "
        "lettering: one forward pass per crop instead of two",
    )


def recognizer_from_args(args: argparse.Namespace) -> Recognizer:
    language_model = None if args.lm == NO_LANGUAGE_MODEL else args.lm
    decoder: Decoder | None = "beam" if args.beam else None
    _refuse_lm_settings_without_one(args, language_model, decoder)  # before loading the weights
    return Recognizer(
        args.weights,
        device=args.device,
        batch_size=args.batch_size,
        width_mode=args.width_mode,
        decoder=decoder,
        precision=args.precision,
        min_confidence=args.min_confidence,
        beam_width=args.beam_width,
        engine=args.engine,
        language_model=language_model,
        lm_weight=DEFAULT_LM_WEIGHT if args.lm_weight is None else args.lm_weight,
        lm_bonus=DEFAULT_LM_BONUS if args.lm_bonus is None else args.lm_bonus,
        lm_scope=DEFAULT_LM_SCOPE if args.lm_scope is None else args.lm_scope,
        stretch_condensed=args.stretch_condensed,
    )


def _refuse_lm_settings_without_one(
    args: argparse.Namespace, language_model: str | None, decoder: Decoder | None
) -> None:
    """--lm-weight, --lm-bonus or --lm-scope where the reading will have no language model."""
    if language_model == AUTO_LANGUAGE_MODEL:
        language_model = default_language_model(args.weights, decoder)
    if language_model is None and any(v is not None for v in (args.lm_weight, args.lm_bonus, args.lm_scope)):
        chosen = "--lm none" if args.lm == NO_LANGUAGE_MODEL else f"--lm auto uses none for --weights {args.weights}"
        raise ConfigError(
            f"--lm-weight, --lm-bonus and --lm-scope weigh a language model, and this reading has none ({chosen}; "
            "only the shipped model read by name has one): give one with --lm (e.g. --lm ko)"
        )


def add_detector_arguments(parser: argparse.ArgumentParser, help_suffix: str = "") -> None:
    """The options of the commands that detect text in whole photos (read, eval --photos).

    Args:
        parser: the command's parser.
        help_suffix: said after "detector weights" in the help (" for --photos").
    """
    group = parser.add_argument_group("detector")
    group.add_argument(
        "--detector", default=None, help=f"detector weights{help_suffix} (default: the shipped detector)"
    )
    group.add_argument(
        "--max-side",
        type=_detection_side,
        default=None,  # None: not given (read refuses it beside --boxes); the Detector's default applies
        metavar="PX",
        help="photos are shrunk for detection until their longer side is at most this; raise it "
        f"for small text on big photos, at a time that grows with the pixels (default: {DEFAULT_MAX_SIDE})",
    )
    group.add_argument(
        "--line-reading",
        choices=LINE_READINGS,
        default=None,  # None: not given (read refuses it beside --boxes); the PhotoReader's default applies
        help="how a text line of several regions gets its text: their texts joined, the line cut out and read "
        f"as one crop, or the crop's reading where it is at least as confident (default: {DEFAULT_LINE_READING})",
    )


def _detection_side(value: str) -> int:
    side = int(value)
    if side < STRIDE:
        raise argparse.ArgumentTypeError(f"must be at least {STRIDE} px, got {side}")
    return side


def detector_from_args(args: argparse.Namespace) -> Detector:
    """The detector of ``--detector`` at the detection size of ``--max-side``."""
    from krocr.detection.detector import Detector

    max_side = DEFAULT_MAX_SIDE if args.max_side is None else args.max_side
    return Detector(args.detector or DEFAULT_DETECTOR, max_side=max_side)


def photo_reader_from_args(
    args: argparse.Namespace,
    recognizer: Recognizer,
    lines: bool = True,
    upside_down: bool = True,
    detector: Detector | None = None,
) -> PhotoReader:
    """The detector of ``--detector`` / ``--max-side`` before ``recognizer``, as one photo
    reader whose lines are read as ``--line-reading`` says; with ``lines`` False (nothing
    uses them) their texts are only joined, which costs no recognition. ``upside_down``: the
    way-up check (:class:`krocr.inference.photo.PhotoReader`); ``detector``: one already
    made by :func:`detector_from_args`, shared by several readers."""
    from krocr.inference.photo import PhotoReader

    line_reading = args.line_reading or (DEFAULT_LINE_READING if lines else "joined")
    detector = detector or detector_from_args(args)
    return PhotoReader(detector, recognizer, upside_down=upside_down, line_reading=line_reading)
