"""Helpers for the generator tests: an independent reader of the landing zone.

Nothing here imports the generator's own accounting: the files are re-parsed line by line and
classified with the business rules (docs/generator.md, docs/business-rules.md), so the tests
check the manifest against what is actually in the files.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from generator import GeneratorConfig, generate

# The landing contract, copied from docs/business-rules.md (Bronze) rather than imported from
# ingestion/contract.py: the test checks the code against it.
CONTRACT = {
    "brands": ["brand_code", "brand_name", "category_code"],
    "category": ["category_code", "category_name"],
    "customers": ["customer_id", "phone", "country_code", "country", "state"],
    "date": ["date", "year", "day_name", "quarter", "week_of_year"],
    "products": [
        "product_id", "sku", "category_code", "brand_code", "color", "size", "material",
        "weight_grams", "length_cm", "width_cm", "height_cm", "rating_count",
    ],
    "order_items": [
        "dt", "order_ts", "customer_id", "order_id", "item_seq", "product_id", "quantity",
        "unit_price_currency", "unit_price", "discount_pct", "tax_amount", "channel", "coupon_code",
    ],
}  # fmt: skip

# Region map from docs/business-rules.md: (country, state) pairs that map to a region.
REGION_MAP = {
    "India": "MH GJ RJ KA TN TS AP KL UP WB DL",
    "Australia": "VIC WA NSW QLD",
    "United Kingdom": "ENG WLS NIR SCT",
    "United States": "MA NJ NY FL TX CA",
    "United Arab Emirates": "AUH DU SHJ",
    "Singapore": "SG",
    "Canada": "BC AB ON QC NS IL",
}
MAPPED_PAIRS = {
    (country, state) for country, states in REGION_MAP.items() for state in states.split()
}
CURRENCIES = {"INR", "AED", "AUD", "CAD", "GBP", "SGD", "USD"}
WORDS = {
    w: i + 1
    for i, w in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}
ALIASES = {"GROCERY": "GRCY", "BOOKS": "BKS", "TOYS": "TOY"}
MISSPELLED = {"Coton": "Cotton", "Alumium": "Aluminum", "Ruber": "Rubber"}
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_FIELD = r'(?:[^",\r\n]*|"(?:[^"\r\n]|"")*")'


def small_config(landing: Path, **overrides: object) -> GeneratorConfig:
    values: dict[str, object] = {
        "landing": landing,
        "days": 4,
        "orders_per_day": 300,
        "seed": 7,
        "customers": 400,
        "products": 150,
        "workers": 1,
        "quiet": True,
    }
    values.update(overrides)
    return GeneratorConfig(**values)  # type: ignore[arg-type]


def run_small(landing: Path, **overrides: object) -> dict:
    return generate(small_config(landing, **overrides))


def data_files(landing: Path) -> list[Path]:
    return sorted(p for p in landing.rglob("*.csv"))


def entity_of(landing: Path, path: Path) -> str:
    return path.relative_to(landing).parts[0]


def read_physical_lines(path: Path) -> tuple[str, list[str]]:
    """Header and data lines, split on ``\\n`` only (one physical line = one record)."""
    raw = path.read_bytes()
    assert b"\r" not in raw, f"{path}: carriage return found"
    text = raw.decode("utf-8")
    assert text.endswith("\n"), f"{path}: last line not terminated"
    lines = text[:-1].split("\n")
    return lines[0], lines[1:]


def split_record(line: str, columns: int) -> tuple[list[str] | None, str | None]:
    """(fields, None) for a valid record, (None, malformed kind) otherwise. The strict csv module
    and an RFC 4180 regular expression must agree."""
    try:
        rows = list(csv.reader(io.StringIO(line), strict=True))
        fields = rows[0] if len(rows) == 1 else None
    except csv.Error:
        fields = None
    matches = re.fullmatch(rf"{_FIELD}(?:,{_FIELD}){{{columns - 1}}}", line) is not None
    if fields is None:
        assert not matches, line
        # A lenient reader (like Spark's CSV reader) sees a wrong number of fields too.
        assert len(next(csv.reader(io.StringIO(line)))) != columns, line
        return None, "broken_quoting"
    assert matches == (len(fields) == columns), line
    if len(fields) > columns:
        return None, "too_many_fields"
    if len(fields) < columns:
        return None, "too_few_fields"
    return fields, None


def quote_minimal(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerow(fields)
    return buffer.getvalue()[:-1]


# --- Silver rules, re-implemented --------------------------------------------------------------


def parse_date(text: str, pattern: str, shape: str) -> date | None:
    if not re.fullmatch(shape, text):
        return None
    try:
        return datetime.strptime(text, pattern).date()
    except ValueError:
        return None


def parse_ts(text: str) -> datetime | None:
    for pattern, shape in (
        ("%Y-%m-%d %H:%M:%S", r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"),
        ("%d-%m-%Y %H:%M", r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}"),
    ):
        if re.fullmatch(shape, text):
            try:
                return datetime.strptime(text, pattern)
            except ValueError:
                return None
    return None


def parse_quantity(text: str) -> int | None:
    value = text.strip()
    if value.isdigit():
        return int(value)
    return WORDS.get(value.lower())


def parse_decimal(text: str, keep: str = r"[^0-9.\-]") -> Decimal | None:
    cleaned = re.sub(keep, "", text)
    try:
        return Decimal(cleaned) if cleaned else None
    except InvalidOperation:
        return None


def order_reasons(f: dict[str, str]) -> list[str]:
    reasons = []
    if not f["order_id"].strip() or not re.fullmatch(r"\d+", f["item_seq"].strip()):
        reasons.append("missing_key")
    if parse_date(f["dt"], "%Y-%m-%d", r"\d{4}-\d{2}-\d{2}") is None:
        reasons.append("bad_dt")
    if parse_ts(f["order_ts"]) is None:
        reasons.append("bad_order_ts")
    quantity = parse_quantity(f["quantity"])
    if quantity is None or quantity < 1:
        reasons.append("bad_quantity")
    price = parse_decimal(f["unit_price"])
    if price is None or price < 0:
        reasons.append("bad_unit_price")
    discount = parse_decimal(f["discount_pct"].replace("%", "").strip(), r"\s")
    if discount is None or not 0 <= discount <= 100:
        reasons.append("bad_discount_pct")
    return reasons


def clean_brand(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", code).upper()


def dimension_key(entity: str, f: dict[str, str]) -> tuple[object, str | None]:
    """(cleaned key, reject reason or None)."""
    if entity == "customers":
        key = f["customer_id"].strip()
        return key, None if key else "missing_customer_id"
    if entity == "products":
        key = f["product_id"].strip()
        return key, None if key else "missing_product_id"
    if entity == "brands":
        key = clean_brand(f["brand_code"])
        return key, None if key else "missing_brand_code"
    if entity == "category":
        key = f["category_code"].strip().upper()
        return key, None if key else "missing_category_code"
    day = parse_date(f["date"], "%d-%m-%Y", r"\d{2}-\d{2}-\d{4}")
    return day, None if day else "bad_date"


@dataclass
class Recount:
    entity: str
    path: str
    rows: int = 0
    malformed: Counter = field(default_factory=Counter)
    quarantine: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    anomalies: Counter = field(default_factory=Counter)
    orphans: Counter = field(default_factory=Counter)
    clean_rows: list[dict[str, str]] = field(default_factory=list)
    multi_reason_rows: int = 0

    @property
    def clean(self) -> int:
        return len(self.clean_rows)


def recount_landing(landing: Path) -> dict[str, Recount]:
    """Every data file of the landing zone, classified. Dimension files first (order lines need
    them for orphans), order files in name (= date) order."""
    results: dict[str, Recount] = {}
    files = data_files(landing)
    by_entity: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        by_entity[entity_of(landing, path)].append(path)
    for entity in ("category", "brands", "customers", "products", "date", "order_items"):
        seen_orders: dict[tuple[str, int], str] = {}
        for path in sorted(by_entity[entity], key=lambda p: p.name):
            header, lines = read_physical_lines(path)
            assert header.split(",") == CONTRACT[entity], path
            rel = path.relative_to(landing).as_posix()
            result = Recount(entity, rel, rows=len(lines))
            seen_keys: set[object] = set()
            for line in lines:
                values, kind = split_record(line, len(CONTRACT[entity]))
                if values is None:
                    result.malformed[kind] += 1
                    result.quarantine["malformed_row"] += 1
                    continue
                assert quote_minimal(values) == line, f"{rel}: not QUOTE_MINIMAL: {line!r}"
                row = dict(zip(CONTRACT[entity], values, strict=True))
                if entity == "order_items":
                    reasons = order_reasons(row)
                    if len(reasons) > 1:
                        result.multi_reason_rows += 1
                    if reasons:
                        result.quarantine[reasons[0]] += 1
                        continue
                    key = (row["order_id"].strip(), int(row["item_seq"]))
                    if key in seen_orders:
                        kind = "repeated_line" if seen_orders[key] == rel else "resent_line"
                        result.duplicates[kind] += 1
                        continue
                    seen_orders[key] = rel
                else:
                    key, reason = dimension_key(entity, row)
                    if reason:
                        result.quarantine[reason] += 1
                        continue
                    if key in seen_keys:
                        result.duplicates["duplicate_key"] += 1
                        continue
                    seen_keys.add(key)
                result.clean_rows.append(row)
            results[rel] = result
        _count_anomalies(entity, [r for r in results.values() if r.entity == entity], results)
    return results


def _exports(results: dict[str, Recount], entity: str) -> list[tuple[date, set[str]]]:
    key = "customer_id" if entity == "customers" else "product_id"
    exports = []
    for rel, result in sorted(results.items()):
        if result.entity == entity:
            day = date.fromisoformat(rel.rsplit("_", 1)[1][:10])
            exports.append((day, {row[key] for row in result.clean_rows}))
    return exports


def governing(exports: list[tuple[date, set[str]]], day: date) -> set[str]:
    candidates = [keys for export_day, keys in exports if export_day <= day]
    return candidates[-1] if candidates else exports[0][1]


def _count_anomalies(entity: str, files: list[Recount], results: dict[str, Recount]) -> None:
    category_codes = {
        r["category_code"].strip().upper()
        for res in results.values()
        if res.entity == "category"
        for r in res.clean_rows
    }
    brand_codes = {
        clean_brand(r["brand_code"])
        for res in results.values()
        if res.entity == "brands"
        for r in res.clean_rows
    }
    for result in files:
        a, o = result.anomalies, result.orphans
        for r in result.clean_rows:
            if entity == "order_items":
                a["quantity_word"] += not r["quantity"].isdigit()
                a["unit_price_symbol"] += not re.fullmatch(r"\d+\.\d{2}", r["unit_price"])
                a["discount_pct_symbol"] += "%" in r["discount_pct"]
                a["order_ts_dd_mm_yyyy"] += bool(
                    re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", r["order_ts"])
                )
                a["channel_alias"] += r["channel"] in ("web", "app")
                coupon = r["coupon_code"]
                a["coupon_empty"] += coupon == ""
                a["coupon_blank"] += coupon != "" and coupon.strip() == ""
                a["coupon_case_padding"] += (
                    coupon.strip() != "" and coupon != coupon.strip().lower()
                )
                currency = r["unit_price_currency"]
                a["currency_case_padding"] += currency != currency.strip().upper()
                a["unknown_currency"] += currency.strip().upper() not in CURRENCIES
                a["tax_amount_symbol"] += not re.fullmatch(r"-?\d+\.\d{2}", r["tax_amount"])
            elif entity == "brands":
                code, category = r["brand_code"], r["category_code"]
                a["brand_code_symbol"] += bool(re.search(r"[^A-Za-z0-9]", code))
                a["brand_code_lower"] += code != code.upper()
                a["brand_name_padding"] += r["brand_name"] != r["brand_name"].strip()
                a["category_alias"] += category.upper() in ALIASES
                a["category_code_lower"] += category != category.upper()
                mapped = ALIASES.get(category.upper(), category.upper())
                o["orphan_category_code"] += mapped not in category_codes
            elif entity == "category":
                a["category_code_lower"] += r["category_code"] != r["category_code"].upper()
                a["category_name_padding"] += r["category_name"] != r["category_name"].strip()
            elif entity == "customers":
                a["phone_float"] += r["phone"].endswith(".0")
                a["phone_missing"] += r["phone"] == ""
                a["region_unmapped"] += (r["country"], r["state"]) not in MAPPED_PAIRS
            elif entity == "products":
                brand = r["brand_code"]
                a["brand_code_symbol"] += bool(re.search(r"[^A-Za-z0-9]", brand))
                a["brand_code_lower"] += brand != brand.upper()
                a["category_code_lower"] += r["category_code"] != r["category_code"].upper()
                a["weight_unit"] += r["weight_grams"].endswith("g")
                a["length_decimal_comma"] += "," in r["length_cm"]
                a["material_misspelled"] += r["material"] in MISSPELLED
                a["rating_count_negative"] += r["rating_count"].startswith("-")
                a["rating_count_missing"] += r["rating_count"] == ""
                o["orphan_brand_code"] += clean_brand(brand) not in brand_codes
            elif entity == "date":
                day = parse_date(r["date"], "%d-%m-%Y", r"\d{2}-\d{2}-\d{4}")
                assert day is not None
                true_name = DAY_NAMES[day.weekday()]
                a["day_name_wrong_case"] += (
                    r["day_name"] != true_name and r["day_name"].lower() == true_name.lower()
                )
                a["day_name_wrong_day"] += r["day_name"].lower() != true_name.lower()
                a["quarter_wrong"] += r["quarter"] != str((day.month - 1) // 3 + 1)
                a["week_of_year_negative"] += r["week_of_year"].startswith("-")
    if entity == "order_items":
        customers = _exports(results, "customers")
        products = _exports(results, "products")
        all_customers = set().union(*(keys for _, keys in customers))
        all_products = set().union(*(keys for _, keys in products))
        for result in files:
            for r in result.clean_rows:
                day = date.fromisoformat(r["dt"])
                for column, exports, every, name in (
                    ("customer_id", customers, all_customers, "orphan_customer_id"),
                    ("product_id", products, all_products, "orphan_product_id"),
                ):
                    key = r[column]
                    if key not in every:
                        result.orphans[name] += 1
                    else:
                        # Referential integrity: a known key is valid on the line's day.
                        assert key in governing(exports, day), (result.path, column, key, day)


def silver_customer(r: dict[str, str]) -> tuple[str, ...]:
    phone = r["phone"].removesuffix(".0") or "Not Available"
    return (phone, r["country_code"], r["country"], r["state"])


def silver_product(r: dict[str, str]) -> tuple[object, ...]:
    return (
        r["sku"],
        r["category_code"].upper(),
        clean_brand(r["brand_code"]),
        r["color"],
        r["size"],
        MISSPELLED.get(r["material"], r["material"]),
        int(r["weight_grams"].removesuffix("g")),
        Decimal(r["length_cm"].replace(",", ".")),
        Decimal(r["width_cm"]),
        Decimal(r["height_cm"]),
        abs(int(r["rating_count"])) if r["rating_count"] else 0,
    )


def as_counts(counter: Counter, names: dict[str, int]) -> dict[str, int]:
    """``counter`` over the manifest's names (zeros included); fails on names outside them."""
    assert set(counter) <= set(names), set(counter) - set(names)
    return {name: int(counter.get(name, 0)) for name in names}
