"""Model speed on this machine: training samples/s of the reference and slim CRNNs in fp32
and bf16 (as a share of the measured matmul ceiling), and inference crops/s at batch 1 and
64 for PyTorch fp32, PyTorch bf16 and onnxruntime (fp32 and int8), plus model load time.
bf16 is timed only where the CPU computes it natively (``krocr.hardware``); the section is
kept per CPU model.
The slim CRNN is timed in both memory layouts, NCHW and channels-last (the CRNN's own since
2026-11-25), in the same run.

    python benchmarks/model_speed.py [--seconds 8]

Run it on an otherwise idle machine: two jobs at once slow each other about 3×.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_section

from krocr.charset import korean_charset
from krocr.hardware import cpu_supports_bf16
from krocr.inference.export import export_onnx
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.focal_ctc import FocalCTCLoss
from krocr.model.preprocess import PreprocessConfig
from krocr.model.weights import load_weights, save_weights


def timed(fn, seconds: float, warmup: int = 2) -> float:
    """Calls of ``fn`` per second over about ``seconds`` after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def figure(value: float, spec: str) -> str:
    """A table entry; '—' for a figure not measured (NaN)."""
    return "—" if math.isnan(value) else format(value, spec)


def matmul_ceiling(dtype: torch.dtype, seconds: float) -> float:
    a, b = torch.randn(2048, 2048, dtype=dtype), torch.randn(2048, 2048, dtype=dtype)
    return timed(lambda: a @ b, seconds) * 2 * 2048**3


def forward_flops(model: CRNN, width: int = 256) -> float:
    """FLOPs (2 × multiply-adds) of one forward pass for one crop."""
    macs = 0

    def conv_hook(m, i, o):
        nonlocal macs
        macs += o.numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, i, o):
        nonlocal macs
        macs += o.numel() * m.in_features

    def rnn_hook(m, i, o):
        nonlocal macs
        steps = i[0].shape[1]
        gates = 4 if isinstance(m, torch.nn.LSTM) else 3
        macs += 2 * steps * gates * m.hidden_size * (m.input_size + m.hidden_size)  # 2 directions

    hooks = []
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, torch.nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
        elif isinstance(m, (torch.nn.LSTM, torch.nn.GRU)):
            hooks.append(m.register_forward_hook(rnn_hook))
    with torch.no_grad():
        model(torch.zeros(1, 1, 32, width))
    for h in hooks:
        h.remove()
    return 2.0 * macs


def train_rate(model: CRNN, bf16: bool, seconds: float, width: int, batch: int = 64) -> float:
    model.train()
    images = torch.rand(batch, 1, 32, width) * 2 - 1  # the model brings it into its weights' layout
    lengths = torch.randint(3, 12, (batch,))
    targets = torch.randint(1, model.config.num_classes, (int(lengths.sum()),))
    loss_fn = FocalCTCLoss(0.75, 0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, eps=1e-3)

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else nullcontext():
            logits = model(images)
        loss = loss_fn(logits, targets, lengths).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    return timed(step, seconds) * batch


def infer_rate(run, batch: int, seconds: float, width: int) -> float:
    images = np.random.default_rng(0).uniform(-1, 1, (batch, 1, 32, width)).astype(np.float32)
    return timed(lambda: run(images), seconds, warmup=3) * batch


def onnx_session(path: Path):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per figure")
    args = parser.parse_args()
    torch.manual_seed(0)
    charset = korean_charset(tokenizer="jamo")
    # emulated bf16 is several times slower than fp32 (krocr.hardware): nobody should run it, so it is not timed
    native_bf16 = cpu_supports_bf16()
    ceiling = {
        "fp32": matmul_ceiling(torch.float32, args.seconds),
        "bf16": matmul_ceiling(torch.bfloat16, args.seconds) if native_bf16 else math.nan,
    }
    lines = [
        f"Matmul ceiling (2048², 2 threads): fp32 {ceiling['fp32'] / 1e9:.0f} GFLOP/s, "
        + (f"bf16 {ceiling['bf16'] / 1e9:.0f} GFLOP/s" if native_bf16 else "no native bf16 (not timed)")
        + f". Charset `korean-jamo` ({charset.num_classes} classes), input 32×256 unless the model column says, "
        "batch 64, Adam + focal CTC + clipping.",
        "",
        "| model | params | train fp32 samples/s | share of fp32 ceiling "
        "| train bf16 samples/s | share of bf16 ceiling |",
        "|---|---|---|---|---|---|",
    ]
    infer_rows = ["| model | engine | batch 1 crops/s (latency) | batch 64 crops/s |", "|---|---|---|---|"]
    load_rows = []
    for variant, layout, width in (
        ("reference", torch.channels_last, 256),
        ("slim", torch.contiguous_format, 256),
        ("slim", torch.channels_last, 256),
        ("slim", torch.channels_last, 128),
    ):
        config = CRNNConfig(num_classes=charset.num_classes, variant=variant)
        model = CRNN(config).to(memory_format=layout)
        size = f", 32×{width}" if width != 256 else ""
        label = variant + (" (channels-last)" if layout == torch.channels_last else " (NCHW)") + size
        flops = 3 * forward_flops(model, width)  # forward + backward ≈ 3 forward passes
        fp32 = train_rate(model, False, args.seconds, width)
        bf16 = train_rate(model, True, args.seconds, width) if native_bf16 else math.nan
        params = sum(p.numel() for p in model.parameters())
        lines.append(
            f"| {label} | {params / 1e6:.2f} M | {fp32:.0f} | {fp32 * flops / ceiling['fp32']:.0%} "
            f"| {figure(bf16, '.0f')} | {figure(bf16 * flops / ceiling['bf16'], '.0%')} |"
        )
        model.eval()

        def torch_run(x, bf16=False, model=model):  # the engines run within this iteration, on its model
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else nullcontext():
                return model(torch.from_numpy(x))

        engines = {"PyTorch fp32": torch_run}
        if native_bf16:
            engines["PyTorch bf16"] = lambda x: torch_run(x, bf16=True)
        # a loaded model is channels-last and ONNX has no layout: once per size and width
        if layout == torch.channels_last:
            with tempfile.TemporaryDirectory() as tmp:
                weights = Path(tmp) / "m.safetensors"
                save_weights(weights, model, charset, PreprocessConfig())
                start = time.perf_counter()
                load_weights(weights)
                if width == 256:
                    load_rows.append(f"{variant} {time.perf_counter() - start:.2f} s")
                fp32_session = onnx_session(export_onnx(weights, Path(tmp) / "m.onnx"))
                # int8 kernels run alike whatever the ranges: random crops calibrate it for timing
                crops = list(np.random.default_rng(0).uniform(-1, 1, (16, 1, 1, 32, width)).astype(np.float32))
                int8_session = onnx_session(export_onnx(weights, Path(tmp) / "q.onnx", int8_calibration=crops))
            engines["onnxruntime fp32"] = lambda x, session=fp32_session: session.run(None, {"images": x})
            engines["onnxruntime int8"] = lambda x, session=int8_session: session.run(None, {"images": x})
        for name, run in engines.items():
            one = infer_rate(run, 1, args.seconds / 2, width)
            many = infer_rate(run, 64, args.seconds / 2, width)
            infer_rows.append(
                f"| {variant + size if name.startswith('onnx') else label} | {name} "
                f"| {one:.0f} ({1000 / one:.1f} ms) | {many:.0f} |"
            )
    body = "\n".join(lines) + "\n\n### Inference\n\n" + "\n".join(infer_rows)
    body += "\n\nModel load (safetensors → eval-ready CRNN): " + ", ".join(load_rows) + "."
    write_section("model-speed", "Model speed: training and inference", body, per_machine=True)


if __name__ == "__main__":
    main()
