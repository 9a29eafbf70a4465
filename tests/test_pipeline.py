import argparse
import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from fixtures.progress import Recorder
from PIL import Image

from krocr.charset import resolve_charset
from krocr.commands import data as data_command
from krocr.data.build import BuildOptions, SourceSpec, build, import_source, record_crops
from krocr.data.crops import CropConfig
from krocr.data.preview import write_preview
from krocr.data.records import ImageRecord, LabelRules, OOVReport, Word
from krocr.data.rejections import RejectionLog
from krocr.data.store import CacheReader
from krocr.errors import ConfigError, DataError


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="krocr data")
    data_command.configure(parser)
    return parser.parse_args(argv)


def sources(fx) -> list[str]:
    return [
        "--format",
        "via",
        "--annotations",
        str(fx.via),
        "--images",
        str(fx.images),
        "--source",
        "signs",
        "--format",
        "icdar2015",
        "--annotations",
        str(fx.icdar_gt),
        "--images",
        str(fx.icdar_images),
        "--source",
        "icdar",
    ]


def labels(out, split: str) -> list[str]:
    return CacheReader(out / f"{split}.lmdb").labels()


@pytest.fixture(scope="module")
def built(data_fixture, tmp_path_factory):
    out = tmp_path_factory.mktemp("built")
    assert data_command.run(parse([*sources(data_fixture), "--out", str(out), "--quiet"])) == 0
    return out


def test_every_good_word_reaches_a_cache_once(built, data_fixture):
    written = labels(built, "train") + labels(built, "val")
    assert Counter(written) == Counter(data_fixture.via_good + data_fixture.icdar_good)


def test_summary_counts(built, data_fixture):
    summary = json.loads((built / "summary.json").read_text(encoding="utf-8"))
    expected = Counter(data_fixture.via_rejected) + Counter(data_fixture.icdar_rejected)
    assert summary["rejections"] == dict(expected) and summary["rejected_total"] == sum(expected.values())
    signs, icdar = summary["sources"]["signs"], summary["sources"]["icdar"]
    assert signs["train"] + signs["val"] == len(data_fixture.via_good)
    assert icdar["train"] + icdar["val"] == len(data_fixture.icdar_good)
    assert signs["rejections"] == data_fixture.via_rejected and icdar["rejections"] == data_fixture.icdar_rejected
    assert (summary["clipped"], signs["clipped"], icdar["clipped"]) == (1, 1, 0)  # 빵집, kept, cut at the edge
    assert len(summary["clipped_boxes"]) == 1 and summary["clipped_boxes"][0].endswith(" px")
    assert signs["inputs"][0]["format"] == "via"
    assert summary["crops"] == {
        "train": len(labels(built, "train")),
        "val": len(labels(built, "val")),
        "total": len(data_fixture.via_good) + len(data_fixture.icdar_good),
    }
    assert summary["split"]["train"]["photos_by_source"] == {"signs": 3, "icdar": 2}  # round(0.8 × 4), round(0.8 × 2)
    assert summary["split"]["val"]["photos_by_source"] == {"signs": 1}


def test_rejections_csv_names_file_item_and_reason(built, data_fixture):
    with open(built / "rejections.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["file", "item", "reason", "detail", "words"]
    by_reason = {row["reason"]: row for row in rows}
    assert by_reason["self_intersecting"]["file"] == str(data_fixture.via)
    assert by_reason["self_intersecting"]["item"] == "photo_1.jpg region 9"
    malformed = by_reason["malformed_line"]
    assert malformed["file"].endswith("gt_img_2.txt") and malformed["item"] == "line 2"
    assert by_reason["unreadable_image"]["file"].endswith("corrupt.jpg")
    assert all(row["detail"] for row in rows)


def test_caches_keep_sources_and_crop_height(built):
    reader = CacheReader(built / "train.lmdb")
    assert set(reader.sources()) == {"signs", "icdar"}
    assert all(reader[i][0].shape[0] == 32 for i in range(len(reader)))
    assert reader.meta["split"] == "train"
    assert (built / "preview.png").is_file()


def test_vertical_word_is_turned_and_kept(built):
    written = {label: i for i, label in enumerate(labels(built, "val"))}
    gray, _, _ = CacheReader(built / "val.lmdb")[written["약국"]]
    assert gray.shape[1] > gray.shape[0]


@pytest.mark.parametrize("charset", ["korean", "korean-jamo"])
def test_a_tall_single_syllable_stays_upright_whatever_the_charset_tokens(tmp_path, charset):
    image = tmp_path / "sign.png"
    Image.new("L", (100, 100), 255).save(image)
    tall = np.array([[10, 10], [40, 10], [40, 60], [10, 60]], dtype=np.float32)
    record = ImageRecord(image, [Word(tall, "가")], "signs")
    options = BuildOptions(crop=CropConfig(vertical="reject"), rules=LabelRules(resolve_charset(charset)))
    log = RejectionLog()
    crops = list(record_crops(record, options, log, OOVReport()))
    assert len(log) == 0 and [text for _, text in crops] == ["가"]
    assert crops[0][0].shape[1] < crops[0][0].shape[0]  # upright: narrower than tall


def test_rebuild_is_identical(built, data_fixture, tmp_path):
    data_command.run(parse([*sources(data_fixture), "--out", str(tmp_path), "--quiet"]))
    for split in ("train", "val"):
        assert labels(tmp_path, split) == labels(built, split)


def test_reject_options_add_their_reasons(data_fixture, tmp_path):
    data_command.run(
        parse(
            [*sources(data_fixture), "--out", str(tmp_path), "--quiet", "--vertical", "reject", "--outside", "reject"]
        )
    )
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["rejections"]["vertical"] == 1  # 약국 on photo_1
    assert summary["rejections"]["outside_image"] == 2  # 빵집 now too
    assert summary["clipped"] == 0
    assert "약국" in labels(tmp_path, "train")  # the ICDAR 약국 is horizontal


def test_zero_usable_samples_raise_with_the_table(data_fixture, tmp_path):
    with pytest.raises(DataError, match="no usable samples") as error:
        data_command.run(parse([*sources(data_fixture), "--out", str(tmp_path), "--quiet", "--charset", "alphabet87"]))
    assert "out_of_charset" in str(error.value)
    assert (tmp_path / "rejections.csv").is_file() and (tmp_path / "summary.json").is_file()


def test_label_file_and_lmdb_sources_merge(built, tmp_path):
    crops = tmp_path / "crops"
    crops.mkdir()
    Image.new("RGB", (90, 30), "white").save(crops / "a.png")
    (crops / "labels.txt").write_text("a.png\t흰색\nb.png\t없음\n", encoding="utf-8")
    out = tmp_path / "out"
    data_command.run(
        parse(
            [
                "--format",
                "labels",
                "--annotations",
                str(crops / "labels.txt"),
                "--source",
                "crops",
                "--format",
                "lmdb",
                "--annotations",
                str(built / "val.lmdb"),
                "--out",
                str(out),
                "--split",
                "1.0",
                "--quiet",
            ]
        )
    )
    assert Counter(labels(out, "train")) == Counter(["흰색", *labels(built, "val")])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["sources"]["crops"]["rejections"] == {"missing_image": 1}
    assert set(CacheReader(out / "train.lmdb").sources()) == {"crops", "signs"}  # LMDB samples keep theirs


def test_build_is_quiet_reports_progress_and_returns_the_summary(built, data_fixture, tmp_path, capsys):
    specs = [
        SourceSpec("via", data_fixture.via, data_fixture.images, "signs"),
        SourceSpec("icdar2015", data_fixture.icdar_gt, data_fixture.icdar_images, "icdar"),
    ]
    hook = Recorder()
    options = BuildOptions(rules=LabelRules(resolve_charset("korean")))  # as `krocr data` by default
    result = build(specs, tmp_path, options, progress=hook)
    assert capsys.readouterr() == ("", "")
    assert result.summary == json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert result.summary == json.loads((built / "summary.json").read_text(encoding="utf-8"))
    assert result.rejections.counts_by_reason() == result.summary["rejections"]
    assert len(result.rejections) == result.summary["rejected_total"]
    [(description, total)] = hook.tasks
    assert description == "cropping words" and hook.steps == total
    # every word found is cropped, or was rejected by the importer (a missing photo's, a bad line)
    rejected_on_import = sum(import_source(spec)[1].words() for spec in specs)
    assert total + rejected_on_import == sum(info["words"] for info in result.summary["sources"].values())


def test_preview_is_written_at_every_call(built, tmp_path):
    sheet = tmp_path / "sheet.png"
    for _ in range(2):
        assert write_preview(built / "train.lmdb", sheet, count=4) == sheet
        assert sheet.is_file()
        sheet.unlink()


def test_preview_command(built, tmp_path):
    assert (
        data_command.run(
            parse(["preview", str(built), "--out", str(tmp_path / "sheet.png"), "--augment", "--count", "4"])
        )
        == 0
    )
    with Image.open(tmp_path / "sheet.png") as sheet:
        assert sheet.width == 3 * 360 and sheet.height > 100
    data_command.run(parse(["preview", str(built / "val.lmdb"), "--out", str(tmp_path / "val.png")]))
    assert (tmp_path / "val.png").is_file()


def test_source_groups_parse_in_order():
    args = parse(
        [
            "--format",
            "via",
            "--annotations",
            "a.json",
            "--text-attribute",
            "text",
            "--format",
            "labels",
            "--annotations",
            "l.txt",
            "--images",
            "root",
            "--out",
            "o",
        ]
    )
    assert args.sources == [
        {"format": "via", "annotations": Path("a.json"), "text_attribute": "text"},
        {"format": "labels", "annotations": Path("l.txt"), "images": Path("root")},
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["--annotations", "a.json", "--format", "via"],
        ["--format", "via", "--annotations", "a", "--annotations", "b"],
        ["--format", "coco"],
    ],
)
def test_bad_source_groups_are_usage_errors(argv):
    with pytest.raises(SystemExit):
        parse(argv)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", "o"], "at least one source"),
        (["--format", "via", "--out", "o"], "has no --annotations"),
        (["--format", "via", "--annotations", "a.json"], "--out DIR is required"),
    ],
)
def test_incomplete_commands_are_config_errors(argv, message):
    with pytest.raises(ConfigError, match=message):
        data_command.run(parse(argv))


def test_cli_entry_point(data_fixture, tmp_path, capsys):
    from krocr.cli import main

    assert main(["data", *sources(data_fixture), "--out", str(tmp_path), "--quiet"]) == 0
    printed = " ".join(capsys.readouterr().err.split())  # the report (stderr), joined across its wrapping
    assert "1 boxes partly outside their image were kept, cut at its edge" in printed
    other = str(tmp_path / "other")  # tmp_path now holds a dataset: that would be refused first
    assert main(["data", "--format", "via", "--annotations", str(tmp_path / "none.json"), "--out", other]) == 1
    assert "none.json: annotation file not found" in capsys.readouterr().err


def test_an_evaluation_only_set_never_becomes_training_data(tmp_path: Path) -> None:
    real = tmp_path / "real-dev"
    (real / "crops").mkdir(parents=True)
    (real / "EVALUATION_ONLY").write_text("")
    Image.new("L", (60, 20), 255).save(real / "crops" / "a.png")
    (real / "crops" / "labels.tsv").write_text("a.png\t가\n", encoding="utf-8")
    spec = SourceSpec("labels", real / "crops" / "labels.tsv", real / "crops")
    with pytest.raises(DataError, match=r"real-dev, an evaluation-only set"):
        build([spec], tmp_path / "out")
    assert not (tmp_path / "out").exists()
