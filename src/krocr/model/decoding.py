"""CTC decoders: greedy best path and prefix beam search (optionally lexicon-restricted).

Both return ``Decoded(text, confidence)`` with confidence in [0, 1]:

* greedy: from the per-frame top probabilities along the best path, as the model's
  :class:`~krocr.model.calibration.ConfidenceCalibration` maps them: uncalibrated, the
  lowest of them (as docTR does), so a single doubtful frame makes the whole reading
  doubtful; calibrated, the weakest frame at a temperature or a logistic (Platt) map of
  the mean frame;
* beam: with a calibration, the returned text's best alignment (:func:`best_alignment`)
  scored exactly as greedy scores its path, so one calibration serves both decoders and a
  beam that returns the greedy path's tokens returns its confidence too; without one, the
  probability of the text summed over all its alignments, as the prefix beam search
  estimates it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from krocr.charset import BLANK_ID, Charset
from krocr.errors import KrocrError
from krocr.model.calibration import UNCALIBRATED, ConfidenceCalibration
from krocr.model.language_model import LM_SCOPES, LmScope, NgramLanguageModel, lm_log_prob


@dataclass(frozen=True)
class Decoded:
    text: str
    confidence: float


def collapse_path(path: Iterable[int]) -> list[int]:
    """CTC's many-to-one map: merge repeated ids, then drop blanks (a repeat separated by a
    blank survives as two symbols)."""
    out: list[int] = []
    previous = None
    for token in path:
        if token != previous and token != BLANK_ID:
            out.append(int(token))
        previous = token
    return out


def as_array(logits: Any) -> np.ndarray:
    """(N, T, C) logits as float32 numpy: an array as it is, a torch tensor (any device or
    dtype) copied to the CPU. Decoding is numpy so that reading needs no torch."""
    if hasattr(logits, "detach"):
        logits = logits.detach().float().cpu().numpy()
    return np.asarray(logits, dtype=np.float32)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities over the last axis, stable for large logits."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def greedy_decode(logits: Any, charset: Charset, calibration: ConfidenceCalibration = UNCALIBRATED) -> list[Decoded]:
    """Best-path decoding of (N, T, C) logits.

    Args:
        logits: a numpy array or torch tensor.
        charset: the model's charset.
        calibration: how the path's per-frame top probabilities become the confidence (a
            calibrated model's, see :mod:`krocr.model.calibration`); it changes the
            confidence, never the text. Default: the weakest frame at temperature 1.

    Returns:
        One ``Decoded`` per crop, in order.
    """
    return [_greedy_one(row, charset, calibration) for row in as_array(logits)]


def _greedy_one(logits: np.ndarray, charset: Charset, calibration: ConfidenceCalibration) -> Decoded:
    # A crop's confidence must not depend on the other crops of its batch, but numpy's SIMD
    # exp rounds float32 differently with the buffer's alignment: compute in float64 and
    # round the result to float32, which hides those last-bit differences.
    log_probs = _calibrated_log_probs(logits, calibration)
    path = log_probs.argmax(axis=-1)
    confidence = _rounded_confidence(log_probs[np.arange(len(path)), path], calibration)
    return Decoded(charset.decode(collapse_path(path.tolist())), confidence)


def _calibrated_log_probs(logits: np.ndarray, calibration: ConfidenceCalibration) -> np.ndarray:
    """Log-probabilities at the calibration's temperature, in float64."""
    return log_softmax(logits.astype(np.float64) / calibration.temperature)


def _rounded_confidence(frames: np.ndarray, calibration: ConfidenceCalibration) -> float:
    """The calibration's confidence of a path's per-frame log-probabilities, rounded to float32."""
    return float(np.float32(calibration.confidence(frames)))


def best_alignment(log_probs: np.ndarray, tokens: list[int]) -> np.ndarray | None:
    """Per frame, the log-probability that the most probable CTC alignment of ``tokens``
    gives that frame (Viterbi over the blank-interleaved labels).

    Args:
        log_probs: (frames, classes) log-probabilities of one crop.
        tokens: the text's token ids (no blanks).

    Returns:
        (frames,) log-probabilities, or None when the frames are too few for the text.
        For the greedy path's tokens these are the best path's top log-probabilities.
    """
    labels = np.full(2 * len(tokens) + 1, BLANK_ID, dtype=np.int64)
    labels[1::2] = tokens
    states, frames = len(labels), len(log_probs)
    # a state may come from itself, the one before, or skip a blank between two different tokens
    can_skip = np.zeros(states, dtype=bool)
    can_skip[2:] = (labels[2:] != BLANK_ID) & (labels[2:] != labels[:-2])
    score = np.full(states, -np.inf)
    score[:2] = log_probs[0, labels[:2]]
    came_from = np.zeros((frames, states), dtype=np.int64)
    index = np.arange(states)
    for t in range(1, frames):
        choices = np.full((3, states), -np.inf)  # from the same state, the one before, two before
        choices[0] = score
        choices[1, 1:] = score[:-1]
        choices[2, 2:] = np.where(can_skip[2:], score[:-2], -np.inf)
        best = choices.argmax(axis=0)
        came_from[t] = index - best
        score = choices[best, index] + log_probs[t, labels]
    ends = [s for s in (states - 1, states - 2) if s >= 0 and np.isfinite(score[s])]
    if not ends:
        return None
    state = max(ends, key=lambda s: score[s])
    path = np.empty(frames, dtype=np.int64)
    for t in range(frames - 1, -1, -1):
        path[t] = state
        state = came_from[t, state]
    return log_probs[np.arange(frames), labels[path]]


def raw_frames(logits: Any, charset: Charset, blank: str = "-") -> list[str]:
    """Per-frame argmax as text, blank shown as ``blank`` (for galleries and debugging)."""
    tokens = ("",) + charset.tokens
    paths = as_array(logits).argmax(-1).tolist()
    return ["".join(blank if i == BLANK_ID else tokens[i] for i in path) for path in paths]


class _Trie:
    """Token-id prefixes of the lexicon words, to keep only beams that can still become one."""

    def __init__(self, words: Iterable[list[int]]):
        self.prefixes: set[tuple[int, ...]] = {()}
        self.words: set[tuple[int, ...]] = set()
        for word in words:
            key = tuple(word)
            self.words.add(key)
            self.prefixes.update(key[:i] for i in range(1, len(key) + 1))


# prefix and next-token scores a language scorer keeps: ~220 B each at 14-token prefixes, more
# for long lines, so up to ~50–100 MB per fusion and charset
SCORE_CACHE_LIMIT = 300_000


def _logsumexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log1p(math.exp(-abs(a - b)))


@dataclass(frozen=True)
class LanguageFusion:
    """A language model's say in beam search: each beam scores
    ``log P_ctc + weight · log P_lm + bonus · tokens`` (shallow fusion); the bonus offsets
    the LM's preference for short texts.

    Args:
        model: the n-gram (:class:`~krocr.model.language_model.NgramLanguageModel`).
        weight: how much its log-probability counts against the recognizer's.
        bonus: log-score added per emitted token.
        scope: ``all`` tokens, or ``hangul`` only: then spaces, punctuation, digits and
            Latin letters get neither the model's score nor the bonus and follow the
            recognizer alone (the model still reads them as history).
    """

    model: NgramLanguageModel
    weight: float = 0.3
    bonus: float = 0.0
    scope: LmScope = "all"
    # per charset (its tokens): the scores already computed, kept from call to call because
    # a reader decodes its crops one call each and most prefixes recur
    _scorers: dict[tuple[str, ...], _LanguageScorer] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weight) and self.weight >= 0 and math.isfinite(self.bonus)):
            raise KrocrError(
                f"lm_weight must be a finite number ≥ 0 and lm_bonus finite, got {self.weight} and {self.bonus}"
            )
        if self.scope not in LM_SCOPES:
            raise KrocrError(f"unknown lm_scope {self.scope!r}; use {' or '.join(map(repr, LM_SCOPES))}")

    def scorer(self, charset: Charset) -> _LanguageScorer:
        """This fusion's scorer for ``charset``'s ids (made once per charset)."""
        key = tuple(charset.tokens)
        scorer = self._scorers.get(key)
        if scorer is None:
            scorer = self._scorers[key] = _LanguageScorer(self, charset)
        return scorer


def beam_decode(
    logits: Any,
    charset: Charset,
    beam_width: int = 10,
    lexicon: Iterable[str] | None = None,
    prune_below: float = 1e-3,
    fusion: LanguageFusion | None = None,
    calibration: ConfidenceCalibration | None = None,
) -> list[Decoded]:
    """CTC prefix beam search over (N, T, C) logits.

    Per frame only tokens with probability ≥ ``prune_below`` (and the best one) extend the
    beams. With a ``lexicon`` only prefixes of its words survive and the result is the best
    complete word (empty text with confidence 0 when no word fits). With a ``fusion`` a
    language model re-weighs the beams; the confidence stays the recognizer's own.

    Args:
        calibration: score the returned text's best alignment as the greedy decoder scores
            its path (the weights' calibration; see the module docstring). None: the text's
            probability summed over its alignments.

    Returns:
        One ``Decoded`` per crop, in order.
    """
    if beam_width < 1:
        raise ValueError(f"beam_width must be at least 1, got {beam_width}")
    trie = _Trie(charset.encode(w) for w in lexicon) if lexicon is not None else None
    scorer = fusion.scorer(charset) if fusion is not None else None
    decoded = []
    for row in as_array(logits):
        if scorer is not None:
            scorer.bound_memory()
        text, probability = _beam_one(log_softmax(row), beam_width, trie, math.log(prune_below), scorer)
        if text is None:
            decoded.append(Decoded("", 0.0))
        elif calibration is None:
            decoded.append(Decoded(charset.decode(text), probability))
        else:
            decoded.append(Decoded(charset.decode(text), aligned_confidence(row, text, calibration)))
    return decoded


def aligned_confidence(logits: np.ndarray, tokens: list[int], calibration: ConfidenceCalibration) -> float:
    """``calibration``'s confidence of a text's best alignment, in greedy's arithmetic.

    Args:
        logits: (frames, classes) logits of one crop.
        tokens: the text's token ids (no blanks).
        calibration: the confidence mapping the weights carry.

    Returns:
        The confidence in [0, 1]; 0 when the frames are too few for the text.
    """
    frames = best_alignment(_calibrated_log_probs(logits, calibration), tokens)
    return 0.0 if frames is None else _rounded_confidence(frames, calibration)


class _LanguageScorer:
    """A fusion's weighted log-probabilities in the charset's ids, memoised per prefix."""

    def __init__(self, fusion: LanguageFusion, charset: Charset):
        self.fusion = fusion
        self.to_model: list[int] = fusion.model.token_map(charset).tolist()  # lists: per-token numpy calls cost more
        self.context_length = fusion.model.order - 1
        # per charset id (0 is the blank): whether the fusion weighs that token
        self.weighed = [False] + [fusion.scope == "all" or _is_hangul(token) for token in charset.tokens]
        self.prefix_scores: dict[tuple[int, ...], float] = {(): 0.0}
        self.next_scores: dict[tuple[tuple[int, ...], int], float] = {}  # by history: prefixes share them

    def bound_memory(self) -> None:
        """Forget the scores once there are many (a long-running reader meets endless
        prefixes; a forgotten score is recomputed)."""
        if len(self.prefix_scores) + len(self.next_scores) > SCORE_CACHE_LIMIT:
            self.prefix_scores = {(): 0.0}
            self.next_scores = {}

    def _next(self, prefix: tuple[int, ...], token: int) -> float:
        """Weighted log P(token | prefix); the history before a token the model lacks is dropped."""
        history = ((BLANK_ID,) + prefix)[-self.context_length :] if self.context_length else ()
        key = (history, token)
        score = self.next_scores.get(key)
        if score is None:
            context = [self.to_model[t] for t in history]
            if -1 in context:
                context = context[len(context) - context[::-1].index(-1) :]
            log_probs = self.fusion.model.log_probs(tuple(context))
            score = self.fusion.weight * lm_log_prob(log_probs, self.to_model[token])
            self.next_scores[key] = score
        return score

    def prefix(self, prefix: tuple[int, ...]) -> float:
        """The fusion's score of a prefix (extended one token at a time, so memoised)."""
        score = self.prefix_scores.get(prefix)
        if score is None:
            score = self.prefix(prefix[:-1])
            if self.weighed[prefix[-1]]:
                score += self._next(prefix[:-1], prefix[-1]) + self.fusion.bonus
            self.prefix_scores[prefix] = score
        return score

    def final(self, prefix: tuple[int, ...]) -> float:
        """The prefix's score as a whole text: its end must be likely too (after its last
        weighed token, so that trailing tokens the fusion leaves alone stay left alone)."""
        weighed_end = len(prefix)
        while weighed_end and not self.weighed[prefix[weighed_end - 1]]:
            weighed_end -= 1
        if weighed_end == 0 and self.fusion.scope == "hangul":
            return 0.0  # no Hangul (or no text): nothing for the model to judge, not even its end
        return self.prefix(prefix) + self._next(prefix[:weighed_end], BLANK_ID)


def _is_hangul(token: str) -> bool:
    """A Hangul syllable or jamo token (their Unicode names start with HANGUL; ㈜'s with
    PARENTHESIZED, so it counts as punctuation)."""
    return all(unicodedata.name(ch, "").startswith("HANGUL") for ch in token)


BLANK_END, TOKEN_END = 0, 1  # a beam's two log-probabilities: its paths ending in blank, in its last token


def _add_path(beams: dict[tuple[int, ...], list[float]], prefix: tuple[int, ...], end: int, p: float) -> None:
    """Add a path's log-probability ``p`` to ``prefix``'s beam, among its paths that end as ``end`` says."""
    entry = beams.get(prefix)
    if entry is None:
        entry = beams[prefix] = [-math.inf, -math.inf]
    entry[end] = _logsumexp(entry[end], p)


def _beam_one(
    log_probs: np.ndarray,
    beam_width: int,
    trie: _Trie | None,
    floor: float,
    scorer: _LanguageScorer | None = None,
) -> tuple[list[int] | None, float]:
    """The best text's token ids (None: no lexicon word fits) and its summed probability."""
    # prefix -> (log P(prefix, ends in blank), log P(prefix, ends in non-blank))
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}
    for frame in log_probs:
        candidates = np.flatnonzero(frame >= floor)
        if candidates.size == 0:
            candidates = np.array([int(frame.argmax())])
        if candidates.size == 1 and candidates[0] == BLANK_ID:
            # a third of the frames: every beam only moves to ending in blank, so the beams,
            # their ranking (all gain the same, up to rounding) and their order stay; no search needed
            blank = float(frame[BLANK_ID])
            beams = {
                prefix: (_logsumexp(p_blank, p_token) + blank, -math.inf)
                for prefix, (p_blank, p_token) in beams.items()
            }
            continue
        next_beams: dict[tuple[int, ...], list[float]] = {}
        extensions = [(token, float(frame[token])) for token in candidates.tolist()]
        for prefix, (p_blank, p_token) in beams.items():
            total = _logsumexp(p_blank, p_token)
            for token, p in extensions:
                if token == BLANK_ID:
                    _add_path(next_beams, prefix, BLANK_END, total + p)
                    continue
                extended = prefix + (token,)
                if trie is not None and extended not in trie.prefixes:
                    continue
                if prefix and prefix[-1] == token:
                    _add_path(next_beams, extended, TOKEN_END, p_blank + p)  # a repeat needs a blank between
                    _add_path(next_beams, prefix, TOKEN_END, p_token + p)  # otherwise it merges
                else:
                    _add_path(next_beams, extended, TOKEN_END, total + p)

        def rank(item: tuple[tuple[int, ...], list[float]]) -> float:
            return _logsumexp(*item[1]) + (scorer.prefix(item[0]) if scorer is not None else 0.0)

        ranked = sorted(next_beams.items(), key=rank, reverse=True)
        beams = {prefix: (v[0], v[1]) for prefix, v in ranked[:beam_width]}
    finals = [(prefix, _logsumexp(*v)) for prefix, v in beams.items() if trie is None or prefix in trie.words]
    if not finals:
        return None, 0.0
    prefix, score = max(finals, key=lambda kv: kv[1] + (scorer.final(kv[0]) if scorer is not None else 0.0))
    return list(prefix), min(1.0, math.exp(score))
