"""The JVM class archive: wired into every Spark JVM, harmless while missing, rebuilt when stale."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from ingestion import java_runtime, jvm_archive
from ingestion.settings import Settings


def test_options_use_the_archive_in_the_projects_virtual_environment(tmp_path: Path) -> None:
    # Per environment, not in a cache shared by every clone: an archive only fits the Spark
    # jars it was built for, and a second clone's setup would rebuild a shared one for its own.
    options = jvm_archive.java_options(tmp_path / "project")
    assert f"-XX:SharedArchiveFile={tmp_path}/project/.venv/lakehouse/spark.jsa" in options
    # Never fatal: a JVM that cannot use the archive loads classes as usual.
    assert "-Xshare:auto" in options.split()


def test_training_run_writes_the_archive_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(jvm_archive.TRAINING_ENV, str(tmp_path / "out.jsa"))
    options = jvm_archive.java_options(tmp_path / "project")
    assert str(tmp_path / "out.jsa") in options
    assert "SharedArchiveFile" not in options


@pytest.mark.parametrize(
    ("java", "writes"),
    [
        (17, "-XX:ArchiveClassesAtExit="),
        (21, "-XX:ArchiveClassesAtExit="),
        (25, "-XX:AOTCacheOutput="),
    ],
)
def test_java_25_trains_an_ahead_of_time_cache(java: int, writes: str, tmp_path: Path) -> None:
    options = jvm_archive.training_options(tmp_path / "out.jsa", java).split()
    assert f"{writes}{tmp_path / 'out.jsa'}" in options
    # Java 17 refuses to start with a log tag it does not know.
    assert ("-Xlog:aot=off" in options) == (java >= 25)


def test_the_training_options_start_this_java(tmp_path: Path) -> None:
    java = java_runtime.java_executable()
    version = java_runtime.version_of(java)
    options = jvm_archive.training_options(tmp_path / "out.jsa", version).split()
    result = subprocess.run([java, *options, "-version"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_missing_archive_is_silent(tmp_path: Path) -> None:
    java = jvm_archive.java_executable()
    options = jvm_archive.java_options(tmp_path / "project").split()
    result = subprocess.run([java, *options, "-version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "cds" not in result.stderr.lower() + result.stdout.lower()
    assert "archive" not in result.stderr.lower()


def test_an_archive_for_other_jars_is_not_current(tmp_path: Path) -> None:
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "a.jar").write_bytes(b"")
    project = tmp_path / "project"
    assert not jvm_archive.is_current(jars, project)  # nothing built yet
    archive = jvm_archive.archive_path(project)
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"archive")
    key = archive.with_name(archive.name + jvm_archive.KEY_SUFFIX)
    key.write_text(jvm_archive.archive_key(jars) + "\n")
    assert jvm_archive.is_current(jars, project)
    (jars / "b.jar").write_bytes(b"")  # the jar set changed: rebuild
    assert not jvm_archive.is_current(jars, project)


def test_the_shared_session_jvm_got_the_option(
    spark: SparkSession, lakehouse_settings: Settings
) -> None:
    runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    arguments = list(runtime.getInputArguments())
    expected = f"-XX:SharedArchiveFile={jvm_archive.archive_path(lakehouse_settings.project_dir)}"
    assert expected in arguments


def test_the_shared_session_runs_the_java_setup_chose(spark: SparkSession) -> None:
    home = spark.sparkContext._jvm.System.getProperty("java.home")
    chosen = java_runtime.java_home()
    assert chosen is not None, "setup records Spark's Java (lakehouse setup-jvm)"
    assert Path(home).resolve() == Path(chosen).resolve()


def test_the_shared_session_jvm_uses_the_throughput_collector(spark: SparkSession) -> None:
    management = spark.sparkContext._jvm.java.lang.management.ManagementFactory
    collectors = {bean.getName() for bean in management.getGarbageCollectorMXBeans()}
    # ParallelGC's two collectors; G1, the default, would show "G1 Young Generation" & co.
    assert collectors == {"PS Scavenge", "PS MarkSweep"}


def test_an_earlier_versions_shared_archive_is_found_beside_the_jar_cache(tmp_path: Path) -> None:
    jars = tmp_path / "cache" / "jars"
    jars.mkdir(parents=True)
    assert jvm_archive.legacy_shared_archive(jars) is None
    leftover = tmp_path / "cache" / "jvm" / "spark.jsa"
    leftover.parent.mkdir()
    leftover.write_bytes(b"archive")
    assert jvm_archive.legacy_shared_archive(jars) == leftover
