from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lakehouse.result_format import render


def test_table_aligns_columns_and_shows_nulls() -> None:
    text = render("table", ["a", "long_name"], [(1, None), (22, "x")])
    assert text.splitlines() == [
        "+----+-----------+",
        "| a  | long_name |",
        "+----+-----------+",
        "| 1  | NULL      |",
        "| 22 | x         |",
        "+----+-----------+",
    ]


def test_json_keeps_money_exact_and_dates_iso() -> None:
    text = render("json", ["amount", "day"], [(Decimal("0.10"), dt.date(2025, 1, 31))])
    assert text == '{"amount": "0.10", "day": "2025-01-31"}'


def test_csv_quotes_when_needed() -> None:
    assert render("csv", ["v"], [('say "hi", bye',)]) == 'v\n"say ""hi"", bye"'


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render("xml", ["a"], [])
