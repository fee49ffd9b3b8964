"""Match a file's header row to the landing contract (pure functions, no Spark)."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from ingestion.contract import HEADERS

BOM = "\ufeff"


@dataclass(frozen=True)
class HeaderMatch:
    """How one file's columns map onto its entity's contract.

    ``columns`` are the file's header names in file order (normalised); ``contract`` the
    entity's columns; ``missing`` contract columns the file lacks; ``extra`` file columns the
    contract does not know (kept in the rescue column). ``error`` is set when the header
    cannot be matched at all, and the file is then quarantined whole.
    """

    columns: tuple[str, ...]
    contract: tuple[str, ...]
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    error: str | None = None

    @property
    def usable(self) -> bool:
        return self.error is None


def normalise(name: str) -> str:
    """Header names are matched case-insensitively, ignoring surrounding spaces and a BOM."""
    return name.replace(BOM, "").strip().lower()


def parse_header_line(line: str) -> list[str]:
    """The fields of a header line, parsed as CSV (quoted names allowed)."""
    rows = list(csv.reader([line.rstrip("\r\n")]))
    return rows[0] if rows else []


def match_header(entity: str, header_fields: list[str]) -> HeaderMatch:
    contract = HEADERS[entity]
    columns = tuple(normalise(field) for field in header_fields)
    if not columns or all(column == "" for column in columns):
        return HeaderMatch(columns, contract, error="the header row is empty")
    blanks = [index + 1 for index, column in enumerate(columns) if column == ""]
    if blanks:
        return HeaderMatch(
            columns,
            contract,
            error=f"header column(s) {blanks} have no name: {list(header_fields)}",
        )
    duplicates = sorted({column for column in columns if columns.count(column) > 1})
    if duplicates:
        return HeaderMatch(columns, contract, error=f"header repeats column(s) {duplicates}")
    known = [column for column in columns if column in contract]
    if not known:
        return HeaderMatch(
            columns,
            contract,
            error=(
                f"header {list(header_fields)} matches none of the {entity} contract columns "
                f"{list(contract)}"
            ),
        )
    return HeaderMatch(
        columns=columns,
        contract=contract,
        missing=tuple(column for column in contract if column not in columns),
        extra=tuple(column for column in columns if column not in contract),
    )
