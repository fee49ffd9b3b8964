"""The landing-zone contract as the generator writes it: entities and headers (from the
project's shared ``ingestion.contract``), file layout, malformed kinds, reject reasons.

Everything another layer (ingestion, dbt) relies on is spelled out here once, so that the
writers, the manifest and the tests share one vocabulary.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath

from ingestion.contract import ENTITIES, HEADERS

__all__ = [
    "DUPLICATE_KINDS",
    "ENTITIES",
    "EXPORTED_ENTITIES",
    "HEADERS",
    "MALFORMED_KINDS",
    "MALFORMED_ROW",
    "MANIFEST_NAME",
    "ORDER_SUBFOLDER",
    "VALUE_REJECT_REASONS",
    "export_file",
    "order_file",
    "record_pattern",
    "reject_reasons",
    "single_file",
]

# Kinds of rows that are not valid CSV records for the file's header. Each is one physical line.
MALFORMED_KINDS: tuple[str, ...] = ("too_many_fields", "too_few_fields", "broken_quoting")

MALFORMED_ROW = "malformed_row"

# Reasons a parseable row must end in quarantine, per entity (besides `malformed_row`).
VALUE_REJECT_REASONS: dict[str, tuple[str, ...]] = {
    "order_items": (
        "missing_key",
        "bad_dt",
        "bad_order_ts",
        "bad_quantity",
        "bad_unit_price",
        "bad_discount_pct",
    ),
    "customers": ("missing_customer_id",),
    "products": ("missing_product_id",),
    "brands": ("missing_brand_code",),
    "category": ("missing_category_code",),
    "date": ("bad_date",),
}


def reject_reasons(entity: str) -> tuple[str, ...]:
    """Every quarantine reason of an entity, `malformed_row` first."""
    return (MALFORMED_ROW, *VALUE_REJECT_REASONS[entity])


# Kinds of duplicate rows (rows Silver drops as duplicates of a row it keeps).
DUPLICATE_KINDS: dict[str, tuple[str, ...]] = {
    "order_items": ("resent_line", "repeated_line"),
    "customers": ("duplicate_key",),
    "products": ("duplicate_key",),
    "brands": ("duplicate_key",),
    "category": ("duplicate_key",),
    "date": ("duplicate_key",),
}

# Dimension entities written as dated exports (SCD2 material), one file per export.
EXPORTED_ENTITIES: tuple[str, ...] = ("customers", "products")
ORDER_SUBFOLDER = "landing"
MANIFEST_NAME = "_manifest.json"

# A strict RFC 4180 record on one physical line: unquoted fields hold no quote or comma, quoted
# fields double their quotes. Valid generated rows match it with exactly the header's field count.
_FIELD = r'(?:[^",\r\n]*|"(?:[^"\r\n]|"")*")'


def record_pattern(columns: int) -> re.Pattern[str]:
    """A regular expression matching one valid single-line CSV record of ``columns`` fields."""
    return re.compile(rf"^{_FIELD}(?:,{_FIELD}){{{columns - 1}}}$")


def order_file(day: date) -> PurePosixPath:
    return PurePosixPath("order_items", ORDER_SUBFOLDER, f"order_items_{day.isoformat()}.csv")


def export_file(entity: str, day: date) -> PurePosixPath:
    return PurePosixPath(entity, f"{entity}_export_{day.isoformat()}.csv")


def single_file(entity: str) -> PurePosixPath:
    return PurePosixPath(entity, f"{entity}.csv")
