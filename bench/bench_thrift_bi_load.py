"""Benchmark: the Spark Thrift Server under BI load, with dbt builds running through it.

What it does, on a state folder of its own (``--home``, default a new temporary folder; every
child process gets LAKEHOUSE_HOME set to it and LAKEHOUSE_THRIFT_PORT set to a free port, so
the project's own ``.lakehouse/`` is never touched):

1. builds the lakehouse on the embedded Spark: ``lakehouse run --days 3 --orders-per-day 300``
   (sample data, ingestion, the whole dbt build);
2. lands one more day (``lakehouse generate --append --days 1``) and ingests it into Bronze
   (``lakehouse ingest``) *before* the server starts: ingestion needs the embedded session,
   and while the server runs it owns the Derby metastore of the state folder;
3. starts the server (``lakehouse thrift start``) and warms it with each BI query twice;
4. runs ``--clients`` (16) client threads for ``--seconds`` (300), each with its own PyHive
   connection (auth mode none, as ``lakehouse/thrift/probe.py`` connects), looping over a mix
   of typical BI queries on Gold; a failed query is counted and the client reconnects;
5. meanwhile, after ``--build-delay`` seconds of BI-only load, dbt builds run *through the
   server*, one after the other, until the load period ends: first
   ``lakehouse build --target prod_thrift <--first-build-args>`` (default
   ``--select source:bronze.order_items+``: the new Bronze day's order lines through staging
   and quarantine, the fact and every mart that reads it, 11 models and 63 tests; the
   day's dimension exports stay in Bronze, so more order lines point to the unknown members,
   which warn; a whole-project build, 172 nodes, had done 18 of them after 170 s under this
   load on 2 cores), then
   ``lakehouse build --target prod_thrift <--build-args>`` (default
   ``--select marts --full-refresh``: every Gold table replaced under the readers). The
   clients stop after ``--seconds``; a build still running then is waited for (no clients
   any more) and the report says how many of its seconds ran under load;
6. samples the resident memory of the server's JVM (pid from ``<home>/thrift/server.pid``)
   every second from start to stop;
7. stops the server (``lakehouse thrift stop``), also on failure or Ctrl-C, and prints total
   and failed queries, p50/p95/p99 latency overall, per query kind and with/without a build
   running, queries per second, the server's peak and final RSS and every build's wall time
   and exit code. Results go to bench/results/thrift-bi-load.json and .md (``--no-record``:
   print only).

Success (exit 0): no failed query, no failed connection, every build exited 0.

    .venv/bin/python bench/bench_thrift_bi_load.py                       # 300 s, 16 clients
    .venv/bin/python bench/bench_thrift_bi_load.py --seconds 30 --build-delay 5 --no-record
    .venv/bin/python bench/bench_thrift_bi_load.py --home /tmp/bi-load --keep-home

A temporary state folder is removed after a successful run (kept with ``--keep-home``, or when
anything failed, for its logs: ``<home>/thrift/server.log``, ``<home>/bench-logs/``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

from bench_thrift import machine, versions
from memory import tree_rss_kib

from lakehouse.settings import Settings
from lakehouse.thrift import server
from lakehouse.thrift.probe import connect
from lakehouse.thrift.process import connect_host, free_port

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
BIN = Path(sys.executable).parent
LAKEHOUSE = str(BIN / "lakehouse")

# Typical BI questions on Gold (models/marts/**): dashboards read the marts, ad-hoc analysis
# aggregates the fact and joins it to the dimensions.
QUERIES: dict[str, str] = {
    "daily_sales_by_channel": "select * from gold.daily_sales_by_channel order by 1",
    "revenue_by_day": (
        "select transaction_date, count(distinct transaction_id) as orders, "
        "sum(quantity) as units, sum(net_amount_inr) as revenue_inr "
        "from gold.fct_order_items group by transaction_date order by transaction_date"
    ),
    "revenue_by_product": (
        "select product_id, sum(quantity) as units, sum(net_amount_inr) as revenue_inr "
        "from gold.fct_order_items group by product_id order by revenue_inr desc limit 50"
    ),
    "top_products": (
        "select product_id, sku, brand_name, category_name, units, revenue_inr "
        "from gold.product_performance order by revenue_inr desc nulls last limit 10"
    ),
    "category_by_month": (
        "select p.category_name, d.year, d.month_name, sum(f.net_amount_inr) as revenue_inr "
        "from gold.fct_order_items f "
        "join gold.dim_products p on f.product_key = p.product_key "
        "join gold.dim_date d on f.date_id = d.date_id "
        "group by 1, 2, 3 order by revenue_inr desc"
    ),
    "region_by_channel": (
        "select c.region, f.channel, count(distinct f.transaction_id) as orders, "
        "sum(f.net_amount_inr) as revenue_inr "
        "from gold.fct_order_items f join gold.dim_customers c on f.customer_key = c.customer_key "
        "group by 1, 2 order by revenue_inr desc"
    ),
    "customer_segments": (
        "select segment, count(*) as customers, sum(revenue_inr) as revenue_inr, "
        "avg(orders) as average_orders from gold.customer_segments "
        "group by segment order by revenue_inr desc"
    ),
    "revenue_trend": (
        "select * from gold.revenue_trend where period_grain = 'week' order by period_start"
    ),
    "brand_leaders": (
        "select category_name, brand_name, revenue_inr, revenue_rank_in_category "
        "from gold.brand_performance where revenue_rank_in_category <= 3 "
        "order by category_name, revenue_rank_in_category"
    ),
}
FACT_STATS = (
    "select count(*), count(distinct transaction_date), min(transaction_date), "
    "max(transaction_date) from gold.fct_order_items"
)

# TOperationState (TCLIService.ttypes): INITIALIZED, RUNNING, PENDING wait; FINISHED is done.
PENDING_STATES = {0, 1, 7}
FINISHED_STATE = 2
STATE_NAMES = {3: "CANCELED", 4: "CLOSED", 5: "ERROR", 6: "UNKNOWN", 8: "TIMEDOUT"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DBT_DONE = re.compile(r"Done\. (PASS=\d+ WARN=\d+ ERROR=\d+ SKIP=\d+(?: NO-OP=\d+)? TOTAL=\d+)")


class QueryError(RuntimeError):
    """The server answered the statement with an error (the connection itself is fine)."""


# -- the clients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    kind: str
    client: int
    start_s: float  # since the load began
    latency_s: float
    ok: bool
    rows: int = 0
    polls: int = 0
    error: str = ""


@dataclass
class ClientStats:
    samples: list[Sample] = field(default_factory=list)
    connects: int = 0
    connect_failures: int = 0
    connect_errors: list[str] = field(default_factory=list)


def run_query(connection: Any, sql: str, timeout: float) -> tuple[int, int]:
    """Run ``sql`` as dbt-spark and JDBC BI drivers do (asynchronously, polling until it is
    done; the server long-polls each status call) and fetch every row: (rows, polls)."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql, async_=True)
        deadline = time.monotonic() + timeout
        polls = 0
        while True:
            asked = time.monotonic()
            status = cursor.poll()
            polls += 1
            if status.operationState not in PENDING_STATES:
                break
            if time.monotonic() > deadline:
                with contextlib.suppress(Exception):
                    cursor.cancel()
                raise TimeoutError(f"no answer within {timeout:.0f} s")
            if time.monotonic() - asked < 0.05:  # no long poll: do not spin
                time.sleep(0.05)
        if status.errorMessage or status.operationState != FINISHED_STATE:
            state = STATE_NAMES.get(status.operationState, str(status.operationState))
            raise QueryError(status.errorMessage or f"statement ended in state {state}")
        return len(cursor.fetchall()), polls
    finally:
        with contextlib.suppress(Exception):
            cursor.close()


def short(error: BaseException) -> str:
    text = " ".join((str(error) or type(error).__name__).split())
    return f"{type(error).__name__}: {text[:400]}"


class Client(threading.Thread):
    """One BI user: one connection, queries in a loop, reconnects after any failure."""

    def __init__(
        self,
        index: int,
        host: str,
        port: int,
        user: str,
        *,
        t0: float,
        stop: threading.Event,
        query_timeout: float,
    ) -> None:
        super().__init__(name=f"bi-client-{index}", daemon=True)
        self.index, self.host, self.port, self.user = index, host, port, user
        self.t0, self.stop_event, self.query_timeout = t0, stop, query_timeout
        self.stats = ClientStats()
        kinds = list(QUERIES)
        random.Random(index).shuffle(kinds)  # each user has their own order of questions
        self.kinds = kinds

    def _connect(self) -> Any | None:
        try:
            connection = connect(
                self.host, self.port, self.user, None, timeout=self.query_timeout + 60
            )
        except Exception as error:
            self.stats.connect_failures += 1
            self.stats.connect_errors.append(short(error))
            self.stop_event.wait(1.0)
            return None
        self.stats.connects += 1
        return connection

    def run(self) -> None:
        connection: Any | None = None
        turn = 0
        try:
            while not self.stop_event.is_set():
                if connection is None:
                    connection = self._connect()
                    continue
                kind = self.kinds[turn % len(self.kinds)]
                turn += 1
                started = time.perf_counter()
                try:
                    rows, polls = run_query(connection, QUERIES[kind], self.query_timeout)
                except Exception as error:
                    elapsed = time.perf_counter() - started
                    self.stats.samples.append(
                        Sample(
                            kind, self.index, started - self.t0, elapsed, False, 0, 0, short(error)
                        )
                    )
                    with contextlib.suppress(Exception):
                        connection.close()
                    connection = None  # reconnect, whatever failed
                    continue
                elapsed = time.perf_counter() - started
                self.stats.samples.append(
                    Sample(kind, self.index, started - self.t0, elapsed, True, rows, polls)
                )
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.close()


# -- the builds ----------------------------------------------------------------------------


@dataclass
class Build:
    number: int
    command: str
    start_s: float  # since the load began
    wall_s: float = 0.0
    exit_code: int | None = None
    under_load_s: float = 0.0  # of wall_s, while the clients ran
    dbt_summary: str = ""
    log: str = ""
    failures: list[str] = field(default_factory=list)  # dbt's "Failure in …" lines
    tail: list[str] = field(default_factory=list)


class BuildLoop(threading.Thread):
    """dbt builds through the server, one after another, while the load lasts."""

    def __init__(
        self,
        commands: Sequence[list[str]],
        env: Mapping[str, str],
        logs: Path,
        *,
        t0: float,
        delay: float,
        deadline: float,
        stop: threading.Event,
    ) -> None:
        super().__init__(name="build-loop", daemon=True)
        self.commands, self.env, self.logs = commands, env, logs
        self.t0, self.delay, self.deadline, self.stop_event = t0, delay, deadline, stop
        self.builds: list[Build] = []
        self.process: subprocess.Popen[str] | None = None

    def run(self) -> None:
        if self.stop_event.wait(self.delay):
            return
        number = 0
        while not self.stop_event.is_set() and time.perf_counter() < self.deadline:
            command = self.commands[min(number, len(self.commands) - 1)]
            number += 1
            log = self.logs / f"build-{number:02d}.log"
            build = Build(number, shlex.join(command), time.perf_counter() - self.t0, log=str(log))
            self.builds.append(build)
            print(f"  build {number} starts at +{build.start_s:.0f} s: {build.command}", flush=True)
            started = time.perf_counter()
            with log.open("w") as out:
                self.process = subprocess.Popen(
                    command,
                    cwd=PROJECT,
                    env=dict(self.env),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                build.exit_code = self.process.wait()
            build.wall_s = time.perf_counter() - started
            output = log.read_text(errors="replace")
            found = DBT_DONE.findall(output)
            build.dbt_summary = found[-1] if found else ""
            build.failures = [
                ANSI.sub("", line).split("  ", 1)[-1].strip()
                for line in output.splitlines()
                if re.search(r"(Failure|Error) in |Database Error|Runtime Error", line)
            ][:10]
            if build.exit_code != 0:
                build.tail = [ANSI.sub("", line) for line in output.splitlines()[-25:]]
            print(
                f"  build {number}: exit {build.exit_code} in {build.wall_s:.1f} s "
                f"({build.dbt_summary or 'no dbt summary'})",
                flush=True,
            )

    def terminate(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


# -- the server's memory -------------------------------------------------------------------


def rss_and_threads(pid: int) -> tuple[int, int]:
    """VmRSS (KiB) and thread count of one process, (0, 0) when it is gone."""
    rss = threads = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    except OSError:
        return 0, 0
    return rss, threads


class MemorySampler(threading.Thread):
    """Every ``interval`` seconds: the server JVM's RSS and threads (pid from its pid file)."""

    def __init__(self, pid_file: Path, interval: float = 1.0) -> None:
        super().__init__(name="memory-sampler", daemon=True)
        self.pid_file, self.interval = pid_file, interval
        self.phase = "start"
        self.samples: list[dict[str, object]] = []
        self.program = ""
        self._halt = threading.Event()
        self._t0 = time.perf_counter()

    def run(self) -> None:
        while not self._halt.is_set():
            with contextlib.suppress(Exception):  # never let a sample end the sampling
                self._sample()
            self._halt.wait(self.interval)

    def _sample(self) -> None:
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        rss, threads = rss_and_threads(pid)
        if rss == 0:
            return
        if not self.program:
            with contextlib.suppress(OSError):
                self.program = str(Path(f"/proc/{pid}/exe").readlink())
        self.samples.append(
            {
                "t_s": round(time.perf_counter() - self._t0, 1),
                "phase": self.phase,
                "pid": pid,
                "rss_mib": round(rss / 1024, 1),
                "tree_rss_mib": round(tree_rss_kib(pid) / 1024, 1),
                "threads": threads,
            }
        )

    def halt(self) -> None:
        self._halt.set()
        self.join(timeout=5)

    def summary(self) -> dict[str, object]:
        if not self.samples:
            return {"samples": 0}
        by_phase: dict[str, list[dict[str, object]]] = {}
        for sample in self.samples:
            by_phase.setdefault(str(sample["phase"]), []).append(sample)

        def peak(samples: list[dict[str, object]], key: str) -> float:
            return max(float(str(sample[key])) for sample in samples)

        final = self.samples[-1]
        return {
            "samples": len(self.samples),
            "interval_s": self.interval,
            "program": self.program,
            "pid": final["pid"],
            "peak_rss_mib": peak(self.samples, "rss_mib"),
            "peak_tree_rss_mib": peak(self.samples, "tree_rss_mib"),
            "final_rss_mib": final["rss_mib"],
            "final_phase": final["phase"],
            "peak_threads": int(peak(self.samples, "threads")),
            "final_threads": final["threads"],
            "by_phase": {
                phase: {
                    "samples": len(samples),
                    "first_rss_mib": samples[0]["rss_mib"],
                    "peak_rss_mib": peak(samples, "rss_mib"),
                    "last_rss_mib": samples[-1]["rss_mib"],
                    "peak_threads": int(peak(samples, "threads")),
                    "last_threads": samples[-1]["threads"],
                }
                for phase, samples in by_phase.items()
            },
        }


# -- helpers -------------------------------------------------------------------------------


def run_step(command: list[str], env: Mapping[str, str], what: str, log: Path) -> float:
    """Run a preparing command from the project folder, output to ``log``; its wall time.
    Fails loudly (exit code and the log's tail)."""
    print(f"{what}: {shlex.join(command)}", flush=True)
    started = time.perf_counter()
    with log.open("w") as out:
        result = subprocess.run(
            command, cwd=PROJECT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, check=False
        )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"{what} failed (exit {result.returncode}, {log}):\n{tail}")
    print(f"  done in {elapsed:.1f} s", flush=True)
    return elapsed


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks."""
    if not sorted_values:
        return float("nan")
    position = (len(sorted_values) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def latency_summary(samples: Sequence[Sample]) -> dict[str, object]:
    ok = sorted(sample.latency_s for sample in samples if sample.ok)
    summary: dict[str, object] = {
        "queries": len(samples),
        "succeeded": len(ok),
        "failed": sum(1 for sample in samples if not sample.ok),
    }
    if ok:
        summary.update(
            {
                "p50_s": round(percentile(ok, 50), 3),
                "p95_s": round(percentile(ok, 95), 3),
                "p99_s": round(percentile(ok, 99), 3),
                "mean_s": round(sum(ok) / len(ok), 3),
                "min_s": round(ok[0], 3),
                "max_s": round(ok[-1], 3),
            }
        )
    return summary


def overlaps_build(sample: Sample, builds: Sequence[Build]) -> bool:
    end = sample.start_s + sample.latency_s
    return any(
        sample.start_s < build.start_s + build.wall_s and end > build.start_s for build in builds
    )


def one_query(host: str, port: int, user: str, sql: str, timeout: float) -> tuple[list[Any], float]:
    """A single statement on a connection of its own: (rows, seconds)."""
    started = time.perf_counter()
    connection = connect(host, port, user, None, timeout=timeout + 60)
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        rows = [list(row) for row in cursor.fetchall()]
        cursor.close()
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return rows, time.perf_counter() - started


def server_log_problems(log: Path, limit: int = 12) -> dict[str, object]:
    """ERROR/WARN lines of the server's log while it ran: counts and the first distinct ones."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return {"log": str(log), "readable": False}
    levels: Counter[str] = Counter()
    distinct: dict[str, int] = {}
    for line in lines:
        match = re.search(r"\b(ERROR|WARN)\b", line)
        if not match:
            continue
        levels[match.group(1)] += 1
        if match.group(1) == "ERROR":
            # Strip the timestamp so repeats of one message count together.
            key = re.sub(r"^\S+ \S+ ", "", line)[:300]
            distinct[key] = distinct.get(key, 0) + 1
    return {
        "log": str(log),
        "lines": len(lines),
        "error_lines": levels["ERROR"],
        "warn_lines": levels["WARN"],
        "errors": [
            {"count": count, "line": line} for line, count in list(distinct.items())[:limit]
        ],
    }


def grouped_errors(samples: Sequence[Sample], limit: int = 15) -> list[dict[str, object]]:
    counts: Counter[tuple[str, str]] = Counter(
        (sample.kind, sample.error) for sample in samples if not sample.ok
    )
    return [
        {"kind": kind, "count": count, "error": error}
        for (kind, error), count in counts.most_common(limit)
    ]


# -- the report ----------------------------------------------------------------------------


def fmt(value: object, unit: str = "") -> str:
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value}{unit}" if value is not None else "-"


def markdown(result: dict[str, Any]) -> str:
    info, load, mem = result["machine"], result["load"], result["server_memory"]
    overall = load["overall"]
    lines = [
        "# Thrift server under BI load",
        "",
        f"Date: {result['date']} (UTC). Script: `bench/bench_thrift_bi_load.py`.",
        "",
        f"Command (from the project folder): `{result['command']}`",
        "",
        f"Outcome: **{'success' if result['success'] else 'FAILED'}** ({result['verdict']}).",
        "",
        "## Set-up",
        "",
        f"- machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gib']} GiB RAM, "
        f"Python {info['python']}, Java {info.get('java', '?')}; load average "
        f"{info['load_average_at_start']} at start, {result['load_average_at_end']} at end",
        f"- versions: {', '.join(f'{k} {v}' for k, v in result['versions'].items())}",
        f"- server: `lakehouse thrift start`, master {result['spark_master']}, driver memory "
        f"{result['driver_memory']}, auth none, started in {fmt(result['server_start_s'], ' s')}",
        f"- data: `lakehouse run --days {result['sample_data']['days']} --orders-per-day "
        f"{result['sample_data']['orders_per_day']}` ({fmt(result['prepare_run_s'], ' s')}), then "
        f"one more day landed and ingested before the server started "
        f"({fmt(result.get('extra_day_s'), ' s')})",
        f"- gold.fct_order_items before the load: {result['fact_before']}; after: "
        f"{result['fact_after']} (rows, days, first day, last day)",
        f"- load: {load['clients']} clients (one PyHive connection each, asynchronous "
        f"statements, polling) for {fmt(load['seconds'], ' s')}; builds start after "
        f"{load['build_delay_s']} s, none after the load; one still running then finished "
        "without clients",
        "",
        "## Queries",
        "",
        f"- total queries: **{overall['queries']}**, failed: **{overall['failed']}**, "
        f"connection failures: **{load['connect_failures']}** "
        f"({load['connects']} connections opened)",
        f"- throughput: **{fmt(load['queries_per_second'])} queries/s**",
        f"- latency overall: p50 **{fmt(overall.get('p50_s'), ' s')}**, p95 "
        f"**{fmt(overall.get('p95_s'), ' s')}**, p99 {fmt(overall.get('p99_s'), ' s')}, max "
        f"{fmt(overall.get('max_s'), ' s')}",
        f"- average status polls per query: {fmt(load['polls_per_query'])}",
        "",
        "| query kind | queries | failed | p50 s | p95 s | p99 s | max s | rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, row in load["by_kind"].items():
        lines.append(
            f"| {kind} | {row['queries']} | {row['failed']} | {fmt(row.get('p50_s'))} | "
            f"{fmt(row.get('p95_s'))} | {fmt(row.get('p99_s'))} | {fmt(row.get('max_s'))} | "
            f"{row.get('rows', '-')} |"
        )
    lines += [
        "",
        "| while | queries | failed | p50 s | p95 s | p99 s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in load["by_build"].items():
        lines.append(
            f"| {name} | {row['queries']} | {row['failed']} | {fmt(row.get('p50_s'))} | "
            f"{fmt(row.get('p95_s'))} | {fmt(row.get('p99_s'))} |"
        )
    warm = result["warm_up"]
    lines += [
        "",
        "Warm-up (one connection, before the load): first round "
        f"{fmt(warm['first_round_s'], ' s')}, second round {fmt(warm['second_round_s'], ' s')} "
        f"for all {len(QUERIES)} kinds.",
        "",
        "## Builds through the server",
        "",
        "| # | command | starts at | wall time | of it under load | exit | dbt |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for build in result["builds"]:
        command = build["command"].replace(LAKEHOUSE, "lakehouse")
        lines.append(
            f"| {build['number']} | `{command}` | +{build['start_s']:.0f} s | "
            f"{build['wall_s']:.1f} s | {build['under_load_s']:.0f} s | {build['exit_code']} | "
            f"{build['dbt_summary']} |"
        )
    if not result["builds"]:
        lines.append("| - | no build ran | | | | | |")
    for build in result["builds"]:
        lines += [f"- build {build['number']}: `{failure}`" for failure in build["failures"]]
    lines += [
        "",
        "## Server memory (JVM resident set, sampled every second)",
        "",
        f"- peak: **{fmt(mem.get('peak_rss_mib'), ' MiB')}** (process tree "
        f"{fmt(mem.get('peak_tree_rss_mib'), ' MiB')}); final (last sample, phase "
        f"{mem.get('final_phase')}): **{fmt(mem.get('final_rss_mib'), ' MiB')}**",
        f"- threads: peak {mem.get('peak_threads')}, final {mem.get('final_threads')}",
        "",
        "| phase | samples | first MiB | peak MiB | last MiB | peak threads | last threads |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for phase, row in mem.get("by_phase", {}).items():
        lines.append(
            f"| {phase} | {row['samples']} | {row['first_rss_mib']} | {row['peak_rss_mib']} | "
            f"{row['last_rss_mib']} | {row['peak_threads']} | {row['last_threads']} |"
        )
    errors = load["errors"]
    lines += ["", "## Errors", ""]
    if errors or load["connect_errors"]:
        lines += [f"- {e['count']} x {e['kind']}: `{e['error']}`" for e in errors]
        lines += [f"- connect: `{e}`" for e in load["connect_errors"]]
    else:
        lines.append("- no failed query, no failed connection")
    log = result["server_log"]
    lines.append(
        f"- server log: {log.get('error_lines', '?')} ERROR and {log.get('warn_lines', '?')} "
        "WARN lines while it ran"
    )
    lines += [f"  - {e['count']} x `{e['line']}`" for e in log.get("errors", [])]
    lines += [
        "",
        "## Caveat",
        "",
        f"The machine has {info['nproc']} cores, shared by the server (driver and local tasks), "
        f"the {load['clients']} client threads, the dbt build processes and other work running "
        "on the host at the same time: latencies and throughput are pessimistic, and compare "
        "only with runs on the same host and load.",
        "",
    ]
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=300, help="load period (default 300)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent BI clients")
    parser.add_argument("--home", type=Path, help="state folder (default: a new temporary one)")
    parser.add_argument("--keep-home", action="store_true", help="keep a temporary state folder")
    parser.add_argument("--days", type=int, default=3, help="sample data: order days")
    parser.add_argument("--orders-per-day", type=int, default=300, help="sample data: orders/day")
    parser.add_argument(
        "--no-extra-day",
        action="store_true",
        help="do not land and ingest one more day before the server starts",
    )
    parser.add_argument(
        "--build-args",
        default="--select marts --full-refresh",
        help="dbt arguments of the repeated builds (default: %(default)s)",
    )
    parser.add_argument(
        "--first-build-args",
        default="--select source:bronze.order_items+",
        help="dbt arguments of the first build, which brings the extra day to Gold "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--build-delay", type=float, default=30, help="seconds of BI-only load before builds"
    )
    parser.add_argument("--no-builds", action="store_true", help="BI queries only")
    parser.add_argument(
        "--prepared",
        action="store_true",
        help="--home already holds a built lakehouse (e.g. an earlier run's, --keep-home): skip "
        "`lakehouse run` and the extra day",
    )
    parser.add_argument("--master", help="Spark master (default: LAKEHOUSE_SPARK_MASTER default)")
    parser.add_argument("--driver-memory", help="driver memory (default: the project's default)")
    parser.add_argument(
        "--query-timeout", type=float, default=600, help="a query slower than this fails"
    )
    parser.add_argument(
        "--start-timeout", type=float, default=300, help="`thrift start --timeout` (loaded host)"
    )
    parser.add_argument("--no-record", action="store_true", help="print only; write no results")
    args = parser.parse_args()

    temporary = args.home is None
    home = (args.home or Path(tempfile.mkdtemp(prefix="bench-thrift-bi-"))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    if (home / "thrift" / "server.json").exists():
        raise SystemExit(f"{home} has a Thrift server state file: use a fresh --home")
    overrides = {
        "LAKEHOUSE_PROJECT_DIR": str(PROJECT),
        "LAKEHOUSE_HOME": str(home),
        "LAKEHOUSE_LANDING": str(home / "landing"),
        "LAKEHOUSE_THRIFT_PORT": str(free_port()),
        "LAKEHOUSE_THRIFT_AUTH": "none",
    }
    if args.master:
        overrides["LAKEHOUSE_SPARK_MASTER"] = args.master
    if args.driver_memory:
        overrides["LAKEHOUSE_DRIVER_MEMORY"] = args.driver_memory
    settings = Settings.from_env(overrides)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "DBT_"))}
    env.update(settings.as_env())
    logs = home / "bench-logs"
    logs.mkdir(exist_ok=True)
    host, port, user = (
        connect_host(settings.thrift_host),
        settings.thrift_port,
        settings.thrift_user,
    )
    info = machine()
    print(
        f"state folder {home}; port {port}; {info['nproc']} CPUs, {info['memory_gib']} GiB, "
        f"load average {info['load_average_at_start']}",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _raise_interrupt)

    sample = ["--days", str(args.days), "--orders-per-day", str(args.orders_per_day)]
    prepare_s: float | None = None
    if not args.prepared:
        prepare_s = run_step(
            [LAKEHOUSE, "run", *sample], env, "building the lakehouse", logs / "run.log"
        )
    extra_day_s: float | None = None
    if not args.no_extra_day and not args.prepared:
        extra_day_s = run_step(
            [LAKEHOUSE, "generate", "--landing", str(settings.landing), "--append", "--days", "1"],
            env,
            "landing one more day",
            logs / "generate.log",
        )
        extra_day_s += run_step(
            [LAKEHOUSE, "ingest"], env, "ingesting it into Bronze", logs / "ingest.log"
        )

    build = [LAKEHOUSE, "build", "--target", "thrift"]
    build_commands = [[*build, *shlex.split(args.build_args)]]
    if not args.no_extra_day:
        build_commands.insert(0, [*build, *shlex.split(args.first_build_args)])

    sampler = MemorySampler(server.pid_file(settings))
    stop = threading.Event()
    clients: list[Client] = []
    builder: BuildLoop | None = None
    warm: dict[str, object] = {}
    fact_before: list[Any] = []
    fact_after: list[Any] = []
    start_s: float | None = None
    load_s = float("nan")
    log_problems: dict[str, object] = {}
    stop_output = ""
    try:
        print(f"starting the Thrift server on {host}:{port} …", flush=True)
        sampler.start()
        start_s = run_step(
            [LAKEHOUSE, "thrift", "start", "--timeout", f"{args.start_timeout:.0f}"],
            env,
            "starting the server",
            logs / "thrift-start.log",
        )
        sampler.phase = "warm-up"
        rounds = []
        for _ in range(2):
            started = time.perf_counter()
            connection = connect(host, port, user, None, timeout=args.query_timeout + 60)
            try:
                for sql in QUERIES.values():
                    run_query(connection, sql, args.query_timeout)
            finally:
                with contextlib.suppress(Exception):
                    connection.close()
            rounds.append(time.perf_counter() - started)
        warm = {"first_round_s": round(rounds[0], 2), "second_round_s": round(rounds[1], 2)}
        fact_before = one_query(host, port, user, FACT_STATS, args.query_timeout)[0][0]
        print(f"  warm: {warm}; gold.fct_order_items {fact_before}", flush=True)

        sampler.phase = "load"
        print(f"load: {args.clients} clients for {args.seconds:.0f} s …", flush=True)
        t0 = time.perf_counter()
        deadline = t0 + args.seconds
        clients = [
            Client(index, host, port, user, t0=t0, stop=stop, query_timeout=args.query_timeout)
            for index in range(args.clients)
        ]
        for client in clients:
            client.start()
        if not args.no_builds:
            builder = BuildLoop(
                build_commands,
                env,
                logs,
                t0=t0,
                delay=args.build_delay,
                deadline=deadline,
                stop=stop,
            )
            builder.start()
        next_report = t0 + 30
        while time.perf_counter() < deadline:
            time.sleep(0.5)
            if time.perf_counter() >= next_report:
                next_report += 30
                done = sum(len(client.stats.samples) for client in clients)
                failed = sum(
                    1 for client in clients for sample in client.stats.samples if not sample.ok
                )
                rss = sampler.samples[-1]["rss_mib"] if sampler.samples else "?"
                print(
                    f"  +{time.perf_counter() - t0:.0f} s: {done} queries, {failed} failed, "
                    f"server RSS {rss} MiB",
                    flush=True,
                )
        stop.set()  # the clients finish their statement; no new build starts
        load_s = time.perf_counter() - t0
        for client in clients:
            client.join(timeout=args.query_timeout + 60)
        if builder is not None and builder.is_alive():
            sampler.phase = "build after the load"
            print("load ended; waiting for the running build (no clients now) …", flush=True)
            while builder.is_alive():
                builder.join(timeout=60)
                if builder.is_alive():
                    print(f"  +{time.perf_counter() - t0:.0f} s: build still running", flush=True)
        sampler.phase = "after"
        fact_after = one_query(host, port, user, FACT_STATS, args.query_timeout)[0][0]
        time.sleep(2)  # a final memory sample or two after the load
        log_problems = server_log_problems(server.log_file(settings))
    finally:
        # Clean up whatever happened; a second Ctrl-C must not leave the server running.
        previous = {
            sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        stop.set()
        if builder is not None:
            with contextlib.suppress(Exception):
                builder.terminate()
        print("stopping the server …", flush=True)
        stopped = subprocess.run(
            [LAKEHOUSE, "thrift", "stop"],
            cwd=PROJECT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        stop_output = (stopped.stdout + stopped.stderr).strip()
        print(f"  {stop_output} (exit {stopped.returncode})", flush=True)
        with contextlib.suppress(Exception):
            sampler.halt()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    samples = [sample for client in clients for sample in client.stats.samples]
    builds = builder.builds if builder is not None else []
    for build in builds:
        build.under_load_s = round(
            max(0.0, min(build.start_s + build.wall_s, load_s) - build.start_s), 1
        )
    by_kind: dict[str, dict[str, object]] = {}
    for kind in QUERIES:
        of_kind = [sample for sample in samples if sample.kind == kind]
        row = latency_summary(of_kind)
        row["rows"] = (
            Counter(s.rows for s in of_kind if s.ok).most_common(1)[0][0]
            if any(s.ok for s in of_kind)
            else "-"
        )
        by_kind[kind] = row
    during = [sample for sample in samples if overlaps_build(sample, builds)]
    outside = [sample for sample in samples if not overlaps_build(sample, builds)]
    overall = latency_summary(samples)
    succeeded = [sample for sample in samples if sample.ok]
    connect_failures = sum(client.stats.connect_failures for client in clients)
    connect_errors = Counter(e for client in clients for e in client.stats.connect_errors)
    failed_builds = [build.number for build in builds if build.exit_code != 0]
    problems = []
    if overall["failed"]:
        problems.append(f"{overall['failed']} failed queries")
    if connect_failures:
        problems.append(f"{connect_failures} failed connections")
    if failed_builds:
        problems.append(f"builds {failed_builds} failed")
    if not args.no_builds and not builds:
        problems.append("no build ran")
    if not samples:
        problems.append("no query ran")
    result: dict[str, Any] = {
        "benchmark": "Spark Thrift Server under BI load, with dbt builds through it",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(sys.orig_argv),
        "success": not problems,
        "verdict": "; ".join(problems) or "no failed query or connection, every build exit 0",
        "machine": info,
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "versions": versions(),
        "state_folder": str(home),
        "spark_master": settings.spark_master,
        "driver_memory": settings.driver_memory,
        "shuffle_partitions": settings.shuffle_partitions,
        "sample_data": {"days": args.days, "orders_per_day": args.orders_per_day},
        "prepare_run_s": round(prepare_s, 2) if prepare_s is not None else None,
        "extra_day_s": round(extra_day_s, 2) if extra_day_s is not None else None,
        "server_start_s": round(start_s, 2) if start_s is not None else None,
        "warm_up": warm,
        "fact_before": fact_before,
        "fact_after": fact_after,
        "queries": QUERIES,
        "load": {
            "clients": args.clients,
            "seconds_asked": args.seconds,
            "seconds": round(load_s, 2),
            "build_delay_s": args.build_delay,
            "connects": sum(client.stats.connects for client in clients),
            "connect_failures": connect_failures,
            "connect_errors": [f"{count} x {error}" for error, count in connect_errors.items()],
            "queries_per_second": round(len(succeeded) / load_s, 2) if load_s > 0 else None,
            "polls_per_query": round(sum(s.polls for s in succeeded) / len(succeeded), 2)
            if succeeded
            else None,
            "overall": overall,
            "by_kind": by_kind,
            "by_build": {
                "a build running": latency_summary(during),
                "no build running": latency_summary(outside),
            },
            "errors": grouped_errors(samples),
        },
        "builds": [asdict(build) for build in builds],
        "server_memory": sampler.summary(),
        "server_log": log_problems,
        "server_stop": stop_output,
    }
    report = json.dumps({k: v for k, v in result.items() if k != "queries"}, indent=2, default=str)
    print(report)
    if not args.no_record:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "thrift-bi-load.json").write_text(
            json.dumps({**result, "memory_samples": sampler.samples}, indent=2, default=str) + "\n"
        )
        (RESULTS / "thrift-bi-load.md").write_text(markdown(result))
        print(f"wrote {RESULTS / 'thrift-bi-load.json'} and {RESULTS / 'thrift-bi-load.md'}")
    if temporary and result["success"] and not args.keep_home:
        shutil.rmtree(home, ignore_errors=True)
    else:
        print(f"state folder kept: {home}")
    print(f"\n{'SUCCESS' if result['success'] else 'FAILED'}: {result['verdict']}")
    return 0 if result["success"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted (the server was stopped); no results written", file=sys.stderr)
        sys.exit(130)
