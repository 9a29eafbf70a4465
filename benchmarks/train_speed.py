"""Training speed of the recognizer variants: training samples/s on the CPU or, where one is
lent, a CUDA GPU (issue #28), with each variant's parameters and forward GFLOPs per crop.

Each variant is a config of ``benchmarks/learning_budget.py``'s ``VARIANTS``, built as a run
builds it (``krocr.training.builders``, ``RecognizerModule``). A timed step is what a training
step does: ``RecognizerModule.training_step`` (forward, focal CTC, and the attention guide's
loss where the variant has one), backward, gradient clipping at ``optim.clip_norm``, the Adam
step and the learning-rate schedule's, at batch 64 of random 1×H×256 crops (H the variant's
input height) with random labels of 8–20 tokens; data loading is not timed (the batch stays on
the device). bf16 autocast where the device computes bf16 natively (``precision: auto``),
fp32 otherwise. The GFLOPs are the network's forward pass for one crop, counted by
``torch.utils.flop_counter`` (the guide, training only, is not in them).

    python benchmarks/train_speed.py [--device cpu|cuda] [--seconds 8] [--batch 64] \\
        [--variants ko-crnn ko-svtr ...] [--write]

``--write`` stores the table in docs/benchmarks.md, one section per CPU model (CPU) or per GPU
model (CUDA). Run it on an otherwise idle machine: two jobs at once slow each other about 3×.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish
from learning_budget import VARIANTS

from krocr.config import ExperimentConfig, load_config
from krocr.data.dataset import Batch
from krocr.hardware import bf16_is_native
from krocr.training.builders import build_charset, build_model, prepare_weights
from krocr.training.system import RecognizerModule

ROOT = Path(__file__).resolve().parent.parent
BASE_CONFIG = ROOT / "configs" / "budget_ko.yaml"  # learning_budget's default --config
DEFAULT_VARIANTS = ("ko-crnn", "ko-crnn-48", "ko-svtr-32", "ko-svtr", "ko-svtr-32-gtc")
WIDTH = 256
LABEL_LENGTHS = (8, 20)  # tokens per label, inclusive: a jamo-tokenized signboard word or two
WARMUP_STEPS = 3


@dataclass(frozen=True)
class SpeedRow:
    variant: str
    height: int
    params: int  # the network's
    guide_params: int  # the training-only attention guide's; 0 without one
    gflops: float  # forward, one crop of height × WIDTH
    precision: str  # "bf16" or "fp32"
    samples_per_second: float


def variant_config(name: str) -> ExperimentConfig:
    """The variant's experiment config, as learning_budget.py loads it, with a schedule horizon
    (``optim.total_steps``) so the optimizer is built without a Trainer."""
    variant = VARIANTS[name]
    path = ROOT / variant.config if variant.config else BASE_CONFIG
    return load_config(path, [*variant.overrides, "optim.total_steps=1000000"])


def build_module(config: ExperimentConfig) -> RecognizerModule:
    """The training system a run of ``config`` fits: network (pretrained weights loaded, layers
    frozen as configured), charset, loss, optimizer options and guide."""
    charset = build_charset(config.charset)
    model = build_model(config.model, charset)
    prepare_weights(model, config.transfer, charset)
    return RecognizerModule(model, charset, config.loss, config.optim, config.guide)


def forward_gflops(network: torch.nn.Module, height: int, width: int = WIDTH) -> float:
    """GFLOPs of ``network``'s forward pass for one ``height`` × ``width`` crop (on the CPU, in fp32)."""
    network.eval()
    counter = FlopCounterMode(display=False)
    # oneDNN's fused LSTM and the CPU's fused attention are single ops the counter has no
    # formula for: without oneDNN and with the math attention they run as the matmuls they are
    # made of, and those are counted (the convolutions are either way)
    with warnings.catch_warnings(), torch.no_grad(), sdpa_kernel(SDPBackend.MATH):
        warnings.simplefilter("ignore")  # setting the oneDNN flags warns about Intel GPUs' TF32
        with torch.backends.mkldnn.flags(enabled=False), counter:
            network(torch.zeros(1, 1, height, width))
    return counter.get_total_flops() / 1e9


def random_batch(size: int, height: int, num_classes: int, device: torch.device, width: int = WIDTH) -> Batch:
    """A batch as the data module gives it: images in [-1, 1], labels of 8–20 token ids (no blank) concatenated."""
    lengths = torch.randint(LABEL_LENGTHS[0], LABEL_LENGTHS[1] + 1, (size,))
    return Batch(
        images=(torch.rand(size, 1, height, width) * 2 - 1).to(device),
        targets=torch.randint(1, num_classes, (int(lengths.sum()),)).to(device),
        target_lengths=lengths.to(device),
        texts=[""] * size,
    )


def autocast(device: torch.device, bf16: bool) -> AbstractContextManager:
    """Lightning's ``bf16-mixed`` around the training step, or nothing for fp32."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_rate(module: RecognizerModule, batch: Batch, device: torch.device, bf16: bool, seconds: float) -> float:
    """Training samples/s of ``module`` on ``batch`` over about ``seconds`` after a warm-up;
    the device is synchronized only at the ends of the timed window."""
    module.train()
    config = module.configure_optimizers()
    optimizer, scheduler = config["optimizer"], config["lr_scheduler"]["scheduler"]
    trainable = [p for group in optimizer.param_groups for p in group["params"]]
    clip = module.optim.clip_norm

    def step() -> None:  # Lightning's automatic optimization: step, backward, clip, optimizer, scheduler
        with autocast(device, bf16):
            loss = module.training_step(batch, 0)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(trainable, clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        scheduler.step()

    with warnings.catch_warnings():
        # training_step logs through its Trainer, and a bare module has none: nothing to log here
        warnings.filterwarnings("ignore", message=".*self.log.*self.trainer.*")
        for _ in range(WARMUP_STEPS):
            step()
        synchronize(device)
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            step()
            steps += 1
        synchronize(device)
        return steps * len(batch) / (time.perf_counter() - start)


def measure(name: str, device: torch.device, batch_size: int, seconds: float) -> SpeedRow:
    torch.manual_seed(0)
    config = variant_config(name)
    module = build_module(config)
    height = config.model.height
    gflops = forward_gflops(module.model, height)  # before the move: counted on the CPU in fp32
    module.to(device)
    bf16 = bf16_is_native(device)
    batch = random_batch(batch_size, height, module.charset.num_classes, device)
    rate = train_rate(module, batch, device, bf16, seconds)
    guide_params = sum(p.numel() for p in module.guide.parameters()) if module.guide is not None else 0
    return SpeedRow(
        name,
        height,
        sum(p.numel() for p in module.model.parameters()),
        guide_params,
        gflops,
        "bf16" if bf16 else "fp32",
        rate,
    )


def table(rows: list[SpeedRow], threads: int | None) -> str:
    """The markdown table; ``threads`` (CPU runs) adds a column."""
    extra = (" threads |", "---|") if threads is not None else ("", "")
    lines = [
        "| variant | input | params | GFLOPs/crop | precision | train samples/s |" + extra[0],
        "|---|---|---|---|---|---|" + extra[1],
    ]
    for r in rows:
        params = f"{r.params / 1e6:.2f} M" + (f" (+ guide {r.guide_params / 1e6:.2f} M)" if r.guide_params else "")
        lines.append(
            f"| {r.variant} | {r.height}×{WIDTH} | {params} | {r.gflops:.2f} | {r.precision} "
            f"| {r.samples_per_second:.0f} |" + (f" {threads} |" if threads is not None else "")
        )
    return "\n".join(lines)


def slug(text: str) -> str:
    """``NVIDIA H100 80GB HBM3`` → ``nvidia-h100-80gb-hbm3``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per variant")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--variants", nargs="+", default=list(DEFAULT_VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--write", action="store_true", help="store the table in docs/benchmarks.md")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda: no CUDA device is available here", file=sys.stderr)
        sys.exit(2)
    device = torch.device(args.device)
    rows = [measure(name, device, args.batch, args.seconds) for name in args.variants]
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    body = (
        f"Batch {args.batch}, random crops and labels of {LABEL_LENGTHS[0]}–{LABEL_LENGTHS[1]} tokens, "
        "each variant's config as benchmarks/learning_budget.py's VARIANTS has it: "
        "`RecognizerModule.training_step` + backward + clipping + Adam; data loading not timed. "
        "GFLOPs: the network's forward pass for one crop.\n\n" + table(rows, None if gpu else torch.get_num_threads())
    )
    if gpu:
        body = f"On {gpu}. {body}"
        publish(f"train-speed-cuda-{slug(gpu)}", f"Training speed on {gpu}", body, args.write)  # keyed by the GPU
    else:
        publish("train-speed", "Training speed", body, args.write, per_machine=True)


if __name__ == "__main__":
    main()
