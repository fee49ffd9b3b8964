"""Runs real Airflow for the orchestration tests, in a process of its own.

Importing Airflow configures logging for the whole process and reads AIRFLOW_HOME once, so the
tests never import it themselves: they run this script with a temporary AIRFLOW_HOME and read
the JSON it prints last (one line, prefixed ``RESULT ``). Everything before that line is what
Airflow and the tasks printed (the task logs, under `dag.test()`).

    python airflow_driver.py dagbag [VARIANTS]   the DAG folder's DAGs, as the tests check them;
                                                 VARIANTS: a JSON list of variable settings,
                                                 the folder parsed once under each
    python airflow_driver.py test                one `dag.test()` run of ecommerce_lakehouse
    python airflow_driver.py trigger SECONDS     the landing trigger's events for SECONDS
    python airflow_driver.py outcome CODE[:SKIP]… what exit codes make of a task
    python airflow_driver.py run ARGS…           run_lakehouse(ARGS) with a real `lakehouse`
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

DAG_FOLDER = Path(__file__).resolve().parents[2] / "orchestration" / "dags"
DAG_ID = "ecommerce_lakehouse"


def result(payload: Any) -> None:
    print("RESULT " + json.dumps(payload, default=str), flush=True)


def dagbag(variants: list[dict[str, str]]) -> None:
    # The DAG file reads its settings when it is parsed: each variant is a parse of its own.
    found = []
    for variant in variants:
        os.environ.update(variant)
        found.append(parsed_dags())
    result(found)


def parsed_dags() -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FOLDER))
    dags = {}
    for dag_id, dag in bag.dags.items():
        timetable = dag.timetable
        assets = getattr(getattr(timetable, "asset_condition", None), "objects", None) or []
        dags[dag_id] = {
            "max_active_runs": dag.max_active_runs,
            "catchup": dag.catchup,
            "timetable": type(timetable).__name__,
            "watchers": [
                {"asset": asset.uri, "trigger": watcher.trigger.serialize()}
                for asset in assets
                for watcher in getattr(asset, "watchers", [])
            ],
            "tasks": {
                task.task_id: {
                    "upstream": sorted(task.upstream_task_ids),
                    "retries": task.retries,
                    "trigger_rule": getattr(task.trigger_rule, "value", task.trigger_rule),
                }
                for task in dag.tasks
            },
        }
    return {"import_errors": bag.import_errors, "dags": dags}


def test_run() -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAG_FOLDER)).dags[DAG_ID]
    run = dag.test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    result({"state": str(run.state), "tasks": states})


def trigger(seconds: float, landing: str, settle: float, poll: float) -> None:
    from orchestration.landing_trigger import LandedFilesTrigger

    async def collect() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []

        async def consume() -> None:
            async for event in LandedFilesTrigger(landing, settle, poll).run():
                events.append({"at": time.time(), **event.payload})
                print(f"EVENT {json.dumps(events[-1])}", flush=True)

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(consume(), timeout=seconds)
        return events

    result(asyncio.run(collect()))


def outcomes(cases: list[str]) -> None:
    from orchestration.lakehouse_task import task_outcome

    found = {}
    for case in cases:
        code, _, skip = case.partition(":")
        made = task_outcome(int(code), "`lakehouse x`", int(skip) if skip else None)
        found[case] = None if made is None else type(made).__name__
    result(found)


def run(args: list[str]) -> None:
    from orchestration.lakehouse_task import run_lakehouse

    try:
        run_lakehouse(*args)
    except Exception as error:
        result({"type": type(error).__name__, "message": str(error)})
    else:
        result(None)


def main(argv: list[str]) -> None:
    command, *rest = argv
    if command == "dagbag":
        dagbag(json.loads(rest[0]) if rest else [{}])
    elif command == "test":
        test_run()
    elif command == "trigger":
        seconds, landing, settle, poll = rest
        trigger(float(seconds), landing, float(settle), float(poll))
    elif command == "outcome":
        outcomes(rest)
    elif command == "run":
        run(rest)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
