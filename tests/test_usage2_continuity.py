"""cm.continuity: a legacy export and successor reports of the same org, side by side, never spliced.

Legacy 2026-03-30..04-01 and successor 2026-03-31..04-02 overlap on 03-31 and 04-01
(fixtures/usage_metrics/README.md); every value below is worked out by hand from the fixtures.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics import successor
from copilot_metrics.errors import ContinuityError
from copilot_metrics.usage import MAPPING, continuity

FIXTURES = Path(__file__).parent / "fixtures" / "usage_metrics"
LEGACY = FIXTURES / "continuity_legacy_org_three_days.json"
AGGREGATE = FIXTURES / "continuity_successor_org_three_days_28_day.json"
USERS = FIXTURES / "continuity_successor_org_users_1_day.ndjson"


def tables(
    *reports: Path,
    org: str = "octo",
    legacy_org: str = "octo",
    enterprise: str | None = None,
) -> dict[str, pl.DataFrame]:
    combined: dict[str, pl.DataFrame] = dict(cm.load(str(LEGACY), org=legacy_org).tables)
    for path in reports:
        read = successor.read_bytes(
            path.read_bytes(), path.name, org=None if enterprise else org, enterprise=enterprise
        )
        for name, frame in read.tables.items():
            combined[name] = pl.concat([combined[name], frame], how="vertical_relaxed") if name in combined else frame
    return combined


@pytest.fixture(scope="module")
def both() -> cm.usage.Continuity:
    return continuity(tables(AGGREGATE, USERS), min_users=None)  # the values themselves; suppression: below


def series(result: cm.usage.Continuity) -> dict[str, dict[str, object]]:
    return {r["series"]: r for r in result.series.rows(named=True)}


def test_every_series_of_the_mapping_has_a_status(both: cm.usage.Continuity) -> None:
    assert both.pairs.select("pair", "legacy_level", "organization_id", "successor_level").rows() == [
        ("octo", "organization", "9001", "organization")
    ]
    got = series(both)
    assert list(got) == [m.name for m in MAPPING]
    assert len(got) == 30
    statuses = {name: row["status"] for name, row in got.items()}
    assert statuses["date"] == "="
    approx = [
        "active_users",
        "engaged_users",
        "completions_engaged_users",
        "code_suggestions",
        "code_acceptances",
        "code_lines_suggested",
        "code_lines_accepted",
        "acceptance_rate",
        "line_acceptance_rate",
        "ide_chat_engaged_users",
        "chats",
        "chat_insertions_copies",
    ]
    assert [n for n, s in statuses.items() if s == "≈"] == approx
    assert [n for n, s in statuses.items() if s == "ends"] == [
        "completions_by_editor_model",
        "chat_acceptance_rate",
        "dotcom_chat",
        "pr_summaries",
    ]
    assert sum(s == "new" for s in statuses.values()) == 13
    assert all(row["difference"] for row in got.values())


def test_values_over_the_overlap_days_only(both: cm.usage.Continuity) -> None:
    got = series(both)
    expected = {  # series: (legacy over 03-31 + 04-01, successor over 03-31 + 04-01)
        "date": (2.0, 2.0),
        "active_users": ((12 + 11) / 2, (9 + 13) / 2),  # daily means, never summed
        "engaged_users": ((9 + 7) / 2, (2 + 2) / 2),  # user rows with interactions or acceptances: {1, 2}, {1, 4}
        "completions_engaged_users": ((7 + 5) / 2, (1 + 1) / 2),
        "ide_chat_engaged_users": ((5 + 3) / 2, (1 + 1) / 2),
        "code_suggestions": (120 + 80, 150 + 90),
        "code_acceptances": (36 + 20, 45 + 18),
        "code_lines_suggested": (240 + 160, 300 + 180),
        "code_lines_accepted": (60 + 40, 90 + 36),
        "acceptance_rate": (56 / 200, 63 / 240),  # ratios of sums
        "line_acceptance_rate": (100 / 400, 126 / 480),
        "chats": (30 + 10, 25 + 5 + 12),
        "chat_insertions_copies": ((4 + 1) + (1 + 1), 6 + 0 + 3),
    }
    for name, (legacy, succ) in expected.items():
        row = got[name]
        assert row["overlap_days"] == 2, name
        assert (row["legacy_value"], row["successor_value"]) == (pytest.approx(legacy), pytest.approx(succ)), name
        assert row["ratio"] == pytest.approx(succ / legacy), name
        # the series' loaded range: 03-30..04-02 holds the close; user rows end on 04-01, so theirs does not
        user_series = name in ("engaged_users", "completions_engaged_users", "ide_chat_engaged_users")
        assert row["breaks"] == ([] if user_series else ["legacy_closed"]), name
    for name in ("completions_by_editor_model", "dotcom_chat", "agent", "teams"):
        assert (got[name]["overlap_days"], got[name]["legacy_value"], got[name]["successor_value"]) == (0, None, None)


def test_series_read_from_user_rows_are_suppressed_below_min_users() -> None:
    """The fixture's user rows hold 4 distinct users (1, 2, 3 on 03-31; 1, 4 on 04-01): below k = 5."""
    result = continuity(tables(AGGREGATE, USERS))
    got = series(result)
    user_series = {"engaged_users", "completions_engaged_users", "ide_chat_engaged_users"}
    for name in user_series:
        assert (
            got[name]["legacy_value"] is not None,
            got[name]["successor_value"],
            got[name]["ratio"],
            got[name]["suppressed"],
        ) == (True, None, None, True), name
    # the aggregate series stand on no user rows: never suppressed, values kept
    assert (got["active_users"]["successor_value"], got["active_users"]["suppressed"]) == (11.0, False)
    assert (got["code_suggestions"]["successor_value"], got["code_suggestions"]["suppressed"]) == (240.0, False)
    daily = result.daily.filter(pl.col("series") == "engaged_users", pl.col("successor_days") > 0)
    assert daily["successor_value"].to_list() == [None] * daily.height
    assert daily["suppressed"].to_list() == [True] * daily.height
    # k = 3: the four users of the two overlap days are enough; per day, 03-31 has 3 users' rows, 04-01 has 2
    three = continuity(tables(AGGREGATE, USERS), min_users=3)
    assert series(three)["engaged_users"]["successor_value"] == pytest.approx(2.0)
    per_day = three.daily.filter(pl.col("series") == "engaged_users", pl.col("successor_days") > 0).sort("period_start")
    assert per_day["period_start"].to_list() == [date(2026, 3, 31), date(2026, 4, 1)]
    assert per_day["successor_value"].to_list() == [2.0, None]
    assert per_day["suppressed"].to_list() == [False, True]
    off = continuity(tables(AGGREGATE, USERS), min_users=None)
    assert off.series["suppressed"].null_count() == off.series.height


def test_daily_side_by_side_never_spliced(both: cm.usage.Continuity) -> None:
    daily = both.daily.filter(pl.col("series") == "active_users")
    assert daily["period_start"].to_list() == [date(2026, 3, d) for d in (30, 31)] + [date(2026, 4, d) for d in (1, 2)]
    assert daily["legacy_value"].to_list() == [10.0, 12.0, 11.0, None]
    assert daily["successor_value"].to_list() == [None, 9.0, 13.0, 14.0]
    assert daily["overlap_days"].to_list() == [0, 1, 1, 0]
    assert daily["break"].to_list() == [None, None, None, "legacy_closed"]
    weeks = continuity(tables(AGGREGATE, USERS), every="1w").daily.filter(pl.col("series") == "code_suggestions")
    # ISO week of 03-30: legacy 100 + 120 + 80, successor 150 + 90 + 100, each over its own days
    assert weeks.select("legacy_value", "successor_value", "legacy_days", "successor_days", "overlap_days").rows() == [
        (300.0, 340.0, 3, 3, 2)
    ]
    assert "octo: active_users ≈ (2 overlap days) legacy 11.5 | successor 11" in both.summary().splitlines()


def test_without_users_reports_the_user_series_end() -> None:
    got = series(continuity(tables(AGGREGATE)))
    for name in ("engaged_users", "completions_engaged_users", "ide_chat_engaged_users"):
        assert got[name]["status"] == "ends"
        assert got[name]["legacy_value"] is None
        assert str(got[name]["difference"]).startswith("needs users reports")
    assert got["active_users"]["status"] == "≈"


def test_start_end_and_explicit_mapping() -> None:
    result = continuity(
        tables(AGGREGATE, USERS, org="octo-successor"), scopes={"octo": {"organization_id": "9001"}}, end="2026-03-31"
    )
    got = series(result)
    assert got["code_suggestions"]["overlap_days"] == 1
    assert (got["code_suggestions"]["legacy_value"], got["code_suggestions"]["successor_value"]) == (120.0, 150.0)
    assert got["code_suggestions"]["breaks"] == []  # 03-30..03-31 holds no break


def test_no_common_scope_and_level_mismatch_refused() -> None:
    with pytest.raises(ContinuityError, match="no legacy scope") as caught:
        continuity(tables(AGGREGATE, org="someone-else"))
    assert caught.value.legacy == ("octo",)
    report = json.loads(AGGREGATE.read_text())
    del report["organization_id"]
    for day in report["day_totals"]:
        del day["organization_id"]
    enterprise = successor.read_bytes(json.dumps(report).encode(), "enterprise.json", enterprise="octo")
    mixed = {**cm.load(str(LEGACY), org="octo").tables, **enterprise.tables}
    with pytest.raises(ContinuityError, match="legacy organization 'octo' is paired with successor enterprise"):
        continuity(mixed)
    with pytest.raises(ContinuityError, match="allow_level_mismatch"):
        continuity(mixed, scopes={"octo": {"enterprise_id": "4242"}})
    allowed = continuity(mixed, allow_level_mismatch=True)
    assert allowed.pairs["successor_level"].to_list() == ["enterprise"]
    assert series(allowed)["code_suggestions"]["successor_value"] == 240.0
