"""One writer per state folder: a second command is refused at once, naming the holder; a lock
left by a killed process is taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lakehouse.state_lock import EXIT_BUSY, LOCK_FILE, StateBusyError, read_holder, state_lock

PROJECT_DIR = Path(__file__).resolve().parents[2]


def lakehouse(
    home: Path, *args: str, timeout: float = 120, **env: str
) -> tuple[subprocess.CompletedProcess, float]:
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("LAKEHOUSE_")},
        "LAKEHOUSE_PROJECT_DIR": str(PROJECT_DIR),
        "LAKEHOUSE_HOME": str(home),
        **env,
    }
    started = time.monotonic()
    process = subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return process, time.monotonic() - started


@pytest.mark.parametrize(
    "command", [["run"], ["ingest"], ["build", "--select", "dim_date"], ["sql", "select 1"]]
)
def test_a_second_command_on_the_same_state_is_refused_at_once_naming_the_holder(
    tmp_path: Path, command: list[str]
) -> None:
    home = tmp_path / "home"
    with state_lock(home, command="lakehouse run (the first writer)") as holder:
        process, seconds = lakehouse(home, *command)
        # The refused command changed nothing: the holder's record is intact.
        assert read_holder(home / LOCK_FILE) == holder
    assert process.returncode == EXIT_BUSY, process.stderr
    assert seconds < 5, f"took {seconds:.1f} s"
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"pid {holder.pid}" in lines[0]
    assert "lakehouse run (the first writer)" in lines[0]
    assert holder.since in lines[0]
    assert str(home) in lines[0]


def test_two_state_folders_do_not_share_a_lock(tmp_path: Path) -> None:
    with (
        state_lock(tmp_path / "one"),
        state_lock(tmp_path / "two"),
        pytest.raises(StateBusyError),
        state_lock(tmp_path / "one"),
    ):
        pass


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    home = tmp_path / "home"
    holder_code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from lakehouse.state_lock import state_lock\n"
        "with state_lock(Path(sys.argv[1]), command='lakehouse ingest (killed)'):\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(600)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder_code, str(home)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        with (
            pytest.raises(
                StateBusyError, match=rf"pid {process.pid}, `lakehouse ingest \(killed\)`"
            ),
            state_lock(home),
        ):
            pass
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    said: list[str] = []
    with state_lock(home, command="lakehouse run (next)", say=said.append) as holder:
        assert holder.pid == os.getpid()
        assert read_holder(home / LOCK_FILE) == holder
    assert len(said) == 1 and f"pid {process.pid}" in said[0] and "ended" in said[0]
    # A clean exit leaves nothing to take over.
    assert read_holder(home / LOCK_FILE) is None


def test_each_state_folder_keeps_its_own_dbt_artifacts_and_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two state folders side by side never share dbt's target/ or logs/ (the dbt invocation
    is recorded, not run: the thrift target needs no Spark)."""
    from lakehouse import dbt_runner
    from lakehouse.settings import Settings

    invoked: list[list[str]] = []

    class Recorder:
        def invoke(self, args: list[str]) -> object:
            invoked.append(args)
            return type("Result", (), {"success": True})()

    monkeypatch.setattr(dbt_runner, "dbtRunner", Recorder)
    for name in ("one", "two"):
        settings = Settings.from_env(
            {"LAKEHOUSE_PROJECT_DIR": str(PROJECT_DIR), "LAKEHOUSE_HOME": str(tmp_path / name)}
        )
        dbt_runner.run_dbt("build", ["--target", "prod_thrift"], settings)
    for name, args in zip(("one", "two"), invoked, strict=True):
        assert args[args.index("--target-path") + 1] == str(tmp_path / name / "dbt" / "target")
        assert args[args.index("--log-path") + 1] == str(tmp_path / name / "dbt" / "logs")
    # Given explicitly, the caller's paths win.
    dbt_runner.run_dbt("build", ["--target", "prod_thrift", "--target-path", "elsewhere"], settings)
    assert invoked[-1].count("--target-path") == 1
