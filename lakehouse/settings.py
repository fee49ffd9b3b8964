"""One settings object for the whole project, read from the environment.

Every path and knob the lakehouse uses is resolved here, once, and validated so that a wrong value
fails fast with a message that names the variable to change. Nothing else reads ``os.environ``
for configuration.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

# The environment variables, their defaults and meaning. docs/configuration.md's table is
# checked against this mapping by a test, so the two cannot drift apart.
ENV_VARS: dict[str, str] = {
    "LAKEHOUSE_HOME": "State folder: warehouse, metastore, landing zone, logs. Default `.lakehouse/` in the project.",
    "LAKEHOUSE_LANDING": "Landing zone read by `ingest`: a local folder or an `s3a://bucket/prefix` URI (`generate` writes local folders only; `run` uploads its sample data to an S3 landing zone). Default `$LAKEHOUSE_HOME/landing`.",
    "LAKEHOUSE_WAREHOUSE": "Spark SQL warehouse (managed Silver/Gold tables): a local path or any Hadoop URI (`s3a://…`). Default `$LAKEHOUSE_HOME/warehouse`.",
    "LAKEHOUSE_BRONZE": "Root of the path-based Bronze Delta tables: a local path or any Hadoop URI. Default `$LAKEHOUSE_HOME/bronze`.",
    "LAKEHOUSE_S3_ENDPOINT": "Endpoint of an S3-compatible store other than AWS, e.g. `http://127.0.0.1:9000` (MinIO, Ceph, moto): path-style access, TLS unless it starts with `http://`. Unset: AWS S3 itself. Credentials never go here: the standard AWS variables or credential chain. Default unset.",
    "LAKEHOUSE_METASTORE": "Folder of the embedded Derby metastore. Default `$LAKEHOUSE_HOME/metastore_db`.",
    "LAKEHOUSE_JARS_DIR": "Cache of the Delta Lake jars fetched from Maven Central by setup (the S3 connector, when fetched, in its `s3/` folder). Default `~/.cache/lakehouse/jars`.",
    "LAKEHOUSE_SPARK_MASTER": "Spark master URL: `local[*]`, `local[N]`, `spark://host:port`, `yarn`, `k8s://…`. Default `local[*]`.",
    "LAKEHOUSE_DRIVER_MEMORY": "Spark driver memory, e.g. `4g`, `512m`; at least `512m`. Default `4g`.",
    "LAKEHOUSE_SETTLE_SECONDS": "A landed file written in place is taken once its size and modification time have not changed for this many seconds (files renamed into place are complete at once). Default `3`.",
    "LAKEHOUSE_SHUFFLE_PARTITIONS": "`spark.sql.shuffle.partitions`; small suits 2 cores and small data. Default `4`.",
    "LAKEHOUSE_SPARK_UI": "`true` to start the Spark web UI (port 4040). Default `false`.",
    "LAKEHOUSE_JVM_ARCHIVE": "`false` to start Spark's driver without the JVM's class-data archive (written by the first driver JVM at its exit, in the virtual environment, and mapped by every later one). Default `true`.",
    "LAKEHOUSE_DRIVER_HOST": "Address the Spark driver binds to and advertises; set a routable address when executors run on other machines. Default `127.0.0.1`.",
    "LAKEHOUSE_THRIFT_HOST": "Address the Spark Thrift Server binds to and dbt's `_thrift` targets connect to. Default `127.0.0.1`.",
    "LAKEHOUSE_THRIFT_PORT": "Port of the Spark Thrift Server. Default `10000`.",
    "LAKEHOUSE_THRIFT_AUTH": "Thrift Server authentication: `none` (loopback use) or `password` (HiveServer2 CUSTOM: one user, password from `LAKEHOUSE_THRIFT_PASSWORD`). Default `none`.",
    "LAKEHOUSE_THRIFT_USER": "User name dbt's `_thrift` targets connect as; with `password` authentication, the only user the server accepts. Default `lakehouse`.",
    "LAKEHOUSE_CLUSTER_PORT": "Port of the local Spark standalone master (`lakehouse cluster start`). Default `7077`.",
    "LAKEHOUSE_CLUSTER_UI_PORT": "Port of the standalone master's web UI, on loopback; `0` picks a free port. Default `8080`.",
    "LAKEHOUSE_CLUSTER_WORKER_MEMORY": "Memory the local standalone worker offers to executors, e.g. `1g`. Default `1g`.",
    "LAKEHOUSE_CLUSTER_WORKER_CORES": "Cores the local standalone worker offers to executors. Default `2`.",
    "LAKEHOUSE_DBT_TARGET": "dbt target of `lakehouse run`/`build`: `prod` (embedded Spark) or `prod_thrift` (through a Spark Thrift Server); `lakehouse dev` and `lakehouse ci` use the `dev`/`ci` target on the same connection. `--target` on the command line wins. Default `prod`.",
    "LAKEHOUSE_DEV_NAME": "Your name in the schemas of the `dev` targets (`dbt_<name>_silver`, `dbt_<name>_gold`, `dbt_<name>_audit`): letters, digits and underscores. Default `$USER`.",
    "LAKEHOUSE_CI_SCHEMA": "Schema prefix of the `ci` targets (`<prefix>_silver`, …); `lakehouse ci` sets a fresh `ci_<random>` for each run and drops its schemas at the end. Default `ci`.",
}

# Secrets: read only from the environment, never exported by ``Settings.as_env`` or printed.
SECRET_ENV_VARS: dict[str, str] = {
    "LAKEHOUSE_THRIFT_PASSWORD": "Password of `LAKEHOUSE_THRIFT_USER` when `LAKEHOUSE_THRIFT_AUTH=password`, for the server and for dbt's `_thrift` targets. No default.",
}

THRIFT_AUTH_MODES = ("none", "password")
# The production targets of profiles.yml; `dev` and `ci` (and `_thrift`) are the others.
PROD_TARGETS = ("prod", "prod_thrift")
# A schema name dbt may prefix a custom schema with (Spark keeps names lower-case).
_SCHEMA_PART = re.compile(r"^[a-z][a-z0-9_]*$")

S3_SCHEME = "s3a://"
_MEMORY = re.compile(r"^[1-9][0-9]*[kmgt]?$", re.IGNORECASE)
_MASTER = re.compile(
    r"^(local(\[([1-9][0-9]*|\*)(,[0-9]+)?\])?|spark://.+|yarn|k8s://.+|mesos://.+)$"
)
# Below this Spark's driver does not start (its own minimum is about 450 MiB of heap).
MIN_DRIVER_MEMORY = 512 * 1024**2
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A configuration value is invalid; the message says which variable and what to change."""


def find_project_dir(start: Path | None = None) -> Path:
    """The dbt project folder: the nearest ancestor of ``start`` (default: cwd) with a
    ``dbt_project.yml``, else the folder this package was installed from (editable install)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dbt_project.yml").is_file():
            return folder
    package_parent = Path(__file__).resolve().parent.parent
    if (package_parent / "dbt_project.yml").is_file():
        return package_parent
    raise SettingsError(
        f"no dbt_project.yml found in {here} or its parents; run the command from inside the "
        "lakehouse project or set LAKEHOUSE_PROJECT_DIR"
    )


def _is_uri(location: str) -> bool:
    return re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", location) is not None


def is_s3(location: str) -> bool:
    """An ``s3a://`` location: Hadoop's S3 connector (hadoop-aws) reads and writes it."""
    return location.startswith(S3_SCHEME)


def _check_location(name: str, value: str) -> None:
    scheme = value.split("://", 1)[0].lower() if _is_uri(value) else ""
    if scheme in ("s3", "s3n"):
        raise SettingsError(
            f"{name}={value!r}: use the s3a:// scheme (Hadoop's S3 connector), e.g. "
            f"{S3_SCHEME}{value.split('://', 1)[1]}"
        )
    if is_s3(value) and not re.match(r"^s3a://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", value):
        raise SettingsError(
            f"{name}={value!r} does not name an S3 bucket; use s3a://<bucket>/<prefix>"
        )


def _location(value: str, base: Path) -> str:
    """A local path made absolute against ``base``, or a Hadoop URI kept as it is."""
    if _is_uri(value):
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    home: Path
    landing: str
    warehouse: str
    bronze: str
    metastore: Path
    jars_dir: Path
    spark_master: str
    driver_memory: str
    shuffle_partitions: int
    spark_ui: bool
    driver_host: str
    thrift_host: str
    thrift_port: int
    thrift_auth: str = "none"
    thrift_user: str = "lakehouse"
    cluster_port: int = 7077
    cluster_ui_port: int = 8080
    cluster_worker_memory: str = "1g"
    cluster_worker_cores: int = 2
    settle_seconds: float = 3.0
    dbt_target: str = "prod"
    dev_name: str = ""
    ci_schema: str = "ci"
    s3_endpoint: str = ""
    jvm_archive: bool = True

    @property
    def landing_dir(self) -> Path:
        """The landing zone as a local folder; a remote one has no local path."""
        if _is_uri(self.landing):
            raise SettingsError(
                f"the landing zone {self.landing} is not a local folder; this needs a local "
                "one: pass --landing DIR"
            )
        return Path(self.landing)

    @property
    def landing_is_local(self) -> bool:
        return not _is_uri(self.landing)

    @property
    def uses_s3(self) -> bool:
        """Whether any location is on S3: the S3 connector jars and settings are needed."""
        return any(is_s3(location) for location in (self.landing, self.bronze, self.warehouse))

    @property
    def s3_jars_dir(self) -> Path:
        """The S3 connector (hadoop-aws and the AWS SDK bundle), fetched only when needed."""
        return self.jars_dir / "s3"

    def dev_schema_prefix(self) -> str:
        """``dbt_<name>``: what the `dev` targets put before `_silver`, `_gold` and `_audit`."""
        if not _SCHEMA_PART.match(self.dev_name):
            raise SettingsError(
                f"the dev schemas need a name: {self.dev_name!r} (LAKEHOUSE_DEV_NAME, else $USER) "
                "is not letters, digits and underscores starting with a letter; set e.g. "
                "LAKEHOUSE_DEV_NAME=alice"
            )
        return f"dbt_{self.dev_name}"

    @property
    def is_local_master(self) -> bool:
        return self.spark_master.startswith("local")

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's artifacts (manifest, run results, compiled SQL) of this state folder's runs."""
        return self.home / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.home / "dbt" / "logs"

    @property
    def thrift_state_dir(self) -> Path:
        """Pid, state and log of this state folder's Thrift server."""
        return self.home / "thrift"

    @property
    def log_dir(self) -> Path:
        """Full error reports and Spark's own log of the lakehouse commands."""
        return self.home / "logs"

    def bronze_table_path(self, entity: str) -> str:
        return f"{self.bronze.rstrip('/')}/{entity}"

    def as_env(self) -> dict[str, str]:
        """The resolved settings as environment variables, for child processes and for the
        dbt profile, so that every consumer sees exactly the same values."""
        return {
            "LAKEHOUSE_PROJECT_DIR": str(self.project_dir),
            "LAKEHOUSE_HOME": str(self.home),
            "LAKEHOUSE_LANDING": self.landing,
            "LAKEHOUSE_WAREHOUSE": self.warehouse,
            "LAKEHOUSE_BRONZE": self.bronze,
            "LAKEHOUSE_METASTORE": str(self.metastore),
            "LAKEHOUSE_JARS_DIR": str(self.jars_dir),
            "LAKEHOUSE_SPARK_MASTER": self.spark_master,
            "LAKEHOUSE_DRIVER_MEMORY": self.driver_memory,
            "LAKEHOUSE_SHUFFLE_PARTITIONS": str(self.shuffle_partitions),
            "LAKEHOUSE_SPARK_UI": str(self.spark_ui).lower(),
            "LAKEHOUSE_DRIVER_HOST": self.driver_host,
            "LAKEHOUSE_THRIFT_HOST": self.thrift_host,
            "LAKEHOUSE_THRIFT_PORT": str(self.thrift_port),
            "LAKEHOUSE_THRIFT_AUTH": self.thrift_auth,
            "LAKEHOUSE_THRIFT_USER": self.thrift_user,
            "LAKEHOUSE_CLUSTER_PORT": str(self.cluster_port),
            "LAKEHOUSE_CLUSTER_UI_PORT": str(self.cluster_ui_port),
            "LAKEHOUSE_CLUSTER_WORKER_MEMORY": self.cluster_worker_memory,
            "LAKEHOUSE_CLUSTER_WORKER_CORES": str(self.cluster_worker_cores),
            "LAKEHOUSE_SETTLE_SECONDS": f"{self.settle_seconds:g}",
            "LAKEHOUSE_DBT_TARGET": self.dbt_target,
            "LAKEHOUSE_DEV_NAME": self.dev_name,
            "LAKEHOUSE_CI_SCHEMA": self.ci_schema,
            "LAKEHOUSE_S3_ENDPOINT": self.s3_endpoint,
            "LAKEHOUSE_JVM_ARCHIVE": str(self.jvm_archive).lower(),
        }

    def with_landing(self, landing: str | Path | None) -> Settings:
        """The same settings with the landing zone a ``--landing DIR`` option asked for."""
        if landing is None:
            return self
        changed = replace(self, landing=_location(str(landing), Path.cwd()))
        _check_location("--landing", changed.landing)
        return changed

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        project_dir = (
            Path(env["LAKEHOUSE_PROJECT_DIR"]).resolve()
            if env.get("LAKEHOUSE_PROJECT_DIR")
            else find_project_dir()
        )
        home = Path(_location(env.get("LAKEHOUSE_HOME") or ".lakehouse", project_dir))
        landing = _location(env.get("LAKEHOUSE_LANDING") or str(home / "landing"), project_dir)
        settings = cls(
            project_dir=project_dir,
            home=home,
            landing=landing,
            warehouse=_location(
                env.get("LAKEHOUSE_WAREHOUSE") or str(home / "warehouse"), project_dir
            ),
            bronze=_location(env.get("LAKEHOUSE_BRONZE") or str(home / "bronze"), project_dir),
            metastore=Path(
                _location(env.get("LAKEHOUSE_METASTORE") or str(home / "metastore_db"), project_dir)
            ),
            jars_dir=Path(
                _location(
                    env.get("LAKEHOUSE_JARS_DIR")
                    or str(Path.home() / ".cache" / "lakehouse" / "jars"),
                    project_dir,
                )
            ),
            spark_master=env.get("LAKEHOUSE_SPARK_MASTER") or "local[*]",
            driver_memory=env.get("LAKEHOUSE_DRIVER_MEMORY") or "4g",
            shuffle_partitions=_int(env, "LAKEHOUSE_SHUFFLE_PARTITIONS", 4, minimum=1),
            spark_ui=_bool(env, "LAKEHOUSE_SPARK_UI", default=False),
            driver_host=env.get("LAKEHOUSE_DRIVER_HOST") or "127.0.0.1",
            thrift_host=env.get("LAKEHOUSE_THRIFT_HOST") or "127.0.0.1",
            thrift_port=_int(env, "LAKEHOUSE_THRIFT_PORT", 10000, minimum=1, maximum=65535),
            thrift_auth=(env.get("LAKEHOUSE_THRIFT_AUTH") or "none").strip().lower(),
            thrift_user=env.get("LAKEHOUSE_THRIFT_USER") or "lakehouse",
            cluster_port=_int(env, "LAKEHOUSE_CLUSTER_PORT", 7077, minimum=1, maximum=65535),
            cluster_ui_port=_int(env, "LAKEHOUSE_CLUSTER_UI_PORT", 8080, minimum=0, maximum=65535),
            cluster_worker_memory=env.get("LAKEHOUSE_CLUSTER_WORKER_MEMORY") or "1g",
            cluster_worker_cores=_int(env, "LAKEHOUSE_CLUSTER_WORKER_CORES", 2, minimum=1),
            settle_seconds=_seconds(env, "LAKEHOUSE_SETTLE_SECONDS", 3.0),
            dbt_target=(env.get("LAKEHOUSE_DBT_TARGET") or "prod").strip(),
            dev_name=(env.get("LAKEHOUSE_DEV_NAME") or env.get("USER") or "").strip().lower(),
            ci_schema=(env.get("LAKEHOUSE_CI_SCHEMA") or "ci").strip().lower(),
            s3_endpoint=(env.get("LAKEHOUSE_S3_ENDPOINT") or "").strip().rstrip("/"),
            jvm_archive=_bool(env, "LAKEHOUSE_JVM_ARCHIVE", default=True),
        )
        settings.validate()
        if env.get("LAKEHOUSE_DEV_NAME"):
            settings.dev_schema_prefix()  # an explicit name is checked at once, by every command
        return settings

    def validate(self) -> None:
        for name, location in (
            ("LAKEHOUSE_LANDING", self.landing),
            ("LAKEHOUSE_BRONZE", self.bronze),
            ("LAKEHOUSE_WAREHOUSE", self.warehouse),
        ):
            _check_location(name, location)
        if self.s3_endpoint and not re.match(r"^https?://[^/\s]+$", self.s3_endpoint):
            raise SettingsError(
                f"LAKEHOUSE_S3_ENDPOINT={self.s3_endpoint!r} is not an endpoint; use "
                "http://host:port or https://host (no path)"
            )
        if not _MASTER.match(self.spark_master):
            raise SettingsError(
                f"LAKEHOUSE_SPARK_MASTER={self.spark_master!r} is not a Spark master URL; use "
                "local[*], local[N], spark://host:port, yarn or k8s://https://host:port"
            )
        if not _MEMORY.match(self.driver_memory):
            raise SettingsError(
                f"LAKEHOUSE_DRIVER_MEMORY={self.driver_memory!r} is not a JVM memory size; use e.g. 4g or 512m"
            )
        if memory_bytes(self.driver_memory) < MIN_DRIVER_MEMORY:
            raise SettingsError(
                f"LAKEHOUSE_DRIVER_MEMORY={self.driver_memory!r} is too little for Spark's driver "
                "(it needs at least 512m, and 2g or more for real data); use e.g. 4g"
            )
        if _is_uri(str(self.metastore)):
            raise SettingsError("LAKEHOUSE_METASTORE must be a local folder (embedded Derby)")
        if self.thrift_auth not in THRIFT_AUTH_MODES:
            raise SettingsError(
                f"LAKEHOUSE_THRIFT_AUTH={self.thrift_auth!r} is not an authentication mode; use "
                + " or ".join(THRIFT_AUTH_MODES)
            )
        if not self.thrift_user.strip():
            raise SettingsError("LAKEHOUSE_THRIFT_USER must not be blank")
        if not _SCHEMA_PART.match(self.ci_schema):
            raise SettingsError(
                f"LAKEHOUSE_CI_SCHEMA={self.ci_schema!r} is not a schema prefix; use letters, "
                "digits and underscores starting with a letter, e.g. ci_pr_42"
            )
        if self.dbt_target not in PROD_TARGETS:
            raise SettingsError(
                f"LAKEHOUSE_DBT_TARGET={self.dbt_target!r} is not a production target; use prod "
                "(embedded Spark) or prod_thrift (a Spark Thrift Server). Personal builds use "
                "`lakehouse dev` (target dev), CI builds `lakehouse ci` (target ci)"
            )
        if not _MEMORY.match(self.cluster_worker_memory):
            raise SettingsError(
                f"LAKEHOUSE_CLUSTER_WORKER_MEMORY={self.cluster_worker_memory!r} is not a memory size; use e.g. 1g or 512m"
            )


def export(settings: Settings) -> None:
    """Put the resolved settings into this process's environment, where dbt's profile (and
    Spark's Python workers) read them."""
    os.environ.update(settings.as_env())


def spark_java_home() -> Path | None:
    """The Java that Spark's launcher starts: `JAVA_HOME`'s, else `java` on `PATH`."""
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    java = shutil.which("java")
    return Path(java).resolve().parents[1] if java else None


def spark_process_environment(python: str, local_ip: str) -> None:
    """Defaults pyspark's launcher reads from the environment: the Python of the workers (the
    driver's own, the project's virtual environment) and Spark's local address."""
    os.environ.setdefault("PYSPARK_PYTHON", python)
    os.environ.setdefault("SPARK_LOCAL_IP", local_ip)


def child_environment(drop: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a child process, without the secrets (and ``drop``)."""
    hidden = {**SECRET_ENV_VARS, **(drop or {})}
    return {key: value for key, value in os.environ.items() if key not in hidden}


def java_home(env: Mapping[str, str] | None = None) -> str | None:
    """``JAVA_HOME``: the Java Spark's launch scripts start (else ``java`` on PATH)."""
    env = os.environ if env is None else env
    return env.get("JAVA_HOME") or None


def read_secret(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """A secret from the environment (one of ``SECRET_ENV_VARS``), or None when unset or empty.

    Secrets are not part of ``Settings``: they are never exported to the dbt profile's
    environment by ``as_env``, never printed with the settings, never written to a state file.
    """
    if name not in SECRET_ENV_VARS:
        raise KeyError(f"{name} is not a declared secret")
    env = os.environ if env is None else env
    return env.get(name) or None


def _int(
    env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = (
            f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        )
        raise SettingsError(f"{name}={raw!r} must be {bounds}")
    return value


def memory_bytes(size: str) -> int:
    """A JVM memory size (``4g``, ``512m``, ``1048576``) in bytes."""
    unit = size[-1].lower() if size[-1].isalpha() else ""
    return int(size[: len(size) - len(unit)]) * _UNITS[unit]


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise SettingsError(f"{name}={raw!r} must be between 0 and 3600 seconds")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean; use true or false")
