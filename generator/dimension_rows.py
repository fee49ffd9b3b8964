"""Dimension files as written by the source: clean pictures plus the anomalies, duplicates,
unrepairable rows and malformed rows of the business rules.

Each ``render_*`` function is pure: a picture and a random stream in, the file's lines (without
line ends) and its accounting out. Extra rows (duplicates, quarantined, malformed) are *added* to
the picture, never replacing a key, so a dimension key never disappears because of an anomaly.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from generator import pools
from generator.accounting import FileStats
from generator.contract import MALFORMED_KINDS, VALUE_REJECT_REASONS
from generator.malformed import format_record, malformed_line
from generator.masters import Customer, Product
from generator.seeding import pick, sample_count


@dataclass(frozen=True)
class Rendered:
    lines: list[str]
    stats: FileStats


def _padded(value: str, rng: random.Random) -> str:
    left, right = rng.choice(((1, 0), (0, 1), (2, 2), (1, 3)))
    return " " * left + value + " " * right


def assemble(
    entity: str,
    path: str,
    rows: Sequence[list[str]],
    anomalies: Counter[str],
    orphans: Counter[str],
    rates: Mapping[str, float],
    rng: random.Random,
    spoil_key: Callable[[list[str], random.Random], list[str]],
) -> Rendered:
    """The file's lines: ``rows`` (already carrying their anomalies) in order, with duplicates,
    quarantined rows and malformed rows inserted at random positions."""
    stats = FileStats(entity, path, anomalies=anomalies, orphans=orphans)
    count = len(rows)
    placed: list[tuple[float, int, str]] = [
        (float(i), 0, format_record(row)) for i, row in enumerate(rows)
    ]
    tiebreak = 1
    for source in pick(rng, rates[f"{entity}.duplicate"], range(count)):
        # A verbatim copy later in the file: Silver keeps one of two identical rows.
        placed.append((rng.uniform(source + 0.5, count), tiebreak, format_record(rows[source])))
        stats.duplicates["duplicate_key"] += 1
        tiebreak += 1
    reason = VALUE_REJECT_REASONS[entity][0]
    for _ in range(sample_count(rates[f"{entity}.{reason}"], count)):
        spoiled = spoil_key(list(rows[rng.randrange(count)]), rng)
        placed.append((rng.uniform(0, count), tiebreak, format_record(spoiled)))
        stats.quarantine[reason] += 1
        tiebreak += 1
    for kind in MALFORMED_KINDS:
        for _ in range(sample_count(rates[f"{entity}.{kind}"], count)):
            line = malformed_line(kind, rows[rng.randrange(count)], rng)
            placed.append((rng.uniform(0, count), tiebreak, line))
            stats.add_malformed(kind)
            tiebreak += 1
    placed.sort()
    lines = [line for _, _, line in placed]
    stats.rows = len(lines)
    return Rendered(lines, stats)


def _blank_first(bad: tuple[str, ...]) -> Callable[[list[str], random.Random], list[str]]:
    def spoil(row: list[str], rng: random.Random) -> list[str]:
        row[0] = rng.choice(bad)
        return row

    return spoil


def render_category(path: str, rates: Mapping[str, float], rng: random.Random) -> Rendered:
    rows = [[code, name] for code, name in pools.CATEGORIES]
    anomalies: Counter[str] = Counter()
    everyone = range(len(rows))
    for i in pick(rng, rates["category.category_code_lower"], everyone):
        rows[i][0] = rows[i][0].lower()
        anomalies["category_code_lower"] += 1
    for i in pick(rng, rates["category.category_name_padding"], everyone):
        rows[i][1] = _padded(rows[i][1], rng)
        anomalies["category_name_padding"] += 1
    spoil = _blank_first(pools.BAD_VALUES["missing_id"])
    return assemble("category", path, rows, anomalies, Counter(), rates, rng, spoil)


def render_brands(path: str, rates: Mapping[str, float], rng: random.Random) -> Rendered:
    rows = [[code, name, category] for code, name, category in pools.BRANDS]
    anomalies: Counter[str] = Counter()
    orphans: Counter[str] = Counter()
    everyone = range(len(rows))
    orphaned = set(pick(rng, rates["brands.orphan_category_code"], everyone))
    for i in orphaned:
        rows[i][2] = rng.choice(pools.ORPHAN_CATEGORY_CODES)
        orphans["orphan_category_code"] += 1
    aliasable = [i for i in everyone if i not in orphaned and rows[i][2] in pools.CATEGORY_ALIASES]
    for i in pick(rng, rates["brands.category_alias"], aliasable):
        rows[i][2] = pools.CATEGORY_ALIASES[rows[i][2]]
        anomalies["category_alias"] += 1
    for i in pick(rng, rates["brands.category_code_lower"], everyone):
        rows[i][2] = rows[i][2].lower()
        anomalies["category_code_lower"] += 1
    for i in pick(rng, rates["brands.brand_code_symbol"], everyone):
        rows[i][0] = rows[i][0] + rng.choice(pools.BRAND_SYMBOLS)
        anomalies["brand_code_symbol"] += 1
    for i in pick(rng, rates["brands.brand_code_lower"], everyone):
        rows[i][0] = rows[i][0].lower()
        anomalies["brand_code_lower"] += 1
    for i in pick(rng, rates["brands.brand_name_padding"], everyone):
        rows[i][1] = _padded(rows[i][1], rng)
        anomalies["brand_name_padding"] += 1
    spoil = _blank_first(pools.BAD_VALUES["missing_brand_code"])
    return assemble("brands", path, rows, anomalies, orphans, rates, rng, spoil)


def render_customers(
    path: str, picture: Sequence[Customer], rates: Mapping[str, float], rng: random.Random
) -> Rendered:
    rows = [[c.customer_id, c.phone or "", c.country_code, c.country, c.state] for c in picture]
    anomalies: Counter[str] = Counter()
    anomalies["phone_missing"] = sum(1 for c in picture if c.phone is None)
    anomalies["region_unmapped"] = sum(1 for c in picture if not c.mapped)
    with_phone = [i for i, c in enumerate(picture) if c.phone is not None]
    for i in pick(rng, rates["customers.phone_float"], with_phone):
        rows[i][1] = rows[i][1] + ".0"
        anomalies["phone_float"] += 1
    spoil = _blank_first(pools.BAD_VALUES["missing_id"])
    return assemble("customers", path, rows, anomalies, Counter(), rates, rng, spoil)


def _cm(millimetres: int, separator: str = ".") -> str:
    return f"{millimetres // 10}{separator}{millimetres % 10}"


def render_products(
    path: str, picture: Sequence[Product], rates: Mapping[str, float], rng: random.Random
) -> Rendered:
    rows = [
        [
            p.product_id,
            p.sku,
            p.category_code,
            p.brand_code,
            p.color,
            p.size,
            p.material,
            str(p.weight_grams),
            _cm(p.length_mm),
            _cm(p.width_mm),
            _cm(p.height_mm),
            "" if p.rating_count is None else str(p.rating_count),
        ]
        for p in picture
    ]
    anomalies: Counter[str] = Counter()
    orphans: Counter[str] = Counter()
    anomalies["rating_count_missing"] = sum(1 for p in picture if p.rating_count is None)
    orphans["orphan_brand_code"] = sum(1 for p in picture if p.orphan_brand)
    everyone = range(len(rows))
    for i in pick(rng, rates["products.brand_code_symbol"], everyone):
        rows[i][3] = rows[i][3] + rng.choice(pools.BRAND_SYMBOLS)
        anomalies["brand_code_symbol"] += 1
    for i in pick(rng, rates["products.brand_code_lower"], everyone):
        rows[i][3] = rows[i][3].lower()
        anomalies["brand_code_lower"] += 1
    for i in pick(rng, rates["products.category_code_lower"], everyone):
        rows[i][2] = rows[i][2].lower()
        anomalies["category_code_lower"] += 1
    for i in pick(rng, rates["products.weight_unit"], everyone):
        rows[i][7] = rows[i][7] + "g"
        anomalies["weight_unit"] += 1
    for i in pick(rng, rates["products.length_decimal_comma"], everyone):
        rows[i][8] = _cm(picture[i].length_mm, ",")
        anomalies["length_decimal_comma"] += 1
    misspellable = [i for i, p in enumerate(picture) if p.material in pools.MISSPELLINGS]
    for i in pick(rng, rates["products.material_misspelled"], misspellable):
        rows[i][6] = pools.MISSPELLINGS[rows[i][6]]
        anomalies["material_misspelled"] += 1
    rated = [i for i, p in enumerate(picture) if p.rating_count]
    for i in pick(rng, rates["products.rating_count_negative"], rated):
        rows[i][11] = "-" + rows[i][11]
        anomalies["rating_count_negative"] += 1
    spoil = _blank_first(pools.BAD_VALUES["missing_id"])
    return assemble("products", path, rows, anomalies, orphans, rates, rng, spoil)
