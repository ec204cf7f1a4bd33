"""Issue 21: copilot_metrics.spark.load reads the successor usage-metrics reports as cm.load does.

One folder holds a legacy export (2 days) and ten report files from ``tests/fixtures/usage_reports``:
five layouts (a 28-day wrapper object, a flat enterprise record, an array of user records, a flat
record behind a UTF-8 BOM, NDJSON user rows), the two shards of one users report, the two
overlapping 28-day reports, a record with unknown keys and values, and the endpoint's
``download_links`` metadata (refused, with ``on_invalid="quarantine"``).  The report files reach
the executors as paths; their outcomes come back pickled, and the driver applies the options.
Expected figures are worked out by hand from the fixtures' README (``fixtures/usage_reports``):

* ``agg_days`` 11: wrapper 2 (05-10, 05-11) + flat enterprise 1 + BOM 1 + overlapping pair 6
  (05-01, 05-02, 05-24, 05-27, 05-29, 05-30) + unknown keys 1;
* ``user_days`` 8: array of user records 2 + the shards 3 + 3;
* ``reports`` 8 rows: one per file, the two shards one report (``shards`` 2, ``records`` 6);
* ``conflicts`` 17: the overlapping pair's one differing unit (05-27), per column;
* ``schema_drift`` 4: the 3 unknown paths and ``value:haiku_review``;
* ``user_logins`` 4: 9001, 9002, 9003 of the shards and 9004 (9001 again) of the array file.

A last case sends report files (a gzip one too) down the route of ``s3a:``/``hdfs:`` paths, where
the executors get each file's bytes from Spark's ``binaryFile`` source instead of its path.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

pytest.importorskip("pyspark", reason="pyspark is in the test extra; CI installs it")

import copilot_metrics as cm
from copilot_metrics import spark as cms
from copilot_metrics.dataset import SUCCESSOR_SIDE_TABLES
from copilot_metrics.successor import TABLES as REPORT_TABLES
from copilot_metrics.tables import SIDE_TABLES, TABLES
from copilot_metrics.testing import assert_dataset_equal
from helpers import skip_without_java, totals_day, write_export

skip_without_java()

pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark"),
]

FIXTURES = Path(__file__).parent / "fixtures" / "usage_reports"
REPORT_FILES = (
    "layout_wrapper_object_organization_28_day.json",
    "layout_flat_record_enterprise_1_day.json",
    "layout_array_of_user_records_enterprise_users_1_day.json",
    "layout_utf8_bom_flat_record_organization_1_day.json",
    "shard_organization_users_28_day_part_1_of_2.ndjson",
    "shard_organization_users_28_day_part_2_of_2.ndjson",
    "overlap_organization_28_day_created_2026_05_29.json",
    "overlap_organization_28_day_created_2026_05_31.json",
    "quirk_unknown_keys_and_values.json",
    "refuse_report_links_metadata.json",
)
STAMP = 1_700_000_000  # a whole second: Hadoop lists milliseconds


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark-reports")
    for name in REPORT_FILES:
        shutil.copyfile(FIXTURES / name, root / name)
        os.utime(root / name, (STAMP, STAMP))
    write_export(root / "legacy.json", totals_day("2025-01-01", 3), totals_day("2025-01-02", 4), mtime=STAMP)
    return root


@pytest.fixture(scope="module")
def loaded(spark: Any, folder: Path) -> cms.SparkLoad:
    return cms.load(spark, str(folder))  # on_invalid defaults to "quarantine" on Spark


@pytest.fixture(scope="module")
def expected(folder: Path) -> cm.Dataset:
    return cm.load(str(folder), on_invalid="quarantine")


def from_spark(frame: Any, schema: pl.Schema) -> pl.DataFrame:
    got = pl.from_arrow(frame.toArrow())
    assert isinstance(got, pl.DataFrame)
    return got.cast(dict(schema))


def assert_same_side_tables(got: cm.Dataset, want: cm.Dataset) -> None:
    """The successor side tables, which ``assert_dataset_equal`` does not compare."""
    for name in SUCCESSOR_SIDE_TABLES:
        assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)


def test_spark_load_of_reports_and_a_legacy_file_gives_the_dataset_of_cm_load(
    loaded: cms.SparkLoad, expected: cm.Dataset
) -> None:
    ds = loaded.dataset
    assert_dataset_equal(ds, expected, check_validation=True)
    assert_same_side_tables(ds, expected)
    # the figures worked out by hand (module docstring), so that equal cannot mean equally empty
    assert ds.days.select(pl.col("date").cast(pl.String), "total_active_users").rows() == [
        ("2025-01-01", 3),
        ("2025-01-02", 4),
    ]
    assert sorted(ds.tables["agg_days"]["date"].cast(pl.String).to_list()) == [
        "2026-05-01",
        "2026-05-02",
        "2026-05-10",
        "2026-05-11",
        "2026-05-12",
        "2026-05-16",
        "2026-05-21",
        "2026-05-24",
        "2026-05-27",
        "2026-05-29",
        "2026-05-30",
    ]
    assert ds.tables["user_days"].height == 8
    assert ds.reports.height == 8
    shards = ds.reports.filter(pl.col("kind") == "organization-users-28-day")
    assert shards.select("shards", "records", "days_kept").rows() == [(2, 6, 4)]
    # the overlapping pair: 05-27 from the report created on 05-31, restated DAU 3 (the earlier said 2)
    day_27 = ds.tables["agg_days"].filter(pl.col("date") == dt.date(2026, 5, 27))
    assert day_27["daily_active_users"].to_list() == [3]
    assert ds.conflicts.height == 17
    assert set(ds.conflicts["date"].to_list()) == {dt.date(2026, 5, 27)}
    assert ds.schema_drift["path"].to_list() == [
        "daily_active_hovercraft_users",
        "totals_by_feature[].hover_ms",
        "totals_by_hovercraft",
        "value:haiku_review",
    ]
    assert ds.user_logins.height == 4
    refused = ds.sources.filter(pl.col("state") == "refused")
    assert refused.select(pl.col("source").str.ends_with("refuse_report_links_metadata.json"), "reason").rows() == [
        (True, "report-links")
    ]  # a FormatError raised on an executor, pickled to the driver
    assert ds.sources.group_by("family").len().sort("family", nulls_last=True).rows() == [
        ("legacy", 1),
        ("reports", 9),
        (None, 1),
    ]


def test_every_table_and_side_table_is_a_spark_dataframe_equal_to_the_polars_one(
    loaded: cms.SparkLoad, expected: cm.Dataset
) -> None:
    assert list(loaded.tables) == [*TABLES, *REPORT_TABLES]
    for name, frame in loaded.tables.items():
        assert frame.schema == cms.spark_schema(name), name
        schema = TABLES[name].schema if name in TABLES else REPORT_TABLES[name].schema
        assert_frame_equal(from_spark(frame, schema), expected.tables[name], check_exact=True)
    assert loaded.tables["agg_days"].count() == 11
    assert loaded.tables["user_days"].count() == 8
    for name in ("findings", "conflicts"):
        frame = getattr(loaded, name)
        assert frame.schema == cms.spark_schema(name)
        assert_frame_equal(from_spark(frame, SIDE_TABLES[name].schema), getattr(expected, name), check_exact=True)
    for name in SUCCESSOR_SIDE_TABLES:
        frame = getattr(loaded, name)
        assert frame.schema == cms.spark_schema(name), name
        assert_frame_equal(from_spark(frame, getattr(expected, name).schema), getattr(expected, name), check_exact=True)
    # sources and quarantine: their declared columns end with the ones the reports need, as text
    added_by_reports = {"sources": ["family", "report_id", "record_kinds", "flavor"], "quarantine": ["record_json"]}
    for name, added in added_by_reports.items():
        frame = getattr(loaded, name)
        assert frame.columns == SIDE_TABLES[name].schema.names()
        assert frame.columns[-len(added) :] == added
        assert [frame.schema[c].dataType.simpleString() for c in added] == ["string"] * len(added)
        want = getattr(expected, name)
        assert_frame_equal(from_spark(frame, want.schema), want.select(frame.columns), check_exact=True)


def test_declared_spark_types_of_the_successor_tables(loaded: cms.SparkLoad) -> None:
    agg = dict(loaded.tables["agg_days"].dtypes)
    assert (agg["date"], agg["daily_active_users"], agg["enterprise_id"]) == ("date", "bigint", "string")
    reports = dict(loaded.reports.dtypes)
    assert (reports["created_at"], reports["export_time"], reports["wrapper_days"], reports["shard_sources"]) == (
        "timestamp",
        "timestamp_ntz",
        "array<array<date>>",
        "array<string>",
    )
    # created_at is an instant (UTC): 2026-05-31T04:00:00Z for the later overlapping report
    back = pl.from_arrow(loaded.reports.select("created_at").toArrow())
    assert isinstance(back, pl.DataFrame)
    assert back.height == 8
    assert dt.datetime(2026, 5, 31, 4, tzinfo=dt.timezone.utc) in back["created_at"].to_list()


def test_report_options_as_in_cm_load(spark: Any, folder: Path, tmp_path: Path) -> None:
    # reports="refuse": every report file refused as the legacy reader refuses it; the legacy days load
    got = cms.load(spark, str(folder), reports="refuse")
    want = cm.load(str(folder), on_invalid="quarantine", reports="refuse")
    assert_dataset_equal(got.dataset, want, check_validation=True)
    assert_same_side_tables(got.dataset, want)
    assert got.dataset.sources.filter(pl.col("state") == "refused").height == 10  # 9 reports + the metadata
    assert got.tables["agg_days"].count() == 0
    assert got.tables["days"].count() == 2
    # scope_level="enterprise": every report's level and kind follow
    shards = [str(folder / name) for name in REPORT_FILES if name.startswith("shard_")]
    got = cms.load(spark, shards, scope_level="enterprise", on_invalid="raise")
    want = cm.load(shards, scope_level="enterprise")
    assert_dataset_equal(got.dataset, want, check_validation=True)
    assert_same_side_tables(got.dataset, want)
    assert got.reports.select("level", "kind").collect()[0].asDict() == {
        "level": "enterprise",
        "kind": "enterprise-users-28-day",
    }
    # on_drift="raise": the error cm.load raises, naming the 3 new paths
    unknown = str(folder / "quirk_unknown_keys_and_values.json")
    with pytest.raises(cm.SchemaDriftError) as info:
        cm.load(unknown, on_drift="raise")
    with pytest.raises(cm.SchemaDriftError) as spark_info:
        cms.load(spark, unknown, on_drift="raise")
    assert spark_info.value.message == info.value.message
    for path in ("daily_active_hovercraft_users", "totals_by_feature[].hover_ms", "totals_by_hovercraft"):
        assert path in spark_info.value.message
    # a wrong value is refused before Spark reads anything
    for option, value in (("reports", "skip"), ("scope_level", "team"), ("on_drift", "ignore")):
        with pytest.raises(ValueError, match=f"^{option} must be"):
            cms.load(spark, str(tmp_path / "nothing-here"), **{option: value})


def test_report_files_listed_and_read_by_hadoop_load_as_in_cm_load(spark: Any, tmp_path: Path) -> None:
    """The route of s3a:/hdfs: paths: the executors get each file's bytes (a gzip one too), not its path."""
    names = (
        "shard_organization_users_28_day_part_1_of_2.ndjson",
        "shard_organization_users_28_day_part_2_of_2.ndjson",
        "layout_gzip_ndjson_organization_users_1_day.ndjson.gz",
    )
    for name in names:
        shutil.copyfile(FIXTURES / name, tmp_path / name)
        os.utime(tmp_path / name, (STAMP, STAMP))
    spark.conf.set(cms.LISTING, "hadoop")
    try:
        got = cms.load(spark, str(tmp_path), on_invalid="raise")
    finally:
        spark.conf.unset(cms.LISTING)
    want = cm.load(str(tmp_path))
    assert_dataset_equal(got.dataset, want, check_validation=True)
    assert_same_side_tables(got.dataset, want)
    # the shards are one report, the gzip file (05-15: 9001, 9003) another; 05-15 (also in shard 2) is one
    # unit of the two, won by one of them whole, the other's differing rows in ds.conflicts (shape as text)
    assert sorted(got.dataset.reports.select("kind", "shards", "layout").rows()) == [
        ("organization-users-1-day", 1, "ndjson+gzip"),
        ("organization-users-28-day", 2, "ndjson"),
    ]
    # no created_at, the same last date and modification time: the path decides, shard_... after layout_...,
    # so 05-15 is the shard's (9003 alone): 05-12 2, 05-13 1, 05-14 2, 05-15 1
    assert got.tables["user_days"].count() == want.tables["user_days"].height == 6
    assert want.conflicts.filter(pl.col("column") == "shape").height == 1
