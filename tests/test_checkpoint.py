import pickle

import pytest
import torch

from krocr.charset import Charset, alphabet87, korean_charset
from krocr.errors import CheckpointError
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.preprocess import PreprocessConfig
from krocr.model.weights import load_weights, read_metadata, save_weights


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
