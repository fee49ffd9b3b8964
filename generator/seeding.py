"""Deterministic random streams.

Every independent piece of output (one day file, one export, the calendar) draws from its own
``random.Random`` seeded from the run seed and the piece's name, so that pieces can be generated
in any order or in parallel and still be byte-identical for a given seed. String seeds are hashed
with SHA-512 by ``random.Random`` itself, which is stable across processes and Python builds
(unlike ``hash()``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def stream(seed: int, *parts: object) -> random.Random:
    """The random stream named ``parts`` under ``seed``."""
    return random.Random(":".join(str(part) for part in (seed, *parts)))


def weighted_table(values: Sequence[T], weights: Sequence[int]) -> list[T]:
    """``values`` repeated by integer ``weights``: indexing it with ``int(random() * len)`` is a
    weighted choice without a per-draw bisect."""
    return [value for value, weight in zip(values, weights, strict=True) for _ in range(weight)]


def sample_count(rate: float, eligible: int) -> int:
    """How many of ``eligible`` rows a dimension file gets for ``rate``: ``round(rate *
    eligible)``, at least one when the rate is above zero, never more than there are."""
    if rate <= 0 or eligible <= 0:
        return 0
    return min(eligible, max(1, round(rate * eligible)))


def pick(rng: random.Random, rate: float, eligible: Sequence[int]) -> list[int]:
    """Exactly ``sample_count(rate, len(eligible))`` of the ``eligible`` positions, sorted."""
    return sorted(rng.sample(list(eligible), sample_count(rate, len(eligible))))
