"""benchmarks/detector_growth.py and benchmarks/line_reading.py: their rows and the scene word lists they score."""

from pathlib import Path

from benchmark_modules import load_benchmark

from krocr.detection.config import PostprocessConfig
from krocr.detection.detector import Detector
from krocr.inference.photo import PhotoReader
from krocr.inference.recognizer import Recognizer

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "photo"


def test_a_row_reports_detection_and_end_to_end_scores_for_scenes(tmp_path: Path) -> None:
    growth = load_benchmark("detector_growth")
    reader = PhotoReader(Detector(postprocess=PostprocessConfig(max_word_aspect=2)), Recognizer("ko"))
    row = growth.summary(EXAMPLES, reader, tmp_path)
    assert row.startswith("P ") and " H " in row and "end to end" in row
    assert (tmp_path / "scene_metrics.json").is_file()


def test_scenes_become_a_photo_set_with_every_word_and_box(tmp_path: Path) -> None:
    from krocr.data.eval_sets import read_photo_set
    from krocr.data.importers import read_icdar2015

    lines = load_benchmark("line_reading")
    [photo] = read_photo_set(lines.scenes_as_photo_set(EXAMPLES, tmp_path))
    [record], _ = read_icdar2015(EXAMPLES, EXAMPLES)
    assert photo.path == record.path.resolve() and photo.kind == "scene"
    assert [w.text for w in photo.words] == [w.text for w in record.words]
    assert [w.points for w in photo.words] == [tuple(map(tuple, w.points)) for w in record.words]
