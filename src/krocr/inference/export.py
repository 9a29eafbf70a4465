"""Exporting a weights file to ONNX (dynamic batch and width), optionally int8, and
re-saving weights in fp16.

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

import hashlib
import logging
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import torch

from krocr.data.eval_sets import dataset_splits, open_eval_set
from krocr.errors import DataError
from krocr.inference.recognizer import load_input
from krocr.model.preprocess import PreprocessConfig, preprocess
from krocr.model.weights import (
    load_weights,
    read_metadata,
    save_weights,
)

OPSET = 17
# Activation ranges settle by a few hundred crops: 256 and 512 read the held-out set alike.
CALIBRATION_CROPS = 256
# A dataset directory calibrates on the first of these splits; never on its test split.
CALIBRATION_SPLITS = ("calib", "val", "train")


def export_onnx(weights: str | Path, out: str | Path, int8_calibration: Sequence[np.ndarray] | None = None) -> Path:
    """Export a krocr weights file to ONNX, its metadata carried over (plus the sha256 of
    the weights file it came from, ``source_sha256``).

    Args:
        weights: a ``.safetensors`` weights file.
        out: the ``.onnx`` file to write.
        int8_calibration: prepared crops, each (1, 1, height, width) float32 as
            :func:`calibration_crops` returns; with them the written model is quantised to
            int8 (convolutions static, LSTMs dynamic).

    Returns:
        ``out``.
    """
    bundle = load_weights(weights)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = out if int8_calibration is None else Path(tmp) / "fp32.onnx"
        _export_fp32(bundle.model.float().eval(), bundle.preprocess, fp32)
        if int8_calibration is not None:
            quantize_int8(fp32, out, int8_calibration, Path(tmp))
    proto = onnx.load(str(out))
    source = {**read_metadata(weights), "source_sha256": hashlib.sha256(Path(weights).read_bytes()).hexdigest()}
    for key, value in source.items():
        proto.metadata_props.add(key=key, value=value)
    onnx.save(proto, str(out))
    return out


def _export_fp32(model: torch.nn.Module, config: PreprocessConfig, out: Path) -> None:
    dummy = torch.zeros(1, 1, config.height, config.width)
    # The TorchScript exporter handles LSTMs with dynamic axes without needing onnxscript.
    torch.onnx.export(
        model,
        (dummy,),
        str(out),
        dynamo=False,
        opset_version=OPSET,
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "frames"}},
    )


def quantize_int8(fp32: Path, out: Path, crops: Sequence[np.ndarray], workdir: Path) -> None:
    """An fp32 export → int8: convolutions as QDQ with per-channel 7-bit weights and uint8
    activations ranged (min/max) on ``crops``; then the CRNN's LSTM weights, dynamically. The
    SVTR's attention blocks stay fp32."""
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
    # onnx's own shape inference: the symbolic one cannot follow the SVTR's reshapes of a dynamic width
    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
    quantize_static(
        str(prepared),
        str(convs),
        _CalibrationCrops(crops),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["Conv"],
        per_channel=True,
        reduce_range=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )
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
    if count < 1:
        raise DataError(f"calibration crop count must be at least 1, got {count}")
    data = Path(data)
    split = None
    present = dataset_splits(data)
    if present is not None:
        split = next((name for name in CALIBRATION_SPLITS if name in present), None)
        if split is None:
            raise DataError(
                f"{data}: no {'/'.join(CALIBRATION_SPLITS)} split to calibrate on (present: "
                f"{', '.join(present) or 'none'}); a test set must not set the int8 ranges"
            )
    eval_set = open_eval_set(data, split)
    if eval_set.unreadable:
        first = eval_set.unreadable[0]
        raise DataError(
            f"{data}: {len(eval_set.unreadable)} calibration crops cannot be read, first {first.item}: {first.error}"
        )
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


def convert_weights(weights: str | Path, out: str | Path, half: bool) -> Path:
    """Re-save a weights file (fp16 tensors with ``half``), metadata unchanged."""
    bundle = load_weights(weights)
    save_weights(out, bundle.model, bundle.charset, bundle.preprocess, bundle.info, half=half)
    return Path(out)
