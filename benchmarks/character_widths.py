"""How wide characters are beside a Hangul syllable, over the training faces: the widths the
condensed stretch counts a text's ems with (:data:`krocr.inference.condensed.CLASS_EMS`).

    python benchmarks/character_widths.py [--write]

For every training face that draws the sample syllables and characters, each class's median
advance width over its characters, divided by the face's median syllable advance; then the
median and quartiles of that ratio over the faces. Faces that lack a class's characters are
left out of that class. ``--write`` stores the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import publish

from krocr.inference.condensed import CHARACTER_CLASSES
from krocr.synth.fonts import FontFace, discover_fonts, drawable_chars, split_fonts

# common syllables, the yardstick each face's other characters are measured by
SYLLABLES = "가나다라마바사아자차카타파하한글국밥"
SIZE = 100  # px: advances are whole pixels, so 1 % resolution


def class_widths(face: FontFace) -> dict[str, float] | None:
    """Each class's median advance over the syllables' median, for one face; None when the
    face does not draw the syllables."""
    drawable = drawable_chars(face, SYLLABLES + "".join(CHARACTER_CLASSES.values()))
    if not set(SYLLABLES) <= drawable:
        return None
    font = face.load(SIZE)
    syllable = statistics.median(font.getlength(c) for c in SYLLABLES)
    widths = {}
    for name, chars in CHARACTER_CLASSES.items():
        drawn = [c for c in chars if c in drawable or c == " "]
        if drawn:
            widths[name] = statistics.median(font.getlength(c) for c in drawn) / syllable
    return widths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="also write the table into docs/benchmarks.md")
    args = parser.parse_args()
    faces = split_fonts(discover_fonts()).train
    per_class: dict[str, list[float]] = {name: [] for name in CHARACTER_CLASSES}
    measured = 0
    for face in tqdm(faces, desc="faces", unit="face"):
        widths = class_widths(face)
        if widths is None:
            continue
        measured += 1
        for name, width in widths.items():
            per_class[name].append(width)
    lines = ["| class | characters | faces | median | quartiles |", "|---|---|---:|---:|---|"]
    for name, values in per_class.items():
        low, _, high = statistics.quantiles(values, n=4)
        chars = CHARACTER_CLASSES[name]
        # a double-backtick code span holds the backtick itself
        shown = "(a space)" if chars == " " else "`` " + chars.replace("|", "\\|") + " ``"
        lines.append(f"| {name} | {shown} | {len(values)} | {statistics.median(values):.3f} | {low:.2f}–{high:.2f} |")
    body = (
        f"{measured} of {len(faces)} training faces draw the syllables; widths over the median syllable's:\n\n"
        + "\n".join(lines)
    )
    publish("character_widths", "Character widths beside a Hangul syllable", body, args.write)


if __name__ == "__main__":
    main()
