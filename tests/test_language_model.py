"""The token n-gram language model and its fusion with CTC beam search: Witten–Bell values
worked by hand, normalisation, file round trips and refusals, and a beam that the language
model turns from the recognizer's first guess to the likelier text."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from safetensors.numpy import save_file

from krocr.charset import BLANK_ID, Charset, korean_charset
from krocr.cli import main
from krocr.errors import CheckpointError, ConfigError, KrocrError
from krocr.inference.recognizer import Layout, Recognizer
from krocr.model.decoding import LanguageFusion, _LanguageScorer, beam_decode, greedy_decode
from krocr.model.language_model import NgramLanguageModel, _key, build_language_model, lm_log_prob

CS = Charset(tuple("abc"))  # ids: a=1, b=2, c=3; 0 is the text boundary


def test_witten_bell_bigram_matches_the_hand_computed_value():
    model = build_language_model(["ab", "ab", "ac"], CS, order=2, min_count=1)
    # unigram predictions: a 3, b 2, c 1, end 3 (the start is context only); add-one over 4 ids
    unigram_b = (2 + 1) / (9 + 4)
    # after "a": b twice, c once → 3 events of 2 types
    expected = (2 + 2 * unigram_b) / (3 + 2)
    assert math.exp(model.log_probs((1,))[2]) == pytest.approx(expected)
    # the start of a text is followed by "a" three times, by nothing else
    unigram_a = (3 + 1) / 13
    assert math.exp(model.log_probs((BLANK_ID,))[1]) == pytest.approx((3 + 1 * unigram_a) / (3 + 1))


@pytest.mark.parametrize("context", [(), (0,), (1,), (0, 1), (1, 2, 3), (3, 3, 3)])
def test_every_distribution_sums_to_one(context):
    model = build_language_model(["abc", "abca", "cab", "bb"] * 3, CS, order=3, min_count=1)
    assert np.exp(model.log_probs(context).astype(np.float64)).sum() == pytest.approx(1.0, abs=1e-5)


def test_a_seen_text_scores_above_an_unseen_one():
    model = build_language_model(["ab"] * 20 + ["ca"], CS, order=3, min_count=1)
    assert model.score([1, 2]) > model.score([1, 3])
    assert model.score([1, 2]) > model.score([1, 2, 2])  # the text's end counts too


def test_save_and_load_give_the_same_model(tmp_path):
    model = build_language_model(["abc", "cab", "bca", "abc"], CS, order=3, min_count=2)
    model = NgramLanguageModel(model.tokens, model.order, model.counts, model.contexts, {"seed": 7})
    loaded = NgramLanguageModel.load(model.save(tmp_path / "lm.safetensors"))
    assert loaded.tokens == model.tokens and loaded.order == 3 and loaded.provenance == {"seed": 7}
    for context in [(), (0,), (1, 2), (2, 3)]:
        assert np.array_equal(loaded.log_probs(context), model.log_probs(context))


def test_files_that_are_not_language_models_are_refused_by_path(tmp_path):
    with pytest.raises(CheckpointError, match="absent.safetensors: language-model file not found"):
        NgramLanguageModel.load(tmp_path / "absent.safetensors")
    broken = tmp_path / "broken.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, str(broken), metadata={"format": "krocr-ngram/1", "order": "2"})
    with pytest.raises(CheckpointError, match="broken.safetensors: language model lacks"):
        NgramLanguageModel.load(broken)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a tensor file")
    with pytest.raises(CheckpointError, match="garbage.safetensors"):
        NgramLanguageModel.load(garbage)
    other = tmp_path / "weights.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, str(other), metadata={"format": "krocr-weights"})
    with pytest.raises(CheckpointError, match="weights.safetensors: not a krocr language model"):
        NgramLanguageModel.load(other)


def test_pruned_counts_go_to_the_shorter_history_so_distributions_still_sum_to_one():
    texts = ["abc"] * 5 + ["abb"]  # after "ab": c five times (kept), b once (pruned at min_count 2)
    pruned = build_language_model(texts, CS, order=3, min_count=2)
    full = build_language_model(texts, CS, order=3, min_count=1)
    assert sum(len(k) for k, _ in pruned.counts) < sum(len(k) for k, _ in full.counts)
    after_ab = np.exp(pruned.log_probs((1, 2)).astype(np.float64))
    assert after_ab.sum() == pytest.approx(1.0, abs=1e-6)
    # the pruned "abb" still leaves b likelier after "ab" than a, which never followed it
    assert after_ab[2] > after_ab[1]


def test_every_token_of_a_long_history_counts_up_to_the_order():
    # order 5: the 3- and 4-token histories must not be cut to their last one or two tokens
    model = build_language_model(["abca"] * 5 + ["cbcb"] * 5, CS, order=5, min_count=1)
    assert not np.allclose(model.log_probs((0, 1, 2, 3)), model.log_probs((2, 3)))
    assert not np.allclose(model.log_probs((0, 1, 2)), model.log_probs((1, 2)))
    assert np.array_equal(model.log_probs((3, 0, 1, 2, 3)), model.log_probs((0, 1, 2, 3)))  # only 4 count


def test_the_cache_of_distributions_stays_bounded(monkeypatch):
    from krocr.model import language_model

    monkeypatch.setattr(language_model, "CACHE_LIMIT", 3)
    model = build_language_model(["abc", "cab"], CS, order=3, min_count=1)
    for context in [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (3, 3)]:
        model.log_probs(context)
        assert len(model._cache) <= 3


def _plain_witten_bell(model: NgramLanguageModel, context: tuple[int, ...]) -> np.ndarray:
    """The distribution after ``context`` computed the plain way: from the add-one unigram
    up through every longer history, stopping at the first one never seen."""
    keys, counts = model.counts[0]
    probs = np.ones(model.size, np.float64)
    probs[keys] += counts
    probs /= probs.sum()
    for length in range(1, len(context) + 1):
        history = _key(context[-length:], model.bits)
        context_keys, totals, types, kept = model.contexts[length - 1]
        at = int(np.searchsorted(context_keys, history))
        if at == len(context_keys) or context_keys[at] != history:
            break
        keys, counts = model.counts[length]
        low, high = np.searchsorted(keys, [history << model.bits, (history + 1) << model.bits])
        seen = np.zeros(model.size, np.float64)
        seen[keys[low:high] - (history << model.bits)] = counts[low:high]
        backoff = float(types[at]) + float(totals[at]) - float(kept[at])
        probs = (seen + backoff * probs) / (float(totals[at]) + float(types[at]))
    return np.log(probs).astype(np.float32)


@pytest.mark.parametrize("shared_limit", [2, 20_000])
def test_distributions_built_on_kept_short_histories_equal_the_plain_computation(monkeypatch, shared_limit):
    from krocr.model import language_model

    # min_count 2 prunes, so the pruned share of a history (kept < totals) is exercised too
    texts = ["abcab", "cabba", "bcaac", "aab", "cbc", "abca", "bbca"] * 2 + ["acbac", "ccab"]
    model = build_language_model(texts, CS, order=5, min_count=2)
    assert any((kept < totals).any() for _, totals, _, kept in model.contexts)
    rng = np.random.default_rng(3)
    contexts = [tuple(int(t) for t in rng.integers(0, 4, size=rng.integers(0, 5))) for _ in range(300)]
    monkeypatch.setattr(language_model, "SHARED_LIMIT", shared_limit)
    for context in contexts:
        assert np.array_equal(model.log_probs(context), _plain_witten_bell(model, context)), context
    assert 0 < len(model._shared) <= shared_limit


def test_an_order_too_long_for_the_keys_is_refused():
    with pytest.raises(ConfigError, match="does not fit"):
        build_language_model(["ab"], CS, order=40)


def test_tokens_the_model_lacks_map_to_minus_one_and_score_as_the_least_likely():
    model = build_language_model(["ab"], Charset(tuple("ab")), order=2, min_count=1)
    mapping = model.token_map(CS)
    assert mapping.tolist() == [0, 1, 2, -1]
    log_probs = model.log_probs((1,))
    assert lm_log_prob(log_probs, -1) == pytest.approx(float(log_probs.min()))


def ambiguous_logits() -> np.ndarray:
    """a, then b or c (c a little likelier), then blank: greedy reads "ac"."""
    probs = np.array(
        [
            [0.02, 0.96, 0.01, 0.01],
            [0.02, 0.01, 0.42, 0.55],
            [0.97, 0.01, 0.01, 0.01],
        ]
    )
    return np.log(probs)[None].astype(np.float32)


def test_the_language_model_turns_the_beam_to_the_likelier_text():
    logits = ambiguous_logits()
    assert greedy_decode(logits, CS)[0].text == "ac"
    assert beam_decode(logits, CS)[0].text == "ac"
    model = build_language_model(["ab"] * 50 + ["ac"], CS, order=3, min_count=1)
    fused = beam_decode(logits, CS, fusion=LanguageFusion(model, weight=1.0))[0]
    assert fused.text == "ab"
    # the confidence stays the recognizer's own probability of the text, summed over its
    # alignments: "ab-" carries nearly all of it
    assert fused.confidence == pytest.approx(0.96 * 0.42 * 0.97, rel=0.02)
    assert beam_decode(logits, CS, fusion=LanguageFusion(model, weight=0.0))[0].text == "ac"


def test_a_fusion_copied_with_another_weight_scores_afresh():
    model = build_language_model(["ab"] * 50 + ["ac"], CS, order=3, min_count=1)
    weighed = LanguageFusion(model, weight=1.0)
    assert beam_decode(ambiguous_logits(), CS, fusion=weighed)[0].text == "ab"
    # the kept scores belong to the weights they were computed with
    assert beam_decode(ambiguous_logits(), CS, fusion=replace(weighed, weight=0.0))[0].text == "ac"


def test_the_end_of_text_counts_when_a_token_may_be_missing():
    # "a", then b or nothing (nothing a little likelier): greedy reads "a"; texts always go on after "a"
    probs = np.array([[0.02, 0.96, 0.01, 0.01], [0.55, 0.01, 0.42, 0.02], [0.97, 0.01, 0.01, 0.01]])
    logits = np.log(probs)[None].astype(np.float32)
    assert greedy_decode(logits, CS)[0].text == "a"
    model = build_language_model(["ab"] * 50 + ["ac"], CS, order=3, min_count=1)
    assert beam_decode(logits, CS, fusion=LanguageFusion(model, weight=1.0))[0].text == "ab"


def test_with_scope_hangul_punctuation_follows_the_recognizer():
    # between 가 and 다 the frames say "." more than 나; the text stream almost always has 나
    charset = Charset(tuple("가나다."))  # ids: 가 1, 나 2, 다 3, . 4
    probs = np.array([[0.02, 0.95, 0.01, 0.01, 0.01], [0.04, 0.01, 0.35, 0.01, 0.59], [0.02, 0.01, 0.01, 0.95, 0.01]])
    logits = np.log(probs)[None].astype(np.float32)
    model = build_language_model(["가나다"] * 50 + ["가.다"], charset, order=3, min_count=1)
    assert greedy_decode(logits, charset)[0].text == "가.다"
    assert beam_decode(logits, charset, fusion=LanguageFusion(model, weight=1.0))[0].text == "가나다"
    hangul = LanguageFusion(model, weight=1.0, scope="hangul")
    assert beam_decode(logits, charset, fusion=hangul)[0].text == "가.다"


def test_with_scope_hangul_a_text_without_hangul_gets_no_end_score():
    charset = Charset(tuple("가1"))
    model = build_language_model(["가"] * 50, charset, order=2, min_count=1)
    scorer = _LanguageScorer(LanguageFusion(model, weight=1.0, scope="hangul"), charset)
    assert scorer.final((2, 2)) == 0.0 and scorer.final(()) == 0.0  # "11" and the empty text
    assert scorer.final((1,)) != 0.0


@pytest.mark.parametrize("cache_limit", [5, 1_000_000])
def test_scores_kept_from_call_to_call_change_no_reading(monkeypatch, cache_limit):
    from krocr.model import decoding

    model = build_language_model(["abc", "cab", "bca", "aab", "cbc"] * 3, CS, order=3, min_count=1)
    rng = np.random.default_rng(5)
    crops = (rng.normal(size=(12, 9, 4)) * 3).astype(np.float32)
    monkeypatch.setattr(decoding, "SCORE_CACHE_LIMIT", cache_limit)
    fresh = [beam_decode(crop[None], CS, fusion=LanguageFusion(model, 0.5, 0.2))[0] for crop in crops]
    fusion = LanguageFusion(model, 0.5, 0.2)
    kept = [beam_decode(crop[None], CS, fusion=fusion)[0] for crop in crops]
    assert kept == fresh
    assert beam_decode(crops, CS, fusion=fusion) == fresh
    assert fusion.scorer(CS) is fusion.scorer(CS)  # one per charset, kept

    def kept_scores(fusion: LanguageFusion) -> int:
        return len(fusion.scorer(CS).prefix_scores) + len(fusion.scorer(CS).next_scores)

    monkeypatch.setattr(decoding, "SCORE_CACHE_LIMIT", 1_000_000)
    unbounded = LanguageFusion(model, 0.5, 0.2)
    beam_decode(crops, CS, fusion=unbounded)
    # a small limit forgets (between crops), a large one keeps everything
    assert (kept_scores(fusion) < kept_scores(unbounded)) == (cache_limit < kept_scores(unbounded))


def test_a_token_the_model_lacks_cuts_the_history_and_decoding_goes_on():
    model = build_language_model(["ab"] * 20, Charset(tuple("ab")), order=3, min_count=1)
    logits = np.log(np.array([[0.01, 0.01, 0.01, 0.97], [0.97, 0.01, 0.01, 0.01], [0.01, 0.97, 0.01, 0.01]]))
    assert beam_decode(logits[None].astype(np.float32), CS, fusion=LanguageFusion(model, 0.3))[0].text == "ca"


def test_a_recognizer_with_a_language_model_decodes_with_beams():
    with_lm = Recognizer("ko", language_model="ko")
    assert with_lm.decoder == "beam" and with_lm.fusion is not None
    assert with_lm.language_model_file is not None and with_lm.language_model_file.name == "ko_lm.safetensors"
    with pytest.raises(KrocrError, match="needs decoder='beam'"):
        Recognizer("ko", decoder="greedy", language_model="ko")
    with pytest.raises(CheckpointError, match="missing.safetensors"):
        Recognizer("ko", language_model="missing.safetensors")
    with pytest.raises(KrocrError, match="lm_weight must be a finite number"):
        Recognizer("ko", language_model="ko", lm_weight=float("nan"))
    with pytest.raises(KrocrError, match="unknown lm_scope 'latin'"):
        Recognizer("ko", language_model="ko", lm_scope="latin")  # type: ignore[arg-type]


def test_a_fusion_refuses_a_weight_bonus_or_scope_it_cannot_use():
    model = build_language_model(["ab"], CS, order=2, min_count=1)
    with pytest.raises(KrocrError, match="unknown lm_scope 'latin'"):
        LanguageFusion(model, 0.2, 1.0, "latin")  # type: ignore[arg-type]
    for weight, bonus in [(-0.1, 0.0), (float("nan"), 0.0), (0.2, float("inf"))]:
        with pytest.raises(KrocrError, match="lm_weight must be a finite number"):
            LanguageFusion(model, weight, bonus)


def test_a_language_model_of_other_tokens_is_refused():
    syllables = build_language_model(["가나"], Charset(tuple("가나")), order=2, min_count=1)
    with pytest.raises(KrocrError, match="knows 0% of the recognizer's jamo tokens"):
        Recognizer("ko", language_model=syllables)


def test_an_unknown_decoder_is_named_before_any_language_model_is_chosen():
    with pytest.raises(KrocrError, match="unknown decoder 'viterbi'"):
        Recognizer("ko", decoder="viterbi")


def test_read_takes_a_language_model_by_name_and_refuses_its_weight_without_one(capsys):
    crop = "examples/crops/crop_01.png"
    assert main(["read", "--lm", "ko", crop]) == 0
    assert capsys.readouterr().out.startswith(crop + "\t24시\t")
    assert main(["read", "--lm-weight", "0.3", crop]) == 0  # the shipped model's own, weighed otherwise
    assert main(["read", "--lm", "none", "--lm-weight", "0.3", crop]) == 1
    assert "give one with --lm" in capsys.readouterr().err
    assert main(["read", "--lm", "none", "--lm-scope", "hangul", crop]) == 1
    assert "give one with --lm" in capsys.readouterr().err
    # refused before any weights are loaded: a weights file of one's own reads with none
    assert main(["read", "--weights", "no_such.safetensors", "--lm-bonus", "1", crop]) == 1
    assert "--lm auto uses none for --weights no_such.safetensors" in capsys.readouterr().err


def test_the_shipped_korean_model_reads_with_its_language_model_unless_told_otherwise():
    assert Recognizer("ko").fusion is not None and Recognizer("ko").decoder == "beam"
    assert Recognizer().language_model_file == Recognizer("ko", language_model="ko").language_model_file
    assert Recognizer("ko", language_model=None).fusion is None
    assert Recognizer("ko", decoder="greedy").fusion is None
    assert Recognizer("en").fusion is None  # no language model of its own
    assert Recognizer("en").decoder == "greedy"


def test_the_lm_command_writes_a_model_that_loads(tmp_path, capsys):
    out = tmp_path / "lm.safetensors"
    assert main(["lm", "--out", str(out), "--texts", "300", "--order", "3", "--min-count", "1"]) == 0
    model = NgramLanguageModel.load(out)
    assert model.order == 3 and model.provenance["texts"] == 300 and model.provenance["tokenizer"] == "jamo"
    assert "3-gram" in capsys.readouterr().out
    assert main(["lm", "--out", str(tmp_path / "lm.bin"), "--texts", "10"]) == 1


def test_corpus_lines_are_counted_into_the_model_and_recorded(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("휘뚜루마뚜루 쓰는 밥솥\n가 = 나\n", encoding="utf-8")
    plain, mixed = tmp_path / "plain.safetensors", tmp_path / "mixed.safetensors"
    flags = ["--texts", "300", "--order", "3", "--min-count", "1"]
    assert main(["lm", "--out", str(plain), *flags]) == 0
    assert main(["lm", "--out", str(mixed), *flags, "--corpus", str(corpus), "--corpus-repeat", "3"]) == 0
    assert "1 lines (left out: 1 characters outside the charset" in capsys.readouterr().out
    charset = korean_charset(tokenizer="jamo")  # the command's default tokens
    with_corpus, without = NgramLanguageModel.load(mixed), NgramLanguageModel.load(plain)
    sentence = charset.encode("휘뚜루마뚜루 쓰는 밥솥")
    assert with_corpus.score(with_corpus.token_map(charset)[sentence]) > without.score(
        without.token_map(charset)[sentence]
    )
    (recorded,) = with_corpus.provenance["corpora"]
    assert recorded["lines"] == 1 and recorded["left_out"] == {"characters outside the charset": 1}
    assert with_corpus.provenance["command"].endswith(f"--corpus {corpus} --corpus-repeat 3")
    assert main(["lm", "--out", str(plain), *flags, "--corpus-repeat", "3"]) == 1  # nothing to repeat


def test_layouts_are_chosen_by_greedy_readings_and_only_the_chosen_one_is_weighed(monkeypatch):
    reader = Recognizer("ko", language_model="ko")
    sure, doubtful = np.zeros((4, 191), np.float32), np.zeros((4, 191), np.float32)
    sure[[0, 2, 3], 0] = doubtful[[0, 2, 3], 0] = 30.0  # blanks around one token
    sure[1, 40] = 30.0  # a sure token
    doubtful[1, 41], doubtful[1, 42] = 10.0, 9.9  # two tokens nearly tied
    logits = iter([doubtful, sure])  # the first layout's, then the second's
    monkeypatch.setattr(reader, "crop_logits", lambda prepared: [next(logits) for _ in prepared])
    rows, greedy = reader.choose_layouts([[Layout(np.zeros((1, 32, 128), np.float32))] * 2])
    assert rows[0] is sure and greedy[0].text
    decoded: list[np.ndarray] = []
    monkeypatch.setattr(reader, "decode", lambda logits: decoded.append(logits) or [greedy[0]])
    reader.finish(rows, greedy)
    assert len(decoded) == 1 and np.array_equal(decoded[0][0], sure)  # the beam reads the chosen layout only
