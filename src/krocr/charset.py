"""Charsets: the ordered symbols a recognizer emits, and how text becomes token ids.

Token id 0 is always the CTC blank, a reserved index that is never a text character
(the reference Keras model used ``_`` as blank; here ``_`` is an ordinary symbol).
Symbols take ids 1..n in their stored order; with ``unknown=True`` one more id maps every
out-of-charset character to U+FFFD.

Two tokenizers share this type:

* ``char``: one token per character (one per Hangul syllable).
* ``jamo``: each precomposed Hangul syllable becomes its conjoining jamo (initial, medial
  and optional final consonant, taken from distinct Unicode blocks so the sequence is
  unambiguous); decoding recomposes them. About 70 Hangul classes instead of thousands.

All text is normalized on the way in and out (``normalize_text``): Unicode NFC, so NFD
Hangul (common in files written on macOS) never turns into unknown characters, and width
variants folded to one symbol — fullwidth ASCII (``（주）``, ``０１０``) to ASCII, the
ideographic space to a space, the fullwidth won sign ``￦`` to ``₩`` — because a sign shows
them with the same glyph shapes and no reader can tell them apart. Labels, predictions and
metrics all see the folded text.
"""

from __future__ import annotations

import json
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeGuard

from krocr.errors import CharsetError, OutOfCharsetError, read_input_text

BLANK_ID = 0
UNKNOWN_SYMBOL = "\ufffd"

OOVPolicy = Literal["reject", "drop", "unknown"]
Tokenizer = Literal["char", "jamo"]
OOV_POLICIES: tuple[str, ...] = ("reject", "drop", "unknown")
TOKENIZERS: tuple[str, ...] = ("char", "jamo")

# The reference English alphabet (mvoelk/ssd_detectors ``alphabet87``): 87 symbols.
ALPHABET87: str = string.ascii_lowercase + string.ascii_uppercase + string.digits + " +-*.,:!?%&$~/()[]<>\"'@#_"

# Symbols common on Korean signs, menus and labels beyond ASCII (`|`, last, divides sign panels
# like "탈모치료 | 모발이식"; added after v10, whose weights keep the charset they were trained with).
SIGN_SYMBOLS: str = "·₩℃㈜※★☆♥○●■□▶◀→←↑↓「」『』【】《》〈〉…―–—㎡㎏㎖㎞|"

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
_N_MEDIAL, _N_FINAL = 21, 28
_INITIAL_BASE, _MEDIAL_BASE, _FINAL_BASE = 0x1100, 0x1161, 0x11A7  # final index 0 = none


def _is_tokenizer(value: str) -> TypeGuard[Tokenizer]:
    return value in TOKENIZERS


_WIDTH_FOLDS = str.maketrans(
    {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {"\u3000": " ", "\uffe6": "\u20a9"}
)


def nfc(text: str) -> str:
    """Unicode NFC only: composes NFD Hangul jamo into syllables, keeps every glyph as it is."""
    return unicodedata.normalize("NFC", text)


def normalize_text(text: str) -> str:
    """NFC form (composes NFD Hangul jamo into syllables) with width variants folded:
    fullwidth ASCII → ASCII, ideographic space → space, ￦ → ₩."""
    return nfc(text).translate(_WIDTH_FOLDS)


def is_hangul_syllable(ch: str) -> bool:
    return HANGUL_FIRST <= ord(ch) <= HANGUL_LAST


def ksx1001_hangul() -> str:
    """The 2,350 Hangul syllables of KS X 1001, in code order, from Python's EUC-KR codec."""
    out = []
    for lead in range(0xB0, 0xC9):
        for trail in range(0xA1, 0xFF):
            try:
                out.append(bytes([lead, trail]).decode("euc-kr"))
            except UnicodeDecodeError:
                continue
    return "".join(out)


def modern_hangul() -> str:
    """All 11,172 modern precomposed Hangul syllables (U+AC00..U+D7A3)."""
    return "".join(chr(c) for c in range(HANGUL_FIRST, HANGUL_LAST + 1))


def decompose_syllable(ch: str) -> str:
    """A precomposed syllable as conjoining jamo: initial + medial (+ final)."""
    index = ord(ch) - HANGUL_FIRST
    initial, rest = divmod(index, _N_MEDIAL * _N_FINAL)
    medial, final = divmod(rest, _N_FINAL)
    jamo = chr(_INITIAL_BASE + initial) + chr(_MEDIAL_BASE + medial)
    return jamo + (chr(_FINAL_BASE + final) if final else "")


def to_jamo(text: str) -> str:
    """Replace every precomposed Hangul syllable by its conjoining jamo; keep the rest."""
    return "".join(decompose_syllable(c) if is_hangul_syllable(c) else c for c in text)


def _is_initial(ch: str) -> bool:
    return 0x1100 <= ord(ch) <= 0x1112


def _is_medial(ch: str) -> bool:
    return 0x1161 <= ord(ch) <= 0x1175


def _is_final(ch: str) -> bool:
    return 0x11A8 <= ord(ch) <= 0x11C2


def recompose_jamo(tokens: str) -> tuple[str, int]:
    """Recompose conjoining jamo into syllables.

    Rule for ill-formed sequences (a model can emit them): an initial followed by a medial
    starts a syllable, which takes a following final if there is one; any jamo that cannot
    join a syllable this way is dropped. Returns the text and the number of dropped jamo.
    """
    out: list[str] = []
    dropped = 0
    i = 0
    while i < len(tokens):
        ch = tokens[i]
        if _is_initial(ch) and i + 1 < len(tokens) and _is_medial(tokens[i + 1]):
            initial = ord(ch) - _INITIAL_BASE
            medial = ord(tokens[i + 1]) - _MEDIAL_BASE
            final = 0
            i += 2
            if i < len(tokens) and _is_final(tokens[i]):
                final = ord(tokens[i]) - _FINAL_BASE
                i += 1
            out.append(chr(HANGUL_FIRST + (initial * _N_MEDIAL + medial) * _N_FINAL + final))
        elif _is_initial(ch) or _is_medial(ch) or _is_final(ch):
            dropped += 1
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out), dropped


def hangul_jamo_symbols() -> str:
    """The 19 initial, 21 medial and 27 final conjoining jamo (67 symbols)."""
    initials = "".join(chr(c) for c in range(0x1100, 0x1113))
    medials = "".join(chr(c) for c in range(0x1161, 0x1176))
    finals = "".join(chr(c) for c in range(0x11A8, 0x11C3))
    return initials + medials + finals


@dataclass
class OOVReport:
    """Counts of what an out-of-charset policy did; never silent."""

    samples_rejected: int = 0
    samples_changed: int = 0
    characters: Counter = field(default_factory=Counter)

    def add(self, missing: Iterable[str], rejected: bool) -> None:
        missing = list(missing)
        if not missing:
            return
        self.characters.update(missing)
        if rejected:
            self.samples_rejected += 1
        else:
            self.samples_changed += 1

    def summary(self, top: int = 10) -> str:
        if not self.characters:
            return "all labels inside the charset"
        common = ", ".join(f"{c!r}×{n}" for c, n in self.characters.most_common(top))
        return (
            f"{sum(self.characters.values())} out-of-charset characters "
            f"({len(self.characters)} distinct: {common}); "
            f"{self.samples_rejected} samples rejected, {self.samples_changed} changed"
        )


@dataclass(frozen=True)
class Charset:
    """An ordered set of symbols; position + 1 is the token id (0 is the CTC blank).

    ``symbols`` are what the text may contain. With the ``jamo`` tokenizer the token
    inventory is the non-Hangul symbols plus the 67 conjoining jamo, and any Hangul syllable
    in ``symbols`` is accepted (it is spelled with jamo tokens).

    Args:
        symbols: the characters a text may hold, in token order.
        unknown: add a token for characters outside ``symbols`` instead of refusing them.
        tokenizer: ``char`` (one token per symbol) or ``jamo`` (Hangul spelled in jamo).

    Example:
        >>> cs = Charset(("가", "a"), tokenizer="jamo")
        >>> cs.decode(cs.encode("가a"))
        '가a'
    """

    symbols: tuple[str, ...]
    unknown: bool = False
    tokenizer: Tokenizer = "char"
    _index: dict[str, int] = field(init=False, repr=False, compare=False)
    _tokens: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _accepts: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # NFC only, not folded: a checkpoint made before a fold was added keeps one row per
        # stored symbol; text is folded, so a folded-away symbol is simply never a target.
        symbols = tuple(nfc(s) for s in self.symbols)
        _check_symbols(symbols)
        object.__setattr__(self, "symbols", symbols)
        if self.tokenizer not in TOKENIZERS:
            raise CharsetError(f"unknown tokenizer {self.tokenizer!r}; use one of {TOKENIZERS}")
        if self.tokenizer == "jamo":
            plain = tuple(s for s in symbols if not is_hangul_syllable(s))
            tokens = plain + tuple(hangul_jamo_symbols())
        else:
            tokens = symbols
        if self.unknown:
            tokens = tokens + (UNKNOWN_SYMBOL,)
        object.__setattr__(self, "_tokens", tokens)
        object.__setattr__(self, "_index", {t: i + 1 for i, t in enumerate(tokens)})
        object.__setattr__(self, "_accepts", frozenset(symbols))

    # ---- sizes -------------------------------------------------------------------------
    @property
    def num_classes(self) -> int:
        """Classifier outputs: every token plus the blank."""
        return len(self._tokens) + 1

    @property
    def tokens(self) -> tuple[str, ...]:
        """Token strings in id order (id = position + 1)."""
        return self._tokens

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, ch: str) -> bool:
        return ch in self._accepts

    # ---- text <-> ids ------------------------------------------------------------------
    def missing(self, text: str) -> list[str]:
        """Distinct characters of ``text`` (NFC) that the charset cannot encode, in order."""
        seen: dict[str, None] = {}
        for ch in normalize_text(text):
            if ch not in self._accepts:
                seen.setdefault(ch, None)
        return list(seen)

    def apply_policy(self, text: str, policy: OOVPolicy, report: OOVReport | None = None) -> str | None:
        """NFC-normalize ``text`` and handle out-of-charset characters by ``policy``.

        Returns the text to train on, or None when the sample is rejected. ``report``
        counts every character the policy touched.
        """
        if policy not in OOV_POLICIES:
            raise CharsetError(f"unknown out-of-charset policy {policy!r}; use one of {OOV_POLICIES}")
        text = normalize_text(text)
        missing = self.missing(text)
        if not missing:
            return text
        if policy == "unknown" and not self.unknown:
            raise CharsetError("policy 'unknown' needs a charset built with unknown=True")
        if report is not None:
            report.add((c for c in text if c not in self._accepts), rejected=policy == "reject")
        if policy == "reject":
            return None
        if policy == "drop":
            return "".join(c for c in text if c in self._accepts)
        return "".join(c if c in self._accepts else UNKNOWN_SYMBOL for c in text)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (NFC). Raises OutOfCharsetError for characters it lacks,
        unless the charset has an unknown token, which then stands in for them."""
        text = normalize_text(text)
        missing = self.missing(text)
        if missing and not self.unknown:
            raise OutOfCharsetError(text, missing)
        if self.tokenizer == "jamo":
            text = to_jamo(text)
        if self.unknown:
            unknown_id = self._index[UNKNOWN_SYMBOL]
            return [self._index.get(ch, unknown_id) for ch in text]
        return [self._index[ch] for ch in text]  # nothing is missing: every token has an id

    def decode(self, ids: Iterable[int]) -> str:
        """Text of token ids (blank ids are skipped; no CTC collapsing here)."""
        text = "".join(self._tokens[i - 1] for i in ids if i != BLANK_ID)
        if self.tokenizer == "jamo":
            text, _ = recompose_jamo(text)
        return normalize_text(text)

    def token_length(self, text: str) -> int:
        """How many tokens ``text`` takes (a jamo syllable takes 2 or 3)."""
        text = normalize_text(text)
        return len(to_jamo(text)) if self.tokenizer == "jamo" else len(text)

    # ---- combination -------------------------------------------------------------------
    def union(self, *others: Charset | str | Iterable[str]) -> Charset:
        """This charset followed by the new symbols of ``others`` (order kept, no duplicates)."""
        merged = dict.fromkeys(self.symbols)
        for other in others:
            merged.update(dict.fromkeys(nfc(s) for s in (other.symbols if isinstance(other, Charset) else other)))
        return Charset(tuple(merged), unknown=self.unknown, tokenizer=self.tokenizer)

    # ---- persistence -------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": "krocr-charset/1",
            "tokenizer": self.tokenizer,
            "unknown": self.unknown,
            "symbols": list(self.symbols),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict, source: str = "<dict>") -> Charset:
        if not isinstance(data, dict) or not isinstance(data.get("symbols"), list):
            raise CharsetError(f"{source}: expected a JSON object with a 'symbols' list")
        bad = [i for i, s in enumerate(data["symbols"]) if not isinstance(s, str) or len(nfc(s)) != 1]
        if bad:
            raise CharsetError(f"{source}: symbols at positions {bad[:10]} are not single characters")
        unknown = data.get("unknown", False)
        if not isinstance(unknown, bool):
            raise CharsetError(f"{source}: 'unknown' must be true or false, got {unknown!r:.60}")
        tokenizer = data.get("tokenizer", "char")
        if not isinstance(tokenizer, str):
            raise CharsetError(f"{source}: 'tokenizer' must be a string, got {tokenizer!r:.60}")
        if not _is_tokenizer(tokenizer):
            raise CharsetError(f"{source}: unknown tokenizer {tokenizer!r}; use one of {TOKENIZERS}")
        try:
            return cls(tuple(data["symbols"]), unknown=unknown, tokenizer=tokenizer)
        except CharsetError as exc:
            raise CharsetError(f"{source}: {exc}") from None

    @classmethod
    def from_json(cls, text: str, source: str = "<json>") -> Charset:
        try:
            data = json.loads(text)
        except RecursionError:
            raise CharsetError(f"{source}: not valid JSON (nested too deeply)") from None
        except ValueError as exc:  # JSONDecodeError, integers past the digit limit
            raise CharsetError(f"{source}: not valid JSON ({exc})") from None
        return cls.from_dict(data, source)

    def save(self, path: str | Path) -> None:
        """``.json`` keeps tokenizer and unknown flag; any other suffix writes one symbol a line."""
        path = Path(path)
        if path.suffix == ".json":
            path.write_text(self.to_json() + "\n", encoding="utf-8")
        else:
            path.write_text("".join(s + "\n" for s in self.symbols), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Charset:
        path = Path(path)
        raw = read_input_text(path, "charset file", CharsetError)
        if path.suffix == ".json":
            return cls.from_json(raw, str(path))
        return _parse_symbol_lines(raw, path)

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def from_labels(cls, labels: Iterable[str], base: Charset | str | None = None) -> Charset:
        """A charset of the characters seen in ``labels`` (as the reference built its 838
        symbols): the ``base`` symbols first, then new characters in sorted order."""
        seen = sorted({ch for label in labels for ch in normalize_text(label)})
        start = base if isinstance(base, Charset) else Charset(tuple(base or ""))
        return start.union(seen)


def _check_symbols(symbols: tuple[str, ...]) -> None:
    counts = Counter(symbols)
    duplicates = [s for s, n in counts.items() if n > 1]
    if duplicates:
        raise CharsetError(f"duplicate symbols: {duplicates[:10]!r}")
    if UNKNOWN_SYMBOL in counts:
        raise CharsetError("U+FFFD is reserved for the unknown token; use unknown=True")
    bad = [s for s in symbols if len(s) != 1 or s in "\n\r"]
    if bad:
        raise CharsetError(f"symbols must be single characters other than newlines: {bad[:10]!r}")


def _parse_symbol_lines(raw: str, path: Path) -> Charset:
    symbols: list[str] = []
    first_line: dict[str, int] = {}
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")  # Windows and old Mac line ends
    for lineno, line in enumerate(raw.split("\n"), start=1):
        if line == "" and lineno == raw.count("\n") + 1:
            continue  # text after the final newline
        symbol = nfc(line)
        if len(symbol) != 1:
            raise CharsetError(f"{path}:{lineno}: expected one symbol per line, got {line!r}")
        if symbol in first_line:
            raise CharsetError(f"{path}:{lineno}: duplicate symbol {symbol!r} (first on line {first_line[symbol]})")
        first_line[symbol] = lineno
        symbols.append(symbol)
    try:
        return Charset(tuple(symbols))
    except CharsetError as exc:
        raise CharsetError(f"{path}: {exc}") from None


def alphabet87() -> Charset:
    """The reference English alphabet (87 symbols, ``_`` an ordinary character)."""
    return Charset(tuple(ALPHABET87))


def korean_charset(syllables: Literal["ksx1001", "modern"] = "ksx1001", tokenizer: Tokenizer = "char") -> Charset:
    """alphabet87 + sign symbols + Hangul syllables (KS X 1001's 2,350 or all 11,172)."""
    hangul = ksx1001_hangul() if syllables == "ksx1001" else modern_hangul()
    return Charset(tuple(ALPHABET87 + SIGN_SYMBOLS + hangul), tokenizer=tokenizer)


BUILTIN_CHARSETS = {
    "alphabet87": alphabet87,
    "korean": korean_charset,
    "korean-jamo": lambda: korean_charset(tokenizer="jamo"),
    "korean-modern": lambda: korean_charset("modern"),
}


def resolve_charset(spec: str) -> Charset:
    """A built-in charset name (``alphabet87``, ``korean``, ``korean-jamo``, ``korean-modern``)
    or a path to a charset file."""
    if spec in BUILTIN_CHARSETS:
        return BUILTIN_CHARSETS[spec]()
    return Charset.load(spec)
