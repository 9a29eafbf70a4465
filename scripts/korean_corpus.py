"""Real Korean text from Debian packages, for counting the language model and for a
held-out evaluation render of real sentences.

    python scripts/korean_corpus.py --out data/corpus

Downloads (``apt-get download``, no install) and unpacks:

* ``libreoffice-help-ko`` (MPL-2.0): LibreOffice's Korean help, about 640 k Hangul syllables
  of instructions and explanations → ``OUT/ko_libreoffice_help.txt``, the language model's
  real text (``krocr lm --corpus``);
* ``debian-faq-ko`` (the FAQ's own free licence): the Debian FAQ in Korean (its HTML
  pages), about 35 k syllables of questions and answers, kept out of every model to render
  held-out real sentences (``krocr synth --texts``): its first half of lines (in page order)
  → ``OUT/ko_debian_faq_fit.txt`` to choose settings on, the second →
  ``OUT/ko_debian_faq_test.txt`` to judge them.

Paragraphs become sentences, sentences lines of at most 40 characters broken at spaces (the
longest text the renders draw); lines with less than a third Hangul among their letters
(English left untranslated, code) are left out and counted. ``OUT/corpus_manifest.json``
records each package's version and sha256 and each output's lines and sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

PACKAGES = {"libreoffice-help-ko": "MPL-2.0", "debian-faq-ko": "Debian FAQ licence (free redistribution)"}
MAX_LINE = 40
MIN_HANGUL_SHARE = 1 / 3
TEXT_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "li"}
SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")


class _TextBlocks(HTMLParser):
    """The text of a page's paragraphs, headings and table cells, one string each."""

    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self._depth = 0
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in TEXT_TAGS:
            if self._depth == 0:
                self._parts = []
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in TEXT_TAGS and self._depth:
            self._depth -= 1
            if self._depth == 0:
                self.paragraphs.append("".join(self._parts))

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._parts.append(data)

    @property
    def open_blocks(self) -> int:
        """Blocks still open when the page ended (a tag never closed)."""
        return self._depth

    @property
    def open_text(self) -> list[str]:
        return self._parts


def hangul_share(text: str) -> float:
    """Hangul syllables among a text's letters (0 for a text without letters)."""
    letters = [c for c in text if c.isalpha()]
    return sum("가" <= c <= "힣" for c in letters) / len(letters) if letters else 0.0


def wrap(sentence: str, width: int = MAX_LINE) -> list[str]:
    """A sentence as lines of at most ``width`` characters, broken at spaces (a word longer
    than ``width`` is cut)."""
    lines, line = [], ""
    for word in sentence.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        candidate = f"{line} {word}" if line else word
        if len(candidate) > width:
            lines.append(line)
            candidate = word
        line = candidate
    return [*lines, line] if line else lines


def paragraph_lines(paragraphs: list[str], dropped: Counter) -> list[str]:
    """Korean lines of paragraphs: normalised, split into sentences, wrapped; lines with too
    little Hangul are counted in ``dropped``."""
    lines = []
    for paragraph in paragraphs:
        text = " ".join(unicodedata.normalize("NFC", paragraph).split())
        for sentence in SENTENCE_END.split(text):
            for line in wrap(sentence):
                if hangul_share(line) >= MIN_HANGUL_SHARE:
                    lines.append(line)
                else:
                    dropped["too little Hangul"] += 1
    return lines


def html_paragraphs(root: Path, problems: Counter) -> list[str]:
    """Every HTML page's paragraphs, each distinct paragraph once (help pages embed each
    other). A page that ends inside a block (a tag never closed) gives the open block's text
    as one paragraph and is counted in ``problems``."""
    seen: dict[str, None] = {}
    for page in sorted(root.rglob("*.html")):
        parser = _TextBlocks()
        parser.feed(page.read_text(encoding="utf-8"))
        parser.close()
        if parser.open_blocks:
            problems["pages ending inside an unclosed block"] += 1
            parser.paragraphs.append("".join(parser.open_text))
        seen.update(dict.fromkeys(parser.paragraphs))
    return list(seen)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(package: str, folder: Path) -> Path:
    """``apt-get download`` of one package into ``folder``; the .deb's path."""
    subprocess.run(["apt-get", "download", package], cwd=folder, check=True, capture_output=True)
    (deb,) = folder.glob(f"{package}_*.deb")
    return deb


def deb_version(deb: Path) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Version"], check=True, capture_output=True, text=True
    ).stdout.strip()


def outputs(package: str, lines: list[str]) -> dict[str, list[str]]:
    """The files written from one package's lines: the help whole, the FAQ in two halves."""
    if package == "libreoffice-help-ko":
        return {"ko_libreoffice_help.txt": lines}
    half = len(lines) // 2
    return {"ko_debian_faq_fit.txt": lines[:half], "ko_debian_faq_test.txt": lines[half:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder for the text files and manifest")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"packages": {}, "outputs": {}, "max_line": MAX_LINE, "min_hangul_share": MIN_HANGUL_SHARE}
    with tempfile.TemporaryDirectory() as tmp:
        for package, licence in PACKAGES.items():
            try:
                deb = download(package, Path(tmp))
            except subprocess.CalledProcessError as exc:
                print(f"apt-get download {package} failed: {exc.stderr.decode().strip()}", file=sys.stderr)
                print("run 'apt-get update' first, on a Debian machine with its package archive", file=sys.stderr)
                return 1
            unpacked = Path(tmp) / package
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
            manifest["packages"][package] = {"version": deb_version(deb), "sha256": sha256(deb), "licence": licence}
            dropped: Counter = Counter()
            lines = paragraph_lines(html_paragraphs(unpacked, dropped), dropped)
            print(f"{package}: {len(lines):,} lines ({dict(dropped)} left out)")
            for name, part in outputs(package, lines).items():
                path = args.out / name
                path.write_text("\n".join(part) + "\n", encoding="utf-8")
                manifest["outputs"][name] = {
                    "package": package,
                    "lines": len(part),
                    "hangul_syllables": sum("가" <= c <= "힣" for line in part for c in line),
                    "sha256": sha256(path),
                }
                print(f"  {path}: {len(part):,} lines")
            manifest["packages"][package]["left_out"] = dict(dropped)
    (args.out / "corpus_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
