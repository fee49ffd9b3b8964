"""The JVM's own class-data archive for Spark's driver: a faster start for every command.

A fresh driver JVM loads, parses and verifies thousands of Spark, Delta and Hive classes one
by one before its first query. Java's dynamic class-data sharing keeps them in an archive
instead: the first driver JVM for a given Java and class path writes the classes it loaded
when it exits (`-XX:ArchiveClassesAtExit`), and every later one maps that file
(`-XX:SharedArchiveFile`). Nothing is trained at set-up: the archive is a by-product of the
first command that starts Spark (`make run`'s `lakehouse run` on a fresh clone).

The JVM maps an archive only for the Java and the class path it was made for, and ignores any
other silently, so the archive's name carries a digest of both: the Java's `release` file, the
pyspark install and every jar (name, size, time) in the class path's folders. Another Java,
an upgraded jar or the S3 connector on the class path get an archive of their own; old ones go
with the virtual environment, which holds them (`<venv>/lakehouse-jvm/`, 190-230 MiB each).

A JVM writes its archive by removing the old file and creating a new one, header last, so two
JVMs never write into one file, and one that starts while another is still writing finds no
valid header and starts without an archive (`-Xshare:auto`, the JVM's default). Writing
takes the JVM 15-30 s after Python has finished; the process that started it waits for it
(`wait_for_archive_at_exit`), because the JVM holds the state folder's Derby metastore until it
is gone, and a next command could not open it.
bench/results/lab-notes.md "The JVM's class-data archive" has the measurements.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from lakehouse.settings import spark_java_home

ARCHIVE_FOLDER = Path(sys.prefix) / "lakehouse-jvm"


def class_path_digest(class_path: str, java: Path | None, spark_home: Path) -> str:
    """A digest of what decides whether the JVM accepts an archive: the Java build, Spark's
    own jars and every jar the class path's folders (`folder/*`) hold."""
    digest = hashlib.sha256()
    release = java / "release" if java else None
    digest.update(release.read_bytes() if release and release.is_file() else str(java).encode())
    folders = [spark_home / "jars", *(Path(entry.rstrip("*")) for entry in class_path.split(":"))]
    for folder in folders:
        digest.update(str(folder).encode())
        jars = sorted(folder.glob("*.jar")) if folder.is_dir() else []
        for jar in jars:
            stat = jar.stat()
            digest.update(f"{jar.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def archive_option(class_path: str, spark_home: Path, folder: Path = ARCHIVE_FOLDER) -> str:
    """The JVM option that maps this class path's archive, or that writes it at exit when it
    is not there yet; empty when the folder cannot be written (a read-only install)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return ""
    if not os.access(folder, os.W_OK):
        return ""
    archive = folder / f"spark-{class_path_digest(class_path, spark_java_home(), spark_home)}.jsa"
    # The JVM lists on standard output the classes it leaves out of the archive (Spark has
    # hundreds it cannot keep: generated accessors, unlinked classes): not the user's concern.
    quiet = "-Xlog:cds*=off -Xlog:class+path*=off"
    if archive.is_file():
        return f"-XX:SharedArchiveFile={archive} {quiet}"
    return f"-XX:ArchiveClassesAtExit={archive} {quiet}"


def writes_archive(option: str) -> bool:
    return option.startswith("-XX:ArchiveClassesAtExit=")


def wait_for_archive_at_exit(context: Any) -> None:
    """At this process's exit, end Spark and its driver JVM and wait while the JVM writes its
    archive. The wait is paid once per Java and jar set.

    `context` is the session's SparkContext: stopping it first also ends pyspark's accumulator
    server, which would otherwise print a traceback when the JVM goes before Python does.
    pyspark's JVM exits when its standard input closes; `context._gateway.proc` is that JVM
    (Spark's launcher `exec`s it)."""

    def finish() -> None:
        process = getattr(context._gateway, "proc", None)
        if process is None or process.poll() is not None:
            return
        print("saving the JVM's class archive for faster starts (once) ...", file=sys.stderr)
        try:
            context.stop()
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=300)
        except Exception:  # the archive is an optimisation: never fail the command over it
            process.kill()

    atexit.register(finish)
