"""Progress with an ETA for the commands: a :class:`~krocr.progress.ProgressHook` drawn by
rich on stderr when stderr is a terminal, and written as a plain line every ``interval_s``
seconds when it is not (under ``nohup``, in CI, with ``2>&1 | tee``), where a bar redrawn in
place would show nothing until the work ends:

    synth ko · 48,000/160,000 (30 %), 2 min 31 s in, 5 min 52 s left · 318.4/s
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from krocr.progress import format_duration


class ProgressBar:
    """A rich bar per task on a terminal, log lines elsewhere; a context manager around the
    library call.

    Args:
        enabled: False draws and writes nothing (``--quiet``).
        transient: the terminal bar vanishes when the work ends.
        interval_s: seconds between log lines when stderr is not a terminal.
        log_lines: False where another writer already logs the same work off a terminal
            (training's Lightning callback).
        stream: where the bar and the lines go (default stderr).
    """

    def __init__(
        self,
        enabled: bool = True,
        transient: bool = False,
        interval_s: float = 60.0,
        log_lines: bool = True,
        stream: TextIO | None = None,
    ):
        # the stream itself decides, not rich's is_terminal, which FORCE_COLOR turns on for a log file
        on_terminal = (stream or sys.stderr).isatty()
        console = Console(file=stream, stderr=stream is None, markup=False, emoji=False)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=transient,
            disable=not (enabled and on_terminal),
        )
        self._lines = _LogLines(interval_s, stream) if enabled and log_lines and not on_terminal else None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        self._progress.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.__exit__(kind, error, traceback)

    def start(self, description: str, total: int | None) -> None:
        if self._lines is not None:
            self._lines.start(description, total)
        if self._task is not None:
            self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._lines is not None:
            self._lines.advance(steps)
        if self._task is not None:
            self._progress.advance(self._task, steps)


class _LogLines:
    """One line per ``interval_s`` of a task: position, time in, time left and rate."""

    def __init__(self, interval_s: float, stream: TextIO | None) -> None:
        self._interval_s = interval_s
        self._stream = stream
        self._description = ""
        self._total: int | None = None
        self._done = 0
        self._started = self._last_line = 0.0

    def start(self, description: str, total: int | None) -> None:
        self._description, self._total, self._done = description, total, 0
        self._started = self._last_line = time.monotonic()

    def advance(self, steps: int) -> None:
        self._done += steps
        now = time.monotonic()
        if now - self._last_line < self._interval_s:
            return
        self._last_line = now
        print(self._line(now - self._started), file=self._stream or sys.stderr, flush=True)

    def _line(self, elapsed: float) -> str:
        rate = self._done / elapsed if elapsed > 0 else 0.0
        if self._total:
            position = f"{self._done:,}/{self._total:,} ({100 * self._done / self._total:.0f} %)"
            left = f", {format_duration(max(0, self._total - self._done) / rate)} left" if rate > 0 else ""
        else:
            position, left = f"{self._done:,}", ""
        return f"{self._description} · {position}, {format_duration(elapsed)} in{left} · {rate:,.1f}/s"
