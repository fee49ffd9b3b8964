"""The lakehouse on S3, against a real S3-compatible server on 127.0.0.1 (moto's server, path
style, no TLS): the whole pipeline on S3 equals the same landing data on local disk; no
credential reaches a log, a state file or a dbt artifact; a second day merges only its lines;
an ingest killed with SIGKILL loses and duplicates nothing; one writing driver at a time.

Every lakehouse command runs in a process of its own, as a user would run it, with the S3
locations and the standard AWS variables in its environment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from bronze_helpers import generate
from moto.server import ThreadedMotoServer

from lakehouse.state_lock import EXIT_BUSY
from lakehouse.writer_lease import LEASE_FILE

pytestmark = [pytest.mark.slow, pytest.mark.spark]

PROJECT = Path(__file__).resolve().parents[2]
CENSUS = Path(__file__).with_name("lakehouse_census.py")
BUCKET = "lakehouse-test"
# Recognisable credentials: the tests look for them in everything the runs leave behind.
KILLED_INGEST = ("--entity", "order_items", "--max-files-per-batch", "1")
ACCESS_KEY = "AKIA" + uuid.uuid4().hex[:16].upper()
SECRET_KEY = "secret-" + uuid.uuid4().hex


@dataclass
class S3:
    endpoint: str
    client: Any

    def upload_new(self, folder: Path, prefix: str) -> int:
        """Upload the files below ``folder`` that the bucket does not hold yet."""
        held = {item["Key"] for item in self.list(prefix)}
        count = 0
        for path in sorted(folder.rglob("*")):
            key = f"{prefix}/{path.relative_to(folder).as_posix()}"
            if path.is_file() and (key not in held or path.name == "_manifest.json"):
                self.client.upload_file(str(path), BUCKET, key)
                count += 1
        return count

    def list(self, prefix: str) -> list[dict[str, Any]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=prefix + "/"
        )
        return [item for page in pages for item in page.get("Contents", [])]


@dataclass
class Run:
    code: int
    output: str


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    yield S3(endpoint, client)
    server.stop()


def environment(home: Path, s3: S3 | None = None, landing: Path | None = None) -> dict[str, str]:
    """A user's environment: nothing of the test session's own lakehouse, the AWS variables,
    and either local locations or S3 ones."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LAKEHOUSE_", "AWS_")) or key == "LAKEHOUSE_JARS_DIR"
    }
    env.update(
        LAKEHOUSE_HOME=str(home),
        LAKEHOUSE_DRIVER_MEMORY="2g",
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    if s3 is None:
        env["LAKEHOUSE_LANDING"] = str(landing)
    else:
        env.update(
            LAKEHOUSE_LANDING=f"s3a://{BUCKET}/landing",
            LAKEHOUSE_BRONZE=f"s3a://{BUCKET}/bronze",
            LAKEHOUSE_WAREHOUSE=f"s3a://{BUCKET}/warehouse",
            LAKEHOUSE_S3_ENDPOINT=s3.endpoint,
        )
    return env


def lakehouse(env: dict[str, str], *args: str, timeout: float = 900) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *args],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout + done.stderr)


def census(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(CENSUS)],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@dataclass
class Lakehouses:
    landing: Path
    manifest: dict[str, Any]
    local_env: dict[str, str]
    s3_env: dict[str, str]
    local_run: Run
    s3_run: Run


@pytest.fixture(scope="module")
def lakehouses(s3: S3, tmp_path_factory: pytest.TempPathFactory) -> Lakehouses:
    """The same landing data built once on local disk and once on S3."""
    root = tmp_path_factory.mktemp("object-storage")
    landing = root / "landing"
    manifest = generate(landing, "--days", "3", "--orders-per-day", "200", "--seed", "5")
    s3.upload_new(landing, "landing")
    local_env = environment(root / "local", landing=landing)
    s3_env = environment(root / "s3", s3=s3)
    local_run = lakehouse(local_env, "run")
    s3_run = lakehouse(s3_env, "run")
    return Lakehouses(landing, manifest, local_env, s3_env, local_run, s3_run)


def test_the_pipeline_on_s3_equals_the_pipeline_on_local_disk(lakehouses: Lakehouses) -> None:
    assert lakehouses.s3_run.code == lakehouses.local_run.code, lakehouses.s3_run.output[-4000:]
    assert "generating" not in lakehouses.s3_run.output  # the uploaded landing data was read
    local, on_s3 = census(lakehouses.local_env), census(lakehouses.s3_env)
    assert on_s3["warehouse_location"] == f"s3a://{BUCKET}/warehouse"
    assert on_s3["counts"] == local["counts"]
    assert on_s3["fact_totals"] == local["fact_totals"]
    landed_lines = sum(
        entry["rows"] for entry in lakehouses.manifest["files"] if entry["entity"] == "order_items"
    )
    assert on_s3["counts"]["bronze.order_items"] == landed_lines
    assert on_s3["counts"]["gold.fct_order_items"] > 0


def test_credentials_never_reach_logs_state_files_or_dbt_artifacts(
    lakehouses: Lakehouses, s3: S3
) -> None:
    home = Path(lakehouses.s3_env["LAKEHOUSE_HOME"])
    looked_at = 0
    for path in [p for p in home.rglob("*") if p.is_file()]:
        content = path.read_bytes()
        looked_at += 1
        for secret in (ACCESS_KEY, SECRET_KEY):
            assert secret.encode() not in content, f"{secret[:6]}… found in {path}"
    assert (home / "dbt" / "target" / "manifest.json").is_file()
    assert (home / "logs").is_dir() and looked_at > 20
    for item in s3.list("bronze") + s3.list("warehouse"):
        body = s3.client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        assert SECRET_KEY.encode() not in body and ACCESS_KEY.encode() not in body, item["Key"]
    for secret in (ACCESS_KEY, SECRET_KEY):
        assert secret not in lakehouses.s3_run.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_command_works_unchanged_on_s3(lakehouses: Lakehouses, tmp_path: Path) -> None:
    """`sql`, `build`, a plain `dbt build` and a Thrift server on the S3 state."""
    env = lakehouses.s3_env
    facts = census(env)["counts"]["gold.fct_order_items"]
    query = lakehouse(
        env, "sql", "select count(*) as n from gold.fct_order_items", "--format", "json"
    )
    assert query.code == 0, query.output[-3000:]
    assert f'"n": {facts}' in query.output

    built = lakehouse(env, "build", "--select", "dim_currencies")
    assert built.code == 0, built.output[-3000:]

    dbt_options = ("--target", "prod", "--select", "dim_currencies")
    artifacts = ("--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"))
    dbt = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", *dbt_options, *artifacts],
        env={**env, "LAKEHOUSE_PROJECT_DIR": str(PROJECT)},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert dbt.returncode == 0, (dbt.stdout + dbt.stderr)[-3000:]

    thrift_env = {**env, "LAKEHOUSE_THRIFT_PORT": str(free_port())}
    started = lakehouse(thrift_env, "thrift", "start")
    try:
        assert started.code == 0, started.output[-3000:]
        through = lakehouse(
            thrift_env, "build", "--target", "prod_thrift", "--select", "dim_currencies"
        )
        assert through.code == 0, through.output[-3000:]
    finally:
        stopped = lakehouse(thrift_env, "thrift", "stop")
    assert stopped.code == 0, stopped.output[-3000:]


def test_a_second_day_on_s3_merges_only_its_lines(lakehouses: Lakehouses, s3: S3) -> None:
    before = census(lakehouses.s3_env)
    manifest = generate(lakehouses.landing, "--append", "--days", "1", "--dimension-exports", "0")
    new_files = {entry["path"] for entry in manifest["files"]} - {
        entry["path"] for entry in lakehouses.manifest["files"]
    }
    new_lines = sum(
        entry["rows"]
        for entry in manifest["files"]
        if entry["path"] in new_files and entry["entity"] == "order_items"
    )
    assert new_lines > 0
    s3.upload_new(lakehouses.landing, "landing")
    run = lakehouse(lakehouses.s3_env, "run")
    assert run.code == lakehouses.s3_run.code, run.output[-4000:]
    after = census(lakehouses.s3_env)
    added = after["counts"]["bronze.order_items"] - before["counts"]["bronze.order_items"]
    assert added == new_lines
    commit = after["fact_last_commit"]
    assert commit["operation"] == "MERGE"
    # The merge's source is the new day's lines, not the history before it.
    assert 0 < int(commit["metrics"]["numSourceRows"]) <= new_lines


def committed_versions(s3: S3, table: str) -> int:
    return sum(1 for item in s3.list(f"bronze/{table}/_delta_log") if item["Key"].endswith(".json"))


def test_an_ingest_killed_on_s3_loses_and_duplicates_nothing(
    lakehouses: Lakehouses, s3: S3
) -> None:
    days = 4
    manifest = generate(lakehouses.landing, "--append", "--days", str(days))
    s3.upload_new(lakehouses.landing, "landing")
    versions = committed_versions(s3, "order_items")
    process = subprocess.Popen(
        [sys.executable, "-m", "lakehouse.cli", "ingest", *KILLED_INGEST],
        env=lakehouses.s3_env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and process.poll() is None:
            if committed_versions(s3, "order_items") > versions:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the ingest finished before it could be killed"
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    killed_after = committed_versions(s3, "order_items") - versions
    assert 1 <= killed_after < days, f"killed after {killed_after} of {days} batches"
    # The killed process left its lease behind: the next run takes it over and completes.
    assert s3.list("bronze") and any(item["Key"].endswith(LEASE_FILE) for item in s3.list("bronze"))

    rerun = lakehouse(lakehouses.s3_env, "ingest", "--entity", "order_items")
    assert rerun.code == 0, rerun.output[-4000:]
    assert "taking over the writer lease" in rerun.output
    after = census(lakehouses.s3_env)
    landed_lines = sum(
        entry["rows"] for entry in manifest["files"] if entry["entity"] == "order_items"
    )
    # Each batch is all or nothing: a lost file would make this smaller, a duplicated one larger.
    assert after["counts"]["bronze.order_items"] == landed_lines


def write_lease(s3: S3, holder: dict[str, Any]) -> None:
    s3.client.put_object(Bucket=BUCKET, Key=f"bronze/{LEASE_FILE}", Body=json.dumps(holder))


def test_one_writing_driver_at_a_time_on_the_same_s3_tables(
    lakehouses: Lakehouses, s3: S3, tmp_path: Path
) -> None:
    """A second driver with a state folder of its own (another machine, say) is refused while
    the first holds the lease, naming it; a lease left by a dead holder is taken over."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from lakehouse.session import get_spark; get_spark(); "
            "print('holding', flush=True); sys.stdin.read()",
        ],
        env=lakehouses.s3_env,
        cwd=PROJECT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    other = environment(tmp_path / "elsewhere", s3=s3)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        refused = lakehouse(other, "ingest")
        assert refused.code == EXIT_BUSY, refused.output[-3000:]
        assert f"pid {holder.pid} on " in refused.output
        assert "one writing driver at a time" in refused.output
    finally:
        holder.kill()
        holder.wait(timeout=60)

    # A holder on another machine that stopped renewing ten minutes ago: taken over.
    stale = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)).isoformat()
    write_lease(
        s3,
        {
            "host": "another-machine",
            "pid": 1,
            "command": "lakehouse ingest",
            "since": stale,
            "renewed_at": stale,
            "token": "t",
        },
    )
    taken = lakehouse(other, "ingest")
    assert taken.code == 0, taken.output[-3000:]
    assert "taking over the writer lease" in taken.output and "another-machine" in taken.output
    # Released at exit: nothing is left for the next driver to wait on.
    assert not any(item["Key"].endswith(LEASE_FILE) for item in s3.list("bronze"))
