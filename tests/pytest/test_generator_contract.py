"""Every file follows the landing contract: layout, names, header, CSV shape, value domains."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from test_generator_support import (
    CONTRACT,
    CURRENCIES,
    MAPPED_PAIRS,
    data_files,
    entity_of,
    parse_ts,
    read_physical_lines,
    recount_landing,
    run_small,
    split_record,
)

from generator.contract import HEADERS, record_pattern


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("contract") / "landing"
    run_small(
        folder, days=6, orders_per_day=300, start_date=date(2024, 12, 29), dimension_exports=3
    )
    return folder


@pytest.fixture(scope="module")
def recount(landing: Path) -> dict:
    return recount_landing(landing)


def test_contract_headers_match_the_design() -> None:
    assert {entity: list(columns) for entity, columns in HEADERS.items()} == CONTRACT


def test_layout_and_file_names(landing: Path) -> None:
    names = sorted(p.relative_to(landing).as_posix() for p in data_files(landing))
    assert names == [
        "brands/brands.csv",
        "category/category.csv",
        "customers/customers_export_2024-12-29.csv",
        "customers/customers_export_2024-12-31.csv",
        "customers/customers_export_2025-01-02.csv",
        "date/date_export_2024-12-29.csv",
        *(
            f"order_items/landing/order_items_{date(2024, 12, 29) + timedelta(days=d)}.csv"
            for d in range(6)
        ),
        "products/products_export_2024-12-29.csv",
        "products/products_export_2024-12-31.csv",
        "products/products_export_2025-01-02.csv",
    ]
    assert (landing / "_manifest.json").is_file()


def test_every_file_has_the_contract_header_and_one_record_per_line(landing: Path) -> None:
    for path in data_files(landing):
        header, lines = read_physical_lines(path)  # asserts UTF-8, \n endings, no \r
        columns = CONTRACT[entity_of(landing, path)]
        assert header == ",".join(columns), path
        assert lines and all(lines), f"{path}: empty line"
        # The documented single-line record pattern tells valid rows from malformed ones.
        pattern = record_pattern(len(columns))
        for line in lines:
            assert (pattern.match(line) is not None) == (
                split_record(line, len(columns))[0] is not None
            )
        # The first bytes are the header: no byte-order mark.
        assert path.read_bytes().startswith(header.encode())


def test_order_values_are_in_their_domains(recount: dict) -> None:
    orders: dict[str, set[str]] = defaultdict(set)
    seqs: dict[str, set[int]] = defaultdict(set)
    for result in recount.values():
        if result.entity != "order_items":
            continue
        file_day = result.path.rsplit("_", 1)[1][:10]
        for row in result.clean_rows:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["dt"])
            ts = parse_ts(row["order_ts"])
            assert ts is not None and ts.date().isoformat() == row["dt"]
            assert row["dt"] <= file_day
            assert re.fullmatch(r"O\d{10}", row["order_id"])
            orders[row["order_id"]].add(row["dt"])
            seqs[row["order_id"]].add(int(row["item_seq"]))
            assert row["unit_price_currency"].strip().upper() in CURRENCIES | {"EUR"}
            # Money is an exact decimal with two places, whatever symbol precedes it.
            assert re.fullmatch(r"\D*\d+\.\d{2}", row["unit_price"]), row["unit_price"]
            assert re.fullmatch(r"\D*\d+\.\d{2}", row["tax_amount"]), row["tax_amount"]
            assert re.fullmatch(r"\d+(\.\d+)?%?", row["discount_pct"])
            assert row["channel"] in {"Website", "Mobile", "store", "web", "app"}
    assert all(len(days) == 1 for days in orders.values()), "an order id spans days"
    assert all(s <= set(range(1, 6)) for s in seqs.values())
    numbers = sorted(int(o[1:]) for o in orders)
    assert numbers[0] == 1 and numbers[-1] <= 6 * 300


def test_customer_regions_come_from_the_region_map(recount: dict, landing: Path) -> None:
    for result in recount.values():
        if result.entity != "customers":
            continue
        unmapped = sum((r["country"], r["state"]) not in MAPPED_PAIRS for r in result.clean_rows)
        assert 0 < unmapped < 0.05 * len(result.clean_rows)
        for row in result.clean_rows:
            assert re.fullmatch(r"C\d{8}", row["customer_id"])
            assert re.fullmatch(r"(\d{8,13}(\.0)?)?", row["phone"]), row["phone"]


def test_calendar_covers_the_order_days_in_dd_mm_yyyy(recount: dict) -> None:
    (calendar,) = [r for r in recount.values() if r.entity == "date"]
    days = {datetime.strptime(r["date"], "%d-%m-%Y").date() for r in calendar.clean_rows}
    first, last = date(2024, 12, 29), date(2025, 1, 3)
    assert {first + timedelta(days=d) for d in range((last - first).days + 1)} <= days
    assert min(days) < first and max(days) > last
    for row in calendar.clean_rows:
        day = datetime.strptime(row["date"], "%d-%m-%Y").date()
        assert row["year"] == str(day.year)
        assert abs(int(row["week_of_year"])) == day.isocalendar()[1]


def test_dimension_values_are_exact_decimals(recount: dict) -> None:
    for result in recount.values():
        if result.entity != "products":
            continue
        for row in result.clean_rows:
            assert re.fullmatch(r"\d+g?", row["weight_grams"])
            assert re.fullmatch(r"\d+[.,]\d", row["length_cm"])
            assert re.fullmatch(r"\d+\.\d", row["width_cm"]) and re.fullmatch(
                r"\d+\.\d", row["height_cm"]
            )
            assert re.fullmatch(r"(-?\d+)?", row["rating_count"])
