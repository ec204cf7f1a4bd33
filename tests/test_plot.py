"""Charts: their data, marks and encodings (chart.to_dict()), not their pixels.

Expected values are computed here from the dataset's tables, independently of the metric
functions the charts are drawn from.
"""

from __future__ import annotations

import datetime
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm

alt = pytest.importorskip("altair", reason="the cli extra (altair) is not installed")
from copilot_metrics import plot  # noqa: E402

ORG = pl.col("team").is_null()
MISSING_DAY = datetime.date(2025, 2, 12)


@pytest.fixture(scope="module")
def ds(example_ds: cm.Dataset) -> cm.Dataset:
    return example_ds


def spec(chart: Any) -> dict[str, Any]:
    return chart.to_dict()  # type: ignore[no-any-return]


def rows(chart: Any) -> list[dict[str, Any]]:
    """The chart's one inline dataset."""
    datasets = spec(chart)["datasets"]
    assert len(datasets) == 1
    return next(iter(datasets.values()))  # type: ignore[no-any-return]


def day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value[:10])


# --------------------------------------------------------------------------------------------
# adoption trend
# --------------------------------------------------------------------------------------------


def test_adoption_trend_marks_and_encodings(ds: cm.Dataset) -> None:
    chart = plot.adoption_trend(cm.adoption(ds, every="1w"))
    d = spec(chart)
    assert d["facet"]["row"]["field"] == "scope"  # two scopes: one panel each, own y scale
    assert d["resolve"]["scale"]["y"] == "independent"
    line, point = d["spec"]["layer"]
    assert line["mark"]["type"] == "line"
    assert line["mark"]["invalid"] == "break-paths-show-domains"
    assert point["mark"]["type"] == "point"
    enc = {**d["spec"].get("encoding", {}), **line["encoding"]}
    assert (enc["x"]["field"], enc["x"]["type"]) == ("period_start", "temporal")
    assert enc["x"]["axis"]["format"] == "%b %d"  # one date format, the range is under a year
    # the line joins complete periods only (value_line is null on a partial one); the points show all
    assert (enc["y"]["field"], enc["y"]["type"]) == ("value_line", "quantitative")
    points = {**d["spec"].get("encoding", {}), **point["encoding"]}
    # filled in the series' colour, or white ("partial period") with the series' outline
    assert (points["y"]["field"], points["fill"]["field"], points["stroke"]["field"]) == ("value", "_marker", "series")
    assert enc["y"]["title"] == "Users (distinct, per day)"
    assert enc["color"]["field"] == "series"
    assert enc["strokeDash"]["field"] == "statistic"
    assert "title" in d


def test_adoption_trend_data_are_daily_means_and_peaks(ds: cm.Dataset) -> None:
    chart = plot.adoption_trend(cm.adoption(ds, every="1w").filter(ORG))
    data = rows(chart)
    # independently: ISO weeks of the org's days, mean and max of the distinct-user counts
    weekly = (
        ds.days.filter(ORG)
        .group_by(pl.col("date").dt.truncate("1w").alias("week"))
        .agg(
            pl.col("total_active_users").mean().alias("Active users|daily mean"),
            pl.col("total_active_users").max().cast(pl.Float64).alias("Active users|daily peak"),
            pl.col("total_engaged_users").mean().alias("Engaged users|daily mean"),
            pl.col("total_engaged_users").max().cast(pl.Float64).alias("Engaged users|daily peak"),
        )
    )
    expected = {
        (week, *key.split("|")): value
        for row in weekly.iter_rows(named=True)
        for week, key, value in ((row["week"], k, v) for k, v in row.items() if k != "week")
    }
    got = {(day(r["period_start"]), r["series"], r["statistic"]): r["value"] for r in data}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key
    assert {r["scope"] for r in data} == {"octo-org"}


def test_missing_day_is_a_gap_not_a_zero(ds: cm.Dataset) -> None:
    daily = cm.adoption(ds, every="1d").filter(ORG)
    data = rows(plot.adoption_trend(daily))
    on_missing = [r for r in data if day(r["period_start"]) == MISSING_DAY]
    # per day the mean is the peak: one "daily value" per series, not a duplicate legend entry
    assert {r["statistic"] for r in data} == {"daily value"}
    assert len(on_missing) == 2  # active and engaged
    assert all(r["value"] is None for r in on_missing)
    # every other day has its two values, equal to the day's counts
    n_days = ds.days.filter(ORG).height
    assert sum(r["value"] is not None for r in data) == 2 * n_days
    active = {day(r["period_start"]): r["value"] for r in data if r["series"] == "Active users"}
    assert all(active[d] == v for d, v in ds.days.filter(ORG).select("date", "total_active_users").iter_rows())


def test_period_absent_from_the_frame_is_added_back_as_a_gap(ds: cm.Dataset) -> None:
    daily = cm.adoption(ds, every="1d").filter(ORG, pl.col("period_start") != MISSING_DAY)
    data = rows(plot.adoption_trend(daily))
    on_missing = [r for r in data if day(r["period_start"]) == MISSING_DAY]
    assert [r["value"] for r in on_missing] == [None] * 2


def test_axes_over_more_than_a_year_show_years() -> None:
    dates = [datetime.date(2024, 1, 1) + datetime.timedelta(weeks=w) for w in range(70)]
    frame = pl.DataFrame(
        {
            "org": "o",
            "period_start": dates,
            "active_users_mean": 1.0,
            "active_users_peak": 2,
            "engaged_users_mean": 1.0,
            "engaged_users_peak": 1,
        }
    )
    line = spec(plot.adoption_trend(frame))["layer"][0]
    assert line["encoding"]["x"]["axis"]["format"] == "%b %Y"
    assert plot.date_format(frame.head(10).with_columns(scope=pl.lit("o"))) == "%b %d"
    monthly = frame.head(3).with_columns(
        scope=pl.lit("o"),
        period_start=pl.Series([datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), datetime.date(2024, 3, 1)]),
    )
    assert plot.date_format(monthly) == "%b %Y"


def test_adoption_trend_tolerates_new_columns_and_names_missing_ones(ds: cm.Dataset) -> None:
    frame = cm.adoption(ds, every="1w").filter(ORG).with_columns(pl.lit(1).alias("a_new_column"))
    assert rows(plot.adoption_trend(frame))
    with pytest.raises(cm.CopilotMetricsError, match="'period_start'") as info:
        plot.adoption_trend(cm.adoption(ds))  # whole range: no period
    assert info.value.column == "period_start"


# --------------------------------------------------------------------------------------------
# feature adoption
# --------------------------------------------------------------------------------------------


def test_feature_adoption_is_a_share_in_percent(ds: cm.Dataset) -> None:
    frame = cm.adoption(ds, every="1mo").filter(ORG)
    chart = plot.feature_adoption(frame)
    d = spec(chart)
    line, point = d["layer"]
    assert (line["mark"]["type"], point["mark"]["type"]) == ("line", "point")
    assert (line["encoding"]["y"]["field"], point["encoding"]["y"]["field"]) == ("value_line", "value")
    assert point["encoding"]["y"]["axis"]["format"] == ".0%"
    assert point["encoding"]["fill"]["field"] == "_marker"
    data = rows(chart)
    assert {r["series"] for r in data} == set(plot.FEATURES.values())
    # the chart draws the metric's own share column, month by month (January to June 2025)
    for prefix, name in plot.FEATURES.items():
        got = {day(r["period_start"]): r["value"] for r in data if r["series"] == name}
        assert got == dict(frame.select("period_start", f"{prefix}_share").iter_rows())
    shares = [r["value"] for r in data]
    assert len(shares) == 6 * 4
    assert all(0 <= v <= 1 for v in shares)


def test_feature_adoption_whole_range_is_bars(ds: cm.Dataset) -> None:
    chart = plot.feature_adoption(cm.adoption(ds))
    d = spec(chart)
    assert d["facet"]["row"]["field"] == "scope"
    assert d["spec"]["mark"]["type"] == "bar"
    assert d["spec"]["encoding"]["x"]["axis"]["format"] == ".0%"
    assert len(rows(chart)) == 2 * len(plot.FEATURES)


# --------------------------------------------------------------------------------------------
# acceptance
# --------------------------------------------------------------------------------------------


def test_acceptance_by_language_volume_and_rate(ds: cm.Dataset) -> None:
    chart = plot.acceptance_by_language(cm.acceptance(ds, by="language").filter(ORG), top=5)
    d = spec(chart)
    volume, rate_panel = d["hconcat"]
    assert [layer["mark"]["type"] for layer in volume["layer"]] == ["bar", "bar"]
    # the bars' colours have a legend: one per measure
    assert [layer["transform"][0]["filter"] for layer in volume["layer"]] == [
        "(datum.measure === 'Suggestions')",
        "(datum.measure === 'Acceptances')",
    ]
    assert {layer["encoding"]["color"]["field"] for layer in volume["layer"]} == {"measure"}
    rate, counts = rate_panel["layer"]
    assert rate["mark"]["type"] == "point"
    assert rate["encoding"]["x"]["axis"]["format"] == ".0%"
    assert rate["encoding"]["color"]["field"] == "rate"
    # beside each rate, the suggestions it stands on
    assert (counts["mark"]["type"], counts["encoding"]["text"]["field"]) == ("text", "total_code_suggestions")
    # independently: the five most suggested languages of the org, rates as ratios of sums
    sums = (
        ds.completions.filter(ORG)
        .group_by("language")
        .agg(
            pl.col("total_code_suggestions").sum(),
            pl.col("total_code_acceptances").sum(),
            pl.col("total_code_lines_suggested").sum(),
            pl.col("total_code_lines_accepted").sum(),
        )
        .sort("total_code_suggestions", descending=True)
        .head(5)
    )
    order = sums.get_column("language").to_list()
    assert volume["layer"][0]["encoding"]["y"]["sort"] == order
    datasets = list(d["datasets"].values())
    volume_rows = next(v for v in datasets if "measure" in v[0])
    rate_rows = next(v for v in datasets if "rate" in v[0])
    counts_rows = next(v for v in datasets if set(v[0]) == {"language", "total_code_suggestions"})
    assert [r["language"] for r in counts_rows] == order
    bars = {(r["language"], r["measure"]): r["count"] for r in volume_rows}
    for s in sums.iter_rows(named=True):
        assert bars[(s["language"], "Suggestions")] == s["total_code_suggestions"]
        assert bars[(s["language"], "Acceptances")] == s["total_code_acceptances"]
    assert dict(
        zip([r["language"] for r in counts_rows], [r["total_code_suggestions"] for r in counts_rows], strict=True)
    ) == dict(sums.select("language", "total_code_suggestions").iter_rows())
    rates = {(r["language"], r["rate"]): r["value"] for r in rate_rows}
    for s in sums.iter_rows(named=True):
        assert rates[(s["language"], "Acceptance rate")] == pytest.approx(
            s["total_code_acceptances"] / s["total_code_suggestions"]
        )
        assert rates[(s["language"], "Line acceptance rate")] == pytest.approx(
            s["total_code_lines_accepted"] / s["total_code_lines_suggested"]
        )


def test_acceptance_null_rate_stays_null() -> None:
    frame = pl.DataFrame(
        {
            "org": ["o", "o"],
            "language": ["python", "cobol"],
            "total_code_suggestions": [10, 0],
            "total_code_acceptances": [3, 2],
            "acceptance_rate": [0.3, None],
            "line_acceptance_rate": [None, None],
        }
    )
    chart = plot.acceptance(frame)
    rate_rows = [r for v in spec(chart)["datasets"].values() for r in v if "rate" in r]
    assert {(r["language"], r["rate"]): r["value"] for r in rate_rows} == {
        ("python", "Acceptance rate"): 0.3,
        ("cobol", "Acceptance rate"): None,
        ("python", "Line acceptance rate"): None,
        ("cobol", "Line acceptance rate"): None,
    }


def test_acceptance_by_editor_every_editor(ds: cm.Dataset) -> None:
    frame = cm.acceptance(ds, by="editor").filter(ORG)
    chart = plot.acceptance_by_editor(frame)
    volume = spec(chart)["hconcat"][0]
    assert volume["layer"][0]["encoding"]["y"]["field"] == "editor"
    editors = ds.completions.filter(ORG).get_column("editor").unique().to_list()
    assert sorted(volume["layer"][0]["encoding"]["y"]["sort"]) == sorted(editors)


def test_per_slice_charts_take_one_scope(ds: cm.Dataset) -> None:
    with pytest.raises(cm.CopilotMetricsError, match="2 scopes") as info:
        plot.acceptance_by_language(cm.acceptance(ds, by="language"))
    assert info.value.hint is not None
    with pytest.raises(cm.CopilotMetricsError, match="whole range"):
        plot.acceptance_by_language(cm.acceptance(ds, by="language", every="1mo").filter(ORG))


# --------------------------------------------------------------------------------------------
# chat
# --------------------------------------------------------------------------------------------


def test_chat_use_by_editor(ds: cm.Dataset) -> None:
    chart = plot.chat_use(cm.chat(ds, by="editor").filter(ORG))
    d = spec(chart)
    _volume, rate = d["hconcat"]
    assert rate["layer"][0]["encoding"]["x"]["axis"]["format"] == ".0%"
    sums = (
        ds.ide_chat.filter(ORG)
        .group_by("editor")
        .agg(
            pl.col("total_chats").sum(),
            (pl.col("total_chat_insertion_events").sum() + pl.col("total_chat_copy_events").sum()).alias("events"),
        )
    )
    volume_rows = [r for r in next(v for v in d["datasets"].values() if "measure" in v[0]) if r["measure"] == "Chats"]
    got = {r["editor"]: (r["total_chats"], r["insertions_and_copies"], r["chat_acceptance_rate"]) for r in volume_rows}
    assert got.keys() == set(sums.get_column("editor").to_list())
    for s in sums.iter_rows(named=True):
        chats, events, rate_value = got[s["editor"]]
        assert (chats, events) == (s["total_chats"], s["events"])
        assert rate_value == pytest.approx(s["events"] / s["total_chats"])


def test_dotcom_chat_use_is_volume_only(ds: cm.Dataset) -> None:
    chart = plot.chat_use(cm.dotcom_chat(ds).filter(ORG))
    d = spec(chart)
    assert d["mark"]["type"] == "bar"
    assert d["encoding"]["y"]["field"] == "model"
    totals = ds.dotcom_chat.filter(ORG).group_by("model").agg(pl.col("total_chats").sum())
    assert {r["model"]: r["total_chats"] for r in rows(chart)} == dict(totals.iter_rows())


# --------------------------------------------------------------------------------------------
# coverage calendar
# --------------------------------------------------------------------------------------------


def test_coverage_calendar_marks_the_missing_day(ds: cm.Dataset) -> None:
    chart = plot.coverage_calendar(cm.coverage(ds))
    d = spec(chart)
    assert d["spec"]["mark"]["type"] == "rect"
    assert d["spec"]["encoding"]["color"]["field"] == "status"
    assert d["spec"]["encoding"]["y"]["sort"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    data = rows(chart)
    for scope, team in (("octo-org", None), ("octo-org/platform", "platform")):
        dates = ds.days.filter(pl.col("team").eq_missing(pl.lit(team, dtype=pl.String))).get_column("date")
        first, last = dates.min(), dates.max()
        assert isinstance(first, datetime.date)
        assert isinstance(last, datetime.date)
        cells = [r for r in data if r["scope"] == scope]
        assert len(cells) == (last - first).days + 1
        missing = [r for r in cells if r["status"] == "missing"]
        assert [day(r["date"]) for r in missing] == [MISSING_DAY]
        assert (missing[0]["weekday"], missing[0]["week"]) == ("Wed", "2025-02-10")
        assert sum(r["status"] == "data" for r in cells) == dates.n_unique()


# --------------------------------------------------------------------------------------------
# known breaks
# --------------------------------------------------------------------------------------------

#: ISO weeks from 2026-03-09 to the week of 2026-03-30, which runs to 04-05 and so holds the legacy close (04-02)
BREAK_WEEKS = [datetime.date(2026, 3, 9) + datetime.timedelta(weeks=w) for w in range(4)]


def weekly_adoption(
    weeks: list[datetime.date], breaks: list[str | None] | None, orgs: tuple[str, ...] = ("o",)
) -> pl.DataFrame:
    """A hand-made ``cm.adoption(ds, every="1w")`` frame; ``breaks``: its break column (None: none)."""
    frame = pl.DataFrame(
        {
            "org": [o for o in orgs for _ in weeks],
            "period_start": weeks * len(orgs),
            "active_users_mean": 5.0,
            "active_users_peak": 6,
            "engaged_users_mean": 3.0,
            "engaged_users_peak": 4,
        }
    )
    if breaks is not None:
        frame = frame.with_columns(pl.Series("break", breaks * len(orgs), dtype=pl.String))
    return frame


def layers_and_breaks(chart: Any) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The mark of each layer, and the (break, date, last) rows of the rule layer's own dataset."""
    d = spec(chart)
    layers = d["spec"]["layer"] if "spec" in d else d["layer"]
    marks = [layer["mark"]["type"] for layer in layers]
    if "rule" not in marks:
        return marks, []
    rule = layers[marks.index("rule")]
    text = layers[marks.index("text")]
    assert rule["data"] == text["data"]  # the label is drawn from the same rows
    assert (rule["encoding"]["x"]["field"], text["encoding"]["text"]["field"]) == ("date", "label")
    rows_ = d["datasets"][rule["data"]["name"]]
    return marks, [(r["break"], r["date"][:10], r["last"][:10]) for r in rows_]


def test_period_chart_draws_a_rule_and_a_label_at_each_break_in_its_periods() -> None:
    frame = weekly_adoption(BREAK_WEEKS, [None, None, None, "legacy_closed"], orgs=("o", "p"))
    chart = plot.adoption_trend(frame)
    marks, drawn = layers_and_breaks(chart)
    assert marks == ["line", "point", "rule", "text"]
    assert drawn == [("legacy_closed", "2026-04-02", "2026-04-02")]
    d = spec(chart)
    # two scopes: the facet splits the series (their layers take the facet's data, none of their own) and
    # the break is drawn on each panel
    assert d["facet"]["row"]["field"] == "scope"
    line, point = d["spec"]["layer"][:2]
    assert "data" not in line
    assert "data" not in point
    series = d["datasets"][d["data"]["name"]]
    assert {r["scope"] for r in series} == {"o", "p"}
    rule = d["spec"]["layer"][2]
    assert rule["mark"]["color"] == plot.PALETTE["black"]  # Okabe and Ito's black, dashed
    assert rule["mark"]["strokeDash"] == [4, 3]


def test_breaks_named_in_the_frame_are_drawn_with_their_days() -> None:
    # a successor break named in a frame's break column: drawn at its first day, its range in the data
    frame = weekly_adoption([datetime.date(2026, 6, 1), datetime.date(2026, 6, 8)], [None, "server_side_users"])
    assert layers_and_breaks(plot.adoption_trend(frame))[1] == [("server_side_users", "2026-06-10", "2026-06-20")]
    two = weekly_adoption(
        [datetime.date(2026, 3, 30), datetime.date(2026, 7, 13)], ["legacy_closed", "copilot_app_counted"]
    )
    assert layers_and_breaks(plot.feature_adoption(two.with_columns(completions_share=pl.lit(0.5))))[1] == [
        ("legacy_closed", "2026-04-02", "2026-04-02"),
        ("copilot_app_counted", "2026-07-17", "2026-07-17"),
    ]


def test_a_frame_without_break_column_gets_the_legacy_breaks_of_its_range() -> None:
    # the last week (03-30) runs to 04-05: the legacy close is in range
    marks, drawn = layers_and_breaks(plot.adoption_trend(weekly_adoption(BREAK_WEEKS, None)))
    assert (marks, drawn) == (["line", "point", "rule", "text"], [("legacy_closed", "2026-04-02", "2026-04-02")])
    # a range ending on the week of 03-23 (to 03-29) holds no break: no layer, one dataset
    chart = plot.adoption_trend(weekly_adoption(BREAK_WEEKS[:3], None))
    assert layers_and_breaks(chart) == (["line", "point"], [])
    assert len(spec(chart)["datasets"]) == 1
    # months: April 2026 holds the close, March does not
    months = [datetime.date(2026, m, 1) for m in (1, 2, 3, 4)]
    activity = pl.DataFrame({"org": "o", "period_start": months, "total_chats": [1, 2, 3, 4]})
    assert layers_and_breaks(plot.activity_trend(chat=activity))[1] == [("legacy_closed", "2026-04-02", "2026-04-02")]
    assert layers_and_breaks(plot.activity_trend(chat=activity.head(3)))[0] == ["line", "point"]


def test_a_range_without_breaks_adds_no_layer(ds: cm.Dataset) -> None:
    frame = weekly_adoption(BREAK_WEEKS, [None] * 4)  # a break column without a break
    assert layers_and_breaks(plot.adoption_trend(frame)) == (["line", "point"], [])
    weekly = cm.adoption(ds, every="1w")  # the example: 2025, no break
    assert weekly.get_column("break").null_count() == weekly.height
    assert layers_and_breaks(plot.adoption_trend(weekly)) == (["line", "point"], [])
    assert len(spec(plot.adoption_trend(weekly))["datasets"]) == 1


def test_acceptance_trend_draws_the_break_on_both_panels() -> None:
    frame = pl.DataFrame(
        {
            "org": "o",
            "period_start": BREAK_WEEKS,
            "total_code_suggestions": [10, 10, 10, 4],
            "total_code_acceptances": [3, 3, 3, 1],
            "total_code_lines_suggested": [20, 20, 20, 8],
            "total_code_lines_accepted": [6, 6, 6, 2],
            "acceptance_rate": [0.3, 0.3, 0.3, 0.25],
            "line_acceptance_rate": [0.3, 0.3, 0.3, 0.25],
            "break": [None, None, None, "legacy_closed"],
        }
    )
    d = spec(plot.acceptance_trend(frame))
    for panel in d["vconcat"]:
        marks = [layer["mark"]["type"] for layer in panel["layer"]]
        assert marks == ["line", "point", "rule", "text"]
        rule = panel["layer"][2]
        assert [(r["break"], r["date"][:10]) for r in d["datasets"][rule["data"]["name"]]] == [
            ("legacy_closed", "2026-04-02")
        ]
