"""The JVM's class-data archive: one per Java and jar set, written once, then mapped."""

from __future__ import annotations

from pathlib import Path

import pyspark
import pytest
from pyspark.sql import SparkSession

from lakehouse.jvm_archive import ARCHIVE_FOLDER, archive_option, class_path_digest
from lakehouse.session import driver_class_path
from lakehouse.settings import Settings, SettingsError


def fake_java(root: Path, version: str) -> Path:
    home = root / f"java-{version}"
    home.mkdir()
    (home / "release").write_text(f'JAVA_VERSION="{version}"\n')
    return home


def fake_spark(root: Path) -> Path:
    jars = root / "spark" / "jars"
    jars.mkdir(parents=True)
    (jars / "spark-core.jar").write_bytes(b"core")
    return root / "spark"


def test_the_digest_follows_the_java_and_every_jar_of_the_class_path(tmp_path: Path) -> None:
    spark_home = fake_spark(tmp_path)
    cache = tmp_path / "jars"
    cache.mkdir()
    (cache / "delta-spark.jar").write_bytes(b"delta 4.0")
    class_path = f"{cache}/*"
    java_17, java_25 = fake_java(tmp_path, "17.0.15"), fake_java(tmp_path, "25")

    digest = class_path_digest(class_path, java_17, spark_home)
    assert class_path_digest(class_path, java_17, spark_home) == digest
    assert class_path_digest(class_path, java_25, spark_home) != digest
    # An upgraded jar, a new jar, another folder on the class path: each its own archive.
    (cache / "delta-spark.jar").write_bytes(b"delta 4.1!")
    upgraded = class_path_digest(class_path, java_17, spark_home)
    assert upgraded != digest
    (cache / "extra.jar").write_bytes(b"x")
    assert class_path_digest(class_path, java_17, spark_home) not in (digest, upgraded)
    s3 = tmp_path / "s3"
    s3.mkdir()
    assert class_path_digest(f"{class_path}:{s3}/*", java_17, spark_home) != class_path_digest(
        class_path, java_17, spark_home
    )
    (spark_home / "jars" / "spark-core.jar").write_bytes(b"core 2")
    assert class_path_digest(f"{class_path}:{s3}/*", java_17, spark_home) != digest


def test_the_first_jvm_writes_the_archive_and_the_later_ones_map_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, "17.0.15")))
    spark_home, folder = fake_spark(tmp_path), tmp_path / "venv" / "lakehouse-jvm"

    first = archive_option(f"{tmp_path}/jars/*", spark_home, folder)
    assert first.startswith("-XX:ArchiveClassesAtExit=")
    archive = Path(first.split()[0].split("=", 1)[1])
    assert archive.parent == folder and archive.name.startswith("spark-")
    assert "-Xlog:cds*=off" in first  # the JVM's list of classes it leaves out stays quiet

    archive.write_bytes(b"written by the first JVM at its exit")
    later = archive_option(f"{tmp_path}/jars/*", spark_home, folder)
    assert later.split()[0] == f"-XX:SharedArchiveFile={archive}"


def test_no_archive_where_the_folder_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert archive_option(f"{tmp_path}/*", fake_spark(tmp_path), blocker / "lakehouse-jvm") == ""


def test_the_archive_setting_is_on_by_default_and_refuses_a_bad_value() -> None:
    assert Settings.from_env({}).jvm_archive is True
    assert Settings.from_env({"LAKEHOUSE_JVM_ARCHIVE": "false"}).jvm_archive is False
    with pytest.raises(SettingsError, match="LAKEHOUSE_JVM_ARCHIVE"):
        Settings.from_env({"LAKEHOUSE_JVM_ARCHIVE": "sometimes"})


@pytest.mark.spark
def test_the_session_jvm_writes_or_maps_the_archive_of_its_own_class_path(
    spark: SparkSession, lakehouse_settings: Settings
) -> None:
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    arguments = list(
        jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    )
    expected = archive_option(driver_class_path(lakehouse_settings), Path(pyspark.__file__).parent)
    archive = Path(expected.split()[0].split("=", 1)[1])
    assert archive.parent == ARCHIVE_FOLDER
    options = [
        argument
        for argument in arguments
        if argument.startswith(("-XX:SharedArchiveFile=", "-XX:ArchiveClassesAtExit="))
    ]
    # Written by this JVM at its exit, or by an earlier one and mapped now: this archive.
    assert [option.split("=", 1)[1] for option in options] == [str(archive)]
    if options[0].startswith("-XX:SharedArchiveFile="):
        assert archive.stat().st_size > 10_000_000  # a real archive, not an empty file
