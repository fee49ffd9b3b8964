"""dbt environments on the built scenario: a developer's own schemas with deferral to
production (`lakehouse dev`), slim CI in throw-away schemas (`lakehouse ci`), and production
untouched by both (every production table's Delta version is the same afterwards).

The production artifacts are the scenario build's manifest, kept where `lakehouse run` keeps its
last successful build's (``$LAKEHOUSE_HOME/state/last-build``). Each test works on a copy of the
dbt project, changed the way an analyst or a pull request changes it, and runs the real
commands (``lakehouse.cli.main``) in this process, on the shared SparkSession.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_DIR, Scenario, lakehouse_environment
from pyspark.sql import SparkSession

from lakehouse import cli
from lakehouse.build_state import MANIFEST_FILE, state_dir
from lakehouse.dbt_runner import run_dbt
from lakehouse.settings import Settings

DEV_NAME = "pytest_analyst"
DEV_PREFIX = f"dbt_{DEV_NAME}"
PRODUCTION_SCHEMAS = ("silver", "gold", "audit")
# What a dbt project folder is made of (tests/pytest is the Python suite, not dbt's).
PROJECT_ITEMS = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "materializations",
    "seeds",
    "snapshots",
    "analyses",
    "tests",
)

NEW_MART_SQL = """\
with

order_lines as (

    select * from {{ ref('fct_order_items') }}

),

final as (

    select
        transaction_date,
        count(*) as order_lines
    from order_lines
    group by transaction_date

)

select * from final
"""

NEW_MART_YAML = """\
version: 2

models:
  - name: order_lines_per_day
    description: Order lines per transaction date (an analyst's new mart).
    columns:
      - name: transaction_date
        description: The transaction (order) date.
        data_type: date
        data_tests: [unique, not_null]
      - name: order_lines
        description: Order lines that day.
        data_type: bigint
"""


@dataclass(frozen=True)
class Production:
    settings: Settings  # the scenario's warehouse, with its own state folder
    manifest: dict[str, Any]  # the production build's manifest, as kept for deferral


@pytest.fixture(scope="module")
def production(built_scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Production:
    home = tmp_path_factory.mktemp("environments-home")
    settings = replace(built_scenario.settings, home=home)
    folder = state_dir(settings)
    folder.mkdir(parents=True)
    shutil.copyfile(built_scenario.target / MANIFEST_FILE, folder / MANIFEST_FILE)
    return Production(settings, json.loads((folder / MANIFEST_FILE).read_text()))


def copy_project(destination: Path) -> Path:
    destination.mkdir(parents=True)
    for item in PROJECT_ITEMS:
        source = PROJECT_DIR / item
        if source.is_dir():
            shutil.copytree(
                source, destination / item, ignore=shutil.ignore_patterns("pytest", "__pycache__")
            )
        elif source.exists():
            shutil.copyfile(source, destination / item)
    return destination


@pytest.fixture
def as_user(production: Production) -> Iterator[None]:
    """The environment a person's shell has: the state folder's settings and a dev name."""
    with lakehouse_environment():
        os.environ.update(production.settings.as_env())
        os.environ["LAKEHOUSE_DEV_NAME"] = DEV_NAME
        yield


def lakehouse(*args: str) -> int:
    return cli.main(list(args))


def production_versions(spark: SparkSession) -> dict[str, int | str]:
    """Every production relation: a Delta table's latest version, a view's kind."""
    found: dict[str, int | str] = {}
    for schema in PRODUCTION_SCHEMAS:
        for table in spark.catalog.listTables(schema):
            if table.isTemporary:  # another test's session view, not a relation of the schema
                continue
            name = f"{schema}.{table.name}"
            if table.tableType == "VIEW":
                found[name] = "view"
            else:
                found[name] = int(spark.sql(f"describe history {name} limit 1").first().version)
    return found


def tables_in(spark: SparkSession, schema: str) -> list[str]:
    """The schema's tables and views (the catalog lists the session's temporary views too)."""
    return sorted(table.name for table in spark.catalog.listTables(schema) if not table.isTemporary)


def schemas_like(spark: SparkSession, pattern: str) -> list[str]:
    return sorted(row[0] for row in spark.sql(f"show schemas like '{pattern}'").collect())


def built_models(run_results: Path) -> dict[str, str]:
    """unique_id -> relation of every model the run built."""
    results = json.loads(run_results.read_text())["results"]
    return {
        result["unique_id"]: result["relation_name"].replace("`", "")
        for result in results
        if result["unique_id"].startswith("model.") and result["status"] == "success"
    }


def statuses_of_tests(run_results: Path) -> list[str]:
    results = json.loads(run_results.read_text())["results"]
    return [result["status"] for result in results if result["unique_id"].startswith("test.")]


def descendants(manifest: dict[str, Any], unique_id: str) -> set[str]:
    """The node's models and everything downstream of it (models only)."""
    found, todo = {unique_id}, [unique_id]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child.startswith("model.") and child not in found:
                found.add(child)
                todo.append(child)
    return found


def test_dev_builds_a_new_mart_alone_reading_production_and_never_writes_it(
    spark: SparkSession, production: Production, as_user: None, tmp_path: Path
) -> None:
    project = copy_project(tmp_path / "project")
    (project / "models/marts/sales/order_lines_per_day.sql").write_text(NEW_MART_SQL)
    (project / "models/marts/sales/_order_lines_per_day.yml").write_text(NEW_MART_YAML)
    before = production_versions(spark)
    run_results = production.settings.home / "dbt" / "dev-target" / "run_results.json"

    assert lakehouse("dev", "--select", "order_lines_per_day", "--project-dir", str(project)) == 0

    # Only the new mart was built, in the developer's schema; its parent came from production.
    assert built_models(run_results) == {
        "model.lakehouse.order_lines_per_day": f"{DEV_PREFIX}_gold.order_lines_per_day"
    }
    assert statuses_of_tests(run_results) and set(statuses_of_tests(run_results)) == {"pass"}
    compiled = next(
        (production.settings.home / "dbt" / "dev-target").rglob("order_lines_per_day.sql")
    )
    assert "gold.fct_order_items" in compiled.read_text().replace("`", "")
    assert tables_in(spark, f"{DEV_PREFIX}_gold") == ["order_lines_per_day"]
    assert f"{DEV_PREFIX}_silver" not in schemas_like(spark, f"{DEV_PREFIX}*")
    per_day = spark.table(f"{DEV_PREFIX}_gold.order_lines_per_day")
    assert (
        per_day.groupBy().sum("order_lines").first()[0]
        == spark.table("gold.fct_order_items").count()
    )

    # A private full refresh of the fact: built from production's Silver, into the dev schema.
    assert (
        lakehouse(
            "dev", "--select", "fct_order_items", "--full-refresh", "--project-dir", str(project)
        )
        == 0
    )
    assert set(built_models(run_results).values()) == {f"{DEV_PREFIX}_gold.fct_order_items"}
    assert (
        spark.table(f"{DEV_PREFIX}_gold.fct_order_items").count()
        == spark.table("gold.fct_order_items").count()
    )

    # Done: the developer drops their schemas (dbt run-operation drop_environment_schemas).
    dropped = run_dbt(
        "run-operation",
        ["drop_environment_schemas", "--project-dir", str(project)],
        Settings.from_env(),
        environment="dev",
    )
    assert dropped.success, dropped.result.exception
    assert schemas_like(spark, f"{DEV_PREFIX}*") == []

    assert production_versions(spark) == before


def test_ci_builds_exactly_the_changed_mart_and_its_children_then_drops_its_schemas(
    spark: SparkSession, production: Production, as_user: None, tmp_path: Path
) -> None:
    project = copy_project(tmp_path / "project")
    changed = "model.lakehouse.sales_transactions"
    sql = project / "models/marts/sales/sales_transactions.sql"
    sql.write_text(sql.read_text().replace("select * from final", "select * from final where true"))
    expected = descendants(production.manifest, changed)
    assert len(expected) > 1, "pick a mart with children: the test must see them built too"
    before = production_versions(spark)
    run_results = production.settings.home / "dbt" / "ci-target" / "run_results.json"

    assert lakehouse("ci", "--project-dir", str(project)) == 0

    built = built_models(run_results)
    assert set(built) == expected
    schemas = {relation.split(".")[0] for relation in built.values()}
    assert len(schemas) == 1 and schemas.pop().startswith("ci_"), built
    statuses = statuses_of_tests(run_results)
    assert statuses and set(statuses) == {"pass"}, statuses
    assert schemas_like(spark, "ci_*") == []
    assert production_versions(spark) == before
