"""`krocr read` on whole photos: crops and photos in one call, photos without text, corrupt
files, --mode, --draw and --json. The detector is a stand-in that answers fixed boxes, so
these tests check the command, not a trained detector."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from krocr.cli import main
from krocr.commands import read as read_command
from krocr.detection.detector import DetectedRegion
from krocr.inference.photo import PhotoReader, load_photo, pad_for_detection
from krocr.inference.recognizer import Recognizer

EXAMPLES = Path(__file__).parents[1] / "examples"
WORD_BOX = np.array([[111, 39], [170, 39], [170, 67], [111, 67]], dtype=np.float32)  # 지하3층 in signs.jpg


class OneBoxDetector:
    """Finds WORD_BOX (in signs.jpg's pixels, shifted by the margin the reader adds to it) in
    every photo that is not plain gray."""

    def __init__(self) -> None:
        self.pad = pad_for_detection(load_photo(EXAMPLES / "photo" / "signs.jpg"))[1]

    def detect(self, image: np.ndarray) -> list[DetectedRegion]:
        return [] if image.std() < 1 else [DetectedRegion(WORD_BOX + self.pad, 0.9)]


@pytest.fixture
def stand_in_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        read_command,
        "photo_reader_from_args",
        lambda args, recognizer, lines=True: PhotoReader(OneBoxDetector(), recognizer),
    )


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = main(["read", *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_crops_and_photos_in_one_call_and_a_corrupt_file_does_not_stop_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in_detector: None
) -> None:
    corrupt = tmp_path / "broken.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff not really a jpeg")
    photo = EXAMPLES / "photo" / "signs.jpg"
    code, lines, err = run([str(EXAMPLES / "crops" / "crop_01.png"), str(photo), str(corrupt)], capsys)
    assert code == 1 and "1 of 3 inputs could not be read" in err
    crop_line, region_line, error_line = lines
    assert len(crop_line.split("\t")) == 3
    path, polygon, text, confidence = region_line.split("\t")
    assert path == str(photo) and [int(v) for v in polygon.split(",")] == [111, 39, 170, 39, 170, 67, 111, 67]
    assert text and 0 <= float(confidence) <= 1
    assert error_line.startswith(f"{corrupt}\t\t0.000\terror: ")


def test_a_photo_without_text_prints_nothing_and_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in_detector: None
) -> None:
    blank = tmp_path / "wall.png"
    Image.new("RGB", (400, 300), (128, 128, 128)).save(blank)
    code, lines, err = run([str(blank)], capsys)
    assert (code, lines) == (0, [])
    assert "no text found" in err


class WholeImageDetector:
    """Finds one region: the whole image (clipped back to the photo by the reader)."""

    def detect(self, image: np.ndarray) -> list[DetectedRegion]:
        height, width = image.shape[:2]
        return [DetectedRegion(np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32), 0.9)]


def test_mode_crop_reads_a_large_image_as_one_crop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def photo_reader(args: object, recognizer: Recognizer, lines: bool = True) -> PhotoReader:
        return PhotoReader(WholeImageDetector(), recognizer)

    monkeypatch.setattr(read_command, "photo_reader_from_args", photo_reader)
    big_crop = tmp_path / "big.png"
    Image.open(EXAMPLES / "crops" / "crop_01.png").resize((846, 288)).save(big_crop)
    _, [auto_line], _ = run([str(big_crop)], capsys)
    _, [crop_line], _ = run(["--mode", "crop", str(big_crop)], capsys)
    assert len(auto_line.split("\t")) == 4  # read as a photo: it has a polygon
    assert len(crop_line.split("\t")) == 3


def test_drawing_asks_for_a_photo_even_of_a_small_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in_detector: None
) -> None:
    small = tmp_path / "thumb.png"
    Image.open(EXAMPLES / "photo" / "signs.jpg").crop((0, 0, 320, 150)).save(small)  # shorter side < 200 px
    _, [auto_line], _ = run([str(small)], capsys)
    assert len(auto_line.split("\t")) == 3  # read as one crop
    code, [drawn_line], _ = run(["--draw", str(tmp_path / "drawn.png"), str(small)], capsys)
    assert code == 0 and len(drawn_line.split("\t")) == 4 and (tmp_path / "drawn.png").is_file()


def test_a_drawing_never_replaces_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photo = tmp_path / "sign.png"
    Image.open(EXAMPLES / "photo" / "signs.jpg").save(photo)
    before = photo.read_bytes()
    for target in (photo, tmp_path):  # the file itself, or the folder whose sign.png it is
        code, lines, err = run(["--draw", str(target), str(photo)], capsys)
        assert (code, lines) == (1, []) and ("would be replaced" in err or "would replace the photo" in err)
    assert photo.read_bytes() == before


def test_a_photo_too_large_to_decode_gets_an_error_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in_detector: None
) -> None:
    huge = tmp_path / "huge.png"
    huge.write_bytes(_png_header(20_000, 10_000))  # 200 megapixels, as its header says
    code, [line], _ = run([str(huge)], capsys)
    assert code == 1 and line.startswith(f"{huge}\t\t0.000\terror: ")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that says it is ``width`` × ``height`` and holds no pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def test_json_and_draw_of_word_regions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in_detector: None
) -> None:
    photo = EXAMPLES / "photo" / "signs.jpg"
    drawn = tmp_path / "drawn.png"
    code, [line], _ = run(["--level", "word", "--json", "--draw", str(drawn), str(photo)], capsys)
    record = json.loads(line)
    assert code == 0
    assert set(record) == {"path", "polygon", "text", "confidence", "detection_score", "error"}
    assert record["polygon"][0] == [111.0, 39.0] and record["error"] is None
    assert Image.open(drawn).size == Image.open(photo).size


def test_draw_to_one_file_with_several_photos_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in_detector: None
) -> None:
    photo = str(EXAMPLES / "photo" / "signs.jpg")
    code, lines, err = run(["--draw", str(tmp_path / "out.png"), photo, photo], capsys)
    assert code == 1 and lines == []
    assert "a file name, but 2 inputs; give a directory instead" in err


def test_two_photos_with_one_name_cannot_be_drawn_into_one_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in_detector: None
) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        Image.new("RGB", (300, 300)).save(tmp_path / folder / "sign.png")
    code, lines, err = run(["--draw", str(tmp_path / "drawn"), str(tmp_path / "a"), str(tmp_path / "b")], capsys)
    assert code == 1 and lines == [] and "would both be drawn as sign.png" in err


def test_detection_options_with_boxes_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    photo = str(EXAMPLES / "photo" / "signs.jpg")
    boxes = ["--boxes", str(EXAMPLES / "photo" / "gt_signs.txt"), "--format", "icdar2015"]
    for option in (["--mode", "photo"], ["--max-side", "2048"], ["--level", "word"], ["--line-reading", "joined"]):
        code, lines, err = run([*boxes, *option, photo], capsys)
        assert lines == []
        assert code == 1 and "--max-side, --level and --line-reading are for detection" in err


def test_photo_options_with_mode_crop_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = run(["--mode", "crop", "--level", "word", str(EXAMPLES / "crops" / "crop_01.png")], capsys)
    assert code == 1 and lines == [] and "--mode crop reads every input as a crop" in err


def test_line_reading_with_word_regions_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--level", "word", "--line-reading", "crop", str(EXAMPLES / "photo" / "signs.jpg")]
    code, lines, err = run(args, capsys)
    assert code == 1 and lines == [] and "--level word prints no lines" in err


def test_max_side_reaches_the_detector() -> None:
    from krocr.commands.options import photo_reader_from_args

    parser = argparse.ArgumentParser()
    read_command.configure(parser)
    args = parser.parse_args(["--max-side", "2048", "photo.jpg"])
    reader = photo_reader_from_args(args, Recognizer())
    assert reader.detector.max_side == 2048
    assert reader.line_reading == "confident"  # the default
    assert photo_reader_from_args(args, Recognizer(), lines=False).line_reading == "joined"  # no lines, no crops
    assert (
        photo_reader_from_args(parser.parse_args(["--line-reading", "joined", "x.jpg"]), Recognizer()).line_reading
        == "joined"
    )
    with pytest.raises(SystemExit):  # refused while parsing, before any photo is read
        parser.parse_args(["--max-side", "16", "photo.jpg"])


def test_a_photo_prints_its_text_lines_with_their_word_regions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = str(EXAMPLES / "photo" / "signs.jpg")
    pad = OneBoxDetector().pad
    # 녹차 and 9,000 of one printed line (gt_signs.txt), a word space apart, and 법원 on a line of its own
    boxes = [[[264, 275], [290, 275], [290, 286], [264, 286]], [[294, 275], [323, 275], [323, 286], [294, 286]]]
    boxes.append([[354, 100], [389, 104], [387, 119], [353, 115]])

    class ThreeWords:
        def detect(self, image: np.ndarray) -> list[DetectedRegion]:
            return [DetectedRegion(np.array(box, np.float32) + pad, 0.9) for box in boxes]

    def photo_reader(args: argparse.Namespace, recognizer: Recognizer, lines: bool = True) -> PhotoReader:
        return PhotoReader(ThreeWords(), recognizer, line_reading=args.line_reading or "confident")

    monkeypatch.setattr(read_command, "photo_reader_from_args", photo_reader)
    code, lines, _ = run(["--json", photo], capsys)
    records = [json.loads(line) for line in lines]
    assert code == 0 and len(records) == 2  # two lines, not three words
    assert set(records[1]) == {"path", "polygon", "text", "confidence", "words", "read_whole", "error"}
    assert [len(record["words"]) for record in records] == [1, 2]  # 법원 is above the price line
    two = records[1]
    assert two["polygon"][0] == [264.0, 275.0] and two["polygon"][2] == [323.0, 286.0]
    assert all(set(word) >= {"polygon", "text", "confidence", "detection_score"} for word in two["words"])
    _, [_, joined_line], _ = run(["--json", "--line-reading", "joined", photo], capsys)
    joined = json.loads(joined_line)
    assert not joined["read_whole"] and joined["text"] == " ".join(word["text"] for word in joined["words"])
    _, words, _ = run(["--level", "word", photo], capsys)
    assert len(words) == 3
