"""Issue 13 §1: copilot_metrics.spark.load on local[2] gives the tables of cm.load on the same files,
row for row; the result written as Parquet reads back with cm.read_parquet; Spark reads the
Parquet dataset with its defaults (§2).

The archive is small and built here: an org and one of its teams exporting 14-day windows every
4 days (overlaps, one late correction per scope), a file with one day failing the schema (set
aside with on_invalid="quarantine"), and an API error body, which is not an export.  Every file's
modification time is a whole second (Spark reports milliseconds, cm.load the full st_mtime).
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

pytest.importorskip("pyspark", reason="pyspark is in the test extra; CI installs it")


import copilot_metrics as cm
from copilot_metrics import spark as cms
from copilot_metrics.tables import SIDE_TABLES, TABLES
from copilot_metrics.testing import assert_dataset_equal
from helpers import skip_without_java

skip_without_java()

pytestmark = [
    # pyspark 4.x warns on import of its Arrow helpers when pandas is 3.x
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark"),
]

D = datetime.date
ALL = (*TABLES, *SIDE_TABLES)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("spark-archive")
    files = cm.examples.generate_archive(
        root,
        scopes=(("octo-org", None), ("octo-org", "platform")),
        start=D(2025, 3, 1),
        end=D(2025, 3, 24),
        window_days=14,
        export_every_days=4,
        n_languages=3,
        below_threshold=(D(2025, 3, 10),),
    )
    assert cm.examples.late_corrections(
        scopes=(("octo-org", None), ("octo-org", "platform")),
        start=D(2025, 3, 1),
        end=D(2025, 3, 24),
        window_days=14,
        export_every_days=4,
    )
    bad = [{"date": "2025-03-30", "total_active_users": "many"}, {"date": "2025-03-31", "total_active_users": 4}]
    (root / "octo-org" / "copilot-metrics-2025-04-01.json").write_text(json.dumps(bad))
    (root / "octo-org" / "copilot-metrics-2025-04-02.json").write_text(
        json.dumps({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
    )
    for i, path in enumerate(sorted(root.rglob("*.json"))):
        os.utime(path, (1_750_000_000 + i, 1_750_000_000 + i))
    assert len(files) >= 12
    return [str(root / "{org}" / "*.json"), str(root / "{org}" / "teams" / "{team}" / "*.json")]


@pytest.fixture(scope="module")
def expected(archive: list[str]) -> cm.Dataset:
    return cm.load(archive, on_invalid="quarantine")


@pytest.fixture(scope="module")
def loaded(spark: Any, archive: list[str]) -> cms.SparkLoad:
    return cms.load(spark, archive)


def from_spark(frame: Any, name: str) -> pl.DataFrame:
    got = pl.from_arrow(frame.toArrow())
    assert isinstance(got, pl.DataFrame)
    schema = TABLES[name].schema if name in TABLES else SIDE_TABLES[name].schema
    return got.cast(dict(schema))


def test_the_archive_holds_overlaps_a_late_correction_a_quarantined_day_and_a_file_that_is_not_an_export(
    expected: cm.Dataset,
) -> None:
    assert expected.sources["days_identical"].sum() > 0  # overlapping exports
    assert expected.conflicts.height > 0  # the late corrections
    assert expected.quarantine["date"].to_list() == ["2025-03-30"]
    assert expected.sources.filter(pl.col("status").str.starts_with("not loaded"))["source"].str.ends_with(
        "2025-04-02.json"
    ).to_list() == [True]
    assert expected.days.filter(pl.col("date") == D(2025, 3, 10)).height == 0  # a missing day


def test_spark_load_gives_the_tables_of_cm_load_row_for_row(loaded: cms.SparkLoad, expected: cm.Dataset) -> None:
    assert_dataset_equal(loaded.dataset, expected, check_validation=True)
    for name in TABLES:
        assert loaded.tables[name].schema == cms.spark_schema(name)
        assert_frame_equal(from_spark(loaded.tables[name], name), expected.tables[name])
    for name in ("sources", "findings", "conflicts", "quarantine"):  # versions: in loaded.dataset, compared above
        frame = getattr(loaded, name)
        assert frame.schema == cms.spark_schema(name)
        assert_frame_equal(from_spark(frame, name), getattr(expected, name))


def test_declared_spark_types(loaded: cms.SparkLoad) -> None:
    types = dict(loaded.tables["days"].dtypes)
    assert (types["enterprise"], types["date"], types["total_active_users"], types["shape"]) == (
        "string",
        "date",
        "bigint",
        "array<string>",
    )
    assert dict(loaded.sources.dtypes)["export_time"] == "timestamp_ntz"


def test_precedence_from_fetched_at_and_raise_mode_as_in_cm_load(spark: Any, archive: list[str]) -> None:
    files = sorted(
        str(p)
        for p in Path(archive[0].split("{org}")[0]).rglob("*.json")
        if "teams" not in str(p) and "04-0" not in p.name
    )
    # the oldest export declared the most recent: it wins every day it holds, against the file names
    fetched = {files[0]: "2030-01-01T00:00:00"}
    got = cms.load(spark, files, org="octo-org", fetched_at=fetched, on_invalid="raise")
    want = cm.load(files, org="octo-org", fetched_at=fetched)
    assert_dataset_equal(got.dataset, want, check_validation=True)
    assert want.sources.filter(pl.col("source") == files[0])["days_kept"].item() > 0
    with pytest.raises(cm.FormatError, match=r"2025-04-02\.json"):
        cms.load(spark, archive, on_invalid="raise")


def test_written_as_the_parquet_dataset_of_write_parquet_and_read_by_spark_with_its_defaults(
    spark: Any, loaded: cms.SparkLoad, expected: cm.Dataset, tmp_path: Path
) -> None:
    root = loaded.write_parquet(tmp_path / "history")
    back = cm.read_parquet(root)
    assert_dataset_equal(back, expected)
    for name in ALL:  # spark.read.parquet with default options: same rows, scope included, nulls as nulls
        frame = spark.read.parquet(str(root / name))
        assert frame.schema == cms.spark_schema(name), name
        want = expected.tables[name] if name in TABLES else getattr(expected, name)
        assert_frame_equal(from_spark(frame, name), want, check_row_order=False)
