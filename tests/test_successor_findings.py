"""Findings for the quirks of real successor report files (issue 21): reported, never silently fixed.

Every count and value here is worked out by hand from the fixture (tests/fixtures/usage_reports,
described in its README.md) or recomputed from the raw JSON with the standard library.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.findings import RULES

FIXTURES = Path(__file__).parent / "fixtures" / "usage_reports"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "usage-reports"
VIEWER_ORG = SAMPLES / "github-copilot-resources__copilot-metrics-viewer__organization-28-day-report.json"
VIEWER_USERS = SAMPLES / "github-copilot-resources__copilot-metrics-viewer__organization-users-28-day-report.json"
SAFE_AGG = SAMPLES / "safe2008__github-copilot-insights-dashboard__enterprise-aggregate-28day.ndjson"
SAFE_USERS = SAMPLES / "safe2008__github-copilot-insights-dashboard__enterprise-users-28day.ndjson"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the clone")

C7 = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
    "loc_added_sum",
    "loc_deleted_sum",
)


def _of(ds: cm.Dataset, rule: str) -> pl.DataFrame:
    return ds.findings.filter(pl.col("rule") == rule).sort("date", "table", "json_path", nulls_last=True)


def test_the_new_rules_are_declared_once_with_their_severity() -> None:
    from copilot_metrics.successor import read

    assert {
        r: RULES[r][0]
        for r in (
            "breakdown_sum_differs",
            "ide_plus_cli_differs",
            "reported_window_calendar_like",
            "dau_differs_from_user_rows",
            "booleans_as_0_1",
            "kind_differs_from_name",
        )
    } == {
        "breakdown_sum_differs": "warning",
        "ide_plus_cli_differs": "warning",
        "reported_window_calendar_like": "info",
        "dau_differs_from_user_rows": "warning",
        "booleans_as_0_1": "info",
        "kind_differs_from_name": "warning",
    }
    assert all(read.RULES[r] is RULES[r] for r in read.RULES)  # the reader's rules are findings.RULES' own


def test_a_feature_breakdown_that_does_not_sum_to_the_top_level() -> None:
    """Top: uic 10, gen 8, acc 3, suggested 12, added 5, deleted 1; Σfeature: 0+4, 5+2, 2+1, 8+3, 3+1, 0+1."""
    ds = cm.load(str(FIXTURES / "quirk_breakdown_sum_differs_from_total.json"))
    found = _of(ds, "breakdown_sum_differs")
    assert found.select("date", "table", "json_path", "severity", "value").rows() == [
        (
            dt.date(2026, 5, 19),
            "agg_feature",
            "$.totals_by_feature",
            "warning",
            "user_initiated_interaction_count 4 vs 10; code_generation_activity_count 7 vs 8; "
            "loc_suggested_to_add_sum 11 vs 12; loc_added_sum 4 vs 5",
        ),
        # Σlanguage x feature of code_completion (go: gen 6, acc 2, suggested 9, added 4) against its feature row
        # (5, 2, 8, 3): by="language" disagrees with by=None; the chat feature (2, 1, 3, 0, 1, 1) agrees
        (
            dt.date(2026, 5, 19),
            "agg_language_feature",
            "$.totals_by_language_feature[feature=code_completion]",
            "warning",
            "code_generation_activity_count 6 vs 5; loc_suggested_to_add_sum 9 vs 8; loc_added_sum 4 vs 3",
        ),
    ]
    assert found["org"].to_list() == [None, None]
    assert found["source"].str.ends_with(".json").all()
    assert _of(ds, "ide_plus_cli_differs").height == 0  # Σide (one vscode row) = the top level
    # nothing dropped, nothing changed
    assert {n: ds.tables[n].height for n in ("agg_days", "agg_feature", "agg_language_feature")} == {
        "agg_days": 1,
        "agg_feature": 2,
        "agg_language_feature": 2,
    }
    assert sorted(ds.tables["agg_feature"]["code_generation_activity_count"].to_list()) == [2, 5]


def test_ide_plus_cli_is_the_top_level_and_a_changed_top_level_is_a_finding(tmp_path: Path) -> None:
    """A CLI-only day (totals_by_ide []): top = copilot_cli; top uic 5 -> 6 breaks both sums."""
    assert _of(cm.load(str(FIXTURES / "quirk_cli_only_day_empty_ide_array.json")), "ide_plus_cli_differs").height == 0
    # top = Σide + copilot_cli + copilot_app on the newest-fields day
    newest = cm.load(str(FIXTURES / "kind_organization_28_day_newest_fields.json"))
    assert _of(newest, "ide_plus_cli_differs").height == 0
    assert _of(newest, "breakdown_sum_differs").height == 0
    record = json.loads((FIXTURES / "quirk_cli_only_day_empty_ide_array.json").read_text())
    record["user_initiated_interaction_count"] = 6
    (tmp_path / "changed.json").write_text(json.dumps(record))
    ds = cm.load(str(tmp_path / "changed.json"))
    assert _of(ds, "ide_plus_cli_differs").select("date", "table", "json_path", "value").rows() == [
        (dt.date(2026, 5, 23), "agg_days", "$.totals_by_ide", "user_initiated_interaction_count 5 vs 6")
    ]
    assert _of(ds, "breakdown_sum_differs")["value"].to_list() == ["user_initiated_interaction_count 5 vs 6"]
    assert ds.tables["agg_days"]["user_initiated_interaction_count"].to_list() == [6]  # kept as written


def test_an_absent_array_is_not_compared(tmp_path: Path) -> None:
    record = json.loads((FIXTURES / "quirk_breakdown_sum_differs_from_total.json").read_text())
    del record["totals_by_feature"]  # absent: unknown, not a known empty breakdown
    (tmp_path / "absent.json").write_text(json.dumps(record))
    ds = cm.load(str(tmp_path / "absent.json"))
    assert _of(ds, "breakdown_sum_differs").height == 0
    assert _of(ds, "ide_plus_cli_differs").height == 0


def test_weekly_and_monthly_active_users_that_restart_like_calendar_windows() -> None:
    """05-31 (Sun): WAU 5 -> 2 = DAU 2; 06-01 (1st): MAU 9 -> 2. One finding for the scope."""
    ds = cm.load(str(FIXTURES / "quirk_wau_mau_calendar_windows.json"))
    found = _of(ds, "reported_window_calendar_like")
    assert found.select("date", "table", "json_path", "severity", "value").rows() == [
        (dt.date(2026, 5, 31), "agg_days", "$.weekly_active_users", "info", "2026-05-31 (week), 2026-06-01 (month)")
    ]
    assert ds.tables["agg_days"].sort("date")["weekly_active_users"].to_list() == [5, 2, 3]  # snapshots kept
    assert (
        _of(cm.load(str(FIXTURES / "quirk_provisional_recent_days.json")), "reported_window_calendar_like").height == 0
    )


def test_booleans_written_as_0_1_once_per_file_and_key() -> None:
    """2 lines: used_agent 1/0, used_chat 0/1 -> one finding per key, at its first line."""
    ds = cm.load(str(FIXTURES / "quirk_booleans_as_0_1_derived_export.ndjson"))
    found = _of(ds, "booleans_as_0_1")
    assert found.select("table", "json_path", "severity", "value").rows() == [
        ("user_days", "$[0].used_agent", "info", "1"),
        ("user_days", "$[0].used_chat", "info", "0"),
    ]
    assert ds.tables["user_days"]["used_agent"].to_list() == [True, False]
    assert ds.tables["user_days"]["used_chat"].to_list() == [False, True]


def _aggregate(day: str, dau: int) -> dict[str, Any]:
    return {
        "day": day,
        "organization_id": "77001",
        "enterprise_id": "4242",
        "daily_active_users": dau,
        "weekly_active_users": dau,
        "monthly_active_users": dau,
        **dict.fromkeys(C7, 0),
    }


@pytest.mark.parametrize(("dau", "severity", "value"), [(2, "warning", "3 vs 2"), (5, "info", "3 vs 5")])
def test_dau_against_the_user_rows_of_the_same_scope_and_day(
    tmp_path: Path, dau: int, severity: str, value: str
) -> None:
    """3 user rows on 2026-05-12 (org 77001); 05-13 lies in no users window: not compared; DAU 3 agrees."""
    users = tmp_path / "users.ndjson"
    shutil.copy(FIXTURES / "layout_ndjson_user_rows_organization_users_1_day.ndjson", users)
    (tmp_path / "agg.ndjson").write_text(
        "\n".join(json.dumps(_aggregate(d, n)) for d, n in (("2026-05-12", dau), ("2026-05-13", 9)))
    )
    ds = cm.load([str(users), str(tmp_path / "agg.ndjson")])
    found = _of(ds, "dau_differs_from_user_rows")
    assert found.select("date", "table", "json_path", "severity", "value").rows() == [
        (dt.date(2026, 5, 12), "agg_days", "$.daily_active_users", severity, value)
    ]
    assert found["source"].to_list() == [str(tmp_path / "agg.ndjson")]
    (tmp_path / "agg.ndjson").write_text(json.dumps(_aggregate("2026-05-12", 3)))
    assert _of(cm.load([str(users), str(tmp_path / "agg.ndjson")]), "dau_differs_from_user_rows").height == 0
    assert _of(cm.load(str(users)), "dau_differs_from_user_rows").height == 0  # one family: nothing to compare


def test_a_file_name_that_says_another_kind(tmp_path: Path) -> None:
    """An org 1-day aggregate record under an enterprise users 28-day name: read by content, one finding."""
    wrong = tmp_path / "enterprise-users-28-day.json"
    shutil.copy(FIXTURES / "quirk_breakdown_sum_differs_from_total.json", wrong)
    ds = cm.load(str(wrong))
    found = _of(ds, "kind_differs_from_name")
    assert found.select("table", "json_path", "severity", "value").rows() == [
        ("reports", "$", "warning", "organization-1-day")
    ]
    assert "level 'enterprise'" in found["message"][0]
    assert "grain 'user'" in found["message"][0]
    assert "span '28-day'" in found["message"][0]
    assert ds.reports["kind"].to_list() == ["organization-1-day"]
    assert ds.tables["agg_days"].height == 1
    right = tmp_path / "organization_1_day.json"
    shutil.copy(FIXTURES / "quirk_breakdown_sum_differs_from_total.json", right)
    assert _of(cm.load(str(right)), "kind_differs_from_name").height == 0
    # the shipped fixtures' names that name a kind agree with their content
    for name in (
        "kind_enterprise_users_28_day.ndjson",
        "layout_wrapper_object_organization_28_day.json",
        "kind_user_teams_organization_1_day.ndjson",
        "kind_repos_1_day.ndjson",
    ):
        assert _of(cm.load(str(FIXTURES / name)), "kind_differs_from_name").height == 0, name


# ---------------------------------------------------------------- the shared samples (SUCCESSOR.md §3, §6)


def _sums(items: list[dict[str, Any]], columns: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(sum(i.get(c) or 0 for i in items) for c in columns)


@needs_samples
def test_viewer_org_breakdowns_recomputed_from_the_json() -> None:
    days = json.loads(VIEWER_ORG.read_text())["day_totals"]
    feature_days = sum(_sums(d["totals_by_feature"], C7) != tuple(d[c] for c in C7) for d in days)
    per_feature = ide_days = 0
    for d in days:
        for f in d["totals_by_feature"]:
            langs = [x for x in d["totals_by_language_feature"] if x["feature"] == f["feature"]]
            per_feature += _sums(langs, C7[1:]) != tuple(f[c] for c in C7[1:])
        beyond = [f for f in d["totals_by_feature"] if f["feature"] in ("copilot_cli", "copilot_app")]
        ide_days += _sums(d["totals_by_ide"] + beyond, C7) != tuple(d[c] for c in C7)
    assert (feature_days, ide_days) == (19, 16)  # SUCCESSOR.md §3 (19/28 days); DESIGN-NOTES 8 (16 of 28)
    ds = cm.load(str(VIEWER_ORG))
    found = _of(ds, "breakdown_sum_differs")
    assert found.filter(pl.col("table") == "agg_feature").height == feature_days
    assert found.filter(pl.col("table") == "agg_language_feature").height == per_feature
    assert _of(ds, "ide_plus_cli_differs").height == ide_days
    assert ds.tables["agg_feature"].height == 101
    assert ds.tables["agg_language_feature"].height == 293
    # MAU 5 -> 3 on 04-01, WAU = DAU on Sundays: one finding for the org
    assert _of(ds, "reported_window_calendar_like").height == 1


@needs_samples
def test_viewer_pair_rows_exceed_dau_on_23_of_28_dates() -> None:
    ds = cm.load([str(VIEWER_ORG), str(VIEWER_USERS)])
    found = _of(ds, "dau_differs_from_user_rows")
    assert found.height == 23
    assert set(found["severity"]) == {"warning"}
    assert found.filter(pl.col("date") == dt.date(2026, 3, 31))["value"].to_list() == ["6 vs 4"]
    users = _of(cm.load(str(VIEWER_USERS)), "ide_plus_cli_differs")
    assert users.height == 0  # top = Σide + copilot_cli on all 107 user rows (SUCCESSOR.md §3)


@needs_samples
def test_safe2008_pair_two_dau_without_rows_is_one_info() -> None:
    ds = cm.load([str(SAFE_AGG), str(SAFE_USERS)])
    found = _of(ds, "dau_differs_from_user_rows")
    assert found.select("date", "severity", "value").rows() == [(dt.date(2026, 6, 2), "info", "0 vs 2")]
    assert _of(ds, "ide_plus_cli_differs").height == 0
    assert _of(ds, "kind_differs_from_name").height == 0
