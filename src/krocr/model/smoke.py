"""An install check: build a CRNN, train it a few steps on random input with focal CTC and
decode, so a new machine shows that torch, the model and the loss work together."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from krocr.charset import alphabet87
from krocr.model.config import Variant
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.decoding import Decoded, greedy_decode
from krocr.model.focal_ctc import FocalCTCLoss

WORDS = ("krocr", "CRNN", "focal", "CTC")


@dataclass(frozen=True)
class SmokeResult:
    losses: list[float]  # focal CTC at each step
    parameters: int
    samples_per_second: float
    decoded: list[tuple[str, Decoded]]  # (the word trained on, what the model read)


def smoke_check(variant: Variant = "slim", steps: int = 30, seed: int = 0) -> SmokeResult:
    """Train a fresh CRNN for ``steps`` steps on four random images labelled :data:`WORDS`.

    Args:
        variant: "slim" or "reference" CRNN.
        steps: optimiser steps.
        seed: torch seed for the weights and the images.

    Returns:
        The loss at every step, the parameter count, the training pace and the decoded words.
    """
    torch.manual_seed(seed)
    charset = alphabet87()
    model = CRNN(CRNNConfig(num_classes=charset.num_classes, variant=variant))
    images = torch.rand(len(WORDS), 1, 32, 256) * 2 - 1
    targets = torch.tensor([i for w in WORDS for i in charset.encode(w)])
    lengths = torch.tensor([len(w) for w in WORDS])
    loss_fn = FocalCTCLoss(alpha=0.75, gamma=0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        out = loss_fn(model(images), targets, lengths)
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
        losses.append(out.loss.item())
    elapsed = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        decoded = greedy_decode(model(images), charset)
    return SmokeResult(
        losses, sum(p.numel() for p in model.parameters()), steps * len(WORDS) / elapsed, list(zip(WORDS, decoded))
    )
