"""Per-file row counts of a Bronze batch from the statistics Delta wrote with its commit.

Every data file a Delta write adds carries statistics in the commit: its row count, null
counts, and the min/max of the Bronze table's statistics columns. Each landed file is read as
one partition, so each data file holds the rows of one landed file, and its statistics alone
give that file's counts: rows, rows with ``_corrupt_record`` (malformed), rows with either
rescue column set, and the first and last ``_source_row`` (positions must run 1..n). Reading
the commit is a few kilobytes on the driver, where reading the rows back was a Spark job over
the whole batch.

``counts_from_commit`` returns None whenever the statistics cannot vouch for the counts (a
data file mixing landed files, a path longer than the statistics' string prefix, statistics
turned off); the caller then reads the rows back instead.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from pyspark.sql import SparkSession

from ingestion.bronze.ledger import FileCounts
from ingestion.bronze.schema import CORRUPT_RECORD, RESCUED_DATA, SOURCE_FILE, SOURCE_ROW


@dataclass
class _Tally:
    rows: int = 0
    rescued: int = 0
    malformed: int = 0
    first_row: int | None = None
    last_row: int = 0


def counts_from_commit(
    commit_lines: Iterable[str], batch_keys: Collection[str]
) -> dict[str, FileCounts] | None:
    """Per-file counts from a commit's ``add`` actions, or None if their statistics fall short.

    ``commit_lines`` is the commit file (one JSON action per line); ``batch_keys`` the paths
    the batch loaded. Rescued rows are those with ``_rescued_data`` or ``_corrupt_record``:
    Bronze never sets both on one row (see transform), so the two non-null counts add up.
    """
    tallies: dict[str, _Tally] = {}
    for line in commit_lines:
        if not line.strip():
            continue
        add = json.loads(line).get("add")
        if add is None:
            continue
        if add.get("dataChange") is False or not add.get("stats"):
            return None
        stats = json.loads(add["stats"])
        low, high = stats.get("minValues", {}), stats.get("maxValues", {})
        nulls = stats.get("nullCount", {})
        rows = stats.get("numRecords")
        if rows == 0:
            continue  # Spark writes an empty file when a whole batch has no rows
        key = low.get(SOURCE_FILE)
        # A truncated string statistic differs between min and max, so equality also proves
        # the path was recorded whole.
        if rows is None or key is None or key != high.get(SOURCE_FILE) or key not in batch_keys:
            return None
        if any(column not in nulls for column in (RESCUED_DATA, CORRUPT_RECORD)):
            return None
        if SOURCE_ROW not in low or SOURCE_ROW not in high:
            return None
        tally = tallies.setdefault(key, _Tally())
        malformed = rows - nulls[CORRUPT_RECORD]
        tally.rows += rows
        tally.malformed += malformed
        tally.rescued += (rows - nulls[RESCUED_DATA]) + malformed
        first = low[SOURCE_ROW]
        tally.first_row = first if tally.first_row is None else min(tally.first_row, first)
        tally.last_row = max(tally.last_row, high[SOURCE_ROW])
    counts = {}
    for key, tally in tallies.items():
        # Each file is read as one partition, so positions run 1..n without gaps.
        if tally.first_row != 1 or tally.last_row != tally.rows:
            raise RuntimeError(
                f"row positions of {key} are not contiguous ({tally.rows} rows, positions "
                f"{tally.first_row}..{tally.last_row}); the file was split"
            )
        counts[key] = FileCounts(tally.rows, tally.rescued, tally.malformed)
    return counts


def read_commit(spark: SparkSession, table_path: str, version: int) -> list[str]:
    """The lines of one Delta commit file, read on the driver through Hadoop's file system
    (so any table location Spark can write to works)."""
    jvm = spark._jvm  # py4j: Hadoop FileSystem has no Python API
    path = jvm.org.apache.hadoop.fs.Path(f"{table_path.rstrip('/')}/_delta_log/{version:020d}.json")
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    stream = fs.open(path)
    try:
        text = jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
    finally:
        stream.close()
    return str(text).splitlines()
