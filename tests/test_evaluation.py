"""``krocr eval`` on small fake caches and label files with a tiny random model, and the
analysis functions on hand-made predictions."""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path

import lmdb
import numpy as np
import pytest
from fixtures.progress import Recorder
from PIL import Image
from rich.console import Console
from test_recognizer import make_weights, word_image

from krocr.analysis.evaluation import (
    PREDICTION_COLUMNS,
    Evaluation,
    Prediction,
    _gallery_item,
    align,
    character_accuracy,
    confusions,
    evaluate,
    length_bucket,
    load_char_counts,
    predict,
    summarize,
)
from krocr.analysis.metrics import compute_metrics, edit_distance
from krocr.charset import Charset
from krocr.commands import eval as eval_command
from krocr.commands.eval import default_out, group_table
from krocr.data.eval_sets import EvalSample, open_eval_set
from krocr.data.store import CacheReader, CacheWriter
from krocr.errors import ConfigError, DataError
from krocr.inference.recognizer import Reading, Recognizer

# 뷁 is outside the charset
LABELS = ["가나", "다라마", "ab", "바사 가", "c", "가나다라마바사", "뷁", "나가"]


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    return make_weights(tmp_path_factory.mktemp("weights") / "tiny.safetensors")


@pytest.fixture(scope="module")
def recognizer(weights) -> Recognizer:
    return Recognizer(weights)


def write_cache(path: Path, labels: list[str]) -> Path:
    with CacheWriter(path) as writer:
        for i, label in enumerate(labels):
            # the odd samples carry a text kind, as `krocr synth` crops do
            writer.add(
                word_image(30 + 25 * len(label), seed=i),
                label,
                "signs" if i % 2 else "menus",
                kind="word" if i % 2 else "",
            )
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dataset")
    write_cache(root / "val.lmdb", LABELS[:3])
    write_cache(root / "test.lmdb", LABELS)
    with lmdb.open(str(root / "test.lmdb")) as env, env.begin(write=True) as txn:
        txn.put(b"image-000000002", b"corrupt bytes")  # sample 2 becomes unreadable
    return root


@pytest.fixture(scope="module")
def evaluated(recognizer, dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    return out, evaluate(recognizer, dataset, out, gallery=4)


def test_dataset_directory_defaults_to_test_and_writes_every_output(evaluated):
    out, metrics = evaluated
    assert metrics["settings"]["data"].endswith("test.lmdb")
    assert sorted(p.name for p in out.iterdir()) == [
        "gallery_random.png",
        "gallery_worst.png",
        "metrics.json",
        "predictions.csv",
    ]
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == metrics
    assert metrics["samples"] == len(LABELS) - 1
    assert metrics["unreadable"]["count"] == 1
    assert metrics["unreadable"]["items"][0]["item"] == "test.lmdb#2"
    assert metrics["speed"]["crops_per_second"] > 0
    assert set(metrics["by_source"]) == {"signs", "menus"}
    assert list(metrics["by_kind"]) == ["word"] and metrics["by_kind"]["word"]["samples"] == 3  # #2 unreadable
    assert sum(g["samples"] for g in metrics["by_length"].values()) == metrics["samples"]
    assert list(metrics["by_length"]) == ["1", "2", "4-5", "6-8"]  # the only 3-character label is unreadable


def test_predictions_csv_agrees_with_the_metrics(evaluated):
    out, metrics = evaluated
    with open(out / "predictions.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == PREDICTION_COLUMNS
    assert [r["item"] for r in rows] == [f"test.lmdb#{i}" for i in (1, 3, 4, 5, 6, 7, 8)]
    assert [r["truth"] for r in rows] == [label for i, label in enumerate(LABELS) if i != 1]
    for row in rows:
        assert int(row["edit_distance"]) == edit_distance(row["truth"], row["prediction"])
        assert 0.0 <= float(row["confidence"]) <= 1.0
        assert len(row["raw"]) >= 62 and set(row["raw"]) <= set("-" + "가나다라마바사abc ")
    expected = compute_metrics([r["truth"] for r in rows], [r["prediction"] for r in rows]).to_dict()
    assert metrics["overall"] == pytest.approx(expected)
    layouts = Counter(r["layout"] for r in rows)
    assert set(layouts) <= {"as is", "stretched"}
    assert {name: group["samples"] for name, group in metrics["by_layout"].items()} == layouts


def test_the_gallery_shows_the_layout_whose_reading_was_kept(recognizer):
    class OneCrop:
        def load(self, index: int):
            return word_image(60)

    as_is, wide = recognizer.prepare_layouts(word_image(60))
    sample = EvalSample("a.png", "가나다라", "real")
    for layout in (as_is, wide):
        prediction = Prediction(0, sample, Reading("가나다라", 0.9, layout=layout.name), 0, 0.0)
        item = _gallery_item(recognizer, OneCrop(), prediction)  # type: ignore[arg-type]
        assert item.image.tolist() == layout.pixels.tolist()


def test_out_of_charset_share_is_reported(evaluated):
    oov = evaluated[1]["out_of_charset"]
    assert oov["samples"] == 1 and oov["missing"] == {"뷁": 1}
    assert oov["sample_share"] == pytest.approx(1 / 7)


def test_split_lmdb_and_label_file_inputs(recognizer, dataset, tmp_path):
    assert open_eval_set(dataset, "val").description.endswith("val.lmdb")
    assert len(open_eval_set(dataset / "val.lmdb").samples) == 3
    with pytest.raises(DataError, match="no train.lmdb"):
        open_eval_set(dataset, "train")
    Image.fromarray(word_image(120)).save(tmp_path / "one.png")
    (tmp_path / "broken.png").write_bytes(b"")
    (tmp_path / "labels.txt").write_text("one.png\t가나\nbroken.png\t다라\nmissing.png\t마\n", encoding="utf-8")
    metrics = evaluate(recognizer, tmp_path / "labels.txt", tmp_path / "out", gallery=0)
    assert metrics["samples"] == 1
    assert {u["error"].split(":")[0] for u in metrics["unreadable"]["items"]} == {
        "missing_image",
        str(tmp_path / "broken.png"),
    }
    assert not (tmp_path / "out" / "gallery_worst.png").exists()


def test_an_empty_label_is_listed_not_scored_and_the_rest_keep_their_images(tmp_path):
    write_cache(tmp_path / "val.lmdb", LABELS[:4])
    with lmdb.open(str(tmp_path / "val.lmdb")) as env, env.begin(write=True) as txn:
        txn.put(b"label-000000002", b" ")  # a foreign cache's blank label
    eval_set = open_eval_set(tmp_path / "val.lmdb")
    assert [s.item for s in eval_set.samples] == ["val.lmdb#1", "val.lmdb#3", "val.lmdb#4"]
    assert [(u.item, u.error.split(":")[0]) for u in eval_set.unreadable] == [("val.lmdb#2", "empty_label")]
    reader = CacheReader(tmp_path / "val.lmdb")
    assert np.array_equal(eval_set.load(1), reader[2][0])  # sample #3 (index 2): its own image, not #2's


def test_a_label_file_read_as_cp949_says_so_and_lists_its_empty_labels(recognizer, tmp_path):
    Image.fromarray(word_image(120)).save(tmp_path / "one.png")
    Image.fromarray(word_image(90, seed=1)).save(tmp_path / "two.png")
    (tmp_path / "labels.txt").write_bytes("one.png\t가나\ntwo.png\t \n".encode("cp949"))
    metrics = evaluate(recognizer, tmp_path / "labels.txt", tmp_path / "out", gallery=0)
    assert metrics["samples"] == 1
    assert [u["error"].split(":")[0] for u in metrics["unreadable"]["items"]] == ["empty_label"]
    assert len(metrics["notes"]) == 1 and "CP949" in metrics["notes"][0]


def test_nothing_readable_is_an_error(recognizer, tmp_path):
    (tmp_path / "labels.txt").write_text("gone.png\t가\n", encoding="utf-8")
    with pytest.raises(DataError, match="no readable samples"):
        evaluate(recognizer, tmp_path / "labels.txt", tmp_path / "out")


def test_command_writes_next_to_the_weights_by_default(weights, dataset, tmp_path, capsys):
    local = make_weights(tmp_path / "run" / "best.safetensors")
    parser = argparse.ArgumentParser()
    eval_command.configure(parser)
    assert (
        eval_command.run(
            parser.parse_args(
                [str(dataset), "--weights", str(local), "--split", "val", "--gallery", "0", "--limit", "2"]
            )
        )
        == 0
    )
    assert default_out(Recognizer(local)) == tmp_path / "run" / "eval"
    assert default_out(Recognizer("ko")) == Path("eval")  # never inside the installed package
    metrics = json.loads((tmp_path / "run" / "eval" / "metrics.json").read_text())
    assert metrics["samples"] == 2 and metrics["settings"]["stretch_condensed"] is True
    assert "word accuracy" in capsys.readouterr().out
    plain = tmp_path / "plain"
    flags = [str(dataset), "--weights", str(local), "--split", "val", "--gallery", "0", "--limit", "2"]
    assert eval_command.run(parser.parse_args([*flags, "--no-stretch", "--out", str(plain)])) == 0
    assert json.loads((plain / "metrics.json").read_text())["settings"]["stretch_condensed"] is False


# ---- analysis on hand-made predictions -----------------------------------------------------------
def fake_predictions(pairs: list[tuple[str, str]]) -> list[Prediction]:
    return [
        Prediction(i, EvalSample(f"#{i}", truth, "src"), Reading(text, 0.5), edit_distance(truth, text), 0.0)
        for i, (truth, text) in enumerate(pairs)
    ]


def test_alignment_substitutions_and_character_accuracy():
    assert align("카페베네", "카폐베네").substitutions == [("페", "폐")]
    assert align("카페베네", "카베네").wrong_positions == {1}
    pairs = [("카페", "카폐"), ("카페", "카폐"), ("약국", "약국"), ("베네", "배"), ("a b", "a  b")]
    predictions = fake_predictions(pairs)
    alignments = [align(t, p) for t, p in pairs]
    assert confusions(alignments)[:2] == [
        {"truth": "페", "prediction": "폐", "count": 2},
        {"truth": "베", "prediction": "배", "count": 1},
    ]
    training = Counter({"카": 50, "페": 30, "약": 10, "국": 5, "베": 3, "a": 1, "b": 1})  # 네 never seen
    groups = character_accuracy(predictions, alignments, training, "train.csv")["groups"]
    assert groups["frequent"] == {"characters": 2, "occurrences": 4, "correct": 2, "accuracy": 0.5}  # 카 페
    assert groups["rare"]["characters"] == 5 and groups["rare"]["correct"] == 4  # 약 국 베 a b
    assert groups["unseen"] == {"characters": 1, "occurrences": 1, "correct": 0, "accuracy": 0.0}  # 네
    by_eval = character_accuracy(predictions, alignments)
    assert by_eval["frequency_from"] == "evaluated ground truth" and by_eval["groups"]["unseen"]["characters"] == 0


def test_summary_of_perfect_readings():
    summary = summarize(
        Evaluation(fake_predictions([("가나", "가나"), ("다", "다")]), [], 1.0), Charset(tuple("가나다"))
    )
    assert summary["overall"]["word_accuracy"] == 1.0 and summary["confusions"] == []
    assert summary["out_of_charset"]["samples"] == 0 and summary["speed"]["crops_per_second"] == 2.0


def test_group_tables_list_each_source_and_text_kind():
    samples = [
        EvalSample("#0", "가나", "synth-ko-heldout/NanumMyeongjo", "word"),
        EvalSample("#1", "다", "synth-ko-heldout/UnPilgi", "rare"),
        EvalSample("#2", "라", "synth-ko-heldout/UnPilgi", "rare"),
    ]
    predictions = [
        Prediction(0, samples[0], Reading("가나", 0.9), 0, 0.0),
        Prediction(1, samples[1], Reading("라", 0.4), 1, 1.0),
        Prediction(2, samples[2], Reading("라", 0.8), 0, 0.0),
    ]
    summary = summarize(Evaluation(predictions, [], 1.0), Charset(tuple("가나다라")))
    assert summary["by_kind"]["rare"]["samples"] == 2 and summary["by_kind"]["rare"]["word_accuracy"] == 0.5
    console = Console(record=True, width=100)
    console.print(group_table(summary["by_source"], "by source"), group_table(summary["by_kind"], "by text kind"))
    lines = console.export_text().splitlines()
    assert any("NanumMyeongjo" in line and "100.00%" in line and "0.0000" in line for line in lines)
    assert any("UnPilgi" in line and "50.00%" in line and "0.5000" in line for line in lines)
    assert any("rare" in line and "50.00%" in line for line in lines)
    assert any("word" in line and "100.00%" in line for line in lines)


def test_no_text_kinds_no_kind_groups():
    predictions = fake_predictions([("가나", "가나"), ("다", "라")])  # photos: no kinds
    assert summarize(Evaluation(predictions, [], 1.0), Charset(tuple("가나다라")))["by_kind"] == {}


def test_length_buckets():
    assert [length_bucket(n) for n in (0, 1, 3, 4, 5, 8, 12, 40)] == ["0", "1", "3", "4-5", "4-5", "6-8", "9-12", "13+"]


def test_character_counts_from_csv_json_and_lmdb(tmp_path):
    (tmp_path / "counts.csv").write_text('char,count\n가,12\n",",3\n가,1\n', encoding="utf-8")
    assert load_char_counts(tmp_path / "counts.csv") == Counter({"가": 13, ",": 3})
    (tmp_path / "counts.json").write_text('{"나": 4}', encoding="utf-8")
    assert load_char_counts(tmp_path / "counts.json") == Counter({"나": 4})
    assert load_char_counts(write_cache(tmp_path / "train.lmdb", ["가나", "가 a"])) == Counter(
        {"가": 2, "나": 1, "a": 1}
    )
    (tmp_path / "bad.csv").write_text("char,count\n가,many\n", encoding="utf-8")
    with pytest.raises(DataError, match="bad.csv:2"):
        load_char_counts(tmp_path / "bad.csv")


def test_command_with_the_onnx_engine(weights, dataset, tmp_path, capsys):
    from krocr.inference.export import export_onnx

    onnx = export_onnx(weights, tmp_path / "run" / "m.onnx")
    parser = argparse.ArgumentParser()
    eval_command.configure(parser)
    assert (
        eval_command.run(
            parser.parse_args(
                [str(dataset), "--engine", "onnx", "--weights", str(onnx), "--split", "val", "--gallery", "0"]
            )
        )
        == 0
    )
    metrics = json.loads((tmp_path / "run" / "eval" / "metrics.json").read_text())
    assert metrics["settings"]["engine"] == "onnx" and metrics["samples"] == 3
    by_torch = evaluate(Recognizer(weights), dataset, tmp_path / "torch", split="val", gallery=0)
    assert metrics["overall"] == by_torch["overall"]


def test_progress_moves_with_each_batch_not_each_thousand_crops(weights, tmp_path):
    # the bar once advanced per 1,024-crop chunk: a small evaluation showed 0 % until done
    labels = ["가나", "다라", "마바사", "ab", "가", "나다", "라마", "바"]
    data = write_cache(tmp_path / "data" / "test.lmdb", labels).parent
    progress = Recorder()
    predict(Recognizer(weights, batch_size=3), open_eval_set(data), progress=progress)
    assert progress.tasks == [("evaluating", len(labels))] and progress.steps == len(labels)
    assert len([s for s in progress.advances if s]) >= 3  # at least one step per batch of 3


def real_set(root: Path) -> Path:
    """A folder laid out as shared/data/real-dev: annotations.jsonl, crops/labels.tsv, crops/meta.tsv."""
    crops = root / "crops"
    crops.mkdir(parents=True)
    rows = [
        ("a.png", "가나", "sign-photo", "lowres,rotated"),
        ("b.png", "다라", "sign-photo", ""),
        ("c.png", "ab", "doc-scan", "lowres"),
    ]
    for name, *_ in rows:
        Image.fromarray(word_image(120)).save(crops / name)
    (crops / "labels.tsv").write_text("".join(f"{n}\t{t}\n" for n, t, _, _ in rows), encoding="utf-8")
    (crops / "meta.tsv").write_text("".join(f"{n}\t{k}\t{g}\timages/x.jpg\n" for n, _, k, g in rows), encoding="utf-8")
    (root / "annotations.jsonl").write_text("{}\n", encoding="utf-8")
    return root


def test_a_real_set_is_read_with_its_kinds_and_tags(recognizer, tmp_path):
    root = real_set(tmp_path / "real")
    eval_set = open_eval_set(root)  # the set's root: its crops/labels.tsv
    assert [(s.truth, s.kind, s.tags) for s in eval_set.samples] == [
        ("가나", "sign-photo", ("lowres", "rotated")),
        ("다라", "sign-photo", ()),
        ("ab", "doc-scan", ("lowres",)),
    ]
    metrics = evaluate(recognizer, root, tmp_path / "out", gallery=0)
    assert {k: v["samples"] for k, v in metrics["by_kind"].items()} == {"doc-scan": 1, "sign-photo": 2}
    assert {k: v["samples"] for k, v in metrics["by_tag"].items()} == {"lowres": 2, "rotated": 1, "(no tag)": 1}


def test_a_malformed_meta_line_names_the_file_and_line(tmp_path):
    root = real_set(tmp_path / "real")
    (root / "crops" / "meta.tsv").write_text("a.png\tsign-photo\t\tx.jpg\nno-kind-here\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"meta.tsv:2: expected"):
        open_eval_set(root)


def test_detector_options_without_photos_are_refused(dataset):
    parser = argparse.ArgumentParser()
    eval_command.configure(parser)
    for option in (["--max-side", "2048"], ["--line-reading", "crop"]):
        with pytest.raises(ConfigError, match="--detector, --max-side and --line-reading are for --photos"):
            eval_command.run(parser.parse_args([str(dataset), *option]))


def test_readings_kept_from_a_stretched_layout_are_recorded_as_such(recognizer, dataset, tmp_path, monkeypatch):
    # every crop's last layout kept: the tiny model's readings are never sure enough to skip it
    monkeypatch.setattr("krocr.inference.recognizer.chosen_layout", lambda layouts, readings: len(layouts) - 1)
    metrics = evaluate(recognizer, dataset, tmp_path, gallery=0)
    with open(tmp_path / "predictions.csv", newline="", encoding="utf-8") as f:
        layouts = [row["layout"] for row in csv.DictReader(f)]
    assert set(layouts) == {"stretched"}
    assert {name: group["samples"] for name, group in metrics["by_layout"].items()} == {"stretched": len(layouts)}
