"""Which Java runs Spark: chosen once by setup, recorded where every process of the venv sees it.

Spark 4.2 runs on Java 17, 21 and 25. Java 25 starts Spark markedly faster with the start-up
cache that ``lakehouse setup-jvm`` builds (an ahead-of-time cache with method profiles, see
``jvm_archive``), so setup picks the newest supported JDK it finds when ``JAVA_HOME`` is not
set, and records it in a ``.pth`` file of the virtual environment: Python runs its one line
at start-up, which sets ``JAVA_HOME`` unless it is set already. Every Spark launcher started
from the venv (the embedded session, a plain ``dbt build`` on the ``local`` target, the
Thrift server's ``spark-submit``, the standalone cluster's daemons) then starts the same
Java. A ``JAVA_HOME`` in the environment always wins.

Why not Spark's own ``conf/spark-env.sh``: Spark puts its conf folder on the class path, and
a JVM refuses to write or use a start-up archive whose class path holds a non-empty folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
from collections.abc import Iterable
from pathlib import Path

SUPPORTED_JAVA = (17, 21, 25)
JVM_FOLDERS = (Path("/usr/lib/jvm"), Path("/usr/java"), Path("/opt/java"))
PTH_NAME = "lakehouse-java.pth"
_RECORDED = re.compile(r'os\.environ\.setdefault\("JAVA_HOME", (?P<home>"[^"]+")\)')


class JavaError(RuntimeError):
    """No usable Java, or one whose version cannot be read."""


def record_file() -> Path:
    """The ``.pth`` file in this virtual environment's site-packages."""
    return Path(sysconfig.get_paths()["purelib"]) / PTH_NAME


def recorded_java_home(record: Path | None = None) -> str | None:
    """The JDK setup recorded for Spark, if any."""
    path = record or record_file()
    if not path.is_file():
        return None
    found = _RECORDED.search(path.read_text())
    return json.loads(found.group("home")) if found else None


def java_home() -> str | None:
    """The Java Spark will start: ``JAVA_HOME``, else setup's choice, else None (``java`` on PATH)."""
    return os.environ.get("JAVA_HOME") or recorded_java_home()


def java_executable() -> str:
    home = java_home()
    return str(Path(home) / "bin" / "java") if home else "java"


def feature_version(version_output: str) -> int:
    """The feature release (17, 21, 25 …) from ``java -version``'s output."""
    found = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if found is None:
        raise JavaError(f"cannot tell the Java version from: {version_output.strip()[:200]!r}")
    major = int(found.group(1))
    # Java 8 and older spell themselves "1.8.0_…".
    return int(found.group(2) or 0) if major == 1 else major


def version_of(java: str) -> int:
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    except OSError as error:
        raise JavaError(f"cannot run {java}: {error}") from error
    return feature_version(result.stderr)


def installed_homes(folders: Iterable[Path] = JVM_FOLDERS) -> list[Path]:
    """JDK and JRE folders on this machine: the usual install folders and ``java`` on PATH."""
    homes = {
        home.resolve()
        for folder in folders
        if folder.is_dir()
        for home in folder.iterdir()
        if (home / "bin" / "java").is_file()
    }
    if on_path := shutil.which("java"):
        homes.add(Path(on_path).resolve().parents[1])
    return sorted(homes)


def choose(versions: dict[Path, int]) -> Path | None:
    """The home of the newest Java Spark supports (ties: the first by path)."""
    usable = [(version, home) for home, version in versions.items() if version in SUPPORTED_JAVA]
    if not usable:
        return None
    newest = max(version for version, _ in usable)
    return min(home for version, home in usable if version == newest)


def record_for_spark(home: Path, record: Path | None = None) -> bool:
    """Write the choice as the venv's default JAVA_HOME; True if it changed."""
    path = record or record_file()
    # A .pth line that starts with `import` is run at every Python start (site module); the
    # line sets the default only, and keeps to one line as the format requires.
    text = (
        "# Written by `lakehouse setup-jvm` (ingestion/java_runtime.py): Spark's Java.\n"
        f'import os; os.environ.setdefault("JAVA_HOME", {json.dumps(str(home))})\n'
    )
    if path.is_file() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def explicit_java_home(record: Path | None = None) -> str | None:
    """JAVA_HOME as the user set it, not the default the venv's .pth file put there."""
    value = os.environ.get("JAVA_HOME")
    return value if value and value != recorded_java_home(record) else None


def setup_java() -> tuple[str, int, bool]:
    """Choose Spark's Java unless JAVA_HOME says it; returns (java home, version, changed).

    The recorded default is chosen afresh each time, so a newer JDK installed since, or the
    recorded one removed, is noticed by the next setup."""
    if explicit := explicit_java_home():
        try:
            version = version_of(str(Path(explicit) / "bin" / "java"))
        except JavaError as error:
            raise JavaError(
                f"JAVA_HOME={explicit}: {error}; point it at a Java 17, 21 or 25 home, or unset "
                "it to let setup choose"
            ) from error
        if version < min(SUPPORTED_JAVA):
            raise JavaError(f"JAVA_HOME={explicit} is Java {version}; Spark 4 needs 17 or newer")
        return explicit, version, False
    versions: dict[Path, int] = {}
    for home in installed_homes():
        try:
            versions[home] = version_of(str(home / "bin" / "java"))
        except JavaError:
            continue
    chosen = choose(versions)
    if chosen is None:
        found = ", ".join(f"{home} (Java {version})" for home, version in versions.items())
        raise JavaError(
            f"no Java that Spark supports ({', '.join(map(str, SUPPORTED_JAVA))}) found"
            f"{': only ' + found if found else ''}; install one or set JAVA_HOME"
        )
    changed = record_for_spark(chosen)
    return str(chosen), versions[chosen], changed
