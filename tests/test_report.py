"""``krocr report``: one self-contained HTML page; checked as text and in headless chromium."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_evaluation import write_cache
from test_recognizer import make_weights

from krocr.analysis import report
from krocr.analysis.evaluation import evaluate
from krocr.commands import report as report_command
from krocr.inference.recognizer import Recognizer

TINY_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "tiny.yaml"
SECTIONS = ("config", "curves", "metrics", "gallery", "confusions")
LOGGER_HEADER = "epoch,loss_epoch,loss_step,step,val_cer,val_loss,val_mean_ned,val_word_accuracy\n"


def write_run(run: Path, epochs: str, versions: dict[int, str]) -> Path:
    """A run directory as krocr train leaves it: config.yaml and the CSV logger's files."""
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(TINY_CONFIG.read_text().replace("epochs: 2", f"epochs: {epochs}"))
    for version, rows in versions.items():
        (run / "logs" / f"version_{version}").mkdir(parents=True)
        (run / "logs" / f"version_{version}" / "metrics.csv").write_text(LOGGER_HEADER + rows)
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("runs")
    first = write_run(
        root / "first",
        "3",
        {
            0: ",,,0,,,,\n0,,41.1,0,,,,\n0,,,3,1.0,40.7,1.0,0.0\n0,39.3,,3,,,,\n"
            "1,,,7,0.9,39.0,0.9,0.0\n1,36.1,,7,,,,\n",
            1: "1,,,7,0.8,38.0,0.8,0.1\n1,35.0,,7,,,,\n2,,,11,0.7,36.0,0.7,0.25\n2,33.5,,11,,,,\n",  # resumed
        },
    )
    second = write_run(root / "second", "4", {0: "0,,,3,1.0,41.0,1.0,0.0\n0,40.0,,3,,,,\n"})
    weights = make_weights(first / "best.safetensors")
    data = write_cache(root / "data" / "test.lmdb", ["가나", "다라", "마바사", "ab"]).parent
    evaluate(Recognizer(weights), data, first / "eval", gallery=3)
    bare = root / "bare"
    bare.mkdir()
    return [first, second, bare]


@pytest.fixture(scope="module")
def page(runs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    parser = argparse.ArgumentParser()
    report_command.configure(parser)
    assert report_command.run(parser.parse_args([*map(str, runs), "--out", str(out)])) == 0
    return out


def test_page_has_every_section_and_embeds_its_images(page):
    text = page.read_text(encoding="utf-8")
    ids = set(re.findall(r'<section id="([^"]+)"', text))
    assert ids == {"comparison"} | {f"run{n}-{s}" for n in (1, 2, 3) for s in SECTIONS}
    sources = re.findall(r'<img [^>]*src="([^"]+)"', text)
    assert len(sources) == 4  # run 1: curves + 2 gallery sheets; run 2: curves
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<script" not in text and "http" not in text


def test_missing_pieces_say_not_available(page):
    text = page.read_text(encoding="utf-8")
    bare = text[text.index('id="run3-config"') :]
    assert bare.count("not available") >= 5
    second = text[text.index('id="run2-metrics"') : text.index('id="run2-gallery"')]
    assert "not available" in second and "krocr eval" in second
    first = text[text.index('id="run1-metrics"') : text.index('id="run1-gallery"')]
    assert "By text kind" in first  # its test set stores text kinds


def test_comparison_lists_each_run_and_config_differences(page):
    text = page.read_text(encoding="utf-8")
    comparison = text[text.index('id="comparison"') : text.index('id="run1-config"')]
    for name in ("first", "second", "bare"):
        assert f"<td>{name}</td>" in comparison
    assert "train.epochs" in comparison


def test_logger_history_merges_resumed_versions(runs):
    history = report.history_from_logger(runs[0])
    assert [row["epoch"] for row in history] == [0.0, 1.0, 2.0]
    assert [row["val_loss"] for row in history] == [40.7, 38.0, 36.0]  # version 1 wins for epoch 1
    assert [row["loss"] for row in history] == [39.3, 35.0, 33.5]


def chromium(*args: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="krocr-chromium-")
    try:
        return subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium is not installed (Debian: apt-get install -y chromium)"
)
def test_page_renders_in_headless_chromium(page, tmp_path):
    shot = tmp_path / "shot.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri())
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.shape == (2000, 1200)
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.01  # text and tables, not a blank page
    dom = chromium("--dump-dom", page.as_uri()).stdout
    for section_id in ("comparison", *(f"run1-{s}" for s in SECTIONS)):
        assert f'id="{section_id}"' in dom


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium is not installed (Debian: apt-get install -y chromium)"
)
def test_a_run_with_full_galleries_keeps_the_page_short(tmp_path):
    # 24-crop sheets once made the page ~15,600 px tall with ~9-px captions
    run = write_run(tmp_path / "run", "1", {0: "0,,,3,1.0,40.7,1.0,0.0\n0,39.3,,3,,,,\n"})
    weights = make_weights(run / "best.safetensors")
    labels = ["가나다라마바사아자차카타파하"[: 1 + i % 8] for i in range(30)]
    data = write_cache(tmp_path / "data" / "test.lmdb", labels).parent
    evaluate(Recognizer(weights), data, run / "eval", gallery=24)
    out = tmp_path / "report.html"
    parser = argparse.ArgumentParser()
    report_command.configure(parser)
    assert report_command.run(parser.parse_args([str(run), "--out", str(out)])) == 0
    probe = tmp_path / "probe.html"
    probe.write_text(
        out.read_text(encoding="utf-8").replace(
            "</body>", "<script>document.title = document.documentElement.scrollHeight</script></body>"
        ),
        encoding="utf-8",
    )
    dom = chromium("--window-size=1200,1000", "--dump-dom", probe.as_uri()).stdout
    height = int(re.search(r"<title>(\d+)</title>", dom).group(1))
    assert height < 6000, height
