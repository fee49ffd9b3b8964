"""Summary counts of Delta tables, remembered per table version.

`lakehouse run` ends with the row count of every table and the quarantine counts by reason. A
Delta table's content is fixed by its version, and the newest version can be read off a listing
of the table's ``_delta_log`` folder, where counting a table this session has not read yet costs
Spark a snapshot job (0.5-1 s; a new day leaves most tables untouched). So each result is kept
in the state folder with the version it was computed at, and reused while the table stays
there. The commit file's modification time is part of the key: a table dropped and created
again at the same place starts again at version 0, with other rows.

Tables outside the local file system (``s3a://`` and the like) are always counted.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

COMMIT_FILE = re.compile(r"^(\d{20})\.json$")


@dataclass(frozen=True)
class TableVersion:
    version: int
    committed_ns: int  # modification time of the version's commit file

    def key(self) -> str:
        return f"{self.version}@{self.committed_ns}"


def local_path(location: str) -> Path | None:
    """The local folder of a table location (``file:/p``, ``file:///p`` or ``/p``), else None."""
    parts = urllib.parse.urlsplit(location)
    if parts.scheme not in ("", "file") or parts.netloc not in ("", "localhost"):
        return None
    if not parts.path:
        return None  # no location known (not the working directory)
    return Path(urllib.parse.unquote(parts.path))


def table_version(location: str) -> TableVersion | None:
    """The newest committed version of the Delta table at ``location``, from a listing of its
    log; None when the table is not on the local file system or has no commit file."""
    folder = local_path(location)
    if folder is None:
        return None
    try:
        with os.scandir(folder / "_delta_log") as entries:
            commits = [
                (int(match.group(1)), entry)
                for entry in entries
                if (match := COMMIT_FILE.match(entry.name))
            ]
        if not commits:
            return None
        version, entry = max(commits, key=lambda item: item[0])
        return TableVersion(version, entry.stat().st_mtime_ns)
    except OSError:
        return None


class CountCache:
    """Results per (kind, table location, version), in a JSON file of the state folder."""

    def __init__(self, file: Path) -> None:
        self.file = file
        try:
            loaded = json.loads(file.read_text())
        except (OSError, ValueError):
            loaded = {}
        self.entries: dict[str, dict[str, object]] = loaded if isinstance(loaded, dict) else {}

    def get(self, kind: str, location: str, version: TableVersion) -> object | None:
        entry = self.entries.get(f"{kind} {location}")
        if isinstance(entry, dict) and entry.get("version") == version.key():
            return entry.get("value")
        return None

    def put(self, kind: str, location: str, version: TableVersion, value: object) -> None:
        self.entries[f"{kind} {location}"] = {"version": version.key(), "value": value}

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.entries, indent=1, sort_keys=True))
        temporary.replace(self.file)


def cached(
    cache: CountCache | None,
    kind: str,
    locations: Sequence[str],
    compute: Callable[[list[int]], list[T]],
) -> list[T]:
    """``compute`` (given the indexes of the tables to compute) for the tables whose result at
    their current version is not in ``cache``; results in the order of ``locations``.

    ``compute`` gets every index when there is no cache. The versions are read before
    computing: a commit that lands meanwhile only makes the next run compute again.
    """
    if cache is None:
        return compute(list(range(len(locations))))
    versions = [table_version(location) for location in locations]
    results: list[object | None] = [
        cache.get(kind, location, version) if version is not None else None
        for location, version in zip(locations, versions, strict=True)
    ]
    missing = [index for index, result in enumerate(results) if result is None]
    for index, value in zip(missing, compute(missing) if missing else [], strict=True):
        results[index] = value
        version = versions[index]
        if version is not None:
            cache.put(kind, locations[index], version, value)
    cache.save()
    return results  # type: ignore[return-value]
