"""The `lakehouse` command: help on every subcommand, exit codes, `sql` on the shared session."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from pyspark.sql import SparkSession

from lakehouse import cli
from lakehouse.commands import dbt_passthrough
from lakehouse.pipeline import existing_tables


def subcommands() -> list[str]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_top_level_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in subcommands():
        assert name in out


@pytest.mark.parametrize("name", subcommands())
def test_every_subcommand_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([name, "--help"])
    assert exit_info.value.code == 0
    assert f"lakehouse {name}" in capsys.readouterr().out


def test_unknown_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_invalid_configuration_exits_2_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LAKEHOUSE_THRIFT_PORT", "not-a-port")
    assert cli.main(["sql", "select 1"]) == 2
    assert "LAKEHOUSE_THRIFT_PORT" in capsys.readouterr().err


def test_sql_prints_json_csv_and_table(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "select 1 as id, cast(2.50 as decimal(10,2)) as amount, 'a,b' as label, null as nothing"

    assert cli.main(["sql", query, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "id": 1,
        "amount": "2.50",
        "label": "a,b",
        "nothing": None,
    }

    assert cli.main(["sql", query, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["id,amount,label,nothing", '1,2.50,"a,b",']

    assert cli.main(["sql", query]) == 0
    captured = capsys.readouterr()
    assert "| id | amount | label | nothing |" in captured.out
    assert "| 1  | 2.50   | a,b   | NULL    |" in captured.out
    assert "(1 row)" in captured.err


def test_sql_limit_and_errors(spark: SparkSession, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sql", "select id from range(5)", "--format", "csv", "--limit", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["id", "0", "1"]
    assert "first 2 rows" in captured.err

    assert cli.main(["sql", "select * from no_such_table_anywhere"]) == 1
    assert "no_such_table_anywhere" in capsys.readouterr().err


def test_sql_confirms_a_statement_without_a_result_set(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sql", "create or replace temporary view cli_probe as select 1 as x"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "lakehouse sql: done (the statement returns no rows)"
    ]
    assert spark.table("cli_probe").first().x == 1


def test_build_hands_every_argument_to_dbt_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def record(command: str, dbt_args: list[str], settings: object) -> object:
        seen.append([command, *dbt_args])
        return SimpleNamespace(exit_code=0, result=SimpleNamespace(exception=None))

    monkeypatch.setattr(dbt_passthrough, "run_dbt", record)
    args = ["--select", "+dim_currencies", "--target", "prod_thrift", "--full-refresh"]
    assert cli.main(["build", *args]) == 0
    # `lakehouse dbt` hands its first argument to dbt as the command, the rest in order.
    assert cli.main(["dbt", "source", "freshness", "--select", "source:bronze.brands"]) == 0
    assert seen == [["build", *args], ["source", "freshness", "--select", "source:bronze.brands"]]


def test_the_warehouse_check_lists_tables_not_temporary_views(spark: SparkSession) -> None:
    # dbt leaves `<model>__dbt_tmp` temporary views in the session after an incremental run;
    # Spark lists them under every schema, where they would pass for stored tables.
    spark.sql("create schema if not exists gold")
    spark.sql("create table if not exists gold.summary_probe (id int) using delta")
    spark.sql("create or replace temporary view summary_probe__dbt_tmp as select 1 as id")
    try:
        names = existing_tables(spark, {"gold"})
    finally:
        spark.catalog.dropTempView("summary_probe__dbt_tmp")
        spark.sql("drop table gold.summary_probe")
    assert "gold.summary_probe" in names
    assert "gold.summary_probe__dbt_tmp" not in names


def test_the_watch_mode_takes_the_state_lock_per_batch_not_for_its_whole_run() -> None:
    assert cli.takes_the_lock(["ingest"])
    assert cli.takes_the_lock(["build-changed"])
    assert cli.takes_the_lock(["dbt", "source", "freshness"])
    assert not cli.takes_the_lock(["ingest", "--watch", "--interval", "5"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "--interval", "5"], "--interval goes with --watch"),
        (["ingest", "--watch", "--interval", "0"], "must be a number of seconds above 0"),
        (["ingest", "--watch", "--interval", "soon"], "'soon' is not a number of seconds"),
        (["build-changed", "--skip-exit-code", "75"], "must be 0, or 3 to 125 other than 75"),
        (["dbt"], "name a dbt command, e.g. `lakehouse dbt source freshness`"),
    ],
)
def test_scheduling_arguments_are_checked_before_anything_runs(
    args: list[str],
    message: str,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LAKEHOUSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAKEHOUSE_LANDING", str(tmp_path))
    try:
        code = cli.main(args)
    except SystemExit as usage_error:  # argparse's own refusal
        code = usage_error.code
    assert code == 2
    assert message in capsys.readouterr().err
