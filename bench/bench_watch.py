"""Benchmark: does `lakehouse ingest --watch` keep a steady memory over many batches?

A landing zone with one generated day is watched (`--interval 1`, settling 1 s). Then, batch
after batch, one more day is appended (`lakehouse generate --append`: an order-items file and a
calendar export) and the script waits for the batch line that loaded it, then samples the
resident memory of the watcher's process tree (Python and the Spark JVM, bench/memory.py).
Recorded: the memory after each batch, the time from a file's landing to the end of the batch
that loaded it, and the growth over the second half of the batches (after the JVM's warm-up),
as a least-squares slope in MiB per 100 batches. Every tenth batch, the Java heap in use right
after a full collection (`jcmd <pid> GC.run`, then `GC.heap_info`): what the JVM really holds,
which resident memory (a JVM does not give back what its heap grew into) cannot say. Results go to bench/results/watch.json and a
line to bench/results/README.md.

    .venv/bin/python bench/bench_watch.py                 # 60 batches
    .venv/bin/python bench/bench_watch.py --batches 10
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import machine
from memory import tree_rss_kib

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
BATCH = re.compile(r" batch (\d+): (\d+) file\(s\), ([\d,]+) rows.*\(([\d.]+) s\)$")
SMALL = ["--orders-per-day", "200", "--customers", "200", "--products", "50", "--seed", "3"]


def slope(values: list[float]) -> float:
    """Least-squares slope of ``values`` against their index."""
    count = len(values)
    if count < 2:
        return 0.0
    mean_x, mean_y = (count - 1) / 2, statistics.fmean(values)
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    return numerator / sum((x - mean_x) ** 2 for x in range(count))


def jvm_pid(parent: int) -> int | None:
    """The Spark JVM below the watcher (pyspark starts it as a child process)."""
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        if Path(f"/proc/{child}/exe").readlink().name == "java":
            return int(child)
    return None


def heap_after_full_gc_mib(pid: int) -> float | None:
    """The Java heap in use after a full collection, from jcmd (None without a JDK)."""
    try:
        subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True, check=True)
        info = subprocess.run(
            ["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    # Parallel GC: "PSYoungGen total 1234K, used 567K" and "ParOldGen total …, used …".
    used = sum(int(found) for found in re.findall(r"used (\d+)K", info.split("Metaspace")[0]))
    return used / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=60)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-watch-") as folder:
        root = Path(folder)
        env = {
            **os.environ,
            "LAKEHOUSE_HOME": str(root / "home"),
            "LAKEHOUSE_LANDING": str(root / "landing"),
            "LAKEHOUSE_SETTLE_SECONDS": "1",
        }
        generate = [str(LAKEHOUSE), "generate", "--quiet"]
        subprocess.run([*generate, "--days", "1", *SMALL], env=env, check=True)
        watcher = subprocess.Popen(
            [str(LAKEHOUSE), "ingest", "--watch", "--interval", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert watcher.stdout is not None

        def next_loading_batch() -> tuple[int, int]:
            for line in watcher.stdout:
                found = BATCH.search(line.rstrip("\n"))
                if found and int(found[2]):
                    return int(found[2]), int(found[3].replace(",", ""))
            raise RuntimeError("the watcher ended")

        next_loading_batch()  # the first day, with the JVM's start
        java = jvm_pid(watcher.pid)
        memory_mib, latency, rows = [], [], 0
        heap_mib: dict[int, float | None] = {}
        try:
            for number in range(1, args.batches + 1):
                landed = time.monotonic()
                subprocess.run(
                    [*generate, "--append", "--days", "1", "--dimension-exports", "0"],
                    env=env,
                    check=True,
                )
                _files, loaded = next_loading_batch()
                latency.append(time.monotonic() - landed)
                rows += loaded
                memory_mib.append(tree_rss_kib(watcher.pid) / 1024)
                if java is not None and (number == 1 or number % 10 == 0):
                    heap_mib[number] = heap_after_full_gc_mib(java)
                print(
                    f"batch {number}: {loaded:,} rows, {latency[-1]:.1f} s after landing, "
                    f"{memory_mib[-1]:,.0f} MiB"
                    + (
                        f", heap after a full GC {heap_mib[number]:,.0f} MiB"
                        if heap_mib.get(number)
                        else ""
                    ),
                    flush=True,
                )
        finally:
            watcher.send_signal(signal.SIGTERM)
            watcher.wait(timeout=600)

    second_half = memory_mib[len(memory_mib) // 2 :]
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "batches": args.batches,
        "rows": rows,
        "memory_mib": [round(value, 1) for value in memory_mib],
        "latency_s": [round(value, 2) for value in latency],
        "median_latency_s": round(statistics.median(latency), 2),
        "second_half_growth_mib_per_100_batches": round(100 * slope(second_half), 1),
        "first_mib": round(memory_mib[0], 1),
        "last_mib": round(memory_mib[-1], 1),
        "max_mib": round(max(memory_mib), 1),
        "heap_after_full_gc_mib": {
            str(number): None if value is None else round(value, 1)
            for number, value in heap_mib.items()
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "watch.json").write_text(json.dumps(result, indent=2) + "\n")
    line = (
        f"- {result['date'][:10]} watch: `lakehouse ingest --watch --interval 1`, {args.batches} "
        f"batches of one appended day ({rows:,} rows): memory {result['first_mib']:,.0f} MiB "
        f"after the first, {result['last_mib']:,.0f} MiB after the last, at most "
        f"{result['max_mib']:,.0f} MiB; Java heap after a full GC at batches "
        f"{', '.join(str(n) for n in heap_mib)}: "
        f"{', '.join('?' if v is None else f'{v:,.0f}' for v in heap_mib.values())} MiB; growth over the second half "
        f"{result['second_half_growth_mib_per_100_batches']:+.1f} MiB per 100 batches; landing to "
        f"loaded, median {result['median_latency_s']:.1f} s; {result['machine']}; bench/results/watch.json\n"
    )
    with (RESULTS / "README.md").open("a") as readme:
        readme.write(line)
    print(line, end="")


if __name__ == "__main__":
    main()
