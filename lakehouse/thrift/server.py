"""The Spark Thrift Server (HiveServer2 protocol) with the lakehouse's configuration.

``lakehouse thrift start`` runs the pyspark wheel's ``spark-submit --class HiveThriftServer2``
with every item of ``lakehouse.session.spark_conf`` as ``--conf`` (Delta, warehouse, Derby
metastore, jars, driver memory, master), its address as ``--hiveconf``, detached, pid and log
in ``$LAKEHOUSE_HOME/thrift/``. ``start`` returns only once a real HiveServer2 client has run
``select 1``. While the server runs it owns the embedded Derby metastore of its state folder (the session
factory, ``lakehouse.session``, refuses to open it then).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lakehouse.session import required_jars, spark_conf
from lakehouse.settings import Settings
from lakehouse.thrift import auth
from lakehouse.thrift.process import (
    THRIFT_SERVER_CLASS,
    THRIFT_STATE_FILE,
    PortInUseError,
    ProcessError,
    accepts_tcp,
    child_env,
    connect_host,
    is_alive,
    launch,
    log_reason,
    port_in_use,
    read_state,
    remove_files,
    spark_script,
    stop_group,
    write_state,
)

MAIN_CLASS = THRIFT_SERVER_CLASS
APP_NAME = "lakehouse-thrift"
LOG4J_CONFIG = Path(__file__).resolve().parent / "log4j2-server.properties"
DEFAULT_START_TIMEOUT = 180.0
DELTA_METADATA_QUERY = "spark.databricks.delta.optimizeMetadataQuery.enabled"
DEFAULT_STOP_TIMEOUT = 30.0

_DERBY_BUSY = "Another instance of Derby may have already booted the database"


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    state_dir: Path
    log: Path
    pid: int | None = None
    host: str | None = None
    port: int | None = None
    master: str | None = None
    auth: str | None = None
    user: str | None = None
    metastore: str | None = None
    started: str | None = None
    stale: bool = False  # a state file whose process is gone

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:hive2://{connect_host(self.host or '')}:{self.port}/default"


def state_dir(settings: Settings) -> Path:
    return settings.thrift_state_dir


def state_file(settings: Settings) -> Path:
    return state_dir(settings) / THRIFT_STATE_FILE


def pid_file(settings: Settings) -> Path:
    return state_dir(settings) / "server.pid"


def log_file(settings: Settings) -> Path:
    return state_dir(settings) / "server.log"


def server_conf(
    settings: Settings,
    jars: list[Path],
    provider_jar: Path | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``spark_conf`` for the server: the same lakehouse, its own app name and log settings,
    the password provider on the class path when asked, then any ``--conf`` overrides."""
    conf = spark_conf(settings, jars)
    conf["spark.app.name"] = APP_NAME
    # The Thrift server turns on Spark's Java 8 date/time API in every session (the embedded
    # session keeps it off). Delta 4.4 then fails to answer `min`/`max` of a DATE column from
    # its log statistics (ClassCastException: LocalDate cannot be cast to java.sql.Date), so
    # that metadata-only shortcut is off here; the query computes the same answer by scanning.
    conf[DELTA_METADATA_QUERY] = "false"
    conf["spark.driver.extraJavaOptions"] = re.sub(
        r"-Dlog4j2\.configurationFile=\S+",
        f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}",
        conf["spark.driver.extraJavaOptions"],
    )
    if provider_jar is not None:
        conf["spark.driver.extraClassPath"] += f":{provider_jar}"
    conf.update(extra or {})
    return conf


# Hive's statement pool starts a fresh thread for each statement until it holds its core size
# (default 100) and lets idle threads die after 10 s, so every statement of an analyst's
# `dbt build -s <mart>` paid for a new thread and for the client state Spark and Hive keep per
# thread (Hive clients, metastore stores, Hadoop's XML defaults). A pool of 16 that lives a day
# reuses its threads: 7.4 s against 8.4 s a warm build of dim_currencies, medians of 12
# (docs/operations.md). Statements beyond 16 at once wait in the pool's queue.
# Impersonation (hive.server2.enable.doAs) stays on: turned off, sessions share Spark's one
# Hive client and closing a session can close it under another, which killed a connection.
STATEMENT_THREADS = 16
KEEP_STATEMENT_THREADS = {
    "hive.server2.async.exec.threads": str(STATEMENT_THREADS),
    "hive.server2.async.exec.keepalive.time": "86400s",
}


def server_hiveconf(settings: Settings) -> dict[str, str]:
    return {
        "hive.server2.transport.mode": "binary",
        "hive.server2.thrift.bind.host": settings.thrift_host,
        "hive.server2.thrift.port": str(settings.thrift_port),
        **KEEP_STATEMENT_THREADS,
        **auth.server_hiveconf(settings),
    }


def server_command(conf: Mapping[str, str], hiveconf: Mapping[str, str]) -> list[str]:
    """The spark-submit command line (no secrets: those travel in the environment)."""
    command = [str(spark_script("spark-submit")), "--class", MAIN_CLASS]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    for key, value in hiveconf.items():
        command += ["--hiveconf", f"{key}={value}"]
    return command


def status(settings: Settings) -> ServerStatus:
    """What the state folder says about its server, checked against the live process."""
    state = read_state(state_file(settings))
    if state is None:
        return ServerStatus(running=False, state_dir=state_dir(settings), log=log_file(settings))
    pid = int(str(state.get("pid", 0)))
    running = is_alive(pid, MAIN_CLASS)
    return ServerStatus(
        running=running,
        state_dir=state_dir(settings),
        log=Path(str(state.get("log", log_file(settings)))),
        pid=pid,
        host=str(state.get("host")),
        port=int(str(state.get("port", 0))),
        master=str(state.get("master")),
        auth=str(state.get("auth")),
        user=str(state.get("user")),
        metastore=str(state.get("metastore")),
        started=str(state.get("started")),
        stale=not running,
    )


def start(
    settings: Settings,
    *,
    extra_conf: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_START_TIMEOUT,
    progress: Callable[[str], None] = lambda _message: None,
) -> tuple[ServerStatus, bool]:
    """Start the server and wait until it answers a query. Returns (status, started); started
    is False when a server for this state folder was already running."""
    current = status(settings)
    if current.running:
        return current, False
    creds = auth.credentials(settings)  # fails fast when the password is missing
    jars = required_jars(settings)
    provider = auth.provider_jar(settings.jars_dir) if creds else None
    if port_in_use(settings.thrift_host, settings.thrift_port):
        raise PortInUseError(
            f"port {settings.thrift_port} on {settings.thrift_host} is already in use by another "
            "program; choose a free port with LAKEHOUSE_THRIFT_PORT (or `--port`), or stop what "
            "listens there"
        )
    conf = server_conf(settings, jars, provider, extra_conf)
    command = server_command(conf, server_hiveconf(settings))
    folder = state_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    settings.home.mkdir(parents=True, exist_ok=True)
    log = log_file(settings)
    progress(
        f"starting the Spark Thrift Server on {settings.thrift_host}:{settings.thrift_port} "
        f"(master {conf['spark.master']}, auth {settings.thrift_auth}, log {log}) …"
    )
    process = launch(
        command, env=child_env(settings, auth.server_env(settings)), log=log, cwd=folder
    )
    pid = process.pid
    write_state(
        state_file(settings),
        {
            "pid": pid,
            "host": settings.thrift_host,
            "port": settings.thrift_port,
            "master": conf["spark.master"],
            "auth": settings.thrift_auth,
            "user": settings.thrift_user,
            "log": str(log),
            "metastore": conf.get("spark.hadoop.hive.metastore.uris") or str(settings.metastore),
            "warehouse": conf["spark.sql.warehouse.dir"],
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    )
    pid_file(settings).write_text(f"{pid}\n")
    try:
        _wait_until_ready(settings, process, log, creds, timeout)
    except BaseException:
        stop_group(pid, MAIN_CLASS, timeout=DEFAULT_STOP_TIMEOUT)
        remove_files(state_file(settings), pid_file(settings))
        raise
    return status(settings), True


def _wait_until_ready(
    settings: Settings,
    process: subprocess.Popen[bytes],
    log: Path,
    creds: tuple[str, str] | None,
    timeout: float,
) -> None:
    from lakehouse.thrift.probe import ProbeError, probe

    host = connect_host(settings.thrift_host)
    user, password = creds if creds else (settings.thrift_user, None)
    deadline = time.monotonic() + timeout
    last_error = "the port never opened"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ProcessError(
                _failure(f"exited during start-up (exit code {process.returncode})", log)
            )
        if accepts_tcp(host, settings.thrift_port):
            try:
                probe(host, settings.thrift_port, user, password, timeout=30)
            except ProbeError as error:
                if error.auth_refused:
                    raise ProcessError(
                        f"the server refused the configured login: {error}; see {log}"
                    ) from None
                last_error = str(error)
            else:
                return
        time.sleep(1.0)
    raise ProcessError(
        _failure(f"did not accept connections within {timeout:.0f} s ({last_error})", log)
    )


def _failure(what: str, log: Path) -> str:
    if _DERBY_BUSY in _read(log):
        return (
            f"the Spark Thrift Server {what}: another process (e.g. `lakehouse build` on the "
            "local target, `lakehouse sql`, a notebook) has the embedded Derby metastore of this "
            "state folder open, and Derby admits one process; stop it and retry, or give the "
            f"server its own LAKEHOUSE_HOME. From {log}:\n{log_reason(log, max_lines=4)}"
        )
    return f"the Spark Thrift Server {what}; from {log}:\n{log_reason(log)}"


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def stop(settings: Settings, *, timeout: float = DEFAULT_STOP_TIMEOUT) -> str:
    """Stop the server of this state folder: ``not running``, ``stopped`` or ``killed``."""
    state = read_state(state_file(settings))
    if state is None:
        return "not running"
    outcome = stop_group(int(str(state.get("pid", 0))), MAIN_CLASS, timeout=timeout)
    remove_files(state_file(settings), pid_file(settings))
    return outcome
