"""What `lakehouse run` decides to rebuild (build_state.plan_build), without Spark or dbt."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from lakehouse.build_state import (
    Changes,
    LastBuild,
    load_last_build,
    plan_build,
    save_last_build,
    state_dir,
    unreadable_sources,
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


SELECTION = "source_status:fresher+ state:modified+"


def last_build(folder: Path) -> LastBuild:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    return LastBuild(folder)


def test_the_first_run_builds_everything() -> None:
    plan = plan_build(None, EXISTING, [], None)
    assert plan.everything and plan.dbt_args == []
    assert "no earlier successful build" in plan.reason


def test_new_bronze_data_selects_what_dbt_finds_fresher_and_modified(tmp_path: Path) -> None:
    changes = Changes(sources=["bronze.brands", "bronze.order_items"], nodes=[])
    plan = plan_build(last_build(tmp_path), EXISTING, [], changes)
    assert plan.dbt_args == ["--select", SELECTION, "--state", str(tmp_path)]
    assert plan.reason.startswith("new Bronze data in bronze.brands, bronze.order_items")
    assert plan.reason.endswith("no code changed: building it and what depends on it")


def test_changed_code_names_the_nodes(tmp_path: Path) -> None:
    changes = Changes(sources=[], nodes=["dim_brands", "stg_brands"])
    plan = plan_build(last_build(tmp_path), EXISTING, [], changes)
    assert plan.dbt_args == ["--select", SELECTION, "--state", str(tmp_path)]
    assert plan.reason.startswith("no new Bronze data; changed code in dim_brands, stg_brands")


def test_nothing_new_says_so(tmp_path: Path) -> None:
    plan = plan_build(last_build(tmp_path), EXISTING, [], Changes([], []))
    assert plan.reason.startswith("no new Bronze data")
    assert plan.reason.endswith("nothing to build")
    assert plan.nothing_to_build


def test_only_an_empty_selection_is_nothing_to_build(tmp_path: Path) -> None:
    last = last_build(tmp_path)
    plans = [
        plan_build(None, EXISTING, [], None),
        plan_build(last, EXISTING, [], None),  # dbt could not say what changed
        plan_build(last, EXISTING, ["bronze.customers"], Changes([], [])),
        plan_build(last, EXISTING, [], Changes(["bronze.brands"], [])),
        plan_build(last, EXISTING, [], Changes([], ["dim_brands"])),
        plan_build(last, {"gold.fct_order_items"}, [], Changes([], [])),
    ]
    assert not any(plan.nothing_to_build for plan in plans)


def test_a_source_without_a_load_time_is_selected_explicitly(tmp_path: Path) -> None:
    plan = plan_build(last_build(tmp_path), EXISTING, ["bronze.customers"], Changes([], []))
    assert plan.dbt_args[1] == f"{SELECTION} source:bronze.customers+"
    assert plan.reason.startswith("new Bronze data in bronze.customers")


def test_when_dbt_cannot_list_the_changes_the_selection_still_holds(tmp_path: Path) -> None:
    plan = plan_build(last_build(tmp_path), EXISTING, [], None)
    assert plan.dbt_args == ["--select", SELECTION, "--state", str(tmp_path)]
    assert plan.reason == "building what dbt finds fresher or modified since the last build"


def test_a_missing_warehouse_table_rebuilds_everything(tmp_path: Path) -> None:
    plan = plan_build(last_build(tmp_path), {"gold.fct_order_items"}, [], Changes([], []))
    assert plan.everything
    assert "silver.fx_rates" in plan.reason


def test_listed_unique_ids_split_into_sources_and_nodes() -> None:
    changes = Changes.of_listed(
        [
            "source.lakehouse.bronze.order_items",
            "model.lakehouse.dim_brands",
            "test.lakehouse.not_null_dim_brands_brand_id.5a1b",
        ]
    )
    assert changes.sources == ["bronze.order_items"]
    assert changes.nodes == ["dim_brands", "not_null_dim_brands_brand_id.5a1b"]


def test_freshness_runtime_errors_name_the_unreadable_sources(tmp_path: Path) -> None:
    sources = tmp_path / "sources.json"
    results = [
        {"unique_id": "source.lakehouse.bronze.order_items", "status": "pass"},
        {"unique_id": "source.lakehouse.bronze.customers", "status": "runtime error"},
        {"unique_id": "source.lakehouse.bronze.brands", "status": "error"},  # stale, readable
    ]
    sources.write_text(json.dumps({"results": results}))
    assert unreadable_sources(sources) == ["bronze.customers"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(Settings.from_env({}), home=tmp_path / "home", project_dir=tmp_path)


def test_the_saved_state_needs_both_artifacts(settings: Settings) -> None:
    # Where `lakehouse` builds leave dbt's artifacts: the state folder's dbt/target.
    target = settings.dbt_target_dir
    target.mkdir(parents=True)
    (target / "manifest.json").write_text(json.dumps(MANIFEST))
    (target / "sources.json").write_text(json.dumps({"results": []}))
    assert load_last_build(settings) is None

    save_last_build(settings)
    loaded = load_last_build(settings)
    assert loaded is not None
    assert loaded.relations() == EXISTING
    assert (loaded.state_dir / "sources.json").read_text() == '{"results": []}'

    # A save cut short before the freshness results were copied is no state at all.
    (state_dir(settings) / "sources.json").unlink()
    assert load_last_build(settings) is None
