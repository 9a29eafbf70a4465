"""How library work that takes a while reports its progress without printing.

Library functions take a :class:`ProgressHook` (default: :data:`SILENT`) and call it; the
commands pass one that draws a bar with an ETA (:mod:`krocr.commands.bars`), and Python
users pass their own or nothing.
"""

from __future__ import annotations

from typing import Protocol


class ProgressHook(Protocol):
    """Receives a task's size once, then each step done."""

    def start(self, description: str, total: int | None) -> None:
        """A task begins: ``total`` steps, or None when unknown."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps are done."""


class _Silent:
    def start(self, description: str, total: int | None) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


SILENT: ProgressHook = _Silent()


def format_duration(seconds: float) -> str:
    """A span of time as people read it in a log: ``43 s``, ``6 min 27 s``, ``1 h 05 min``.

    Args:
        seconds: the span, rounded to whole seconds.

    Returns:
        The span in its two largest units.
    """
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
