"""The one Spark session factory: every command, dbt run and test gets its session here.

``spark_conf`` is a pure function from settings to Spark configuration, so the Thrift server,
the dbt profile and the embedded session can be checked to agree. ``get_spark`` builds the
session once per process; dbt-spark's session method then reuses it through ``getOrCreate``.
"""

from __future__ import annotations

import socket
import sys
import urllib.parse
from pathlib import Path

import pyspark
from pyspark.sql import SparkSession

from lakehouse.errors import EnvironmentProblem
from lakehouse.jars import require_jars
from lakehouse.jvm_archive import archive_option, wait_for_archive_at_exit, writes_archive
from lakehouse.s3_connector import require_connector
from lakehouse.settings import Settings, SettingsError, spark_process_environment
from lakehouse.thrift.process import THRIFT_SERVER_CLASS, THRIFT_STATE_FILE, is_alive, read_state
from lakehouse.writer_lease import hold_writer_leases

LOG4J_CONFIG = Path(__file__).parent / "conf" / "log4j2.properties"
# Java's throughput collector rather than its default G1: batch work on few cores, where G1's
# concurrent threads and costlier write barriers compete with Spark's tasks for the CPUs. One
# new day over 30 days x 100,000 lines (a fresh `lakehouse run`, two interleaved pairs):
# 173-177 s against 179-199 s (bench/results/lab-notes.md).
GARBAGE_COLLECTOR = "-XX:+UseParallelGC"


def delta_conf() -> dict[str, str]:
    return {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    }


def s3_conf(settings: Settings) -> dict[str, str]:
    """Hadoop's S3 connector settings. Always stated (with the connector's own defaults when no
    endpoint is set), so that the dbt profile, which cannot leave a key out, states the same.
    Credentials are never set here: the connector's default chain reads the standard AWS
    variables and instance roles."""
    endpoint = settings.s3_endpoint
    return {
        # An S3-compatible store (MinIO, Ceph, moto) is addressed by path, not virtual host.
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.path.style.access": str(bool(endpoint)).lower(),
        "spark.hadoop.fs.s3a.connection.ssl.enabled": str(
            not endpoint.startswith("http://")
        ).lower(),
    }


def driver_class_path(settings: Settings) -> str:
    """The jar cache on the driver's class path (Java expands a trailing `*` to every jar in
    the folder); the S3 connector's folder too when a location is on S3."""
    folders = [settings.jars_dir, settings.s3_jars_dir] if settings.uses_s3 else [settings.jars_dir]
    return ":".join(f"{folder}/*" for folder in folders)


def required_jars(settings: Settings) -> list[Path]:
    """The cached jars a session needs: Delta's, and the S3 connector's when a location is on
    S3. Missing ones are an error that says how to fetch them (nothing is fetched here)."""
    jars = require_jars(settings.jars_dir)
    if settings.uses_s3:
        jars = [*jars, *require_connector(settings.s3_jars_dir)]
    return jars


def metastore_url(settings: Settings) -> str:
    return f"jdbc:derby:;databaseName={settings.metastore};create=true"


def spark_conf(settings: Settings, jars: list[Path] | None = None) -> dict[str, str]:
    """Spark configuration for the lakehouse (static and runtime settings together)."""
    conf = {
        "spark.master": settings.spark_master,
        "spark.app.name": "lakehouse",
        **delta_conf(),
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": settings.warehouse,
        "spark.hadoop.javax.jdo.option.ConnectionURL": metastore_url(settings),
        "spark.sql.session.timeZone": "UTC",
        # Two cores and small-to-medium data: a handful of shuffle partitions, not 200.
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.databricks.delta.snapshotPartitions": str(settings.shuffle_partitions),
        "spark.ui.enabled": str(settings.spark_ui).lower(),
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": settings.driver_memory,
        "spark.driver.extraClassPath": driver_class_path(settings),
        **s3_conf(settings),
        "spark.driver.extraJavaOptions": (
            f"{GARBAGE_COLLECTOR} "
            f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG} "
            f"-Dderby.system.home={settings.home} "
            f"-Dderby.stream.error.file={settings.home / 'derby.log'} "
            # Spark's full log, stack traces included (the console shows one line each).
            f"-Dlakehouse.log.dir={settings.log_dir}"
        ),
        # Loopback by default: nothing listens beyond this machine unless asked to.
        "spark.driver.host": settings.driver_host,
        "spark.driver.bindAddress": settings.driver_host,
    }
    if not settings.is_local_master and jars:
        # Executors on other machines get the jars shipped by Spark.
        conf["spark.jars"] = ",".join(str(jar) for jar in jars)
    return conf


def ensure_s3_endpoint_reachable(settings: Settings, timeout: float = 5.0) -> None:
    """Fail in seconds when a configured S3 endpoint does not answer (the connector retries
    for minutes before it gives up)."""
    if not (settings.uses_s3 and settings.s3_endpoint):
        return
    address = urllib.parse.urlsplit(settings.s3_endpoint)
    port = address.port or (443 if address.scheme == "https" else 80)
    try:
        with socket.create_connection((address.hostname or "", port), timeout=timeout):
            return
    except OSError as error:
        raise EnvironmentProblem(
            f"the S3 endpoint {settings.s3_endpoint} does not answer "
            f"({error.strerror or error}); start the store or fix LAKEHOUSE_S3_ENDPOINT"
        ) from None


def ensure_master_reachable(master: str, timeout: float = 5.0) -> None:
    """Fail in seconds, with a plain message, when a standalone master does not answer
    (Spark itself retries for about a minute and prints its stack each time)."""
    if not master.startswith("spark://"):
        return
    addresses = master.removeprefix("spark://").split(",")  # HA: several masters
    failures = []
    for address in addresses:
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return
        except (OSError, ValueError) as error:
            failures.append(f"{address}: {getattr(error, 'strerror', None) or error}")
    raise EnvironmentProblem(
        f"the Spark master {master} does not answer ({'; '.join(failures)}); start it "
        "(`lakehouse cluster start` for a local one) or set LAKEHOUSE_SPARK_MASTER"
    )


class MetastoreInUseError(SettingsError):
    """The embedded metastore belongs to a running Thrift server (Derby admits one process)."""


def ensure_metastore_free(settings: Settings) -> None:
    """Refuse, with a clear message, to open a Derby metastore that this state folder's Thrift
    server holds: Derby would refuse too, after minutes of retries and thousands of lines."""
    state = read_state(settings.thrift_state_dir / THRIFT_STATE_FILE)
    if state is None or state.get("metastore") != str(settings.metastore):
        return
    pid = int(str(state.get("pid", 0)))
    if is_alive(pid, THRIFT_SERVER_CLASS):
        raise MetastoreInUseError(
            f"the Thrift server (pid {pid}, {state.get('host')}:{state.get('port')}) owns the "
            f"metastore {settings.metastore} (embedded Derby admits one process); build through it "
            "(--target prod_thrift, or dev_thrift for `lakehouse dev`), or stop it with "
            "`lakehouse thrift stop`"
        )


# What a session that runs for days keeps of finished work (Spark keeps 1,000 jobs, stages and
# SQL executions and 100,000 tasks for its UI and status API): enough for a look at the last
# batches. bench/bench_watch.py: memory over 60 watch batches, lab notes "The watch mode".
LONG_RUNNING_CONF = {
    "spark.ui.retainedJobs": "50",
    "spark.ui.retainedStages": "50",
    "spark.ui.retainedTasks": "5000",
    "spark.sql.ui.retainedExecutions": "50",
}


def get_spark(
    settings: Settings | None = None, *, metastore: bool = True, long_running: bool = False
) -> SparkSession:
    """The process-wide lakehouse session (created on first call, reused after).

    ``metastore=False`` is for work on path-based tables only (`lakehouse ingest --watch`):
    the session gets Spark's in-memory catalog and never opens the embedded Derby metastore,
    which admits one process, so builds can run beside it. ``long_running`` keeps less history
    of finished jobs (``LONG_RUNNING_CONF``)."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    settings = settings or Settings.from_env()
    ensure_s3_endpoint_reachable(settings)
    jars = required_jars(settings)
    if metastore:
        ensure_metastore_free(settings)
    ensure_master_reachable(settings.spark_master)
    settings.home.mkdir(parents=True, exist_ok=True)
    # Python workers must run the same interpreter as the driver (the project's venv).
    spark_process_environment(sys.executable, "127.0.0.1")
    conf = spark_conf(settings, jars)
    # Not in `spark_conf`: the option depends on whether the archive exists yet, and the dbt
    # profile (a plain `dbt` command) states a fixed configuration.
    archive = (
        archive_option(conf["spark.driver.extraClassPath"], Path(pyspark.__file__).parent)
        if settings.jvm_archive
        else ""
    )
    conf["spark.driver.extraJavaOptions"] = f"{archive} {conf['spark.driver.extraJavaOptions']}"
    if not metastore:
        conf["spark.sql.catalogImplementation"] = "in-memory"
    if long_running:
        conf.update(LONG_RUNNING_CONF)
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    if metastore:
        builder = builder.enableHiveSupport()
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    if writes_archive(archive):
        wait_for_archive_at_exit(spark.sparkContext)
    # Tables on S3: one writing driver at a time, across machines (see writer_lease).
    hold_writer_leases(
        spark,
        [settings.bronze, settings.warehouse],
        " ".join(["lakehouse", *sys.argv[1:]]),
        lambda message: print(message, file=sys.stderr, flush=True),
    )
    return spark
