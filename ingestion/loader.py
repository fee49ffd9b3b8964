"""Load newly landed files of each entity into its Bronze Delta table, exactly once."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession

from ingestion.contract import ENTITIES
from ingestion.hadoop_landing import open_landing
from ingestion.headers import HeaderMatch, match_header, parse_header_line
from ingestion.landing import LandedFile, LandingZone, header_line, modified_millis, settle
from ingestion.ledger import (
    CHANGED_AFTER_LOAD,
    BatchPlan,
    FileCounts,
    LoggedFile,
    LoggedState,
    PlannedFile,
    append_log,
    batch_counts,
    data_app_id,
    ensure_delta_table,
    last_committed_plan,
    log_rows,
    logged_states,
)
from ingestion.schema import (
    BRONZE_TABLE_PROPERTIES,
    LOG_SCHEMA,
    LOG_TABLE,
    SOURCE_ROW,
    bronze_schema,
)
from ingestion.transform import BronzeLineage, SourceFile, read_landed_csv, to_bronze
from lakehouse.printable import printable
from lakehouse.settings import Settings

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
    changed: list[tuple[str, str]] = field(default_factory=list)  # changed after load
    in_flight: list[str] = field(default_factory=list)  # still being written: a later run

    @property
    def needs_attention(self) -> bool:
        """A file was quarantined or changed after it was loaded: the run exits 1."""
        return bool(self.quarantined or self.changed)


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


def plan_file(file: LandedFile, zone: LandingZone) -> tuple[PlannedFile, HeaderMatch | None]:
    """Decide what to do with one file from its header alone. A file whose header cannot be
    read or parsed, for whatever reason, is quarantined with that reason: it never stops the
    others."""
    planned = PlannedFile(
        path=file.key,
        size_bytes=file.size_bytes,
        modified_at=file.modified_at.isoformat(),
        status="load",
    )
    try:
        header = header_line(zone.first_line(file))
        fields = None if header is None else parse_header_line(header)
    except (OSError, ValueError, csv.Error) as error:
        planned.status = "quarantined"
        planned.error = printable(f"{file.name}: the header could not be read: {error}")
        return planned, None
    if fields is None:
        planned.status = "empty"
        return planned, None
    match = match_header(file.entity, fields)
    if not match.usable:
        planned.status = "quarantined"
        planned.error = printable(f"{file.name}: {match.error}")
        return planned, None
    planned.missing_columns = list(match.missing)
    planned.extra_columns = list(match.extra)
    if match.missing:
        planned.error = printable(
            f"{file.name}: contract column(s) missing, loaded as null: {list(match.missing)}"
        )
    return planned, match


def plan_changed(file: LandedFile, logged: LoggedFile) -> PlannedFile:
    """A file whose rows are in Bronze and which has changed since: reported, not reloaded
    (docs/ingestion.md, "Files that change after they were loaded")."""
    was = dt.datetime.fromtimestamp(logged.modified_millis / 1000, tz=dt.timezone.utc)
    return PlannedFile(
        path=file.key,
        size_bytes=file.size_bytes,
        modified_at=file.modified_at.isoformat(),
        status=CHANGED_AFTER_LOAD,
        error=printable(
            f"{file.name}: {CHANGED_AFTER_LOAD}: loaded in batch {logged.batch_id} as "
            f"{logged.size_bytes:,} bytes modified {was:%Y-%m-%d %H:%M:%S}, now "
            f"{file.size_bytes:,} bytes modified {file.modified_at:%Y-%m-%d %H:%M:%S}; its "
            "rows were not loaded again: land the corrected or missing rows as a new file",
            limit=600,
        ),
    )


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
    """Append the batch's rows in one Delta commit; return per-file counts, read back from the
    committed rows (``batch_counts``: the same way an interrupted batch is completed).

    Files are read with one scan per distinct header (a daily feed has one), not one per file:
    a union of many small scans costs far more than one scan of the same files.
    """
    by_header: dict[HeaderMatch, list[LandedFile]] = {}
    for file, match in loadable:
        by_header.setdefault(match, []).append(file)
    frames: list[DataFrame] = []
    for match, files in by_header.items():
        raw = read_landed_csv(spark, [file.location for file in files], match)
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
    return batch_counts(spark, table_path, plan.batch_id)


def write_batch_isolating(
    spark: SparkSession,
    settings: Settings,
    plan: BatchPlan,
    loadable: list[tuple[LandedFile, HeaderMatch]],
    ingested_at: dt.datetime,
    progress: Progress,
) -> tuple[dict[str, FileCounts], list[tuple[LandedFile, HeaderMatch]]]:
    """``write_batch``; when Spark fails on the batch, find the files it cannot read (each
    read on its own, nothing written), quarantine them in the plan and write the rest.

    A failure no single file explains (a full disk, a lost executor) is raised as it is.
    Returns the counts and the files that were written.
    """
    try:
        return write_batch(spark, settings, plan, loadable, ingested_at), loadable
    except Exception as batch_error:
        unreadable = {}
        for file, match in loadable:
            reason = read_failure(spark, plan, file, match, ingested_at)
            if reason is not None:
                unreadable[file.key] = reason
        if not unreadable:
            raise batch_error from None
    for planned in plan.files:
        if planned.path in unreadable:
            planned.status = "quarantined"
            planned.missing_columns, planned.extra_columns = [], []
            planned.error = unreadable[planned.path]
    rest = [(file, match) for file, match in loadable if file.key not in unreadable]
    progress(f"  {plan.entity}: {len(unreadable)} file(s) Spark could not read, set aside")
    if not rest:
        return {}, []
    return write_batch(spark, settings, plan, rest, ingested_at), rest


def read_failure(
    spark: SparkSession,
    plan: BatchPlan,
    file: LandedFile,
    match: HeaderMatch,
    ingested_at: dt.datetime,
) -> str | None:
    """Why Spark cannot read ``file`` into Bronze rows (one full read, nothing written), or
    None when it can."""
    try:
        raw = read_landed_csv(spark, [file.location], match)
        lineage = BronzeLineage(plan.batch_id, ingested_at, source_files(raw.inputFiles(), [file]))
        with one_partition_per_file(spark, file.size_bytes):
            to_bronze(raw, plan.entity, match, lineage).write.format("noop").mode(
                "overwrite"
            ).save()
    except Exception as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return printable(f"{file.name}: Spark could not read the file: {first_line}")
    return None


def source_files(uris: Sequence[str], files: Sequence[LandedFile]) -> tuple[SourceFile, ...]:
    """Pair Spark's name for each file (a percent-encoded URI) with the landed file.

    ``DataFrame.inputFiles`` spells a local file ``file:///p``; a row's ``_metadata.file_path``
    spells it ``file:/p`` (Hadoop's ``Path.toUri``), and that is the spelling kept. A file on
    another file system (``s3a://bucket/key``) is spelt the same way in both.
    """
    by_key = {file.key: file for file in files}
    paired = []
    for uri in uris:
        parsed = urllib.parse.urlsplit(uri)
        if parsed.scheme == "file" and not parsed.netloc:
            key, row_uri = urllib.parse.unquote(parsed.path), f"file:{parsed.path}"
        else:
            key = f"{parsed.scheme}://{parsed.netloc}{urllib.parse.unquote(parsed.path)}"
            row_uri = uri
        file = by_key.get(key)
        if file is None:
            raise RuntimeError(f"Spark read {uri}, which is not one of the batch's files")
        paired.append(SourceFile(uri=row_uri, key=file.key))
    if len(paired) != len(files):
        raise RuntimeError(f"Spark listed {len(paired)} of the batch's {len(files)} files")
    return tuple(paired)


def record(
    result: EntityResult,
    plan: BatchPlan,
    counts: dict[str, FileCounts],
    names: dict[str, str],
    progress: Progress,
) -> None:
    """Add the batch to ``result`` and print a line per file (``names``: key → the file's
    path relative to the landing zone)."""
    for planned in plan.files:
        file_counts = counts.get(planned.path, FileCounts())
        name = names.get(planned.path, planned.path)
        if planned.status == CHANGED_AFTER_LOAD:
            result.changed.append((planned.path, planned.error or ""))
            progress(f"  {plan.entity}: CHANGED AFTER LOAD {planned.error}")
            continue
        if planned.status == "quarantined":
            result.quarantined.append((planned.path, planned.error or ""))
            progress(f"  {plan.entity}: QUARANTINED {planned.error}")
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
    zone = open_landing(spark, settings.landing)
    return [
        ingest_entity(
            spark,
            settings,
            entity,
            max_files_per_batch=max_files_per_batch,
            progress=progress,
            logged=states[entity],
            zone=zone,
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
    zone: LandingZone | None = None,
) -> EntityResult:
    """Load the entity's newly landed files. ``logged`` is what the ingestion log holds for
    it, read here when not given; ``zone`` is the landing zone, opened here when not given."""
    table_path = settings.bronze_table_path(entity)
    log_path = settings.bronze_table_path(LOG_TABLE)
    result = EntityResult(entity)

    if logged is None:
        logged = logged_states(spark, log_path, [entity])[entity]
    logged_files, logged_batches, last_seq = dict(logged.files), logged.batches, logged.last_seq
    committed = last_committed_plan(spark, table_path)
    if committed is not None:
        last_seq = max(last_seq, committed.batch_seq)
        if committed.batch_id not in logged_batches:
            # The previous run committed this batch's rows but died before logging them.
            progress(f"  {entity}: completing interrupted batch {committed.batch_id}")
            counts = batch_counts(spark, table_path, committed.batch_id)
            append_log(spark, log_path, committed, log_rows(committed, counts, now()))
            logged_files.update(recovered_files(committed, counts))
            result.recovered_batches += 1

    zone = zone or open_landing(spark, settings.landing)
    landed = zone.list_files(entity)
    new_files, changed = triage(landed, logged_files)
    result.files_seen = len(landed)
    if not new_files and not changed:
        progress(f"{entity}: {len(landed)} file(s) landed, nothing new")
        return result
    settled = settle(
        [*new_files, *(file for file, _ in changed)],
        settings.settle_seconds if zone.visible_while_written else 0,
        restat=zone.restat,
    )
    complete = {file.key for file in settled.complete}
    for file in settled.in_flight:
        result.in_flight.append(file.key)
        progress(
            f"  {entity}: {file.name}: still being written (changed within the last "
            f"{settings.settle_seconds:g} s), left for a later run"
        )
    changed_keys = {file.key for file, _ in changed}
    new_files = [file for file in settled.complete if file.key not in changed_keys]
    changed = [(file, was) for file, was in changed if file.key in complete]
    result.files_new = len(new_files)
    names = {file.key: file.name for file in landed}
    if new_files:
        total_bytes = sum(file.size_bytes for file in new_files)
        progress(f"{entity}: {len(new_files)} new file(s), {total_bytes / 1e6:,.1f} MB")

    if changed:
        last_seq += 1
        plan = new_plan(entity, last_seq, [plan_changed(file, was) for file, was in changed])
        append_log(spark, log_path, plan, log_rows(plan, {}, now()))
        result.batches += 1
        record(result, plan, {}, names, progress)

    for start in range(0, len(new_files), max_files_per_batch):
        chunk = new_files[start : start + max_files_per_batch]
        last_seq += 1
        planned = [plan_file(file, zone) for file in chunk]
        plan = new_plan(entity, last_seq, [item for item, _ in planned])
        loadable = [
            (file, match)
            for file, (_, match) in zip(chunk, planned, strict=True)
            if match is not None  # a usable header: the file is loaded
        ]
        counts: dict[str, FileCounts] = {}
        if loadable:
            counts, _ = write_batch_isolating(
                spark,
                settings,
                plan,
                loadable,
                dt.datetime.fromisoformat(plan.started_at),
                progress,
            )
        append_log(spark, log_path, plan, log_rows(plan, counts, now()))
        result.batches += 1
        record(result, plan, counts, names, progress)
    return result


def triage(
    landed: Sequence[LandedFile], logged: dict[str, LoggedFile]
) -> tuple[list[LandedFile], list[tuple[LandedFile, LoggedFile]]]:
    """The landed files to read (never logged, or logged with no rows in Bronze and changed
    since: a quarantined or empty file that was replaced) and those whose rows are in Bronze
    but which changed since they were loaded."""
    new: list[LandedFile] = []
    changed: list[tuple[LandedFile, LoggedFile]] = []
    for file in landed:
        was = logged.get(file.key)
        if was is None:
            new.append(file)
        elif was.signature == file.signature:
            continue
        elif was.rows_in_bronze:
            changed.append((file, was))
        else:
            new.append(file)
    return new, changed


def recovered_files(plan: BatchPlan, counts: dict[str, FileCounts]) -> dict[str, LoggedFile]:
    """The ingestion log's records of a batch just completed by ``ingest_entity``."""
    return {
        planned.path: LoggedFile(
            size_bytes=planned.size_bytes,
            modified_millis=modified_millis(dt.datetime.fromisoformat(planned.modified_at)),
            status=planned.status,
            batch_id=plan.batch_id,
            rows_in_bronze=counts.get(planned.path, FileCounts()).rows_loaded > 0,
        )
        for planned in plan.files
    }


def new_plan(entity: str, seq: int, files: list[PlannedFile]) -> BatchPlan:
    started = now()
    return BatchPlan(
        entity=entity,
        batch_id=f"{entity}-{started:%Y%m%dT%H%M%SZ}-{seq:06d}",
        batch_seq=seq,
        started_at=started.isoformat(),
        files=files,
    )


def now() -> dt.datetime:
    return dt.datetime.now(tz=dt.timezone.utc)
