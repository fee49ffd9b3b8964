"""Helpers for the Bronze tests: generate a landing zone, read it back independently."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from lakehouse import cli


def generate(landing: Path, *args: str) -> dict[str, Any]:
    code = cli.main(["generate", "--landing", str(landing), "--quiet", *args])
    assert code == 0
    return json.loads((landing / "_manifest.json").read_text())


def expected_rows(path: Path, columns: int) -> list[tuple[list[str | None] | None, str | None]]:
    """Parse a landed file line by line, independently of Spark: per data line, either its
    fields (empty → None, as Bronze stores them) or, for a line that is not a valid record
    of ``columns`` fields, its raw text."""
    rows: list[tuple[list[str | None] | None, str | None]] = []
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")[1:]
    for line in lines:
        text = line.rstrip("\r")
        if not text.strip():
            continue
        fields = next(csv.reader([text], strict=True), []) if _well_quoted(text) else None
        if fields is None or len(fields) != columns:
            rows.append((None, text))
        else:
            rows.append(([value if value != "" else None for value in fields], None))
    return rows


def _well_quoted(line: str) -> bool:
    try:
        next(csv.reader([line], strict=True))
    except csv.Error:
        return False
    # An opening quote that never closes swallows the rest of the line in csv.reader.
    return line.count('"') % 2 == 0
