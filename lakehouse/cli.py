"""`lakehouse`: the project's command line.

Each subcommand lives in its own module under ``ingestion/commands`` and exposes
``register(subparsers)``; the parser it adds sets ``handler`` to a function taking the parsed
arguments and returning the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from lakehouse.errors import classify, write_details
from lakehouse.settings import Settings
from lakehouse.state_lock import state_lock

# Subcommand modules, in the order `--help` lists them.
COMMANDS = (
    "run",
    "generate",
    "ingest",
    "build",
    "build_changed",
    "dbt_passthrough",
    "dev",
    "ci",
    "sql",
    "setup_jars",
    "thrift",
    "cluster",
)

# Commands that open the embedded metastore or write the state folder: one at a time per
# state folder (see state_lock).
LOCKED_COMMANDS = frozenset({"run", "ingest", "build", "build-changed", "dbt", "dev", "ci", "sql"})
# Commands that hand every argument after them to dbt, untouched and in order.
DBT_COMMANDS = frozenset({"build", "dbt", "dev", "ci"})

EPILOG = """\
exit codes: 0 success; 1 the work failed (a dbt test, a quarantined or changed file, a query
error, a full disk, an unreachable master; the message names a log file with the details);
2 invalid arguments or configuration; 75 another command is using the same state folder.
Configuration comes from LAKEHOUSE_* environment variables (see docs/configuration.md)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakehouse",
        description="E-commerce analytics lakehouse on Apache Spark, Delta Lake and dbt.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"lakehouse.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    home = None
    try:
        settings = Settings.from_env()
        home = settings.home
        if not takes_the_lock(args_list):
            return dispatch(args_list)
        # Before the parser imports Spark and dbt (seconds): a busy state folder is said at once.
        with state_lock(settings.home, say=_say):
            return dispatch(args_list)
    except BaseException as error:
        if isinstance(error, SystemExit):
            raise
        command = args_list[0] if args_list else "lakehouse"
        report = classify(error, home)
        details = write_details(error, home, args_list) if report.keep_details else None
        print(f"lakehouse {command}: {report.message}", file=sys.stderr)
        if details is not None:
            print(f"lakehouse {command}: full details in {details}", file=sys.stderr)
        return report.exit_code


def takes_the_lock(args_list: Sequence[str]) -> bool:
    """Whether the command holds the state lock for its whole run. `ingest --watch` runs for
    days and takes it per batch instead (lakehouse.watch)."""
    if not args_list or args_list[0] not in LOCKED_COMMANDS:
        return False
    options = set(args_list[1:])
    return not ({"-h", "--help"} & options) and not (
        args_list[0] == "ingest" and "--watch" in options
    )


def dispatch(args_list: list[str]) -> int:
    """Parse the arguments and run the subcommand's handler."""
    parser = build_parser()
    # `build`, `dbt`, `dev` and `ci` hand everything after them to dbt untouched and in order,
    # including options dbt knows and we don't (argparse would reorder them); only their
    # `--help` is ours.
    if args_list[:1] and args_list[0] in DBT_COMMANDS and not set(args_list[1:]) & {"-h", "--help"}:
        args = parser.parse_args(args_list[:1])
        args.dbt_args = args_list[1:]
    else:
        args = parser.parse_args(args_list)
    return int(args.handler(args))


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
