import io

import lightning.pytorch as pl
import pytest
import torch
from fixtures.progress import FakeClock
from lightning.pytorch.callbacks import RichProgressBar
from torch.utils.data import DataLoader

from krocr.training.progress import LogLineProgress, progress_bar


class _Line(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        loss = self.layer(batch).pow(2).mean()
        self.log("loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        self.log("val_loss", self.layer(batch).pow(2).mean())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _fit(progress: LogLineProgress, tmp_path) -> None:
    data = DataLoader(torch.randn(12, 2), batch_size=4)  # 3 batches of 4 samples
    trainer = pl.Trainer(
        max_epochs=2,
        callbacks=[progress],
        logger=False,
        enable_checkpointing=False,
        default_root_dir=tmp_path,
        enable_model_summary=False,
    )
    trainer.fit(_Line(), data, data)


def test_log_lines_report_position_speed_and_metrics(tmp_path):
    stream = io.StringIO()
    _fit(LogLineProgress(interval_s=0, stream=stream), tmp_path)
    lines = stream.getvalue().splitlines()
    batch_lines = [line for line in lines if "batches" in line]
    assert len(batch_lines) == 6  # every batch of both epochs at interval 0
    assert batch_lines[0].startswith("epoch 0/1 · 1/3 batches (33 %)")  # counted from 0, as the rich bar does
    assert "left in the run (1 more epoch)" in batch_lines[0]
    assert batch_lines[-1].startswith("epoch 1/1 · 3/3 batches (100 %), 0 s left in the epoch, the last epoch")
    assert all("samples/s" in line and " loss " in line for line in batch_lines)
    validated = [line for line in lines if "validated" in line]
    assert [line.split(" · ")[0] for line in validated] == ["epoch 0/1", "epoch 1/1"]  # no line for the sanity check
    assert all("val_loss" in line for line in validated)


def test_log_lines_wait_for_the_interval(tmp_path):
    stream = io.StringIO()
    _fit(LogLineProgress(interval_s=3600, stream=stream), tmp_path)
    assert not [line for line in stream.getvalue().splitlines() if "batches" in line]


def test_terminal_gets_the_rich_bar(monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert isinstance(progress_bar(), RichProgressBar)
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert isinstance(progress_bar(), LogLineProgress)


class _TimedLine(_Line):
    """Moves the fake clock: each training batch takes 1 s, each validation batch 100 s."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        self.clock.now += 1.0
        return super().training_step(batch, batch_idx)

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        self.clock.now += 100.0
        super().validation_step(batch, batch_idx)


def test_speed_leaves_out_validation_inside_the_epoch(tmp_path, fake_clock):
    stream = io.StringIO()
    data = DataLoader(torch.randn(12, 2), batch_size=4)  # 3 batches of 4 samples, 1 s each
    trainer = pl.Trainer(
        max_epochs=1,
        val_check_interval=2,
        num_sanity_val_steps=0,
        logger=False,
        callbacks=[LogLineProgress(interval_s=0, stream=stream)],
        enable_checkpointing=False,
        default_root_dir=tmp_path,
        enable_model_summary=False,
    )
    trainer.fit(_TimedLine(fake_clock), data, data)  # validates (300 s) after batch 2
    last = [line for line in stream.getvalue().splitlines() if "batches" in line][-1]
    assert last.startswith("epoch 0/0 · 3/3 batches (100 %), 0 s left in the epoch, the last epoch · 4 samples/s")


def test_log_lines_say_how_many_epochs_are_left_and_how_long_the_run_has_to_go(tmp_path, fake_clock):
    """Training batches take 1 s, validation 100 s: during the first epoch the run's time left
    is projected from its training speed; from the second on, from the finished epochs' length
    (training, validation and checkpoints)."""
    stream = io.StringIO()
    train_data = DataLoader(torch.randn(12, 2), batch_size=4)  # 3 batches of 1 s
    val_data = DataLoader(torch.randn(4, 2), batch_size=4)  # 1 batch of 100 s
    trainer = pl.Trainer(
        max_epochs=3,
        num_sanity_val_steps=0,
        logger=False,
        callbacks=[LogLineProgress(interval_s=0, stream=stream)],
        enable_checkpointing=False,
        default_root_dir=tmp_path,
        enable_model_summary=False,
    )
    trainer.fit(_TimedLine(fake_clock), train_data, val_data)
    lines = [line.split(" · ")[:2] for line in stream.getvalue().splitlines() if "batches" in line]
    assert lines[0] == [
        "epoch 0/2",
        "1/3 batches (33 %), 2 s left in the epoch, up to 8 s left in the run (2 more epochs)",
    ]
    assert lines[3] == [
        "epoch 1/2",
        "1/3 batches (33 %), 2 s left in the epoch, up to 1 min 45 s left in the run (1 more epoch)",
    ]  # 2 s + one epoch of 103 s
    assert lines[6] == ["epoch 2/2", "1/3 batches (33 %), 2 s left in the epoch, the last epoch"]


def test_a_detector_batch_counts_its_photos_not_its_keys():
    from krocr.training.progress import _batch_size

    photos = {"image": torch.zeros(4, 3, 8, 8), "shrink_map": torch.zeros(4, 8, 8), "shrink_mask": torch.zeros(4, 8, 8)}
    assert _batch_size(photos) == 4
    assert _batch_size(torch.zeros(5, 2)) == 5


class _StopAfterMidEpochValidation(pl.Callback):
    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            trainer.save_checkpoint(self.path)
            raise RuntimeError("session over")  # a session ending after the checkpoint

    def __init__(self, path) -> None:
        self.path = path


def test_a_run_resumed_mid_epoch_times_the_batches_it_trains(tmp_path, fake_clock):
    fake_clock.now = 10_000.0  # a machine up for hours: the clock is not 0 when training starts
    data = DataLoader(torch.randn(16, 2), batch_size=4)  # 4 batches of 4 samples, 1 s each

    def trainer(callbacks: list) -> pl.Trainer:
        return pl.Trainer(
            max_epochs=1,
            val_check_interval=2,
            num_sanity_val_steps=0,
            logger=False,
            callbacks=callbacks,
            enable_checkpointing=False,
            default_root_dir=tmp_path,
            enable_model_summary=False,
        )

    with pytest.raises(RuntimeError, match="session over"):
        trainer([_StopAfterMidEpochValidation(tmp_path / "mid.ckpt")]).fit(_TimedLine(fake_clock), data, data)
    stream = io.StringIO()
    trainer([LogLineProgress(interval_s=0, stream=stream)]).fit(
        _TimedLine(fake_clock), data, data, ckpt_path=tmp_path / "mid.ckpt"
    )
    lines = [line for line in stream.getvalue().splitlines() if "batches" in line]
    assert lines[0].startswith("epoch 0/0 · 3/4 batches (75 %), 1 s left in the epoch, the last epoch · 4 samples/s")
