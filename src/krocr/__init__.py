"""krocr: train and run Korean scene-text (signboard) recognizers.

The public API, imported lazily so that ``import krocr`` stays fast and loads no torch::

    from krocr import Recognizer
    Recognizer("ko").read("crop.png")          # Reading(text='우리치킨', confidence=0.97, raw=...)

* :class:`Recognizer`, :class:`Reading` — read crops (``krocr.inference.recognizer``)
* :class:`PhotoReader` — detect and read every text region of a photo (``krocr.inference.photo``)
* :class:`Charset` — symbols and tokenizers (``krocr.charset``)
* :func:`train` — a training run from a config (``krocr.training.run``)
* :func:`evaluate` — metrics, predictions and galleries (``krocr.analysis.evaluation``)
* :func:`load_weights` — a weights file as model, charset and preprocessing (``krocr.model.weights``)
* :data:`SHIPPED` — the shipped models by name (``krocr.model.registry``)
* :class:`KrocrError` — every error krocr raises for bad input
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from krocr.errors import KrocrError
from krocr.version import __version__

if TYPE_CHECKING:
    from krocr.analysis.evaluation import evaluate
    from krocr.charset import Charset
    from krocr.inference.photo import PhotoReader
    from krocr.inference.recognizer import Reading, Recognizer
    from krocr.model.registry import SHIPPED
    from krocr.model.weights import load_weights
    from krocr.training.run import train

_LAZY = {
    "Recognizer": "krocr.inference.recognizer",
    "Reading": "krocr.inference.recognizer",
    "PhotoReader": "krocr.inference.photo",
    "Charset": "krocr.charset",
    "train": "krocr.training.run",
    "evaluate": "krocr.analysis.evaluation",
    "load_weights": "krocr.model.weights",
    "SHIPPED": "krocr.model.registry",
}

__all__ = [
    "SHIPPED",
    "Charset",
    "KrocrError",
    "PhotoReader",
    "Reading",
    "Recognizer",
    "__version__",
    "evaluate",
    "load_weights",
    "train",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'krocr' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
