"""cm.load of the successor usage-metrics reports (issue 21): both families in one call, shards, overlaps, drift.

Expected values are worked out by hand from the fixtures' written values (tests/fixtures/usage_reports/README.md
says what each file holds); none is copied from the code's output.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import warnings
from pathlib import Path

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.successor import TABLES as REPORT_TABLES
from copilot_metrics.successor import ReportValidationError
from copilot_metrics.tables import TABLES

HERE = Path(__file__).parent / "fixtures"
REPORTS = HERE / "usage_reports"
SHARD_1 = REPORTS / "shard_organization_users_28_day_part_1_of_2.ndjson"
SHARD_2 = REPORTS / "shard_organization_users_28_day_part_2_of_2.ndjson"
W1 = REPORTS / "overlap_organization_28_day_created_2026_05_29.json"
W2 = REPORTS / "overlap_organization_28_day_created_2026_05_31.json"
DRIFT = REPORTS / "quirk_unknown_keys_and_values.json"
LEGACY = HERE / "valid_day_all_sections_custom_model.json"
D = dt.date


def counts(ds: cm.Dataset) -> dict[str, int]:
    """Row counts of the successor tables with rows."""
    return {name: ds.tables[name].height for name in REPORT_TABLES if ds.tables[name].height}


# ----------------------------------------------------------------------------- shards


def test_two_shards_of_one_users_report_load_as_one_report_without_conflicts() -> None:
    ds = cm.load([SHARD_1, SHARD_2])
    # part 1: 05-12 {9001, 9002}, 05-13 {9001}; part 2: 05-14 {9001, 9003}, 05-15 {9003}
    assert counts(ds) == {"user_days": 6, "user_ide": 6, "user_feature": 6, "user_model_feature": 6}
    assert ds.reports.select("kind", "shards", "records", "days_present", "days_in_window").rows() == [
        ("organization-users-28-day", 2, 6, 4, 28)
    ]
    assert ds.reports["shard_sources"].to_list() == [[str(SHARD_1), str(SHARD_2)]]
    assert ds.conflicts.height == 0
    assert ds.findings.filter(pl.col("rule") == "shard_conflict").height == 0
    dau = ds.tables["user_days"].group_by("date").agg(pl.col("user_id").n_unique()).sort("date").rows()
    assert dau == [(D(2026, 5, 12), 2), (D(2026, 5, 13), 1), (D(2026, 5, 14), 2), (D(2026, 5, 15), 1)]
    assert ds.user_logins.select("user_id", "user_login", "rows").rows() == [
        (9001, "dev-amber", 3),
        (9002, "dev-birch", 1),
        (9003, "dev-cedar", 2),
    ]
    # both files share the report id; each keeps the two user-days units it holds
    assert ds.sources.select("family", "record_kinds", "flavor", "days", "days_kept").rows() == [
        ("reports", "user", "report", 3, 2),
        ("reports", "user", "report", 3, 2),
    ]
    assert ds.sources["report_id"].n_unique() == 1


def test_a_record_two_shards_hold_differently_is_a_shard_conflict_and_the_later_file_wins(tmp_path: Path) -> None:
    lines = SHARD_1.read_text().splitlines()
    changed = json.loads(lines[0])  # 9001 on 05-12
    changed["user_initiated_interaction_count"] += 5
    first, second = tmp_path / "a_2026-06-01.ndjson", tmp_path / "b_2026-06-02.ndjson"
    first.write_text("\n".join(lines) + "\n")
    second.write_text(json.dumps(changed) + "\n" + lines[1] + "\n")
    ds = cm.load([second, first])
    found = ds.findings.filter(pl.col("rule") == "shard_conflict")
    assert found.select("date", "severity", "table").rows() == [(D(2026, 5, 12), "error", "users")]
    kept = ds.tables["user_days"].filter((pl.col("user_id") == 9001) & (pl.col("date") == D(2026, 5, 12)))
    assert kept["user_initiated_interaction_count"].to_list() == [
        json.loads(lines[0])["user_initiated_interaction_count"] + 5
    ]
    assert kept["source"].to_list() == [str(second)]  # the file name's date is later
    assert ds.tables["user_days"].height == 3  # 9001 and 9002 on 05-12, 9001 on 05-13: each once


# ----------------------------------------------------------------------------- overlapping reports


def test_the_later_of_two_overlapping_reports_wins_each_day_and_differences_are_conflicts() -> None:
    ds = cm.load([W1, W2])
    days = ds.tables["agg_days"].sort("date")
    assert days["date"].to_list() == [D(2026, 5, d) for d in (1, 2, 24, 27, 29, 30)]
    # W2 restated 05-27: DAU, gen, acc, suggested, added 3, 7, 2, 10, 4 (W1: 2, 4, 1, 6, 2)
    day27 = days.filter(pl.col("date") == D(2026, 5, 27))
    assert day27.select(
        "daily_active_users",
        "code_generation_activity_count",
        "code_acceptance_activity_count",
        "loc_suggested_to_add_sum",
        "loc_added_sum",
        "source",
    ).rows() == [(3, 7, 2, 10, 4, str(W2))]
    assert counts(ds) == {"agg_days": 6, "agg_ide": 6, "agg_feature": 6, "agg_language_feature": 6}
    # one conflicting unit, 17 differing values: 5 in agg_days, 4 in each breakdown
    assert ds.conflicts["date"].unique().to_list() == [D(2026, 5, 27)]
    assert ds.conflicts.group_by("table").len().sort("table").rows() == [
        ("agg_days", 5),
        ("agg_feature", 4),
        ("agg_ide", 4),
        ("agg_language_feature", 4),
    ]
    assert set(ds.conflicts.select("kept_source", "other_source").rows()) == {(str(W2), str(W1))}
    row = ds.conflicts.filter((pl.col("table") == "agg_days") & (pl.col("column") == "daily_active_users"))
    assert row.select("kept_value", "other_value").rows() == [("3", "2")]
    assert '"organization_id":"77001"' in row["key"].item()
    assert ds.reports.sort("created_at").select(
        "created_at_raw", "precedence_basis", "days_kept", "days_identical", "days_superseded"
    ).rows() == [
        ("2026-05-29T04:00:00.000Z", "created_at", 2, 1, 1),
        ("2026-05-31T04:00:00.000Z", "created_at", 4, 0, 0),
    ]
    # merged code_completion: W1's 05-01, 05-02 and W2's four days: gen 4+2+6+7+2+3, acc 1+1+2+2+0+1
    completion = ds.tables["agg_feature"].filter(pl.col("feature") == "code_completion")
    assert completion["code_generation_activity_count"].sum() == 24
    assert completion["code_acceptance_activity_count"].sum() == 7


def test_created_at_comes_after_fetched_at() -> None:
    ds = cm.load([W1, W2], fetched_at={str(W1): "2026-06-10T00:00:00"})
    day27 = ds.tables["agg_days"].filter(pl.col("date") == D(2026, 5, 27))
    assert day27.select("daily_active_users", "source").rows() == [(2, str(W1))]
    assert ds.reports.sort("created_at")["precedence_basis"].to_list() == ["fetched_at", "created_at"]


def test_read_order_never_matters() -> None:
    files = [W1, W2, SHARD_1]
    first = cm.load(files)
    for order in itertools.permutations(files):
        ds = cm.load(list(order))
        for name in REPORT_TABLES:
            assert ds.tables[name].equals(first.tables[name]), name
        assert ds.reports.equals(first.reports)
        assert ds.conflicts.equals(first.conflicts)
        assert ds.sources.equals(first.sources)
        assert ds.findings.equals(first.findings)


# ----------------------------------------------------------------------------- both families


def test_a_legacy_export_and_reports_load_in_one_call() -> None:
    legacy = cm.load(LEGACY)
    reports = cm.load([W1, SHARD_1])
    both = cm.load([LEGACY, W1, SHARD_1])
    for name in TABLES:
        assert both.tables[name].equals(legacy.tables[name]), name
    for name in REPORT_TABLES:
        assert both.tables[name].equals(reports.tables[name]), name
    assert both.days["date"].to_list() == [D(2024, 6, 24)]
    assert both.tables["agg_days"].height == 4
    assert both.tables["user_days"].height == 3
    assert dict(both.sources.select("source", "family").rows()) == {
        str(LEGACY): "legacy",
        str(W1): "reports",
        str(SHARD_1): "reports",
    }


def test_a_legacy_load_has_every_successor_table_empty() -> None:
    ds = cm.load(LEGACY)
    for name, spec in REPORT_TABLES.items():
        assert ds.tables[name].height == 0
        assert ds.tables[name].schema == spec.schema
    assert (ds.reports.height, ds.schema_drift.height, ds.user_logins.height) == (0, 0, 0)
    # the constructor as it was (legacy tables only) still builds a dataset
    again = cm.Dataset(
        {n: ds.tables[n] for n in TABLES}, ds.sources, ds.quarantine, ds.findings, ds.conflicts, ds.validation
    )
    assert list(again.tables) == [*TABLES, *REPORT_TABLES]


def test_reports_refuse_keeps_the_format_error() -> None:
    with pytest.raises(cm.FormatError) as info:
        cm.load(W1, reports="refuse")
    assert info.value.detected == "usage-report"
    ds = cm.load([LEGACY, W1], reports="refuse", on_invalid="quarantine")
    assert ds.tables["agg_days"].height == 0
    assert ds.sources.filter(pl.col("source") == str(W1))["status"].to_list() == ["not loaded: usage-report"]
    with pytest.raises(ValueError, match="reports must be"):
        cm.load(W1, reports="skip")  # type: ignore[arg-type]


def test_scope_level_sets_the_kind_and_the_report_id() -> None:
    flat = REPORTS / "layout_flat_record_enterprise_1_day.json"
    plain, forced = cm.load(flat), cm.load(flat, scope_level="organization")
    assert plain.reports["kind"].to_list() == ["enterprise-1-day"]
    assert forced.reports["kind"].to_list() == ["organization-1-day"]
    assert forced.tables["agg_days"]["report_id"].to_list() == forced.reports["report_id"].to_list()
    assert forced.reports["report_id"].item() != plain.reports["report_id"].item()


# ----------------------------------------------------------------------------- drift


def test_unknown_keys_survive_and_are_dated_in_schema_drift() -> None:
    ds = cm.load(DRIFT)
    extras = json.loads(ds.tables["agg_days"]["extras"].item())
    assert extras == {"daily_active_hovercraft_users": 2, "totals_by_hovercraft": [{"hover_count": 1}]}
    feature_extras = ds.tables["agg_feature"]["extras"].to_list()
    assert [json.loads(e) if e else None for e in feature_extras].count({"hover_ms": 120}) == 1
    drift = cm.schema_drift(ds)
    assert drift.height == 4
    assert set(drift["path"].to_list()) == {
        "daily_active_hovercraft_users",
        "totals_by_hovercraft",
        "totals_by_feature[].hover_ms",
        "value:haiku_review",
    }
    assert set(drift.select("first_date", "last_date", "status").rows()) == {
        (D(2026, 5, 21), D(2026, 5, 21), "unknown")
    }
    rules = dict(ds.findings.group_by("rule").len().rows())
    assert rules["unknown_field"] == 3
    assert rules["unknown_value"] == 1
    with pytest.raises(cm.SchemaDriftError) as info:
        cm.load(DRIFT, on_drift="raise")
    assert info.value.paths == [
        "aggregate:daily_active_hovercraft_users",
        "aggregate:totals_by_feature[].hover_ms",
        "aggregate:totals_by_hovercraft",
    ]
    assert info.value.file == str(DRIFT)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cm.load(DRIFT, on_drift="warn")
    assert [str(w.message).count("aggregate:") for w in caught] == [3]


def test_schema_drift_of_two_files_is_one_row_per_path_ordered_by_first_date(tmp_path: Path) -> None:
    later = json.loads(DRIFT.read_text())
    later["day"] = "2026-05-25"
    path = tmp_path / "later.json"
    path.write_text(json.dumps(later))
    drift = cm.schema_drift(cm.load([path, DRIFT]))
    assert drift.height == 4
    assert set(drift.select("first_date", "last_date", "files", "records").rows()) == {
        (D(2026, 5, 21), D(2026, 5, 25), 2, 2)
    }


# ----------------------------------------------------------------------------- invalid records


def _bad_user_rows(tmp_path: Path) -> Path:
    lines = (REPORTS / "layout_ndjson_user_rows_organization_users_1_day.ndjson").read_text().splitlines()
    second = json.loads(lines[1])
    second["totals_by_feature"][0]["code_acceptance_activity_count"] = "6"
    path = tmp_path / "users.ndjson"
    path.write_text("\n".join([lines[0], json.dumps(second), lines[2]]) + "\n")
    return path


def test_a_record_of_the_wrong_type_raises_with_its_json_path(tmp_path: Path) -> None:
    path = _bad_user_rows(tmp_path)
    with pytest.raises(ReportValidationError) as info:
        cm.load(path)
    assert info.value.json_path == "$[1].totals_by_feature[0].code_acceptance_activity_count"
    report = cm.validate(path)
    assert report.errors.select("json_path", "rule", "date").rows() == [
        ("$[1].totals_by_feature[0].code_acceptance_activity_count", "type", "2026-05-12")
    ]
    assert (report.days_checked, report.days_valid) == (3, 2)


def test_quarantine_keeps_the_bad_record_verbatim(tmp_path: Path) -> None:
    path = _bad_user_rows(tmp_path)
    ds = cm.load(path, on_invalid="quarantine")
    assert ds.tables["user_days"]["user_id"].sort().to_list() == [9001, 9003]
    assert ds.quarantine.height == 1
    record = json.loads(ds.quarantine["record_json"].item())
    assert record["user_id"] == 9002
    assert record["totals_by_feature"][0]["code_acceptance_activity_count"] == "6"
    assert ds.quarantine["reasons"].to_list()[0] == [
        '$[1].totals_by_feature[0].code_acceptance_activity_count: "6" is not an integer'
    ]
    assert ds.sources["status"].to_list() == ["loaded with quarantined days"]


# ----------------------------------------------------------------------------- kinds, rollup, coverage


def test_column_kind_answers_for_successor_columns() -> None:
    assert cm.column_kind("weekly_active_users") == "snapshot"
    assert cm.column_kind("median_minutes_to_merge") == "quantile"
    assert cm.column_kind("avg_tokens_per_request") == "average"
    assert cm.column_kind("used_agent") == "flag"
    assert cm.column_kind("loc_added_sum") == "additive"
    assert cm.column_kind("daily_active_users") == "distinct"
    assert cm.column_kind("phase", table="user_days") == "attribute"
    assert cm.column_kind("phase", table="agg_adoption_phase") == "dimension"
    assert cm.column_kind("phase_number") == "dimension"  # a dimension of agg_adoption_phase


@pytest.mark.parametrize(
    ("column", "kind"), [("weekly_active_users", "snapshot"), ("median_minutes_to_merge", "quantile")]
)
def test_rollup_refuses_non_additive_successor_columns(column: str, kind: str) -> None:
    table = "agg_days" if column == "weekly_active_users" else "agg_pull_requests"
    frame = (
        cm.load(REPORTS / "layout_wrapper_object_organization_28_day.json")
        .tables[table]
        .select("enterprise_id", "organization_id", "date", column)
    )
    with pytest.raises(cm.RollupError) as info:
        cm.rollup(frame)
    assert info.value.column == column
    assert repr(kind) in str(info.value)


def test_rollup_sums_additive_successor_columns() -> None:
    ds = cm.load([W1, W2])
    out = cm.rollup(
        ds.tables["agg_feature"].select(
            "enterprise_id", "organization_id", "date", "feature", "code_generation_activity_count"
        ),
        by="feature",
    )
    assert out.rows() == [("4242", "77001", "code_completion", 24)]


def test_coverage_known_zeros_for_users_and_gaps_for_aggregates() -> None:
    users = REPORTS / "kind_enterprise_users_28_day.ndjson"  # rows on 05-28, 05-29; window 05-03..05-30
    agg = REPORTS / "layout_wrapper_object_organization_28_day.json"  # 05-10, 05-11 of 05-03..05-30
    cov = cm.coverage(cm.load([users, agg])).filter(pl.col("family") != "legacy")
    assert cov.select(
        "organization_id",
        "family",
        "first_date",
        "last_date",
        "days_with_rows",
        "days_in_windows_without_rows",
        "days_missing",
    ).sort("family").rows() == [
        ("77001", "aggregate", D(2026, 5, 3), D(2026, 5, 30), 2, 26, 26),
        (None, "users", D(2026, 5, 3), D(2026, 5, 30), 2, 26, 0),
    ]
    gaps = cov.filter(pl.col("family") == "aggregate")["missing_ranges"].to_list()[0]
    assert gaps == [{"start": D(2026, 5, 3), "end": D(2026, 5, 9)}, {"start": D(2026, 5, 12), "end": D(2026, 5, 30)}]


@pytest.mark.slow
def test_the_parallel_loader_gives_the_serial_dataset() -> None:
    files = [W1, W2, SHARD_1, SHARD_2, LEGACY]
    serial, parallel = cm.load(files, workers=1), cm.load(files, workers=2)
    for name in [*TABLES, *REPORT_TABLES]:
        assert parallel.tables[name].equals(serial.tables[name]), name
    assert parallel.reports.equals(serial.reports)
    assert parallel.conflicts.equals(serial.conflicts)


# ----------------------------------------------------------------------------- the shared samples

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "usage-reports"
VIEWER_ORG = SAMPLES / "github-copilot-resources__copilot-metrics-viewer__organization-28-day-report.json"
VIEWER_USERS = SAMPLES / "github-copilot-resources__copilot-metrics-viewer__organization-users-28-day-report.json"
SAFE_AGG = SAMPLES / "safe2008__github-copilot-insights-dashboard__enterprise-aggregate-28day.ndjson"
SAFE_USERS = SAMPLES / "safe2008__github-copilot-insights-dashboard__enterprise-users-28day.ndjson"
needs_samples = pytest.mark.skipif(not VIEWER_ORG.is_file(), reason="../shared/samples/usage-reports not present")


@needs_samples
def test_sample_viewer_org_28_day_tables() -> None:
    ds = cm.load(VIEWER_ORG)
    got = counts(ds)
    assert {
        k: got.get(k, 0)
        for k in (
            "agg_days",
            "agg_ide",
            "agg_feature",
            "agg_language_feature",
            "agg_language_model",
            "agg_model_feature",
        )
    } == {
        "agg_days": 28,
        "agg_ide": 41,
        "agg_feature": 101,
        "agg_language_feature": 293,
        "agg_language_model": 189,
        "agg_model_feature": 297,
    }
    assert ds.reports.select("kind", "days_present", "days_absent").rows() == [("organization-28-day", 28, 0)]


@needs_samples
def test_sample_viewer_users_are_107_user_days_of_8_users() -> None:
    ds = cm.load(VIEWER_USERS)
    assert ds.tables["user_days"].height == 107
    assert ds.tables["user_days"]["user_id"].n_unique() == 8
    assert ds.user_logins.height == 8


@needs_samples
def test_sample_all_four_files_in_one_load() -> None:
    ds = cm.load([SAFE_USERS, VIEWER_ORG, SAFE_AGG, VIEWER_USERS])
    assert ds.tables["agg_days"].height == 30  # 28 + 2
    assert ds.tables["user_days"].height == 110  # 107 + 3
    assert sorted(ds.reports["kind"].to_list()) == [
        "enterprise-28-day",
        "enterprise-users-28-day",
        "organization-28-day",
        "organization-users-28-day",
    ]
    assert ds.conflicts.height == 0
    assert ds.findings.filter(pl.col("rule") == "dates_not_in_order").height == 4


def test_a_superseded_user_row_whose_shape_differs_is_a_conflict_with_the_shape_as_text() -> None:
    """Two reports of one org's users on 05-15 (a 28-day shard, then a 1-day file fetched later): the rows of
    user 9003 differ in the window keys the 1-day file lacks, so their ``shape`` (a list) differs too; it is
    listed as text (it used to fail the load: a list cannot be cast to text)."""
    shard = HERE / "usage_reports" / "shard_organization_users_28_day_part_2_of_2.ndjson"
    later = HERE / "usage_reports" / "layout_gzip_ndjson_organization_users_1_day.ndjson.gz"
    ds = cm.load([shard, later], fetched_at={shard: "2026-06-01", later: "2026-06-02"})
    day = ds.tables["user_days"].filter(pl.col("date") == dt.date(2026, 5, 15))
    assert day.select("user_id", pl.col("source").str.ends_with(".gz")).sort("user_id").rows() == [
        (9001, True),
        (9003, True),
    ]
    user_days = ds.conflicts.filter(pl.col("table") == "user_days", pl.col("column") != "(row)")
    assert sorted(user_days["column"].to_list()) == ["report_end_day", "report_start_day", "shape"]
    window = user_days.filter(pl.col("column").is_in(["report_start_day", "report_end_day"])).sort("column")
    assert window.select("kept_value", "other_value").rows() == [(None, "2026-05-30"), (None, "2026-05-03")]
    shape = user_days.filter(pl.col("column") == "shape").row(0, named=True)
    assert "report_end_day:absent" in shape["kept_value"].split(",")
    assert "report_end_day:absent" not in shape["other_value"].split(",")
