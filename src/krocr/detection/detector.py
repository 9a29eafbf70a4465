"""``Detector``: an RGB photo → its text regions, each a scored 4-point polygon in the
photo's own pixels.

    from krocr.detection.detector import Detector
    detector = Detector("runs/det/best.safetensors")      # or an .onnx export
    for region in detector.detect(rgb):                   # RGB uint8 (H, W, 3)
        print(region.polygon, region.score)

The photo is resized so that its longer side is at most ``max_side`` (default 1600 px: a
photo shared at 1600 × 1200 is read at about its own size, a 4000 × 3000 one at 1600 × 1200;
chosen on held-out scenes drawn at 1600 × 1200, where 1024 px found about half the words
that 1600 px finds: docs/experiments/2026-12-05-detection-size.md) with both sides rounded to
multiples of 32, which the network needs; shrinking uses ``cv2.INTER_AREA``, so a 100-megapixel photo
costs one averaging pass and a few MB, never a 100-megapixel float tensor. Text thinner
than ~6 px after that resize is not found: raise ``max_side`` for small text on big photos
(time grows with the pixel count). The polygons are mapped back to the original pixels.

Engines: ``torch`` runs a ``.safetensors`` file; ``onnx`` runs an export
(:func:`~krocr.detection.export.export_detector_onnx`) with onnxruntime and loads no
torch; ``auto`` picks by the file's suffix (and prefers the ONNX export of a shipped
detector).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from krocr.detection.config import DEFAULT_MAX_SIDE, STRIDE, DetectorConfig, PostprocessConfig
from krocr.detection.metadata import parse_detector_metadata, read_safetensors_metadata
from krocr.detection.postprocess import polygons_from_map
from krocr.detection.registry import DEFAULT_DETECTOR, resolve_detector
from krocr.errors import CheckpointError, ConfigError, DataError

Engine = Literal["auto", "torch", "onnx"]
ProbabilityFn = Callable[[np.ndarray], np.ndarray]  # (1, 3, H, W) float32 → (1, 1, H, W) float32


@dataclass(frozen=True)
class DetectedRegion:
    """One text region: four corners (x, y) in the photo's pixels, clockwise from the top-left
    of the text as it is read (:mod:`krocr.detection.postprocess`), and the mean text
    probability inside it."""

    polygon: np.ndarray  # (4, 2) float32
    score: float


def detection_size(width: int, height: int, max_side: int = DEFAULT_MAX_SIDE) -> tuple[int, int]:
    """The (width, height) a photo is detected at: scaled down so the longer side is
    ``max_side`` (never up), then each side rounded to the nearest multiple of 32 (at least
    32), which may overshoot ``max_side`` by up to 16 px."""
    scale = min(1.0, max_side / max(width, height))
    return (
        max(STRIDE, round(width * scale / STRIDE) * STRIDE),
        max(STRIDE, round(height * scale / STRIDE) * STRIDE),
    )


def prepare_image(image: np.ndarray, size: tuple[int, int], config: DetectorConfig) -> np.ndarray:
    """A uint8 photo (RGB; gray and RGBA too) → (1, 3, height, width) float32, resized to
    ``size`` (width, height) first — so a huge photo is never copied or converted at full
    size — and normalised with the config's mean and std."""
    height, width = image.shape[:2]
    if (width, height) != size:
        shrinking = size[0] * size[1] < width * height
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    mean = np.asarray(config.mean, np.float32) * 255.0
    scale = 1.0 / (np.asarray(config.std, np.float32) * 255.0)
    normalised = (image[:, :, :3].astype(np.float32) - mean) * scale
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None])


def check_image(image: np.ndarray) -> np.ndarray:
    """``image`` if it is a uint8 gray (H, W), RGB or RGBA array; anything else is a DataError."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise DataError(f"detect() takes an RGB uint8 array, got {type(image).__name__} {getattr(image, 'dtype', '')}")
    if min(image.shape[:2], default=0) < 1 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise DataError(f"detect() takes an RGB uint8 array (H, W, 3), got shape {image.shape}")
    return image


class Detector:
    """A DBNet detector ready to find text in photos.

    Args:
        weights: a ``.safetensors`` file (``krocr train-detector``), its ``.onnx`` export, or
            a shipped detector's name.
        engine: ``auto`` (by suffix), ``torch`` or ``onnx``.
        max_side: the longer side photos are shrunk to for detection (px).
        postprocess: thresholds (:class:`~krocr.detection.config.PostprocessConfig`).
        device: ``cpu`` or ``cuda`` (torch engine).
        threads: onnxruntime's intra-op threads (None: its default, all cores).
    """

    def __init__(
        self,
        weights: str | Path = DEFAULT_DETECTOR,
        engine: Engine = "auto",
        max_side: int = DEFAULT_MAX_SIDE,
        postprocess: PostprocessConfig | None = None,
        device: str = "cpu",
        threads: int | None = None,
    ):
        if engine not in ("auto", "torch", "onnx"):
            raise ConfigError(f"engine must be auto, torch or onnx, got {engine!r}")
        if max_side < STRIDE:
            raise ConfigError(f"max_side must be at least {STRIDE} px, got {max_side}")
        path = resolve_detector(weights, prefer_onnx=engine != "torch")
        if engine == "auto":
            engine = "onnx" if path.suffix.lower() == ".onnx" else "torch"
        self.path = path
        self.engine = engine
        self.max_side = max_side
        self.postprocess = postprocess or PostprocessConfig()
        self.model: Any = None
        if engine == "onnx":
            self.config, self.info, self._probability = _onnx_engine(path, threads)
        else:
            self.config, self.info, self._probability, self.model = _torch_engine(path, device)

    def probability_map(self, image: np.ndarray) -> np.ndarray:
        """The text probability (H', W') float32 of ``image`` at its detection size."""
        image = check_image(image)
        height, width = image.shape[:2]
        batch = prepare_image(image, detection_size(width, height, self.max_side), self.config)
        return self._probability(batch)[0, 0]

    def detect(self, image: np.ndarray) -> list[DetectedRegion]:
        """The text regions of one photo.

        Args:
            image: RGB uint8 (H, W, 3) (gray and RGBA are accepted too).

        Returns:
            Regions largest first, polygons in ``image``'s pixels; none for a photo without text.
        """
        height, width = check_image(image).shape[:2]
        found = polygons_from_map(self.probability_map(image), (width, height), self.postprocess)
        return [DetectedRegion(polygon, float(score)) for polygon, score in zip(found.polygons, found.scores)]


def _onnx_engine(path: Path, threads: int | None) -> tuple[DetectorConfig, dict, ProbabilityFn]:
    import onnxruntime as ort

    if not path.is_file():
        raise CheckpointError(f"{path}: ONNX file not found")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads is not None:
        options.intra_op_num_threads = threads
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own unrelated types for bad files
        raise CheckpointError(f"{path}: not an ONNX model onnxruntime can load ({exc})") from None
    meta = parse_detector_metadata(dict(session.get_modelmeta().custom_metadata_map), path)
    inputs = [i.name for i in session.get_inputs()]
    outputs = [o.name for o in session.get_outputs()]
    if inputs != ["images"] or outputs != ["probability"]:
        raise CheckpointError(f"{path}: not a krocr detector export (inputs {inputs}, outputs {outputs})")

    def probability(batch: np.ndarray) -> np.ndarray:
        (out,) = session.run(["probability"], {"images": batch})
        return np.asarray(out, dtype=np.float32)

    return meta.config, meta.info, probability


def _torch_engine(path: Path, device: str) -> tuple[DetectorConfig, dict, ProbabilityFn, Any]:
    import torch

    from krocr.detection.weights import load_detector

    if path.suffix.lower() == ".onnx":
        raise ConfigError(f"{path}: an ONNX file runs with engine onnx (or auto), not torch")
    parse_detector_metadata(read_safetensors_metadata(path), path)  # a recognizer's file: a clear error first
    bundle = load_detector(path, device)
    model = bundle.model

    def probability(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(torch.from_numpy(batch).to(device))
        return out.float().cpu().numpy()

    return bundle.config, bundle.info, probability, model
