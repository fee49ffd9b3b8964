"""What a `generate` run was asked to do, validated before anything is written."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

DEFAULT_SEED = 42
DEFAULT_DAYS = 7
DEFAULT_ORDERS_PER_DAY = 1_000
DEFAULT_START_DATE = date(2025, 1, 1)
DEFAULT_EXPORTS = 3  # capped at --days
DEFAULT_CUSTOMERS = 5_000
DEFAULT_PRODUCTS = 1_000
CALENDAR_PADDING_DAYS = 7

MAX_DAYS = 36_500
MAX_ORDERS_PER_DAY = 10_000_000
MAX_CUSTOMERS = 5_000_000
MAX_PRODUCTS = 1_000_000
MAX_ORDER_NUMBER = 9_999_999_999  # order ids are `O` + 10 digits


class ConfigError(ValueError):
    """An invalid request; the message says which option to change and how."""


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def parse_date(text: str, option: str = "--start-date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{option} {text!r} is not a date; use YYYY-MM-DD, e.g. 2025-01-01"
        ) from None


@dataclass(frozen=True)
class GeneratorConfig:
    """A request. ``None`` means "the default", which on ``append`` is the existing landing
    zone's value (seed, orders per day, rates) rather than the built-in one."""

    landing: Path
    days: int = DEFAULT_DAYS
    orders_per_day: int | None = None
    seed: int | None = None
    start_date: date | None = None
    dimension_exports: int | None = None
    customers: int | None = None
    products: int | None = None
    rate_overrides: tuple[str, ...] = ()
    orphan_rate: float | None = None
    malformed_rate: float | None = None
    unrepairable_rate: float | None = None
    append: bool = False
    overwrite: bool = False
    workers: int = field(default_factory=default_workers)
    quiet: bool = False

    def validate(self) -> None:
        _at_least("--days", self.days, 1, MAX_DAYS)
        if self.orders_per_day is not None:
            _at_least("--orders-per-day", self.orders_per_day, 1, MAX_ORDERS_PER_DAY)
        if self.customers is not None:
            _at_least("--customers", self.customers, 1, MAX_CUSTOMERS)
        if self.products is not None:
            _at_least("--products", self.products, 1, MAX_PRODUCTS)
        _at_least("--workers", self.workers, 1, 256)
        if self.dimension_exports is not None:
            minimum = 0 if self.append else 1
            if self.dimension_exports < minimum:
                raise ConfigError(
                    f"--dimension-exports {self.dimension_exports}: use at least {minimum}"
                    + ("" if self.append else " (0 is only allowed with --append)")
                )
            if self.dimension_exports > self.days:
                raise ConfigError(
                    f"--dimension-exports {self.dimension_exports} is more than "
                    f"--days {self.days}: exports are dated on distinct days of the run; "
                    "lower it or add days"
                )
        if self.seed is not None and self.seed < 0:
            raise ConfigError(f"--seed {self.seed}: use a non-negative integer")
        for option, value in (
            ("--orphan-rate", self.orphan_rate),
            ("--malformed-rate", self.malformed_rate),
            ("--unrepairable-rate", self.unrepairable_rate),
        ):
            if value is not None and not 0.0 <= value <= 1.0:
                raise ConfigError(f"{option} {value} is outside [0, 1]; use a rate between 0 and 1")
        if self.append and self.overwrite:
            raise ConfigError("--append and --overwrite contradict each other; pick one")

    def exports_for(self, days: int) -> int:
        if self.dimension_exports is not None:
            return self.dimension_exports
        return min(DEFAULT_EXPORTS, days)


def _at_least(option: str, value: int, minimum: int, maximum: int) -> None:
    if value < minimum:
        raise ConfigError(f"{option} {value}: use at least {minimum}")
    if value > maximum:
        raise ConfigError(f"{option} {value}: use at most {maximum:,}")
