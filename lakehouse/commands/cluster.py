"""`lakehouse cluster start|stop|status`: a local Spark standalone cluster (master + one worker)."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from lakehouse.settings import Settings
from lakehouse.thrift import cluster
from lakehouse.thrift.process import ProcessError

DESCRIPTION = """\
Run a Spark standalone cluster on this machine: one master and one worker from the pyspark
wheel, bound to 127.0.0.1 (web UIs on loopback too), pids, logs and the worker's work folder in
$LAKEHOUSE_HOME/cluster/. Point the Thrift server at it to run queries on real executors:

  lakehouse cluster start
  lakehouse thrift start --master spark://127.0.0.1:7077
  lakehouse build --target prod_thrift

For an existing cluster (standalone, YARN, Kubernetes) skip this command and set
LAKEHOUSE_SPARK_MASTER (see docs/operations.md)."""

EPILOG = """\
exit codes: start 0 when the worker has registered with the master (or both already ran),
1 when a daemon failed to start (the reason from its log is printed), 2 for invalid settings or
a port already in use; stop 0 when nothing is left running; status 0 running, 1 not running."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cluster",
        help="start, stop or inspect a local Spark standalone cluster (master + one worker)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    start = actions.add_parser(
        "start",
        help="start the master and one worker; return once the worker has registered",
        description=(
            "Start a Spark standalone master and one worker on 127.0.0.1. Options override the "
            "LAKEHOUSE_CLUSTER_* settings."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    start.add_argument(
        "--port", type=_port, help="master port (default: LAKEHOUSE_CLUSTER_PORT, 7077)"
    )
    start.add_argument(
        "--ui-port",
        type=_port_or_zero,
        help="master web UI port, 0 for any free one (default: LAKEHOUSE_CLUSTER_UI_PORT, 8080)",
    )
    start.add_argument(
        "--worker-memory",
        help="memory the worker offers to executors, e.g. 2g (default: LAKEHOUSE_CLUSTER_WORKER_MEMORY, 1g)",
    )
    start.add_argument(
        "--worker-cores",
        type=_positive,
        help="cores the worker offers to executors (default: LAKEHOUSE_CLUSTER_WORKER_CORES, 2)",
    )
    start.add_argument(
        "--timeout",
        type=float,
        default=cluster.DEFAULT_START_TIMEOUT,
        metavar="SECONDS",
        help=f"give up (and stop what started) after this long (default: {cluster.DEFAULT_START_TIMEOUT:.0f})",
    )
    start.set_defaults(handler=run_start)

    stop = actions.add_parser(
        "stop",
        help="stop the worker (with its executors) and the master",
        description="Stop the worker, its executors and the master: SIGTERM, wait, then SIGKILL.",
    )
    stop.add_argument(
        "--timeout",
        type=float,
        default=cluster.DEFAULT_STOP_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds to wait after SIGTERM before SIGKILL (default: {cluster.DEFAULT_STOP_TIMEOUT:.0f})",
    )
    stop.set_defaults(handler=run_stop)

    status = actions.add_parser(
        "status",
        help="say whether the cluster runs (exit 0) or not (exit 1)",
        description="Print the master URL, the daemons' pids, web UIs and logs.",
    )
    status.set_defaults(handler=run_status)


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an integer") from None


def _port(raw: str) -> int:
    value = _int(raw)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is between 1 and 65535")
    return value


def _port_or_zero(raw: str) -> int:
    return 0 if _int(raw) == 0 else _port(raw)


def _positive(raw: str) -> int:
    value = _int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    overrides = {
        "cluster_port": getattr(args, "port", None),
        "cluster_ui_port": getattr(args, "ui_port", None),
        "cluster_worker_memory": getattr(args, "worker_memory", None),
        "cluster_worker_cores": getattr(args, "worker_cores", None),
    }
    settings = dataclasses.replace(
        settings, **{key: value for key, value in overrides.items() if value is not None}
    )
    settings.validate()
    return settings


def run_start(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        current, started = cluster.start(
            settings, timeout=args.timeout, progress=lambda message: print(message, flush=True)
        )
    except ProcessError as error:
        print(f"lakehouse cluster: {error}", file=sys.stderr)
        return 1
    if not started:
        print(f"already running: {current.master_url}")
        return 0
    print(f"ready: {current.master_url} (master UI {current.master.ui or 'unknown'})")
    print(f"  next: lakehouse thrift start --master {current.master_url}")
    return 0


def run_stop(args: argparse.Namespace) -> int:
    try:
        outcomes = cluster.stop(Settings.from_env(), timeout=args.timeout)
    except ProcessError as error:
        print(f"lakehouse cluster: {error}", file=sys.stderr)
        return 1
    print("; ".join(outcomes) if outcomes else "the cluster is not running")
    return 0


def run_status(args: argparse.Namespace) -> int:
    current = cluster.status(Settings.from_env())
    state = "running" if current.running else "not running"
    print(f"standalone cluster: {state}" + (f" ({current.master_url})" if current.running else ""))
    for daemon in (current.master, current.worker):
        pid = f"pid {daemon.pid}" if daemon.running else "stopped"
        ui = f", UI {daemon.ui}" if daemon.ui else ""
        print(f"  {daemon.name:<7} {pid}{ui}, log {daemon.log}")
    if current.running:
        print(f"  worker offers {current.worker_cores} cores, {current.worker_memory}")
    return 0 if current.running else 1
