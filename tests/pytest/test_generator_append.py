"""`--append` continues dates, order ids and export history without touching earlier files, and
refuses requests that would break the landing zone."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from test_generator_support import as_counts, recount_landing, run_small

from generator import ConfigError


def _files(landing: Path) -> dict[str, bytes]:
    return {
        p.relative_to(landing).as_posix(): p.read_bytes() for p in sorted(landing.rglob("*.csv"))
    }


def _order_numbers(landing: Path, names: set[str]) -> list[int]:
    numbers = set()
    for name in names:
        if name.startswith("order_items/"):
            for line in (landing / name).read_text(encoding="utf-8").splitlines()[1:]:
                parts = line.split(",")
                if len(parts) > 3 and parts[3].startswith("O"):
                    numbers.add(int(parts[3][1:]))
    return sorted(numbers)


@pytest.fixture(scope="module")
def appended(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    landing = tmp_path_factory.mktemp("append") / "landing"
    run_small(landing, days=3, dimension_exports=2)
    before = _files(landing)
    run_small(landing, append=True, days=2, dimension_exports=1, seed=None)
    return landing, before, _files(landing)


def test_earlier_files_are_not_rewritten(appended: tuple) -> None:
    _, before, after = appended
    assert {name: after[name] for name in before} == before


def test_dates_ids_and_exports_continue(appended: tuple) -> None:
    landing, before, after = appended
    new = set(after) - set(before)
    assert new == {
        "order_items/landing/order_items_2025-01-04.csv",
        "order_items/landing/order_items_2025-01-05.csv",
        "customers/customers_export_2025-01-04.csv",
        "products/products_export_2025-01-04.csv",
        "date/date_export_2025-01-04.csv",
    }
    old_ids, new_ids = _order_numbers(landing, set(before)), _order_numbers(landing, new)
    assert old_ids[0] == 1 and old_ids[-1] == 3 * 300
    assert new_ids[0] == old_ids[-1] + 1 and new_ids[-1] == 5 * 300
    manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
    assert [r["mode"] for r in manifest["runs"]] == ["create", "append"]
    assert manifest["runs"][1]["seed"] == 7  # inherited
    assert manifest["timeline"]["last_date"] == "2025-01-05"
    assert manifest["timeline"]["next_order_number"] == 5 * 300 + 1
    assert [e["index"] for e in manifest["timeline"]["exports"]] == [0, 1, 2]
    products = [e for e in manifest["files"] if e["entity"] == "products"]
    assert [e["export_index"] for e in products] == [0, 1, 2]
    # The new export continues the history of the earlier ones.
    assert (
        products[2]["keys"]
        == products[1]["keys"] + products[2]["new_keys"] - products[2]["dropped_keys"]
    )
    calendar = [e for e in manifest["files"] if e["entity"] == "date"]
    assert calendar[-1]["first_date"] < "2025-01-01" < "2025-01-05" < calendar[-1]["last_date"]
    assert manifest["entities"]["date"]["latest_file"] == "date/date_export_2025-01-04.csv"


def test_manifest_still_matches_the_files(appended: tuple) -> None:
    landing, _, after = appended
    manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
    assert sorted(e["path"] for e in manifest["files"]) == sorted(after)
    recount = recount_landing(landing)
    for entry in manifest["files"]:
        found = recount[entry["path"]]
        assert entry["rows"] == found.rows and entry["clean"] == found.clean, entry["path"]
        assert entry["quarantine"] == as_counts(found.quarantine, entry["quarantine"])
        assert entry["duplicates_by_kind"] == as_counts(
            found.duplicates, entry["duplicates_by_kind"]
        )
        assert entry["anomalies"] == as_counts(found.anomalies, entry["anomalies"])
        assert entry["orphans"] == as_counts(found.orphans, entry["orphans"])


def test_append_is_deterministic(tmp_path: Path, appended: tuple) -> None:
    _, _, after = appended
    landing = tmp_path / "again"
    run_small(landing, days=3, dimension_exports=2)
    run_small(landing, append=True, days=2, dimension_exports=1, seed=None, workers=2)
    assert _files(landing) == after


def test_append_without_new_exports_uses_the_last_one(tmp_path: Path) -> None:
    run_small(tmp_path, days=2, dimension_exports=1)
    manifest = run_small(tmp_path, append=True, days=2, dimension_exports=0)
    assert len(manifest["timeline"]["exports"]) == 1
    assert recount_landing(tmp_path)  # referential integrity is asserted while recounting


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (None, {"append": True}, "run without --append first"),
        ({}, {}, "use --append"),
        ({}, {"append": True, "start_date": date(2030, 1, 1)}, "drop --start-date"),
        ({}, {"append": True, "customers": 999}, "drop --customers"),
    ],
)
def test_refused_requests(tmp_path: Path, first: dict | None, second: dict, message: str) -> None:
    if first is not None:
        run_small(tmp_path, **first)
    before = _files(tmp_path)
    with pytest.raises(ConfigError, match=message):
        run_small(tmp_path, **second)
    assert _files(tmp_path) == before


def test_overwrite_replaces_the_landing_zone(tmp_path: Path) -> None:
    run_small(tmp_path, days=3)
    (tmp_path / "notes.txt").write_text("not ours", encoding="utf-8")
    run_small(tmp_path, days=2, overwrite=True)
    orders = sorted(p.name for p in (tmp_path / "order_items").rglob("*.csv"))
    assert orders == ["order_items_2025-01-01.csv", "order_items_2025-01-02.csv"]
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "not ours"


def test_append_refuses_to_overwrite_files_the_manifest_does_not_know(tmp_path: Path) -> None:
    run_small(tmp_path, days=3)
    manifest_path = tmp_path / "_manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["timeline"]["last_date"] = "2025-01-01"  # out of step with the files
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    before = _files(tmp_path)
    with pytest.raises(ConfigError, match="already exists"):
        run_small(tmp_path, append=True, days=2)
    assert _files(tmp_path) == before
