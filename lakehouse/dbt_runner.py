"""dbt, invoked in-process on the shared SparkSession.

For the `local` target the lakehouse session is created first (one JVM per process); dbt-spark's
session method then finds it through ``SparkSession.builder.getOrCreate()`` and reuses it. For
the `thrift` target no local Spark is started at all: dbt talks to the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dbt.cli.main import dbtRunner, dbtRunnerResult

from ingestion.loader import ensure_bronze_tables
from lakehouse.session import ensure_metastore_free, get_spark
from lakehouse.settings import Settings, export

LOCAL_TARGET = "local"


@dataclass(frozen=True)
class DbtOutcome:
    success: bool
    result: dbtRunnerResult

    @property
    def exit_code(self) -> int:
        return 0 if self.success else 1


def requested_target(dbt_args: Sequence[str], settings: Settings) -> str:
    """The dbt target the arguments (or LAKEHOUSE_DBT_TARGET) ask for."""
    args = list(dbt_args)
    for index, arg in enumerate(args):
        if arg in ("--target", "-t") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--target="):
            return arg.split("=", 1)[1]
    return settings.dbt_target


def _given(dbt_args: Sequence[str], option: str) -> bool:
    return any(arg == option or arg.startswith(f"{option}=") for arg in dbt_args)


def run_dbt(
    command: str, dbt_args: Sequence[str], settings: Settings, *, ensure_bronze: bool = True
) -> DbtOutcome:
    """Run ``dbt <command> <dbt_args>`` in this process against the lakehouse project.

    ``ensure_bronze=False`` is for a caller that has just ensured the Bronze tables itself
    (``lakehouse run``, right after ingesting): checking eight tables again costs seconds."""
    # The profile reads the same resolved settings the session was built from.
    export(settings)
    if requested_target(dbt_args, settings) == LOCAL_TARGET:
        # Derby admits one process: a running Thrift server of this state folder owns the
        # metastore, so an embedded session would fail obscurely. Say so plainly instead.
        ensure_metastore_free(settings)
        if ensure_bronze:
            # dbt registers the Bronze tables on every run (on-run-start); make sure each
            # exists, empty if nothing was ingested yet, so a build before the first ingest
            # still works.
            ensure_bronze_tables(get_spark(settings), settings)
    args = [command, *dbt_args]
    if not _given(dbt_args, "--project-dir"):
        args += ["--project-dir", str(settings.project_dir)]
    if not _given(dbt_args, "--profiles-dir"):
        args += ["--profiles-dir", str(settings.project_dir)]
    # Each state folder keeps its own artifacts and logs: two state folders never share a file.
    if not _given(dbt_args, "--target-path"):
        args += ["--target-path", str(settings.dbt_target_dir)]
    if not _given(dbt_args, "--log-path"):
        args += ["--log-path", str(settings.dbt_log_dir)]
    result = dbtRunner().invoke(args)
    return DbtOutcome(success=bool(result.success), result=result)
