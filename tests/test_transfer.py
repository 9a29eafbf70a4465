import io
from pathlib import Path

import pytest
import torch
from rich.console import Console

from krocr.charset import Charset
from krocr.config import load_config
from krocr.errors import CheckpointError, ConfigError
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.preprocess import PreprocessConfig
from krocr.model.svtr import SVTR, SVTRConfig
from krocr.model.transfer import (
    FrozenBatchNorm2d,
    LayerTable,
    TransferReport,
    freeze_layers,
    load_pretrained,
    transfer_weights,
)
from krocr.model.weights import save_weights

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SOURCE = Charset(tuple("abcdeA"))
TARGET = Charset(tuple("xAyca가"))  # shares A, c, a with SOURCE, at other ids


def crnn(charset: Charset, seed: int, **options) -> CRNN:
    torch.manual_seed(seed)
    return CRNN(CRNNConfig(num_classes=charset.num_classes, variant="slim", rnn_units=16, **options))


def test_shared_tokens_keep_their_rows_and_new_tokens_keep_the_fresh_init():
    source, target = crnn(SOURCE, 0), crnn(TARGET, 1)
    fresh = {k: v.clone() for k, v in target.state_dict().items()}
    report = transfer_weights(target, source.state_dict(), SOURCE, TARGET)
    weight, bias = target.dense1.weight, target.dense1.bias
    for token in "Aca":
        t, s = TARGET.encode(token)[0], SOURCE.encode(token)[0]
        assert torch.equal(weight[t], source.dense1.weight[s]) and bias[t] == source.dense1.bias[s]
    assert torch.equal(weight[0], source.dense1.weight[0]) and bias[0] == source.dense1.bias[0]  # blank
    for token in "xy가":
        t = TARGET.encode(token)[0]
        assert torch.equal(weight[t], fresh["dense1.weight"][t]) and bias[t] == fresh["dense1.bias"][t]
    for name, tensor in source.state_dict().items():
        if not name.startswith("dense1"):
            assert torch.equal(target.state_dict()[name], tensor), name
    assert report.shared_tokens == 3 and report.new_tokens == ("x", "y", "가")
    assert report.state("conv1_1") == report.state("lstm2") == "loaded"
    assert report.state("dense1") == "partially loaded"
    notes = {row.layer: row.note for row in LayerTable.describe(target, report).rows}
    assert notes["dense1"] == "rows of the blank and 3 shared tokens copied; 3 new tokens initialised (x y 가)"
    assert notes["lstm1"] == ""


def test_same_symbols_in_another_order_are_matched_by_token():
    reordered = Charset(tuple(reversed(SOURCE.symbols)))
    source, target = crnn(SOURCE, 0), crnn(reordered, 1)
    report = transfer_weights(target, source.state_dict(), SOURCE, reordered)
    assert report.state("dense1") == "loaded"
    assert torch.equal(target.dense1.weight[reordered.encode("e")[0]], source.dense1.weight[SOURCE.encode("e")[0]])


def test_another_architecture_is_refused():
    with pytest.raises(CheckpointError, match="different architecture: lstm1"):
        transfer_weights(crnn(TARGET, 1), crnn(SOURCE, 0, rnn="gru").state_dict(), SOURCE, TARGET)
    state = crnn(SOURCE, 0).state_dict()
    del state["conv6_1.0.bias"]
    with pytest.raises(CheckpointError, match="missing conv6_1.0.bias"):
        transfer_weights(crnn(TARGET, 1), state, SOURCE, TARGET)


def test_load_pretrained_names_the_config_key_to_change(tmp_path):
    path = tmp_path / "w.safetensors"
    save_weights(path, crnn(SOURCE, 0), SOURCE, PreprocessConfig())
    target = CRNN(CRNNConfig(num_classes=TARGET.num_classes, variant="reference"))
    with pytest.raises(CheckpointError, match="variant: file 'slim', config 'reference'.*model.variant"):
        load_pretrained(target, path, TARGET)
    report = load_pretrained(crnn(TARGET, 1, activation="leaky_relu"), path, TARGET)  # activations have no weights
    assert report.source == str(path) and report.state("dense1") == "partially loaded"


def svtr(charset: Charset, seed: int, **options) -> SVTR:
    torch.manual_seed(seed)
    small = {"input_height": 32, "channels": (8, 16, 16, 32), "blocks": (1, 1, 1), "dim": 32, "heads": 4}
    return SVTR(SVTRConfig(num_classes=charset.num_classes, **(small | options)))


def test_an_svtr_goes_on_from_svtr_weights_and_reads_as_they_did(tmp_path):
    path = tmp_path / "svtr.safetensors"
    source = svtr(SOURCE, 0).eval()
    save_weights(path, source, SOURCE, PreprocessConfig(height=32))
    same = svtr(SOURCE, 1, dropout=0.2)  # dropout has no weights
    report = load_pretrained(same, path, SOURCE)
    images = torch.rand(2, 1, 32, 64) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(same.eval()(images), source(images), rtol=0, atol=0)
    assert all(report.state(layer) == "loaded" for layer in same.named_layers())
    taller = load_pretrained(svtr(SOURCE, 1, input_height=48), path, SOURCE)  # the CRNN's 32 → 48 route
    assert all(taller.state(layer) == "loaded" for layer in same.named_layers())
    other = svtr(TARGET, 1)
    report = load_pretrained(other, path, TARGET)
    t, s = TARGET.encode("가")[0], TARGET.encode("c")[0]
    assert torch.equal(other.head.weight[s], source.head.weight[SOURCE.encode("c")[0]])
    assert torch.equal(other.head.weight[t], svtr(TARGET, 1).head.weight[t])  # a new token keeps its fresh row
    assert report.state("head") == "partially loaded" and report.state("stem") == "loaded"
    notes = {row.layer: row.note for row in LayerTable.describe(other, report).rows}
    assert notes["head"] == "rows of the blank and 3 shared tokens copied; 3 new tokens initialised (x y 가)"


def test_svtr_weights_of_another_shape_or_family_are_refused_naming_the_key(tmp_path):
    path = tmp_path / "svtr.safetensors"
    save_weights(path, svtr(SOURCE, 0), SOURCE, PreprocessConfig(height=32))
    with pytest.raises(CheckpointError, match="heads: file 4, config 2.*set model.heads"):
        load_pretrained(svtr(SOURCE, 1, heads=2), path, SOURCE)  # same tensor shapes, another function
    with pytest.raises(
        CheckpointError, match=r"dim: file 32, config 64.*heads: file 4, config 8.*model.dim / model.heads"
    ):
        load_pretrained(svtr(SOURCE, 1, dim=64, heads=8), path, SOURCE)
    with pytest.raises(CheckpointError, match="holds SVTR weights, the model is a CRNN"):
        load_pretrained(crnn(SOURCE, 1), path, SOURCE)
    with pytest.raises(ConfigError, match="widen_rnn grows a CRNN's RNN"):
        load_pretrained(svtr(SOURCE, 1), path, SOURCE, widen_rnn=True)
    with pytest.raises(ConfigError, match="transfer.widen_rnn: grows a CRNN's RNN, and model.arch is 'svtr'"):
        load_config(CONFIGS / "tiny_svtr.yaml", ["transfer.pretrained=w.safetensors", "transfer.widen_rnn=true"])
    crnn_path = tmp_path / "crnn.safetensors"
    save_weights(crnn_path, crnn(SOURCE, 0), SOURCE, PreprocessConfig())
    with pytest.raises(CheckpointError, match="holds CRNN weights, the model is an SVTR"):
        load_pretrained(svtr(SOURCE, 1), crnn_path, SOURCE)


@pytest.mark.parametrize("rnn", ["lstm", "gru"])
def test_a_widened_rnn_reads_exactly_as_the_narrow_one_and_its_new_units_learn(tmp_path, rnn):
    path = tmp_path / "narrow.safetensors"
    narrow = crnn(SOURCE, 0, rnn=rnn).eval()
    save_weights(path, narrow, SOURCE, PreprocessConfig())
    torch.manual_seed(1)
    wide = CRNN(CRNNConfig(num_classes=TARGET.num_classes, variant="slim", rnn=rnn, rnn_units=24))
    report = load_pretrained(wide, path, TARGET, widen_rnn=True)
    images = torch.rand(3, 1, 32, 96) * 2 - 1
    with torch.no_grad():
        before, after = narrow(images), wide.eval()(images)
    shared = [(TARGET.encode(t)[0], SOURCE.encode(t)[0]) for t in "Aca"] + [(0, 0)]
    for t, s in shared:  # same logits for every token both charsets have, at every frame
        torch.testing.assert_close(after[..., t], before[..., s], rtol=0, atol=1e-5)
    assert report.state("lstm1") == report.state("lstm2") == "partially loaded"
    assert report.state("conv6_1") == "loaded"
    wide.train()
    wide(images).logsumexp(-1).mean().backward()
    grad = wide.dense1.weight.grad
    assert grad[:, 16:24].abs().sum() > 0 and grad[:, 40:48].abs().sum() > 0  # the silent units' outputs learn


def test_after_widening_the_classifier_counts_only_its_file_columns_as_loaded(tmp_path):
    path = tmp_path / "narrow.safetensors"
    save_weights(path, crnn(SOURCE, 0), SOURCE, PreprocessConfig())
    wide = CRNN(CRNNConfig(num_classes=SOURCE.num_classes, variant="slim", rnn_units=24))
    report = load_pretrained(wide, path, SOURCE, widen_rnn=True)  # same charset: every row copied
    assert report.copied["dense1"] == (SOURCE.num_classes * (2 * 16 + 1), SOURCE.num_classes * (2 * 24 + 1))
    assert report.state("dense1") == "partially loaded"
    notes = {row.layer: row.note for row in LayerTable.describe(wide, report).rows}
    assert notes["dense1"] == (
        "RNN grown from 16 to 24 units per direction; the new units start silent; "
        f"rows of the blank and {len(SOURCE.tokens)} shared tokens copied"
    )
    assert notes["lstm1"].startswith("RNN grown from 16 to 24") and notes["conv1_1"] == ""


def test_widening_is_opt_in_and_only_grows(tmp_path):
    path = tmp_path / "narrow.safetensors"
    save_weights(path, crnn(SOURCE, 0), SOURCE, PreprocessConfig())
    wide = CRNN(CRNNConfig(num_classes=TARGET.num_classes, variant="slim", rnn_units=24))
    with pytest.raises(CheckpointError, match="units: file 16, config 24.*transfer.widen_rnn=true"):
        load_pretrained(wide, path, TARGET)
    narrower = CRNN(CRNNConfig(num_classes=TARGET.num_classes, variant="slim", rnn_units=8))
    with pytest.raises(CheckpointError, match="units: file 16, config 8"):
        load_pretrained(narrower, path, TARGET, widen_rnn=True)


def test_frozen_layers_get_no_gradient_and_their_batch_norm_stays_in_eval_mode():
    model = crnn(TARGET, 1)
    freeze_layers(model, ["conv1_1", "conv4_1"])
    model.train()
    batch_norm = model.conv4_1[1]
    assert isinstance(batch_norm, FrozenBatchNorm2d) and not batch_norm.training
    assert model.conv5_1[1].training and type(model.conv5_1[1]) is torch.nn.BatchNorm2d
    statistics = batch_norm.running_mean.clone()
    model(torch.rand(2, 1, 32, 64)).sum().backward()
    assert torch.equal(batch_norm.running_mean, statistics)
    assert all(p.grad is None for p in model.conv1_1.parameters())
    assert all(p.grad is not None for p in model.conv2_1.parameters())
    assert set(model.state_dict()) == set(crnn(TARGET, 1).state_dict())  # same tensors as before freezing


def test_unknown_layer_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match=r"'conv7_1'.*layers are: conv1_1, conv2_1.*lstm2, dense1"):
        freeze_layers(crnn(TARGET, 1), ["conv1_1", "conv7_1"])


def test_layer_table_in_rich_markdown_and_csv():
    source, target = crnn(SOURCE, 0), crnn(TARGET, 1)
    report = transfer_weights(target, source.state_dict(), SOURCE, TARGET, source="en.safetensors")
    freeze_layers(target, ["conv1_1"])
    table = LayerTable.describe(target, report)
    rows = {row.layer: row for row in table.rows}
    assert list(rows) == target.named_layers()
    assert rows["conv1_1"].frozen and not rows["conv2_1"].frozen
    assert rows["dense1"].weights == "partially loaded" and "3 shared tokens" in rows["dense1"].note
    assert rows["dense1"].parameters == sum(p.numel() for p in target.dense1.parameters())
    buffer = io.StringIO()
    Console(file=buffer, width=200).print(table.rich())
    assert "Weights from en.safetensors" in buffer.getvalue() and "frozen" in buffer.getvalue()
    assert "| conv1_1 | 320 | loaded | frozen |  |" in table.markdown()
    assert table.csv().splitlines()[1] == "conv1_1,320,loaded,True,"
    scratch = LayerTable.describe(target, TransferReport.from_scratch(target))
    assert {row.weights for row in scratch.rows} == {"re-initialised"} and "from scratch" in scratch.title
