"""What a detector weights file (or its ONNX export) says about itself, parsed without torch:
architecture, :class:`~krocr.detection.config.DetectorConfig`, krocr version and provenance.

The metadata strings are ``format`` (``krocr-detector/1``), ``arch`` (``dbnet``),
``config`` (the DetectorConfig as JSON), ``version`` (the krocr that wrote it) and ``info``
(free-form JSON: run, data, metrics). A recognizer's weights file has another format, so
handing one to the detector is a clear error, not a shape mismatch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from krocr.detection.config import ARCH, DetectorConfig
from krocr.errors import CheckpointError, ConfigError
from krocr.version import __version__

FORMAT = "krocr-detector/1"


@dataclass(frozen=True)
class DetectorMetadata:
    config: DetectorConfig
    version: str  # the krocr version that wrote the file
    info: dict


def metadata_strings(config: DetectorConfig, info: dict | None = None) -> dict[str, str]:
    """The metadata a weights file (and its ONNX export) carries for ``config``."""
    return {
        "format": FORMAT,
        "arch": ARCH,
        "config": json.dumps(config.to_dict()),
        "version": __version__,
        "info": json.dumps(info or {}, ensure_ascii=False),
    }


def parse_detector_metadata(metadata: dict[str, str], path: str | Path) -> DetectorMetadata:
    """The metadata strings of a detector weights file or export → its config and info;
    CheckpointError naming ``path`` when they are not a detector's or are damaged."""
    found = metadata.get("format")
    if found != FORMAT:
        what = "a recognizer's weights, not a detector's" if found == "krocr-weights/1" else f"format {found!r}"
        raise CheckpointError(f"{path}: not a krocr detector file ({what})")
    if metadata.get("arch") != ARCH:
        raise CheckpointError(
            f"{path}: detector architecture {metadata.get('arch')!r} is not known (expected {ARCH!r})"
        )
    try:
        config = DetectorConfig.from_dict(json.loads(metadata["config"]))
        info = json.loads(metadata.get("info", "{}"))
    except KeyError as exc:
        raise CheckpointError(f"{path}: damaged metadata (no {exc} entry)") from None
    except (ValueError, TypeError, RecursionError, ConfigError) as exc:
        raise CheckpointError(f"{path}: damaged metadata ({exc})") from None
    return DetectorMetadata(config, str(metadata.get("version", "")), info if isinstance(info, dict) else {})


def read_safetensors_metadata(path: str | Path) -> dict[str, str]:
    """The metadata strings of a ``.safetensors`` file (read with numpy: no torch)."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: weights file not found")
    try:
        with safe_open(str(path), framework="numpy") as f:
            return dict(f.metadata() or {})
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a safetensors weights file ({exc})") from None
