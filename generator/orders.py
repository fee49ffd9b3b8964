"""One day's `order_items` file: the hot loop.

A day is generated from its own random stream (run seed, absolute day index), so days can be
written in any order or in parallel with identical bytes. Lines are formatted as strings (no field
of a valid line ever needs CSV quoting) and streamed to the file: memory does not grow with the
number of lines.
"""

from __future__ import annotations

import heapq
import random
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from generator import pools
from generator.accounting import FileStats
from generator.contract import HEADERS, MALFORMED_KINDS, VALUE_REJECT_REASONS
from generator.malformed import malformed_line
from generator.masters import (
    ORPHAN_CUSTOMER_PREFIX,
    ORPHAN_PRODUCT_PREFIX,
    Customer,
    Product,
)
from generator.seeding import stream, weighted_table

# Currency index 0..6 are the known currencies, 7 the one without an FX rate.
CURRENCY_CODES: tuple[str, ...] = (*pools.CURRENCIES, pools.UNKNOWN_CURRENCY)
UNKNOWN_INDEX = len(pools.CURRENCIES)
_FX = (*(pools.FX_TO_INR[code] for code in pools.CURRENCIES), 103.0)
BROKEN_KINDS: tuple[str, ...] = (*VALUE_REJECT_REASONS["order_items"], *MALFORMED_KINDS)
HEADER_LINE = ",".join(HEADERS["order_items"]) + "\n"
QUANTITY_TEXT: tuple[str, ...] = tuple(str(q) for q in range(11))
REPEAT_WINDOW = 50  # a repeated line reappears within this many orders
# Share of a day's orders per UTC hour (quiet nights, a lunch and an evening peak), cumulated.
HOURLY_WEIGHTS: tuple[int, ...] = (
    2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 8, 8, 7, 6, 6, 6, 7, 8, 8, 7, 5, 3,
)  # fmt: skip
DAY_PROFILE: tuple[float, ...] = tuple(
    sum(HOURLY_WEIGHTS[: h + 1]) / sum(HOURLY_WEIGHTS) for h in range(24)
)


@dataclass(frozen=True)
class OrderPools:
    """What order lines may reference on a day: the keys of the export valid that day."""

    customer_ids: list[str]
    customer_currency: list[int]
    product_ids: list[str]
    price_cents: list[list[int]]  # [currency index][product position]
    price_text: list[list[str]]


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def order_pools(customers: Sequence[Customer], products: Sequence[Product]) -> OrderPools:
    currency_index = {code: i for i, code in enumerate(CURRENCY_CODES)}
    cents = [[max(1, int(p.price_paise / fx + 0.5)) for p in products] for fx in _FX]
    return OrderPools(
        customer_ids=[c.customer_id for c in customers],
        customer_currency=[currency_index[c.currency] for c in customers],
        product_ids=[p.product_id for p in products],
        price_cents=cents,
        price_text=[[money(c) for c in row] for row in cents],
    )


@dataclass(frozen=True)
class DayTask:
    day: date
    day_index: int  # days since the landing zone's first day
    first_order_number: int
    orders: int
    export_index: int  # the export whose keys the day references
    last_day_index: int  # the run's last day: re-sent lines never go past it
    path: str  # landing-relative path of the file
    target: str  # where to write it (a temporary name)


@dataclass
class DayResult:
    task: DayTask
    stats: FileStats
    resend: list[tuple[int, str]]  # (target day index, line)


def write_day(
    task: DayTask, seed: int, rates: Mapping[str, float], day_pools: OrderPools
) -> DayResult:
    """Write one day's file to ``task.target``; return its accounting and the lines to re-send
    in later days' files."""
    rng = stream(seed, "order_items", task.day_index)
    rnd = rng.random
    randrange = rng.randrange
    rate = {
        name.split(".", 1)[1]: value
        for name, value in rates.items()
        if name.startswith("order_items.")
    }
    r_qword = rate["quantity_word"]
    r_price_sym = rate["unit_price_symbol"]
    r_disc_sym = rate["discount_pct_symbol"]
    r_ts = rate["order_ts_dd_mm_yyyy"]
    r_alias = rate["channel_alias"]
    r_no_coupon = rate["coupon_empty"]
    r_blank = rate["coupon_blank"]
    r_coupon_pad = rate["coupon_case_padding"]
    r_unknown = rate["unknown_currency"]
    r_tax_sym = rate["tax_amount_symbol"]
    r_orphan_c = rate["orphan_customer_id"]
    r_orphan_p = rate["orphan_product_id"]
    r_known_p = 1.0 - r_orphan_p
    r_resend = rate["resent_line"] if task.day_index < task.last_day_index else 0.0
    r_repeat = rate["repeated_line"]
    thresholds: list[float] = []
    running = 0.0
    for kind in BROKEN_KINDS:
        running += rate[kind]
        thresholds.append(running)
    r_broken = running
    # Unknown currency is drawn among the lines that are not broken, at its own rate.
    r_unknown_until = r_broken + r_unknown * (1.0 - r_broken)
    r_resend_until = r_repeat + r_resend
    # The six rare per-value anomalies, in the order the loop applies them.
    group_rates = (
        rate["currency_case_padding"],
        r_qword,
        r_price_sym,
        r_disc_sym,
        r_tax_sym,
        r_ts,
    )
    none_so_far = 1.0
    group_until: list[float] = []  # P(the first anomaly is at or before position m)
    for value in group_rates:
        none_so_far *= 1.0 - value
        group_until.append(1.0 - none_so_far)
    p_group = group_until[-1]

    cids = day_pools.customer_ids
    ccur = day_pools.customer_currency
    n_customers = len(cids)
    pids = day_pools.product_ids
    n_products = len(pids)
    pcents = day_pools.price_cents
    ptext = day_pools.price_text
    tax_bp = [pools.TAX_BP[code] for code in CURRENCY_CODES]
    symbols = [pools.CURRENCY_SYMBOLS[code] for code in CURRENCY_CODES]
    currency_variants = [
        (code.lower(), code.title(), f" {code}", f"{code} ", f" {code.lower()} ")
        for code in CURRENCY_CODES
    ]
    channels = weighted_table(pools.CHANNELS, pools.CHANNEL_WEIGHTS)
    n_channels = len(channels)
    aliases = pools.CHANNEL_ALIASES
    coupons = pools.COUPONS
    n_coupons = len(coupons)
    quantities = weighted_table(range(1, 11), pools.QUANTITY_WEIGHTS)
    n_quantities = len(quantities)
    words = [(w, w.title(), w.upper()) for w in pools.NUMBER_WORDS]
    discounts = weighted_table(pools.DISCOUNTS, pools.DISCOUNT_WEIGHTS)
    n_discounts = len(discounts)
    items = weighted_table(range(1, 6), pools.ITEMS_PER_ORDER_WEIGHTS)
    n_items_table = len(items)

    dt = task.day.isoformat()
    dmy = task.day.strftime("%d-%m-%Y")
    # Order times rise through the day without holding them all in memory: order i falls at
    # the (i + u) / n quantile of the day's hourly profile, so they come out sorted.
    hour_ends = DAY_PROFILE
    n_orders = task.orders

    lines = 0
    resend: list[tuple[int, str]] = []
    pending: list[tuple[int, int, str]] = []  # (emit before order index, tiebreak, line)
    n_qword = n_price_sym = n_disc_sym = n_ts = n_alias = n_empty = n_blank = n_coupon_pad = 0
    n_cur_pad = n_unknown = n_tax_sym = n_orphan_c = n_orphan_p = n_repeat = 0
    broken_counts = [0] * len(BROKEN_KINDS)

    with Path(task.target).open("w", encoding="utf-8", newline="", buffering=1 << 20) as handle:
        write = handle.write
        write(HEADER_LINE)
        for i in range(task.orders):
            while pending and pending[0][0] <= i:
                write(heapq.heappop(pending)[2])
                lines += 1
            q = (i + rnd()) / n_orders
            hour = bisect_right(hour_ends, q)
            start = hour_ends[hour - 1] if hour else 0.0
            t = hour * 3600 + int(3600 * (q - start) / (hour_ends[hour] - start))
            hh, rest = divmod(t, 3600)
            mm, ss = divmod(rest, 60)
            ts = f"{dt} {hh:02d}:{mm:02d}:{ss:02d}"
            order_id = f"O{task.first_order_number + i:010d}"
            if rnd() < r_orphan_c:
                customer = f"{ORPHAN_CUSTOMER_PREFIX}{randrange(1_000_000):06d}"
                currency = randrange(UNKNOWN_INDEX)
                orphan_customer = True
            else:
                v = rnd()
                k = int(n_customers * v * v)  # skewed: a few customers order a lot
                customer = cids[k]
                currency = ccur[k]
                orphan_customer = False
            channel = channels[int(rnd() * n_channels)]
            alias = aliases.get(channel)
            coupon = "" if rnd() < r_no_coupon else coupons[int(rnd() * n_coupons)]
            head = f"{dt},{ts},{customer},{order_id},"
            for seq in range(1, items[int(rnd() * n_items_table)] + 1):
                # One draw: an orphan product below r_orphan_p, else a (skewed) known product.
                v = rnd()
                if v < r_orphan_p:
                    k = int(n_products * v / r_orphan_p)  # its price: some product's
                    product = f"{ORPHAN_PRODUCT_PREFIX}{randrange(100_000):05d}"
                    orphan_product = True
                else:
                    v = (v - r_orphan_p) / r_known_p
                    k = int(n_products * v * v)
                    product = pids[k]
                    orphan_product = False
                quantity = quantities[int(rnd() * n_quantities)]
                discount_text, discount_bp = discounts[int(rnd() * n_discounts)]
                # One draw decides "unrepairable" (by kind) or else "unknown currency".
                u = rnd()
                cur = UNKNOWN_INDEX if r_broken <= u < r_unknown_until else currency
                gross = pcents[cur][k] * quantity
                tax = (gross * (10_000 - discount_bp) // 10_000 * tax_bp[cur] + 5_000) // 10_000
                if u < r_broken:
                    fields = [
                        dt, ts, customer, order_id, str(seq), product, str(quantity),
                        CURRENCY_CODES[cur], ptext[cur][k], discount_text, money(tax), channel,
                        coupon,
                    ]  # fmt: skip
                    kind = 0
                    while u >= thresholds[kind]:
                        kind += 1
                    broken_counts[kind] += 1
                    write(_broken(BROKEN_KINDS[kind], fields, rng) + "\n")
                    lines += 1
                    continue
                # A clean line. Six rare anomalies of the line's own values take one draw: it
                # says whether any occurs and which comes first; those after the first are then
                # drawn one by one. The result is exactly six independent draws at their rates.
                if cur == UNKNOWN_INDEX:
                    n_unknown += 1
                price_text = ptext[cur][k]
                tax_text = f"{tax // 100}.{tax % 100:02d}"
                w = rnd()
                if w < p_group:
                    first = 0
                    while w >= group_until[first]:
                        first += 1
                    hit = [m == first or (m > first and rnd() < group_rates[m]) for m in range(6)]
                    if hit[0]:
                        currency_text = currency_variants[cur][int(rnd() * 5)]
                        n_cur_pad += 1
                    else:
                        currency_text = CURRENCY_CODES[cur]
                    if hit[1]:
                        quantity_text = words[quantity - 1][int(rnd() * 3)]
                        n_qword += 1
                    else:
                        quantity_text = QUANTITY_TEXT[quantity]
                    if hit[2]:
                        price_text = symbols[cur] + price_text
                        n_price_sym += 1
                    if hit[3]:
                        discount_text += "%"
                        n_disc_sym += 1
                    if hit[4]:
                        tax_text = symbols[cur] + tax_text
                        n_tax_sym += 1
                    if hit[5]:
                        line_head = f"{dt},{dmy} {hh:02d}:{mm:02d},{customer},{order_id},"
                        n_ts += 1
                    else:
                        line_head = head
                else:
                    currency_text = CURRENCY_CODES[cur]
                    quantity_text = QUANTITY_TEXT[quantity]
                    line_head = head
                channel_text = channel
                if alias is not None and rnd() < r_alias:
                    channel_text = alias
                    n_alias += 1
                if coupon:
                    if rnd() < r_coupon_pad:
                        coupon_text = (
                            " " * (1 + int(rnd() * 2))
                            + "".join(c.upper() if rnd() < 0.5 else c for c in coupon)
                            + " " * int(rnd() * 3)
                        )
                        n_coupon_pad += 1
                    else:
                        coupon_text = coupon
                elif rnd() < r_blank:
                    coupon_text = " " * (1 + int(rnd() * 3))
                    n_blank += 1
                else:
                    coupon_text = ""
                    n_empty += 1
                if orphan_customer:
                    n_orphan_c += 1
                if orphan_product:
                    n_orphan_p += 1
                line = (
                    f"{line_head}{seq},{product},{quantity_text},{currency_text},{price_text},"
                    f"{discount_text},{tax_text},{channel_text},{coupon_text}\n"
                )
                write(line)
                lines += 1
                # One draw: repeated later in this file, or re-sent in a later file, or neither.
                v = rnd()
                if v < r_repeat:
                    heapq.heappush(pending, (i + 1 + int(rnd() * REPEAT_WINDOW), lines, line))
                    n_repeat += 1
                elif v < r_resend_until:
                    target = min(task.day_index + 1 + int(rnd() * 3), task.last_day_index)
                    resend.append((target, line))
        while pending:
            write(heapq.heappop(pending)[2])
            lines += 1

    stats = FileStats("order_items", task.path, rows=lines)
    stats.extra = {
        "date": dt,
        "orders": task.orders,
        "first_order_id": f"O{task.first_order_number:010d}",
    }
    stats.duplicates["repeated_line"] = n_repeat
    for kind, count in zip(BROKEN_KINDS, broken_counts, strict=True):
        if kind in MALFORMED_KINDS:
            stats.add_malformed(kind, count)
        else:
            stats.quarantine[kind] += count
    stats.anomalies.update(
        {
            "quantity_word": n_qword,
            "unit_price_symbol": n_price_sym,
            "discount_pct_symbol": n_disc_sym,
            "order_ts_dd_mm_yyyy": n_ts,
            "channel_alias": n_alias,
            "coupon_empty": n_empty,
            "coupon_blank": n_blank,
            "coupon_case_padding": n_coupon_pad,
            "currency_case_padding": n_cur_pad,
            "unknown_currency": n_unknown,
            "tax_amount_symbol": n_tax_sym,
        }
    )
    stats.orphans.update({"orphan_customer_id": n_orphan_c, "orphan_product_id": n_orphan_p})
    return DayResult(task, stats, resend)


def _broken(kind: str, fields: list[str], rng: random.Random) -> str:
    """A line with exactly one unrepairable problem (or invalid for the header)."""
    bad = pools.BAD_VALUES
    if kind in MALFORMED_KINDS:
        return malformed_line(kind, fields, rng)
    if kind == "missing_key":
        if rng.random() < 0.5:
            fields[3] = rng.choice(bad["order_id"])
        else:
            fields[4] = rng.choice(bad["item_seq"])
    else:
        column = {
            "bad_dt": 0,
            "bad_order_ts": 1,
            "bad_quantity": 6,
            "bad_unit_price": 8,
            "bad_discount_pct": 9,
        }[kind]
        fields[column] = rng.choice(bad[kind])
    return ",".join(fields)
