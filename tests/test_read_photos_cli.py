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


def test_json_and_draw(tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in_detector: None) -> None:
    photo = EXAMPLES / "photo" / "signs.jpg"
    drawn = tmp_path / "drawn.png"
    code, [line], _ = run(["--json", "--draw", str(drawn), str(photo)], capsys)
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
    for option in (["--mode", "photo"], ["--max-side", "2048"], ["--line-reading", "joined"]):
        code, lines, err = run([*boxes, *option, photo], capsys)
        assert lines == []
        assert code == 1 and "--max-side, --lines and --line-reading are for detection" in err


def test_line_reading_needs_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = run(["--line-reading", "crop", str(EXAMPLES / "photo" / "signs.jpg")], capsys)
    assert code == 1 and lines == [] and "give --lines too" in err


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


def test_lines_print_a_photos_text_lines_with_their_regions(
    capsys: pytest.CaptureFixture[str], stand_in_detector: None
) -> None:
    photo = str(EXAMPLES / "photo" / "signs.jpg")
    code, [line], _ = run(["--lines", "--json", photo], capsys)
    record = json.loads(line)
    assert code == 0 and set(record) == {"path", "polygon", "text", "confidence", "regions", "error"}
    assert record["regions"] == [0] and record["polygon"][0] == [111.0, 39.0]
