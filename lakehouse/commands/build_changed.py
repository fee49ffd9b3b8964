"""`lakehouse build-changed`: build what changed since the last successful build, without
ingesting: the build step of `lakehouse run` on its own, for a scheduler."""

from __future__ import annotations

import argparse
import sys
import time

from ingestion.loader import ensure_bronze_tables
from lakehouse.build_report import build_report, describe
from lakehouse.pipeline import build_planned, plan_changed_build
from lakehouse.session import get_spark
from lakehouse.settings import Settings

DESCRIPTION = """\
Bring Silver and Gold up to date with Bronze: `dbt build` of what changed since the last
successful build, exactly the selection `lakehouse run` makes after it ingests (the Bronze
tables loaded since, by `dbt source freshness`, and the nodes whose code changed, each with
everything downstream and their tests; unit tests left out). Nothing is ingested: run
`lakehouse ingest` (or `lakehouse ingest --watch`) for that.

When dbt finds nothing fresher and no changed code, nothing is built and the command exits 0,
or the code given with --skip-exit-code (a scheduler can then show the step as skipped:
Airflow's BashOperator skips on 99). A failing model or blocking test is named with the
relation holding its failing rows."""

EPILOG = """\
exit codes: 0 built (or nothing to build); 1 a model or a blocking test failed; 2 invalid
arguments or configuration; 75 another command is using the state folder; the --skip-exit-code
value when there was nothing to build."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build-changed",
        help="build what changed since the last successful build (no ingest)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="build_all",
        help="build every node, not only what changed since the last successful build",
    )
    parser.add_argument(
        "--skip-exit-code",
        type=_exit_code,
        default=0,
        metavar="N",
        help="exit with N (3-125) instead of 0 when there is nothing to build",
    )
    parser.set_defaults(handler=run)


def _exit_code(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an integer") from None
    # 0-2 and 75 already mean something here; above 125 the shell reserves.
    if value != 0 and not (3 <= value <= 125 and value != 75):
        raise argparse.ArgumentTypeError("must be 0, or 3 to 125 other than 75")
    return value


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    spark = get_spark(settings)
    ensure_bronze_tables(spark, settings)
    say("checking what changed since the last build (dbt source freshness, state) …")
    plan, freshness = plan_changed_build(spark, settings, build_all=args.build_all)
    print(f"build: {plan.reason}", flush=True)
    if plan.nothing_to_build:
        return args.skip_exit_code
    outcome = build_planned(settings, plan, freshness)
    for line in describe(build_report(outcome.result.result)):
        print(line, flush=True)
    if outcome.result.exception is not None:
        print(f"  dbt stopped before building: {outcome.result.exception}", flush=True)
    print(f"finished in {time.monotonic() - started:.0f} s", flush=True)
    return outcome.exit_code
