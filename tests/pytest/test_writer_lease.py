"""When a writer lease on S3 tables may be taken over, and which roots need one (no Spark: the
lease itself is exercised against a real S3 server in test_object_storage)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from lakehouse.writer_lease import (
    EXPIRE_SECONDS,
    LeaseHeldError,
    LeaseHolder,
    is_stale,
    lease_roots,
    parse_holder,
)

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.timezone.utc)


def holder(host: str = "here", pid: int = 42, renewed_seconds_ago: float = 5) -> LeaseHolder:
    renewed = (NOW - dt.timedelta(seconds=renewed_seconds_ago)).isoformat()
    return LeaseHolder(host, pid, "lakehouse run", renewed, renewed, "token")


@pytest.mark.parametrize(
    ("lease", "alive", "stale"),
    [
        (holder(), True, False),  # a live holder on this host
        (holder(), False, True),  # its process is gone: a SIGKILL
        (holder(host="elsewhere"), False, False),  # another host's pid says nothing here
        (holder(host="elsewhere", renewed_seconds_ago=EXPIRE_SECONDS - 1), True, False),
        (holder(host="elsewhere", renewed_seconds_ago=EXPIRE_SECONDS + 1), True, True),
        (holder(renewed_seconds_ago=EXPIRE_SECONDS + 1), True, True),  # a hung holder
        (None, True, True),  # unreadable content
    ],
)
def test_a_lease_is_stale_when_its_holder_is_gone_or_stopped_renewing(
    lease: LeaseHolder | None, alive: bool, stale: bool
) -> None:
    assert is_stale(lease, NOW, "here", lambda _pid: alive) is stale


def test_a_garbled_renewal_time_is_stale() -> None:
    garbled = LeaseHolder("elsewhere", 1, "x", "then", "not a time", "t")
    assert is_stale(garbled, NOW, "here", lambda _pid: True)


def test_only_s3_table_roots_take_a_lease_once_each() -> None:
    roots = lease_roots(["s3a://lake/bronze/", "/local/warehouse", "s3a://lake/bronze"])
    assert roots == ["s3a://lake/bronze"]
    assert lease_roots(["s3a://b/wh", "s3a://a/bronze"]) == ["s3a://a/bronze", "s3a://b/wh"]


def test_the_refusal_names_the_holder_and_what_to_do() -> None:
    message = str(LeaseHeldError("s3a://lake/bronze", holder(host="etl-7", pid=4242)))
    assert "pid 4242 on etl-7" in message and "`lakehouse run`" in message
    assert "one writing driver at a time" in message and "wait for it to finish" in message


def test_a_stored_lease_is_read_whatever_fields_a_later_version_adds() -> None:
    stored = {**holder().__dict__, "pid": 7, "lease_format": 2}
    assert parse_holder(json.dumps(stored).encode()) == LeaseHolder(
        **{**holder().__dict__, "pid": 7}
    )
    assert parse_holder(b"{not json") is None
    assert parse_holder(json.dumps({"pid": 7}).encode()) is None
