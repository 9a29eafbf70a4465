"""Experiment configs: typed nested dataclasses read from YAML, with inheritance and overrides.

A config file may start from another one (``base: ksign_v1.yaml``, resolved next to the
file) and change only what differs; ``key.path=value`` overrides from the command line
come last, their values parsed as YAML (``optim.lr=1e-4``, ``transfer.freeze=[conv1_1]``,
``transfer.pretrained=null``). Every key is checked against the dataclasses below:
an unknown key or a value of the wrong type is a :class:`ConfigError` naming the file
(or override) that set it and the key path, e.g.
``configs/x.yaml: optim.lrr: unknown key (did you mean lr?)``.

Relative paths inside a config (data directories, pretrained weights) are relative to the
working directory, as the experiment is run from the repository root; the shipped weights
are named instead (``transfer.pretrained: en``), so a config works from anywhere.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import MISSING, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from krocr.data.augment import PRESETS, AugmentConfig
from krocr.data.eval_sets import evaluation_only_root
from krocr.errors import ConfigError, InvalidOption, read_input_text
from krocr.model.config import CRNN_HEIGHTS, SVTRConfig, output_length

BASE_KEY = "base"
PRESET_KEY = "preset"  # ``augment: {preset: NAME}`` starts from a named AugmentConfig preset


def _require(condition: bool, key: str, reason: str) -> None:
    if not condition:
        raise InvalidOption(key, reason)


@dataclass(frozen=True)
class ModelOptions:
    arch: Literal["crnn", "svtr"] = "crnn"  # the reference CRNN, or the SVTR-style model (model/svtr.py)
    # None: the architecture's own height (CRNN 32, or 48 / 64; SVTR 48, or 32 / 64)
    input_height: int | None = None
    # CRNN options
    variant: Literal["reference", "slim"] = "reference"
    activation: Literal["relu", "leaky_relu"] = "leaky_relu"
    leaky_slope: float = 0.05
    rnn: Literal["lstm", "gru"] = "lstm"
    rnn_units: int | None = None  # per direction; None = the variant's default (256 / 128)
    rnn_dropout: float = 0.1  # on each RNN's input (the reference's Keras LSTM dropout)
    # SVTR options (SVTRConfig's defaults: 1.9 M parameters with jamo tokens)
    channels: tuple[int, int, int, int] = SVTRConfig.channels
    blocks: tuple[int, int, int] = SVTRConfig.blocks
    dim: int = SVTRConfig.dim
    depth: int = SVTRConfig.depth
    heads: int = SVTRConfig.heads
    dropout: float = SVTRConfig.dropout

    def __post_init__(self) -> None:
        _require(0 <= self.rnn_dropout < 1, "model.rnn_dropout", f"must be in [0, 1), got {self.rnn_dropout}")
        _require(self.rnn_units is None or self.rnn_units > 0, "model.rnn_units", "must be positive")
        other = "svtr" if self.arch == "crnn" else "crnn"
        defaults = self.__dataclass_fields__
        mixed = [name for name in _ARCH_OPTIONS[other] if getattr(self, name) != defaults[name].default]
        _require(
            not mixed,
            f"model.{mixed[0] if mixed else ''}",
            f"an option of arch {other!r} only, and model.arch is {self.arch!r}; remove it or change model.arch",
        )
        if self.arch == "crnn":
            _require(
                self.input_height in (None, *CRNN_HEIGHTS),
                "model.input_height",
                f"the CRNN reads crops {', '.join(map(str, CRNN_HEIGHTS))} px high, got {self.input_height}",
            )

    @property
    def height(self) -> int:
        """The input height the model reads."""
        return self.input_height or (SVTRConfig.input_height if self.arch == "svtr" else 32)


_ARCH_OPTIONS = {
    "crnn": ("variant", "activation", "leaky_slope", "rnn", "rnn_units", "rnn_dropout"),
    "svtr": ("channels", "blocks", "dim", "depth", "heads", "dropout"),
}


@dataclass(frozen=True)
class CharsetOptions:
    name: str = "korean"  # a built-in charset name or a charset file path
    tokenizer: Literal["char", "jamo"] = "char"
    oov: Literal["reject", "drop", "unknown"] = "reject"  # labels with characters outside the charset


@dataclass(frozen=True)
class DataOptions:
    dirs: tuple[str, ...] = ()  # dataset directories (train.lmdb, val.lmdb inside); all are merged
    max_label_length: int = 62  # tokens; the reference's max_string_len
    width: int = 256  # model input width: the CRNN emits width/4 - 2 frames
    # fixed: every crop squeezed into `width` (the reference); natural: crops wider than
    # `width` keep their aspect ratio (up to max_width), batched with crops of similar width
    width_mode: Literal["fixed", "natural"] = "fixed"
    max_width: int = 2048
    batch_size: int = 64
    num_workers: int = 2
    # curriculum: the first N training samples are drawn from the easiest crops (short labels
    # of frequent characters), the pool growing linearly to the whole set; 0 = none
    curriculum_samples: int = 0

    def __post_init__(self) -> None:
        _require(bool(self.dirs), "data.dirs", "at least one dataset directory is required")
        for directory in self.dirs:
            held_out = evaluation_only_root(directory)
            _require(
                held_out is None,
                "data.dirs",
                f"{directory} is inside {held_out}, an evaluation-only set: it measures models and is never "
                "trained on; list training data only",
            )
        _require(self.batch_size >= 1, "data.batch_size", "must be at least 1")
        _require(self.num_workers >= 0, "data.num_workers", "must be at least 0")
        _require(self.max_label_length >= 1, "data.max_label_length", "must be at least 1")
        _require(self.curriculum_samples >= 0, "data.curriculum_samples", "must be ≥ 0")
        _require(self.max_width >= self.width, "data.max_width", f"must be ≥ data.width ({self.width})")
        _require(
            self.width % 4 == 0 and self.width >= 12, "data.width", f"must be a multiple of 4, ≥ 12, got {self.width}"
        )
        # natural width: the widest crop bounds the label; each shorter crop is checked for
        # alignability when the dataset is read (too-short crops are dropped and counted)
        key, widest = ("data.max_width", self.max_width) if self.width_mode == "natural" else ("data.width", self.width)
        frames = output_length(widest)
        _require(
            frames >= self.max_label_length,
            key,
            f"width {widest} gives {frames} output frames, fewer than data.max_label_length "
            f"{self.max_label_length}; use {key} ≥ {4 * (self.max_label_length + 2)} or a smaller max_label_length",
        )


@dataclass(frozen=True)
class LossOptions:
    alpha: float = 0.75  # focal CTC: α·(1−p)^γ·CTC
    gamma: float = 0.5

    def __post_init__(self) -> None:
        _require(self.alpha > 0, "loss.alpha", f"must be > 0, got {self.alpha}")
        _require(self.gamma >= 0, "loss.gamma", f"must be ≥ 0, got {self.gamma}")


@dataclass(frozen=True)
class OptimOptions:
    lr: float = 1e-3
    eps: float = 1e-3  # Adam epsilon
    decay: float = 1e-4  # Keras time decay: lr / (1 + decay · iteration)
    clip_norm: float = 1.0  # global gradient norm; 0 turns clipping off
    # time_decay: Keras' lr / (1 + decay · step), the reference's; constant; cosine: linear
    # warm-up then cosine to 0 at total_steps; one_cycle: OneCycleLR's shape (up from lr/25 over
    # the first 30 %, cosine down to lr/1e5)
    schedule: Literal["time_decay", "constant", "cosine", "one_cycle"] = "time_decay"
    total_steps: int | None = None  # horizon of cosine / one_cycle; None: epochs × steps per epoch
    warmup_steps: int = 0  # linear warm-up of cosine

    def __post_init__(self) -> None:
        _require(self.total_steps is None or self.total_steps >= 1, "optim.total_steps", "must be at least 1")
        _require(self.warmup_steps >= 0, "optim.warmup_steps", "must be ≥ 0")
        _require(self.lr > 0, "optim.lr", f"must be > 0, got {self.lr}")
        _require(self.eps > 0, "optim.eps", f"must be > 0, got {self.eps}")
        _require(self.decay >= 0, "optim.decay", f"must be ≥ 0, got {self.decay}")
        _require(self.clip_norm >= 0, "optim.clip_norm", f"must be ≥ 0, got {self.clip_norm}")


@dataclass(frozen=True)
class TrainOptions:
    name: str | None = None  # run name (runs/<name>/); None = the config file's stem
    epochs: int = 300
    # validations without a lower `monitor` before early stopping: epochs unless val_check_interval < 1
    patience: int = 20
    # what picks best.safetensors and drives early stopping: val_loss as the reference does;
    # val_cer follows reading quality where a few hopeless long crops swing the focal CTC loss
    monitor: Literal["val_loss", "val_cer"] = "val_loss"
    seed: int = 0
    precision: Literal["auto", "bf16", "fp32"] = "auto"  # auto: bf16 where the hardware has it
    val_check_interval: int | float = 1.0  # Lightning semantics: fraction of an epoch, or batches
    limit_train_batches: int | float = 1.0  # fraction of the batches, or a count
    limit_val_batches: int | float = 1.0
    log_every_n_steps: int = 50
    checkpoint_every_epoch: bool = True  # checkpoints/weights.{epoch:03d}.ckpt (weights only)

    def __post_init__(self) -> None:
        _require(self.epochs >= 1, "train.epochs", "must be at least 1")
        _require(self.patience >= 1, "train.patience", "must be at least 1")
        _require(
            self.limit_val_batches > 0,
            "train.limit_val_batches",
            "validation is needed (train.monitor drives early stopping)",
        )
        _require(self.limit_train_batches > 0, "train.limit_train_batches", "must be > 0")
        _require(self.log_every_n_steps >= 1, "train.log_every_n_steps", "must be at least 1")


@dataclass(frozen=True)
class TransferOptions:
    pretrained: str | None = None  # a krocr .safetensors weights file, or a shipped model's name ("en")
    freeze: tuple[str, ...] = ()  # top-level layer names (conv1_1 … conv6_1, lstm1, lstm2, dense1)
    widen_rnn: bool = False  # pretrained RNN may be narrower than model.rnn_units: grow it, keeping its function

    def __post_init__(self) -> None:
        _require(
            not self.widen_rnn or bool(self.pretrained),
            "transfer.widen_rnn",
            "grows the RNN of transfer.pretrained, which is not set",
        )


@dataclass(frozen=True)
class GuideOptions:
    """Guided training of CTC (GTC, :mod:`krocr.model.guide`): a training-only attention
    decoder on the SVTR's backbone features; loss = focal CTC + ``weight`` × its cross-entropy.
    Weights files never hold it."""

    weight: float = 0.0  # 0: no guide
    layers: int = 2
    dim: int = 256
    heads: int = 8
    # PaddleOCR's variant: the CTC branch reads detached features, so only the guide trains the backbone
    detach_ctc: bool = False

    def __post_init__(self) -> None:
        _require(self.weight >= 0, "guide.weight", f"must be ≥ 0, got {self.weight}")
        _require(self.layers >= 1, "guide.layers", "must be at least 1")
        _require(
            self.heads >= 1 and self.dim % self.heads == 0, "guide.dim", f"must divide by guide.heads ({self.heads})"
        )
        _require(not self.detach_ctc or self.weight > 0, "guide.detach_ctc", "needs a guide (guide.weight > 0)")


@dataclass(frozen=True)
class ExperimentConfig:
    data: DataOptions
    model: ModelOptions = ModelOptions()
    charset: CharsetOptions = CharsetOptions()
    loss: LossOptions = LossOptions()
    optim: OptimOptions = OptimOptions()
    train: TrainOptions = TrainOptions()
    transfer: TransferOptions = TransferOptions()
    augment: AugmentConfig = PRESETS["reference"]  # blur or sharpen, as the reference
    guide: GuideOptions = GuideOptions()

    def __post_init__(self) -> None:
        _require(
            self.guide.weight == 0 or self.model.arch == "svtr",
            "guide.weight",
            f"the attention guide trains the SVTR's backbone, and model.arch is {self.model.arch!r}",
        )
        _require(
            not self.transfer.widen_rnn or self.model.arch == "crnn",
            "transfer.widen_rnn",
            f"grows a CRNN's RNN, and model.arch is {self.model.arch!r}, which has none",
        )
        _require(
            self.augment.concat == 0 or self.data.width_mode == "natural",
            "augment.concat",
            "pastes crops side by side, which needs data.width_mode: natural (fixed squeezes them into data.width)",
        )


# ---- loading ---------------------------------------------------------------------------------


C = TypeVar("C")


def load_layered(cls: type[C], path: str | Path, overrides: Sequence[str] = ()) -> C:
    """A config dataclass ``cls`` from a YAML file: follow its ``base:`` links, apply
    ``key.path=value`` overrides, check every key and type (errors name the file or override
    each value came from).

    Args:
        cls: the dataclass to build (nested dataclasses for sections).
        path: the YAML file.
        overrides: ``key.path=value`` strings, values in YAML.

    Returns:
        The built config.
    """
    path = Path(path)
    layers = _file_layers(path, seen=())
    layers += [(f"override {text!r}", _parse_override(text)) for text in overrides]
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for source, data in layers:
        _merge(merged, data, origins, source)
    return _Reader(origins, str(path)).build(cls, merged, "")


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> ExperimentConfig:
    """Read ``path`` (following ``base:`` links), apply ``key.path=value`` overrides, check
    every key and type. ``train.name`` defaults to the file's stem."""
    path = Path(path)
    config = load_layered(ExperimentConfig, path, overrides)
    if config.train.name is None:
        config = replace(config, train=replace(config.train, name=path.stem))
    return config


def _file_layers(path: Path, seen: tuple[Path, ...]) -> list[tuple[str, dict]]:
    """The dicts of ``path`` and its ``base:`` ancestors, oldest first."""
    resolved = path.resolve()
    if resolved in seen:
        raise ConfigError(f"{path}: 'base' links form a cycle: " + " → ".join(map(str, (*seen, resolved))))
    text = read_input_text(path, "config file", ConfigError, _linked(path, seen))
    data = _load_yaml(text, f"{path}: not valid YAML")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top, got {type(data).__name__}")
    base = data.pop(BASE_KEY, None)
    if base is None:
        return [(str(path), data)]
    if not isinstance(base, str):
        raise ConfigError(f"{path}: base: expected a file name, got {base!r}")
    return _file_layers(path.parent / base, (*seen, resolved)) + [(str(path), data)]


def _linked(path: Path, seen: tuple[Path, ...]) -> str:
    """``path``, and for a ``base:`` target the file whose link named it."""
    return f"{seen[-1]}: base {path}" if seen else str(path)


def _load_yaml(text: str, what: str) -> Any:
    """``yaml.safe_load`` whose every failure is a ConfigError starting with ``what``: besides
    YAMLError, building values raises ValueError (an impossible date such as 2024-02-30, an
    integer past Python's digit limit) and deep nesting raises RecursionError."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{what} (nested too deeply)") from None
    except (ValueError, OverflowError) as exc:
        raise ConfigError(f"{what} (a value cannot be read: {exc})") from None


def _parse_override(text: str) -> dict:
    """``a.b.c=value`` → ``{"a": {"b": {"c": value}}}``, the value parsed as YAML."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise ConfigError(f"override {text!r}: expected key.path=value, e.g. optim.lr=1e-4")
    value = _load_yaml(raw, f"override {text!r}: value is not valid YAML") if raw.strip() else ""
    nested: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        nested = {part: nested}
    return nested


def _merge(target: dict, layer: dict, origins: dict[str, str], source: str, prefix: str = "") -> None:
    """Deep-merge ``layer`` into ``target`` (mappings merge, anything else replaces) and
    record which source last set each key path."""
    for key, value in layer.items():
        key_path = f"{prefix}{key}"
        origins[key_path] = source
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, origins, source, key_path + ".")
        else:
            target[key] = deepcopy(value)
            if isinstance(value, dict):
                _merge({}, value, origins, source, key_path + ".")  # record the nested keys' origin


# PyYAML (YAML 1.1) reads ``1e-4`` (no dot) as a string: numbers accept numeric strings.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class _Reader:
    """Builds the dataclasses from merged YAML, naming the source of every bad key."""

    def __init__(self, origins: dict[str, str], default_source: str):
        self.origins = origins
        self.default_source = default_source

    def error(self, key_path: str, message: str) -> ConfigError:
        source, probe = self.default_source, key_path
        while probe:  # the source that set this key or its nearest enclosing section
            if probe in self.origins:
                source = self.origins[probe]
                break
            probe = probe.rpartition(".")[0]
        return ConfigError(f"{source}: {key_path}: {message}")

    def build(self, cls: type, data: Any, prefix: str) -> Any:
        """An instance of dataclass ``cls`` from a mapping, every key and value checked."""
        if not isinstance(data, dict):
            raise self.error(prefix.rstrip(".") or "config", f"expected a mapping, got {data!r}")
        data = dict(data)
        start = None
        if cls is AugmentConfig and PRESET_KEY in data:
            name = data.pop(PRESET_KEY)
            if not isinstance(name, str):
                raise self.error(prefix + PRESET_KEY, f"expected a preset name (a string), got {name!r:.60}")
            try:
                start = AugmentConfig.preset(name)
            except ConfigError as exc:
                raise self.error(prefix + PRESET_KEY, str(exc)) from None
        hints = typing.get_type_hints(cls)
        known = [f.name for f in fields(cls) if f.init]
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else f"; known keys: {', '.join(known)}"
                raise self.error(f"{prefix}{key}", f"unknown key{hint}")
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        for key in required:
            if key not in data:
                raise self.error(f"{prefix}{key}", "required key is missing")
        values = {key: self.coerce(value, hints[key], f"{prefix}{key}") for key, value in data.items()}
        try:
            return replace(start, **values) if start is not None else cls(**values)
        except InvalidOption as exc:  # a section's own range check
            raise self.error(exc.key, exc.reason) from None

    def coerce(self, value: Any, annotation: Any, key_path: str) -> Any:
        """``value`` checked against ``annotation`` and converted (lists → tuples, ints → floats)."""
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
            return self.build(annotation, value, key_path + ".")
        if origin is Literal:
            if value in args:
                return value
        elif origin in (typing.Union, types.UnionType):
            if value is None and type(None) in args:
                return None
            for member in args:
                if member is not type(None) and _matches(value, member):
                    return self.coerce(value, member, key_path)
        elif origin is tuple:
            variadic = args[-1:] == (Ellipsis,)
            if isinstance(value, str) and variadic:
                value = [value]  # one item where a list is expected
            if isinstance(value, (list, tuple)) and (variadic or len(value) == len(args)):
                item_types = [args[0]] * len(value) if variadic else list(args)
                return tuple(self.coerce(v, t, f"{key_path}[{i}]") for i, (v, t) in enumerate(zip(value, item_types)))
        elif _matches(value, annotation):
            if annotation is not float:
                return value
            try:
                number = float(value)
            except OverflowError:  # an integer too large for a float
                number = math.inf
            if not math.isfinite(number):
                raise self.error(key_path, f"expected a finite number, got {value!r:.60}")
            return number
        raise self.error(key_path, f"expected {_describe(annotation)}, got {value!r}")


def _matches(value: Any, annotation: Any) -> bool:
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            isinstance(value, str) and _NUMBER.fullmatch(value.strip()) is not None
        )
    if annotation is str:
        return isinstance(value, str)
    return typing.get_origin(annotation) is tuple and isinstance(value, (list, tuple, str))


def _describe(annotation: Any) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if annotation in names:
        return names[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return "one of " + ", ".join(map(repr, args))
    if origin is tuple:
        item = _describe(args[0]).removeprefix("an ").removeprefix("a ")
        return f"a list of {item}s" if args[-1:] == (Ellipsis,) else f"a list of {len(args)} {item}s"
    if origin in (typing.Union, types.UnionType):
        return " or ".join("null" if a is type(None) else _describe(a) for a in args)
    return str(annotation)


# ---- writing and comparing -------------------------------------------------------------------


def config_to_dict(config: ExperimentConfig) -> dict[str, Any]:
    """Plain nested dicts and lists (YAML- and JSON-ready)."""
    return _plain(dataclasses.asdict(config))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def dump_config(config: ExperimentConfig, path: str | Path | None = None) -> str:
    """The resolved config as YAML (every key, no ``base``); written to ``path`` if given."""
    text = yaml.safe_dump(config_to_dict(config), sort_keys=False, allow_unicode=True)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def flatten_config(config: ExperimentConfig) -> dict[str, Any]:
    """``{"optim.lr": 0.001, "transfer.freeze": ["conv1_1"], …}``: one entry per leaf key."""
    flat: dict[str, Any] = {}

    def walk(data: dict, prefix: str) -> None:
        for key, value in data.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = value

    walk(config_to_dict(config), "")
    return flat


def config_differences(configs: list[ExperimentConfig]) -> dict[str, list[Any]]:
    """Leaf keys whose values are not the same in every config, with each config's value."""
    flats = [flatten_config(c) for c in configs]
    keys = dict.fromkeys(k for flat in flats for k in flat)
    return {k: [flat.get(k) for flat in flats] for k in keys if len({repr(flat.get(k)) for flat in flats}) > 1}
