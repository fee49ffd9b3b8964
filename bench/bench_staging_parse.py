"""Benchmark: the staging of order lines as dbt builds it, against a plain DataFrame job.

The staging model `stg_ecommerce__order_items` (with its base view) parses every Bronze order
line: the quarantine rules, typing, the channel names, one row per (order_id, item_seq) with
the count of dropped copies. This script writes the same rules as a hand-written PySpark
DataFrame job (each value parsed once, no dbt) and times, in one SparkSession on one Bronze
state, the model's full-build SQL as dbt compiled it (`create or replace table ... as`)
against the DataFrame job (`saveAsTable`), both into Delta, alternating which goes first.
Both tables must hold exactly the same rows (checked both ways), so the hand-written job is
also an independent check of the model's rules. The medians and their ratio go to
bench/results/staging-parse.json and a line to bench/results/README.md.

    .venv/bin/python bench/bench_staging_parse.py                       # 30 x 100k, 3 repeats
    .venv/bin/python bench/bench_staging_parse.py --days 3 --lines-per-day 5000 --repeats 1

The state (landing zone, Bronze, seeds, the base view, the compiled SQL) is prepared with the
`lakehouse` command in `--workdir` and reused when it is there.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import machine
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
LINES_PER_ORDER = 2.5  # the generator writes 1-5 lines per order, 2.5 on average
MODEL = "stg_ecommerce__order_items"
SCRATCH = "bench_staging_parse"
TARGET_RATIO = 1.3  # issue 28: the model at most 1.3x the plain job


# --- the rules, as a plain DataFrame job ------------------------------------------------------


def trim_to_null(column: str) -> Column:
    return F.nullif(F.trim(column), F.lit(""))


def parse_integer(column: str) -> Column:
    return F.trim(column).try_cast("int")


def parse_date(column: str, pattern: str) -> Column:
    return F.to_date(F.try_to_timestamp(F.trim(column), F.lit(pattern)))


def parse_utc(column: str, pattern: str) -> Column:
    return F.try_to_timestamp(F.concat(F.trim(column), F.lit("+00:00")), F.lit(pattern + "XXX"))


def parse_money(column: str) -> Column:
    return F.regexp_replace(column, r"[^0-9.-]", "").try_cast("decimal(18,2)")


def parse_percent(column: str) -> Column:
    value = F.replace(F.trim(column), F.lit("%"), F.lit("")).try_cast("decimal(9,4)")
    return F.when(value.between(0, 100), value.try_cast("decimal(5,2)"))


def staged_order_lines(lines: DataFrame, words: DataFrame, channels: DataFrame) -> DataFrame:
    """Bronze order lines -> one typed row per (order_id, item_seq): the rows the quarantine
    rules keep, each value parsed once, the latest copy of a line with the count of the others."""
    parsed = lines.join(
        F.broadcast(words), F.lower(F.trim("quantity")) == words.quantity_word, "left"
    ).select(
        trim_to_null("order_id").alias("order_id"),
        parse_integer("item_seq").alias("item_seq"),
        parse_date("dt", "yyyy-MM-dd").alias("order_date"),
        F.coalesce(
            parse_utc("order_ts", "yyyy-MM-dd HH:mm:ss"), parse_utc("order_ts", "dd-MM-yyyy HH:mm")
        ).alias("order_ts"),
        trim_to_null("customer_id").alias("customer_id"),
        trim_to_null("product_id").alias("product_id"),
        F.coalesce(parse_integer("quantity"), F.col("quantity_value"))
        .cast("int")
        .alias("quantity"),
        parse_money("unit_price").alias("unit_price"),
        F.nullif(F.upper(F.trim("unit_price_currency")), F.lit("")).alias("unit_price_currency"),
        parse_percent("discount_pct").alias("discount_pct"),
        parse_money("tax_amount").alias("tax_amount"),
        trim_to_null("channel").alias("source_channel"),
        F.lower(trim_to_null("coupon_code")).alias("coupon_code"),
        "_corrupt_record",
        "_rescued_data",
        "_source_file",
        "_source_row",
        "_batch_id",
        "_ingested_at",
    )
    kept = parsed.where(
        F.col("_corrupt_record").isNull()
        & F.col("order_id").isNotNull()
        & (F.col("item_seq") >= 1)
        & F.col("order_date").isNotNull()
        & F.col("order_ts").isNotNull()
        & (F.col("quantity") >= 1)
        & (F.col("unit_price") >= 0)
        & F.col("discount_pct").isNotNull()
    )
    mapped = kept.join(
        F.broadcast(channels.withColumnRenamed("source_channel", "named_channel")),
        F.lower(kept.source_channel) == F.lower(F.col("named_channel")),
        "left",
    ).withColumn("channel", F.coalesce(channels.channel, kept.source_channel))
    line = Window.partitionBy("order_id", "item_seq")
    newest_first = line.orderBy(
        F.col("_ingested_at").desc(),
        F.regexp_extract("_source_file", r"[^/]*$", 0).desc(),
        F.col("_source_file").desc(),
        F.col("_source_row").desc(),
    )
    ranked = mapped.withColumn("copy_rank", F.row_number().over(newest_first)).withColumn(
        "_duplicates_dropped", F.count(F.lit(1)).over(line) - 1
    )
    return ranked.where("copy_rank = 1").select(
        "order_id",
        "item_seq",
        "order_date",
        "order_ts",
        "customer_id",
        "product_id",
        "quantity",
        "unit_price",
        "unit_price_currency",
        "discount_pct",
        "tax_amount",
        "channel",
        "coupon_code",
        "_rescued_data",
        "_duplicates_dropped",
        "_source_file",
        "_source_row",
        "_batch_id",
        "_ingested_at",
    )


# --- the state ------------------------------------------------------------------------------


def lakehouse(env: dict[str, str], *args: str) -> None:
    print("lakehouse " + " ".join(args), flush=True)
    subprocess.run([str(LAKEHOUSE), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(workdir: Path, days: int, lines_per_day: int) -> dict[str, str]:
    """Landing zone, Bronze, the seeds and the base view built, the model compiled for a full
    build (it does not exist yet, so `is_incremental()` is false); the environment to use."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "DBT_"))}
    env.update(
        {"LAKEHOUSE_HOME": str(workdir / "home"), "LAKEHOUSE_LANDING": str(workdir / "landing")}
    )
    if (workdir / "prepared").exists():
        return env
    orders = str(round(lines_per_day / LINES_PER_ORDER))
    lakehouse(env, "generate", "--days", str(days), "--orders-per-day", orders, "--quiet")
    lakehouse(env, "ingest")
    lakehouse(env, "dbt", "seed")
    lakehouse(env, "dbt", "run", "--select", "base_ecommerce__order_items")
    lakehouse(env, "dbt", "compile", "--select", MODEL)
    (workdir / "prepared").touch()
    return env


def manifest_relations(home: Path) -> tuple[str, dict[str, str]]:
    """The model's compiled SQL and the relation names of what it reads, from dbt's manifest."""
    manifest = json.loads((home / "dbt" / "target" / "manifest.json").read_text())
    nodes = {node["name"]: node for node in manifest["nodes"].values()}
    sources = {s["name"]: s for s in manifest["sources"].values() if s["source_name"] == "bronze"}
    compiled = nodes[MODEL]["compiled_code"]
    relations = {
        "order_items": sources["order_items"]["relation_name"],
        "quantity_words": nodes["quantity_words"]["relation_name"],
        "channel_names": nodes["channel_names"]["relation_name"],
    }
    return compiled, relations


# --- the measurement ------------------------------------------------------------------------


def timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(spark: SparkSession, compiled: str, relations: dict[str, str], repeats: int) -> dict:
    spark.sql(f"create schema if not exists {SCRATCH}")
    dbt_table, plain_table = f"{SCRATCH}.dbt_model", f"{SCRATCH}.plain_job"

    def dbt_model() -> None:
        spark.sql(f"create or replace table {dbt_table} using delta as {compiled}")

    def plain_job() -> None:
        staged = staged_order_lines(
            spark.table(relations["order_items"]),
            spark.table(relations["quantity_words"]),
            spark.table(relations["channel_names"]),
        )
        staged.write.format("delta").mode("overwrite").saveAsTable(plain_table)

    seconds: dict[str, list[float]] = {"dbt_model": [], "plain_job": []}
    for repeat in range(repeats):
        # Alternate which goes first: the first job of a repeat warms what the second reuses.
        order = [("dbt_model", dbt_model), ("plain_job", plain_job)]
        for name, run in order if repeat % 2 == 0 else reversed(order):
            seconds[name].append(round(timed(run), 2))
            print(f"repeat {repeat + 1} {name}: {seconds[name][-1]:.1f} s", flush=True)

    rows = spark.table(dbt_table).count()
    only_dbt = spark.table(dbt_table).exceptAll(spark.table(plain_table)).count()
    only_plain = spark.table(plain_table).exceptAll(spark.table(dbt_table)).count()
    if only_dbt or only_plain:
        raise SystemExit(
            f"the two jobs disagree: {only_dbt} rows only in the model's table, "
            f"{only_plain} only in the plain job's"
        )
    spark.sql(f"drop schema {SCRATCH} cascade")
    medians = {name: round(statistics.median(values), 2) for name, values in seconds.items()}
    return {
        "rows": rows,
        "seconds": seconds,
        "median_seconds": medians,
        "ratio": round(medians["dbt_model"] / medians["plain_job"], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30, help="order days in Bronze")
    parser.add_argument("--lines-per-day", type=int, default=100_000, help="order lines a day")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each job")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the state here")
    args = parser.parse_args()
    if args.days < 1 or args.lines_per_day < 1 or args.repeats < 1:
        parser.error("--days, --lines-per-day and --repeats must be at least 1")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-staging-parse-"))
    env = prepare(workdir, args.days, args.lines_per_day)
    compiled, relations = manifest_relations(Path(env["LAKEHOUSE_HOME"]))
    os.environ.update({k: env[k] for k in ("LAKEHOUSE_HOME", "LAKEHOUSE_LANDING")})

    from lakehouse.session import get_spark  # reads the environment set just above

    result = measure(get_spark(), compiled, relations, args.repeats)
    record = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "days": args.days,
        "lines_per_day": args.lines_per_day,
        "target_ratio": TARGET_RATIO,
        **result,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "staging-parse.json").write_text(json.dumps(record, indent=1) + "\n")
    medians = result["median_seconds"]
    line = (
        f"- {record['date'][:10]} staging parse: {result['rows']:,} staged order lines from "
        f"{args.days} days x {args.lines_per_day:,}; the dbt model's full build median "
        f"{medians['dbt_model']:.1f} s vs a plain DataFrame job {medians['plain_job']:.1f} s: "
        f"**{result['ratio']:.2f}x** (target ≤ {TARGET_RATIO}x), same rows; {args.repeats} "
        f"runs each, one session; {record['machine']}; bench/results/staging-parse.json\n"
    )
    with (RESULTS / "README.md").open("a") as handle:
        handle.write(line)
    print(line, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
