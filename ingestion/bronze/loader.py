"""Load newly landed files of each entity into its Bronze Delta table, exactly once."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession

from ingestion.bronze.commit_stats import counts_from_commit, read_commit
from ingestion.bronze.headers import HeaderMatch, match_header, parse_header_line
from ingestion.bronze.landing import LandedFile, list_landed_files
from ingestion.bronze.ledger import (
    BatchPlan,
    FileCounts,
    LoggedState,
    PlannedFile,
    append_log,
    batch_counts,
    committed_version,
    data_app_id,
    ensure_delta_table,
    last_committed_plan,
    log_rows,
    logged_states,
)
from ingestion.bronze.schema import (
    BRONZE_TABLE_PROPERTIES,
    LOG_SCHEMA,
    LOG_TABLE,
    SOURCE_ROW,
    bronze_schema,
)
from ingestion.bronze.transform import BronzeLineage, SourceFile, read_landed_csv, to_bronze
from ingestion.contract import ENTITIES
from ingestion.settings import Settings

Progress = Callable[[str], None]


@dataclass
class EntityResult:
    entity: str
    files_seen: int = 0
    files_new: int = 0
    rows_loaded: int = 0
    rows_rescued: int = 0
    rows_malformed: int = 0
    files_flagged: int = 0
    files_empty: int = 0
    batches: int = 0
    recovered_batches: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    flagged: list[tuple[str, str]] = field(default_factory=list)


def ensure_bronze_tables(spark: SparkSession, settings: Settings) -> None:
    """Every Bronze table and the log exist (empty at first), so dbt can always register them."""
    for entity in ENTITIES:
        ensure_delta_table(
            spark,
            settings.bronze_table_path(entity),
            bronze_schema(entity),
            BRONZE_TABLE_PROPERTIES,
        )
    ensure_delta_table(spark, settings.bronze_table_path(LOG_TABLE), LOG_SCHEMA)


def plan_file(file: LandedFile) -> tuple[PlannedFile, HeaderMatch | None]:
    """Decide what to do with one file from its header alone."""
    planned = PlannedFile(
        path=file.key,
        size_bytes=file.size_bytes,
        modified_at=file.modified_at.isoformat(),
        status="load",
    )
    header = file.header_line()
    if header is None:
        planned.status = "empty"
        return planned, None
    match = match_header(file.entity, parse_header_line(header))
    if not match.usable:
        planned.status = "quarantined"
        planned.error = f"{file.key}: {match.error}"
        return planned, None
    planned.missing_columns = list(match.missing)
    planned.extra_columns = list(match.extra)
    if match.missing:
        planned.error = (
            f"{file.key}: contract column(s) missing, loaded as null: {list(match.missing)}"
        )
    return planned, match


@contextlib.contextmanager
def one_partition_per_file(spark: SparkSession, largest_file: int) -> Iterator[None]:
    """Read every file as a single partition, so row positions are exact (see transform).

    Spark splits a file when it exceeds ``maxPartitionBytes`` or the per-core share of the
    input (bounded below by ``openCostInBytes``); raising both past the largest file keeps
    each file whole.
    """
    keys = ("spark.sql.files.maxPartitionBytes", "spark.sql.files.openCostInBytes")
    saved = {key: spark.conf.get(key, None) for key in keys}
    size = str(max(largest_file + 1, 128 * 1024 * 1024))
    for key in keys:
        spark.conf.set(key, size)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def write_batch(
    spark: SparkSession,
    settings: Settings,
    plan: BatchPlan,
    loadable: Sequence[tuple[LandedFile, HeaderMatch]],
    ingested_at: dt.datetime,
) -> dict[str, FileCounts]:
    """Append the batch's rows in one Delta commit; return per-file counts, taken from the
    commit's per-data-file statistics (see commit_stats), or read back from the committed rows
    when those fall short.

    Files are read with one scan per distinct header (a daily feed has one), not one per file:
    a union of many small scans costs far more than one scan of the same files.
    """
    by_header: dict[HeaderMatch, list[LandedFile]] = {}
    for file, match in loadable:
        by_header.setdefault(match, []).append(file)
    frames: list[DataFrame] = []
    for match, files in by_header.items():
        raw = read_landed_csv(spark, [str(file.path) for file in files], match)
        lineage = BronzeLineage(plan.batch_id, ingested_at, source_files(raw.inputFiles(), files))
        frames.append(to_bronze(raw, plan.entity, match, lineage))
    batch = functools.reduce(DataFrame.unionByName, frames)
    table_path = settings.bronze_table_path(plan.entity)
    with one_partition_per_file(spark, max(file.size_bytes for file, _ in loadable)):
        (
            batch.write.format("delta")
            .mode("append")
            .option("txnAppId", data_app_id(plan.entity))
            .option("txnVersion", plan.batch_seq)
            .option("userMetadata", plan.to_json())
            # Row positions are all distinct: Parquet's attempt at a dictionary for them is
            # wasted work (about a sixth of the write on 4 M lines); plain encoding it is.
            .option(f"parquet.enable.dictionary#{SOURCE_ROW}", "false")
            .save(table_path)
        )
    keys = {file.key for file, _ in loadable}
    version = committed_version(spark, table_path, plan.batch_id)
    counts = None
    if version is not None:
        counts = counts_from_commit(read_commit(spark, table_path, version), keys)
    return counts if counts is not None else batch_counts(spark, table_path, plan.batch_id)


def source_files(uris: Sequence[str], files: Sequence[LandedFile]) -> tuple[SourceFile, ...]:
    """Pair Spark's name for each file (a percent-encoded URI) with the landed file.

    ``DataFrame.inputFiles`` spells a local file ``file:///p``; a row's ``_metadata.file_path``
    spells it ``file:/p`` (Hadoop's ``Path.toUri``), and that is the spelling kept.
    """
    by_key = {file.key: file for file in files}
    paired = []
    for uri in uris:
        parsed = urllib.parse.urlsplit(uri)
        file = by_key.get(urllib.parse.unquote(parsed.path)) if parsed.scheme == "file" else None
        if file is None or parsed.netloc:
            raise RuntimeError(f"Spark read {uri}, which is not one of the batch's files")
        row_uri = f"{parsed.scheme}:{parsed.path}"
        paired.append(SourceFile(uri=row_uri, key=file.key))
    if len(paired) != len(files):
        raise RuntimeError(f"Spark listed {len(paired)} of the batch's {len(files)} files")
    return tuple(paired)


def record(
    result: EntityResult, plan: BatchPlan, counts: dict[str, FileCounts], progress: Progress
) -> None:
    for planned in plan.files:
        file_counts = counts.get(planned.path, FileCounts())
        name = planned.path.rsplit("/", 1)[-1]
        if planned.status == "quarantined":
            result.quarantined.append((planned.path, planned.error or ""))
            progress(f"  {plan.entity}: QUARANTINED {name}: {planned.error}")
            continue
        result.rows_loaded += file_counts.rows_loaded
        result.rows_rescued += file_counts.rows_rescued
        result.rows_malformed += file_counts.rows_malformed
        if file_counts.rows_loaded == 0:
            result.files_empty += 1
            progress(f"  {plan.entity}: {name}: empty (no data rows), recorded")
            continue
        if planned.missing_columns:
            result.files_flagged += 1
            result.flagged.append((planned.path, planned.error or ""))
        note = f", FLAGGED: missing {planned.missing_columns}" if planned.missing_columns else ""
        extra = f", extra columns rescued: {planned.extra_columns}" if planned.extra_columns else ""
        progress(
            f"  {plan.entity}: {name}: {file_counts.rows_loaded:,} rows, "
            f"{file_counts.rows_malformed:,} malformed, {file_counts.rows_rescued:,} rescued{extra}{note}"
        )


def ingest_entities(
    spark: SparkSession,
    settings: Settings,
    entities: Sequence[str],
    *,
    max_files_per_batch: int = 100,
    progress: Progress = print,
) -> list[EntityResult]:
    """``ingest_entity`` for each entity in turn, with the ingestion log read once for all."""
    states = logged_states(spark, settings.bronze_table_path(LOG_TABLE), entities)
    return [
        ingest_entity(
            spark,
            settings,
            entity,
            max_files_per_batch=max_files_per_batch,
            progress=progress,
            logged=states[entity],
        )
        for entity in entities
    ]


def ingest_entity(
    spark: SparkSession,
    settings: Settings,
    entity: str,
    *,
    max_files_per_batch: int = 100,
    progress: Progress = print,
    logged: LoggedState | None = None,
) -> EntityResult:
    """Load the entity's newly landed files. ``logged`` is what the ingestion log holds for
    it, read here when not given."""
    table_path = settings.bronze_table_path(entity)
    log_path = settings.bronze_table_path(LOG_TABLE)
    result = EntityResult(entity)

    if logged is None:
        logged = logged_states(spark, log_path, [entity])[entity]
    logged_files, logged_batches, last_seq = set(logged.files), logged.batches, logged.last_seq
    committed = last_committed_plan(spark, table_path)
    if committed is not None:
        last_seq = max(last_seq, committed.batch_seq)
        if committed.batch_id not in logged_batches:
            # The previous run committed this batch's rows but died before logging them.
            progress(f"  {entity}: completing interrupted batch {committed.batch_id}")
            counts = batch_counts(spark, table_path, committed.batch_id)
            append_log(spark, log_path, committed, log_rows(committed, counts, now()))
            logged_files |= {planned.path for planned in committed.files}
            result.recovered_batches += 1

    landed = list_landed_files(settings.landing, entity)
    new_files = [file for file in landed if file.key not in logged_files]
    result.files_seen, result.files_new = len(landed), len(new_files)
    if not new_files:
        progress(f"{entity}: {len(landed)} file(s) landed, nothing new")
        return result
    total_bytes = sum(file.size_bytes for file in new_files)
    progress(f"{entity}: {len(new_files)} new file(s), {total_bytes / 1e6:,.1f} MB")

    for start in range(0, len(new_files), max_files_per_batch):
        chunk = new_files[start : start + max_files_per_batch]
        last_seq += 1
        started = now()
        planned = [plan_file(file) for file in chunk]
        plan = BatchPlan(
            entity=entity,
            batch_id=f"{entity}-{started:%Y%m%dT%H%M%SZ}-{last_seq:06d}",
            batch_seq=last_seq,
            started_at=started.isoformat(),
            files=[item for item, _ in planned],
        )
        loadable = [
            (file, match)
            for file, (_, match) in zip(chunk, planned, strict=True)
            if match is not None  # a usable header: the file is loaded
        ]
        counts: dict[str, FileCounts] = {}
        if loadable:
            counts = write_batch(spark, settings, plan, loadable, started)
        append_log(spark, log_path, plan, log_rows(plan, counts, now()))
        result.batches += 1
        record(result, plan, counts, progress)
    return result


def now() -> dt.datetime:
    return dt.datetime.now(tz=dt.timezone.utc)
