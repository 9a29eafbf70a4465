"""Condensed lettering: signs squeeze words into narrow boxes, narrower than any render the
recognizer trained on, and it then merges or drops characters (on the real crops, words
narrower than half their height per character read 34 %, others 85 %). The recognizer also
reads each crop stretched to twice its width, and keeps that reading only when it is clearly
more confident (:data:`CONDENSED_MARGIN`) and its text is long for the crop: a crop wider
than :data:`CONDENSED_TAU` of its text's ems is lettered at ordinary proportions, so a
stretched reading of it is not trusted (docs/experiments/2026-12-06-condensed-stretch.md).
"""

from __future__ import annotations

import cv2
import numpy as np

# how much the second layout widens a crop (the narrowest real crops are about half as wide
# as renders of their text)
CONDENSED_STRETCH = 2.0
# a crop counts as condensed for a text when its width over height is below this share of
# the text's ems: the 5th percentile of renders of held-out fonts (data/calib_heldout40),
# fixed before any real crop was read with it
CONDENSED_TAU = 0.5
# the confidence a stretched reading must beat the crop's own reading by: a second look is a
# second chance for a confident misreading. The smallest of 0, 0.05 and 0.1 at which renders
# of held-out fonts (data/calib_heldout40) read no worse than without the stretch (69.4 %
# words, 2,132 edits: 0 gave 69.2 % and 2,159; 0.1 gives 69.4 % and 2,125), while squeezed to
# half their width they read 59.5 % instead of 16.8 % (60.7 % at 0); chosen with a flat 0.55 em
# for every non-Hangul character, and with the measured widths below 60.4 % at 0.1
CONDENSED_MARGIN = 0.1
# the width of characters in ems (heights): Hangul syllables are square; the other classes'
# widths beside a syllable are medians over the training faces (benchmarks/character_widths.py);
# a character of no class (×, ♣, …) counts as the other symbols do
HANGUL_EMS = 1.0
CHARACTER_CLASSES = {
    "digits": "0123456789",
    "capitals": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "small letters": "abcdefghijklmnopqrstuvwxyz",
    "narrow marks": ".,:;'!|`",
    "brackets": "()[]{}",
    "dashes": "-~/·–",
    "other symbols": '%&@#₩+=*?"<>$_',
    "full-width symbols": "※★☆♥○●■□▶◀→←↑↓「」『』【】《》〈〉℃㈜㎡㎏㎖㎞…―—",
    "space": " ",
}
CLASS_EMS = {
    "digits": 0.60,
    "capitals": 0.71,
    "small letters": 0.57,
    "narrow marks": 0.33,
    "brackets": 0.39,
    "dashes": 0.51,
    "other symbols": 0.64,
    "full-width symbols": 1.00,
    "space": 0.28,
}
OTHER_EMS = CLASS_EMS["other symbols"]
_CHARACTER_EMS = {c: CLASS_EMS[name] for name, chars in CHARACTER_CLASSES.items() for c in chars}


def text_ems(text: str) -> float:
    """How wide ``text`` is when lettered at ordinary proportions, in heights."""
    return sum(HANGUL_EMS if "가" <= c <= "힣" else _CHARACTER_EMS.get(c, OTHER_EMS) for c in text)


def stretched(gray: np.ndarray, factor: float = CONDENSED_STRETCH) -> np.ndarray:
    """A gray crop widened ``factor`` times, its height kept."""
    height, width = gray.shape
    return cv2.resize(gray, (max(1, round(width * factor)), height), interpolation=cv2.INTER_CUBIC)


def condensed_min_ems(gray: np.ndarray) -> float:
    """The fewest ems a stretched reading of this crop must hold to be trusted: more than the
    crop's own width over height could letter at :data:`CONDENSED_TAU`."""
    height, width = gray.shape
    return width / height / CONDENSED_TAU
