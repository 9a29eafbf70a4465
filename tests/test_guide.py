"""The training-only attention guide (GTC, issue #28): its targets, that it learns, that it
trains the SVTR's backbone (alone with detach_ctc) and that weights files never hold it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from test_svtr import CHARSET, SMALL

from krocr.config import GuideOptions, LossOptions, OptimOptions, load_config
from krocr.data.dataset import Batch
from krocr.errors import ConfigError
from krocr.model.guide import AttentionGuide, padded_labels
from krocr.model.svtr import SVTR
from krocr.model.weights import load_weights
from krocr.training.system import RecognizerModule

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
WORDS = ["가나", "ab", "다c", "나"]


def _batch() -> Batch:
    targets = torch.tensor([i for w in WORDS for i in CHARSET.encode(w)])
    lengths = torch.tensor([len(CHARSET.encode(w)) for w in WORDS])
    return Batch(images=torch.rand(4, 1, 48, 96) * 2 - 1, targets=targets, target_lengths=lengths, texts=WORDS)


def test_concatenated_labels_become_zero_padded_rows():
    rows = padded_labels(torch.tensor([5, 6, 7, 8, 9]), torch.tensor([2, 3]))
    assert rows.tolist() == [[5, 6, 0], [7, 8, 9]]


def test_the_guide_learns_to_read_a_fixed_batch():
    torch.manual_seed(0)
    batch = _batch()
    features = torch.randn(4, 24, 16)
    guide = AttentionGuide(16, CHARSET.num_classes, dim=32, layers=1, heads=4)
    optimizer = torch.optim.Adam(guide.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss = guide(features, batch.targets, batch.target_lengths)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def _stem_gradients(detach_ctc: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The backbone's first gradient from a whole training step, and from the guide's part alone."""
    options = GuideOptions(weight=0.5, layers=1, dim=32, heads=4, detach_ctc=detach_ctc)
    grads = []
    for whole in (True, False):
        torch.manual_seed(0)
        module = RecognizerModule(SVTR(SMALL), CHARSET, LossOptions(), OptimOptions(), options).eval()  # no dropout
        module.log = lambda *args, **kwargs: None  # no trainer attached
        batch = _batch()
        if whole:
            loss = module.training_step(batch, 0)
        else:
            loss = 0.5 * module.guide(module.model.features(batch.images), batch.targets, batch.target_lengths)
        loss.backward()
        grads.append(module.model.stem[0].weight.grad.clone())
    return grads[0], grads[1]


def test_with_detach_ctc_only_the_guide_trains_the_backbone():
    whole, guide_only = _stem_gradients(detach_ctc=True)
    assert whole.norm() > 0 and torch.allclose(whole, guide_only, atol=1e-6)
    whole, guide_only = _stem_gradients(detach_ctc=False)
    assert not torch.allclose(whole, guide_only, atol=1e-6)  # CTC trains the backbone too


def test_a_guided_run_writes_weights_without_the_guide(tmp_path):
    from fixtures.tiny_crops import write_tiny_crops

    from krocr.training.run import train

    data = write_tiny_crops(tmp_path / "data", seed=0, symbols="abcde")
    config = load_config(
        CONFIGS / "tiny_svtr.yaml", [f"data.dirs=[{data}]", "guide.weight=0.5", "guide.dim=32", "guide.heads=4"]
    )
    train(config, tmp_path / "run")
    bundle = load_weights(tmp_path / "run" / "best.safetensors")
    assert isinstance(bundle.model, SVTR)
    assert not any(name.startswith("guide") for name in load_file(str(tmp_path / "run" / "best.safetensors")))
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert any(k.startswith("guide.") for k in state)  # resumable: the guide is in the checkpoint


def test_a_guide_for_the_crnn_or_detach_without_a_guide_is_refused():
    with pytest.raises(ConfigError, match="guide.weight: the attention guide trains the SVTR's backbone"):
        load_config(CONFIGS / "tiny.yaml", ["guide.weight=1.0"])
    with pytest.raises(ConfigError, match="guide.detach_ctc: needs a guide"):
        load_config(CONFIGS / "tiny_svtr.yaml", ["guide.detach_ctc=true"])
