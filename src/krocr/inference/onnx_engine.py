"""onnxruntime as the reading engine: a `krocr export` file opened as a session, its krocr
metadata, and a batch → logits function. It needs onnxruntime and numpy only (no torch,
no onnx package), so reading with it starts quickly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from krocr.errors import CheckpointError

Logits = Callable[[np.ndarray], np.ndarray]  # (N, 1, H, W) float32 → (N, frames, classes) float32


def open_session(path: str | Path) -> Any:
    """An onnxruntime CPU session for an ONNX file; a bad file raises CheckpointError naming it."""
    import onnxruntime as ort  # its import costs ~0.2 s: only when an ONNX model is opened

    if not Path(path).is_file():
        raise CheckpointError(f"{path}: ONNX file not found")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: its warnings are about graph optimisations
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own unrelated types for bad files
        raise CheckpointError(f"{path}: not an ONNX model onnxruntime can load ({exc})") from None


def session_metadata(session: Any, path: str | Path) -> dict[str, str]:
    """The krocr metadata (charset, model config, preprocessing, info) an export carries."""
    meta = dict(session.get_modelmeta().custom_metadata_map)
    if "charset" not in meta:
        raise CheckpointError(f"{path}: ONNX file without krocr metadata; export it with `krocr export`")
    return meta


def read_onnx_metadata(path: str | Path) -> dict[str, str]:
    """The krocr metadata of an exported ONNX file.

    Args:
        path: an ``.onnx`` file written by ``krocr export``.

    Returns:
        Its metadata as strings: ``charset``, ``model``, ``preprocess``, ``info`` (JSON).
    """
    return session_metadata(open_session(path), path)


def session_logits(session: Any, path: str | Path, num_classes: int) -> Logits:
    """The session as a batch → logits function, after checking it is a krocr export whose
    output fits a charset of ``num_classes`` classes (blank included)."""
    inputs = [i.name for i in session.get_inputs()]
    outputs = {o.name: o.shape for o in session.get_outputs()}
    if inputs != ["images"] or "logits" not in outputs:
        raise CheckpointError(
            f"{path}: not a krocr export (inputs {inputs}, outputs {sorted(outputs)}; expected 'images' → 'logits')"
        )
    classes = outputs["logits"][-1]
    if isinstance(classes, int) and classes != num_classes:
        raise CheckpointError(f"{path}: model has {classes} classes, charset needs {num_classes}")

    def logits(batch: np.ndarray) -> np.ndarray:
        (out,) = session.run(["logits"], {"images": np.ascontiguousarray(batch, dtype=np.float32)})
        return out

    return logits
