"""Every rate the generator uses: anomalies, orphans, duplicates, quarantine, malformed rows and
dimension history. Each rate has a name ``<entity>.<name>``, a default and a one-line meaning
(the *eligible* rows it applies to are part of the meaning).

Order lines draw each rate independently per eligible row (Bernoulli). Dimension files are small,
so they pick exactly ``max(1, round(rate * eligible))`` rows when the rate is above zero: every
anomaly shows up at least once even in a ten-row category file.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from generator.contract import MALFORMED_KINDS, VALUE_REJECT_REASONS


class RateError(ValueError):
    """A rate name or value is invalid; the message says what to change."""


@dataclass(frozen=True)
class RateSpec:
    name: str
    default: float
    group: str  # anomaly | orphan | duplicate | quarantine | malformed | history
    meaning: str


def _specs() -> tuple[RateSpec, ...]:
    specs: list[RateSpec] = []

    def add(name: str, default: float, group: str, meaning: str) -> None:
        specs.append(RateSpec(name, default, group, meaning))

    # order_items: drawn per line (or per order where said)
    oi = "order_items"
    add(
        f"{oi}.quantity_word",
        0.02,
        "anomaly",
        "quantity written as a number word in any case (`Two`, `one`, `TEN`)",
    )
    add(
        f"{oi}.unit_price_symbol",
        0.02,
        "anomaly",
        "unit_price with a currency symbol (`$636.50`, `£12.00`, `₹99.00`)",
    )
    add(f"{oi}.discount_pct_symbol", 0.03, "anomaly", "discount_pct with a percent sign (`10%`)")
    add(
        f"{oi}.order_ts_dd_mm_yyyy",
        0.02,
        "anomaly",
        "order_ts as `dd-MM-yyyy HH:mm` instead of `yyyy-MM-dd HH:mm:ss`",
    )
    add(
        f"{oi}.channel_alias",
        0.3,
        "anomaly",
        "of Website/Mobile lines: channel written `web` / `app`",
    )
    add(
        f"{oi}.coupon_empty",
        0.7,
        "anomaly",
        "of orders: no coupon, coupon_code written empty (Silver: null)",
    )
    add(
        f"{oi}.coupon_blank",
        0.02,
        "anomaly",
        "of lines without coupon: coupon_code is only spaces (Silver: null)",
    )
    add(
        f"{oi}.coupon_case_padding",
        0.2,
        "anomaly",
        "of lines with a coupon: mixed case and padding (`  SaVe10 `)",
    )
    add(
        f"{oi}.currency_case_padding",
        0.01,
        "anomaly",
        "unit_price_currency in lower/mixed case or padded (` usd`)",
    )
    add(
        f"{oi}.unknown_currency",
        0.002,
        "anomaly",
        "unit_price_currency with no FX rate (`EUR`); kept, net_amount_inr null",
    )
    add(f"{oi}.tax_amount_symbol", 0.01, "anomaly", "tax_amount with a currency symbol (`$12.30`)")
    add(
        f"{oi}.orphan_customer_id",
        0.002,
        "orphan",
        "of orders: customer_id unknown to every customers export",
    )
    add(f"{oi}.orphan_product_id", 0.002, "orphan", "product_id unknown to every products export")
    add(
        f"{oi}.resent_line",
        0.002,
        "duplicate",
        "of clean lines before the run's last day: re-sent verbatim at the end of the file "
        "1-3 days later (never also repeated)",
    )
    add(
        f"{oi}.repeated_line",
        0.0005,
        "duplicate",
        "of clean lines: repeated verbatim later in the same file",
    )
    for reason in VALUE_REJECT_REASONS[oi]:
        add(
            f"{oi}.{reason}",
            0.0005,
            "quarantine",
            f"line quarantined with reason `{reason}` (one bad value, the rest clean)",
        )
    for kind in MALFORMED_KINDS:
        add(
            f"{oi}.{kind}",
            0.0002,
            "malformed",
            f"line invalid for the header: {kind.replace('_', ' ')}",
        )

    # dimensions: exact counts per file
    def dimension_common(entity: str, duplicate: float, missing: float, malformed: float) -> None:
        add(
            f"{entity}.duplicate",
            duplicate,
            "duplicate",
            "extra verbatim copy of a valid row, later in the same file",
        )
        reason = VALUE_REJECT_REASONS[entity][0]
        add(
            f"{entity}.{reason}",
            missing,
            "quarantine",
            f"extra row quarantined with reason `{reason}`",
        )
        for kind in MALFORMED_KINDS:
            add(
                f"{entity}.{kind}",
                malformed,
                "malformed",
                f"extra row invalid for the header: {kind.replace('_', ' ')}",
            )

    add("brands.brand_code_symbol", 0.1, "anomaly", "brand_code with a symbol (`VOLT@`, `GLOW*`)")
    add("brands.brand_code_lower", 0.1, "anomaly", "brand_code in lower case")
    add("brands.brand_name_padding", 0.1, "anomaly", "brand_name with surrounding spaces")
    add(
        "brands.category_alias",
        0.5,
        "anomaly",
        "of brands in GRCY/BKS/TOY: category_code written GROCERY/BOOKS/TOYS",
    )
    add("brands.category_code_lower", 0.1, "anomaly", "category_code in lower case")
    add("brands.orphan_category_code", 0.05, "orphan", "category_code unknown to the category file")
    dimension_common("brands", 0.03, 0.03, 0.01)

    add("category.category_code_lower", 0.1, "anomaly", "category_code in lower case (`ce`)")
    add("category.category_name_padding", 0.1, "anomaly", "category_name with surrounding spaces")
    dimension_common("category", 0.1, 0.05, 0.01)

    add(
        "customers.phone_float",
        0.3,
        "anomaly",
        "of customers with a phone: written as a float (`917280033536.0`)",
    )
    add(
        "customers.phone_missing",
        0.05,
        "anomaly",
        "customer without phone, written empty (Silver: `Not Available`); kept across exports",
    )
    add(
        "customers.region_unmapped",
        0.02,
        "anomaly",
        "(country, state) pair not in the region map (Silver region: `Other`); kept across exports",
    )
    dimension_common("customers", 0.01, 0.01, 0.002)
    add(
        "customers.change",
        0.05,
        "history",
        "per export after the first: keys whose phone or state changes",
    )
    add(
        "customers.drop",
        0.02,
        "history",
        "per export after the first: keys that disappear (for good)",
    )
    add(
        "customers.growth",
        0.03,
        "history",
        "per export after the first: new keys, as a share of the previous export's keys",
    )

    add("products.brand_code_symbol", 0.05, "anomaly", "brand_code with a symbol (`VOLT@`)")
    add("products.brand_code_lower", 0.05, "anomaly", "brand_code in lower case")
    add("products.category_code_lower", 0.05, "anomaly", "category_code in lower case")
    add("products.weight_unit", 0.2, "anomaly", "weight_grams with a unit (`305g`)")
    add(
        "products.length_decimal_comma",
        0.2,
        "anomaly",
        "length_cm with a decimal comma (`22,2`, written quoted)",
    )
    add(
        "products.material_misspelled",
        0.3,
        "anomaly",
        "of Cotton/Aluminum/Rubber products: `Coton`/`Alumium`/`Ruber`",
    )
    add(
        "products.rating_count_negative",
        0.05,
        "anomaly",
        "of products with ratings: rating_count with a wrong sign (`-57`)",
    )
    add(
        "products.rating_count_missing",
        0.05,
        "anomaly",
        "product without rating_count, written empty (Silver: 0); kept across exports",
    )
    add(
        "products.orphan_brand_code",
        0.01,
        "orphan",
        "brand_code unknown to the brands file; kept across exports",
    )
    dimension_common("products", 0.01, 0.01, 0.002)
    add(
        "products.change",
        0.05,
        "history",
        "per export after the first: keys whose color, size, material, weight or "
        "rating_count changes",
    )
    add(
        "products.drop",
        0.02,
        "history",
        "per export after the first: keys that disappear (for good)",
    )
    add(
        "products.growth",
        0.03,
        "history",
        "per export after the first: new keys, as a share of the previous export's keys",
    )

    add(
        "date.day_name_wrong_case",
        0.05,
        "anomaly",
        "day_name of the right day in the wrong case (`MONDAY`, `monday`)",
    )
    add("date.day_name_wrong_day", 0.03, "anomaly", "day_name of another day")
    add("date.quarter_wrong", 0.03, "anomaly", "quarter that does not match the date")
    add("date.week_of_year_negative", 0.03, "anomaly", "week_of_year negated (`-14`)")
    dimension_common("date", 0.02, 0.01, 0.005)
    return tuple(specs)


RATE_SPECS: tuple[RateSpec, ...] = _specs()
SPECS_BY_NAME: dict[str, RateSpec] = {spec.name: spec for spec in RATE_SPECS}
DEFAULT_RATES: dict[str, float] = {spec.name: spec.default for spec in RATE_SPECS}


def names_for(entity: str, group: str | None = None) -> tuple[str, ...]:
    """Short names (without the entity prefix) of an entity's rates, optionally of one group."""
    prefix = f"{entity}."
    return tuple(
        spec.name[len(prefix) :]
        for spec in RATE_SPECS
        if spec.name.startswith(prefix) and (group is None or spec.group == group)
    )


def parse_rate_value(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise RateError(f"{what}: {text!r} is not a number; use a rate between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise RateError(f"{what}: {text} is outside [0, 1]; use a rate between 0 and 1")
    return value


def apply_overrides(base: Mapping[str, float], overrides: Iterable[str]) -> dict[str, float]:
    """``base`` with ``NAME=VALUE`` overrides applied in order; NAME may be a glob
    (``order_items.*``, ``*.duplicate``)."""
    rates = dict(base)
    for item in overrides:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise RateError(
                f"--rate {item!r}: expected NAME=VALUE, e.g. order_items.quantity_word=0.05"
            )
        value = parse_rate_value(raw.strip(), f"--rate {name}")
        matched = [key for key in rates if fnmatch.fnmatchcase(key, name)]
        if not matched:
            raise RateError(
                f"--rate {name!r} matches no rate; `lakehouse generate --list-rates` lists them"
            )
        for key in matched:
            rates[key] = value
    return rates


def set_group(rates: Mapping[str, float], group: str, total: float) -> dict[str, float]:
    """Spread ``total`` over each entity's rates of ``group``: every entity gets ``total`` in all,
    split evenly over its rates of that group (orphan rates each get ``total``)."""
    result = dict(rates)
    by_entity: dict[str, list[str]] = {}
    for spec in RATE_SPECS:
        if spec.group == group:
            by_entity.setdefault(spec.name.split(".", 1)[0], []).append(spec.name)
    for names in by_entity.values():
        share = total if group == "orphan" else total / len(names)
        for name in names:
            result[name] = share
    return result


def validate(rates: Mapping[str, float]) -> None:
    unknown = sorted(set(rates) - set(SPECS_BY_NAME))
    if unknown:
        raise RateError(f"unknown rates {unknown}; `lakehouse generate --list-rates` lists them")
    for name, value in rates.items():
        if not 0.0 <= float(value) <= 1.0:
            raise RateError(f"rate {name}={value} is outside [0, 1]")
    broken = sum(
        rates[f"order_items.{name}"]
        for name in (*VALUE_REJECT_REASONS["order_items"], *MALFORMED_KINDS)
    )
    if broken > 1.0:
        raise RateError(
            f"order_items quarantine + malformed rates add up to {broken:.4f} > 1; lower them"
        )
    copies = rates["order_items.repeated_line"] + rates["order_items.resent_line"]
    if copies > 1.0:
        raise RateError(
            f"order_items.repeated_line + order_items.resent_line = {copies:.4f} > 1; lower them"
        )


def table() -> str:
    """A human-readable table of every rate, its default and meaning."""
    width = max(len(spec.name) for spec in RATE_SPECS)
    lines = [f"{'rate':<{width}}  {'default':>7}  {'group':<10}  meaning"]
    lines += [
        f"{spec.name:<{width}}  {spec.default:>7g}  {spec.group:<10}  {spec.meaning}"
        for spec in RATE_SPECS
    ]
    return "\n".join(lines)
