"""Weights files: safetensors tensors + JSON metadata (charset, model config, preprocessing).

A krocr weights file is self-describing, so inference can never pair a model with the wrong
charset order or preprocessing, and loading never unpickles anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from krocr.charset import Charset
from krocr.errors import CheckpointError
from krocr.model.metadata import FORMAT, parse_metadata
from krocr.model.networks import Network, build_network
from krocr.model.preprocess import PreprocessConfig
from krocr.model.registry import resolve_weights


@dataclass
class ModelBundle:
    """A model with everything needed to use it."""

    model: Network
    charset: Charset
    preprocess: PreprocessConfig
    info: dict = field(default_factory=dict)  # free-form provenance: command, data, metrics


def save_weights(
    path: str | Path,
    model: Network,
    charset: Charset,
    preprocess: PreprocessConfig,
    info: dict | None = None,
    half: bool = False,
) -> None:
    """Write ``model`` atomically (temp file + rename: a kill mid-save leaves the old file)."""
    if model.config.num_classes != charset.num_classes:
        raise CheckpointError(f"model has {model.config.num_classes} classes but charset needs {charset.num_classes}")
    dtype = torch.float16 if half else None
    tensors = {
        name: (t.detach().to("cpu", dtype) if dtype and t.is_floating_point() else t.detach().cpu()).contiguous()
        for name, t in model.state_dict().items()
    }
    metadata = {
        "format": FORMAT,
        "charset": charset.to_json(),
        "model": json.dumps(model.config.to_dict()),
        "preprocess": json.dumps(preprocess.to_dict()),
        "info": json.dumps(info or {}, ensure_ascii=False),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    os.replace(tmp, path)


def read_metadata(path: str | Path) -> dict[str, str]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: weights file not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a safetensors weights file ({exc})") from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a krocr weights file (format {metadata.get('format')!r})")
    return metadata


def load_weights(path: str | Path, device: str | torch.device = "cpu") -> ModelBundle:
    """Build the model a weights file describes and load its tensors (as fp32).

    Args:
        path: a krocr ``.safetensors`` weights file, or a shipped model's name (``"ko"``, ``"en"``).
        device: where the model goes.

    Returns:
        The model (in eval mode) with its charset, preprocessing and provenance info.

    Example:
        >>> bundle = load_weights("en")  # doctest: +SKIP
        >>> bundle.charset.num_classes, bundle.preprocess.height  # doctest: +SKIP
        (88, 32)
    """
    path = resolve_weights(path)
    meta = parse_metadata(read_metadata(path), path)
    model = build_and_load(path, lambda: build_network(meta.config), "model", device)
    return ModelBundle(cast(Network, model), meta.charset, meta.preprocess, meta.info)


def average_weights(paths: Sequence[str | Path]) -> ModelBundle:
    """A uniform average of weights files of one architecture, charset and preprocessing (a
    "model soup": runs fine-tuned from the same weights can be averaged tensor by tensor).

    BatchNorm's running statistics are averaged too (not measured again). The average's info
    is only ``averaged_from``: each file's path and info, without their confidence
    calibrations (fitted on other models: fit the average's with ``krocr calibrate``); run
    metrics and configs stay with the file they describe.

    Args:
        paths: two or more krocr ``.safetensors`` weights files (or shipped models' names).

    Returns:
        The averaged model with the shared charset and preprocessing.

    Raises:
        CheckpointError: fewer than two files, or a file whose architecture, charset or
            preprocessing differs from the first's (naming that file and what differs).
    """
    if len(paths) < 2:
        raise CheckpointError(f"averaging needs two or more weights files, got {len(paths)}")
    bundles = [load_weights(path) for path in paths]
    first = bundles[0]
    for path, bundle in zip(paths[1:], bundles[1:]):
        for what, mine, theirs in (
            ("architecture", bundle.model.config.to_dict(), first.model.config.to_dict()),
            ("charset", bundle.charset.to_json(), first.charset.to_json()),
            ("preprocessing", bundle.preprocess.to_dict(), first.preprocess.to_dict()),
        ):
            if mine != theirs:
                raise CheckpointError(f"{path}: its {what} differs from {paths[0]}'s; only like weights average")
    states = [bundle.model.state_dict() for bundle in bundles]
    # integer buffers (BatchNorm's batch counts) are not averaged: the first file's are kept
    averaged = {
        name: torch.stack([state[name] for state in states]).mean(0) if tensor.is_floating_point() else tensor
        for name, tensor in states[0].items()
    }
    first.model.load_state_dict(averaged)
    sources = [
        {"weights": str(path), "info": {key: value for key, value in bundle.info.items() if key != "calibration"}}
        for path, bundle in zip(paths, bundles)
    ]
    return ModelBundle(first.model, first.charset, first.preprocess, {"averaged_from": sources})


def build_and_load(
    path: Path, build: Callable[[], torch.nn.Module], what: str, device: str | torch.device = "cpu"
) -> torch.nn.Module:
    """Build the network a weights file describes and load its tensors as float32, in eval mode.

    The network is first built on the meta device (no memory) and its tensor shapes compared
    with the file's header, so a crafted config never allocates a huge model.

    Args:
        path: the ``.safetensors`` file.
        build: makes the network its metadata describes.
        what: ``model`` or ``detector``, for the error messages.
        device: where the network goes.

    Returns:
        The loaded network.
    """
    try:
        with torch.device("meta"):
            own = {key: tuple(tensor.shape) for key, tensor in build().state_dict().items()}
    except (ValueError, TypeError, RuntimeError, OverflowError) as exc:
        raise CheckpointError(f"{path}: {what} config cannot be built ({exc})") from None
    check_file_shapes(path, own, what)
    network = build()
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
    load_state_checked(network, state, str(path))
    return network.to(device).eval()


def check_file_shapes(path: Path, own: Mapping[str, Sequence[int]], what: str) -> None:
    """Raise CheckpointError unless the tensors in ``path``'s safetensors header have the
    names and shapes ``own`` lists (the ``what`` its metadata describes: model, detector).
    Only the header is read."""
    try:
        with safe_open(str(path), framework="pt") as f:
            # safe_open has keys() but is not iterable
            found = {name: f.get_slice(name).get_shape() for name in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a safetensors weights file ({exc})") from None
    if misfit := _misfit(own, found):
        raise CheckpointError(f"{path}: weights do not fit the {what} its metadata describes: {misfit}")


def load_state_checked(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """load_state_dict with one clear message listing every missing, extra or misshaped tensor."""
    own = model.state_dict()
    if misfit := _misfit({k: t.shape for k, t in own.items()}, {k: t.shape for k, t in state.items()}):
        raise CheckpointError(f"{source}: weights do not fit this architecture: {misfit}")
    model.load_state_dict(state)


def _misfit(own: Mapping[str, Sequence[int]], found: Mapping[str, Sequence[int]]) -> str:
    """The tensors (names → shapes) ``found`` lacks, has in excess or has in another shape
    than the model's ``own``, up to 5 of each; '' when they fit."""
    missing = sorted(set(own) - set(found))
    extra = sorted(set(found) - set(own))
    misshaped = [
        f"{k}: file {tuple(found[k])} vs model {tuple(own[k])}"
        for k in own
        if k in found and tuple(own[k]) != tuple(found[k])
    ]
    parts = []
    if missing:
        parts.append(f"missing {missing[:5]}{'…' if len(missing) > 5 else ''}")
    if extra:
        parts.append(f"unexpected {extra[:5]}{'…' if len(extra) > 5 else ''}")
    if misshaped:
        parts.append("shape mismatch " + "; ".join(misshaped[:5]))
    return "; ".join(parts)
