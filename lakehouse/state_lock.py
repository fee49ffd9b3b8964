"""One writer per state folder: an exclusive lock held for the whole of a command.

The lock is ``fcntl.flock`` on ``$LAKEHOUSE_HOME/lakehouse.lock``: the kernel releases it when
the holding process ends, however it ends (a SIGKILL, a crash), so a lock can never be left
behind; the file's content (pid, command, since when) only names the holder. Content found in
a file whose lock was free is what a killed holder left: it is reported and replaced.

Every command that opens the embedded metastore takes the lock (``run``, ``ingest``, ``build``,
``sql``): Derby admits one process, so a reader waiting behind a writer would fail anyway.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = "lakehouse.lock"
# sysexits' EX_TEMPFAIL: nothing is wrong, try again later.
EXIT_BUSY = 75


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    since: str

    def describe(self) -> str:
        return f"pid {self.pid}, `{self.command}`, since {self.since}"


class StateBusyError(RuntimeError):
    """Another process holds this state folder's lock."""

    def __init__(self, home: Path, holder: Holder | None) -> None:
        who = holder.describe() if holder else "a process that has not said who it is yet"
        super().__init__(
            f"the state folder {home} is in use by another lakehouse command ({who}); wait for "
            "it to finish, or give this command its own LAKEHOUSE_HOME"
        )
        self.holder = holder


def read_holder(path: Path) -> Holder | None:
    try:
        payload = json.loads(path.read_text())
        return Holder(int(payload["pid"]), str(payload["command"]), str(payload["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def state_lock(
    home: Path, command: str | None = None, say: Callable[[str], None] | None = None
) -> Iterator[Holder]:
    """Hold ``home``'s lock for the block, or raise ``StateBusyError`` at once."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_FILE
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateBusyError(home, read_holder(path)) from None
        left = read_holder(path)
        if left is not None and left.pid != os.getpid() and say is not None:
            say(f"lakehouse: taking over the lock left by a process that ended ({left.describe()})")
        holder = Holder(
            pid=os.getpid(),
            command=command or " ".join(["lakehouse", *sys.argv[1:]])[:200],
            since=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        )
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(holder.__dict__).encode(), 0)
        try:
            yield holder
        finally:
            # A clean exit leaves an empty file: nothing to take over.
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # releases the lock
