"""One `lakehouse` command as an Airflow task: its output in the task log, its exit code
turned into the task's outcome.

    0                    success
    the skip code        skipped (`build-changed --skip-exit-code`: nothing to build)
    1, 2                 failed, no retry: a model or blocking test failed, a file was
                         quarantined or changed, or the configuration is wrong; running it
                         again gives the same answer until data, code or settings change
    75 and anything else retried: another command holds the state folder (75), or the
                         process died (a signal, the JVM)
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

# Exit codes the CLI documents as "the work failed" and "invalid arguments or configuration".
NO_RETRY = {1: "failed", 2: "was refused (invalid arguments or configuration)"}


def lakehouse_executable() -> str:
    """The `lakehouse` of the environment Airflow runs in (the project's virtual environment),
    else the first on PATH."""
    beside = Path(sys.executable).with_name("lakehouse")
    if beside.is_file():
        return str(beside)
    found = shutil.which("lakehouse")
    if found is None:
        raise AirflowFailException(
            "no `lakehouse` command: install the project (pip install -e '.[orchestration]') "
            "into the environment Airflow runs in"
        )
    return found


def run_lakehouse(*args: str, skip_exit_code: int | None = None) -> None:
    """Run ``lakehouse <args>``, copying its output (stdout and stderr, in order) to the task
    log line by line as it comes."""
    command = [lakehouse_executable(), *args]
    print(f"$ {shlex.join(command)}", flush=True)
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        try:
            assert process.stdout is not None
            for line in process.stdout:
                print(line, end="", flush=True)
            code = process.wait()
        except BaseException:
            # The task was stopped (a timeout, a person): stop the command between batches.
            process.terminate()
            process.wait()
            raise
    outcome = task_outcome(
        code, f"`lakehouse {args[0]}`" if args else "`lakehouse`", skip_exit_code
    )
    if outcome is not None:
        raise outcome


def task_outcome(code: int, name: str, skip_exit_code: int | None) -> AirflowException | None:
    """What an exit code makes of the task: None for success, else the exception to raise
    (skip, fail without retry, or fail and retry)."""
    if code == 0:
        return None
    if skip_exit_code is not None and code == skip_exit_code:
        return AirflowSkipException(f"{name}: nothing to do")
    if code in NO_RETRY:
        return AirflowFailException(
            f"{name} {NO_RETRY[code]} (exit {code}); the lines above say why"
        )
    return AirflowException(f"{name} ended with exit code {code}; it will be retried")
