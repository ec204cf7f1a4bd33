"""The usage metrics on the shared samples: the figures SUCCESSOR.md §6 works out (skipped without ../shared)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from copilot_metrics import successor
from copilot_metrics.usage import (
    active_users,
    any_agent_adoption,
    code_completion,
    ide_agent_adoption,
    key_fingerprint,
    pseudonymize,
)

REPORTS = Path(__file__).resolve().parents[2] / "shared" / "samples" / "usage-reports"
pytestmark = pytest.mark.skipif(not REPORTS.is_dir(), reason="../shared/samples is absent")

VIEWER_ORG = "github-copilot-resources__copilot-metrics-viewer__organization-28-day-report.json"
VIEWER_USERS = "github-copilot-resources__copilot-metrics-viewer__organization-users-28-day-report.json"
KEY = b"acceptance-test-key-0123456789abcdef"


def read(name: str) -> dict[str, pl.DataFrame]:
    got = successor.read_bytes((REPORTS / name).read_bytes(), name)
    return {**got.tables, "reports": got.reports, "user_logins": got.user_logins}


@pytest.fixture(scope="module")
def users() -> dict[str, pl.DataFrame]:
    return read(VIEWER_USERS)


def test_viewer_users_distinct_users(users: dict[str, pl.DataFrame]) -> None:
    row = active_users(users).row(0, named=True)
    assert (row["active_users"], row["user_days"], row["dau_peak"], row["suppressed"]) == (8, 107, 6, False)
    assert round(row["dau_mean"], 4) == 3.8214
    assert round(row["stickiness"], 4) == 0.4777
    assert row["days_covered"] == 28
    assert active_users(users, active="any_activity").row(0, named=True)["user_days"] == 90
    assert active_users(users, active="interacting").row(0, named=True)["user_days"] == 89
    assert active_users(users, window=7).filter(pl.col("date") == date(2026, 4, 25))["active_users"].to_list() == [7]


def test_viewer_users_weeks_and_months(users: dict[str, pl.DataFrame]) -> None:
    weeks = active_users(users, every="1w", min_users=None)
    assert weeks["period_start"].dt.week().to_list() == [13, 14, 15, 16, 17]
    assert weeks["active_users"].to_list() == [None, 6, 7, 6, None]
    assert active_users(users, every="1w", partial=True, min_users=None)["active_users"].to_list() == [1, 6, 7, 6, 7]
    months = active_users(users, every="1mo", min_users=None)
    assert months["active_users"].to_list() == [None, None]
    assert (months["days_covered"].to_list(), months["days_uncovered"].to_list()) == ([3, 25], [28, 5])
    assert active_users(users, every="1mo", partial=True, min_users=None)["active_users"].to_list() == [6, 8]


def test_viewer_org_completion() -> None:
    row = code_completion(read(VIEWER_ORG)).row(0, named=True)
    counts = (row["acceptances"], row["suggestions"], row["lines_accepted"], row["lines_suggested"])
    assert counts == (54, 219, 140, 397)
    assert round(row["acceptance_rate"], 4) == 0.2466
    assert round(row["line_acceptance_rate"], 4) == 0.3526


def test_viewer_users_completion_and_adoption(users: dict[str, pl.DataFrame]) -> None:
    row = code_completion(users, source="users").row(0, named=True)
    assert (row["suggestions"], row["acceptances"], row["users"], row["accepting_users"]) == (1766, 1136, 6, 4)
    agent = ide_agent_adoption(users).row(0, named=True)
    assert (agent["adopting_users"], agent["reporting_users"], agent["adopting_user_days"]) == (6, 8, 39)
    assert agent["adoption_share"] == 0.75
    anyone = any_agent_adoption(users).row(0, named=True)
    assert (anyone["adopting_users"], anyone["reporting_users"]) == (6, 8)


def test_viewer_users_privacy(users: dict[str, pl.DataFrame]) -> None:
    out = pseudonymize(users, KEY)
    assert out.meta["key_fingerprint"] == key_fingerprint(KEY) == "cd8f1676"
    pids = set(out["user_days"]["user_pid"])
    assert {"u_10666229dfc3d23f", "u_bd9f5aed403ef414"} <= pids  # user_id 6 and 338094
    assert len(pids) == 8
    by_language = code_completion(out, source="users", by="language")
    assert sorted(by_language["language"]) == ["dotenv", "javascript", "json", "markdown", "python"]
    assert by_language["suppressed"].to_list() == [True] * 5
    assert by_language["users"].null_count() == 5
    assert code_completion(out, source="users").row(0, named=True)["suppressed"] is False
    shown = code_completion(out, source="users", by="language", min_users=None)
    assert dict(shown.select("language", "users").iter_rows()) == {
        "markdown": 3,
        "python": 2,
        "json": 1,
        "dotenv": 1,
        "javascript": 1,
    }
