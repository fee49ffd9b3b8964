"""The training run behind the JVM class archive (see ``jvm_archive``): run by setup only.

It does, on a throw-away state folder, a little of what every real run does, so that the classes
those steps load are in the archive: the metastore, sample CSV files ingested into Bronze Delta
tables, a table built with SQL (joins, aggregates, a window), a Delta merge, reads and counts.
The JVM writes the archive when this process ends.
"""

from __future__ import annotations

import sys

from ingestion import cli
from ingestion.bronze.loader import ensure_bronze_tables, ingest_entities
from ingestion.settings import Settings
from ingestion.spark import get_spark

TRAINING_ENTITIES = ("brands", "order_items")
SQL_STEPS = (
    "create schema if not exists silver",
    "create or replace table silver.training_orders using delta as "
    "select order_id, try_cast(item_seq as int) as item_seq, channel, "
    "try_cast(regexp_replace(unit_price, '[^0-9.]', '') as decimal(18, 2)) as unit_price "
    "from delta.`{bronze}/order_items` where order_id is not null",
    "create or replace temporary view training_changes as "
    "select order_id, item_seq, upper(channel) as channel, unit_price from silver.training_orders",
    "merge into silver.training_orders as target using training_changes as source "
    "on target.order_id = source.order_id and target.item_seq = source.item_seq "
    "when matched then update set * when not matched then insert *",
    "select channel, count(distinct order_id) as orders, sum(unit_price) as revenue, "
    "dense_rank() over (order by sum(unit_price) desc) as revenue_rank "
    "from silver.training_orders group by channel",
    "show tables in silver",
    "describe history silver.training_orders",
)


def main() -> int:
    settings = Settings.from_env()
    sample = ["--days", "2", "--orders-per-day", "20", "--quiet"]
    code = cli.main(["generate", "--landing", str(settings.landing), *sample])
    if code != 0:
        return code
    spark = get_spark(settings)
    ensure_bronze_tables(spark, settings)
    # Two entities load every class ingestion uses; the others repeat the same code.
    ingest_entities(spark, settings, TRAINING_ENTITIES, progress=lambda _line: None)
    for statement in SQL_STEPS:
        spark.sql(statement.format(bronze=settings.bronze)).collect()
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
