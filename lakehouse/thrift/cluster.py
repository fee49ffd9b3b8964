"""A local Spark standalone cluster: one Master and one Worker from the pyspark wheel.

``lakehouse cluster start`` runs ``spark-class org.apache.spark.deploy.master.Master`` and
``…worker.Worker`` on 127.0.0.1 (web UIs on loopback too), detached, with pids, logs and the
worker's work folder in ``$LAKEHOUSE_HOME/cluster/``. The Thrift server (or any Spark
application) then runs on it with ``--master spark://127.0.0.1:<port>``; executors get the
Delta jars through ``spark.jars``, which ``spark_conf`` sets for every non-local master.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lakehouse.settings import Settings, child_environment
from lakehouse.thrift.process import (
    PortInUseError,
    ProcessError,
    accepts_tcp,
    child_env,
    find_in_log,
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

HOST = "127.0.0.1"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
DAEMON_MEMORY = "512m"  # heap of the Master and Worker daemons themselves (not of executors)
DEFAULT_START_TIMEOUT = 90.0
DEFAULT_STOP_TIMEOUT = 30.0

_MASTER_READY = re.compile(r"I have been elected leader|Running Spark Master as standalone")
_WORKER_READY = re.compile(r"Successfully registered with master")
_UI = re.compile(r"Bound \w+WebUI to [^,]+, and started at (\S+)")


@dataclass(frozen=True)
class DaemonStatus:
    name: str
    running: bool
    pid: int | None
    log: Path
    ui: str | None = None


@dataclass(frozen=True)
class ClusterStatus:
    master_url: str | None
    master: DaemonStatus
    worker: DaemonStatus
    worker_memory: str | None = None
    worker_cores: int | None = None
    started: str | None = None

    @property
    def running(self) -> bool:
        return self.master.running and self.worker.running


def state_dir(settings: Settings) -> Path:
    return settings.home / "cluster"


def state_file(settings: Settings) -> Path:
    return state_dir(settings) / "cluster.json"


def master_url(settings: Settings) -> str:
    return f"spark://{HOST}:{settings.cluster_port}"


def _log(settings: Settings, name: str) -> Path:
    return state_dir(settings) / f"{name}.log"


def _pid_file(settings: Settings, name: str) -> Path:
    return state_dir(settings) / f"{name}.pid"


def master_command(settings: Settings) -> list[str]:
    return [
        str(spark_script("spark-class")),
        MASTER_CLASS,
        "--host",
        HOST,
        "--port",
        str(settings.cluster_port),
        "--webui-port",
        str(settings.cluster_ui_port),
    ]


def worker_command(settings: Settings) -> list[str]:
    return [
        str(spark_script("spark-class")),
        WORKER_CLASS,
        master_url(settings),
        "--host",
        HOST,
        "--webui-port",
        "0",  # any free port, on loopback
        "--cores",
        str(settings.cluster_worker_cores),
        "--memory",
        settings.cluster_worker_memory,
        "--work-dir",
        str(state_dir(settings) / "work"),
    ]


def _daemon(settings: Settings, state: dict[str, object] | None, name: str) -> DaemonStatus:
    marker = MASTER_CLASS if name == "master" else WORKER_CLASS
    log = _log(settings, name)
    pid = int(str(state.get(f"{name}_pid", 0))) if state else 0
    running = bool(pid) and is_alive(pid, marker)
    ui_match = find_in_log(log, _UI) if running else None
    return DaemonStatus(
        name=name,
        running=running,
        pid=pid or None,
        log=log,
        ui=ui_match.group(1) if ui_match else None,
    )


def status(settings: Settings) -> ClusterStatus:
    state = read_state(state_file(settings))
    return ClusterStatus(
        master_url=str(state["master_url"]) if state and "master_url" in state else None,
        master=_daemon(settings, state, "master"),
        worker=_daemon(settings, state, "worker"),
        worker_memory=str(state.get("worker_memory")) if state else None,
        worker_cores=int(str(state.get("worker_cores"))) if state else None,
        started=str(state.get("started")) if state else None,
    )


def start(
    settings: Settings,
    *,
    timeout: float = DEFAULT_START_TIMEOUT,
    progress: Callable[[str], None] = lambda _message: None,
) -> tuple[ClusterStatus, bool]:
    """Start master and worker; return once the worker has registered. (status, started)."""
    current = status(settings)
    if current.running:
        return current, False
    if current.master.running or current.worker.running:
        stop(settings)  # half a cluster: start over cleanly
    for port, variable in (
        (settings.cluster_port, "LAKEHOUSE_CLUSTER_PORT (or --port)"),
        (settings.cluster_ui_port, "LAKEHOUSE_CLUSTER_UI_PORT (or --ui-port)"),
    ):
        if port and port_in_use(HOST, port):
            raise PortInUseError(
                f"port {port} on {HOST} is already in use by another program; choose a free "
                f"port with {variable}, or stop what listens there"
            )
    folder = state_dir(settings)
    (folder / "work").mkdir(parents=True, exist_ok=True)
    env = child_env(
        settings,
        {
            "SPARK_DAEMON_MEMORY": DAEMON_MEMORY,
            "SPARK_LOCAL_IP": HOST,
            # No REST submission server (it would listen on a fixed port, 6066).
            "SPARK_MASTER_OPTS": (
                "-Dspark.master.rest.enabled=false "
                + child_environment().get("SPARK_MASTER_OPTS", "")
            ).strip(),
        },
    )
    state: dict[str, object] = {
        "master_url": master_url(settings),
        "worker_memory": settings.cluster_worker_memory,
        "worker_cores": settings.cluster_worker_cores,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    deadline = time.monotonic() + timeout
    progress(f"starting the Spark standalone master on {master_url(settings)} …")
    try:
        master = launch(master_command(settings), env=env, log=_log(settings, "master"), cwd=folder)
        state["master_pid"] = master.pid
        _record(settings, state, "master")
        _wait(
            master,
            _log(settings, "master"),
            "master",
            deadline,
            lambda: (
                accepts_tcp(HOST, settings.cluster_port)
                and find_in_log(_log(settings, "master"), _MASTER_READY) is not None
            ),
        )
        progress(
            f"starting one worker ({settings.cluster_worker_cores} cores, "
            f"{settings.cluster_worker_memory}) …"
        )
        worker = launch(worker_command(settings), env=env, log=_log(settings, "worker"), cwd=folder)
        state["worker_pid"] = worker.pid
        _record(settings, state, "worker")
        _wait(
            worker,
            _log(settings, "worker"),
            "worker",
            deadline,
            lambda: find_in_log(_log(settings, "worker"), _WORKER_READY) is not None,
        )
    except BaseException:
        stop(settings)
        raise
    return status(settings), True


def _record(settings: Settings, state: dict[str, object], name: str) -> None:
    write_state(state_file(settings), state)
    _pid_file(settings, name).write_text(f"{state[f'{name}_pid']}\n")


def _wait(
    process: subprocess.Popen[bytes],
    log: Path,
    name: str,
    deadline: float,
    ready: Callable[[], bool],
) -> None:
    while time.monotonic() < deadline:
        if ready():
            return
        if process.poll() is not None:
            raise ProcessError(
                f"the standalone {name} exited during start-up (exit code "
                f"{process.returncode}); from {log}:\n{log_reason(log)}"
            )
        time.sleep(0.5)
    raise ProcessError(
        f"the standalone {name} was not ready in time; from {log}:\n{log_reason(log)}"
    )


def stop(settings: Settings, *, timeout: float = DEFAULT_STOP_TIMEOUT) -> list[str]:
    """Stop the worker (and its executors), then the master. Returns what happened to each."""
    state = read_state(state_file(settings))
    if state is None:
        return []
    outcomes = []
    for name, marker in (("worker", WORKER_CLASS), ("master", MASTER_CLASS)):
        pid = int(str(state.get(f"{name}_pid", 0)))
        if pid:
            outcomes.append(f"{name} {stop_group(pid, marker, timeout=timeout)}")
    remove_files(state_file(settings), _pid_file(settings, "master"), _pid_file(settings, "worker"))
    return outcomes
