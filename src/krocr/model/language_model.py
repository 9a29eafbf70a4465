"""A token n-gram language model for CTC beam search (shallow fusion).

The recognizer reads each crop on its own; a thin stroke lost at 32 px turns 주문하세요 into
주문아세요 or 눈썹 into 눈썸, strings no Korean text contains. A language model over the
recognizer's own tokens (jamo for the Korean models) weighs each beam by how likely its text
is: ``score = log P_ctc(text) + weight · log P_lm(text) + bonus · tokens``.

The model is an interpolated Witten–Bell n-gram over token ids, counted with numpy from a
text stream (:func:`count_ngrams`) and stored as sorted integer keys, so one query for a
context returns the next-token distribution over the whole vocabulary with a few binary
searches. Token id 0 (the CTC blank, never a text token) marks the start and the end of a
text. Files are safetensors with the token strings in the metadata: a model built for one
charset serves any recognizer whose tokens it shares (:meth:`NgramLanguageModel.token_map`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file, save_file

from krocr.charset import BLANK_ID, Charset
from krocr.errors import CheckpointError, ConfigError

FORMAT = "krocr-ngram/1"
# Chosen on the fit set of the confidence calibration (3,000 crops in held-out designs, seed
# 40), never on the real set: docs/experiments/2026-12-05-language-model.md
DEFAULT_LM_WEIGHT = 0.2
DEFAULT_LM_BONUS = 1.0
# Which tokens the model weighs in beam search: all, or Hangul only (spaces, punctuation,
# digits and Latin then follow the recognizer alone). Hangul by default: the stream's
# spacing and punctuation are krocr's own formats, not the world's (real set 18 / 7 against
# greedy, all tokens 19 / 11; docs/experiments/2026-12-05-lm-scope.md)
LmScope = Literal["all", "hangul"]
LM_SCOPES: tuple[LmScope, ...] = ("all", "hangul")
DEFAULT_LM_SCOPE: LmScope = "hangul"
BOUNDARY = BLANK_ID  # start and end of a text
KEY_BITS = 62  # keys are int64: order × bits per token must fit
CONTEXT_ARRAYS = ("keys", "totals", "types", "kept")
CACHE_LIMIT = 200_000  # next-token distributions kept (each 4 × the vocabulary in bytes)
# Distributions after histories of at most SHARED_HISTORY tokens are kept in float64 as the
# start of longer ones (most contexts share them), at most SHARED_LIMIT (8 × the vocabulary in bytes each)
SHARED_HISTORY = 3
SHARED_LIMIT = 20_000


@dataclass(frozen=True)
class NgramLanguageModel:
    """Interpolated Witten–Bell n-gram over token ids 0..len(tokens).

    Args:
        tokens: the token strings of ids 1..n (id 0 is the text boundary).
        order: the longest n-gram (context of ``order - 1`` tokens).
        counts: per order n = 1..order, ``(keys, counts)`` of the n-grams seen, keys sorted.
        contexts: per order n = 2..order, ``(keys, totals, types, kept)`` of the (n−1)-token
            contexts: how often each was followed by anything, by how many distinct tokens,
            and how many of those followers are still in ``counts`` after pruning (the
            pruned rest goes to the shorter history).
        provenance: how it was built (texts, seed, order...), saved in the file's metadata.
    """

    tokens: tuple[str, ...]
    order: int
    counts: tuple[tuple[np.ndarray, np.ndarray], ...]
    contexts: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    provenance: dict = field(default_factory=dict, compare=False)  # how it was built, kept in the file
    _cache: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict, init=False, compare=False, repr=False)
    _shared: dict[tuple[int, ...], tuple[np.ndarray, bool]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def size(self) -> int:
        """Token ids 0..size−1."""
        return len(self.tokens) + 1

    @cached_property
    def bits(self) -> int:
        """Bits per token in a key (asked for every context looked up)."""
        return _bits(self.size)

    def log_probs(self, context: tuple[int, ...]) -> np.ndarray:
        """log P(next token | context) for every token id (id 0: the text ends here).

        Args:
            context: the ids before the next token, the text's start marked by a leading 0;
                only the last ``order − 1`` count.

        Returns:
            float32 array of ``size`` log-probabilities.
        """
        context = tuple(context[-(self.order - 1) :]) if self.order > 1 else ()
        cached = self._cache.get(context)
        if cached is None:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()  # a long-running reader meets endless contexts; recomputing is cheap
            cached = np.log(self._probs(context)).astype(np.float32)
            self._cache[context] = cached
        return cached

    @cached_property
    def _unigram(self) -> np.ndarray:
        """Add-one unigram probabilities: every token keeps some probability."""
        keys, counts = self.counts[0]
        probs = np.ones(self.size, np.float64)
        probs[keys] += counts
        return probs / probs.sum()

    def _probs(self, context: tuple[int, ...]) -> np.ndarray:
        shared = min(len(context), SHARED_HISTORY)
        probs, complete = self._history_probs(context[len(context) - shared :])
        if not complete:
            return probs
        probs = probs.copy()
        for length in range(shared + 1, len(context) + 1):
            if not self._step(probs, context[-length:]):
                break  # a longer history was never seen either
        return probs

    def _history_probs(self, history: tuple[int, ...]) -> tuple[np.ndarray, bool]:
        """The next-token distribution after a short ``history``, and whether every suffix of
        it was seen (else longer histories are not looked up); memoised: contexts share them."""
        known = self._shared.get(history)
        if known is None:
            if not history:
                known = (self._unigram, True)
            else:
                probs, complete = self._history_probs(history[1:])
                if complete:
                    probs = probs.copy()
                    complete = self._step(probs, history)
                known = (probs, complete)
            if len(self._shared) >= SHARED_LIMIT:
                self._shared.clear()
            self._shared[history] = known
        return known

    def _step(self, probs: np.ndarray, history: tuple[int, ...]) -> bool:
        """Interpolate the shorter history's ``probs`` (in place) with ``history``'s counts;
        False, leaving ``probs`` alone, where ``history`` was never seen."""
        key = _key(history, self.bits)
        context_keys, totals, types, kept = self.contexts[len(history) - 1]
        at = int(context_keys.searchsorted(key))
        if at == len(context_keys) or context_keys[at] != key:
            return False
        keys, counts = self.counts[len(history)]
        first = key << self.bits
        low, high = int(keys.searchsorted(first)), int(keys.searchsorted(first + (1 << self.bits)))
        # Witten-Bell: the history's distinct followers, and the counts pruned from the
        # file, are the share the shorter history's distribution gets
        total, distinct = float(totals[at]), float(types[at])
        probs *= distinct + total - float(kept[at])
        probs[keys[low:high] - first] += counts[low:high]
        probs /= total + distinct
        return True

    def score(self, ids: Iterable[int]) -> float:
        """log P of a whole text given as token ids (without boundaries), its end included."""
        context: tuple[int, ...] = (BOUNDARY,)
        total = 0.0
        for token in [*ids, BOUNDARY]:
            total += float(self.log_probs(context)[token])
            context = (context + (token,))[-(self.order - 1) :] if self.order > 1 else ()
        return total

    def token_map(self, charset: Charset) -> np.ndarray:
        """Each of ``charset``'s ids → this model's id for the same token string; a token the
        model does not know maps to −1 (scored as unseen, see :func:`lm_log_prob`)."""
        index = {token: i + 1 for i, token in enumerate(self.tokens)}
        return np.array([BOUNDARY] + [index.get(token, -1) for token in charset.tokens], dtype=np.int64)

    # ---- files --------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write a safetensors file (arrays, and the tokens and order in its metadata)."""
        arrays: dict[str, np.ndarray] = {}
        for n, (keys, counts) in enumerate(self.counts, start=1):
            arrays[f"ngrams.{n}.keys"], arrays[f"ngrams.{n}.counts"] = keys, counts
        for n, context in enumerate(self.contexts, start=2):
            for name, values in zip(CONTEXT_ARRAYS, context):
                arrays[f"contexts.{n}.{name}"] = values
        metadata = {
            "format": FORMAT,
            "order": str(self.order),
            "tokens": json.dumps(self.tokens, ensure_ascii=False),
            "provenance": json.dumps(self.provenance, ensure_ascii=False),
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".tmp")  # a crash leaves no half-written model behind
        save_file(arrays, str(partial), metadata=metadata)
        os.replace(partial, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> NgramLanguageModel:
        """Read a file written by :meth:`save`; anything else is refused with its path."""
        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"{path}: language-model file not found")
        try:
            with safe_open(str(path), "np") as handle:
                metadata = handle.metadata() or {}
            arrays = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as error:
            raise CheckpointError(f"{path}: not a safetensors language-model file ({error})") from None
        if metadata.get("format") != FORMAT:
            raise CheckpointError(f"{path}: not a krocr language model (format {metadata.get('format')!r})")
        try:
            order = int(metadata["order"])
            tokens = tuple(json.loads(metadata["tokens"]))
            provenance = json.loads(metadata.get("provenance", "{}"))
            counts = tuple((arrays[f"ngrams.{n}.keys"], arrays[f"ngrams.{n}.counts"]) for n in range(1, order + 1))
            contexts = tuple(
                tuple(arrays[f"contexts.{n}.{name}"] for name in CONTEXT_ARRAYS) for n in range(2, order + 1)
            )
        except KeyError as error:
            raise CheckpointError(f"{path}: language model lacks {error}") from None
        except ValueError as error:
            raise CheckpointError(f"{path}: language model metadata unreadable ({error})") from None
        if len(set(tokens)) != len(tokens) or order < 1 or order * _bits(len(tokens) + 1) > KEY_BITS:
            raise CheckpointError(f"{path}: language model with duplicate tokens or an order its keys cannot hold")
        return cls(tokens, order, counts, contexts, provenance)  # type: ignore[arg-type]  # 4 arrays per context


def lm_log_prob(log_probs: np.ndarray, lm_id: int) -> float:
    """A token's log-probability from :meth:`NgramLanguageModel.log_probs`; −1 (a token the
    model never saw) gets the least likely token's."""
    return float(log_probs[lm_id]) if lm_id >= 0 else float(log_probs.min())


def _bits(size: int) -> int:
    return max(1, int(size - 1).bit_length())


def _key(ids: Iterable[int], bits: int) -> int:
    key = 0
    for token in ids:
        key = (key << bits) | int(token)
    return key


def build_language_model(
    texts: Iterable[str], charset: Charset, order: int = 6, min_count: int = 2
) -> NgramLanguageModel:
    """Count a language model over ``charset``'s tokens.

    Args:
        texts: the training texts, in the charset (a character it lacks raises
            :class:`~krocr.errors.OutOfCharsetError` naming the text).
        charset: whose tokens the model predicts.
        order: the longest n-gram.
        min_count: n-grams of order ≥ 3 seen fewer times are left out of the file; their
            counts go to the shorter history's distribution, so every distribution still
            sums to one.

    Returns:
        The model.
    """
    sequences = [charset.encode(text) for text in texts]
    return count_ngrams(sequences, charset.tokens, order, min_count)


def count_ngrams(
    sequences: list[list[int]], tokens: tuple[str, ...], order: int, min_count: int = 2
) -> NgramLanguageModel:
    """The n-gram counts of token-id sequences (boundaries added here), all with numpy."""
    if not sequences:
        raise ConfigError("a language model needs at least one text")
    size = len(tokens) + 1
    bits = _bits(size)
    if order < 1 or order * bits > KEY_BITS:
        raise ConfigError(
            f"order {order} with {size} tokens does not fit {KEY_BITS}-bit keys (at most {KEY_BITS // bits})"
        )
    lengths = np.array([len(s) + 2 for s in sequences], dtype=np.int64)
    flat = np.concatenate([np.array([BOUNDARY, *s, BOUNDARY], dtype=np.int64) for s in sequences])
    text_of = np.repeat(np.arange(len(sequences)), lengths)
    counts, contexts = [], []
    for n in range(1, order + 1):
        if len(flat) < n:
            keys = np.zeros(0, np.int64)
        else:
            windows = np.lib.stride_tricks.sliding_window_view(flat, n)
            inside = text_of[: len(windows)] == text_of[n - 1 :]
            # a unigram "start of text" is not a prediction: the first boundary is only context
            starts = np.r_[0, np.cumsum(lengths)[:-1]]
            inside[starts[starts < len(inside)]] &= n > 1
            keys = np.zeros(int(inside.sum()), np.int64)
            for column in range(n):
                keys = (keys << bits) | windows[inside, column]
        keys, seen = np.unique(keys, return_counts=True)
        if seen.size and seen.max() > np.iinfo(np.int32).max:
            raise ConfigError(f"an {n}-gram was seen {seen.max()} times, more than the file's int32 counts hold")
        if n >= 2:
            history, first = np.unique(keys >> bits, return_index=True)
            totals = np.add.reduceat(seen, first) if len(first) else np.zeros(0, np.int64)
            types = np.diff(np.r_[first, len(keys)])
            if n >= 3 and min_count > 1:
                survives = seen >= min_count
                kept = np.add.reduceat(np.where(survives, seen, 0), first) if len(first) else totals
                keys, seen = keys[survives], seen[survives]
                # a history with no n-gram left is dropped too: as unseen it backs off to the
                # shorter history's distribution, which is what its kept share would give
                # (its n-grams' suffixes were seen at least as often, so those histories stay)
                used = kept > 0
                history, totals, types, kept = history[used], totals[used], types[used], kept[used]
            else:
                kept = totals
            contexts.append((history, totals.astype(np.int32), types.astype(np.int32), kept.astype(np.int32)))
        counts.append((keys, seen.astype(np.int32)))
    return NgramLanguageModel(tuple(tokens), order, tuple(counts), tuple(contexts))


def build_from_stream(
    texts: Iterable[str],
    charset: Charset,
    order: int,
    min_count: int,
    provenance: dict,
) -> NgramLanguageModel:
    """:func:`build_language_model` that also records how it was made (saved in the file).

    Args:
        texts: the training texts.
        charset: whose tokens the model predicts.
        order: the longest n-gram.
        min_count: see :func:`build_language_model`.
        provenance: how the texts were drawn (command, seed, text config...).

    Returns:
        The model, with ``provenance`` plus its order, min_count and tokenizer.
    """
    model = build_language_model(texts, charset, order, min_count)
    return replace(
        model, provenance={**provenance, "order": order, "min_count": min_count, "tokenizer": charset.tokenizer}
    )
