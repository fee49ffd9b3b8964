"""Detached JVMs from the pyspark wheel: launch, record, check, stop, and read their logs.

Every long-running process is started in a session of its own (``start_new_session``) so that
its pid is also its process-group id: stopping sends SIGTERM to the whole group (the JVM and
anything it forked, e.g. a worker's executors), waits, then escalates to SIGKILL. A process is
only ever signalled when its command line still carries the marker it was started with (the
main class), so a recycled pid is never mistaken for ours.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from lakehouse.settings import Settings, SettingsError, child_environment

_PROC = Path("/proc")
_PROBLEM = re.compile(r"\b(ERROR|FATAL)\b|Exception\b|Error:|^Caused by:")
_STACK_FRAME = re.compile(r"^\s+(at |\.\.\. \d+ more)")


# The Thrift server's main class: the marker its process is recognised by.
THRIFT_SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
THRIFT_STATE_FILE = "server.json"


class ProcessError(RuntimeError):
    """A server process failed to start or to stop; the message says why (from its log)."""


class PortInUseError(SettingsError):
    """The address a server should listen on is taken by another process."""


def spark_home() -> Path:
    """The Spark distribution inside the pyspark wheel (bin/spark-submit, bin/spark-class, jars/)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def spark_script(name: str) -> Path:
    return spark_home() / "bin" / name


def child_env(settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a Spark daemon: this process's, minus secrets, plus the lakehouse settings
    and the wheel's SPARK_HOME, with Spark's own addresses on the configured (loopback) host."""
    env = child_environment()
    env.update(settings.as_env())
    env["SPARK_HOME"] = str(spark_home())
    # Spark binds its web UIs and block managers to SPARK_LOCAL_IP (else all interfaces).
    env["SPARK_LOCAL_IP"] = settings.driver_host
    env.update(extra or {})
    return env


def rotate_log(log: Path) -> None:
    """Keep the previous run's log as ``<name>.1``; the new run writes a fresh file."""
    if log.exists():
        log.replace(log.with_name(log.name + ".1"))


def launch(
    command: Sequence[str], *, env: Mapping[str, str], log: Path, cwd: Path
) -> subprocess.Popen[bytes]:
    """Start ``command`` detached, in its own session, stdout and stderr appended to ``log``.

    While the caller waits for it, liveness comes from the Popen object: between fork and exec
    the child's command line is still the caller's, so ``is_alive`` would not recognise it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    rotate_log(log)
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    return process


def write_state(path: Path, state: Mapping[str, object]) -> None:
    """Write a state file atomically (pid, address, log …; never a secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(dict(state), indent=2, sort_keys=True) + "\n")
    partial.replace(path)


def read_state(path: Path) -> dict[str, object] | None:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def remove_files(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _reap(pid: int) -> bool:
    """Reap ``pid`` if it is an exited child of this process; True when it was."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, …]."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[-1].split()


def _cmdline(pid: int) -> str | None:
    try:
        return (
            (_PROC / str(pid) / "cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode(errors="replace")
        )
    except OSError:
        return None


def is_alive(pid: int, marker: str) -> bool:
    """True when ``pid`` runs and is still the process we started (its command has ``marker``)."""
    if pid <= 0 or _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else: the marker check below decides
    if not _PROC.is_dir():
        return True
    stat = _proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X"):
        return False
    cmdline = _cmdline(pid)
    # While a process exec's (the server's launch scripts exec each other, then Java), /proc
    # shows an empty command line for an instant: look again rather than call it gone (seen
    # in about 1 check in 100 made during an exec).
    for _ in range(50):
        if cmdline != "":
            break
        time.sleep(0.002)
        cmdline = _cmdline(pid)
    return cmdline is not None and marker in cmdline


def group_members(pgid: int) -> list[int]:
    """Every live process whose process group is ``pgid``."""
    if not _PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat and len(stat) > 2 and stat[2] == str(pgid) and stat[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def _wait_until_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        _reap(pgid)
        if not group_members(pgid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def stop_group(pid: int, marker: str, timeout: float) -> str:
    """Stop the process group led by ``pid``: SIGTERM, wait ``timeout`` seconds, then SIGKILL.

    Returns ``"not running"``, ``"stopped"`` or ``"killed"``. Raises ProcessError when even
    SIGKILL leaves a process behind (e.g. one owned by another user).
    """
    if not is_alive(pid, marker) and not group_members(pid):
        return "not running"
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    if _wait_until_gone(pid, timeout):
        return "stopped"
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    if _wait_until_gone(pid, 10):
        return "killed"
    raise ProcessError(f"process group {pid} survived SIGKILL: {group_members(pid)}")


def connect_host(bind_host: str) -> str:
    """Where a client on this machine reaches a server bound to ``bind_host``."""
    return "127.0.0.1" if bind_host in ("", "0.0.0.0", "::", "*") else bind_host


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on ``host:port`` (we cannot bind it).

    Raises SettingsError when ``host`` is not an address of this machine."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Same flag the JVM sets: a port in TIME_WAIT is free, a listening one is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            if error.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(
                error, socket.gaierror
            ):
                raise SettingsError(
                    f"cannot listen on {host}:{port}: {error.strerror or error}; the host must "
                    "be an address of this machine (e.g. 127.0.0.1, or 0.0.0.0 for all)"
                ) from None
            raise
    return False


def accepts_tcp(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def log_reason(log: Path, max_lines: int = 12) -> str:
    """The part of a log that says why a process failed: its error lines (without stack
    frames), else its last lines."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {log})"
    problems = [
        line.rstrip() for line in lines if _PROBLEM.search(line) and not _STACK_FRAME.match(line)
    ]
    chosen = problems[:max_lines] if problems else [line.rstrip() for line in lines[-max_lines:]]
    return "\n".join(chosen) if chosen else "(the log is empty)"


def find_in_log(log: Path, pattern: re.Pattern[str]) -> re.Match[str] | None:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return None
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None
