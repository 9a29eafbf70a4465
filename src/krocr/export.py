"""``krocr export``: a weights file → ONNX (dynamic batch and width), optionally int8; a run's
``.ckpt`` → weights file; a weights file → fp16 weights file (``--half``).

The ONNX file carries the same metadata as the weights file (charset, model config,
preprocessing) as ``metadata_props``, so an onnxruntime reader needs nothing else.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import onnx
import torch

from krocr.checkpoint import load_weights, read_metadata, save_weights
from krocr.errors import CheckpointError

OPSET = 17


def export_onnx(weights: str | Path, out: str | Path, quantize_int8: bool = False) -> Path:
    """Export a krocr weights file to ONNX; with ``quantize_int8`` also apply onnxruntime's
    dynamic int8 quantisation (weights of MatMul/LSTM layers) to the written file."""
    bundle = load_weights(weights)
    model = bundle.model.float().eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.zeros(1, 1, bundle.preprocess.height, bundle.preprocess.width)
    # The TorchScript exporter handles LSTMs with dynamic axes without needing onnxscript.
    torch.onnx.export(
        model, (dummy,), str(out), dynamo=False, opset_version=OPSET,
        input_names=["images"], output_names=["logits"],
        dynamic_axes={"images": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "frames"}},
    )
    if quantize_int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = out.with_name(out.stem + ".fp32.onnx")
        out.replace(tmp)
        quantize_dynamic(str(tmp), str(out), weight_type=QuantType.QInt8)
        tmp.unlink()
    proto = onnx.load(str(out))
    for key, value in read_metadata(weights).items():
        proto.metadata_props.add(key=key, value=value)
    onnx.save(proto, str(out))
    return out


def read_onnx_metadata(path: str | Path) -> dict[str, str]:
    """The krocr metadata (charset, model config, preprocessing, info) of an exported ONNX file."""
    if not Path(path).is_file():
        raise CheckpointError(f"{path}: ONNX file not found")
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises several unrelated types for bad files
        raise CheckpointError(f"{path}: not an ONNX model ({exc})") from None
    meta = {p.key: p.value for p in proto.metadata_props}
    if "charset" not in meta:
        raise CheckpointError(f"{path}: ONNX file without krocr metadata; export it with `krocr export`")
    return meta


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="krocr .safetensors weights file, or a run's checkpoints/*.ckpt")
    parser.add_argument("--out", required=True,
                        help="output: .onnx (from .safetensors), or .safetensors (from a run's .ckpt, "
                             "or from .safetensors to store it in fp16 with --half)")
    parser.add_argument("--int8", action="store_true", help="dynamic int8 quantisation (smaller, slightly less accurate)")
    parser.add_argument("--half", action="store_true", help="fp16 tensors in a .safetensors output")


def convert_weights(weights: str | Path, out: str | Path, half: bool) -> Path:
    """Re-save a weights file (fp16 tensors with ``half``), metadata unchanged."""
    bundle = load_weights(weights)
    save_weights(out, bundle.model, bundle.charset, bundle.preprocess, bundle.info, half=half)
    return Path(out)


def run(args: argparse.Namespace) -> int:
    if Path(args.weights).suffix == ".safetensors" and Path(args.out).suffix == ".safetensors":
        out = convert_weights(args.weights, args.out, half=args.half)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        return 0
    if Path(args.weights).suffix == ".ckpt":
        if Path(args.out).suffix != ".safetensors":
            raise CheckpointError("a run checkpoint (.ckpt) exports to .safetensors; export that to ONNX next")
        from krocr.training import export_checkpoint  # Lightning only where it is needed

        out = export_checkpoint(args.weights, args.out, half=args.half)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        return 0
    out = export_onnx(args.weights, args.out, quantize_int8=args.int8)
    meta = read_onnx_metadata(out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, charset of "
          f"{len(json.loads(meta['charset'])['symbols'])} symbols)")
    return 0
