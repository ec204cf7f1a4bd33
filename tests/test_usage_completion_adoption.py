"""usage.code_completion and usage.adoption_shares on hand-made reports (fixtures/usage_metrics/README.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from copilot_metrics import successor
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.usage import (
    adoption_shares,
    any_agent_adoption,
    chat_adoption,
    code_completion,
    ide_agent_adoption,
)

FIXTURE = Path(__file__).parent / "fixtures" / "usage_metrics" / "three_users_nine_days_users_28_day.ndjson"


@pytest.fixture(scope="module")
def users() -> dict[str, pl.DataFrame]:
    read = successor.read_bytes(FIXTURE.read_bytes(), FIXTURE.name)
    return {**read.tables, "reports": read.reports}


def _counts(gen: int, acc: int, sug: int, add: int, uic: int = 0) -> dict[str, int]:
    return {
        "user_initiated_interaction_count": uic,
        "code_generation_activity_count": gen,
        "code_acceptance_activity_count": acc,
        "loc_suggested_to_add_sum": sug,
        "loc_suggested_to_delete_sum": 0,
        "loc_added_sum": add,
        "loc_deleted_sum": 0,
    }


def _c6(gen: int, acc: int, sug: int, add: int) -> dict[str, int]:
    out = _counts(gen, acc, sug, add)
    del out["user_initiated_interaction_count"]
    return out


def _day(day: str, features: list[dict[str, Any]], languages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "day": day,
        "organization_id": "77001",
        "enterprise_id": "4242",
        "daily_active_users": 2,
        **_counts(99, 88, 77, 66, 55),
        "totals_by_ide": [],
        "totals_by_feature": features,
        "totals_by_language_feature": languages,
        "totals_by_language_model": [],
        "totals_by_model_feature": [],
    }


@pytest.fixture(scope="module")
def aggregate() -> dict[str, pl.DataFrame]:
    # day 1: completions 10 / 4, lines 20 / 5 (python 6 / 3, 12 / 4; c# 4 / 1, 8 / 1) beside an agent row
    # that must never count; day 2: a completion row of zeros
    wrapper = {
        "report_start_day": "2026-06-01",
        "report_end_day": "2026-06-28",
        "organization_id": "77001",
        "enterprise_id": "4242",
        "created_at": "2026-06-29T01:00:00Z",
        "day_totals": [
            _day(
                "2026-06-01",
                [
                    {"feature": "code_completion", **_counts(10, 4, 20, 5)},
                    {"feature": "chat_panel_agent_mode", **_counts(7, 7, 300, 900, 3)},
                ],
                [
                    {"language": "python", "feature": "code_completion", **_c6(6, 3, 12, 4)},
                    {"language": "c#", "feature": "code_completion", **_c6(4, 1, 8, 1)},
                    {"language": "python", "feature": "chat_panel_agent_mode", **_c6(7, 7, 300, 900)},
                ],
            ),
            _day("2026-06-02", [{"feature": "code_completion", **_counts(0, 0, 0, 0)}], []),
        ],
    }
    return successor.read_bytes(json.dumps(wrapper).encode(), "agg.json").tables


def test_completion_from_code_completion_rows_only(aggregate: dict[str, pl.DataFrame]) -> None:
    row = code_completion(aggregate).row(0, named=True)
    assert (row["suggestions"], row["acceptances"], row["lines_suggested"], row["lines_accepted"]) == (10, 4, 20, 5)
    assert row["acceptance_rate"] == pytest.approx(4 / 10)
    assert row["line_acceptance_rate"] == pytest.approx(5 / 20)
    assert "users" not in code_completion(aggregate).columns  # aggregate rows are not user-derived


def test_completion_rates_null_on_zero(aggregate: dict[str, pl.DataFrame]) -> None:
    days = code_completion(aggregate, every="1d")
    assert days["period_start"].to_list() == [date(2026, 6, 1), date(2026, 6, 2)]
    second = days.row(1, named=True)
    assert (second["suggestions"], second["acceptance_rate"], second["line_acceptance_rate"]) == (0, None, None)


def test_completion_by_language_normalized(aggregate: dict[str, pl.DataFrame]) -> None:
    out = code_completion(aggregate, by="language")
    got = {
        r["language"]: (r["suggestions"], r["acceptances"], r["lines_suggested"], r["lines_accepted"])
        for r in out.rows(named=True)
    }
    assert got == {"python": (6, 3, 12, 4), "csharp": (4, 1, 8, 1)}
    raw = code_completion(aggregate, by="language", normalize_languages=False)
    assert sorted(raw["language"]) == ["c#", "python"]


def test_completion_sources(aggregate: dict[str, pl.DataFrame], users: dict[str, pl.DataFrame]) -> None:
    with pytest.raises(CopilotMetricsError, match="twice"):
        code_completion(aggregate, source="both")  # type: ignore[arg-type]
    # users: 10 rows with a completion row (102's zero row has none): 9 x 2/1 + 103's 3/1; lines 10 x 4/2
    row = code_completion(users, source="users", min_users=3).row(0, named=True)
    assert (row["suggestions"], row["acceptances"], row["lines_suggested"], row["lines_accepted"]) == (21, 10, 40, 20)
    assert row["acceptance_rate"] == pytest.approx(10 / 21)
    assert (row["users"], row["accepting_users"], row["suppressed"]) == (3, 3, False)
    hidden = code_completion(users, source="users").row(0, named=True)  # 3 users < 5
    assert (hidden["suppressed"], hidden["suggestions"], hidden["users"]) == (True, None, None)
    by_language = code_completion(users, source="users", by="language", min_users=None)
    got = {r["language"]: (r["suggestions"], r["acceptances"], r["users"]) for r in by_language.rows(named=True)}
    assert got == {"python": (14, 7, 2), "csharp": (7, 3, 1)}


def test_ide_agent_adoption(users: dict[str, pl.DataFrame]) -> None:
    row = ide_agent_adoption(users, min_users=None).row(0, named=True)
    # used_agent true for 101 (06-01) and 103 (06-08); reported on every row
    assert (row["active_users"], row["reporting_users"], row["adopting_users"]) == (3, 3, 2)
    assert (row["users_unreported"], row["adopting_user_days"]) == (0, 2)
    assert row["adoption_share"] == pytest.approx(2 / 3)


def test_flag_absent_on_all_days_is_unreported_not_false(users: dict[str, pl.DataFrame]) -> None:
    row = adoption_shares(users, flags=("used_cli",), min_users=None).row(0, named=True)
    # 102 never has used_cli: unreported; 103 true on 06-04; 101 false
    assert (row["active_users"], row["reporting_users"], row["users_unreported"]) == (3, 2, 1)
    assert row["adopting_users"] == 1
    assert row["adoption_share"] == pytest.approx(1 / 2)  # not 1 / 3
    # any agent: 102 reports used_agent (false), so all 3 report; 101 and 103 adopt
    anyone = any_agent_adoption(users, min_users=None).row(0, named=True)
    assert (anyone["reporting_users"], anyone["adopting_users"], anyone["users_unreported"]) == (3, 2, 0)


def test_adoption_periods_and_suppression(users: dict[str, pl.DataFrame]) -> None:
    weeks = chat_adoption(users, "1w", min_users=None)
    # used_chat true on rows with an interaction: W23 101, 102 (06-01), 103 (06-04) -> 3 of 3
    assert weeks.row(0, named=True)["adoption_share"] == pytest.approx(1.0)
    assert weeks.row(1, named=True)["adoption_share"] is None  # W24: 5 days outside the users window
    assert ide_agent_adoption(users).row(0, named=True)["suppressed"] is True
    with pytest.raises(CopilotMetricsError, match="not a user_days flag"):
        adoption_shares(users, flags=("used_teleport",))
