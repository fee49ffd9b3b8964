"""What `lakehouse run` must rebuild: only what changed since its last successful build.

dbt makes the selection. Before each build, `lakehouse run` calls `dbt source freshness`, which
writes the newest load time of every Bronze table (``_ingested_at``; ``finished_at`` for the
ingestion log) to ``sources.json``. After a successful build it keeps that ``sources.json`` and
the build's ``manifest.json`` in ``$LAKEHOUSE_HOME/state/last-build/``. The next run builds

    dbt build --select "source_status:fresher+ state:modified+" --state <last-build>

that is, every Bronze table loaded since (by this run's ingest or a `lakehouse ingest` in
between) and every node whose code or config differs from the saved manifest, each with
everything downstream and their tests. Everything else was built, and passed its tests, from the
same data and the same code.

Two decisions stay here, because dbt's state comparison does not cover them:

- **a table dbt cannot see is missing**: state selection compares code and sources, not the
  warehouse. When a table the last build made is gone (DROP TABLE, a lost folder), everything
  is built;
- **a Bronze table without a load time**: ``max(_ingested_at)`` of an empty table is null, which
  dbt reports as a freshness runtime error and never selects as fresher. Such a table is
  selected explicitly (``source:bronze.<table>+``), so its first rows are never missed;

Unit tests are never part of these builds (``PRODUCTION_EXCLUDES``): they check code against
fixed inputs, not data, so they run where code changes (``lakehouse ci``, ``lakehouse dev``, the
test suite), as dbt recommends, not on every load.

A run with no saved state, a run after a failed build (the state is only saved on success) or
``lakehouse run --all`` builds everything; ``--all`` is also the way to apply what dbt's state
comparison cannot see (a changed var or environment variable read inside a model's SQL).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lakehouse.settings import Settings

MANIFEST_FILE = "manifest.json"
SOURCES_FILE = "sources.json"  # `dbt source freshness` results
BUILT_MATERIALIZATIONS = {"table", "incremental", "seed", "snapshot"}
SELECTION = "source_status:fresher+ state:modified+"
# The nodes that make a run's selection non-empty, listed (without their children) to say why.
CHANGES = "source_status:fresher state:modified"
# Left out of every production build: unit tests test code, and code is tested before it ships.
PRODUCTION_EXCLUDES = ["--exclude-resource-type", "unit_test"]


@dataclass(frozen=True)
class LastBuild:
    """The folder holding the last successful build's manifest and source freshness."""

    state_dir: Path

    def relations(self) -> set[str]:
        """``schema.table`` of every table the saved build materialised."""
        manifest = json.loads((self.state_dir / MANIFEST_FILE).read_text())
        return {
            f"{node['schema']}.{node['alias']}".lower()
            for node in manifest["nodes"].values()
            if node["config"].get("materialized") in BUILT_MATERIALIZATIONS
        }


@dataclass(frozen=True)
class Changes:
    """What dbt lists for ``CHANGES`` against the last build, split by kind."""

    sources: list[str]  # `bronze.<table>`: loaded since (or its definition changed)
    nodes: list[str]  # models, seeds, tests, snapshots whose code or config changed

    @classmethod
    def of_listed(cls, unique_ids: Iterable[str]) -> Changes:
        """From the unique ids `dbt ls` prints (``source.<project>.<source>.<table>``, …)."""
        sources, nodes = [], []
        for unique_id in sorted(unique_ids):
            kind, _project, name = unique_id.split(".", 2)
            (sources if kind == "source" else nodes).append(name)
        return cls(sources, nodes)


@dataclass(frozen=True)
class BuildPlan:
    """The dbt arguments of this run's build, and why."""

    dbt_args: list[str]
    reason: str
    # dbt listed no fresher source and no changed node: the selection is empty.
    nothing_to_build: bool = False

    @property
    def everything(self) -> bool:
        return not self.dbt_args


def state_dir(settings: Settings) -> Path:
    return settings.home / "state" / "last-build"


def load_last_build(settings: Settings) -> LastBuild | None:
    folder = state_dir(settings)
    if (folder / MANIFEST_FILE).is_file() and (folder / SOURCES_FILE).is_file():
        return LastBuild(folder)
    return None


def deferral_state(settings: Settings) -> Path | None:
    """The folder whose manifest a dev or CI build defers to (`--defer --state`): the last
    successful production build's, or None before the first."""
    folder = state_dir(settings)
    return folder if (folder / MANIFEST_FILE).is_file() else None


def save_last_build(settings: Settings) -> None:
    """Keep this build's manifest and the source freshness it was planned from (both in the
    dbt target folder of `lakehouse` builds)."""
    folder = state_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    # Manifest first, freshness last: a half-written state has no sources.json and is ignored.
    (folder / SOURCES_FILE).unlink(missing_ok=True)
    shutil.copyfile(settings.dbt_target_dir / MANIFEST_FILE, folder / MANIFEST_FILE)
    temporary = folder / (SOURCES_FILE + ".tmp")
    shutil.copyfile(settings.dbt_target_dir / SOURCES_FILE, temporary)
    temporary.replace(folder / SOURCES_FILE)


def unreadable_sources(sources_json: Path) -> list[str]:
    """``bronze.<table>`` of every source whose freshness dbt could not read (runtime error:
    an empty table has no load time)."""
    results = json.loads(sources_json.read_text()).get("results", [])
    return sorted(
        result["unique_id"].split(".", 2)[2]
        for result in results
        if result.get("status") == "runtime error"
    )


def plan_build(
    last: LastBuild | None,
    existing: Iterable[str],
    unreadable: Sequence[str],
    changes: Changes | None,
) -> BuildPlan:
    """The selection for this run (pure: state and names in, dbt arguments out).

    ``existing`` is every ``schema.table`` in the warehouse now; ``unreadable`` the sources
    without a load time; ``changes`` what dbt lists as changed (None when it could not say).
    """
    if last is None:
        return BuildPlan([], "no earlier successful build: building everything")
    missing = sorted(last.relations() - {name.lower() for name in existing})
    if missing:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        return BuildPlan([], f"the warehouse lacks {shown}: building everything")
    selection = " ".join([SELECTION, *(f"source:{name}+" for name in unreadable)])
    args = ["--select", selection, "--state", str(last.state_dir)]
    if changes is None:
        return BuildPlan(args, "building what dbt finds fresher or modified since the last build")
    new = sorted({*changes.sources, *unreadable})
    said = [f"new Bronze data in {', '.join(new)}" if new else "no new Bronze data"]
    if changes.nodes:
        shown = ", ".join(changes.nodes[:3]) + (" …" if len(changes.nodes) > 3 else "")
        said.append(f"changed code in {shown}")
        return BuildPlan(args, f"{'; '.join(said)}: building them and what depends on them")
    said.append("no code changed")
    action = "building it and what depends on it" if new else "nothing to build"
    return BuildPlan(args, f"{'; '.join(said)}: {action}", nothing_to_build=not new)
