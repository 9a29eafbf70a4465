"""Exporting a detector weights file to ONNX: input ``images`` (N, 3, H, W) normalised RGB
with dynamic batch, height and width (multiples of 32), output ``probability``
(N, 1, H, W). The export carries the weights file's metadata (and the sha256 of that file,
``source_sha256``), so :class:`~krocr.detection.detector.Detector` reads it with
onnxruntime alone."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import onnx
import torch

from krocr.detection.metadata import read_safetensors_metadata
from krocr.detection.registry import resolve_detector
from krocr.detection.weights import load_detector

OPSET = 17
INPUT_NAME, OUTPUT_NAME = "images", "probability"


def export_detector_onnx(weights: str | Path, out: str | Path) -> Path:
    """Export a detector ``.safetensors`` file to ONNX.

    Args:
        weights: a file written by :func:`~krocr.detection.weights.save_detector`, or a
            shipped detector's name.
        out: the ``.onnx`` file to write.

    Returns:
        ``out``.
    """
    weights = resolve_detector(weights)
    bundle = load_detector(weights)
    model = bundle.model.float().eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.zeros(1, 3, 64, 64)
    with warnings.catch_warnings():  # the TorchScript exporter announces its own deprecation
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (dummy,),
            str(out),
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={
                INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
                OUTPUT_NAME: {0: "batch", 2: "height", 3: "width"},
            },
        )
    proto = onnx.load(str(out))
    source = {
        **read_safetensors_metadata(weights),
        "source_sha256": hashlib.sha256(Path(weights).read_bytes()).hexdigest(),
    }
    for key, value in source.items():
        proto.metadata_props.add(key=key, value=value)
    onnx.save(proto, str(out))
    return out
