"""`lakehouse ci [dbt args…]`: slim CI, what a working tree changed, in throw-away schemas."""

from __future__ import annotations

import argparse
import secrets
import sys
from dataclasses import replace

from lakehouse.build_state import deferral_state
from lakehouse.dbt_runner import foreign_target, option_value, run_dbt
from lakehouse.settings import Settings

SELECTION = "state:modified+"

DESCRIPTION = f"""\
Slim CI: build and test only what a project folder changes compared with production
({SELECTION}: every node whose code or configuration differs from the last successful
`lakehouse run`'s manifest, and everything downstream of it), in a fresh set of schemas
ci_<random>_silver, _gold and _audit; every parent it does not build is read from production:

  dbt build --target ci --select {SELECTION} --defer --state $LAKEHOUSE_HOME/state/last-build

The CI schemas are dropped at the end, whether the build passed or not; production is never
written. dbt's artifacts (run_results.json: what was built, where, and how it went) stay in
$LAKEHOUSE_HOME/dbt/ci-target. Arguments after `ci` go to dbt, e.g.:

  lakehouse ci                                   # this project folder
  lakehouse ci --project-dir /path/to/checkout   # another working tree (a pull request's)

Exit code 0 when every built node passed (or nothing changed), 1 when one failed or the
schemas could not be dropped, 2 when there is no production build to compare with."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ci",
        help="slim CI: build what changed against production, in throw-away schemas",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "dbt_args", nargs=argparse.REMAINDER, metavar="DBT_ARGS", help="arguments for dbt build"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if problem := foreign_target(args.dbt_args, "ci"):
        print(f"lakehouse ci: {problem}", file=sys.stderr)
        return 2
    state = deferral_state(settings)
    if state is None:
        print(
            "lakehouse ci: no production build to compare with in "
            f"{settings.home / 'state' / 'last-build'}; run `lakehouse run` first",
            file=sys.stderr,
        )
        return 2
    prefix = f"ci_{secrets.token_hex(4)}"
    # profiles.yml's `ci` targets read the prefix from LAKEHOUSE_CI_SCHEMA, which run_dbt exports.
    settings = replace(settings, ci_schema=prefix)
    # The drop runs on the build's project and target.
    same_place: list[str] = []
    if project := option_value(args.dbt_args, "--project-dir"):
        same_place += ["--project-dir", project]
    if target := option_value(args.dbt_args, "--target", "-t"):
        same_place += ["--target", target]
    select = [] if option_value(args.dbt_args, "--select", "-s") else ["--select", SELECTION]
    build_args = [*select, "--defer", "--state", str(state), *args.dbt_args]
    print(f"lakehouse ci: building {SELECTION} into {prefix}_*, compared with {state}", flush=True)
    try:
        outcome = run_dbt("build", build_args, settings, environment="ci")
        if outcome.result.exception is not None:
            print(f"lakehouse ci: dbt failed: {outcome.result.exception}", file=sys.stderr)
    finally:
        # --no-write-json: the build's run_results.json stays the record of the CI run.
        drop = ["drop_environment_schemas", "--no-write-json", *same_place]
        dropped = run_dbt("run-operation", drop, settings, environment="ci")
    if not dropped.success:
        print(
            f"lakehouse ci: the CI schemas {prefix}_* could not be dropped; drop them with "
            f"`LAKEHOUSE_CI_SCHEMA={prefix} dbt run-operation drop_environment_schemas "
            "--target ci`",
            file=sys.stderr,
        )
        return 1
    print(f"lakehouse ci: dropped the schemas {prefix}_*", flush=True)
    return outcome.exit_code
