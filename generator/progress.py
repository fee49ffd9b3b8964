"""Progress output on stderr: one line per file, with the running order-line rate."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.orders_started = self.started
        self.lines = 0

    def say(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def file(self, path: str, rows: int) -> None:
        self.say(f"  wrote {path} ({rows:,} rows)")

    def begin_orders(self) -> None:
        self.orders_started = time.perf_counter()

    def day(self, path: str, rows: int, done: int, total: int) -> None:
        self.lines += rows
        elapsed = max(time.perf_counter() - self.orders_started, 1e-9)
        self.say(
            f"  [{done:>{len(str(total))}}/{total}] {path} ({rows:,} lines) | "
            f"{self.lines:,} lines, {self.lines / elapsed:,.0f} lines/s, {elapsed:.1f}s"
        )

    def elapsed(self) -> float:
        return time.perf_counter() - self.started
