"""Each anomaly appears at its configured rate: order lines draw per eligible row (checked within
a binomial tolerance), dimension files get exactly ``max(1, round(rate * eligible))`` rows."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import pytest
from test_generator_support import ALIASES, recount_landing, run_small

from generator.rates import DEFAULT_RATES, RATE_SPECS

LINE_RATE = 0.08
ORDER_RATES = (
    "order_items.quantity_word",
    "order_items.unit_price_symbol",
    "order_items.discount_pct_symbol",
    "order_items.order_ts_dd_mm_yyyy",
    "order_items.currency_case_padding",
    "order_items.unknown_currency",
    "order_items.tax_amount_symbol",
    "order_items.orphan_product_id",
    "order_items.orphan_customer_id",
    "order_items.channel_alias",
    "order_items.coupon_blank",
    "order_items.coupon_case_padding",
)
OVERRIDES = (
    *(f"{name}={LINE_RATE}" for name in ORDER_RATES),
    "order_items.coupon_empty=0.5",
    "order_items.resent_line=0.02",
    "order_items.repeated_line=0.01",
    "order_items.missing_key=0.01",
    "order_items.bad_dt=0.01",
    "order_items.bad_order_ts=0.01",
    "order_items.bad_quantity=0.01",
    "order_items.bad_unit_price=0.01",
    "order_items.bad_discount_pct=0.01",
    "order_items.too_many_fields=0.005",
    "order_items.too_few_fields=0.005",
    "order_items.broken_quoting=0.005",
)
DAYS = 4


def close(observed: int, eligible: int, rate: float) -> bool:
    expected = eligible * rate
    return abs(observed - expected) <= 4.5 * math.sqrt(expected * (1 - rate)) + 2


def exact(rate: float, eligible: int) -> int:
    return 0 if rate <= 0 or eligible <= 0 else min(eligible, max(1, round(rate * eligible)))


@pytest.fixture(scope="module")
def recount(tmp_path_factory: pytest.TempPathFactory) -> dict:
    landing = tmp_path_factory.mktemp("anomalies") / "landing"
    run_small(
        landing, days=DAYS, orders_per_day=2_000, dimension_exports=2, rate_overrides=OVERRIDES
    )
    return recount_landing(landing)


def _orders(recount: dict) -> list:
    return [r for path, r in sorted(recount.items()) if r.entity == "order_items"]


def test_line_anomalies_at_their_rate(recount: dict) -> None:
    files = _orders(recount)
    rows = [row for f in files for row in f.clean_rows]
    total = {name: sum(f.anomalies[name] for f in files) for name in files[0].anomalies}
    for name in (
        "quantity_word",
        "unit_price_symbol",
        "discount_pct_symbol",
        "order_ts_dd_mm_yyyy",
        "currency_case_padding",
        "unknown_currency",
        "tax_amount_symbol",
    ):
        assert close(total[name], len(rows), LINE_RATE), (name, total[name], len(rows))
    orphan_products = sum(f.orphans["orphan_product_id"] for f in files)
    assert close(orphan_products, len(rows), LINE_RATE)

    aliasable = [r for r in rows if r["channel"] in ("Website", "Mobile", "web", "app")]
    assert close(total["channel_alias"], len(aliasable), LINE_RATE)
    without_coupon = [r for r in rows if not r["coupon_code"].strip()]
    assert close(total["coupon_blank"], len(without_coupon), LINE_RATE)
    with_coupon = [r for r in rows if r["coupon_code"].strip()]
    assert close(total["coupon_case_padding"], len(with_coupon), LINE_RATE)


def test_order_level_rates(recount: dict) -> None:
    orders: dict[str, list] = defaultdict(list)
    for f in _orders(recount):
        for row in f.clean_rows:
            orders[row["order_id"]].append(row)
    no_coupon = sum(all(not r["coupon_code"].strip() for r in lines) for lines in orders.values())
    assert close(no_coupon, len(orders), 0.5)
    orphan = sum(lines[0]["customer_id"].startswith("C99") for lines in orders.values())
    assert close(orphan, len(orders), LINE_RATE)


def test_quarantine_malformed_and_duplicates_at_their_rate(recount: dict) -> None:
    files = _orders(recount)
    originals = sum(f.rows - sum(f.duplicates.values()) for f in files)
    for reason in (
        "missing_key",
        "bad_dt",
        "bad_order_ts",
        "bad_quantity",
        "bad_unit_price",
        "bad_discount_pct",
    ):
        observed = sum(f.quarantine[reason] for f in files)
        assert close(observed, originals, 0.01), (reason, observed, originals)
    for kind in ("too_many_fields", "too_few_fields", "broken_quoting"):
        observed = sum(f.malformed[kind] for f in files)
        assert close(observed, originals, 0.005), (kind, observed, originals)
    clean = sum(f.clean for f in files)
    clean_before_last_day = sum(f.clean for f in files[:-1])
    assert close(sum(f.duplicates["repeated_line"] for f in files), clean, 0.01)
    assert close(sum(f.duplicates["resent_line"] for f in files), clean_before_last_day, 0.02)
    assert files[0].duplicates["resent_line"] == 0  # nothing comes before the first day


def test_dimension_anomalies_are_exact_counts(recount: dict) -> None:
    rates = DEFAULT_RATES
    (category,) = [r for r in recount.values() if r.entity == "category"]
    assert category.anomalies["category_code_lower"] == exact(
        rates["category.category_code_lower"], 10
    )
    assert category.duplicates["duplicate_key"] == exact(rates["category.duplicate"], 10)
    assert category.quarantine["missing_category_code"] == exact(
        rates["category.missing_category_code"], 10
    )
    (brands,) = [r for r in recount.values() if r.entity == "brands"]
    for name in (
        "brand_code_symbol",
        "brand_code_lower",
        "brand_name_padding",
        "category_code_lower",
    ):
        assert brands.anomalies[name] == exact(rates[f"brands.{name}"], 30), name
    aliasable = sum(
        ALIASES.get(r["category_code"].upper(), r["category_code"].upper()) in ALIASES.values()
        for r in brands.clean_rows
    )
    assert aliasable >= 6
    assert brands.anomalies["category_alias"] == exact(rates["brands.category_alias"], aliasable)
    assert brands.orphans["orphan_category_code"] == exact(rates["brands.orphan_category_code"], 30)
    for result in recount.values():
        if result.entity == "products":
            keys = result.clean
            for name in (
                "weight_unit",
                "length_decimal_comma",
                "brand_code_symbol",
                "category_code_lower",
            ):
                assert result.anomalies[name] == exact(rates[f"products.{name}"], keys), name
            misspellable = sum(
                r["material"] in ("Cotton", "Aluminum", "Rubber", "Coton", "Alumium", "Ruber")
                for r in result.clean_rows
            )
            assert result.anomalies["material_misspelled"] == exact(
                rates["products.material_misspelled"], misspellable
            )
            rated = sum(r["rating_count"] not in ("", "0") for r in result.clean_rows)
            assert result.anomalies["rating_count_negative"] == exact(
                rates["products.rating_count_negative"], rated
            )
            assert result.duplicates["duplicate_key"] == exact(rates["products.duplicate"], keys)
            for kind in ("too_many_fields", "too_few_fields", "broken_quoting"):
                assert result.malformed[kind] == exact(rates[f"products.{kind}"], keys)
        if result.entity == "customers":
            with_phone = sum(r["phone"] != "" for r in result.clean_rows)
            assert result.anomalies["phone_float"] == exact(
                rates["customers.phone_float"], with_phone
            )
            assert result.quarantine["missing_customer_id"] == exact(
                rates["customers.missing_customer_id"], result.clean
            )
            assert result.anomalies["phone_missing"] > 0 and result.anomalies["region_unmapped"] > 0
        if result.entity == "date":
            days = result.clean
            assert result.anomalies["day_name_wrong_case"] == exact(
                rates["date.day_name_wrong_case"], days
            )
            wrong_day = exact(
                rates["date.day_name_wrong_day"], days - result.anomalies["day_name_wrong_case"]
            )
            assert result.anomalies["day_name_wrong_day"] == wrong_day
            assert result.anomalies["quarter_wrong"] == exact(rates["date.quarter_wrong"], days)
            assert result.anomalies["week_of_year_negative"] == exact(
                rates["date.week_of_year_negative"], days
            )
            assert result.duplicates["duplicate_key"] == exact(rates["date.duplicate"], days)
            assert result.quarantine["bad_date"] == exact(rates["date.bad_date"], days)


def test_zero_rates_give_clean_data(tmp_path: Path) -> None:
    run_small(tmp_path, rate_overrides=("*=0",))
    for result in recount_landing(tmp_path).values():
        assert result.clean == result.rows, result.path
        assert not +result.anomalies and not +result.orphans, (
            result.path,
            result.anomalies,
            result.orphans,
        )


def test_every_rate_has_a_default_in_range() -> None:
    assert len({spec.name for spec in RATE_SPECS}) == len(RATE_SPECS)
    assert all(0 <= spec.default <= 1 and spec.meaning for spec in RATE_SPECS)
