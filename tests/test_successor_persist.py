"""Issue 21, "everywhere the legacy family goes": the successor reports in Parquet, CSV, incremental
merges and write_json, and no identifying name in a Parquet dataset's paths.

Inputs are the fixtures of tests/fixtures/usage_reports (their README gives every row count used
here) and small legacy days written in the tests.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
from pathlib import Path

import orjson
import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.export import parquet
from copilot_metrics.testing import assert_dataset_equal

D = datetime.date
FIXTURES = Path(__file__).parent / "fixtures" / "usage_reports"
SHARD_1 = str(FIXTURES / "shard_organization_users_28_day_part_1_of_2.ndjson")
SHARD_2 = str(FIXTURES / "shard_organization_users_28_day_part_2_of_2.ndjson")
WRAPPER = str(FIXTURES / "layout_wrapper_object_organization_28_day.json")
W1 = str(FIXTURES / "overlap_organization_28_day_created_2026_05_29.json")
W2 = str(FIXTURES / "overlap_organization_28_day_created_2026_05_31.json")
#: One legacy day, an org's.
LEGACY = json.dumps([{"date": "2025-05-01", "total_active_users": 3, "total_engaged_users": 2}]).encode()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> cm.Dataset:
    """A legacy file (bytes, org "octo") and three report files: two shards of one report and a 28-day wrapper."""
    folder = tmp_path_factory.mktemp("both")
    legacy = folder / "octo-2025-05-02.json"
    legacy.write_bytes(LEGACY)
    return cm.load([str(legacy), SHARD_1, SHARD_2, WRAPPER])


# ---------------------------------------------------------------- Parquet round trip


def test_parquet_round_trips_both_families_exactly(both: cm.Dataset, tmp_path: Path) -> None:
    # README of the fixtures: the shards give 6 rows in each user table; the wrapper 2 days, 3 IDEs, ...
    counts = {
        "days": 1,
        "user_days": 6,
        "user_ide": 6,
        "user_feature": 6,
        "user_model_feature": 6,
        "agg_days": 2,
        "agg_ide": 3,
        "agg_feature": 6,
        "agg_language_feature": 7,
        "agg_language_model": 3,
        "agg_model_feature": 4,
        "agg_clients": 1,
        "agg_pull_requests": 2,
        "agg_pr_comment_type": 1,
    }
    assert {n: f.height for n, f in both.tables.items() if f.height} == counts
    assert (both.reports.height, both.user_logins.height) == (2, 3)
    root = cm.write_parquet(both, tmp_path / "history")
    back = cm.read_parquet(root)
    assert_dataset_equal(back, both, check_validation=True)
    lazy = cm.scan_parquet(root)
    for name, frame in both.tables.items():
        assert lazy[name].collect().equals(frame), name
    for name in ("reports", "schema_drift", "user_logins", "report_versions", "sources", "quarantine"):
        assert lazy[name].collect().equals(getattr(both, name)), name
    # the nested columns of ds.reports, by hand: the shard report's two files; the wrapper's two days
    shards = back.reports.filter(pl.col("shards") == 2).row(0, named=True)
    assert shards["shard_sources"] == [SHARD_1, SHARD_2]
    assert shards["wrapper_days"] == []
    wrapper = back.reports.filter(pl.col("source") == WRAPPER).row(0, named=True)
    assert wrapper["wrapper_days"] == [[D(2026, 5, 10), D(2026, 5, 11)]]
    assert len(wrapper["wrappers_json"]) == 1
    assert orjson.loads(wrapper["wrappers_json"][0])["created_at"] == "2026-05-31T04:12:09.500Z"
    # the family columns, always there (by source: their order by label depends on where the clone is)
    families = {Path(r[0]).name: r[1:] for r in back.sources.select("source", "family", "record_kinds").rows()}
    assert families == {
        "octo-2025-05-02.json": ("legacy", None),
        Path(WRAPPER).name: ("reports", "aggregate"),
        Path(SHARD_1).name: ("reports", "user"),
        Path(SHARD_2).name: ("reports", "user"),
    }


def test_the_manifest_lists_every_file_and_format_7(both: cm.Dataset, tmp_path: Path) -> None:
    root = cm.write_parquet(both, tmp_path / "history")
    manifest = orjson.loads((root / parquet.MANIFEST).read_bytes())
    assert manifest["format"] == 7
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")}
    assert set(manifest["files"]) == on_disk
    # 10 legacy tables, 6 side tables, 26 successor tables, 3 of their side tables, 2 validation files
    assert len(on_disk) == 10 + 6 + 26 + 3 + 2
    assert (manifest["rows"]["user_days"], manifest["rows"]["reports"]) == (6, 2)
    for rel, entry in manifest["files"].items():
        assert entry["sha256"] == hashlib.sha256((root / rel).read_bytes()).hexdigest()


def test_a_format_5_dataset_reads_with_the_family_columns_filled(tmp_path: Path) -> None:
    html = b"<!DOCTYPE html><html><body>Sign in</body></html>"
    ds = cm.load([LEGACY, html], org="octo", on_invalid="quarantine")
    root = cm.write_parquet(ds, tmp_path / "old")
    manifest = orjson.loads((root / parquet.MANIFEST).read_bytes())
    manifest["format"] = 5  # as format 5 wrote it: no folder of format 6, no column of format 6 or 7
    for folder in [p for p in root.iterdir() if p.is_dir()]:
        if folder.name not in (*cm.TABLES, "sources", "findings", "conflicts", "quarantine", "versions", "_validation"):
            shutil.rmtree(folder)
            del manifest["rows"][folder.name]
            manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith(folder.name + "/")}
    for name, columns in {
        "sources": ["family", "report_id", "record_kinds", "flavor"],
        "quarantine": ["record_json"],
        "versions": ["copy_path"],
    }.items():
        part = root / name / "part-00000.parquet"
        pl.read_parquet(part).drop(columns).write_parquet(part)
        manifest["files"][f"{name}/part-00000.parquet"]["sha256"] = hashlib.sha256(part.read_bytes()).hexdigest()
    (root / parquet.MANIFEST).write_bytes(orjson.dumps(manifest))
    back = cm.read_parquet(root)
    # by hand: the day's bytes were read (legacy), the HTML refused (no family)
    assert back.sources.select("state", "family", "report_id").rows() == [
        ("loaded", "legacy", None),
        ("refused", None, None),
    ]
    assert back.quarantine["record_json"].null_count() == back.quarantine.height
    assert all(back.tables[name].height == 0 for name in cm.successor.TABLES)
    assert back.reports.height == 0
    assert_dataset_equal(back, ds)


# ---------------------------------------------------------------- CSV


def test_csv_writes_successor_tables_and_side_tables_lists_as_json_neutralised(tmp_path: Path) -> None:
    ds = cm.load([SHARD_1, SHARD_2], org="=HYPERLINK(1)")
    cm.write_csv(ds, tmp_path / "csv")
    user_days = pl.read_csv(tmp_path / "csv" / "user_days.csv", infer_schema=False)
    assert user_days.height == 6
    assert set(user_days["org"]) == {"'=HYPERLINK(1)"}  # neutralised, as the legacy labels
    assert set(user_days["user_id"]) == {"9001", "9002", "9003"}
    reports = pl.read_csv(tmp_path / "csv" / "reports.csv", infer_schema=False).row(0, named=True)
    assert json.loads(reports["shard_sources"]) == [SHARD_1, SHARD_2]
    assert (reports["wrapper_days"], reports["wrappers_json"], reports["shards"]) == ("[]", "[]", "2")
    logins = pl.read_csv(tmp_path / "csv" / "user_logins.csv", infer_schema=False)
    assert logins.select("user_id", "user_login").rows() == [
        ("9001", "dev-amber"),
        ("9002", "dev-birch"),
        ("9003", "dev-cedar"),
    ]
    wrapper = cm.load(WRAPPER)
    cm.write_csv(wrapper, tmp_path / "csv2")
    row = pl.read_csv(tmp_path / "csv2" / "reports.csv", infer_schema=False).row(0, named=True)
    assert row["wrapper_days"] == '[["2026-05-10","2026-05-11"]]'
    assert json.loads(json.loads(row["wrappers_json"])[0])["report_end_day"] == "2026-05-30"


# ---------------------------------------------------------------- incremental merges


SPLITS = [
    ([W1, SHARD_1], [W2, SHARD_2]),
    ([W2, SHARD_2], [W1, SHARD_1]),
    ([W1], [W2, SHARD_1, SHARD_2]),
    ([W2, SHARD_1, SHARD_2], [W1]),
]


@pytest.mark.parametrize(("first", "then"), SPLITS)
def test_reports_merge_incrementally_as_one_load(first: list[str], then: list[str], tmp_path: Path) -> None:
    one = cm.load([W1, W2, SHARD_1, SHARD_2], org="octo")
    # by hand (README): 6 aggregate days (05-27 from W2), 17 conflict rows, W1 kept 2 / identical 1 /
    # superseded 1; the shards are one report of 6 user-days
    assert (one.tables["agg_days"].height, one.tables["user_days"].height) == (6, 6)
    assert one.conflicts.height == 17
    w1 = one.sources.filter(pl.col("source") == W1).row(0, named=True)
    assert (w1["days_kept"], w1["days_identical"], w1["days_superseded"]) == (2, 1, 1)
    grown = cm.load(then, org="octo", base=cm.load(first, org="octo"))
    assert_dataset_equal(grown, one, check_validation=True)
    root = cm.write_parquet(cm.load(first, org="octo"), tmp_path / "history")
    cm.write_parquet(cm.load(then, org="octo"), root, mode="merge")
    assert_dataset_equal(cm.read_parquet(root), one, check_validation=True)


def test_a_report_file_read_again_replaces_its_base_copy() -> None:
    one = cm.load([W1, W2], org="octo")
    again = cm.load([W2], org="octo", base=one)
    assert_dataset_equal(again, one, check_validation=True)
    assert (again.reports.height, again.conflicts.height) == (2, 17)


# ---------------------------------------------------------------- write_json


def test_write_json_refuses_reports_naming_what_to_use(both: cm.Dataset, tmp_path: Path) -> None:
    with pytest.raises(CopilotMetricsError) as caught:
        cm.write_json(both, tmp_path / "clean")
    assert "2 successor usage-metrics report(s)" in caught.value.message
    assert "write_parquet" in str(caught.value)
    assert not (tmp_path / "clean").exists()
    cm.write_json(cm.load(LEGACY, org="octo"), tmp_path / "legacy")  # legacy alone still writes
    assert (tmp_path / "legacy").is_dir()


# ---------------------------------------------------------------- privacy


def test_no_login_user_id_team_slug_or_repository_names_a_path(tmp_path: Path) -> None:
    files = [
        "kind_user_teams_organization_1_day.ndjson",
        "kind_repos_1_day.ndjson",
        "layout_ndjson_user_rows_organization_users_1_day.ndjson",
    ]
    ds = cm.load([str(FIXTURES / name) for name in files], org="fixture-org")
    assert (ds.user_logins.height, ds.tables["user_teams"].height) == (3, 10)
    assert ds.tables["repo_days"].height == 3
    # from the fixtures' README: logins dev-*, ids 9001-9010, teams 31/32 platform/payments, repos api/web/docs
    secrets = {"dev-", "9001", "9002", "9003", "9005", "9010", "platform", "payments", "500001", "api", "web", "docs"}
    root = cm.write_parquet(ds, tmp_path / "history")
    paths = [p.relative_to(root).as_posix() for p in root.rglob("*")]
    assert len(paths) == 1 + 1 + 2 + 2 * (10 + 6 + 26 + 3)  # manifest, _validation and its 2 files, folders+parts
    leaks = [(p, s) for p in paths for s in secrets if s in p]
    assert leaks == []
    assert {p.split("/")[1] for p in paths if "/" in p} == {
        "part-00000.parquet",
        "errors.parquet",
        "unknown_fields.parquet",
    }
    names = {p.split("/")[0] for p in paths}
    assert names == {
        parquet.MANIFEST,
        "_validation",
        *cm.TABLES,
        "sources",
        "findings",
        "conflicts",
        "quarantine",
        "versions",
        "report_versions",
        *cm.successor.TABLES,
        "reports",
        "schema_drift",
        "user_logins",
    }
