"""The four shared usage-report samples: the row counts SUCCESSOR.md §6 "Rows" works out.

The samples are read in place from ../shared (skipped where it is absent); record counts are
recomputed here with ``json`` (independently of the reader) as well as compared with §6.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from copilot_metrics import successor

REPORTS = Path(__file__).resolve().parents[2] / "shared" / "samples" / "usage-reports"

pytestmark = pytest.mark.skipif(not REPORTS.is_dir(), reason="../shared/samples is absent")

VIEWER_ORG = "github-copilot-resources__copilot-metrics-viewer__organization-28-day-report.json"
VIEWER_USERS = "github-copilot-resources__copilot-metrics-viewer__organization-users-28-day-report.json"
SAFE_AGG = "safe2008__github-copilot-insights-dashboard__enterprise-aggregate-28day.ndjson"
SAFE_USERS = "safe2008__github-copilot-insights-dashboard__enterprise-users-28day.ndjson"

#: SUCCESSOR.md §6 "Rows" (tables not named have 0 rows), and tests/fixtures/usage_reports/EXPECTED.md.
ROWS: dict[str, dict[str, int]] = {
    VIEWER_ORG: {
        "agg_days": 28,
        "agg_ide": 41,
        "agg_feature": 101,
        "agg_language_feature": 293,
        "agg_language_model": 189,
        "agg_model_feature": 297,
        "agg_clients": 28,
        "agg_pull_requests": 28,
    },
    VIEWER_USERS: {
        "user_days": 107,
        "user_ide": 75,
        "user_feature": 195,
        "user_language_feature": 361,
        "user_language_model": 307,
        "user_model_feature": 263,
        "user_clients": 51,
    },
    SAFE_AGG: {
        "agg_days": 2,
        "agg_feature": 2,
        "agg_language_feature": 7,
        "agg_language_model": 14,
        "agg_model_feature": 8,
        "agg_clients": 2,
        "agg_adoption_phase": 3,
        "agg_pull_requests": 2,
        "agg_pr_comment_type": 4,
    },
    SAFE_USERS: {
        "user_days": 3,
        "user_feature": 2,
        "user_language_feature": 6,
        "user_language_model": 9,
        "user_model_feature": 5,
        "user_clients": 2,
    },
}
#: layout, kind, window, created_at_raw, user_logins rows
REPORT: dict[str, tuple[str, str, tuple[date, date], str | None, int]] = {
    VIEWER_ORG: (
        "object",
        "organization-28-day",
        (date(2026, 3, 29), date(2026, 4, 25)),
        "2026-04-26T03:36:11.710Z",
        0,
    ),
    VIEWER_USERS: (
        "object",
        "organization-users-28-day",
        (date(2026, 3, 29), date(2026, 4, 25)),
        "2026-04-26T03:36:11.710Z",
        8,
    ),
    SAFE_AGG: ("object", "enterprise-28-day", (date(2026, 5, 29), date(2026, 6, 25)), "2026-06-26T05:29:30.036Z", 0),
    SAFE_USERS: ("ndjson", "enterprise-users-28-day", (date(2026, 5, 29), date(2026, 6, 25)), None, 3),
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_sample_row_counts(name: str) -> None:
    result = successor.read_bytes((REPORTS / name).read_bytes(), name)
    assert {k: v.height for k, v in result.tables.items() if v.height} == ROWS[name]
    layout, kind, window, created, logins = REPORT[name]
    report = result.reports.row(0, named=True)
    assert result.reports.height == 1
    assert result.layout == layout
    assert report["kind"] == kind
    assert (report["window_start"], report["window_end"]) == window
    assert report["created_at_raw"] == created
    assert result.user_logins.height == logins
    assert result.findings.filter(result.findings["rule"] == "dates_not_in_order").height == 1
    assert result.quarantine.height == 0


def test_viewer_users_are_eight_distinct_ids_over_107_rows() -> None:
    data = (REPORTS / VIEWER_USERS).read_bytes()
    records = json.loads(data)["day_totals"]
    result = successor.read_bytes(data, VIEWER_USERS)
    days = result.tables["user_days"]
    assert days.height == len(records) == 107
    assert days["user_id"].n_unique() == len({r["user_id"] for r in records}) == 8
    assert sorted(days["user_id"].unique().to_list()) == [6, 7, 338094, 338095, 338096, 338097, 338098, 338099]


def test_viewer_org_completion_counts_come_from_code_completion_rows() -> None:
    result = successor.read_bytes((REPORTS / VIEWER_ORG).read_bytes(), VIEWER_ORG)
    completion = result.tables["agg_feature"].filter(result.tables["agg_feature"]["feature"] == "code_completion")
    assert completion.height == 7
    assert completion.select(
        "code_generation_activity_count", "code_acceptance_activity_count", "loc_suggested_to_add_sum", "loc_added_sum"
    ).sum().row(0) == (219, 54, 397, 140)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_sample_records_rebuild_json_equal(name: str) -> None:
    data = (REPORTS / name).read_bytes()
    result = successor.read_bytes(data, name)
    try:
        docs = [json.loads(data)]
    except json.JSONDecodeError:
        docs = [json.loads(line) for line in data.splitlines() if line.strip()]
    records = [r for d in docs for r in (d.get("day_totals", [d]))]
    rebuilt = [r for _, r in successor.rebuild_records(result.tables)]

    def canonical(items: list[Any]) -> list[str]:
        return sorted(json.dumps(r, sort_keys=True) for r in items)

    assert canonical(rebuilt) == canonical(records)
