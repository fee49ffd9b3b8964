"""Which S3 connector the project fetches, and from where (no download: the fetch itself runs
in `make test-slow`'s set-up and is exercised by test_object_storage)."""

from __future__ import annotations

from pathlib import Path

import pyspark
import pytest

from lakehouse.jars import JarsError
from lakehouse.s3_connector import (
    MANIFEST,
    cached_connector,
    connector_coordinate,
    declared_bundle_version,
    hadoop_version,
    maven_url,
    require_connector,
)


def test_the_connector_matches_the_hadoop_inside_pyspark() -> None:
    jars = Path(pyspark.__file__).parent / "jars"
    assert (jars / f"hadoop-client-api-{hadoop_version()}.jar").is_file()
    assert connector_coordinate() == f"org.apache.hadoop:hadoop-aws:{hadoop_version()}"


def test_the_sdk_bundle_version_is_read_from_the_resolved_pom(tmp_path: Path) -> None:
    descriptor = tmp_path / "cache" / "org.apache.hadoop" / "hadoop-aws" / "ivy-3.5.0.xml"
    descriptor.parent.mkdir(parents=True)
    descriptor.write_text(
        "<ivy-module><info>"
        "<m:dependency.management__software.amazon.awssdk__bundle__version>2.35.4"
        "</m:dependency.management__software.amazon.awssdk__bundle__version>"
        "</info></ivy-module>"
    )
    assert declared_bundle_version(tmp_path, "org.apache.hadoop:hadoop-aws:3.5.0") == "2.35.4"
    descriptor.write_text("<ivy-module/>")
    with pytest.raises(JarsError, match="declares no software"):
        declared_bundle_version(tmp_path, "org.apache.hadoop:hadoop-aws:3.5.0")


def test_jars_come_from_maven_central() -> None:
    assert maven_url("software.amazon.awssdk:bundle:2.35.4") == (
        "https://repo1.maven.org/maven2/software/amazon/awssdk/bundle/2.35.4/bundle-2.35.4.jar"
    )


def test_a_missing_or_stale_cache_says_how_to_fetch(tmp_path: Path) -> None:
    assert cached_connector(tmp_path) is None
    (tmp_path / MANIFEST).write_text(
        '{"coordinate": "org.apache.hadoop:hadoop-aws:0.0.1", "jars": ["x.jar"]}'
    )
    (tmp_path / "x.jar").write_bytes(b"")
    assert cached_connector(tmp_path) is None  # another pyspark's connector
    with pytest.raises(JarsError, match="lakehouse setup-jars --s3"):
        require_connector(tmp_path)
