"""The weights shipped inside the package, by name: ``Recognizer("ko")`` and
``transfer.pretrained: en`` instead of paths into the source tree.

Each shipped model is a safetensors file (what training, transfer and export read) and,
for the models ``krocr read`` uses, an ONNX export of it (what onnxruntime reads, so that
reading needs no torch). ``tests/test_shipped_weights.py`` checks that each ONNX file
was exported from the safetensors file beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from krocr.errors import CheckpointError

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"


@dataclass(frozen=True)
class ShippedModel:
    name: str
    safetensors: str  # file name in WEIGHTS_DIR
    onnx: str | None  # its ONNX export, when reading it should not need torch
    description: str
    language_model: str | None = None  # the shipped language model it reads with by default (a name)

    @property
    def safetensors_path(self) -> Path:
        return WEIGHTS_DIR / self.safetensors

    @property
    def onnx_path(self) -> Path | None:
        return WEIGHTS_DIR / self.onnx if self.onnx else None


_KO_CRNN = ShippedModel(
    "ko-crnn",
    "ko_crnn.safetensors",
    "ko_crnn.onnx",
    "Korean signboard CRNN v14 (slim, jamo tokens, 32 px high): the reference reproduction",
    "ko",
)
SHIPPED: dict[str, ShippedModel] = {
    "ko": _KO_CRNN,  # what `krocr read` uses by default
    "ko-crnn": _KO_CRNN,
    "en": ShippedModel(
        "en",
        "en_crnn.safetensors",
        None,
        "English CRNN v1 (slim, 87 symbols): the starting point for transfer to Korean",
    ),
}
DEFAULT_MODEL = "ko"


def shipped_model(spec: str | Path) -> ShippedModel | None:
    """The shipped model a name refers to; None for anything else (a path)."""
    return SHIPPED.get(spec) if isinstance(spec, str) else None


def resolve_weights(spec: str | Path) -> Path:
    """A shipped model's name → its safetensors path; any other spec is a path, returned as it is.

    Args:
        spec: ``"ko"``, ``"ko-crnn"``, ``"en"`` or a path to a weights file.

    Returns:
        The path of the weights file.
    """
    model = shipped_model(spec)
    if model is None:
        return Path(spec)
    if not model.safetensors_path.is_file():
        raise CheckpointError(
            f"shipped model {model.name!r}: {model.safetensors_path} is missing from this "
            "installation of krocr; reinstall it, or pass a weights file"
        )
    return model.safetensors_path


# Language models for beam-search decoding (krocr.model.language_model), by name.
SHIPPED_LANGUAGE_MODELS: dict[str, str] = {
    "ko": "ko_lm.safetensors",  # jamo 6-gram of the Korean text stream: `krocr lm` (docs/decoding.md)
}


def resolve_language_model(spec: str | Path) -> Path:
    """A shipped language model's name → its path; any other spec is a path, returned as it is.

    Args:
        spec: ``"ko"`` or a path to a file written by ``krocr lm``.

    Returns:
        The path of the language-model file.
    """
    name = SHIPPED_LANGUAGE_MODELS.get(spec) if isinstance(spec, str) else None
    if name is None:
        return Path(spec)
    path = WEIGHTS_DIR / name
    if not path.is_file():
        raise CheckpointError(
            f"shipped language model {spec!r}: {path} is missing from this installation of krocr; "
            "reinstall it, or pass a file written by `krocr lm`"
        )
    return path
