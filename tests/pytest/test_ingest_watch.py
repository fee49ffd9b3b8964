"""`lakehouse ingest --watch`: files dropped while it watches are loaded by a batch that starts
within two intervals; a file written in place over several intervals is loaded once, whole,
after it settles; a state folder held by a build is waited for; SIGTERM stops it between
batches and a restart loses and duplicates nothing.

The first test runs the watch loop in this process, on the shared session (seconds); the
second runs the real command twice, with signals (a JVM start each: the slow tier)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from bronze_helpers import generate
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lakehouse.settings import Settings
from lakehouse.state_lock import state_lock
from lakehouse.watch import Watcher, watch

INTERVAL = 3.0
SETTLE = 2.0
BATCH_LINE = re.compile(
    r"^(?P<end>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) batch (?P<number>\d+): (?P<files>\d+) file\(s\), "
    r"(?P<rows>[\d,]+) rows, (?P<quarantined>\d+) quarantined.* \((?P<seconds>[\d.]+) s\)$"
)
SMALL = ["--orders-per-day", "30", "--customers", "60", "--products", "20", "--seed", "5"]


@dataclass
class Watch:
    """A running `lakehouse ingest --watch` and the lines it has printed so far."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    seen: int = 0  # batch lines already returned by wait_for_batch

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def batches(self) -> list[re.Match[str]]:
        return [found for line in self.lines if (found := BATCH_LINE.match(line))]

    def wait_for_batch(self, loading: bool = True, timeout: float = 300) -> re.Match[str]:
        """The next batch (after those returned before) that loaded files, or any batch."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for found in self.batches()[self.seen :]:
                self.seen += 1
                if not loading or int(found["files"]):
                    return found
            assert self.process.poll() is None, self.output()
            time.sleep(0.2)
        raise AssertionError(f"no batch within {timeout} s:\n{self.output()}")

    def stop(self, timeout: float = 300) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        time.sleep(0.2)  # the reader's last lines
        return code

    def output(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def watch_settings(lakehouse_settings: Settings, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    return replace(
        lakehouse_settings,
        home=home,
        landing=str(tmp_path / "landing"),
        bronze=str(home / "bronze"),
        settle_seconds=SETTLE,
    )


@pytest.fixture
def start_watch(watch_settings: Settings) -> Iterator[object]:
    started: list[Watch] = []
    env = {
        **os.environ,
        **watch_settings.as_env(),
        "LAKEHOUSE_METASTORE": str(watch_settings.home / "metastore_db"),
    }

    def start() -> Watch:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lakehouse.cli",
                "ingest",
                "--watch",
                "--interval",
                f"{INTERVAL:g}",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(Watch(process))
        return started[-1]

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


def batch_started(found: re.Match[str]) -> float:
    """When a batch began: its line says when it ended (to the second) and how long it took."""
    ended = dt.datetime.strptime(found["end"], "%Y-%m-%d %H:%M:%S").astimezone()
    return ended.timestamp() - float(found["seconds"])


def write_slowly(source: Path, target: Path, seconds: float) -> None:
    """``source``'s bytes into ``target`` in place, a piece at a time over ``seconds``."""
    data = source.read_bytes()
    pieces = 10
    step = -(-len(data) // pieces)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        for start in range(0, len(data), step):
            handle.write(data[start : start + step])
            handle.flush()
            time.sleep(seconds / pieces)


def bronze_rows_by_file(spark: SparkSession, settings: Settings, entity: str) -> dict[str, int]:
    bronze = spark.read.format("delta").load(settings.bronze_table_path(entity))
    return {
        row._source_file: row.n
        for row in bronze.groupBy("_source_file").agg(F.count("*").alias("n")).collect()
    }


def landed_rows(landing: Path, manifest: dict[str, Any], entity: str) -> dict[str, int]:
    return {
        str((landing / entry["path"]).resolve()): entry["rows"]
        for entry in manifest["files"]
        if entry["entity"] == entity
    }


def test_what_lands_while_it_watches_is_loaded_soon_and_a_slow_file_once_whole(
    spark: SparkSession, watch_settings: Settings, tmp_path: Path
) -> None:
    landing = watch_settings.landing_dir
    generate(landing, "--days", "1", *SMALL)
    lines: list[str] = []
    # Order lines only (`--entity order_items`): what is checked here is the same for every
    # entity, and each entity costs its own Delta commits per batch.
    watcher = Watcher(spark, watch_settings, ["order_items"], 100, lines.append, lines.append)
    stop = threading.Event()
    loop = threading.Thread(target=watch, args=(watcher, INTERVAL, stop))
    loop.start()
    try:
        seen, _first = wait_for_loading_batch(lines, 0)

        # Files dropped while it watches: loaded by a batch that starts within two intervals.
        dropped_at = time.time()
        generate(landing, "--append", "--days", "1", "--dimension-exports", "0")
        seen, second = wait_for_loading_batch(lines, seen)
        assert batch_started(second) - dropped_at <= 2 * INTERVAL + 1  # the line has whole seconds

        # A file written in place over several intervals: loaded once, whole, after it settles
        # (the looks while it grows find it still being written and load nothing).
        scratch = tmp_path / "scratch"
        shutil.copytree(landing, scratch)
        later = generate(scratch, "--append", "--days", "1", "--dimension-exports", "0")
        [day] = [
            entry
            for entry in later["files"]
            if entry["entity"] == "order_items" and not (landing / entry["path"]).exists()
        ]
        write_slowly(scratch / day["path"], landing / day["path"], seconds=3 * INTERVAL)
        seen, third = wait_for_loading_batch(lines, seen)
        assert (int(third["files"]), int(third["rows"])) == (1, day["rows"]), lines
        for entry in later["files"]:  # the rest of that day, and the manifest that lists it
            if not (landing / entry["path"]).exists():
                shutil.copyfile(scratch / entry["path"], landing / entry["path"])
        shutil.copyfile(scratch / "_manifest.json", landing / "_manifest.json")

        # While another command holds the state folder (a build), it waits, says so once, and
        # loads what landed once the folder is free.
        with state_lock(watch_settings.home, "lakehouse build-changed"):
            last = generate(landing, "--append", "--days", "1", "--dimension-exports", "0")
            time.sleep(3 * INTERVAL)
            waiting = [line for line in lines[seen:] if " waiting: " in line]
            assert len(waiting) == 1 and "lakehouse build-changed" in waiting[0], lines
            assert not [line for line in lines[seen:] if BATCH_LINE.match(line)], lines
            released_at = time.time()
        seen, fourth = wait_for_loading_batch(lines, seen)
        assert batch_started(fourth) - released_at <= 2 * INTERVAL + 1
    finally:
        stop.set()
        loop.join(timeout=300)
    assert not loop.is_alive()
    expected = landed_rows(landing, last, "order_items")
    assert bronze_rows_by_file(spark, watch_settings, "order_items") == expected


def wait_for_loading_batch(
    lines: list[str], seen: int, timeout: float = 300
) -> tuple[int, re.Match[str]]:
    """The first batch line after the first ``seen`` lines that loaded files, and how many lines
    were read to find it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        while seen < len(lines):
            found = BATCH_LINE.match(lines[seen])
            seen += 1
            if found and int(found["files"]):
                return seen, found
        time.sleep(0.2)
    raise AssertionError(f"no batch loaded anything within {timeout} s: {lines}")


@pytest.mark.slow
def test_sigterm_stops_it_between_batches_and_a_restart_loses_and_duplicates_nothing(
    spark: SparkSession, watch_settings: Settings, start_watch
) -> None:
    landing = watch_settings.landing_dir
    generate(landing, "--days", "1", *SMALL)
    first = start_watch()
    first.wait_for_batch()
    assert not (watch_settings.home / "metastore_db").exists()  # builds can run beside it

    # SIGTERM while new files land (at the next look a batch waits for them to settle, then
    # loads them): it stops between batches, and a restart takes whatever is left.
    final = generate(landing, "--append", "--days", "2", "--dimension-exports", "1")
    time.sleep(INTERVAL + 0.5)
    assert first.stop() == 0, first.output()
    assert first.lines[-1].startswith("stopped after"), first.output()
    again = start_watch()
    again.wait_for_batch(loading=False)  # the first look always runs a batch
    assert again.stop() == 0, again.output()

    for entity in ("order_items", "customers", "products", "date"):
        expected = landed_rows(landing, final, entity)
        assert bronze_rows_by_file(spark, watch_settings, entity) == expected, entity
        bronze = spark.read.format("delta").load(watch_settings.bronze_table_path(entity))
        assert bronze.select("_source_file", "_source_row").distinct().count() == sum(
            expected.values()
        )
