"""benchmarks/detector_growth.py: one row per cap, from the photo reader's own evaluation."""

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
