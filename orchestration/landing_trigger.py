"""An Airflow event trigger that fires when complete files land in a local landing zone.

It is an asset watcher's trigger (event-driven scheduling): the triggerer runs it in its event
loop, as it runs a deferred sensor, so waiting costs no worker slot. Every ``poll_seconds`` it
lists the landing zone with the ingestion's own listing (the same names, entities and
settling rule as `lakehouse ingest`) and fires when a complete file is there that was not at
its last event: a new file, or a file replaced since. The DAG run it starts ingests whatever is
new; what was ingested before is never read again (the ingestion log decides, not this
trigger).

It remembers what it fired for in memory only, so a triggerer that restarts fires once more for
the files already there: one run that finds nothing new and skips its build.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from ingestion.contract import ENTITIES
from ingestion.landing import Listing, LocalLanding, landing_listing, settled_part

# How many file names an event carries (for the log), not how many it counts.
NAMED_IN_EVENT = 5


def settled_listing(landing: str, settle_seconds: float) -> Listing:
    """The complete files of the landing zone now (a blocking call: run it in a thread)."""
    listing = landing_listing(LocalLanding(Path(landing)), ENTITIES)
    return settled_part(listing, settle_seconds, time.time())


def arrivals_event(landing: str, arrived: Listing) -> TriggerEvent:
    names = sorted(Path(location).name for location, _size, _modified in arrived)
    return TriggerEvent(
        {"landing": landing, "files": len(names), "first_files": names[:NAMED_IN_EVENT]}
    )


class LandedFilesTrigger(BaseEventTrigger):
    """Fires when complete files land in ``landing`` (a local folder)."""

    def __init__(self, landing: str, settle_seconds: float, poll_seconds: float = 60.0) -> None:
        super().__init__()
        self.landing = landing
        self.settle_seconds = settle_seconds
        self.poll_seconds = poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "landing": self.landing,
                "settle_seconds": self.settle_seconds,
                "poll_seconds": self.poll_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        fired_for: Listing = frozenset()
        while True:
            listing = await asyncio.to_thread(settled_listing, self.landing, self.settle_seconds)
            arrived = listing - fired_for
            if arrived:
                self.log.info("%d complete file(s) landed in %s", len(arrived), self.landing)
                yield arrivals_event(self.landing, arrived)
                fired_for = listing
            await asyncio.sleep(self.poll_seconds)
