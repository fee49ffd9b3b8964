"""profiles.yml and the Spark session factory must describe the same lakehouse."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dbt.config.renderer import ProfileRenderer
from dbt_common.context import set_invocation_context

from lakehouse.session import spark_conf
from lakehouse.settings import Settings

PROJECT = Path(__file__).resolve().parents[2]


def render_output(target: str, env: dict[str, str]) -> dict:
    set_invocation_context(env)
    raw = yaml.safe_load((PROJECT / "profiles.yml").read_text())
    return ProfileRenderer({}).render_data(raw["lakehouse"]["outputs"][target])


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"LAKEHOUSE_WAREHOUSE": "s3a://bucket/wh", "LAKEHOUSE_SHUFFLE_PARTITIONS": "8"},
        {"LAKEHOUSE_DRIVER_MEMORY": "12g", "LAKEHOUSE_SPARK_UI": "true"},
        {
            "LAKEHOUSE_LANDING": "s3a://lake/landing",
            "LAKEHOUSE_BRONZE": "s3a://lake/bronze",
            "LAKEHOUSE_S3_ENDPOINT": "http://127.0.0.1:9000",
        },
        {"LAKEHOUSE_BRONZE": "s3a://lake/bronze", "LAKEHOUSE_S3_ENDPOINT": "https://s3.example"},
    ],
)
def test_local_profile_matches_the_session_factory(
    tmp_path: Path, overrides: dict[str, str]
) -> None:
    settings = Settings.from_env(
        {"LAKEHOUSE_PROJECT_DIR": str(PROJECT), "LAKEHOUSE_HOME": str(tmp_path), **overrides}
    )
    env = {"HOME": str(Path.home()), **settings.as_env()}
    output = render_output("prod", env)
    assert output["method"] == "session"
    assert output["server_side_parameters"] == spark_conf(settings)


def test_default_profile_matches_defaults_when_run_from_the_project() -> None:
    """A bare `dbt debug` from the project folder (no LAKEHOUSE_* set) uses the same places."""
    settings = Settings.from_env({"LAKEHOUSE_PROJECT_DIR": str(PROJECT)})
    output = render_output("prod", {"HOME": str(Path.home())})
    params = output["server_side_parameters"]
    assert (PROJECT / params["spark.sql.warehouse.dir"]).resolve() == Path(settings.warehouse)
    assert params["spark.hadoop.javax.jdo.option.ConnectionURL"] == (
        "jdbc:derby:;databaseName=.lakehouse/metastore_db;create=true"
    )
    assert params["spark.driver.extraClassPath"] == f"{settings.jars_dir}/*"
    assert set(params) == set(spark_conf(settings))


def test_thrift_profile_reads_host_and_port_from_the_environment() -> None:
    output = render_output(
        "prod_thrift", {"LAKEHOUSE_THRIFT_HOST": "10.1.2.3", "LAKEHOUSE_THRIFT_PORT": "10123"}
    )
    assert output["method"] == "thrift"
    assert (output["host"], output["port"]) == ("10.1.2.3", 10123)
    defaults = render_output("prod_thrift", {})
    assert (defaults["host"], defaults["port"]) == ("127.0.0.1", 10000)


def test_thrift_profile_sends_no_password_by_default() -> None:
    output = render_output("prod_thrift", {})
    assert output["auth"] == "NONE"
    assert output["password"] is None
    assert output["user"] == "lakehouse"


def test_thrift_profile_password_mode_reads_the_secret_from_the_environment() -> None:
    env = {
        "LAKEHOUSE_THRIFT_AUTH": "password",
        "LAKEHOUSE_THRIFT_USER": "analyst",
        "LAKEHOUSE_THRIFT_PASSWORD": "12345",  # stays text, not a number
    }
    output = render_output("prod_thrift", env)
    assert (output["auth"], output["user"], output["password"]) == ("CUSTOM", "analyst", "12345")
    profile_text = (PROJECT / "profiles.yml").read_text()
    assert "LAKEHOUSE_THRIFT_PASSWORD', '" not in profile_text  # no default secret


def test_thrift_profile_reaches_a_server_bound_to_all_interfaces_on_loopback() -> None:
    output = render_output("prod_thrift", {"LAKEHOUSE_THRIFT_HOST": "0.0.0.0"})
    assert output["host"] == "127.0.0.1"


@pytest.mark.parametrize("connection", ["", "_thrift"])
def test_dev_and_ci_targets_differ_from_production_only_in_their_schema(connection: str) -> None:
    """`dev` and `ci` reach the same Spark as `prod` (on each connection); only the schema,
    the prefix macro `generate_schema_name` puts before `_silver`, `_gold` and `_audit`,
    differs. A plain `dbt` command builds `dev`."""
    env = {"HOME": str(Path.home()), "LAKEHOUSE_DEV_NAME": "Alice", "LAKEHOUSE_CI_SCHEMA": "ci_42"}
    prod, dev, ci = (render_output(f"{name}{connection}", env) for name in ("prod", "dev", "ci"))
    assert (dev["schema"], ci["schema"]) == ("dbt_alice", "ci_42")
    for output in (dev, ci):
        assert {key: value for key, value in output.items() if key != "schema"} == {
            key: value for key, value in prod.items() if key != "schema"
        }
    # Without a name, $USER is used.
    assert (
        render_output(f"dev{connection}", {"HOME": str(Path.home()), "USER": "bob"})["schema"]
        == "dbt_bob"
    )
    assert yaml.safe_load((PROJECT / "profiles.yml").read_text())["lakehouse"]["target"] == "dev"
