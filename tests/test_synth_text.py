"""Text sources for synthetic crops: determinism, charset, shares, rare-syllable coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from krocr.charset import (
    alphabet87,
    korean_charset,
    ksx1001_hangul,
    nfc,
    normalize_text,
)
from krocr.errors import ConfigError
from krocr.synth.text import (
    SyllableCounter,
    TextConfig,
    TextSource,
    wordfreq_vocabulary,
)


def stream(lang: str, seed: int = 0, n: int = 2000, **config) -> list[tuple[str, str]]:
    charset = korean_charset() if lang == "ko" else alphabet87()
    source = TextSource(charset, TextConfig(lang=lang, **config), np.random.default_rng(seed))
    return [source() for _ in range(n)]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_same_seed_same_texts(lang):
    assert stream(lang, seed=4, n=300) == stream(lang, seed=4, n=300)
    assert stream(lang, seed=4, n=300) != stream(lang, seed=5, n=300)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_text_is_nfc_clean_and_inside_the_charset(lang):
    charset = korean_charset() if lang == "ko" else alphabet87()
    for text, kind in stream(lang, n=3000):
        assert text == nfc(text) and text == text.strip() and "  " not in text, (kind, text)
        assert 0 < len(text) <= 40, (kind, text)
        assert not charset.missing(text), (kind, text)


def test_fullwidth_won_is_drawn_and_labelled_folded():
    texts = [text for text, kind in stream("ko", n=4000) if kind == "price"]
    assert any("￦" in t for t in texts) and any("₩" in t for t in texts)  # both glyphs are drawn …
    assert "￦" not in korean_charset()  # … one label: the fold changes ￦ and nothing else
    assert all(normalize_text(t) == t.replace("￦", "₩") and not korean_charset().missing(t) for t in texts)


def test_kind_shares_follow_the_config():
    kinds = [kind for _, kind in stream("ko", n=4000)]
    assert abs(kinds.count("rare") / len(kinds) - 0.2) < 0.03
    assert abs(kinds.count("long") / len(kinds) - 0.1) < 0.03
    assert {"business", "phone", "floor", "hours", "price", "mixed", "symbol", "word"} <= set(kinds)
    english = [kind for _, kind in stream("en", n=2000)]
    assert "rare" not in english  # rare syllables are a Korean source


def test_long_lines_are_20_to_40_characters():
    long_lines = [text for text, kind in stream("ko", n=3000) + stream("en", n=3000) if kind == "long"]
    assert long_lines and all(20 <= len(t) <= 40 for t in long_lines)


def test_rare_mode_covers_all_ksx1001_syllables_within_a_bound():
    charset = korean_charset()
    source = TextSource(charset, TextConfig(rare_share=1.0, long_share=0.0), np.random.default_rng(0))
    bound = math.ceil(len(ksx1001_hangul()) / 2)  # every rare string holds at least 2 least-seen syllables
    for _ in range(bound):
        source()
    summary = source.counter.summary()
    assert summary["target"] == 2350 and summary["seen"] == 2350 and summary["min"] >= 1


def test_default_stream_keeps_syllable_counts_balanced_at_the_bottom():
    charset = korean_charset()
    source = TextSource(charset, TextConfig(), np.random.default_rng(1))
    for _ in range(20000):
        source()
    assert source.counter.summary()["min"] >= 5  # the rare source lifts every syllable


def test_accept_predicate_refuses_texts():
    charset = korean_charset()
    source = TextSource(charset, TextConfig(), np.random.default_rng(0), accept=lambda t: "치" not in t)
    texts = [source()[0] for _ in range(1000)]
    assert not any("치" in t for t in texts)
    assert sum(source.stats.redrawn.values()) > 0


def test_syllable_counter_report(tmp_path):
    counter = SyllableCounter("가나다")
    counter.update("가가나 x")
    assert counter.summary() == {"target": 3, "seen": 2, "min": 0, "median": 1.0, "max": 2}
    assert counter.least_covered(1, np.random.default_rng(0)) == ["다"]
    rows = counter.to_csv(tmp_path / "counts.csv").read_text(encoding="utf-8").splitlines()
    assert rows == ["syllable,codepoint,count", "가,U+AC00,2", "나,U+B098,1", "다,U+B2E4,0"]


def test_korean_vocabulary_is_weighted_by_frequency():
    vocabulary = wordfreq_vocabulary("ko", 30000, 0.5, frozenset(korean_charset().symbols))
    weights = np.diff(np.concatenate([[0.0], vocabulary.cumulative]))
    assert weights[0] > 20 * weights[-1]  # frequent words are drawn far more often than the tail
    assert all(len(w) >= 2 for w in vocabulary.words)


def test_korean_needs_hangul_in_the_charset():
    with pytest.raises(ConfigError, match="Hangul"):
        TextSource(alphabet87(), TextConfig(lang="ko"), np.random.default_rng(0))
    with pytest.raises(ConfigError):
        TextConfig(rare_share=0.8, long_share=0.5)


def test_english_stream_uses_all_87_symbols():
    seen = set("".join(text for text, _ in stream("en", n=20000)))
    assert set(alphabet87().symbols) <= seen
