"""benchmarks/train_speed.py: its FLOP count sees the fused LSTM and attention, and one
guided variant trains a few tiny steps through the real training step."""

import pytest
import torch
import torch.nn.functional as F
from benchmark_modules import load_benchmark
from torch import nn

train_speed = load_benchmark("train_speed")


class _SequenceNet(nn.Module):
    """A 1×8 image as 4 frames of 2 values → bidirectional LSTM (3 units) → self-attention."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(2, 3, batch_first=True, bidirectional=True)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        frames, _ = self.rnn(images.reshape(1, 4, 2))
        q = frames.unsqueeze(1)  # (1, 1 head, 4 frames, 6)
        return F.scaled_dot_product_attention(q, q, q)


def test_counts_lstm_and_attention_flops():
    # per direction and frame: 4 gates × 3 units from 2 inputs and 3 hidden values, 2 FLOPs a multiply-add
    lstm = 2 * 4 * (2 * 4 * 3 * (2 + 3))
    attention = 2 * (2 * 4 * 6 * 4)  # q·kᵀ and scores·v
    assert train_speed.forward_gflops(_SequenceNet(), height=1, width=8) == pytest.approx((lstm + attention) / 1e9)


def test_defaults_are_learning_budget_variants():
    assert set(train_speed.DEFAULT_VARIANTS) <= set(train_speed.VARIANTS)


def test_guided_variant_trains_and_reports_its_guide():
    row = train_speed.measure("ko-svtr-32-gtc", torch.device("cpu"), batch_size=2, seconds=0.01)
    assert row.height == 32 and row.guide_params > 0 and row.gflops > 0 and row.samples_per_second > 0
    table = train_speed.table([row], threads=1)
    assert "| ko-svtr-32-gtc | 32×256 |" in table and "+ guide" in table and table.endswith(" 1 |")
