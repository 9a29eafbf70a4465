"""What a run is built from, read off its config: the charset, the model (with pretrained
weights loaded and layers frozen), the preprocessing and Lightning's precision.
"""

from __future__ import annotations

import torch

from krocr.charset import Charset, resolve_charset
from krocr.config import CharsetOptions, ExperimentConfig, ModelOptions, TransferOptions
from krocr.hardware import bf16_is_native, warn_if_bf16_is_emulated
from krocr.model.config import CRNNConfig, ModelConfig, SVTRConfig
from krocr.model.networks import Network, build_network
from krocr.model.preprocess import PreprocessConfig
from krocr.model.transfer import (
    LayerTable,
    TransferReport,
    freeze_layers,
    load_pretrained,
)


def build_charset(options: CharsetOptions) -> Charset:
    """The named charset with the configured tokenizer (and an unknown token for oov=unknown)."""
    base = resolve_charset(options.name)
    return Charset(base.symbols, unknown=options.oov == "unknown", tokenizer=options.tokenizer)


def model_config(options: ModelOptions, charset: Charset) -> ModelConfig:
    """The architecture a config's ``model:`` section describes, with one output per class of ``charset``."""
    if options.arch == "svtr":
        return SVTRConfig(
            num_classes=charset.num_classes,
            input_height=options.height,
            channels=options.channels,
            blocks=options.blocks,
            dim=options.dim,
            depth=options.depth,
            heads=options.heads,
            dropout=options.dropout,
        )
    return CRNNConfig(
        num_classes=charset.num_classes,
        variant=options.variant,
        activation=options.activation,
        leaky_slope=options.leaky_slope,
        rnn=options.rnn,
        rnn_units=options.rnn_units,
        rnn_dropout=options.rnn_dropout,
        input_height=options.height,
    )


def build_model(options: ModelOptions, charset: Charset) -> Network:
    """A fresh network of the configured architecture with one output per class of ``charset``."""
    return build_network(model_config(options, charset))


def prepare_weights(model: Network, options: TransferOptions, charset: Charset) -> LayerTable:
    """Load the pretrained weights (if any), freeze the listed layers, describe the result."""
    if options.pretrained:
        report = load_pretrained(model, options.pretrained, charset, options.widen_rnn)
    else:
        report = TransferReport.from_scratch(model)
    freeze_layers(model, options.freeze)
    return LayerTable.describe(model, report)


def resolve_precision(setting: str) -> str:
    """Lightning's precision for ``auto`` / ``bf16`` / ``fp32``: auto is bf16 mixed precision
    where the hardware computes bf16 natively, else fp32."""
    if setting == "fp32":
        return "32-true"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if setting == "bf16":
        warn_if_bf16_is_emulated(device, "train.precision")  # points at resolve_precision's caller
        return "bf16-mixed"
    return "bf16-mixed" if bf16_is_native(device) else "32-true"


def preprocess_config(config: ExperimentConfig) -> PreprocessConfig:
    """How a run's crops become model input (saved into its weights for reading)."""
    return PreprocessConfig(
        height=config.model.height,
        width=config.data.width,
        width_mode=config.data.width_mode,
        max_width=config.data.max_width,
    )
