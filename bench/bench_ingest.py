"""Benchmark: `lakehouse ingest` of the generator's order lines vs a bare Spark CSV → Delta write.

Both run in this one process on the same SparkSession, alternately, on the same files, after
one untimed warm-up run of each on three of the files; the script records rows/s for each, their
ratio (target: ingest ≥ 80 % of the bare write), and the peak memory of the process tree
(Python + Spark JVM).

A third variant measures the ceiling the Bronze contract sets: the bare write plus only the four
lineage columns every Bronze row must carry (`_source_file`, `_source_row`, `_batch_id`,
`_ingested_at`), each added the cheapest way Spark has, and nothing else (no header matching,
corrupt-record column, rescue column, ledger or ingestion log).

    .venv/bin/python bench/bench_ingest.py                      # 10 M lines (generated once)
    .venv/bin/python bench/bench_ingest.py --lines 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from java_version import java_version
from memory import PeakMemory
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ingestion.loader import ensure_bronze_tables, ingest_entity
from lakehouse import cli
from lakehouse.session import get_spark
from lakehouse.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
ORDERS_PER_LINE = 2.5  # the generator writes 1-5 lines per order, 2.5 on average


def machine() -> str:
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    java = java_version()
    return (
        f"{os.cpu_count()} CPUs, {memory_kib / 1024 / 1024:.1f} GiB RAM, "
        f"Python {platform.python_version()}, Java {java}"
    )


def bare_write(spark: SparkSession, files: list[str], target: Path, *, lineage: bool) -> None:
    frame = spark.read.option("header", "true").csv(files)
    if lineage:
        frame = with_required_lineage(frame)
    frame.write.format("delta").save(str(target))


def with_required_lineage(frame: DataFrame) -> DataFrame:
    """The bare rows plus the Bronze contract's four lineage columns, the cheapest way: the
    file's URI as Spark has it, Spark's row id, and two literals."""
    return frame.select(
        "*",
        F.expr("input_file_name()").alias("_source_file"),
        F.monotonically_increasing_id().alias("_source_row"),
        F.lit("bench-batch-000001").alias("_batch_id"),
        F.lit(datetime.now(timezone.utc)).cast("timestamp").alias("_ingested_at"),
    )


def warm_up(spark: SparkSession, settings: Settings, workdir: Path, files: list[str]) -> None:
    target = workdir / "warm-up"
    shutil.rmtree(target, ignore_errors=True)
    bare_write(spark, files, target / "bare", lineage=False)
    bare_write(spark, files, target / "bare-lineage", lineage=True)
    warm_landing = target / "landing"
    (warm_landing / "order_items").mkdir(parents=True)
    for path in files:
        shutil.copy2(path, warm_landing / "order_items")
    warm = replace(settings, landing=str(warm_landing), bronze=str(target / "bronze"))
    ensure_bronze_tables(spark, warm)
    ingest_entity(spark, warm, "order_items", progress=lambda _: None)
    shutil.rmtree(target)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=10_000_000, help="order lines to generate")
    parser.add_argument("--days", type=int, default=30, help="order files (one per day)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each variant")
    parser.add_argument("--workdir", type=Path, default=None, help="keep data here (default: temp)")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    landing = workdir / "landing"
    orders_per_day = int(args.lines / ORDERS_PER_LINE / args.days)
    if not (landing / "_manifest.json").exists():
        print(f"generating ~{args.lines:,} order lines in {landing} …", flush=True)
        cli.main(
            [
                "generate",
                "--landing",
                str(landing),
                "--days",
                str(args.days),
                "--orders-per-day",
                str(orders_per_day),
                "--dimension-exports",
                "1",
                "--quiet",
            ]
        )
    files = sorted(str(path) for path in (landing / "order_items").rglob("*.csv"))
    size = sum(Path(path).stat().st_size for path in files)

    settings = replace(Settings.from_env(), home=workdir, landing=str(landing))
    spark = get_spark(settings)
    bare_rows = spark.read.option("header", "true").csv(files).count()
    # One untimed run of each variant on a few files first: otherwise whichever runs first
    # pays the JVM's warm-up (class loading, JIT) and the first repeat measures that instead.
    warm_up(spark, settings, workdir, files[:3])
    runs: dict[str, list[float]] = {"bare": [], "bare_lineage": [], "ingest": []}
    peaks: dict[str, float] = {"bare": 0.0, "bare_lineage": 0.0, "ingest": 0.0}
    for repeat in range(args.repeats):
        for variant in ("bare", "bare_lineage"):
            target = workdir / f"{variant}-{repeat}"
            shutil.rmtree(target, ignore_errors=True)
            with PeakMemory(os.getpid()) as memory:
                started = time.perf_counter()
                bare_write(spark, files, target, lineage=variant == "bare_lineage")
                runs[variant].append(time.perf_counter() - started)
            peaks[variant] = max(peaks[variant], memory.peak_mib)
            shutil.rmtree(target)

        run_settings = replace(settings, bronze=str(workdir / f"bronze-{repeat}"))
        shutil.rmtree(run_settings.bronze, ignore_errors=True)  # left by an interrupted run
        ensure_bronze_tables(spark, run_settings)
        with PeakMemory(os.getpid()) as memory:
            started = time.perf_counter()
            result = ingest_entity(spark, run_settings, "order_items", progress=lambda _: None)
            runs["ingest"].append(time.perf_counter() - started)
        peaks["ingest"] = max(peaks["ingest"], memory.peak_mib)
        assert result.rows_loaded == bare_rows, (result.rows_loaded, bare_rows)
        shutil.rmtree(run_settings.bronze)
        print(
            f"repeat {repeat + 1}: bare {runs['bare'][-1]:.1f} s, bare + lineage "
            f"{runs['bare_lineage'][-1]:.1f} s, ingest {runs['ingest'][-1]:.1f} s",
            flush=True,
        )

    medians = {name: statistics.median(times) for name, times in runs.items()}
    rates = {name: bare_rows / seconds for name, seconds in medians.items()}
    ratio = rates["ingest"] / rates["bare"]
    ceiling = rates["bare_lineage"] / rates["bare"]
    record = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_at_end": os.getloadavg()[0],
        "rows": bare_rows,
        "files": len(files),
        "bytes": size,
        "runs_seconds": runs,
        "median_seconds": medians,
        "rows_per_second": rates,
        "ingest_vs_bare": ratio,
        "bare_lineage_vs_bare": ceiling,
        "peak_rss_mib": peaks,
        "target": "ingest >= 80% of bare write throughput",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(record, indent=2) + "\n")
    line = (
        f"- {record['date'][:10]} ingest: {bare_rows:,} order lines in {len(files)} files "
        f"({size / 1e9:.2f} GB): `lakehouse ingest` median {medians['ingest']:.1f} s "
        f"({rates['ingest']:,.0f} rows/s) vs bare `spark.read.csv().write` {medians['bare']:.1f} s "
        f"({rates['bare']:,.0f} rows/s): **{ratio:.0%}** of bare; the bare write plus only the "
        f"four required lineage columns {medians['bare_lineage']:.1f} s: {ceiling:.0%} of bare; "
        f"peak RSS {peaks['ingest']:,.0f} MiB vs {peaks['bare']:,.0f} MiB; "
        f"{args.repeats} runs each; {record['machine']}\n"
    )
    with (RESULTS / "README.md").open("a") as handle:
        handle.write(line)
    print(line, end="")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
