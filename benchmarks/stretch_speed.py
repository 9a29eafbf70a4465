"""Crop reading speed with and without the condensed stretch (each crop also read stretched
to twice its width), greedy and with the language model, side by side in one run.

    python benchmarks/stretch_speed.py ../shared/data/real-dev [--limit N] [--repeats 2] [--write-doc]

The shipped Korean model reads every crop of DATA (as `krocr eval` reads it) in batches, as
`Recognizer.read` does, once per setting and repeat, the settings taking turns; the table
keeps each setting's fastest repeat. Speed only: accuracy is `krocr eval`'s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish

from krocr.data.eval_sets import open_eval_set
from krocr.inference.recognizer import Recognizer, load_input

SETTINGS = {
    "greedy (`--lm none`), as is (`--no-stretch`)": {"language_model": None, "stretch_condensed": False},
    "greedy (`--lm none`), stretched too": {"language_model": None, "stretch_condensed": True},
    "language model, as is (`--no-stretch`)": {"stretch_condensed": False},
    "language model, stretched too (the default)": {"stretch_condensed": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="an evaluation set, as krocr eval reads it")
    parser.add_argument("--limit", type=int, default=None, help="only the first N crops")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--write-doc", action="store_true", help="replace this machine's section of docs/benchmarks.md")
    args = parser.parse_args()

    eval_set = open_eval_set(args.data)
    crops = [load_input(eval_set.load(i)) for i in range(len(eval_set.samples[: args.limit]))]
    readers = {label: Recognizer("ko", **kwargs) for label, kwargs in SETTINGS.items()}
    for reader in readers.values():  # warm: sessions, caches of the language model
        reader.read(crops[:8])
    best = dict.fromkeys(readers, float("inf"))
    for _ in range(args.repeats):
        for label, reader in readers.items():
            start = time.perf_counter()
            reader.read(crops)
            best[label] = min(best[label], time.perf_counter() - start)
    base = best[next(iter(best))]
    lines = ["| setting | crops/s | time vs the first |", "|---|---:|---:|"]
    lines += [f"| {label} | {len(crops) / s:,.0f} | {s / base:.2f}× |" for label, s in best.items()]
    body = (
        f"Data `{args.data}`: {len(crops)} crops, read in batches of 64 (`Recognizer.read`), the fastest "
        f"of {args.repeats} repeats each, the settings taking turns.\n\n" + "\n".join(lines)
    )
    publish("stretch-speed", "Crop reading speed: the condensed stretch", body, args.write_doc, per_machine=True)


if __name__ == "__main__":
    main()
