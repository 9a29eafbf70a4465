import pickle

import pytest
import torch

from krocr.charset import Charset, alphabet87, korean_charset
from krocr.errors import CheckpointError
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.preprocess import PreprocessConfig
from krocr.model.weights import average_weights, load_weights, read_metadata, save_weights


def small_model(charset: Charset, variant="slim") -> CRNN:
    torch.manual_seed(0)
    return CRNN(CRNNConfig(num_classes=charset.num_classes, variant=variant, activation="leaky_relu"))


def test_round_trip_restores_model_charset_and_preprocessing(tmp_path):
    cs = korean_charset(tokenizer="jamo")
    model = small_model(cs).eval()
    pre = PreprocessConfig(width_mode="natural")
    save_weights(tmp_path / "m.safetensors", model, cs, pre, info={"command": "test"})
    bundle = load_weights(tmp_path / "m.safetensors")
    assert bundle.charset == cs and bundle.charset.tokenizer == "jamo"
    assert bundle.preprocess == pre and bundle.info == {"command": "test"}
    assert bundle.model.config == model.config
    x = torch.randn(2, 1, 32, 256)
    with torch.no_grad():
        torch.testing.assert_close(bundle.model(x), model(x))


def test_half_precision_file_is_smaller_and_close(tmp_path):
    cs = alphabet87()
    model = small_model(cs).eval()
    save_weights(tmp_path / "f32.safetensors", model, cs, PreprocessConfig())
    save_weights(tmp_path / "f16.safetensors", model, cs, PreprocessConfig(), half=True)
    assert (tmp_path / "f16.safetensors").stat().st_size < 0.55 * (tmp_path / "f32.safetensors").stat().st_size
    x = torch.randn(1, 1, 32, 256)
    with torch.no_grad():
        torch.testing.assert_close(load_weights(tmp_path / "f16.safetensors").model(x), model(x), atol=2e-2, rtol=0)


def test_pickle_in_place_of_weights_is_refused(tmp_path):
    class Boom:
        def __reduce__(self):
            return (print, ("unpickled!",))

    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(CheckpointError, match="evil.safetensors: not a safetensors"):
        load_weights(path)


def test_missing_file_and_foreign_safetensors(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_weights(tmp_path / "none.safetensors")
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(CheckpointError, match="not a krocr weights file"):
        read_metadata(tmp_path / "other.safetensors")


def test_weights_of_another_architecture_are_named(tmp_path):
    cs = alphabet87()
    save_weights(tmp_path / "slim.safetensors", small_model(cs), cs, PreprocessConfig())
    from safetensors.torch import load_file

    from krocr.model.weights import load_state_checked

    reference = CRNN(CRNNConfig(num_classes=cs.num_classes, variant="reference"))
    with pytest.raises(CheckpointError, match=r"slim.safetensors: weights do not fit.*conv1_1\.0\.weight"):
        load_state_checked(reference, load_file(str(tmp_path / "slim.safetensors")), str(tmp_path / "slim.safetensors"))


def test_charset_model_mismatch_refused_at_save(tmp_path):
    with pytest.raises(CheckpointError, match="classes"):
        save_weights(tmp_path / "x.safetensors", small_model(alphabet87()), korean_charset(), PreprocessConfig())


def test_averaged_weights_are_the_mean_of_each_tensor(tmp_path):
    cs = alphabet87()
    models = [small_model(cs) for _ in range(2)]
    with torch.no_grad():
        for tensor in models[1].state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(1.0)  # every float tensor of the second file is the first's + 1
    for i, model in enumerate(models):
        info = {"command": f"run {i}", "calibration": {"temperature": 1.3}}
        save_weights(tmp_path / f"{i}.safetensors", model, cs, PreprocessConfig(), info=info)
    averaged = average_weights([tmp_path / "0.safetensors", tmp_path / "1.safetensors"])
    for name, tensor in averaged.model.state_dict().items():
        first = models[0].state_dict()[name]
        expected = first + 0.5 if first.is_floating_point() else first
        torch.testing.assert_close(tensor, expected, msg=name)
    assert averaged.info == {
        "averaged_from": [
            {"weights": str(tmp_path / f"{i}.safetensors"), "info": {"command": f"run {i}"}} for i in (0, 1)
        ]
    }


def test_only_like_weights_average(tmp_path):
    save_weights(tmp_path / "a.safetensors", small_model(alphabet87()), alphabet87(), PreprocessConfig())
    other = korean_charset()
    save_weights(tmp_path / "b.safetensors", small_model(other), other, PreprocessConfig())
    save_weights(
        tmp_path / "c.safetensors", small_model(alphabet87()), alphabet87(), PreprocessConfig(width_mode="natural")
    )
    with pytest.raises(CheckpointError, match="b.safetensors: its architecture differs"):
        average_weights([tmp_path / "a.safetensors", tmp_path / "b.safetensors"])
    with pytest.raises(CheckpointError, match="c.safetensors: its preprocessing differs"):
        average_weights([tmp_path / "a.safetensors", tmp_path / "c.safetensors"])
    with pytest.raises(CheckpointError, match="two or more"):
        average_weights([tmp_path / "a.safetensors"])
