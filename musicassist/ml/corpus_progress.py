"""A dependency-free progress bar on stderr: counts, rate, ETA and failures.

On a terminal it redraws one line; in a log file (nohup) it writes a line
every few seconds instead, so the log stays readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressBar:
    def __init__(self, label: str, total: int, enabled: bool = True, stream: TextIO | None = None,
                 log_interval: float = 10.0) -> None:
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.failed = 0
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._interactive = self.stream.isatty()
        self._log_interval = log_interval
        self._last_draw = 0.0

    def advance(self, count: int = 1, failed: int = 0) -> None:
        self.done += count
        self.failed += failed
        now = time.monotonic()
        interval = 0.2 if self._interactive else self._log_interval
        if self.enabled and (now - self._last_draw >= interval or self.done >= self.total):
            self._last_draw = now
            self._draw(final=False)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        fraction = self.done / self.total if self.total else 1.0
        eta = elapsed / fraction - elapsed if fraction > 0 else 0.0
        filled = int(fraction * 24)
        bar = "#" * filled + "-" * (24 - filled)
        return (f"{self.label:<9} [{bar}] {self.done}/{self.total} {fraction:4.0%} "
                f"elapsed {_clock(elapsed)} eta {_clock(eta)} failed {self.failed}")

    def _draw(self, final: bool) -> None:
        if self._interactive:
            self.stream.write("\r" + self.line() + ("\n" if final else ""))
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(final=True)
