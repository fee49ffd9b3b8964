"""The `ecommerce_lakehouse` DAG: ingest, build what changed, regenerate the docs, check
source freshness, each a task running one `lakehouse` command.

A run starts when complete files land in the landing zone (an asset watcher: the triggerer
lists the zone every minute, no worker slot held) or at 02:00 UTC every day, whichever comes
first; files that land during a run start the next one when it ends (one run at a time: one
writer of the lakehouse). On an S3 landing zone only the daily schedule starts runs.

    ingest      `lakehouse ingest --allow-quarantined`: new files into Bronze, exactly once
                (a quarantined file is named in the log; it does not stop the build)
    build       `lakehouse build-changed`: the selection `lakehouse run` makes; skipped when
                nothing is new since the last successful build; failed, without retries,
                when a model or blocking test fails (the log names the test and the relation
                holding its failing rows); warnings do not fail it
    docs        `lakehouse dbt docs generate` (after a build)
    freshness   `lakehouse dbt source freshness`: fails when a Bronze table is older than its
                error limit, also on a day with nothing new

The tasks read the lakehouse's configuration from the LAKEHOUSE_* variables of the Airflow
processes, as the CLI does. docs/operations.md, "Scheduling", shows how to run it.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import (
    DAG,
    Asset,
    AssetOrTimeSchedule,
    AssetWatcher,
    CronTriggerTimetable,
    TriggerRule,
    task,
)

from lakehouse.settings import Settings
from orchestration.lakehouse_task import run_lakehouse
from orchestration.landing_trigger import LandedFilesTrigger

DAG_ID = "ecommerce_lakehouse"
DAILY = CronTriggerTimetable("0 2 * * *", timezone="UTC")
POLL_SECONDS = 60.0
# `build-changed` exits with this when there is nothing to build; the task is then skipped.
NOTHING_TO_BUILD = 99

settings = Settings.from_env()


def landing_asset() -> Asset | None:
    """The landing zone as an asset whose watcher fires on new complete files (local zones)."""
    if not settings.landing_is_local:
        return None
    trigger = LandedFilesTrigger(str(settings.landing_dir), settings.settle_seconds, POLL_SECONDS)
    return Asset(
        name="lakehouse_landing_zone",
        uri=settings.landing_dir.as_uri(),
        watchers=[AssetWatcher(name="new_landed_files", trigger=trigger)],
    )


landing = landing_asset()

with DAG(
    dag_id=DAG_ID,
    description="Landing zone -> Bronze -> Silver and Gold (dbt), on new files or daily",
    doc_md=__doc__,
    schedule=DAILY if landing is None else AssetOrTimeSchedule(timetable=DAILY, assets=[landing]),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={
        # Retries are for what passes: a state folder busy with another command (exit 75), a
        # process that died. A failed test or a wrong setting fails at once (lakehouse_task).
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=5),
        "execution_timeout": dt.timedelta(hours=3),
    },
    tags=["lakehouse"],
) as dag:

    @task
    def ingest() -> None:
        run_lakehouse("ingest", "--allow-quarantined")

    @task
    def build() -> None:
        run_lakehouse(
            "build-changed",
            *("--skip-exit-code", str(NOTHING_TO_BUILD)),
            skip_exit_code=NOTHING_TO_BUILD,
        )

    @task
    def docs() -> None:
        run_lakehouse("dbt", "docs", "generate")

    @task(trigger_rule=TriggerRule.NONE_FAILED)
    def freshness() -> None:
        run_lakehouse("dbt", "source", "freshness")

    ingest() >> build() >> docs() >> freshness()
