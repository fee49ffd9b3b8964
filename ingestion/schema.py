"""Schemas of the Bronze tables and of the ingestion log."""

from __future__ import annotations

from pyspark.sql.types import (
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from ingestion.contract import HEADERS

# Lineage and rescue columns on every Bronze row, after the contract columns.
RESCUED_DATA = "_rescued_data"  # JSON of columns not in the contract: {"name": "value", ...}
CORRUPT_RECORD = "_corrupt_record"  # raw text of a line that does not parse for the header
SOURCE_FILE = "_source_file"  # absolute path of the landed file
SOURCE_ROW = "_source_row"  # 1-based position of the row among the file's data rows
BATCH_ID = "_batch_id"
INGESTED_AT = "_ingested_at"  # UTC time of the load
FILE_MODIFIED_AT = "_file_modified_at"

LINEAGE_FIELDS: tuple[StructField, ...] = (
    StructField(RESCUED_DATA, StringType()),
    StructField(CORRUPT_RECORD, StringType()),
    StructField(SOURCE_FILE, StringType(), nullable=False),
    StructField(SOURCE_ROW, LongType(), nullable=False),
    StructField(BATCH_ID, StringType(), nullable=False),
    StructField(INGESTED_AT, TimestampType(), nullable=False),
    StructField(FILE_MODIFIED_AT, TimestampType()),
)


# Delta collects min/max/null-count statistics per data file for data skipping; by default for
# the first 32 columns. Bronze's contract columns are raw strings nobody filters on, so
# statistics are kept only for the columns readers select by: dbt's incremental staging models
# read the batches after the newest one merged (`_batch_id`), source freshness reads the newest
# `_ingested_at`, ingestion reads a batch back by `_batch_id` for its per-file counts, audits go
# by file. This also takes about a third off the cost of a write (bench/results/lab-notes.md).
# String statistics keep a prefix of 32 characters by default; a landed file's path is
# recorded whole up to 1,024.
BRONZE_TABLE_PROPERTIES = {
    "delta.dataSkippingStatsColumns": ",".join((INGESTED_AT, BATCH_ID, SOURCE_FILE)),
    "delta.dataSkippingStringPrefixLength": "1024",
}


def bronze_schema(entity: str) -> StructType:
    contract = [StructField(column, StringType()) for column in HEADERS[entity]]
    return StructType([*contract, *LINEAGE_FIELDS])


LOG_TABLE = "_ingestion_log"

LOG_SCHEMA = StructType(
    [
        StructField("entity", StringType(), nullable=False),
        StructField("file_path", StringType(), nullable=False),
        StructField("file_name", StringType(), nullable=False),
        StructField("file_size_bytes", LongType(), nullable=False),
        StructField("file_modified_at", TimestampType()),
        StructField("batch_id", StringType(), nullable=False),
        StructField("batch_seq", LongType(), nullable=False),
        # loaded | flagged (loaded, contract columns missing) | empty | quarantined |
        # changed_after_load (rows in Bronze, the file changed since: not loaded again)
        StructField("status", StringType(), nullable=False),
        StructField("rows_loaded", LongType(), nullable=False),
        StructField("rows_rescued", LongType(), nullable=False),
        StructField("rows_malformed", LongType(), nullable=False),
        StructField("missing_columns", StringType()),
        StructField("extra_columns", StringType()),
        StructField("error", StringType()),
        StructField("started_at", TimestampType(), nullable=False),
        StructField("finished_at", TimestampType(), nullable=False),
    ]
)
