"""The whole job on one SparkSession: sample data if the landing zone is empty, ingest, and a
build of what changed (the summary is in ``summary``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import SparkSession

from generator.config import GeneratorConfig
from generator.runner import generate
from ingestion.contract import ENTITIES
from ingestion.loader import EntityResult, ensure_bronze_tables, ingest_entities
from lakehouse.build_report import BuildReport, build_report
from lakehouse.build_state import (
    BuildPlan,
    LastBuild,
    bronze_versions,
    load_last_build,
    plan_build,
    save_last_build,
)
from lakehouse.dbt_runner import run_dbt
from lakehouse.session import get_spark
from lakehouse.settings import Settings


@dataclass(frozen=True)
class SampleSize:
    days: int = 7
    orders_per_day: int = 500
    seed: int = 42


@dataclass
class RunOutcome:
    ingest: list[EntityResult]
    build: BuildReport
    seconds: float
    dbt_success: bool = True
    dbt_error: str | None = None  # why dbt stopped before running nodes (e.g. a parse error)
    build_scope: str | None = None  # what the build covered, when lakehouse chose it

    @property
    def exit_code(self) -> int:
        # dbt can fail before any node runs (a parse error): then there are no node results.
        # A quarantined file, or one that changed after it was loaded, needs a person too.
        ingest_ok = not any(result.needs_attention for result in self.ingest)
        return 0 if self.build.success and self.dbt_success and ingest_ok else 1


def landing_is_empty(settings: Settings) -> bool:
    return not any(settings.landing.rglob("*.csv")) if settings.landing.is_dir() else True


def generate_sample(settings: Settings, sample: SampleSize, say: Callable[[str], None]) -> None:
    say(
        f"landing zone {settings.landing} is empty: generating {sample.days} days x "
        f"{sample.orders_per_day:,} orders of sample data (seed {sample.seed})"
    )
    config = GeneratorConfig(
        landing=settings.landing,
        days=sample.days,
        orders_per_day=sample.orders_per_day,
        seed=sample.seed,
        quiet=True,
    )
    config.validate()
    generate(config)


def stored_tables(spark: SparkSession, schema: str) -> list[str]:
    """The schema's tables by name, without views and without the session's temporary views
    (dbt's `<model>__dbt_tmp` of an incremental run), which Spark lists under every schema."""
    if not spark.catalog.databaseExists(schema):
        return []
    return sorted(
        table.name
        for table in spark.catalog.listTables(schema)
        if table.tableType != "VIEW" and not table.isTemporary
    )


def existing_tables(spark: SparkSession, schemas: set[str]) -> set[str]:
    """``schema.table`` of every table in the given schemas (see ``stored_tables``)."""
    return {f"{schema}.{name}" for schema in schemas for name in stored_tables(spark, schema)}


def plan_incremental_build(spark: SparkSession, settings: Settings) -> tuple[BuildPlan, dict]:
    """This run's selection (see build_state) and the Bronze versions it will read."""
    versions = bronze_versions(spark, settings)
    last = load_last_build(settings)
    schemas = {name.split(".", 1)[0] for name in last.relations()} if last else set()
    plan = plan_build(versions, last, existing_tables(spark, schemas))
    if last is not None and not plan.everything and modified_nodes(settings, last) == []:
        plan = plan.without_unit_tests()
    return plan, versions


def modified_nodes(settings: Settings, last: LastBuild) -> list[str] | None:
    """The nodes dbt finds changed against the last build's manifest (None if it cannot say)."""
    listed = run_dbt(
        "ls",
        # dbt prints the listed names even with --quiet; the caller only needs the result.
        [
            *("--select", "state:modified", "--state", str(last.state_dir)),
            *("--output", "name", "--log-level", "none"),
        ],
        settings,
        ensure_bronze=False,
    )
    if not listed.success or not isinstance(listed.result.result, list):
        return None
    return [str(name) for name in listed.result.result]


def run_pipeline(
    settings: Settings,
    sample: SampleSize,
    dbt_args: list[str],
    say: Callable[[str], None],
    *,
    build_all: bool = False,
) -> RunOutcome:
    """Generate if empty, ingest, build. With no ``dbt_args``, only what changed since the last
    successful build is rebuilt (unless ``build_all``); with them, dbt gets exactly those."""
    started = time.monotonic()
    if landing_is_empty(settings):
        generate_sample(settings, sample, say)
    say(f"starting Spark ({settings.spark_master}, driver memory {settings.driver_memory}) …")
    spark = get_spark(settings)
    say(f"ingesting {settings.landing} → {settings.bronze}")
    ensure_bronze_tables(spark, settings)
    ingested = ingest_entities(spark, settings, ENTITIES, progress=say)
    versions: dict | None = None
    scope = None
    if not dbt_args:
        if build_all:
            # No change check: everything is built anyway.
            plan = BuildPlan([], "--all: building everything")
            versions = bronze_versions(spark, settings)
        else:
            plan, versions = plan_incremental_build(spark, settings)
        scope = plan.reason
        say(f"dbt: {scope}")
        dbt_args = plan.dbt_args
    say("building Silver and Gold with dbt (seeds, models, tests) …")
    # The Bronze tables were ensured before ingesting, above.
    outcome = run_dbt("build", dbt_args, settings, ensure_bronze=False)
    if versions is not None and outcome.success:
        save_last_build(settings, versions)
    return RunOutcome(
        ingested,
        build_report(outcome.result.result),
        time.monotonic() - started,
        dbt_success=outcome.success,
        dbt_error=None if outcome.result.exception is None else str(outcome.result.exception),
        build_scope=scope,
    )
