"""A class-data-sharing archive of the classes Spark, Delta and Hive load: a faster JVM start.

Every lakehouse command, dbt's ``local`` target and the Thrift server start a JVM that reads,
parses and verifies thousands of classes from jars before any work begins; on the 2-core
reference machine that is a third of the first half-minute (measured: JVM start, table checks
and first Delta read about 37 s without the archive, 24 s with it; a cold
``dbt build -s dim_currencies`` 66 s on Java 17 with its archive, 43-48 s on Java 25 with its
ahead-of-time cache). Java's application class-data
sharing (AppCDS, JDK 13+) maps a pre-parsed archive of those classes instead.

``lakehouse setup-jvm`` (run by ``make setup``) builds the archive once, from a training run on
a throw-away state folder: the whole pipeline on a little sample data, then again on one more
day (``jvm_training``). On Java 17-24 that run writes a dynamic archive
(``-XX:ArchiveClassesAtExit``). On Java 25 and later it writes an ahead-of-time cache instead
(``-XX:AOTCacheOutput``: JEP 483 and 515), which holds the classes already loaded and linked and
the training run's method profiles, so the JIT compiles Spark's hot code sooner; the same
``-XX:SharedArchiveFile`` option maps either kind. Every JVM the project starts then
gets ``java_options()``: ``-Xshare:auto`` makes a missing archive, or one built by another JDK
or for other jars, a silent no-op (the JVM loads classes as usual), and setup rebuilds the
archive whenever the key it was built for (Java, Spark and Delta versions, jar set, and where
Spark's jars are) changes.

An archive only fits the class path it was trained on, and that path runs through the virtual
environment's Spark jars. So it lives in the project's virtual environment (``.venv/lakehouse``),
not in a cache shared by every clone: with one shared file, setting up a second clone rebuilt
it for that clone's jars, and every JVM of the first clone then started without it, silently
(``-Xshare:auto``; a cold ``dbt build -s dim_currencies`` took 28-33 s instead of 21-23 s).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyspark

from ingestion.java_runtime import java_executable, version_of

ARCHIVE_NAME = "spark.jsa"
KEY_SUFFIX = ".key"
# The two log switches keep an ignored (stale or missing) archive, and the training run that
# writes one, from printing warnings.
QUIET_CDS_LOG = "-Xlog:cds=off -Xlog:cds+dynamic=off"
# `-Xshare:auto`: use the archive when it fits this JVM and class path, ignore it otherwise.
QUIET_SHARING = f"-Xshare:auto {QUIET_CDS_LOG}"
TRAINING_ENV = "LAKEHOUSE_JVM_ARCHIVE_DUMP"
# The first Java whose training run can write an ahead-of-time cache in one step (JEP 514),
# with method profiles in it (JEP 515).
AOT_CACHE_JAVA = 25


class ArchiveError(RuntimeError):
    """The training run that builds the archive failed."""


def archive_path(project_dir: Path) -> Path:
    """In the project's virtual environment, whose Spark jars it was built for, spelled as
    profiles.yml spells it (``<project>/.venv/lakehouse``) so that both give the JVM the same
    option."""
    return Path(f"{project_dir}/.venv/lakehouse/{ARCHIVE_NAME}")


def legacy_shared_archive(jars_dir: Path) -> Path | None:
    """The archive earlier versions kept beside the jar cache for every clone
    (``<jars>/../jvm/spark.jsa``), when it is still there. Nothing reads it any more; it is not
    deleted here because a checkout of an earlier version may still map it."""
    path = jars_dir.parent / "jvm" / ARCHIVE_NAME
    return path if path.is_file() else None


def java_options(project_dir: Path) -> str:
    """The JVM options that use the archive (a no-op while it does not exist)."""
    if dump := os.environ.get(TRAINING_ENV):
        return training_options(Path(dump), version_of(java_executable()))
    return f"-XX:SharedArchiveFile={archive_path(project_dir)} {QUIET_SHARING}"


def training_options(dump: Path, java_version: int) -> str:
    """The options of the training run's JVM: write the archive (or AOT cache) to ``dump``."""
    if java_version >= AOT_CACHE_JAVA:
        # `aot` is a log tag Java 17 does not know (it would refuse to start), hence only here.
        return f"-XX:AOTCacheOutput={dump} {QUIET_CDS_LOG} -Xlog:aot=off"
    return f"-XX:ArchiveClassesAtExit={dump} {QUIET_CDS_LOG}"


# The workload the archive is trained on: a changed training run makes the archive stale.
TRAINING_MODULE = Path(__file__).with_name("jvm_training.py")


def archive_key(jars_dir: Path) -> str:
    """What the archive depends on: the JVM build, Spark's jars (where they are: the JVM only
    uses an archive built for the same class path), the cached jars and the training run."""
    java = subprocess.run(
        [java_executable(), "-version"], capture_output=True, text=True, check=False
    ).stderr
    spark_jars_dir = Path(pyspark.__file__).parent / "jars"
    spark_jars = [str(spark_jars_dir), *sorted(path.name for path in spark_jars_dir.glob("*"))]
    cached = sorted(path.name for path in jars_dir.glob("*.jar"))
    training = hashlib.sha256(TRAINING_MODULE.read_bytes()).hexdigest()
    payload = json.dumps([java, pyspark.__version__, spark_jars, cached, training])
    return hashlib.sha256(payload.encode()).hexdigest()


def is_current(jars_dir: Path, project_dir: Path) -> bool:
    archive = archive_path(project_dir)
    key_file = archive.with_name(archive.name + KEY_SUFFIX)
    return (
        archive.is_file()
        and key_file.is_file()
        and key_file.read_text().strip() == archive_key(jars_dir)
    )


def build_archive(jars_dir: Path, project_dir: Path, *, force: bool = False) -> Path:
    """Build the archive from a training run unless the current one is up to date."""
    archive = archive_path(project_dir).resolve()
    if not force and is_current(jars_dir, project_dir):
        return archive
    archive.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lakehouse-jvm-", dir=archive.parent) as scratch:
        dump = Path(scratch) / ARCHIVE_NAME
        env = {
            **os.environ,
            TRAINING_ENV: str(dump),
            "LAKEHOUSE_HOME": str(Path(scratch) / "home"),
            "LAKEHOUSE_LANDING": str(Path(scratch) / "landing"),
            "LAKEHOUSE_JARS_DIR": str(jars_dir),
            "LAKEHOUSE_SPARK_MASTER": "local[2]",
            # dbt's artifacts and logs stay in the scratch folder, not in the project's.
            "DBT_TARGET_PATH": str(Path(scratch) / "target"),
            "DBT_LOG_PATH": str(Path(scratch) / "logs"),
        }
        # The training builds its own state on the embedded target, whatever the user's are.
        for key in (
            "LAKEHOUSE_BRONZE",
            "LAKEHOUSE_WAREHOUSE",
            "LAKEHOUSE_METASTORE",
            "LAKEHOUSE_DBT_TARGET",
            "LAKEHOUSE_DBT_SCHEMA",
        ):
            env.pop(key, None)
        result = subprocess.run(
            [sys.executable, "-m", "ingestion.jvm_training"],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not dump.is_file():
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-25:])
            raise ArchiveError(f"the JVM archive's training run failed:\n{tail}")
        # Same folder, so the rename is atomic: a JVM never maps a half-written archive.
        dump.replace(archive)
    key_file = archive.with_name(archive.name + KEY_SUFFIX)
    key_file.write_text(archive_key(jars_dir) + "\n")
    print(
        f"JVM class archive built in {time.monotonic() - started:.0f} s: {archive} "
        f"({archive.stat().st_size / 2**20:,.0f} MiB)",
        flush=True,
    )
    return archive
