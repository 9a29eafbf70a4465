"""Reading whole photos (krocr.inference.photo): reading order, the detect → warp → read
pipeline with a stand-in detector, and the drawing a person checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from krocr.data.crops import is_turned_column, validate_box, warp_crop
from krocr.data.importers import read_icdar2015
from krocr.errors import ConfigError, DataError
from krocr.inference.photo import (
    PhotoReader,
    TextRegion,
    draw_reading,
    load_photo,
    pad_for_detection,
    reading_lines,
    reading_order,
    stacked_columns,
    text_lines,
)
from krocr.inference.reading import box_items, read_items
from krocr.inference.recognizer import Recognizer

EXAMPLES = Path(__file__).parents[1] / "examples" / "photo"


@dataclass(frozen=True)
class Region:
    polygon: np.ndarray
    score: float = 0.9


class BoxesAsDetector:
    """Answers with fixed polygons given in the photo's pixels, shifted by the reader's margin."""

    def __init__(self, polygons: list[np.ndarray], photo: np.ndarray | Path):
        self.polygons = polygons
        self.pad = pad_for_detection(load_photo(photo))[1]

    def detect(self, image: np.ndarray) -> list[Region]:
        return [Region(p + self.pad) for p in self.polygons]


def quad(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def test_reading_order_goes_line_by_line_left_to_right() -> None:
    # two lines of two words, the second line's words slightly higher on the right (a tilt)
    quads = [quad(300, 105, 400, 135), quad(10, 10, 100, 40), quad(10, 100, 100, 130), quad(150, 12, 260, 44)]
    assert reading_order(quads) == [1, 3, 2, 0]
    assert reading_order([]) == []


def test_the_words_of_a_tilted_page_stay_on_their_lines() -> None:
    # two lines of ten words, turned 8°: a line rises 125 px over its length, six word heights
    words = [quad(100 * n, 0, 100 * n + 80, 20) for n in range(10)]
    turn = np.array([[np.cos(0.14), -np.sin(0.14)], [np.sin(0.14), np.cos(0.14)]], np.float32)
    tilted = [w @ turn.T for w in words] + [w @ turn.T + [0, 60] for w in words]
    assert reading_lines(tilted) == [list(range(10)), list(range(10, 20))]
    turned = [np.roll(w, 2, axis=0) for w in tilted]  # read upside down: the same lines
    assert reading_lines(turned) == [list(range(10)), list(range(10, 20))]


def test_reading_order_reads_words_stacked_on_a_tilted_panel_top_down() -> None:
    # three words at one x, each 20 px lower than the one above, 35 px high: they overlap in y
    stacked = [quad(100, 60, 170, 95), quad(100, 20, 170, 55), quad(100, 40, 170, 75)]
    assert reading_order(stacked) == [1, 2, 0]


def test_reading_order_keeps_a_tall_region_apart_from_a_line_it_barely_touches() -> None:
    # a line at y 0–30 and a word at y 25–55: 5 px of overlap is not half a line
    assert reading_order([quad(200, 25, 300, 55), quad(0, 0, 100, 30)]) == [1, 0]


def _region(text: str, polygon: np.ndarray, confidence: float = 0.9) -> TextRegion:
    return TextRegion(polygon, text, confidence, 0.9)


def test_a_word_space_joins_regions_into_a_line_and_a_wide_gap_does_not() -> None:
    # one reading-order line 30 px high: gaps of 12 px (a word space) and 200 px (another column)
    quads = [quad(10, 10, 100, 40), quad(112, 10, 200, 40), quad(400, 12, 480, 42), quad(10, 60, 90, 90)]
    lines = reading_lines(quads)
    assert lines == [[0, 1, 2], [3]]
    regions = [_region(t, q, c) for t, q, c in zip(["김치", "찌개", "8,000", "라면"], quads, [0.9, 0.6, 0.8, 0.7])]
    joined = text_lines(regions, [0, 0, 0, 1])
    assert [(line.text, line.regions) for line in joined] == [("김치 찌개", (0, 1)), ("8,000", (2,)), ("라면", (3,))]
    assert joined[0].confidence == 0.6  # the weakest of its regions
    # the line runs from the first region's left edge to the last one's right edge
    assert joined[0].polygon.tolist() == [[10, 10], [200, 10], [200, 40], [10, 40]]


def test_a_vertical_column_stays_a_line_of_its_own() -> None:
    # a column read top to bottom starts at its top-right corner (the photo reader's convention)
    column = np.array([[130, 10], [130, 200], [100, 200], [100, 10]], np.float32)
    regions = [_region("안녕", quad(10, 10, 90, 40)), _region("하세요", column)]
    assert [line.text for line in text_lines(regions, [0, 0])] == ["안녕", "하세요"]


def test_padding_is_border_coloured_and_reported() -> None:
    image = np.full((100, 300, 3), 200, np.uint8)
    padded, pad = pad_for_detection(image)
    assert pad == 16
    assert padded.shape == (132, 332, 3)
    assert (padded[:pad] == 200).all()


def test_photo_reading_reads_what_box_reading_reads_for_the_same_boxes() -> None:
    """Detect → order → warp → read gives, box for box, the texts `krocr read --boxes` gives."""
    photo = EXAMPLES / "signs.jpg"
    records, _ = read_icdar2015(EXAMPLES / "gt_signs.txt", EXAMPLES)
    words = [w for w in records[0].words if w.text != "###"]
    recognizer = Recognizer("ko", stretch_condensed=False)  # crops as they are, as the photo reader reads regions
    items = box_items(recognizer, [photo], EXAMPLES / "gt_signs.txt", "icdar2015")
    expected = [
        reading.text
        for word, (_, reading) in zip(records[0].words, read_items(recognizer, items))
        if reading is not None and word.text != "###"
    ]
    detector = BoxesAsDetector([np.asarray(w.points, np.float32) for w in words], photo)
    reading = PhotoReader(detector, recognizer).read(photo)
    assert sorted(r.text for r in reading.regions) == sorted(expected)
    assert not reading.skipped
    assert reading.size == (load_photo(photo).shape[1], load_photo(photo).shape[0])
    # every region is in exactly one text line, in reading order
    assert [n for line in reading.lines for n in line.regions] == list(range(len(reading.regions)))
    # regions come in reading order: the first is the top-most line's left-most word
    tops = [float(r.polygon[:, 1].min()) for r in reading.regions]
    assert tops[0] == pytest.approx(min(tops), abs=15)


def test_photo_regions_are_read_as_they_are_not_stretched() -> None:
    reader = PhotoReader(BoxesAsDetector([], EXAMPLES / "signs.jpg"), Recognizer("ko"))
    assert reader.recognizer.stretch_condensed  # crops read alone are also read stretched
    line = quad(10, 10, 110, 40)  # a line region, not a column
    assert len(reader._layouts(load_photo(EXAMPLES / "signs.jpg"), line)) == 1


def test_an_upside_down_photo_is_read_as_the_upright_one() -> None:
    photo = load_photo(EXAMPLES / "signs.jpg")
    height, width = photo.shape[:2]
    records, _ = read_icdar2015(EXAMPLES / "gt_signs.txt", EXAMPLES)
    boxes = [np.asarray(w.points, np.float32) for w in records[0].words if w.text != "###"]
    recognizer = Recognizer("ko")
    upright = PhotoReader(BoxesAsDetector(boxes, photo), recognizer).read(photo)
    turned_photo = np.ascontiguousarray(photo[::-1, ::-1])
    turned_boxes = [np.array([width - 1, height - 1], np.float32) - b for b in boxes]  # still clockwise
    detector = BoxesAsDetector(turned_boxes, turned_photo)
    naive = PhotoReader(detector, recognizer, upside_down=False).read(turned_photo)
    checked = PhotoReader(detector, recognizer).read(turned_photo)
    expected = [r.text for r in upright.regions]
    assert sum(r.text in expected for r in naive.regions) < len(expected) // 2
    assert checked.turned > len(boxes) // 2
    assert sum(r.text in expected for r in checked.regions) >= 0.8 * len(expected)
    first = checked.regions[0]  # the reading order is the upright photo's: its first word first
    assert first.text == upright.regions[0].text
    # the polygon starts at the text's own top-left: the upright corner, turned
    assert first.polygon[0] == pytest.approx(np.array([width - 1, height - 1]) - upright.regions[0].polygon[0], abs=1)


def test_a_photo_without_text_gives_no_regions() -> None:
    blank = np.full((300, 400, 3), 128, np.uint8)
    reading = PhotoReader(BoxesAsDetector([], blank), Recognizer("ko")).read(blank)
    assert reading.regions == [] and reading.skipped == []


def test_a_region_too_thin_to_read_is_reported_not_dropped() -> None:
    blank = np.full((300, 400, 3), 128, np.uint8)
    reading = PhotoReader(BoxesAsDetector([quad(10, 10, 200, 12)], blank), Recognizer("ko")).read(blank)
    assert reading.regions == []
    assert [s.reason for s in reading.skipped] == ["too_small"]


def test_a_vertical_regions_polygon_starts_at_the_columns_top_right() -> None:
    white = np.full((300, 400, 3), 255, np.uint8)
    reading = PhotoReader(BoxesAsDetector([quad(100, 20, 140, 220)], white), Recognizer("ko")).read(white)
    [skipped] = reading.skipped  # a blank column reads as nothing, and is listed with its corners
    assert skipped.reason.startswith("nothing read")
    assert skipped.polygon[0].tolist() == [140.0, 20.0]  # the column's top-right corner leads


def stacked_column(text: str, size: int = 40) -> np.ndarray:
    """Black syllables stacked upright on white, as a vertical sign draws them (NanumGothic)."""
    font_path = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
    if not font_path.exists():
        pytest.skip("no Korean font installed (Debian: fonts-nanum)")
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), size)
    image = Image.new("RGB", (size + 16, round(size * 1.2) * len(text) + 16), "white")
    for i, ch in enumerate(text):
        ImageDraw.Draw(image).text((8, 8 + i * round(size * 1.2)), ch, font=font, fill="black")
    return np.asarray(image)


def test_a_vertical_region_is_read_as_its_standing_column_is() -> None:
    column = stacked_column("약국")
    photo = np.full((300, 400, 3), 255, np.uint8)
    photo[20 : 20 + column.shape[0], 100 : 100 + column.shape[1]] = column
    box = quad(100, 20, 100 + column.shape[1], 20 + column.shape[0])
    recognizer = Recognizer("ko")
    [region] = PhotoReader(BoxesAsDetector([box], photo), recognizer).read(photo).regions
    assert region.text == "약국"
    assert region.text == recognizer.read(column).text


def test_syllables_found_one_by_one_are_stacked_into_columns() -> None:
    column = [quad(100, 20 + 50 * k, 140, 60 + 50 * k) for k in range(3)]  # 40×40, gaps of 10
    line = [quad(300 + 50 * k, 20, 340 + 50 * k, 60) for k in range(3)]  # the same squares side by side
    words = [quad(100, 300, 200, 340), quad(100, 350, 200, 390)]  # two words on two lines
    assert stacked_columns(column + line + words) == [[0, 1, 2]]
    shuffled = [column[2], line[0], column[0], column[1]]
    assert stacked_columns(shuffled) == [[2, 3, 0]]  # top to bottom, whatever the detector's order
    apart = [quad(100, 20, 140, 60), quad(100, 100, 140, 140)]  # a gap of a whole syllable: two signs
    assert stacked_columns(apart) == []


def test_syllables_a_little_taller_than_wide_stack_as_validate_box_gives_them() -> None:
    boxes = [validate_box(quad(100, 20 + 55 * k, 140, 68 + 55 * k), (400, 300))[0] for k in range(3)]  # 40×48
    assert all(is_turned_column(b) for b in boxes)  # relabelled as columns: their first edge runs down
    assert stacked_columns(boxes) == [[0, 1, 2]]


def test_a_column_found_syllable_by_syllable_is_read_as_one_region() -> None:
    column = stacked_column("약국")
    photo = np.full((300, 400, 3), 255, np.uint8)
    photo[20 : 20 + column.shape[0], 100 : 100 + column.shape[1]] = column
    pitch = column.shape[0] // 2
    syllables = [quad(100, 20 + k * pitch, 100 + column.shape[1], 20 + (k + 1) * pitch - 4) for k in range(2)]
    reading = PhotoReader(BoxesAsDetector(syllables, photo), Recognizer("ko")).read(photo)
    assert [r.text for r in reading.regions] == ["약국"]
    assert reading.regions[0].polygon[0].tolist() == [100 + column.shape[1], 20]  # the column's top-right leads


def test_drawing_keeps_the_photo_size(tmp_path: Path) -> None:
    photo = EXAMPLES / "signs.jpg"
    detector = BoxesAsDetector([quad(111, 39, 172, 67)], photo)
    reading = PhotoReader(detector, Recognizer("ko")).read(photo)
    drawn = draw_reading(photo, reading)
    assert drawn.size == reading.size
    assert np.asarray(drawn).tolist() != load_photo(photo).tolist()  # something was drawn


def test_an_rgba_array_is_read_as_its_file_would_be(tmp_path: Path) -> None:
    rgba = np.zeros((40, 60, 4), np.uint8)  # fully transparent black: white once composited
    assert (load_photo(rgba) == 255).all()
    with pytest.raises(DataError, match="expected uint8 gray, RGB or RGBA"):
        load_photo(np.zeros((40, 60), np.float32))


def _sign(text: str) -> tuple[np.ndarray, np.ndarray]:
    """A white photo with ``text`` in black, and the text's box."""
    from PIL import Image, ImageDraw

    from krocr.captions import korean_font

    canvas = Image.new("RGB", (640, 200), "white")
    draw = ImageDraw.Draw(canvas)
    left, top, right, bottom = draw.textbbox((40, 60), text, font=korean_font(64))
    draw.text((40, 60), text, font=korean_font(64), fill="black")
    return np.asarray(canvas), quad(left - 6, top - 8, right + 6, bottom + 8)


def test_a_line_cut_in_two_is_read_as_one_crop_when_asked() -> None:
    photo, box = _sign("행복약국")
    middle = float(box[:, 0].mean())
    halves = [quad(box[0, 0], box[0, 1], middle - 3, box[2, 1]), quad(middle + 3, box[0, 1], box[2, 0], box[2, 1])]
    recognizer = Recognizer("ko")

    def read(mode: str):
        reader = PhotoReader(BoxesAsDetector(halves, photo), recognizer, upside_down=False, line_reading=mode)
        return reader.read(photo)

    joined, whole, confident = read("joined"), read("crop"), read("confident")
    assert [line.regions for line in whole.lines] == [(0, 1)]
    assert joined.lines[0].text == " ".join(region.text for region in joined.regions)
    as_one = recognizer.read(warp_crop(photo, whole.lines[0].polygon))
    assert (whole.lines[0].text, whole.lines[0].confidence) == (as_one.text, as_one.confidence)
    assert [r.text for r in whole.regions] == [r.text for r in joined.regions] == ["행복", "약국"]
    better = whole.lines[0] if whole.lines[0].confidence >= joined.lines[0].confidence else joined.lines[0]
    assert (confident.lines[0].text, confident.lines[0].confidence) == (better.text, better.confidence)
    assert (whole.lines[0].read_whole, joined.lines[0].read_whole) == (True, False)
    assert confident.lines[0].read_whole == (better is whole.lines[0])


def test_a_reading_at_each_level_and_drawn_at_each() -> None:
    photo, box = _sign("행복약국")
    middle = float(box[:, 0].mean())
    halves = [quad(box[0, 0], box[0, 1], middle - 3, box[2, 1]), quad(middle + 3, box[0, 1], box[2, 0], box[2, 1])]
    reading = PhotoReader(BoxesAsDetector(halves, photo), Recognizer("ko"), upside_down=False).read(photo)
    assert reading.at("line") == reading.lines and len(reading.lines) == 1
    assert reading.at("word") == reading.regions and len(reading.regions) == 2
    by_line, by_word = (np.asarray(draw_reading(photo, reading, level)) for level in ("line", "word"))
    assert by_line.shape == by_word.shape and (by_line != by_word).any()  # one polygon, or two


def test_an_unknown_line_reading_is_refused() -> None:
    with pytest.raises(ConfigError, match="line_reading"):
        PhotoReader(BoxesAsDetector([], EXAMPLES / "signs.jpg"), Recognizer("ko"), line_reading="words")


def test_a_line_with_a_region_read_turned_is_not_cut_out_whole() -> None:
    from krocr.inference.photo import _one_way_up

    upright = [quad(10, 10, 100, 40), quad(112, 10, 200, 40)]
    assert _one_way_up(upright)
    assert not _one_way_up([upright[0], np.roll(upright[1], 2, axis=0)])  # the second read turned 180°


def test_a_line_of_regions_read_turned_runs_from_its_last_region_to_its_first() -> None:
    # two words read turned 180° in an upright photo: left to right in the image, each reading right to left
    left, right = np.roll(quad(10, 10, 100, 40), 2, axis=0), np.roll(quad(112, 10, 200, 40), 2, axis=0)
    [line] = text_lines([_region("만세", left), _region("대한민국", right)], [0, 0])
    assert line.regions == (1, 0) and line.text == "대한민국 만세"
    assert line.polygon.tolist() == [[200, 40], [10, 40], [10, 10], [200, 10]]  # the whole line, turned


def test_a_line_mixing_ways_up_keeps_the_images_order() -> None:
    left, right = np.roll(quad(10, 10, 100, 40), 2, axis=0), quad(112, 10, 200, 40)
    [line] = text_lines([_region("치킨", left), _region("홀릭", right)], [0, 0])
    assert line.regions == (0, 1) and line.text == "치킨 홀릭"
    assert line.polygon.tolist() == [[10, 10], [200, 10], [200, 40], [10, 40]]  # the whole line, not crossing
    [line] = text_lines([_region("치킨", quad(10, 10, 100, 40)), _region("홀릭", np.roll(right, 2, axis=0))], [0, 0])
    assert line.polygon.tolist() == [[10, 10], [200, 10], [200, 40], [10, 40]]
