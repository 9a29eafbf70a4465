"""Catalogue: weights and charsets. Weights of another architecture or another charset are
refused with a message naming the file and what differs, and the model is left exactly as
it was (no half-loaded state); fine-tuning onto a new charset keeps the shared rows instead
of failing on the head size. A charset file with duplicates names both lines."""

from __future__ import annotations

import json
import unicodedata

import pytest
import torch
from safetensors.torch import load_file, save_file

from krocr import cli
from krocr.charset import Charset, alphabet87
from krocr.errors import CharsetError, CheckpointError
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.preprocess import PreprocessConfig
from krocr.model.transfer import load_pretrained
from krocr.model.weights import (
    load_state_checked,
    load_weights,
    read_metadata,
    save_weights,
)


def model(charset: Charset, variant: str = "slim", rnn: str = "lstm", units: int | None = 32, seed: int = 0) -> CRNN:
    torch.manual_seed(seed)
    return CRNN(CRNNConfig(num_classes=charset.num_classes, variant=variant, rnn=rnn, rnn_units=units))


def snapshot(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in net.state_dict().items()}


def unchanged(net: torch.nn.Module, before: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(v, before[k]) for k, v in net.state_dict().items())


# ---- another architecture -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "other",
    [{"variant": "reference", "units": None}, {"rnn": "gru"}, {"units": 48}],
    ids=["variant", "rnn", "rnn_units"],
)
def test_weights_of_another_architecture_are_refused_and_the_model_is_untouched(tmp_path, other):
    charset = alphabet87()
    path = tmp_path / "other.safetensors"
    save_weights(
        path, model(charset, **{"variant": "slim", "rnn": "lstm", "units": 32, **other}), charset, PreprocessConfig()
    )
    target = model(charset, seed=1)
    before = snapshot(target)
    different = rf"{path.name}: weights of a different architecture \((variant|rnn|units)"
    with pytest.raises(CheckpointError, match=different):
        load_pretrained(target, path, charset)
    with pytest.raises(CheckpointError, match=rf"{path.name}: weights do not fit this architecture: .*(missing|shape)"):
        load_state_checked(target, load_file(str(path)), str(path))
    assert unchanged(target, before)


# ---- another charset --------------------------------------------------------------------------------
def test_weights_whose_metadata_names_another_charset_are_refused(tmp_path):
    """A file edited by hand (or assembled by another tool): head of 88 rows, charset of 4 symbols."""
    charset = alphabet87()
    good = tmp_path / "good.safetensors"
    save_weights(good, model(charset), charset, PreprocessConfig())
    metadata = dict(read_metadata(good))
    metadata["charset"] = Charset(tuple("가나다라")).to_json()
    tampered = tmp_path / "tampered.safetensors"
    save_file(load_file(str(good)), str(tampered), metadata=metadata)
    with pytest.raises(CheckpointError, match=r"tampered\.safetensors: model has 88 classes, charset needs 5"):
        load_weights(tampered)


def test_weights_loaded_into_a_model_for_another_charset_name_the_classifier(tmp_path):
    charset = alphabet87()
    path = tmp_path / "english.safetensors"
    save_weights(path, model(charset), charset, PreprocessConfig())
    korean = Charset(tuple("가나다라마"))
    target = model(korean, seed=1)
    before = snapshot(target)
    message = r"english\.safetensors: .*dense1\.weight: file \(88, 64\) vs model \(6, 64\)"
    with pytest.raises(CheckpointError, match=message):
        load_state_checked(target, load_file(str(path)), str(path))
    assert unchanged(target, before)


def test_fine_tuning_onto_another_charset_keeps_the_rows_of_shared_tokens(tmp_path):
    source_charset = Charset(tuple("abc가"))
    path = tmp_path / "source.safetensors"
    source = model(source_charset)
    save_weights(path, source, source_charset, PreprocessConfig())
    target_charset = Charset(tuple("가xb"))  # 가 and b shared, at other ids; x new
    target = model(target_charset, seed=1)
    fresh_x = target.dense1.weight[2].clone()
    load_pretrained(target, path, target_charset)
    rows = source.dense1.weight
    assert torch.equal(target.dense1.weight[0], rows[0])  # blank
    assert torch.equal(target.dense1.weight[1], rows[4])  # 가: id 4 there, id 1 here
    assert torch.equal(target.dense1.weight[3], rows[2])  # b
    assert torch.equal(target.dense1.weight[2], fresh_x)  # x keeps its fresh initialization
    assert torch.equal(target.conv1_1[0].weight, source.conv1_1[0].weight)


# ---- charset files --------------------------------------------------------------------------------
def test_charset_file_with_duplicates_names_both_lines(tmp_path, capsys):
    path = tmp_path / "charset.txt"
    symbols = ["가", "나", "다", "A", unicodedata.normalize("NFD", "나"), "B"]  # 나 again, spelled NFD
    path.write_text("\n".join(symbols) + "\n", encoding="utf-8")
    with pytest.raises(CharsetError, match=r"charset\.txt:5: duplicate symbol '나' \(first on line 2\)"):
        Charset.load(path)
    # and where a user meets it: krocr data --charset FILE
    assert (
        cli.main(
            [
                "data",
                "--format",
                "labels",
                "--annotations",
                str(tmp_path / "labels.txt"),
                "--out",
                str(tmp_path / "out"),
                "--charset",
                str(path),
                "--quiet",
            ]
        )
        == 1
    )
    error = capsys.readouterr().err
    assert "charset.txt:5: duplicate symbol" in error and "Traceback" not in error


def test_json_charset_with_duplicates_is_refused(tmp_path):
    path = tmp_path / "charset.json"
    path.write_text(json.dumps({"format": "krocr-charset/1", "symbols": ["가", "나", "가"]}), encoding="utf-8")
    with pytest.raises(CharsetError, match=r"charset\.json: duplicate symbols: \['가'\]"):
        Charset.load(path)
