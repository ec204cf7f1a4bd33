"""The ``break`` column of the legacy metrics' period outputs, of ``cm.trend``, and through ``cm.rollup``.

The data run from Friday 2026-03-20 to Wednesday 2026-04-01, the legacy API's last day (it closed
on 2026-04-02, ``legacy_closed``). By hand on the calendar: the ISO weeks start 03-16 (Fri-Sun
only), 03-23 and 03-30 (Mon-Wed; the week runs to 04-05, so it holds 04-02); the months are March
and April (04-01 only); the quarters Q1 and Q2. No daily period is 04-02 (no day has data then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
from helpers import load

FIRST, LAST = dt.date(2026, 3, 20), dt.date(2026, 4, 1)
CLOSED = "legacy_closed"


def days() -> list[dict[str, Any]]:
    out = []
    date = FIRST
    while date <= LAST:
        model = {
            "name": "default",
            "is_custom_model": False,
            "custom_model_training_date": None,
            "total_engaged_users": 5,
        }
        out.append(
            {
                "date": date.isoformat(),
                "total_active_users": 6,
                "total_engaged_users": 5,
                "copilot_ide_code_completions": {
                    "total_engaged_users": 5,
                    "languages": [{"name": "go", "total_engaged_users": 5}, {"name": "rust", "total_engaged_users": 1}],
                    "editors": [
                        {
                            "name": "vscode",
                            "total_engaged_users": 5,
                            "models": [
                                {
                                    **model,
                                    "languages": [
                                        {
                                            "name": "go",
                                            "total_engaged_users": 5,
                                            "total_code_suggestions": 10,
                                            "total_code_acceptances": 3,
                                            "total_code_lines_suggested": 20,
                                            "total_code_lines_accepted": 6,
                                        },
                                        {
                                            "name": "rust",
                                            "total_engaged_users": 1,
                                            "total_code_suggestions": 4,
                                            "total_code_acceptances": 1,
                                            "total_code_lines_suggested": 8,
                                            "total_code_lines_accepted": 2,
                                        },
                                    ],
                                }
                            ],
                        }
                    ],
                },
                "copilot_ide_chat": {
                    "total_engaged_users": 5,
                    "editors": [
                        {
                            "name": "vscode",
                            "total_engaged_users": 5,
                            "models": [
                                {
                                    **model,
                                    "total_chats": 2,
                                    "total_chat_insertion_events": 1,
                                    "total_chat_copy_events": 0,
                                }
                            ],
                        }
                    ],
                },
                "copilot_dotcom_chat": {"total_engaged_users": 5, "models": [{**model, "total_chats": 1}]},
                "copilot_dotcom_pull_requests": {
                    "total_engaged_users": 5,
                    "repositories": [
                        {
                            "name": "a/b",
                            "total_engaged_users": 5,
                            "models": [{**model, "total_pr_summaries_created": 1}],
                        }
                    ],
                },
            }
        )
        date += dt.timedelta(days=1)
    return out


@pytest.fixture(scope="module")
def ds() -> cm.Dataset:
    return load(days())


METRICS: dict[str, Callable[..., pl.DataFrame]] = {
    "adoption": cm.adoption,
    "acceptance": cm.acceptance,
    "chat": cm.chat,
    "dotcom_chat": cm.dotcom_chat,
    "pull_requests": cm.pull_requests,
}
WEEKS = [dt.date(2026, 3, 16), dt.date(2026, 3, 23), dt.date(2026, 3, 30)]


def breaks(frame: pl.DataFrame) -> list[tuple[dt.date, str | None]]:
    return list(frame.select("period_start", "break").iter_rows())


@pytest.mark.parametrize("name", list(METRICS))
def test_every_period_output_ends_with_the_legacy_breaks_of_its_period(ds: cm.Dataset, name: str) -> None:
    metric = METRICS[name]
    weekly = metric(ds, by=None, every="1w")
    assert weekly.columns[-1] == "break"
    assert weekly.schema["break"] == pl.String
    assert breaks(weekly) == [(WEEKS[0], None), (WEEKS[1], None), (WEEKS[2], CLOSED)]
    monthly = metric(ds, by=None, every="1mo")
    assert breaks(monthly) == [(dt.date(2026, 3, 1), None), (dt.date(2026, 4, 1), CLOSED)]
    quarterly = metric(ds, by=None, every="1q")
    assert breaks(quarterly) == [(dt.date(2026, 1, 1), None), (dt.date(2026, 4, 1), CLOSED)]
    daily = metric(ds, by=None, every="1d")
    assert daily.height == 13  # 03-20 .. 04-01: no row is the 2nd of April
    assert daily.get_column("break").null_count() == 13
    # the whole range is no period: no break column, the columns are those of before
    whole = metric(ds, by=None)
    assert "break" not in whole.columns
    # the column is appended: the period output is the whole-range columns with the period and calendar
    # before them, and (adoption) the changes and the break after
    extra = ["period_start", "days_in_period", "period_complete"]
    tail = [c for c in weekly.columns if c.endswith("_mean_change")] + ["break"]
    assert weekly.columns == [*whole.columns[:3], *extra, *whole.columns[3:], *tail]


def test_every_slice_of_a_period_carries_its_break(ds: cm.Dataset) -> None:
    weekly = cm.acceptance(ds, by="language", every="1w")
    assert weekly.columns[-1] == "break"
    got = sorted(weekly.select("period_start", "language", "break").iter_rows(), key=lambda r: (r[0], r[1]))
    assert got == [(w, lang, CLOSED if w == WEEKS[2] else None) for w in WEEKS for lang in ("go", "rust")]


def test_break_is_a_calendar_column_kept_or_joined_by_rollup(ds: cm.Dataset) -> None:
    assert cm.column_kind("break") == "calendar"
    weekly = cm.acceptance(ds, by=None, every="1w").drop("engaged_users_mean", "engaged_users_peak")
    kept = cm.rollup(weekly, by="period_start")
    assert breaks(kept) == [(WEEKS[0], None), (WEEKS[1], None), (WEEKS[2], CLOSED)]
    whole = cm.rollup(weekly)
    assert whole.get_column("break").to_list() == [CLOSED]
    assert whole.get_column("days_in_period").to_list() == [13]
    # over periods without a break: null, not ""
    assert cm.rollup(weekly.filter(pl.col("period_start") < WEEKS[2])).get_column("break").to_list() == [None]


def test_rollup_names_each_break_of_the_periods_once_in_date_order() -> None:
    frame = pl.DataFrame(
        {
            "org": ["o", "o", "o"],
            "period_start": [dt.date(2026, 7, 1), dt.date(2026, 4, 1), dt.date(2026, 6, 1)],
            "days_in_period": [31, 30, 30],
            "period_complete": [True, True, True],
            "break": ["copilot_app_counted; copilot_app_in_rollups", CLOSED, "server_side_users"],
            "total_chats": [1, 2, 3],
        }
    )
    out = cm.rollup(frame)
    assert out.row(0, named=True) == {
        "org": "o",
        "days_in_period": 91,
        "period_complete": True,
        "break": "legacy_closed; server_side_users; copilot_app_counted; copilot_app_in_rollups",
        "total_chats": 6,
    }


def test_trend_names_the_breaks_in_each_window() -> None:
    dates = [dt.date(2026, 3, 30) + dt.timedelta(days=i) for i in range(8)]  # 03-30 .. 04-06
    frame = pl.DataFrame({"org": "o", "date": dates, "users": [1.0] * 8})
    out = cm.trend(frame, "users", window=3)
    assert out.columns == ["org", "date", "users", "users_trend_3d", "users_trend_3d_days", "break"]
    # the 3-day window ending on d holds 04-02 for d in 04-02, 04-03, 04-04
    expected = [CLOSED if dt.date(2026, 4, 2) <= d <= dt.date(2026, 4, 4) else None for d in dates]
    assert out.get_column("break").to_list() == expected
    # a successor series: its own breaks (server-side users, 06-10..06-20), not the legacy close
    june = pl.DataFrame(
        {"org": "o", "date": [dt.date(2026, 4, 2), dt.date(2026, 6, 9), dt.date(2026, 6, 21)], "users": [1.0, 2.0, 3.0]}
    )
    got = cm.trend(june, "users", window=2, family="successor").get_column("break").to_list()
    assert got == [None, None, "server_side_users"]  # the window of 06-21 is 06-20..06-21
    assert cm.trend(june, "users", window=1, family=None).get_column("break").to_list() == [CLOSED, None, None]
    with pytest.raises(cm.CopilotMetricsError, match="family="):
        cm.trend(june, "users", family="legacy-ish")  # type: ignore[arg-type]


def test_trend_of_a_daily_output_replaces_its_break_by_the_window_one(ds: cm.Dataset) -> None:
    daily = cm.adoption(ds, every="1d")
    out = cm.trend(daily, "active_users_mean", window=7)
    assert out.columns == [
        *(c for c in daily.columns if c != "break"),
        "active_users_mean_trend_7d",
        "active_users_mean_trend_7d_days",
        "break",
    ]
    assert out.get_column("break").null_count() == out.height  # no 7-day window ending by 04-01 holds 04-02
    extended = pl.concat(
        [
            daily.select("org", "period_start", "active_users_mean", "break"),
            pl.DataFrame(
                {"org": ["acme"], "period_start": [dt.date(2026, 4, 3)], "active_users_mean": [1.0], "break": [None]},
                schema={"org": pl.String, "period_start": pl.Date, "active_users_mean": pl.Float64, "break": pl.String},
            ),
        ]
    )
    last = cm.trend(extended, "active_users_mean", window=2).row(-1, named=True)
    assert (last["period_start"], last["break"]) == (dt.date(2026, 4, 3), CLOSED)  # window 04-02..04-03
