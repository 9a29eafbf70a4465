"""The CRNN recognizer: a VGG-style CNN, two bidirectional RNNs and a linear classifier.

Layer names follow the reference Keras model (conv1_1 … conv6_1, lstm1, lstm2, dense1) so
that freezing by name and weight transfer read like the reference recipe.

For an input of height 32 and width W the output has W/4 − 2 frames (62 for W = 256, the
reference's max_string_len). The network is width-agnostic: wider inputs give more frames.
``input_height`` 48 or 64 (not in the reference) keeps every layer and takes the maximum over
the 2 or 3 rows conv6_1 leaves, so thin strokes reach the network at more pixels.

``variant="reference"`` reproduces the reference sizes (8.75 M parameters with the
87-symbol alphabet); ``variant="slim"`` halves every conv width (a quarter of the conv
FLOPs) and uses 128 RNN units, for fast training and inference on CPUs.
"""

from __future__ import annotations

import torch
from torch import nn

from krocr.model.config import CONV_LAYERS, WIDTH_FACTOR, CRNNConfig, min_input_width


class _ConvBlock(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, padding: int, batch_norm: bool, act: nn.Module):
        layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, padding=padding)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(act)
        super().__init__(*layers)

    @property
    def conv(self) -> nn.Conv2d:
        """The block's convolution (its first layer)."""
        conv = self[0]
        assert isinstance(conv, nn.Conv2d)
        return conv


class _BiRNN(nn.Module):
    """Dropout on the input, then one bidirectional LSTM/GRU layer (batch-first)."""

    def __init__(self, kind: str, c_in: int, units: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        rnn_class = nn.LSTM if kind == "lstm" else nn.GRU
        self.rnn = rnn_class(c_in, units, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.dropout(x))
        return out


class CRNN(nn.Module):
    """Input (N, 1, H, W) in [-1, 1], H = ``config.input_height`` → logits (N, W/4 − 2, num_classes);
    class 0 = blank."""

    def __init__(self, config: CRNNConfig):
        super().__init__()
        self.config = config
        channels = {name: int(c * WIDTH_FACTOR[config.variant]) for name, c, _ in CONV_LAYERS}
        batch_norm = {name: bn for name, _, bn in CONV_LAYERS}

        def act() -> nn.Module:
            if config.activation == "leaky_relu":
                return nn.LeakyReLU(config.leaky_slope, inplace=True)
            return nn.ReLU(inplace=True)

        def block(name: str, c_in: int, kernel: int = 3, padding: int = 1) -> _ConvBlock:
            return _ConvBlock(c_in, channels[name], kernel, padding, batch_norm[name], act())

        self.conv1_1 = block("conv1_1", 1)
        self.pool1 = nn.MaxPool2d(2, 2)  # 32×256 → 16×128
        self.conv2_1 = block("conv2_1", channels["conv1_1"])
        self.pool2 = nn.MaxPool2d(2, 2)  # → 8×64
        self.conv3_1 = block("conv3_1", channels["conv2_1"])
        self.conv3_2 = block("conv3_2", channels["conv3_1"])
        # Keras MaxPool2D(2, strides=(1, 2), padding="same") on W×H: halve height only.
        self.pool3 = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 0)), nn.MaxPool2d((2, 2), stride=(2, 1)))  # → 4×64
        self.conv4_1 = block("conv4_1", channels["conv3_2"])
        self.conv5_1 = block("conv5_1", channels["conv4_1"])
        self.pool5 = nn.MaxPool2d((2, 2), stride=(2, 1))  # valid: → 2×63
        self.conv6_1 = block("conv6_1", channels["conv5_1"], kernel=2, padding=0)  # → 1×62
        units = config.units
        self.lstm1 = _BiRNN(config.rnn, channels["conv6_1"], units, config.rnn_dropout)
        self.lstm2 = _BiRNN(config.rnn, 2 * units, units, config.rnn_dropout)
        self.dense1 = nn.Linear(2 * units, config.num_classes)
        # channels-last (NHWC) is the fast layout for oneDNN's and cuDNN's convs and pools
        # (benchmarks/model_speed.py); forward brings its input into the weights' layout
        # Module.to accepts memory_format at run time; torch's overloads of Module.to omit it
        self.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def features(self, images: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.conv1_1(images))
        x = self.pool2(self.conv2_1(x))
        x = self.pool3(self.conv3_2(self.conv3_1(x)))
        x = self.pool5(self.conv5_1(self.conv4_1(x)))
        x = self.conv6_1(x)  # (N, C, 1, T) at 32 px; 2 or 3 rows at 48 or 64
        x = x.squeeze(2) if self.config.input_height == 32 else x.amax(dim=2)
        return x.transpose(1, 2)  # (N, T, C)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        height = self.config.input_height
        if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != height:
            raise ValueError(f"CRNN expects images of shape (N, 1, {height}, W), got {tuple(images.shape)}")
        if images.shape[3] < min_input_width(1):
            raise ValueError(f"CRNN needs input width ≥ {min_input_width(1)}, got {images.shape[3]}")
        x = self.features(images.contiguous(memory_format=self.memory_format))
        x = self.lstm2(self.lstm1(x))
        return self.dense1(x)

    @property
    def memory_format(self) -> torch.memory_format:
        """The conv weights' layout (read from conv2_1: conv1_1's single input channel fits both)."""
        channels_last = self.conv2_1.conv.weight.is_contiguous(memory_format=torch.channels_last)
        return torch.channels_last if channels_last else torch.contiguous_format

    def named_layers(self) -> list[str]:
        """Top-level layer names usable in freeze lists."""
        return [name for name, _ in self.named_children() if not name.startswith("pool")]
