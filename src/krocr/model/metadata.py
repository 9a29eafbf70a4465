"""What a weights file (or an ONNX export of it) says about itself: charset, architecture,
preprocessing and provenance, parsed from its metadata strings. No torch here, so a
reader that runs onnxruntime can use it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from krocr.charset import Charset
from krocr.errors import CheckpointError, ConfigError
from krocr.model.config import ModelConfig, model_config_from_dict
from krocr.model.preprocess import PreprocessConfig

FORMAT = "krocr-weights/1"


@dataclass(frozen=True)
class ModelMetadata:
    """What a weights file's metadata (or an ONNX export's ``metadata_props``) describes."""

    charset: Charset
    config: ModelConfig
    preprocess: PreprocessConfig
    info: dict


def parse_metadata(metadata: dict[str, str], path: str | Path) -> ModelMetadata:
    """The metadata strings of a weights file or ONNX export → charset, model config,
    preprocessing and info; CheckpointError naming ``path`` when they are damaged."""
    try:
        charset = Charset.from_json(metadata["charset"], f"{path} [charset]")
        config = model_config_from_dict(json.loads(metadata["model"]))
        preprocess = PreprocessConfig.from_dict(json.loads(metadata["preprocess"]))
        info = json.loads(metadata.get("info", "{}"))
    except KeyError as exc:
        raise CheckpointError(f"{path}: damaged metadata (no {exc} entry)") from None
    except (ValueError, TypeError, RecursionError, ConfigError) as exc:  # bad JSON, a bad model config
        raise CheckpointError(f"{path}: damaged metadata ({exc})") from None
    if config.num_classes != charset.num_classes:
        raise CheckpointError(f"{path}: model has {config.num_classes} classes, charset needs {charset.num_classes}")
    return ModelMetadata(charset, config, preprocess, info)
