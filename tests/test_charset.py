import json
import unicodedata

import pytest

from krocr.charset import (
    ALPHABET87,
    BLANK_ID,
    UNKNOWN_SYMBOL,
    Charset,
    OOVReport,
    alphabet87,
    korean_charset,
    ksx1001_hangul,
    modern_hangul,
    normalize_text,
    recompose_jamo,
    resolve_charset,
    to_jamo,
)
from krocr.errors import CharsetError, OutOfCharsetError


def test_alphabet87_matches_reference_and_blank_is_reserved():
    cs = alphabet87()
    assert len(cs) == 87 and ALPHABET87.endswith("@#_")
    assert cs.num_classes == 88
    assert cs.encode("_") == [87]  # an ordinary symbol, not the blank
    assert BLANK_ID not in cs.encode(ALPHABET87)


def test_hangul_sets():
    ks = ksx1001_hangul()
    assert len(ks) == 2350 and len(set(ks)) == 2350
    assert ks[0] == "가" and ks[-1] == "힝"
    assert "똠" not in ks  # a famous syllable KS X 1001 lacks
    assert len(modern_hangul()) == 11172 and set(ks) <= set(modern_hangul())


def test_encode_decode_round_trip_and_stable_order():
    cs = korean_charset()
    text = "우리 치킨 02-123-4567 ₩5,000"
    ids = cs.encode(text)
    assert cs.decode(ids) == text
    assert cs.encode("a") == [1] and cs.encode("A") == [27]  # order = token ids


def test_nfd_labels_encode_like_nfc():
    cs = korean_charset()
    nfd = unicodedata.normalize("NFD", "한글 간판")
    assert nfd != "한글 간판"
    assert cs.encode(nfd) == cs.encode("한글 간판")
    assert cs.missing(nfd) == []


def test_width_variants_fold_to_one_symbol():
    cs = korean_charset()
    assert "￦" not in cs and "₩" in cs
    assert normalize_text("（주）한빛　０１０-１２３４ ￦5,000") == "(주)한빛 010-1234 ₩5,000"
    assert cs.encode("（주）￦５") == cs.encode("(주)₩5")
    assert cs.missing("ＡＢＣ") == [] and cs.missing("＼") == ["\\"]  # folded, then checked
    # a charset stored before the fold (v0 checkpoints list ￦ too) keeps its rows and reads ₩
    old = Charset(tuple(cs.symbols) + ("￦",))
    assert old.num_classes == cs.num_classes + 1
    assert old.decode([old.num_classes - 1]) == "₩" and old.encode("￦") == cs.encode("₩")
    assert old.union("똠").symbols == old.symbols + ("똠",)  # extending it keeps every row in place
    assert Charset(tuple("₩")).union("￦").symbols == ("₩", "￦")  # symbols keep their identity, as stored


@pytest.mark.parametrize("policy, expected", [("drop", "AB"), ("unknown", f"A{UNKNOWN_SYMBOL}B"), ("reject", None)])
def test_out_of_charset_policies_are_counted(policy, expected):
    cs = Charset(tuple("AB"), unknown=policy == "unknown")
    report = OOVReport()
    assert cs.apply_policy("A€B", policy, report) == expected
    assert report.characters == {"€": 1}
    assert (report.samples_rejected, report.samples_changed) == ((1, 0) if policy == "reject" else (0, 1))
    assert "€" in report.summary()


def test_encode_rejects_out_of_charset_with_clear_message():
    with pytest.raises(OutOfCharsetError, match="U\\+20AC"):
        alphabet87().encode("5€")


def test_unknown_token_encodes_missing_characters():
    cs = Charset(tuple("AB"), unknown=True)
    assert cs.num_classes == 4
    assert cs.encode("A€") == [1, 3]
    assert cs.decode([1, 3]) == f"A{UNKNOWN_SYMBOL}"


@pytest.mark.parametrize("suffix", [".txt", ".json"])
def test_save_load_round_trip(tmp_path, suffix):
    cs = korean_charset().union(" ")  # space already present: union keeps it once
    path = tmp_path / f"charset{suffix}"
    cs.save(path)
    loaded = Charset.load(path)
    assert loaded.symbols == cs.symbols
    assert loaded.encode("가 A") == cs.encode("가 A")


def test_json_keeps_tokenizer_and_unknown(tmp_path):
    cs = Charset(tuple("가A"), unknown=True, tokenizer="jamo")
    cs.save(tmp_path / "c.json")
    loaded = Charset.load(tmp_path / "c.json")
    assert (loaded.tokenizer, loaded.unknown, loaded.tokens) == ("jamo", True, cs.tokens)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_charset_file_lines_end_the_unix_windows_or_old_mac_way(tmp_path, newline):
    path = tmp_path / "chars.txt"
    path.write_bytes("\ufeff".encode("utf-8") + newline.join(c.encode("utf-8") for c in "가A·") + newline)
    assert Charset.load(path).symbols == ("가", "A", "·")


def test_charset_file_with_duplicates_names_the_lines(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("a\nb\na\n", encoding="utf-8")
    with pytest.raises(CharsetError, match=r"dup.txt:3: duplicate symbol 'a' \(first on line 1\)"):
        Charset.load(path)


def test_charset_file_with_multi_character_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("a\nab\n", encoding="utf-8")
    with pytest.raises(CharsetError, match="bad.txt:2"):
        Charset.load(path)


def test_broken_json_charset(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"symbols": ["a", "bc"]}), encoding="utf-8")
    with pytest.raises(CharsetError, match="c.json"):
        Charset.load(path)


def test_from_labels_like_the_reference_dictionary():
    cs = Charset.from_labels(["치킨", "피자 치킨", "A1"], base=alphabet87())
    assert cs.symbols[:87] == tuple(ALPHABET87)
    assert set(cs.symbols[87:]) == set("치킨피자")
    assert len(cs) == 91


def test_union_keeps_order_without_duplicates():
    cs = Charset(tuple("ab")).union("bc", Charset(tuple("da")))
    assert cs.symbols == tuple("abcd")


def test_jamo_tokenizer_round_trip_and_inventory():
    cs = korean_charset(tokenizer="jamo")
    assert cs.num_classes == 1 + (len(cs.symbols) - 2350) + 67
    hangul_tokens = [t for t in cs.tokens if 0x1100 <= ord(t) <= 0x11FF]
    assert len(hangul_tokens) == 67
    text = "닭갈비 B1 2층"
    ids = cs.encode(text)
    assert len(ids) == cs.token_length(text) == len(to_jamo(text))
    assert cs.decode(ids) == text


def test_jamo_recomposition_rule_for_broken_sequences():
    # a lone medial and a lone final cannot form a syllable: dropped and counted
    text, dropped = recompose_jamo("\u1100\u1161" + "\u1162" + "\u11a8" + "X")
    assert text == "가X" and dropped == 2


def test_resolve_builtin_and_file(tmp_path):
    assert len(resolve_charset("alphabet87")) == 87
    assert resolve_charset("korean-jamo").tokenizer == "jamo"
    path = tmp_path / "c.txt"
    Charset(tuple("xy")).save(path)
    assert resolve_charset(str(path)).symbols == ("x", "y")
    with pytest.raises(CharsetError, match="not found"):
        resolve_charset(str(tmp_path / "missing.txt"))
