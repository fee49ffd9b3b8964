"""The summary `lakehouse run` prints: rows per layer, quarantined rows by reason, what the
build did, where to look next."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pyspark.sql import SparkSession

from lakehouse.build_report import describe
from lakehouse.count_cache import CountCache, cached
from lakehouse.pipeline import RunOutcome
from lakehouse.result_format import render_table
from lakehouse.settings import Settings

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
    print("counting rows per layer and quarantined rows by reason …", file=sys.stderr, flush=True)
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
