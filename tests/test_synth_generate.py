"""``krocr synth``: deterministic across worker counts, writes the crop cache, summary,
preview, and scene images with ICDAR 2015 ground truth."""

from __future__ import annotations

import argparse
import json
from collections import Counter

import pytest
from fixtures.progress import Recorder

from krocr.charset import korean_charset, normalize_text
from krocr.commands.synth import configure, run
from krocr.data.importers import read_icdar2015
from krocr.data.store import CacheReader
from krocr.synth.fonts import discover_fonts
from krocr.synth.generate import SynthOptions, generate, is_validation
from krocr.synth.render import RenderConfig

pytestmark = pytest.mark.skipif(not discover_fonts(), reason="no fonts under /usr/share/fonts")


def lmdb_contents(path):
    reader = CacheReader(path)
    return [reader.raw(i) for i in range(len(reader))]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same Korean job with 1 and with 2 workers."""
    outs = []
    for workers in (1, 2):
        out = tmp_path_factory.mktemp(f"synth{workers}")
        generate(SynthOptions(out=out, lang="ko", count=80, seed=5, val_fraction=0.25, workers=workers))
        outs.append(out)
    return outs


def test_identical_images_and_labels_whatever_the_worker_count(two_runs):
    one, two = two_runs
    for split in ("train", "val"):
        assert lmdb_contents(one / f"{split}.lmdb") == lmdb_contents(two / f"{split}.lmdb")


def test_cache_holds_normalized_labels_inside_the_charset_at_height_32(two_runs):
    charset = korean_charset()
    train = CacheReader(two_runs[0] / "train.lmdb")
    val = CacheReader(two_runs[0] / "val.lmdb")
    assert (len(train), len(val)) == (60, 20)
    for reader in (train, val):
        for i in range(len(reader)):
            gray, label, source = reader[i]
            assert gray.shape[0] == 32 and label == normalize_text(label) and not charset.missing(label)
            assert source.startswith("synth-ko/") and len(source) > len("synth-ko/")  # + font design


def test_summary_and_preview(two_runs):
    out = two_runs[0]
    summary = json.loads((out / "synth_summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == {"train": 60, "val": 20}
    assert sum(summary["kinds"].values()) == 80 and sum(summary["fonts"]["used"].values()) == 80
    assert summary["syllables"]["target"] == 2350 and summary["syllables"]["seen"] > 100
    assert (out / "preview.png").stat().st_size > 0
    stored = Counter(CacheReader(out / "train.lmdb").kinds() + CacheReader(out / "val.lmdb").kinds())
    assert stored == Counter(summary["kinds"])  # every crop carries the kind of its text
    assert len((out / "syllable_counts.csv").read_text(encoding="utf-8").splitlines()) == 2351


def test_validation_indices_are_spread_evenly():
    picked = [i for i in range(1, 101) if is_validation(i, 0.1)]
    assert picked == list(range(10, 101, 10))


def test_scenes_write_icdar2015_ground_truth_that_imports(tmp_path):
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args(
        ["--lang", "ko", "--count", "3", "--seed", "1", "--out", str(tmp_path), "--scenes", "--workers", "1", "--quiet"]
    )
    assert run(args) == 0
    summary = json.loads((tmp_path / "synth_summary.json").read_text(encoding="utf-8"))
    gt_dir, images_dir = tmp_path / "scenes" / "gt", tmp_path / "scenes" / "images"
    lines = [line for f in sorted(gt_dir.glob("gt_img_*.txt")) for line in f.read_text(encoding="utf-8").splitlines()]
    assert sorted(p.name for p in images_dir.iterdir()) == ["img_1.jpg", "img_2.jpg", "img_3.jpg"]
    assert len(lines) == summary["counts"]["words"] > 0
    assert all(len(line.split(",", 8)) == 9 for line in lines)
    records, log = read_icdar2015(gt_dir, images_dir)
    assert len(records) == 3 and len(log) == 0
    assert sum(len(r.words) for r in records) == len(lines)
    assert {w.text for r in records for w in r.words} == {line.split(",", 8)[8] for line in lines}
    # and their drawn lines: each word in one, a line's text its words' (### where one is)
    line_records, line_log = read_icdar2015(tmp_path / "scenes" / "lines", images_dir)
    assert len(line_records) == 3 and len(line_log) == 0
    by_image = {r.path.name: r for r in records}
    several = False
    for line_record in line_records:
        words = [w.text for w in by_image[line_record.path.name].words]
        texts = [w.text for w in line_record.words]
        # every legible word in exactly one legible line, in the order drawn
        legible_lines = [t.split(" ") for t in texts if t != "###"]
        in_legible_lines = [word for line in legible_lines for word in line]
        assert all(word in words for word in in_legible_lines)
        assert len(in_legible_lines) + sum(t == "###" for t in texts) <= len(words)
        several |= len(texts) > 1 and any(len(line) > 1 for line in legible_lines)
    assert several  # lines of several words, and photos of several lines


def test_heldout_fonts_render_only_heldout_faces(tmp_path):
    from krocr.synth.fonts import split_fonts

    heldout = {f.name for f in split_fonts(discover_fonts()).heldout}
    generate(SynthOptions(out=tmp_path, lang="en", count=12, fonts="heldout", split="test"))
    summary = json.loads((tmp_path / "synth_summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == {"test": 12} and set(summary["fonts"]["used"]) <= heldout
    heldout_designs = {f.design for f in split_fonts(discover_fonts()).heldout}
    assert CacheReader(tmp_path / "test.lmdb")[0][2].split("/") in [["synth-en-heldout", f] for f in heldout_designs]


@pytest.mark.parametrize("scenes", [False, True])
def test_generate_is_quiet_reports_progress_and_returns_the_summary(tmp_path, capsys, scenes):
    hook = Recorder()
    summary = generate(SynthOptions(out=tmp_path, lang="en", count=3, scenes=scenes), progress=hook)
    assert capsys.readouterr() == ("", "")
    written = json.loads((tmp_path / "synth_summary.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(summary)) == written  # tuples are lists in JSON
    assert hook.tasks == [("synth en scenes" if scenes else "synth en", 3)] and hook.steps == 3


def test_without_degradation_renders_the_clean_twins_of_the_same_crops(tmp_path):
    # pixel-exact twins: tests/test_synth_render.py; here the option's path through the CLI
    generate(SynthOptions(out=tmp_path / "full", lang="ko", count=40, seed=3))
    parser = argparse.ArgumentParser()
    configure(parser)
    assert (
        run(
            parser.parse_args(
                [
                    "--count",
                    "40",
                    "--seed",
                    "3",
                    "--out",
                    str(tmp_path / "clean"),
                    "--no-degradation",
                    "--workers",
                    "1",
                    "--quiet",
                ]
            )
        )
        == 0
    )
    full, clean = (CacheReader(tmp_path / name / "train.lmdb") for name in ("full", "clean"))
    pairs = [(full[i], clean[i]) for i in range(len(full))]
    assert all(f[1:] == c[1:] for f, c in pairs)  # the same labels and font designs
    assert all(f[0].shape == c[0].shape for f, c in pairs)  # the same layout and geometry
    assert sum(not (f[0] == c[0]).all() for f, c in pairs) > len(pairs) // 2  # most crops draw some degradation
    summary = json.loads((tmp_path / "clean" / "synth_summary.json").read_text(encoding="utf-8"))
    assert summary["config"]["render"]["blur"] == 0 and summary["config"]["render"]["jpeg"] == 0


def test_design_weight_option_parses_name_equals_number():
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args(
        ["--count", "1", "--out", "x", "--design-weight", "Nanum Pen Script=3", "--design-weight", "A=B=0.5"]
    )
    assert args.design_weight == [("Nanum Pen Script", 3.0), ("A=B", 0.5)]
    for bad in ("Nanum Pen Script", "=2", "Pen=0", "Pen=-1", "Pen=inf", "Pen=x"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--count", "1", "--out", "x", "--design-weight", bad])


def test_design_weights_reach_the_rendered_crops(tmp_path):
    from krocr.synth.fonts import split_fonts

    if "NanumGothic" not in {f.design for f in split_fonts(discover_fonts()).train}:
        pytest.skip("fonts-nanum is not installed")
    generate(SynthOptions(out=tmp_path, lang="ko", count=40, seed=3, design_weights=(("NanumGothic", 200.0),)))
    sources = [CacheReader(tmp_path / "train.lmdb")[i][2] for i in range(40)]
    assert sum(s == "synth-ko/NanumGothic" for s in sources) > 30  # ~19 Korean designs: ~2 without the weight
    summary = json.loads((tmp_path / "synth_summary.json").read_text(encoding="utf-8"))
    assert summary["config"]["design_weights"] == {"NanumGothic": 200.0}


def test_chance_option_parses_name_equals_number():
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args(["--count", "1", "--out", "x", "--chance", "small_text=0.3", "--chance", " low_res = 0"])
    assert args.chance == [("small_text", 0.3), ("low_res", 0.0)]
    for bad in ("small_text", "small_text=", "small_text=x", "small_text=nan"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--count", "1", "--out", "x", "--chance", bad])


def test_chances_reach_the_rendered_crops_and_the_summary(tmp_path):
    parser = argparse.ArgumentParser()
    configure(parser)
    options = ["--count", "30", "--seed", "3", "--workers", "1", "--quiet", "--chance", "small_text=1"]
    assert run(parser.parse_args([*options, "--out", str(tmp_path / "small")])) == 0
    summary = json.loads((tmp_path / "small" / "synth_summary.json").read_text(encoding="utf-8"))
    assert summary["config"]["render"]["small_text"] == 1.0
    assert summary["config"]["render"]["low_res"] == RenderConfig().low_res  # the others as they were
    # vertical text and documents are drawn at their own size: every other crop is small
    assert summary["looks"].get("small_text", 0) >= 15, summary["looks"]


@pytest.mark.parametrize(
    "options, message",
    [
        (["--scenes", "--no-degradation"], r"--no-degradation applies to crops"),
        (["--scenes", "--height", "64"], r"--height applies to crops"),
        (
            ["--design-weight", "UnDotum=2", "--design-weight", "UnDotum=3"],
            r"--design-weight given twice for 'UnDotum'",
        ),
        (["--scenes", "--texts", "texts.txt"], r"--texts draws crops' texts from a file: not with --scenes"),
        (["--without", "text", "--texts", "texts.txt"], r"not with --scenes or --without text"),
        (["--chance", "small_text=0.3", "--chance", "small_text=0.5"], r"--chance given twice for 'small_text'"),
        (["--chance", "sparkles=0.3"], r"--chance: unknown chance 'sparkles'; one of document, "),
        (["--chance", "low_res=1.5"], r"--chance: chance low_res=1.5 is not a probability in \[0, 1\]"),
        (["--chance", "photo=0.5"], r"--chance: unknown chance 'photo'"),  # a share of the panels, not a chance
        (["--scenes", "--chance", "blur=0"], r"--chance applies to crops"),
    ],
)
def test_contradicting_options_are_refused_before_rendering(tmp_path, options, message):
    from krocr.errors import ConfigError

    parser = argparse.ArgumentParser()
    configure(parser)
    with pytest.raises(ConfigError, match=message):
        run(parser.parse_args(["--count", "1", "--out", str(tmp_path / "out"), *options]))
    assert not (tmp_path / "out").exists()


def test_the_command_stores_crops_at_the_height_asked(tmp_path):
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args(["--count", "3", "--out", str(tmp_path), "--workers", "1", "--quiet", "--height", "64"])
    assert run(args) == 0
    reader = CacheReader(tmp_path / "train.lmdb")
    assert {reader[i][0].shape[0] for i in range(3)} == {64}
    assert json.loads((tmp_path / "synth_summary.json").read_text(encoding="utf-8"))["config"]["max_width"] == 4096


def test_fonts_found_but_not_used_are_listed_in_the_summary_and_printed(tmp_path, capsys, monkeypatch):
    from krocr.synth import fonts as fonts_module
    from krocr.synth import generate as generate_module

    real_scan = fonts_module.scan_fonts

    def scan_with_a_skipped_file(*args, **kwargs):
        scan = real_scan(*args, **kwargs)
        skipped = (*scan.skipped, fonts_module.SkippedFont("/fonts/Jua.ttf", "Jua is reserved for evaluation"))
        return fonts_module.FontScan(scan.faces, skipped)

    monkeypatch.setattr(generate_module, "scan_fonts", scan_with_a_skipped_file)
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args(["--lang", "ko", "--count", "4", "--out", str(tmp_path), "--workers", "1", "--quiet"])
    assert run(args) == 0
    summary = json.loads((tmp_path / "synth_summary.json").read_text(encoding="utf-8"))
    assert {"path": "/fonts/Jua.ttf", "reason": "Jua is reserved for evaluation"} in summary["fonts"]["skipped"]
    assert "font not used: /fonts/Jua.ttf: Jua is reserved for evaluation" in capsys.readouterr().out


def test_the_command_renders_the_lines_of_a_text_file_and_records_it(tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_text("데비안 패키지\n설치할 수 있나요?\n가 = 나\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    configure(parser)
    out = tmp_path / "out"
    args = parser.parse_args(["--count", "4", "--out", str(out), "--workers", "1", "--quiet", "--texts", str(texts)])
    assert run(args) == 0
    labels = [CacheReader(out / "train.lmdb")[i][1] for i in range(4)]
    assert sorted(labels[:2]) == ["데비안 패키지", "설치할 수 있나요?"] and set(labels) == set(labels[:2])
    summary = json.loads((out / "synth_summary.json").read_text(encoding="utf-8"))
    assert summary["kinds"] == {"file": 4}
    assert summary["config"]["texts"]["lines"] == 2
    assert summary["config"]["texts"]["left_out"] == {"characters outside the charset": 1}
    assert "2 lines of" in capsys.readouterr().out
