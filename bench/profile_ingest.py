"""Profile: where the CPU goes in `lakehouse ingest` against a bare `spark.read.csv().write`.

Wall time on this kind of machine varies by ±10 % from run to run, which hides a 5 % change;
CPU samples do not. The script runs both variants on the same landed order files in one
SparkSession (one untimed warm-up of each, then one profiled run of each) with async-profiler
(fetched once from Maven Central into ~/.cache/lakehouse/tools) sampling the JVM's CPU time,
and prints the samples per part of the work: CSV parsing, the `_metadata` row copy, the
projection, Parquet encoding, Delta statistics, GC and the rest. The collapsed stacks are kept
for a closer look (flame graphs, grep).

    .venv/bin/python bench/profile_ingest.py --landing /tmp/bench-ingest/landing --files 8
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from pyspark.sql import SparkSession

from ingestion.loader import ensure_bronze_tables, ingest_entity
from lakehouse.session import get_spark
from lakehouse.settings import Settings

PROFILER = "tools/profiler/async-profiler/3.0/async-profiler-3.0-linux-x64.jar"
MAVEN_CENTRAL = "https://repo1.maven.org/maven2/"
TOOLS = Path.home() / ".cache" / "lakehouse" / "tools"
RESULTS = Path(__file__).resolve().parent / "results"

# (part of the work, a frame that marks it): the first match names a sample, so the more
# specific parts come first (Delta's statistics tracker wraps the Parquet writer, for example).
PARTS = (
    ("Delta statistics", "DeltaTaskStatisticsTracker"),
    ("Parquet dictionary encoding", "DictionaryValuesWriter"),
    ("Parquet, other", "org/apache/parquet"),
    ("`_metadata` row copy", "addMetadataColumnsIfNeeded"),
    ("CSV tokenizing", "univocity"),
    ("CSV to row", "UnivocityParser"),
    ("reading lines", "FileScanRDD"),
    ("projection (generated code)", "processNext"),
)
# Samples outside Spark's tasks: the JVM's own threads, then everything else (the driver).
JVM_THREADS = (
    ("JIT compiler", "CompileBroker"),
    ("GC", "GangWorker"),
    ("GC", "G1"),
)


def profiler_library() -> Path:
    """libasyncProfiler.so, from the Maven Central jar (downloaded once)."""
    if sys.platform != "linux":
        raise SystemExit("profile_ingest.py needs Linux x64 (async-profiler's linux-x64 build)")
    library = TOOLS / "async-profiler-3.0" / "libasyncProfiler.so"
    jar = TOOLS / Path(PROFILER).name
    if not library.exists():
        TOOLS.mkdir(parents=True, exist_ok=True)
        print(f"fetching {MAVEN_CENTRAL}{PROFILER} …", flush=True)
        urllib.request.urlretrieve(MAVEN_CENTRAL + PROFILER, jar)
        with zipfile.ZipFile(jar) as archive:
            library.parent.mkdir(parents=True, exist_ok=True)
            library.write_bytes(archive.read("linux-x64/libasyncProfiler.so"))
    return library


class Profiler:
    """async-profiler inside the session's JVM, through its Java API (loaded from the jar)."""

    def __init__(self, spark: SparkSession) -> None:
        library = profiler_library()
        jvm, gateway = spark._jvm, spark.sparkContext._gateway
        assert jvm is not None and gateway is not None
        urls = gateway.new_array(jvm.java.net.URL, 1)
        urls[0] = jvm.java.net.URL((TOOLS / Path(PROFILER).name).as_uri())
        api = jvm.java.net.URLClassLoader(urls).loadClass("one.profiler.AsyncProfiler")
        parameter_types = gateway.new_array(jvm.java.lang.Class, 1)
        parameter_types[0] = jvm.java.lang.Class.forName("java.lang.String")
        arguments = gateway.new_array(jvm.java.lang.Object, 1)
        arguments[0] = str(library)
        self._profiler = api.getMethod("getInstance", parameter_types).invoke(None, arguments)

    def run(self, work: Callable[[], None], collapsed: Path) -> float:
        """Run ``work`` while sampling CPU time (itimer: no perf events needed); wall seconds."""
        self._profiler.execute("start,event=itimer,interval=5ms")
        started = time.perf_counter()
        try:
            work()
        finally:
            elapsed = time.perf_counter() - started
            self._profiler.execute(f"stop,file={collapsed},collapsed")
        return elapsed


def parts(collapsed: Path) -> dict[str, int]:
    """Samples per part of the work, from async-profiler's collapsed stacks."""
    counts: collections.Counter[str] = collections.Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if "TaskRunner.run" not in stack:
            name = next((part for part, frame in JVM_THREADS if frame in stack), "driver, other")
            counts[name] += int(samples)
            continue
        name = next((part for part, frame in PARTS if frame in stack), "other task work")
        counts[name] += int(samples)
    return dict(counts.most_common())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--landing", type=Path, required=True, help="holds order_items/*.csv")
    parser.add_argument("--files", type=int, default=8, help="how many order files (first N)")
    parser.add_argument("--out", type=Path, help="keep collapsed stacks here (default: temp)")
    args = parser.parse_args()

    files = sorted((args.landing / "order_items").rglob("*.csv"))[: args.files]
    if not files:
        raise SystemExit(f"no order files under {args.landing / 'order_items'}")
    workdir = Path(tempfile.mkdtemp(prefix="profile-ingest-"))
    out = args.out or workdir
    out.mkdir(parents=True, exist_ok=True)
    landing = workdir / "landing"
    (landing / "order_items").mkdir(parents=True)
    for path in files:
        (landing / "order_items" / path.name).symlink_to(path.resolve())

    settings = replace(Settings.from_env(), home=workdir, landing=str(landing))
    spark = get_spark(settings)
    paths = [str(path) for path in files]

    def bare() -> None:
        target = workdir / "bare"
        shutil.rmtree(target, ignore_errors=True)
        spark.read.option("header", "true").csv(paths).write.format("delta").save(str(target))

    def ingest() -> None:
        ingest_entity(spark, bronze, "order_items", progress=lambda _: None)

    bronze = replace(settings, bronze=str(workdir / "bronze"))
    profiler = Profiler(spark)
    report: dict[str, dict[str, object]] = {}
    for name, work in (("bare", bare), ("ingest", ingest)):
        for profiled in (False, True):  # an untimed warm-up run first
            if name == "ingest":  # a fresh Bronze table, created outside the measured work
                shutil.rmtree(bronze.bronze, ignore_errors=True)
                ensure_bronze_tables(spark, bronze)
            if not profiled:
                work()
                continue
            collapsed = out / f"{name}.collapsed"
            seconds = profiler.run(work, collapsed)
            samples = parts(collapsed)
            report[name] = {"wall_s": round(seconds, 1), "samples": samples}
            print(f"{name}: {seconds:.1f} s, {sum(samples.values()):,} samples", flush=True)

    names = sorted({part for entry in report.values() for part in entry["samples"]})  # type: ignore[union-attr]
    print(f"\n{'part of the work':32s} {'bare':>8s} {'ingest':>8s}")
    for part in names:
        counts = [entry["samples"].get(part, 0) for entry in report.values()]  # type: ignore[union-attr]
        print(f"{part:32s} {counts[0]:8,d} {counts[1]:8,d}")
    totals = [sum(entry["samples"].values()) for entry in report.values()]  # type: ignore[union-attr]
    print(
        f"{'total':32s} {totals[0]:8,d} {totals[1]:8,d}  (ingest / bare CPU: {totals[1] / totals[0]:.2f})"
    )
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "profiler": "async-profiler 3.0, itimer, 5 ms",
        "files": len(files),
        "lines": sum(sum(1 for _ in path.open("rb")) - 1 for path in files),
        "collapsed_stacks": str(out),
        "variants": report,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "profile_ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    with (RESULTS / "README.md").open("a") as readme:
        readme.write(
            f"- {str(result['date'])[:10]} profile: ingest vs bare write of {len(files)} order "
            f"files ({result['lines']:,} lines), CPU samples {totals[1]:,} vs {totals[0]:,} "
            f"(**{totals[1] / totals[0]:.2f}x**), parts in bench/results/profile_ingest.json; "
            f"{result['machine']}\n"
        )
    for scratch in ("landing", "bronze", "bare"):
        shutil.rmtree(workdir / scratch, ignore_errors=True)
    print(f"collapsed stacks in {out}; summary in {RESULTS / 'profile_ingest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
