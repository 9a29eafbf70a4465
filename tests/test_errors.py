"""Reading input files: every failure is a krocr error that names the file and what it was."""

import pytest

from krocr.errors import ConfigError, DataError, read_input, read_input_text, repeated


def test_missing_and_unreadable_files_name_the_file_and_its_role(tmp_path):
    with pytest.raises(DataError, match=r"nope\.json: annotation file not found"):
        read_input(tmp_path / "nope.json", "annotation file", DataError)
    with pytest.raises(ConfigError, match=r"^a\.yaml: base sub: cannot read config file \(Is a directory\)"):
        read_input(tmp_path, "config file", ConfigError, name="a.yaml: base sub")


def test_text_is_utf8_with_an_optional_bom_and_anything_else_is_an_error(tmp_path):
    (tmp_path / "bom.txt").write_bytes("\ufeff간판".encode("utf-8"))
    assert read_input_text(tmp_path / "bom.txt", "charset file", DataError) == "간판"
    (tmp_path / "cp949.txt").write_bytes("간판".encode("cp949"))
    with pytest.raises(DataError, match=r"cp949\.txt: not UTF-8"):
        read_input_text(tmp_path / "cp949.txt", "charset file", DataError)


def test_repeated_names_each_name_given_more_than_once_sorted_and_once():
    assert repeated(["b", "a", "b", "c", "a", "b"]) == ["a", "b"]
    assert repeated(iter(["x", "y"])) == []  # a one-pass iterable is read once
    assert repeated([]) == []
