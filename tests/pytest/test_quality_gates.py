"""A failing quality gate stops `lakehouse run`: exit code 1, and the summary names the test and
the relation holding its failing rows; a test under its error threshold only warns.

Bad rows are landed on purpose (order lines priced in a currency with no FX rate) into a Bronze
root of this module's own, and two gates are run on them by `lakehouse run -- --select ...`:
one blocking (`severity: error`, fails on the first row) and one with thresholds
(`warn_if: >0`, `error_if: >5`). The gates are singular tests written into a temporary copy of
the dbt project (`--project-dir`), so nothing temporary ever appears in the repository and no
other build sees them.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse import cli
from lakehouse.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The whole dbt project: materializations/ too, so the gates run through the project's own
# test materialization, not dbt's stock one (checked below).
PROJECT_CONTENT = (
    "dbt_project.yml",
    "models",
    "macros",
    "materializations",
    "seeds",
    "snapshots",
    "analyses",
    "tests",
)

BLOCKING = "gate_probe_unpriced_lines_blocking"
THRESHOLD = "gate_probe_unpriced_lines_within_threshold"
GATES = {
    BLOCKING: "{{ config(severity='error') }}",
    THRESHOLD: "{{ config(severity='error', warn_if='>0', error_if='>5') }}",
}
GATE_SQL = """{config}

with

order_items as (

    select * from {{{{ source('bronze', 'order_items') }}}}

)

select
    order_id,
    item_seq,
    unit_price_currency
from order_items
where upper(trim(unit_price_currency)) not in ('INR', 'AED', 'AUD', 'CAD', 'GBP', 'SGD', 'USD')
"""

HEADER = (
    "dt,order_ts,customer_id,order_id,item_seq,product_id,quantity,unit_price_currency,"
    "unit_price,discount_pct,tax_amount,channel,coupon_code"
)
LINES = [
    "2025-01-01,2025-01-01 10:00:00,C1,GATE-1,1,P1,1,INR,100.00,0,5.00,web,",
    "2025-01-01,2025-01-01 10:00:00,C1,GATE-1,2,P1,1,XXX,100.00,0,5.00,web,",
    "2025-01-01,2025-01-01 11:30:00,C2,GATE-2,1,P2,2, xxx,50.00,10%,1.00,app,SAVE10",
]
UNPRICED = {("GATE-1", "2"), ("GATE-2", "1")}


@pytest.fixture(scope="module", autouse=True)
def restore_environment() -> Iterator[None]:
    """The run reads its Bronze root from the environment; put the session's back after."""
    saved = {key: value for key, value in os.environ.items() if key.startswith("LAKEHOUSE_")}
    yield
    for key in [key for key in os.environ if key.startswith("LAKEHOUSE_")]:
        del os.environ[key]
    os.environ.update(saved)


def project_copy(destination: Path) -> Path:
    """The dbt project (not the Python code or tests) plus the two gates."""
    destination.mkdir(parents=True)
    for name in PROJECT_CONTENT:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(
                source,
                destination / name,
                ignore=shutil.ignore_patterns("pytest", "__pycache__", "*.pyc"),
            )
        elif source.is_file():
            shutil.copy2(source, destination / name)
    tests = destination / "tests"
    tests.mkdir(exist_ok=True)
    for name, config in GATES.items():
        (tests / f"{name}.sql").write_text(GATE_SQL.format(config=config))
    return destination


@pytest.fixture(scope="module")
def gates_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gate run's folder: project copy, landing zone, dbt target and logs."""
    return tmp_path_factory.mktemp("gates")


@pytest.fixture(scope="module")
def failed_run(
    spark: SparkSession, lakehouse_settings: Settings, gates_root: Path
) -> Iterator[tuple[int, str]]:
    root = gates_root
    landing = root / "landing"
    (landing / "order_items").mkdir(parents=True)
    (landing / "order_items" / "order_items_2025-01-01.csv").write_text(
        "\n".join([HEADER, *LINES]) + "\n"
    )
    project = project_copy(root / "project")
    os.environ.update(lakehouse_settings.as_env())
    os.environ["LAKEHOUSE_BRONZE"] = str(root / "bronze")
    os.environ["LAKEHOUSE_LANDING"] = str(landing)
    dbt_args = [
        *("--project-dir", str(project), "--select", BLOCKING, THRESHOLD),
        *("--target-path", str(root / "target"), "--log-path", str(root / "logs")),
    ]
    # Failing rows stored by an earlier run: dbt's stock test materialization would drop these
    # views before storing new ones, the project's replaces them (checked below).
    spark.sql("create schema if not exists audit")
    for name in GATES:
        spark.sql(f"create or replace view audit.{name} as select 1 as earlier_run")
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        code = cli.main(["run", "--", *dbt_args])
    yield code, summary.getvalue()
    for name in GATES:
        spark.sql(f"drop view if exists audit.{name}")


def summary_line(output: str, gate: str) -> str:
    """The gate's line in the summary (dbt's own log lines go to stdout too, before it)."""
    assert "\ndbt build: " in output, output
    summary = output.rsplit("\ndbt build: ", 1)[1]
    lines = [line.strip() for line in summary.splitlines() if gate in line]
    assert len(lines) == 1, summary
    return lines[0]


def test_a_failing_gate_makes_lakehouse_run_exit_1(failed_run: tuple[int, str]) -> None:
    code, summary = failed_run
    assert code == 1, summary


def test_the_summary_names_the_failing_test_and_where_its_rows_are(
    failed_run: tuple[int, str],
) -> None:
    _code, summary = failed_run
    line = summary_line(summary, BLOCKING)
    assert line.startswith(f"FAIL  test {BLOCKING}: Got 2 results"), line
    assert line.endswith(f"failing rows: select * from audit.{BLOCKING}"), line


def test_a_gate_under_its_error_threshold_only_warns(failed_run: tuple[int, str]) -> None:
    _code, summary = failed_run
    line = summary_line(summary, THRESHOLD)
    assert line.startswith(f"WARN  {THRESHOLD}: Got 2 results, configured to warn if >0"), line
    assert line.endswith(f"failing rows: select * from audit.{THRESHOLD}"), line
    counts = summary.rsplit("\ndbt build: ", 1)[1].splitlines()[0].split(", ")
    assert "1 fail" in counts and "1 warn" in counts, counts


def test_the_failing_rows_are_stored_where_the_summary_says(
    spark: SparkSession, failed_run: tuple[int, str]
) -> None:
    for gate in GATES:
        rows = spark.table(f"audit.{gate}").collect()
        assert {(row.order_id, row.item_seq) for row in rows} == UNPRICED, gate


def test_the_gates_ran_through_the_project_s_test_materialization(
    failed_run: tuple[int, str], gates_root: Path
) -> None:
    """The project's materialization stores failing rows with `create or replace view` (dbt's
    stock one drops the view first): its statements are in the copy's dbt log."""
    log = (gates_root / "logs" / "dbt.log").read_text()
    for gate in GATES:
        relation = rf"`?audit`?\.`?{gate}`?"
        assert re.search(rf"create or replace view {relation}", log), gate
        assert not re.search(rf"drop (view|table) if exists {relation}", log), gate


def test_the_summary_counts_the_bronze_table_the_run_appended_to(
    failed_run: tuple[int, str],
) -> None:
    _code, summary = failed_run
    table = summary.split("rows of the tables this run wrote:", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("| ").split(" | ") for line in table.splitlines() if "bronze." in line]
    assert [[name.strip(), rows.strip()] for name, rows in rows] == [
        ["bronze.order_items", str(len(LINES))]
    ]
