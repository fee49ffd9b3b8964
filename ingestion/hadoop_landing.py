"""A landing zone on a Hadoop file system (``s3a://bucket/prefix``), read through the Spark
session's own Hadoop client: the same connector, endpoint and credential chain as the tables.

Listing is one recursive, flat listing per entity (on S3 a paged LIST of the prefix, not a walk
of pseudo-folders); a file's identity in the ingestion log is its full URI. An S3 object cannot
be seen before its upload completes, so no settling wait is needed there; other Hadoop file
systems (HDFS) show files while they are written and get the local rule.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from py4j.protocol import Py4JJavaError
from pyspark.sql import SparkSession

from ingestion.landing import (
    EPOCH,
    MAX_HEADER_BYTES,
    LandedFile,
    LandingZone,
    LocalLanding,
    is_landed_name,
)
from lakehouse.settings import is_s3

# The first read of a file's header: enough for any real header, small beside a data file.
_FIRST_READ = 64 * 1024


class HadoopLanding:
    def __init__(self, spark: SparkSession, location: str) -> None:
        jvm = spark._jvm
        assert jvm is not None
        self._jvm = jvm
        self._conf = spark._jsc.hadoopConfiguration()  # type: ignore[union-attr]
        root = jvm.org.apache.hadoop.fs.Path(location.rstrip("/"))
        self._fs = root.getFileSystem(self._conf)
        self._root = self._fs.makeQualified(root)
        self.location = self._root.toString()
        self.visible_while_written = not is_s3(location)

    def _path(self, location: str) -> object:
        return self._jvm.org.apache.hadoop.fs.Path(location)

    def exists(self) -> bool:
        return bool(self._fs.exists(self._root))

    def has_landed_files(self) -> bool:
        if not self.exists():
            return False
        listing = self._fs.listFiles(self._root, True)
        while listing.hasNext():
            if listing.next().getPath().getName().endswith(".csv"):
                return True
        return False

    def list_files(self, entity: str) -> list[LandedFile]:
        """``<landing>/<entity>/**/*.csv`` in path order, by the naming rules of the local
        zone (no hidden or ``_``-prefixed names or folders)."""
        folder = self._path(f"{self.location}/{entity}")
        if not self._fs.exists(folder):
            return []
        prefix = self._fs.makeQualified(folder).toString() + "/"
        files = []
        listing = self._fs.listFiles(folder, True)
        while listing.hasNext():
            status = listing.next()
            uri = status.getPath().toString()
            parts = uri.removeprefix(prefix).split("/")
            if not is_landed_name(parts[-1]) or any(p.startswith((".", "_")) for p in parts[:-1]):
                continue
            files.append(self._landed(entity, uri, status))
        return sorted(files, key=lambda file: file.location)

    def _landed(self, entity: str, uri: str, status: object) -> LandedFile:
        return LandedFile(
            entity=entity,
            location=uri,
            size_bytes=int(status.getLen()),  # type: ignore[attr-defined]
            modified_at=EPOCH + dt.timedelta(milliseconds=int(status.getModificationTime())),  # type: ignore[attr-defined]
            relative=uri.removeprefix(self.location + "/"),
        )

    def restat(self, file: LandedFile) -> LandedFile | None:
        try:
            status = self._fs.getFileStatus(self._path(file.location))
        except Py4JJavaError as error:
            if "FileNotFoundException" in str(error.java_exception):
                return None
            raise
        return self._landed(file.entity, file.location, status)

    def first_line(self, file: LandedFile) -> bytes:
        """The bytes up to and including the first newline (at most ``MAX_HEADER_BYTES`` + 1),
        read in a few requests rather than the whole object."""
        stream = self._fs.open(self._path(file.location))
        try:
            head = b""
            while len(head) <= MAX_HEADER_BYTES and b"\n" not in head:
                want = min(max(_FIRST_READ, len(head)), MAX_HEADER_BYTES + 1 - len(head))
                chunk = bytes(stream.readNBytes(want))
                if not chunk:
                    break
                head += chunk
        finally:
            stream.close()
        end = head.find(b"\n")
        return head if end < 0 else head[: end + 1]

    def upload(self, folder: Path) -> int:
        """Copy every file below the local ``folder`` to the same relative place in this zone;
        the number of files copied. Each object appears whole when its upload completes."""
        hadoop = self._jvm.org.apache.hadoop.fs
        local = hadoop.FileSystem.getLocal(self._conf)
        count = 0
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                target = self._path(f"{self.location}/{path.relative_to(folder).as_posix()}")
                # A plain streamed write (S3A's copyFromLocalFile retried for ever on moto).
                hadoop.FileUtil.copy(
                    local, self._path(str(path)), self._fs, target, False, self._conf
                )
                count += 1
        return count


def open_landing(spark: SparkSession | None, location: str) -> LandingZone:
    """The landing zone at ``location``: a local folder, or a Hadoop URI read through
    ``spark``'s Hadoop client."""
    if "://" not in location:
        return LocalLanding(Path(location))
    if spark is None:
        raise ValueError(f"the landing zone {location} is read through Spark: start it first")
    return HadoopLanding(spark, location)
