"""Ground-truth records shared by every importer, and the one label check they all use.

* :class:`Word`: one annotated word (or line) on a photo: its polygon and text.
* :class:`ImageRecord`: a photo and its words.
* :class:`CropRecord`: a word that is already cropped (label files, LMDB datasets).

Text is NFC-normalized when a record is built, so NFD Hangul from macOS tools never
reaches a charset lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from krocr.charset import Charset, OOVPolicy, OOVReport, normalize_text
from krocr.data.rejections import Issue, Reason

# Transcriptions that mean "there is text here but nobody could read it".
ILLEGIBLE_MARKERS: frozenset[str] = frozenset({"###"})


@dataclass
class Word:
    points: np.ndarray  # (N, 2) float32 x, y in pixels, in the file's order
    text: str
    illegible: bool = False
    region: str = ""  # where it is in its annotation file: "photo.jpg region 3", "line 7"

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points, dtype=np.float32).reshape(-1, 2)
        self.text = normalize_text(self.text)


@dataclass
class ImageRecord:
    path: Path
    words: list[Word] = field(default_factory=list)
    source: str = ""
    width: int | None = None  # as stated by the annotation file, if it states it
    height: int | None = None
    annotation: Path | None = None  # the file the words came from, for messages


@dataclass
class CropRecord:
    """An already-cropped word: decoded from ``image_bytes`` when set (``path`` is then the
    LMDB it came from), else read from the image file ``path``."""

    path: Path | None
    text: str
    source: str = ""
    item: str = ""  # "line 7", "index 12"
    image_bytes: bytes | None = None
    annotation: Path | None = None  # the label file ``item`` is a line of, for messages

    def __post_init__(self) -> None:
        self.text = normalize_text(self.text)


@dataclass(frozen=True)
class LabelRules:
    """What makes a label trainable. ``charset=None`` accepts any character."""

    charset: Charset | None = None
    oov_policy: OOVPolicy = "reject"
    max_length: int = 62  # in tokens of the charset's tokenizer (characters without a charset)

    def length(self, text: str) -> int:
        return self.charset.token_length(text) if self.charset else len(text)


def check_label(text: str, rules: LabelRules, report: OOVReport | None = None) -> tuple[str | None, Issue | None]:
    """The label to train on (NFC, outer whitespace stripped, charset policy applied), or
    None and the issue. Outer whitespace is stripped because it is invisible in a crop."""
    text = normalize_text(text).strip()
    if not text:
        return None, Issue(Reason.EMPTY_LABEL, "empty or whitespace-only label")
    if rules.charset is not None:
        missing = rules.charset.missing(text)
        applied = rules.charset.apply_policy(text, rules.oov_policy, report)
        if applied is None:
            shown = ", ".join(f"{c!r} U+{ord(c):04X}" for c in missing)
            return None, Issue(Reason.OUT_OF_CHARSET, f"{text!r} has {shown}")
        if not applied.strip():
            return None, Issue(Reason.EMPTY_LABEL, f"{text!r} is empty after the {rules.oov_policy!r} policy")
        text = applied.strip()
    length = rules.length(text)
    if length > rules.max_length:
        return None, Issue(Reason.LABEL_TOO_LONG, f"{length} tokens > {rules.max_length}: {text[:40]!r}")
    return text, None
