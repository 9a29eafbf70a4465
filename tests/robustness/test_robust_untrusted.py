"""Untrusted files: a pickle whose unpickling runs code, in place of a weights file, a
training checkpoint or an LMDB value, is refused and its code never runs.

Each payload's ``__reduce__`` creates a marker file. A control test unpickles the same
payload with plain ``pickle`` and sees the marker appear, so the absence of the marker
in the other tests means krocr never unpickled it (not that the payload was a dud).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import lightning.pytorch as pl
import lmdb
import numpy as np
import pytest
import torch

from krocr.charset import alphabet87, korean_charset
from krocr.data.dataset import CropDataset
from krocr.data.store import CacheReader, CacheWriter
from krocr.errors import CheckpointError, DataError, KrocrError
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.transfer import load_pretrained
from krocr.model.weights import load_weights, read_metadata
from krocr.training.checkpoints import AtomicCheckpointIO, read_checkpoint


class Payload:
    """Unpickling this calls ``Path(marker).touch()``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path(self.marker).touch, ())


def payload(marker: Path) -> bytes:
    return pickle.dumps(Payload(marker))


def test_control_the_payload_runs_code_when_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    pickle.loads(payload(marker))
    assert marker.exists()


def torch_pickle(path: Path, marker: Path) -> Path:
    """A torch.save file (zip + pickle) holding a state dict and the payload."""
    torch.save({"state_dict": {"w": torch.zeros(2)}, "extra": Payload(marker)}, path)
    return path


def write_malicious(path: Path, kind: str, marker: Path) -> None:
    """A raw pickle or a torch.save file at ``path`` whose unpickling creates ``marker``."""
    if kind == "raw_pickle":
        path.write_bytes(payload(marker))
    else:
        torch_pickle(path, marker)


# ---- weights and checkpoints -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["raw_pickle", "torch_save"])
def test_pickle_in_place_of_a_weights_file_is_refused(tmp_path, kind):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.safetensors"
    write_malicious(path, kind, marker)
    with pytest.raises(CheckpointError, match=r"model\.safetensors: not a safetensors weights file"):
        load_weights(path)
    with pytest.raises(CheckpointError, match=r"model\.safetensors: not a safetensors"):
        read_metadata(path)
    target = CRNN(CRNNConfig(num_classes=alphabet87().num_classes, variant="slim", rnn_units=32))
    with pytest.raises(CheckpointError):
        load_pretrained(target, path, alphabet87())  # transfer.pretrained: the same gate
    assert not marker.exists()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("kind", ["raw_pickle", "torch_save"])
def test_pickle_in_place_of_a_training_checkpoint_is_refused(tmp_path, kind):
    marker = tmp_path / "pwned"
    path = tmp_path / "last.ckpt"
    write_malicious(path, kind, marker)
    with pytest.raises(CheckpointError, match=r"last\.ckpt: not a loadable krocr checkpoint") as refused:
        read_checkpoint(path)
    message = str(refused.value)
    assert "it was not loaded" in message and "\n" not in message
    assert "weights_only" not in message  # torch's advice to load it unsafely is not passed on
    assert not marker.exists()


class _Line(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        return self.layer(batch).pow(2).mean()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("kind", ["raw_pickle", "torch_save"])
def test_pickle_in_place_of_the_checkpoint_lightning_resumes_from_is_refused(tmp_path, kind):
    """Resuming reads last.ckpt through the run's checkpoint I/O plugin, not read_checkpoint."""
    marker = tmp_path / "pwned"
    path = tmp_path / "last.ckpt"
    write_malicious(path, kind, marker)
    with pytest.raises(CheckpointError, match=r"last\.ckpt: not a loadable krocr checkpoint.*it was not loaded"):
        AtomicCheckpointIO().load_checkpoint(path)
    trainer = pl.Trainer(
        max_epochs=1,
        plugins=[AtomicCheckpointIO()],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    data = torch.utils.data.DataLoader(torch.randn(4, 2), batch_size=2)
    with pytest.raises(CheckpointError, match=r"last\.ckpt: .*it was not loaded") as refused:
        trainer.fit(_Line(), data, ckpt_path=path, weights_only=True)
    assert "weights_only" not in str(refused.value)
    assert not marker.exists()


# ---- LMDB values ----------------------------------------------------------------------------------
def cache_with(tmp_path: Path, **values: bytes) -> Path:
    """A one-sample krocr cache, then some of its values replaced (keys: image, label, meta)."""
    path = tmp_path / "train.lmdb"
    with CacheWriter(path) as writer:
        writer.add(np.full((32, 64), 200, np.uint8), "간판", "x")
        writer.add(np.full((32, 64), 100, np.uint8), "커피", "x")
    keys = {"image": b"image-000000001", "label": b"label-000000001", "meta": b"meta"}
    env = lmdb.open(str(path))
    with env.begin(write=True) as txn:
        for name, value in values.items():
            txn.put(keys[name], value)
    env.close()
    return path


def test_pickle_as_an_lmdb_image_value_is_refused_and_the_other_sample_reads(tmp_path):
    marker = tmp_path / "pwned"
    path = cache_with(tmp_path, image=payload(marker))
    reader = CacheReader(path)
    with pytest.raises(DataError, match=r"train\.lmdb index 1: not a recognizable image"):
        reader[0]
    assert reader[1][1] == "커피"
    dataset = CropDataset([path], korean_charset())  # labels are checked, images decoded on access only
    with pytest.raises(DataError, match="index 1"):
        dataset[0]
    assert dataset[1][2] == "커피"
    assert not marker.exists()


@pytest.mark.parametrize("value", ["label", "meta"])
def test_pickle_as_an_lmdb_label_or_meta_value_never_runs(tmp_path, value):
    """Whatever the reader makes of it (text, or an error), the payload's code never runs."""
    marker = tmp_path / "pwned"
    path = cache_with(tmp_path, **{value: payload(marker)})
    try:
        reader = CacheReader(path)
        reader.labels()
        reader.raw(0)
        reader[0]
    except KrocrError:
        pass
    assert not marker.exists()
