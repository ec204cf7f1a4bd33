"""Partial periods are marked: ``days_in_period`` and ``period_complete`` on every period-labelled frame.

The data run from Saturday 2025-05-03 to Tuesday 2025-05-27: the first ISO week holds its weekend
only and the last its Monday and Tuesday. Expected values are counted on the calendar by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
from helpers import load

FIRST, LAST = dt.date(2025, 5, 3), dt.date(2025, 5, 27)
WEEKS = [dt.date(2025, 4, 28), dt.date(2025, 5, 5), dt.date(2025, 5, 12), dt.date(2025, 5, 19), dt.date(2025, 5, 26)]
WEEKLY = [(False, 2), (True, 7), (True, 7), (True, 7), (False, 2)]


def days() -> list[dict[str, Any]]:
    out = []
    date = FIRST
    while date <= LAST:
        weekend = date.weekday() >= 5
        users = 1 if weekend else 200  # a weekend-only week would plunge, a Monday-Tuesday week spike
        model = {
            "name": "default",
            "is_custom_model": False,
            "custom_model_training_date": None,
            "total_engaged_users": users,
        }
        out.append(
            {
                "date": date.isoformat(),
                "total_active_users": users,
                "total_engaged_users": users,
                "copilot_ide_code_completions": {
                    "total_engaged_users": users,
                    "languages": [{"name": "go", "total_engaged_users": users}],
                    "editors": [
                        {
                            "name": "vscode",
                            "total_engaged_users": users,
                            "models": [
                                {
                                    **model,
                                    "languages": [
                                        {
                                            "name": "go",
                                            "total_engaged_users": users,
                                            "total_code_suggestions": 10,
                                            "total_code_acceptances": 3,
                                            "total_code_lines_suggested": 20,
                                            "total_code_lines_accepted": 6,
                                        }
                                    ],
                                }
                            ],
                        }
                    ],
                },
                "copilot_ide_chat": {
                    "total_engaged_users": users,
                    "editors": [
                        {
                            "name": "vscode",
                            "total_engaged_users": users,
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
                "copilot_dotcom_chat": {"total_engaged_users": users, "models": [{**model, "total_chats": 1}]},
                "copilot_dotcom_pull_requests": {
                    "total_engaged_users": users,
                    "repositories": [
                        {
                            "name": "a/b",
                            "total_engaged_users": users,
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


def calendar(frame: pl.DataFrame) -> list[tuple[bool, int]]:
    return list(frame.select("period_complete", "days_in_period").iter_rows())


def test_weekly_adoption_marks_the_partial_first_and_last_weeks(ds: cm.Dataset) -> None:
    weekly = cm.adoption(ds, every="1w")
    assert weekly["period_start"].to_list() == WEEKS
    assert calendar(weekly) == WEEKLY
    assert weekly["days_missing"].to_list() == [0, 0, 0, 0, 0]  # partial is not missing
    assert weekly.columns[3:6] == ["period_start", "days_in_period", "period_complete"]
    # the first week's mean stands on its weekend only, and says so
    assert weekly.row(0, named=True)["active_users_mean"] == 1.0


@pytest.mark.parametrize(
    ("metric", "kwargs"),
    [
        (cm.acceptance, {"by": "language"}),
        (cm.acceptance, {"by": None}),
        (cm.acceptance, {"by": "model"}),
        (cm.chat, {}),
        (cm.dotcom_chat, {}),
        (cm.pull_requests, {"by": ("repository", "model")}),
    ],
)
def test_every_period_labelled_frame_has_the_calendar_columns(
    ds: cm.Dataset, metric: Any, kwargs: dict[str, Any]
) -> None:
    frame = metric(ds, every="1w", **kwargs)
    assert calendar(frame) == WEEKLY
    assert "days_in_period" not in metric(ds, **kwargs).columns  # whole range: no period, no marks


def test_months_quarters_and_days(ds: cm.Dataset) -> None:
    assert calendar(cm.adoption(ds, every="1mo")) == [(False, 25)]  # May 3 to 27 of 31 days
    assert calendar(cm.adoption(ds, every="1q")) == [(False, 25)]
    daily = cm.adoption(ds, every="1d")
    assert calendar(daily) == [(True, 1)] * 25


def test_start_and_end_narrow_the_range_the_periods_are_judged_on(ds: cm.Dataset) -> None:
    weekly = cm.acceptance(ds, by=None, every="1w", start="2025-05-05", end="2025-05-21")
    assert weekly["period_start"].to_list() == WEEKS[1:4]
    assert calendar(weekly) == [(True, 7), (True, 7), (False, 3)]
    weekdays = cm.adoption(ds, every="1w", weekdays_only=True)
    # weekdays only: the first week has no weekday in range, the last has 2
    assert calendar(weekdays)[1:] == [(True, 5), (True, 5), (True, 5), (False, 2)]


def test_a_missing_day_inside_the_range_leaves_the_period_complete() -> None:
    data = [d for d in days() if d["date"] != "2025-05-14"]
    weekly = cm.adoption(load(data), every="1w")
    assert calendar(weekly) == WEEKLY
    assert weekly["days_missing"].to_list() == [0, 0, 1, 0, 0]


def test_trend_leaves_partial_periods_out_unless_asked(ds: cm.Dataset) -> None:
    weekly = cm.adoption(ds, every="1w")
    trend = cm.trend(weekly, "active_users_mean", window=14)
    # full weeks have mean (5 * 200 + 2 * 1) / 7; the partial weeks are not in any window
    full = (5 * 200 + 2 * 1) / 7
    assert trend["active_users_mean_trend_14d"].to_list() == [
        None,
        pytest.approx(full),
        pytest.approx(full),
        pytest.approx(full),
        None,
    ]
    assert trend["active_users_mean_trend_14d_days"].to_list() == [0, 1, 2, 2, 1]
    mixed = cm.trend(weekly, "active_users_mean", window=14, include_partial=True)
    assert mixed["active_users_mean_trend_14d"].to_list()[:2] == [1.0, pytest.approx((1.0 + full) / 2)]


def test_calendar_columns_are_a_kind_of_their_own_and_roll_up(ds: cm.Dataset) -> None:
    assert (cm.column_kind("days_in_period"), cm.column_kind("period_complete")) == ("calendar", "calendar")
    weekly = cm.acceptance(ds, by="language", every="1w").drop(
        "engaged_user_days",
        "engaged_users_mean",
        "engaged_users_peak",
        "engaged_users_days_reported",
        "engaged_users_days_unreported",
    )
    kept = cm.rollup(weekly, by="period_start")
    assert calendar(kept) == WEEKLY
    whole = cm.rollup(weekly)
    assert calendar(whole) == [(False, 25)]
    assert whole["total_code_suggestions"].item() == 250


def test_charts_draw_partial_periods_as_hollow_points_off_the_lines(ds: cm.Dataset) -> None:
    from copilot_metrics import plot

    chart = plot.adoption_trend(cm.adoption(ds, every="1w"))
    data = next(iter(chart.to_dict()["datasets"].values()))
    mean = {r["period_start"][:10]: r for r in data if r["series"] == "Active users" and r["statistic"] == "daily mean"}
    assert [mean[w.isoformat()]["period"] for w in WEEKS] == [
        "partial period",
        "complete period",
        "complete period",
        "complete period",
        "partial period",
    ]
    # no line into them; the point is still drawn, with its value, hollow (filled white)
    full = pytest.approx(1002 / 7)
    assert [mean[w.isoformat()]["value_line"] for w in WEEKS] == [None, full, full, full, None]
    assert mean[WEEKS[0].isoformat()]["value"] == 1.0
    assert [mean[w.isoformat()]["_marker"] for w in WEEKS] == [
        "partial period",
        "Active users",
        "Active users",
        "Active users",
        "partial period",
    ]
    fill = chart.to_dict()["layer"][1]["encoding"]["fill"]["scale"]
    assert dict(zip(fill["domain"], fill["range"], strict=True))["partial period"] == "white"
    features = next(iter(plot.feature_adoption(cm.adoption(ds, every="1w")).to_dict()["datasets"].values()))
    partial = [r for r in features if r["period"] == "partial period"]
    assert len(partial) == 2 * len(plot.FEATURES)
    assert {r["value_line"] for r in partial} == {None}


def test_report_says_which_periods_are_partial(ds: cm.Dataset) -> None:
    from copilot_metrics import report

    html = report.render(ds, every="1w")
    assert (
        "Hollow points, off the lines, are partial periods: 2025-04-28 (2 of its days in the loaded range), "
        "2025-05-26 (2 of its days in the loaded range)" in html
    )


def test_one_legend_names_the_series_and_partial_periods(ds: cm.Dataset) -> None:
    import re

    from copilot_metrics import plot, report

    svg = report.chart_svg(plot.adoption_trend(cm.adoption(ds, every="1w")))
    legends = re.findall(r'aria-label="Symbol legend[^"]*values: ([^"]*)"', svg)
    assert sorted(legends) == ["Active users, Engaged users, partial period", "daily mean, daily peak"]
