"""Per-file accounting: what a file holds, row by row, in the manifest's vocabulary.

Invariant for every file: ``rows = clean + duplicates + quarantined``, where ``rows`` is the
number of physical lines after the header. Anomaly and orphan counts are taken over the clean
rows only (the rows Silver keeps), so they are exactly what Silver sees.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from generator.contract import DUPLICATE_KINDS, MALFORMED_KINDS, reject_reasons
from generator.rates import names_for


@dataclass
class FileStats:
    entity: str
    path: str
    rows: int = 0
    duplicates: Counter[str] = field(default_factory=Counter)
    quarantine: Counter[str] = field(default_factory=Counter)
    malformed: Counter[str] = field(default_factory=Counter)
    anomalies: Counter[str] = field(default_factory=Counter)
    orphans: Counter[str] = field(default_factory=Counter)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def duplicate_total(self) -> int:
        return sum(self.duplicates.values())

    @property
    def quarantined(self) -> int:
        return sum(self.quarantine.values())

    @property
    def clean(self) -> int:
        return self.rows - self.duplicate_total - self.quarantined

    def add_malformed(self, kind: str, count: int = 1) -> None:
        self.malformed[kind] += count
        self.quarantine["malformed_row"] += count

    def to_json(self) -> dict[str, Any]:
        """The manifest's file entry. Every name of the entity's vocabulary is present, zeros
        included, so consumers can rely on the keys."""
        entity = self.entity
        return {
            "entity": entity,
            "path": self.path,
            **self.extra,
            "rows": self.rows,
            "clean": self.clean,
            "duplicates": self.duplicate_total,
            "duplicates_by_kind": _full(self.duplicates, DUPLICATE_KINDS[entity]),
            "quarantined": self.quarantined,
            "quarantine": _full(self.quarantine, reject_reasons(entity)),
            "malformed": _full(self.malformed, MALFORMED_KINDS),
            "anomalies": _full(self.anomalies, names_for(entity, "anomaly")),
            "orphans": _full(self.orphans, names_for(entity, "orphan")),
        }


def _full(counts: Counter[str], names: tuple[str, ...]) -> dict[str, int]:
    unknown = set(counts) - set(names)
    if unknown:
        raise ValueError(f"counts outside the vocabulary: {sorted(unknown)}")
    return {name: int(counts.get(name, 0)) for name in names}


# The summed fields, in the order file entries list them.
SUMMED: tuple[str, ...] = (
    "rows",
    "clean",
    "duplicates",
    "duplicates_by_kind",
    "quarantined",
    "quarantine",
    "malformed",
    "anomalies",
    "orphans",
)


def summarize(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over manifest file entries of one entity."""
    total: dict[str, Any] = {"files": len(entries)}
    for key in SUMMED:
        if entries and isinstance(entries[0][key], dict):
            merged: Counter[str] = Counter()
            for entry in entries:
                merged.update(entry[key])
            total[key] = {name: merged[name] for name in entries[0][key]}
        else:
            total[key] = sum(entry[key] for entry in entries)
    return total
