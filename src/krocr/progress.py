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
