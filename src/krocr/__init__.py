"""krocr: train and run Korean scene-text (signboard) recognizers."""

from krocr.errors import KrocrError

__version__ = "0.1.0"
__all__ = ["KrocrError", "__version__"]
