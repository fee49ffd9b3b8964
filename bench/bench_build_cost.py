"""Benchmark: what a `lakehouse run` costs, part by part, on the full history and on new days.

Each repeat starts from an empty state folder (Bronze, warehouse, metastore) and runs
`lakehouse run` three times, each a fresh process and JVM as a user would:

  (a) full:      30 days x ~100,000 order lines (plus the dimension exports) landed; ingest
                 everything, build everything with every data test (unit tests run in CI,
                 not in production runs);
  (b) new day:   one more day of ~100,000 lines landed; ingest it, build what changed;
  (c) floor:     one more day of ~1,000 lines: the same nodes with almost no data, so what
                 is left is what the run costs whatever the data.

Each run is split into parts by the progress lines `lakehouse run` prints (timestamped as they
arrive) and by dbt's `run_results.json`: start-up (Python, Spark), ingest, planning (dbt source
freshness and state comparison), the dbt build (models, data tests, unit tests and dbt's own
time between nodes, when one dbt thread leaves nodes no overlap) and the summary. Node
seconds are summed over dbt's threads. The medians of every part go to
bench/results/build-cost.json and a line to bench/results/README.md.

    .venv/bin/python bench/bench_build_cost.py                      # 30 x 100k, 3 repeats
    .venv/bin/python bench/bench_build_cost.py --days 3 --lines-per-day 5000 --repeats 1
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
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import machine

from lakehouse import cli

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
LINES_PER_ORDER = 2.5  # the generator writes 1-5 lines per order, 2.5 on average
DEFAULT_DAYS = 30
DEFAULT_LINES_PER_DAY = 100_000
FLOOR_LINES = 1_000
SCENARIOS = ("full", "new_day", "floor")
TARGETS = {"full": 170.0, "new_day": 75.0, "floor": 45.0}  # seconds, issue 28

# The progress lines of `lakehouse run` that open each part (pipeline.py, summary.py).
PART_MARKERS = (
    ("ingest", "ingesting "),
    ("planning", "checking what changed"),
    ("build", "building Silver and Gold"),
    ("summary", "== lakehouse run: summary =="),
)


@dataclass
class RunCost:
    seconds: float
    parts: dict[str, float]
    nodes: dict[str, dict[str, float]] = field(default_factory=dict)  # type -> count, seconds
    slowest: list[tuple[str, float]] = field(default_factory=list)


def landed_files(landing: Path) -> set[str]:
    return {str(path.relative_to(landing)) for path in landing.rglob("*.csv")}


def prepare_source(source: Path, days: int, lines_per_day: int) -> dict[str, list[str]]:
    """Generate the full run's days, then one day of `lines_per_day` and one of ~1,000 lines;
    the files of each scenario. Kept in `source` for later runs of the benchmark."""
    marker = source / "_parts.json"
    if marker.exists():
        return json.loads(marker.read_text())
    shutil.rmtree(source, ignore_errors=True)
    generate = ["generate", "--landing", str(source), "--quiet"]
    orders = str(round(lines_per_day / LINES_PER_ORDER))
    assert cli.main([*generate, "--days", str(days), "--orders-per-day", orders]) == 0
    parts = {"full": landed_files(source)}
    append = [*generate, "--append", "--days", "1", "--dimension-exports", "0"]
    assert cli.main(append) == 0
    parts["new_day"] = landed_files(source) - parts["full"]
    assert cli.main([*append, "--orders-per-day", str(round(FLOOR_LINES / LINES_PER_ORDER))]) == 0
    parts["floor"] = landed_files(source) - parts["full"] - parts["new_day"]
    listed = {name: sorted(files) for name, files in parts.items()}
    marker.write_text(json.dumps(listed, indent=1))
    return listed


def link(source: Path, landing: Path, files: list[str]) -> None:
    for relative in files:
        target = landing / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source / relative, target)


def split_parts(marks: list[tuple[float, str]], total: float) -> dict[str, float]:
    """Seconds per part from (time, line) pairs: a part runs from its marker line to the next
    part's; what comes before the first is start-up."""
    starts = [("start-up", 0.0)]
    for part, marker in PART_MARKERS:
        found = next((at for at, line in marks if marker in line), None)
        if found is not None:
            starts.append((part, found))
    ends = [at for _, at in starts[1:]] + [total]
    return {part: round(end - begin, 2) for (part, begin), end in zip(starts, ends, strict=True)}


def node_costs(run_results: Path) -> tuple[dict[str, dict[str, float]], list[tuple[str, float]]]:
    results = json.loads(run_results.read_text())["results"]
    seconds: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for result in results:
        kind = result["unique_id"].split(".", 1)[0]
        seconds[kind] += result["execution_time"]
        counts[kind] += 1
    nodes = {kind: {"count": counts[kind], "seconds": round(seconds[kind], 2)} for kind in counts}
    slowest = sorted(
        (
            (
                r["unique_id"].split(".")[-1 if r["unique_id"].startswith("model") else -2],
                round(r["execution_time"], 2),
            )
            for r in results
        ),
        key=lambda item: -item[1],
    )[:8]
    return nodes, slowest


def lakehouse_run(home: Path, landing: Path, log: Path) -> RunCost:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "DBT_"))}
    env.update({"LAKEHOUSE_HOME": str(home), "LAKEHOUSE_LANDING": str(landing)})
    env["PYTHONUNBUFFERED"] = "1"
    run_results = home / "dbt" / "target" / "run_results.json"
    run_results.unlink(missing_ok=True)
    marks: list[tuple[float, str]] = []
    started = time.perf_counter()
    with (
        log.open("w") as out,
        subprocess.Popen(
            [str(LAKEHOUSE), "run"],
            env=env,
            cwd=PROJECT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            at = time.perf_counter() - started
            marks.append((at, line))
            out.write(f"{at:8.2f} {line}")
        code = process.wait()
    total = time.perf_counter() - started
    if code != 0:
        sys.exit(f"`lakehouse run` failed ({code}); see {log}")
    nodes, slowest = node_costs(run_results)
    parts = split_parts(marks, total)
    if "build" in parts:
        # Node seconds add up each thread's nodes: with more than one dbt thread they overlap,
        # their sum exceeds the build's wall time and no time "between nodes" can be read off.
        between = parts["build"] - sum(node["seconds"] for node in nodes.values())
        if between >= 0:
            parts["build: between nodes"] = round(between, 2)
    return RunCost(round(total, 2), parts, nodes, slowest)


def medians(costs: list[RunCost]) -> dict[str, object]:
    def median(values: list[float]) -> float:
        return round(statistics.median(values), 2)

    parts = sorted({name for cost in costs for name in cost.parts})
    kinds = sorted({kind for cost in costs for kind in cost.nodes})
    return {
        "seconds": median([cost.seconds for cost in costs]),
        "parts": {p: median([cost.parts.get(p, 0.0) for cost in costs]) for p in parts},
        "nodes": {
            kind: {
                "count": max(cost.nodes.get(kind, {}).get("count", 0) for cost in costs),
                "seconds": median([cost.nodes.get(kind, {}).get("seconds", 0.0) for cost in costs]),
            }
            for kind in kinds
        },
    }


def table(summary: dict[str, dict]) -> str:
    """The medians as a Markdown table, one column per scenario."""
    rows = ["start-up", "ingest", "planning", "build", "build: between nodes", "summary"]
    lines = ["| part | " + " | ".join(SCENARIOS) + " |", "|---|" + "---:|" * len(SCENARIOS)]
    lines.append(
        "| **total** | " + " | ".join(f"**{summary[s]['seconds']:.0f}**" for s in SCENARIOS) + " |"
    )
    for row in rows:
        lines.append(
            f"| {row} | "
            + " | ".join(f"{summary[s]['parts'].get(row, 0.0):.1f}" for s in SCENARIOS)
            + " |"
        )
        if row == "build":
            for kind in ("model", "test", "unit_test"):
                cells = []
                for s in SCENARIOS:
                    node = summary[s]["nodes"].get(kind, {"count": 0, "seconds": 0.0})
                    cells.append(f"{node['seconds']:.1f} ({node['count']})")
                lines.append(f"| build: {kind}s (count) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days of the full run")
    parser.add_argument(
        "--lines-per-day", type=int, default=DEFAULT_LINES_PER_DAY, help="order lines a day"
    )
    parser.add_argument("--repeats", type=int, default=3, help="full + new day + floor, N times")
    parser.add_argument("--workdir", type=Path, default=None, help="keep data here (default: temp)")
    parser.add_argument("--note", default="", help="added to the README line (what changed)")
    args = parser.parse_args()
    if args.days < 1 or args.lines_per_day < 1 or args.repeats < 1:
        parser.error("--days, --lines-per-day and --repeats must be at least 1")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-build-cost-"))
    source = workdir / f"source-{args.days}x{args.lines_per_day}"
    print(f"landing zone: {source}", flush=True)
    parts = prepare_source(source, args.days, args.lines_per_day)

    costs: dict[str, list[RunCost]] = {name: [] for name in SCENARIOS}
    for repeat in range(args.repeats):
        home = workdir / f"run-{repeat}"
        shutil.rmtree(home, ignore_errors=True)
        for scenario in SCENARIOS:
            link(source, home / "landing", parts[scenario])
            cost = lakehouse_run(home, home / "landing", home / f"{scenario}.log")
            costs[scenario].append(cost)
            print(f"repeat {repeat + 1} {scenario}: {cost.seconds:.1f} s {cost.parts}", flush=True)
        shutil.rmtree(home, ignore_errors=True)

    summary = {name: medians(runs) for name, runs in costs.items()}
    record = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_at_end": os.getloadavg()[0],
        "days": args.days,
        "lines_per_day": args.lines_per_day,
        "note": args.note,
        "targets_seconds": TARGETS,
        "median": summary,
        "runs": {name: [vars(cost) for cost in runs] for name, runs in costs.items()},
    }
    RESULTS.mkdir(exist_ok=True)
    size = (
        ""
        if (args.days, args.lines_per_day) == (DEFAULT_DAYS, DEFAULT_LINES_PER_DAY)
        else (f"-{args.days}x{args.lines_per_day}")
    )
    (RESULTS / f"build-cost{size}.json").write_text(json.dumps(record, indent=1) + "\n")
    figures = ", ".join(
        f"{name} {summary[name]['seconds']:.0f} s (target {TARGETS[name]:.0f})"
        for name in SCENARIOS
    )
    line = (
        f"- {record['date'][:10]} build cost: `lakehouse run` on {args.days} days x "
        f"{args.lines_per_day:,} order lines, medians of {args.repeats}: {figures}; "
        f"{record['machine']}{'; ' + args.note if args.note else ''}; bench/results/build-cost{size}.json\n"
    )
    with (RESULTS / "README.md").open("a") as handle:
        handle.write(line)
    print(table(summary))
    print(line, end="")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
