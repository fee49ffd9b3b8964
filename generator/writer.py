"""Files appear atomically: written under a temporary name the landing discovery ignores
(``*.csv.part``), renamed when complete."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from generator.contract import HEADERS

PART_SUFFIX = ".part"


def temporary(final: Path) -> Path:
    return final.with_name(final.name + PART_SUFFIX)


def target(landing: Path, relative: PurePosixPath) -> Path:
    """The final location of a landing-relative path, its folder created."""
    final = landing.joinpath(*relative.parts)
    final.parent.mkdir(parents=True, exist_ok=True)
    return final


def write_lines(landing: Path, relative: PurePosixPath, entity: str, lines: Iterable[str]) -> int:
    """Write the header and ``lines`` (without line ends) to ``relative``; return the data rows."""
    final = target(landing, relative)
    part = temporary(final)
    rows = 0
    with part.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADERS[entity]) + "\n")
        for line in lines:
            handle.write(line + "\n")
            rows += 1
    part.replace(final)
    return rows


def append_lines(path: Path, lines: Iterable[str]) -> int:
    """Append complete lines (with their line ends) to a file; return how many."""
    count = 0
    with path.open("a", encoding="utf-8", newline="") as handle:
        for line in lines:
            handle.write(line)
            count += 1
    return count


def publish(part: Path) -> Path:
    final = part.with_name(part.name[: -len(PART_SUFFIX)])
    part.replace(final)
    return final
