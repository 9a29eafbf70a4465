"""What the machine can do fast: the CPU model and whether bf16 arithmetic is native.

bf16 autocast is 2–3× faster than fp32 on a CPU with AVX-512 BF16 or AMX, and several times
slower where it is emulated (an AVX2-only AMD EPYC read 9 crops/s in bf16 against 60 in fp32,
docs/training.md). Training's ``precision: auto``, ``krocr read --precision`` and the speed
benchmarks ask here.
"""

from __future__ import annotations

import platform
import warnings
from pathlib import Path

import torch

CPUINFO = Path("/proc/cpuinfo")


def _cpuinfo_field(name: str, cpuinfo: str | Path) -> str | None:
    """The first ``name : value`` of ``/proc/cpuinfo`` (None where the file or field is missing)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return None
    return next(
        (line.split(":", 1)[1].strip() for line in text.splitlines() if line.split(":", 1)[0].strip() == name), None
    )


def cpu_model(cpuinfo: str | Path = CPUINFO) -> str:
    """The CPU's model name (``Intel(R) Xeon(R) Processor``, ``AMD EPYC``)."""
    return _cpuinfo_field("model name", cpuinfo) or platform.processor() or platform.machine()


def _cpu_flags(cpuinfo: str | Path) -> set[str]:
    return set((_cpuinfo_field("flags", cpuinfo) or "").split())


def cpu_isa(cpuinfo: str | Path = CPUINFO) -> str:
    """The widest vector/matrix extension that decides CRNN speed here: ``AMX``, ``AVX-512 BF16``,
    ``AVX-512``, ``AVX2`` or ``""``. Two machines can share a model name (``AMD EPYC``) and
    differ 10× in bf16 training speed, so speed figures are kept per model name and ISA."""
    flags = _cpu_flags(cpuinfo)
    for isa, flag in (("AMX", "amx_bf16"), ("AVX-512 BF16", "avx512_bf16"), ("AVX-512", "avx512f"), ("AVX2", "avx2")):
        if flag in flags:
            return isa
    return ""


def cpu_description(cpuinfo: str | Path = CPUINFO) -> str:
    """The CPU's model name with its ISA: ``AMD EPYC (AVX-512 BF16)``."""
    model, isa = cpu_model(cpuinfo), cpu_isa(cpuinfo)
    return f"{model} ({isa})" if isa else model


def cpu_supports_bf16(cpuinfo: str | Path = CPUINFO) -> bool:
    """Whether the CPU has native bf16 arithmetic (AVX-512 BF16 or AMX)."""
    return bool({"avx512_bf16", "amx_bf16"} & _cpu_flags(cpuinfo))


def bf16_is_native(device: str | torch.device = "cpu") -> bool:
    """Whether ``device`` computes bf16 natively (CUDA: the GPU's answer; CPU: its flags)."""
    if torch.device(device).type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    return cpu_supports_bf16()


def warn_if_bf16_is_emulated(device: str | torch.device, what: str, stacklevel: int = 2) -> None:
    """A warning, not an error: bf16 still computes the same thing, only slowly.
    ``stacklevel`` counts from the caller of this function, as in :func:`warnings.warn`."""
    if not bf16_is_native(device):
        warnings.warn(
            f"{what}: bf16 was asked for, but this {torch.device(device).type} has no native bf16 "
            f"({cpu_model() if torch.device(device).type == 'cpu' else 'GPU'}); it is emulated and "
            "several times slower than fp32 here — use fp32",
            stacklevel=stacklevel + 1,
        )
