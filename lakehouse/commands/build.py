"""`lakehouse build [dbt args…]`: `dbt build` in-process on the shared SparkSession."""

from __future__ import annotations

import argparse

from lakehouse.commands.dbt_passthrough import run_dbt_command

DESCRIPTION = """\
Run `dbt build` (seeds, models, snapshots and tests in DAG order) inside this process, on the
lakehouse's SparkSession: one JVM start for the whole build. Every argument after `build` is
passed to dbt unchanged, e.g.:

  lakehouse build --select staging
  lakehouse build --select +fct_order_items --full-refresh
  lakehouse build --target prod_thrift     # through a running Spark Thrift Server instead

Exit code 0 when every node succeeded, 1 when a model or a test failed."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="run `dbt build` in-process on the shared SparkSession",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "dbt_args",
        nargs=argparse.REMAINDER,
        metavar="DBT_ARGS",
        help="arguments passed to dbt build",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_dbt_command("build", "build", args.dbt_args)
