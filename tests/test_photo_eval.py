"""Whole-photo recall (krocr.analysis.photos) on known layouts, and the annotation reader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from krocr.analysis.metrics import compact
from krocr.analysis.photos import _LevelScore, recall_summary, score_photo
from krocr.data.eval_sets import AnnotatedPhoto, PhotoWord, read_photo_set
from krocr.data.records import ImageRecord, Word
from krocr.errors import DataError


def box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def word(text: str, x0: float, y0: float, x1: float, y1: float, tags: tuple[str, ...] = ()) -> PhotoWord:
    return PhotoWord(tuple(map(tuple, box(x0, y0, x1, y1).tolist())), text, tags)


PHOTO = AnnotatedPhoto(
    Path("street.jpg"),
    "sign-photo",
    (
        word("행복약국", 10, 10, 110, 40),
        word("02-123-4567", 10, 60, 150, 80, ("lowres",)),
        word("###", 200, 10, 250, 30),
        word("빵집", 200, 100, 260, 130),
    ),
)


def test_found_needs_half_the_area_and_read_needs_the_text_inside_an_overlapping_region() -> None:
    regions = [
        (box(5, 5, 115, 45), "행복 약국"),  # whitespace does not matter
        (box(10, 60, 70, 80), "02-123"),  # covers 60 of 140 px: not found
        (box(200, 100, 260, 130), "빵짐"),  # found, misread
    ]
    outcomes = score_photo(PHOTO, regions)
    assert [(o.truth, o.found, o.read) for o in outcomes] == [
        ("행복약국", True, True),
        ("02-123-4567", False, False),
        ("빵집", True, False),
    ]
    assert outcomes[1].coverage == pytest.approx(60 / 140, abs=1e-4)  # rounded to 4 places
    assert outcomes[2].region_text == "빵짐"


def test_a_line_label_is_read_joined_by_the_word_regions_inside_it_in_order() -> None:
    line = AnnotatedPhoto(PHOTO.path, "sign-photo", (word("행복 약국 빵집", 0, 0, 300, 40),))
    words = [(box(0, 0, 100, 40), "행복"), (box(110, 0, 200, 40), "약국"), (box(210, 0, 300, 40), "빵집")]
    [outcome] = score_photo(line, words)
    assert outcome.found and not outcome.read and outcome.read_joined
    [backwards] = score_photo(line, words[::-1])  # joined in the order given (reading order)
    assert not backwards.read_joined
    outside = [*words[:2], (box(150, -200, 400, 30), "빵집")]  # its region lies mostly outside the line
    [partial] = score_photo(line, outside)
    assert not partial.read_joined
    summary = recall_summary([outcome])
    assert (summary["read"], summary["read_joined"], summary["read_joined_rate"]) == (0, 1, 1.0)


def test_a_line_label_is_read_by_a_text_line_that_overlaps_it_and_found_still_needs_regions() -> None:
    line = AnnotatedPhoto(PHOTO.path, "sign-photo", (word("행복 약국 빵집", 0, 0, 300, 40),))
    words = [(box(0, 0, 100, 40), "행복"), (box(110, 0, 200, 40), "약국"), (box(210, 0, 300, 40), "빵집")]
    [outcome] = score_photo(line, words, [(box(0, 0, 300, 40), "행복 약국 빵집")])
    assert outcome.found and not outcome.read and outcome.read_lines
    [elsewhere] = score_photo(line, words, [(box(0, 100, 300, 140), "행복 약국 빵집")])  # does not overlap it
    assert not elsewhere.read_lines
    [unfound] = score_photo(line, words[:1], [(box(0, 0, 300, 40), "행복 약국 빵집")])  # regions cover a third
    assert not unfound.found and not unfound.read_lines
    [no_lines] = score_photo(line, words)
    assert no_lines.read_lines == no_lines.read
    summary = recall_summary([outcome])
    assert (summary["read_lines"], summary["read_lines_rate"]) == (1, 1.0)


def test_a_region_holding_a_whole_line_reads_each_of_its_words() -> None:
    regions = [(box(0, 0, 300, 140), "행복약국 02-123-4567 빵집")]
    outcomes = score_photo(PHOTO, regions)
    assert all(o.found and o.read for o in outcomes)


def test_summary_counts_by_kind_and_tag() -> None:
    outcomes = score_photo(PHOTO, [(box(5, 5, 115, 45), "행복약국")])
    summary = recall_summary(outcomes)
    assert (summary["words"], summary["found"], summary["read"]) == (3, 1, 1)
    assert summary["by_tag"]["lowres"]["words"] == 1 and summary["by_tag"]["untagged"]["read"] == 1
    assert summary["by_kind"]["sign-photo"]["read_rate"] == pytest.approx(1 / 3)


def test_a_region_not_read_still_finds_its_word_but_does_not_read_it() -> None:
    [first, *_] = score_photo(PHOTO, [(box(5, 5, 115, 45), "")])
    assert (first.found, first.read) == (True, False)


def test_no_regions_find_nothing() -> None:
    assert not any(o.found for o in score_photo(PHOTO, []))


def test_a_scene_word_marked_illegible_with_a_trailing_space_is_not_counted() -> None:
    box = np.array([[0, 0], [40, 0], [40, 20], [0, 20]], np.float32)
    record = ImageRecord(Path("s.png"), [Word(box, "가게"), Word(box + 100, "### ", illegible=True)], "scenes")
    score = _LevelScore()
    score.add(record, [(box, "가게"), (box + 100, "x")])
    assert (score.counts.ground_truth, score.counts.detections, score.read_right) == (1, 1, 1)


def test_compact_is_nfc_without_spaces() -> None:
    decomposed = "\u1100\u1161 \u1102\u1161"  # 가 나 as conjoining jamo
    assert compact(decomposed) == "가나"


def test_photo_annotations_are_read_and_bad_lines_named(tmp_path: Path) -> None:
    entry = {"image": "images/a.jpg", "kind": "screen", "words": [{"points": box(1, 2, 3, 4).tolist(), "text": "가"}]}
    path = tmp_path / "annotations.jsonl"
    path.write_text(json.dumps(entry) + "\n\n" + json.dumps({"image": "b.jpg"}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"annotations.jsonl:3: expected image"):
        read_photo_set(tmp_path)
    path.write_text(json.dumps(entry) + "\n", encoding="utf-8")
    [photo] = read_photo_set(tmp_path)
    assert photo.path == tmp_path / "images" / "a.jpg" and photo.words[0].points[2] == (3.0, 4.0)
    for field, value, message in (("text", None, "text is NoneType, not str"), ("tags", "lowres", "tags is str")):
        bad = {**entry, "words": [{**entry["words"][0], field: value}]}  # not "None", not l,o,w,r,e,s
        path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
        with pytest.raises(DataError, match=rf"annotations.jsonl:1: .*{message}"):
            read_photo_set(tmp_path)


class _WholeImageDetector:
    """Finds one region: the whole image (clipped back to the photo by the reader)."""

    max_side = 777

    def detect(self, image: np.ndarray) -> list:
        from krocr.detection.detector import DetectedRegion

        height, width = image.shape[:2]
        return [DetectedRegion(box(0, 0, width, height), 0.9)]


def test_photo_evaluation_writes_its_scores_and_what_read_them(tmp_path: Path) -> None:
    from PIL import Image

    from krocr.analysis.photos import evaluate_photos
    from krocr.inference.photo import PhotoReader
    from krocr.inference.recognizer import Recognizer

    (tmp_path / "images").mkdir()
    Image.new("RGB", (400, 300), "white").save(tmp_path / "images" / "blank.png")
    entry = {
        "image": "images/blank.png",
        "kind": "screen",
        "words": [{"points": box(0, 0, 400, 300).tolist(), "text": "가"}],
    }
    (tmp_path / "annotations.jsonl").write_text(json.dumps(entry) + "\n", encoding="utf-8")
    recognizer = Recognizer(min_confidence=0.5)
    metrics = evaluate_photos(PhotoReader(_WholeImageDetector(), recognizer), tmp_path, tmp_path / "out")
    assert metrics["words"] == 1 and metrics["found"] == 1 and metrics["read"] == 0  # a blank page says no 가
    written = json.loads((tmp_path / "out" / "photo_metrics.json").read_text(encoding="utf-8"))
    settings = written["settings"]
    assert settings["detector"] == "_WholeImageDetector" and settings["max_side"] == 777
    assert settings["recognizer"]["weights"] == str(recognizer.weights)
    assert settings["recognizer"]["min_confidence"] == 0.5 and settings["upside_down"] is True


def test_scenes_with_their_drawn_lines_are_scored_as_words_and_as_lines(tmp_path: Path) -> None:
    import shutil

    from krocr.analysis.photos import evaluate_scenes
    from krocr.detection.detector import DetectedRegion
    from krocr.inference.photo import PhotoReader, load_photo, pad_for_detection
    from krocr.inference.recognizer import Recognizer

    photo = Path(__file__).parents[1] / "examples" / "photo" / "signs.jpg"
    # 녹차 and 9,000: two words a word space apart, drawn as one line; 법원 a line of its own
    words = [box(264, 275, 290, 286), box(294, 275, 323, 286), box(354, 101, 389, 117)]
    (tmp_path / "images").mkdir()
    shutil.copy(photo, tmp_path / "images" / "img_1.jpg")

    def write(folder: str, boxes: list[np.ndarray], texts: list[str]) -> None:
        (tmp_path / folder).mkdir()
        rows = [",".join(str(int(v)) for v in b.reshape(-1)) + f",{t}" for b, t in zip(boxes, texts)]
        (tmp_path / folder / "gt_img_1.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")

    write("gt", words, ["녹차", "9,000", "법원"])
    pad = pad_for_detection(load_photo(photo))[1]

    class TruthDetector:
        def detect(self, image: np.ndarray) -> list[DetectedRegion]:
            return [DetectedRegion(b + pad, 0.9) for b in words]

    reader = PhotoReader(TruthDetector(), Recognizer("ko"), upside_down=False)
    assert evaluate_scenes(reader, tmp_path, tmp_path / "out")["lines"] is None  # no lines/: words only
    write("lines", [box(264, 275, 323, 286), words[2]], ["녹차 9,000", "법원"])
    metrics = evaluate_scenes(reader, tmp_path, tmp_path / "out")
    assert (metrics["hmean"], metrics["ground_truth"]) == (1.0, 3)
    lines = metrics["lines"]
    assert (lines["hmean"], lines["ground_truth"], lines["detections"]) == (1.0, 2, 2)
    reading = reader.read(tmp_path / "images" / "img_1.jpg")  # lines in reading order: 법원 first
    assert (
        lines["end_to_end_line_accuracy"]
        == sum(compact(line.text) == compact(truth) for line, truth in zip(reading.lines, ["법원", "녹차 9,000"])) / 2
    )
    assert lines["rejected"] == {} and (lines["photos"], lines["photos_without_lines"]) == (1, [])
    saved = json.loads((tmp_path / "out" / "scene_metrics.json").read_text(encoding="utf-8"))
    assert saved["lines"]["hmean"] == 1.0
