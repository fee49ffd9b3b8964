"""The generic test `column_checks` (tests/generic/): several per-row checks of one model in
one query, with the failing rows of the separate tests, each naming its column and check.

The test's SQL is compiled by dbt (`dbt compile --inline` of the test macro) against a small
Delta table written here, and run on the shared session."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from conftest import Scenario, assert_dbt_ok, lakehouse_environment
from pyspark.sql import Row, SparkSession

from lakehouse.dbt_runner import run_dbt

PROBE = "column_checks_probe"
ROWS = [
    # id, name, flag, grain
    (1, "a", 0, "week"),  # passes every check
    (2, None, 1, "month"),  # name: not_null
    (None, None, 2, "day"),  # id and name null, flag and grain outside their values
    (4, "d", None, None),  # a null passes accepted_values, as in dbt's own test
]


@pytest.fixture(scope="module")
def probe_schema(spark: SparkSession, built_scenario: Scenario) -> Iterator[str]:
    """A schema of its own, dropped after: no other test sees the probe table."""
    schema = "probe_column_checks"
    spark.sql(f"create schema if not exists {schema}")
    spark.createDataFrame(ROWS, "id int, name string, flag int, grain string").write.format(
        "delta"
    ).mode("overwrite").saveAsTable(f"{schema}.{PROBE}")
    yield schema
    spark.sql(f"drop schema {schema} cascade")


@pytest.fixture(scope="module")
def failing_rows(
    spark: SparkSession, built_scenario: Scenario, probe_schema: str, dbt_output_args: list[str]
) -> Callable[..., list[Row]]:
    """Compile `column_checks` on the probe table with the given arguments; its rows."""

    def run(**arguments: object) -> list[Row]:
        relation = f"api.Relation.create(schema='{probe_schema}', identifier='{PROBE}')"
        given = ", ".join(f"{name}={value!r}" for name, value in arguments.items())
        call = f"{{{{ test_column_checks({relation}, {given}) }}}}"
        with lakehouse_environment():
            outcome = run_dbt(
                "compile", ["--inline", call, *dbt_output_args], built_scenario.settings
            )
        assert_dbt_ok(outcome)
        return spark.sql(outcome.result.result.results[0].node.compiled_code).collect()

    return run


def test_failing_rows_are_those_of_the_separate_tests_each_named(
    failing_rows: Callable[..., list[Row]],
) -> None:
    rows = failing_rows(
        not_null=["id", "name"], accepted_values={"flag": [0, 1], "grain": ["week", "month"]}
    )
    assert Counter((row.id, row.failed_check) for row in rows) == Counter(
        {
            (2, "name: not_null"): 1,
            (None, "id: not_null"): 1,
            (None, "name: not_null"): 1,
            (None, "flag: accepted_values"): 1,
            (None, "grain: accepted_values"): 1,
        }
    )


def test_a_model_that_passes_returns_no_rows(failing_rows: Callable[..., list[Row]]) -> None:
    assert failing_rows(accepted_values={"flag": [0, 1, 2]}) == []
