"""Summary counts reused while a Delta table's version stays put, counted again when it moves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse.count_cache import CountCache, cached, local_path, table_version
from lakehouse.summary import table_counts


def commit(table: Path, version: int, mtime_ns: int | None = None) -> None:
    log = table / "_delta_log"
    log.mkdir(parents=True, exist_ok=True)
    path = log / f"{version:020d}.json"
    path.write_text("{}\n")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_the_version_is_the_newest_commit_file(tmp_path: Path) -> None:
    table = tmp_path / "t"
    commit(table, 0)
    commit(table, 1)
    commit(table, 12)
    (table / "_delta_log" / f"{11:020d}.checkpoint.parquet").write_text("")
    (table / "_delta_log" / f"{13:020d}.json.tmp").write_text("")
    assert table_version(str(table)).version == 12
    assert table_version(f"file:{table}").version == 12
    assert table_version(f"file://{table}").version == 12
    assert table_version(str(tmp_path / "missing")) is None
    assert table_version("s3a://bucket/t") is None
    assert local_path("hdfs://namenode/t") is None
    assert table_version("") is None


def test_a_result_is_reused_only_at_the_same_version(tmp_path: Path) -> None:
    table = tmp_path / "t"
    commit(table, 0, mtime_ns=1_000_000_000)
    file = tmp_path / "state" / "counts.json"
    computed: list[list[int]] = []

    def compute(indexes: list[int]) -> list[int]:
        computed.append(indexes)
        return [len(computed)] * len(indexes)

    locations = [str(table)]
    assert cached(CountCache(file), "rows", locations, compute) == [1]
    # A new process: the file keeps the result.
    assert cached(CountCache(file), "rows", locations, compute) == [1]
    assert computed == [[0]]
    commit(table, 1)
    assert cached(CountCache(file), "rows", locations, compute) == [2]
    # Dropped and created again at the same place: version 0 again, another commit file.
    for path in (table / "_delta_log").iterdir():
        path.unlink()
    commit(table, 0, mtime_ns=2_000_000_000)
    assert cached(CountCache(file), "rows", locations, compute) == [3]
    # Without a cache everything is computed; another kind of result has its own entry.
    assert cached(None, "rows", locations, compute) == [4]
    assert cached(CountCache(file), "rejects", locations, compute) == [5]


def test_an_unreadable_cache_file_is_ignored(tmp_path: Path) -> None:
    file = tmp_path / "counts.json"
    file.write_text("not json")
    table = tmp_path / "t"
    commit(table, 0)
    assert cached(CountCache(file), "rows", [str(table)], lambda indexes: [7] * len(indexes)) == [7]
    assert CountCache(file).entries  # written again, readable


def test_table_counts_follow_the_delta_version(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spark.sql("create schema if not exists gold")
    spark.sql("drop table if exists gold.count_cache_probe")
    spark.sql("create table gold.count_cache_probe (id int) using delta")
    spark.sql("insert into gold.count_cache_probe values (1), (2)")
    cache = CountCache(tmp_path / "counts.json")

    def probe_rows() -> int:
        rows = {name: n for schema, name, n in table_counts(spark, cache) if schema == "gold"}
        return rows["count_cache_probe"]

    try:
        assert probe_rows() == 2
        # Reused at the same version: a result planted for it is what comes back.
        for entry in cache.entries.values():
            entry["value"] = 99
        assert probe_rows() == 99
        spark.sql("insert into gold.count_cache_probe values (3)")
        assert probe_rows() == 3
    finally:
        spark.sql("drop table if exists gold.count_cache_probe")
