"""Soak test: day after day of landed files, one `lakehouse run` each, books checked every day.

What it proves, over many incremental runs on one state folder:

* **accounting**: for order_items, every Bronze row is in Silver staging, in quarantine or a
  counted duplicate (`sum(_duplicates_dropped)` of staging, as tests/pytest/test_silver.py
  checks): `bronze = silver + quarantine + duplicates`, and each of the four equals what the
  generator's manifest plus the script's own re-sent files say it must be;
* **the fact is right**: row count, quantity and the money totals of `gold.fct_order_items`
  equal a recomputation from the landed CSV files alone, with the business rules written again
  in Python (tests/pytest/gold_rules.py), not from the SQL;
* **bad files are contained**: a gzip file named `.csv` and a file whose header matches no
  contract column are quarantined (listed as such in the ingestion log), the run exits 1 that
  day and 0 on the others;
* **it does not degrade**: wall time and peak resident memory of each run (Python driver plus
  Spark JVM, sampled every 0.2 s by bench/memory.py) stay flat as the tables grow: the last 10
  days' median peak within 15 % of the median of days 5-15.

Day 0 generates one day of orders (plus the first dimension exports) and runs the pipeline.
Each following day appends one day with the generator, and on some days also:

* re-sends lines: a copy of an already loaded order file under a new name, whose clean lines
  Silver must count as duplicates (the generator itself re-sends lines only within one of its
  runs, so one-day appends have none);
* lands bad files, which ingestion must quarantine;
* adds a dimension export (changed, dropped and new customers and products).

Every run gets a fresh state folder (`--home`, default a new temporary folder, removed at the
end when every check passed unless `--keep`); the project's own `.lakehouse` is never touched.
The run logs are kept in `<home>/soak-logs/`. One line per day goes to stdout, a summary at the
end, and every day's numbers to `bench/results/soak-<date>.json`. The exit code is 1 when any
check failed on any day (memory growth is reported, not failed: this machine is shared and a
neighbour's load moves the numbers), 2 for invalid arguments.

A soak cut short (a reboot, the end of a working session) continues with `--resume RECORD`: the
same state folder, seed and size; what the script itself landed (re-sent and bad files) and the
recomputation are rebuilt from the landing zone, and a day stopped half-way is finished first.

    .venv/bin/python bench/soak.py --days 60                      # the soak: ~1-3 min a day
    .venv/bin/python bench/soak.py --days 60 --resume bench/results/soak-<date>.json
    .venv/bin/python bench/soak.py --days 4 --orders-per-day 100  # a smoke run: every event once
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

# bench/memory.py and tests/pytest/gold_rules.py are plain modules, not packages.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests" / "pytest"))

from gold_rules import Line, line_from_bronze
from memory import PeakMemory

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
RESULTS = BENCH / "results"
LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
MANIFEST = "_manifest.json"

# Which days carry which event: chosen so that a 4-day smoke run meets each one once (an
# export on day 1, re-sent lines on day 3, bad files on day 4) and a 60-day soak many times.
EXPORT_EVERY, EXPORT_ON = 7, 1
RESEND_EVERY, RESEND_ON = 7, 3
BAD_EVERY, BAD_ON = 10, 4

# Memory is flat when the last days' median peak is within this share of the early days'.
FLAT_TOLERANCE = 0.15
EARLY_DAYS = range(5, 16)  # days 5-15: past the first builds' warm-up
LATE_DAY_COUNT = 10

# Names of the files the script lands itself, beside the generator's order files.
RESENT_MARK = "_resent-day"
BAD_SUFFIXES = ("_gzipped.csv", "_unknown-header.csv")

# The checks of each day, in the order they are printed.
CHECKS = ("exit", "invariant", "manifest", "fact", "files")

# One query, so one JVM start, per day. Money sums come back as exact decimal strings.
CHECK_SQL = """
with fact as (
    select
        count(*) as fact_rows,
        coalesce(sum(quantity), 0) as fact_quantity,
        coalesce(sum(gross_amount), 0) as fact_gross,
        coalesce(sum(discount_amount), 0) as fact_discount,
        coalesce(sum(tax_amount), 0) as fact_tax,
        coalesce(sum(net_amount), 0) as fact_net,
        coalesce(sum(net_amount_inr), 0) as fact_net_inr,
        count_if(net_amount_inr is null) as fact_unpriced
    from gold.fct_order_items
)
select
    (select count(*) from delta.`{bronze}/order_items`) as bronze,
    (select count(*) from silver.stg_ecommerce__order_items) as silver,
    (select count(*) from silver.stg_ecommerce__order_items_rejected) as quarantine,
    (select coalesce(sum(_duplicates_dropped), 0) from silver.stg_ecommerce__order_items)
        as duplicates,
    (select collect_list(file_path) from delta.`{bronze}/_ingestion_log`
        where entity = 'order_items' and status = 'quarantined') as quarantined_files,
    fact.*
from fact
"""


# --- the landing zone ---------------------------------------------------------------------


@dataclass
class Landing:
    """What is landed, and what Silver must make of the files the script adds itself."""

    folder: Path
    resent_rows: int = 0
    resent_quarantined: int = 0
    bad_files: list[str] = field(default_factory=list)  # file names

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))

    def expected_counts(self) -> dict[str, int]:
        """Bronze, Silver, quarantine and duplicate rows of order_items: the manifest's totals
        plus the re-sent copies, whose quarantined rows are quarantined again and whose other
        rows are all duplicates of lines already loaded."""
        items = self.manifest()["entities"]["order_items"]
        return {
            "bronze": items["rows"] + self.resent_rows,
            "silver": items["clean"],
            "quarantine": items["quarantined"] + self.resent_quarantined,
            "duplicates": items["duplicates"] + self.resent_rows - self.resent_quarantined,
        }


def order_files(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entry in manifest["files"] if entry["entity"] == "order_items"]


def write_atomically(target: Path, data: bytes) -> None:
    # Ingestion never lists `*.part`, so a run can never see a half-written file.
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    partial.replace(target)


def resend(landing: Landing, loaded: list[dict[str, Any]], rng: random.Random, day: int) -> Path:
    """Copy one already loaded order file verbatim under a new name, beside it."""
    entry = rng.choice(loaded)
    source = landing.folder / entry["path"]
    target = source.with_name(f"{source.stem}{RESENT_MARK}{day:02d}.csv")
    if target.exists():  # landed before a resumed soak stopped; counted by restore_landing
        return target
    write_atomically(target, source.read_bytes())
    landing.resent_rows += entry["rows"]
    landing.resent_quarantined += entry["quarantined"]
    return target


def land_bad_files(landing: Landing, today: Path) -> list[str]:
    """Two files ingestion must quarantine: today's file gzip-compressed but named `.csv`, and
    a file whose header names no order_items column (`sku` is a products column: an entity
    mix-up, not random noise)."""
    stem = today.stem
    bad = {
        today.with_name(f"{stem}{BAD_SUFFIXES[0]}"): gzip.compress(today.read_bytes(), mtime=0),
        today.with_name(f"{stem}{BAD_SUFFIXES[1]}"): b"sku,price\n1,2\n",
    }
    if all(path.exists() for path in bad):  # landed before a resumed soak stopped
        return [path.name for path in bad]
    for path, data in bad.items():
        write_atomically(path, data)
    names = [path.name for path in bad]
    landing.bad_files += names
    return names


def restore_landing(landing: Landing, recomputation: Recomputation) -> int:
    """What a resumed soak knows from its landing zone alone: the re-sent and bad files it
    landed (and what Silver must make of them) and the fact's lines so far. Returns how many
    days of orders the generator has landed."""
    orders = order_files(landing.manifest())
    by_stem = {Path(entry["path"]).stem: entry for entry in orders}
    folder = (landing.folder / orders[0]["path"]).parent
    for entry in orders:
        recomputation.add(landing.folder / entry["path"])
    for path in sorted(folder.glob(f"*{RESENT_MARK}*.csv")):
        source = by_stem[path.stem.split(RESENT_MARK)[0]]
        landing.resent_rows += source["rows"]
        landing.resent_quarantined += source["quarantined"]
        recomputation.add(path)
    landing.bad_files = sorted(
        path.name for suffix in BAD_SUFFIXES for path in folder.glob(f"*{suffix}")
    )
    return len(orders)


# --- the independent recomputation of the fact ------------------------------------------------


def bronze_rows(path: Path) -> Iterator[dict[str, Any]]:
    """A landed file's rows as Bronze holds them: one physical line one record, empty fields
    null, a line that is not one record of the header's width a corrupt record."""
    header, *lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    columns = [name.strip() for name in header.split(",")]
    for line in lines:
        if not line:  # the end of the last line; Spark skips blank lines too
            continue
        try:
            values = next(csv.reader([line], strict=True))
        except csv.Error:
            values = []
        if len(values) != len(columns):
            yield {**dict.fromkeys(columns), "_corrupt_record": line}
            continue
        row = {name: value or None for name, value in zip(columns, values, strict=True)}
        yield {**row, "_corrupt_record": None}


@dataclass
class FactTotals:
    rows: int = 0
    quantity: int = 0
    gross: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    net: Decimal = Decimal("0")
    net_inr: Decimal = Decimal("0")
    unpriced: int = 0

    @classmethod
    def of_lines(cls, lines: list[Line]) -> FactTotals:
        priced = [line.net_inr for line in lines if line.net_inr is not None]
        return cls(
            rows=len(lines),
            quantity=sum(line.quantity for line in lines),
            gross=sum((line.gross for line in lines), Decimal("0")),
            discount=sum((line.discount for line in lines), Decimal("0")),
            tax=sum((line.tax for line in lines), Decimal("0")),
            net=sum((line.net for line in lines), Decimal("0")),
            net_inr=sum(priced, Decimal("0")),
            unpriced=len(lines) - len(priced),
        )

    @classmethod
    def of_query(cls, result: dict[str, Any]) -> FactTotals:
        return cls(
            rows=int(result["fact_rows"]),
            quantity=int(result["fact_quantity"]),
            gross=Decimal(str(result["fact_gross"])),
            discount=Decimal(str(result["fact_discount"])),
            tax=Decimal(str(result["fact_tax"])),
            net=Decimal(str(result["fact_net"])),
            net_inr=Decimal(str(result["fact_net_inr"])),
            unpriced=int(result["fact_unpriced"]),
        )


class Recomputation:
    """The fact's lines from the landed files, one per key. Landed files never change, so each
    is read once, in landing order; every copy of a line is byte-identical, so which copy wins
    does not matter."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, int], Line] = {}

    def add(self, path: Path) -> None:
        for row in bronze_rows(path):
            line = line_from_bronze(row)
            if line is not None:
                self.lines[line.key] = line

    def totals(self) -> FactTotals:
        return FactTotals.of_lines(list(self.lines.values()))


def differences(want: FactTotals, got: FactTotals) -> dict[str, list[str]]:
    """Fields that differ, as [recomputed, fact]."""
    return {
        name: [str(value), str(getattr(got, name))]
        for name, value in asdict(want).items()
        if value != getattr(got, name)
    }


# --- the lakehouse commands -----------------------------------------------------------------


def child_environment(home: Path) -> dict[str, str]:
    # The caller's LAKEHOUSE_*/DBT_* settings could point the children at another state
    # folder or landing zone: only the jar cache (shared, read-only here) is kept.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LAKEHOUSE_", "DBT_")) or key == "LAKEHOUSE_JARS_DIR"
    }
    env["LAKEHOUSE_HOME"] = str(home)
    # Every file is complete before a run starts: no need to wait for it to settle.
    env["LAKEHOUSE_SETTLE_SECONDS"] = "0"
    return env


def generate(env: dict[str, str], landing: Path, options: list[str], log: Path) -> float:
    started = time.perf_counter()
    command = [str(LAKEHOUSE), "generate", "--landing", str(landing), "--quiet", *options]
    with log.open("w") as out:
        code = subprocess.run(
            command, env=env, cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    if code != 0:
        raise SystemExit(f"`{' '.join(command)}` failed with exit code {code}; see {log}")
    return time.perf_counter() - started


@dataclass(frozen=True)
class RunMeasure:
    exit_code: int
    seconds: float
    peak_rss_mib: float


def lakehouse_run(env: dict[str, str], log: Path) -> RunMeasure:
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(LAKEHOUSE), "run"], env=env, cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT
        )
        with PeakMemory(process.pid) as memory:
            code = process.wait()
    return RunMeasure(code, time.perf_counter() - started, memory.peak_mib)


def query_counts(env: dict[str, str], home: Path, log: Path) -> dict[str, Any] | None:
    """The check query's one row, or None when it failed (the log says why)."""
    query = CHECK_SQL.format(bronze=home / "bronze")
    result = subprocess.run(
        [str(LAKEHOUSE), "sql", query, "--format", "json"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    log.write_text(f"exit code {result.returncode}\n{result.stdout}\n{result.stderr}")
    rows = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or len(rows) != 1:
        return None
    return json.loads(rows[0])


# --- one day ------------------------------------------------------------------------------------


@dataclass
class DayResult:
    day: int
    order_date: str
    events: list[str]
    generate_seconds: float
    exit_code: int
    expected_exit_code: int
    run_seconds: float
    peak_rss_mib: float
    check_seconds: float
    counts: dict[str, int | None]
    expected_counts: dict[str, int]
    checks: dict[str, bool]
    fact_differences: dict[str, list[str]]
    quarantined_files: list[str]

    @property
    def ok(self) -> bool:
        return all(self.checks.values())


def events_of(day: int) -> list[str]:
    if day == 0:
        return ["initial"]
    events = []
    if day % EXPORT_EVERY == EXPORT_ON:
        events.append("export")
    if day % RESEND_EVERY == RESEND_ON:
        events.append("resend")
    if day % BAD_EVERY == BAD_ON:
        events.append("bad")
    return events


def land_day(
    day: int,
    landing: Landing,
    env: dict[str, str],
    args: argparse.Namespace,
    logs: Path,
    generated: bool = False,
) -> tuple[list[str], float, list[Path]]:
    """Land day ``day``; return its events, the generator's seconds and the new files whose
    rows belong in the fact. ``generated``: a resumed soak stopped after the generator had
    landed this day; the rest of the day's landing is done (or found done) again."""
    events = events_of(day)
    log = logs / f"day-{day:02d}-generate.log"
    if generated:
        loaded = order_files(landing.manifest())[:-1]
        seconds = 0.0
    elif day == 0:
        options = ["--days", "1", "--orders-per-day", str(args.orders_per_day)]
        seconds = generate(env, landing.folder, [*options, "--seed", str(args.seed)], log)
        loaded: list[dict[str, Any]] = []
    else:
        loaded = order_files(landing.manifest())
        exports = "1" if "export" in events else "0"
        options = ["--append", "--days", "1", "--dimension-exports", exports]
        seconds = generate(env, landing.folder, options, log)
    before = {entry["path"] for entry in loaded}
    new = [
        landing.folder / entry["path"]
        for entry in order_files(landing.manifest())
        if entry["path"] not in before
    ]
    if "resend" in events:
        rng = random.Random(args.seed * 1000 + day)  # the same files for the same seed
        new.append(resend(landing, loaded, rng, day))
    if "bad" in events:
        land_bad_files(landing, new[0])
    return events, seconds, new


def check_day(
    result: dict[str, Any] | None, landing: Landing, recomputed: FactTotals
) -> tuple[dict[str, int | None], dict[str, bool], dict[str, list[str]], list[str]]:
    names = ("bronze", "silver", "quarantine", "duplicates")
    if result is None:
        return dict.fromkeys(names), dict.fromkeys(CHECKS[1:], False), {}, []
    counts = {name: int(result[name]) for name in names}
    quarantined = sorted(Path(path).name for path in result["quarantined_files"] or [])
    diff = differences(recomputed, FactTotals.of_query(result))
    checks = {
        "invariant": counts["bronze"]
        == counts["silver"] + counts["quarantine"] + counts["duplicates"],
        "manifest": counts == landing.expected_counts(),
        "fact": not diff,
        "files": quarantined == sorted(landing.bad_files),
    }
    return counts, checks, diff, quarantined


def soak_day(
    day: int,
    landing: Landing,
    recomputation: Recomputation,
    env: dict[str, str],
    args: argparse.Namespace,
    generated: bool = False,
) -> DayResult:
    logs = args.home / "soak-logs"
    events, generate_seconds, new_files = land_day(day, landing, env, args, logs, generated)
    for path in new_files:
        recomputation.add(path)
    run = lakehouse_run(env, logs / f"day-{day:02d}-run.log")
    started = time.perf_counter()
    result = query_counts(env, args.home, logs / f"day-{day:02d}-check.log")
    check_seconds = time.perf_counter() - started
    counts, checks, diff, quarantined = check_day(result, landing, recomputation.totals())
    expected_exit = 1 if "bad" in events else 0
    return DayResult(
        day=day,
        order_date=new_files[0].stem.removeprefix("order_items_"),
        events=events,
        generate_seconds=round(generate_seconds, 2),
        exit_code=run.exit_code,
        expected_exit_code=expected_exit,
        run_seconds=round(run.seconds, 2),
        peak_rss_mib=round(run.peak_rss_mib, 1),
        check_seconds=round(check_seconds, 2),
        counts=counts,
        expected_counts=landing.expected_counts(),
        checks={"exit": run.exit_code == expected_exit, **checks},
        fact_differences=diff,
        quarantined_files=quarantined,
    )


# --- report -------------------------------------------------------------------------------------

HEADER = (
    f"{'day':>3}  {'date':<10}  {'events':<14}  {'exit':>4}  {'run s':>6}  {'peak MiB':>8}  "
    f"{'bronze':>7}  {'silver':>7}  {'quar':>5}  {'dups':>5}  " + "  ".join(CHECKS)
)


def day_line(row: DayResult) -> str:
    counts = [row.counts[name] for name in ("bronze", "silver", "quarantine", "duplicates")]
    shown = ["?" if value is None else f"{value:,}" for value in counts]
    verdicts = "  ".join(("ok" if row.checks[name] else "FAIL").ljust(len(name)) for name in CHECKS)
    return (
        f"{row.day:>3}  {row.order_date:<10}  {','.join(row.events) or '-':<14}  "
        f"{row.exit_code:>4}  {row.run_seconds:>6.1f}  {row.peak_rss_mib:>8.0f}  "
        f"{shown[0]:>7}  {shown[1]:>7}  {shown[2]:>5}  {shown[3]:>5}  {verdicts}"
    )


def memory_verdict(rows: list[DayResult]) -> dict[str, Any]:
    """Flat when the last days' median peak is within FLAT_TOLERANCE of days 5-15's. Needs the
    last days to come after day 15, so at least 25 days."""
    early = [row.peak_rss_mib for row in rows if row.day in EARLY_DAYS]
    late_rows = rows[-LATE_DAY_COUNT:]
    if len(early) < len(EARLY_DAYS) or late_rows[0].day <= EARLY_DAYS[-1]:
        return {"flat": None, "why": f"needs at least {EARLY_DAYS[-1] + LATE_DAY_COUNT} days"}
    early_median = statistics.median(early)
    late_median = statistics.median(row.peak_rss_mib for row in late_rows)
    change = late_median / early_median - 1
    return {
        "flat": abs(change) <= FLAT_TOLERANCE,
        "days_5_15_median_mib": round(early_median, 1),
        "last_10_median_mib": round(late_median, 1),
        "change": round(change, 4),
    }


def summarize(rows: list[DayResult]) -> dict[str, Any]:
    incremental = [row.run_seconds for row in rows if row.day > 0] or [rows[0].run_seconds]
    peaks = [row.peak_rss_mib for row in rows]
    return {
        "days_run": len(rows),
        "days_failed": [row.day for row in rows if not row.ok],
        "initial_run_seconds": rows[0].run_seconds,
        "median_run_seconds": round(statistics.median(incremental), 2),
        "max_run_seconds": max(incremental),
        "first_peak_rss_mib": peaks[0],
        "last_peak_rss_mib": peaks[-1],
        "max_peak_rss_mib": max(peaks),
        "memory": memory_verdict(rows),
    }


def summary_lines(summary: dict[str, Any]) -> list[str]:
    memory = summary["memory"]
    if memory["flat"] is None:
        flat = f"n/a ({memory['why']})"
    else:
        flat = (
            f"{'yes' if memory['flat'] else 'NO'}: last 10 days' median peak "
            f"{memory['last_10_median_mib']:,.0f} MiB vs days 5-15's "
            f"{memory['days_5_15_median_mib']:,.0f} MiB ({memory['change']:+.1%}, "
            f"tolerance ±{FLAT_TOLERANCE:.0%})"
        )
    failed = summary["days_failed"]
    return [
        f"days run: {summary['days_run']} (day 0 = the initial full build)",
        f"run seconds: initial {summary['initial_run_seconds']:.1f}, later days median "
        f"{summary['median_run_seconds']:.1f}, max {summary['max_run_seconds']:.1f}",
        f"peak RSS MiB: first {summary['first_peak_rss_mib']:,.0f}, last "
        f"{summary['last_peak_rss_mib']:,.0f}, max {summary['max_peak_rss_mib']:,.0f}",
        f"memory flat: {flat}",
        f"checks: {'all ok' if not failed else f'FAILED on days {failed}'}",
    ]


def machine() -> str:
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} CPUs, {memory_kib / 1024 / 1024:.1f} GiB RAM, "
        f"Python {platform.python_version()}"
    )


def save(args: argparse.Namespace, rows: list[DayResult], summary: dict[str, Any]) -> Path:
    now = datetime.now(timezone.utc)
    record = {
        "date": now.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "load_average_at_end": os.getloadavg()[0],
        "parameters": {
            "days": args.days,
            "orders_per_day": args.orders_per_day,
            "seed": args.seed,
            "home": str(args.home),
        },
        "summary": summary,
        "days": [{**asdict(row), "ok": row.ok} for row in rows],
    }
    RESULTS.mkdir(exist_ok=True)
    # One record per soak, however many days (or sessions) it spans.
    if args.record is None:
        args.record = RESULTS / f"soak-{now.date().isoformat()}.json"
    args.record.write_text(json.dumps(record, indent=2) + "\n")
    return args.record


# --- main ---------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=60, help="daily increments after day 0")
    parser.add_argument("--orders-per-day", type=int, default=500, help="about 2.5 lines each")
    parser.add_argument("--seed", type=int, default=42, help="generator and re-send seed")
    parser.add_argument("--home", type=Path, help="fresh state folder (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep a temporary --home at the end")
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="RECORD",
        help="continue the soak whose record is RECORD (bench/results/soak-*.json) on its kept "
        "state folder, up to --days; its seed and orders per day are the record's",
    )
    args = parser.parse_args()
    args.record = args.resume
    if args.resume is not None:
        saved = json.loads(args.resume.read_text())
        args.home = Path(saved["parameters"]["home"])
        args.orders_per_day = saved["parameters"]["orders_per_day"]
        args.seed = saved["parameters"]["seed"]
        args.resumed_days = saved["days"]
        args.temporary = False
        if not (args.home / "landing" / MANIFEST).is_file():
            parser.error(f"--resume: the soak's state folder {args.home} is gone")
        if len(args.resumed_days) > args.days:
            parser.error(f"--resume: the record already has {len(args.resumed_days)} days")
        return args
    args.resumed_days = []
    if args.days < 1 or args.orders_per_day < 1:
        parser.error("--days and --orders-per-day must be at least 1")
    args.temporary = args.home is None
    if args.home is None:
        args.home = Path(tempfile.mkdtemp(prefix="lakehouse-soak-"))
    args.home = args.home.resolve()
    if args.home == (PROJECT / ".lakehouse").resolve():
        parser.error("--home must not be the project's own state folder")
    if args.home.exists() and any(args.home.iterdir()):
        parser.error(f"--home {args.home} is not empty: the soak needs a fresh state folder")
    return args


def main() -> int:
    args = parse_args()
    (args.home / "soak-logs").mkdir(parents=True, exist_ok=True)
    env = child_environment(args.home)
    landing = Landing(args.home / "landing")
    recomputation = Recomputation()
    rows = [DayResult(**{k: v for k, v in day.items() if k != "ok"}) for day in args.resumed_days]
    # Stopped after the generator landed the next day but before its run was recorded?
    generated = bool(rows) and restore_landing(landing, recomputation) > len(rows)
    print(f"state folder: {args.home} (logs in soak-logs/)", flush=True)
    print(HEADER, flush=True)
    for row in rows:
        print(day_line(row), flush=True)
    for day in range(len(rows), args.days + 1):
        rows.append(soak_day(day, landing, recomputation, env, args, generated))
        generated = False
        print(day_line(rows[-1]), flush=True)
        # Saved every day, so a soak cut short (a reboot, a session's end) still leaves its record.
        save(args, rows, summarize(rows))
    summary = summarize(rows)
    for line in summary_lines(summary):
        print(line)
    for row in rows:
        if row.fact_differences:
            print(f"day {row.day}: fact vs recomputation {row.fact_differences}")
    print(f"results: {save(args, rows, summary)}")
    failed = bool(summary["days_failed"])
    if args.temporary and not failed and not args.keep:
        shutil.rmtree(args.home, ignore_errors=True)
    else:
        print(f"state kept in {args.home}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
