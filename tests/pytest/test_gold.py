"""Gold on the shared scenario (conftest.py): the fact's totals recomputed independently from
Bronze; the incremental build equals a full refresh; a build with nothing new writes no data
files; `lakehouse run` with nothing new rebuilds nothing, and dbt selects exactly the branches
of new Bronze data and of changed code."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from decimal import Decimal

from conftest import Scenario, assert_dbt_ok, built_tables, delta_version, lakehouse_environment
from gold_rules import latest_lines
from pyspark.sql import SparkSession

from lakehouse.build_state import load_last_build, save_last_build
from lakehouse.dbt_runner import run_dbt
from lakehouse.pipeline import (
    SampleSize,
    plan_incremental_build,
    run_pipeline,
    source_freshness,
)

MERGED_TABLES = (
    "silver.stg_ecommerce__order_items",
    "gold.fct_order_items",
    "gold.sales_transactions",
)


def test_fact_totals_match_an_independent_recomputation_from_bronze(
    spark: SparkSession, grown_scenario: Scenario
) -> None:
    path = grown_scenario.settings.bronze_table_path("order_items")
    bronze = [row.asDict() for row in spark.read.format("delta").load(path).collect()]
    expected = latest_lines(bronze)
    fact = spark.table("gold.fct_order_items").collect()

    assert len(fact) == len(expected)
    assert {(row.transaction_id, row.seq_no) for row in fact} == set(expected)
    for field, column in [
        ("gross", "gross_amount"),
        ("discount", "discount_amount"),
        ("tax", "tax_amount"),
        ("net", "net_amount"),
    ]:
        want = sum((getattr(line, field) for line in expected.values()), Decimal("0"))
        got = sum((row[column] for row in fact), Decimal("0"))
        assert got == want, column
    want_inr: dict[str, Decimal] = defaultdict(Decimal)
    for line in expected.values():
        if line.net_inr is not None:
            want_inr[line.currency] += line.net_inr
    got_inr: dict[str, Decimal] = defaultdict(Decimal)
    for row in fact:
        if row.net_amount_inr is not None:
            got_inr[row.unit_price_currency] += row.net_amount_inr
    assert got_inr == want_inr
    unknown = sum(1 for line in expected.values() if line.net_inr is None)
    assert sum(1 for row in fact if row.net_amount_inr is None) == unknown
    assert all(isinstance(row.net_amount, Decimal) for row in fact)


def test_the_incremental_build_merged_into_the_fact(
    spark: SparkSession, grown_scenario: Scenario
) -> None:
    table = "gold.fct_order_items"
    history = spark.sql(f"describe history {table}").collect()
    operation = {row.version: row.operation for row in history}
    assert operation[grown_scenario.versions[table]] == "MERGE"


def test_tables_that_merge_re_sent_lines_keep_deletion_vectors(
    spark: SparkSession, built_scenario: Scenario
) -> None:
    """A merge that replaces a re-sent line marks the old row deleted instead of rewriting its
    data file (var `merged_table_properties`): the property is set when dbt creates the table."""
    for table in MERGED_TABLES:
        properties = {
            row.key: row.value for row in spark.sql(f"show tblproperties {table}").collect()
        }
        assert properties.get("delta.enableDeletionVectors") == "true", table


def test_a_build_with_no_new_data_writes_no_data_files(
    spark: SparkSession, grown_scenario: Scenario, dbt_output_args: list[str]
) -> None:
    before = spark.sql("describe history gold.fct_order_items limit 1").first().version
    rows = spark.table("gold.fct_order_items").count()
    with lakehouse_environment():
        outcome = run_dbt(
            "run", ["--select", "fct_order_items", *dbt_output_args], grown_scenario.settings
        )
    assert_dbt_ok(outcome)
    # The merge of an empty batch may commit nothing at all, or an empty commit: either way
    # no data file is added or rewritten.
    commits = (
        spark.sql("describe history gold.fct_order_items").where(f"version > {before}").collect()
    )
    for commit in commits:
        metrics = commit.operationMetrics or {}
        added = metrics.get("numTargetFilesAdded", metrics.get("numAddedFiles", "0"))
        assert int(added) == 0, json.dumps(metrics)
    assert spark.table("gold.fct_order_items").count() == rows


def test_share_gates_pass_within_their_threshold_and_block_above_it(
    spark: SparkSession, grown_scenario: Scenario, dbt_output_args: list[str]
) -> None:
    select = ["--select", "test_name:share_at_most", *dbt_output_args]
    strict = "{max_orphan_product_share: 0, max_orphan_customer_share: 0, max_unpriced_share: 0}"
    with lakehouse_environment():
        lenient = run_dbt("test", select, grown_scenario.settings)
        blocked = run_dbt("test", [*select, "--vars", strict], grown_scenario.settings)
    assert_dbt_ok(lenient)
    assert not blocked.success
    failures = {
        result.node.column_name: int(result.failures or 0)
        for result in blocked.result.result.results
        if result.node.resource_type == "test"  # not the on-run-start hook
    }
    fact = spark.table("gold.fct_order_items")
    expected = {
        "net_amount_inr": fact.where("net_amount_inr is null").count(),
        "product_id": fact.where("product_id is not null")
        .join(spark.table("gold.dim_products"), "product_id", "left_anti")
        .count(),
        "customer_id": fact.where("customer_id is not null")
        .join(spark.table("gold.dim_customers"), "customer_id", "left_anti")
        .count(),
    }
    # The scenario's seed lands orphan customers for sure; the other kinds may be 0.
    assert expected["customer_id"] > 0, expected
    assert failures == expected


def test_a_lakehouse_run_with_nothing_new_rebuilds_nothing(
    spark: SparkSession,
    grown_scenario: Scenario,
) -> None:
    """`lakehouse run` after a whole build of the same Bronze and code: dbt's selection
    (source_status:fresher+ state:modified+) is empty, so no table gets a new Delta version."""
    settings = grown_scenario.settings
    # The grown scenario ended with a whole-project build of this Bronze: remember it as
    # `lakehouse run` does after a successful build (its manifest and the source freshness
    # where `lakehouse` builds leave dbt's artifacts).
    with lakehouse_environment():
        assert source_freshness(settings) is not None
    shutil.copyfile(
        grown_scenario.target / "manifest.json", settings.dbt_target_dir / "manifest.json"
    )
    save_last_build(settings)
    tables = built_tables(grown_scenario.target)
    before = {table: delta_version(spark, table) for table in tables}
    messages: list[str] = []
    with lakehouse_environment():
        outcome = run_pipeline(settings, SampleSize(), [], messages.append)
    assert outcome.exit_code == 0, outcome
    assert outcome.build_scope and outcome.build_scope.startswith("no new Bronze data"), messages
    assert outcome.build_scope.endswith("nothing to build"), outcome.build_scope
    assert sum(outcome.build.counts.values()) == 0, outcome.build.counts
    assert outcome.build.written == []
    assert {table: delta_version(spark, table) for table in tables} == before
    assert load_last_build(settings) is not None  # saved again by the successful run


def descendants(manifest: dict, roots: set[str]) -> set[str]:
    """The roots and everything downstream of them, from the manifest's own child map."""
    found, pending = set(), list(roots)
    while pending:
        node = pending.pop()
        if node not in found:
            found.add(node)
            pending.extend(manifest["child_map"].get(node, []))
    return found


def test_dbt_selects_new_bronze_data_and_changed_code_with_what_depends_on_them(
    spark: SparkSession,
    grown_scenario: Scenario,
) -> None:
    """The selection a `lakehouse run` hands dbt, against a last build that read order lines
    loaded before the current ones and knew another version of stg_ecommerce__brands: exactly
    those two branches, nothing else (run after the test above, which saved the last build)."""
    settings = grown_scenario.settings
    last = load_last_build(settings)
    assert last is not None
    order_items = "source.lakehouse.bronze.order_items"
    changed_model = "model.lakehouse.stg_ecommerce__brands"
    sources_file = last.state_dir / "sources.json"
    sources = json.loads(sources_file.read_text())
    for result in sources["results"]:
        if result["unique_id"] == order_items:
            result["max_loaded_at"] = "2000" + result["max_loaded_at"][4:]
    sources_file.write_text(json.dumps(sources))
    manifest_file = last.state_dir / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    # dbt compares a model's code, not its checksum.
    manifest["nodes"][changed_model]["raw_code"] += "\n-- an older version"
    manifest_file.write_text(json.dumps(manifest))

    with lakehouse_environment():
        plan = plan_incremental_build(spark, settings)
        listed = run_dbt(
            "ls",
            [
                *plan.dbt_args,
                *("--resource-type", "model", "--output", "json"),
                *("--output-keys", "unique_id", "--log-level", "none"),
            ],
            settings,
        )
    assert plan.reason.startswith(
        "new Bronze data in bronze.order_items; changed code in stg_ecommerce__brands"
    ), plan.reason
    assert_dbt_ok(listed)
    selected = {json.loads(line)["unique_id"] for line in listed.result.result}
    models = {node for node in manifest["nodes"] if node.startswith("model.")}
    expected = descendants(manifest, {order_items, changed_model}) & models
    assert selected == expected
    assert {"model.lakehouse.fct_order_items", changed_model} <= selected
    assert "model.lakehouse.stg_ecommerce__customers" not in selected


def test_a_table_missing_from_the_warehouse_makes_the_run_build_everything(
    spark: SparkSession, grown_scenario: Scenario, dbt_output_args: list[str]
) -> None:
    """dbt's state comparison sees code and source freshness, not the warehouse: a dropped table
    is caught by the run's own check (a dimension here, put back at the end)."""
    settings = grown_scenario.settings
    spark.sql("drop table gold.dim_currencies")
    try:
        with lakehouse_environment():
            plan = plan_incremental_build(spark, settings)
    finally:
        with lakehouse_environment():
            restored = run_dbt("run", ["--select", "dim_currencies", *dbt_output_args], settings)
    assert_dbt_ok(restored)
    assert plan.everything, plan
    assert plan.reason == "the warehouse lacks gold.dim_currencies: building everything"
