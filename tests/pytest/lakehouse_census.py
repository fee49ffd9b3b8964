"""Print, as JSON, what a lakehouse state holds: the row count of every Bronze, Silver, Gold and
audit table, the sum of every numeric column of the fact, and the fact's last commit.

Run in a process of its own, with the state's LAKEHOUSE_* (and AWS) variables, so that a state
on S3 is read through its own Spark session: ``python tests/pytest/lakehouse_census.py``.
"""

from __future__ import annotations

import json
import sys

from pyspark.sql import functions as F
from pyspark.sql.types import NumericType

from ingestion.contract import ENTITIES
from ingestion.schema import LOG_TABLE
from lakehouse.pipeline import stored_tables
from lakehouse.session import get_spark
from lakehouse.settings import Settings

FACT = "gold.fct_order_items"


def census() -> dict[str, object]:
    settings = Settings.from_env()
    spark = get_spark(settings)
    counts: dict[str, int] = {}
    for entity in (*ENTITIES, LOG_TABLE):
        table = spark.read.format("delta").load(settings.bronze_table_path(entity))
        counts[f"bronze.{entity}"] = table.count()
    for schema in ("silver", "gold", "audit"):
        for name in stored_tables(spark, schema):
            counts[f"{schema}.{name}"] = spark.table(f"{schema}.{name}").count()
    fact = spark.table(FACT)
    numeric = [field.name for field in fact.schema if isinstance(field.dataType, NumericType)]
    totals = fact.agg(*[F.sum(name).cast("string").alias(name) for name in numeric]).first()
    last = spark.sql(f"describe history {FACT} limit 1").first()
    return {
        "counts": counts,
        "fact_totals": totals.asDict() if totals else {},
        "fact_last_commit": {
            "operation": last.operation,
            "metrics": dict(last.operationMetrics or {}),
        },
        "warehouse_location": spark.conf.get("spark.sql.warehouse.dir"),
    }


if __name__ == "__main__":
    json.dump(census(), sys.stdout)
