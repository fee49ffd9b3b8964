"""Benchmark `lakehouse generate`: wall time, order lines per second and peak memory at two sizes
(memory must stay flat as the size grows: the files are streamed, never held in memory).

    .venv/bin/python bench/bench_generator.py                  # 1M and 10M order lines
    .venv/bin/python bench/bench_generator.py --lines 200000   # a quick look

Each size runs `python -m generator` in a child process writing to a temporary folder
(deleted afterwards). Peak memory is measured two ways: the sum of the resident set sizes of the
whole process tree (generator + its workers), sampled from /proc every 50 ms, and the largest
single process's peak (``ru_maxrss`` from ``os.wait4`` on the child). Results go to
``bench/results/generator.json``; one human-readable line per size is appended to
``bench/results/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MEAN_LINES_PER_ORDER = 2.5


def machine() -> dict[str, object]:
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
    total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(total_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree_rss_kb(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
        stack += _children(pid)
    return total


def measure(lines: int, orders_per_day: int, workers: int | None) -> dict[str, object]:
    days = max(1, round(lines / (orders_per_day * MEAN_LINES_PER_ORDER)))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-generator-") as folder:
        landing = Path(folder) / "landing"
        command = [
            sys.executable, "-m", "generator", "--landing", str(landing),
            "--days", str(days), "--orders-per-day", str(orders_per_day), "--seed", "1", "--quiet",
        ]  # fmt: skip
        if workers:
            command += ["--workers", str(workers)]
        peak = {"tree_kb": 0}
        finished = threading.Event()
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT)

        def sample() -> None:
            while not finished.is_set():
                peak["tree_kb"] = max(peak["tree_kb"], _tree_rss_kb(process.pid))
                finished.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4 gives this child's own resource usage (its peak RSS, including the workers it
        # waited for), not the accumulated maximum over every child this script ever had.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        finished.set()
        sampler.join()
        code = os.waitstatus_to_exitcode(status)
        process.returncode = code
        if code != 0:
            raise SystemExit(f"generator failed with exit code {code}: {' '.join(command)}")
        manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
        written = manifest["entities"]["order_items"]["rows"]
        size = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    return {
        "target_lines": lines,
        "order_lines": written,
        "days": days,
        "orders_per_day": orders_per_day,
        "workers": workers or os.cpu_count(),
        "wall_seconds": round(wall, 2),
        "lines_per_second": round(written / wall),
        "peak_rss_tree_mib": round(peak["tree_kb"] / 1024, 1),
        "peak_rss_largest_process_mib": round(usage.ru_maxrss / 1024, 1),
        "bytes_written": size,
        # Other work on the machine slows the run down: the 1-minute load before and after.
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--lines", type=int, nargs="+", default=[1_000_000, 10_000_000],
        help="order line counts to generate, smallest first (default: 1000000 10000000)",
    )  # fmt: skip
    parser.add_argument("--orders-per-day", type=int, default=40_000, help="(default: 40000)")
    parser.add_argument(
        "--workers", type=int, help="generator --workers (default: its own, all CPUs)"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "generator.json",
        help="results file (default: bench/results/generator.json)",
    )  # fmt: skip
    args = parser.parse_args()
    host = machine()
    runs = []
    for lines in sorted(args.lines):
        print(f"bench: generating ~{lines:,} order lines ...", file=sys.stderr, flush=True)
        result = measure(lines, args.orders_per_day, args.workers)
        print(f"bench: {json.dumps(result)}", file=sys.stderr, flush=True)
        runs.append(result)
    report = {
        "benchmark": "lakehouse generate",
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": host,
        "runs": runs,
        "target": "10M order lines in < 300 s on 2 cores, memory flat as the size grows",
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    readme = args.output.parent / "README.md"
    if not readme.exists():
        readme.write_text(
            "# Benchmark results\n\nOne line per measured run, newest last.\n\n", encoding="utf-8"
        )
    with readme.open("a", encoding="utf-8") as handle:
        for run in runs:
            handle.write(
                f"- {report['recorded_at'][:10]} generator: {run['order_lines']:,} order lines in "
                f"{run['wall_seconds']} s ({run['lines_per_second']:,} lines/s, {run['workers']} workers), "
                f"peak RSS {run['peak_rss_tree_mib']} MiB (process tree) / "
                f"{run['peak_rss_largest_process_mib']} MiB (largest process); "
                f"{host['nproc']} CPUs ({host['cpu']}), {host['memory_gib']} GiB RAM, "
                f"Python {host['python']}, 1-min load {run['load_average_1m'][0]} before, "
                f"{run['load_average_1m'][1]} after\n"
            )
    print(f"bench: wrote {args.output} and {readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
