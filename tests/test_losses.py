import math

import pytest
import torch

from krocr.model.focal_ctc import FocalCTCLoss, required_frames


def batch(seed=0, n=4, t=20, c=12):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, t, c, generator=g, requires_grad=True)
    lengths = torch.tensor([3, 5, 1, 7])[:n]
    targets = torch.randint(1, c, (int(lengths.sum()),), generator=g)
    return logits, targets, lengths


def test_alpha1_gamma0_equals_torch_ctc():
    logits, targets, lengths = batch()
    ours = FocalCTCLoss(1.0, 0.0)(logits, targets, lengths)
    expected = torch.nn.CTCLoss(blank=0, reduction="none")(
        logits.log_softmax(-1).transpose(0, 1), targets, torch.full((4,), 20), lengths
    )
    torch.testing.assert_close(ours.per_sample, expected)
    torch.testing.assert_close(ours.loss, expected.mean())


@pytest.mark.parametrize("alpha, gamma", [(0.75, 0.5), (0.25, 1.0), (1.0, 2.0)])
def test_focal_scaling_follows_the_formula(alpha, gamma):
    logits, targets, lengths = batch(seed=1)
    ctc = FocalCTCLoss()(logits, targets, lengths).per_sample
    focal = FocalCTCLoss(alpha, gamma)(logits, targets, lengths).per_sample
    expected = alpha * (1 - torch.exp(-ctc)) ** gamma * ctc
    torch.testing.assert_close(focal, expected)
    assert (focal <= ctc).all()  # α ≤ 1 and (1 − p)^γ ≤ 1 only shrink


def test_gradients_match_autograd_of_formula():
    logits, targets, lengths = batch(seed=2)
    FocalCTCLoss(0.75, 0.5)(logits, targets, lengths).loss.backward()
    ours = logits.grad.clone()
    logits.grad = None
    ctc = torch.nn.functional.ctc_loss(
        logits.log_softmax(-1).transpose(0, 1), targets, torch.full((4,), 20), lengths, reduction="none"
    )
    (0.75 * (1 - torch.exp(-ctc)) ** 0.5 * ctc).mean().backward()
    torch.testing.assert_close(ours, logits.grad)


def test_unalignable_label_is_counted_not_nan():
    t = 5
    logits = torch.randn(3, t, 6, requires_grad=True)
    # 'aab' needs 4 frames (fits); 6 distinct tokens need 6 (too long); 'aaa' needs 5 (fits)
    targets = torch.tensor([1, 1, 2, 1, 2, 3, 4, 5, 1, 3, 3, 3])
    lengths = torch.tensor([3, 6, 3])
    out = FocalCTCLoss(0.75, 0.5)(logits, targets, lengths)
    assert out.unalignable == 1
    assert out.per_sample[1] == 0
    assert math.isfinite(out.loss.item())
    out.loss.backward()
    assert torch.isfinite(logits.grad).all()
    assert logits.grad[1].abs().sum() == 0


def test_all_unalignable_gives_zero_loss_with_graph():
    logits = torch.randn(1, 2, 6, requires_grad=True)
    out = FocalCTCLoss()(logits, torch.tensor([1, 2, 3]), torch.tensor([3]))
    assert out.unalignable == 1 and out.loss.item() == 0.0
    out.loss.backward()


def test_required_frames_counts_repeats():
    targets = torch.tensor([1, 1, 2, 3, 3, 3, 4])
    assert required_frames(targets, torch.tensor([3, 4])).tolist() == [4, 6]


def test_perfect_prediction_has_finite_gradient():
    # p → 1 makes (1 − p)^(γ − 1) blow up without the clamp
    logits = torch.full((1, 4, 3), -50.0)
    logits[0, [0, 2], 1] = 50.0
    logits[0, [1, 3], 0] = 50.0
    logits.requires_grad_(True)
    out = FocalCTCLoss(1.0, 0.5)(logits, torch.tensor([1, 1]), torch.tensor([2]))
    out.loss.backward()
    assert torch.isfinite(logits.grad).all()


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="alpha"):
        FocalCTCLoss(alpha=0)
