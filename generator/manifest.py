"""`<landing>/_manifest.json`: what the landing zone holds, file by file, and what Silver must
make of it. Built from the writers' accounting; merged (extended) on ``--append``.

The manifest is deterministic: no timestamps or absolute paths, so the same seed and options give
a byte-identical manifest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.accounting import summarize
from generator.config import ConfigError
from generator.contract import (
    ENTITIES,
    EXPORTED_ENTITIES,
    HEADERS,
    MANIFEST_NAME,
    reject_reasons,
)

GENERATOR_NAME = "lakehouse generate"
GENERATOR_VERSION = "1.0.0"
FORMAT_VERSION = 1


def manifest_path(landing: Path) -> Path:
    return landing / MANIFEST_NAME


def load(landing: Path) -> dict[str, Any]:
    path = manifest_path(landing)
    if not path.is_file():
        raise ConfigError(
            f"--append: {path} does not exist, so there is no landing zone to continue; "
            "run without --append first"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"--append: cannot read {path}: {error}") from None
    if manifest.get("generator", {}).get("name") != GENERATOR_NAME:
        raise ConfigError(f"--append: {path} was not written by `{GENERATOR_NAME}`")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ConfigError(
            f"--append: {path} has format_version {manifest.get('format_version')!r}, this "
            f"generator writes {FORMAT_VERSION}; regenerate the landing zone with --overwrite"
        )
    return manifest


def save(landing: Path, manifest: dict[str, Any]) -> Path:
    path = manifest_path(landing)
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    temporary.replace(path)
    return path


def _entity_order(entry: dict[str, Any]) -> tuple[int, str]:
    return ENTITIES.index(entry["entity"]), entry["path"]


def build(
    previous: dict[str, Any] | None,
    base: dict[str, Any],
    run: dict[str, Any],
    timeline: dict[str, Any],
    new_files: Iterable[dict[str, Any]],
) -> dict[str, Any]:
    """The manifest after a run: the previous one (if any) extended with ``run`` and its files,
    with every entity total recomputed from the file entries."""
    files = [*(previous["files"] if previous else []), *new_files]
    files.sort(key=_entity_order)
    runs = [*(previous["runs"] if previous else []), run]
    entities: dict[str, Any] = {}
    for entity in ENTITIES:
        entries = [entry for entry in files if entry["entity"] == entity]
        summary = summarize(entries)
        if entity == "order_items":
            summary["expected_silver_rows"] = summary["clean"]
        elif entries:
            latest = entries[-1]
            summary["latest_file"] = latest["path"]
            summary["expected_silver_rows"] = latest["clean"]
        if entity in EXPORTED_ENTITIES and entries:
            versions = sum(e["new_keys"] + e["changed_keys"] for e in entries)
            closed = sum(e["changed_keys"] + e["dropped_keys"] for e in entries)
            summary["scd2"] = {
                "exports": len(entries),
                "versions": versions,
                "closed_versions": closed,
                "current_versions": entries[-1]["keys"],
            }
        entities[entity] = summary
    return {
        "format_version": FORMAT_VERSION,
        "generator": {"name": GENERATOR_NAME, "version": GENERATOR_VERSION},
        "base": base,
        "parameters": run,
        "runs": runs,
        "timeline": timeline,
        "headers": {entity: list(HEADERS[entity]) for entity in ENTITIES},
        "reject_reasons": {entity: list(reject_reasons(entity)) for entity in ENTITIES},
        "entities": entities,
        "files": files,
    }
