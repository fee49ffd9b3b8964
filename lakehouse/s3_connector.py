"""Hadoop's S3 connector: fetched from Maven Central into ``<jar cache>/s3`` only when needed.

The connector is ``org.apache.hadoop:hadoop-aws`` at the Hadoop version inside the pinned
pyspark, with what its POM declares: the AWS SDK v2 ``bundle`` (about 690 MB) and two small
jars. Spark's Ivy resolves the small ones; the bundle is downloaded here, with progress and its
SHA-1 checked, because Ivy shows nothing for minutes on a file that size. Its version is read
from the POM Ivy just resolved, so it is always the one this hadoop-aws was built against.

Nothing is downloaded unless an ``s3a://`` location is configured or ``lakehouse setup-jars
--s3`` asks for it; at run time a missing connector is an error that says how to fetch it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pyspark

from lakehouse.jars import JarsError, cached_from_manifest, resolve_with_ivy, swap_in

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
SDK_BUNDLE = "software.amazon.awssdk:bundle"
MANIFEST = "lakehouse-s3-jars.json"
_CHUNK = 1 << 20


def hadoop_version() -> str:
    """The Hadoop client version pyspark ships (``hadoop-client-api-<version>.jar``)."""
    jars = Path(pyspark.__file__).parent / "jars"
    for jar in jars.glob("hadoop-client-api-*.jar"):
        return jar.name.removeprefix("hadoop-client-api-").removesuffix(".jar")
    raise JarsError(f"no hadoop-client-api jar in {jars}: cannot tell which hadoop-aws to use")


def connector_coordinate() -> str:
    return f"org.apache.hadoop:hadoop-aws:{hadoop_version()}"


def cached_connector(s3_dir: Path) -> list[Path] | None:
    """The cached connector jars for this pyspark, or None when missing or stale."""
    return cached_from_manifest(s3_dir, MANIFEST, connector_coordinate())


def require_connector(s3_dir: Path) -> list[Path]:
    jars = cached_connector(s3_dir)
    if jars is None:
        raise JarsError(
            f"an s3a:// location is configured but the S3 connector ({connector_coordinate()} "
            f"and the AWS SDK bundle) is not in {s3_dir}; run `lakehouse setup-jars --s3` once "
            "with access to Maven Central (about 690 MB)"
        )
    return jars


def declared_bundle_version(ivy: Path, coordinate: str) -> str:
    """The AWS SDK bundle version hadoop-aws's POM declares, from Ivy's resolved descriptor."""
    group, artifact, version = coordinate.split(":")
    descriptor = ivy / "cache" / group / artifact / f"ivy-{version}.xml"
    key = "dependency.management__software.amazon.awssdk__bundle__version"
    match = re.search(rf"<m:{re.escape(key)}>([^<]+)<", descriptor.read_text())
    if match is None:
        raise JarsError(f"{coordinate}'s POM declares no {SDK_BUNDLE} version ({descriptor})")
    return match.group(1)


def maven_url(coordinate: str) -> str:
    group, artifact, version = coordinate.split(":")
    return (
        f"{MAVEN_CENTRAL}/{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.jar"
    )


def download(url: str, target: Path, say: Callable[[str], None]) -> None:
    """``url`` into ``target``, a progress line every tenth, its SHA-1 checked against the
    repository's ``.sha1``."""
    with urllib.request.urlopen(f"{url}.sha1", timeout=60) as response:
        expected = response.read().decode().split()[0].strip().lower()
    digest = hashlib.sha1(usedforsecurity=False)
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done, next_tenth = 0, 1
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if total and done * 10 >= next_tenth * total:
                say(f"  {target.name}: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB")
                next_tenth = done * 10 // total + 1
    if digest.hexdigest() != expected:
        target.unlink()
        raise JarsError(f"{url}: SHA-1 {digest.hexdigest()} is not the published {expected}")
    seconds = time.monotonic() - started
    say(f"  {target.name}: {done / 1e6:,.0f} MB in {seconds:.0f} s, checksum verified")


def fetch_connector(s3_dir: Path, say: Callable[[str], None] = print) -> list[Path]:
    """Resolve and download the S3 connector into ``s3_dir`` (idempotent)."""
    existing = cached_connector(s3_dir)
    if existing is not None:
        return existing
    coordinate = connector_coordinate()
    say(f"fetching the S3 connector {coordinate} from Maven Central into {s3_dir} …")
    staging = s3_dir.with_name(s3_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="lakehouse-ivy-") as ivy:
        small = resolve_with_ivy(coordinate, Path(ivy), excludes=(SDK_BUNDLE,))
        for jar in small:
            shutil.copy2(jar, staging / jar.name)
        bundle = f"{SDK_BUNDLE}:{declared_bundle_version(Path(ivy), coordinate)}"
    group, artifact, version = bundle.split(":")
    bundle_jar = staging / f"{group}_{artifact}-{version}.jar"  # Ivy's naming, as beside it
    say(f"  {bundle} (the AWS SDK that {coordinate} declares)")
    try:
        download(maven_url(bundle), bundle_jar, say)
    except OSError as error:
        raise JarsError(f"could not download {bundle} from Maven Central: {error}") from None
    names = [jar.name for jar in small] + [bundle_jar.name]
    (staging / MANIFEST).write_text(
        json.dumps({"coordinate": coordinate, "bundle": bundle, "jars": names}, indent=2)
    )
    swap_in(staging, s3_dir)
    say(f"cached the S3 connector: {len(names)} jars in {s3_dir}")
    return require_connector(s3_dir)
