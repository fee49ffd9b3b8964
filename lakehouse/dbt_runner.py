"""dbt, invoked in-process on the shared SparkSession.

profiles.yml has one target per environment and connection: `prod`, `dev` and `ci` on the
embedded Spark session, `prod_thrift`, `dev_thrift` and `ci_thrift` through a Spark Thrift Server.
`prod` writes the shared schemas (`silver`, `gold`, `audit`), `dev` a person's own
(`dbt_<name>_silver`, …), `ci` a throw-away set (macro `generate_schema_name`). The lakehouse
commands pick the environment (`lakehouse run`/`build`: prod, `lakehouse dev`: dev, `lakehouse
ci`: ci) and take the connection from LAKEHOUSE_DBT_TARGET; `--target` in the arguments wins.

For an embedded target the lakehouse session is created first (one JVM per process); dbt-spark's
session method then finds it through ``SparkSession.builder.getOrCreate()`` and reuses it. For
a `_thrift` target no local Spark is started at all: dbt talks to the server.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dbt.cli.main import dbtRunner, dbtRunnerResult

from ingestion.loader import ensure_bronze_tables
from lakehouse.session import ensure_metastore_free, get_spark
from lakehouse.settings import Settings, export

THRIFT_SUFFIX = "_thrift"
PROD = "prod"


@dataclass(frozen=True)
class DbtOutcome:
    success: bool
    result: dbtRunnerResult

    @property
    def exit_code(self) -> int:
        return 0 if self.success else 1


def option_value(dbt_args: Sequence[str], *names: str) -> str | None:
    """The value of a dbt option (``--name value`` or ``--name=value``), if given."""
    args = list(dbt_args)
    for index, arg in enumerate(args):
        if arg in names and index + 1 < len(args):
            return args[index + 1]
        for name in names:
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def target_for(environment: str, settings: Settings) -> str:
    """The target of ``environment`` (prod, dev, ci) on the connection LAKEHOUSE_DBT_TARGET
    chose: `dev` with the embedded session, `dev_thrift` through the Thrift server."""
    thrift = settings.dbt_target.endswith(THRIFT_SUFFIX)
    return environment + (THRIFT_SUFFIX if thrift else "")


def environment_of(target: str) -> str:
    return target.removesuffix(THRIFT_SUFFIX)


def foreign_target(dbt_args: Sequence[str], environment: str) -> str | None:
    """A message when the arguments name a target of another environment (`lakehouse dev
    --target prod` would write production), else None."""
    target = option_value(dbt_args, "--target", "-t")
    if target is None or environment_of(target) == environment:
        return None
    return (
        f"--target {target} is not a {environment} target; use {environment} or "
        f"{environment}{THRIFT_SUFFIX} (or leave --target out)"
    )


def artifacts_dir(settings: Settings, environment: str) -> Path:
    """dbt's target folder for an environment: prod's is the one `lakehouse run` plans from;
    a dev or CI build never overwrites it."""
    if environment == PROD:
        return settings.dbt_target_dir
    return settings.home / "dbt" / f"{environment}-target"


def run_dbt(
    command: str,
    dbt_args: Sequence[str],
    settings: Settings,
    *,
    environment: str = PROD,
    ensure_bronze: bool = True,
) -> DbtOutcome:
    """Run ``dbt <command> <dbt_args>`` in this process against the lakehouse project, on the
    target of ``environment`` unless the arguments name one.

    ``ensure_bronze=False`` is for a caller that has just ensured the Bronze tables itself
    (``lakehouse run``, right after ingesting): checking eight tables again costs seconds."""
    # The profile reads the same resolved settings the session was built from.
    export(settings)
    named = option_value(dbt_args, "--target", "-t")
    target = named or target_for(environment, settings)
    if not target.endswith(THRIFT_SUFFIX):
        # Derby admits one process: a running Thrift server of this state folder owns the
        # metastore, so an embedded session would fail obscurely. Say so plainly instead.
        ensure_metastore_free(settings)
        # dbt registers the Bronze tables on every run (on-run-start); make sure each exists,
        # empty if nothing was ingested yet, so a build before the first ingest still works.
        # Only production does: Bronze is shared, and a dev or CI build never writes it.
        if ensure_bronze and environment_of(target) == PROD:
            ensure_bronze_tables(get_spark(settings), settings)
        elif settings.uses_s3:
            # Start the session here rather than in dbt-spark, so that a dev or CI build on S3
            # tables holds the writer lease too (see writer_lease); dbt-spark reuses it.
            get_spark(settings)
    defaults = {
        "--target": target,
        "--project-dir": str(settings.project_dir),
        "--profiles-dir": str(settings.project_dir),
        # Each state folder keeps its own artifacts and logs: two never share a file.
        "--target-path": str(artifacts_dir(settings, environment_of(target))),
        "--log-path": str(settings.dbt_log_dir),
    }
    args = [command, *dbt_args]
    for option, value in defaults.items():
        if (named if option == "--target" else option_value(dbt_args, option)) is None:
            args += [option, value]
    if not sys.stdout.isatty() and not {"--use-colors", "--no-use-colors"} & set(dbt_args):
        # Output into a file or a pipe (cron, a scheduler's task log): colour codes are noise.
        args.append("--no-use-colors")
    result = dbtRunner().invoke(args)
    return DbtOutcome(success=bool(result.success), result=result)
