"""Catalogue: annotation files. Malformed JSON, CSV and TSV, foreign encodings and BOMs.

A file that cannot be read at all fails with its name and position when it is the whole
source, and becomes an ``unreadable_annotation`` rejection inside a directory; a bad line
or entry is a rejection naming the file and the line or entry. Every good item survives.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from robust_helpers import data_args, krocr_data, render_crop, via_source

from krocr import cli
from krocr.data.importers import read_aihub, read_via
from krocr.errors import DataError


# ---- JSON ----------------------------------------------------------------------------------------
def test_via_with_a_json_syntax_error_fails_naming_file_line_and_column(signs, tmp_path, capsys):
    via = signs.write_via()
    text = via.read_text(encoding="utf-8")
    broken = text.replace('"regions": [', '"regions": [,', 1)  # on the line of the first "regions"
    via.write_text(broken, encoding="utf-8")
    line = broken[: broken.index('"regions": [,')].count("\n") + 1
    with pytest.raises(DataError, match=rf"via\.json:{line}:\d+: invalid JSON"):
        read_via(via, signs.images)
    assert cli.main(["data", *data_args(via_source(via, signs.images), tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert f"{via}:{line}:" in error and "invalid JSON" in error
    assert "Traceback" not in error


def test_via_entries_and_regions_of_the_wrong_shape_are_named_and_the_others_survive(signs, tmp_path):
    via = signs.write_via()
    project = json.loads(via.read_text(encoding="utf-8"))
    metadata = project["_via_img_metadata"]
    metadata["no_filename"] = {"size": 1, "regions": []}
    metadata["bad_regions"] = {"filename": signs.photos[0].name, "regions": "oops"}
    first = next(iter(metadata.values()))
    first["regions"].append(
        {
            "shape_attributes": {"name": "polygon", "all_points_x": [1, "two", 3, 4], "all_points_y": [1, 2, 3, 4]},
            "region_attributes": {"annotation_kr": "숫자"},
        }
    )
    first["regions"].append(
        {
            "shape_attributes": {"name": "circle", "cx": 5, "cy": 5, "r": 3},
            "region_attributes": {"annotation_kr": "동그라미"},
        }
    )
    first["regions"].append(
        {
            "shape_attributes": {"name": "rect", "x": 1, "y": 1, "width": 50, "height": 20},
            "region_attributes": {"text": "다른 속성"},
        }
    )
    via.write_text(json.dumps(project, ensure_ascii=False), encoding="utf-8")
    built = krocr_data(via_source(via, signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())
    found = {(r["item"], r["reason"]): r["detail"] for r in built.rejections}
    name = signs.photos[0].name
    assert set(found) == {
        ("entry no_filename", "malformed_region"),
        (name, "malformed_region"),
        (f"{name} region 3", "malformed_region"),
        (f"{name} region 4", "unsupported_shape"),
        (f"{name} region 5", "missing_label"),
    }
    assert all(r["file"] == str(via) for r in built.rejections)
    assert "'two'" in found[(f"{name} region 3", "malformed_region")]
    assert "'circle'" in found[(f"{name} region 4", "unsupported_shape")]
    assert "'text'" in found[(f"{name} region 5", "missing_label")]  # lists the attributes present


def test_aihub_file_with_a_json_syntax_error_in_a_directory_is_named_and_the_others_survive(signs, tmp_path):
    bad = signs.photos[2]
    document = json.dumps(signs.aihub_document(bad, 3), ensure_ascii=False, indent=1)
    directory = signs.write_aihub({bad.name: document[:-10].encode("utf-8")})  # cut short
    built = krocr_data(
        ["--format", "aihub", "--annotations", str(directory), "--images", str(signs.images)], tmp_path / "out"
    )
    assert built.labels() == Counter(signs.good_labels()) - Counter(r.label for r in bad.regions)
    rejection = built.only_rejection()
    assert rejection["file"] == str(directory / "good_3.json") and rejection["item"] == "file"
    assert rejection["reason"] == "unreadable_annotation"
    assert rf"good_3.json:{document[:-10].count(chr(10)) + 1}:" in rejection["detail"]
    assert "invalid JSON" in rejection["detail"]


def test_aihub_single_file_with_a_json_syntax_error_fails_naming_line_and_column(tmp_path):
    path = tmp_path / "labels.json"
    path.write_text(
        '{"images": [{"file_name": "a.jpg"}],\n "annotations": [{"text": "가" "bbox": [1, 2, 3, 4]}]}', encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"labels\.json:2:\d+: invalid JSON"):
        read_aihub(path)


def test_aihub_annotations_of_the_wrong_shape_are_named_and_the_others_survive(signs, tmp_path):
    bad = signs.photos[2]
    document = signs.aihub_document(bad, 3)
    document["annotations"] += [
        {"id": 10, "image_id": 3, "text": "홀수", "bbox": [1, 2, 3, 4, 5]},
        {"id": 11, "image_id": 3, "text": "글자", "points": "nowhere"},
        {"id": 13, "image_id": 3, "bbox": [1, 2, 30, 40]},
    ]
    directory = signs.write_aihub({bad.name: json.dumps(document, ensure_ascii=False).encode("utf-8")})
    built = krocr_data(
        ["--format", "aihub", "--annotations", str(directory), "--images", str(signs.images)], tmp_path / "out"
    )
    assert built.labels() == Counter(signs.good_labels())
    found = {(r["file"], r["item"], r["reason"]) for r in built.rejections}
    file = str(directory / "good_3.json")
    assert found == {
        (file, "annotation 10", "malformed_region"),
        (file, "annotation 11", "malformed_region"),
        (file, "annotation 13", "missing_label"),
    }


def test_aihub_annotation_naming_another_image_is_not_put_on_the_only_one(signs, tmp_path):
    bad = signs.photos[2]
    document = signs.aihub_document(bad, 3)
    document["annotations"].append({"id": 12, "image_id": 99, "text": "고아", "bbox": [1, 2, 30, 40]})
    directory = signs.write_aihub({bad.name: json.dumps(document, ensure_ascii=False).encode("utf-8")})
    built = krocr_data(
        ["--format", "aihub", "--annotations", str(directory), "--images", str(signs.images)], tmp_path / "out"
    )
    assert built.labels() == Counter(signs.good_labels())  # 고아 is not cropped out of good_3.png
    rejection = built.only_rejection()
    assert (rejection["file"], rejection["item"], rejection["reason"]) == (
        str(directory / "good_3.json"),
        "annotation 12",
        "malformed_region",
    )
    assert "image_id 99" in rejection["detail"]


# ---- text lines ----------------------------------------------------------------------------------
def test_icdar_lines_with_too_few_fields_or_non_numeric_coordinates_are_named(signs, tmp_path):
    bad = signs.photos[2]
    lines = signs.icdar_lines(bad)
    lines[1:1] = ["10,20,30,40,50,60,글자", "10,20,삼십,40,50,60,70,80,글자", "  "]
    gt = signs.write_icdar(overrides={bad.name: "\n".join(lines).encode("utf-8")})
    built = krocr_data(
        ["--format", "icdar2015", "--annotations", str(gt), "--images", str(signs.images)], tmp_path / "out"
    )
    assert built.labels() == Counter(signs.good_labels())
    file = str(gt / "gt_good_3.txt")
    found = {(r["file"], r["item"], r["reason"]): r["detail"] for r in built.rejections}
    assert set(found) == {(file, "line 2", "malformed_line"), (file, "line 3", "malformed_line")}
    assert "got 7 fields" in found[(file, "line 2", "malformed_line")]
    assert "not numbers" in found[(file, "line 3", "malformed_line")]


def crop_dataset(root: Path, labels: list[str]) -> list[str]:
    """Crops ``0.png …`` for ``labels``; returns their ``path<TAB>label`` lines."""
    root.mkdir(parents=True, exist_ok=True)
    for i, label in enumerate(labels):
        render_crop(label).save(root / f"{i}.png")
    return [f"{i}.png\t{label}" for i, label in enumerate(labels)]


CROP_LABELS = ["간판", "커피", "약국", "식당", "우체국"]


def test_label_file_line_without_a_tab_is_named_and_the_others_survive(tmp_path):
    lines = crop_dataset(tmp_path / "crops", CROP_LABELS)
    lines[2:2] = ["2.png 약국 (a space, not a tab)", "\t탭 앞에 경로 없음"]
    labels = tmp_path / "crops" / "labels.txt"
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    built = krocr_data(["--format", "labels", "--annotations", str(labels)], tmp_path / "out")
    assert built.labels() == Counter(CROP_LABELS)
    found = {(r["file"], r["item"], r["reason"]) for r in built.rejections}
    assert found == {(str(labels), "line 3", "malformed_line"), (str(labels), "line 4", "malformed_line")}


def test_label_file_rejections_name_the_label_file_and_its_line(tmp_path):
    lines = crop_dataset(tmp_path / "crops", [*CROP_LABELS, "   "])
    labels = tmp_path / "crops" / "labels.txt"
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    built = krocr_data(["--format", "labels", "--annotations", str(labels)], tmp_path / "out")
    assert built.labels() == Counter(CROP_LABELS)
    rejection = built.only_rejection()
    assert (rejection["item"], rejection["reason"]) == ("line 6", "empty_label")
    assert rejection["file"] == str(labels)  # "line 6" is a line of labels.txt, not of 5.png
    assert rejection["detail"].startswith(str(tmp_path / "crops" / "5.png"))  # the image the line names


# ---- encodings -----------------------------------------------------------------------------------
def test_cp949_icdar_files_are_decoded_with_a_note(signs, tmp_path):
    gt = signs.write_icdar(encoding="cp949")
    with pytest.raises(UnicodeDecodeError):
        (gt / "gt_good_1.txt").read_bytes().decode("utf-8")
    built = krocr_data(
        ["--format", "icdar2015", "--annotations", str(gt), "--images", str(signs.images)], tmp_path / "out"
    )
    assert built.rejections == []
    assert built.labels() == Counter(signs.good_labels())  # Korean text intact, not mojibake
    notes = built.summary["notes"]
    assert len(notes) == 5 and all("CP949" in n for n in notes)
    assert any(str(gt / "gt_good_1.txt") in n for n in notes)


def test_cp949_label_file_is_decoded_with_a_note(tmp_path):
    lines = crop_dataset(tmp_path / "crops", CROP_LABELS)
    labels = tmp_path / "crops" / "labels.txt"
    labels.write_bytes(("\n".join(lines) + "\n").encode("cp949"))
    built = krocr_data(["--format", "labels", "--annotations", str(labels)], tmp_path / "out")
    assert built.rejections == [] and built.labels() == Counter(CROP_LABELS)
    (note,) = built.summary["notes"]
    assert str(labels) in note and "CP949" in note


UNDECODABLE = b"10,10,100,10,100,50,10,50,\x80\xff\xfe\n"  # neither UTF-8 nor CP949


def test_undecodable_file_in_a_directory_is_named_with_its_byte_offset_and_the_others_survive(signs, tmp_path):
    bad = signs.photos[2]
    gt = signs.write_icdar(overrides={bad.name: UNDECODABLE})
    built = krocr_data(
        ["--format", "icdar2015", "--annotations", str(gt), "--images", str(signs.images)], tmp_path / "out"
    )
    assert built.labels() == Counter(signs.good_labels()) - Counter(r.label for r in bad.regions)
    rejection = built.only_rejection()
    assert (rejection["file"], rejection["item"], rejection["reason"]) == (
        str(gt / "gt_good_3.txt"),
        "file",
        "unreadable_annotation",
    )
    assert "byte 26" in rejection["detail"] and "not CP949" in rejection["detail"]


def test_undecodable_label_file_fails_naming_the_byte(tmp_path, capsys):
    labels = tmp_path / "labels.txt"
    labels.write_bytes("a.png\t간판\n".encode() + b"b.png\t\x80\xff\n")
    assert (
        cli.main(
            ["data", "--format", "labels", "--annotations", str(labels), "--out", str(tmp_path / "out"), "--quiet"]
        )
        == 1
    )
    error = capsys.readouterr().err
    assert f"{labels}: not UTF-8 (byte 19" in error and "Traceback" not in error


def test_utf8_bom_is_invisible_in_every_format(signs, tmp_path):
    """A BOM must not end up in the first label, the first path or the first JSON key."""
    bom = "\ufeff"
    via = signs.write_via()
    via.write_text(bom + via.read_text(encoding="utf-8"), encoding="utf-8")
    gt = signs.write_icdar()
    for file in gt.iterdir():
        file.write_text(bom + file.read_text(encoding="utf-8"), encoding="utf-8")
    aihub = signs.write_aihub()
    for file in aihub.iterdir():
        file.write_text(bom + file.read_text(encoding="utf-8"), encoding="utf-8")
    lines = crop_dataset(tmp_path / "crops", CROP_LABELS)
    labels = tmp_path / "crops" / "labels.txt"
    labels.write_text(bom + "\n".join(lines) + "\n", encoding="utf-8")
    # the first ICDAR label is the last field of the first line, the first label-file path its first field
    built = krocr_data(
        [
            *via_source(via, signs.images),
            "--format",
            "icdar2015",
            "--annotations",
            str(gt),
            "--images",
            str(signs.images),
            "--source",
            "icdar",
            "--format",
            "aihub",
            "--annotations",
            str(aihub),
            "--images",
            str(signs.images),
            "--source",
            "aihub",
            "--format",
            "labels",
            "--annotations",
            str(labels),
            "--source",
            "crops",
        ],
        tmp_path / "out",
    )
    assert built.rejections == []
    assert built.labels() == Counter(signs.good_labels() * 3 + CROP_LABELS)
    assert not any(bom in label for label in built.labels())
