"""The manifest says exactly what is in the files: every count is re-derived here by parsing the
files independently, line by line, with the business rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_generator_support import (
    as_counts,
    read_physical_lines,
    recount_landing,
    run_small,
    silver_customer,
    silver_product,
)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("manifest") / "landing"
    # Raised rates so that every category of row shows up in a small landing zone.
    run_small(
        folder,
        days=5,
        orders_per_day=400,
        dimension_exports=3,
        unrepairable_rate=0.03,
        malformed_rate=0.01,
        rate_overrides=("order_items.resent_line=0.02", "order_items.repeated_line=0.01"),
    )
    return folder


@pytest.fixture(scope="module")
def manifest(landing: Path) -> dict:
    return json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def recount(landing: Path) -> dict:
    return recount_landing(landing)


def test_manifest_lists_every_file_and_only_them(landing: Path, manifest: dict) -> None:
    on_disk = sorted(p.relative_to(landing).as_posix() for p in landing.rglob("*.csv"))
    assert sorted(entry["path"] for entry in manifest["files"]) == on_disk
    assert not list(landing.rglob("*.part"))


def test_rows_are_physical_lines_minus_header(landing: Path, manifest: dict) -> None:
    for entry in manifest["files"]:
        _, lines = read_physical_lines(landing / entry["path"])
        assert entry["rows"] == len(lines), entry["path"]


def test_every_file_count_matches_the_files(manifest: dict, recount: dict) -> None:
    for entry in manifest["files"]:
        found = recount[entry["path"]]
        where = entry["path"]
        assert found.multi_reason_rows == 0, (
            f"{where}: a row has more than one unrepairable problem"
        )
        assert entry["rows"] == entry["clean"] + entry["duplicates"] + entry["quarantined"], where
        assert entry["clean"] == found.clean, where
        assert entry["malformed"] == as_counts(found.malformed, entry["malformed"]), where
        assert entry["quarantine"] == as_counts(found.quarantine, entry["quarantine"]), where
        assert entry["duplicates_by_kind"] == as_counts(
            found.duplicates, entry["duplicates_by_kind"]
        ), where
        assert entry["anomalies"] == as_counts(found.anomalies, entry["anomalies"]), where
        assert entry["orphans"] == as_counts(found.orphans, entry["orphans"]), where


def test_every_kind_of_row_is_present(manifest: dict) -> None:
    order_items = manifest["entities"]["order_items"]
    assert all(order_items["quarantine"].values()), order_items["quarantine"]
    assert all(order_items["malformed"].values()), order_items["malformed"]
    assert all(order_items["duplicates_by_kind"].values())
    assert all(order_items["orphans"].values())
    for entity in ("brands", "category", "customers", "products", "date"):
        summary = manifest["entities"][entity]
        assert all(summary["quarantine"].values()), (entity, summary["quarantine"])
        assert summary["duplicates"] > 0, entity
        assert all(summary["anomalies"].values()), (entity, summary["anomalies"])


def test_entity_totals_are_the_sum_of_their_files(manifest: dict) -> None:
    for entity, summary in manifest["entities"].items():
        entries = [e for e in manifest["files"] if e["entity"] == entity]
        assert summary["files"] == len(entries)
        for key in ("rows", "clean", "duplicates", "quarantined"):
            assert summary[key] == sum(e[key] for e in entries), (entity, key)
        for key in ("quarantine", "malformed", "anomalies", "orphans", "duplicates_by_kind"):
            for name, value in summary[key].items():
                assert value == sum(e[key][name] for e in entries), (entity, key, name)
    assert (
        manifest["entities"]["order_items"]["expected_silver_rows"]
        == manifest["entities"]["order_items"]["clean"]
    )


def test_manifest_records_parameters_and_vocabulary(manifest: dict) -> None:
    parameters = manifest["parameters"]
    assert manifest["generator"]["version"]
    for key in ("seed", "days", "orders_per_day", "start_date", "rates", "dimension_exports"):
        assert key in parameters
    assert parameters["seed"] == 7
    assert manifest["reject_reasons"]["order_items"] == [
        "malformed_row",
        "missing_key",
        "bad_dt",
        "bad_order_ts",
        "bad_quantity",
        "bad_unit_price",
        "bad_discount_pct",
    ]
    for entity, reason in (
        ("customers", "missing_customer_id"),
        ("products", "missing_product_id"),
        ("brands", "missing_brand_code"),
        ("category", "missing_category_code"),
        ("date", "bad_date"),
    ):
        assert manifest["reject_reasons"][entity] == ["malformed_row", reason]
    orders = sum(e["orders"] for e in manifest["files"] if e["entity"] == "order_items")
    assert orders == manifest["timeline"]["orders"] == 5 * 400


def test_scd2_history_matches_the_exports(manifest: dict, recount: dict) -> None:
    for entity, key, silver in (
        ("customers", "customer_id", silver_customer),
        ("products", "product_id", silver_product),
    ):
        entries = [e for e in manifest["files"] if e["entity"] == entity]
        assert [e["export_date"] for e in entries] == sorted(e["export_date"] for e in entries)
        previous: dict[str, tuple] | None = None
        for entry in entries:
            picture = {row[key]: silver(row) for row in recount[entry["path"]].clean_rows}
            assert entry["keys"] == len(picture)
            if previous is None:
                assert entry["new_keys"] == len(picture)
            else:
                assert entry["new_keys"] == len(picture.keys() - previous.keys())
                assert entry["dropped_keys"] == len(previous.keys() - picture.keys())
                changed = sum(
                    1 for k in picture.keys() & previous.keys() if picture[k] != previous[k]
                )
                assert entry["changed_keys"] == changed
                # Change over time: attributes change and keys disappear in every later export.
                assert (
                    entry["changed_keys"] > 0
                    and entry["dropped_keys"] > 0
                    and entry["new_keys"] > 0
                )
            previous = picture
        scd2 = manifest["entities"][entity]["scd2"]
        assert (
            scd2["versions"] - scd2["closed_versions"]
            == scd2["current_versions"]
            == entries[-1]["keys"]
        )
