"""The summary `lakehouse run` prints: the rows of every table the run wrote, quarantined rows
by reason, what the build did, where to look next.

Only the tables this run wrote are counted: the Bronze tables its ingest appended to and the
tables dbt's build wrote (its run results, also in ``run_results.json``). The others are
unchanged since an earlier run's summary counted them, and counting every table of a grown
warehouse would cost a Spark job per table on every run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from pyspark.sql import SparkSession

from lakehouse.build_report import describe
from lakehouse.pipeline import RunOutcome
from lakehouse.result_format import render_table
from lakehouse.settings import Settings

QUARANTINE_SUFFIX = "_rejected"
LAYERS = ("bronze", "silver", "gold")  # the order the summary lists tables in

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


@dataclass(frozen=True)
class WrittenTable:
    name: str
    # Bronze tables are read by path: the catalog's `bronze.*` entries are dbt's, and a build
    # that failed early may not have registered them.
    path: str | None = None


def written_tables(settings: Settings, outcome: RunOutcome) -> list[WrittenTable]:
    """Every table the run wrote: Bronze tables its ingest appended to, then dbt's."""
    bronze = [
        WrittenTable(f"bronze.{result.entity}", settings.bronze_table_path(result.entity))
        for result in outcome.ingest
        if result.rows_loaded
    ]

    def layer_first(name: str) -> tuple[int, str]:
        schema = name.split(".", 1)[0]
        return (LAYERS.index(schema) if schema in LAYERS else len(LAYERS), name)

    built = sorted(set(outcome.build.written), key=layer_first)
    return bronze + [WrittenTable(name) for name in built]


def table_counts(spark: SparkSession, tables: list[WrittenTable]) -> list[int]:
    """Rows of each table, four at a time."""

    def count(table: WrittenTable) -> int:
        if table.path is not None:
            return spark.read.format("delta").load(table.path).count()
        return spark.table(table.name).count()

    return concurrently(count, tables)


def quarantine_counts(spark: SparkSession, names: Iterable[str]) -> list[tuple[str, str, int]]:
    """Rows of each quarantine table among ``names`` by reject reason."""
    tables = [name for name in names if name.endswith(QUARANTINE_SUFFIX)]

    def by_reason(name: str) -> list[tuple[str, str, int]]:
        columns = {column.name for column in spark.catalog.listColumns(name)}
        if "reject_reason" not in columns:
            return []
        grouped = spark.sql(
            f"select reject_reason, count(*) as n from {name} group by 1 order by 1"
        ).collect()
        return [(name, row.reject_reason, int(row.n)) for row in grouped]

    return [row for rows in concurrently(by_reason, tables) for row in rows]


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
    tables = written_tables(settings, outcome)
    if tables:
        print(
            f"counting the rows of the {len(tables)} tables this run wrote …",
            file=sys.stderr,
            flush=True,
        )
        counts = table_counts(spark, tables)
        print("\nrows of the tables this run wrote:", file=out)
        print(
            render_table(
                ["table", "rows"],
                [(table.name, f"{n:,}") for table, n in zip(tables, counts, strict=True)],
            ),
            file=out,
        )
    else:
        print("\nno table was written: every table is as the last run left it", file=out)
    rejects = quarantine_counts(spark, (table.name for table in tables))
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
    docs = ".venv/bin/dbt docs generate --target prod && .venv/bin/dbt docs serve"
    print(f"  {docs}   # lineage", file=out)
    print(f"  state: {settings.home}", file=out)
