"""The Airflow DAG and its parts with real Airflow (no scheduler): the DAG folder imports
without errors or cycles and wires the pipeline as documented; the landing trigger fires for
complete files, once each; exit codes of `lakehouse` become task outcomes. Airflow runs in a
subprocess (airflow_driver.py) with a temporary AIRFLOW_HOME. The DAG's end-to-end runs with
`dag.test()` are in test_airflow_dag.py (slow tier)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

DRIVER = Path(__file__).with_name("airflow_driver.py")
PROJECT_DIR = Path(__file__).resolve().parents[2]


def airflow_env(tmp_path: Path, **lakehouse: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAKEHOUSE_")}
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT_DIR / "orchestration" / "dags"),
        LAKEHOUSE_PROJECT_DIR=str(PROJECT_DIR),
        LAKEHOUSE_HOME=str(tmp_path / "home"),
        LAKEHOUSE_LANDING=str(tmp_path / "landing"),
    )
    env.update(lakehouse)
    return env


def drive(env: dict[str, str], *args: str, timeout: float = 300) -> tuple[str, Any]:
    """Run the driver; its whole output and the JSON of its RESULT line."""
    finished = subprocess.run(
        [sys.executable, str(DRIVER), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = finished.stdout + finished.stderr
    lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
    assert finished.returncode == 0 and lines, output[-3000:]
    return output, json.loads(lines[-1].removeprefix("RESULT "))


S3_LANDING = "s3a://lakehouse-landing/exports"


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The DAG folder as Airflow's DagBag parses it: with a local landing zone, with one on S3,
    and with a bad setting (one Airflow process, three parses)."""
    root = tmp_path_factory.mktemp("dagbag")
    (root / "landing").mkdir()
    variants = {
        "local": {},
        "s3": {"LAKEHOUSE_LANDING": S3_LANDING},
        "bad setting": {
            "LAKEHOUSE_LANDING": str(root / "landing"),
            "LAKEHOUSE_SETTLE_SECONDS": "soon",
        },
    }
    _output, found = drive(airflow_env(root), "dagbag", json.dumps(list(variants.values())))
    return {"root": root, **dict(zip(variants, found, strict=True))}


def test_the_dag_folder_imports_cleanly_and_wires_the_pipeline(parsed: dict[str, Any]) -> None:
    landing = parsed["root"] / "landing"
    found = parsed["local"]
    assert found["import_errors"] == {}  # a cycle would be one too
    dag = found["dags"]["ecommerce_lakehouse"]
    assert dag["max_active_runs"] == 1
    assert dag["catchup"] is False
    # New files or the daily schedule, whichever comes first.
    assert dag["timetable"] == "AssetOrTimeSchedule"
    [watcher] = dag["watchers"]
    classpath, kwargs = watcher["trigger"]
    assert classpath == "orchestration.landing_trigger.LandedFilesTrigger"
    assert kwargs["landing"] == str(landing)
    assert watcher["asset"] == landing.as_uri()
    tasks = dag["tasks"]
    assert {name: task["upstream"] for name, task in tasks.items()} == {
        "ingest": [],
        "build": ["ingest"],
        "docs": ["build"],
        "freshness": ["docs"],
    }
    assert all(task["retries"] >= 1 for task in tasks.values())
    # Freshness is checked on a day with nothing to build too (build and docs skipped).
    assert tasks["freshness"]["trigger_rule"] == "none_failed"


def test_on_s3_the_dag_runs_on_its_daily_schedule(parsed: dict[str, Any]) -> None:
    found = parsed["s3"]
    assert found["import_errors"] == {}
    dag = found["dags"]["ecommerce_lakehouse"]
    assert dag["timetable"] == "CronTriggerTimetable"
    assert dag["watchers"] == []


def test_a_bad_setting_is_an_import_error_that_names_it(parsed: dict[str, Any]) -> None:
    [(path, message)] = parsed["bad setting"]["import_errors"].items()
    assert path.endswith("ecommerce_lakehouse.py")
    assert "LAKEHOUSE_SETTLE_SECONDS" in message


def test_the_landing_trigger_fires_once_per_complete_arrival(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    old = landing / "brands" / "brands.csv"
    old.parent.mkdir(parents=True)
    old.write_text("brand_code,brand_name\nB1,One\n")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    # Not landed files: the listing's own rules leave them out.
    (landing / "brands" / "_brands.csv").write_text("a writer's temporary file\n")
    (landing / "brands" / "notes.txt").write_text("not a CSV\n")

    settle, poll = 2.0, 0.5
    growing = landing / "order_items" / "landing" / "order_items_2025-01-02.csv"
    watching = subprocess.Popen(
        [sys.executable, str(DRIVER), "trigger", "15", str(landing), str(settle), str(poll)],
        env=airflow_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert watching.stdout is not None
    output = []
    for line in watching.stdout:  # until the first event: the trigger is running
        output.append(line)
        if line.startswith("EVENT "):
            break
    # A file written in place over 3 s, a line every half second.
    growing.parent.mkdir(parents=True)
    with growing.open("w") as handle:
        for line in range(7):
            handle.write(f"line {line}\n")
            handle.flush()
            last_write = time.time()
            time.sleep(0.5)
    output += watching.stdout.readlines()
    assert watching.wait(timeout=60) == 0, "".join(output)[-3000:]
    events = [
        json.loads(line.removeprefix("EVENT ")) for line in output if line.startswith("EVENT ")
    ]
    # At once for what is there (one run ingests it), then once for the slow file, only after
    # it stopped changing for the settling interval; never again for files already fired for.
    assert [event["first_files"] for event in events] == [["brands.csv"], [growing.name]], output
    assert events[1]["at"] >= last_write + settle


def test_exit_codes_become_task_outcomes(tmp_path: Path) -> None:
    _output, found = drive(
        airflow_env(tmp_path), "outcome", "0", "99:99", "0:99", "1", "2", "75", "-9", "99"
    )
    assert found == {
        "0": None,
        "99:99": "AirflowSkipException",  # build-changed: nothing to build
        "0:99": None,
        "1": "AirflowFailException",  # a failed test: no retry
        "2": "AirflowFailException",  # a wrong setting: no retry
        "75": "AirflowException",  # the state folder is busy: retried
        "-9": "AirflowException",  # killed: retried
        "99": "AirflowException",
    }


def test_a_task_runs_the_real_cli_and_its_output_is_the_task_log(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-landing"
    output, found = drive(airflow_env(tmp_path), "run", "ingest", "--landing", str(missing))
    assert f"lakehouse ingest --landing {missing}" in output
    assert f"landing zone {missing} does not exist" in output
    assert found["type"] == "AirflowFailException"
    assert "exit 2" in found["message"]
