"""Catalogue: experiment configs and the checks ``krocr train`` makes before training.

A config error names the file (or override) and the key path, and nothing is written: no
run directory appears. Train-time problems (a batch the data cannot fill, labels the model
cannot read, a finished run) are KrocrErrors before the first step, or dropped samples
counted in a table while training goes on with the rest.
"""

from __future__ import annotations

import argparse
import csv
import json
from itertools import product
from pathlib import Path

import cv2
import numpy as np
import pytest

from krocr.commands.train import configure, run, show_setup
from krocr.config import load_config
from krocr.data.store import CacheWriter
from krocr.errors import CharsetError, ConfigError, DataError, KrocrError
from krocr.training.run import train

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def krocr_train(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="krocr train")
    configure(parser)
    return run(parser.parse_args([str(a) for a in argv]))


CONFIG_ERRORS = {
    # case: (file text, overrides, message)
    "unknown_key": (
        "data: {dirs: [d]}\noptim: {lr: 1.0e-3, lrr: 1}\n",
        [],
        r"cfg\.yaml: optim\.lrr: unknown key \(did you mean lr\?\)",
    ),
    "unknown_section": (
        "data: {dirs: [d]}\ntrainer: {epochs: 1}\n",
        [],
        r"cfg\.yaml: trainer: unknown key \(did you mean train\?\)",
    ),
    "unknown_key_in_base": ("base: base.yaml\n", [], r"base\.yaml: loss\.gama: unknown key \(did you mean gamma\?\)"),
    "unknown_key_override": (
        "data: {dirs: [d]}\n",
        ["transfer.frezee=[conv1_1]"],
        r"override 'transfer\.frezee=\[conv1_1\]': transfer\.frezee: unknown key",
    ),
    "wrong_type_int": (
        "data: {dirs: [d], batch_size: many}\n",
        [],
        r"cfg\.yaml: data\.batch_size: expected an integer, got 'many'",
    ),
    "wrong_type_bool_for_int": (
        "data: {dirs: [d]}\ntrain: {epochs: true}\n",
        [],
        r"cfg\.yaml: train\.epochs: expected an integer, got True",
    ),
    "wrong_type_float": (
        "data: {dirs: [d]}\noptim: {lr: [0.1]}\n",
        [],
        r"cfg\.yaml: optim\.lr: expected a number, got \[0\.1\]",
    ),
    "wrong_type_section": ("data: {dirs: [d]}\noptim: 0.001\n", [], r"cfg\.yaml: optim: expected a mapping"),
    "wrong_type_list_item": (
        "data: {dirs: [d]}\ntransfer: {freeze: [conv1_1, 7]}\n",
        [],
        r"cfg\.yaml: transfer\.freeze\[1\]: expected a string, got 7",
    ),
    "wrong_type_override": (
        "data: {dirs: [d]}\n",
        ["data.width=wide"],
        r"override 'data\.width=wide': data\.width: expected an integer, got 'wide'",
    ),
    "wrong_choice": (
        "data: {dirs: [d]}\ncharset: {oov: ignore}\n",
        [],
        r"cfg\.yaml: charset\.oov: expected one of 'reject', 'drop', 'unknown', got 'ignore'",
    ),
    "invalid_yaml": ("data: {dirs: [d]\n", [], r"cfg\.yaml: not valid YAML"),
    "python_tag": ("data: !!python/object/apply:os.system [echo]\n", [], r"cfg\.yaml: not valid YAML"),
    "width_cannot_align_max_length": (
        "data: {dirs: [d], width: 64}\n",
        [],
        r"cfg\.yaml: data\.width: width 64 gives 14 output frames, fewer than "
        r"data\.max_label_length 62",
    ),
}


@pytest.mark.parametrize("case", list(CONFIG_ERRORS))
def test_config_error_names_file_and_key_and_writes_nothing(tmp_path, case):
    text, overrides, message = CONFIG_ERRORS[case]
    write(tmp_path / "base.yaml", "data: {dirs: [d]}\nloss: {gama: 1}\n")
    config = write(tmp_path / "cfg.yaml", text)
    run_dir = tmp_path / "run"
    with pytest.raises(ConfigError, match=message):
        krocr_train(config, *overrides, "--run-dir", run_dir)
    assert not run_dir.exists()


@pytest.mark.parametrize(
    "text",
    [
        "data: {dirs: [d]}\ntrain: {name: 2024-02-30}\n",
        "data: {dirs: [d]}\ntrain: {epochs: 1" + "0" * 5000 + "}\n",
        "data: {dirs: [d]}\nnote: " + "[" * 3000 + "]" * 3000 + "\n",
    ],
    ids=["impossible_date", "huge_int", "deep_nesting"],
)
def test_yaml_values_that_cannot_be_built_are_config_errors(tmp_path, text):
    with pytest.raises(ConfigError, match=r"cfg\.yaml"):
        load_config(write(tmp_path / "cfg.yaml", text))


@pytest.mark.parametrize("override", ["optim.lr=.inf", "loss.alpha=.inf", "train.val_check_interval=.nan"])
def test_non_finite_numbers_are_config_errors(tmp_path, override):
    with pytest.raises(ConfigError, match=override.split("=")[0].replace(".", r"\.")):
        load_config(write(tmp_path / "cfg.yaml", "data: {dirs: [d]}\n"), [override])


# ---- train-time checks --------------------------------------------------------------------------
def render(text: str) -> np.ndarray:
    image = np.full((32, 16 * len(text) + 8), 255, np.uint8)
    cv2.putText(image, text, (4, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    return image


WORDS = ["".join(p) for n in (1, 2, 3) for p in product("abcde", repeat=n)]


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    """32 training crops (plus 4 whose labels the tiny model cannot use) and 8 validation crops."""
    root = tmp_path_factory.mktemp("small_data")
    labels = np.random.default_rng(0).permutation(WORDS)[:40].tolist()
    bad = ["", "한글", "abcdeabcd", "aaaaaaaa"]  # empty, out of charset, > 8 tokens, needs 15 of 14 frames
    with CacheWriter(root / "train.lmdb") as writer:
        for label in [*labels[:16], *bad, *labels[16:32]]:
            writer.add(render(label or "x"), label, "small")
    with CacheWriter(root / "val.lmdb") as writer:
        for label in labels[32:]:
            writer.add(render(label), label, "small")
    return root


def tiny(data: Path, *overrides: str):
    return load_config(TINY, [f"data.dirs=[{data}]", "train.checkpoint_every_epoch=false", *overrides])


def test_unusable_training_labels_are_dropped_counted_and_training_goes_on(tmp_path, small_data, capsys):
    result = train(tiny(small_data, "train.epochs=1"), tmp_path / "run")
    assert (result.setup.train_crops, result.setup.val_crops) == (32, 8)  # 36 written, 4 dropped
    dropped = {rejection.reason: rejection.item for rejection in result.setup.rejections["train"]}
    expected = {"empty_label": 17, "out_of_charset": 18, "label_too_long": 19, "unalignable": 20}
    assert dropped == {reason: f"index {index}" for reason, index in expected.items()}
    capsys.readouterr()
    show_setup(result.setup)  # what krocr train prints before the first step
    out = capsys.readouterr().out
    assert "train: 32 crops, val: 8 crops" in out
    for reason, index in expected.items():
        assert reason in out and f"index {index}" in out, reason
    assert result.epochs == 1 and (tmp_path / "run" / "best.safetensors").is_file()
    rows = list(csv.DictReader((tmp_path / "run" / "history.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 1 and all(np.isfinite(float(rows[0][k])) for k in ("val_loss", "val_cer"))


def test_batch_larger_than_the_training_set_fails_before_the_first_step(tmp_path, small_data):
    with pytest.raises(
        DataError,
        match=r"32 training samples over 1 process\(es\) do not fill one batch of 64; "
        r"lower data\.batch_size",
    ):
        train(tiny(small_data, "data.batch_size=64"), tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_charset_file_with_duplicates_fails_before_anything_is_written(tmp_path, small_data):
    charset = write(tmp_path / "charset.txt", "a\nb\nc\nb\n")
    with pytest.raises(CharsetError, match=r"charset\.txt:4: duplicate symbol 'b' \(first on line 2\)"):
        train(tiny(small_data, f"charset.name={charset}"), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_finished_run_is_not_trained_over(tmp_path, small_data):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    summary = write(run_dir / "summary.json", json.dumps({"best_epoch": 3}))
    with pytest.raises(KrocrError, match=r"run: holds a finished run \(summary\.json\); train into another --run-dir"):
        train(tiny(small_data), run_dir)
    assert summary.read_text(encoding="utf-8") == json.dumps({"best_epoch": 3})
    assert sorted(p.name for p in run_dir.iterdir()) == ["summary.json"]
