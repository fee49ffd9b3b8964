"""Benchmark: what the JVM's class-data archive saves per command (lakehouse/jvm_archive.py).

On one state folder (generated and built first), alternating with and without the archive
(`LAKEHOUSE_JVM_ARCHIVE=true|false`), each a fresh process and JVM as a user would start:

  cold query:  `lakehouse sql "select count(*) from gold.fct_order_items"`;
  floor day:   one more day of ~1,000 order lines landed, then `lakehouse run`.

The archive is removed first and written by the first command with it on (that command's
extra time, the one-off cost, is reported apart). Medians and the saving per command go to
bench/results/jvm-archive.json and a line to bench/results/README.md.

    .venv/bin/python bench/bench_jvm_archive.py                  # 3 days x 2,500 lines, 3 pairs
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import machine

from lakehouse.jvm_archive import ARCHIVE_FOLDER

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
LINES_PER_ORDER = 2.5  # the generator writes 1-5 lines per order, 2.5 on average
FLOOR_ORDERS = 400  # ~1,000 order lines
QUERY = "select count(*) from gold.fct_order_items"


def timed(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(LAKEHOUSE), *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - start, 2)


def floor_day(env: dict[str, str]) -> float:
    """Land one more day of ~1,000 lines (untimed), then time `lakehouse run`."""
    append = ["generate", "--append", "--days", "1", "--dimension-exports", "0", "--quiet"]
    timed(env, *append, "--orders-per-day", str(FLOOR_ORDERS))
    return timed(env, "run")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=3, help="order days of the built state")
    parser.add_argument("--lines-per-day", type=int, default=2_500, help="order lines a day")
    parser.add_argument("--pairs", type=int, default=3, help="with/without pairs per command")
    args = parser.parse_args()
    if args.days < 1 or args.lines_per_day < 1 or args.pairs < 1:
        parser.error("--days, --lines-per-day and --pairs must be at least 1")

    workdir = Path(tempfile.mkdtemp(prefix="bench-jvm-archive-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "DBT_"))}
    env.update({"LAKEHOUSE_HOME": str(workdir), "PYTHONUNBUFFERED": "1"})
    without = {**env, "LAKEHOUSE_JVM_ARCHIVE": "false"}
    with_archive = {**env, "LAKEHOUSE_JVM_ARCHIVE": "true"}
    orders = str(round(args.lines_per_day / LINES_PER_ORDER))
    print(f"state: {workdir}; building {args.days} days x {args.lines_per_day:,} lines", flush=True)
    timed(without, "generate", "--days", str(args.days), "--orders-per-day", orders, "--quiet")
    timed(without, "run")

    shutil.rmtree(ARCHIVE_FOLDER, ignore_errors=True)
    first = {"cold_query": timed(with_archive, "sql", QUERY)}  # writes the archive at its exit
    archive = sorted(ARCHIVE_FOLDER.glob("*.jsa"))
    seconds: dict[str, dict[str, list[float]]] = {
        "cold_query": {"without": [], "with": []},
        "floor_day": {"without": [], "with": []},
    }
    for pair in range(args.pairs):
        # Alternate which goes first, so that neither always follows the other.
        order = [("without", without), ("with", with_archive)]
        for name, pair_env in order if pair % 2 == 0 else reversed(order):
            seconds["cold_query"][name].append(timed(pair_env, "sql", QUERY))
            seconds["floor_day"][name].append(floor_day(pair_env))
            print(
                f"pair {pair + 1} {name}: {seconds['cold_query'][name][-1]} s query, "
                f"{seconds['floor_day'][name][-1]} s floor day",
                flush=True,
            )

    medians = {
        command: {name: round(statistics.median(values), 2) for name, values in runs.items()}
        for command, runs in seconds.items()
    }
    record = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "days": args.days,
        "lines_per_day": args.lines_per_day,
        "archive_bytes": archive[0].stat().st_size if archive else 0,
        "first_command_seconds": first,
        "seconds": seconds,
        "median_seconds": medians,
        "saved_seconds": {
            command: round(values["without"] - values["with"], 2)
            for command, values in medians.items()
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "jvm-archive.json").write_text(json.dumps(record, indent=1) + "\n")
    query, day = medians["cold_query"], medians["floor_day"]
    line = (
        f"- {record['date'][:10]} jvm archive: medians of {args.pairs}, without vs with the "
        f"JVM's class-data archive ({record['archive_bytes'] / 2**20:,.0f} MiB): cold "
        f"`lakehouse sql` {query['without']:.1f} vs {query['with']:.1f} s, `lakehouse run` of a "
        f"~1,000-line day {day['without']:.1f} vs {day['with']:.1f} s; the command that wrote it "
        f"{first['cold_query']:.1f} s; {args.days} days x {args.lines_per_day:,} lines; "
        f"{record['machine']}; bench/results/jvm-archive.json\n"
    )
    with (RESULTS / "README.md").open("a") as handle:
        handle.write(line)
    print(line, end="")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
