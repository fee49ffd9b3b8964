"""`lakehouse dbt <command> [args…]`: any dbt command in-process on the lakehouse session."""

from __future__ import annotations

import argparse
import sys

from lakehouse.dbt_runner import run_dbt
from lakehouse.settings import Settings

DESCRIPTION = """\
Run any dbt command inside this process on the lakehouse's SparkSession and production
target, with this state folder's artifacts and logs (as `lakehouse build` does for `dbt
build`). Every argument after `dbt` goes to dbt unchanged, e.g.:

  lakehouse dbt source freshness        # exit 1 when a Bronze table is older than its limit
  lakehouse dbt docs generate           # the docs site's catalog, in $LAKEHOUSE_HOME/dbt/target
  lakehouse dbt ls --select +fct_order_items

Exit code 0 when dbt succeeded, 1 when it did not."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dbt",
        help="run any dbt command in-process on the shared SparkSession",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "dbt_args",
        nargs=argparse.REMAINDER,
        metavar="DBT_ARGS",
        help="the dbt command and its arguments",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.dbt_args:
        print(
            "lakehouse dbt: name a dbt command, e.g. `lakehouse dbt source freshness`",
            file=sys.stderr,
        )
        return 2
    command, *rest = args.dbt_args
    return run_dbt_command("dbt", command, rest)


def run_dbt_command(name: str, command: str, dbt_args: list[str]) -> int:
    """``dbt <command> <dbt_args>`` on production; the exit code of `lakehouse <name>`."""
    outcome = run_dbt(command, dbt_args, Settings.from_env())
    if outcome.result.exception is not None:
        # dbt could not start (bad arguments, project or profile): it printed nothing itself.
        print(f"lakehouse {name}: dbt failed: {outcome.result.exception}", file=sys.stderr)
    return outcome.exit_code
