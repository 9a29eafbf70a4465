"""An SVTR-LCNet-style CTC recognizer: the modern small model beside the CRNN (issue #28).

A light depthwise-separable CNN (PP-LCNet-like, hard-swish) halves the height four times and
the width twice, then averages the height away: an input of (N, 1, H, W) becomes a sequence
of W/4 frames. A neck of global self-attention (transformer) blocks mixes the whole line —
attention runs only on that 1-D sequence, after pooling, which PaddleOCR measured 4× faster
on a CPU than attention on the 2-D map — and a linear head gives CTC logits, class 0 blank.
A depthwise 1×3 convolution before the attention gives it a sense of position (no learned
position table, so any width reads).

Layer names (``stem``, ``stage2`` … ``stage4``, ``neck``, ``head``) are what freeze lists
and transfer use, as ``conv1_1`` … ``dense1`` are for the CRNN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from krocr.model.config import SVTRConfig


class _ConvBNAct(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int | tuple[int, int], groups: int = 1):
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
            nn.Hardswish(inplace=True),
        )


class _DepthwiseSeparable(nn.Sequential):
    """A 3×3 depthwise convolution (carrying the stride) and a 1×1 pointwise one."""

    def __init__(self, c_in: int, c_out: int, stride: int | tuple[int, int]):
        super().__init__(_ConvBNAct(c_in, c_in, 3, stride, groups=c_in), _ConvBNAct(c_in, c_out, 1, 1))


def _stage(c_in: int, c_out: int, blocks: int, stride: tuple[int, int]) -> nn.Sequential:
    layers = [_DepthwiseSeparable(c_in, c_out, stride)]
    layers += [_DepthwiseSeparable(c_out, c_out, 1) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class _AttentionBlock(nn.Module):
    """A pre-norm transformer block: global multi-head self-attention, then a 2× GELU MLP.
    Written with shape-agnostic reshapes so the ONNX export keeps batch and length dynamic
    (torch's fused MultiheadAttention path traces them as constants). No dropout on the
    attention weights: with it, CPU attention falls back to the path that materialises every
    T×T matrix (a 2,048-px batch trained 2× slower); dropout stays in the MLP."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim), nn.Dropout(dropout)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(self.norm1(x)).unflatten(-1, (3, self.heads, -1)).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v)
        x = x + self.proj(attended.transpose(1, 2).flatten(2))
        return x + self.mlp(self.norm2(x))


class _Neck(nn.Module):
    """Channels → ``dim``, a depthwise 1×3 positional mix, then ``depth`` transformer blocks."""

    def __init__(self, c_in: int, config: SVTRConfig):
        super().__init__()
        self.project = nn.Linear(c_in, config.dim)
        self.position = nn.Conv1d(config.dim, config.dim, 3, padding=1, groups=config.dim)
        self.blocks = nn.Sequential(
            *(_AttentionBlock(config.dim, config.heads, config.dropout) for _ in range(config.depth))
        )
        self.norm = nn.LayerNorm(config.dim)

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        x = self.project(sequence)  # (N, T, dim)
        x = x + self.position(x.transpose(1, 2)).transpose(1, 2)
        return self.norm(self.blocks(x))


class SVTR(nn.Module):
    """Input (N, 1, H, W) in [-1, 1], H = ``config.input_height`` → logits (N, ⌈W/4⌉, num_classes)."""

    def __init__(self, config: SVTRConfig):
        super().__init__()
        self.config = config
        c1, c2, c3, c4 = config.channels
        b2, b3, b4 = config.blocks
        self.stem = _ConvBNAct(1, c1, 3, 2)  # H/2, W/2
        self.stage2 = _stage(c1, c2, b2, (2, 2))  # H/4, W/4
        self.stage3 = _stage(c2, c3, b3, (2, 1))  # H/8
        self.stage4 = _stage(c3, c4, b4, (2, 1))  # H/16: 2, 3 or 4 rows, averaged below
        self.neck = _Neck(c4, config)
        self.head = nn.Linear(config.dim, config.num_classes)
        # channels-last (NHWC): oneDNN's depthwise and pointwise convolutions run ~15-20 % faster
        # in training on a 2-core CPU (bf16 and fp32, 2026-12-04); forward brings inputs into it
        self.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The backbone's output as a sequence (N, W/4, channels[3]): what the neck reads, and
        what a training-only attention guide (:mod:`krocr.model.guide`) attends to."""
        height = self.config.input_height
        if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != height:
            raise ValueError(f"SVTR expects images of shape (N, 1, {height}, W), got {tuple(images.shape)}")
        x = images.contiguous(memory_format=torch.channels_last)
        x = self.stage4(self.stage3(self.stage2(self.stem(x))))
        return x.mean(dim=2).transpose(1, 2)

    def read(self, features: torch.Tensor) -> torch.Tensor:
        """CTC logits (N, T, num_classes) from :meth:`features`' sequence."""
        return self.head(self.neck(features))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.read(self.features(images))

    def named_layers(self) -> list[str]:
        """Top-level layer names usable in freeze lists."""
        return [name for name, _ in self.named_children()]
