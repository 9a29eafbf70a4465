"""Catalogue: image files. One bad photo among five good ones is named in rejections.csv
(file, ``image``, reason, why) and every word of the good photos reaches the cache; odd but
valid encodings (16-bit, CMYK, palette, alpha) are read and cropped like plain RGB."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from PIL import Image
from robust_helpers import (
    Photo,
    Region,
    encode,
    krocr_data,
    rect,
    render_crop,
    render_photo,
    via_source,
)

from krocr.data.crops import validate_box, warp_crop
from krocr.data.images import read_image
from krocr.model.preprocess import to_gray

BAD_WORD = [Region("깨짐", rect(10, 10, 100, 40))]


def jpeg_of_a_photo() -> bytes:
    return encode(render_photo([("깨짐", (10, 10, 100, 40))], seed=40), "JPEG", quality=90)


def png_of_a_photo() -> bytes:
    return encode(render_photo([("깨짐", (10, 10, 100, 40))], seed=41), "PNG")


UNREADABLE = {
    # name: (file name, bytes, what the rejection's detail must say)
    "corrupt_bytes": ("corrupt.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, "not a recognizable image"),
    "truncated_jpeg": ("cut.jpg", jpeg_of_a_photo()[:1500], "truncated"),
    "truncated_png": ("cut.png", png_of_a_photo()[:2000], "truncated"),
    "zero_byte_file": ("empty.jpg", b"", "empty image file (0 bytes)"),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_photo_is_named_and_the_others_survive(signs, tmp_path, case):
    name, data, message = UNREADABLE[case]
    signs.add(Photo(name, BAD_WORD, data))
    built = krocr_data(via_source(signs.write_via(), signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert rejection["file"] == str(signs.images / name) and rejection["item"] == "image"
    assert rejection["reason"] == "unreadable_image"
    assert message in rejection["detail"] and "(1 words lost)" in rejection["detail"]
    assert built.summary["rejections"] == {"unreadable_image": 1}
    assert built.summary["crops"]["total"] == 10


def test_missing_photo_is_named_with_its_annotation_file(signs, tmp_path):
    signs.add(Photo("gone.jpg", BAD_WORD, None))
    via = signs.write_via()
    built = krocr_data(via_source(via, signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert (rejection["file"], rejection["item"], rejection["reason"]) == (
        str(signs.images / "gone.jpg"),
        "image",
        "missing_image",
    )
    assert str(via) in rejection["detail"] and "1 words lost" in rejection["detail"]


# ---- encodings that must read fine -------------------------------------------------------------
ODD_WORDS = [("한글", (8, 8, 104, 48)), ("문자", (124, 8, 104, 48))]


def odd_photo() -> Image.Image:
    return render_photo(ODD_WORDS, seed=77)


def sixteen_bit(photo: Image.Image) -> tuple[bytes, np.ndarray]:
    gray = np.asarray(photo.convert("L")).astype(np.uint16) * 257  # full 16-bit range
    data = encode(Image.fromarray(gray), "PNG")
    assert Image.open(__import__("io").BytesIO(data)).mode.startswith("I")
    return data, np.repeat(np.asarray(photo.convert("L"))[..., None], 3, axis=2)


def cmyk(photo: Image.Image) -> tuple[bytes, np.ndarray]:
    return encode(photo.convert("CMYK"), "JPEG", quality=95), np.asarray(photo)


def palette(photo: Image.Image) -> tuple[bytes, np.ndarray]:
    quantized = photo.quantize(64)
    return encode(quantized, "PNG"), np.asarray(quantized.convert("RGB"))


def rgba(photo: Image.Image) -> tuple[bytes, np.ndarray]:
    """The background fully transparent (garbage RGB under it), the sign panels opaque."""
    array = np.asarray(photo).copy()
    panels = np.zeros(array.shape[:2], bool)
    for _, (x, y, w, h) in ODD_WORDS:
        panels[y : y + h, x : x + w] = True
    array[~panels] = (255, 0, 0)  # must not show through
    alpha = np.where(panels, 255, 0).astype(np.uint8)
    expected = array.copy()
    expected[~panels] = 255  # composited on white
    return encode(Image.fromarray(np.dstack([array, alpha]), "RGBA"), "PNG"), expected


ODD_ENCODINGS = {
    "16bit_png": ("odd.png", sixteen_bit, 1.0),
    "cmyk_jpeg": ("odd.jpg", cmyk, 4.0),
    "palette_png": ("odd.png", palette, 1.0),
    "rgba_png": ("odd.png", rgba, 1.0),
}


@pytest.mark.parametrize("case", list(ODD_ENCODINGS))
def test_odd_encodings_read_and_crop_like_rgb(signs, tmp_path, case):
    name, convert, tolerance = ODD_ENCODINGS[case]
    data, expected_rgb = convert(odd_photo())
    signs.add(Photo(name, [Region(text, rect(*box)) for text, box in ODD_WORDS], data))
    built = krocr_data(via_source(signs.write_via(), signs.images), tmp_path / "out")
    assert built.rejections == []
    assert built.labels() == Counter([*signs.good_labels(), "한글", "문자"])
    image = read_image(signs.images / name)
    assert image.shape == (64, 240, 3) and image.dtype == np.uint8
    assert np.abs(image.astype(int) - expected_rgb).mean() <= tolerance
    crops = built.crops()
    for text, box in ODD_WORDS:  # the cached crop is the crop of the photo as it should look
        ordered, issue = validate_box(np.array(rect(*box)), (240, 64), chars=len(text))
        assert issue is None
        reference = to_gray(warp_crop(expected_rgb, ordered, 32))
        assert crops[text].shape == reference.shape
        assert np.abs(crops[text].astype(int) - reference).mean() <= tolerance + 1


# ---- sizes ---------------------------------------------------------------------------------------
def test_one_pixel_high_crop_is_rejected_by_name_and_the_others_survive(tmp_path):
    crops = tmp_path / "crops"
    crops.mkdir()
    good = ["간판", "커피", "약국", "식당", "우체국"]
    for i, text in enumerate(good):
        render_crop(text).save(crops / f"{i}.png")
    render_crop("납작").resize((120, 1)).save(crops / "flat.png")
    lines = [f"{i}.png\t{text}" for i, text in enumerate(good[:3])] + ["flat.png\t납작"]
    lines += [f"{i + 3}.png\t{text}" for i, text in enumerate(good[3:])]
    (crops / "labels.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    built = krocr_data(["--format", "labels", "--annotations", str(crops / "labels.txt")], tmp_path / "out")
    assert built.labels() == Counter(good)
    rejection = built.only_rejection()
    assert (rejection["item"], rejection["reason"]) == ("line 4", "too_small")
    assert "flat.png" in rejection["file"] + rejection["detail"] and "1.0 px" in rejection["detail"]


def test_one_pixel_high_box_on_a_photo_is_rejected_by_name(signs, tmp_path):
    signs.photos[2].regions.append(Region("선", rect(10, 58, 200, 1)))
    built = krocr_data(via_source(signs.write_via(), signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())
    rejection = built.only_rejection()
    assert rejection["item"] == f"{signs.photos[2].name} region 3" and rejection["reason"] == "too_small"


def test_20000_pixel_wide_panorama_reads_and_every_word_is_cropped(signs, tmp_path):
    words = [
        ("시작", (20, 8, 110, 48)),
        ("가운데", (10000, 8, 160, 48)),
        ("끝", (19930, 8, 60, 48)),
        ("아주긴간판이름", (12000, 4, 1800, 56)),
    ]
    panorama = render_photo(words, size=(20000, 64), seed=5)
    signs.add(Photo("panorama.png", [Region(text, rect(*box)) for text, box in words], encode(panorama, "PNG")))
    built = krocr_data(via_source(signs.write_via(), signs.images), tmp_path / "out")
    assert built.rejections == []
    assert built.labels() == Counter([*signs.good_labels(), *(text for text, _ in words)])
    crops = built.crops()
    assert crops["아주긴간판이름"].shape == (32, round(1800 * 32 / 56))  # the whole word, at the cache height
    assert crops["끝"].shape == (32, round(60 * 32 / 48))  # the last 70 px of the panorama
