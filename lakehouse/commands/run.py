"""`lakehouse run`: the whole job — sample data if needed, ingest, build, summary."""

from __future__ import annotations

import argparse
import sys

from lakehouse.pipeline import SampleSize, run_pipeline
from lakehouse.session import get_spark
from lakehouse.settings import Settings
from lakehouse.summary import print_summary

DESCRIPTION = """\
Run the whole pipeline in this process on one SparkSession:

  1. if the landing zone has no CSV files, generate sample data into it;
  2. ingest newly landed files into Bronze (exactly once);
  3. `dbt build`: seeds, Silver staging/quarantine/history/dimensions, Gold fact and marts,
     with every data test as a quality gate. After the first successful build, dbt rebuilds
     only what changed: `source_status:fresher+ state:modified+` against that build's
     artifacts (the Bronze tables loaded since, by `dbt source freshness`, and the nodes whose
     code changed, each with everything downstream and their tests);
  4. print the rows of the tables this run wrote, quarantined rows by reason, test results
     and where to look next.

Arguments after `--` go to dbt build as they are (no change detection), e.g.
`lakehouse run -- --select +fct_order_items`."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="sample data if needed, ingest, build, print a summary",
        description=DESCRIPTION,
        epilog="exit codes: 0 success; 1 a model or a blocking test failed; 2 invalid arguments",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--landing", metavar="DIR", help="landing zone (default: LAKEHOUSE_LANDING)"
    )
    parser.add_argument("--days", type=int, default=7, help="sample data: order days (default: 7)")
    parser.add_argument(
        "--orders-per-day", type=int, default=500, help="sample data: orders per day (default: 500)"
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="sample data: random seed (default: 42)"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="build_all",
        help="build every node, not only what changed since the last successful build",
    )
    parser.add_argument(
        "dbt_args", nargs="*", metavar="DBT_ARGS", help="after --: passed to dbt build"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.days < 1 or args.orders_per_day < 1:
        print("lakehouse run: --days and --orders-per-day must be at least 1", file=sys.stderr)
        return 2
    if args.build_all and args.dbt_args:
        print(
            "lakehouse run: --all builds everything; with dbt arguments after -- dbt gets exactly "
            "those. Use one or the other.",
            file=sys.stderr,
        )
        return 2
    settings = Settings.from_env().with_landing(args.landing)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    sample = SampleSize(days=args.days, orders_per_day=args.orders_per_day, seed=args.seed)
    outcome = run_pipeline(settings, sample, list(args.dbt_args), say, build_all=args.build_all)
    print_summary(get_spark(settings), settings, outcome)
    return outcome.exit_code
