"""The whole job on one SparkSession: sample data if the landing zone is empty, ingest, build,
and a summary of what landed where."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from pyspark.sql import SparkSession

from ingestion import cli
from ingestion.bronze.loader import EntityResult, ensure_bronze_tables, ingest_entities
from ingestion.build_report import BuildReport, build_report, describe
from ingestion.build_state import (
    BuildPlan,
    LastBuild,
    bronze_versions,
    load_last_build,
    plan_build,
    save_last_build,
)
from ingestion.contract import ENTITIES
from ingestion.count_cache import CountCache, cached
from ingestion.dbt_runner import run_dbt
from ingestion.result_format import render_table
from ingestion.settings import Settings
from ingestion.spark import get_spark

LAYERS = ("bronze", "silver", "gold")
QUARANTINE_SUFFIX = "_rejected"
SUMMARY_COUNTS_FILE = "summary-counts.json"

# Each count in the summary is a small Spark query whose time goes mostly to the driver
# (planning, Delta snapshot, metastore). Four at once on two cores, on a 30-day build (warm,
# alternating runs): the 39 table counts 8.4-10.3 s instead of 13.3-15.8 s, the quarantine
# counts 3.6-4.1 s instead of 5.2-5.9 s.
COUNT_WORKERS = 4

T = TypeVar("T")
R = TypeVar("R")


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
    code = cli.main(
        [
            "generate",
            "--landing",
            str(settings.landing),
            "--days",
            str(sample.days),
            "--orders-per-day",
            str(sample.orders_per_day),
            "--seed",
            str(sample.seed),
            "--quiet",
        ]
    )
    if code != 0:
        raise RuntimeError(f"sample data generation failed with exit code {code}")


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


def concurrently(work: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``work`` over ``items`` on a few threads sharing the session; results in input order."""
    with ThreadPoolExecutor(COUNT_WORKERS) as pool:
        return list(pool.map(work, items))


def table_locations(spark: SparkSession, schema: str) -> dict[str, str]:
    """The schema's tables by name, with their locations; like ``stored_tables``, without views
    and temporary views. From the catalog alone: `show table extended` opens no Delta table."""
    if not spark.catalog.databaseExists(schema):
        return {}
    found = {}
    for row in spark.sql(f"show table extended in {schema} like '*'").collect():
        details = dict(
            line.split(": ", 1) for line in (row.information or "").splitlines() if ": " in line
        )
        if not row.isTemporary and details.get("Type") != "VIEW":
            found[row.tableName] = details.get("Location", "")
    return dict(sorted(found.items()))


def table_counts(
    spark: SparkSession, cache: CountCache | None = None
) -> list[tuple[str, str, int]]:
    """Rows of every table of every layer; with a ``cache``, counted again only where a table's
    Delta version moved (see count_cache)."""
    tables = [
        (schema, name, location)
        for schema in LAYERS
        for name, location in table_locations(spark, schema).items()
    ]

    def count(indexes: list[int]) -> list[int]:
        return concurrently(
            lambda i: spark.table(f"{tables[i][0]}.{tables[i][1]}").count(), indexes
        )

    counts = cached(cache, "rows", [location for _, _, location in tables], count)
    return [(schema, name, int(n)) for (schema, name, _), n in zip(tables, counts, strict=True)]


def quarantine_counts(
    spark: SparkSession, cache: CountCache | None = None
) -> list[tuple[str, str, int]]:
    """Rows of each quarantine table by reject reason (cached like ``table_counts``)."""
    tables = [
        (name, location)
        for name, location in table_locations(spark, "silver").items()
        if name.endswith(QUARANTINE_SUFFIX)
    ]

    def by_reason(index: int) -> list[list]:
        name = tables[index][0]
        columns = {column.name for column in spark.catalog.listColumns(f"silver.{name}")}
        if "reject_reason" not in columns:
            return []
        grouped = spark.sql(
            f"select reject_reason, count(*) as n from silver.{name} group by 1 order by 1"
        ).collect()
        return [[row.reject_reason, row.n] for row in grouped]

    per_table = cached(
        cache,
        "rejects",
        [location for _, location in tables],
        lambda indexes: concurrently(by_reason, indexes),
    )
    return [
        (name, reason, int(n))
        for (name, _), rows in zip(tables, per_table, strict=True)
        for reason, n in rows
    ]


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


def print_summary(spark: SparkSession, settings: Settings, outcome: RunOutcome) -> None:
    out = sys.stdout
    new_rows = sum(result.rows_loaded for result in outcome.ingest)
    quarantined_files = [item for result in outcome.ingest for item in result.quarantined]
    print("\n== lakehouse run: summary ==", file=out)
    print(
        f"ingested {new_rows:,} new rows from {sum(r.files_new for r in outcome.ingest)} new files"
        f" ({len(quarantined_files)} files quarantined)",
        file=out,
    )
    # Counts of tables whose Delta version has not moved since the last summary are reused.
    counts = CountCache(settings.home / "state" / SUMMARY_COUNTS_FILE)
    print("\nrows per layer:", file=out)
    print(
        render_table(
            ["schema", "table", "rows"],
            [(s, t, f"{n:,}") for s, t, n in table_counts(spark, counts)],
        ),
        file=out,
    )
    rejects = quarantine_counts(spark, counts)
    if rejects:
        print("\nquarantined rows by reason:", file=out)
        print(
            render_table(["table", "reason", "rows"], [(t, r, f"{n:,}") for t, r, n in rejects]),
            file=out,
        )
    print("", file=out)
    if outcome.build_scope:
        print(f"build: {outcome.build_scope}", file=out)
    for line in describe(outcome.build):
        print(line, file=out)
    if outcome.dbt_error:
        print(f"  dbt stopped before building: {outcome.dbt_error}", file=out)
    for _path, error in quarantined_files:
        print(f"  quarantined file: {error}", file=out)
    for _path, error in (item for result in outcome.ingest for item in result.changed):
        print(f"  changed after load: {error}", file=out)
    in_flight = sum(len(result.in_flight) for result in outcome.ingest)
    if in_flight:
        print(f"  {in_flight} file(s) still being written, left for the next run", file=out)
    print(f"\nfinished in {outcome.seconds:.0f} s. Next:", file=out)
    print('  .venv/bin/lakehouse sql "select * from gold.sales_transactions limit 10"', file=out)
    print(
        '  .venv/bin/lakehouse sql "select * from gold.daily_sales_by_channel order by 1"', file=out
    )
    print("  .venv/bin/dbt docs generate && .venv/bin/dbt docs serve   # lineage", file=out)
    print(f"  state: {settings.home}", file=out)
