"""What `lakehouse run` decides to rebuild (build_state.plan_build), without Spark or dbt."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from lakehouse.build_state import (
    LastBuild,
    load_last_build,
    plan_build,
    save_last_build,
    state_dir,
)
from lakehouse.settings import Settings

MANIFEST = {
    "nodes": {
        "model.lakehouse.fct_order_items": {
            "schema": "gold",
            "alias": "fct_order_items",
            "config": {"materialized": "incremental"},
        },
        "seed.lakehouse.fx_rates": {
            "schema": "silver",
            "alias": "fx_rates",
            "config": {"materialized": "seed"},
        },
        "test.lakehouse.not_null_x": {
            "schema": "audit",
            "alias": "not_null_x",
            "config": {"materialized": "test"},
        },
    }
}
EXISTING = {"gold.fct_order_items", "silver.fx_rates"}


def last_build(folder: Path, **versions: int) -> LastBuild:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    return LastBuild(versions, folder)


def test_the_first_run_builds_everything() -> None:
    plan = plan_build({"order_items": 3}, None, EXISTING)
    assert plan.everything and plan.dbt_args == []
    assert "no earlier successful build" in plan.reason


def test_new_bronze_data_selects_its_downstream_and_changed_code(tmp_path: Path) -> None:
    last = last_build(tmp_path, order_items=3, products=2, brands=1)
    plan = plan_build({"order_items": 5, "products": 2, "brands": 2}, last, EXISTING)
    assert plan.dbt_args == [
        "--select",
        "source:bronze.brands+ source:bronze.order_items+ state:modified+",
        "--state",
        str(tmp_path),
    ]
    assert "brands, order_items" in plan.reason


def test_nothing_new_selects_changed_code_only(tmp_path: Path) -> None:
    last = last_build(tmp_path, order_items=3)
    plan = plan_build({"order_items": 3}, last, EXISTING)
    assert plan.dbt_args[:2] == ["--select", "state:modified+"]
    assert plan.reason.startswith("no new Bronze data")


def test_a_bronze_table_the_last_build_never_saw_counts_as_new(tmp_path: Path) -> None:
    plan = plan_build({"order_items": 0}, last_build(tmp_path), EXISTING)
    assert "source:bronze.order_items+" in plan.dbt_args[1]


def test_a_missing_warehouse_table_rebuilds_everything(tmp_path: Path) -> None:
    last = last_build(tmp_path, order_items=3)
    plan = plan_build({"order_items": 3}, last, {"gold.fct_order_items"})
    assert plan.everything
    assert "silver.fx_rates" in plan.reason


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(Settings.from_env({}), home=tmp_path / "home", project_dir=tmp_path)


def test_the_saved_state_round_trips_and_a_broken_one_is_ignored(settings: Settings) -> None:
    # Where `lakehouse` builds leave dbt's artifacts: the state folder's dbt/target.
    target = settings.dbt_target_dir
    target.mkdir(parents=True)
    (target / "manifest.json").write_text(json.dumps(MANIFEST))
    assert load_last_build(settings) is None

    save_last_build(settings, {"order_items": 4, "brands": 1})
    loaded = load_last_build(settings)
    assert loaded is not None
    assert dict(loaded.bronze_versions) == {"order_items": 4, "brands": 1}
    assert loaded.relations() == EXISTING

    (state_dir(settings) / "bronze_versions.json").write_text("{not json")
    assert load_last_build(settings) is None


def test_without_unit_tests_keeps_the_selection_and_says_why(tmp_path: Path) -> None:
    plan = plan_build({"order_items": 4}, last_build(tmp_path, order_items=3), EXISTING)
    lean = plan.without_unit_tests()
    assert lean.dbt_args == [*plan.dbt_args, "--exclude", "test_type:unit"]
    assert lean.reason.endswith("(no code changed: unit tests skipped)")
