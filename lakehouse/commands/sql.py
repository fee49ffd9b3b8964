"""`lakehouse sql "<query>"`: run one Spark SQL query on the lakehouse and print the result."""

from __future__ import annotations

import argparse
import sys

from pyspark.errors import PySparkException

from lakehouse.result_format import FORMATS, render
from lakehouse.session import get_spark
from lakehouse.settings import Settings

EXAMPLES = """\
examples:
  lakehouse sql "show tables in gold"
  lakehouse sql "select * from gold.fct_order_items limit 5" --format json
  lakehouse sql "describe history gold.dim_currencies" --format csv > history.csv"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="run one SQL query on the lakehouse and print the result",
        description="Run one Spark SQL query on the embedded lakehouse session and print the result.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", help="the Spark SQL statement to run (quote it)")
    parser.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--limit",
        type=_non_negative,
        default=1000,
        help="print at most this many rows; 0 prints all (default: 1000)",
    )
    parser.set_defaults(handler=run)


def _non_negative(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError("--limit must be 0 (no limit) or more")
    return value


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    spark = get_spark(settings)
    try:
        frame = spark.sql(args.query)
        if not frame.columns:
            # A statement without a result set (DDL, insert, merge) ran when it was parsed.
            print("lakehouse sql: done (the statement returns no rows)", file=sys.stderr)
            return 0
        rows = frame.take(args.limit + 1) if args.limit else frame.collect()
    except PySparkException as error:
        print(f"lakehouse sql: query failed: {error}", file=sys.stderr)
        return 1
    truncated = bool(args.limit) and len(rows) > args.limit
    rows = rows[: args.limit] if args.limit else rows
    output = render(args.format, frame.columns, [tuple(row) for row in rows])
    if output:
        print(output)
    if truncated:
        print(f"(showing the first {args.limit} rows; use --limit 0 for all)", file=sys.stderr)
    elif args.format == "table":
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=sys.stderr)
    return 0
