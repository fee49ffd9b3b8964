"""Shared fixtures: one lakehouse state folder and one SparkSession for the whole test run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from ingestion.settings import Settings
from ingestion.spark import get_spark

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def lakehouse_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at a fresh state folder; exported so dbt's profile sees them too."""
    home = tmp_path_factory.mktemp("lakehouse")
    overrides = {
        "LAKEHOUSE_PROJECT_DIR": str(PROJECT_DIR),
        "LAKEHOUSE_HOME": str(home),
        "LAKEHOUSE_SPARK_MASTER": "local[2]",
        "LAKEHOUSE_DRIVER_MEMORY": "2g",
        "LAKEHOUSE_SHUFFLE_PARTITIONS": "2",
    }
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    settings = Settings.from_env()
    os.environ.update(settings.as_env())
    yield settings
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def spark(lakehouse_settings: Settings) -> Iterator[SparkSession]:
    session = get_spark(lakehouse_settings)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def dbt_output_args(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Keep dbt's target/ and logs/ out of the working tree during tests."""
    out = tmp_path_factory.mktemp("dbt")
    return ["--target-path", str(out / "target"), "--log-path", str(out / "logs")]
