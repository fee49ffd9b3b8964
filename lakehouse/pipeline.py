"""The whole job on one SparkSession: sample data if the landing zone is empty, ingest, and a
build of what changed (the summary is in ``summary``)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession

from generator.config import GeneratorConfig
from generator.runner import generate
from ingestion.contract import ENTITIES
from ingestion.hadoop_landing import HadoopLanding, open_landing
from ingestion.landing import LandingZone, LocalLanding
from ingestion.loader import EntityResult, ensure_bronze_tables, ingest_entities
from lakehouse.build_report import BuildReport, build_report
from lakehouse.build_state import (
    CHANGES,
    PRODUCTION_EXCLUDES,
    SOURCES_FILE,
    BuildPlan,
    Changes,
    LastBuild,
    load_last_build,
    plan_build,
    save_last_build,
    unreadable_sources,
)
from lakehouse.dbt_runner import DbtOutcome, run_dbt
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


def generate_sample(
    settings: Settings, zone: LandingZone, sample: SampleSize, say: Callable[[str], None]
) -> None:
    """Sample data into an empty landing zone. The generator writes local files; for a zone on
    S3 it writes them into a fresh local folder below the state folder, and they are uploaded
    (each object appears whole) and the local copy removed."""
    say(
        f"landing zone {zone.location} is empty: generating {sample.days} days x "
        f"{sample.orders_per_day:,} orders of sample data (seed {sample.seed})"
    )
    if isinstance(zone, LocalLanding):
        folder = zone.folder
    else:
        folder = settings.home / "sample-upload"
        shutil.rmtree(folder, ignore_errors=True)
    config = GeneratorConfig(
        landing=folder,
        days=sample.days,
        orders_per_day=sample.orders_per_day,
        seed=sample.seed,
        quiet=True,
    )
    config.validate()
    generate(config)
    if isinstance(zone, HadoopLanding):
        say(f"uploading the sample data to {zone.location} …")
        count = zone.upload(folder)
        shutil.rmtree(folder)
        say(f"uploaded {count} files")


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


def source_freshness(settings: Settings) -> Path | None:
    """Run `dbt source freshness` (the newest load time of every Bronze table); the
    ``sources.json`` it wrote, or None when it wrote none. A stale source makes dbt report an
    error but still write its results: staleness is reported, it does not stop the run."""
    written = settings.dbt_target_dir / SOURCES_FILE
    written.unlink(missing_ok=True)  # an older run's results must not pass for this one's
    run_dbt("source", ["freshness"], settings, ensure_bronze=False)
    return written if written.is_file() else None


def listed_changes(settings: Settings, last: LastBuild) -> Changes | None:
    """The sources and nodes dbt finds changed against the last build (None if it cannot say)."""
    listed = run_dbt(
        "ls",
        # dbt prints the listed names even with --quiet; the caller only needs the result.
        # No indirect selection: a test of a fresher source is not changed code.
        [
            *("--select", CHANGES, "--state", str(last.state_dir)),
            *("--indirect-selection", "empty"),
            *("--output", "json", "--output-keys", "unique_id", "--log-level", "none"),
        ],
        settings,
        ensure_bronze=False,
    )
    if not listed.success or not isinstance(listed.result.result, list):
        return None
    return Changes.of_listed(json.loads(line)["unique_id"] for line in listed.result.result)


def plan_incremental_build(spark: SparkSession, settings: Settings) -> BuildPlan:
    """This run's selection (see build_state), from `dbt source freshness` and dbt's state
    comparison with the last successful build."""
    freshness = source_freshness(settings)
    if freshness is None:
        return BuildPlan([], "dbt source freshness wrote no results: building everything")
    last = load_last_build(settings)
    schemas = {name.split(".", 1)[0] for name in last.relations()} if last else set()
    existing = existing_tables(spark, schemas)
    changes = listed_changes(settings, last) if last else None
    return plan_build(last, existing, unreadable_sources(freshness), changes)


def plan_changed_build(
    spark: SparkSession, settings: Settings, *, build_all: bool = False
) -> tuple[BuildPlan, Path]:
    """What `lakehouse run` builds after ingesting (see build_state), and the source
    freshness results a successful build of it is saved with."""
    freshness = settings.dbt_target_dir / SOURCES_FILE
    if build_all:
        # Freshness still runs: its results are what the next run compares with.
        source_freshness(settings)
        return BuildPlan([], "--all: building everything"), freshness
    return plan_incremental_build(spark, settings), freshness


def build_planned(settings: Settings, plan: BuildPlan, freshness: Path) -> DbtOutcome:
    """`dbt build` of a planned selection (unit tests left out); on success the build's
    manifest and ``freshness`` become the state the next plan compares with."""
    # The caller ensured the Bronze tables (before ingesting, or before planning).
    outcome = run_dbt(
        "build", [*plan.dbt_args, *PRODUCTION_EXCLUDES], settings, ensure_bronze=False
    )
    if outcome.success and freshness.is_file():
        save_last_build(settings)
    return outcome


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
    say(f"starting Spark ({settings.spark_master}, driver memory {settings.driver_memory}) …")
    spark = get_spark(settings)
    zone = open_landing(spark, settings.landing)
    if not zone.has_landed_files():
        generate_sample(settings, zone, sample, say)
    say(f"ingesting {settings.landing} → {settings.bronze}")
    ensure_bronze_tables(spark, settings)
    ingested = ingest_entities(spark, settings, ENTITIES, progress=say)
    scope = None
    if dbt_args:
        say("building Silver and Gold with dbt (seeds, models, data tests) …")
        outcome = run_dbt("build", dbt_args, settings, ensure_bronze=False)
    else:
        say("checking what changed since the last build (dbt source freshness, state) …")
        plan, freshness = plan_changed_build(spark, settings, build_all=build_all)
        scope = plan.reason
        say(f"dbt: {scope}")
        say("building Silver and Gold with dbt (seeds, models, data tests) …")
        outcome = build_planned(settings, plan, freshness)
    return RunOutcome(
        ingested,
        build_report(outcome.result.result),
        time.monotonic() - started,
        dbt_success=outcome.success,
        dbt_error=None if outcome.result.exception is None else str(outcome.result.exception),
        build_scope=scope,
    )
