"""Guided training of CTC (GTC, issue #28): a training-only attention decoder on the SVTR's
backbone features.

PaddleOCR's PP-OCRv3+ recognizers train a second head beside the CTC one: an NRTR-style
transformer decoder that reads the label token by token (teacher forcing) while attending
to the backbone's sequence. Its cross-entropy teaches the backbone features a left-to-right
language of their own, which the CTC head then reads (+1.8 points there); the decoder is
dropped after training, so reading costs nothing more. Here it belongs to the training
system (:class:`~krocr.training.system.RecognizerModule`), never to the model: a weights file
holds the CTC model only.

Tokens are the CTC charset's indices 1 … K−1; class 0 (CTC's blank) ends a label here, and
index K starts one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

IGNORE = -100  # cross-entropy's ignore_index: positions after a label's end


def sinusoid(length: int, dim: int, device: torch.device) -> torch.Tensor:
    """The transformer's fixed sine/cosine position table, (length, dim)."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


def padded_labels(targets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """CTC's concatenated targets as rows (N, max length), zero after each label's end."""
    longest = int(lengths.max()) if len(lengths) else 0
    inside = torch.arange(longest, device=targets.device)[None, :] < lengths[:, None]
    rows = torch.zeros(len(lengths), longest, dtype=targets.dtype, device=targets.device)
    rows[inside] = targets  # row-major fill: the order CTC concatenates labels in
    return rows


class AttentionGuide(nn.Module):
    """A small transformer decoder over a feature sequence, trained by teacher forcing.

    Args:
        feature_dim: channels of the features it attends to (the SVTR's last stage).
        num_classes: the CTC charset's size K (blank included).
        dim: the decoder's width.
        layers: decoder layers.
        heads: attention heads (``dim`` must divide by it).
    """

    def __init__(self, feature_dim: int, num_classes: int, dim: int = 256, layers: int = 2, heads: int = 8):
        super().__init__()
        self.start = num_classes
        self.dim = dim
        self.memory = nn.Linear(feature_dim, dim)
        self.embed = nn.Embedding(num_classes + 1, dim)
        layer = nn.TransformerDecoderLayer(dim, heads, 2 * dim, dropout=0.1, batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, layers)
        self.out = nn.Linear(dim, num_classes)

    def forward(self, features: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the next token over every label position and its end.

        Args:
            features: (N, T, feature_dim), the backbone's sequence.
            targets: the labels' tokens concatenated (CTC's layout).
            lengths: (N,) tokens per label.

        Returns:
            The loss, a scalar (label smoothing 0.1, as NRTR).
        """
        labels = padded_labels(targets, lengths)
        batch, longest = labels.shape
        start = torch.full((batch, 1), self.start, dtype=labels.dtype, device=labels.device)
        inputs = torch.cat([start, labels], dim=1)  # (N, L+1): start, then the label
        wanted = torch.cat([labels, torch.zeros_like(start)], dim=1)  # the label, then its end (0)
        wanted[torch.arange(longest + 1, device=labels.device)[None, :] > lengths[:, None]] = IGNORE
        memory = self.memory(features) + sinusoid(features.shape[1], self.dim, features.device)
        queries = self.embed(inputs) * math.sqrt(self.dim) + sinusoid(longest + 1, self.dim, features.device)
        causal = nn.Transformer.generate_square_subsequent_mask(longest + 1, device=features.device)
        decoded = self.decoder(queries, memory, tgt_mask=causal, tgt_is_causal=True)
        logits = self.out(decoded).float()
        return F.cross_entropy(logits.flatten(0, 1), wanted.flatten(), ignore_index=IGNORE, label_smoothing=0.1)
