"""Text sources for synthetic crops: what a sign says, drawn from a numpy Generator.

A :class:`TextSource` is a deterministic stream: the same charset, config and seed give
the same strings in the same order. Each string has a *kind* (``word``, ``phone``,
``rare``...) drawn with the shares of :class:`TextConfig`:

* English (pretraining on the 87-symbol alphabet): wordfreq words and short phrases in
  lower / Title / UPPER case, numbers, prices, dates, times, codes, web addresses and
  punctuation-wrapped words.
* Korean signboards: business names (place or person + business type), phone numbers,
  floors and units, opening hours, prices, mixed Hangul/Latin brands, sign symbols,
  promotions, and general vocabulary from wordfreq's Korean list weighted by its real
  frequency (tempered, so the tail is not starved).
* Korean menus, labels and documents (:mod:`krocr.synth.text_forms`): ingredient and
  origin lists, nutrition facts, prices with units, dates and times, addresses and phone
  numbers in document form, products with sizes, exam and form text, notice sentences and
  receipt lines, dense in ``: , . · ( ) [ ] ~ - / % ₩``. With ``TextConfig(forms=False)``
  (``krocr synth --without text``) the Korean stream is the signboard stream from before them.
* ``rare`` (Korean): pseudo-words of 2–6 syllables drawn from the currently least-seen
  target syllables, so every syllable of the charset (KS X 1001's 2,350 by default)
  appears early and keeps appearing; :class:`SyllableCounter` keeps the tally.
* ``long`` lines of 20–40 characters (addresses, menu lines, phrases, ingredient lists,
  notices), as real signs and menus carry them.

Every string is NFC, single-spaced, stripped, at most ``max_length`` characters and
inside the charset; a draw that is not (or that ``accept`` refuses, e.g. because no font
can draw it) is drawn again, and the refusals are counted.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import wordfreq

from krocr.charset import SIGN_SYMBOLS, Charset, is_hangul_syllable, nfc
from krocr.errors import ConfigError, DataError, read_input
from krocr.progress import SILENT, ProgressHook
from krocr.synth import text_forms

Language = Literal["en", "ko"]
Generator = np.random.Generator
T = TypeVar("T")

# Symbols drawn on signs: the charset's, plus the fullwidth won sign, which is drawn as it is
# and labelled ₩ (charset.normalize_text). The order is part of the seeded text stream.
DRAWN_SIGN_SYMBOLS: str = SIGN_SYMBOLS.replace("₩", "₩￦")

# ---- shares -------------------------------------------------------------------------------
# Relative weights of the everyday kinds; ``rare`` and ``long`` take their own shares
# (TextConfig) off the top and these split the rest.
ENGLISH_SHARES: dict[str, float] = {
    "word": 0.50,
    "phrase": 0.12,
    "number": 0.05,
    "price": 0.07,
    "date": 0.05,
    "time": 0.03,
    "phone": 0.03,
    "code": 0.05,
    "punctuated": 0.07,
    "web": 0.03,
}
KOREAN_SHARES: dict[str, float] = {
    "word": 0.12,
    "business": 0.15,
    "phone": 0.06,
    "floor": 0.04,
    "hours": 0.04,
    "price": 0.06,
    "mixed": 0.07,
    "symbol": 0.06,
    "promo": 0.06,
    "english": 0.05,
    "number": 0.03,
    # menus, labels and documents (text_forms.py): 0.26 of the everyday share together
    "ingredients": 0.03,
    "nutrition": 0.02,
    "unit_price": 0.03,
    "date": 0.03,
    "contact": 0.02,
    "product": 0.03,
    "combo": 0.02,  # & and + joins (헤어&네일, 치킨&맥주): real menus and signs use them often
    "divided": 0.02,  # lists divided by | · / (탈모치료 | 모발이식, 수/선/전/문): sign panels
    "form": 0.02,
    "notice": 0.02,
    "receipt": 0.02,
}
# The Korean everyday kinds and their shares before the menus, labels and documents (issue 27):
# with TextConfig(forms=False) the stream draws exactly the strings it drew then (the forms took
# their 0.22 unevenly from these kinds, so zeroing them in KOREAN_SHARES would not give that back).
KOREAN_SIGN_SHARES: dict[str, float] = {
    "word": 0.24,
    "business": 0.22,
    "phone": 0.07,
    "floor": 0.05,
    "hours": 0.05,
    "price": 0.07,
    "mixed": 0.08,
    "symbol": 0.06,
    "promo": 0.07,
    "english": 0.05,
    "number": 0.04,
}

# ---- Korean signboard vocabulary ------------------------------------------------------------
BUSINESS_TYPES = (
    "치킨 미용실 약국 부동산 학원 카페 식당 편의점 병원 치과 안경 세탁소 노래연습장 PC방 피자 분식 떡볶이 "
    "김밥 베이커리 제과점 정육점 꽃집 마트 슈퍼 헤어 네일 피부과 내과 소아과 이비인후과 한의원 정형외과 안과 "
    "은행 우체국 문구 서점 철물점 공인중개사 태권도 피아노 영어학원 수학학원 헬스 필라테스 요가 당구장 "
    "스크린골프 모텔 사진관 세차장 주유소 카센터 타이어 휴대폰 전자 가구 인테리어 반찬 족발 보쌈 곱창 삼겹살 "
    "갈비 국밥 냉면 칼국수 중국집 횟집 초밥 돈가스 호프 포차 빨래방 코인노래방 스터디카페 독서실 키즈카페 "
    "동물병원 애견미용 공방 수선 열쇠 도장 인쇄 택배 안경원 치과의원 의원 약방 떡집 방앗간 분식집 순대국 "
    "감자탕 닭갈비 막국수 오리 한우 숯불갈비 아구찜 해장국 미술학원 음악학원 어린이집 세무사 법무사 노무사"
).split()
PLACE_NAMES = (
    "서울 강남 종로 명동 신촌 홍대 부산 대구 인천 광주 대전 수원 제주 한강 남산 중앙 역전 시장 행복 사랑 미소 "
    "하늘 바다 별빛 햇살 우리 한빛 푸른 으뜸 제일 대박 황금 청춘 엄마 할매 원조 본가 명가 옛날 큰집 동네 골목 "
    "다온 온누리 가온 해맑은 참좋은 늘푸른 새봄 솔 들꽃 무지개 초록 한울 나래 아름 고향 전통 정 모두 우정 "
    "백두 한라 금강 동해 서해 남해 강북 분당 일산 판교 잠실 성수 을지로 용산 청담 압구정 영등포 노원 수유"
).split()
SURNAMES = "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 홍 전 고 문 양 손 배 백 허 남 심".split()
GIVEN_NAMES = "민수 영희 철수 지영 현우 수진 성민 은지 정훈 미경 동현 혜진 상철 순자 길동 영수 지훈 서연".split()
CLINIC_TYPES = "내과 치과 안과 피부과 소아과 한의원 이비인후과 정형외과 의원 세무사 법무사 부동산 약국".split()
BRAND_SUFFIXES = (
    "본점 직영점 2호점 3호점 전문점 센터 하우스 나라 마을 월드 플러스 스토리 랜드 상회 마트 공인중개사".split()
)
LATIN_BRANDS = (
    "GS25 CU SK KT LG Cafe Coffee Bakery Hair Nail Beauty Studio Shop Mart Pizza Chicken BBQ Kids Fitness Dental "
    "Clinic Pub Bar Salon Korea Seoul The New Best Happy Fresh Style Pet Photo Mobile Book Print Coin Golf Yoga "
    "Pilates Design Art Music Dance Wine Beer Tea Bread Burger Donut Ice Cream Bistro Kitchen House Plus Day Zone"
).split()
PROMOS = (
    "할인 세일 특가 신규오픈 오픈 대박 이벤트 무료배달 배달 포장 주차가능 예약 상담 환영 문의 전화 무료 가격파괴 "
    "최저가 정품 당일 수리 임대 매매 전세 월세 분양 주차장 입구 출구 화장실 계단 엘리베이터 금연 영업중 준비중 "
    "폐업정리 땡처리 신상품 입고 포장가능 배달가능 단체환영 회식환영 테이크아웃 셀프 무인 상가 사무실 임대문의"
).split()
MENU_ITEMS = (
    "김치찌개 된장찌개 비빔밥 불고기 제육볶음 순두부 라면 떡볶이 순대 튀김 김밥 냉면 짬뽕 짜장면 탕수육 "
    "아메리카노 카페라떼 생맥주 소주 후라이드 양념치킨 반반 돈까스 우동 칼국수 만두 삼겹살 갈비탕 설렁탕 해장국 "
    "육개장 쫄면 수제비 잔치국수 오므라이스 카레 파전 도토리묵 계란말이 공기밥 아이스티 녹차 팥빙수"
).split()
PROVINCES = (
    "서울특별시 부산광역시 대구광역시 인천광역시 광주광역시 대전광역시 "
    "경기도 강원도 충청남도 경상북도 전라남도 제주특별자치도"
).split()
DISTRICTS = (
    "강남구 마포구 종로구 중구 서초구 송파구 해운대구 수성구 연수구 수원시 성남시 고양시 천안시 전주시 포항시 제주시"
).split()
ROADS = (
    "테헤란로 세종대로 중앙로 역삼로 강남대로 을지로 번영로 시청로 대학로 한강대로 광복로 문화로 평화로 희망로".split()
)
HOURS_WORDS = ("영업시간", "영업중", "점심시간", "브레이크타임", "평일", "주말", "토요일", "일요일", "OPEN", "CLOSE")
CLOSED_DAYS = ("연중무휴", "매주 월요일 휴무", "일요일 휴무", "정기휴일 매월 둘째 화요일", "공휴일 휴무", "24시간 영업")
PHONE_PREFIXES = ("", "", "", "TEL ", "Tel. ", "T. ", "전화 ", "문의 ", "예약 ", "H.P ")
WRAPPERS = (
    "★{}★",
    "☆{}☆",
    "【{}】",
    "「{}」",
    "『{}』",
    "《{}》",
    "〈{}〉",
    "♥{}♥",
    "※{}",
    "※ {}",
    "▶{}",
    "▶ {}",
    "● {}",
    "■ {}",
    "□{}",
    "○{}",
    "{} →",
    "← {}",
    "↑ {}",
    "{}…",
    "㈜{}",
    "{}℃",
    "《{}》",
    "-{}-",
    "[{}]",
    "({})",
)

# ---- English ---------------------------------------------------------------------------------
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
WEEKDAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
EN_PUNCT_WRAPS = (
    '"{}"',
    "'{}'",
    "({})",
    "[{}]",
    "<{}>",
    "{}!",
    "{}?",
    "{}.",
    "{},",
    "{}:",
    "*{}*",
    "#{}",
    "@{}",
    "{}'s",
    "{}-{}",
    "{}/{}",
    "{}&{}",
    "{}_{}",
    "~{}~",
    "{}+",
    "{}%",
    "${}",
)
WEB_TLDS = ("com", "net", "org", "kr", "co.kr", "io")

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class TextConfig:
    lang: Language = "ko"
    rare_share: float = 0.2  # pseudo-words of least-seen syllables (Korean only)
    long_share: float = 0.1  # 20–40 character lines
    long_length: tuple[int, int] = (20, 40)
    max_length: int = 40
    vocabulary: int = 30000  # wordfreq list size
    frequency_power: float = 0.5  # word weight = frequency ** power: real frequency, tempered
    case_shares: tuple[float, float, float] = (0.55, 0.30, 0.15)  # lower, Title, UPPER (Latin words)
    max_redraws: int = 50
    # Korean menu, label and document kinds and long lines (issue 27); False: the signboard kinds,
    # shares and long lines from before them (KOREAN_SIGN_SHARES). English has no such kinds.
    forms: bool = True

    def __post_init__(self) -> None:
        if self.lang not in ("en", "ko"):
            raise ConfigError(f"unknown text language {self.lang!r}; use 'en' or 'ko'")
        if not (0 <= self.rare_share <= 1 and 0 <= self.long_share <= 1 and self.rare_share + self.long_share <= 1):
            raise ConfigError(f"rare_share {self.rare_share} + long_share {self.long_share} must lie in [0, 1]")
        low, high = self.long_length
        if not 1 <= low <= high <= self.max_length:
            raise ConfigError(f"long_length {self.long_length} must lie within 1..max_length ({self.max_length})")


# ---- syllable tally --------------------------------------------------------------------------
class SyllableCounter:
    """How often each target syllable has been produced; finds the least covered ones."""

    def __init__(self, syllables: str):
        self.syllables = syllables
        self.counts = np.zeros(len(syllables), dtype=np.int64)
        self._position = {s: i for i, s in enumerate(syllables)}

    def __len__(self) -> int:
        return len(self.syllables)

    def update(self, text: str) -> None:
        for ch in text:
            position = self._position.get(ch)
            if position is not None:
                self.counts[position] += 1

    def least_covered(self, k: int, rng: Generator) -> list[str]:
        """``k`` distinct syllables of the lowest counts, ties broken at random."""
        order = np.lexsort((rng.random(len(self.counts)), self.counts))[:k]
        return [self.syllables[i] for i in order]

    @property
    def seen(self) -> int:
        return int(np.count_nonzero(self.counts))

    def summary(self) -> dict:
        if not len(self):
            return {"target": 0, "seen": 0}
        return {
            "target": len(self),
            "seen": self.seen,
            "min": int(self.counts.min()),
            "median": float(np.median(self.counts)),
            "max": int(self.counts.max()),
        }

    def to_csv(self, path: str | Path) -> Path:
        """One row per target syllable: syllable, code point, count (code order)."""
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["syllable", "codepoint", "count"])
            for syllable, count in zip(self.syllables, self.counts):
                writer.writerow([syllable, f"U+{ord(syllable):04X}", int(count)])
        return path


# ---- vocabularies ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Vocabulary:
    words: tuple[str, ...]
    cumulative: np.ndarray  # cumulative normalized weights, for searchsorted sampling

    def draw(self, rng: Generator) -> str:
        return self.words[int(np.searchsorted(self.cumulative, rng.random(), side="right"))]


@functools.cache
def wordfreq_vocabulary(lang: Language, size: int, power: float, symbols: frozenset[str]) -> Vocabulary:
    """wordfreq's top ``size`` words of ``lang`` inside ``symbols`` (NFC), weighted by
    frequency ** ``power``. Korean tokens shorter than 2 syllables are particles and verb
    endings (은, 했), not sign words, and words with digits are wordfreq's 0-masked numbers."""
    frequencies = wordfreq.get_frequency_dict(lang)
    words, weights = [], []
    for word in wordfreq.top_n_list(lang, size):
        text = nfc(word)
        if any(ch.isdigit() for ch in text) or not set(text) <= symbols:
            continue
        if lang == "ko" and len(text) < 2:
            continue
        words.append(text)
        weights.append(frequencies.get(word, 0.0) ** power)
    if not words:
        raise ConfigError(f"no wordfreq '{lang}' word fits the charset")
    cumulative = np.cumsum(weights) / np.sum(weights)
    return Vocabulary(tuple(words), cumulative)


# ---- the stream ------------------------------------------------------------------------------
@dataclass
class TextStats:
    kinds: Counter = field(default_factory=Counter)
    redrawn: Counter = field(default_factory=Counter)  # kind -> draws refused (charset, length, accept)


class TextSource:
    """Deterministic stream of sign texts: ``source()`` returns ``(text, kind)``."""

    # whether texts are made from wordfreq's words: their vocabularies are then built (and a
    # charset that fits no word refused) before the first text, not midway through a dataset
    draws_words = True
    words: Vocabulary  # the language's words by frequency, limited to the charset's symbols
    english: Vocabulary  # English words, for the Latin parts of Korean signs

    def __init__(
        self, charset: Charset, config: TextConfig, rng: Generator, accept: Callable[[str], bool] | None = None
    ):
        self.charset = charset
        self.config = config
        self.rng = rng
        self.accept = accept
        self.counter = SyllableCounter("".join(s for s in charset.symbols if is_hangul_syllable(s)))
        self.stats = TextStats()
        if self.draws_words:
            symbols = frozenset(charset.symbols)
            self.words = wordfreq_vocabulary(config.lang, config.vocabulary, config.frequency_power, symbols)
            self.english = wordfreq_vocabulary("en", config.vocabulary, config.frequency_power, symbols)
        if config.lang == "ko" and not len(self.counter):
            raise ConfigError("Korean text needs a charset with Hangul syllables (e.g. 'korean')")
        self._makers = _ENGLISH_MAKERS if config.lang == "en" else _KOREAN_MAKERS
        self._long_makers = _LONG_MAKERS[config.lang] if config.forms else _SIGN_LONG_MAKERS[config.lang]
        self._kinds, self._cumulative = self._kind_table()

    def _kind_table(self) -> tuple[list[str], np.ndarray]:
        rare = self.config.rare_share if self.config.lang == "ko" else 0.0
        if self.config.lang == "en":
            shares = ENGLISH_SHARES
        else:
            shares = KOREAN_SHARES if self.config.forms else KOREAN_SIGN_SHARES
        everyday = 1.0 - rare - self.config.long_share
        total = sum(shares.values())
        table = {kind: everyday * share / total for kind, share in shares.items()}
        table.update(rare=rare, long=self.config.long_share)
        kinds = [k for k, v in table.items() if v > 0]
        weights = np.array([table[k] for k in kinds])
        return kinds, np.cumsum(weights) / weights.sum()

    def __iter__(self) -> TextSource:
        return self

    def __next__(self) -> tuple[str, str]:
        return self()

    def __call__(self) -> tuple[str, str]:
        kind = self._kinds[int(np.searchsorted(self._cumulative, self.rng.random(), side="right"))]
        for _ in range(self.config.max_redraws):
            text = _clean(self._make(kind))
            if self._usable(text):
                self.stats.kinds[kind] += 1
                self.counter.update(text)
                return text, kind
            self.stats.redrawn[kind] += 1
        raise ConfigError(
            f"text kind {kind!r} produced nothing usable in {self.config.max_redraws} draws; "
            "the charset or the fonts may lack its characters"
        )

    def _make(self, kind: str) -> str:
        if kind == "rare":
            return self._rare()
        if kind == "long":
            return self._long()
        return self._makers[kind](self)

    def _usable(self, text: str) -> bool:
        return (
            0 < len(text) <= self.config.max_length
            and not self.charset.missing(text)
            and (self.accept is None or self.accept(text))
        )

    # ---- shared helpers -------------------------------------------------------------------
    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def digits(self, n: int) -> str:
        return "".join(str(d) for d in self.rng.integers(0, 10, n))

    def cased(self, word: str) -> str:
        lower, title, _ = self.config.case_shares
        u = self.rng.random()
        return word.lower() if u < lower else _title(word) if u < lower + title else word.upper()

    def english_word(self) -> str:
        return self.cased(self.english.draw(self.rng))

    def korean_word(self) -> str:
        return self.words.draw(self.rng)

    def price_number(self) -> str:
        """A price-like amount with thousands separators: 3,500 / 12,000 / 890."""
        value = int(self.rng.choice([5, 10, 50, 100, 500, 1000])) * int(self.rng.integers(1, 60))
        return f"{value:,}"

    def clock(self) -> str:
        return f"{int(self.rng.integers(0, 24)):02d}:{self.pick(('00', '00', '30', '10', '20', '40', '50'))}"

    # ---- rare syllables and long lines ------------------------------------------------------
    def _rare(self) -> str:
        length = int(self.rng.integers(2, 7))
        syllables = self.counter.least_covered(length, self.rng)
        self.rng.shuffle(syllables)
        return "".join(syllables)

    def _long(self) -> str:
        """Whole words of one or more long-line makers, between ``low`` and a random target
        length; below ``low``, the word that overflows is cut to end the line at the target."""
        low, high = self.config.long_length
        target = int(self.rng.integers(low, high + 1))
        makers = self._long_makers
        line = ""
        while len(line) < low:
            for word in makers[int(self.rng.integers(len(makers)))](self).split():
                candidate = f"{line} {word}" if line else word
                if len(candidate) > target:
                    if len(line) >= low:
                        return line
                    prefix = f"{line} " if line else ""
                    return prefix + word[: max(1, target - len(prefix))]
                line = candidate
        return line


# ---- texts from a file ------------------------------------------------------------------------
@dataclass(frozen=True)
class TextLines:
    """The lines of a text file that can be used, and those left out, by reason."""

    path: Path
    sha256: str  # of the file's bytes, to record which text a model or render was made from
    lines: tuple[str, ...]
    numbers: tuple[int, ...]  # each kept line's line number in the file
    rejected: Counter  # reason -> lines
    first_rejected: dict[str, str]  # reason -> "line N: text", to show what was left out

    def left_out(self) -> str:
        """The lines left out, by reason with the first of each, or "none"."""
        return "; ".join(f"{n} {r} (first, {self.first_rejected[r]})" for r, n in self.rejected.items()) or "none"

    def keeping(self, accept: Callable[[str], bool], reason: str) -> TextLines:
        """These lines without those ``accept`` refuses, which are counted under ``reason``.

        Raises:
            DataError: naming the file, when no line is left.
        """
        kept: list[tuple[int, str]] = []
        refused: list[tuple[int, str]] = []
        for pair in zip(self.numbers, self.lines):
            (kept if accept(pair[1]) else refused).append(pair)
        if not refused:
            return self
        rejected = self.rejected + Counter({reason: len(refused)})
        first = {**self.first_rejected, reason: f"line {refused[0][0]}: {refused[0][1][:60]}"}
        if not kept:
            raise DataError(f"{self.path}: no usable text line ({_counts(rejected)})")
        numbers, lines = zip(*kept)
        return replace(self, lines=tuple(lines), numbers=tuple(numbers), rejected=rejected, first_rejected=first)


def read_text_lines(path: Path, charset: Charset, max_length: int | None = None) -> TextLines:
    """The lines of a UTF-8 text file, one text each, as the stream writes texts (NFC, single
    spaces, stripped). Empty lines, lines with characters outside ``charset`` and lines
    longer than ``max_length`` are left out and counted by reason.

    Args:
        path: the file.
        charset: the characters a text may hold.
        max_length: the longest text kept, in characters; None keeps every length.

    Returns:
        The lines kept, in file order, and those left out.

    Raises:
        DataError: naming the file, when it cannot be read or keeps no line.
    """
    data = read_input(path, "text file", DataError)
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc})") from None
    kept: list[str] = []
    numbers: list[int] = []
    rejected: Counter = Counter()
    first: dict[str, str] = {}
    for number, line in enumerate(raw.splitlines(), 1):
        text = _clean(line)
        if not text:
            reason = "empty"
        elif missing := charset.missing(text):
            reason = "characters outside the charset"
            text = f"{text} (lacks {''.join(missing[:5])})"
        elif max_length is not None and len(text) > max_length:
            reason = f"longer than {max_length} characters"
        else:
            kept.append(text)
            numbers.append(number)
            continue
        rejected[reason] += 1
        first.setdefault(reason, f"line {number}: {text[:60]}")
    if not kept:
        raise DataError(f"{path}: no usable text line ({_counts(rejected)})")
    return TextLines(path, hashlib.sha256(data).hexdigest(), tuple(kept), tuple(numbers), rejected, first)


def _counts(rejected: Counter) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in rejected.items())


class FileTextSource(TextSource):
    """:class:`TextSource` whose texts are a file's lines (:func:`read_text_lines`), each once
    in a seeded order before any repeats (kind ``file``); lines ``accept`` refuses (no font
    draws them) are left out first and counted in ``texts.rejected``."""

    draws_words = False  # its texts are the file's lines

    def __init__(
        self,
        charset: Charset,
        config: TextConfig,
        rng: Generator,
        texts: TextLines,
        accept: Callable[[str], bool] | None = None,
    ):
        self.texts = texts if accept is None else texts.keeping(accept, "no font draws it")
        self._order: list[int] = []
        super().__init__(charset, config, rng, accept)

    def _kind_table(self) -> tuple[list[str], np.ndarray]:
        return ["file"], np.ones(1)

    def _make(self, kind: str) -> str:
        if not self._order:
            self._order = list(self.rng.permutation(len(self.texts.lines))[::-1])
        return self.texts.lines[self._order.pop()]


def _clean(text: str) -> str:
    return _SPACES.sub(" ", nfc(text)).strip()


def _title(text: str) -> str:
    """Capitalize each word's first letter only (str.title turns "husband's" into "Husband'S")."""
    return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))


# ---- English kinds -----------------------------------------------------------------------
def _en_phrase(s: TextSource) -> str:
    words = [s.english.draw(s.rng) for _ in range(int(s.rng.integers(2, 5)))]
    return s.cased(" ".join(words))


def _en_number(s: TextSource) -> str:
    u = s.rng.random()
    if u < 0.4:
        return str(int(s.rng.integers(0, 10 ** int(s.rng.integers(1, 6)))))
    if u < 0.7:
        return f"{s.rng.random() * 100:.{int(s.rng.integers(1, 3))}f}"
    return f"{int(s.rng.integers(1, 1000)):,}" if u < 0.85 else f"No.{int(s.rng.integers(1, 100))}"


def _en_price(s: TextSource) -> str:
    amount = f"{int(s.rng.integers(0, 200))}.{s.digits(2)}"
    return s.pick(
        (
            f"${amount}",
            f"${int(s.rng.integers(1, 999))}",
            f"{amount}",
            f"{int(s.rng.integers(5, 80))}% OFF",
            f"{int(s.rng.integers(5, 80))}%",
            f"${amount}/lb",
            f"2 for ${int(s.rng.integers(2, 20))}",
        )
    )


def _en_date(s: TextSource) -> str:
    y, m, d = int(s.rng.integers(1990, 2031)), int(s.rng.integers(1, 13)), int(s.rng.integers(1, 29))
    return s.pick(
        (
            f"{y}-{m:02d}-{d:02d}",
            f"{m}/{d}/{y}",
            f"{d:02d}.{m:02d}.{y}",
            f"{s.pick(MONTHS)} {d}",
            f"{s.pick(MONTHS)} {d}, {y}",
            f"{s.pick(WEEKDAYS)}",
            f"{m}/{d}",
            f"'{y % 100:02d}",
        )
    )


def _en_time(s: TextSource) -> str:
    h = int(s.rng.integers(1, 13))
    return s.pick(
        (
            s.clock(),
            f"{h}AM",
            f"{h}PM",
            f"{h}:{s.pick(('00', '30'))} pm",
            f"{s.clock()}-{s.clock()}",
            f"OPEN {h}am",
            "24/7",
        )
    )


def _en_phone(s: TextSource) -> str:
    return s.pick(
        (
            f"({s.digits(3)}) {s.digits(3)}-{s.digits(4)}",
            f"{s.digits(3)}-{s.digits(3)}-{s.digits(4)}",
            f"+1 {s.digits(3)} {s.digits(3)} {s.digits(4)}",
            f"Tel: {s.digits(3)}-{s.digits(4)}",
        )
    )


def _en_code(s: TextSource) -> str:
    letters = "".join(chr(65 + int(c)) for c in s.rng.integers(0, 26, int(s.rng.integers(1, 4))))
    return s.pick(
        (
            f"{letters}-{s.digits(int(s.rng.integers(2, 5)))}",
            f"#{s.digits(int(s.rng.integers(1, 4)))}",
            f"{letters}{s.digits(int(s.rng.integers(1, 3)))}",
            f"Rm {s.digits(3)}",
            f"Unit {letters}",
            f"Exit {int(s.rng.integers(1, 12))}",
            f"[{letters}]",
            f"<{letters}>",
            f"{letters}_{s.digits(2)}",
        )
    )


def _en_punctuated(s: TextSource) -> str:
    wrap = s.pick(EN_PUNCT_WRAPS)
    return wrap.format(*(s.english_word() for _ in range(wrap.count("{}"))))


def _en_web(s: TextSource) -> str:
    name = s.english.draw(s.rng) + s.pick(("", "", s.english.draw(s.rng), s.digits(2)))
    return s.pick(
        (
            f"www.{name}.{s.pick(WEB_TLDS)}",
            f"{name}.{s.pick(WEB_TLDS)}",
            f"{name}@{s.english.draw(s.rng)}.com",
            f"@{name}",
            f"#{name}",
            f"http://{name}.com",
        )
    )


def _en_long(s: TextSource) -> str:
    words = [s.english.draw(s.rng) for _ in range(int(s.rng.integers(4, 9)))]
    line = s.cased(" ".join(words))
    return s.pick((line, f"{line}.", f"{line} - {_en_price(s)}", f"{line}, {_en_time(s)}", f"{line} {_en_phone(s)}"))


_ENGLISH_MAKERS: dict[str, Callable[[TextSource], str]] = {
    "word": TextSource.english_word,
    "phrase": _en_phrase,
    "number": _en_number,
    "price": _en_price,
    "date": _en_date,
    "time": _en_time,
    "phone": _en_phone,
    "code": _en_code,
    "punctuated": _en_punctuated,
    "web": _en_web,
}


# ---- Korean kinds ------------------------------------------------------------------------
def _ko_business(s: TextSource) -> str:
    kind = s.pick(BUSINESS_TYPES)
    sep = " " if s.chance(0.35) else ""
    u = s.rng.random()
    if u < 0.35:
        name = f"{s.pick(PLACE_NAMES)}{sep}{kind}"
    elif u < 0.5:
        name = f"{s.pick(SURNAMES)}{sep}{s.pick(CLINIC_TYPES)}"
    elif u < 0.6:
        name = f"{s.pick(SURNAMES)}{s.pick(GIVEN_NAMES)}{sep}{s.pick(CLINIC_TYPES)}"
    elif u < 0.75:
        name = kind
    elif u < 0.9:
        name = f"{s.pick(PLACE_NAMES)}{kind}{sep}{s.pick(BRAND_SUFFIXES)}"
    else:
        name = f"{s.korean_word()}{sep}{kind}"
    return name


def _ko_phone(s: TextSource) -> str:
    number = s.pick(
        (
            f"02-{s.digits(3)}-{s.digits(4)}",
            f"02-{s.digits(4)}-{s.digits(4)}",
            f"0{int(s.rng.integers(31, 65))}-{s.digits(3)}-{s.digits(4)}",
            f"010-{s.digits(4)}-{s.digits(4)}",
            f"{s.pick(('1588', '1577', '1544', '1599', '1644', '1600'))}-{s.digits(4)}",
            f"070-{s.digits(4)}-{s.digits(4)}",
            f"02){s.digits(3)}-{s.digits(4)}",
            f"{s.digits(3)}-{s.digits(4)}",
        )
    )
    return s.pick(PHONE_PREFIXES) + number


def _ko_floor(s: TextSource) -> str:
    n = int(s.rng.integers(1, 16))
    unit = f"{n}{int(s.rng.integers(0, 3))}{int(s.rng.integers(1, 10))}"
    return s.pick(
        (
            f"{n}층",
            f"B{int(s.rng.integers(1, 4))}",
            f"지하{int(s.rng.integers(1, 4))}층",
            f"{unit}호",
            f"{n}F",
            f"B{int(s.rng.integers(1, 3))}F",
            f"{n}~{n + 1}층",
            f"{n}층 전체",
            f"{unit}호~{unit[:-1]}5호",
            f"{n}층 {unit}호",
            f"{s.pick(('A', 'B', 'C'))}동 {unit}호",
            f"{n}층 {s.pick(BUSINESS_TYPES)}",
        )
    )


def _ko_hours(s: TextSource) -> str:
    span = f"{s.clock()}{s.pick(('~', '-', ' ~ ', ' - '))}{s.clock()}"
    return s.pick(
        (
            f"영업시간 {span}",
            f"{s.pick(HOURS_WORDS)} {span}",
            span,
            s.pick(CLOSED_DAYS),
            "24시",
            f"AM {s.clock()} - PM {s.clock()}",
            f"점심시간 {span}",
            f"{s.pick(HOURS_WORDS)}",
        )
    )


def _ko_price(s: TextSource) -> str:
    amount = s.price_number()
    return s.pick(
        (
            f"{amount}원",
            f"₩{amount}",
            f"￦{amount}",
            f"{int(s.rng.integers(1, 20))}만원",
            f"{amount}원~",
            f"{int(s.rng.integers(5, 80))}% 할인",
            "1+1",
            f"{s.pick(MENU_ITEMS)} {amount}원",
            f"{int(s.rng.integers(1, 10))},{int(s.rng.integers(0, 10))}00원",
            f"{amount}",
        )
    )


def _ko_mixed(s: TextSource) -> str:
    brand = s.pick(LATIN_BRANDS)
    brand = s.pick((brand, brand.upper(), brand.lower()))
    sep = " " if s.chance(0.6) else ""
    return s.pick(
        (
            f"{brand}{sep}{s.pick(BUSINESS_TYPES)}",
            f"{s.pick(PLACE_NAMES)}{sep}{brand}",
            f"{brand}{sep}{s.pick(PLACE_NAMES)}점",
            f"{brand} {s.korean_word()}",
            brand,
            f"{s.pick(BUSINESS_TYPES)}{sep}{brand}",
            f"{brand}{s.digits(2)}",
        )
    )


def _ko_symbol(s: TextSource) -> str:
    inner = s.pick((s.pick(PROMOS), s.pick(BUSINESS_TYPES), s.korean_word(), _ko_business(s)))
    u = s.rng.random()
    if u < 0.6:
        return s.pick(WRAPPERS).format(inner)
    if u < 0.75:
        return f"{s.pick(BUSINESS_TYPES)}·{s.pick(BUSINESS_TYPES)}"
    if u < 0.85:
        return f"{int(s.rng.integers(10, 300))}{s.pick(('㎡', '㎏', '㎖', '㎞', '℃'))}"
    return f"{inner} {s.pick(tuple(DRAWN_SIGN_SYMBOLS))}"


def _ko_promo(s: TextSource) -> str:
    promo = s.pick(PROMOS)
    return s.pick(
        (
            promo,
            f"{promo} {s.pick(PROMOS)}",
            f"{s.pick(BUSINESS_TYPES)} {promo}",
            f"전 메뉴 {int(s.rng.integers(1, 6)) * 10}% {promo}",
            f"{promo}!",
            f"{promo}!!",
            f"{promo} 중",
        )
    )


def _ko_number(s: TextSource) -> str:
    return s.pick(
        (
            str(int(s.rng.integers(1, 100))),
            str(int(s.rng.integers(1990, 2031))),
            s.digits(int(s.rng.integers(2, 6))),
            f"{int(s.rng.integers(1, 30))}번",
            f"{int(s.rng.integers(1, 30))}번 출구",
            f"No.{int(s.rng.integers(1, 100))}",
        )
    )


def _ko_latin(s: TextSource) -> str:
    """Latin text as it appears on Korean signs; the punctuated forms carry the ASCII
    symbols (" # $ & * < > ? @) that Korean sign texts otherwise lack."""
    return s.pick((TextSource.english_word, TextSource.english_word, _en_punctuated, _en_web, _en_code))(s)


def _ko_address(s: TextSource) -> str:
    return (
        f"{s.pick(PROVINCES)} {s.pick(DISTRICTS)} {s.pick(ROADS)}{s.pick(('', f' {int(s.rng.integers(1, 60))}길'))} "
        f"{int(s.rng.integers(1, 500))}{s.pick(('', f'-{int(s.rng.integers(1, 30))}'))}"
        f"{s.pick(('', f', {int(s.rng.integers(1, 15))}층', f' {s.korean_word()}빌딩'))}"
    )


def _ko_menu_line(s: TextSource) -> str:
    items = [
        f"{s.pick(MENU_ITEMS)} {s.price_number()}{s.pick(('원', '', ''))}" for _ in range(int(s.rng.integers(2, 4)))
    ]
    return s.pick((" · ", " / ", ", ")).join(items)


def _ko_sentence(s: TextSource) -> str:
    words = [s.korean_word() for _ in range(int(s.rng.integers(3, 8)))]
    return " ".join(words)


def _ko_long_business(s: TextSource) -> str:
    return f"{_ko_business(s)} {s.pick((_ko_phone, _ko_floor, _ko_hours, _ko_promo))(s)} {_ko_phone(s)}"


_KOREAN_MAKERS: dict[str, Callable[[TextSource], str]] = {
    "word": TextSource.korean_word,
    "business": _ko_business,
    "phone": _ko_phone,
    "floor": _ko_floor,
    "hours": _ko_hours,
    "price": _ko_price,
    "mixed": _ko_mixed,
    "symbol": _ko_symbol,
    "promo": _ko_promo,
    "english": _ko_latin,
    "number": _ko_number,
    **text_forms.FORM_MAKERS,
}
# the long-line makers before the forms (TextConfig.forms False); their order is part of the stream
_SIGN_LONG_MAKERS: dict[str, tuple[Callable[[TextSource], str], ...]] = {
    "en": (_en_long,),
    "ko": (_ko_address, _ko_menu_line, _ko_sentence, _ko_long_business),
}
_LONG_MAKERS: dict[str, tuple[Callable[[TextSource], str], ...]] = {
    "en": _SIGN_LONG_MAKERS["en"],
    "ko": (*_SIGN_LONG_MAKERS["ko"], text_forms.ingredients, text_forms.notice),
}


def sample_texts(source: TextSource, count: int, progress: ProgressHook = SILENT) -> list[str]:
    """The next ``count`` texts of ``source`` (kinds dropped), e.g. to count a language model.

    Args:
        source: the stream.
        count: how many.
        progress: told the total, then every 10,000 texts.

    Returns:
        The texts, in stream order.
    """
    progress.start("drawing texts", count)
    texts = []
    for i in range(count):
        texts.append(source()[0])
        if (i + 1) % 10_000 == 0 or i + 1 == count:
            progress.advance((i + 1) % 10_000 or 10_000)
    return texts
