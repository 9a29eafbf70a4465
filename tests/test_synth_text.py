"""Text sources for synthetic crops: determinism, charset, shares, rare-syllable coverage,
and the menu, label and document kinds of text_forms."""

from __future__ import annotations

import datetime
import math
import re

import numpy as np
import pytest

from krocr.charset import (
    Charset,
    alphabet87,
    korean_charset,
    ksx1001_hangul,
    nfc,
    normalize_text,
)
from krocr.errors import ConfigError, DataError
from krocr.synth import text_forms
from krocr.synth.text import (
    KOREAN_SHARES,
    FileTextSource,
    SyllableCounter,
    TextConfig,
    TextSource,
    read_text_lines,
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
    assert set(text_forms.FORM_MAKERS) <= set(kinds)
    forms = sum(kind in text_forms.FORM_MAKERS for kind in kinds) / len(kinds)
    assert abs(forms - 0.7 * 0.24) < 0.025  # 24 % of the everyday 70 %
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


# ---- menus, labels and documents (text_forms) ----------------------------------------------
FORM_KINDS = sorted(text_forms.FORM_MAKERS)


def test_form_kinds_take_26_percent_of_the_everyday_share():
    total = sum(KOREAN_SHARES.values())
    assert set(text_forms.FORM_MAKERS) <= set(KOREAN_SHARES)
    assert math.isclose(sum(KOREAN_SHARES[kind] for kind in text_forms.FORM_MAKERS) / total, 0.26)


@pytest.mark.parametrize("kind", FORM_KINDS)
def test_form_kind_lines_are_clean_in_charset_and_fit_over_many_seeds(kind):
    """The makers' own output, before the stream's check: nothing needs a redraw."""
    charset = korean_charset()
    maker = text_forms.FORM_MAKERS[kind]
    lengths = []
    for seed in range(20):
        source = TextSource(charset, TextConfig(), np.random.default_rng(seed))
        for _ in range(150):
            text = maker(source)
            assert text == nfc(text) and text == text.strip() and "  " not in text, text
            assert 1 <= len(text) <= 40, text
            assert not charset.missing(text), (text, charset.missing(text))
            lengths.append(len(text))
    assert len(set(lengths)) >= 10  # lengths vary: short labels to full lines


@pytest.mark.parametrize("kind", FORM_KINDS)
def test_form_kinds_are_deterministic_for_a_seed(kind):
    def lines(seed: int) -> list[str]:
        source = TextSource(korean_charset(), TextConfig(), np.random.default_rng(seed))
        return [text_forms.FORM_MAKERS[kind](source) for _ in range(200)]

    assert lines(3) == lines(3)
    assert lines(3) != lines(4)
    assert len(set(lines(3))) > 50  # not a handful of fixed strings


def test_menu_and_document_punctuation_is_frequent_in_the_default_korean_stream():
    texts = [text for text, _ in stream("ko", seed=0, n=5000)]
    share = {ch: sum(ch in text for text in texts) / len(texts) for ch in ":,()[]~/%₩.·&"}
    # measured on seeds 0–4: ₩ in 0.9–1.4 % of strings, / and · 1.7–2.3 %, the rest 2.3–10 %
    # (before text_forms: ( 0.15 %, [ 0.3 %, ₩ 0.5 %, : 2.6 %, . 3.2 %)
    assert share["₩"] >= 0.005, share
    assert share["&"] >= 0.005, share  # the combo kind (헤어&네일, 치킨 & 맥주): 0.9 % on seed 0
    assert all(share[ch] >= 0.01 for ch in ":,()[]~/%.·"), share
    assert share["("] >= 0.04 and share[":"] >= 0.05, share  # ingredient lists, labels and forms


def test_written_dates_carry_their_real_weekday():
    source = TextSource(korean_charset(), TextConfig(), np.random.default_rng(0))
    for _ in range(500):
        text = text_forms.written_date(source, text_forms.a_date(source), style=6)  # 2024년 3월 15일(금)
        match = re.fullmatch(r"(\d{4})년 (\d+)월 (\d+)일\((.)\)", text)
        assert match, text
        y, m, d, weekday = match.groups()
        assert "월화수목금토일"[datetime.date(int(y), int(m), int(d)).weekday()] == weekday


def test_form_word_lists_are_inside_the_korean_charset():
    """Every string of every module-level tuple (word lists, units, nutrient names, option marks)."""
    charset = korean_charset()
    lists = {
        name: [
            word for item in value for word in (item if isinstance(item, tuple) else (item,)) if isinstance(word, str)
        ]
        for name, value in vars(text_forms).items()
        if isinstance(value, tuple)
    }
    lists = {name: words for name, words in lists.items() if words}  # not the tuples of numbers
    assert {"INGREDIENTS", "NUTRIENTS", "NOTICES", "OPTION_MARKS", "COMPOUNDS"} <= set(lists) and len(lists) >= 40
    for name, words in lists.items():
        assert words and all(word == nfc(word) and not charset.missing(word) for word in words), name


def test_fit_keeps_whole_parts_within_the_limit():
    assert text_forms.fit(["밀가루", "설탕", "정제소금"], ", ", limit=10) == "밀가루, 설탕"
    assert text_forms.fit(["밀가루", "설탕"], ", ", limit=20, head="원재료명: ") == "원재료명: 밀가루, 설탕"
    assert text_forms.fit(["아주긴첫번째항목"], ", ", limit=3) == "아주긴첫번째항목"  # the first part always


# ---- texts from a file -------------------------------------------------------------------------
def test_text_file_lines_are_cleaned_and_the_unusable_counted_by_reason(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("\ufeff 서울  우유 \n\n가격 = 3,000원\n아주 긴 문장입니다\n메뉴표\n", encoding="utf-8")
    lines = read_text_lines(path, korean_charset(), max_length=8)
    assert lines.lines == ("서울 우유", "메뉴표")
    assert lines.rejected == {"empty": 1, "characters outside the charset": 1, "longer than 8 characters": 1}
    assert lines.first_rejected["characters outside the charset"] == "line 3: 가격 = 3,000원 (lacks =)"
    assert "1 empty (first, line 2: )" in lines.left_out()
    assert len(lines.sha256) == 64
    assert read_text_lines(path, korean_charset()).rejected["characters outside the charset"] == 1


@pytest.mark.parametrize("content", [b"=\n\n", b"\xff\xfe\x00bad"])
def test_a_text_file_without_a_usable_line_is_refused_by_name(tmp_path, content):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match="bad.txt"):
        read_text_lines(path, korean_charset())


def test_a_file_source_draws_every_line_once_before_any_repeats_and_is_seeded(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(f"줄 {i}" for i in range(10)), encoding="utf-8")
    lines = read_text_lines(path, korean_charset())

    def draws(seed, accept=None):
        rng = np.random.default_rng(seed)
        source = FileTextSource(korean_charset(), TextConfig(), rng, lines, accept=accept)
        return [source() for _ in range(15)], source

    first, _ = draws(1)
    assert sorted(text for text, _ in first[:10]) == sorted(lines.lines)
    assert {kind for _, kind in first} == {"file"}
    assert draws(1)[0] == first and draws(2)[0] != first
    refused, source = draws(1, accept=lambda text: text != "줄 3")
    assert "줄 3" not in [text for text, _ in refused] and len(source.texts.lines) == 9
    assert source.texts.rejected == {"no font draws it": 1}
    assert source.texts.first_rejected["no font draws it"] == "line 4: 줄 3"
    with pytest.raises(DataError, match="texts.txt: no usable text line .10 no font draws it"):
        draws(1, accept=lambda text: False)


def test_a_file_source_builds_no_word_vocabulary(tmp_path, monkeypatch):
    path = tmp_path / "texts.txt"
    path.write_text("첫 줄\n둘째 줄\n", encoding="utf-8")
    lines = read_text_lines(path, korean_charset())

    def no_vocabulary(*args, **kwargs):
        raise AssertionError("a file's texts need no wordfreq vocabulary")

    monkeypatch.setattr("krocr.synth.text.wordfreq_vocabulary", no_vocabulary)
    source = FileTextSource(korean_charset(), TextConfig(), np.random.default_rng(0), lines)
    assert sorted(source()[0] for _ in range(2)) == ["둘째 줄", "첫 줄"]


def test_a_charset_that_fits_no_word_is_refused_before_the_first_text():
    hangul_only = Charset(tuple("가나다라마바사아자차카타파하"))  # no Latin letter: no English word fits
    with pytest.raises(ConfigError, match="no wordfreq 'en' word fits the charset"):
        TextSource(hangul_only, TextConfig(), np.random.default_rng(0))
