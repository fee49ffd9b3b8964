"""`lakehouse setup-jars`: fetch the Delta Lake jars (and, when needed, the S3 connector) into
the local cache (once)."""

from __future__ import annotations

import argparse

from lakehouse.jars import JarsError, delta_coordinate, fetch_jars
from lakehouse.s3_connector import connector_coordinate, fetch_connector
from lakehouse.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "setup-jars",
        help="fetch the Delta Lake jars (and the S3 connector if needed) from Maven Central",
        description=(
            f"Resolve {delta_coordinate()} and its dependencies from Maven Central with Spark's "
            "Ivy resolver and keep them in LAKEHOUSE_JARS_DIR. When a location is s3a:// (or "
            f"with --s3), also fetch the S3 connector {connector_coordinate()} and the AWS SDK "
            "bundle it declares (about 690 MB) into LAKEHOUSE_JARS_DIR/s3. Does nothing when "
            "the cache is already complete; run time never downloads anything."
        ),
    )
    parser.add_argument(
        "--s3",
        action="store_true",
        help="fetch the S3 connector even though no location is s3a:// yet",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        jars = fetch_jars(settings.jars_dir)
        print(f"{len(jars)} Delta Lake jars ready in {settings.jars_dir}")
        if args.s3 or settings.uses_s3:
            connector = fetch_connector(settings.s3_jars_dir)
            print(f"{len(connector)} S3 connector jars ready in {settings.s3_jars_dir}")
    except JarsError as error:
        print(f"lakehouse: {error}")
        return 1
    return 0
