"""The Thrift server's password mode: HiveServer2 CUSTOM authentication with one user.

The provider (``java/EnvPasswordAuthenticator.java``) reads the expected user and password from
the server process's environment, so the secret is never on a command line (``ps``), in a state
file or in a log. It is compiled with ``javac`` the first time the mode is used and cached as a
small jar under the jar cache (``$LAKEHOUSE_JARS_DIR/thrift-auth/``); nothing compiled lives
in the repository.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from lakehouse.settings import Settings, SettingsError, java_home, read_secret
from lakehouse.thrift.process import ProcessError, spark_home

SOURCE = Path(__file__).resolve().parent / "java" / "EnvPasswordAuthenticator.java"
PROVIDER_CLASS = "lakehouse.auth.EnvPasswordAuthenticator"
PASSWORD_VARIABLE = "LAKEHOUSE_THRIFT_PASSWORD"
USER_VARIABLE = "LAKEHOUSE_THRIFT_USER"
# dbt-spark/PyHive `auth` value for a password checked by the server (SASL PLAIN); the same
# wire protocol as HiveServer2's LDAP mode, so `password` also fits an LDAP-backed server.
CLIENT_AUTH = "CUSTOM"


def credentials(settings: Settings) -> tuple[str, str] | None:
    """(user, password) when the password mode is on, else None. The password comes only
    from the environment; a missing one is a configuration error naming the variable."""
    if settings.thrift_auth == "none":
        return None
    password = read_secret(PASSWORD_VARIABLE)
    if not password:
        raise SettingsError(
            f"LAKEHOUSE_THRIFT_AUTH=password needs the password in the environment variable "
            f"{PASSWORD_VARIABLE} (never on the command line); export it and retry"
        )
    return settings.thrift_user, password


def server_hiveconf(settings: Settings) -> dict[str, str]:
    """HiveServer2 settings for the configured authentication mode."""
    if settings.thrift_auth == "none":
        return {"hive.server2.authentication": "NONE"}
    return {
        "hive.server2.authentication": "CUSTOM",
        "hive.server2.custom.authentication.class": PROVIDER_CLASS,
    }


def server_env(settings: Settings) -> dict[str, str]:
    """What the server process needs in its environment for the provider to check logins."""
    creds = credentials(settings)
    if creds is None:
        return {}
    user, password = creds
    return {USER_VARIABLE: user, PASSWORD_VARIABLE: password}


def _javac() -> str | None:
    """The compiler beside the Java Spark starts: ``$JAVA_HOME``'s, else ``javac`` on PATH."""
    home = java_home()
    if home and (Path(home) / "bin" / "javac").is_file():
        return str(Path(home) / "bin" / "javac")
    return shutil.which("javac")


def provider_jar(jars_dir: Path) -> Path:
    """The compiled provider, built once per source version into ``<jars_dir>/thrift-auth``."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    folder = jars_dir / "thrift-auth"
    jar = folder / f"lakehouse-thrift-auth-{digest}.jar"
    if jar.is_file():
        return jar
    javac = _javac()
    if javac is None:
        raise SettingsError(
            "LAKEHOUSE_THRIFT_AUTH=password needs a Java compiler (javac) once, to build the "
            "server's password check; install a JDK (e.g. `apt-get install "
            "openjdk-17-jdk-headless`, which scripts/setup.sh does when run as root) and retry"
        )
    api_jars = sorted((spark_home() / "jars").glob("spark-hive-thriftserver_*.jar"))
    if not api_jars:
        raise ProcessError(f"no spark-hive-thriftserver jar in {spark_home() / 'jars'}")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lakehouse-auth-") as work:
        classes = Path(work) / "classes"
        result = subprocess.run(
            [javac, "--release", "17", "-cp", str(api_jars[0]), "-d", str(classes), str(SOURCE)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ProcessError(f"javac failed on {SOURCE}:\n{result.stderr.strip()}")
        partial = jar.with_name(jar.name + ".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(classes.rglob("*.class")):
                archive.write(path, path.relative_to(classes).as_posix())
        partial.replace(jar)
    for stale in folder.glob("lakehouse-thrift-auth-*.jar"):
        if stale != jar:
            stale.unlink(missing_ok=True)
    return jar
