"""A Korean font for figure captions (galleries, contact sheets): NanumGothic, or whatever
font fontconfig picks for Korean, with Pillow's built-in font when none is installed."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from PIL import ImageFont


def korean_font_path() -> Path | None:
    """NanumGothic, or whatever font fontconfig picks for Korean; None if there is none."""
    candidates = []
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "NanumGothic:lang=ko"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        candidates.append(found)
    except (OSError, subprocess.SubprocessError):
        pass  # no fontconfig: fall through to the usual install path
    candidates.append("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


@functools.cache  # a font is only read from, so one per size serves every caption
def korean_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A Korean font at ``size``; Pillow's built-in font (boxes for Hangul) if none is installed."""
    path = korean_font_path()
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)
