"""Which tables the run summary counts: only those the run wrote, layer by layer."""

from __future__ import annotations

from ingestion.loader import EntityResult
from lakehouse.build_report import BuildReport
from lakehouse.pipeline import RunOutcome
from lakehouse.settings import Settings
from lakehouse.summary import WrittenTable, written_tables


def test_the_summary_counts_the_tables_the_run_wrote_bronze_silver_gold() -> None:
    settings = Settings.from_env({})
    ingest = [
        EntityResult("brands"),  # nothing new: not counted
        EntityResult("order_items", files_new=1, rows_loaded=120),
    ]
    build = BuildReport(
        written=["gold.fct_order_items", "audit.some_table", "silver.stg_ecommerce__order_items"]
    )
    tables = written_tables(settings, RunOutcome(ingest, build, seconds=1.0))
    assert tables == [
        WrittenTable("bronze.order_items", settings.bronze_table_path("order_items")),
        WrittenTable("silver.stg_ecommerce__order_items"),
        WrittenTable("gold.fct_order_items"),
        WrittenTable("audit.some_table"),
    ]


def test_a_run_that_wrote_nothing_counts_nothing() -> None:
    outcome = RunOutcome([EntityResult("order_items")], BuildReport(), seconds=1.0)
    assert written_tables(Settings.from_env({}), outcome) == []
