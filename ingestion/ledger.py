"""The ingestion log: one row per landed file, and the exactly-once bookkeeping around it.

A batch of files is committed in two Delta transactions: first the Bronze rows (one atomic
append, carrying the batch's plan as commit ``userMetadata`` and an idempotent
``txnAppId``/``txnVersion``), then its rows in the ingestion log. A run that dies in between is
completed by the next run (``loader.ingest_entity``), which finds the committed plan in the
Bronze table's history (``last_committed_plan``) and writes the missing log rows. Files already
in the log are never read again; one whose size or modification time moved since is reported
(``changed_after_load``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ingestion.schema import (
    BATCH_ID,
    CORRUPT_RECORD,
    LOG_SCHEMA,
    RESCUED_DATA,
    SOURCE_FILE,
    SOURCE_ROW,
)

METADATA_KEY = "lakehouse_batch"
# The status of a file whose rows are in Bronze and which changed since it was loaded.
CHANGED_AFTER_LOAD = "changed_after_load"


@dataclass
class PlannedFile:
    path: str
    size_bytes: int
    modified_at: str  # ISO 8601, UTC
    status: str  # load | empty | quarantined | changed_after_load
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class BatchPlan:
    entity: str
    batch_id: str
    batch_seq: int
    started_at: str  # ISO 8601, UTC
    files: list[PlannedFile]

    def to_json(self) -> str:
        return json.dumps({METADATA_KEY: asdict(self)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> BatchPlan | None:
        if not text:
            return None
        try:
            payload = json.loads(text)[METADATA_KEY]
        except (ValueError, KeyError, TypeError):
            return None
        files = [PlannedFile(**item) for item in payload.pop("files")]
        return cls(files=files, **payload)


@dataclass(frozen=True)
class FileCounts:
    rows_loaded: int = 0
    rows_rescued: int = 0
    rows_malformed: int = 0


def data_app_id(entity: str) -> str:
    return f"lakehouse-ingest/{entity}"


def log_app_id(entity: str) -> str:
    return f"lakehouse-ingest-log/{entity}"


def ensure_delta_table(
    spark: SparkSession, path: str, schema: object, properties: Mapping[str, str] | None = None
) -> None:
    """Create the table at ``path`` if it is not there; give it ``properties`` either way (a
    table created by an older version gets them on its next run).

    An existing table is recognised from its properties alone (read from the log's latest
    metadata, no Spark job): every run checks seven tables, and ``DeltaTable.detail()``
    costs a job each (about 2 s, measured).
    """
    wanted = dict(properties or {})
    current = table_properties(spark, path)
    if current is None:
        builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema)
        for key, value in wanted.items():
            builder = builder.property(key, value)
        builder.execute()
        current = table_properties(spark, path) or {}
    missing = {key: value for key, value in wanted.items() if current.get(key) != value}
    if missing:
        settings = ", ".join(f"'{key}' = '{value}'" for key, value in missing.items())
        spark.sql(f"alter table delta.`{path}` set tblproperties ({settings})")


def table_properties(spark: SparkSession, path: str) -> dict[str, str] | None:
    """The Delta table's properties at ``path``, or None when there is no Delta table there."""
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    rows = spark.sql(f"show tblproperties delta.`{path}`").collect()
    return {row.key: row.value for row in rows}


@dataclass(frozen=True)
class LoggedFile:
    """The ingestion log's newest record of one file, and whether any of its rows are in
    Bronze (a file quarantined or empty at every look has none)."""

    size_bytes: int
    modified_millis: int
    status: str
    batch_id: str
    rows_in_bronze: bool

    @property
    def signature(self) -> tuple[int, int]:
        return self.size_bytes, self.modified_millis


@dataclass
class LoggedState:
    """What the ingestion log holds for one entity."""

    files: dict[str, LoggedFile] = field(default_factory=dict)  # by path, the newest record
    batches: set[str] = field(default_factory=set)  # ids of the batches already logged
    last_seq: int = 0  # highest batch sequence logged


def logged_states(
    spark: SparkSession, log_path: str, entities: Sequence[str]
) -> dict[str, LoggedState]:
    """Each entity's ``LoggedState``, from one scan of the log: a scan is a Spark job of about
    a second on a warm session, and a run checks every entity, most of them with nothing new."""
    rows = (
        spark.read.format("delta")
        .load(log_path)
        .where(F.col("entity").isin(list(entities)))
        .select(
            "entity",
            "file_path",
            "batch_id",
            "batch_seq",
            "status",
            "rows_loaded",
            "file_size_bytes",
            # Epoch milliseconds: no time zone between Spark and Python.
            F.unix_millis("file_modified_at").alias("modified_millis"),
        )
        .orderBy("batch_seq")
        .collect()
    )
    states = {entity: LoggedState() for entity in entities}
    for row in rows:
        state = states[row.entity]
        earlier = state.files.get(row.file_path)
        state.files[row.file_path] = LoggedFile(
            size_bytes=int(row.file_size_bytes),
            modified_millis=int(row.modified_millis or 0),
            status=row.status,
            batch_id=row.batch_id,
            rows_in_bronze=bool(row.rows_loaded)
            or (earlier is not None and earlier.rows_in_bronze),
        )
        state.batches.add(row.batch_id)
        state.last_seq = max(state.last_seq, row.batch_seq)
    return states


def last_committed_plan(spark: SparkSession, table_path: str) -> BatchPlan | None:
    """The newest batch plan recorded in the Bronze table's commit history."""
    # The DeltaTable API reads the log by path; no catalog (metastore) lookup is involved.
    history = DeltaTable.forPath(spark, table_path).history(20)
    for row in history.select("userMetadata").collect():
        plan = BatchPlan.from_json(row.userMetadata)
        if plan is not None:
            return plan
    return None


def batch_counts(spark: SparkSession, table_path: str, batch_id: str) -> dict[str, FileCounts]:
    """Per-file row counts of one committed batch, read back from Delta (data skipping on
    ``_batch_id`` keeps this to the batch's own data files)."""
    rows = (
        spark.read.format("delta")
        .load(table_path)
        .where(F.col(BATCH_ID) == batch_id)
        .groupBy(SOURCE_FILE)
        .agg(
            F.count(F.lit(1)).alias("rows_loaded"),
            F.count(
                F.when(F.col(RESCUED_DATA).isNotNull() | F.col(CORRUPT_RECORD).isNotNull(), 1)
            ).alias("rows_rescued"),
            F.count(CORRUPT_RECORD).alias("rows_malformed"),
            F.max(SOURCE_ROW).alias("last_row"),
        )
        .collect()
    )
    counts = {}
    for row in rows:
        # Each file is read as one partition, so positions run 1..n without gaps.
        if row.last_row != row.rows_loaded:
            raise RuntimeError(
                f"row positions of {row[SOURCE_FILE]} are not contiguous "
                f"({row.rows_loaded} rows, last position {row.last_row}); the file was split"
            )
        counts[row[SOURCE_FILE]] = FileCounts(row.rows_loaded, row.rows_rescued, row.rows_malformed)
    return counts


def log_rows(
    plan: BatchPlan, counts: dict[str, FileCounts], finished_at: dt.datetime
) -> list[tuple]:
    started_at = dt.datetime.fromisoformat(plan.started_at)
    rows = []
    for planned in plan.files:
        file_counts = counts.get(planned.path, FileCounts())
        if planned.status == "load":
            status = "flagged" if planned.missing_columns else "loaded"
            if file_counts.rows_loaded == 0:
                status = "empty"
        else:
            status = planned.status
        rows.append(
            (
                plan.entity,
                planned.path,
                planned.path.rsplit("/", 1)[-1],
                planned.size_bytes,
                dt.datetime.fromisoformat(planned.modified_at),
                plan.batch_id,
                plan.batch_seq,
                status,
                file_counts.rows_loaded,
                file_counts.rows_rescued,
                file_counts.rows_malformed,
                ",".join(planned.missing_columns) or None,
                ",".join(planned.extra_columns) or None,
                planned.error,
                started_at,
                finished_at,
            )
        )
    return rows


def append_log(spark: SparkSession, log_path: str, plan: BatchPlan, rows: list[tuple]) -> None:
    (
        spark.createDataFrame(rows, LOG_SCHEMA)
        .write.format("delta")
        .mode("append")
        .option("txnAppId", log_app_id(plan.entity))
        .option("txnVersion", plan.batch_seq)
        .save(log_path)
    )
