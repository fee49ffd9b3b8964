"""A real Spark Thrift Server, started and stopped with `lakehouse thrift …`.

Nothing here touches the shared test SparkSession. A reference run, in a process of its own,
generates a small landing zone, ingests it into Bronze (as the ingestion application would)
and builds the whole project on the embedded `prod` target; meanwhile a server with its own state
folder (Derby metastore, warehouse) and a free port builds the whole project on the `thrift`
target from the same Bronze paths. Every relation dbt builds (seeds, models, snapshots) must
then hold the same row count and the same sum of every numeric column on both sides. Servers
are stopped by fixture finalizers even when a test fails.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from TCLIService.ttypes import TOperationState

from lakehouse.settings import Settings
from lakehouse.thrift import server
from lakehouse.thrift.probe import ProbeError, connect, query
from lakehouse.thrift.process import free_port, group_members, is_alive, stop_group

# Real Thrift servers, each a JVM in a subprocess.
pytestmark = pytest.mark.spark

PROJECT = Path(__file__).resolve().parents[2]
LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
BUILT_TYPES = ("model", "seed", "snapshot")
ACTIVE_STATES = (
    TOperationState.INITIALIZED_STATE,
    TOperationState.PENDING_STATE,
    TOperationState.RUNNING_STATE,
)

# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Server:
    settings: Settings
    env: dict[str, str]  # for `lakehouse …` subprocesses, secrets included when in use
    password: str | None = None

    @property
    def user(self) -> str:
        return self.settings.thrift_user

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return query("127.0.0.1", self.settings.thrift_port, self.user, self.password, sql)


def server_settings(home: Path, bronze: str, **env: str) -> Settings:
    return Settings.from_env(
        {
            "LAKEHOUSE_PROJECT_DIR": str(PROJECT),
            "LAKEHOUSE_HOME": str(home),
            "LAKEHOUSE_BRONZE": bronze,
            "LAKEHOUSE_SPARK_MASTER": "local[2]",
            "LAKEHOUSE_DRIVER_MEMORY": "1g",
            "LAKEHOUSE_SHUFFLE_PARTITIONS": "2",
            "LAKEHOUSE_THRIFT_PORT": str(free_port()),
            **env,
        }
    )


def subprocess_env(settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without any LAKEHOUSE_/DBT_ variable of the test session, plus the
    server's settings: a subprocess sees exactly one lakehouse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "DBT_"))}
    env.update(settings.as_env())
    env.update(extra or {})
    return env


def lakehouse(
    args: list[str], env: Mapping[str, str], timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LAKEHOUSE), *args],
        env=dict(env),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@contextlib.contextmanager
def running_server(
    settings: Settings, env: dict[str, str], start_args: list[str] | None = None
) -> Iterator[subprocess.CompletedProcess[str]]:
    """`lakehouse thrift start`, and whatever happens, stop everything it started. The pid is
    kept here too: the state folder may be gone by then (another pytest run pruning old
    basetemp folders), and no JVM may outlive the test."""
    pid = None
    try:
        started = lakehouse(["thrift", "start", "--timeout", "300", *(start_args or [])], env)
        pid = server.status(settings).pid
        assert started.returncode == 0, output(started)
        yield started
    finally:
        pid = pid or server.status(settings).pid
        lakehouse(["thrift", "stop"], env, timeout=120)
        server.stop(settings)  # in case the subprocess could not
        if pid:
            stop_group(pid, server.MAIN_CLASS, timeout=30)


def listening_addresses(pids: list[int]) -> list[str]:
    """Local addresses of the TCP sockets these processes listen on (from /proc)."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = str(fd.readlink())
                if link.startswith("socket:["):
                    inodes.add(link[len("socket:[") : -1])
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A = LISTEN
                continue
            hex_ip, hex_port = local.split(":")
            raw = bytes.fromhex(hex_ip)
            # The kernel prints each 32-bit word in host (little-endian) order.
            swapped = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            address = ipaddress.ip_address(swapped)
            mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is IPv4 loopback
            addresses.append(f"{mapped or address}:{int(hex_port, 16)}")
    return addresses


def statement_threads(pids: list[int]) -> set[int]:
    """Thread ids of the server's statement pool (Linux names a thread by its first 15 bytes)."""
    found = set()
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
                if (task / "comm").read_text(errors="ignore").startswith("HiveServer2-Bac"):
                    found.add(int(task.name))
    return found


def is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address.rsplit(":", 1)[0]).is_loopback


# --------------------------------------------------------------------------- reference run

# The `local` side, in a process of its own on its own state folder (so neither the shared test
# session nor the order of the tests matters): ingest the landing zone into Bronze as a Spark
# application of its own, signal that Bronze is ready, build the whole project on the embedded
# target, then fingerprint every relation the build made.
LOCAL_REFERENCE = r"""
import json, sys
from decimal import Decimal
from pathlib import Path

from pyspark.sql.types import NumericType

from lakehouse import cli
from lakehouse.dbt_runner import run_dbt
from lakehouse.settings import Settings
from lakehouse.session import get_spark

out = Path(sys.argv[1])
if cli.main(["ingest", "--allow-quarantined"]) != 0:
    sys.exit("ingest failed")
(out / "bronze-ready").touch()
settings = Settings.from_env()
dbt_args = ["--target", "prod", "--target-path", str(out / "target"), "--log-path", str(out / "logs")]
if not run_dbt("build", dbt_args, settings).success:
    sys.exit("the local build failed")
spark = get_spark(settings)
manifest = json.loads((out / "target" / "manifest.json").read_text())
names = sorted(
    node["schema"] + "." + node["alias"]
    for node in manifest["nodes"].values()
    if node["resource_type"] in ("model", "seed", "snapshot")
    and node["config"].get("materialized") != "ephemeral"
)
relations = []
for name in names:
    numeric = [f.name for f in spark.table(name).schema.fields if isinstance(f.dataType, NumericType)]
    sql = "select count(*)" + "".join(f", sum(`{c}`)" for c in numeric) + f" from {name}"
    row = spark.sql(sql).first()
    values = [str(v) if isinstance(v, Decimal) else v for v in row]
    relations.append({"name": name, "sql": sql, "values": values})
(out / "fingerprints.json").write_text(json.dumps(relations, indent=1))
"""


@dataclass
class Reference:
    """Sample data, its Bronze tables and the embedded build's fingerprints (one run per session,
    shared by the password-mode and cluster tests; started early, collected when needed)."""

    root: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def bronze(self) -> str:
        return str(self.root / "bronze")

    @property
    def out(self) -> Path:
        return self.root / "local-build"

    def start(self) -> None:
        landing = self.root / "landing"
        settings = Settings.from_env(
            {
                "LAKEHOUSE_PROJECT_DIR": str(PROJECT),
                "LAKEHOUSE_HOME": str(self.root / "local-home"),
                "LAKEHOUSE_LANDING": str(landing),
                "LAKEHOUSE_BRONZE": self.bronze,
                "LAKEHOUSE_SPARK_MASTER": "local[2]",
                "LAKEHOUSE_DRIVER_MEMORY": "1g",
                "LAKEHOUSE_SHUFFLE_PARTITIONS": "2",
            }
        )
        env = subprocess_env(settings)
        generated = lakehouse(["generate", *SAMPLE, "--landing", str(landing), "--quiet"], env)
        assert generated.returncode == 0, output(generated)
        self.out.mkdir(parents=True)
        with (self.out / "process.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", LOCAL_REFERENCE, str(self.out)],
                env=env,
                cwd=PROJECT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _failed(self, what: str) -> str:
        log = (self.out / "process.log").read_text(errors="replace")
        return f"the local reference run {what}:\n{log[-6000:]}"

    def wait_for_bronze(self, timeout: float = 900) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while not (self.out / "bronze-ready").exists():
            assert self.process.poll() is None, self._failed("failed before Bronze was ready")
            assert time.monotonic() < deadline, self._failed("took too long to ingest")
            time.sleep(0.5)

    def fingerprints(self, timeout: float = 1800) -> list[dict[str, Any]]:
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        assert code == 0, self._failed(f"exited with {code}")
        return json.loads((self.out / "fingerprints.json").read_text())

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


SAMPLE = ["--days", "2", "--orders-per-day", "40", "--customers", "150", "--products", "50"]
SAMPLE += ["--dimension-exports", "2", "--seed", "7"]
_REFERENCE: dict[str, Reference] = {}


@pytest.fixture(scope="session", name="reference")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    # Module-level cache: the cluster module imports this fixture, and pytest would otherwise
    # make a second one for it.
    if "run" not in _REFERENCE:
        run = Reference(tmp_path_factory.mktemp("reference"))
        _REFERENCE["run"] = run
        run.start()
    yield _REFERENCE["run"]
    _REFERENCE["run"].close()


def built_relations(manifest_path: Path) -> list[str]:
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] in BUILT_TYPES
        and node["config"].get("materialized") != "ephemeral"
    )


def normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, str):  # a DECIMAL sum as text
        with contextlib.suppress(ArithmeticError):
            return Decimal(value).normalize()
    return value


def same(left: Any, right: Any) -> bool:
    left, right = normalise(left), normalise(right)
    if isinstance(left, float) or isinstance(right, float):
        return (
            left is not None
            and right is not None
            and math.isclose(float(left), float(right), rel_tol=1e-9)
        )
    return left == right


def build_through_thrift(
    srv: Server, out: Path, dbt_args: list[str] | None = None
) -> subprocess.Popen[str]:
    """`lakehouse build` on the `prod_thrift` target (the whole project unless ``dbt_args`` select
    less), artifacts under ``out``; started in the background (collect it with ``finish``)."""
    env = {
        **srv.env,
        "LAKEHOUSE_DBT_TARGET": "prod_thrift",
        # The server runs several statements at once; dbt waits on latency more than on CPU.
        "LAKEHOUSE_DBT_THREADS": "4",
    }
    paths = ["--target-path", str(out / "target"), "--log-path", str(out / "logs")]
    return subprocess.Popen(
        [str(LAKEHOUSE), "build", *(dbt_args or []), *paths],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(
    process: subprocess.Popen[str], timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def build_and_compare(srv: Server, ref: Reference, out: Path) -> subprocess.CompletedProcess[str]:
    """The whole project through the server, while the reference builds it locally; then every
    relation must hold the same row count and numeric sums on both sides."""
    ref.wait_for_bronze()
    result = finish(build_through_thrift(srv, out))
    assert result.returncode == 0, output(result)
    assert re.search(r"Done\. PASS=[1-9][0-9]* WARN=[0-9]+ ERROR=0 SKIP=0", result.stdout)
    local = ref.fingerprints()
    assert built_relations(out / "target" / "manifest.json") == [r["name"] for r in local]
    assert local, "the project built nothing"
    assert any(any(value for value in r["values"]) for r in local), "nothing to compare"
    mismatches = []
    for relation in local:
        remote = srv.query(relation["sql"])[0]
        expected = relation["values"]
        if len(remote) != len(expected) or not all(map(same, remote, expected)):
            mismatches.append(f"{relation['name']}: thrift {remote} != local {expected}")
    assert not mismatches, "\n".join(mismatches)
    return result


# --------------------------------------------------------------------------- password mode


def password_server(home: Path, bronze: str) -> Iterator[Server]:
    settings = server_settings(
        home, bronze, LAKEHOUSE_THRIFT_AUTH="password", LAKEHOUSE_THRIFT_USER="analyst"
    )
    password = "pw-" + secrets.token_urlsafe(18)
    env = subprocess_env(settings, {"LAKEHOUSE_THRIFT_PASSWORD": password})
    with running_server(settings, env):
        yield Server(settings, env, password)


@pytest.fixture(scope="class")
def auth_srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server in password mode with an empty Bronze root of its own."""
    home = tmp_path_factory.mktemp("thrift-auth")
    yield from password_server(home, str(home / "bronze"))


@pytest.fixture(scope="class")
def project_srv(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> Iterator[Server]:
    """A server in password mode on the reference run's Bronze."""
    yield from password_server(tmp_path_factory.mktemp("thrift-project"), reference.bronze)


def assert_secret_kept(srv: Server, out: Path, result: subprocess.CompletedProcess[str]) -> None:
    """The password is in no log, state file, dbt artifact, output or command line."""
    assert srv.password
    places = [
        *server.state_dir(srv.settings).rglob("*"),
        *(out / "logs").rglob("*"),
        *(out / "target").rglob("*.json"),
    ]
    leaked = [p for p in places if p.is_file() and srv.password in p.read_text(errors="ignore")]
    assert not leaked
    assert srv.password not in result.stdout + result.stderr
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert srv.password not in processes


@pytest.fixture(scope="class")
def open_srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server as `lakehouse thrift start` runs it by default: loopback, no password."""
    home = tmp_path_factory.mktemp("thrift-default")
    settings = server_settings(home, str(home / "bronze"))
    env = subprocess_env(settings)
    with running_server(settings, env) as started:
        assert "ready: jdbc:hive2://127.0.0.1:" in started.stdout
        yield Server(settings, env)


@pytest.mark.slow
class TestWholeProjectThroughThrift:
    """The whole project through a password-mode server, against the embedded reference run
    (slow: two builds of every node; `make test-slow`)."""

    def test_the_whole_project_builds_with_the_local_results(
        self, project_srv: Server, reference: Reference, tmp_path: Path
    ) -> None:
        result = build_and_compare(project_srv, reference, tmp_path)

        # Every table is Delta, in the server's own warehouse.
        detail = project_srv.query("describe detail gold.dim_currencies")
        assert "delta" in detail[0]
        assert any(
            str(value).startswith(f"file:{project_srv.settings.warehouse}") for value in detail[0]
        )
        assert_secret_kept(project_srv, tmp_path, result)


class TestPasswordModeServer:
    """One server with `LAKEHOUSE_THRIFT_AUTH=password`: dbt through it, intruders refused."""

    def test_dbt_builds_through_it_and_the_secret_stays_secret(
        self, auth_srv: Server, tmp_path: Path
    ) -> None:
        process = build_through_thrift(auth_srv, tmp_path, ["--select", "+dim_currencies"])
        result = finish(process, timeout=600)
        assert result.returncode == 0, output(result)
        assert re.search(r"Done\. PASS=[1-9][0-9]* WARN=0 ERROR=0 SKIP=0", result.stdout)
        rows = auth_srv.query("select count(*) from gold.dim_currencies")
        assert rows[0][0] == auth_srv.query("select count(*) from silver.fx_rates")[0][0] > 0
        assert_secret_kept(auth_srv, tmp_path, result)

    def test_a_wrong_password_or_user_is_refused(self, auth_srv: Server) -> None:
        port, user = auth_srv.settings.thrift_port, auth_srv.user
        for wrong_user, wrong_password in (
            (user, "not-the-password"),
            ("mallory", auth_srv.password),
        ):
            with pytest.raises(ProbeError) as refused:
                query("127.0.0.1", port, wrong_user, wrong_password, "select 1")
            assert refused.value.auth_refused
        with pytest.raises(ProbeError) as anonymous:
            query("127.0.0.1", port, user, None, "select 1")  # NONE-mode client
        assert anonymous.value.auth_refused
        assert auth_srv.query("select 1") == [(1,)]
        assert auth_srv.password not in server.log_file(auth_srv.settings).read_text(
            errors="ignore"
        )


# --------------------------------------------------------------------------- default mode


class TestDefaultServer:
    """One server as `lakehouse thrift start` runs it by default: loopback, no password."""

    def test_status_and_a_second_start(self, open_srv: Server) -> None:
        status = lakehouse(["thrift", "status"], open_srv.env)
        assert status.returncode == 0, output(status)
        pid = server.status(open_srv.settings).pid
        assert f"running (pid {pid})" in status.stdout
        assert f"127.0.0.1:{open_srv.settings.thrift_port}" in status.stdout
        assert "local[2]" in status.stdout
        assert str(server.log_file(open_srv.settings)) in status.stdout
        again = lakehouse(["thrift", "start"], open_srv.env)
        assert again.returncode == 0, output(again)
        assert "already running" in again.stdout

    def test_anyone_on_loopback_can_query_and_nothing_listens_beyond_it(
        self, open_srv: Server
    ) -> None:
        assert query("127.0.0.1", open_srv.settings.thrift_port, "someone", None, "select 1") == [
            (1,)
        ]
        pid = server.status(open_srv.settings).pid
        assert pid is not None
        addresses = listening_addresses(group_members(pid))
        assert f"127.0.0.1:{open_srv.settings.thrift_port}" in addresses
        assert all(is_loopback(address) for address in addresses), addresses

    def test_delta_date_statistics_answer_min_and_max(self, open_srv: Server) -> None:
        """The server's sessions use Java 8 date/time types; Delta's metadata-only min/max of a
        DATE column must not break on them (it is turned off in the server's configuration)."""
        open_srv.query(
            "create table default.dates using delta as "
            "select date'2025-01-01' as d union all select date'2025-01-05' as d"
        )
        rows = open_srv.query("select min(d), max(d), count(*) from default.dates")
        assert [tuple(str(value) for value in row) for row in rows] == [
            ("2025-01-01", "2025-01-05", "2")
        ]

    def test_statements_reuse_the_servers_worker_threads(self, open_srv: Server) -> None:
        """dbt runs each statement asynchronously in a new session. The server keeps a small
        pool of statement threads alive instead of starting a thread per statement (Hive's
        default), which cost a warm server time on every statement of an analyst's
        `dbt build -s <mart>`."""
        pid = server.status(open_srv.settings).pid
        assert pid is not None

        def run_async(count: int) -> None:
            for _ in range(count):
                connection = connect("127.0.0.1", open_srv.settings.thrift_port, "dbt")
                try:
                    cursor = connection.cursor()
                    cursor.execute("show tables in default", async_=True)  # as dbt-spark does
                    while cursor.poll().operationState in ACTIVE_STATES:
                        time.sleep(0.05)
                    cursor.fetchall()
                finally:
                    connection.close()

        run_async(server.STATEMENT_THREADS)
        warmed = statement_threads(group_members(pid))
        run_async(2 * server.STATEMENT_THREADS)
        assert 0 < len(warmed) <= server.STATEMENT_THREADS
        assert statement_threads(group_members(pid)) == warmed

    def test_the_port_of_a_running_server_is_reported(
        self, open_srv: Server, tmp_path: Path
    ) -> None:
        other = server_settings(
            tmp_path / "other",
            str(tmp_path / "bronze"),
            LAKEHOUSE_THRIFT_PORT=str(open_srv.settings.thrift_port),
        )
        result = lakehouse(["thrift", "start"], subprocess_env(other))
        assert result.returncode == 2, output(result)
        assert f"port {open_srv.settings.thrift_port}" in result.stderr
        assert "LAKEHOUSE_THRIFT_PORT" in result.stderr
        assert not server.state_file(other).exists()

    def test_a_local_build_on_its_state_folder_is_refused_clearly(self, open_srv: Server) -> None:
        result = lakehouse(["build"], {**open_srv.env, "LAKEHOUSE_DBT_TARGET": "prod"})
        assert result.returncode == 2, output(result)
        assert "owns the metastore" in result.stderr
        assert "--target prod_thrift" in result.stderr
        assert "lakehouse thrift stop" in result.stderr
        # Ingestion opens the same session: refused the same way, at once.
        landing = open_srv.settings.home / "landing-probe"
        landing.mkdir(exist_ok=True)
        result = lakehouse(["ingest", "--landing", str(landing)], open_srv.env)
        assert result.returncode == 2, output(result)
        assert "owns the metastore" in result.stderr

    def test_stop_leaves_nothing_running(self, open_srv: Server) -> None:
        pid = server.status(open_srv.settings).pid
        assert pid is not None
        result = lakehouse(["thrift", "stop"], open_srv.env)
        assert result.returncode == 0, output(result)
        assert "stopped" in result.stdout
        assert not is_alive(pid, server.MAIN_CLASS)
        assert group_members(pid) == []
        assert lakehouse(["thrift", "status"], open_srv.env).returncode == 1
        assert not server.pid_file(open_srv.settings).exists()
