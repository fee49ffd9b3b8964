"""Benchmark: the whole run over 30 days of orders vs one new day landed and run again.

Each repeat starts from an empty state folder (Bronze, warehouse, metastore) and runs
`lakehouse run` twice, each a fresh process and JVM as a user would:

  (a) full:        30 days x ~100,000 order lines (plus the dimension exports) landed;
                   ingest everything, `dbt build` with every test.
  (b) incremental: one more day of orders landed; ingest only the new files, then `dbt build`
                   of what changed since (a): the Bronze tables with new data and everything
                   downstream of them, with their tests (build_state.py); the fact and the wide
                   mart merge only the new lines.

Target: (b) costs at most 25 % of (a). The landing zone is generated once (31 days) and each
repeat links the files of (a) and then of (b) into its own landing folder.

    .venv/bin/python bench/bench_incremental.py                    # 30 x 100k lines, 3 repeats
    .venv/bin/python bench/bench_incremental.py --lines-per-day 10000 --days 5 --repeats 1
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

from lakehouse import cli

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
ORDERS_PER_LINE = 2.5  # the generator writes 1-5 lines per order, 2.5 on average
DEFAULT_DAYS = 30  # the size: 30 days x 100,000 order lines
DEFAULT_LINES_PER_DAY = 100_000


def landed_files(landing: Path) -> set[Path]:
    return {path.relative_to(landing) for path in landing.rglob("*.csv")}


def prepare_source(source: Path, days: int, lines_per_day: int) -> tuple[set[Path], set[Path]]:
    """Generate `days` days (the full run's files), then one more day of orders only; return
    the files of each part. Kept in `source` for later runs of the benchmark."""
    marker = source / "_parts.json"
    if marker.exists():
        parts = json.loads(marker.read_text())
        return {Path(p) for p in parts["full"]}, {Path(p) for p in parts["new_day"]}
    shutil.rmtree(source, ignore_errors=True)
    orders = str(int(lines_per_day / ORDERS_PER_LINE))
    generate = ["generate", "--landing", str(source), "--quiet"]
    assert cli.main([*generate, "--days", str(days), "--orders-per-day", orders]) == 0
    full = landed_files(source)
    assert cli.main([*generate, "--append", "--days", "1", "--dimension-exports", "0"]) == 0
    new_day = landed_files(source) - full
    marker.write_text(
        json.dumps({"full": sorted(map(str, full)), "new_day": sorted(map(str, new_day))})
    )
    return full, new_day


def link(source: Path, landing: Path, files: set[Path]) -> None:
    for relative in files:
        target = landing / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source / relative, target)


def lakehouse_run(home: Path, landing: Path, log: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "DBT_"))}
    env.update({"LAKEHOUSE_HOME": str(home), "LAKEHOUSE_LANDING": str(landing)})
    env["DBT_TARGET_PATH"] = str(home / "target")
    env["DBT_LOG_PATH"] = str(home / "logs")
    started = time.perf_counter()
    with log.open("w") as out:
        code = subprocess.run(
            [str(LAKEHOUSE), "run"], env=env, cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    elapsed = time.perf_counter() - started
    if code != 0:
        sys.exit(f"`lakehouse run` failed ({code}); see {log}")
    return elapsed


def results_file_name(days: int, lines_per_day: int) -> str:
    """The issue's size keeps `incremental.json`; other sizes (a floor measured on less data,
    say) are recorded beside it rather than over it."""
    if (days, lines_per_day) == (DEFAULT_DAYS, DEFAULT_LINES_PER_DAY):
        return "incremental.json"
    return f"incremental-{days}x{lines_per_day}.json"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days of the full run")
    parser.add_argument(
        "--lines-per-day", type=int, default=DEFAULT_LINES_PER_DAY, help="order lines a day"
    )
    parser.add_argument("--repeats", type=int, default=3, help="full + incremental pairs")
    parser.add_argument("--workdir", type=Path, default=None, help="keep data here (default: temp)")
    args = parser.parse_args()
    if args.days < 1 or args.lines_per_day < 1 or args.repeats < 1:
        parser.error("--days, --lines-per-day and --repeats must be at least 1")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    source = workdir / f"source-{args.days}x{args.lines_per_day}"
    print(f"landing zone: {source}", flush=True)
    full_files, new_day_files = prepare_source(source, args.days, args.lines_per_day)

    runs: dict[str, list[float]] = {"full": [], "incremental": []}
    for repeat in range(args.repeats):
        home = workdir / f"run-{repeat}"
        shutil.rmtree(home, ignore_errors=True)
        landing = home / "landing"
        link(source, landing, full_files)
        runs["full"].append(lakehouse_run(home, landing, home / "full.log"))
        link(source, landing, new_day_files)
        runs["incremental"].append(lakehouse_run(home, landing, home / "incremental.log"))
        print(
            f"repeat {repeat + 1}: full {runs['full'][-1]:.1f} s, "
            f"one new day {runs['incremental'][-1]:.1f} s",
            flush=True,
        )
        shutil.rmtree(home / "warehouse", ignore_errors=True)
        shutil.rmtree(home / "bronze", ignore_errors=True)

    medians = {name: statistics.median(times) for name, times in runs.items()}
    ratio = medians["incremental"] / medians["full"]
    record = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_at_end": os.getloadavg()[0],
        "days": args.days,
        "lines_per_day": args.lines_per_day,
        "runs_seconds": runs,
        "median_seconds": medians,
        "incremental_vs_full": ratio,
        "target": "one new day <= 25% of the full run",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / results_file_name(args.days, args.lines_per_day)).write_text(
        json.dumps(record, indent=2) + "\n"
    )
    line = (
        f"- {record['date'][:10]} incremental: `lakehouse run` over {args.days} days x "
        f"{args.lines_per_day:,} order lines, median {medians['full']:.0f} s; one new day landed "
        f"and run again, median {medians['incremental']:.0f} s: **{ratio:.0%}** of the full run "
        f"(target ≤ 25%); {args.repeats} runs each; {record['machine']}\n"
    )
    with (RESULTS / "README.md").open("a") as handle:
        handle.write(line)
    print(line, end="")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
