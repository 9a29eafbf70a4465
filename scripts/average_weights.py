"""Average recognizer weights files tensor by tensor (a uniform model soup) and save the result.

    python scripts/average_weights.py OUT.safetensors A.safetensors B.safetensors [...]

The files must share architecture, charset and preprocessing, as runs fine-tuned from the
same weights do (docs/experiments/2026-12-06-weight-soup.md). It is written in fp32
(`krocr export --half` halves it) and has no confidence calibration; fit one before reading
with it:

    krocr calibrate OUT.safetensors --data data/calib_heldout40 --method platt --out CALIBRATED.safetensors
"""

from __future__ import annotations

import argparse
from pathlib import Path

from krocr.errors import KrocrError
from krocr.model.weights import average_weights, save_weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the averaged weights file to write (.safetensors)")
    parser.add_argument("weights", nargs="+", help="two or more weights files (or shipped models' names)")
    args = parser.parse_args()
    try:
        bundle = average_weights(args.weights)
    except KrocrError as exc:
        raise SystemExit(f"error: {exc}") from None
    save_weights(args.out, bundle.model, bundle.charset, bundle.preprocess, bundle.info)
    print(f"wrote {args.out}: the average of {len(args.weights)} weights files")


if __name__ == "__main__":
    main()
