"""Shared fixtures: one lakehouse state folder and one SparkSession for the whole test run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from bronze_helpers import generate
from pyspark.sql import SparkSession

from ingestion.contract import ENTITIES
from lakehouse.commands.ingest import ingest
from lakehouse.dbt_runner import DbtOutcome, run_dbt
from lakehouse.session import get_spark
from lakehouse.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def lakehouse_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at a fresh state folder; exported so dbt's profile sees them too."""
    home = tmp_path_factory.mktemp("lakehouse")
    overrides = {
        "LAKEHOUSE_PROJECT_DIR": str(PROJECT_DIR),
        "LAKEHOUSE_HOME": str(home),
        "LAKEHOUSE_SPARK_MASTER": "local[2]",
        "LAKEHOUSE_DRIVER_MEMORY": "2g",
        "LAKEHOUSE_SHUFFLE_PARTITIONS": "2",
        # Generated files are complete when written; a shorter settling interval than the
        # default keeps the many ingests right after generation quick.
        "LAKEHOUSE_SETTLE_SECONDS": "1",
    }
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    settings = Settings.from_env()
    os.environ.update(settings.as_env())
    yield settings
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def spark(lakehouse_settings: Settings) -> Iterator[SparkSession]:
    session = get_spark(lakehouse_settings)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def dbt_output_args(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Keep dbt's target/ and logs/ out of the working tree during tests."""
    out = tmp_path_factory.mktemp("dbt")
    return ["--target-path", str(out / "target"), "--log-path", str(out / "logs")]


# --- one generated, ingested and built lakehouse shared by the Silver, Gold and docs tests ----
#
# Building the whole project costs about a second per dbt node, so it is built once per test run:
# `built_scenario` (two days, two dimension exports, `dbt build --full-refresh` of everything)
# and `grown_scenario` (a third day and export landed, an incremental `dbt build`, the Delta
# version of every table recorded, then `dbt run --full-refresh` for comparison). Tests of the
# first build run before any test that grows it (see `pytest_collection_modifyitems`).


@dataclass(frozen=True)
class Scenario:
    settings: Settings
    manifest: dict[str, Any]  # the generator's manifest of the landing zone at this point
    outcome: DbtOutcome  # the build of this point
    target: Path  # dbt's target folder (manifest.json, compiled SQL)
    versions: dict[str, int] = field(default_factory=dict)  # grown: incremental state per table


SCENARIO_DAYS = ["--days", "2", "--orders-per-day", "50", "--dimension-exports", "2"]
SCENARIO_SIZE = ["--customers", "200", "--products", "60", "--seed", "11"]
# On the grown state only the layer invariants run again (reconciliation, SCD2, thresholds):
# unit tests and key tests already ran on the first build.
FIRST_BUILD_ONLY_TESTS = [
    "test_type:unit",
    "test_name:not_null",
    "test_name:unique",
    "test_name:unique_combination_of_columns",
    "test_name:accepted_values",
    "test_name:column_checks",
]


def dbt_failures(outcome: DbtOutcome) -> list[str]:
    results = getattr(outcome.result.result, "results", None) or []
    return [
        f"{result.node.unique_id}: {result.status} {result.message or ''}".strip()
        for result in results
        if str(result.status) not in ("success", "pass", "warn")
    ]


def assert_dbt_ok(outcome: DbtOutcome) -> None:
    assert outcome.success, dbt_failures(outcome) or outcome.result.exception


@contextmanager
def lakehouse_environment() -> Iterator[None]:
    """``run_dbt`` exports the settings it is given; put the session's variables back after."""
    saved = {key: value for key, value in os.environ.items() if key.startswith("LAKEHOUSE_")}
    try:
        yield
    finally:
        for key in [key for key in os.environ if key.startswith("LAKEHOUSE_")]:
            del os.environ[key]
        os.environ.update(saved)


def built_tables(target: Path) -> list[str]:
    """Every table dbt built (models, seeds, snapshots), as `schema.name`."""
    manifest = json.loads((target / "manifest.json").read_text())
    return sorted(
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed", "snapshot")
        and node["config"].get("materialized") not in ("ephemeral", "view")
    )


@pytest.fixture(scope="session")
def built_scenario(
    spark: SparkSession,
    lakehouse_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    dbt_output_args: list[str],
) -> Scenario:
    root = tmp_path_factory.mktemp("scenario")
    settings = replace(
        lakehouse_settings, landing=str(root / "landing"), bronze=str(root / "bronze")
    )
    manifest = generate(settings.landing_dir, *SCENARIO_DAYS, *SCENARIO_SIZE)
    with lakehouse_environment():
        # `bronze.*` first points at the session's own Bronze root, so that the build below
        # has to move it to the scenario's (checked in test_silver).
        registered = run_dbt(
            "run-operation", ["register_bronze_sources", *dbt_output_args], lakehouse_settings
        )
        assert_dbt_ok(registered)
        assert ingest(settings, list(ENTITIES)) == 0
        outcome = run_dbt("build", ["--full-refresh", *dbt_output_args], settings)
    assert_dbt_ok(outcome)
    target = Path(dbt_output_args[dbt_output_args.index("--target-path") + 1])
    return Scenario(settings, manifest, outcome, target)


def delta_version(spark: SparkSession, table: str) -> int:
    return int(spark.sql(f"describe history {table} limit 1").first().version)


@pytest.fixture(scope="session")
def grown_scenario(
    spark: SparkSession, built_scenario: Scenario, dbt_output_args: list[str]
) -> Scenario:
    settings = built_scenario.settings
    manifest = generate(settings.landing_dir, "--append", "--days", "1", "--dimension-exports", "1")
    with lakehouse_environment():
        assert ingest(settings, list(ENTITIES)) == 0
        outcome = run_dbt(
            "build", ["--exclude", *FIRST_BUILD_ONLY_TESTS, *dbt_output_args], settings
        )
        assert_dbt_ok(outcome)
        versions = {
            table: delta_version(spark, table) for table in built_tables(built_scenario.target)
        }
        full = run_dbt("run", ["--full-refresh", *dbt_output_args], settings)
    assert_dbt_ok(full)
    return Scenario(settings, manifest, outcome, built_scenario.target, versions)


# Fixtures that start Spark in this process (directly, or through dbt's `local` target): a test
# using any of them is marked `spark`. Modules that start Spark in subprocesses mark themselves.
SPARK_FIXTURES = frozenset(
    {"spark", "lakehouse_settings", "dbt_output_args", "built_scenario", "grown_scenario"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that start a JVM `spark` (so `pytest -m "not spark"` is the fast lane);
    order tests of the first build before the tests that grow the shared scenario, the rest
    first, so nothing re-registers `bronze.*` elsewhere once the scenario is built."""
    for item in items:
        if SPARK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.spark)

    def stage(item: pytest.Item) -> int:
        names = getattr(item, "fixturenames", ())
        return 2 if "grown_scenario" in names else 1 if "built_scenario" in names else 0

    items.sort(key=stage)  # stable: file order within a stage


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The fast lane starts no JVM: fail it if a test not marked `spark` started one here."""
    from pyspark import SparkContext

    markers = session.config.getoption("markexpr", "") or ""
    if "not spark" in markers and SparkContext._gateway is not None:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\na test not marked `spark` started a JVM in the `not spark` lane", flush=True)
