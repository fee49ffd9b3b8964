"""A real landing zone: files still being written, files changed after they were loaded, files
nothing can read, and one file under two names. Every row lands once, or is reported."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from ingestion.landing import LandedFile, LocalLanding, list_landed_files, settle
from ingestion.loader import (
    EntityResult,
    ensure_bronze_tables,
    ingest_entity,
    new_plan,
    plan_file,
    write_batch_isolating,
)
from lakehouse.commands.ingest import ingest
from lakehouse.settings import Settings

HEADER = b"brand_code,brand_name,category_code\n"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def brand_rows(start: int, count: int) -> bytes:
    return b"".join(f"B{i:05d},Brand {i},CE\n".encode() for i in range(start, start + count))


@pytest.fixture
def zone(lakehouse_settings: Settings, tmp_path: Path) -> Settings:
    return replace(
        lakehouse_settings, landing=str(tmp_path / "landing"), bronze=str(tmp_path / "bronze")
    )


def bronze_codes(spark: SparkSession, settings: Settings) -> list[str]:
    table = spark.read.format("delta").load(settings.bronze_table_path("brands"))
    return [row.brand_code for row in table.select("brand_code").collect()]


def log_rows(spark: SparkSession, settings: Settings) -> list:
    log = spark.read.format("delta").load(settings.bronze_table_path("_ingestion_log"))
    return log.where("entity = 'brands'").orderBy("batch_seq").collect()


# --- the completeness rule, on its own (no Spark) ----------------------------------------------


def landed(name: str, size: int, modified: float) -> LandedFile:
    return LandedFile("brands", f"/l/{name}", size, EPOCH + dt.timedelta(seconds=modified), name)


def test_old_files_are_complete_without_waiting() -> None:
    waits: list[float] = []
    files = [landed("a.csv", 10, 100.0), landed("b.csv", 20, 200.0)]
    result = settle(files, 3, restat=lambda f: f, clock=lambda: 300.0, sleep=waits.append)
    assert result.complete == files and result.in_flight == [] and waits == []


def test_a_young_file_is_waited_for_once_and_taken_if_it_did_not_change() -> None:
    waits: list[float] = []
    old, young = landed("a.csv", 10, 100.0), landed("b.csv", 20, 299.0)
    result = settle([old, young], 3, restat=lambda f: f, clock=lambda: 300.0, sleep=waits.append)
    assert waits == [2.0]
    assert result.complete == [old, young] and result.in_flight == []


def test_a_file_that_changes_while_waited_for_is_in_flight() -> None:
    young = landed("b.csv", 20, 299.0)
    grown = replace(young, size_bytes=25)
    result = settle([young], 3, restat=lambda f: grown, clock=lambda: 300.0, sleep=lambda s: None)
    assert result.complete == [] and result.in_flight == [young]


def test_the_listing_skips_temporary_names_and_lists_a_linked_file_once(tmp_path: Path) -> None:
    folder = tmp_path / "brands"
    folder.mkdir()
    (folder / "a.csv").write_bytes(HEADER)
    (folder / "b.csv.part").write_bytes(HEADER)
    (folder / ".c.csv").write_bytes(HEADER)
    (folder / "_d.csv").write_bytes(HEADER)
    (folder / "_tmp").mkdir()
    (folder / "_tmp" / "e.csv").write_bytes(HEADER)
    (folder / "sub").mkdir()
    (folder / "sub" / "f.csv").write_bytes(HEADER)
    (folder / "z_link.csv").symlink_to(folder / "a.csv")
    (folder / "loop").symlink_to(folder)  # a loop: not followed
    (folder / "broken.csv").symlink_to(folder / "gone.csv")
    names = [file.name for file in list_landed_files(tmp_path, "brands")]
    assert names == ["brands/a.csv", "brands/sub/f.csv"]


# --- with Spark and Delta ------------------------------------------------------------------------


def test_a_file_written_slowly_while_ingests_run_lands_whole_and_once(
    spark: SparkSession, zone: Settings
) -> None:
    """A writer appends rows for about ten seconds; ingests run all the while. Every row lands
    exactly once: no ingest reads the file half-written."""
    zone = replace(zone, settle_seconds=1.0)
    path = zone.landing_dir / "brands" / "slow.csv"
    path.parent.mkdir(parents=True)
    total = 100

    def writer() -> None:
        with path.open("wb") as handle:
            handle.write(HEADER)
            for index in range(total):
                handle.write(brand_rows(index, 1))
                handle.flush()
                time.sleep(0.1)

    ensure_bronze_tables(spark, zone)
    ingest_entity(spark, zone, "brands", progress=lambda _: None)  # warm: the loop is quick
    thread = threading.Thread(target=writer)
    thread.start()
    while not path.exists():
        time.sleep(0.01)
    results: list[EntityResult] = []
    while thread.is_alive():
        results.append(ingest_entity(spark, zone, "brands", progress=lambda _: None))
    thread.join()
    results.append(ingest_entity(spark, zone, "brands", progress=lambda _: None))

    assert any(result.in_flight for result in results), "no ingest ran while the file grew"
    assert sorted(bronze_codes(spark, zone)) == [f"B{i:05d}" for i in range(total)]
    assert not any(result.changed or result.quarantined for result in results)
    assert [row.status for row in log_rows(spark, zone)] == ["loaded"]


@pytest.mark.parametrize("change", ["appended", "same_size_edit"])
def test_a_file_changed_after_it_was_loaded_is_reported_not_silent(
    spark: SparkSession, zone: Settings, change: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = zone.landing_dir / "brands" / "day1.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(HEADER + brand_rows(0, 5))
    old_mtime = time.time() - 60
    os.utime(path, (old_mtime, old_mtime))
    assert ingest(zone, ["brands"]) == 0
    if change == "appended":
        with path.open("ab") as handle:
            handle.write(brand_rows(5, 20))
    else:
        path.write_bytes(HEADER + brand_rows(0, 5).replace(b"Brand 3", b"Brand X"))
    os.utime(path, (old_mtime + 30, old_mtime + 30))  # settled, but not what was loaded
    capsys.readouterr()

    assert ingest(zone, ["brands"]) == 1
    err = capsys.readouterr().err
    assert "changed_after_load" in err and "brands/day1.csv" in err
    assert sorted(bronze_codes(spark, zone)) == [f"B{i:05d}" for i in range(5)]
    statuses = [row.status for row in log_rows(spark, zone)]
    assert statuses == ["loaded", "changed_after_load"]
    assert log_rows(spark, zone)[-1].file_size_bytes == path.stat().st_size

    # Recorded: the next run has nothing new and exits 0; a further change is reported again.
    assert ingest(zone, ["brands"]) == 0
    os.utime(path, (old_mtime + 40, old_mtime + 40))
    assert ingest(zone, ["brands"]) == 1


def test_files_nothing_can_read_are_quarantined_and_never_block_the_others(
    spark: SparkSession, zone: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = zone.landing_dir / "brands"
    folder.mkdir(parents=True)
    (folder / "a_good.csv").write_bytes(HEADER + brand_rows(0, 3))
    # A first line of 2 MB: not a header; and one field longer than Python's csv limit.
    (folder / "b_long_header.csv").write_bytes(b"x" * (2 << 20) + b"\n" + brand_rows(10, 1))
    (folder / "c_huge_field.csv").write_bytes(b"brand_code," + b"y" * 200_000 + b"\n")
    (folder / "d_gzip.csv").write_bytes(gzip.compress(HEADER + brand_rows(20, 50)))
    (folder / "e_good.csv").write_bytes(HEADER + brand_rows(30, 2))
    (folder / "f_link.csv").symlink_to(folder / "e_good.csv")

    assert ingest(zone, ["brands"]) == 1
    err = capsys.readouterr().err
    assert sorted(bronze_codes(spark, zone)) == [
        "B00000", "B00001", "B00002", "B00030", "B00031"
    ]  # fmt: skip
    statuses = {Path(row.file_path).name: (row.status, row.error) for row in log_rows(spark, zone)}
    assert {name: status for name, (status, _) in statuses.items()} == {
        "a_good.csv": "loaded",
        "b_long_header.csv": "quarantined",
        "c_huge_field.csv": "quarantined",
        "d_gzip.csv": "quarantined",
        "e_good.csv": "loaded",
    }
    assert "longer than" in statuses["b_long_header.csv"][1]
    assert "field larger than field limit" in statuses["c_huge_field.csv"][1]
    # Messages never carry raw binary: every character printable, escapes instead.
    for line in err.splitlines():
        assert line.isprintable(), repr(line[:200])
    assert all(error is None or error.isprintable() for _, error in statuses.values())

    # Not retried while unchanged; retried once replaced by a readable file.
    assert ingest(zone, ["brands"], allow_quarantined=True) == 0
    assert len(log_rows(spark, zone)) == 5
    (folder / "d_gzip.csv").write_bytes(HEADER + brand_rows(20, 2))
    assert ingest(zone, ["brands"]) == 0
    assert "B00021" in bronze_codes(spark, zone)


def test_a_file_spark_cannot_read_is_set_aside_and_the_rest_of_its_batch_loads(
    spark: SparkSession, zone: Settings
) -> None:
    """The header read fine, then Spark failed on the file (here: it vanished before the read):
    that file is quarantined with Spark's reason, the batch's other files are written."""
    folder = zone.landing_dir / "brands"
    folder.mkdir(parents=True)
    for name, start in (("a.csv", 0), ("b.csv", 10), ("c.csv", 20)):
        (folder / name).write_bytes(HEADER + brand_rows(start, 2))
    ensure_bronze_tables(spark, zone)
    files = list_landed_files(zone.landing_dir, "brands")
    planned = [plan_file(file, LocalLanding(zone.landing_dir)) for file in files]
    plan = new_plan("brands", 1, [item for item, _ in planned])
    (folder / "b.csv").unlink()
    loadable = [(file, match) for file, (_, match) in zip(files, planned, strict=True)]

    counts, written = write_batch_isolating(
        spark, zone, plan, loadable, dt.datetime.now(dt.timezone.utc), lambda _: None
    )

    assert [file.name for file, _ in written] == ["brands/a.csv", "brands/c.csv"]
    assert sorted(bronze_codes(spark, zone)) == ["B00000", "B00001", "B00020", "B00021"]
    status = {Path(item.path).name: item for item in plan.files}
    assert status["b.csv"].status == "quarantined"
    assert "Spark could not read" in status["b.csv"].error
    assert sum(item.rows_loaded for item in counts.values()) == 4
