"""Detector weights files: safetensors tensors + JSON metadata (arch, config, version, info),
written and read like the recognizers' (:mod:`krocr.model.weights`): self-describing,
never unpickled, written atomically. Shipped detectors are named in
:mod:`krocr.detection.registry`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import torch
from safetensors.torch import save_file

from krocr.detection.config import DetectorConfig
from krocr.detection.metadata import metadata_strings, parse_detector_metadata, read_safetensors_metadata
from krocr.detection.model import DBNet
from krocr.detection.registry import resolve_detector
from krocr.model.weights import build_and_load


@dataclass
class DetectorBundle:
    model: DBNet
    config: DetectorConfig
    info: dict = field(default_factory=dict)
    version: str = ""


def save_detector(path: str | Path, model: DBNet, info: dict | None = None) -> Path:
    """Write ``model``'s tensors and config atomically (temp file + rename)."""
    tensors = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=metadata_strings(model.config, info))
    os.replace(tmp, path)
    return path


def load_detector(spec: str | Path, device: str | torch.device = "cpu") -> DetectorBundle:
    """Build the detector a weights file describes and load its tensors (as float32).

    Args:
        spec: a ``.safetensors`` file written by :func:`save_detector`, or a shipped detector's name.
        device: where the model goes.

    Returns:
        The model in eval mode, its config, provenance info and the krocr version that wrote it.
    """
    path = resolve_detector(spec)
    meta = parse_detector_metadata(read_safetensors_metadata(path), path)
    model = build_and_load(path, lambda: DBNet(meta.config), "detector", device)
    return DetectorBundle(cast(DBNet, model), meta.config, meta.info, meta.version)
