"""The detectors shipped inside the package, by name, as :mod:`krocr.model.registry` names
the recognizers: ``Detector()`` loads :data:`DEFAULT_DETECTOR`. Each is a safetensors file
and its ONNX export in the package's ``weights/`` folder. An installation without the file
says so and asks for a weights file. No torch here."""

from __future__ import annotations

from pathlib import Path

from krocr.errors import CheckpointError
from krocr.model.registry import WEIGHTS_DIR

DEFAULT_DETECTOR = "detector"
# name → (safetensors file, ONNX export) in WEIGHTS_DIR
SHIPPED_DETECTORS: dict[str, tuple[str, str]] = {DEFAULT_DETECTOR: ("detector.safetensors", "detector.onnx")}


def resolve_detector(spec: str | Path, prefer_onnx: bool = False) -> Path:
    """A shipped detector's name → its file (the ONNX export with ``prefer_onnx`` when it is
    there); anything else is a path, returned as it is.

    Args:
        spec: ``"detector"`` or a path to a ``.safetensors`` / ``.onnx`` file.
        prefer_onnx: take the shipped ONNX export when there is one.

    Returns:
        The file's path.
    """
    if not isinstance(spec, str) or spec not in SHIPPED_DETECTORS:
        return Path(spec)
    safetensors_name, onnx_name = SHIPPED_DETECTORS[spec]
    onnx_path, weights_path = WEIGHTS_DIR / onnx_name, WEIGHTS_DIR / safetensors_name
    if prefer_onnx and onnx_path.is_file():
        return onnx_path
    if weights_path.is_file():
        return weights_path
    raise CheckpointError(
        f"shipped detector {spec!r}: {weights_path.name} is not in this installation of krocr "
        "; reinstall krocr, or pass a weights file from `krocr train-detector`"
    )
