"""`dbt docs generate` on open-source Delta: a complete catalog (every model, seed, snapshot and
source with its columns and their types, as the warehouse has them), read only for the
project's relations (macro `spark__list_relations_without_caching`).

The catalog is generated on the shared scenario's first build (conftest.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Scenario, lakehouse_environment
from pyspark.sql import SparkSession

from lakehouse.dbt_runner import run_dbt

# A table in a project schema that no dbt node owns (an analyst's scratch table, a model that
# was renamed): the catalog override must not read it.
STRANGER = "gold.catalog_test_not_in_project"


@pytest.fixture(scope="module")
def docs(
    spark: SparkSession, built_scenario: Scenario, dbt_output_args: list[str]
) -> Iterator[dict[str, Any]]:
    spark.sql(f"create table if not exists {STRANGER} using delta as select 1 as id")
    logs = Path(dbt_output_args[dbt_output_args.index("--log-path") + 1])
    log = logs / "dbt.log"
    log_start = log.stat().st_size if log.exists() else 0
    with lakehouse_environment():
        generated = run_dbt("docs", ["generate", *dbt_output_args], built_scenario.settings)
    assert generated.success, generated.result.exception
    target = built_scenario.target
    yield {
        "catalog": json.loads((target / "catalog.json").read_text()),
        "manifest": json.loads((target / "manifest.json").read_text()),
        "log": log.read_text(encoding="utf-8", errors="replace")[log_start:],
    }
    spark.sql(f"drop table if exists {STRANGER}")


def catalogued_resources(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Every model, seed and snapshot that is a relation, and every source table."""
    nodes = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed", "snapshot")
        and node["config"].get("materialized") != "ephemeral"
        and node["config"].get("enabled", True)
    ]
    return sorted([*nodes, *manifest["sources"].values()], key=lambda node: node["unique_id"])


def relation(node: dict[str, Any]) -> str:
    return node["relation_name"].replace("`", "")


def catalog_entry(docs: dict[str, Any], node: dict[str, Any]) -> dict[str, Any] | None:
    section = "sources" if node["resource_type"] == "source" else "nodes"
    return docs["catalog"][section].get(node["unique_id"])


def catalog_columns(entry: dict[str, Any]) -> list[tuple[str, str]]:
    columns = sorted(entry["columns"].values(), key=lambda column: column["index"])
    return [(column["name"].lower(), (column["type"] or "").lower()) for column in columns]


def test_catalog_covers_every_model_seed_snapshot_and_source(docs: dict[str, Any]) -> None:
    resources = catalogued_resources(docs["manifest"])
    assert {node["resource_type"] for node in resources} >= {"model", "seed", "source"}
    missing = [node["unique_id"] for node in resources if catalog_entry(docs, node) is None]
    without_columns = [
        node["unique_id"]
        for node in resources
        if (entry := catalog_entry(docs, node)) is not None
        and (not entry["columns"] or any(not kind for _name, kind in catalog_columns(entry)))
    ]
    assert not docs["catalog"].get("errors"), docs["catalog"]["errors"]
    assert not missing, f"not in catalog.json: {missing}"
    assert not without_columns, f"in catalog.json without column names and types: {without_columns}"


def test_catalog_columns_and_types_are_the_warehouse_s(
    spark: SparkSession, docs: dict[str, Any]
) -> None:
    mismatches = []
    for node in catalogued_resources(docs["manifest"]):
        entry = catalog_entry(docs, node)
        assert entry is not None, node["unique_id"]
        warehouse = [
            (field.name.lower(), field.dataType.simpleString().lower())
            for field in spark.table(relation(node)).schema
        ]
        if catalog_columns(entry) != warehouse:
            mismatches.append(
                f"{node['unique_id']}:\n    catalog   {catalog_columns(entry)}"
                f"\n    warehouse {warehouse}"
            )
    assert not mismatches, "\n".join(mismatches)


def test_every_column_in_the_warehouse_is_documented_and_no_other(docs: dict[str, Any]) -> None:
    """The yml of each model, seed, snapshot and source lists exactly its real columns."""
    offenders = []
    for node in catalogued_resources(docs["manifest"]):
        entry = catalog_entry(docs, node)
        assert entry is not None, node["unique_id"]
        real = [name for name, _kind in catalog_columns(entry)]
        documented = {name.lower() for name in node["columns"]}
        undocumented = [name for name in real if name not in documented]
        absent = sorted(documented - set(real))
        if undocumented:
            offenders.append(f"{node['unique_id']}: undocumented columns {undocumented}")
        if absent:
            offenders.append(f"{node['unique_id']}: documents columns it does not have {absent}")
    assert not offenders, "\n  ".join([f"{len(offenders)} offender(s):", *offenders])


def test_catalog_reads_only_the_project_s_relations(docs: dict[str, Any]) -> None:
    described = {
        match.replace("`", "").lower()
        for match in re.findall(r"describe table (`[^`]+`\.`[^`]+`)", docs["log"])
    }
    manifest = docs["manifest"]
    project = {
        node["relation_name"].replace("`", "").lower()
        for node in [*manifest["nodes"].values(), *manifest["sources"].values()]
        if node.get("relation_name")
    }
    needed = {relation(node).lower() for node in catalogued_resources(manifest)}
    assert STRANGER not in docs["log"]
    assert described <= project, f"described, not in the project: {sorted(described - project)}"
    # Delta tables usually carry no schema in `show table extended` and are described; one whose
    # metastore entry kept its schema is not (its columns are checked by the tests above).
    assert described & needed, "no relation was described: the override did not run"
    # Schemas are listed by name patterns, not `like '*'` (which only the Bronze registration
    # hook, `register_bronze_sources`, uses, for its own purpose).
    listings = re.findall(r"show table extended in (\w+) like '\*'", docs["log"])
    assert set(listings) <= {"bronze"}, listings


def test_catalog_has_no_made_up_row_counts(docs: dict[str, Any]) -> None:
    """Spark's metastore reports `0 rows` for Delta tables that have rows; the override drops
    those statistics rather than show them in the docs."""
    with_rows = [
        node["unique_id"]
        for node in catalogued_resources(docs["manifest"])
        if "rows" in (catalog_entry(docs, node) or {}).get("stats", {})
    ]
    assert not with_rows, with_rows
