"""Spark's Java: read from `java -version`, the newest supported one chosen, recorded for the venv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion import java_runtime


@pytest.mark.parametrize(
    ("output", "version"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "25.0.3" 2026-04-21 LTS', 25),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_412"', 8),
    ],
)
def test_the_feature_release_is_read_from_java_version(output: str, version: int) -> None:
    assert java_runtime.feature_version(output) == version


def test_an_unreadable_version_is_a_clear_error() -> None:
    with pytest.raises(java_runtime.JavaError, match="cannot tell the Java version"):
        java_runtime.feature_version("Error: could not find libjava.so")


def test_the_newest_java_spark_supports_is_chosen() -> None:
    homes = {Path("/jvm/8"): 8, Path("/jvm/17"): 17, Path("/jvm/25"): 25, Path("/jvm/26"): 26}
    assert java_runtime.choose(homes) == Path("/jvm/25")  # 26: not supported by Spark 4.2
    assert java_runtime.choose({Path("/jvm/17"): 17, Path("/jvm/21"): 21}) == Path("/jvm/21")
    assert java_runtime.choose({Path("/jvm/8"): 8}) is None


def test_the_record_sets_a_default_java_home_only(tmp_path: Path) -> None:
    site = tmp_path / "site"
    record = site / java_runtime.PTH_NAME
    assert java_runtime.record_for_spark(Path("/opt/jdk-25"), record)
    assert not java_runtime.record_for_spark(Path("/opt/jdk-25"), record)  # unchanged
    assert java_runtime.recorded_java_home(record) == "/opt/jdk-25"

    # Python runs the .pth line at start-up: a default, which an explicit JAVA_HOME overrides.
    probe = "import os; print(os.environ.get('JAVA_HOME'))"
    command = [sys.executable, "-S", "-c", f"import site; site.addsitedir({str(site)!r}); {probe}"]
    env = {key: value for key, value in os.environ.items() if key != "JAVA_HOME"}
    assert subprocess.run(command, env=env, capture_output=True, text=True).stdout.strip() == (
        "/opt/jdk-25"
    )
    env["JAVA_HOME"] = "/somewhere/else"
    assert subprocess.run(command, env=env, capture_output=True, text=True).stdout.strip() == (
        "/somewhere/else"
    )


def test_the_recorded_default_is_not_taken_for_a_users_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every Python of the venv starts with the default in JAVA_HOME; setup must still choose
    # afresh (a newer JDK installed, the recorded one removed) unless the user set another.
    record = tmp_path / java_runtime.PTH_NAME
    java_runtime.record_for_spark(Path("/opt/jdk-25"), record)
    monkeypatch.setenv("JAVA_HOME", "/opt/jdk-25")
    assert java_runtime.explicit_java_home(record) is None
    monkeypatch.setenv("JAVA_HOME", "/opt/jdk-21")
    assert java_runtime.explicit_java_home(record) == "/opt/jdk-21"
    monkeypatch.delenv("JAVA_HOME")
    assert java_runtime.explicit_java_home(record) is None


def test_this_venv_starts_a_java_spark_supports() -> None:
    # JAVA_HOME from the environment, or the default setup recorded in the venv's .pth file.
    home = java_runtime.java_home()
    assert home is not None, "make setup records Spark's Java (lakehouse setup-jvm)"
    version = java_runtime.version_of(str(Path(home) / "bin" / "java"))
    assert version in java_runtime.SUPPORTED_JAVA


def test_a_java_home_without_java_fails_setup_with_what_to_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(java_runtime.JavaError, match="point it at a Java 17, 21 or 25 home"):
        java_runtime.setup_java()
