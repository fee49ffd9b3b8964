"""Turn a dbt build's results into what a person needs: counts by outcome and, for every
failing gate, which test it was and where its failing rows are stored."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FAILED = {"error", "fail", "runtime error"}
# Nodes that write a table (views, ephemeral models and tests do not).
TABLE_MATERIALIZATIONS = {"table", "incremental", "seed", "snapshot"}


@dataclass(frozen=True)
class FailedNode:
    name: str
    resource_type: str
    status: str
    message: str
    failures_relation: str | None


@dataclass
class BuildReport:
    counts: Counter[str] = field(default_factory=Counter)
    failed: list[FailedNode] = field(default_factory=list)
    warned: list[FailedNode] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # `schema.table` the build wrote

    @property
    def success(self) -> bool:
        return not self.failed


def _node_outcome(item: Any) -> FailedNode:
    node = item.node
    relation = getattr(node, "relation_name", None)
    config = getattr(node, "config", None)
    stores = bool(getattr(config, "store_failures", False))
    is_test = node.resource_type == "test"
    return FailedNode(
        name=node.name,
        resource_type=str(node.resource_type),
        status=str(item.status),
        message=(item.message or "").strip().splitlines()[0] if item.message else "",
        failures_relation=relation if is_test and stores else None,
    )


def build_report(results: Any) -> BuildReport:
    """``results`` is dbt's RunExecutionResult (``dbtRunnerResult.result``, what dbt also
    writes to ``run_results.json``) or None."""
    report = BuildReport()
    for item in getattr(results, "results", None) or []:
        status = str(item.status)
        report.counts[status] += 1
        node = item.node
        config = getattr(node, "config", None)
        if status == "success" and getattr(config, "materialized", None) in TABLE_MATERIALIZATIONS:
            report.written.append(f"{node.schema}.{node.alias}")
        if status in FAILED:
            report.failed.append(_node_outcome(item))
        elif status == "warn":
            report.warned.append(_node_outcome(item))
    return report


def describe(report: BuildReport) -> list[str]:
    summary = ", ".join(f"{count} {status}" for status, count in sorted(report.counts.items()))
    lines = [f"dbt build: {summary or 'nothing ran'}"]
    for node in report.warned:
        where = (
            f"; failing rows: select * from {node.failures_relation}"
            if node.failures_relation
            else ""
        )
        lines.append(f"  WARN  {node.name}: {node.message}{where}")
    for node in report.failed:
        where = (
            f"; failing rows: select * from {node.failures_relation}"
            if node.failures_relation
            else ""
        )
        lines.append(
            f"  {node.status.upper()}  {node.resource_type} {node.name}: {node.message}{where}"
        )
    return lines
