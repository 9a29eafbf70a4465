"""Transfer learning: start a model from another model's weights, then freeze layers by name.

The reference recipe loaded English weights into the Korean model and froze the first
conv layers. krocr does the same without the reference's mistake (keeping the English
87-symbol head): every tensor whose name and shape match is copied, and the classifier
``dense1`` is rebuilt for the new charset with the rows of the tokens both charsets share
(and the blank, row 0) copied by token, so ``A`` keeps its English row wherever it now
sits. Rows of new tokens keep their fresh initialization.

The SVTR takes weights of its own architecture the same way (its classifier is ``head``):
a long run goes on from an earlier one's weights on new renders with a fresh schedule.

Frozen layers stop receiving gradients, and their BatchNorm layers stay in eval mode even
when the model is put in train mode (Keras ``trainable=False`` semantics): a frozen layer
keeps normalizing with the pretrained running statistics instead of drifting with them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from rich.console import JustifyMethod
from rich.table import Table
from torch import nn

from krocr.charset import BLANK_ID, Charset
from krocr.errors import CheckpointError, ConfigError
from krocr.model.config import CRNNConfig, SVTRConfig
from krocr.model.crnn import CRNN
from krocr.model.networks import Network
from krocr.model.registry import resolve_weights
from krocr.model.svtr import SVTR
from krocr.model.weights import ModelBundle, load_weights

CLASSIFIER = "dense1"  # the CRNN's classifier
SVTR_CLASSIFIER = "head"
# what must match for SVTR weights to compute the same function (heads change no tensor's shape)
SVTR_ARCHITECTURE_KEYS = ("channels", "blocks", "dim", "depth", "heads")
RNN_LAYERS = ("lstm1", "lstm2")
LOADED, PARTIAL, REINITIALISED = "loaded", "partially loaded", "re-initialised"


class FrozenBatchNorm2d(nn.BatchNorm2d):
    """A BatchNorm2d that stays in eval mode: ``train(True)`` is ignored, so it normalizes
    with its running statistics and never updates them. Same tensors as BatchNorm2d."""

    def train(self, mode: bool = True) -> FrozenBatchNorm2d:
        return super().train(False)


@dataclass(frozen=True)
class TransferReport:
    """What ``transfer_weights`` copied."""

    source: str | None  # weights file; None when the model starts from scratch
    copied: dict[str, tuple[int, int]]  # top-level layer -> (tensor elements copied, elements in total)
    shared_tokens: int = 0  # classifier rows copied besides the blank
    new_tokens: tuple[str, ...] = ()  # tokens of the target charset the source did not have
    widened: tuple[int, int] | None = None  # RNN units per direction (file, model) when grown
    classifier: str = CLASSIFIER  # the layer whose rows were copied by token

    @classmethod
    def from_scratch(cls, model: Network) -> TransferReport:
        totals: dict[str, int] = {}
        for name, tensor in model.state_dict().items():
            totals[_layer_of(name)] = totals.get(_layer_of(name), 0) + tensor.numel()
        return cls(
            source=None, copied={layer: (0, n) for layer, n in totals.items()}, classifier=classifier_layer(model)
        )

    def state(self, layer: str) -> str:
        copied, total = self.copied[layer]
        return LOADED if copied == total else REINITIALISED if copied == 0 else PARTIAL


def _layer_of(tensor_name: str) -> str:
    return tensor_name.split(".", 1)[0]


def shared_rows(source: Charset, target: Charset) -> list[tuple[int, int]]:
    """(target id, source id) of the blank and of every token both charsets have."""
    source_ids = {token: i + 1 for i, token in enumerate(source.tokens)}
    pairs = [(BLANK_ID, BLANK_ID)]
    pairs += [(i + 1, source_ids[t]) for i, t in enumerate(target.tokens) if t in source_ids]
    return pairs


def classifier_layer(model: Network) -> str:
    """The top-level layer that maps features to classes: its rows are copied by token."""
    return CLASSIFIER if isinstance(model, CRNN) else SVTR_CLASSIFIER


def transfer_weights(
    model: Network,
    source_state: dict[str, torch.Tensor],
    source_charset: Charset,
    target_charset: Charset,
    source: str = "<state dict>",
) -> TransferReport:
    """Copy ``source_state`` into ``model``: every tensor of the same name and shape, and the
    classifier rows of the tokens the charsets share. Any other difference (a missing,
    extra or differently shaped tensor outside the classifier) means another architecture
    and raises CheckpointError."""
    own = model.state_dict()
    classifier = classifier_layer(model)
    _check_architecture(own, source_state, source, classifier)
    if source_state[f"{classifier}.weight"].shape[0] != source_charset.num_classes:
        raise CheckpointError(
            f"{source}: classifier has {source_state[f'{classifier}.weight'].shape[0]} rows, "
            f"its charset needs {source_charset.num_classes}"
        )
    rows = shared_rows(source_charset, target_charset)
    target_ids = torch.tensor([t for t, _ in rows])
    source_ids = torch.tensor([s for _, s in rows])
    merged: dict[str, torch.Tensor] = {}
    copied: dict[str, tuple[int, int]] = {}
    for name, tensor in own.items():
        incoming = source_state[name].to(tensor.dtype)
        if _layer_of(name) == classifier:  # by token: the same symbol may sit at another id
            merged[name] = tensor.clone()
            merged[name][target_ids] = incoming[source_ids]
            count = len(rows) * tensor[0].numel()
        else:
            merged[name], count = incoming.clone(), tensor.numel()
        done, total = copied.get(_layer_of(name), (0, 0))
        copied[_layer_of(name)] = (done + count, total + tensor.numel())
    model.load_state_dict(merged)
    shared = set(source_charset.tokens)
    return TransferReport(
        source=source,
        copied=copied,
        shared_tokens=len(rows) - 1,
        new_tokens=tuple(t for t in target_charset.tokens if t not in shared),
        classifier=classifier,
    )


def _check_architecture(
    own: dict[str, torch.Tensor], source: dict[str, torch.Tensor], name: str, classifier: str
) -> None:
    problems = [f"missing {k}" for k in own if k not in source]
    problems += [f"unexpected {k}" for k in source if k not in own]
    for key, tensor in own.items():
        incoming = source.get(key)
        if incoming is None or incoming.shape == tensor.shape:
            continue
        same_features = _layer_of(key) == classifier and incoming.shape[1:] == tensor.shape[1:]
        if not same_features:  # only the number of classes may differ
            problems.append(f"{key}: file {tuple(incoming.shape)} vs model {tuple(tensor.shape)}")
    if problems:
        shown = "; ".join(problems[:6]) + ("; …" if len(problems) > 6 else "")
        raise CheckpointError(f"{name}: weights of a different architecture: {shown}")


def load_pretrained(
    model: Network, path: str | Path, target_charset: Charset, widen_rnn: bool = False
) -> TransferReport:
    """``transfer_weights`` from a krocr weights file or a shipped model's name (``"en"``), its
    charset read from its metadata. The file must hold the model's architecture.

    Args:
        model: the CRNN or SVTR to fill.
        path: a ``.safetensors`` weights file or a shipped model's name.
        target_charset: the model's charset (rows of tokens the file's charset shares are copied).
        widen_rnn: CRNN only; the file's RNN may have fewer units than the model's (see ``widen_rnn_state``).

    Returns:
        What was copied, per top-level layer.

    Raises:
        CheckpointError: the file holds another architecture (CRNN vs SVTR, or other shapes,
            RNN type or attention heads), naming the config keys to change.
        ConfigError: ``widen_rnn`` for an SVTR, which has no RNN.
    """
    bundle = load_weights(resolve_weights(path))
    theirs, ours = bundle.model.config, model.config
    if type(theirs) is not type(ours):
        raise CheckpointError(
            f"{path}: holds {type(bundle.model).__name__} weights, the model is {_with_article(model)}; "
            "transfer needs weights of the same architecture"
        )
    if isinstance(ours, SVTRConfig):
        return _load_svtr(model, bundle, target_charset, path, widen_rnn)
    assert isinstance(theirs, CRNNConfig) and isinstance(ours, CRNNConfig)
    growing = widen_rnn and theirs.units < ours.units
    differing = _differing_keys(theirs, ours, ("variant", "rnn") if growing else ("variant", "rnn", "units"))
    if differing:
        raise CheckpointError(
            f"{path}: weights of a different architecture ({_file_vs_config(theirs, ours, differing)}); "
            "set model.variant / model.rnn / model.rnn_units to match the weights"
            + (
                " (transfer.widen_rnn only grows an RNN)"
                if widen_rnn
                else ", or transfer.widen_rnn=true to grow a smaller RNN"
            )
        )
    state = bundle.model.state_dict()
    if not growing:
        return transfer_weights(model, state, bundle.charset, target_charset, str(path))
    report = transfer_weights(
        model,
        widen_rnn_state(state, model.state_dict(), theirs.units, ours.units),
        bundle.charset,
        target_charset,
        str(path),
    )
    # the new units are fresh: the RNN layers come only partly from the file, and so does the
    # classifier, whose columns for the new units are zeros even where every row was copied
    copied = dict(report.copied)
    for layer in RNN_LAYERS:
        copied[layer] = (sum(t.numel() for n, t in state.items() if _layer_of(n) == layer), copied[layer][1])
    rows = report.shared_tokens + 1  # and the blank
    copied[CLASSIFIER] = (rows * (2 * theirs.units + 1), copied[CLASSIFIER][1])  # weight columns + bias
    return replace(report, copied=copied, widened=(theirs.units, ours.units))


def _differing_keys(theirs: object, ours: object, keys: tuple[str, ...]) -> list[str]:
    """Those of ``keys`` whose values differ between the file's config and the model's."""
    return [k for k in keys if getattr(theirs, k) != getattr(ours, k)]


def _file_vs_config(theirs: object, ours: object, keys: list[str]) -> str:
    return "; ".join(f"{k}: file {getattr(theirs, k)!r}, config {getattr(ours, k)!r}" for k in keys)


def _with_article(model: Network) -> str:
    return f"an {type(model).__name__}" if isinstance(model, SVTR) else f"a {type(model).__name__}"


def _load_svtr(
    model: Network, bundle: ModelBundle, target_charset: Charset, path: str | Path, widen_rnn: bool
) -> TransferReport:
    if widen_rnn:
        raise ConfigError("transfer.widen_rnn grows a CRNN's RNN; the SVTR has none (set transfer.widen_rnn=false)")
    theirs, ours = bundle.model.config, model.config
    differing = _differing_keys(theirs, ours, SVTR_ARCHITECTURE_KEYS)
    if differing:
        raise CheckpointError(
            f"{path}: weights of a different architecture ({_file_vs_config(theirs, ours, differing)}); "
            f"set model.{' / model.'.join(differing)} to match the weights"
        )
    return transfer_weights(model, bundle.model.state_dict(), bundle.charset, target_charset, str(path))


def widen_rnn_state(
    source: dict[str, torch.Tensor], fresh: dict[str, torch.Tensor], units: int, wider: int
) -> dict[str, torch.Tensor]:
    """``source`` (RNNs of ``units`` per direction) grown to ``wider`` units, keeping the function.

    Each old unit keeps its weights at its new place (per gate, per direction). A new unit
    starts with ``fresh``'s input weights, so it computes something and its outgoing weights
    receive gradients, but its outgoing weights (recurrent, into lstm2, into the classifier
    rows taken from the file) are zero: at step 0 the wider model gives the source's logits
    for every token the two share (Net2Net-style widening).
    """

    def old_places(size: int) -> torch.Tensor:  # along an axis of blocks × units: old unit j of block b → b·wider + j
        return torch.cat([torch.arange(units) + block * wider for block in range(size // units)])

    grown = dict(source)
    for name, old in source.items():
        layer = _layer_of(name)
        if layer in RNN_LAYERS:  # rows: gates × units
            new, rows = fresh[name].to(old.dtype).clone(), old_places(old.shape[0])
        elif name == f"{CLASSIFIER}.weight":  # rows: classes; columns: 2 directions × units
            new, rows = old.new_zeros(old.shape[0], 2 * wider), torch.arange(old.shape[0])
        else:
            continue
        if old.ndim == 1:
            new[rows] = old
        else:
            fed_by_units = layer != "lstm1" or "weight_hh" in name  # lstm1's weight_ih reads conv features
            cols = old_places(old.shape[1]) if fed_by_units else torch.arange(old.shape[1])
            if fed_by_units:
                new_units = torch.ones(new.shape[1], dtype=torch.bool)
                new_units[cols] = False
                new[:, new_units] = 0  # a new unit feeds nothing downstream
            new[rows.unsqueeze(1), cols] = old
        grown[name] = new
    return grown


def freeze_layers(model: Network, names: tuple[str, ...] | list[str]) -> None:
    """Stop gradients into the named top-level layers and keep their BatchNorms in eval mode."""
    valid = model.named_layers()
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ConfigError(
            f"transfer.freeze: unknown layer(s) {', '.join(map(repr, unknown))}; layers are: {', '.join(valid)}"
        )
    for name in names:
        layer = getattr(model, name)
        layer.requires_grad_(False)
        for module in layer.modules():
            if type(module) is nn.BatchNorm2d:
                module.__class__ = FrozenBatchNorm2d  # same tensors; only train() differs
                module.eval()


def is_frozen(layer: nn.Module) -> bool:
    parameters = list(layer.parameters())
    return bool(parameters) and not any(p.requires_grad for p in parameters)


# ---- the layer table ---------------------------------------------------------------------------


def _note(layer: str, report: TransferReport) -> str:
    """Why a layer is only partially loaded: new tokens in the classifier, grown RNN units."""
    if report.state(layer) != PARTIAL:
        return ""
    parts = []
    if report.widened and (layer in RNN_LAYERS or layer == report.classifier):
        units, wider = report.widened
        parts.append(f"RNN grown from {units} to {wider} units per direction; the new units start silent")
    if layer == report.classifier:
        parts.append(f"rows of the blank and {report.shared_tokens} shared tokens copied")
        if report.new_tokens:
            preview = " ".join(report.new_tokens[:8]) + (" …" if len(report.new_tokens) > 8 else "")
            parts.append(f"{len(report.new_tokens)} new tokens initialised ({preview})")
    return "; ".join(parts)


@dataclass(frozen=True)
class LayerRow:
    layer: str
    parameters: int
    weights: str  # loaded | partially loaded | re-initialised
    frozen: bool
    note: str = ""


@dataclass(frozen=True)
class LayerTable:
    """Per top-level layer: size, where its weights came from, whether it trains."""

    source: str | None
    rows: list[LayerRow] = field(default_factory=list)

    @classmethod
    def describe(cls, model: Network, report: TransferReport) -> LayerTable:
        rows = []
        for name in model.named_layers():
            layer = getattr(model, name)
            rows.append(
                LayerRow(
                    name,
                    sum(p.numel() for p in layer.parameters()),
                    report.state(name),
                    is_frozen(layer),
                    _note(name, report),
                )
            )
        return cls(report.source, rows)

    @property
    def title(self) -> str:
        return f"Weights from {self.source}" if self.source else "Weights: trained from scratch"

    def rich(self) -> Table:
        table = Table(title=self.title)
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("layer", "left"),
            ("parameters", "right"),
            ("weights", "left"),
            ("trainable", "left"),
            ("note", "left"),
        )
        for column, justify in columns:
            table.add_column(column, justify=justify)
        for row in self.rows:
            table.add_row(row.layer, f"{row.parameters:,}", row.weights, "frozen" if row.frozen else "yes", row.note)
        return table

    def markdown(self) -> str:
        lines = [f"# {self.title}", "", "| layer | parameters | weights | trainable | note |", "|---|---:|---|---|---|"]
        lines += [
            f"| {r.layer} | {r.parameters:,} | {r.weights} | {'frozen' if r.frozen else 'yes'} | "
            f"{r.note.replace('|', '¦')} |"
            for r in self.rows
        ]
        return "\n".join(lines) + "\n"

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["layer", "parameters", "weights", "frozen", "note"])
        writer.writerows([r.layer, r.parameters, r.weights, r.frozen, r.note] for r in self.rows)
        return buffer.getvalue()
