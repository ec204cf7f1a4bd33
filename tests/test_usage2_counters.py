"""chat_usage, client_usage, pr_lifecycle, team_usage, reported_active_users, reconcile on hand-made reports.

The fixtures are described in fixtures/usage_metrics/README.md; every figure below is worked out by hand.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from copilot_metrics import successor
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.usage import (
    chat_usage,
    client_usage,
    pr_lifecycle,
    reconcile,
    reported_active_users,
    team_usage,
)

FIXTURES = Path(__file__).parent / "fixtures" / "usage_metrics"


def read(*names: str) -> dict[str, pl.DataFrame]:
    """The successor tables of the named fixtures, concatenated table by table."""
    tables: dict[str, pl.DataFrame] = {}
    for name in names:
        got = successor.read_bytes((FIXTURES / name).read_bytes(), name, org="fixture-org")
        for table, frame in {**got.tables, "reports": got.reports}.items():
            tables[table] = pl.concat([tables[table], frame], how="vertical_relaxed") if table in tables else frame
    return tables


@pytest.fixture(scope="module")
def org() -> dict[str, pl.DataFrame]:
    return read("org_two_days_chat_cli_prs_28_day.json")


def test_client_tokens_per_request_is_a_ratio_of_sums(org: dict[str, pl.DataFrame]) -> None:
    row = client_usage(org).row(0, named=True)
    assert (row["client"], row["sessions"], row["requests"], row["prompts"]) == ("cli", 3, 40, 4)
    assert (row["prompt_tokens"], row["output_tokens"]) == (9000 + 2500, 1000 + 500)
    # (9,000 + 1,000 + 2,500 + 500) / (10 + 30) = 325, not the mean of GitHub's averages (1,000 + 100) / 2 = 550
    assert row["avg_tokens_per_request"] == pytest.approx(13000 / 40)
    assert row["user_messages"] is None  # never reported: unknown, not 0
    assert row["break"] is None
    days = client_usage(org, every="1d")
    assert days["period_start"].to_list() == [date(2026, 6, 1), date(2026, 6, 2)]
    assert days["avg_tokens_per_request"].to_list() == pytest.approx([1000.0, 100.0])
    with pytest.raises(CopilotMetricsError, match="source="):
        client_usage(org, source="both")  # type: ignore[arg-type]


def test_chat_usage_chat_features_only(org: dict[str, pl.DataFrame]) -> None:
    row = chat_usage(org).row(0, named=True)
    # chat_inline 6/2, ask 4/1 + 1/1, plan 5/0; code_completion and agent_edit left out
    assert (row["interactions"], row["acceptances"]) == (16, 4)
    assert row["chat_apply_rate"] == pytest.approx(4 / 16)
    by = {
        r["feature"]: (r["interactions"], r["acceptances"], r["chat_apply_rate"])
        for r in chat_usage(org, by="feature").rows(named=True)
    }
    assert by == {
        "chat_inline": (6, 2, pytest.approx(2 / 6)),
        "chat_panel_ask_mode": (5, 2, pytest.approx(0.4)),
        "chat_panel_plan_mode": (5, 0, 0.0),
    }


def test_pr_lifecycle_sums_and_medians_per_day_only(org: dict[str, pl.DataFrame]) -> None:
    row = pr_lifecycle(org).row(0, named=True)
    assert (row["total_created"], row["total_reviewed"], row["total_merged"]) == (7, 3, 2)
    assert row["median_minutes_to_merge"] is None  # two days: a median is never combined across days
    assert row["median_days"] == 1
    assert row["total_suggestions"] is None  # absent on both days
    days = pr_lifecycle(org, every="1d")
    assert days["median_minutes_to_merge"].to_list() == [30.0, None]  # 06-02: nothing merged, no median
    assert days["total_created"].to_list() == [3, 4]
    assert pr_lifecycle(org, every="1w")["median_minutes_to_merge"].to_list() == [None]


def test_pr_lifecycle_by_repository_private_and_suppression() -> None:
    repos = read("repos_two_days_three_visibilities.ndjson")
    out = pr_lifecycle(repos, by="repository")
    # PRIVATE 'secret' left out; 'site' 7 created, 2 reviewed, 7 merged -> 7 PRs; 'tools' 2 PRs < 5: suppressed
    assert out["repo_id"].to_list() == [1, 3]
    site, tools = out.rows(named=True)
    assert (site["repo_name"], site["pull_requests"], site["total_created"], site["total_merged"]) == ("site", 7, 7, 7)
    assert (site["suppressed"], site["median_minutes_to_merge"], site["median_days"]) == (False, None, 2)
    assert (tools["repo_visibility"], tools["suppressed"], tools["pull_requests"], tools["total_created"]) == (
        "INTERNAL",
        True,
        None,
        None,
    )
    private = pr_lifecycle(repos, by="repository", include_private=True)
    assert private.filter(pl.col("repo_id") == 2)["total_merged"].to_list() == [8]
    days = pr_lifecycle(repos, by="repository", every="1d").filter(pl.col("repo_id") == 1)
    assert days["median_minutes_to_merge"].to_list() == [12.0, None]  # 06-02: 3 PRs (merged) < 5: suppressed
    assert days["suppressed"].to_list() == [False, True]
    assert pr_lifecycle(repos, by="repository", min_prs=None)["suppressed"].to_list() == [None, None]


def test_team_usage_same_day_join_two_teams_no_total() -> None:
    tables = read("teams_one_user_in_two_teams_user_teams_1_day.ndjson", "teams_users_1_day.ndjson")
    out = team_usage(tables)
    assert out["team_id"].to_list() == [31, 32]  # one row per team, no total across teams
    platform, web = out.rows(named=True)
    assert platform["slug"] == "platform"
    # 101-106; rows 06-01 101 102 103 104 106, 06-02 101 102 106; 105 never has a row
    assert (platform["members"], platform["active_users"], platform["user_days"]) == (6, 5, 8)
    assert (platform["members_without_rows"], platform["days"], platform["suppressed"]) == (1, 2, False)
    assert platform["user_initiated_interaction_count"] == 8 * 2
    assert platform["code_acceptance_activity_count"] == 8
    # 106-110 on 06-01 only: 107's row on 06-02 is not carried over from 06-01's membership; 106 counts here too
    assert (web["members"], web["active_users"], web["user_days"], web["days"]) == (5, 5, 5, 1)
    assert web["loc_added_sum"] == 5 * 2
    days = team_usage(tables, every="1d").filter(pl.col("team_id") == 31)
    assert days["suppressed"].to_list() == [False, True]  # 06-02: 3 active members < 5
    assert days["active_users"].to_list() == [5, None]
    assert team_usage(tables, every="1d", min_users=None).filter(pl.col("team_id") == 31)["active_users"].to_list() == [
        5,
        3,
    ]


def test_reported_active_users_kept_as_snapshots(org: dict[str, pl.DataFrame]) -> None:
    out = reported_active_users(org)
    assert out["date"].to_list() == [date(2026, 6, 1), date(2026, 6, 2)]
    assert out["monthly_active_users"].to_list() == [9, 9]
    assert out["weekly_active_users"].to_list() == [4, 5]
    # 06-01 is a 1st, but there is no day before it loaded: no evidence either way
    assert out["month_restart"].to_list() == [False, False]
    assert out["reported_window_calendar_like"].to_list() == [False, False]


def test_reported_calendar_like_evidence() -> None:
    days = pl.DataFrame(
        {
            "enterprise_id": ["1"] * 4,
            "organization_id": ["2"] * 4,
            "enterprise": [None] * 4,
            "org": ["o"] * 4,
            "date": [date(2026, 5, 30), date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 7)],
            "daily_active_users": [3, 2, 2, 1],
            "weekly_active_users": [6, 6, 6, 1],
            "monthly_active_users": [9, 9, 2, 5],
        },
        schema_overrides={"enterprise": pl.String},
    )
    out = reported_active_users({"agg_days": days})
    # 06-01 (a 1st): MAU 9 -> 2; 06-07 (a Sunday) WAU equals DAU, but 06-06 is not loaded: no week evidence
    assert out["month_restart"].to_list() == [False, False, True, False]
    assert out["week_restart"].to_list() == [False, False, False, False]
    assert out["reported_window_calendar_like"].to_list() == [True] * 4
    assert out["break"].to_list() == [None] * 4


def test_reconcile_dau_and_counters_per_day() -> None:
    tables = read("continuity_successor_org_three_days_28_day.json", "continuity_successor_org_users_1_day.ndjson")
    out = reconcile(tables, min_users=None)
    dau = out.filter(pl.col("measure") == "daily_active_users")
    # users rows: 03-31 three users, 04-01 two; 04-02 outside every users window: unknown, not 0
    assert dau["date"].to_list() == [date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 2)]
    assert dau["aggregate"].to_list() == [9, 13, 14]
    assert dau["users"].to_list() == [3, 2, None]
    assert dau["status"].to_list() == ["users < aggregate", "users < aggregate", None]
    cc = out.filter(pl.col("measure") == "code_completion_acceptances")
    assert cc["aggregate"].to_list() == [45, 18, 20]
    assert cc["users"].to_list() == [3, 1, None]
    assert cc["difference"].to_list() == [-42, -17, None]
    assert cc["break"].to_list() == [None, None, None]  # legacy_closed is not a successor break
    suppressed = reconcile(tables)  # min_users=5: 3 and 2 users
    assert suppressed.filter(pl.col("measure") == "daily_active_users")["users"].to_list() == [None, None, None]
    assert suppressed.filter(pl.col("measure") == "daily_active_users")["aggregate"].to_list() == [9, 13, 14]
    # 04-02's user count is unknown (null), so nothing is hidden there
    assert suppressed.filter(pl.col("measure") == "daily_active_users")["suppressed"].to_list() == [True, True, False]
