"""Learning-rate schedules: the factor of the base learning rate at each optimizer step.

``optim.schedule`` picks one: Keras' ``time_decay`` (the reference's), ``constant``, ``cosine``
with linear warm-up, or ``one_cycle`` (torch's OneCycleLR shape, cosine annealing both ways).
:class:`~krocr.training.system.RecognizerModule` steps it per batch through ``LambdaLR``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from krocr.config import OptimOptions

# torch.optim.lr_scheduler.OneCycleLR's defaults: pct_start, div_factor, final_div_factor
ONE_CYCLE_RISE, ONE_CYCLE_START, ONE_CYCLE_END = 0.3, 1 / 25, 1 / 25 / 1e4


def steps_per_epoch(batches: int, limit: int | float) -> int:
    """Optimizer steps in an epoch of ``batches`` under Lightning's ``limit_train_batches``
    (a float: a fraction of the batches; an int: a count), as Lightning counts them."""
    if isinstance(limit, float):
        return max(1, int(batches * limit))
    return max(1, min(batches, limit))


def learning_rate_factor(options: OptimOptions, total_steps: int) -> Callable[[int], float]:
    """Multiplier of the base learning rate at optimizer step ``step`` (0 for the first).

    time_decay is Keras' lr / (1 + decay · iterations), iterations = updates done so far;
    cosine and one_cycle span ``total_steps`` and stay at their final value after it (a run
    that goes on never fails, unlike torch's OneCycleLR)."""
    if options.schedule == "time_decay":
        return lambda step: 1.0 / (1.0 + options.decay * step)
    if options.schedule == "constant":
        return lambda step: 1.0
    if options.schedule == "cosine":
        return partial(_cosine_factor, warmup=options.warmup_steps, total=total_steps)
    return partial(_one_cycle_factor, total=total_steps)


def _cosine_between(start: float, end: float, progress: float) -> float:
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))


def _cosine_factor(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return _cosine_between(1.0, 0.0, (step - warmup) / max(total - warmup, 1))


def _one_cycle_factor(step: int, total: int) -> float:
    peak = ONE_CYCLE_RISE * total
    if step < peak:
        return _cosine_between(ONE_CYCLE_START, 1.0, step / peak)
    return _cosine_between(1.0, ONE_CYCLE_END, (step - peak) / max(total - peak, 1))
