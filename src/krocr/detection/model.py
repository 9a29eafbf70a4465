"""``DBNet``: a differentiable-binarization text detector (Liao et al., AAAI 2020) on a light
backbone, as a plain ``nn.Module``.

* **Backbone**: PP-LCNet-like — a 3×3 stem at 1/2, then four stages of depthwise-separable
  blocks (depthwise k×k carrying the stride, pointwise 1×1, batch norm, hard-swish: the
  blocks of :mod:`krocr.model.svtr`) at 1/4, 1/8, 1/16 and 1/32; the last two stages use
  5×5 depthwise kernels, which widen the view for large letters at little cost.
* **Neck**: an FPN — each stage to ``neck`` channels (1×1), summed top-down with 2×
  nearest upsampling, each level smoothed (3×3) to ``neck / 4`` channels, upsampled to 1/4
  and concatenated.
* **Head**: two branches (3×3 conv, then two 2× transposed convs) give the probability map
  P and the threshold map T at the input size; the approximate binary map is
  B = 1 / (1 + exp(-k (P - T))).

In training, ``forward`` returns (N, 3, H, W): P, T and B; in eval mode (and in the ONNX
export) only P, (N, 1, H, W). H and W must be multiples of 32.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from krocr.detection.config import STRIDE, DetectorConfig
from krocr.model.svtr import _ConvBNAct


class _Separable(nn.Sequential):
    """A k×k depthwise convolution (carrying the stride), then a 1×1 pointwise one."""

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int):
        super().__init__(_ConvBNAct(c_in, c_in, kernel, stride, groups=c_in), _ConvBNAct(c_in, c_out, 1, 1))


def _stage(c_in: int, c_out: int, blocks: int, kernel: int) -> nn.Sequential:
    layers = [_Separable(c_in, c_out, 2, kernel)]
    layers += [_Separable(c_out, c_out, 1, kernel) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class _FPN(nn.Module):
    """Four backbone levels (1/4 … 1/32) → one map of ``channels`` at 1/4."""

    def __init__(self, levels: tuple[int, int, int, int], channels: int):
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, channels, 1, bias=False) for c in levels)
        self.smooth = nn.ModuleList(nn.Conv2d(channels, channels // 4, 3, padding=1, bias=False) for _ in levels)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        lateral = [conv(x) for conv, x in zip(self.lateral, features)]
        merged = [lateral[-1]]
        for x in reversed(lateral[:-1]):  # top-down: 1/16, 1/8, 1/4
            merged.insert(0, x + F.interpolate(merged[0], scale_factor=2.0, mode="nearest"))
        smoothed = [conv(x) for conv, x in zip(self.smooth, merged)]
        up = [smoothed[0]] + [
            F.interpolate(x, scale_factor=float(2 ** (i + 1)), mode="nearest") for i, x in enumerate(smoothed[1:])
        ]
        return torch.cat(up[::-1], dim=1)  # coarsest first, as DBNet concatenates


class _Branch(nn.Sequential):
    """1/4-resolution features → one map of logits at the input size."""

    def __init__(self, channels: int):
        quarter = channels // 4
        super().__init__(
            nn.Conv2d(channels, quarter, 3, padding=1, bias=False),
            nn.BatchNorm2d(quarter),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(quarter, quarter, 2, 2),
            nn.BatchNorm2d(quarter),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(quarter, 1, 2, 2),
        )


class DBNet(nn.Module):
    """Input (N, 3, H, W) normalised RGB (:func:`normalize`), H and W multiples of 32."""

    def __init__(self, config: DetectorConfig):
        super().__init__()
        self.config = config
        c0, c1, c2, c3, c4 = config.channels
        b1, b2, b3, b4 = config.blocks
        large = config.large_kernel
        self.stem = _ConvBNAct(3, c0, 3, 2)  # 1/2
        self.stage1 = _stage(c0, c1, b1, 3)  # 1/4
        self.stage2 = _stage(c1, c2, b2, 3)  # 1/8
        self.stage3 = _stage(c2, c3, b3, large)  # 1/16
        self.stage4 = _stage(c3, c4, b4, large)  # 1/32
        self.neck = _FPN((c1, c2, c3, c4), config.neck)
        self.probability = _Branch(config.neck)
        self.threshold = _Branch(config.neck)
        self._init_weights()
        # channels-last (NHWC): oneDNN's depthwise and pointwise convolutions are faster in it
        self.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # a prior of 1 % text (as RetinaNet's classifier): the map starts dark, so background
        # is below any threshold from the first step and the loss teaches the words
        last = self.probability[-1]
        assert isinstance(last, nn.ConvTranspose2d) and last.bias is not None
        nn.init.constant_(last.bias, -math.log(99.0))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The fused FPN map (N, neck, H/4, W/4)."""
        x = self.stem(images.contiguous(memory_format=torch.channels_last))
        levels = []
        for stage in (self.stage1, self.stage2, self.stage3, self.stage4):
            x = stage(x)
            levels.append(x)
        return self.neck(levels)

    def maps(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W): probability P, threshold T and approximate binary map B, whatever the mode."""
        _check_input(images)
        fused = self.features(images)
        # sigmoids in float32 even under bf16 autocast: k (P − T) magnifies rounding 50×
        probability = torch.sigmoid(self.probability(fused).float())
        threshold = torch.sigmoid(self.threshold(fused).float())
        binary = torch.sigmoid(self.config.k * (probability - threshold))
        return torch.cat([probability, threshold, binary], dim=1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Training: :meth:`maps`; eval and export: the probability map (N, 1, H, W) alone."""
        if self.training:
            return self.maps(images)
        _check_input(images)
        return torch.sigmoid(self.probability(self.features(images)).float())

    def named_layers(self) -> list[str]:
        """Top-level layer names (``stem``, ``stage1`` … ``stage4``, ``neck``, ``probability``, ``threshold``)."""
        return [name for name, _ in self.named_children()]


def _check_input(images: torch.Tensor) -> None:
    if torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
        return  # shapes are symbolic there
    if images.ndim != 4 or images.shape[1] != 3 or images.shape[2] % STRIDE or images.shape[3] % STRIDE:
        raise ValueError(
            f"DBNet expects images of shape (N, 3, H, W) with H and W multiples of {STRIDE}, got {tuple(images.shape)}"
        )


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
