"""Kill `lakehouse run` with SIGKILL in the middle of the build, run it again: Gold is what an
uninterrupted run gives. Two kills: during the fact's merge (an incremental day) and during a
mart's rebuild (the day after). Slow: seven pipeline runs in their own processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

PROJECT_DIR = Path(__file__).resolve().parents[2]
GENERATE = ["--orders-per-day", "120", "--customers", "150", "--products", "50", "--seed", "23"]
FACT = "model.lakehouse.fct_order_items"
MART = "model.lakehouse.revenue_trend"

pytestmark = pytest.mark.slow


def environment(home: Path) -> dict[str, str]:
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("LAKEHOUSE_")},
        "LAKEHOUSE_PROJECT_DIR": str(PROJECT_DIR),
        "LAKEHOUSE_HOME": str(home),
        "LAKEHOUSE_SPARK_MASTER": "local[2]",
        "LAKEHOUSE_DRIVER_MEMORY": "2g",
        "LAKEHOUSE_SHUFFLE_PARTITIONS": "2",
        "LAKEHOUSE_SETTLE_SECONDS": "0",
    }


def lakehouse(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *args],
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=1200,
    )


def land(home: Path, *args: str) -> None:
    done = lakehouse(home, "generate", "--landing", str(home / "landing"), "--quiet", *args)
    assert done.returncode == 0, done.stderr


def run(home: Path) -> None:
    done = lakehouse(home, "run")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def run_killed_during(home: Path, node: str, statement: str) -> None:
    """`lakehouse run`, killed (the whole process group, JVM included) as soon as dbt's log
    shows ``statement`` issued for ``node``."""
    log = home / "dbt" / "logs" / "dbt.log"
    start = log.stat().st_size if log.exists() else 0
    pattern = re.compile(
        rf"Began executing node {re.escape(node)}.*?{statement}", re.DOTALL | re.IGNORECASE
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "lakehouse.cli", "run"],
        env=environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 1200
        while time.monotonic() < deadline and process.poll() is None:
            if log.exists():
                with log.open(errors="replace") as handle:
                    handle.seek(start)
                    if pattern.search(handle.read()):
                        break
            time.sleep(0.05)
        assert process.poll() is None, f"the run ended before {node} issued `{statement}`"
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


def gold(spark: SparkSession, home: Path) -> dict[str, DataFrame]:
    """Every Gold table, read from its Delta files (each state folder has its own metastore),
    without the lineage columns (`_…`: load times and batch ids differ between runs)."""
    tables = {}
    for folder in sorted((home / "warehouse" / "gold.db").iterdir()):
        frame = spark.read.format("delta").load(str(folder))
        tables[folder.name] = frame.select([c for c in frame.columns if not c.startswith("_")])
    return tables


def test_a_build_killed_during_the_fact_merge_or_a_mart_rebuild_reruns_to_the_same_gold(
    spark: SparkSession, tmp_path: Path
) -> None:
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    for home in (reference, killed):
        land(home, "--days", "2", *GENERATE)
        run(home)
        land(home, "--append", "--days", "1")

    run(reference)
    run_killed_during(killed, FACT, "merge into")
    run(killed)

    for home in (reference, killed):
        land(home, "--append", "--days", "1")
    run(reference)
    run_killed_during(killed, MART, "create or replace table")
    run(killed)

    want, got = gold(spark, reference), gold(spark, killed)
    assert sorted(got) == sorted(want)
    for name, frame in want.items():
        assert frame.count() > 0, name
        assert got[name].columns == frame.columns, name
        assert frame.exceptAll(got[name]).count() == 0, name
        assert got[name].exceptAll(frame).count() == 0, name
