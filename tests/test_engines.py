"""Issue 13 §2: a dataset written by cm.write_parquet, read by pandas, pyarrow, DuckDB and Polars with
their default options, gives every table's rows exactly as cm.read_parquet does: scope columns
included, nulls as nulls, dates typed.  (Spark: tests/test_spark.py.)"""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as pds
import pytest
from polars.testing import assert_frame_equal

import copilot_metrics as cm
from copilot_metrics.tables import SIDE_TABLES, TABLES

ALL = (*TABLES, *SIDE_TABLES)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, cm.Dataset]:
    """The example (an org and its team: enterprise null everywhere, team null on the org's rows),
    merged with a day of an enterprise team whose labels look like hive markers, numbers and paths."""
    example = cm.load(cm.examples.sources())
    odd = [{"date": "2025-05-01", "total_active_users": 7, "total_engaged_users": 3, "copilot_ide_chat": None}]
    ds = cm.load(
        json.dumps(odd).encode(), enterprise="12345", org="a/b=c", team="__HIVE_DEFAULT_PARTITION__", base=example
    )
    root = cm.write_parquet(ds, tmp_path_factory.mktemp("engines") / "history")
    return root, cm.read_parquet(root)


#: Successor tables read by every engine: a table of user rows (flags, floats, UTC timestamps), one
#: with a list column per row, and ds.reports (lists of text, of lists of dates).
REPORTS = ("user_days", "user_clients", "reports")
REPORT_FILES = (
    "shard_organization_users_28_day_part_1_of_2.ndjson",
    "shard_organization_users_28_day_part_2_of_2.ndjson",
    "kind_organization_users_1_day_newest_fields.ndjson",
    "layout_wrapper_object_organization_28_day.json",
)


@pytest.fixture(scope="module")
def written_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, cm.Dataset]:
    """A dataset of successor reports (fixtures of tests/fixtures/usage_reports), written and read back."""
    folder = Path(__file__).parent / "fixtures" / "usage_reports"
    ds = cm.load([folder / name for name in REPORT_FILES])
    root = cm.write_parquet(ds, tmp_path_factory.mktemp("engines") / "reports")
    return root, cm.read_parquet(root)


def expected(ds: cm.Dataset, name: str) -> pl.DataFrame:
    frame: pl.DataFrame = ds.tables[name] if name in ds.tables else getattr(ds, name)
    return frame


def test_the_report_tables_have_rows(written_reports: tuple[Path, cm.Dataset]) -> None:
    _, ds = written_reports  # README of the fixtures: 3 + 3 shard rows, 2 newest-fields rows; 3 reports
    assert [expected(ds, name).height for name in REPORTS] == [8, 3, 3]


@pytest.mark.parametrize("name", REPORTS)
def test_every_engine_reads_a_successor_table(written_reports: tuple[Path, cm.Dataset], name: str) -> None:
    test_polars_scan_parquet_of_the_folder(written_reports, name)
    test_pyarrow_dataset_with_hive_partitioning(written_reports, name)
    test_duckdb_read_parquet_with_hive_partitioning_and_no_hive_types(written_reports, name)
    if name != "reports":  # pandas gives a list of lists of dates as numpy arrays of arrays
        test_pandas_read_parquet_of_the_folder(written_reports, name)


def python_rows(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    return sorted(frame.rows(), key=repr)


def plain(value: Any) -> Any:
    """A pandas cell as a Python value: missing -> None, numpy scalars and arrays -> Python."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)  # an int64 column holding nulls is float64 in pandas' defaults
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def test_the_odd_scope_is_in_the_dataset(written: tuple[Path, cm.Dataset]) -> None:
    _, ds = written
    assert ("12345", "a/b=c", "__HIVE_DEFAULT_PARTITION__") in ds.scopes().rows()
    assert (None, "octo-org", None) in ds.scopes().rows()


@pytest.mark.parametrize("name", ALL)
def test_polars_scan_parquet_of_the_folder(written: tuple[Path, cm.Dataset], name: str) -> None:
    root, ds = written
    assert_frame_equal(pl.scan_parquet(root / name).collect(), expected(ds, name))


@pytest.mark.parametrize("name", ALL)
def test_pyarrow_dataset_with_hive_partitioning(written: tuple[Path, cm.Dataset], name: str) -> None:
    root, ds = written
    got = pl.from_arrow(pds.dataset(root / name, partitioning="hive").to_table())
    assert isinstance(got, pl.DataFrame)
    assert_frame_equal(got, expected(ds, name))


@pytest.mark.parametrize("name", ALL)
def test_duckdb_read_parquet_with_hive_partitioning_and_no_hive_types(
    written: tuple[Path, cm.Dataset], name: str
) -> None:
    root, ds = written
    rel = duckdb.sql(f"select * from read_parquet('{root}/{name}/**/*.parquet', hive_partitioning = true)")
    want = expected(ds, name)
    assert rel.columns == want.columns
    if want.schema.get("date") == pl.Date:
        assert str(rel.types[rel.columns.index("date")]) == "DATE"
    got = rel.pl()  # DuckDB names the UTC zone Etc/UTC: the same instants
    got = got.with_columns(
        pl.col(c).dt.convert_time_zone("UTC")
        for c, t in got.schema.items()
        if isinstance(t, pl.Datetime) and t.time_zone == "Etc/UTC"
    )
    assert_frame_equal(got, want, check_row_order=False)


@pytest.mark.parametrize("name", ALL)
def test_pandas_read_parquet_of_the_folder(written: tuple[Path, cm.Dataset], name: str) -> None:
    root, ds = written
    frame = pd.read_parquet(root / name)
    want = expected(ds, name)
    assert list(frame.columns) == want.columns
    got = sorted((tuple(plain(v) for v in row) for row in frame.itertuples(index=False, name=None)), key=repr)
    assert got == python_rows(want)
    if want.height and want.schema.get("date") == pl.Date:
        dates = frame["date"].dropna()
        assert all(type(d) is datetime.date for d in dates)  # date32: Python dates, not text
    for column in ("enterprise", "org", "team"):
        if column in want.columns:
            assert frame[column].isna().sum() == want[column].null_count()
