"""Reading word crops with a trained CRNN: the library entry point for inference.

    from krocr.inference.recognizer import Recognizer
    recognizer = Recognizer("model.safetensors")
    recognizer.read("crop.png")                # Reading(text='카페', confidence=0.97, raw='--카-페--')
    recognizer.read([path, pil_image, array])  # a list of Readings, in input order

Inputs are file paths, PIL images or uint8 numpy arrays (gray, RGB or RGBA, in RGB order
like :func:`krocr.data.images.read_image` returns). Crops go through
:func:`krocr.model.preprocess.preprocess` with the weights file's own preprocessing, except for
the width mode, which defaults to ``natural`` so long lines are read at their aspect ratio
instead of being squeezed into 256 px. Batches are formed by width (sorted, batched, then
put back in input order) so padding stays small.

``engine="onnx"`` runs a model exported by ``krocr export`` (an ``.onnx`` file) through
onnxruntime on the CPU instead of torch; only the forward pass differs, so preprocessing,
batching and decoding are the same code.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Literal, Sequence, overload

import numpy as np
import torch
from PIL import Image

from krocr.data.crops import CropConfig
from krocr.data.images import pil_to_rgb, read_image
from krocr.errors import CheckpointError, DataError, KrocrError
from krocr.hardware import warn_if_bf16_is_emulated
from krocr.model.decoding import beam_decode, greedy_decode, raw_frames
from krocr.model.preprocess import WidthMode, collate_widths, preprocess, to_gray
from krocr.model.weights import ModelMetadata, load_weights, parse_metadata

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "ko_crnn.safetensors"
# A crop needs a few pixel rows to hold a glyph; the crop stage drops thinner boxes too.
MIN_INPUT_HEIGHT = int(CropConfig().min_height)

Decoder = Literal["greedy", "beam"]
Precision = Literal["fp32", "bf16"]
Engine = Literal["torch", "onnx"]
ImageInput = str | Path | Image.Image | np.ndarray


@dataclass(frozen=True)
class Reading:
    """What the model read in one crop. ``raw`` is the per-frame argmax (blank shown as
    ``-``) before CTC collapsing: it shows where the model saw each character."""

    text: str
    confidence: float
    raw: str = ""


class Recognizer:
    """A weights file made ready to read crops.

    ``weights=None`` uses the model shipped inside the package. ``decoder="beam"`` runs
    the CTC prefix beam search (``beam_width`` beams); ``precision="bf16"`` runs the model
    under bfloat16 autocast (faster on CPUs with AVX-512 BF16 / AMX, slightly less exact).

    ``engine="onnx"`` reads with onnxruntime (CPUExecutionProvider): ``weights`` is then an
    ``.onnx`` file written by ``krocr export``, whose metadata holds the charset and
    preprocessing; it runs on the CPU in the precision it was exported in (fp32 or int8),
    and ``model`` is None (the torch module exists only with ``engine="torch"``).
    """

    def __init__(
        self,
        weights: str | Path | None = None,
        device: str = "cpu",
        batch_size: int = 64,
        width_mode: WidthMode = "natural",
        decoder: Decoder = "greedy",
        precision: Precision = "fp32",
        beam_width: int = 10,
        engine: Engine = "torch",
    ):
        if batch_size < 1:
            raise KrocrError(f"batch size must be at least 1, got {batch_size}")
        if decoder not in ("greedy", "beam"):
            raise KrocrError(f"unknown decoder {decoder!r}; use 'greedy' or 'beam'")
        if precision not in ("fp32", "bf16"):
            raise KrocrError(f"unknown precision {precision!r}; use 'fp32' or 'bf16'")
        if engine not in ("torch", "onnx"):
            raise KrocrError(f"unknown engine {engine!r}; use 'torch' or 'onnx'")
        if engine == "onnx" and precision != "fp32":
            raise KrocrError(f"precision {precision!r} is for the torch engine; the onnx engine runs the exported "
                             "model as it was exported (fp32, or int8 with `krocr export --int8`)")
        self.weights = _weights_path(weights)
        self.device = _checked_device(device, engine)
        self.engine = engine
        self.model: torch.nn.Module | None
        self._forward: Callable[[torch.Tensor | np.ndarray], torch.Tensor]
        if engine == "onnx":
            self.model = None
            self._forward, meta = _onnx_engine(self.weights)
            self.charset, self.info, preprocess = meta.charset, meta.info, meta.preprocess
        else:
            if self.weights.suffix.lower() == ".onnx":
                raise CheckpointError(f"{self.weights}: an ONNX model; read it with --engine onnx "
                                      "(Recognizer(..., engine='onnx'))")
            bundle = load_weights(self.weights, self.device)
            self.model = bundle.model
            self._forward = self._torch_logits
            self.charset, self.info, preprocess = bundle.charset, bundle.info, bundle.preprocess
        self.preprocess = replace(preprocess, width_mode=width_mode)
        self.batch_size = batch_size
        self.decoder = decoder
        self.precision = precision
        if precision == "bf16":  # once the weights are known to load
            warn_if_bf16_is_emulated(self.device, f"reading with {self.weights.name}")
        self.beam_width = beam_width

    # ---- single steps ---------------------------------------------------------------------
    def prepare(self, image: ImageInput) -> np.ndarray:
        """One input → the float32 (1, height, width) array the model sees. Raises
        DataError naming the input when it cannot be read or is too small to hold text."""
        pixels = load_input(image)
        height = pixels.shape[0]
        if height < MIN_INPUT_HEIGHT:
            raise DataError(f"{_describe(image)}: image is {height} px high; a crop needs at least "
                            f"{MIN_INPUT_HEIGHT} px")
        return preprocess(pixels, self.preprocess)

    def logits(self, batch: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(N, 1, H, W) preprocessed crops → float32 CPU logits (N, frames, classes), from
        the engine chosen at construction."""
        return self._forward(batch)

    def _torch_logits(self, batch: np.ndarray | torch.Tensor) -> torch.Tensor:
        assert self.model is not None
        images = torch.as_tensor(batch, dtype=torch.float32).to(self.device)
        with torch.inference_mode(), torch.autocast(self.device.type, torch.bfloat16,
                                                    enabled=self.precision == "bf16"):
            return self.model(images).float().cpu()

    def decode(self, logits: torch.Tensor) -> list[Reading]:
        if self.decoder == "beam":
            decoded = beam_decode(logits, self.charset, beam_width=self.beam_width)
        else:
            decoded = greedy_decode(logits, self.charset)
        raws = raw_frames(logits, self.charset)
        return [Reading(d.text, d.confidence, raw) for d, raw in zip(decoded, raws)]

    # ---- batches ----------------------------------------------------------------------------
    def recognize(self, prepared: Sequence[np.ndarray]) -> list[Reading]:
        """Read arrays from :meth:`prepare`, batched by width, returned in input order."""
        by_width = sorted(range(len(prepared)), key=lambda i: prepared[i].shape[-1])
        readings: list[Reading | None] = [None] * len(prepared)
        for start in range(0, len(by_width), self.batch_size):
            chunk = by_width[start:start + self.batch_size]
            batch = collate_widths([prepared[i] for i in chunk])
            for i, reading in zip(chunk, self.decode(self.logits(batch))):
                readings[i] = reading
        return readings  # type: ignore[return-value]  # every slot is filled above

    @overload
    def read(self, inputs: ImageInput) -> Reading: ...

    @overload
    def read(self, inputs: Sequence[ImageInput]) -> list[Reading]: ...

    def read(self, inputs: ImageInput | Sequence[ImageInput]) -> Reading | list[Reading]:
        """Read one input (→ Reading) or a list or tuple of them (→ list, in input order)."""
        if _is_single(inputs):
            return self.recognize([self.prepare(inputs)])[0]  # type: ignore[arg-type]
        return self.recognize([self.prepare(item) for item in inputs])  # type: ignore[union-attr]


def add_recognizer_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every command that reads crops shares (read, eval, benchmarks)."""
    group = parser.add_argument_group("model")
    group.add_argument("--weights", type=Path,
                       help="krocr .safetensors weights file (default: the bundled model); "
                            "with --engine onnx, an .onnx file written by `krocr export`")
    group.add_argument("--engine", choices=("torch", "onnx"), default="torch",
                       help="torch, or onnx: onnxruntime on the CPU, reading a `krocr export` .onnx file "
                            "(default: torch)")
    group.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu; the onnx engine is CPU only)")
    group.add_argument("--batch-size", type=int, default=64, help="crops per forward pass (default: 64)")
    group.add_argument("--width-mode", choices=("natural", "fixed"), default="natural",
                       help="natural: keep each crop's aspect ratio (long lines stay legible); "
                            "fixed: squeeze to the training width (default: natural)")
    group.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                       help="torch engine only (default: fp32)")
    group.add_argument("--beam", action="store_true", help="CTC prefix beam search instead of greedy decoding")
    group.add_argument("--beam-width", type=int, default=10, help="beams kept with --beam (default: 10)")


def recognizer_from_args(args: argparse.Namespace) -> Recognizer:
    return Recognizer(args.weights, device=args.device, batch_size=args.batch_size, width_mode=args.width_mode,
                      decoder="beam" if args.beam else "greedy", precision=args.precision,
                      beam_width=args.beam_width, engine=args.engine)


def load_input(image: ImageInput) -> np.ndarray:
    """A path, PIL image or uint8 array as a uint8 gray (H, W) array."""
    if isinstance(image, (str, Path)):
        return to_gray(read_image(image))
    if isinstance(image, Image.Image):
        return to_gray(pil_to_rgb(image, _describe(image)))
    if isinstance(image, np.ndarray):
        if image.size == 0:
            raise DataError(f"{_describe(image)}: empty image")
        return to_gray(image)
    raise DataError(f"cannot read a {type(image).__name__}; pass a path, a PIL image or a numpy array")


def _describe(image: object) -> str:
    if isinstance(image, (str, Path)):
        return str(image)
    if isinstance(image, np.ndarray):
        return f"array of shape {image.shape}"
    if isinstance(image, Image.Image):
        return f"PIL image {image.mode} {image.width}×{image.height}"
    return type(image).__name__


def _is_single(inputs: object) -> bool:
    return not isinstance(inputs, (list, tuple))


def _weights_path(weights: str | Path | None) -> Path:
    if weights is not None:
        return Path(weights)
    if not DEFAULT_WEIGHTS.is_file():
        raise CheckpointError(
            f"no bundled model: {DEFAULT_WEIGHTS} is not shipped in this version of krocr. "
            "Pass a weights file: --weights FILE on the command line, Recognizer(weights=FILE) "
            "in Python (a .safetensors file written by `krocr train`)."
        )
    return DEFAULT_WEIGHTS


def _onnx_engine(path: Path) -> tuple[Callable[[np.ndarray | torch.Tensor], torch.Tensor], ModelMetadata]:
    """An onnxruntime session for a `krocr export` file, as a batch → logits function, and
    the metadata the export carries."""
    if path.suffix.lower() == ".safetensors":
        raise CheckpointError(f"{path}: a .safetensors weights file; the onnx engine reads an ONNX export of it. "
                              f"Export it first: `krocr export {path} --out {path.with_suffix('.onnx')}`, "
                              "then pass the .onnx file (or use --engine torch)")
    import onnxruntime as ort

    from krocr.inference.export import read_onnx_metadata

    meta = parse_metadata(read_onnx_metadata(path), path)
    try:
        session = ort.InferenceSession(str(path), ort.SessionOptions(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own unrelated types for bad graphs
        raise CheckpointError(f"{path}: onnxruntime cannot load this model ({exc})") from None
    inputs = [i.name for i in session.get_inputs()]
    outputs = {o.name: o.shape for o in session.get_outputs()}
    if inputs != ["images"] or "logits" not in outputs:
        raise CheckpointError(f"{path}: not a krocr export (inputs {inputs}, outputs {sorted(outputs)}; "
                              "expected 'images' → 'logits')")
    classes = outputs["logits"][-1]
    if isinstance(classes, int) and classes != meta.charset.num_classes:
        raise CheckpointError(f"{path}: model has {classes} classes, charset needs {meta.charset.num_classes}")

    def forward(batch: np.ndarray | torch.Tensor) -> torch.Tensor:
        images = batch.detach().cpu().numpy() if isinstance(batch, torch.Tensor) else batch
        (logits,) = session.run(["logits"], {"images": np.ascontiguousarray(images, dtype=np.float32)})
        return torch.from_numpy(logits)

    return forward, meta


def _checked_device(device: str, engine: Engine = "torch") -> torch.device:
    try:
        parsed = torch.device(device)
    except RuntimeError as exc:
        raise KrocrError(f"unknown device {device!r} ({exc}); use 'cpu' or 'cuda'") from None
    if engine == "onnx" and parsed.type != "cpu":
        raise KrocrError(f"device {device!r} with the onnx engine: it runs on the CPU only (onnxruntime's "
                         "CPUExecutionProvider); use --device cpu, or --engine torch for a GPU")
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise KrocrError("device 'cuda' requested but no CUDA GPU is available to this torch build; use --device cpu")
    return parsed
