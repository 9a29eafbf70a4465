"""``krocr lm``: count the language model that ``--lm`` decoding uses.

    krocr lm --out ko_lm.safetensors [--texts 1000000] [--order 6] [--min-count 6] [--seed 1000]
             [--corpus FILE ... [--corpus-repeat N]]

The texts are drawn from krocr's Korean text stream (:mod:`krocr.synth.text`): words at
their real frequencies (wordfreq, 100,000 words, untempered), signboard, menu, label and
document lines; no pseudo-words of rare syllables, which would teach the model that any
syllable may follow any other. ``--corpus`` adds the lines of real text files (one text a
line; lines outside the charset are left out and counted), each counted ``--corpus-repeat``
times: the stream knows words, real text knows what comes between them.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import numpy as np

from krocr.charset import TOKENIZERS, korean_charset
from krocr.commands.bars import ProgressBar
from krocr.errors import ConfigError
from krocr.model.language_model import build_from_stream
from krocr.synth.text import TextConfig, TextSource, read_text_lines, sample_texts
from krocr.version import __version__

LM_TEXT = TextConfig(lang="ko", rare_share=0.0, vocabulary=100_000, frequency_power=1.0)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="language-model file to write (.safetensors)")
    parser.add_argument("--texts", type=int, default=1_000_000, help="texts drawn from the stream (default: 1000000)")
    parser.add_argument("--order", type=int, default=6, help="longest n-gram, in tokens (default: 6)")
    parser.add_argument(
        "--min-count", type=int, default=6, help="n-grams of order ≥ 3 seen fewer times are left out (default: 6)"
    )
    parser.add_argument("--seed", type=int, default=1000, help="seed of the text stream (default: 1000)")
    parser.add_argument(
        "--tokenizer", choices=TOKENIZERS, default="jamo", help="the recognizer's tokens (default: jamo)"
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="also count this UTF-8 text file's lines (repeatable), e.g. from scripts/korean_corpus.py",
    )
    parser.add_argument("--corpus-repeat", type=int, default=1, help="times each corpus line is counted (default: 1)")


def run(args: argparse.Namespace) -> int:
    if args.out.suffix != ".safetensors":
        raise ConfigError(f"--out {args.out}: a language model is written as .safetensors")
    if args.texts < 1 or args.order < 1 or args.min_count < 1 or args.corpus_repeat < 1:
        raise ConfigError("--texts, --order, --min-count and --corpus-repeat must be at least 1")
    if args.corpus_repeat != 1 and not args.corpus:
        raise ConfigError("--corpus-repeat weighs the lines of --corpus files; no --corpus was given")
    charset = korean_charset(tokenizer=args.tokenizer)
    corpora = [read_text_lines(path, charset) for path in args.corpus]
    for corpus in corpora:
        print(f"{corpus.path}: {len(corpus.lines):,} lines (left out: {corpus.left_out()})")
    source = TextSource(charset, LM_TEXT, np.random.default_rng(args.seed))
    with ProgressBar() as bar:
        texts = sample_texts(source, args.texts, bar)
    texts += [line for corpus in corpora for line in corpus.lines] * args.corpus_repeat
    corpus_flags = "".join(f" --corpus {shlex.quote(str(c.path))}" for c in corpora)
    if corpora:
        corpus_flags += f" --corpus-repeat {args.corpus_repeat}"
    provenance = {
        "command": f"krocr lm --texts {args.texts} --order {args.order} --min-count {args.min_count} "
        f"--seed {args.seed} --tokenizer {args.tokenizer}{corpus_flags}",
        "texts": args.texts,
        "seed": args.seed,
        "text_config": {"rare_share": 0.0, "vocabulary": LM_TEXT.vocabulary, "frequency_power": 1.0},
        "corpora": [
            {"path": str(c.path), "sha256": c.sha256, "lines": len(c.lines), "left_out": dict(c.rejected)}
            for c in corpora
        ],
        "corpus_repeat": args.corpus_repeat,
        "krocr": __version__,
    }
    model = build_from_stream(texts, charset, args.order, args.min_count, provenance)
    path = model.save(args.out)
    ngrams = sum(len(keys) for keys, _ in model.counts)
    print(
        f"{path}: {args.order}-gram over {len(charset.tokens)} {args.tokenizer} tokens from {args.texts:,} texts, "
        f"{ngrams:,} n-grams, {path.stat().st_size / 1e6:.1f} MB"
    )
    return 0
