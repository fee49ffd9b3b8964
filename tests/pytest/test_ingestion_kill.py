"""An ingestion run killed with SIGKILL part-way leaves no partial rows, and the next run
completes with every row exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from bronze_helpers import generate
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ingestion.loader import ingest_entity
from lakehouse.settings import Settings

DAYS = 4


def committed_batches(table: Path) -> int:
    """Data commits so far: version 0 creates the empty table, each batch adds one."""
    return len(list((table / "_delta_log").glob("*.json"))) - 1


def test_sigkill_mid_run_then_rerun_loads_every_row_once(
    spark: SparkSession, lakehouse_settings: Settings, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    settings = replace(
        lakehouse_settings, home=home, landing=str(home / "landing"), bronze=str(home / "bronze")
    )
    manifest = generate(
        settings.landing_dir, "--days", str(DAYS), "--orders-per-day", "150", "--seed", "11"
    )
    table = Path(settings.bronze_table_path("order_items"))

    env = {**os.environ, **settings.as_env(), "LAKEHOUSE_METASTORE": str(home / "metastore_db")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lakehouse.cli",
            "ingest",
            "--entity",
            "order_items",
            "--max-files-per-batch",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            if table.is_dir() and committed_batches(table) >= 1:
                break
            time.sleep(0.05)
        assert process.poll() is None, "ingestion finished before it could be killed"
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    killed_at = committed_batches(table)
    assert 1 <= killed_at < DAYS, f"killed after {killed_at} of {DAYS} batches"

    rows_per_file = {
        str((settings.landing_dir / entry["path"]).resolve()): entry["rows"]
        for entry in manifest["files"]
        if entry["entity"] == "order_items"
    }
    # No partial rows: every file present in Bronze is there completely.
    bronze = spark.read.format("delta").load(str(table))
    present = {
        row._source_file: row.n
        for row in bronze.groupBy("_source_file").agg(F.count("*").alias("n")).collect()
    }
    assert present, "nothing was committed before the kill"
    for path, count in present.items():
        assert count == rows_per_file[path], path

    ingest_entity(spark, settings, "order_items", progress=lambda _: None)

    bronze = spark.read.format("delta").load(str(table))
    assert bronze.count() == sum(rows_per_file.values())
    assert bronze.select("_source_file", "_source_row").distinct().count() == sum(
        rows_per_file.values()
    )
    log = spark.read.format("delta").load(settings.bronze_table_path("_ingestion_log"))
    logged = {
        row.file_path: row.rows_loaded for row in log.where("entity = 'order_items'").collect()
    }
    assert logged == rows_per_file
