"""`lakehouse dev [dbt args…]`: `dbt build` in your own schemas, deferring to production."""

from __future__ import annotations

import argparse
import sys

from lakehouse.build_state import deferral_state
from lakehouse.dbt_runner import foreign_target, run_dbt
from lakehouse.settings import Settings

DESCRIPTION = """\
Build in your own schemas (dbt_<name>_silver, dbt_<name>_gold, dbt_<name>_audit; <name> is
LAKEHOUSE_DEV_NAME, else $USER), reading every parent you do not build from production:

  dbt build --target dev --defer --state $LAKEHOUSE_HOME/state/last-build DBT_ARGS

The state is the last successful `lakehouse run`'s manifest, which names production's tables.
Production is never written. Every argument after `dev` is passed to dbt unchanged, e.g.:

  lakehouse dev --select my_new_mart                      # only it; its parents are prod's
  lakehouse dev --select my_new_mart+                     # and everything that reads it
  lakehouse dev --select fct_order_items --full-refresh   # a private full refresh
  dbt run-operation drop_environment_schemas --target dev # drop your schemas when done

Exit code 0 when every node succeeded, 1 when a model or a test failed, 2 when there is no
production build to defer to yet (run `lakehouse run` first) or no usable name."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dev",
        help="`dbt build` in your own dev schemas, reading unchanged parents from production",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "dbt_args", nargs=argparse.REMAINDER, metavar="DBT_ARGS", help="arguments for dbt build"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    prefix = settings.dev_schema_prefix()
    if problem := foreign_target(args.dbt_args, "dev"):
        print(f"lakehouse dev: {problem}", file=sys.stderr)
        return 2
    state = deferral_state(settings)
    if state is None:
        print(
            "lakehouse dev: no production build to defer to in "
            f"{settings.home / 'state' / 'last-build'}; run `lakehouse run` first",
            file=sys.stderr,
        )
        return 2
    print(f"lakehouse dev: building into {prefix}_*; unbuilt parents from production", flush=True)
    defer = ["--defer", "--state", str(state)]
    outcome = run_dbt("build", [*defer, *args.dbt_args], settings, environment="dev")
    if outcome.result.exception is not None:
        print(f"lakehouse dev: dbt failed: {outcome.result.exception}", file=sys.stderr)
    return outcome.exit_code
