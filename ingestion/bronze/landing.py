"""Find the landed files of an entity and read their header lines (no Spark)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

# A header longer than this is not a header: the file is quarantined, not read into memory.
MAX_HEADER_BYTES = 1 << 20

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class LandedFile:
    entity: str
    path: Path
    size_bytes: int
    modified_at: dt.datetime

    @property
    def key(self) -> str:
        """The file's identity in the ingestion log: its absolute path."""
        return str(self.path)

    def header_line(self) -> str | None:
        """The first line decoded as UTF-8 (invalid bytes replaced), or None for an empty file."""
        with self.path.open("rb") as handle:
            raw = handle.readline(MAX_HEADER_BYTES + 1)
        if not raw:
            return None
        return raw.decode("utf-8", errors="replace")


def list_landed_files(landing: Path, entity: str) -> list[LandedFile]:
    """``<landing>/<entity>/**/*.csv`` in path order (date-stamped names sort by date)."""
    folder = landing / entity
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.rglob("*.csv")):
        if not path.is_file():
            continue
        stat = path.stat()
        files.append(
            LandedFile(
                entity=entity,
                path=path.resolve(),
                size_bytes=stat.st_size,
                # Milliseconds, as Hadoop (and so Spark's `_metadata`) reports it.
                modified_at=EPOCH + dt.timedelta(milliseconds=stat.st_mtime_ns // 1_000_000),
            )
        )
    return files
