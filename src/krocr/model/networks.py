"""The recognizer networks krocr builds, by architecture: the reference CRNN and the SVTR-style
model. Everything that builds a network from a config or a weights file goes through here."""

from __future__ import annotations

from krocr.model.config import CRNNConfig, ModelConfig, SVTRConfig
from krocr.model.crnn import CRNN
from krocr.model.svtr import SVTR

Network = CRNN | SVTR


def build_network(config: ModelConfig) -> Network:
    """A fresh network of the architecture ``config`` describes.

    Args:
        config: a :class:`CRNNConfig` or :class:`SVTRConfig`.

    Returns:
        The untrained ``nn.Module``.
    """
    if isinstance(config, SVTRConfig):
        return SVTR(config)
    assert isinstance(config, CRNNConfig)
    return CRNN(config)
