from pathlib import Path

import pytest

from krocr.config import (
    DataOptions,
    ExperimentConfig,
    config_differences,
    dump_config,
    flatten_config,
    load_config,
)
from krocr.data.augment import AugmentConfig
from krocr.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["ksign_v1", "ksign_v2", "ksign_v3", "en_pretrain", "tiny"])
def test_shipped_configs_load_and_round_trip(tmp_path, name):
    config = load_config(CONFIGS / f"{name}.yaml")
    assert config.train.name == name
    assert load_config(write(tmp_path / "resolved.yaml", dump_config(config))).train.name == name
    assert load_config(tmp_path / "resolved.yaml", [f"train.name={name}"]) == config


def test_the_three_reference_versions():
    v1, v2, v3 = (load_config(CONFIGS / f"ksign_v{i}.yaml") for i in (1, 2, 3))
    assert (v1.loss.alpha, v1.loss.gamma, v1.optim.lr, v1.optim.eps, v1.optim.decay) == (0.75, 0.5, 1e-3, 1e-3, 1e-4)
    assert v1.transfer.freeze == ("conv1_1", "conv2_1", "conv3_1", "conv3_2", "conv4_1")
    assert (v1.model.activation, v1.model.leaky_slope, v1.model.rnn_dropout) == ("leaky_relu", 0.05, 0.1)
    assert (v1.data.batch_size, v1.train.epochs, v1.train.patience, v1.optim.clip_norm) == (64, 300, 20, 1.0)
    assert v1.augment == AugmentConfig.preset("reference")  # blur or sharpen only
    assert v1.transfer.pretrained == "en"
    differences = config_differences([v1, v2, v3])
    assert differences.pop("train.name") == ["ksign_v1", "ksign_v2", "ksign_v3"]
    assert differences == {
        "loss.alpha": [0.75, 0.75, 0.25],
        "loss.gamma": [0.5, 0.5, 1.0],
        "optim.lr": [1e-3, 1e-4, 1e-3],
        "optim.decay": [1e-4, 1e-4, 1e-5],
        "transfer.freeze": [["conv1_1", "conv2_1", "conv3_1", "conv3_2", "conv4_1"]] * 2
        + [["conv1_1", "conv2_1", "conv3_1", "conv3_2"]],
    }


def test_inheritance_and_overrides(tmp_path):
    write(tmp_path / "base.yaml", "data: {dirs: [d1], batch_size: 8}\noptim: {lr: 1e-4}\n")
    child = write(tmp_path / "child.yaml", "base: base.yaml\ndata: {width: 128, max_label_length: 30}\n")
    config = load_config(
        child,
        [
            "optim.decay=0",
            "transfer.freeze=[conv1_1, lstm1]",
            "data.dirs=one/dir",
            "transfer.pretrained=null",
            "augment.preset=default",
            "augment.noise=0",
        ],
    )
    assert config.data == DataOptions(dirs=("one/dir",), batch_size=8, width=128, max_label_length=30)
    assert config.optim.lr == 1e-4 and config.optim.decay == 0.0  # "1e-4": a string to PyYAML, a number here
    assert config.transfer.freeze == ("conv1_1", "lstm1") and config.transfer.pretrained is None
    assert load_config(child, ["transfer.pretrained=w.safetensors", "transfer.widen_rnn=true"]).transfer.widen_rnn
    assert config.augment.perspective == AugmentConfig.preset("default").perspective and config.augment.noise == 0
    assert config.train.name == "child"


@pytest.mark.parametrize(
    "yaml_text, overrides, message",
    [
        ("optim: {lrr: 1}", [], r"cfg\.yaml: optim\.lrr: unknown key \(did you mean lr\?\)"),
        ("trian: {epochs: 1}", [], r"cfg\.yaml: trian: unknown key \(did you mean train\?\)"),
        ("train: {epochs: many}", [], r"cfg\.yaml: train\.epochs: expected an integer, got 'many'"),
        ("train: {epochs: 2.5}", [], r"train\.epochs: expected an integer"),
        ("train: {checkpoint_every_epoch: 1}", [], r"train\.checkpoint_every_epoch: expected true or false"),
        ("model: {variant: huge}", [], r"model\.variant: expected one of 'reference', 'slim'"),
        ("model: [1, 2]", [], r"cfg\.yaml: model: expected a mapping"),
        ("augment: {preset: wild}", [], r"augment\.preset: unknown augmentation preset"),
        ("augment: {blur_kernel: [3]}", [], r"augment\.blur_kernel: expected a list of 2 integers"),
        ("", ["optim.lrr=1"], r"override 'optim\.lrr=1': optim\.lrr: unknown key \(did you mean lr\?\)"),
        ("", ["optim.lr=-1"], r"override 'optim\.lr=-1': optim\.lr: must be > 0"),
        ("", ["optim.lr"], r"expected key\.path=value"),
        (
            "",
            ["data.width=128"],
            r"data\.width: width 128 gives 30 output frames, fewer than data\.max_label_length 62",
        ),
        (
            "",
            ["data.width_mode=natural", "data.max_width=256", "data.max_label_length=120"],
            r"data\.max_width: width 256 gives 62 output frames, fewer than data\.max_label_length 120",
        ),
        ("", ["data.dirs=[]"], r"data\.dirs: at least one dataset directory is required"),
        (
            "",
            ["transfer.widen_rnn=true"],
            r"transfer\.widen_rnn: grows the RNN of transfer\.pretrained, which is not set",
        ),
        ("", ["train.precision=fp16"], r"train\.precision: expected one of 'auto', 'bf16', 'fp32'"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_errors_name_the_source_and_the_key(tmp_path, yaml_text, overrides, message):
    path = write(tmp_path / "cfg.yaml", "data: {dirs: [d]}\n" + yaml_text + "\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path, overrides)


def test_natural_width_bounds_labels_by_the_widest_crop(tmp_path):
    # 40 syllables are 120 jamo tokens: more than a 256-px crop aligns, fine for wide crops
    path = write(tmp_path / "cfg.yaml", "data: {dirs: [d], width_mode: natural, max_label_length: 120}\n")
    assert load_config(path).data.max_label_length == 120
    with pytest.raises(ConfigError, match=r"data\.width: width 256 gives 62 output frames"):
        load_config(path, ["data.width_mode=fixed"])


def test_an_error_in_a_base_file_names_that_file(tmp_path):
    write(tmp_path / "base.yaml", "data: {dirs: [d]}\nloss: {gama: 1}\n")
    with pytest.raises(ConfigError, match=r"base\.yaml: loss\.gama: unknown key \(did you mean gamma\?\)"):
        load_config(write(tmp_path / "child.yaml", "base: base.yaml\n"))


def test_file_level_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path / "bad.yaml", "data: {dirs: [d]\n"))
    with pytest.raises(ConfigError, match="cycle"):
        load_config(write(tmp_path / "loop.yaml", "base: loop.yaml\n"))
    with pytest.raises(ConfigError, match=r"data: required key is missing"):
        load_config(write(tmp_path / "empty.yaml", "optim: {lr: 0.1}\n"))


def test_flatten_and_differences():
    a = ExperimentConfig(data=DataOptions(dirs=("x",)))
    flat = flatten_config(a)
    assert flat["optim.lr"] == 1e-3 and flat["data.dirs"] == ["x"] and "augment.blur_kernel" in flat
    b = ExperimentConfig(data=DataOptions(dirs=("y",), batch_size=8))
    assert config_differences([a, b]) == {"data.dirs": [["x"], ["y"]], "data.batch_size": [64, 8]}
    assert config_differences([a, a]) == {}


def test_training_on_an_evaluation_only_set_is_refused(tmp_path):
    real = tmp_path / "real-dev"
    (real / "crops").mkdir(parents=True)
    (real / "annotations.jsonl").write_text("{}\n")
    (real / "crops" / "meta.tsv").write_text("")
    marked = tmp_path / "mine"
    marked.mkdir()
    (marked / "EVALUATION_ONLY").write_text("")
    for directory in (real / "crops", marked / "sub"):
        with pytest.raises(ConfigError, match="evaluation-only set"):
            load_config(CONFIGS / "tiny.yaml", [f"data.dirs=[{directory}]"])
