"""Row formatting and rows that are not valid for the header.

Every line is one physical line: no field ever holds a line break, valid or malformed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

_SPECIAL = frozenset(',"\r\n')


def format_field(value: str) -> str:
    """One field as ``csv.QUOTE_MINIMAL`` writes it (quoted only when it holds a comma or a
    quote; quotes doubled)."""
    if _SPECIAL.isdisjoint(value):
        return value
    return '"' + value.replace('"', '""') + '"'


def format_record(fields: Sequence[str]) -> str:
    """A record as ``csv.writer(quoting=QUOTE_MINIMAL)`` writes it, without the line end."""
    if len(fields) == 1 and fields[0] == "":
        return '""'
    return ",".join(format_field(value) for value in fields)


def malformed_line(kind: str, fields: Sequence[str], rng: random.Random) -> str:
    """A physical line, built from a valid record's ``fields``, that is invalid for a header of
    ``len(fields)`` columns in the way ``kind`` names."""
    values = [value.replace("\r", " ").replace("\n", " ") for value in fields]
    if kind == "too_many_fields":
        extra = rng.choice(("EXTRA", "", values[-1], "1"))
        position = rng.randint(1, len(values))
        values.insert(position, extra)
        if rng.random() < 0.3:
            values.append("")
        return format_record(values)
    if kind == "too_few_fields":
        drop = rng.randint(1, max(1, min(3, len(values) - 1)))
        kept = values[: len(values) - drop]
        line = format_record(kept)
        return line if line else '""'
    if kind == "broken_quoting":
        # An opening quote that never closes, on a field before the last: a strict reader
        # fails, and a lenient one (Spark's) runs the quoted field to the end of the line and
        # sees fewer fields than the header. The later fields are kept plain (no quote or
        # comma) so that every reader agrees the line has too few fields. A standard CSV reader
        # in multi-line mode would read on into the next lines: read one line per record.
        index = rng.randrange(len(values) - 1) if len(values) > 1 else 0
        head = [format_field(value) for value in values[:index]]
        broken = '"' + values[index].replace('"', "")
        tail = [value.replace('"', "").replace(",", " ") for value in values[index + 1 :]]
        return ",".join([*head, broken, *tail])
    raise ValueError(f"unknown malformed kind {kind!r}")
