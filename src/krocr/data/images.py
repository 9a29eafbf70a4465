"""Reading photos robustly: every failure becomes a DataError that names the file and why.

Pillow decodes (it knows EXIF orientation, CMYK, palettes, 16-bit and 1-bit modes);
the result is always RGB uint8 (H, W, 3), upright as the camera meant it:

* truncated files are errors, not half-gray images: the pixels are loaded eagerly and
  Pillow's default ``ImageFile.LOAD_TRUNCATED_IMAGES = False`` makes a short file fail;
* transparency (RGBA, LA, palette with transparency) is composited on white, the usual
  background of a cut-out sign, instead of turning transparent pixels black;
* 16-bit gray is scaled to 8 bit (65535 → 255);
* images above ``MAX_PIXELS`` are refused before decoding (a decompression bomb or a
  scanning mistake, never a photo of a sign).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from krocr.errors import DataError, read_input

# What the library accepts wherever it reads an image: a path, a PIL image or a uint8 array.
ImageInput = str | Path | Image.Image | np.ndarray

MAX_PIXELS = 100_000_000  # 100 Mpx: a 20000 × 5000 panorama passes, a bomb does not
_WHITE = (255, 255, 255, 255)


def read_image(path: str | Path) -> np.ndarray:
    """An image file as RGB uint8 (H, W, 3), EXIF-transposed."""
    path = Path(path)
    return read_image_bytes(read_input(path, "image file", DataError), str(path))


def read_image_bytes(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Encoded image bytes as RGB uint8 (H, W, 3); ``name`` is used in error messages."""
    if not data:
        raise DataError(f"{name}: empty image file (0 bytes)")
    try:
        with warnings.catch_warnings():
            # our own MAX_PIXELS check replaces Pillow's bomb warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                _check_size(image.size, name)
                image.load()  # decode now: a truncated file raises here
                return pil_to_rgb(image, name)
    except UnidentifiedImageError:
        raise DataError(f"{name}: not a recognizable image (corrupt or not an image file)") from None
    except Image.DecompressionBombError as exc:
        raise DataError(f"{name}: image too large ({exc})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DataError(f"{name}: truncated, corrupt or unsupported image ({exc})") from None


def border_pixels(image: np.ndarray) -> np.ndarray:
    """The pixels of an image's four edges (a gray image's as values, a colour one's as rows
    of channels): its background, where text does not touch the edge."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def pil_to_rgb(image: Image.Image, name: str = "<PIL image>") -> np.ndarray:
    """A decoded PIL image as RGB uint8 (H, W, 3) by the rules above (EXIF orientation,
    transparency on white, 16-bit gray scaled); ``name`` is used in error messages."""
    _check_size(image.size, name)
    try:  # a lazily opened image decodes here
        return _to_rgb(ImageOps.exif_transpose(image))
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DataError(f"{name}: truncated, corrupt or unsupported image ({exc})") from None


def _check_size(size: tuple[int, int], name: str) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise DataError(f"{name}: image has no pixels ({width}×{height})")
    if width * height > MAX_PIXELS:
        raise DataError(
            f"{name}: image of {width}×{height} = {width * height / 1e6:.0f} Mpx exceeds the "
            f"{MAX_PIXELS / 1e6:.0f} Mpx limit"
        )


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        gray = _wide_gray_to_uint8(np.asarray(image), sixteen_bit=image.mode.startswith("I;16"))
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.has_transparency_data:
        background = Image.new("RGBA", image.size, _WHITE)
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _wide_gray_to_uint8(values: np.ndarray, sixteen_bit: bool) -> np.ndarray:
    """16-bit gray → uint8 by 65535 → 255. 32-bit integer or float gray whose values fit
    0..255 is kept (tools store 8-bit data in such containers); otherwise it is read as 16-bit."""
    values = values.astype(np.float64)
    if sixteen_bit or (values.size and (values.min() < 0 or values.max() > 255)):
        values = np.clip(values, 0, 65535) / 257.0
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)
