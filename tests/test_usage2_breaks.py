"""breaks: the known breaks declared once, and the break column of period outputs."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.breaks import (
    KNOWN_BREAKS,
    breaks_between,
    breaks_frame,
    period_bounds,
    with_breaks,
)
from copilot_metrics.errors import CopilotMetricsError


def test_known_breaks_are_the_five_of_successor_md_section_4() -> None:
    assert cm.KNOWN_BREAKS is KNOWN_BREAKS
    got = [(b.name, b.first, b.last) for b in KNOWN_BREAKS]
    assert got == [
        ("legacy_closed", date(2026, 4, 2), date(2026, 4, 2)),
        ("server_side_users", date(2026, 6, 10), date(2026, 6, 20)),  # "mid-June": no day given
        ("copilot_app_counted", date(2026, 7, 17), date(2026, 7, 17)),
        ("copilot_app_in_rollups", date(2026, 7, 28), date(2026, 7, 28)),
        ("review_stages_start", date(2026, 9, 21), date(2026, 9, 21)),
        ("sdk_agent_undercount", date(2026, 10, 6), date(2026, 10, 6)),
    ]
    assert KNOWN_BREAKS[0].families == ("legacy",)
    assert all(b.families == ("successor",) for b in KNOWN_BREAKS[1:])
    assert all(b.description and b.source for b in KNOWN_BREAKS)
    assert "used_agent" in KNOWN_BREAKS[-1].series
    frame = breaks_frame("successor")
    assert frame["break"].to_list() == [b.name for b in KNOWN_BREAKS[1:]]
    assert frame.schema["first"] == pl.Date


def test_breaks_between_by_family_and_series() -> None:
    assert breaks_between(date(2026, 4, 1), date(2026, 4, 30)) == ["legacy_closed"]
    assert breaks_between(date(2026, 4, 1), date(2026, 4, 30), "successor") == []
    assert breaks_between(date(2026, 6, 1), date(2026, 6, 9)) == []  # mid-June starts on the 10th
    assert breaks_between(date(2026, 6, 20), date(2026, 8, 1), "successor") == [
        "server_side_users",
        "copilot_app_counted",
        "copilot_app_in_rollups",
    ]
    # series: only breaks naming it (legacy_closed names every legacy series)
    assert breaks_between(date(2026, 1, 1), date(2026, 12, 31), series=["repo_review_times"]) == [
        "legacy_closed",
        "review_stages_start",
    ]
    with pytest.raises(CopilotMetricsError, match="family="):
        breaks_between(date(2026, 1, 1), date(2026, 2, 1), "legacy-ish")  # type: ignore[arg-type]


def test_with_breaks_over_weeks_months_and_windows() -> None:
    weeks = pl.LazyFrame({"period_start": [date(2026, 3, 30), date(2026, 4, 6), date(2026, 7, 13)]})
    lo, hi = period_bounds("1w")  # ISO week 03-30..04-05 holds 04-02
    out = with_breaks(weeks, lo, hi).collect()
    assert out["break"].to_list() == ["legacy_closed", None, "copilot_app_counted"]
    months = pl.LazyFrame({"period_start": [date(2026, 7, 1)]})
    lo, hi = period_bounds("1mo")
    assert with_breaks(months, lo, hi, family="successor").collect()["break"].to_list() == [
        "copilot_app_counted; copilot_app_in_rollups"
    ]
    # a trailing 7-day window ending 04-08 (04-02..04-08) holds the close; ending 04-09 it does not
    windows = pl.LazyFrame({"date": [date(2026, 4, 8), date(2026, 4, 9)]})
    lo, hi = period_bounds(None, window=7)
    assert with_breaks(windows, lo, hi).collect()["break"].to_list() == ["legacy_closed", None]
    assert with_breaks(windows, lo, hi, family="successor").collect()["break"].to_list() == [None, None]


def test_first_part_outputs_carry_the_break_column() -> None:
    from pathlib import Path

    from copilot_metrics import successor
    from copilot_metrics.usage import active_users, adoption_shares, code_completion

    fixture = Path(__file__).parent / "fixtures" / "usage_metrics" / "three_users_nine_days_users_28_day.ndjson"
    read = successor.read_bytes(fixture.read_bytes(), fixture.name)
    tables = {**read.tables, "reports": read.reports}
    # rows 2026-06-01..06-09; server_side_users falls on 06-10..06-20 ("mid-June")
    assert active_users(tables, min_users=None)["break"].to_list() == [None]
    assert active_users(tables, every="1w", min_users=None)["break"].to_list() == [None, "server_side_users"]
    assert active_users(tables, window=7, min_users=None)["break"].null_count() == 9
    assert adoption_shares(tables, every="1mo", min_users=None)["break"].to_list() == ["server_side_users"]
    weeks = code_completion(tables, every="1w", source="users", min_users=None)
    assert weeks["break"].to_list() == [None, "server_side_users"]
    assert code_completion(tables, source="users", min_users=None)["break"].to_list() == [None]
