import pytest
from benchmark_modules import load_benchmark

paired_compare = load_benchmark("paired_compare")


def test_mcnemar_known_values():
    chi2, p = paired_compare.mcnemar(81, 50)  # v6 against v5 (docs/models.md)
    assert chi2 == pytest.approx(900 / 131) and p == pytest.approx(0.00876, abs=5e-5)
    assert paired_compare.mcnemar(10, 10)[1] == pytest.approx(0.8231, abs=1e-4)  # χ² 0.05
    assert paired_compare.mcnemar(0, 0) == (0.0, 1.0)


def test_fixes_and_breaks_count_the_crops_right_on_one_side_only():
    before = [True, True, False, False, True]
    after = [True, False, True, True, False]
    assert paired_compare.fixes_and_breaks(before, after) == (2, 2)
    assert paired_compare.fixes_and_breaks([False], [True]) == (1, 0)
    with pytest.raises(ValueError):  # crops of two sets that do not pair up
        paired_compare.fixes_and_breaks([True], [True, False])


def test_reads_which_crops_were_read(tmp_path):
    (tmp_path / "predictions.csv").write_text("item,truth,prediction\n#1,가나,가나\n#2,다,라\n", encoding="utf-8")
    assert paired_compare.read_correct(tmp_path) == {"#1": True, "#2": False}


def test_compares_within_groups(tmp_path):
    (tmp_path / "predictions.csv").write_text(
        "item,kind,truth,prediction\n#1,word,가,가\n#2,rare,다,다\n#3,rare,라,마\n", encoding="utf-8"
    )
    assert paired_compare.read_column(tmp_path, "kind") == {"#1": "word", "#2": "rare", "#3": "rare"}
    before = {"#1": False, "#2": True, "#3": True}
    after = {"#1": True, "#2": True, "#3": False}
    assert paired_compare.compare(before, after, ["#2", "#3"]).startswith("A 100.00%  B 50.00%  B fixes 0, breaks 1")
    assert "B fixes 1, breaks 1" in paired_compare.compare(before, after, list(before))
    with pytest.raises(SystemExit, match="no column 'source'"):
        paired_compare.read_column(tmp_path, "source")


def test_groups_by_each_tag_of_a_crop(tmp_path):
    (tmp_path / "predictions.csv").write_text(
        'item,tags,truth,prediction\n#1,,가,가\n#2,lowres,다,다\n#3,"lowres,rotated",라,마\n', encoding="utf-8"
    )
    assert paired_compare.group_items(tmp_path, "tags") == {
        "(no tag)": ["#1"],
        "lowres": ["#2", "#3"],
        "rotated": ["#3"],
    }


def test_sign_test_known_values_and_edit_comparison(tmp_path):
    assert paired_compare.sign_test(129, 98) == pytest.approx(
        0.0462, abs=5e-4
    )  # v7 against v6 (docs/experiments/2026-12-02-ko-v7.md)
    assert paired_compare.sign_test(0, 3) == pytest.approx(0.25)  # 2 · (1/2)³
    assert paired_compare.sign_test(0, 0) == 1.0
    line = paired_compare.compare_edits({"#1": 2, "#2": 0, "#3": 1}, {"#1": 0, "#2": 0, "#3": 3})
    assert line.startswith("edits A 3  B 3  B fewer on 1 crops, more on 1")


def test_photo_evaluations_compare_word_by_word_on_each_measure(tmp_path, capsys):
    header = "photo,kind,tags,truth,coverage,found,read,region_text,read_joined,read_lines\n"
    rows = {
        "a": ["p.jpg,sign,,가,1,1,0,,0,0", "p.jpg,sign,,가,1,0,0,,0,0", "q.jpg,sign,,나,1,1,1,나,1,1"],
        "b": ["p.jpg,sign,,가,1,1,1,가,1,1", "p.jpg,sign,,가,1,1,0,,0,1", "q.jpg,sign,,나,1,1,1,나,1,1"],
    }
    for name, lines in rows.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "photo_words.csv").write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    words = paired_compare.read_photo_words(tmp_path / "a")
    assert words["found"] == {"p.jpg#0": True, "p.jpg#1": False, "q.jpg#0": True}  # one text labelled twice
    paired_compare.compare_photos(tmp_path / "a", tmp_path / "b")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["found", "read", "read_joined", "read_lines"]
    assert "B fixes 1, breaks 0" in lines[0] and "B fixes 2, breaks 0" in lines[3]
