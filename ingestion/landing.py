"""Find the landed files of an entity, decide which are complete, read their header lines.

This module is the local landing zone (no Spark) and what every landing zone shares: the
``LandingZone`` interface, the naming and completeness rules. A landing zone on a Hadoop
file system (``s3a://…``) is ``ingestion.hadoop_landing``.

A file is taken only when it is complete. The rule (docs/ingestion.md, "When a file is
complete"):

* names starting with ``.`` or ``_`` and names not ending in ``.csv`` are never listed, so a
  writer that writes ``x.csv.part`` (or ``.x.csv``) and renames it into place is always read
  whole: the rename is atomic;
* a file written in place is taken once its size and modification time have stayed the same
  for the settling interval (``LAKEHOUSE_SETTLE_SECONDS``). A run that finds a younger file
  waits for it once; a file that is still changing is left for a later run.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

# A header longer than this is not a header: the file is quarantined, not read into memory.
MAX_HEADER_BYTES = 1 << 20

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class LandedFile:
    entity: str
    location: str  # an absolute, resolved local path, or a Hadoop URI (s3a://bucket/key)
    size_bytes: int
    modified_at: dt.datetime
    relative: str = ""  # the path below the landing zone, as messages name the file

    @property
    def key(self) -> str:
        """The file's identity in the ingestion log: its absolute location."""
        return self.location

    @property
    def name(self) -> str:
        """How messages name the file: its path relative to the landing zone."""
        return self.relative or self.path.name

    @property
    def signature(self) -> tuple[int, int]:
        """Size and modification time (milliseconds): what changes when a file is rewritten."""
        return self.size_bytes, modified_millis(self.modified_at)


class LandingZone(Protocol):
    """Where landed files are listed and their first lines read: a local folder, or a Hadoop
    file system such as S3 (``ingestion.hadoop_landing``)."""

    location: str
    # Whether a file can be seen while it is still being written: a local file can, an S3
    # object cannot (it appears whole when its upload completes), so S3 needs no settling.
    visible_while_written: bool

    def exists(self) -> bool: ...
    def has_landed_files(self) -> bool: ...
    def list_files(self, entity: str) -> list[LandedFile]: ...
    def restat(self, file: LandedFile) -> LandedFile | None: ...
    def first_line(self, file: LandedFile) -> bytes: ...


def header_line(raw: bytes) -> str | None:
    """A file's first line (as ``first_line`` read it) decoded as UTF-8, invalid bytes
    replaced; None for an empty file."""
    if not raw:
        return None
    if len(raw) > MAX_HEADER_BYTES:
        raise ValueError(
            f"the first line is longer than {MAX_HEADER_BYTES:,} bytes: not a CSV header"
        )
    return raw.decode("utf-8", errors="replace")


def modified_millis(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(milliseconds=1)


def is_landed_name(name: str) -> bool:
    """A name the listing takes: ``*.csv``, not hidden, not a writer's ``_``-prefixed temp."""
    return name.endswith(".csv") and not name.startswith((".", "_"))


def stat_file(entity: str, path: Path, landing: Path) -> LandedFile | None:
    """The file as it is now, or None when it is gone or not a regular file."""
    try:
        resolved = path.resolve()
        stat = resolved.stat()
    except (OSError, RuntimeError):  # vanished, a broken link, a symlink loop
        return None
    if not resolved.is_file():
        return None
    return LandedFile(
        entity=entity,
        location=str(resolved),
        size_bytes=stat.st_size,
        # Milliseconds, as Hadoop (and so Spark's `_metadata`) reports it.
        modified_at=EPOCH + dt.timedelta(milliseconds=stat.st_mtime_ns // 1_000_000),
        relative=_relative(path, landing),
    )


def _relative(path: Path, landing: Path) -> str:
    try:
        return str(path.relative_to(landing))
    except ValueError:
        return path.name


def list_landed_files(landing: Path, entity: str) -> list[LandedFile]:
    """``<landing>/<entity>/**/*.csv`` in path order (date-stamped names sort by date).

    Two paths that resolve to one file (a symlink beside its target) are one file, listed
    once under the first path in order.
    """
    folder = landing / entity
    if not folder.is_dir():
        return []
    files: list[LandedFile] = []
    seen: set[str] = set()
    for path in sorted(folder.rglob("*.csv")):
        folders = path.relative_to(folder).parts[:-1]
        if not is_landed_name(path.name) or any(part.startswith((".", "_")) for part in folders):
            continue
        file = stat_file(entity, path, landing)
        if file is None or file.key in seen:
            continue
        seen.add(file.key)
        files.append(file)
    return files


@dataclass(frozen=True)
class Settled:
    complete: list[LandedFile]
    in_flight: list[LandedFile]  # still changing, or younger than the interval: a later run


def settle(
    files: Sequence[LandedFile],
    seconds: float,
    *,
    restat: Callable[[LandedFile], LandedFile | None],
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Settled:
    """Split ``files`` into the complete and those still being written.

    A file last modified at least ``seconds`` ago is complete. The others are waited for once,
    until the youngest is ``seconds`` old, then looked at again: those whose size and
    modification time did not move are complete, the rest are in flight.
    """
    if seconds <= 0 or not files:
        return Settled(list(files), [])
    now = clock()
    young = [file for file in files if now - _epoch_seconds(file) < seconds]
    if not young:
        return Settled(list(files), [])
    newest = max(_epoch_seconds(file) for file in young)
    sleep(max(0.0, newest + seconds - now))
    unchanged: set[str] = set()
    for file in young:
        again = restat(file)
        if again is not None and again.signature == file.signature:
            unchanged.add(file.key)
    young_keys = {file.key for file in young}
    complete = [file for file in files if file.key not in young_keys or file.key in unchanged]
    in_flight = [file for file in young if file.key not in unchanged]
    return Settled(complete, in_flight)


def _epoch_seconds(file: LandedFile) -> float:
    return modified_millis(file.modified_at) / 1000


# A landing zone's listing as a value: (location, size, modification time in ms) of every file.
Listing = frozenset[tuple[str, int, int]]


def landing_listing(zone: LandingZone, entities: Sequence[str]) -> Listing:
    """Every listed file of ``entities``: what changes when a file lands, grows or is replaced
    (the watch mode and the scheduler's trigger compare two of these)."""
    return frozenset(
        (file.key, *file.signature) for entity in entities for file in zone.list_files(entity)
    )


def settled_part(listing: Listing, seconds: float, now: float) -> Listing:
    """The files of ``listing`` last modified at least ``seconds`` before ``now`` (epoch
    seconds): complete by the settling rule, without waiting."""
    return frozenset(entry for entry in listing if now - entry[2] / 1000 >= seconds)


class LocalLanding:
    """A landing zone in a local folder."""

    visible_while_written = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.location = str(folder)

    def exists(self) -> bool:
        return self.folder.is_dir()

    def has_landed_files(self) -> bool:
        return self.exists() and any(self.folder.rglob("*.csv"))

    def list_files(self, entity: str) -> list[LandedFile]:
        return list_landed_files(self.folder, entity)

    def restat(self, file: LandedFile) -> LandedFile | None:
        """``stat_file`` again for a listed file, by the path it was resolved to."""
        now = stat_file(file.entity, Path(file.location), self.folder)
        return None if now is None else replace(now, relative=file.relative)

    def first_line(self, file: LandedFile) -> bytes:
        with Path(file.location).open("rb") as handle:
            return handle.readline(MAX_HEADER_BYTES + 1)
