"""The second part of the usage metrics on the shared samples: SUCCESSOR.md §6 figures (skipped without ../shared)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics import successor
from copilot_metrics.usage import client_usage, continuity, pr_lifecycle, reconcile, reported_active_users

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
REPORTS = SAMPLES / "usage-reports"
LEGACY = SAMPLES / "metrics" / "github-copilot-resources__copilot-metrics-viewer__10907d2547edc709f8ecd3095ed4187b.json"
pytestmark = pytest.mark.skipif(not REPORTS.is_dir(), reason="../shared/samples is absent")

VIEWER_ORG = "github-copilot-resources__copilot-metrics-viewer__organization-28-day-report.json"
VIEWER_USERS = "github-copilot-resources__copilot-metrics-viewer__organization-users-28-day-report.json"
SAFE_AGG = "safe2008__github-copilot-insights-dashboard__enterprise-aggregate-28day.ndjson"
SAFE_USERS = "safe2008__github-copilot-insights-dashboard__enterprise-users-28day.ndjson"


def read(*names: str, org: str | None = None) -> dict[str, pl.DataFrame]:
    tables: dict[str, pl.DataFrame] = {}
    for name in names:
        got = successor.read_bytes((REPORTS / name).read_bytes(), name, org=org)
        for table, frame in {**got.tables, "reports": got.reports}.items():
            tables[table] = pl.concat([tables[table], frame], how="vertical_relaxed") if table in tables else frame
    return tables


def test_safe2008_client_tokens_per_request() -> None:
    row = client_usage(read(SAFE_AGG)).row(0, named=True)
    assert (row["client"], row["requests"]) == ("cli", 356)
    assert round(row["avg_tokens_per_request"], 2) == 59854.06  # not 55,529.42, the mean of the daily averages
    day = client_usage(read(SAFE_AGG), every="1d").row(0, named=True)
    assert (day["period_start"], day["sessions"], day["requests"], day["prompts"]) == (date(2026, 6, 2), 7, 261, 27)
    assert (day["output_tokens"], day["prompt_tokens"]) == (123836, 16789995)
    assert round(day["avg_tokens_per_request"], 2) == 64803.95


def test_viewer_org_pull_requests() -> None:
    org = read(VIEWER_ORG)
    row = pr_lifecycle(org).row(0, named=True)
    assert (row["total_created"], row["total_merged"], row["median_days"]) == (26, 20, 7)
    assert row["median_minutes_to_merge"] is None
    assert pr_lifecycle(org, every="1w")["median_minutes_to_merge"].null_count() == 5  # every week: null
    days = pr_lifecycle(org, every="1d")
    assert days["median_minutes_to_merge"].count() == 7


def test_viewer_reported_and_reconciled() -> None:
    org = read(VIEWER_ORG)
    reported = reported_active_users(org)
    april_first = reported.filter(pl.col("date") == date(2026, 4, 1)).row(0, named=True)
    assert (april_first["monthly_active_users"], april_first["month_restart"]) == (3, True)  # MAU 5 -> 3
    assert reported["reported_window_calendar_like"].all()
    assert reported.filter(pl.col("date") == date(2026, 4, 25))["monthly_active_users"].to_list() == [6]
    dau = reconcile(read(VIEWER_ORG, VIEWER_USERS), min_users=None).filter(pl.col("measure") == "daily_active_users")
    assert dau.height == 28
    assert (dau["status"] == "users > aggregate").sum() == 23  # rows exceed DAU on 23 of 28 dates
    march_31 = dau.filter(pl.col("date") == date(2026, 3, 31)).row(0, named=True)
    assert (march_31["aggregate"], march_31["users"]) == (4, 6)


def test_safe2008_reconciled() -> None:
    out = reconcile(read(SAFE_AGG, SAFE_USERS), min_users=None)
    june_4 = {
        r["measure"]: (r["aggregate"], r["users"])
        for r in out.filter(pl.col("date") == date(2026, 6, 4)).rows(named=True)
    }
    assert june_4["daily_active_users"] == (1, 1)
    assert june_4["user_initiated_interaction_count"] == (10, 10)
    assert june_4["code_generation_activity_count"] == (27, 27)
    assert june_4["code_acceptance_activity_count"] == (27, 27)
    assert june_4["loc_added_sum"] == (541, 541)
    assert june_4["cli_requests"] == (95, 95)
    june_2 = out.filter((pl.col("date") == date(2026, 6, 2)) & (pl.col("measure") == "daily_active_users"))
    assert june_2.select("aggregate", "users", "status").row(0) == (2, 0, "users < aggregate")


def test_legacy_sample_and_viewer_org_do_not_overlap() -> None:
    legacy = cm.load(str(LEGACY), org="viewer").tables
    org = read(VIEWER_ORG)
    result = continuity({**legacy, **org}, scopes={"viewer": {"organization_id": "100000001"}})
    rows = {r["series"]: r for r in result.series.rows(named=True)}
    assert {r["overlap_days"] for r in rows.values()} == {0}
    assert {r["legacy_value"] for r in rows.values()} == {None}
    assert {r["successor_value"] for r in rows.values()} == {None}
    # §4: the user-row series need users reports (none here): they end
    assert [n for n, r in rows.items() if r["status"] == "≈"] == [
        "active_users",
        "code_suggestions",
        "code_acceptances",
        "code_lines_suggested",
        "code_lines_accepted",
        "acceptance_rate",
        "line_acceptance_rate",
        "chats",
        "chat_insertions_copies",
    ]
    assert rows["date"]["status"] == "="
    assert rows["engaged_users"]["status"] == "ends"
    assert sum(r["status"] == "new" for r in rows.values()) == 13
    assert cm.load(str(LEGACY), org="viewer").days["date"].max() == date(2026, 3, 18)
    # the same org label on both sides pairs them without a mapping
    labelled = continuity({**legacy, **read(VIEWER_ORG, org="viewer")})
    assert labelled.pairs["organization_id"].to_list() == ["100000001"]
