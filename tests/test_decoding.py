import math

import pytest
import torch

from krocr.charset import BLANK_ID, Charset
from krocr.model.decoding import beam_decode, collapse_path, greedy_decode, raw_frames

CS = Charset(tuple("abc"))  # ids: a=1, b=2, c=3


def one_hot_logits(path, num_classes=4, confidence=10.0):
    logits = torch.zeros(1, len(path), num_classes)
    for t, token in enumerate(path):
        logits[0, t, token] = confidence
    return logits


@pytest.mark.parametrize(
    "path, expected",
    [
        ([1, 1, 0, 2], [1, 2]),  # repeats collapse
        ([1, 0, 1], [1, 1]),  # a repeat separated by a blank is kept
        ([0, 0, 0], []),
        ([3, 3, 3, 0, 3, 2, 2], [3, 3, 2]),
    ],
)
def test_collapse_rules(path, expected):
    assert collapse_path(path) == expected


def test_greedy_decode_text_and_confidence():
    logits = one_hot_logits([1, 1, BLANK_ID, 1, 2])
    decoded = greedy_decode(logits, CS)[0]
    assert decoded.text == "aab"
    expected_conf = math.exp(10) / (math.exp(10) + 3)
    assert decoded.confidence == pytest.approx(expected_conf, rel=1e-5)
    assert 0 <= decoded.confidence <= 1


def test_greedy_confidence_is_the_weakest_frame():
    logits = one_hot_logits([1, 0, 2])
    logits[0, 1] = 0.0  # a frame with uniform probabilities
    assert greedy_decode(logits, CS)[0].confidence == pytest.approx(0.25, rel=1e-5)


def test_raw_frames_shows_blanks():
    assert raw_frames(one_hot_logits([1, 0, 1, 2]), CS) == ["a-ab"]


def test_beam_matches_greedy_on_peaked_outputs():
    logits = one_hot_logits([1, 1, 0, 1, 3, 0, 2])
    assert beam_decode(logits, CS)[0].text == greedy_decode(logits, CS)[0].text == "aacb"


def test_beam_finds_the_more_probable_text_greedy_misses():
    # Two frames: P(blank)=0.4, P(a)=0.35, P(b)=0.25 in each. Best path is blank-blank (""),
    # but "a" has probability 0.35·0.4 + 0.4·0.35 + 0.35·0.35 = 0.4025 > P("") = 0.16.
    probs = torch.tensor([[0.4, 0.35, 0.25, 1e-9]] * 2)
    logits = probs.log()[None]
    assert greedy_decode(logits, CS)[0].text == ""
    best = beam_decode(logits, CS, beam_width=8, prune_below=1e-6)[0]
    assert best.text == "a"
    assert best.confidence == pytest.approx(0.4025, rel=1e-4)


def test_lexicon_restricts_output():
    logits = one_hot_logits([1, 0, 2, 0, 3], confidence=3.0)  # reads "abc"
    assert beam_decode(logits, CS)[0].text == "abc"
    restricted = beam_decode(logits, CS, beam_width=16, lexicon=["abb", "cab", "ab"], prune_below=1e-6)[0]
    assert restricted.text in {"abb", "ab"}
    assert 0 < restricted.confidence < 1


def test_lexicon_with_no_fit_returns_empty():
    logits = one_hot_logits([1, 0, 1], confidence=20.0)
    assert beam_decode(logits, CS, lexicon=["c"], prune_below=0.5)[0].text == ""


def test_batched_decoding_keeps_order():
    logits = torch.cat([one_hot_logits([1, 0]), one_hot_logits([2, 0]), one_hot_logits([3, 3])])
    assert [d.text for d in greedy_decode(logits, CS)] == ["a", "b", "c"]
    assert [d.text for d in beam_decode(logits, CS)] == ["a", "b", "c"]
