"""The layout shows the architecture: the application (`lakehouse/`), Bronze ingestion
(`ingestion/`), the sample-data generator (`generator/`) and the Airflow DAG and its parts
(`orchestration/`), with dependencies one way:

    orchestration  →  lakehouse.cli, lakehouse.commands  →  the rest of lakehouse (pipeline,
    summary, dbt runner, thrift, …)  →  ingestion, generator  →  lakehouse's base: settings,
    session and the small modules they use.

Checked on the source with `ast` (no imports run)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PACKAGES = ("lakehouse", "ingestion", "generator", "orchestration")
# What ingestion and the generator may use of the application package.
BASE = {
    "lakehouse.settings",
    "lakehouse.session",
    "lakehouse.errors",
    "lakehouse.state_lock",
    "lakehouse.printable",
    "lakehouse.jars",
    "lakehouse.jvm_archive",
    "lakehouse.s3_connector",
    "lakehouse.writer_lease",
    "lakehouse.thrift.process",
}
CLI = ("lakehouse.cli", "lakehouse.commands")


def is_entry_point(name: str) -> bool:
    """The command line, and `python -m` entry points (``generator.__main__``)."""
    return within(name, CLI) or name.endswith(".__main__")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((PROJECT / package).rglob("*.py")):
            parts = path.relative_to(PROJECT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path) -> set[str]:
    """The project modules ``path`` imports (at any depth of its code)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.split(".")[0] in PACKAGES}


MODULES = modules()


def within(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_dependencies_run_one_way(name: str) -> None:
    used = {target for target in imports(MODULES[name]) if target in MODULES}
    if not within(name, ("orchestration",)):
        assert not {t for t in used if within(t, ("orchestration",))}, f"{name} uses Airflow's DAG"
    if is_entry_point(name) or within(name, ("orchestration",)):
        return
    assert not {t for t in used if within(t, CLI)}, f"{name} calls the command line"
    if within(name, ("ingestion", "generator")) or name in BASE:
        application = {t for t in used if t.startswith("lakehouse") and t not in BASE}
        assert not application, f"{name} depends on the application: {sorted(application)}"
    if name in BASE:
        assert not {t for t in used if within(t, ("ingestion", "generator"))}, name


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = [
        name
        for name, path in MODULES.items()
        if name != "lakehouse.settings" and re.search(r"\bos\.(environ|getenv)\b", path.read_text())
    ]
    assert readers == []


def test_ingestion_holds_the_bronze_ingestion_only() -> None:
    assert sorted(name for name in MODULES if name.startswith("ingestion")) == [
        "ingestion",
        "ingestion.contract",
        "ingestion.hadoop_landing",
        "ingestion.headers",
        "ingestion.landing",
        "ingestion.ledger",
        "ingestion.loader",
        "ingestion.schema",
        "ingestion.transform",
    ]
