import math

import numpy as np
import pytest
import torch

from krocr.charset import BLANK_ID, Charset
from krocr.model.calibration import ConfidenceCalibration
from krocr.model.decoding import beam_decode, best_alignment, collapse_path, greedy_decode, log_softmax, raw_frames

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


def test_best_alignment_of_the_greedy_text_is_the_best_path():
    logits = torch.randn(1, 12, 4, generator=torch.Generator().manual_seed(3)).numpy()[0]
    log_probs = log_softmax(logits.astype(np.float64))
    path = log_probs.argmax(-1)
    frames = best_alignment(log_probs, collapse_path(path.tolist()))
    assert frames is not None
    assert frames.sum() == pytest.approx(log_probs.max(-1).sum())


def test_best_alignment_of_another_text_takes_the_frames_it_needs():
    # frames read a, blank, b: the text "ab" takes them all; "aa" must spend frame 2 on an a
    # after a blank (or frame 1, the blank, on a), paying that frame's probability
    probs = np.array([[0.02, 0.9, 0.06, 0.02], [0.8, 0.1, 0.05, 0.05], [0.05, 0.15, 0.75, 0.05]])
    log_probs = np.log(probs)
    assert np.exp(best_alignment(log_probs, [1, 2])) == pytest.approx([0.9, 0.8, 0.75])
    assert np.exp(best_alignment(log_probs, [1, 1])) == pytest.approx([0.9, 0.8, 0.15])
    assert best_alignment(log_probs, [1, 1, 1]) is None  # three a's need five frames


def test_beam_confidence_under_a_calibration_equals_greedy_for_the_same_text():
    logits = one_hot_logits([1, 1, 0, 1, 3, 0, 2], confidence=2.0)
    platt = ConfidenceCalibration(platt=(-1.8, -5.5))
    beam = beam_decode(logits, CS, calibration=platt)[0]
    greedy = greedy_decode(logits, CS, platt)[0]
    assert beam.text == greedy.text and beam.confidence == greedy.confidence


def test_beam_confidence_under_a_calibration_is_lower_for_a_text_the_frames_do_not_show():
    probs = torch.tensor([[0.4, 0.35, 0.25, 1e-9]] * 2)  # greedy "", beam "a" (see above)
    platt = ConfidenceCalibration(platt=(-1.8, -5.5))
    beam = beam_decode(probs.log()[None], CS, beam_width=8, prune_below=1e-6, calibration=platt)[0]
    assert beam.text == "a"
    assert beam.confidence < greedy_decode(probs.log()[None], CS, platt)[0].confidence


def test_a_blank_crop_reads_empty_under_a_calibration():
    logits = one_hot_logits([0, 0, 0])
    platt = ConfidenceCalibration(platt=(-1.8, -5.5))
    beam = beam_decode(logits, CS, calibration=platt)[0]
    assert beam.text == "" and beam.confidence == greedy_decode(logits, CS, platt)[0].confidence


def test_beam_over_frames_where_only_the_blank_survives_equals_the_exact_text_probability():
    # frames 1 and 3 are likely blanks whose other tokens fall below the pruning floor, so
    # only the blank extends the beams there (the search's shortcut); a wide beam must still
    # return the likeliest text and its exact probability over the paths the floor allows
    from itertools import product

    floor = 0.2
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(4), size=5)
    probs[[1, 3]] = [0.7, 0.1, 0.1, 0.1]
    allowed = [np.flatnonzero(frame >= floor) for frame in probs]
    texts: dict[tuple[int, ...], float] = {}
    for path in product(*allowed):
        text = tuple(collapse_path(path))
        texts[text] = texts.get(text, 0.0) + float(np.prod(probs[np.arange(5), list(path)]))
    best_text, best_probability = max(texts.items(), key=lambda kv: kv[1])
    decoded = beam_decode(np.log(probs)[None].astype(np.float32), CS, beam_width=64, prune_below=floor)[0]
    assert [list(a) for a in allowed][1] == [BLANK_ID]
    assert decoded.text == CS.decode(list(best_text))
    assert decoded.confidence == pytest.approx(best_probability, rel=1e-5)


def test_a_beam_width_below_one_is_refused():
    with pytest.raises(ValueError, match="beam_width"):
        beam_decode(one_hot_logits([1, 0, 2]), CS, beam_width=0)
