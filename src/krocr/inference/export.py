"""``krocr export``: a weights file → ONNX (dynamic batch and width), optionally int8; a run's
``.ckpt`` → weights file; a weights file → fp16 weights file (``--half``).

The ONNX file carries the same metadata as the weights file (charset, model config,
preprocessing) as ``metadata_props``, so an onnxruntime reader needs nothing else.

int8 (``--int8 --calibration DATA``) quantises the convolutions statically, with activation
ranges measured on crops like those the model will read, and the LSTMs dynamically (their
weights; activations are quantised per step at run time). onnxruntime's all-dynamic
quantisation turns the convolutions into ConvInteger, which it runs 3.5–5× slower than fp32
(docs/benchmarks.md). Weights are quantised to 7 bits (``reduce_range``): CPUs without
AVX-512 VNNI multiply uint8 × int8 pairs into saturating int16 sums, and 8-bit weights cost
7 points of held-out word accuracy there.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import onnx
import torch

from krocr.errors import CheckpointError, DataError
from krocr.model.preprocess import PreprocessConfig, preprocess
from krocr.model.weights import (
    load_weights,
    parse_metadata,
    read_metadata,
    save_weights,
)

OPSET = 17
# Activation ranges settle by a few hundred crops: 256 and 512 read the held-out set alike.
CALIBRATION_CROPS = 256
# A dataset directory calibrates on the first of these splits; never on its test split.
CALIBRATION_SPLITS = ("calib", "val", "train")


def export_onnx(weights: str | Path, out: str | Path, int8_calibration: Sequence[np.ndarray] | None = None) -> Path:
    """Export a krocr weights file to ONNX. With ``int8_calibration`` — prepared crops, each
    (1, 1, height, width) float32 as :func:`calibration_crops` returns — the written model
    is quantised to int8 (convolutions static, LSTMs dynamic)."""
    bundle = load_weights(weights)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = out if int8_calibration is None else Path(tmp) / "fp32.onnx"
        _export_fp32(bundle.model.float().eval(), bundle.preprocess, fp32)
        if int8_calibration is not None:
            quantize_int8(fp32, out, int8_calibration, Path(tmp))
    proto = onnx.load(str(out))
    for key, value in read_metadata(weights).items():
        proto.metadata_props.add(key=key, value=value)
    onnx.save(proto, str(out))
    return out


def _export_fp32(model: torch.nn.Module, config: PreprocessConfig, out: Path) -> None:
    dummy = torch.zeros(1, 1, config.height, config.width)
    # The TorchScript exporter handles LSTMs with dynamic axes without needing onnxscript.
    torch.onnx.export(
        model, (dummy,), str(out), dynamo=False, opset_version=OPSET,
        input_names=["images"], output_names=["logits"],
        dynamic_axes={"images": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "frames"}},
    )


def quantize_int8(fp32: Path, out: Path, crops: Sequence[np.ndarray], workdir: Path) -> None:
    """An fp32 export → int8: convolutions as QDQ with per-channel 7-bit weights and uint8
    activations ranged (min/max) on ``crops``; then the LSTMs' weights, dynamically."""
    from onnxruntime.quantization import (
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not crops:
        raise DataError("int8 calibration needs at least one crop")
    prepared, convs = workdir / "prepared.onnx", workdir / "convs.onnx"
    quant_pre_process(str(fp32), str(prepared))
    quantize_static(str(prepared), str(convs), _CalibrationCrops(crops), quant_format=QuantFormat.QDQ,
                    op_types_to_quantize=["Conv"], per_channel=True, reduce_range=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    with _root_warnings_muted():  # "already quantized?": yes, its convolutions, a step ago
        quantize_dynamic(str(convs), str(out), op_types_to_quantize=["LSTM"], weight_type=QuantType.QInt8)


class _CalibrationCrops:
    """onnxruntime's CalibrationDataReader protocol over prepared crops, one per run (their
    natural widths differ)."""

    def __init__(self, crops: Sequence[np.ndarray]):
        self._crops = iter(crops)

    def get_next(self) -> dict[str, np.ndarray] | None:
        crop = next(self._crops, None)
        return None if crop is None else {"images": crop}


@contextmanager
def _root_warnings_muted() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def calibration_crops(data: str | Path, config: PreprocessConfig, count: int = CALIBRATION_CROPS) -> list[np.ndarray]:
    """``count`` crops spread evenly over an LMDB, a label file or a dataset directory's
    calib, val or train split, prepared as reading prepares them (natural width), each
    (1, 1, height, width)."""
    from krocr.analysis.evaluation import (  # the reading stack only where int8 needs it
        dataset_splits,
        open_eval_set,
    )
    from krocr.inference.recognizer import load_input

    if count < 1:
        raise DataError(f"calibration crop count must be at least 1, got {count}")
    data = Path(data)
    split = None
    present = dataset_splits(data)
    if present is not None:
        split = next((name for name in CALIBRATION_SPLITS if name in present), None)
        if split is None:
            raise DataError(f"{data}: no {'/'.join(CALIBRATION_SPLITS)} split to calibrate on (present: "
                            f"{', '.join(present) or 'none'}); a test set must not set the int8 ranges")
    eval_set = open_eval_set(data, split)
    if eval_set.unreadable:
        first = eval_set.unreadable[0]
        raise DataError(f"{data}: {len(eval_set.unreadable)} calibration crops cannot be read, "
                        f"first {first.item}: {first.error}")
    if not eval_set.samples:
        raise DataError(f"{data}: no crops to calibrate the int8 ranges with")
    natural = replace(config, width_mode="natural")
    picks = np.unique(np.linspace(0, len(eval_set.samples) - 1, min(count, len(eval_set.samples))).round())
    crops = []
    for index in picks.astype(int):
        try:
            crops.append(preprocess(load_input(eval_set.load(index)), natural)[None])
        except DataError as exc:
            raise DataError(f"{data}: calibration crop {eval_set.samples[index].item}: {exc}") from None
    return crops


def read_onnx_metadata(path: str | Path) -> dict[str, str]:
    """The krocr metadata (charset, model config, preprocessing, info) of an exported ONNX file."""
    if not Path(path).is_file():
        raise CheckpointError(f"{path}: ONNX file not found")
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises several unrelated types for bad files
        raise CheckpointError(f"{path}: not an ONNX model ({exc})") from None
    meta = {p.key: p.value for p in proto.metadata_props}
    if "charset" not in meta:
        raise CheckpointError(f"{path}: ONNX file without krocr metadata; export it with `krocr export`")
    return meta


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="krocr .safetensors weights file, or a run's checkpoints/*.ckpt")
    parser.add_argument("--out", required=True,
                        help="output: .onnx (from .safetensors), or .safetensors (from a run's .ckpt, "
                             "or from .safetensors to store it in fp16 with --half)")
    parser.add_argument("--int8", action="store_true",
                        help="int8 ONNX: faster on the CPU, slightly less accurate; needs --calibration")
    parser.add_argument("--calibration", type=Path,
                        help="with --int8: crops like those the model will read, whose activations set the "
                             "int8 ranges: an LMDB, a label file, or a dataset directory (its calib, val or "
                             "train split, never test)")
    parser.add_argument("--calibration-count", type=int, default=CALIBRATION_CROPS,
                        help=f"crops taken evenly from --calibration (default: {CALIBRATION_CROPS})")
    parser.add_argument("--half", action="store_true", help="fp16 tensors in a .safetensors output")


def convert_weights(weights: str | Path, out: str | Path, half: bool) -> Path:
    """Re-save a weights file (fp16 tensors with ``half``), metadata unchanged."""
    bundle = load_weights(weights)
    save_weights(out, bundle.model, bundle.charset, bundle.preprocess, bundle.info, half=half)
    return Path(out)


def run(args: argparse.Namespace) -> int:
    if args.int8 != (args.calibration is not None):
        raise DataError("--int8 and --calibration go together: int8 ranges are measured on crops like those "
                        "the model will read, e.g. --calibration data/calib_ko (a `krocr synth` render)")
    if args.int8 and Path(args.out).suffix != ".onnx":
        raise DataError(f"--int8 writes an ONNX model; {args.out} is not an .onnx path")
    if Path(args.weights).suffix == ".safetensors" and Path(args.out).suffix == ".safetensors":
        out = convert_weights(args.weights, args.out, half=args.half)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        return 0
    if Path(args.weights).suffix == ".ckpt":
        if Path(args.out).suffix != ".safetensors":
            raise CheckpointError("a run checkpoint (.ckpt) exports to .safetensors; export that to ONNX next")
        from krocr.training.run import (
            export_checkpoint,  # Lightning only where it is needed
        )

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
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, charset of "
          f"{len(json.loads(meta['charset'])['symbols'])} symbols{int8})")
    return 0
