"""Figures of the metrics functions pinned where a mutation run found them unchecked.

A mutation run (mutmut, issue 10 §5) changed ``metrics.py`` one operator, constant or argument at a
time; each test here pins a figure a user sees that one of those changes altered while the rest of
the suite still passed. Every expected value is worked out by hand from the days built below (three
days: Friday 2025-03-07, Saturday 2025-03-08, Monday 2025-03-10, so a weekend day and two ISO weeks),
never read back from the library.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.errors import CopilotMetricsError
from helpers import load, one

D = datetime.date
FRI, SAT, MON = "2025-03-07", "2025-03-08", "2025-03-10"
WEEK1, WEEK2 = D(2025, 3, 3), D(2025, 3, 10)


def model(users: int, **counts: int) -> dict[str, Any]:
    return {"name": "default", "is_custom_model": False, "custom_model_training_date": None,
            "total_engaged_users": users, **counts}


def lang(name: str, users: int, sugg: int, acc: int) -> dict[str, Any]:
    return {"name": name, "total_engaged_users": users, "total_code_suggestions": sugg,
            "total_code_acceptances": acc, "total_code_lines_suggested": 2 * sugg,
            "total_code_lines_accepted": 2 * acc}


def full_day(date: str, k: int) -> dict[str, Any]:
    """A day with every feature; ``k`` = 1, 2, 4 makes each day's counts distinct powers of two."""
    return {
        "date": date, "total_active_users": 10 * k, "total_engaged_users": 5 * k,
        "copilot_ide_code_completions": {
            "total_engaged_users": 3 * k,
            "languages": [{"name": "python", "total_engaged_users": 2 * k}, {"name": "go", "total_engaged_users": k}],
            "editors": [{"name": "vscode", "total_engaged_users": 3 * k, "models": [
                model(3 * k, languages=[lang("python", 2 * k, 100 * k, 30 * k), lang("go", k, 10 * k, 5 * k)])]}],
        },
        "copilot_ide_chat": {"total_engaged_users": 2 * k, "editors": [
            {"name": "vscode", "total_engaged_users": 2 * k, "models": [
                model(2 * k, total_chats=10 * k, total_chat_insertion_events=k, total_chat_copy_events=k)]}]},
        "copilot_dotcom_chat": {"total_engaged_users": k, "models": [model(k, total_chats=3 * k)]},
        "copilot_dotcom_pull_requests": {"total_engaged_users": k, "repositories": [
            {"name": "repo-a", "total_engaged_users": k, "models": [model(k, total_pr_summaries_created=7 * k)]}]},
    }


DAYS = [full_day(FRI, 1), full_day(SAT, 2), full_day(MON, 4)]


@pytest.fixture(scope="module")
def ds() -> cm.Dataset:
    return load(DAYS)


# ----------------------------------------------------------------------------- day selection and periods

#: function, by, its summed column, that column's value on a day of k = 1 (in the slice ``by`` = ``name``)
FEATURES = [
    (cm.chat, "editor", "total_chats", 10),
    (cm.dotcom_chat, "model", "total_chats", 3),
    (cm.pull_requests, "repository", "total_pr_summaries_created", 7),
    (cm.acceptance, "language", "total_code_suggestions", 100),
]
NAMES = {"editor": "vscode", "model": "default", "repository": "repo-a", "language": "python"}


def sliced(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    return frame.filter(pl.col(by) == NAMES[by])


@pytest.mark.parametrize(("function", "by", "column", "unit"), FEATURES)
def test_start_end_and_weekdays_only_select_the_days_summed(
    ds: cm.Dataset, function: Any, by: str, column: str, unit: int,
) -> None:
    def row(**options: Any) -> dict[str, Any]:
        return one(function(ds, by=by, **options), **{by: NAMES[by]})

    first = row()
    assert first[column] == unit * (1 + 2 + 4)  # every day, Saturday included by default
    assert first["engaged_users_days_reported"] == 3
    assert row(start=SAT)[column] == unit * (2 + 4)
    assert row(end=SAT)[column] == unit * (1 + 2)
    weekdays = row(weekdays_only=True)
    assert weekdays[column] == unit * (1 + 4)
    assert weekdays["engaged_users_days_reported"] == 2


@pytest.mark.parametrize(("function", "by", "column", "unit"), FEATURES)
def test_weekly_rows_are_labelled_by_their_monday(
    ds: cm.Dataset, function: Any, by: str, column: str, unit: int,
) -> None:
    weekly = sliced(function(ds, by=by, every="1w"), by)
    assert weekly["period_start"].to_list() == [WEEK1, WEEK2]
    assert weekly[column].to_list() == [unit * (1 + 2), unit * 4]
    assert weekly["engaged_users_days_reported"].to_list() == [2, 1]


@pytest.mark.parametrize(("function", "by"), [
    (cm.acceptance, "repository"), (cm.chat, "language"), (cm.dotcom_chat, "editor"), (cm.pull_requests, "language"),
])
def test_a_bad_by_is_refused_in_the_name_of_the_function_called(ds: cm.Dataset, function: Any, by: str) -> None:
    with pytest.raises(CopilotMetricsError, match=rf"^{function.__name__}: cannot group by \['{by}'\]"):
        function(ds, by=by)


# ----------------------------------------------------------------------------- acceptance


def test_weekly_share_of_acceptances_is_within_each_week(ds: cm.Dataset) -> None:
    weekly = cm.acceptance(ds, by="language", every="1w")
    python = weekly.filter(pl.col("language") == "python")["share_of_acceptances"].to_list()
    # week 1: python 30 + 60 = 90 of 90 + go 5 + 10 = 105; week 2: 120 of 120 + 20 = 140
    assert python == pytest.approx([90 / 105, 120 / 140])


def test_min_suggestions_keeps_a_slice_exactly_at_the_threshold(ds: cm.Dataset) -> None:
    # go: 10 + 20 + 40 = 70 suggestions
    kept = cm.acceptance(ds, by="language", min_suggestions=70)
    assert sorted(kept["language"].to_list()) == ["go", "python"]
    assert cm.acceptance(ds, by="language", min_suggestions=71)["language"].to_list() == ["python"]


# ----------------------------------------------------------------------------- engaged users


def test_a_day_without_the_completions_block_does_not_report_language_users() -> None:
    no_block = {"date": "2025-03-11", "total_active_users": 3, "total_engaged_users": 1}
    row = one(cm.acceptance(load([*DAYS, no_block]), by="language"), language="python")
    # python users 2 + 4 + 8 over the three days with the languages array; 03-11 has no block at all
    assert (row["engaged_users_days_reported"], row["engaged_users_days_unreported"]) == (3, 1)
    assert row["engaged_user_days"] == 14
    assert row["engaged_users_mean"] == pytest.approx(14 / 3)


def test_a_language_only_in_leaf_rows_has_peak_zero_over_one_reported_day() -> None:
    day = full_day(FRI, 1)
    # rust has completions rows but is absent from the present languages array: 0 users that day
    day["copilot_ide_code_completions"]["editors"][0]["models"][0]["languages"].append(lang("rust", 1, 8, 2))
    rust = one(cm.acceptance(load([day]), by="language"), language="rust")
    assert rust["total_code_suggestions"] == 8
    assert (rust["engaged_users_days_reported"], rust["engaged_users_days_unreported"]) == (1, 0)
    assert (rust["engaged_user_days"], rust["engaged_users_peak"], rust["engaged_users_mean"]) == (0, 0, 0.0)


@pytest.mark.parametrize("function", [cm.acceptance, cm.chat, cm.dotcom_chat, cm.pull_requests])
def test_a_bad_start_or_end_is_refused_in_the_name_of_the_parameter(ds: cm.Dataset, function: Any) -> None:
    with pytest.raises(CopilotMetricsError, match=r"^start='07/03/2025' is not a date") as start:
        function(ds, start="07/03/2025")
    assert start.value.attrs()["column"] == "start"
    with pytest.raises(CopilotMetricsError, match=r"^end='2025-3-7x' is not a date") as end:
        function(ds, end="2025-3-7x")
    assert end.value.attrs()["column"] == "end"


# ----------------------------------------------------------------------------- findings, grains without a table, order


def over_acceptance_day() -> dict[str, Any]:
    """FRI with go's acceptances (50) above its suggestions (10): a finding ``acceptances_exceed_suggestions``."""
    day = full_day(FRI, 1)
    day["copilot_ide_code_completions"]["editors"][0]["models"][0]["languages"][1]["total_code_acceptances"] = 50
    # java is in the languages array only: no completions row, so nothing to exclude for it
    day["copilot_ide_code_completions"]["languages"].append({"name": "java", "total_engaged_users": 1})
    return day


def test_exclude_findings_counts_zero_rows_excluded_for_a_slice_without_rows() -> None:
    frame = cm.acceptance(load([over_acceptance_day()]), by="language", exclude_findings=True)
    go, java, python = (one(frame, language=name) for name in ("go", "java", "python"))
    assert go["rows_excluded"] == 1
    assert (python["rows_excluded"], python["total_code_acceptances"]) == (0, 30)
    assert java["rows_excluded"] == 0
    assert java["total_code_suggestions"] is None
    assert java["engaged_users_mean"] == 1.0


def test_exclude_findings_follows_the_findings_given_with_a_mapping() -> None:
    loaded = load([over_acceptance_day()])
    # the caller's findings say nothing about go: its row stays in the sums
    given = {**loaded.tables, "findings": loaded.findings.clear()}
    go = one(cm.acceptance(given, by="language", exclude_findings=True), language="go")
    assert (go["rows_excluded"], go["total_code_acceptances"]) == (0, 50)


def test_a_grain_without_a_users_table_keeps_the_engaged_columns_typed(ds: cm.Dataset) -> None:
    frame = cm.acceptance(ds, by="model")
    assert frame.schema["engaged_user_days"] == pl.Int64
    assert frame.schema["engaged_users_mean"] == pl.Float64
    assert frame.schema["engaged_users_peak"] == pl.Int64
    assert frame.schema["engaged_users_days_reported"] == pl.Int64
    assert frame.schema["engaged_users_days_unreported"] == pl.Int64
    assert frame["engaged_users_mean"].to_list() == [None]


def test_the_org_row_sorts_before_its_teams() -> None:
    org, team = load(DAYS), cm.load(json.dumps(DAYS[:1]).encode(), org="acme", team="web")
    both = {name: pl.concat([org.tables[name], team.tables[name]]) for name in org.tables}
    frame = cm.chat(both, by=None)
    assert frame["team"].to_list() == [None, "web"]
    assert frame["total_chats"].to_list() == [10 * (1 + 2 + 4), 10]
