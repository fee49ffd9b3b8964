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

from ingestion.settings import SettingsError

# Subcommand modules, in the order `--help` lists them.
COMMANDS = (
    "run",
    "generate",
    "ingest",
    "build",
    "sql",
    "setup_jars",
    "setup_jvm",
    "thrift",
    "cluster",
)

EPILOG = """\
exit codes: 0 success; 1 the work failed (a dbt test, a quarantined file, a query error);
2 invalid arguments or configuration. Configuration comes from LAKEHOUSE_* environment
variables (see README.md)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakehouse",
        description="E-commerce analytics lakehouse on Apache Spark, Delta Lake and dbt.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"ingestion.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `build` hands everything after it to dbt untouched and in order, including options dbt
    # knows and we don't (argparse would reorder them); only `build --help` is ours.
    if args_list[:1] == ["build"] and not set(args_list[1:]) & {"-h", "--help"}:
        args = parser.parse_args(["build"])
        args.dbt_args = args_list[1:]
    else:
        args = parser.parse_args(args_list)
    try:
        return int(args.handler(args))
    except SettingsError as error:
        print(f"lakehouse: configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
