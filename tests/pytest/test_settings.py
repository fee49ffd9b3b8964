"""Settings: defaults, overrides, fail-fast validation, and the configuration table of
docs/configuration.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lakehouse.settings import ENV_VARS, Settings, SettingsError

PROJECT = Path(__file__).resolve().parents[2]


def settings_for(**env: str) -> Settings:
    return Settings.from_env({"LAKEHOUSE_PROJECT_DIR": str(PROJECT), **env})


def test_defaults_live_in_the_project_state_folder() -> None:
    settings = settings_for()
    assert settings.home == PROJECT / ".lakehouse"
    assert settings.landing_dir == PROJECT / ".lakehouse" / "landing"
    assert not settings.uses_s3
    assert settings.warehouse == str(PROJECT / ".lakehouse" / "warehouse")
    assert settings.bronze == str(PROJECT / ".lakehouse" / "bronze")
    assert settings.metastore == PROJECT / ".lakehouse" / "metastore_db"
    assert settings.spark_master == "local[*]"
    assert (settings.thrift_host, settings.thrift_port) == ("127.0.0.1", 10000)
    assert settings.driver_host == "127.0.0.1"
    assert settings.spark_ui is False


def test_overrides_and_hadoop_uris(tmp_path: Path) -> None:
    settings = settings_for(
        LAKEHOUSE_HOME=str(tmp_path),
        LAKEHOUSE_WAREHOUSE="s3a://bucket/warehouse",
        LAKEHOUSE_SPARK_MASTER="spark://127.0.0.1:7077",
        LAKEHOUSE_THRIFT_PORT="10555",
        LAKEHOUSE_SPARK_UI="true",
    )
    assert settings.landing_dir == tmp_path / "landing"
    assert settings.warehouse == "s3a://bucket/warehouse"
    assert settings.uses_s3
    assert settings.bronze == str(tmp_path / "bronze")
    assert not settings.is_local_master
    assert settings.thrift_port == 10555
    assert settings.spark_ui is True
    assert settings.bronze_table_path("orders") == f"{tmp_path}/bronze/orders"


def test_relative_paths_resolve_against_the_project() -> None:
    settings = settings_for(LAKEHOUSE_HOME="state")
    assert settings.home == PROJECT / "state"


def test_landing_option_overrides_environment(tmp_path: Path) -> None:
    settings = settings_for(LAKEHOUSE_LANDING="/somewhere/else")
    assert settings.with_landing(tmp_path).landing_dir == tmp_path
    assert settings.with_landing(None).landing_dir == Path("/somewhere/else")
    remote = settings.with_landing("s3a://lake/landing")
    assert (remote.landing, remote.landing_is_local, remote.uses_s3) == (
        "s3a://lake/landing",
        False,
        True,
    )
    with pytest.raises(SettingsError, match="not a local folder"):
        _ = remote.landing_dir
    with pytest.raises(SettingsError, match="use the s3a:// scheme"):
        settings.with_landing("s3://lake/landing")


def test_an_s3_landing_zone_and_endpoint_are_accepted() -> None:
    settings = settings_for(
        LAKEHOUSE_LANDING="s3a://lake/landing",
        LAKEHOUSE_BRONZE="s3a://lake/bronze",
        LAKEHOUSE_S3_ENDPOINT="http://127.0.0.1:9000/",
    )
    assert settings.landing == "s3a://lake/landing"
    assert settings.s3_endpoint == "http://127.0.0.1:9000"
    assert settings.bronze_table_path("orders") == "s3a://lake/bronze/orders"
    assert settings.s3_jars_dir == settings.jars_dir / "s3"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LAKEHOUSE_SPARK_MASTER", "localhost", "not a Spark master URL"),
        ("LAKEHOUSE_DRIVER_MEMORY", "lots", "not a JVM memory size"),
        ("LAKEHOUSE_THRIFT_PORT", "http", "not an integer"),
        ("LAKEHOUSE_THRIFT_PORT", "70000", "between 1 and 65535"),
        ("LAKEHOUSE_SHUFFLE_PARTITIONS", "0", "at least 1"),
        ("LAKEHOUSE_SPARK_UI", "maybe", "not a boolean"),
        ("LAKEHOUSE_LANDING", "s3://bucket/landing", "use the s3a:// scheme"),
        ("LAKEHOUSE_WAREHOUSE", "s3n://bucket/wh", "use the s3a:// scheme"),
        ("LAKEHOUSE_BRONZE", "s3a://Bad_Bucket/bronze", "does not name an S3 bucket"),
        ("LAKEHOUSE_S3_ENDPOINT", "127.0.0.1:9000", "http://host:port"),
        ("LAKEHOUSE_S3_ENDPOINT", "http://host:9000/path", "no path"),
        ("LAKEHOUSE_DBT_TARGET", "local", "not a production target"),
        ("LAKEHOUSE_DBT_TARGET", "dev", "not a production target"),
        ("LAKEHOUSE_DEV_NAME", "jean-luc", "LAKEHOUSE_DEV_NAME=alice"),
        ("LAKEHOUSE_CI_SCHEMA", "ci-42", "not a schema prefix"),
    ],
)
def test_invalid_values_fail_fast_naming_the_variable(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as error:
        settings_for(**{variable: value})
    assert variable in str(error.value)


def test_every_setting_round_trips_through_the_environment(tmp_path: Path) -> None:
    settings = settings_for(LAKEHOUSE_HOME=str(tmp_path), LAKEHOUSE_THRIFT_PORT="12345")
    assert Settings.from_env(settings.as_env()) == settings
    assert set(settings.as_env()) == set(ENV_VARS) | {"LAKEHOUSE_PROJECT_DIR"}


def test_the_configuration_doc_documents_every_variable() -> None:
    readme = (PROJECT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `(LAKEHOUSE_[A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert documented >= set(ENV_VARS), (
        f"missing from docs/configuration.md: {set(ENV_VARS) - documented}"
    )


def test_dev_schemas_are_named_after_the_developer() -> None:
    assert settings_for(LAKEHOUSE_DEV_NAME="Alice").dev_schema_prefix() == "dbt_alice"
    assert settings_for(USER="bob").dev_schema_prefix() == "dbt_bob"
    # No name at all fails when a dev build needs one, not before.
    nameless = settings_for(USER="")
    with pytest.raises(SettingsError, match="LAKEHOUSE_DEV_NAME"):
        nameless.dev_schema_prefix()
