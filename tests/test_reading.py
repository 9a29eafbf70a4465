"""``krocr read``: one line per image or box, in input order; bad files become error lines."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from PIL import Image
from test_recognizer import make_weights, word_image

from krocr.commands import read as reading
from krocr.errors import ConfigError
from krocr.inference.recognizer import Recognizer


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return make_weights(tmp_path_factory.mktemp("weights") / "tiny.safetensors")


def read_command(capsys, *argv) -> tuple[int, list[list[str]]]:
    parser = argparse.ArgumentParser()
    reading.configure(parser)
    code = reading.run(parser.parse_args([str(a) for a in argv]))
    return code, [line.split("\t") for line in capsys.readouterr().out.splitlines()]


def test_directory_and_files_in_order_with_error_lines(weights, tmp_path, capsys):
    folder = tmp_path / "crops"
    folder.mkdir()
    Image.fromarray(word_image(200, seed=1)).save(folder / "b.png")
    Image.fromarray(word_image(90, seed=2)).save(folder / "a.jpg")
    (folder / "notes.txt").write_text("not an image suffix: skipped in a directory")
    (folder / "corrupt.png").write_bytes(b"\x89PNG garbage")
    (folder / "empty.png").write_bytes(b"")
    Image.fromarray(np.full((1, 60), 128, np.uint8)).save(folder / "thin.png")
    single = tmp_path / "single.png"
    Image.fromarray(word_image(300, seed=3)).save(single)

    code, lines = read_command(capsys, "--weights", weights, single, folder, tmp_path / "missing.png")

    assert code == 1
    names = [line[0] for line in lines]
    assert names == [
        str(single),
        *(str(folder / n) for n in ("a.jpg", "b.png", "corrupt.png", "empty.png", "thin.png")),
        str(tmp_path / "missing.png"),
    ]
    errors = {line[0].rsplit("/", 1)[-1]: line for line in lines if len(line) == 4}
    assert set(errors) == {"corrupt.png", "empty.png", "thin.png", "missing.png"}
    for line in errors.values():
        assert line[1] == "" and line[2] == "0.000" and line[3].startswith("error: ")
    assert "1 px high" in errors["thin.png"][3] and "not found" in errors["missing.png"][3]
    expected = Recognizer(weights).read(single)
    assert lines[0] == [str(single), expected.text, f"{expected.confidence:.3f}"]


def test_all_good_exits_zero(weights, tmp_path, capsys):
    Image.fromarray(word_image(120)).save(tmp_path / "ok.png")
    code, lines = read_command(capsys, "--weights", weights, "--batch-size", "1", tmp_path / "ok.png")
    assert code == 0 and len(lines) == 1 and len(lines[0]) == 3


def photo_with_signs(path):
    photo = np.full((240, 360, 3), 200, np.uint8)
    photo[40:80, 30:250] = word_image(220)
    photo[140:180, 60:300] = word_image(240, seed=5)
    Image.fromarray(photo).save(path)


def test_icdar_boxes_read_every_box(weights, tmp_path, capsys):
    photo_with_signs(tmp_path / "img_1.jpg")
    Image.fromarray(word_image(100)).save(tmp_path / "other.png")
    gt = tmp_path / "gt_img_1.txt"
    gt.write_text(
        "30,40,250,40,250,80,30,80,카페\n60,140,300,140,300,180,60,180,###\n5,5,5,5,5,5,5,5,x\n", encoding="utf-8"
    )

    code, lines = read_command(
        capsys,
        "--weights",
        weights,
        "--boxes",
        gt,
        "--format",
        "icdar2015",
        tmp_path / "img_1.jpg",
        tmp_path / "other.png",
    )

    photo = str(tmp_path / "img_1.jpg")
    assert [line[0] for line in lines] == [
        f"{photo}#line 1",
        f"{photo}#line 2",
        f"{photo}#line 3",
        str(tmp_path / "other.png"),
    ]
    assert [len(line) for line in lines] == [3, 3, 4, 4]  # the illegible box is read too
    assert "zero_area" in lines[2][3] and "no boxes" in lines[3][3]
    assert code == 1


def test_via_boxes_name_regions_without_repeating_the_file(weights, tmp_path, capsys):
    photo_with_signs(tmp_path / "sign.png")
    region = {
        "shape_attributes": {"name": "rect", "x": 30, "y": 40, "width": 220, "height": 40},
        "region_attributes": {"annotation_kr": "카페"},
    }
    via = {"sign.png1": {"filename": "sign.png", "size": 1, "regions": [region], "file_attributes": {}}}
    (tmp_path / "via.json").write_text(json.dumps(via, ensure_ascii=False), encoding="utf-8")
    code, lines = read_command(
        capsys, "--weights", weights, "--boxes", tmp_path / "via.json", "--format", "via", tmp_path / "sign.png"
    )
    assert code == 0 and [line[0] for line in lines] == [f"{tmp_path / 'sign.png'}#region 1"]


def test_boxes_need_a_format(weights, tmp_path, capsys):
    with pytest.raises(ConfigError, match="--boxes and --format"):
        read_command(capsys, "--weights", weights, "--boxes", tmp_path / "gt.txt", tmp_path / "x.png")


def test_onnx_engine_prints_lines_in_input_order(weights, tmp_path, capsys):
    from krocr.inference.export import export_onnx

    onnx = export_onnx(weights, tmp_path / "m.onnx")
    paths = []
    for i, width in enumerate((400, 80, 900, 150)):  # batches sort by width; output keeps this order
        paths.append(tmp_path / f"c{i}.png")
        Image.fromarray(word_image(width, seed=i)).save(paths[-1])

    code, lines = read_command(capsys, "--engine", "onnx", "--weights", onnx, "--batch-size", "2", *paths)

    assert code == 0
    by_onnx = Recognizer(onnx, engine="onnx").read(paths)
    assert lines == [[str(p), r.text, f"{r.confidence:.3f}"] for p, r in zip(paths, by_onnx)]
    assert [line[1] for line in lines] == [r.text for r in Recognizer(weights).read(paths)]


def test_a_broken_link_in_a_directory_is_an_error_line_not_silence(weights, tmp_path, capsys):
    Image.fromarray(word_image(120)).save(tmp_path / "a.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "gone.png")
    code, lines = read_command(capsys, tmp_path, "--weights", weights)
    assert code == 1
    assert [line[0] for line in lines] == [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    assert lines[1][3] == f"error: broken symbolic link (to {tmp_path / 'gone.png'})"


def test_an_empty_directory_says_so_and_fails(weights, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, lines = read_command(capsys, tmp_path / "empty", "--weights", weights)
    assert code == 1
    assert len(lines) == 1 and lines[0][3].startswith("error: no image files in this directory")


def test_tabs_and_newlines_in_file_names_are_escaped_or_json(weights, tmp_path, capsys):
    odd = tmp_path / "shop\tsign\nv2.png"
    Image.fromarray(word_image(120)).save(odd)
    code, lines = read_command(capsys, odd, "--weights", weights)
    assert code == 0 and len(lines) == 1 and len(lines[0]) == 3
    assert lines[0][0] == str(tmp_path / "shop\\tsign\\nv2.png")
    parser = argparse.ArgumentParser()
    reading.configure(parser)
    assert reading.run(parser.parse_args([str(odd), "--weights", str(weights), "--json"])) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["path"] == str(odd) and record["error"] is None and 0 <= record["confidence"] <= 1


def test_a_crop_too_long_for_the_model_is_refused_not_read_as_nonsense(weights, tmp_path, capsys):
    Image.fromarray(word_image(20000, height=50)).save(tmp_path / "banner.png")
    code, lines = read_command(capsys, tmp_path / "banner.png", "--weights", weights)
    assert code == 1
    assert "the model reads at most" in lines[0][3] and "cut the line" in lines[0][3]
