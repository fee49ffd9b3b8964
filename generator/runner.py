"""A `generate` run from start to end: resolve the request against the landing zone, write the
dimension files, the order days (in parallel), the manifest."""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from generator import manifest as manifest_io
from generator import pools
from generator import rates as rate_table
from generator.accounting import FileStats
from generator.calendar_rows import render_calendar
from generator.config import (
    CALENDAR_PADDING_DAYS,
    DEFAULT_CUSTOMERS,
    DEFAULT_ORDERS_PER_DAY,
    DEFAULT_PRODUCTS,
    DEFAULT_SEED,
    DEFAULT_START_DATE,
    MAX_ORDER_NUMBER,
    ConfigError,
    GeneratorConfig,
)
from generator.contract import (
    ENTITIES,
    EXPORTED_ENTITIES,
    MANIFEST_NAME,
    export_file,
    order_file,
    single_file,
)
from generator.dimension_rows import (
    Rendered,
    render_brands,
    render_category,
    render_customers,
    render_products,
)
from generator.masters import Delta, pictures
from generator.orders import DayResult, DayTask, OrderPools, order_pools, write_day
from generator.progress import Progress
from generator.seeding import stream
from generator.writer import append_lines, publish, target, temporary, write_lines


@dataclass(frozen=True)
class RunPlan:
    """A request resolved against the landing zone: every value concrete."""

    landing: Path
    run: int
    mode: str
    seed: int
    base_seed: int
    customers: int
    products: int
    first_date: date  # the landing zone's first order day
    start_date: date  # this run's first day
    days: int
    orders_per_day: int
    first_order_number: int
    rates: dict[str, float]
    export_dates: tuple[date, ...]  # this run's exports
    previous_exports: tuple[dict[str, Any], ...]  # [{index, date, run}] of earlier runs
    previous_rates: tuple[dict[str, float], ...]  # rates of earlier runs, by run number - 1
    workers: int

    @property
    def end_date(self) -> date:
        return self.start_date + timedelta(days=self.days - 1)

    @property
    def day_offset(self) -> int:
        return (self.start_date - self.first_date).days

    def parameters(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "mode": self.mode,
            "seed": self.seed,
            "days": self.days,
            "orders_per_day": self.orders_per_day,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "dimension_exports": len(self.export_dates),
            "customers": self.customers,
            "products": self.products,
            "first_order_number": self.first_order_number,
            "orders": self.days * self.orders_per_day,
            "rates": self.rates,
        }


def resolve(config: GeneratorConfig, previous: dict[str, Any] | None) -> RunPlan:
    """Turn a request into a plan; raise ``ConfigError`` when it cannot be honoured."""
    config.validate()
    if previous is None:
        seed = DEFAULT_SEED if config.seed is None else config.seed
        base_rates: Mapping[str, float] = rate_table.DEFAULT_RATES
        customers = config.customers or DEFAULT_CUSTOMERS
        products = config.products or DEFAULT_PRODUCTS
        start = config.start_date or DEFAULT_START_DATE
        first_date = start
        first_order = 1
        run = 1
        base_seed = seed
        orders_per_day = config.orders_per_day or DEFAULT_ORDERS_PER_DAY
        previous_exports: tuple[dict[str, Any], ...] = ()
        previous_rates: tuple[dict[str, float], ...] = ()
    else:
        last = previous["parameters"]
        base = previous["base"]
        timeline = previous["timeline"]
        seed = last["seed"] if config.seed is None else config.seed
        base_rates = last["rates"]
        customers, products = base["customers"], base["products"]
        for option, given, existing in (
            ("--customers", config.customers, customers),
            ("--products", config.products, products),
        ):
            if given is not None and given != existing:
                raise ConfigError(
                    f"{option} {given}: the landing zone was generated with {existing}; "
                    f"drop {option} when appending"
                )
        start = date.fromisoformat(timeline["last_date"]) + timedelta(days=1)
        if config.start_date is not None and config.start_date != start:
            raise ConfigError(
                f"--start-date {config.start_date}: appended days continue the landing zone, "
                f"whose next day is {start}; drop --start-date when appending"
            )
        first_date = date.fromisoformat(timeline["first_date"])
        first_order = timeline["next_order_number"]
        run = len(previous["runs"]) + 1
        base_seed = base["seed"]
        orders_per_day = config.orders_per_day or last["orders_per_day"]
        previous_exports = tuple(timeline["exports"])
        previous_rates = tuple(r["rates"] for r in previous["runs"])
    rates = dict(base_rates)
    if config.orphan_rate is not None:
        rates = rate_table.set_group(rates, "orphan", config.orphan_rate)
    if config.malformed_rate is not None:
        rates = rate_table.set_group(rates, "malformed", config.malformed_rate)
    if config.unrepairable_rate is not None:
        rates = rate_table.set_group(rates, "quarantine", config.unrepairable_rate)
    try:
        rates = rate_table.apply_overrides(rates, config.rate_overrides)
        rate_table.validate(rates)
    except rate_table.RateError as error:
        raise ConfigError(str(error)) from None
    last_order = first_order + config.days * orders_per_day - 1
    if last_order > MAX_ORDER_NUMBER:
        raise ConfigError(
            f"{config.days} days x {orders_per_day} orders would pass the largest order id "
            f"(O{MAX_ORDER_NUMBER}); generate fewer orders"
        )
    exports = config.exports_for(config.days)
    export_dates = tuple(
        start + timedelta(days=(j * config.days) // exports) for j in range(exports)
    )
    if previous is None and not export_dates:
        raise ConfigError("--dimension-exports must be at least 1 for a new landing zone")
    return RunPlan(
        landing=config.landing,
        run=run,
        mode="append" if previous else "create",
        seed=seed,
        base_seed=base_seed,
        customers=customers,
        products=products,
        first_date=first_date,
        start_date=start,
        days=config.days,
        orders_per_day=orders_per_day,
        first_order_number=first_order,
        rates=rates,
        export_dates=export_dates,
        previous_exports=previous_exports,
        previous_rates=previous_rates,
        workers=min(config.workers, config.days),
    )


def prepare_landing(config: GeneratorConfig) -> None:
    """Refuse to mix a new landing zone into existing data, unless asked to replace it."""
    landing = config.landing
    if landing.exists() and not landing.is_dir():
        raise ConfigError(f"--landing {landing} is a file; give a folder")
    if config.append:
        return
    occupied = [name for name in (*ENTITIES, MANIFEST_NAME) if (landing / name).exists()]
    if occupied and not config.overwrite:
        raise ConfigError(
            f"the landing zone {landing} already holds {', '.join(occupied)}; use --append to "
            "add days to it or --overwrite to replace it"
        )
    for name in occupied:
        path = landing / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    landing.mkdir(parents=True, exist_ok=True)


def planned_files(plan: RunPlan) -> list[str]:
    """Landing-relative paths this run will write."""
    paths = [export_file("date", plan.start_date)]
    if plan.mode == "create":
        paths += [single_file("category"), single_file("brands")]
    paths += [export_file(e, d) for e in EXPORTED_ENTITIES for d in plan.export_dates]
    paths += [order_file(plan.start_date + timedelta(days=d)) for d in range(plan.days)]
    return [p.as_posix() for p in paths]


def _write_rendered(
    plan: RunPlan, entity: str, rendered: Rendered, progress: Progress, **extra: Any
) -> FileStats:
    relative = rendered.stats.path
    rows = write_lines(plan.landing, PurePosixPath(relative), entity, rendered.lines)
    if rows != rendered.stats.rows:
        raise AssertionError(f"{relative}: wrote {rows} rows, accounted {rendered.stats.rows}")
    progress.file(relative, rows)
    rendered.stats.extra = {"run": plan.run, **extra}
    return rendered.stats


def _exports(plan: RunPlan, entity: str) -> Iterator[tuple[int, list, Delta]]:
    """Every export picture of ``entity`` up to this run's last, with its global index."""
    rates_per_export = [plan.previous_rates[e["run"] - 1] for e in plan.previous_exports]
    rates_per_export += [plan.rates] * len(plan.export_dates)
    for index, (picture, delta) in enumerate(
        pictures(entity, plan.base_seed, getattr(plan, entity), rates_per_export)
    ):
        yield index, picture, delta


def _export_date(plan: RunPlan, index: int) -> date:
    earlier = len(plan.previous_exports)
    if index < earlier:
        return date.fromisoformat(plan.previous_exports[index]["date"])
    return plan.export_dates[index - earlier]


def governing_export(plan: RunPlan, day: date) -> int:
    """The export whose keys orders of ``day`` reference: the latest dated on or before it."""
    total = len(plan.previous_exports) + len(plan.export_dates)
    return max(i for i in range(total) if _export_date(plan, i) <= day)


# Worker state (set once per process by the pool initializer).
_WORKER: dict[str, Any] = {}


def _init_worker(seed: int, rates: dict[str, float], day_pools: dict[int, OrderPools]) -> None:
    _WORKER.update(seed=seed, rates=rates, pools=day_pools)


def _run_day(task: DayTask) -> DayResult:
    return write_day(task, _WORKER["seed"], _WORKER["rates"], _WORKER["pools"][task.export_index])


def generate(config: GeneratorConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Write a landing zone (or extend one with ``config.append``); return the manifest."""
    progress = progress or Progress(quiet=config.quiet)
    previous = manifest_io.load(config.landing) if config.append else None
    plan = resolve(config, previous)
    prepare_landing(config)
    clashes = [p for p in planned_files(plan) if (plan.landing / p).exists()]
    if clashes:
        raise ConfigError(
            f"{plan.landing / clashes[0]} already exists; the landing zone and its manifest "
            "disagree (use --overwrite to start again)"
        )
    landing = plan.landing
    progress.say(
        f"generate: {plan.mode} {landing} | run {plan.run}, seed {plan.seed}, {plan.days} days "
        f"from {plan.start_date}, {plan.orders_per_day:,} orders/day, "
        f"{len(plan.export_dates)} dimension exports, {plan.workers} worker(s)"
    )
    written: list[FileStats] = []
    if plan.mode == "create":
        path = single_file("category").as_posix()
        rendered = render_category(path, plan.rates, stream(plan.seed, "category"))
        written.append(_write_rendered(plan, "category", rendered, progress))
        path = single_file("brands").as_posix()
        rendered = render_brands(path, plan.rates, stream(plan.seed, "brands"))
        written.append(_write_rendered(plan, "brands", rendered, progress))

    calendar_first = plan.first_date - timedelta(days=CALENDAR_PADDING_DAYS)
    calendar_last = plan.end_date + timedelta(days=CALENDAR_PADDING_DAYS)
    path = export_file("date", plan.start_date).as_posix()
    rendered = render_calendar(
        path, calendar_first, calendar_last, plan.rates, stream(plan.seed, "date", plan.run)
    )
    written.append(
        _write_rendered(
            plan,
            "date",
            rendered,
            progress,
            first_date=calendar_first.isoformat(),
            last_date=calendar_last.isoformat(),
        )
    )

    first_new_export = len(plan.previous_exports)
    needed = {governing_export(plan, plan.start_date + timedelta(days=d)) for d in range(plan.days)}
    kept: dict[str, dict[int, list]] = {entity: {} for entity in EXPORTED_ENTITIES}
    renderers = {"customers": render_customers, "products": render_products}
    for entity in EXPORTED_ENTITIES:
        for index, picture, delta in _exports(plan, entity):
            if index in needed:
                kept[entity][index] = picture
            if index < first_new_export:
                continue
            export_day = _export_date(plan, index)
            path = export_file(entity, export_day).as_posix()
            rendered = renderers[entity](
                path, picture, plan.rates, stream(plan.seed, entity, "render", index)
            )
            written.append(
                _write_rendered(
                    plan,
                    entity,
                    rendered,
                    progress,
                    export_index=index,
                    export_date=export_day.isoformat(),
                    keys=len(picture),
                    new_keys=delta.new_keys,
                    changed_keys=delta.changed_keys,
                    dropped_keys=delta.dropped_keys,
                )
            )
    day_pools = {
        index: order_pools(kept["customers"][index], kept["products"][index])
        for index in sorted(needed)
    }
    written += _write_days(plan, day_pools, progress)

    timeline_exports = [
        *plan.previous_exports,
        *(
            {"index": first_new_export + j, "date": d.isoformat(), "run": plan.run}
            for j, d in enumerate(plan.export_dates)
        ),
    ]
    timeline = {
        "first_date": plan.first_date.isoformat(),
        "last_date": plan.end_date.isoformat(),
        "days": (plan.end_date - plan.first_date).days + 1,
        "orders": plan.first_order_number - 1 + plan.days * plan.orders_per_day,
        "next_order_number": plan.first_order_number + plan.days * plan.orders_per_day,
        "exports": timeline_exports,
        "calendar": {
            "first_date": calendar_first.isoformat(),
            "last_date": calendar_last.isoformat(),
        },
    }
    base = {
        "seed": plan.base_seed,
        "customers": plan.customers,
        "products": plan.products,
        "brands": len(pools.BRANDS),
        "categories": len(pools.CATEGORIES),
    }
    manifest = manifest_io.build(
        previous, base, plan.parameters(), timeline, [s.to_json() for s in written]
    )
    manifest_io.save(landing, manifest)
    order_entity = manifest["entities"]["order_items"]
    progress.say(
        f"generate: done in {progress.elapsed():.1f}s | {len(written)} files, "
        f"{sum(s.rows for s in written if s.entity == 'order_items'):,} order lines this run, "
        f"{order_entity['rows']:,} in the landing zone | "
        f"manifest {manifest_io.manifest_path(landing)}"
    )
    return manifest


def _write_days(
    plan: RunPlan, day_pools: dict[int, OrderPools], progress: Progress
) -> list[FileStats]:
    landing = plan.landing
    last_index = plan.day_offset + plan.days - 1
    tasks = []
    for d in range(plan.days):
        day = plan.start_date + timedelta(days=d)
        relative = order_file(day)
        final = target(landing, relative)
        tasks.append(
            DayTask(
                day=day,
                day_index=plan.day_offset + d,
                first_order_number=plan.first_order_number + d * plan.orders_per_day,
                orders=plan.orders_per_day,
                export_index=governing_export(plan, day),
                last_day_index=last_index,
                path=relative.as_posix(),
                target=str(temporary(final)),
            )
        )
    pending: dict[int, list[str]] = {}
    stats: list[FileStats] = []
    progress.begin_orders()
    for done, result in enumerate(_day_results(plan, tasks, day_pools), start=1):
        task = result.task
        resent = pending.pop(task.day_index, [])
        if resent:
            result.stats.rows += append_lines(Path(task.target), resent)
            result.stats.duplicates["resent_line"] += len(resent)
        publish(Path(task.target))
        for target_index, line in result.resend:
            pending.setdefault(target_index, []).append(line)
        result.stats.extra["run"] = plan.run
        stats.append(result.stats)
        progress.day(task.path, result.stats.rows, done, len(tasks))
    assert not pending, "re-sent lines were left without a later file"
    return stats


def _day_results(
    plan: RunPlan, tasks: list[DayTask], day_pools: dict[int, OrderPools]
) -> Iterator[DayResult]:
    """Day results in day order, computed in this process or by a pool of workers."""
    if plan.workers <= 1:
        for task in tasks:
            yield write_day(task, plan.seed, plan.rates, day_pools[task.export_index])
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(
        plan.workers, initializer=_init_worker, initargs=(plan.seed, plan.rates, day_pools)
    ) as pool:
        yield from pool.imap(_run_day, tasks, chunksize=1)
