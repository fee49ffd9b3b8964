"""The `ecommerce_lakehouse` DAG end to end with real Airflow: `dag.test()` on a SQLite metadata
database in a temporary AIRFLOW_HOME (no scheduler), each task a real `lakehouse` command on
generated sample data.

1. the first run ingests and builds everything: Gold is built, the docs catalog written, a
   warn-level test warns and the run still succeeds;
2. a run with no new files skips the build (and the docs), and still checks freshness;
3. after `lakehouse ingest --watch` loaded a new day, the next run merges only its lines;
4. a day whose lines break a blocking gate ends the run failed at the build task, the log
   naming the test and the relation holding its failing rows.

Slow tier (several whole builds): `make test-slow`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bronze_helpers import generate
from pyspark.sql import SparkSession
from test_orchestration import airflow_env, drive

from lakehouse.settings import Settings

pytestmark = pytest.mark.slow

SAMPLE = ["--days", "1", "--orders-per-day", "30", "--customers", "60", "--products", "20"]
# More than 5 % of the fact's lines without an FX rate: a blocking gate (severity error). dbt
# names the test after its arguments and stores its failing rows under a hashed name.
FAILING_GATE = "share_at_most_fct_order_items_net_amount_inr___var_max_unpriced_share_0_05_"
FAILING_ROWS = "audit.share_at_most_fct_order_items_"


@dataclass(frozen=True)
class Deployment:
    env: dict[str, str]
    home: Path
    landing: Path
    manifest: dict[str, Any]


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, lakehouse_settings: Settings
) -> Deployment:
    root = tmp_path_factory.mktemp("airflow_dag")
    env = airflow_env(root, LAKEHOUSE_SETTLE_SECONDS="1")
    for key in (
        "LAKEHOUSE_SPARK_MASTER",
        "LAKEHOUSE_DRIVER_MEMORY",
        "LAKEHOUSE_SHUFFLE_PARTITIONS",
    ):
        env[key] = lakehouse_settings.as_env()[key]
    landing = Path(env["LAKEHOUSE_LANDING"])
    manifest = generate(landing, *SAMPLE, "--seed", "5")
    airflow = Path(sys.executable).with_name("airflow")
    migrated = subprocess.run(
        [str(airflow), "db", "migrate"], env=env, capture_output=True, text=True, check=False
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    return Deployment(env, Path(env["LAKEHOUSE_HOME"]), landing, manifest)


def dag_run(deployment: Deployment) -> tuple[str, dict[str, Any]]:
    return drive(deployment.env, "test", timeout=1800)


def fact_path(deployment: Deployment) -> str:
    return str(deployment.home / "warehouse" / "gold.db" / "fct_order_items")


def new_order_lines(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    known = {entry["path"] for entry in before["files"]}
    return [
        entry
        for entry in after["files"]
        if entry["entity"] == "order_items" and entry["path"] not in known
    ]


def test_the_first_run_builds_gold(deployment: Deployment, spark: SparkSession) -> None:
    output, run = dag_run(deployment)
    assert run == {
        "state": "success",
        "tasks": {name: "success" for name in ("ingest", "build", "docs", "freshness")},
    }, output[-5000:]
    fact = spark.read.format("delta").load(fact_path(deployment))
    assert fact.count() > 0
    assert (deployment.home / "dbt" / "target" / "catalog.json").is_file()  # the docs
    # A warn-level test warned, and the build still succeeded.
    assert "  WARN  " in output


def test_a_run_with_no_new_files_skips_the_build(deployment: Deployment) -> None:
    output, run = dag_run(deployment)
    assert run == {
        "state": "success",
        "tasks": {
            "ingest": "success",
            "build": "skipped",
            "docs": "skipped",
            "freshness": "success",
        },
    }, output[-5000:]
    assert "no new Bronze data; no code changed: nothing to build" in output


def test_after_a_watched_ingest_the_run_merges_only_the_new_lines(
    deployment: Deployment, spark: SparkSession
) -> None:
    watcher = subprocess.Popen(
        [sys.executable, "-m", "lakehouse.cli", "ingest", "--watch", "--interval", "2"],
        env=deployment.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        manifest = generate(
            deployment.landing, "--append", "--days", "1", "--dimension-exports", "0"
        )
        added = new_order_lines(deployment.manifest, manifest)
        assert watcher.stdout is not None
        deadline = time.monotonic() + 300
        loaded = False
        while not loaded and time.monotonic() < deadline:
            line = watcher.stdout.readline()
            assert line, "the watcher ended"
            loaded = re.search(r" batch \d+: [1-9]\d* file\(s\)", line) is not None
    finally:
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=300) == 0
    assert loaded

    output, run = dag_run(deployment)
    assert run["state"] == "success", output[-5000:]
    assert run["tasks"]["build"] == "success"
    [commit] = spark.sql(f"describe history delta.`{fact_path(deployment)}` limit 1").collect()
    assert commit.operation == "MERGE"
    new_lines = sum(entry["rows"] for entry in added)
    assert 0 < int(commit.operationMetrics["numSourceRows"]) <= new_lines


def without_fx_rate(path: Path) -> None:
    """Every line of a landed order-item file priced in a currency that has no FX rate."""
    rows = list(csv.reader(io.StringIO(path.read_text())))
    column = rows[0].index("unit_price_currency")
    for row in rows[1:]:
        if len(row) > column:
            row[column] = "XXX"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue())


def test_a_blocking_gate_fails_the_run_at_the_build_task(deployment: Deployment) -> None:
    before = json.loads((deployment.landing / "_manifest.json").read_text())
    after = generate(deployment.landing, "--append", "--days", "1", "--dimension-exports", "0")
    for entry in new_order_lines(before, after):
        without_fx_rate(deployment.landing / entry["path"])

    output, run = dag_run(deployment)
    assert run["state"] == "failed", output[-5000:]
    assert run["tasks"] == {
        "ingest": "success",
        "build": "failed",
        "docs": "upstream_failed",
        "freshness": "upstream_failed",
    }, output[-5000:]
    # The task log names the gate and where its failing rows are.
    assert f"test {FAILING_GATE}" in output, output[-5000:]
    assert f"{FAILING_GATE}: Got " in output
    assert f"failing rows: select * from {FAILING_ROWS}" in output
    # Failed without retries: running again would give the same answer.
    assert "it will be retried" not in output
