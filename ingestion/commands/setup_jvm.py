"""`lakehouse setup-jvm`: choose Spark's Java, build the start-up archive for it (once)."""

from __future__ import annotations

import argparse

from ingestion.java_runtime import JavaError, record_file, setup_java
from ingestion.jvm_archive import (
    ArchiveError,
    archive_path,
    build_archive,
    is_current,
    legacy_shared_archive,
)
from ingestion.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "setup-jvm",
        help="choose Spark's Java and build the start-up archive that makes Spark start faster",
        description=(
            "First choose the Java that Spark starts: JAVA_HOME when set, otherwise the newest "
            "Java that Spark supports (17, 21, 25) in /usr/lib/jvm or on PATH, recorded as a "
            "default JAVA_HOME in a .pth file of the virtual environment, so that every Spark "
            "launcher started from it (lakehouse, a plain `dbt`, the Thrift server) uses it. "
            "Then run the pipeline on sample data (twice: everything, then one more day) to write a "
            "start-up archive into the project's virtual environment (.venv/lakehouse/spark.jsa), "
            "which holds the Spark jars it is built for: on "
            "Java 25 an ahead-of-time cache with the classes loaded and linked and the run's "
            "method profiles (-XX:AOTCacheOutput), on older Java a class-data-sharing archive "
            "(-XX:ArchiveClassesAtExit). Every JVM the project starts maps it. Does nothing "
            "while the archive matches this Java, Spark and jar set; a missing or stale archive "
            "is ignored by the JVM, so nothing breaks without it. Needs the jars "
            "(`lakehouse setup-jars`) first."
        ),
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build it again even if it is up to date"
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help=(
            "print nothing when the archive is up to date (an earlier version's leftover "
            "archive is still pointed out)"
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        home, version, changed = setup_java()
    except JavaError as error:
        print(f"lakehouse: {error}")
        return 2
    if changed or not args.quiet:
        print(f"Spark's Java: {home} (Java {version}; recorded in {record_file()})")
    settings = Settings.from_env()
    if legacy := legacy_shared_archive(settings.jars_dir):
        print(
            f"note: {legacy} ({legacy.stat().st_size / 2**20:,.0f} MiB) is the start-up archive "
            "that earlier versions shared by every clone; this version keeps one in each "
            "virtual environment and never reads it. Delete its folder once no checkout of an "
            f"earlier version needs it: rm -r {legacy.parent}"
        )
    if not args.rebuild and is_current(settings.jars_dir, settings.project_dir):
        if not args.quiet:
            print(f"JVM class archive up to date: {archive_path(settings.project_dir)}")
        return 0
    print(
        "building the JVM class archive (a training run of the pipeline on sample data, "
        "about 4-6 minutes, once) …"
    )
    try:
        build_archive(settings.jars_dir, settings.project_dir, force=args.rebuild)
    except ArchiveError as error:
        print(f"lakehouse: {error}")
        return 1
    return 0
