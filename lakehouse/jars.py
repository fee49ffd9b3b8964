"""The Delta Lake jars: fetched once from Maven Central into a local cache, loaded offline after.

The coordinate is the one delta-spark's own pip helper (``configure_spark_with_delta_pip``)
computes from the installed versions: ``io.delta:delta-spark_<spark major.minor>_2.13:<delta>``.
Resolution uses Spark's own Ivy resolver (``spark.jars.packages``) in a throw-away JVM, once; the
jars Spark already ships (Hadoop, Parquet, Jackson, log4j …) are dropped so that nothing on the
driver class path shadows Spark's own versions. At run time the session factory puts the cached
folder on the class path and nothing is downloaded.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import pyspark

SCALA_VERSION = "2.13"
MANIFEST = "lakehouse-jars.json"
# Sub-folders of the jar cache that other fetches own (see ``fetch_jars``).
CACHED_ELSEWHERE = ("s3", "thrift-auth")


class JarsError(RuntimeError):
    """The Delta jars are missing or could not be fetched."""


def delta_coordinate() -> str:
    spark_major_minor = ".".join(pyspark.__version__.split(".")[:2])
    delta_version = metadata.version("delta-spark")
    return f"io.delta:delta-spark_{spark_major_minor}_{SCALA_VERSION}:{delta_version}"


def cached_from_manifest(folder: Path, manifest: str, coordinate: str) -> list[Path] | None:
    """The jars ``folder``'s manifest lists for ``coordinate``, or None when the manifest is
    missing, records another coordinate (another pyspark or Delta), or a jar is gone."""
    path = folder / manifest
    if not path.is_file():
        return None
    recorded = json.loads(path.read_text())
    if recorded.get("coordinate") != coordinate:
        return None
    jars = [folder / name for name in recorded.get("jars", [])]
    if not jars or not all(jar.is_file() for jar in jars):
        return None
    return jars


def cached_jars(jars_dir: Path) -> list[Path] | None:
    """The cached jars for the current coordinate, or None when the cache is missing or stale."""
    return cached_from_manifest(jars_dir, MANIFEST, delta_coordinate())


def require_jars(jars_dir: Path) -> list[Path]:
    jars = cached_jars(jars_dir)
    if jars is None:
        raise JarsError(
            f"the Delta Lake jars for {delta_coordinate()} are not in {jars_dir}; run "
            "`make setup` (or `lakehouse setup-jars`) once with access to Maven Central"
        )
    return jars


def _artifact_name(jar_file: str) -> str:
    """``org.apache.parquet_parquet-column-1.16.0.jar`` → ``parquet-column``."""
    stem = jar_file.removesuffix(".jar").split("_", 1)[-1]
    return re.sub(r"-[0-9][^-]*(-[0-9A-Za-z.]+)?$", "", stem)


def spark_provided_artifacts() -> set[str]:
    spark_jars = Path(pyspark.__file__).parent / "jars"
    return {_artifact_name(jar.name) for jar in spark_jars.glob("*.jar")}


_RESOLVE_SCRIPT = """
import sys
from pyspark.sql import SparkSession
builder = (SparkSession.builder.master("local[1]").appName("lakehouse-fetch-jars")
           .config("spark.jars.packages", sys.argv[1]).config("spark.jars.ivy", sys.argv[2])
           .config("spark.ui.enabled", "false"))
if sys.argv[3]:
    builder = builder.config("spark.jars.excludes", sys.argv[3])
builder.getOrCreate().stop()
"""


def resolve_with_ivy(coordinate: str, ivy: Path, excludes: tuple[str, ...] = ()) -> list[Path]:
    """The jars Spark's Ivy resolves for ``coordinate`` (and its dependencies, less
    ``excludes``) from Maven Central into ``ivy``, in a throw-away JVM."""
    result = subprocess.run(
        [sys.executable, "-c", _RESOLVE_SCRIPT, coordinate, str(ivy), ",".join(excludes)],
        capture_output=True,
        text=True,
        check=False,
    )
    resolved = sorted((ivy / "jars").glob("*.jar"))
    if result.returncode != 0 or not resolved:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-25:])
        raise JarsError(f"could not resolve {coordinate} from Maven Central:\n{tail}")
    return resolved


def swap_in(staging: Path, target: Path, keep: tuple[str, ...] = ()) -> None:
    """Replace ``target`` with the complete ``staging`` folder at once, so an interrupted
    fetch never looks finished; the sub-folders named in ``keep`` move across."""
    for name in keep:
        if (target / name).is_dir():
            (target / name).rename(staging / name)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def fetch_jars(jars_dir: Path, *, quiet: bool = False) -> list[Path]:
    """Resolve the Delta coordinate with Spark's Ivy into ``jars_dir`` (idempotent)."""
    existing = cached_jars(jars_dir)
    if existing is not None:
        return existing
    coordinate = delta_coordinate()
    print(
        f"fetching {coordinate} and its dependencies from Maven Central into {jars_dir} …",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="lakehouse-ivy-") as ivy:
        resolved = resolve_with_ivy(coordinate, Path(ivy))
        provided = spark_provided_artifacts()
        keep = [jar for jar in resolved if _artifact_name(jar.name) not in provided]
        staging = jars_dir.with_name(jars_dir.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for jar in keep:
            shutil.copy2(jar, staging / jar.name)
        (staging / MANIFEST).write_text(
            json.dumps({"coordinate": coordinate, "jars": [jar.name for jar in keep]}, indent=2)
        )
        # Other caches kept in sub-folders (the S3 connector, the Thrift password provider)
        # belong to other versions: they survive a new Delta version.
        swap_in(staging, jars_dir, keep=CACHED_ELSEWHERE)
    if not quiet:
        dropped = len(resolved) - len(keep)
        print(f"cached {len(keep)} jars ({dropped} already shipped with Spark were left out)")
    return require_jars(jars_dir)
