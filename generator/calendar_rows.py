"""The source calendar file (`date` entity): one row per day in `dd-MM-yyyy`, with the source's
wrong day names, quarters and week numbers, duplicate dates and unparseable dates."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta

from generator import pools
from generator.dimension_rows import Rendered, assemble
from generator.seeding import pick


def clean_row(day: date) -> list[str]:
    """The correct calendar attributes: calendar year, English day name, quarter 1-4 and the
    ISO week number."""
    return [
        day.strftime("%d-%m-%Y"),
        str(day.year),
        pools.DAY_NAMES[day.weekday()],
        str((day.month - 1) // 3 + 1),
        str(day.isocalendar()[1]),
    ]


def _spoil_date(row: list[str], rng: random.Random) -> list[str]:
    row[0] = rng.choice(pools.BAD_VALUES["bad_date"])
    return row


def render_calendar(
    path: str, first: date, last: date, rates: Mapping[str, float], rng: random.Random
) -> Rendered:
    """Every day from ``first`` to ``last`` inclusive."""
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    rows = [clean_row(day) for day in days]
    anomalies: Counter[str] = Counter()
    everyone = range(len(rows))
    wrong_case = set(pick(rng, rates["date.day_name_wrong_case"], everyone))
    for i in sorted(wrong_case):
        rows[i][2] = rng.choice((str.upper, str.lower))(rows[i][2])
        anomalies["day_name_wrong_case"] += 1
    right_case = [i for i in everyone if i not in wrong_case]
    for i in pick(rng, rates["date.day_name_wrong_day"], right_case):
        shift = rng.randint(1, 6)
        rows[i][2] = pools.DAY_NAMES[(days[i].weekday() + shift) % 7]
        anomalies["day_name_wrong_day"] += 1
    for i in pick(rng, rates["date.quarter_wrong"], everyone):
        rows[i][3] = str(int(rows[i][3]) % 4 + 1)
        anomalies["quarter_wrong"] += 1
    for i in pick(rng, rates["date.week_of_year_negative"], everyone):
        rows[i][4] = "-" + rows[i][4]
        anomalies["week_of_year_negative"] += 1
    return assemble("date", path, rows, anomalies, Counter(), rates, rng, _spoil_date)
