"""Benchmark: the analyst loop, `dbt build -s <mart>`, warm Thrift server vs cold local JVM.

Each run is a fresh `dbt build -s <model>` process from the project folder, as an analyst types
it. The embedded `prod` target ("local" below) starts Spark inside that process (a cold JVM
every time); `prod_thrift` ("thrift") talks to a Spark Thrift Server that is already up and warmed by one untimed run. Both
work on the same state folder (a temporary one by default), prepared by one untimed
`lakehouse run` (sample data, ingestion, full build) so that the model's parents exist.
Medians go to bench/results/thrift.json and a line is appended to bench/results/README.md.
Target: warm Thrift under 10 s.

    .venv/bin/python bench/bench_thrift.py                         # dim_currencies, 5 runs each
    .venv/bin/python bench/bench_thrift.py --model revenue_trend --runs 7
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from java_version import java_version

from lakehouse.settings import Settings
from lakehouse.thrift.process import free_port

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
# The two loops, by connection: the embedded production target and its Thrift twin.
PROD_TARGETS = {"local": "prod", "thrift": "prod_thrift"}
BIN = Path(sys.executable).parent
TARGET_SECONDS = 10.0


def machine() -> dict[str, object]:
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "java": java_version(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


def versions() -> dict[str, str]:
    return {
        name: metadata.version(name) for name in ("pyspark", "delta-spark", "dbt-core", "dbt-spark")
    }


def run(command: list[str], env: Mapping[str, str], what: str) -> float:
    """Run ``command`` from the project folder; its wall time in seconds (fails loudly)."""
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=PROJECT, env=dict(env), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise SystemExit(f"{what} failed (exit {result.returncode}):\n{tail}")
    return elapsed


def summary(runs: list[float]) -> dict[str, object]:
    return {
        "runs_s": [round(value, 2) for value in runs],
        "median_s": round(statistics.median(runs), 2),
        "min_s": round(min(runs), 2),
        "max_s": round(max(runs), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="dim_currencies", help="the mart to build (-s)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per target")
    parser.add_argument("--days", type=int, default=7, help="sample data: order days")
    parser.add_argument("--orders-per-day", type=int, default=200, help="sample data: orders/day")
    parser.add_argument("--home", type=Path, help="state folder (default: a temporary one)")
    parser.add_argument("--master", default="local[2]", help="Spark master for both targets")
    parser.add_argument("--driver-memory", default="1g", help="driver memory for both targets")
    parser.add_argument(
        "--no-record", action="store_true", help="print the result; write nothing to results/"
    )
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="bench-thrift-"))
    settings = Settings.from_env(
        {
            "LAKEHOUSE_PROJECT_DIR": str(PROJECT),
            "LAKEHOUSE_HOME": str(home),
            "LAKEHOUSE_SPARK_MASTER": args.master,
            "LAKEHOUSE_DRIVER_MEMORY": args.driver_memory,
            "LAKEHOUSE_SHUFFLE_PARTITIONS": "2",
            "LAKEHOUSE_THRIFT_PORT": str(free_port()),
            "LAKEHOUSE_LANDING": str(home / "landing"),
        }
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "DBT_"))}
    base.update(settings.as_env())
    # Each target keeps its own dbt target/ folder, so partial parsing stays warm in both loops.
    artifacts = home / "bench-dbt"
    env = {
        target: {
            **base,
            # The production target on each connection, for `lakehouse` and a plain `dbt`.
            "LAKEHOUSE_DBT_TARGET": PROD_TARGETS[target],
            "DBT_TARGET": PROD_TARGETS[target],
            "DBT_TARGET_PATH": str(artifacts / target / "target"),
            "DBT_LOG_PATH": str(artifacts / target / "logs"),
        }
        for target in ("local", "thrift")
    }
    dbt = [str(BIN / "dbt"), "build", "-s", args.model]
    info = machine()
    print(f"state folder {home}; {info['nproc']} CPUs, {info['memory_gib']} GiB", flush=True)

    print("preparing: sample data, ingestion and a full build (`lakehouse run`) …", flush=True)
    sample = ["--days", str(args.days), "--orders-per-day", str(args.orders_per_day)]
    setup_s = run([str(BIN / "lakehouse"), "run", *sample], env["local"], "the preparing run")

    local_runs = []
    run(dbt, env["local"], "local warm-up")  # parses the project into target/ once
    for index in range(args.runs):
        local_runs.append(run(dbt, env["local"], f"local run {index + 1}"))
        print(f"  local (cold JVM) run {index + 1}: {local_runs[-1]:.2f} s", flush=True)

    thrift_runs: list[float] = []
    start_s = run(
        [str(BIN / "lakehouse"), "thrift", "start"], env["thrift"], "`lakehouse thrift start`"
    )
    print(f"  thrift server started in {start_s:.1f} s", flush=True)
    try:
        run(dbt, env["thrift"], "thrift warm-up")
        for index in range(args.runs):
            thrift_runs.append(run(dbt, env["thrift"], f"thrift run {index + 1}"))
            print(f"  thrift (warm server) run {index + 1}: {thrift_runs[-1]:.2f} s", flush=True)
    finally:
        subprocess.run(
            [str(BIN / "lakehouse"), "thrift", "stop"], env=env["thrift"], cwd=PROJECT, check=False
        )

    result = {
        "benchmark": "dbt build -s <model>: warm Thrift server vs local target (cold JVM)",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": args.model,
        "command": " ".join(["dbt", "build", "-s", args.model]),
        "runs_per_target": args.runs,
        "master": args.master,
        "driver_memory": args.driver_memory,
        "machine": info,
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "versions": versions(),
        "sample_data": {"days": args.days, "orders_per_day": args.orders_per_day},
        "prepare_run_s": round(setup_s, 2),
        "thrift_server_start_s": round(start_s, 2),
        "local_cold_jvm": summary(local_runs),
        "thrift_warm_server": summary(thrift_runs),
        "speedup": round(statistics.median(local_runs) / statistics.median(thrift_runs), 2),
        "target_s": TARGET_SECONDS,
        "thrift_meets_target": statistics.median(thrift_runs) < TARGET_SECONDS,
    }
    print(json.dumps(result, indent=2))
    if not args.no_record:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "thrift.json").write_text(json.dumps(result, indent=2) + "\n")
        append_readme_line(result)
    if args.home is None:
        shutil.rmtree(home, ignore_errors=True)
    return 0


def append_readme_line(result: dict[str, object]) -> None:
    readme = RESULTS / "README.md"
    if not readme.exists():
        readme.write_text("# Benchmark results\n\nOne line per measured run, newest last.\n\n")
    info = result["machine"]
    local = result["local_cold_jvm"]
    thrift = result["thrift_warm_server"]
    assert isinstance(info, dict) and isinstance(local, dict) and isinstance(thrift, dict)
    line = (
        f"- {str(result['date'])[:10]} thrift: `dbt build -s {result['model']}` median "
        f"{thrift['median_s']} s on a warm Thrift server vs {local['median_s']} s on the local "
        f"target (cold JVM), {result['runs_per_target']} runs each, {result['master']}, driver "
        f"{result['driver_memory']} (target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if result['thrift_meets_target'] else 'missed'}); {info['nproc']} CPUs "
        f"({info['cpu']}), {info['memory_gib']} GiB RAM, Java {info.get('java', '?')}, load "
        f"{info['load_average_at_start']} at start; bench/results/thrift.json\n"
    )
    with readme.open("a") as out:
        out.write(line)


if __name__ == "__main__":
    sys.exit(main())
