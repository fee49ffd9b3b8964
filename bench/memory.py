"""Peak resident memory of this process and its children (the Spark JVM), sampled from /proc.

Each address space is counted once. The JVM starts short-lived programs (Hadoop's shell
commands through `jspawnhelper`), and between its fork or `posix_spawn` and the `exec` a child
runs the same program as its parent and reports the parent's pages as its own resident set: a
sample taken in that window counted the 4 GiB driver twice (ingest peaks of 7.5-8.4 GiB in
bench/results, while the JVM itself never passed 3.4 GiB). So a child running its parent's
program is skipped; a forked copy that never execs shares its parent's pages until it writes
them, which this undercounts.
"""

from __future__ import annotations

import threading
from pathlib import Path


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:  # the process ended while we looked
        return found
    for task in tasks:
        children = task / "children"
        try:
            found += [int(item) for item in children.read_text().split()]
        except OSError:  # the task ended while we looked
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _program(pid: int) -> str | None:
    try:
        return str(Path(f"/proc/{pid}/exe").readlink())
    except OSError:  # ended, or a kernel thread
        return None


def tree_rss_kib(pid: int) -> int:
    total, stack = 0, [(pid, None)]
    while stack:
        current, parents_program = stack.pop()
        program = _program(current)
        if program is None or program != parents_program:
            total += _rss_kib(current)
        stack += [(child, program) for child in _children(current)]
    return total


class PeakMemory:
    """Samples the RSS of a process tree every ``interval`` seconds while in a ``with`` block."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, tree_rss_kib(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self.peak_kib = 0
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024
