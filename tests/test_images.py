import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from krocr.data.images import read_image, read_image_bytes
from krocr.errors import DataError


def encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def noisy_rgb(w=64, h=48, seed=0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def test_rgb_file_round_trip(tmp_path):
    path = tmp_path / "a.png"
    noisy_rgb().save(path)
    image = read_image(path)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert np.array_equal(image, np.asarray(Image.open(path)))


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = encode(Image.new("RGB", (40, 10), "red"), "JPEG", exif=exif)
    assert read_image_bytes(data).shape == (40, 10, 3)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty image file"),
        (b"definitely not an image" * 10, "not a recognizable image"),
    ],
)
def test_bad_bytes_name_the_file(data, message):
    with pytest.raises(DataError, match=f"sign.jpg: {message}"):
        read_image_bytes(data, "sign.jpg")


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.jpg: image file not found"):
        read_image(tmp_path / "nope.jpg")


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(DataError, match="cannot read image file"):
        read_image(tmp_path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files_are_detected_not_half_gray(fmt):
    data = encode(noisy_rgb(200, 200), fmt)
    with pytest.raises(DataError, match="truncated"):
        read_image_bytes(data[: len(data) // 2], f"half.{fmt.lower()}")


def test_sixteen_bit_gray_is_scaled():
    values = np.array([[0, 257 * 100, 65535]], dtype=np.uint16)
    image = read_image_bytes(encode(Image.fromarray(values)))
    assert image.dtype == np.uint8 and image.shape == (1, 3, 3)
    assert image[0, :, 0].tolist() == [0, 100, 255]


def test_thirty_two_bit_gray_with_eight_bit_values_is_kept():
    image = read_image_bytes(encode(Image.fromarray(np.array([[0, 7, 200]], dtype=np.int32)), "TIFF"))
    assert image[0, :, 0].tolist() == [0, 7, 200]


def test_cmyk_becomes_rgb():
    image = read_image_bytes(encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"))
    assert image.shape == (8, 8, 3)
    assert image[0, 0, 0] > 200 and image[0, 0, 1] < 60  # red


@pytest.mark.parametrize("mode, color", [("RGBA", (255, 0, 0, 0)), ("LA", (0, 0))])
def test_transparency_is_composited_on_white(mode, color):
    image = read_image_bytes(encode(Image.new(mode, (4, 4), color)))
    assert (image == 255).all()


def test_half_transparent_red_on_white():
    image = read_image_bytes(encode(Image.new("RGBA", (2, 2), (255, 0, 0, 128))))
    assert image[0, 0, 0] == 255 and 120 <= image[0, 0, 1] <= 135


def test_palette_with_transparency():
    palette_image = Image.new("P", (4, 4), 1)
    palette_image.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    assert read_image_bytes(encode(palette_image))[0, 0].tolist() == [10, 200, 30]
    palette_image.info["transparency"] = 1
    assert read_image_bytes(encode(palette_image, transparency=1))[0, 0].tolist() == [255, 255, 255]


def test_one_bit():
    image = read_image_bytes(encode(Image.new("1", (5, 3), 1)))
    assert image.shape == (3, 5, 3) and (image == 255).all()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size (a decompression bomb need not be large on disk)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_absurd_size_is_refused_before_decoding():
    with pytest.raises(DataError, match="bomb.png: image of 20000×6000 = 120 Mpx exceeds"):
        read_image_bytes(_png_header_only(20000, 6000), "bomb.png")


def test_very_wide_panorama_still_reads():
    image = read_image_bytes(encode(Image.new("L", (20000, 40), 90)))
    assert image.shape == (40, 20000, 3)
