"""Benchmark: the same ingest + build on local disk and on S3 (a local S3-compatible server).

One landing zone is generated once. Each repeat gives both targets a fresh state: local disk
(landing, Bronze, warehouse in a folder) and S3 (the same files uploaded, untimed, under a
fresh prefix of a bucket on moto's S3 server, started in this process on 127.0.0.1). Each runs
`lakehouse ingest` then `lakehouse build`, each a fresh process and JVM as a user would; the
order of the two targets alternates between repeats. Recorded: the wall time of each command
(medians), the S3 requests each made by method (counted from the server's request log), and
the ratio S3 / local. Results go to bench/results/s3.json and a line to
bench/results/README.md.

The server runs on loopback: a request costs a fraction of a millisecond instead of the 10 to
50 ms of real S3, and the server's Python uses this machine's CPUs. The request counts are what
carries over: multiply them by a real store's latency to see what they would cost there.

    .venv/bin/python bench/bench_s3.py                              # 7 days x 20,000 lines
    .venv/bin/python bench/bench_s3.py --days 2 --lines-per-day 2000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3
from bench_ingest import machine
from moto.server import ThreadedMotoServer

from lakehouse import cli

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
LINES_PER_ORDER = 2.5  # the generator writes 1-5 lines per order, 2.5 on average
BUCKET = "bench"
# Throw-away credentials for the local server; never printed or recorded.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret"}
COMMANDS = ("ingest", "build")
_REQUEST = re.compile(r'"(GET|PUT|HEAD|POST|DELETE) ')
# werkzeug colours the request line of any status but 200 (a 206 ranged read, a 404 probe).
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


class RequestCounter(logging.Handler):
    """Counts the S3 server's requests by method, from werkzeug's request log."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        match = _REQUEST.search(_COLOUR.sub("", record.getMessage()))
        if match:
            self.counts[match.group(1)] += 1

    def take(self) -> dict[str, int]:
        counts, self.counts = dict(self.counts), Counter()
        return counts


def start_server() -> tuple[ThreadedMotoServer, str, RequestCounter]:
    counter = RequestCounter()
    log = logging.getLogger("werkzeug")
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addHandler(counter)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}", counter


def upload(client: object, landing: Path, prefix: str) -> None:
    for path in sorted(landing.rglob("*")):
        if path.is_file():
            key = f"{prefix}/{path.relative_to(landing).as_posix()}"
            client.upload_file(str(path), BUCKET, key)  # type: ignore[attr-defined]


def environment(home: Path, locations: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LAKEHOUSE_", "AWS_")) or key == "LAKEHOUSE_JARS_DIR"
    }
    env.update({"LAKEHOUSE_HOME": str(home), **CREDENTIALS, **locations})
    return env


def timed(env: dict[str, str], command: str, log: Path) -> float:
    started = time.monotonic()
    with log.open("a") as out:
        done = subprocess.run(
            [str(LAKEHOUSE), command], env=env, cwd=PROJECT, stdout=out, stderr=out, check=False
        )
    seconds = time.monotonic() - started
    # `ingest` exits 1 when the generator's deliberately broken files are quarantined.
    if done.returncode not in (0, 1):
        raise SystemExit(f"`lakehouse {command}` failed ({done.returncode}); see {log}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--lines-per-day", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench-s3")
    args = parser.parse_args()

    landing = args.workdir / "landing"
    if not (landing / "_manifest.json").is_file():
        orders = max(1, round(args.lines_per_day / LINES_PER_ORDER))
        print(f"generating {args.days} days x ~{args.lines_per_day:,} lines in {landing} …")
        sizes = ("--days", str(args.days), "--orders-per-day", str(orders), "--seed", "7")
        code = cli.main(["generate", "--landing", str(landing), "--quiet", *sizes])
        if code != 0:
            return code
    manifest = json.loads((landing / "_manifest.json").read_text())
    lines = sum(item["rows"] for item in manifest["files"] if item["entity"] == "order_items")

    server, endpoint, counter = start_server()
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)
    seconds: dict[str, dict[str, list[float]]] = {
        target: {command: [] for command in COMMANDS} for target in ("local", "s3")
    }
    requests: dict[str, list[dict[str, int]]] = {command: [] for command in COMMANDS}
    log = args.workdir / "runs.log"
    log.write_text("")
    try:
        for repeat in range(args.repeats):
            state = args.workdir / f"repeat-{repeat}"
            prefix = f"s3a://{BUCKET}/repeat-{repeat}"
            upload(client, landing, f"repeat-{repeat}/landing")
            envs = {
                "local": environment(state / "local", {"LAKEHOUSE_LANDING": str(landing)}),
                "s3": environment(
                    state / "s3",
                    {
                        "LAKEHOUSE_LANDING": f"{prefix}/landing",
                        "LAKEHOUSE_BRONZE": f"{prefix}/bronze",
                        "LAKEHOUSE_WAREHOUSE": f"{prefix}/warehouse",
                        "LAKEHOUSE_S3_ENDPOINT": endpoint,
                    },
                ),
            }
            order = ("local", "s3") if repeat % 2 == 0 else ("s3", "local")
            for target in order:
                for command in COMMANDS:
                    counter.take()
                    took = timed(envs[target], command, log)
                    seconds[target][command].append(took)
                    if target == "s3":
                        requests[command].append(counter.take())
                    print(f"repeat {repeat + 1}: {target:5} {command:6} {took:6.1f} s", flush=True)
    finally:
        server.stop()

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 1)

    summary = {
        target: {command: median(values) for command, values in by_command.items()}
        for target, by_command in seconds.items()
    }
    request_medians = {
        command: {
            method: int(statistics.median(run.get(method, 0) for run in runs))
            for method in sorted({method for run in runs for method in run})
        }
        for command, runs in requests.items()
    }
    ratios = {
        command: round(summary["s3"][command] / summary["local"][command], 2)
        for command in COMMANDS
    }
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "days": args.days,
        "order_lines": lines,
        "landed_files": len(manifest["files"]),
        "repeats": args.repeats,
        "median_seconds": summary,
        "s3_over_local": ratios,
        "s3_requests_median": request_medians,
        "all_seconds": seconds,
        "all_s3_requests": requests,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "s3.json").write_text(json.dumps(result, indent=2) + "\n")
    line = (
        f"- {result['date'][:10]} bench_s3: {args.days} days, {lines:,} lines, "
        f"{args.repeats} repeats (medians): ingest local {summary['local']['ingest']} s, "
        f"S3 {summary['s3']['ingest']} s (x{ratios['ingest']}); build local "
        f"{summary['local']['build']} s, S3 {summary['s3']['build']} s (x{ratios['build']}); "
        f"S3 requests ingest {request_medians['ingest']}, build {request_medians['build']} "
        "(local S3 server on loopback; bench/results/s3.json)\n"
    )
    with (RESULTS / "README.md").open("a") as readme:
        readme.write(line)
    print(json.dumps({k: result[k] for k in ("median_seconds", "s3_over_local")}, indent=2))
    print(line, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
