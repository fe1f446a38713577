"""The seed's progress bar on stderr: redrawn in place on a terminal, a line every 10 s in a log."""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO


class Progress:
    """`[#####.....] 52%  520,000/1,000,000 sessions  3,120,000 rows  41,000 rows/s  ETA 2m10s`"""

    WIDTH = 24
    MIN_INTERVAL_S = 0.25  # redraw at most this often on a terminal
    LOG_INTERVAL_S = 10.0  # ...and print a line this often when stderr is a file

    def __init__(self, total_sessions: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = total_sessions
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = self.enabled and self.stream.isatty()
        self.sessions = self.rows = 0
        self.started = self.last_draw = time.perf_counter()

    def advance(self, sessions: int, rows_total: int) -> None:
        self.sessions += sessions
        self.rows = rows_total
        now = time.perf_counter()
        interval = self.MIN_INTERVAL_S if self.tty else self.LOG_INTERVAL_S
        if self.enabled and (now - self.last_draw >= interval or self.sessions >= self.total):
            self.last_draw = now
            self._draw(self._line(now))

    def phase(self, label: str) -> None:
        if self.enabled:
            self._draw(f"{self._line(time.perf_counter())}  {label}...")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        done = self.sessions / self.total if self.total else 1.0
        filled = int(self.WIDTH * done)
        eta = elapsed / done - elapsed if done > 0 else math.inf
        eta_text = "--" if math.isinf(eta) else f"{int(eta) // 60}m{int(eta) % 60:02d}s"
        return (
            f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:4.0%}  "
            f"{self.sessions:,}/{self.total:,} sessions  {self.rows:,} rows  "
            f"{self.rows / elapsed:,.0f} rows/s  ETA {eta_text}"
        )

    def _draw(self, line: str) -> None:
        if self.tty:
            self.stream.write(f"\r\033[K{line}")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
