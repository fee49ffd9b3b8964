"""`lakehouse thrift start|stop|status`: the Spark Thrift Server for dbt's `_thrift` targets."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from lakehouse.jars import JarsError
from lakehouse.settings import Settings, SettingsError
from lakehouse.thrift import server
from lakehouse.thrift.process import ProcessError, connect_host

DESCRIPTION = """\
Run a Spark Thrift Server (HiveServer2 protocol, HiveThriftServer2 from the pyspark wheel) on
the lakehouse: the same Delta Lake, warehouse, metastore and jars as the embedded session, so
`lakehouse build --target prod_thrift`, beeline and BI tools work on the same tables. It listens
on 127.0.0.1 unless LAKEHOUSE_THRIFT_HOST (or --host) says otherwise. Pid, state and log live in
$LAKEHOUSE_HOME/thrift/. While it runs, the server owns the embedded Derby metastore: builds on
the embedded targets against the same state folder must wait (or use --target prod_thrift, or
dev_thrift for `lakehouse dev`)."""

EPILOG = """\
examples:
  lakehouse thrift start                           # local[*] on 127.0.0.1:10000
  lakehouse thrift start --port 10001 --driver-memory 2g
  lakehouse thrift start --master spark://127.0.0.1:7077   # after `lakehouse cluster start`
  lakehouse build --target prod_thrift             # dbt through the server
  lakehouse thrift status && lakehouse thrift stop

  # password mode: the secret only ever comes from the environment
  export LAKEHOUSE_THRIFT_AUTH=password LAKEHOUSE_THRIFT_USER=analyst
  read -rs LAKEHOUSE_THRIFT_PASSWORD && export LAKEHOUSE_THRIFT_PASSWORD
  lakehouse thrift start

exit codes: start 0 when the server answers queries (or already ran), 1 when it failed to start
(the reason from its log is printed), 2 for invalid settings or a port already in use;
stop 0 when nothing is left running; status 0 running, 1 stopped."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "thrift",
        help="start, stop or inspect the Spark Thrift Server (dbt's `_thrift` targets)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    start = actions.add_parser(
        "start",
        help="start the server and wait until it accepts connections",
        description=(
            "Start the Spark Thrift Server in the background and return once a HiveServer2 "
            "client has run `select 1` on it. Options override the LAKEHOUSE_* settings for "
            "this server."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    start.add_argument("--host", help="address to bind (default: LAKEHOUSE_THRIFT_HOST, 127.0.0.1)")
    start.add_argument(
        "--port", type=_port, help="port to listen on (default: LAKEHOUSE_THRIFT_PORT, 10000)"
    )
    start.add_argument(
        "--master",
        help="Spark master: local[N], spark://host:port, yarn, k8s://… (default: LAKEHOUSE_SPARK_MASTER)",
    )
    start.add_argument(
        "--driver-memory", help="server (driver) memory, e.g. 2g (default: LAKEHOUSE_DRIVER_MEMORY)"
    )
    start.add_argument(
        "--auth",
        choices=("none", "password"),
        help="authentication (default: LAKEHOUSE_THRIFT_AUTH, none); password reads "
        "LAKEHOUSE_THRIFT_USER and LAKEHOUSE_THRIFT_PASSWORD from the environment",
    )
    start.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        type=_conf_item,
        help="extra Spark setting for the server, e.g. spark.executor.memory=2g (repeatable)",
    )
    start.add_argument(
        "--timeout",
        type=float,
        default=server.DEFAULT_START_TIMEOUT,
        metavar="SECONDS",
        help=f"give up (and stop the process) after this long (default: {server.DEFAULT_START_TIMEOUT:.0f})",
    )
    start.set_defaults(handler=run_start)

    stop = actions.add_parser(
        "stop",
        help="stop the server (SIGTERM, then SIGKILL after the timeout)",
        description=(
            "Stop the server of this state folder and everything in its process group: SIGTERM, "
            "wait, then SIGKILL. Succeeds when nothing was running."
        ),
    )
    stop.add_argument(
        "--timeout",
        type=float,
        default=server.DEFAULT_STOP_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds to wait after SIGTERM before SIGKILL (default: {server.DEFAULT_STOP_TIMEOUT:.0f})",
    )
    stop.set_defaults(handler=run_stop)

    status = actions.add_parser(
        "status",
        help="say whether the server runs (exit 0) or not (exit 1)",
        description="Print the server's state: pid, address, master, auth and log path.",
    )
    status.set_defaults(handler=run_status)


def _port(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is between 1 and 65535")
    return value


def _conf_item(raw: str) -> tuple[str, str]:
    key, sep, value = raw.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{raw!r} is not KEY=VALUE")
    return key.strip(), value


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    overrides = {
        "thrift_host": getattr(args, "host", None),
        "thrift_port": getattr(args, "port", None),
        "spark_master": getattr(args, "master", None),
        "driver_memory": getattr(args, "driver_memory", None),
        "thrift_auth": getattr(args, "auth", None),
    }
    settings = dataclasses.replace(
        settings, **{key: value for key, value in overrides.items() if value is not None}
    )
    settings.validate()
    return settings


def run_start(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if (
        settings.thrift_auth == "none"
        and connect_host(settings.thrift_host) != settings.thrift_host
    ):
        print(
            f"lakehouse thrift: warning: listening on {settings.thrift_host} without "
            "authentication; anyone who can reach this machine can query the lakehouse "
            "(set LAKEHOUSE_THRIFT_AUTH=password)",
            file=sys.stderr,
        )
    try:
        current, started = server.start(
            settings,
            extra_conf=dict(args.conf),
            timeout=args.timeout,
            progress=lambda message: print(message, flush=True),
        )
    except SettingsError:
        raise  # exit 2 with the message, in cli.main
    except (ProcessError, JarsError) as error:
        print(f"lakehouse thrift: {error}", file=sys.stderr)
        return 1
    if not started:
        print(f"already running (pid {current.pid}) on {current.address}; log {current.log}")
        return 0
    print(f"ready: {current.jdbc_url} (pid {current.pid}, master {current.master})")
    print("  dbt:     lakehouse build --target prod_thrift   (or: dbt build --target prod_thrift)")
    print(f"  beeline: {_beeline_hint(current)}")
    return 0


def _beeline_hint(current: server.ServerStatus) -> str:
    from lakehouse.thrift.process import spark_script

    user = f" -n {current.user}"
    # -w reads the password from a file: here the environment, never the command line.
    password = " -w <(printenv LAKEHOUSE_THRIFT_PASSWORD)" if current.auth == "password" else ""
    return f"{spark_script('beeline')} -u {current.jdbc_url}{user}{password}"


def run_stop(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        outcome = server.stop(settings, timeout=args.timeout)
    except ProcessError as error:
        print(f"lakehouse thrift: {error}", file=sys.stderr)
        return 1
    if outcome == "not running":
        print("the Thrift server is not running")
    elif outcome == "killed":
        print(f"the Thrift server ignored SIGTERM for {args.timeout:.0f} s and was killed")
    else:
        print("the Thrift server stopped")
    return 0


def run_status(args: argparse.Namespace) -> int:
    current = server.status(Settings.from_env())
    if not current.running:
        detail = " (its last process exited; see the log)" if current.stale else ""
        print(f"thrift server: stopped{detail}")
        print(f"  log      {current.log}")
        return 1
    print(f"thrift server: running (pid {current.pid})")
    print(f"  address  {current.address}  ({current.jdbc_url})")
    print(f"  master   {current.master}")
    print(f"  auth     {current.auth} (user {current.user})")
    print(f"  started  {current.started}")
    print(f"  log      {current.log}")
    return 0
