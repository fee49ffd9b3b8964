"""The Gold business rules written again in plain Python, from the spec, not from the SQL:
the tests recompute the fact's totals from Bronze with these and compare."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], start=1
    )
}
INR_RATES = {
    "INR": Decimal("1.00"),
    "AED": Decimal("24.18"),
    "AUD": Decimal("57.55"),
    "CAD": Decimal("62.93"),
    "GBP": Decimal("117.98"),
    "SGD": Decimal("68.18"),
    "USD": Decimal("88.29"),
}
CENT = Decimal("0.01")


def _decimal(text: str | None, keep: str) -> Decimal | None:
    if text is None:
        return None
    cleaned = re.sub(f"[^{keep}]", "", text)
    try:
        return Decimal(cleaned).quantize(CENT) if cleaned not in ("", "-", ".") else None
    except InvalidOperation:
        return None


def quantity(text: str | None) -> int | None:
    if text is None:
        return None
    value = text.strip()
    if value.isdigit():
        return int(value)
    return NUMBER_WORDS.get(value.lower())


def order_ts(text: str | None) -> dt.datetime | None:
    for pattern in ("%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M"):
        try:
            return dt.datetime.strptime((text or "").strip(), pattern)
        except ValueError:
            continue
    return None


def order_date(text: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime((text or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


@dataclass(frozen=True)
class Line:
    key: tuple[str, int]
    currency: str
    quantity: int
    gross: Decimal
    discount: Decimal
    tax: Decimal
    net: Decimal
    net_inr: Decimal | None


def line_from_bronze(row: dict[str, Any]) -> Line | None:
    """A Bronze order line as the fact must hold it, or None when it belongs in quarantine."""
    if row["_corrupt_record"] is not None or not row["order_id"]:
        return None
    seq = (row["item_seq"] or "").strip()
    if not seq.isdigit():
        return None
    units = quantity(row["quantity"])
    price = _decimal(row["unit_price"], "0-9.-")
    discount_pct = _decimal(row["discount_pct"], "0-9.-")
    if order_date(row["dt"]) is None or order_ts(row["order_ts"]) is None:
        return None
    if units is None or units < 1 or price is None or price < 0:
        return None
    if discount_pct is None or not (0 <= discount_pct <= 100):
        return None
    tax = _decimal(row["tax_amount"], "0-9.-") or Decimal("0.00")
    gross = (units * price).quantize(CENT)
    discount = Decimal(math.ceil(gross * discount_pct / 100)).quantize(CENT)
    net = gross - discount + tax
    currency = (row["unit_price_currency"] or "").strip().upper()
    rate = INR_RATES.get(currency)
    net_inr = Decimal(math.ceil(net * rate)).quantize(CENT) if rate is not None else None
    return Line((row["order_id"], int(seq)), currency, units, gross, discount, tax, net, net_inr)


def latest_lines(rows: list[dict[str, Any]]) -> dict[tuple[str, int], Line]:
    """Valid lines, one per key: the copy from the latest-ingested file wins."""
    ordered = sorted(
        rows, key=lambda row: (row["_ingested_at"], row["_source_file"], row["_source_row"])
    )
    lines: dict[tuple[str, int], Line] = {}
    for row in ordered:
        line = line_from_bronze(row)
        if line is not None:
            lines[line.key] = line
    return lines
