"""``krocr export``: a weights file → ONNX (dynamic batch and width), optionally int8; a run's
``.ckpt`` → weights file; a weights file → fp16 weights file (``--half``). A detector's
weights file (``krocr train-detector``) exports to ONNX too (fp32, dynamic batch, height and
width), which ``Detector`` runs with onnxruntime."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from krocr.errors import CheckpointError, DataError
from krocr.inference.export import (
    CALIBRATION_CROPS,
    calibration_crops,
    convert_weights,
    export_onnx,
)
from krocr.inference.onnx_engine import read_onnx_metadata
from krocr.model.weights import parse_metadata, read_metadata


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="krocr .safetensors weights file, or a run's checkpoints/*.ckpt")
    parser.add_argument(
        "--out",
        required=True,
        help="output: .onnx (from .safetensors), or .safetensors (from a run's .ckpt, "
        "or from .safetensors to store it in fp16 with --half)",
    )
    parser.add_argument(
        "--int8", action="store_true", help="int8 ONNX: faster on the CPU, slightly less accurate; needs --calibration"
    )
    parser.add_argument(
        "--calibration",
        type=Path,
        help="with --int8: crops like those the model will read, whose activations set the "
        "int8 ranges: an LMDB, a label file, or a dataset directory (its calib, val or "
        "train split, never test)",
    )
    parser.add_argument(
        "--calibration-count",
        type=int,
        default=CALIBRATION_CROPS,
        help=f"crops taken evenly from --calibration (default: {CALIBRATION_CROPS})",
    )
    parser.add_argument("--half", action="store_true", help="fp16 tensors in a .safetensors output")


def run(args: argparse.Namespace) -> int:
    if _is_detector(args.weights):
        return _export_detector(args)
    if args.int8 != (args.calibration is not None):
        raise DataError(
            "--int8 and --calibration go together: int8 ranges are measured on crops like those "
            "the model will read, e.g. --calibration data/calib_ko (a `krocr synth` render)"
        )
    if args.int8 and Path(args.out).suffix != ".onnx":
        raise DataError(f"--int8 writes an ONNX model; {args.out} is not an .onnx path")
    if Path(args.weights).suffix == ".safetensors" and Path(args.out).suffix == ".safetensors":
        out = convert_weights(args.weights, args.out, half=args.half)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        return 0
    if Path(args.weights).suffix == ".ckpt":
        if Path(args.out).suffix != ".safetensors":
            raise CheckpointError("a run checkpoint (.ckpt) exports to .safetensors; export that to ONNX next")
        from krocr.training.checkpoints import (
            export_checkpoint,  # Lightning only where it is needed
        )
        from krocr.training.detector_run import export_detector_checkpoint, is_detector_run

        if is_detector_run(Path(args.weights).parent.parent):
            if args.half:
                raise DataError(f"{args.weights} is a detector run's checkpoint: its weights are kept in fp32")
            out = export_detector_checkpoint(args.weights, args.out)
            print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, detector)")
            return 0
        out = export_checkpoint(args.weights, args.out, half=args.half)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        return 0
    crops = None
    if args.int8:
        config = parse_metadata(read_metadata(args.weights), args.weights).preprocess
        crops = calibration_crops(args.calibration, config, args.calibration_count)
    out = export_onnx(args.weights, args.out, int8_calibration=crops)
    meta = read_onnx_metadata(out)
    int8 = f", int8 calibrated on {len(crops)} crops of {args.calibration}" if crops else ""
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, charset of "
        f"{len(json.loads(meta['charset'])['symbols'])} symbols{int8})"
    )
    return 0


def _is_detector(weights: str) -> bool:
    """Whether ``weights`` is a detector's weights file (its metadata says so)."""
    from krocr.detection.metadata import FORMAT as DETECTOR_FORMAT
    from krocr.detection.metadata import read_safetensors_metadata

    if Path(weights).suffix != ".safetensors" or not Path(weights).is_file():
        return False
    try:
        return read_safetensors_metadata(weights).get("format") == DETECTOR_FORMAT
    except CheckpointError:
        return False  # not readable as safetensors: the recognizer path names the problem


def _export_detector(args: argparse.Namespace) -> int:
    from krocr.detection.export import export_detector_onnx

    if Path(args.out).suffix != ".onnx" or args.int8 or args.half:
        raise DataError(
            f"{args.weights} is a detector's weights file: it exports to an fp32 .onnx file only (no --int8, no --half)"
        )
    out = export_detector_onnx(args.weights, args.out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, detector)")
    return 0
