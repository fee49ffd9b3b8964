"""Environmental failures end in a line or two a person can read, an exit code of 1 or 2, and
the whole story in a log file whose path is printed. Real failures: a full file system and a
read-only one (tmpfs mounts, which need root, as CI has), a master nobody listens on, a state
folder that cannot be created, too little memory."""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from test_state_lock import lakehouse

from lakehouse.errors import classify

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a small or read-only file system needs root (CI is root)"
)


@contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def details_file(stderr: str) -> Path:
    match = re.search(r"full details in (\S+)", stderr)
    assert match, stderr
    path = Path(match.group(1))
    assert path.is_file() and "Traceback" in path.read_text()
    return path


def our_lines(stderr: str, command: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"lakehouse {command}:")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_master_is_said_in_seconds(tmp_path: Path) -> None:
    master = f"spark://127.0.0.1:{free_port()}"
    process, seconds = lakehouse(
        tmp_path / "home", "sql", "select 1", LAKEHOUSE_SPARK_MASTER=master
    )
    assert process.returncode == 1
    assert seconds < 30, f"took {seconds:.0f} s"
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert master in lines[0] and "does not answer" in lines[0]
    assert "lakehouse cluster start" in lines[0]
    details_file(process.stderr)


def test_an_unreachable_s3_endpoint_is_said_in_seconds(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    process, seconds = lakehouse(
        tmp_path / "home",
        "sql",
        "select 1",
        LAKEHOUSE_BRONZE="s3a://lake/bronze",
        LAKEHOUSE_S3_ENDPOINT=endpoint,
    )
    assert process.returncode == 1
    assert seconds < 30, f"took {seconds:.0f} s"
    first = our_lines(process.stderr, "sql")[0]
    assert endpoint in first and "does not answer" in first and "LAKEHOUSE_S3_ENDPOINT" in first


@pytest.mark.parametrize(
    ("java_text", "says"),
    [
        (
            "org.apache.hadoop.fs.s3a.auth.NoAuthWithAWSException: No AWS Credentials provided",
            "set AWS_ACCESS_KEY_ID",
        ),
        (
            "java.nio.file.AccessDeniedException: s3a://lake/bronze: getFileStatus on "
            "s3a://lake/bronze: software.amazon.awssdk.services.s3.model.S3Exception: "
            "Forbidden (Service: S3, Status Code: 403",
            "S3 refused the request (403)",
        ),
        (
            "org.apache.hadoop.fs.s3a.UnknownStoreException: `s3a://nope/bronze': Bucket does not exist",
            "bucket of the lakehouse's locations does not exist",
        ),
    ],
)
def test_s3_failures_are_said_plainly(java_text: str, says: str) -> None:
    report = classify(RuntimeError(f"An error occurred while calling o42.load.\n{java_text}"), None)
    assert report.exit_code == 1 and says in report.message


def test_too_little_driver_memory_is_refused_before_the_jvm_starts(tmp_path: Path) -> None:
    process, seconds = lakehouse(tmp_path / "home", "ingest", LAKEHOUSE_DRIVER_MEMORY="1m")
    assert process.returncode == 2
    assert seconds < 10
    (line,) = process.stderr.strip().splitlines()
    assert "LAKEHOUSE_DRIVER_MEMORY" in line and "512m" in line


def test_a_state_folder_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    process, _ = lakehouse(blocker / "home", "ingest")
    assert process.returncode == 1
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert str(blocker) in lines[0]
    details_file(process.stderr)


@needs_root
def test_a_read_only_state_folder_is_said_plainly(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "ro,size=1m") as home:
        process, _ = lakehouse(home, "ingest")
    assert process.returncode == 1
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert "read-only" in lines[0] and "LAKEHOUSE_HOME" in lines[0]
    # The details could not go under the state folder: they went to the temporary folder.
    assert not details_file(process.stderr).is_relative_to(home)


# The heaviest single test of `make test` (about 100 s: it fills a file system with Spark
# writing), so in the slow tier, to keep `make test` within its budget.
@pytest.mark.slow
@needs_root
def test_a_full_disk_is_said_plainly_and_the_next_run_recovers(
    spark: SparkSession, tmp_path: Path
) -> None:
    """A 6 MB file system for the state folder (the metastore takes about 4), 9 MB of landed
    rows: the ingest stops with a short message; with space freed, the next ingest loads
    every row once."""
    landing = tmp_path / "landing"
    folder = landing / "brands"
    folder.mkdir(parents=True)
    rng = random.Random(5)
    rows = 0
    for day in range(2):
        lines = [b"brand_code,brand_name,category_code\n"]
        for _ in range(40_000):
            lines.append(f"B{rows:07d},{rng.getrandbits(400):0100x},CE\n".encode())
            rows += 1
        (folder / f"brands_{day}.csv").write_bytes(b"".join(lines))
    env = {"LAKEHOUSE_LANDING": str(landing), "LAKEHOUSE_SETTLE_SECONDS": "0"}

    with tmpfs(tmp_path / "small", "size=6m") as home:
        process, _ = lakehouse(home, "ingest", timeout=600, **env)
        assert process.returncode == 1, process.stderr[-2000:]
        lines = our_lines(process.stderr, "ingest")
        assert len(lines) == 2, process.stderr[-3000:]
        assert "disk is full" in lines[0]
        details_file(process.stderr)
        # No Java stack on the terminal: Spark's own lines are one each.
        assert len(process.stderr.splitlines()) < 40, process.stderr[-3000:]
        assert "\tat " not in process.stderr

        subprocess.run(["mount", "-o", "remount,size=200m", str(home)], check=True)
        again, _ = lakehouse(home, "ingest", timeout=600, **env)
        assert again.returncode == 0, again.stderr[-2000:]
        bronze = spark.read.format("delta").load(str(home / "bronze" / "brands"))
        counted = (bronze.count(), bronze.select("brand_code").distinct().count())
    assert counted == (rows, rows)
