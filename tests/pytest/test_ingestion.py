"""Bronze ingestion: every landed row, exactly once, with lineage; bad files handled."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from dataclasses import replace
from pathlib import Path

import pytest
from bronze_helpers import expected_rows, generate
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ingestion.contract import ENTITIES, HEADERS
from ingestion.landing import LandedFile, LocalLanding, list_landed_files
from ingestion.ledger import (
    BatchPlan,
    FileCounts,
    batch_counts,
    last_committed_plan,
    logged_states,
)
from ingestion.loader import (
    ensure_bronze_tables,
    ingest_entity,
    plan_file,
    source_files,
    write_batch,
)
from lakehouse.commands.ingest import ingest
from lakehouse.settings import Settings


def delta_version(spark: SparkSession, path: str) -> int:
    return spark.sql(f"describe history delta.`{path}` limit 1").first().version


@pytest.fixture(scope="module")
def landed(
    spark: SparkSession, lakehouse_settings: Settings, tmp_path_factory: pytest.TempPathFactory
):
    """A generated landing zone ingested once into its own Bronze root."""
    root = tmp_path_factory.mktemp("bronze-main")
    settings = replace(
        lakehouse_settings, landing=str(root / "landing"), bronze=str(root / "bronze")
    )
    manifest = generate(
        settings.landing_dir,
        "--days",
        "2",
        "--orders-per-day",
        "60",
        "--customers",
        "300",
        "--products",
        "80",
        "--dimension-exports",
        "2",
        "--seed",
        "7",
    )
    assert ingest(settings, list(ENTITIES)) == 0
    return settings, manifest


def test_every_landed_row_is_in_bronze_exactly_as_landed(spark: SparkSession, landed) -> None:
    settings, manifest = landed
    for entry in manifest["files"]:
        path = settings.landing_dir / entry["path"]
        entity = entry["entity"]
        columns = HEADERS[entity]
        table = spark.read.format("delta").load(settings.bronze_table_path(entity))
        rows = (
            table.where(F.col("_source_file") == str(path.resolve()))
            .orderBy("_source_row")
            .collect()
        )
        expected = expected_rows(path, len(columns))

        assert len(rows) == entry["rows"] == len(expected), entry["path"]
        assert [row._source_row for row in rows] == list(range(1, len(rows) + 1))
        malformed = sum(entry.get("malformed", {}).values())
        assert sum(1 for row in rows if row._corrupt_record is not None) == malformed, entry["path"]
        for row, (fields, raw) in zip(rows, expected, strict=True):
            if raw is not None:
                assert row._corrupt_record == raw
                assert all(row[column] is None for column in columns)
            else:
                assert [row[column] for column in columns] == fields
                assert row._corrupt_record is None
            assert row._batch_id and row._ingested_at and row._file_modified_at


def test_bronze_columns_are_strings_plus_lineage(spark: SparkSession, landed) -> None:
    settings, _ = landed
    for entity in ENTITIES:
        schema = spark.read.format("delta").load(settings.bronze_table_path(entity)).schema
        types = {field.name: field.dataType.simpleString() for field in schema}
        assert [name for name in types if not name.startswith("_")] == list(HEADERS[entity])
        assert all(types[column] == "string" for column in HEADERS[entity])
        assert types["_source_row"] == "bigint"
        assert types["_ingested_at"] == "timestamp"
        # Statistics only where readers filter (dbt's watermark and batches, ingestion's
        # read-back of a batch, audits by file); whole paths.
        detail = spark.sql(f"describe detail delta.`{settings.bronze_table_path(entity)}`")
        properties = detail.first().properties
        assert properties["delta.dataSkippingStatsColumns"] == (
            "_ingested_at,_batch_id,_source_file"
        )
        assert properties["delta.dataSkippingStringPrefixLength"] == "1024"


def test_ingestion_log_has_a_row_per_file_with_counts(spark: SparkSession, landed) -> None:
    settings, manifest = landed
    log = spark.read.format("delta").load(settings.bronze_table_path("_ingestion_log"))
    by_path = {row.file_path: row for row in log.collect()}
    assert len(by_path) == len(manifest["files"])
    for entry in manifest["files"]:
        row = by_path[str((settings.landing_dir / entry["path"]).resolve())]
        assert row.status == "loaded"
        assert row.rows_loaded == entry["rows"]
        assert row.rows_malformed == sum(entry.get("malformed", {}).values())
        assert row.file_size_bytes == (settings.landing_dir / entry["path"]).stat().st_size
        assert row.error is None


def test_one_read_of_the_log_gives_each_entity_its_own_state(spark: SparkSession, landed) -> None:
    settings, manifest = landed
    log_path = settings.bronze_table_path("_ingestion_log")
    states = logged_states(spark, log_path, [*ENTITIES, "not_an_entity"])
    for entity in ENTITIES:
        landed_paths = {
            str((settings.landing_dir / entry["path"]).resolve())
            for entry in manifest["files"]
            if entry["entity"] == entity
        }
        assert set(states[entity].files) == landed_paths, entity
        for path, logged in states[entity].files.items():
            # What a later run compares the landed file with, to see whether it changed.
            stat = Path(path).stat()
            assert logged.signature == (stat.st_size, stat.st_mtime_ns // 1_000_000), path
            assert logged.rows_in_bronze == (logged.status in ("loaded", "flagged")), path
        # `landed` ingested each entity's files in one batch.
        assert states[entity].last_seq == 1, entity
        assert len(states[entity].batches) == 1, entity
    assert not states["not_an_entity"].files
    assert states["not_an_entity"].last_seq == 0


def test_rerun_adds_nothing_and_writes_nothing(spark: SparkSession, landed) -> None:
    settings, _ = landed
    versions = {
        entity: delta_version(spark, settings.bronze_table_path(entity)) for entity in ENTITIES
    }
    counts = {
        entity: spark.read.format("delta").load(settings.bronze_table_path(entity)).count()
        for entity in ENTITIES
    }
    assert ingest(settings, list(ENTITIES)) == 0
    for entity in ENTITIES:
        path = settings.bronze_table_path(entity)
        assert delta_version(spark, path) == versions[entity], entity
        assert spark.read.format("delta").load(path).count() == counts[entity]


def test_a_new_day_loads_only_the_new_file(spark: SparkSession, landed) -> None:
    settings, _ = landed
    manifest = generate(settings.landing_dir, "--append", "--days", "1", "--dimension-exports", "0")
    new_entry = manifest["files"][-1]
    assert new_entry["entity"] == "order_items"
    result = ingest_entity(spark, settings, "order_items", progress=lambda _: None)
    assert result.files_new == 1
    assert result.rows_loaded == new_entry["rows"]
    table = spark.read.format("delta").load(settings.bronze_table_path("order_items"))
    total = sum(entry["rows"] for entry in manifest["files"] if entry["entity"] == "order_items")
    assert table.count() == total
    assert table.select("_source_file", "_source_row").distinct().count() == total


def test_interrupted_batch_is_completed_by_the_next_run(
    spark: SparkSession, lakehouse_settings: Settings, tmp_path: Path
) -> None:
    """Rows committed but never logged (a crash between the two commits) are logged, not
    loaded again, by the next run."""
    settings = replace(
        lakehouse_settings, landing=str(tmp_path / "landing"), bronze=str(tmp_path / "bronze")
    )
    manifest = generate(
        settings.landing_dir, "--days", "2", "--orders-per-day", "30", "--seed", "3"
    )
    ensure_bronze_tables(spark, settings)
    files = list_landed_files(settings.landing_dir, "order_items")
    planned = [plan_file(file, LocalLanding(settings.landing_dir)) for file in files[:1]]
    plan = BatchPlan(
        "order_items",
        "order_items-crashed-000001",
        1,
        "2025-01-01T00:00:00+00:00",
        [item for item, _ in planned],
    )
    write_batch(
        spark, settings, plan, [(files[0], planned[0][1])], dt.datetime.now(tz=dt.timezone.utc)
    )
    assert (
        last_committed_plan(spark, settings.bronze_table_path("order_items")).batch_id
        == plan.batch_id
    )

    result = ingest_entity(spark, settings, "order_items", progress=lambda _: None)
    assert result.recovered_batches == 1
    assert result.files_new == len(files) - 1
    table = spark.read.format("delta").load(settings.bronze_table_path("order_items"))
    expected = sum(entry["rows"] for entry in manifest["files"] if entry["entity"] == "order_items")
    assert table.count() == expected
    log = spark.read.format("delta").load(settings.bronze_table_path("_ingestion_log"))
    assert log.where("entity = 'order_items'").count() == len(files)
    rows_by_path = {
        str((settings.landing_dir / entry["path"]).resolve()): entry["rows"]
        for entry in manifest["files"]
    }
    recovered = log.where(f"batch_id = '{plan.batch_id}'").first()
    assert recovered.rows_loaded == rows_by_path[files[0].key]


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_bad_files_are_handled_and_the_rest_still_load(
    spark: SparkSession,
    lakehouse_settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = replace(
        lakehouse_settings, landing=str(tmp_path / "landing"), bronze=str(tmp_path / "bronze")
    )
    folder = settings.landing_dir / "brands"
    write(folder / "a_good.csv", b"brand_code,brand_name,category_code\nVOLT,Volt,CE\n")
    write(
        folder / "b_extra.csv",
        b"Brand_Code, brand_name ,category_code,launch_year\nGLOW,Glow,BTY,2019\nNOVA,Nova,CE,\n",
    )
    write(folder / "c_missing.csv", b"brand_code,brand_name\nPAGE,Page\n")
    write(folder / "d_unmatched.csv", b"sku,price\n1,2\n")
    write(folder / "e_empty.csv", b"")
    write(folder / "f_header_only.csv", b"brand_code,brand_name,category_code\n")
    write(folder / "g_bad_utf8.csv", b"brand_code,brand_name,category_code\nZED,Z\xff\xfeed,CE\n")
    # Read in the same scan as a_good.csv (same header): Spark names it by a percent-encoded URI.
    odd = write(
        folder / "h odd name %20 #1 \u00fc.csv",
        b"brand_code,brand_name,category_code\nODD,Odd,CE\nEVEN,Even,CE\n",
    )

    assert ingest(settings, ["brands"]) == 1
    captured = capsys.readouterr()
    assert "d_unmatched.csv" in captured.err and "matches none" in captured.err

    table = spark.read.format("delta").load(settings.bronze_table_path("brands"))
    rows = {row.brand_code: row for row in table.collect()}
    assert set(rows) == {"VOLT", "GLOW", "NOVA", "PAGE", "ZED", "ODD", "EVEN"}
    assert (rows["ODD"]._source_file, rows["ODD"]._source_row) == (str(odd.resolve()), 1)
    assert (rows["EVEN"]._source_file, rows["EVEN"]._source_row) == (str(odd.resolve()), 2)
    assert rows["VOLT"]._source_row == rows["ZED"]._source_row == 1
    assert json.loads(rows["GLOW"]._rescued_data) == {"launch_year": "2019"}
    assert rows["NOVA"]._rescued_data is None
    assert rows["PAGE"].category_code is None
    assert "\ufffd" in rows["ZED"].brand_name

    log = {
        row.file_name: row
        for row in spark.read.format("delta")
        .load(settings.bronze_table_path("_ingestion_log"))
        .collect()
    }
    assert log["a_good.csv"].status == "loaded"
    assert log["b_extra.csv"].extra_columns == "launch_year"
    assert log["c_missing.csv"].status == "flagged"
    assert log["c_missing.csv"].missing_columns == "category_code"
    assert log["d_unmatched.csv"].status == "quarantined"
    assert "d_unmatched.csv" in log["d_unmatched.csv"].error
    assert log["e_empty.csv"].status == "empty"
    assert log["f_header_only.csv"].status == "empty"
    assert log["g_bad_utf8.csv"].status == "loaded"
    assert log[odd.name].rows_loaded == 2
    # Bronze's file time (Spark's `_metadata`) is the one the log recorded from the listing.
    assert rows["ODD"]._file_modified_at == log[odd.name].file_modified_at
    assert rows["VOLT"]._file_modified_at == log["a_good.csv"].file_modified_at

    # The log's counts are the committed rows', read back.
    (batch_id,) = {row.batch_id for row in log.values()}
    assert batch_counts(spark, settings.bronze_table_path("brands"), batch_id) == {
        row.file_path: FileCounts(row.rows_loaded, row.rows_rescued, row.rows_malformed)
        for row in log.values()
        if row.rows_loaded
    }

    # Quarantined files are recorded, not retried; --allow-quarantined turns the exit code off.
    assert ingest(settings, ["brands"], allow_quarantined=True) == 0
    assert table.count() == 7


def test_spark_file_uris_are_paired_with_the_landed_files(tmp_path: Path) -> None:
    odd = write(tmp_path / "a b%20#ü.csv", b"x\n")
    plain = write(tmp_path / "plain.csv", b"x\n")
    files = list_landed_files(tmp_path.parent, tmp_path.name)
    row_uris = ["file:" + urllib.parse.quote(str(path.resolve())) for path in (plain, odd)]
    uris = [uri.replace("file:", "file://") for uri in row_uris]  # as inputFiles() spells them
    paired = source_files(uris, files)
    assert [(item.uri, item.key) for item in paired] == [
        (row_uris[0], str(plain.resolve())),
        (row_uris[1], str(odd.resolve())),
    ]
    with pytest.raises(RuntimeError, match="not one of the batch's files"):
        source_files([*uris, "file:/elsewhere.csv"], files)
    with pytest.raises(RuntimeError, match="1 of the batch's 2 files"):
        source_files(uris[:1], files)


def test_object_store_uris_are_paired_with_the_landed_files() -> None:
    """On S3 the listing's key is the object's URI; Spark percent-encodes what needs it and
    a row's file path spells the URI as ``inputFiles`` does."""
    modified = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    keys = ["s3a://lake/landing/brands/plain.csv", "s3a://lake/landing/brands/a b#ü.csv"]
    files = [LandedFile("brands", key, 1, modified) for key in keys]
    uris = [keys[0], "s3a://lake/landing/brands/a%20b%23%C3%BC.csv"]
    paired = source_files(uris, files)
    assert [(item.uri, item.key) for item in paired] == list(zip(uris, keys, strict=True))
    with pytest.raises(RuntimeError, match="not one of the batch's files"):
        source_files([*uris, "s3a://other/landing/brands/plain.csv"], files)
