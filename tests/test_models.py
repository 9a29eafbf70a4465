import pytest
import torch

from krocr.charset import alphabet87, korean_charset
from krocr.errors import ConfigError
from krocr.model.config import min_input_width, output_length
from krocr.model.crnn import CRNN, CRNNConfig


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_reference_parameter_count_matches_keras_model():
    # Keras reports 8,747,351 with 87 classes (its blank was '_'). Differences, all known:
    # one more class here (+513), PyTorch LSTMs carry two bias vectors (+2 × 2 × 4 × 256),
    # and BN running statistics are buffers, not parameters (−2 × 2 × 512).
    model = CRNN(CRNNConfig(num_classes=alphabet87().num_classes))
    assert n_params(model) == 8_747_351 + 513 + 4096 - 2048


def test_layer_names_follow_the_reference():
    model = CRNN(CRNNConfig(num_classes=10))
    assert model.named_layers() == [
        "conv1_1",
        "conv2_1",
        "conv3_1",
        "conv3_2",
        "conv4_1",
        "conv5_1",
        "conv6_1",
        "lstm1",
        "lstm2",
        "dense1",
    ]


@pytest.mark.parametrize("variant", ["reference", "slim"])
def test_output_shape_and_sequence_length(variant):
    model = CRNN(CRNNConfig(num_classes=30, variant=variant))
    out = model(torch.zeros(3, 1, 32, 256))
    assert out.shape == (3, 62, 30)
    assert output_length(256) == 62  # the reference's max_string_len fits
    wide = model(torch.zeros(1, 1, 32, 1024))
    assert wide.shape == (1, output_length(1024), 30) == (1, 254, 30)


def test_slim_has_about_a_quarter_of_the_conv_flops():
    def conv_macs(model):
        total = 0
        hooks = []

        def hook(module, inp, out):
            nonlocal total
            total += out.numel() * module.in_channels * module.kernel_size[0] * module.kernel_size[1]

        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):
                hooks.append(m.register_forward_hook(hook))
        model(torch.zeros(1, 1, 32, 256))
        return total

    ratio = conv_macs(CRNN(CRNNConfig(10, variant="slim"))) / conv_macs(CRNN(CRNNConfig(10)))
    assert 0.24 < ratio < 0.27


def test_korean_leaky_gru_options():
    cfg = CRNNConfig(num_classes=korean_charset().num_classes, activation="leaky_relu", rnn="gru", rnn_dropout=0.1)
    model = CRNN(cfg)
    assert isinstance(model.conv1_1[-1], torch.nn.LeakyReLU) and model.conv1_1[-1].negative_slope == 0.05
    assert isinstance(model.lstm1.rnn, torch.nn.GRU)
    assert model(torch.zeros(2, 1, 32, 128)).shape == (2, 30, cfg.num_classes)


def test_bad_inputs_give_clear_errors():
    model = CRNN(CRNNConfig(num_classes=5))
    with pytest.raises(ValueError, match=r"\(N, 1, 32, W\)"):
        model(torch.zeros(1, 3, 32, 256))
    with pytest.raises(ValueError, match="width"):
        model(torch.zeros(1, 1, 32, min_input_width(1) - 4))
    with pytest.raises(ConfigError, match="variant"):
        CRNNConfig(num_classes=5, variant="huge")
    with pytest.raises(ConfigError, match="unknown model config keys"):
        CRNNConfig.from_dict({"num_classes": 5, "depth": 3})


def test_config_round_trip():
    cfg = CRNNConfig(num_classes=12, variant="slim", activation="leaky_relu", rnn_dropout=0.1)
    assert CRNNConfig.from_dict(cfg.to_dict()) == cfg


def test_channels_last_by_default_and_both_layouts_give_the_same_logits():
    torch.manual_seed(0)
    model = CRNN(CRNNConfig(num_classes=20, variant="slim", rnn_units=16)).eval()
    assert model.memory_format == torch.channels_last
    images = torch.rand(2, 1, 32, 64) * 2 - 1
    with torch.no_grad():
        channels_last = model(images)
        model.to(memory_format=torch.contiguous_format)
        assert model.memory_format == torch.contiguous_format
        torch.testing.assert_close(model(images), channels_last, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("height", [48, 64])
def test_a_taller_crnn_keeps_every_weight_and_the_frame_count(height):
    short = CRNN(CRNNConfig(num_classes=20, variant="slim"))
    tall = CRNN(CRNNConfig(num_classes=20, variant="slim", input_height=height))
    tall.load_state_dict(short.state_dict())  # strict: the same names and shapes
    assert tall(torch.zeros(2, 1, height, 256)).shape == short(torch.zeros(2, 1, 32, 256)).shape == (2, 62, 20)
    with pytest.raises(ValueError, match=rf"\(N, 1, {height}, W\)"):
        tall(torch.zeros(1, 1, 32, 256))


def test_a_taller_crnn_takes_the_strongest_row_of_conv6_1():
    torch.manual_seed(0)
    model = CRNN(CRNNConfig(num_classes=20, variant="slim", rnn_units=16, input_height=48)).eval()
    images = torch.rand(1, 1, 48, 64) * 2 - 1
    rows = model.conv6_1(
        model.pool5(
            model.conv5_1(
                model.conv4_1(
                    model.pool3(
                        model.conv3_2(model.conv3_1(model.pool2(model.conv2_1(model.pool1(model.conv1_1(images))))))
                    )
                )
            )
        )
    )
    assert rows.shape[2] == 2  # 48 → 24 → 12 → 6 → 3 → 2 rows
    torch.testing.assert_close(model.features(images), rows.amax(dim=2).transpose(1, 2))


def test_crnn_heights_outside_the_layout_are_refused():
    with pytest.raises(ConfigError, match=r"input_height must be one of \(32, 48, 64\)"):
        CRNNConfig(num_classes=5, input_height=40)
