"""Silver built by dbt on generated data: staging, quarantine, SCD2 history and dimensions.

Both stages of the shared scenario (conftest.py) are checked:

1. generate (2 days, 2 dimension exports) -> ingest -> ``dbt build --full-refresh``: the exact
   quarantine counts per reason, duplicate counts, Silver rows and SCD2 versions of the
   generator's manifest, the dimensions' lookups, and every order line finding its versions.
2. append a day and an export -> ingest -> incremental ``dbt build`` -> ``dbt run
   --full-refresh``: every Silver table equals its incremental self (read back by Delta time
   travel), and the staging SQL gives the same rows with ``spark.sql.ansi.enabled`` on.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from conftest import Scenario
from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from ingestion.contract import ENTITIES
from lakehouse.dbt_runner import DbtOutcome
from lakehouse.settings import Settings

STAGING = tuple(f"silver.stg_ecommerce__{entity}" for entity in ENTITIES)
QUARANTINE = tuple(f"silver.stg_ecommerce__{entity}_rejected" for entity in ENTITIES)
BASE = tuple(f"silver.base_ecommerce__{entity}" for entity in ENTITIES)
HISTORY = ("silver.int_products_scd2", "silver.int_customers_scd2")
PROJECT_DIR = Path(__file__).resolve().parents[2]
DIMS = ("gold.dim_products", "gold.dim_customers", "gold.dim_date")


def warn_failures(outcome: DbtOutcome, name: str) -> int:
    for result in outcome.result.result.results:
        if result.node.name == name:
            return int(result.failures or 0)
    raise AssertionError(f"{name} did not run")


def rows(spark: SparkSession, query: str) -> list[Any]:
    return spark.sql(query).collect()


def scalar(spark: SparkSession, query: str) -> Any:
    return spark.sql(query).first()[0]


def bronze(settings: Settings, entity: str) -> str:
    """A Bronze table by its path: the catalog's `bronze.*` may point at another test's root."""
    return f"delta.`{settings.bronze_table_path(entity)}`"


# --- scenario 1: one build, checked against the generator's manifest ------------------------


def check_against_manifest(spark: SparkSession, scenario: Scenario) -> None:
    manifest = scenario.manifest
    entities = manifest["entities"]
    for entity in ENTITIES:
        expected = entities[entity]
        staged = f"silver.stg_ecommerce__{entity}"
        rejected = f"silver.stg_ecommerce__{entity}_rejected"

        reasons = {
            row.reject_reason: row.n
            for row in rows(
                spark, f"select reject_reason, count(*) as n from {rejected} group by 1"
            )
        }
        wanted = {reason: n for reason, n in expected["quarantine"].items() if n}
        assert reasons == wanted, entity

        assert (
            scalar(spark, f"select sum(_duplicates_dropped) from {staged}")
            == (expected["duplicates"])
        ), entity
        bronze_rows = scalar(spark, f"select count(*) from {bronze(scenario.settings, entity)}")
        assert bronze_rows == expected["rows"], entity
        silver = scalar(spark, f"select count(*) from {staged}")
        assert bronze_rows == silver + sum(reasons.values()) + expected["duplicates"], entity

        if entity == "order_items":
            assert silver == expected["expected_silver_rows"]
        else:
            # Every picture is staged; the latest is the current one.
            assert silver == expected["clean"], entity
            current = scalar(spark, f"select count_if(is_latest_export) from {staged}")
            assert current == expected["expected_silver_rows"], entity

    for entity, table in (("products", HISTORY[0]), ("customers", HISTORY[1])):
        scd2 = entities[entity]["scd2"]
        versions, current = spark.sql(f"select count(*), count_if(is_current) from {table}").first()
        assert (versions, current) == (scd2["versions"], scd2["current_versions"]), entity
        assert versions - current == scd2["closed_versions"], entity


def test_quarantine_duplicates_and_silver_rows_match_the_manifest(
    spark: SparkSession, built_scenario: Scenario
) -> None:
    check_against_manifest(spark, built_scenario)


def test_bronze_sources_moved_to_this_root_without_touching_the_old_one(
    spark: SparkSession, lakehouse_settings: Settings, built_scenario: Scenario
) -> None:
    for entity in ENTITIES:
        location = spark.sql(f"describe detail bronze.{entity}").first().location
        assert location.rstrip("/").endswith(built_scenario.settings.bronze_table_path(entity)), (
            entity
        )
        # Re-registering an external table only changed the catalog: the old data is intact.
        old = lakehouse_settings.bronze_table_path(entity)
        assert DeltaTable.isDeltaTable(spark, old), entity


def test_staging_keeps_rescued_data_visible(spark: SparkSession, built_scenario: Scenario) -> None:
    """Every staged or quarantined row carries its Bronze row's `_rescued_data` unchanged
    (the unit tests `order_items_rescued_columns_reach_*` follow a non-null value through)."""
    for entity in ENTITIES:
        bronze = spark.table(f"bronze.{entity}").select(
            "_source_file", "_source_row", "_rescued_data"
        )
        for table in (
            f"silver.stg_ecommerce__{entity}",
            f"silver.stg_ecommerce__{entity}_rejected",
        ):
            silver = spark.table(table).select("_source_file", "_source_row", "_rescued_data")
            assert silver.count() > 0 or table.endswith("_rejected"), table
            differing = silver.exceptAll(
                bronze.join(
                    silver.select("_source_file", "_source_row"),
                    ["_source_file", "_source_row"],
                    "left_semi",
                )
            )
            assert differing.count() == 0, table
    ran = {
        result.node.name
        for result in built_scenario.outcome.result.result.results
        if str(result.status) == "pass"
    }
    assert {
        "order_items_rescued_columns_reach_silver",
        "order_items_rescued_columns_reach_quarantine",
    } <= ran


def test_order_items_interface_for_gold(spark: SparkSession, built_scenario: Scenario) -> None:
    types = dict(spark.table("silver.stg_ecommerce__order_items").dtypes)
    assert {
        "order_id": "string",
        "item_seq": "int",
        "order_date": "date",
        "order_ts": "timestamp",
        "customer_id": "string",
        "product_id": "string",
        "quantity": "int",
        "unit_price": "decimal(18,2)",
        "unit_price_currency": "string",
        "discount_pct": "decimal(5,2)",
        "tax_amount": "decimal(18,2)",
        "channel": "string",
        "coupon_code": "string",
        "_source_file": "string",
        "_source_row": "bigint",
        "_batch_id": "string",
        "_ingested_at": "timestamp",
    }.items() <= types.items()
    assert (
        scalar(
            spark,
            "select count(*) from silver.stg_ecommerce__order_items"
            " where coupon_code = '' or quantity < 1 or discount_pct not between 0 and 100",
        )
        == 0
    )


def test_every_order_line_finds_one_version_or_is_a_counted_orphan(
    spark: SparkSession, built_scenario: Scenario
) -> None:
    manifest = built_scenario.manifest
    orphans = manifest["entities"]["order_items"]["orphans"]
    for dimension, key, orphan in (
        ("dim_products", "product_id", "orphan_product_id"),
        ("dim_customers", "customer_id", "orphan_customer_id"),
    ):
        matches = rows(
            spark,
            f"""
            select lines.order_id, lines.item_seq, count(versions.{key}) as versions
            from silver.stg_ecommerce__order_items as lines
            left outer join gold.{dimension} as versions
                on lines.{key} = versions.{key}
                and lines.order_ts >= versions.valid_from
                and lines.order_ts < versions.valid_to
            group by lines.order_id, lines.item_seq
            """,
        )
        assert max(row.versions for row in matches) == 1, dimension
        assert sum(1 for row in matches if row.versions == 0) == orphans[orphan], dimension


def test_dimension_lookups_and_unknown_members(
    spark: SparkSession, built_scenario: Scenario
) -> None:
    manifest = built_scenario.manifest
    latest = {entry["path"]: entry for entry in manifest["files"]}
    products_file = latest[manifest["entities"]["products"]["latest_file"]]
    customers_file = latest[manifest["entities"]["customers"]["latest_file"]]

    unknown_brand = scalar(
        spark,
        "select count(*) from gold.dim_products"
        " where is_current and product_key <> '-1' and brand_name = 'Not Available'",
    )
    assert unknown_brand == products_file["orphans"].get("orphan_brand_code", 0)
    assert (
        scalar(
            spark,
            "select count(*) from gold.dim_products where brand_name = 'Not Available'"
            " and category_name <> 'Not Available'",
        )
        == 0
    )

    unmapped = rows(
        spark,
        """
        select customers.region
        from gold.dim_customers as customers
        left anti join silver.region_map as regions
            on customers.country = regions.country and customers.state = regions.state
        where customers.is_current and customers.customer_key <> '-1'
        """,
    )
    assert len(unmapped) == customers_file["anomalies"].get("region_unmapped", 0)
    assert {row.region for row in unmapped} <= {"Other"}

    unknown_product = "select product_id from gold.dim_products where product_key = '-1'"
    assert [row.product_id for row in rows(spark, unknown_product)] == ["UNKNOWN"]
    unknown_customer = "select customer_id from gold.dim_customers where customer_key = '-1'"
    assert [row.customer_id for row in rows(spark, unknown_customer)] == ["UNKNOWN"]
    assert scalar(spark, "select count(*) from gold.dim_date where date_id = -1") == 1
    for dimension in ("dim_products", "dim_customers"):
        window = spark.sql(f"select min(valid_from), max(valid_to) from gold.{dimension}").first()
        assert window[0] == dt.datetime(1900, 1, 1)
        assert window[1] == dt.datetime(9999, 12, 31, 23, 59, 59)


def calendar_disagreements(landing: Path) -> int:
    """Independently of Spark: staged calendar rows whose supplied day name, quarter or ISO
    week disagree with the date (every calendar file; the last row of a repeated date)."""
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    wrong = 0
    for path in sorted((landing / "date").glob("*.csv")):
        kept: dict[dt.date, list[str]] = {}
        for line in path.read_text(encoding="utf-8").split("\n")[1:]:
            try:
                fields = next(csv.reader([line], strict=True), [])
            except csv.Error:
                continue
            if len(fields) != 5 or line.count('"') % 2:
                continue
            try:
                day = dt.datetime.strptime(fields[0].strip(), "%d-%m-%Y").date()
            except ValueError:
                continue
            kept[day] = fields
        for day, fields in kept.items():
            expected = (names[day.weekday()], str((day.month - 1) // 3 + 1), day.isocalendar()[1])
            week = int(fields[4]) if fields[4].strip().lstrip("-").isdigit() else None
            if (fields[2].strip(), fields[3].strip(), week) != expected:
                wrong += 1
    return wrong


def test_dim_date_spans_its_configured_range_and_warns_on_wrong_attributes(
    spark: SparkSession, built_scenario: Scenario
) -> None:
    outcome = built_scenario.outcome
    first, last, days = spark.sql(
        "select min(date), max(date), count(*) from gold.dim_date where date_id <> -1"
    ).first()
    bounds = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    assert (first.isoformat(), last.isoformat()) == (
        bounds["date_spine_start"],
        bounds["date_spine_end"],
    )
    assert days == (last - first).days + 1
    # Every order and calendar-file date of the scenario has its day.
    uncovered = scalar(
        spark,
        """
        select count(*) from (
            select order_date as known from silver.stg_ecommerce__order_items
            union all
            select calendar_date as known from silver.stg_ecommerce__date
        ) as known_dates
        left anti join gold.dim_date on known_dates.known = dim_date.date
        where known_dates.known is not null
        """,
    )
    assert uncovered == 0
    week = scalar(spark, "select week from gold.dim_date where date = date'2024-12-30'")
    assert week == "Week1-2025"

    wrong = calendar_disagreements(built_scenario.settings.landing_dir)
    assert wrong > 0
    assert warn_failures(outcome, "assert_calendar_file_attributes_match_date") == wrong


# --- scenario 2: a new day and export, incremental build, then the same from scratch ---------


def test_second_build_was_an_incremental_merge(
    spark: SparkSession, grown_scenario: Scenario
) -> None:
    versions = grown_scenario.versions
    table = "silver.stg_ecommerce__order_items"
    history = spark.sql(f"describe history {table}").collect()
    by_version = {row.version: row.operation for row in history}
    assert by_version[versions[table]] == "MERGE"


def test_the_grown_silver_matches_the_manifest(
    spark: SparkSession, grown_scenario: Scenario
) -> None:
    check_against_manifest(spark, grown_scenario)


def test_staging_is_the_same_with_ansi_mode_on(
    spark: SparkSession, grown_scenario: Scenario
) -> None:
    compiled = grown_scenario.target / "compiled" / "lakehouse" / "models" / "staging" / "ecommerce"
    previous = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", "true")
    try:
        # The base views hold the reject reasons; Spark keeps the SQL configuration a view was
        # created with, so their SQL is checked on its own too.
        for table in BASE + STAGING + QUARANTINE:
            name = table.split(".", 1)[1]
            folder = compiled
            if name.startswith("base_"):
                folder = compiled / "base"
            elif name.endswith("_rejected"):
                folder = compiled / "quarantine"
            strict = spark.sql((folder / f"{name}.sql").read_text(encoding="utf-8"))
            built = spark.table(table)
            assert strict.exceptAll(built).count() == 0, table
            assert built.exceptAll(strict).count() == 0, table
    finally:
        spark.conf.set("spark.sql.ansi.enabled", previous)


def test_scd2_history_grew_with_the_new_export(
    spark: SparkSession, grown_scenario: Scenario
) -> None:
    manifest = grown_scenario.manifest
    exports = [export["date"] for export in manifest["timeline"]["exports"]]
    assert len(exports) == 3
    opened = Counter(
        row.opened
        for row in rows(
            spark,
            "select cast(to_date(valid_from) as string) as opened from silver.int_products_scd2",
        )
    )
    new_export = next(
        entry
        for entry in manifest["files"]
        if entry["entity"] == "products" and entry.get("export_index") == 2
    )
    # Changed keys open a version at the new export's date; new keys start at the beginning.
    assert opened[new_export["export_date"]] == new_export["changed_keys"]


def test_a_key_missing_from_a_later_export_is_closed_there(
    spark: SparkSession, grown_scenario: Scenario
) -> None:
    """Deleted records, as dbt snapshots' `hard_deletes: invalidate` treats them: a customer or
    product in one export and absent from a later one keeps no current version; its last
    version ends at the first export it is missing from. The dimensions keep exactly one current
    row for every key of the latest export and none for a deleted key."""
    for entity, key in (("customers", "customer_id"), ("products", "product_id")):
        pictures = rows(
            spark,
            f"select {key} as id, collect_set(cast(export_date as string)) as dates "
            f"from silver.stg_ecommerce__{entity} group by {key}",
        )
        exports = sorted({date for picture in pictures for date in picture.dates})
        deleted = {
            picture.id: min(date for date in exports if date > max(picture.dates))
            for picture in pictures
            if exports[-1] not in picture.dates
        }
        present = {picture.id for picture in pictures} - set(deleted)
        # The generator drops keys from every export after the first (manifest `dropped_keys`).
        assert deleted, f"the scenario deleted no {entity}: the test would prove nothing"

        history = {
            row.id: row
            for row in rows(
                spark,
                f"select {key} as id, count_if(is_current) as current, "
                f"cast(to_date(max(valid_to)) as string) as ended "
                f"from silver.int_{entity}_scd2 group by {key}",
            )
        }
        wrong = {
            key_value: (history[key_value].current, history[key_value].ended, closed_at)
            for key_value, closed_at in deleted.items()
            if (history[key_value].current, history[key_value].ended) != (0, closed_at)
        }
        assert not wrong, f"{entity} deleted keys (current rows, ended, expected end): {wrong}"

        current_rows = {
            row.id: row.current
            for row in rows(
                spark,
                f"select {key} as id, count_if(is_current) as current from gold.dim_{entity} "
                f"where {key} is not null group by {key}",
            )
        }
        assert all(current_rows.get(key_value, 0) == 0 for key_value in deleted), entity
        assert all(current_rows.get(key_value) == 1 for key_value in present), entity
