"""`lakehouse ingest --watch`: ingest files as they land, until stopped.

Every interval the watcher lists the landing zone. When the listing (each file's location,
size and modification time) differs from the one of the last batch that left nothing behind,
it runs a batch and prints one line for it: the same ``ingest_entities`` as `lakehouse ingest`, so the same rules hold: a
file is taken only once complete (renamed into place, or unchanged for the settling interval),
each file is loaded exactly once, and a batch cut short by a SIGKILL is completed by the next
start. An unchanged listing costs a directory listing, not a Spark job.

The watcher shares its state folder with builds: its session has no metastore (Bronze tables
are read and written by path), and it holds the state folder's lock only while a batch runs.
A batch that finds the folder busy (a build, an ingest) is retried at the next interval.

SIGTERM and Ctrl-C stop it between batches: a batch under way is finished first.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark.sql import SparkSession

from ingestion.hadoop_landing import open_landing
from ingestion.landing import Listing, landing_listing
from ingestion.loader import EntityResult, ensure_bronze_tables, ingest_entities
from lakehouse.settings import Settings
from lakehouse.state_lock import StateBusyError, state_lock

Say = Callable[[str], None]


@dataclass(frozen=True)
class Batch:
    """What one batch did, summed over the entities."""

    files: int
    rows: int
    quarantined: int
    changed: int
    in_flight: int
    recovered: int
    seconds: float

    @classmethod
    def of(cls, results: Sequence[EntityResult], seconds: float) -> Batch:
        return cls(
            files=sum(result.files_new for result in results),
            rows=sum(result.rows_loaded for result in results),
            quarantined=sum(len(result.quarantined) for result in results),
            changed=sum(len(result.changed) for result in results),
            in_flight=sum(len(result.in_flight) for result in results),
            recovered=sum(result.recovered_batches for result in results),
            seconds=seconds,
        )

    def line(self, number: int, at: dt.datetime) -> str:
        parts = [
            f"{at:%Y-%m-%d %H:%M:%S} batch {number}: {self.files} file(s), {self.rows:,} rows, "
            f"{self.quarantined} quarantined"
        ]
        if self.changed:
            parts.append(f"{self.changed} changed after load")
        if self.in_flight:
            parts.append(f"{self.in_flight} still being written")
        if self.recovered:
            parts.append(f"{self.recovered} interrupted batch(es) completed")
        return ", ".join(parts) + f" ({self.seconds:.1f} s)"


@dataclass
class WatchTotals:
    batches: int = 0
    files: int = 0
    rows: int = 0
    quarantined: int = 0
    changed: int = 0

    def add(self, batch: Batch) -> None:
        self.batches += 1
        self.files += batch.files
        self.rows += batch.rows
        self.quarantined += batch.quarantined
        self.changed += batch.changed


@dataclass
class Watcher:
    """The watch loop's state: the listing the last complete batch saw, and the totals."""

    spark: SparkSession
    settings: Settings
    entities: Sequence[str]
    max_files_per_batch: int
    say: Say
    details: Say  # quarantine and change messages, one per file
    totals: WatchTotals = field(default_factory=WatchTotals)
    # None until a batch has run: the first look always runs one (it completes a batch that a
    # killed watcher left half done).
    settled_listing: Listing | None = None
    waiting: bool = False  # the state folder was busy at the last look (said once)

    def poll(self) -> None:
        zone = open_landing(self.spark, self.settings.landing)
        listing = landing_listing(zone, self.entities)
        if listing == self.settled_listing:
            return
        try:
            with state_lock(self.settings.home, "lakehouse ingest --watch"):
                batch = self.run_batch()
        except StateBusyError as busy:
            if not self.waiting:  # a build holds it for minutes: once, not at every look
                self.say(f"{_now():%Y-%m-%d %H:%M:%S} waiting: {busy}")
            self.waiting = True
            return
        self.waiting = False
        # A file still being written makes the next look run a batch even if the listing has
        # not moved since: by then it may have settled.
        self.settled_listing = listing if not batch.in_flight else None

    def run_batch(self) -> Batch:
        started = time.monotonic()
        ensure_bronze_tables(self.spark, self.settings)
        results = ingest_entities(
            self.spark,
            self.settings,
            self.entities,
            max_files_per_batch=self.max_files_per_batch,
            progress=lambda _message: None,  # one line per batch, below
        )
        batch = Batch.of(results, time.monotonic() - started)
        self.totals.add(batch)
        self.say(batch.line(self.totals.batches, _now()))
        for result in results:
            for _path, error in result.quarantined:
                self.details(f"  quarantined: {error}")
            for _path, error in result.changed:
                self.details(f"  changed after load: {error}")
        return batch


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (the loop ends between batches) instead of
    interrupting a batch; the previous handlers come back afterwards."""
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {number: signal.getsignal(number) for number in signals}

    def request_stop(number: int, _frame: object) -> None:
        stop.set()

    for number in signals:
        signal.signal(number, request_stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def watch(watcher: Watcher, interval: float, stop: threading.Event) -> WatchTotals:
    """Poll every ``interval`` seconds until ``stop`` is set."""
    while not stop.is_set():
        watcher.poll()
        stop.wait(interval)
    return watcher.totals
