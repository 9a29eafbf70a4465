"""Focal CTC loss (Feng, Yao, Zhang 2019): per sequence L = α·(1−p)^γ·CTC, p = exp(−CTC).

γ > 0 down-weights sequences the model already reads well, so rare characters, which sit
in the badly read sequences, carry more of the gradient. α = 1, γ = 0 is plain CTC.

Labels that cannot be aligned (they need more frames than the output has: one per token
plus one blank between each pair of equal neighbours) would give an infinite CTC; they are
excluded from the batch mean and counted instead of poisoning the gradients with inf/NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from krocr.charset import BLANK_ID


@dataclass
class LossOutput:
    loss: torch.Tensor  # scalar: mean focal CTC over alignable samples (0 if none)
    per_sample: torch.Tensor  # (N,) focal CTC, 0 for unalignable samples
    unalignable: int  # samples excluded because the output is too short


def required_frames(targets: torch.Tensor, target_lengths: torch.Tensor) -> torch.Tensor:
    """Frames CTC needs per label: its length plus one per pair of equal neighbours."""
    lengths = target_lengths.tolist()
    out = torch.empty(len(lengths), dtype=torch.long)
    start = 0
    for i, n in enumerate(lengths):
        label = targets[start : start + n]
        repeats = int((label[1:] == label[:-1]).sum()) if n > 1 else 0
        out[i] = n + repeats
        start += n
    return out


class FocalCTCLoss(nn.Module):
    def __init__(self, alpha: float = 1.0, gamma: float = 0.0):
        super().__init__()
        if alpha <= 0 or gamma < 0:
            raise ValueError(f"focal CTC needs alpha > 0 and gamma ≥ 0, got alpha={alpha}, gamma={gamma}")
        self.alpha = alpha
        self.gamma = gamma

    def forward(
        self,
        logits: torch.Tensor,  # (N, T, C) raw classifier outputs
        targets: torch.Tensor,  # 1-D concatenated token ids (no blanks)
        target_lengths: torch.Tensor,  # (N,)
        input_lengths: torch.Tensor | None = None,  # (N,), default T for all
    ) -> LossOutput:
        n, t, _ = logits.shape
        if input_lengths is None:
            input_lengths = torch.full((n,), t, dtype=torch.long)
        log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)  # (T, N, C) in fp32
        alignable = required_frames(targets.cpu(), target_lengths.cpu()) <= input_lengths.cpu()
        ctc = F.ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            blank=BLANK_ID,
            reduction="none",
            zero_infinity=True,
        )
        ctc = torch.where(alignable.to(ctc.device), ctc, torch.zeros_like(ctc))
        if self.gamma == 0:
            focal = self.alpha * ctc
        else:
            # 1 − p = −expm1(−ctc), exact for small ctc; clamped so 0^(γ−1) never appears.
            miss = (-torch.expm1(-ctc)).clamp_min(1e-12)
            focal = self.alpha * miss.pow(self.gamma) * ctc
        count = int(alignable.sum())
        loss = focal.sum() / count if count else focal.sum() * 0.0
        return LossOutput(loss=loss, per_sample=focal, unalignable=n - count)
