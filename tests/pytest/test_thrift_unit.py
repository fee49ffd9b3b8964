"""Thrift server and cluster management without a JVM: commands, secrets, ports, process
groups, state files, the metastore guard. The real servers are in test_thrift_server.py."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from lakehouse import cli
from lakehouse.session import MetastoreInUseError, ensure_metastore_free, spark_conf
from lakehouse.settings import Settings, SettingsError
from lakehouse.thrift import auth, cluster, server
from lakehouse.thrift.process import (
    child_env,
    group_members,
    is_alive,
    log_reason,
    port_in_use,
    stop_group,
    write_state,
)

PROJECT = Path(__file__).resolve().parents[2]
SECRET = "unit-test-secret-Zq81"


def settings_for(home: Path, **env: str) -> Settings:
    return Settings.from_env(
        {"LAKEHOUSE_PROJECT_DIR": str(PROJECT), "LAKEHOUSE_HOME": str(home), **env}
    )


@pytest.fixture
def lakehouse_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the in-process CLI at a fresh state folder (restored after the test)."""
    home = tmp_path / "home"
    for key, value in settings_for(home).as_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("LAKEHOUSE_THRIFT_PASSWORD", raising=False)
    return home


def fake_process(argv0: str, *, ignore_term: bool = False) -> subprocess.Popen[bytes]:
    """A sleeping process whose command line shows ``argv0``, leader of its own group."""
    trap = "trap '' TERM; " if ignore_term else ""
    process = subprocess.Popen(
        ["bash", "-c", f"{trap}exec -a '{argv0}' sleep 60"],
        start_new_session=True,
    )
    # Wait for the exec itself: until then the command line is pytest's, then bash's, whose
    # `-c` script also contains ``argv0``. Returning on that (as this helper once did) let a
    # check run while bash was exec'ing, when /proc shows an empty command line: under load
    # the metastore guard test then saw no server ("DID NOT RAISE").
    deadline = time.monotonic() + 30
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    while cmdline.read_bytes().split(b"\0")[0] != argv0.encode():
        assert time.monotonic() < deadline, "the fake process did not start"
        time.sleep(0.02)
    return process


def test_server_command_carries_the_whole_spark_conf_and_the_address(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, LAKEHOUSE_THRIFT_HOST="127.0.0.1", LAKEHOUSE_THRIFT_PORT="10123"
    )
    jars = [tmp_path / "a.jar", tmp_path / "b.jar"]
    conf = server.server_conf(settings, jars, extra={"spark.executor.memory": "2g"})
    command = server.server_command(conf, server.server_hiveconf(settings))

    assert command[:3] == [command[0], "--class", server.MAIN_CLASS]
    assert command[0].endswith("bin/spark-submit")
    passed = {
        command[i + 1].split("=", 1)[0]: command[i + 1].split("=", 1)[1]
        for i, arg in enumerate(command)
        if arg == "--conf"
    }
    expected = spark_conf(settings, jars)
    assert set(passed) == set(expected) | {"spark.executor.memory", server.DELTA_METADATA_QUERY}
    assert passed[server.DELTA_METADATA_QUERY] == "false"
    for key in ("spark.sql.warehouse.dir", "spark.hadoop.javax.jdo.option.ConnectionURL"):
        assert passed[key] == expected[key]
    assert passed["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert passed["spark.driver.extraClassPath"] == f"{settings.jars_dir}/*"
    assert (
        f"log4j2.configurationFile=file:{server.LOG4J_CONFIG}"
        in (passed["spark.driver.extraJavaOptions"])
    )
    assert "hive.server2.thrift.bind.host=127.0.0.1" in command
    assert "hive.server2.thrift.port=10123" in command
    assert "hive.server2.authentication=NONE" in command


def test_non_local_master_ships_the_jars(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, LAKEHOUSE_SPARK_MASTER="spark://127.0.0.1:7077")
    conf = server.server_conf(settings, [tmp_path / "delta.jar"])
    assert conf["spark.master"] == "spark://127.0.0.1:7077"
    assert conf["spark.jars"] == str(tmp_path / "delta.jar")


def test_password_mode_keeps_the_secret_off_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEHOUSE_THRIFT_PASSWORD", SECRET)
    settings = settings_for(
        tmp_path, LAKEHOUSE_THRIFT_AUTH="password", LAKEHOUSE_THRIFT_USER="analyst"
    )
    provider = tmp_path / "provider.jar"
    conf = server.server_conf(settings, [], provider)
    command = server.server_command(conf, server.server_hiveconf(settings))

    assert "hive.server2.authentication=CUSTOM" in command
    assert f"hive.server2.custom.authentication.class={auth.PROVIDER_CLASS}" in command
    assert conf["spark.driver.extraClassPath"].endswith(f":{provider}")
    assert not any(SECRET in arg for arg in command)
    # The secret travels in the server's environment only, never in the exported settings.
    assert auth.server_env(settings) == {
        "LAKEHOUSE_THRIFT_USER": "analyst",
        "LAKEHOUSE_THRIFT_PASSWORD": SECRET,
    }
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.as_env())
    # Daemons that do not need it (cluster master/worker and their executors) do not get it.
    assert "LAKEHOUSE_THRIFT_PASSWORD" not in child_env(settings)


def test_password_mode_without_a_password_is_a_configuration_error(
    lakehouse_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LAKEHOUSE_THRIFT_AUTH", "password")
    assert cli.main(["thrift", "start"]) == 2
    assert "LAKEHOUSE_THRIFT_PASSWORD" in capsys.readouterr().err
    assert not server.state_file(settings_for(lakehouse_env)).exists()


def test_invalid_auth_mode_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="LAKEHOUSE_THRIFT_AUTH"):
        settings_for(tmp_path, LAKEHOUSE_THRIFT_AUTH="kerberos")


def test_a_taken_port_is_refused_before_anything_starts(
    lakehouse_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        monkeypatch.setenv("LAKEHOUSE_THRIFT_PORT", str(port))
        assert cli.main(["thrift", "start"]) == 2
    err = capsys.readouterr().err
    assert f"port {port}" in err
    assert "LAKEHOUSE_THRIFT_PORT" in err
    assert not server.state_file(settings_for(lakehouse_env)).exists()


def test_cluster_refuses_a_taken_master_port(
    lakehouse_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert cli.main(["cluster", "start", "--port", str(port), "--ui-port", "0"]) == 2
    assert "LAKEHOUSE_CLUSTER_PORT" in capsys.readouterr().err


def test_status_and_stop_when_nothing_runs(
    lakehouse_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["thrift", "status"]) == 1
    assert "stopped" in capsys.readouterr().out
    assert cli.main(["thrift", "stop"]) == 0
    assert "not running" in capsys.readouterr().out
    assert cli.main(["cluster", "status"]) == 1
    assert cli.main(["cluster", "stop"]) == 0


def test_a_stale_state_file_reads_as_stopped_and_stop_cleans_it(
    lakehouse_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(lakehouse_env)
    dead = subprocess.Popen(["true"])
    dead.wait()
    write_state(server.state_file(settings), {"pid": dead.pid, "host": "127.0.0.1", "port": 1})
    current = server.status(settings)
    assert not current.running
    assert current.stale
    assert cli.main(["thrift", "status"]) == 1
    assert cli.main(["thrift", "stop"]) == 0
    assert not server.state_file(settings).exists()
    capsys.readouterr()


def test_liveness_checks_the_command_line_not_just_the_pid() -> None:
    process = fake_process("not-a-spark-server")
    try:
        assert is_alive(process.pid, "not-a-spark-server")
        assert not is_alive(process.pid, server.MAIN_CLASS)  # a recycled pid is not ours
    finally:
        process.kill()
        process.wait()
    assert not is_alive(process.pid, "not-a-spark-server")


def test_stop_escalates_to_sigkill_and_leaves_no_process_in_the_group() -> None:
    process = fake_process("stubborn-daemon", ignore_term=True)
    try:
        started = time.monotonic()
        assert stop_group(process.pid, "stubborn-daemon", timeout=1.0) == "killed"
        assert time.monotonic() - started < 10
        assert group_members(process.pid) == []  # stop_group reaped it: nothing left at all
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_metastore_guard_names_the_server_and_the_way_out(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    process = fake_process(server.MAIN_CLASS)
    try:
        write_state(
            server.state_file(settings),
            {
                "pid": process.pid,
                "host": "127.0.0.1",
                "port": 10000,
                "metastore": str(settings.metastore),
            },
        )
        with pytest.raises(MetastoreInUseError) as error:
            ensure_metastore_free(settings)
        message = str(error.value)
        assert "--target prod_thrift" in message
        assert "lakehouse thrift stop" in message
        assert str(process.pid) in message
        # Another state folder (another metastore) is not affected.
        ensure_metastore_free(settings_for(tmp_path / "elsewhere"))
    finally:
        process.kill()
        process.wait()
    ensure_metastore_free(settings)  # the server is gone: free again


def test_log_reason_keeps_errors_and_drops_stack_frames(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(
        "2026-01-01 10:00:00 INFO HiveThriftServer2: Starting SparkContext\n"
        "2026-01-01 10:00:05 ERROR HiveThriftServer2: Error starting HiveThriftServer2\n"
        "java.net.BindException: Address already in use\n"
        "\tat java.base/sun.nio.ch.Net.bind0(Native Method)\n"
        "\t... 12 more\n"
        "Caused by: something deeper\n"
    )
    reason = log_reason(log)
    assert "Error starting HiveThriftServer2" in reason
    assert "BindException" in reason
    assert "Caused by: something deeper" in reason
    assert "Net.bind0" not in reason
    assert "Starting SparkContext" not in reason
    log.write_text("line one\nline two\n")
    assert log_reason(log) == "line one\nline two"


def test_cluster_commands_bind_loopback_and_keep_state_in_the_state_folder(
    tmp_path: Path,
) -> None:
    settings = settings_for(
        tmp_path,
        LAKEHOUSE_CLUSTER_PORT="17001",
        LAKEHOUSE_CLUSTER_UI_PORT="0",
        LAKEHOUSE_CLUSTER_WORKER_MEMORY="768m",
        LAKEHOUSE_CLUSTER_WORKER_CORES="1",
    )
    master = cluster.master_command(settings)
    worker = cluster.worker_command(settings)
    assert cluster.MASTER_CLASS in master
    assert master[master.index("--host") + 1] == "127.0.0.1"
    assert master[master.index("--port") + 1] == "17001"
    assert master[master.index("--webui-port") + 1] == "0"
    assert cluster.master_url(settings) == "spark://127.0.0.1:17001"
    assert worker[2] == "spark://127.0.0.1:17001"
    assert worker[worker.index("--host") + 1] == "127.0.0.1"
    assert worker[worker.index("--memory") + 1] == "768m"
    assert worker[worker.index("--cores") + 1] == "1"
    assert worker[worker.index("--work-dir") + 1] == str(tmp_path / "cluster" / "work")


@pytest.mark.spark  # javac runs on a JVM
def test_the_password_provider_compiles_once_into_the_jar_cache(tmp_path: Path) -> None:
    assert shutil.which("javac"), "password mode needs a JDK's javac (scripts/setup.sh installs it)"
    jar = auth.provider_jar(tmp_path / "jars")
    assert jar.parent == tmp_path / "jars" / "thrift-auth"
    with zipfile.ZipFile(jar) as archive:
        assert "lakehouse/auth/EnvPasswordAuthenticator.class" in archive.namelist()
    stamp = jar.stat().st_mtime_ns
    assert auth.provider_jar(tmp_path / "jars") == jar
    assert jar.stat().st_mtime_ns == stamp  # cached, not rebuilt


def test_no_compiled_java_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "lakehouse/thrift"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert not [name for name in tracked if name.endswith((".class", ".jar"))]
    assert auth.SOURCE.is_file()


@pytest.mark.parametrize("action", ["start", "stop", "status"])
@pytest.mark.parametrize("command", ["thrift", "cluster"])
def test_every_action_has_help(
    command: str, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, action, "--help"])
    assert exit_info.value.code == 0
    assert f"lakehouse {command} {action}" in capsys.readouterr().out
