"""Proof that dbt builds Delta tables through the one shared SparkSession."""

from __future__ import annotations

from pyspark.sql import SparkSession

from lakehouse.dbt_runner import run_dbt
from lakehouse.settings import Settings


def test_dbt_builds_a_delta_table_on_the_shared_session(
    spark: SparkSession, lakehouse_settings: Settings, dbt_output_args: list[str]
) -> None:
    app_id = spark.sparkContext.applicationId

    first = run_dbt("build", ["--select", "+dim_currencies", *dbt_output_args], lakehouse_settings)
    assert first.success
    # dbt-spark reused our session: same application, no second JVM/context.
    assert SparkSession.getActiveSession() is spark
    assert spark.sparkContext.applicationId == app_id

    detail = spark.sql("describe detail gold.dim_currencies").first()
    assert detail is not None
    assert detail["format"] == "delta"
    assert detail["location"].startswith("file:" + lakehouse_settings.warehouse)

    rates = {
        row.currency_code: row.inr_rate for row in spark.table("gold.dim_currencies").collect()
    }
    assert str(rates["USD"]) == "88.290000"
    assert len(rates) == 7

    # Change the table outside dbt: Delta records a new version and keeps the old one readable.
    spark.sql("delete from gold.dim_currencies where currency_code = 'USD'")
    assert spark.table("gold.dim_currencies").count() == 6
    as_built = spark.sql("select * from gold.dim_currencies version as of 0")
    assert as_built.count() == 7
    assert as_built.where("currency_code = 'USD'").count() == 1

    # Rebuilding through dbt restores the table as a further version.
    again = run_dbt("run", ["--select", "dim_currencies", *dbt_output_args], lakehouse_settings)
    assert again.success
    assert spark.table("gold.dim_currencies").count() == 7
    operations = [
        row.operation for row in spark.sql("describe history gold.dim_currencies").collect()
    ]
    assert len(operations) >= 3
    assert "DELETE" in operations
