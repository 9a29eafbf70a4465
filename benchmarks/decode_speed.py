"""Decoding speed: greedy, beam search, and beam search weighed by the shipped language model
(`--lm ko`), on the same logits, so the table shows what decoding adds to the recognizer.

    python benchmarks/decode_speed.py ../shared/data/real-dev [--limit N] [--write-doc]

The shipped Korean model reads every crop of DATA (a dataset directory, an .lmdb or a label
file, as `krocr eval` reads it) once; each decoder then decodes the same logits one crop per
call, as `krocr read` does. The language model is timed twice: from a fresh load (its caches
empty, as in a new process) and again (caches warm, as in a long-running reader). The
recognizer's own time is not in the table (see the model-speed section).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish

from krocr.data.eval_sets import open_eval_set
from krocr.inference.recognizer import Recognizer


def timed(recognizer: Recognizer, logits: list[np.ndarray]) -> tuple[float, list[str]]:
    """Seconds to decode every crop (one call each) and the texts read."""
    start = time.perf_counter()
    texts = [recognizer.decode(row[None])[0].text for row in logits]
    return time.perf_counter() - start, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="an evaluation set, as krocr eval reads it")
    parser.add_argument("--limit", type=int, default=None, help="only the first N crops")
    parser.add_argument("--write-doc", action="store_true", help="replace this machine's section of docs/benchmarks.md")
    args = parser.parse_args()

    eval_set = open_eval_set(args.data)
    samples = eval_set.samples[: args.limit]
    truths = [sample.truth for sample in samples]
    greedy = Recognizer("ko", language_model=None)
    logits = greedy.crop_logits([greedy.prepare(eval_set.load(i)) for i in range(len(samples))])
    started = time.perf_counter()
    fused = Recognizer("ko", language_model="ko")
    load_seconds = time.perf_counter() - started
    rows = [
        ("greedy", greedy),
        ("beam search, width 10", Recognizer("ko", language_model=None, decoder="beam")),
        ("beam + `--lm ko`, fresh caches", fused),
        ("beam + `--lm ko`, caches warm", fused),
    ]
    lines = [
        "| decoder | ms per crop | crops/s | words read |",
        "|---|---:|---:|---:|",
    ]
    for label, recognizer in rows:
        seconds, texts = timed(recognizer, logits)
        read = sum(text == truth for text, truth in zip(texts, truths)) / len(truths)
        lines.append(f"| {label} | {1000 * seconds / len(logits):.2f} | {len(logits) / seconds:,.0f} | {read:.1%} |")
    body = (
        f"Data `{args.data}`: {len(logits)} crops, {np.mean([row.shape[0] for row in logits]):.0f} frames on "
        f"average; one crop per call, one thread, each crop read one way up (without the layout choice "
        f"`krocr eval` adds for vertical crops). Loading the language model took {load_seconds:.2f} s.\n\n"
        + "\n".join(lines)
    )
    publish("decode-speed", "Decoding speed", body, args.write_doc, per_machine=True)


if __name__ == "__main__":
    main()
