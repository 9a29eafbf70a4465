"""Catalogue: what a new user broke (issue 30), for the data side.

* An annotation that matches two image files by name (``gt_img_4.txt`` beside ``img_4.jpg``
  and ``img_4.png``; one VIA file name in entries of different sizes; one AI Hub
  ``image_id`` for two files) is an ``ambiguous_image`` rejection naming both: no image
  gets its words, in ``krocr data`` and in ``krocr read --boxes``.
* The same crop (or box of a photo) listed with different labels is a ``conflicting_labels``
  rejection for every listing; listed again with the same label, a ``duplicate`` (kept once).
* ``krocr data`` refuses a directory that holds a dataset unless ``--overwrite``, leaves no
  directory it created after a failure (and an existing dataset as it was), and its counts
  add up: words = crops written + words rejected, per source and in all.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from robust_helpers import (
    WORD_BOXES,
    Photo,
    Region,
    data_args,
    encode,
    krocr_data,
    read_built,
    rect,
    render_crop,
    render_photo,
    via_source,
)

from krocr import cli
from krocr.data import build as build_module
from krocr.data.store import CacheReader

# ---- helpers ------------------------------------------------------------------------------------
LAUNDRY = [("세탁소", WORD_BOXES[0]), ("열쇠", WORD_BOXES[1])]  # what img_4.jpg shows and gt_img_4.txt says
KARAOKE = [("노래방", WORD_BOXES[0]), ("호프", WORD_BOXES[1])]  # what img_4.png shows


def icdar_source(gt: Path, images: Path, name: str = "icdar") -> list[str]:
    return ["--format", "icdar2015", "--annotations", str(gt), "--images", str(images), "--source", name]


def labels_source(path: Path, name: str = "crops") -> list[str]:
    return ["--format", "labels", "--annotations", str(path), "--source", name]


def two_photos_one_stem(signs) -> Path:
    """The good photos plus img_4.jpg (annotated) and img_4.png (another sign, same stem)."""
    signs.add(Photo("img_4.jpg", [Region(t, rect(*b)) for t, b in LAUNDRY], encode(render_photo(LAUNDRY), "JPEG")))
    gt = signs.write_icdar()  # gt/gt_img_4.txt holds the laundry's words
    (signs.images / "img_4.png").write_bytes(encode(render_photo(KARAOKE, seed=9), "PNG"))
    return gt


def crop_files(root: Path, labels: list[str]) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, label in enumerate(labels):
        path = root / f"crop_{i}.png"
        render_crop(label).save(path)
        paths.append(path)
    return paths


def cache_labels(out: Path) -> Counter:
    found: Counter = Counter()
    for split in ("train", "val"):
        if (out / f"{split}.lmdb").exists():
            found.update(CacheReader(out / f"{split}.lmdb").labels())
    return found


def run_data(argv: list[str]) -> int:
    return cli.main(["data", *argv])


# ---- 1. ambiguous image matches -------------------------------------------------------------------
def test_icdar_gt_matching_two_images_by_stem_is_ambiguous_and_neither_gets_its_words(signs, tmp_path):
    gt = two_photos_one_stem(signs)
    built = krocr_data(icdar_source(gt, signs.images), tmp_path / "out")
    assert built.labels() == Counter(signs.good_labels())  # no 세탁소 on the karaoke sign, no guess at all
    rejection = built.only_rejection()
    assert (rejection["file"], rejection["item"], rejection["reason"]) == (
        str(gt / "gt_img_4.txt"),
        "image",
        "ambiguous_image",
    )
    assert str(signs.images / "img_4.jpg") in rejection["detail"]
    assert str(signs.images / "img_4.png") in rejection["detail"]
    assert "nothing guessed" in rejection["detail"] and rejection["words"] == "2"
    assert built.summary["words"] == len(signs.good_labels()) + 2
    assert built.summary["rejected_by_reason"] == {"ambiguous_image": 2}


def test_via_file_name_in_entries_of_different_sizes_is_ambiguous(signs, tmp_path):
    """VIA keys an entry by name and size: one name with two sizes is two photos (say from two
    folders) of which only one can be in the image directory."""
    via = signs.write_via()
    project = json.loads(via.read_text(encoding="utf-8"))
    metadata = project["_via_img_metadata"]
    key = next(k for k, e in metadata.items() if e["filename"] == "good_3.png")
    region = {
        "shape_attributes": {"name": "rect", "x": 8, "y": 8, "width": 104, "height": 48},
        "region_attributes": {"annotation_kr": "노래방"},
    }
    metadata["good_3.png99"] = {"filename": "good_3.png", "size": 99, "regions": [region], "file_attributes": {}}
    via.write_text(json.dumps(project, ensure_ascii=False), encoding="utf-8")
    built = krocr_data(via_source(via, signs.images), tmp_path / "out")
    lost = {region.label for region in signs.photos[2].regions}  # good_3's own words: no guess either
    assert built.labels() == Counter(label for label in signs.good_labels() if label not in lost)
    rows = built.rejected("ambiguous_image")
    assert [row["item"] for row in rows] == [f"entry {key}", "entry good_3.png99"]
    assert all(str(signs.images / "good_3.png") in row["detail"] and "99 bytes" in row["detail"] for row in rows)
    assert sum(int(row["words"]) for row in rows) == 3


def test_aihub_image_id_naming_two_files_is_ambiguous(signs, tmp_path):
    directory = tmp_path / "aihub"
    signs.write_images()
    directory.mkdir()
    document = signs.aihub_document(signs.photos[0], 1)
    document["images"].append({"id": 1, "file_name": signs.photos[1].name})  # the same id for another file
    (directory / "both.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    rest = signs.aihub_document(signs.photos[2], 3)
    (directory / "rest.json").write_text(json.dumps(rest, ensure_ascii=False), encoding="utf-8")
    built = krocr_data(
        ["--format", "aihub", "--annotations", str(directory), "--images", str(signs.images)], tmp_path / "out"
    )
    assert built.labels() == Counter(r.label for r in signs.photos[2].regions)
    rows = built.rejected("ambiguous_image")
    assert [row["item"] for row in rows] == ["annotation 1", "annotation 2"]
    for row in rows:
        assert row["file"] == str(directory / "both.json")
        assert str(signs.images / signs.photos[0].name) in row["detail"]
        assert str(signs.images / signs.photos[1].name) in row["detail"]


@pytest.mark.timeout_s(120)
def test_read_boxes_names_both_images_of_an_ambiguous_match(signs, tmp_path, capsys):
    gt = two_photos_one_stem(signs)
    jpg, png, good = signs.images / "img_4.jpg", signs.images / "img_4.png", signs.images / "good_1.png"
    code = cli.main(["read", "--boxes", str(gt), "--format", "icdar2015", str(jpg), str(png), str(good)])
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [line[0] for line in lines] == [str(jpg), str(png), f"{good}#line 1", f"{good}#line 2"]
    for line in lines[:2]:  # one error line per photo, naming the box file and both images
        assert len(line) == 4 and line[3].startswith("error: ambiguous_image: ")
        assert str(gt / "gt_img_4.txt") in line[3] and str(jpg) in line[3] and str(png) in line[3]
    assert [len(line) for line in lines[2:]] == [3, 3]  # the other photo's boxes are read


# ---- 2. the same crop listed twice ----------------------------------------------------------------
def test_label_file_listing_one_crop_with_two_labels_rejects_both_lines(tmp_path):
    crops = tmp_path / "crops"
    paths = crop_files(crops, ["간판", "커피", "약국"])
    lines = [f"{p.name}\t{label}" for p, label in zip(paths, ["간판", "커피", "약국"])]
    lines.insert(2, f"{paths[0].name}\t노래방")  # line 3: crop_0 again, labelled differently
    (crops / "labels.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    built = krocr_data(labels_source(crops / "labels.txt"), tmp_path / "out")
    assert built.labels() == Counter(["커피", "약국"])  # nothing guessed: neither label of crop_0
    rows = built.rejected("conflicting_labels")
    assert [(row["file"], row["item"]) for row in rows] == [(str(crops / "labels.txt"), f"line {n}") for n in (1, 3)]
    assert "'간판' here but '노래방' in line 3" in rows[0]["detail"]
    assert "'노래방' here but '간판' in line 1" in rows[1]["detail"]
    assert all(str(paths[0]) in row["detail"] for row in rows)


def test_label_file_listing_one_crop_twice_with_one_label_keeps_it_once(tmp_path):
    crops = tmp_path / "crops"
    paths = crop_files(crops, ["간판", "커피"])
    text = f"{paths[0].name}\t간판\n{paths[1].name}\t커피\n./{paths[0].name}\t간판 \n"  # same file, same label
    (crops / "labels.txt").write_text(text, encoding="utf-8")
    built = krocr_data(labels_source(crops / "labels.txt"), tmp_path / "out")
    assert built.labels() == Counter(["간판", "커피"])
    row = built.only_rejection()
    assert (row["item"], row["reason"]) == ("line 3", "duplicate")
    assert "same label '간판 ' as line 1; kept once" in row["detail"]


def test_photo_box_listed_twice_conflicting_or_duplicate(signs, tmp_path):
    first, second = signs.photos[0], signs.photos[1]
    first.regions.append(Region("노래방", first.regions[0].points[1:] + first.regions[0].points[:1]))  # same corners
    second.regions.append(Region(second.regions[1].label, second.regions[1].points))
    via = signs.write_via()
    built = krocr_data(via_source(via, signs.images), tmp_path / "out")
    conflicted = first.regions[0].label
    assert built.labels() == Counter(label for label in signs.good_labels() if label != conflicted)
    conflicts = built.rejected("conflicting_labels")
    assert [row["item"] for row in conflicts] == [f"{first.name} region 1", f"{first.name} region 3"]
    assert f"'{conflicted}' here but '노래방' in {first.name} region 3" in conflicts[0]["detail"]
    [duplicate] = built.rejected("duplicate")
    assert duplicate["item"] == f"{second.name} region 3"
    assert f"as {second.name} region 2; kept once" in duplicate["detail"]


def test_one_box_labelled_differently_by_two_sources_is_a_conflict_in_both(signs, tmp_path):
    via = signs.write_via()
    signs.photos[0].regions[0] = Region("노래방", signs.photos[0].regions[0].points)
    gt = signs.write_icdar()
    built = krocr_data([*via_source(via, signs.images), *icdar_source(gt, signs.images)], tmp_path / "out")
    conflicted = signs.good_labels()[0]
    expected = Counter(signs.good_labels() * 2)  # the same box with the same label in both sources: kept in both
    del expected[conflicted]  # nothing guessed: neither 간판 (VIA) nor 노래방 (ICDAR)
    assert built.labels() == expected
    rows = built.rejected("conflicting_labels")
    assert [(row["file"], row["item"]) for row in rows] == [
        (str(via), "good_1.png region 1"),
        (str(gt / "gt_good_1.txt"), "line 1"),
    ]
    assert f"'노래방' in line 1 of {gt / 'gt_good_1.txt'}" in rows[0]["detail"]
    assert built.summary["sources"]["signs"]["rejections"] == {"conflicting_labels": 1}


# ---- 3. krocr data: an existing dataset, failures, counts --------------------------------------------
def test_krocr_data_refuses_a_directory_holding_a_dataset_unless_overwrite(signs, tmp_path, capsys):
    via = signs.write_via()
    out = tmp_path / "out"
    krocr_data(via_source(via, signs.images), out)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    signs.photos = signs.photos[:1]
    smaller = signs.write_via()
    assert run_data(data_args(via_source(smaller, signs.images), out)) == 1
    error = capsys.readouterr().err
    assert f"{out}: already holds a dataset (train.lmdb, val.lmdb)" in error and "--overwrite" in error
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before  # untouched
    assert run_data(data_args(via_source(smaller, signs.images), out, "--overwrite", "--split", "0")) == 0
    assert cache_labels(out) == Counter(r.label for r in signs.photos[0].regions)
    # no training crops, so no preview: the old one is gone too, nothing of the old build is left
    assert sorted(p.name for p in out.iterdir()) == ["rejections.csv", "summary.json", "train.lmdb", "val.lmdb"]


def test_krocr_data_failing_on_input_leaves_no_directory_it_created(tmp_path, capsys):
    out = tmp_path / "new" / "deeper" / "out"
    assert run_data(["--format", "via", "--annotations", str(tmp_path / "none.json"), "--out", str(out)]) == 1
    assert "none.json: annotation file not found" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_krocr_data_interrupted_cleans_up_what_it_created_and_keeps_what_was_there(signs, tmp_path, monkeypatch):
    via = signs.write_via()
    args = via_source(via, signs.images)

    def broken_preview(*_args, **_kwargs):
        raise KeyboardInterrupt  # anything at the last step: a full disk, Ctrl-C

    fresh = tmp_path / "fresh" / "out"
    monkeypatch.setattr(build_module, "write_preview", broken_preview)
    with pytest.raises(KeyboardInterrupt):
        run_data(data_args(args, fresh))
    assert not (tmp_path / "fresh").exists()

    mine = tmp_path / "mine"  # a directory of the user's: only what the build made goes
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        run_data(data_args(args, mine))
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]

    monkeypatch.undo()
    kept = tmp_path / "kept"
    krocr_data(args, kept)
    before = {p.name: p.stat().st_mtime_ns for p in kept.iterdir()}
    monkeypatch.setattr(build_module, "write_preview", broken_preview)
    with pytest.raises(KeyboardInterrupt):
        run_data(data_args(args, kept, "--overwrite"))
    assert {p.name: p.stat().st_mtime_ns for p in kept.iterdir()} == before  # the old dataset, whole
    assert cache_labels(kept) == Counter(signs.good_labels())


def test_krocr_data_with_nothing_usable_keeps_the_dataset_it_would_overwrite(signs, tmp_path, capsys):
    via = signs.write_via()
    out = tmp_path / "out"
    krocr_data(via_source(via, signs.images), out)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert run_data(data_args(via_source(via, signs.images), out, "--overwrite", "--charset", "alphabet87")) == 1
    error = capsys.readouterr().err
    assert "no usable samples" in error and f"{out} is unchanged" in error and "out_of_charset" in error
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_krocr_data_counts_add_up_on_mixed_input(signs, tmp_path, capsys):
    """words in = crops written + words rejected, per source and in all, with missing photos
    (all their words), bad lines, bad boxes, an illegible word and a repeated crop."""
    signs.photos[1].data = None  # a missing photo: its 2 words
    signs.photos[2].regions.append(Region("영", [(60, 20), (120, 20), (180, 20), (90, 20)]))  # zero area
    signs.photos[3].regions.append(Region("###", rect(60, 10, 40, 20)))  # illegible
    signs.photos[4].regions.append(Region("밖", rect(400, 10, 50, 30)))  # outside the photo
    gt = signs.write_icdar()
    with open(gt / "gt_good_1.txt", "a", encoding="utf-8") as f:
        f.write("1,2,3,간판\n8,8,x,8,112,56,8,56,커피\n")  # two malformed lines
    crops = tmp_path / "crops"
    paths = crop_files(crops, ["우체국", "병원", "약국"])
    lines = [f"{p.name}\t{label}" for p, label in zip(paths, ["우체국", "병원", "약국"])]
    lines += ["missing.png\t없음", "no tab here", f"{paths[0].name}\t우체국", f"{paths[1].name}\t병"]
    (crops / "labels.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    annotated = {
        "icdar": len(signs.good_labels()) + 3 + 2,  # 10 good words, 3 bad boxes, 2 bad lines
        "crops": len(lines),  # every line of the label file names one crop
    }
    out = tmp_path / "out"
    assert run_data(data_args([*icdar_source(gt, signs.images), *labels_source(crops / "labels.txt")], out)) == 0
    built = read_built(out)
    summary = built.summary
    written = cache_labels(out)
    # the photos' words but the missing photo's (약국, 식당); the crops of lines 1 and 3
    assert written == Counter([*(w for w in signs.good_labels() if w not in ("약국", "식당")), "우체국", "약국"])
    assert summary["words"] == sum(annotated.values())
    assert summary["words"] == summary["crops"]["total"] + summary["rejected"]
    assert (
        summary["rejected"]
        == sum(summary["rejected_by_reason"].values())
        == sum(int(row["words"]) for row in built.rejections)
    )
    assert summary["rejected_by_reason"] == {
        "malformed_line": 3,
        "missing_image": 3,
        "zero_area": 1,
        "illegible": 1,
        "outside_image": 1,
        "conflicting_labels": 2,
        "duplicate": 1,
    }
    assert summary["rejections"]["missing_image"] == 2  # one per photo or line; the photo drops 2 words
    for name, info in summary["sources"].items():
        assert info["words"] == annotated[name] == info["train"] + info["val"] + info["rejected"], name
        assert info["rejected"] == sum(info["rejected_by_reason"].values())
    assert sum(written.values()) == summary["crops"]["total"]
    printed = {}  # the printed table says the same, row by row: source, photos, words, train, val, rejected
    for line in capsys.readouterr().err.splitlines():
        cells = re.findall(r"[^\s│┃|]+", line)
        if len(cells) == 6 and all(cell.isdigit() for cell in cells[1:]):
            printed[cells[0]] = [int(cell) for cell in cells[1:]]
    for name, info in summary["sources"].items():
        assert printed[name] == [info["photos"], info["words"], info["train"], info["val"], info["rejected"]]
    crops = summary["crops"]
    assert printed["total"][1:] == [summary["words"], crops["train"], crops["val"], summary["rejected"]]


def test_rejections_csv_counts_the_words_each_rejection_drops(signs, tmp_path):
    signs.photos[0].data = None
    via = signs.write_via()
    built = krocr_data(via_source(via, signs.images), tmp_path / "out")
    with open(tmp_path / "out" / "rejections.csv", encoding="utf-8", newline="") as f:
        [row] = list(csv.DictReader(f))
    assert (row["reason"], row["words"]) == ("missing_image", "2")
    assert built.summary["words"] == 10 and built.summary["rejected"] == 2 and built.summary["crops"]["total"] == 8
