"""``krocr smoke``: an install check that builds the CRNN, trains a few steps and decodes,
printing the loss, the speed and what it read."""

from __future__ import annotations

import argparse

from krocr.model.smoke import smoke_check


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--variant", choices=["reference", "slim"], default="slim")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    result = smoke_check(args.variant, args.steps, args.seed)
    for step, loss in enumerate(result.losses):
        if step % 10 == 0 or step == len(result.losses) - 1:
            print(f"step {step:3d}  focal CTC {loss:.3f}")
    print(f"{args.variant} CRNN, {result.parameters:,} parameters, {result.samples_per_second:.0f} samples/s")
    for word, decoded in result.decoded:
        print(f"  {word!r:10} → {decoded.text!r} (confidence {decoded.confidence:.2f})")
    return 0
