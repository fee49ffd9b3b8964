"""`lakehouse setup-jars`: fetch the Delta Lake jars into the local cache (once)."""

from __future__ import annotations

import argparse

from lakehouse.jars import JarsError, delta_coordinate, fetch_jars
from lakehouse.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "setup-jars",
        help="fetch the Delta Lake jars from Maven Central into the local cache",
        description=(
            f"Resolve {delta_coordinate()} and its dependencies from Maven Central with Spark's "
            "Ivy resolver and keep them in LAKEHOUSE_JARS_DIR. Does nothing when the cache is "
            "already complete; run time never downloads anything."
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        jars = fetch_jars(settings.jars_dir)
    except JarsError as error:
        print(f"lakehouse: {error}")
        return 1
    print(f"{len(jars)} Delta Lake jars ready in {settings.jars_dir}")
    return 0
