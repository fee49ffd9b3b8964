"""`lakehouse generate`: write (or extend) a landing zone of source data."""

from __future__ import annotations

import argparse
import sys

from generator import rates as rate_table
from generator.config import (
    CALENDAR_PADDING_DAYS,
    DEFAULT_CUSTOMERS,
    DEFAULT_DAYS,
    DEFAULT_EXPORTS,
    DEFAULT_ORDERS_PER_DAY,
    DEFAULT_PRODUCTS,
    DEFAULT_SEED,
    DEFAULT_START_DATE,
    ConfigError,
    GeneratorConfig,
    default_workers,
    parse_date,
)
from generator.runner import generate
from lakehouse.settings import Settings, SettingsError

DESCRIPTION = """\
Write the landing contract for every entity: brands/brands.csv, category/category.csv,
date/date_export_<run start>.csv (the calendar), customers/ and products/ as dated exports
(<entity>_export_YYYY-MM-DD.csv), and one order_items/landing/order_items_YYYY-MM-DD.csv per day,
plus <landing>/_manifest.json describing every file: rows, injected anomalies, duplicates,
orphan keys and the rows Silver must quarantine, by reason.

Output is byte-identical for a given seed and options, whatever --workers. Every anomaly of the
business rules is injected at a configurable rate (--list-rates shows them, with defaults);
docs/generator.md documents the layout, the anomalies and the manifest."""

EPILOG = f"""\
examples:
  lakehouse generate --landing /tmp/landing --days 30 --orders-per-day 2000 --seed 7
  lakehouse generate --landing /tmp/landing --append --days 7     # 7 more days, ids continue
  lakehouse generate --landing /tmp/clean --rate '*=0'       # no anomalies at all
  lakehouse generate --list-rates

with --append, --seed, --orders-per-day and the rates default to the landing zone's last run;
--customers/--products/--start-date cannot change. The calendar covers the order days plus
{CALENDAR_PADDING_DAYS} days either side.

exit codes: 0 success; 1 the files could not be written; 2 invalid arguments (the message says
what to change)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write a landing zone of source data (CSV + manifest) with the source's anomalies",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_argument_group("where and how much")
    where.add_argument(
        "--landing",
        metavar="DIR",
        help="landing zone folder (default: LAKEHOUSE_LANDING, else $LAKEHOUSE_HOME/landing)",
    )
    where.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, metavar="N",
        help=f"number of order days to write (default: {DEFAULT_DAYS})",
    )  # fmt: skip
    where.add_argument(
        "--orders-per-day", type=int, metavar="M",
        help=f"orders per day; each has 1-5 lines, 2.5 on average "
        f"(default: {DEFAULT_ORDERS_PER_DAY:,}, or the last run's with --append)",
    )  # fmt: skip
    where.add_argument(
        "--seed", type=int, metavar="S",
        help=f"random seed: same seed and options, same bytes (default: {DEFAULT_SEED}, or the "
        "last run's with --append)",
    )  # fmt: skip
    where.add_argument(
        "--start-date", metavar="YYYY-MM-DD",
        help=f"first order day (default: {DEFAULT_START_DATE}; with --append the day after the "
        "landing zone's last day)",
    )  # fmt: skip
    where.add_argument(
        "--dimension-exports", type=int, metavar="K",
        help=f"dated exports of products and customers in this run, spread over its days; each "
        f"later export changes some attributes, drops some keys and adds new ones (default: "
        f"{DEFAULT_EXPORTS}, at most --days; 0 allowed with --append)",
    )  # fmt: skip
    where.add_argument(
        "--customers", type=int, metavar="N",
        help=f"customers in the first export (default: {DEFAULT_CUSTOMERS:,})",
    )  # fmt: skip
    where.add_argument(
        "--products", type=int, metavar="N",
        help=f"products in the first export (default: {DEFAULT_PRODUCTS:,})",
    )  # fmt: skip

    mode = parser.add_argument_group("existing data")
    mode.add_argument(
        "--append", action="store_true",
        help="add days (and exports) to an existing landing zone: dates, order ids and export "
        "history continue; earlier files are not rewritten (default: off)",
    )  # fmt: skip
    mode.add_argument(
        "--overwrite", action="store_true",
        help="replace the generator's entity folders and manifest if the landing zone already "
        "holds data (default: off, refuse)",
    )  # fmt: skip

    anomalies = parser.add_argument_group("anomaly rates (applied in this order)")
    anomalies.add_argument(
        "--orphan-rate", type=float, metavar="R",
        help="set every orphan-key rate (unknown customer/product/brand/category) to R "
        "(default: per rate, see --list-rates; e.g. 0.002 for order lines)",
    )  # fmt: skip
    anomalies.add_argument(
        "--malformed-rate", type=float, metavar="R",
        help="rows invalid for the header, per entity, split evenly over too_many_fields, "
        "too_few_fields and broken_quoting (default: per rate, see --list-rates)",
    )  # fmt: skip
    anomalies.add_argument(
        "--unrepairable-rate", type=float, metavar="R",
        help="rows with one unrepairable value, per entity, split evenly over its quarantine "
        "reasons (default: per rate, see --list-rates)",
    )  # fmt: skip
    anomalies.add_argument(
        "--rate", action="append", default=[], metavar="NAME=VALUE",
        help="set one rate, NAME may be a glob: --rate order_items.quantity_word=0.1, "
        "--rate '*.duplicate=0'; repeatable (default: none)",
    )  # fmt: skip
    anomalies.add_argument(
        "--list-rates", action="store_true",
        help="print every rate with its default and meaning, then exit",
    )  # fmt: skip

    run_group = parser.add_argument_group("execution")
    run_group.add_argument(
        "--workers", type=int, default=default_workers(), metavar="N",
        help=f"processes writing day files in parallel; does not change the output "
        f"(default: number of CPUs, {default_workers()} here)",
    )  # fmt: skip
    run_group.add_argument(
        "--quiet", action="store_true", help="no progress output on stderr (default: off)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.list_rates:
        print(rate_table.table())
        return 0
    try:
        start = None if args.start_date is None else parse_date(args.start_date)
        settings = Settings.from_env().with_landing(args.landing)
        if not settings.landing_is_local:
            raise SettingsError(
                f"the generator writes a local folder, and the landing zone is {settings.landing}: "
                "pass --landing DIR and upload the folder (e.g. `aws s3 sync DIR "
                f"{settings.landing.replace('s3a://', 's3://')}`); `lakehouse run` uploads its "
                "sample data to an S3 landing zone itself"
            )
        landing = settings.landing_dir
        config = GeneratorConfig(
            landing=landing,
            days=args.days,
            orders_per_day=args.orders_per_day,
            seed=args.seed,
            start_date=start,
            dimension_exports=args.dimension_exports,
            customers=args.customers,
            products=args.products,
            rate_overrides=tuple(args.rate),
            orphan_rate=args.orphan_rate,
            malformed_rate=args.malformed_rate,
            unrepairable_rate=args.unrepairable_rate,
            append=args.append,
            overwrite=args.overwrite,
            workers=args.workers,
            quiet=args.quiet,
        )
        config.validate()
        generate(config)
    except (ConfigError, SettingsError) as error:
        print(f"lakehouse generate: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"lakehouse generate: failed: {error}", file=sys.stderr)
        return 1
    return 0
