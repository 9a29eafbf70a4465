"""``DBLoss``: DBNet's loss, L = α·L_prob + β·L_threshold + γ·L_binary, over a whole batch
at once (no loop over its images).

* **L_prob**: binary cross-entropy on the probability map with online hard-negative
  mining: per image, every positive pixel (inside a shrunk word, under the shrink mask)
  and the ``ohem_ratio``× as many hardest negatives, at least ``min_negatives`` (an image
  without text still teaches the model to stay quiet), summed over the batch and divided
  by the number of pixels chosen.
* **L_threshold**: L1 between the predicted and target threshold maps inside the grown polygons.
* **L_binary**: dice loss on the approximate binary map under the shrink mask.

α = 1, β = 10, γ = 1 as in the paper. The loss is computed in float32 whatever the
autocast (BCE on probabilities is unsafe in bf16), with probabilities clamped away from 0
and 1 so the logarithms stay finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

_EPS = 1e-6


@dataclass(frozen=True)
class DBLossParts:
    total: torch.Tensor
    probability: torch.Tensor
    threshold: torch.Tensor
    binary: torch.Tensor


class DBLoss(nn.Module):
    def __init__(
        self,
        alpha: float = 1.0,
        beta: float = 10.0,
        gamma: float = 1.0,
        ohem_ratio: float = 3.0,
        min_negatives: int = 1000,
    ):
        super().__init__()
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.ohem_ratio = ohem_ratio
        self.min_negatives = min_negatives

    def forward(
        self,
        maps: torch.Tensor,
        shrink_map: torch.Tensor,
        shrink_mask: torch.Tensor,
        threshold_map: torch.Tensor,
        threshold_mask: torch.Tensor,
    ) -> DBLossParts:
        """``maps`` (N, 3, H, W): P, T, B as :meth:`DBNet.maps` returns; targets (N, H, W)."""
        maps = maps.float()
        probability, threshold, binary = maps[:, 0], maps[:, 1], maps[:, 2]
        prob_loss = balanced_bce(probability, shrink_map, shrink_mask, self.ohem_ratio, self.min_negatives)
        thresh_loss = masked_l1(threshold, threshold_map, threshold_mask)
        binary_loss = dice_loss(binary, shrink_map, shrink_mask)
        total = self.alpha * prob_loss + self.beta * thresh_loss + self.gamma * binary_loss
        return DBLossParts(total, prob_loss, thresh_loss, binary_loss)


def balanced_bce(
    probability: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, ratio: float = 3.0, min_negatives: int = 1000
) -> torch.Tensor:
    """BCE over all positives and, per image, the ``ratio``× as many hardest negatives (at
    least ``min_negatives``, at most all of them): (N, H, W) inputs → a scalar."""
    p = probability.float().clamp(_EPS, 1 - _EPS).flatten(1)
    gt = target.float().flatten(1)
    counted = mask.float().flatten(1)
    loss = -(gt * torch.log(p) + (1 - gt) * torch.log1p(-p))
    positive = gt * counted
    negative = (1 - gt) * counted
    n_pos = positive.sum(dim=1)
    n_neg_available = negative.sum(dim=1)
    n_neg = torch.minimum(n_neg_available, torch.clamp(n_pos * ratio, min=float(min_negatives)))
    # the hardest negatives of each image: sort its negative losses, keep the first n_neg
    negative_losses = (loss * negative).masked_fill(negative == 0, -1.0)
    ranked, _ = torch.sort(negative_losses, dim=1, descending=True)
    rank = torch.arange(ranked.shape[1], device=ranked.device).expand_as(ranked)
    hardest = (ranked * (rank < n_neg[:, None])).clamp(min=0).sum()
    return ((loss * positive).sum() + hardest) / (n_pos.sum() + n_neg.sum() + _EPS)


def masked_l1(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mask = mask.float()
    return ((prediction.float() - target.float()).abs() * mask).sum() / (mask.sum() + _EPS)


def dice_loss(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    prediction, target, mask = prediction.float(), target.float(), mask.float()
    intersection = (prediction * target * mask).sum()
    union = (prediction * mask).sum() + (target * mask).sum() + _EPS
    return 1 - 2 * intersection / union
