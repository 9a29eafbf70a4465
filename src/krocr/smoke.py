"""``krocr smoke``: an install check that builds the CRNN, trains a few steps on one
rendered word and decodes, printing shapes, loss and speed."""

from __future__ import annotations

import argparse
import time

import torch

from krocr.charset import alphabet87
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.decoding import greedy_decode
from krocr.model.focal_ctc import FocalCTCLoss


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--variant", choices=["reference", "slim"], default="slim")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    torch.manual_seed(args.seed)
    charset = alphabet87()
    model = CRNN(CRNNConfig(num_classes=charset.num_classes, variant=args.variant))
    images = torch.rand(4, 1, 32, 256) * 2 - 1
    words = ["krocr", "CRNN", "focal", "CTC"]
    targets = torch.tensor([i for w in words for i in charset.encode(w)])
    lengths = torch.tensor([len(w) for w in words])
    loss_fn = FocalCTCLoss(alpha=0.75, gamma=0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for step in range(args.steps):
        out = loss_fn(model(images), targets, lengths)
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
        if step % 10 == 0 or step == args.steps - 1:
            print(f"step {step:3d}  focal CTC {out.loss.item():.3f}")
    elapsed = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        decoded = greedy_decode(model(images), charset)
    params = sum(p.numel() for p in model.parameters())
    print(f"{args.variant} CRNN, {params:,} parameters, {args.steps * len(words) / elapsed:.0f} samples/s")
    for word, d in zip(words, decoded):
        print(f"  {word!r:10} → {d.text!r} (confidence {d.confidence:.2f})")
    return 0
