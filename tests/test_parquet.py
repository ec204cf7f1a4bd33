"""Parquet export (issue 6): layout, footers, exact round trips, atomic writes, merge-append,
and interop with DuckDB, pyarrow.dataset and Polars scan_parquet."""

from __future__ import annotations

import datetime
import gzip
import json
from pathlib import Path
from typing import Any

import duckdb
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.dataset as pds
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

import copilot_metrics as cm
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.export import parquet
from copilot_metrics.export.parquet import (
    ParquetWriter,
    read_parquet,
    scan_parquet,
    write_csv,
    write_file,
    write_parquet,
)
from copilot_metrics.successor import TABLES as REPORT_TABLES
from copilot_metrics.tables import TABLES

D = datetime.date
SIDE = (
    "sources",
    "findings",
    "conflicts",
    "quarantine",
    "versions",
    "report_versions",
    "reports",
    "schema_drift",
    "user_logins",
)
#: Written in this order: the ten tables, the bookkeeping side tables, the successor tables, their side tables.
ALL = (*TABLES, *SIDE[:6], *REPORT_TABLES, *SIDE[6:])
#: The side tables of the layouts before format 4.
SIDE_BEFORE_4 = SIDE[:4]
#: What layout format 6 added: folders, and the columns of sources and quarantine.
SINCE_6 = (*REPORT_TABLES, "report_versions", "reports", "schema_drift", "user_logins")
COLUMNS_SINCE_6 = {"sources": ("family", "report_id", "record_kinds", "flavor"), "quarantine": ("record_json",)}
#: What layout format 7 added: the column of versions.
COLUMNS_SINCE_7 = {"versions": ("copy_path",)}
#: DuckDB's name of each declared Polars dtype, written out by hand.
DUCK = {pl.String: "VARCHAR", pl.Int64: "BIGINT", pl.Date: "DATE", pl.Boolean: "BOOLEAN", pl.Float64: "DOUBLE"}
ORG, TEAM = ("octo-org", None), ("octo-org", "platform")


def duck_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.List):
        return duck_type(dtype.inner) + "[]"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP WITH TIME ZONE" if dtype.time_zone else "TIMESTAMP"
    return next(name for kind, name in DUCK.items() if dtype == kind)


def assert_same_dataset(a: cm.Dataset, b: cm.Dataset, *, side: tuple[str, ...] = SIDE) -> None:
    """Every table and side table (those of ``side``) equal, row order included."""
    for name in TABLES:
        assert_frame_equal(a.tables[name], b.tables[name])
    for name in side:
        assert_frame_equal(getattr(a, name), getattr(b, name))


@pytest.fixture(scope="module")
def example() -> cm.Dataset:
    return cm.load(cm.examples.sources())


@pytest.fixture(scope="module")
def written(example: cm.Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_parquet(example, tmp_path_factory.mktemp("pq") / "metrics")


# ---------------------------------------------------------------- layout and footers


def test_layout_one_folder_per_table_not_partitioned_scope_and_date_stored_in_the_files(
    written: Path, example: cm.Dataset
) -> None:
    assert sorted(p.name for p in written.iterdir() if not p.name.startswith("_")) == sorted(ALL)
    for name in ALL:  # the example is small: one file per table, no sub-folder
        assert [p.name for p in (written / name).iterdir()] == ["part-00000.parquet"]
    # every column is in the file, the scope and the date with their declared types; nulls are nulls
    schema = pq.read_schema(written / "days" / "part-00000.parquet")
    assert schema.names == TABLES["days"].schema.names()
    assert [schema.field(c).type for c in ("enterprise", "org", "team", "date")] == [pa.string()] * 3 + [pa.date32()]
    table = pq.read_table(written / "days" / "part-00000.parquet")
    assert table.column("enterprise").null_count == example.days.height
    assert table.column("team").null_count == example.days.filter(pl.col("team").is_null()).height > 0


def test_every_file_is_zstd_and_its_footer_names_version_schema_hash_table_grain_and_key(written: Path) -> None:
    from copilot_metrics import _schema

    files = [p for name in ALL for p in (written / name).rglob("*.parquet")]
    assert len(files) == 10 + 6 + 26 + 3  # the legacy tables, their side tables, the successor tables, theirs
    for path in files:
        meta = pq.read_metadata(path)
        kv = {k.decode(): v.decode() for k, v in meta.metadata.items()}
        table = path.relative_to(written).parts[0]
        assert kv["copilot_metrics.version"] == cm.__version__
        assert kv["copilot_metrics.schema_hash"] == _schema.schema_hash()
        assert kv["copilot_metrics.table"] == table
        if table in TABLES:
            assert kv["copilot_metrics.grain"] == TABLES[table].doc
            assert json.loads(kv["copilot_metrics.key"]) == list(TABLES[table].key)
        else:
            assert kv["copilot_metrics.grain"]
        assert json.loads(kv["copilot_metrics.partitioning"]) == []
        for rg in range(meta.num_row_groups):
            for col in range(meta.num_columns):
                assert meta.row_group(rg).column(col).compression == "ZSTD"


# ---------------------------------------------------------------- round trips


def test_example_round_trip_json_to_parquet_to_dataset_is_exact_dtypes_order_validation(
    written: Path, example: cm.Dataset
) -> None:
    back = read_parquet(written)
    assert_same_dataset(example, back)
    for name in TABLES:
        assert back.tables[name].schema == TABLES[name].schema
    assert back.sources.schema == example.sources.schema
    assert back.validation.days_checked == example.validation.days_checked == 584
    assert back.validation.days_valid == example.validation.days_valid
    assert_frame_equal(back.validation.errors, example.validation.errors)
    assert back.to_api() == example.to_api()


def test_round_trip_rebuilds_the_raw_json_days_of_the_latest_export(written: Path) -> None:
    # independent expectation: the newest export of the org wins each of its days, so its JSON
    # days come back verbatim from Parquet
    newest = sorted((cm.examples.path() / "octo-org").glob("*.json.gz"))[-1]
    raw = json.loads(gzip.decompress(newest.read_bytes()))
    back = read_parquet(written)
    rebuilt = {d["date"]: d for d, org_day in zip(back.to_api(), back.days["team"].is_null(), strict=True) if org_day}
    assert [rebuilt[d["date"]] for d in raw] == raw


def test_generated_archive_round_trip_is_exact_with_enterprise_numeric_org_and_odd_team_name(
    tmp_path: Path,
) -> None:
    odd = "team a%2F=b c"
    scopes = ((ORG[0], None), (ORG[0], odd), ("12345", None))
    cm.examples.generate_archive(
        tmp_path / "arch",
        scopes=scopes,
        start=D(2025, 4, 20),
        end=D(2025, 5, 10),
        window_days=14,
        export_every_days=7,
        n_languages=4,
    )
    ds = cm.load(
        [str(tmp_path / "arch" / "{org}" / "*.json"), str(tmp_path / "arch" / "{org}" / "teams" / "{team}" / "*.json")],
        enterprise="ent one",
    )
    assert set(ds.scopes().rows()) == {
        ("ent one", "12345", None),
        ("ent one", "octo-org", None),
        ("ent one", "octo-org", odd),
    }
    back = read_parquet(write_parquet(ds, tmp_path / "pq"))
    assert_same_dataset(ds, back)
    assert back.to_api() == ds.to_api()
    # no label names a folder; DuckDB reads the labels (a numeric org stays a string) from the files
    assert [p.name for p in (tmp_path / "pq" / "days").iterdir()] == ["part-00000.parquet"]
    con = duckdb.connect()
    teams = con.sql(
        f"select distinct team from read_parquet('{tmp_path}/pq/days/**/*.parquet', "
        "hive_partitioning = true) where team is not null"
    ).fetchall()
    assert teams == [(odd,)]
    orgs = con.sql(
        f"select distinct org from read_parquet('{tmp_path}/pq/days/**/*.parquet', "
        "hive_partitioning = true) order by org"
    ).fetchall()
    assert orgs == [("12345",), ("octo-org",)]


def test_empty_tables_are_written_as_one_empty_file_readable_with_the_declared_schema(tmp_path: Path) -> None:
    ds = cm.load(
        json.dumps([{"date": "2025-05-01", "total_active_users": 3, "total_engaged_users": 2}]).encode(), org="o"
    )
    assert ds.completions.height == 0
    root = write_parquet(ds, tmp_path / "pq")
    files = list((root / "completions").rglob("*.parquet"))
    assert [str(f.relative_to(root / "completions")) for f in files] == ["part-00000.parquet"]
    assert pq.read_schema(files[0]).names == TABLES["completions"].schema.names()
    back = read_parquet(root)
    assert_same_dataset(ds, back)
    con = duckdb.connect()
    assert con.execute(
        f"select count(*) from read_parquet('{root}/completions/**/*.parquet', hive_partitioning = true)"
    ).fetchone() == (0,)


# ---------------------------------------------------------------- atomicity and safety


def test_a_write_failing_midway_leaves_the_previous_dataset_intact_and_no_partial_folder(
    tmp_path: Path, example: cm.Dataset
) -> None:
    small = cm.load(str(cm.examples.path() / "octo-org" / "copilot-metrics-2025-01-20.json.gz"), org="octo-org")
    root = write_parquet(small, tmp_path / "metrics")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    written: list[str] = []

    def failing(frame: pl.DataFrame, path: Path, schema: Any) -> None:
        written.append(f"{path.parent.name}/{path.name}")
        if len(written) == 7:  # the disk fills up at the seventh file: six tables are written
            raise OSError(28, "No space left on device")
        write_file(frame, path, schema)

    with pytest.raises(
        CopilotMetricsError, match=r"No space left on device \(.*/ide_chat/part-00000\.parquet\); the previous"
    ):
        ParquetWriter(write_file=failing).write(example, root)
    assert written == [
        f"{name}/part-00000.parquet"
        for name in (
            "days",
            "completions_languages",
            "completions_editors",
            "completions_models",
            "completions",
            "ide_chat_editors",
            "ide_chat",
        )
    ]  # the tables in their declared order, the seventh failing
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics"]
    assert_same_dataset(read_parquet(root), small)
    write_parquet(example, root)
    assert_same_dataset(read_parquet(root), example)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics"]


def test_refuses_to_replace_a_folder_that_is_not_a_dataset(tmp_path: Path, example: cm.Dataset) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.tex").write_text("precious")
    with pytest.raises(CopilotMetricsError, match="not a copilot-metrics Parquet dataset"):
        write_parquet(example, tmp_path / "home")
    assert (tmp_path / "home" / "thesis.tex").read_text() == "precious"
    with pytest.raises(CopilotMetricsError, match="not a copilot-metrics Parquet dataset"):
        read_parquet(tmp_path / "home")
    with pytest.raises(CopilotMetricsError, match="mode must be"):
        write_parquet(example, tmp_path / "x", mode="append")  # type: ignore[arg-type]


# ---------------------------------------------------------------- merge-append


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    root = tmp_path_factory.mktemp("arch")
    files = cm.examples.generate_archive(
        root,
        scopes=(ORG, TEAM),
        start=D(2025, 1, 6),
        end=D(2025, 3, 31),
        window_days=28,
        export_every_days=7,
        n_languages=4,
    )
    return {
        "org": [str(f) for f in files if "teams" not in f.parts],
        "team": [str(f) for f in files if "teams" in f.parts],
    }


def _load(files: list[str], scope: str) -> cm.Dataset:
    return cm.load(files, org="octo-org", team="platform" if scope == "team" else None)


def test_merge_of_overlapping_exports_equals_loading_all_json_at_once_across_the_late_correction(
    archive: dict[str, list[str]], tmp_path: Path
) -> None:
    org = archive["org"]
    # late_corrections: a day changes between fetch k and k + 1 (k = (n - 1) // 2); split right there
    k = (len(org) - 1) // 2
    corr = cm.examples.late_corrections(
        scopes=(ORG,), start=D(2025, 1, 6), end=D(2025, 3, 31), window_days=28, export_every_days=7
    )[0]
    assert Path(org[k]).name == f"copilot-metrics-{corr.fetched_before}.json"
    a, b = org[: k + 1], org[k + 1 :]
    root = write_parquet(_load(a, "org"), tmp_path / "pq")
    write_parquet(_load(b, "org"), root, mode="merge")
    merged, full = read_parquet(root), _load(org, "org")
    assert_same_dataset(merged, full)
    # independently from the raw files: every file of A holding the corrected day lost it
    holding = [f for f in a if corr.date.isoformat() in {d["date"] for d in json.loads(Path(f).read_text())}]
    assert holding
    superseded = merged.sources.filter(pl.col("days_superseded") > 0).sort("source")["source"].to_list()
    assert superseded == sorted(holding)
    assert full.conflicts.height > 0
    assert merged.validation.days_checked == full.validation.days_checked


def _merge_in_memory(a: cm.Dataset, b: cm.Dataset, factory: pytest.TempPathFactory) -> cm.Dataset:
    root = write_parquet(a, factory.mktemp("mm") / "pq")
    return read_parquet(write_parquet(b, root, mode="merge"))


@pytest.fixture(scope="module")
def everything(archive: dict[str, list[str]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, cm.Dataset]:
    org, team = _load(archive["org"], "org"), _load(archive["team"], "team")
    return {"org": org, "team": team, "both": _merge_in_memory(org, team, tmp_path_factory)}


@pytest.mark.parametrize(
    ("split", "both_scopes", "reload_overlap"),
    # 13 weekly exports; the late correction is between exports 7 and 8 (index 6 and 7); an
    # overlapping reload (B starting with A's last file) at 8 and 9 once kept stale conflicts
    [(1, False, False), (7, False, False), (7, False, True), (8, False, True), (9, True, True), (12, False, False)],
)
def test_merge_at_any_split_equals_loading_everything(
    archive: dict[str, list[str]],
    everything: dict[str, cm.Dataset],
    tmp_path_factory: pytest.TempPathFactory,
    split: int,
    both_scopes: bool,
    reload_overlap: bool,
) -> None:
    org = archive["org"]
    split = min(split, len(org) - 1)
    first = _load(org[:split], "org")
    if both_scopes:
        first = _merge_in_memory(first, everything["team"], tmp_path_factory)
    root = write_parquet(first, tmp_path_factory.mktemp("m") / "pq")
    write_parquet(_load(org[split - 1 if reload_overlap else split :], "org"), root, mode="merge")
    merged = read_parquet(root)
    full = everything["both" if both_scopes else "org"]
    assert_same_dataset(merged, full)
    assert merged.days.height == merged.days.select(["org", "team", "date"]).n_unique()


def test_merge_of_two_scopes_equals_loading_both_templates_at_once(
    archive: dict[str, list[str]], tmp_path: Path
) -> None:
    root = write_parquet(_load(archive["team"], "team"), tmp_path / "pq")
    write_parquet(_load(archive["org"], "org"), root, mode="merge")
    full = cm.load(archive["org"], org="octo-org")
    team = cm.load(archive["team"], org="octo-org", team="platform")
    merged = read_parquet(root)
    for name in TABLES:
        expected = pl.concat([full.tables[name], team.tables[name]]).sort(
            ["team", "date"], nulls_last=False, maintain_order=True
        )
        assert_frame_equal(merged.tables[name], expected)
    assert merged.sources.height == len(archive["org"]) + len(archive["team"])


def test_merge_counts_for_an_export_missing_a_day_inside_its_span(tmp_path: Path) -> None:
    def day(date: str, active: int) -> dict[str, Any]:
        return {"date": date, "total_active_users": active, "total_engaged_users": 1}

    files = {
        "copilot-2025-05-04.json": [day("2025-05-01", 5), day("2025-05-02", 6), day("2025-05-03", 7)],
        "copilot-2025-05-05.json": [day("2025-05-01", 5), day("2025-05-03", 7)],  # 05-02 missing
        "copilot-2025-05-06.json": [day("2025-05-01", 5), day("2025-05-02", 9), day("2025-05-03", 7)],  # corrected
    }
    paths = []
    for name, days in files.items():
        (tmp_path / name).write_text(json.dumps(days))
        paths.append(str(tmp_path / name))
    root = write_parquet(cm.load(paths[:2], org="o"), tmp_path / "pq")
    write_parquet(cm.load(paths[2:], org="o"), root, mode="merge")
    merged = read_parquet(root)
    counts = merged.sources.select(pl.col("source").str.slice(-15), "days_kept", "days_identical", "days_superseded")
    # by hand: the 05-06 export wins every day; 05-04 held the old 05-02, 05-05 never held it
    assert sorted(counts.rows()) == [
        ("2025-05-04.json", 0, 2, 1),
        ("2025-05-05.json", 0, 2, 0),
        ("2025-05-06.json", 3, 0, 0),
    ]
    assert merged.days["total_active_users"].to_list() == [5, 9, 7]
    assert_same_dataset(merged, cm.load(paths, org="o"))


def test_merge_into_a_missing_folder_is_a_plain_write(archive: dict[str, list[str]], tmp_path: Path) -> None:
    ds = _load(archive["org"][:3], "org")
    assert_same_dataset(read_parquet(write_parquet(ds, tmp_path / "new", mode="merge")), ds)


def test_merging_the_same_dataset_twice_changes_nothing(example: cm.Dataset, tmp_path: Path) -> None:
    root = write_parquet(example, tmp_path / "pq")
    write_parquet(example, root, mode="merge")
    assert_same_dataset(read_parquet(root), example)


# ---------------------------------------------------------------- interop


def test_duckdb_reads_every_table_with_declared_types_row_counts_and_sums(written: Path, example: cm.Dataset) -> None:
    con = duckdb.connect()
    for name in ALL:
        expected: pl.DataFrame = example.tables[name] if name in example.tables else getattr(example, name)
        glob = f"{written}/{name}/**/*.parquet" if name in example.tables else f"{written}/{name}/*.parquet"
        rel = con.sql(f"select * from read_parquet('{glob}', hive_partitioning = true)")
        types = dict(zip(rel.columns, [str(t) for t in rel.types], strict=True))
        for column, dtype in expected.schema.items():
            assert types[column] == duck_type(dtype), (name, column)
        assert list(types) == list(expected.schema)  # no partition column
        assert con.execute(f"select count(*) from read_parquet('{glob}', hive_partitioning = true)").fetchone() == (
            expected.height,
        )
        ints = [c for c, t in expected.schema.items() if t == pl.Int64]
        if ints and expected.height:
            sums = con.execute(
                f"select {', '.join(f'sum({c})::BIGINT' for c in ints)} "
                f"from read_parquet('{glob}', hive_partitioning = true)"
            ).fetchone()
            assert list(sums or ()) == [expected[c].sum() for c in ints]
    # nulls in the scope come back as SQL NULL, not as the marker text
    nulls = con.execute(
        f"select count(*) from read_parquet('{written}/days/**/*.parquet', hive_partitioning = true) "
        "where team is null and enterprise is null"
    ).fetchone()
    assert nulls == (example.days.filter(pl.col("team").is_null()).height,)


def test_duckdb_keeps_a_numeric_org_name_a_string_without_hive_types(tmp_path: Path) -> None:
    ds = cm.load(json.dumps([{"date": "2025-05-01", "total_active_users": 3}]).encode(), org="12345")
    root = write_parquet(ds, tmp_path / "pq")
    con = duckdb.connect()
    rel = con.sql(f"select org from read_parquet('{root}/days/**/*.parquet', hive_partitioning = true)")
    assert [str(t) for t in rel.types] == ["VARCHAR"]
    assert rel.fetchall() == [("12345",)]


def test_pyarrow_dataset_reads_every_table_with_hive_partitioning(written: Path, example: cm.Dataset) -> None:
    # partitioning="hive" has no folder to infer from: enterprise, null everywhere here, is read from the files
    for name in TABLES:
        table = pds.dataset(written / name, partitioning="hive", format="parquet").to_table()
        expected = example.tables[name]
        for column in ("enterprise", "org", "team"):
            assert table.schema.field(column).type == pa.string()
        assert table.schema.field("date").type == pa.date32()
        got = pl.from_arrow(table)
        assert isinstance(got, pl.DataFrame)
        assert_frame_equal(got, expected)


def test_polars_scan_parquet_of_a_table_folder_reads_every_table(written: Path, example: cm.Dataset) -> None:
    for name in TABLES:
        assert_frame_equal(pl.scan_parquet(written / name).collect(), example.tables[name])
        got = pl.scan_parquet(f"{written}/{name}/**/*.parquet", hive_partitioning=True).collect()
        assert_frame_equal(got, example.tables[name])


def test_scan_parquet_gives_lazy_frames_of_the_declared_schema_that_prune_by_scope(
    written: Path, example: cm.Dataset
) -> None:
    lazy = scan_parquet(written)
    assert list(lazy) == list(ALL)
    assert all(isinstance(frame, pl.LazyFrame) for frame in lazy.values())
    assert lazy["completions"].collect_schema() == TABLES["completions"].schema
    team = lazy["days"].filter(pl.col("team") == "platform", pl.col("date") >= D(2025, 6, 1)).collect()
    assert_frame_equal(team, example.days.filter(pl.col("team") == "platform", pl.col("date") >= D(2025, 6, 1)))


# ---------------------------------------------------------------- CSV and size


def test_write_csv_one_file_per_table_shape_joined_with_a_bar(tmp_path: Path) -> None:
    day = {"date": "2025-05-01", "total_active_users": 3, "total_engaged_users": 2, "copilot_ide_chat": None}
    ds = cm.load(json.dumps([day]).encode(), org="o")
    files = write_csv(ds, tmp_path / "csv")
    assert [f.name for f in files] == [f"{n}.csv" for n in ALL]
    days = pl.read_csv(tmp_path / "csv" / "days.csv", infer_schema=False)
    assert days.columns == TABLES["days"].schema.names()
    assert days.row(0, named=True)["shape"] == (
        "copilot_ide_code_completions:absent|copilot_ide_chat:null|copilot_dotcom_chat:absent|"
        "copilot_dotcom_pull_requests:absent"
    )
    assert days.row(0, named=True)["date"] == "2025-05-01"
    assert days.row(0, named=True)["team"] is None


def test_parquet_size_of_the_example_against_its_json(written: Path) -> None:
    parquet_bytes = sum(p.stat().st_size for p in written.rglob("*") if p.is_file())
    gz = list(cm.examples.path().rglob("*.json.gz"))
    json_bytes = sum(len(gzip.decompress(p.read_bytes())) for p in gz)
    gz_bytes = sum(p.stat().st_size for p in gz)
    print(f"\nexample: JSON {json_bytes} B, JSON.gz {gz_bytes} B, Parquet {parquet_bytes} B")
    assert parquet_bytes < json_bytes / 4


def test_manifest_records_rows_and_null_marker(written: Path, example: cm.Dataset) -> None:
    manifest = orjson.loads((written / parquet.MANIFEST).read_bytes())
    assert manifest["rows"]["completions"] == example.completions.height
    assert manifest["format"] == 7
    assert manifest["partitioning"]["columns"] == []


# ---------------------------------------------------------------- datasets of the 0.1.0 layouts (formats 1 and 2)


def write_legacy(ds: cm.Dataset, root: Path, fmt: int) -> Path:
    """``ds`` in the hive layout of copilot-metrics 0.1.0, written here independently of the library's writer.

    Data tables: ``<table>/enterprise=../org=../team=../month=YYYY-MM/part-0.parquet`` without the scope
    columns in the files; a null is ``__HIVE_DEFAULT_PARTITION__``; format 1 percent-encodes labels with
    ``quote(value, safe="")``, format 2 every byte outside ``a-z 0-9 _ -``, a label over 120 encoded
    characters named by a digest listed in the manifest.  Side tables: ``<table>/part-0.parquet``.
    """
    import hashlib
    from urllib.parse import quote

    digests: dict[str, str] = {}

    def folder(value: str | None) -> str:
        if value is None:
            return "__HIVE_DEFAULT_PARTITION__"
        if fmt == 1:
            return quote(value, safe="")
        encoded = "".join(
            chr(b) if chr(b) in "abcdefghijklmnopqrstuvwxyz0123456789_-" else f"%{b:02X}" for b in value.encode()
        )
        if len(encoded) <= 120:
            return encoded
        name = f"{encoded[:48]}~{hashlib.sha256(value.encode()).hexdigest()[:32]}"
        digests[name] = value
        return name

    for name in TABLES:
        frame = ds.tables[name].with_columns(month=pl.col("date").dt.strftime("%Y-%m"))
        for (e, o, t, m), part in frame.group_by("enterprise", "org", "team", "month", maintain_order=True):
            path = root / name / f"enterprise={folder(e)}" / f"org={folder(o)}" / f"team={folder(t)}" / f"month={m}"
            path.mkdir(parents=True)
            part.drop("enterprise", "org", "team", "month").write_parquet(path / "part-0.parquet")
    for name in SIDE_BEFORE_4:
        (root / name).mkdir()
        getattr(ds, name).drop(COLUMNS_SINCE_6.get(name, ()), "state", "reason", strict=False).write_parquet(
            root / name / "part-0.parquet"
        )
    manifest: dict[str, Any] = {
        "library": "copilot-metrics",
        "version": "0.1.0",
        "rows": {},
        "validation": {"days_checked": ds.validation.days_checked, "days_valid": ds.validation.days_valid},
    }
    if fmt == 2:
        manifest |= {"format": 2, "partitioning": {"digests": digests}}
    (root / parquet.MANIFEST).write_bytes(orjson.dumps(manifest))
    return root


@pytest.mark.parametrize("fmt", [1, 2])
def test_datasets_of_the_0_1_0_layouts_read_back_exactly_and_a_write_rewrites_them(
    fmt: int, tmp_path: Path, example: cm.Dataset
) -> None:
    odd = cm.load(
        json.dumps([{"date": "2025-05-01", "total_active_users": 3}]).encode(),
        org="Octo/" + "y" * 130,
        team="__HIVE_DEFAULT_PARTITION__" if fmt == 2 else "a b%",
    )
    # (format 1 could not tell a team literally named __HIVE_DEFAULT_PARTITION__ from the null team)
    for ds in (example, odd):
        root = write_legacy(ds, tmp_path / f"old-{ds.days.height}", fmt)
        assert_same_dataset(read_parquet(root), ds, side=SIDE_BEFORE_4)
        assert read_parquet(root).versions.height == 0  # not in these layouts
        assert_frame_equal(scan_parquet(root)["days"].collect(), ds.days)
        write_parquet(read_parquet(root), root)  # the old files are the library's: replaced, not refused
        assert [p.name for p in (root / "days").iterdir()] == ["part-00000.parquet"]
        assert orjson.loads((root / parquet.MANIFEST).read_bytes())["format"] == 7
        assert_same_dataset(read_parquet(root), ds, side=SIDE_BEFORE_4)


# ---------------------------------------------------------------- datasets of layout format 3 (no versions)


def as_format_5(root: Path, fmt: int = 5) -> Path:
    """The dataset at ``root`` as layout format 5 wrote it: none of the folders format 6 added, nor their
    manifest entries; ``sources`` without the family columns, ``quarantine`` without ``record_json``, ``versions``
    without ``copy_path`` (format 7)."""
    import hashlib
    import shutil

    manifest = orjson.loads((root / parquet.MANIFEST).read_bytes())
    manifest["format"] = fmt
    for name in SINCE_6:
        shutil.rmtree(root / name)
        del manifest["rows"][name]
    manifest["files"] = {k: v for k, v in manifest["files"].items() if k.split("/")[0] not in SINCE_6}
    for name, columns in {**COLUMNS_SINCE_6, **COLUMNS_SINCE_7}.items():
        part = root / name / "part-00000.parquet"
        pl.read_parquet(part).drop(columns).write_parquet(part)
        manifest["files"][f"{name}/part-00000.parquet"]["sha256"] = hashlib.sha256(part.read_bytes()).hexdigest()
    (root / parquet.MANIFEST).write_bytes(orjson.dumps(manifest))
    return root


def as_format_6(root: Path) -> Path:
    """The dataset at ``root`` as layout format 6 wrote it: ``versions`` without ``copy_path``."""
    import hashlib

    manifest = orjson.loads((root / parquet.MANIFEST).read_bytes())
    manifest["format"] = 6
    for name, columns in COLUMNS_SINCE_7.items():
        part = root / name / "part-00000.parquet"
        pl.read_parquet(part).drop(columns).write_parquet(part)
        manifest["files"][f"{name}/part-00000.parquet"]["sha256"] = hashlib.sha256(part.read_bytes()).hexdigest()
    (root / parquet.MANIFEST).write_bytes(orjson.dumps(manifest))
    return root


def test_a_format_6_dataset_reads_the_copy_paths_from_the_labels_and_merges(tmp_path: Path) -> None:
    def export(name: str, days: Any) -> str:
        (tmp_path / name).write_text(json.dumps(days))
        return str(tmp_path / name)

    def day(date: str, users: int) -> dict[str, Any]:
        return {"date": date, "total_active_users": users}

    # a.json holds 01-01 twice (two versions); w.json, a wrapped array, holds 01-02 twice (two versions)
    a = export("a-2025-01-05.json", [day("2025-01-01", 1), day("2025-01-01", 2)])
    w = export("w-2025-01-06.json", {"data": [day("2025-01-02", 3), day("2025-01-02", 4)]})
    c = export("c-2025-01-07.json", [day("2025-01-01", 1), day("2025-01-03", 5)])
    base = cm.load([a, w], org="o")
    root = as_format_6(write_parquet(base, tmp_path / "pq"))
    old = read_parquet(root)
    # by hand: the file's own copies have no copy path, the earlier ones their JSON path, rebuilt from the label
    assert old.versions.select("label", "copy_path").rows() == [
        (a, None),
        (a + "$[0]", "$[0]"),
        (w, None),
        (w + "$.data[0]", "$.data[0]"),
    ]
    assert_same_dataset(old, base)
    grown = cm.load(c, org="o", base=root)
    write_parquet(cm.load(c, org="o"), root, mode="merge")
    merged = read_parquet(root)
    assert orjson.loads((root / parquet.MANIFEST).read_bytes())["format"] == 7
    assert_same_dataset(merged, grown)  # both doors run the one merge
    assert_same_dataset(merged, cm.load([a, w, c], org="o"))  # and give what one load of every file gives
    # by hand: c (newest) keeps 01-01 with 1 user, a's own copy (2) and w's $.data[0] (3) lose
    assert merged.conflicts.select("date", "kept_value", "other_value", "kept_source", "other_source").rows() == [
        (datetime.date(2025, 1, 1), "1", "2", c, a),
        (datetime.date(2025, 1, 2), "4", "3", w, w + "$.data[0]"),
    ]


def as_format_3(root: Path) -> Path:
    """The dataset at ``root`` as layout format 3 wrote it: format 5 without the ``versions/`` folder, nor its
    manifest entries, and ``sources`` without ``state`` and ``reason`` (format 5)."""
    import hashlib
    import shutil

    as_format_5(root, 3)
    shutil.rmtree(root / "versions")
    manifest = orjson.loads((root / parquet.MANIFEST).read_bytes())
    part = root / "sources" / "part-00000.parquet"
    pl.read_parquet(part).drop("state", "reason").write_parquet(part)
    manifest["files"]["sources/part-00000.parquet"]["sha256"] = hashlib.sha256(part.read_bytes()).hexdigest()
    del manifest["rows"]["versions"]
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith("versions/")}
    (root / parquet.MANIFEST).write_bytes(orjson.dumps(manifest))
    return root


def test_a_format_3_dataset_reads_without_versions_and_merges_best_effort(tmp_path: Path) -> None:
    def export(name: str, *days: tuple[str, int]) -> str:
        (tmp_path / name).write_text(json.dumps([{"date": d, "total_active_users": n} for d, n in days]))
        return str(tmp_path / name)

    a = export("a-2025-01-05.json", ("2025-01-01", 1), ("2025-01-02", 1))
    b = export("b-2025-01-06.json", ("2025-01-02", 2))  # corrects 01-02 ...
    c = export("c-2025-01-07.json", ("2025-01-02", 1), ("2025-01-03", 3))  # ... and c reverts it
    base = cm.load([a, b], org="o")
    root = as_format_3(write_parquet(base, tmp_path / "pq"))
    old = read_parquet(root)
    assert_same_dataset(old, base, side=SIDE_BEFORE_4)
    assert old.versions.height == 0
    grown = cm.load(c, org="o", base=root)
    write_parquet(cm.load(c, org="o"), root, mode="merge")
    merged = read_parquet(root)
    assert_same_dataset(merged, grown)  # both doors run the one merge
    assert orjson.loads((root / parquet.MANIFEST).read_bytes())["format"] == 7
    # by hand: c is the newest export: it keeps 01-02 (1 user) and 01-03; a keeps 01-01
    assert merged.days.select(pl.col("date").cast(pl.String), "total_active_users", "source").rows() == [
        ("2025-01-01", 1, a),
        ("2025-01-02", 1, c),
        ("2025-01-03", 3, c),
    ]
    # a's copy of 01-02 equals c's, but format 3 did not record which version a held: a keeps its
    # stored count (superseded, by b), where loading the three files at once counts it identical
    counts = merged.sources.select("source", "days_kept", "days_identical", "days_superseded").rows()
    assert counts == [(a, 1, 0, 1), (b, 0, 0, 1), (c, 2, 0, 0)]
    assert cm.load([a, b, c], org="o").sources.filter(pl.col("source") == a).select(
        "days_kept", "days_identical", "days_superseded"
    ).rows() == [(1, 1, 0)]
    # b's version against c's, and the base's row (a against b: its losing copy was not recorded) as it was
    assert merged.conflicts.select("column", "kept_value", "other_value", "kept_source", "other_source").rows() == [
        ("total_active_users", "2", "1", b, a),
        ("total_active_users", "1", "2", c, b),
    ]
