"""The same project on a real (local) Spark standalone cluster, through the Thrift server.

`lakehouse cluster start` (master + one worker on 127.0.0.1), `lakehouse thrift start --master
spark://…`, the whole `dbt build` on executors, and the same results as the `local` target
(the reference run of test_thrift_server.py). Slow (three JVMs plus an executor on two cores):
it is deselected from the default run; `make test-slow` runs it (`pytest -m slow`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_thrift_server import (
    Reference,
    Server,
    build_and_compare,
    is_loopback,
    lakehouse,
    listening_addresses,
    output,
    reference_run,  # noqa: F401  (registers the fixture `reference`)
    running_server,
    server_settings,
    subprocess_env,
)

from lakehouse.thrift import cluster
from lakehouse.thrift.process import free_port, group_members, stop_group

pytestmark = [pytest.mark.slow, pytest.mark.spark]


@pytest.fixture(scope="module")
def standalone(reference: Reference, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running standalone cluster and a Thrift server on it (one state folder for both)."""
    settings = server_settings(
        tmp_path_factory.mktemp("thrift-cluster"),
        reference.bronze,
        LAKEHOUSE_CLUSTER_PORT=str(free_port()),
        LAKEHOUSE_CLUSTER_UI_PORT="0",
        LAKEHOUSE_CLUSTER_WORKER_MEMORY="1g",
        LAKEHOUSE_CLUSTER_WORKER_CORES="2",
    )
    env = subprocess_env(settings)
    pids: list[int | None] = []
    try:
        started = lakehouse(["cluster", "start"], env, timeout=300)
        state = cluster.status(settings)
        pids = [state.worker.pid, state.master.pid]  # kept in case the state folder goes
        assert started.returncode == 0, output(started)
        master = cluster.master_url(settings)
        with running_server(settings, env, ["--master", master]):
            yield Server(settings, env)
    finally:
        lakehouse(["cluster", "stop"], env, timeout=120)
        cluster.stop(settings)
        for pid, marker in zip(pids, (cluster.WORKER_CLASS, cluster.MASTER_CLASS), strict=False):
            if pid:
                stop_group(pid, marker, timeout=30)


def test_the_whole_project_builds_on_the_cluster_with_the_local_results(
    standalone: Server, reference: Reference, tmp_path: Path
) -> None:
    settings = standalone.settings
    status = lakehouse(["cluster", "status"], standalone.env)
    assert status.returncode == 0, output(status)
    assert cluster.master_url(settings) in status.stdout
    thrift_status = lakehouse(["thrift", "status"], standalone.env)
    assert cluster.master_url(settings) in thrift_status.stdout

    build_and_compare(standalone, reference, tmp_path)

    # The work really ran on an executor of the worker, which fetched the Delta jars.
    work = cluster.state_dir(settings) / "work"
    assert list(work.glob("app-*/*/stderr")), f"no executor ran under {work}"
    assert list(work.glob("app-*/*/io.delta_delta-spark_*.jar"))
    worker_log = (cluster.state_dir(settings) / "worker.log").read_text()
    assert re.search(r"Asked to launch executor app-\S+ for lakehouse-thrift", worker_log)

    # Master, worker and executors listen on loopback only.
    current = cluster.status(settings)
    pids = [
        pid
        for daemon in (current.master, current.worker)
        if daemon.pid
        for pid in group_members(daemon.pid)
    ]
    addresses = listening_addresses(pids)
    assert f"127.0.0.1:{settings.cluster_port}" in addresses
    assert all(is_loopback(address) for address in addresses), addresses


def test_cluster_stop_leaves_nothing_running(standalone: Server) -> None:
    settings = standalone.settings
    before = cluster.status(settings)
    assert before.running
    # The server first (it is the cluster's application), then the cluster.
    assert lakehouse(["thrift", "stop"], standalone.env).returncode == 0
    result = lakehouse(["cluster", "stop"], standalone.env)
    assert result.returncode == 0, output(result)
    assert "worker stopped" in result.stdout
    assert "master stopped" in result.stdout
    for daemon in (before.master, before.worker):
        assert daemon.pid is not None
        assert group_members(daemon.pid) == []
    assert lakehouse(["cluster", "status"], standalone.env).returncode == 1
