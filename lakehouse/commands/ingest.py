"""`lakehouse ingest`: land new CSV files into the Bronze Delta tables, exactly once."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from ingestion.contract import ENTITIES
from ingestion.hadoop_landing import open_landing
from ingestion.loader import EntityResult, ensure_bronze_tables, ingest_entities
from lakehouse.result_format import render_table
from lakehouse.session import get_spark
from lakehouse.settings import Settings
from lakehouse.watch import Watcher, stop_on_signals, watch

# Seconds between looks at the landing zone in --watch mode: a listing costs little; a batch
# starts at most this long after a file is complete.
DEFAULT_INTERVAL = 10.0

DESCRIPTION = """\
Load every newly landed file of each entity from <landing>/<entity>/**/*.csv into its
path-based Bronze Delta table (<LAKEHOUSE_BRONZE>/<entity>), exactly once:

  * every contract column is kept as a string exactly as landed; lineage columns
    _source_file, _source_row, _batch_id, _ingested_at, _file_modified_at on every row;
  * columns not in the contract go to _rescued_data (JSON); a line that does not parse for
    the header is kept whole in _corrupt_record;
  * a file missing contract columns is loaded with nulls and flagged; a file whose header
    matches the contract not at all is quarantined (left in place, recorded with the error)
    while the other files load; empty and header-only files are recorded;
  * a file is read only once complete: renamed into place (names starting with . or _ and
    names not ending in .csv are never read), or unchanged for LAKEHOUSE_SETTLE_SECONDS;
  * files already recorded in the ingestion log (<LAKEHOUSE_BRONZE>/_ingestion_log) are never
    read again; one that changed since it was loaded is reported as changed_after_load (exit
    1), not reloaded; a file Spark cannot read is quarantined and the others still load;
    a run that was killed part-way is completed by the next one.

Progress goes to stderr, the summary table to stdout.

With --watch it keeps running: every --interval seconds it looks at the landing zone and, when
files have landed or changed, runs a batch under the same rules, printing one line per batch
(files, rows, quarantined). It holds the state folder's lock only while a batch runs and never
opens the metastore, so builds (`lakehouse run`, a scheduler) can run beside it. SIGTERM or
Ctrl-C stops it between batches; after a SIGKILL, the next start completes the cut batch."""

EPILOG = """\
exit codes: 0 all files loaded (or nothing new), or --watch stopped by a signal; 1 a file was
quarantined (0 with --allow-quarantined) or changed after it was loaded; 2 invalid arguments or
configuration; 75 another command is using the state folder."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="load newly landed CSV files into the Bronze Delta tables",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--landing",
        metavar="DIR",
        help="landing zone to read: a folder or s3a:// URI (default: LAKEHOUSE_LANDING)",
    )
    parser.add_argument(
        "--entity",
        action="append",
        choices=ENTITIES,
        metavar="ENTITY",
        help=f"only this entity; repeat for several (default: all of {', '.join(ENTITIES)})",
    )
    parser.add_argument(
        "--max-files-per-batch",
        type=_positive,
        default=100,
        metavar="N",
        help="files committed together in one Delta transaction (default: 100)",
    )
    parser.add_argument(
        "--allow-quarantined",
        action="store_true",
        help="exit 0 even when a file was quarantined",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="keep running: ingest files as they land, until SIGTERM or Ctrl-C",
    )
    parser.add_argument(
        "--interval",
        type=_positive_seconds,
        metavar="S",
        help=f"with --watch: seconds between looks at the landing zone (default: {DEFAULT_INTERVAL:g})",
    )
    parser.set_defaults(handler=run)


def _positive_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number of seconds above 0")
    return value


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def summary_table(results: list[EntityResult]) -> str:
    columns = [
        "entity",
        "files new",
        "rows loaded",
        "malformed",
        "rescued",
        "flagged",
        "empty",
        "quarantined",
    ]
    rows = [
        (
            result.entity,
            result.files_new,
            f"{result.rows_loaded:,}",
            f"{result.rows_malformed:,}",
            f"{result.rows_rescued:,}",
            result.files_flagged,
            result.files_empty,
            len(result.quarantined),
        )
        for result in results
    ]
    return render_table(columns, rows)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env().with_landing(args.landing)
    if settings.landing_is_local and not settings.landing_dir.is_dir():
        print(
            f"lakehouse ingest: landing zone {settings.landing} does not exist; "
            "pass --landing DIR or set LAKEHOUSE_LANDING (or run `lakehouse generate`)",
            file=sys.stderr,
        )
        return 2
    entities = args.entity or list(ENTITIES)
    if args.watch:
        interval = DEFAULT_INTERVAL if args.interval is None else args.interval
        return watch_landing(settings, entities, args.max_files_per_batch, interval)
    if args.interval is not None:
        print("lakehouse ingest: --interval goes with --watch", file=sys.stderr)
        return 2
    return ingest(settings, entities, args.max_files_per_batch, args.allow_quarantined)


def watch_landing(
    settings: Settings, entities: list[str], max_files_per_batch: int, interval: float
) -> int:
    """`--watch`: batches until SIGTERM or Ctrl-C (see lakehouse.watch)."""

    def say(message: str) -> None:
        print(message, flush=True)

    def details(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    stop = threading.Event()
    with stop_on_signals(stop):
        # Signals stop the loop from here on, including during Spark's start.
        spark = get_spark(settings, metastore=False, long_running=True)
        settle = f", files complete once unchanged for {settings.settle_seconds:g} s"
        say(
            f"watching {settings.landing} -> {settings.bronze} every {interval:g} s"
            f"{settle if settings.landing_is_local else ''}; SIGTERM or Ctrl-C stops"
        )
        watcher = Watcher(spark, settings, entities, max_files_per_batch, say, details)
        totals = watch(watcher, interval, stop)
    say(
        f"stopped after {totals.batches} batch(es): {totals.files} file(s), "
        f"{totals.rows:,} rows, {totals.quarantined} quarantined"
    )
    return 0


def ingest(
    settings: Settings,
    entities: list[str],
    max_files_per_batch: int = 100,
    allow_quarantined: bool = False,
) -> int:
    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    spark = get_spark(settings)
    progress(f"ingesting {settings.landing} -> {settings.bronze}")
    if not settings.landing_is_local and not open_landing(spark, settings.landing).exists():
        # An object store has no folders to be missing: say so, in case the URI has a typo.
        progress(f"note: nothing has landed under {settings.landing} yet")
    ensure_bronze_tables(spark, settings)
    results = ingest_entities(
        spark, settings, entities, max_files_per_batch=max_files_per_batch, progress=progress
    )
    print(summary_table(results))
    elapsed = time.monotonic() - started
    total = sum(result.rows_loaded for result in results)
    print(f"{total:,} rows loaded in {elapsed:.1f} s")
    quarantined = [item for result in results for item in result.quarantined]
    for _path, error in quarantined:
        print(f"quarantined: {error}", file=sys.stderr)
    changed = [item for result in results for item in result.changed]
    for _path, error in changed:
        print(f"changed after load: {error}", file=sys.stderr)
    in_flight = sum(len(result.in_flight) for result in results)
    if in_flight:
        print(f"{in_flight} file(s) still being written, left for a later run", file=sys.stderr)
    if changed or (quarantined and not allow_quarantined):
        return 1
    return 0
