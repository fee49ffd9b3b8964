"""One writing Spark driver at a time on tables in S3: a lease object beside the tables.

Open-source Delta on S3 is safe for one writing driver at a time: its S3 log store keeps two
commits of one table version apart only inside one JVM, so two drivers committing at once
can lose a commit. The state folder's lock (``state_lock``) stops a second command on this
machine; tables on S3 can be reached from many machines, each with a state folder of its own.

So a process that opens its Spark session on ``s3a://`` tables first takes a lease on each
table root (Bronze, the warehouse): the object ``_lakehouse_writer.json`` there, created only if
absent (S3's conditional write, ``If-None-Match``), naming its holder (host, pid, command,
since) and renewed every ``RENEW_SECONDS`` by a background thread. It is deleted when the
process ends. A lease is stale, and taken over by a conditional overwrite of exactly the stale
version (``If-Match`` on its ETag, so two processes cannot both take it), when its holder ran
on this host and its process is gone (a SIGKILL), or when it was not renewed for
``EXPIRE_SECONDS`` (a holder on another machine that died).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass

from py4j.protocol import Py4JJavaError
from pyspark.sql import SparkSession

from lakehouse.state_lock import EXIT_BUSY, StateBusyError

LEASE_FILE = "_lakehouse_writer.json"
RENEW_SECONDS = 30.0
EXPIRE_SECONDS = 120.0
_CREATE_IF_ABSENT = "fs.option.create.conditional.overwrite"
_OVERWRITE_IF_ETAG = "fs.option.create.conditional.overwrite.etag"
# How a conditional write that found the object changed comes back through S3A: 412 when the
# condition failed, 409 when another conditional write of the key was in flight (retry).
_CONDITION_FAILED = (
    "PreconditionFailed",
    "Precondition Failed",
    "Status Code: 412",
    "RemoteFileChangedException",
    "FileAlreadyExistsException",
    "ConditionalRequestConflict",
    "Status Code: 409",
)


@dataclass(frozen=True)
class LeaseHolder:
    host: str
    pid: int
    command: str
    since: str  # ISO 8601, UTC
    renewed_at: str  # ISO 8601, UTC
    token: str  # tells this holder's lease from a later one of the same pid

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, `{self.command}`, since {self.since}"

    def renewed(self, now: dt.datetime) -> LeaseHolder:
        return LeaseHolder(**{**asdict(self), "renewed_at": now.isoformat(timespec="seconds")})


class LeaseHeldError(StateBusyError):
    """Another driver holds the lease on these tables."""

    def __init__(self, root: str, holder: LeaseHolder | None) -> None:
        who = holder.describe() if holder else "a holder whose lease could not be read"
        RuntimeError.__init__(
            self,
            f"the tables in {root} are being written by another lakehouse driver ({who}); "
            "Delta on S3 allows one writing driver at a time: wait for it to finish. A lease "
            f"left by a process that died is taken over once its holder is gone (same host) "
            f"or {EXPIRE_SECONDS:.0f} s after its last renewal",
        )
        self.holder = holder


_FIELDS = tuple(LeaseHolder.__dataclass_fields__)


def parse_holder(raw: bytes) -> LeaseHolder | None:
    """A stored lease, or None when it cannot be read. Fields a later version may add are
    ignored, not taken for a garbled (and so stale) lease."""
    try:
        stored = json.loads(raw)
        return LeaseHolder(**{name: stored[name] for name in _FIELDS})
    except (ValueError, TypeError, KeyError):
        return None


def is_stale(
    holder: LeaseHolder | None,
    now: dt.datetime,
    host: str,
    alive: Callable[[int], bool],
) -> bool:
    """Whether a lease may be taken over: unreadable, its holder's process gone (same host),
    or not renewed for ``EXPIRE_SECONDS``."""
    if holder is None:
        return True
    if holder.host == host and not alive(holder.pid):
        return True
    try:
        renewed = dt.datetime.fromisoformat(holder.renewed_at)
    except ValueError:
        return True
    return (now - renewed).total_seconds() > EXPIRE_SECONDS


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ConditionFailed(Exception):
    """A conditional write found the object not as expected (someone else wrote it)."""


class WriterLease:
    """The lease on one table root, through the session's Hadoop client."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        jvm = spark._jvm
        assert jvm is not None
        self.root = root.rstrip("/")
        self._path = jvm.org.apache.hadoop.fs.Path(f"{self.root}/{LEASE_FILE}")
        self._fs = self._path.getFileSystem(spark._jsc.hadoopConfiguration())  # type: ignore[union-attr]
        self.holder: LeaseHolder | None = None

    def read(self) -> tuple[LeaseHolder | None, str] | None:
        """The lease as stored (None for unreadable content) and its ETag; None when absent."""
        try:
            etag = str(self._fs.getFileStatus(self._path).getEtag())
            stream = self._fs.open(self._path)
            try:
                raw = bytes(stream.readNBytes(64 * 1024))
            finally:
                stream.close()
        except Py4JJavaError as error:
            if "FileNotFoundException" in str(error.java_exception):
                return None
            raise
        return parse_holder(raw), etag

    def _write(self, holder: LeaseHolder, etag: str | None) -> None:
        """Create the lease if absent (``etag`` None) or replace exactly version ``etag``."""
        builder = self._fs.createFile(self._path).overwrite(etag is not None)
        builder = (
            builder.must(_CREATE_IF_ABSENT, True)
            if etag is None
            else builder.must(_OVERWRITE_IF_ETAG, etag)
        )
        try:
            stream = builder.build()
            stream.write(bytearray(json.dumps(asdict(holder)).encode()))
            stream.close()  # S3A uploads on close: the condition is checked here
        except Py4JJavaError as error:
            text = str(error.java_exception)
            if any(sign in text for sign in _CONDITION_FAILED):
                raise ConditionFailed(text) from None
            raise

    def acquire(self, command: str, say: Callable[[str], None]) -> LeaseHolder:
        now = _now()
        mine = LeaseHolder(
            host=socket.gethostname(),
            pid=os.getpid(),
            command=command[:200],
            since=now.isoformat(timespec="seconds"),
            renewed_at=now.isoformat(timespec="seconds"),
            token=uuid.uuid4().hex,
        )
        for _attempt in range(3):
            found = self.read()
            try:
                if found is None:
                    self._write(mine, None)
                else:
                    holder, etag = found
                    if not is_stale(holder, _now(), mine.host, pid_alive):
                        raise LeaseHeldError(self.root, holder)
                    left = holder.describe() if holder else "unreadable"
                    say(f"lakehouse: taking over the writer lease on {self.root} ({left}: gone)")
                    self._write(mine, etag)
            except ConditionFailed:
                # Another process wrote it between our read and write, or the store answered a
                # retry of our own successful write: look again.
                if self._holds(mine):
                    break
                continue
            break
        else:
            found = self.read()
            raise LeaseHeldError(self.root, found[0] if found else None)
        self.holder = mine
        return mine

    def renew(self) -> bool:
        """Renew our lease; False when it is no longer ours (taken over as stale)."""
        if self.holder is None:
            return False
        found = self.read()
        if found is None or found[0] is None or found[0].token != self.holder.token:
            return False
        renewed = self.holder.renewed(_now())
        try:
            self._write(renewed, found[1])
        except ConditionFailed:
            if not self._holds(renewed):  # not a retry of our own write that got through
                return False
        self.holder = renewed
        return True

    def _holds(self, holder: LeaseHolder) -> bool:
        """Whether the stored lease is exactly ``holder`` (same token and renewal)."""
        found = self.read()
        return found is not None and found[0] == holder

    def release(self) -> None:
        if self.holder is None:
            return
        found = self.read()
        mine, self.holder = self.holder, None
        if found is not None and found[0] is not None and found[0].token == mine.token:
            self._fs.delete(self._path, False)


def lease_roots(locations: list[str]) -> list[str]:
    """The ``s3a://`` table roots that need a lease, once each, in a fixed order."""
    return sorted({location.rstrip("/") for location in locations if location.startswith("s3a://")})


def hold_writer_leases(
    spark: SparkSession, locations: list[str], command: str, say: Callable[[str], None]
) -> list[WriterLease]:
    """Take the lease on every S3 table root for the rest of this process: renewed in the
    background, released at exit. Raises ``LeaseHeldError`` when another driver holds one."""
    leases: list[WriterLease] = []
    try:
        for root in lease_roots(locations):
            lease = WriterLease(spark, root)
            lease.acquire(command, say)
            leases.append(lease)
    except BaseException:
        for lease in leases:
            lease.release()
        raise
    if leases:
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(RENEW_SECONDS):
                for lease in leases:
                    if lease.holder is None:
                        continue
                    try:
                        kept = lease.renew()
                    except Exception as error:  # a passing network fault: try again next time
                        say(f"lakehouse: could not renew the writer lease on {lease.root}: {error}")
                        continue
                    if not kept:
                        # Another driver took the lease over (this one looked dead to it): stop
                        # at once rather than commit beside it. Delta's commits are atomic, so
                        # stopping anywhere is safe; the next run finishes the work.
                        say(
                            f"lakehouse: the writer lease on {lease.root} was taken over by "
                            "another driver (this process did not renew it for "
                            f"{EXPIRE_SECONDS:.0f} s); stopping so as not to write beside it"
                        )
                        os._exit(EXIT_BUSY)

        def release() -> None:
            stop.set()
            for lease in leases:
                # The JVM may be gone at exit: the lease then expires, or is taken over.
                with contextlib.suppress(Exception):
                    lease.release()

        threading.Thread(target=renew, name="lakehouse-writer-lease", daemon=True).start()
        atexit.register(release)
    return leases
