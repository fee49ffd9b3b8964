"""What `lakehouse run` must rebuild: only what changed since its last successful build.

After a successful whole-project build, `lakehouse run` keeps two things in
``$LAKEHOUSE_HOME/state/last-build/``: the Delta version of every Bronze table the build read
(taken before it started) and dbt's ``manifest.json``. The next run then builds

- ``source:bronze.<entity>+`` for every Bronze table whose Delta version has moved since (new
  files ingested, by this run or by a `lakehouse ingest` in between), and
- ``state:modified+``: every model, seed, test or macro-dependent node whose code or config
  differs from the saved manifest (dbt's own state comparison),

each with everything downstream and their tests. Everything else was built, and passed its
tests, from the same Bronze versions and the same code. A run with no saved state, a run after
a failed build (the state is only saved on success), or a warehouse missing one of the saved
build's tables builds everything; so does ``lakehouse run --all``, which is also the way to
apply what dbt's state comparison cannot see (a changed var or environment variable read
inside a model's SQL).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from ingestion.contract import ENTITIES
from lakehouse.settings import Settings

VERSIONS_FILE = "bronze_versions.json"
MANIFEST_FILE = "manifest.json"
BUILT_MATERIALIZATIONS = {"table", "incremental", "seed", "snapshot"}


@dataclass(frozen=True)
class LastBuild:
    """What the last successful whole-project build read and was made of."""

    bronze_versions: Mapping[str, int]
    state_dir: Path  # holds the build's manifest.json, for dbt's --state

    def relations(self) -> set[str]:
        """``schema.table`` of every table the saved build materialised."""
        manifest = json.loads((self.state_dir / MANIFEST_FILE).read_text())
        return {
            f"{node['schema']}.{node['alias']}".lower()
            for node in manifest["nodes"].values()
            if node["config"].get("materialized") in BUILT_MATERIALIZATIONS
        }


@dataclass(frozen=True)
class BuildPlan:
    """The dbt arguments of this run's build, and why."""

    dbt_args: list[str]
    reason: str

    @property
    def everything(self) -> bool:
        return not self.dbt_args

    def without_unit_tests(self) -> BuildPlan:
        """Unit tests check code against fixed inputs, not data: with no code changed since
        the last build, which ran them, they cannot fail now."""
        return BuildPlan(
            [*self.dbt_args, "--exclude", "test_type:unit"],
            f"{self.reason} (no code changed: unit tests skipped)",
        )


def state_dir(settings: Settings) -> Path:
    return settings.home / "state" / "last-build"


def dbt_target_dir(settings: Settings) -> Path:
    """Where dbt writes the artifacts of ``lakehouse`` builds (``run_dbt`` passes it to dbt)."""
    return settings.dbt_target_dir


def bronze_versions(spark: SparkSession, settings: Settings) -> dict[str, int]:
    """The current Delta version of every Bronze table (read from each table's log)."""
    versions = {}
    for entity in ENTITIES:
        history = DeltaTable.forPath(spark, settings.bronze_table_path(entity)).history(1)
        versions[entity] = int(history.select("version").first()[0])
    return versions


def load_last_build(settings: Settings) -> LastBuild | None:
    folder = state_dir(settings)
    versions_file, manifest = folder / VERSIONS_FILE, folder / MANIFEST_FILE
    if not (versions_file.is_file() and manifest.is_file()):
        return None
    try:
        versions = {
            str(key): int(value) for key, value in json.loads(versions_file.read_text()).items()
        }
    except (ValueError, AttributeError):
        return None  # unreadable state: build everything, and save a good one afterwards
    return LastBuild(versions, folder)


def save_last_build(settings: Settings, versions: Mapping[str, int]) -> None:
    """Keep the versions this build read and the manifest it was built from."""
    folder = state_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    # Manifest first, versions last: a half-written state has no versions file and is ignored.
    (folder / VERSIONS_FILE).unlink(missing_ok=True)
    shutil.copyfile(dbt_target_dir(settings) / MANIFEST_FILE, folder / MANIFEST_FILE)
    temporary = folder / (VERSIONS_FILE + ".tmp")
    temporary.write_text(json.dumps(dict(sorted(versions.items())), indent=2) + "\n")
    temporary.replace(folder / VERSIONS_FILE)


def plan_build(
    current: Mapping[str, int], last: LastBuild | None, existing: Iterable[str]
) -> BuildPlan:
    """The selection for this run (pure: versions and relation names in, dbt arguments out).

    ``existing`` is every ``schema.table`` in the warehouse now.
    """
    if last is None:
        return BuildPlan([], "no earlier successful build: building everything")
    missing = sorted(last.relations() - {name.lower() for name in existing})
    if missing:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        return BuildPlan([], f"the warehouse lacks {shown}: building everything")
    changed = sorted(
        entity for entity in current if last.bronze_versions.get(entity) != current[entity]
    )
    selectors = [f"source:bronze.{entity}+" for entity in changed] + ["state:modified+"]
    if changed:
        reason = f"new Bronze data in {', '.join(changed)}; building it, what depends on it and changed code"
    else:
        reason = "no new Bronze data since the last build; building changed code only"
    return BuildPlan(["--select", " ".join(selectors), "--state", str(last.state_dir)], reason)
