"""`lakehouse setup-jvm`: build the JVM class archive that shortens every Spark start (once)."""

from __future__ import annotations

import argparse

from ingestion.jvm_archive import ArchiveError, archive_path, build_archive, is_current
from ingestion.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "setup-jvm",
        help="build the JVM class archive that makes Spark start faster (once)",
        description=(
            "Run a short Spark job (sample data, Delta writes, a merge) under Java's "
            "-XX:ArchiveClassesAtExit and keep the class-data-sharing archive it writes next to "
            "the jar cache (LAKEHOUSE_JARS_DIR/../jvm/spark.jsa). Every JVM the project starts "
            "maps it instead of loading those classes one by one. Does nothing while the archive "
            "matches this Java, Spark and jar set; a missing or stale archive is ignored by the "
            "JVM, so nothing breaks without it. Needs the jars (`lakehouse setup-jars`) first."
        ),
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build it again even if it is up to date"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print nothing when the archive is up to date"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not args.rebuild and is_current(settings.jars_dir):
        if not args.quiet:
            print(f"JVM class archive up to date: {archive_path(settings.jars_dir)}")
        return 0
    print("building the JVM class archive (a short Spark training run, about two minutes, once) …")
    try:
        build_archive(settings.jars_dir, settings.project_dir, force=args.rebuild)
    except ArchiveError as error:
        print(f"lakehouse: {error}")
        return 1
    return 0
