import json
import unicodedata

import numpy as np
import pytest
from PIL import Image

from krocr.data.importers import (
    read_aihub,
    read_icdar2015,
    read_label_file,
    read_lmdb,
    read_via,
)
from krocr.data.rejections import Reason, RejectionLog
from krocr.data.store import CacheWriter
from krocr.errors import DataError


def reasons(log) -> dict[str, int]:
    return log.counts_by_reason()


def image_file(path, size=(64, 32)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "white").save(path)
    return path


# ---- VIA --------------------------------------------------------------------------------------
def test_via_fixture(data_fixture):
    records, log = read_via(data_fixture.via, data_fixture.images, source="signs")
    assert [r.path.name for r in records] == ["photo_1.jpg", "photo_2.png", "photo_3.jpg", "corrupt.jpg"]
    assert all(r.source == "signs" and r.annotation == data_fixture.via for r in records)
    texts = [w.text for r in records for w in r.words]
    assert all(label in texts for label in data_fixture.via_good)
    assert "한글" in texts and unicodedata.normalize("NFD", "한글") not in texts  # NFC
    assert reasons(log) == {"unsupported_shape": 1, "missing_image": 1}
    illegible = [w for r in records for w in r.words if w.illegible]
    assert [w.text for w in illegible] == ["###"]
    word = records[0].words[1]
    assert word.region == "photo_1.jpg region 2" and word.points.dtype == np.float32 and word.points.shape == (4, 2)


def via_project(regions, filename="a.png"):
    return {"a.png123": {"filename": filename, "size": 123, "regions": regions, "file_attributes": {}}}


def write_json(path, data):
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_via_export_without_wrapper_rect_and_custom_attribute(tmp_path):
    image_file(tmp_path / "a.png")
    region = {
        "shape_attributes": {"name": "rect", "x": 1, "y": 2, "width": 30, "height": 10},
        "region_attributes": {"text": "간판"},
    }
    records, log = read_via(write_json(tmp_path / "e.json", via_project([region])), text_attribute="text")
    assert len(log) == 0
    assert records[0].words[0].points.tolist() == [[1, 2], [31, 2], [31, 12], [1, 12]]
    assert records[0].source == "e"  # default source: the file's stem


def test_via1_regions_as_dict(tmp_path):
    image_file(tmp_path / "a.png")
    regions = {
        "0": {
            "shape_attributes": {"name": "polygon", "all_points_x": [0, 9, 9, 0], "all_points_y": [0, 0, 5, 5]},
            "region_attributes": {"annotation_kr": "가"},
        }
    }
    records, _ = read_via(write_json(tmp_path / "v1.json", via_project(regions)))
    assert records[0].words[0].region == "a.png region 0"


@pytest.mark.parametrize(
    "region, reason",
    [
        (
            {
                "shape_attributes": {"name": "polygon", "all_points_x": [0, 1], "all_points_y": [0]},
                "region_attributes": {"annotation_kr": "가"},
            },
            Reason.MALFORMED_REGION,
        ),
        (
            {
                "shape_attributes": {"name": "rect", "x": "a", "y": 0, "width": 1, "height": 1},
                "region_attributes": {"annotation_kr": "가"},
            },
            Reason.MALFORMED_REGION,
        ),
        (
            {"shape_attributes": {"name": "ellipse"}, "region_attributes": {"annotation_kr": "가"}},
            Reason.UNSUPPORTED_SHAPE,
        ),
        (
            {
                "shape_attributes": {"name": "rect", "x": 0, "y": 0, "width": 1, "height": 1},
                "region_attributes": {"text": "가"},
            },
            Reason.MISSING_LABEL,
        ),
        (
            {
                "shape_attributes": {"name": "rect", "x": 0, "y": 0, "width": 1, "height": 1},
                "region_attributes": {"annotation_kr": {"a": True}},
            },
            Reason.MALFORMED_REGION,
        ),
        ({"region_attributes": {}}, Reason.MALFORMED_REGION),
    ],
)
def test_via_bad_regions_are_rejections(tmp_path, region, reason):
    image_file(tmp_path / "a.png")
    good = {
        "shape_attributes": {"name": "rect", "x": 0, "y": 0, "width": 9, "height": 5},
        "region_attributes": {"annotation_kr": "나"},
    }
    records, log = read_via(write_json(tmp_path / "p.json", {"_via_img_metadata": via_project([region, good])}))
    assert [w.text for w in records[0].words] == ["나"]  # the good region survives
    (rejection,) = log
    assert rejection.reason == reason and rejection.item == "a.png region 1"
    assert rejection.file == str(tmp_path / "p.json")


def test_via_missing_text_attribute_lists_the_present_ones(tmp_path):
    image_file(tmp_path / "a.png")
    region = {
        "shape_attributes": {"name": "rect", "x": 0, "y": 0, "width": 9, "height": 5},
        "region_attributes": {"text": "가", "lang": "ko"},
    }
    _, log = read_via(write_json(tmp_path / "p.json", via_project([region])))
    assert "'annotation_kr'" in log.rejections[0].detail and "'text', 'lang'" in log.rejections[0].detail


def test_via_unparseable_files_raise_with_position(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": [1, 2,,]}', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.json:1:13: invalid JSON"):
        read_via(bad)
    with pytest.raises(DataError, match="not a VIA project"):
        read_via(write_json(tmp_path / "x.json", {"images": []}))
    with pytest.raises(DataError, match="VIA 3"):
        read_via(write_json(tmp_path / "v3.json", {"project": {}, "file": {}, "metadata": {}}))
    with pytest.raises(DataError, match="annotation file not found"):
        read_via(tmp_path / "none.json")


# ---- ICDAR 2015 -----------------------------------------------------------------------------
def test_icdar_fixture(data_fixture):
    records, log = read_icdar2015(data_fixture.icdar_gt, data_fixture.icdar_images)
    assert [r.path.name for r in records] == ["img_1.jpg", "img_2.png"]
    texts = [w.text for r in records for w in r.words if not w.illegible]
    assert texts == data_fixture.icdar_good  # commas kept, BOM gone
    assert [w.text for r in records for w in r.words if w.illegible] == ["###"]
    assert reasons(log) == {"malformed_line": 1, "missing_image": 1}
    malformed = next(r for r in log if r.reason == "malformed_line")
    assert malformed.item == "line 2" and malformed.file.endswith("gt_img_2.txt")


def test_icdar_single_file_same_stem_and_bad_numbers(tmp_path):
    image_file(tmp_path / "sign.PNG")
    gt = tmp_path / "sign.txt"
    gt.write_text("1,2,30,2,30,12,1,12,가,나\nx,2,30,2,30,12,1,12,다\n", encoding="utf-8")
    records, log = read_icdar2015(gt)
    assert records[0].path.name == "sign.PNG"
    assert [w.text for w in records[0].words] == ["가,나"]
    assert reasons(log) == {"malformed_line": 1}


def test_icdar_cp949_is_decoded_with_a_note(tmp_path):
    image_file(tmp_path / "img_1.jpg")
    (tmp_path / "gt_img_1.txt").write_bytes("1,2,30,2,30,12,1,12,간판\n".encode("cp949"))
    records, log = read_icdar2015(tmp_path / "gt_img_1.txt")
    assert records[0].words[0].text == "간판"
    assert len(log.notes) == 1 and "CP949" in log.notes[0]


def test_icdar_directory_with_an_undecodable_file_keeps_the_others(tmp_path):
    image_file(tmp_path / "img_1.jpg")
    image_file(tmp_path / "img_2.jpg")
    (tmp_path / "gt_img_1.txt").write_text("1,2,30,2,30,12,1,12,가\n", encoding="utf-8")
    (tmp_path / "gt_img_2.txt").write_bytes(b"\xff\xfe\xff\x00\x81")
    records, log = read_icdar2015(tmp_path)
    assert len(records) == 1 and reasons(log) == {"unreadable_annotation": 1}
    with pytest.raises(DataError, match="not UTF-8"):
        read_icdar2015(tmp_path / "gt_img_2.txt")


def test_icdar_gt_matching_two_images_is_ambiguous_never_the_last_sorted(tmp_path):
    image_file(tmp_path / "img_4.jpg")
    image_file(tmp_path / "img_4.png")
    image_file(tmp_path / "img_5.jpg")
    (tmp_path / "gt_img_4.txt").write_text("1,2,30,2,30,12,1,12,세탁소\nx\n", encoding="utf-8")
    (tmp_path / "gt_img_5.txt").write_text("1,2,30,2,30,12,1,12,열쇠\n", encoding="utf-8")
    records, log = read_icdar2015(tmp_path)
    assert [r.path.name for r in records] == ["img_5.jpg"]  # img_4.png (sorted last) does not get 세탁소
    assert [(r.item, r.reason, r.words) for r in log] == [
        ("line 2", "malformed_line", 1),
        ("image", "ambiguous_image", 1),  # the one word of gt_img_4.txt that parsed
    ]
    ambiguous = log.rejections[1]
    assert ambiguous.file == str(tmp_path / "gt_img_4.txt")
    assert ambiguous.images == (str(tmp_path / "img_4.jpg"), str(tmp_path / "img_4.png"))
    assert str(tmp_path / "img_4.jpg") in ambiguous.detail and str(tmp_path / "img_4.png") in ambiguous.detail


# ---- AI Hub -----------------------------------------------------------------------------------
def test_aihub_per_image_file_variants(tmp_path):
    image_file(tmp_path / "sign.jpg", (200, 100))
    data = {
        "images": [{"id": 7, "file_name": "sign.jpg", "width": 200, "height": 100}],
        "annotations": [
            {"id": 1, "image_id": 7, "text": "간판", "bbox": [10, 10, 50, 20]},
            {"id": 2, "text": "커피", "bbox": [[60, 10], [120, 10], [120, 30], [60, 30]]},
            {"id": 3, "text": "빵", "points": [130, 10, 160, 10, 160, 30, 130, 30]},
            {"id": 4, "text": "xxx", "bbox": [1, 1, 5, 5]},
            {"id": 5, "text": "깨진", "bbox": [None, 1, 5, 5]},
            {"id": 6, "bbox": [1, 1, 5, 5]},
            {"id": 7, "text": "홀수", "bbox": [1, 1, 5, 5, 6]},
        ],
    }
    records, log = read_aihub(write_json(tmp_path / "sign.json", data))
    (record,) = records
    assert (record.width, record.height) == (200, 100)
    assert [w.text for w in record.words] == ["간판", "커피", "빵", "xxx"]
    assert record.words[0].points.tolist() == [[10, 10], [60, 10], [60, 30], [10, 30]]
    assert record.words[3].illegible
    assert reasons(log) == {"malformed_region": 2, "missing_label": 1}
    assert {r.item for r in log} == {"annotation 5", "annotation 6", "annotation 7"}


def test_aihub_directory_with_several_images_and_a_broken_file(tmp_path):
    image_file(tmp_path / "imgs" / "a.jpg")
    data = {
        "images": [{"id": "a", "file_name": "a.jpg"}, {"id": "b", "file_name": "b.jpg"}],
        "annotations": [
            {"image_id": "a", "text": "가", "bbox": [1, 1, 9, 9]},
            {"image_id": "b", "text": "나", "bbox": [1, 1, 9, 9]},
            {"image_id": "z", "text": "다", "bbox": [1, 1, 9, 9]},
        ],
    }
    ann = tmp_path / "ann"
    ann.mkdir()
    write_json(ann / "all.json", data)
    (ann / "broken.json").write_text("{", encoding="utf-8")
    records, log = read_aihub(ann, tmp_path / "imgs", source="hub")
    assert [(r.path.name, [w.text for w in r.words]) for r in records] == [("a.jpg", ["가"])]
    assert reasons(log) == {"unreadable_annotation": 1, "missing_image": 1, "malformed_region": 1}


def test_aihub_images_without_ids_are_not_matched_by_their_position(tmp_path):
    image_file(tmp_path / "a.jpg")
    image_file(tmp_path / "b.jpg")
    data = {  # 0-based image_ids: positions (from 1) would put 가 on b.jpg
        "images": [{"file_name": "a.jpg"}, {"file_name": "b.jpg"}],
        "annotations": [
            {"image_id": 0, "text": "가", "bbox": [1, 1, 9, 9]},
            {"image_id": 1, "text": "나", "bbox": [1, 1, 9, 9]},
        ],
    }
    records, log = read_aihub(write_json(tmp_path / "a.json", data))
    assert records == []
    assert reasons(log) == {"malformed_region": 4}  # two images without ids, two annotations naming no image
    single = {"images": [{"file_name": "a.jpg"}], "annotations": [{"text": "가", "bbox": [1, 1, 9, 9]}]}
    records, log = read_aihub(write_json(tmp_path / "one.json", single))
    assert [(r.path.name, [w.text for w in r.words]) for r in records] == [("a.jpg", ["가"])] and len(log) == 0


def test_a_box_of_negative_size_is_refused_not_mirrored(tmp_path):
    image_file(tmp_path / "a.jpg")
    data = {
        "images": [{"id": 1, "file_name": "a.jpg"}],
        "annotations": [
            {"image_id": 1, "text": "가", "bbox": [20, 1, -9, 9]},
            {"image_id": 1, "text": "나", "bbox": [1, 1, 9, 9]},
        ],
    }
    records, log = read_aihub(write_json(tmp_path / "a.json", data))
    assert [w.text for w in records[0].words] == ["나"]
    [rejection] = log
    assert rejection.reason == "malformed_region" and "negative size -9 × 9" in rejection.detail


def test_aihub_one_image_listed_twice_under_one_id_is_not_ambiguous(tmp_path):
    image_file(tmp_path / "a.jpg")
    data = {
        "images": [{"id": 1, "file_name": "a.jpg"}, {"id": "1", "file_name": "a.jpg"}],
        "annotations": [{"image_id": 1, "text": "가", "bbox": [1, 1, 9, 9]}],
    }
    records, log = read_aihub(write_json(tmp_path / "a.json", data))
    assert [(r.path.name, [w.text for w in r.words]) for r in records] == [("a.jpg", ["가"])] and len(log) == 0


# ---- label files --------------------------------------------------------------------------------
def test_label_file(tmp_path):
    image_file(tmp_path / "crops" / "1.png")
    image_file(tmp_path / "crops" / "2.png")
    nfd = unicodedata.normalize("NFD", "한글")
    lines = ["crops/1.png\t간판", "", "crops/2.png\t" + nfd + "\twith tab", "no tab here", "crops/3.png\t없음", "\t빈"]
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, log = read_label_file(labels)
    assert [(r.path.name, r.text, r.item) for r in records] == [
        ("1.png", "간판", "line 1"),
        ("2.png", "한글\twith tab", "line 3"),
    ]
    assert [(r.item, r.reason) for r in log] == [
        ("line 4", "malformed_line"),
        ("line 5", "missing_image"),
        ("line 6", "malformed_line"),
    ]


def test_label_file_root_and_cp949(tmp_path):
    image_file(tmp_path / "root" / "a.png")
    labels = tmp_path / "l.txt"
    labels.write_bytes("a.png\t간판\n".encode("cp949"))
    records, log = read_label_file(labels, root=tmp_path / "root", source="crops")
    assert records[0].text == "간판" and records[0].source == "crops"
    assert "CP949" in log.notes[0]


def test_label_file_repeats_conflicting_and_duplicate(tmp_path):
    for name in ("1.png", "2.png"):
        image_file(tmp_path / name)
    lines = ["1.png\t간판", "2.png\t커피", "1.png\t간판", "2.png\t카피", "2.png\t커피"]
    (tmp_path / "l.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, log = read_label_file(tmp_path / "l.txt")
    assert [(r.item, r.text) for r in records] == [("line 1", "간판")]
    assert [(r.item, r.reason) for r in log] == [
        ("line 3", "duplicate"),
        ("line 2", "conflicting_labels"),
        ("line 4", "conflicting_labels"),
        ("line 5", "conflicting_labels"),
    ]
    assert "'커피' here but '카피' in line 4, '커피' in line 5" in log.rejections[1].detail


def test_drop_repeats_keeps_records_unchanged_and_lmdb_samples_by_index(tmp_path):
    from krocr.data.importers import drop_repeats  # new in issue 30: imported here so the other tests run without it

    with CacheWriter(tmp_path / "c.lmdb") as writer:
        writer.add(np.full((32, 50), 200, np.uint8), "가", "one")
    once, _ = read_lmdb(tmp_path / "c.lmdb")
    twice, _ = read_lmdb(tmp_path / "c.lmdb")
    log = RejectionLog()
    kept = drop_repeats([*once, *twice], lambda _: log)  # the same LMDB given twice: one source
    assert kept == once and [(r.item, r.reason) for r in log] == [("index 1", "duplicate")]


# ---- LMDB ----------------------------------------------------------------------------------------
def test_read_lmdb_keeps_sources_and_bytes(tmp_path):
    with CacheWriter(tmp_path / "c.lmdb") as writer:
        writer.add(np.full((32, 50), 200, np.uint8), "가", "one")
        writer.add(np.full((32, 60), 100, np.uint8), "나", "two")
    records, log = read_lmdb(tmp_path / "c.lmdb")
    assert len(log) == 0
    assert [(r.text, r.source, r.item) for r in records] == [("가", "one", "index 1"), ("나", "two", "index 2")]
    assert records[0].image_bytes.startswith(b"\x89PNG") and records[0].path == tmp_path / "c.lmdb"
    renamed, _ = read_lmdb(tmp_path / "c.lmdb", source="merged")
    assert {r.source for r in renamed} == {"merged"}
