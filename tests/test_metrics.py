"""Tests of copilot_metrics.metrics: aggregations with correct statistics.

Every expected value is computed by hand, in the test, from the raw JSON days written below
(never from the code under test). The days, for org ``acme``:

=========== === ====== ==================================================================
date        dow active what
=========== === ====== ==================================================================
2025-03-03  Mon 10     completions (vscode python/c#, jetbrains python with 0 suggestions
                       but 3 acceptances: a finding), IDE chat, github.com chat, PRs
2025-03-04  Tue 8      completions (vscode python/csharp); other blocks null
2025-03-05  Wed        MISSING
2025-03-06  Thu 12     completions (vscode python, neovim python and a go row with 0
                       suggestions), IDE chat
2025-03-07  Fri        MISSING
2025-03-08  Sat 2      completions present but empty (0 users), other blocks null
2025-03-10  Mon 20     completions (vscode python)
2025-03-16  Sun 1      completions null
2025-04-01  Tue 5      completions (vscode python)
=========== === ====== ==================================================================
"""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import copilot_metrics as cm
from copilot_metrics.errors import CopilotMetricsError, RollupError
from copilot_metrics.metrics import (
    LANGUAGE_ALIASES,
    acceptance,
    adoption,
    chat,
    column_kind,
    dotcom_chat,
    pull_requests,
    rollup,
    trend,
)

D = datetime.date


def lang(name: str, users: int, sugg: int, acc: int, lsugg: int, lacc: int) -> dict[str, Any]:
    return {
        "name": name,
        "total_engaged_users": users,
        "total_code_suggestions": sugg,
        "total_code_acceptances": acc,
        "total_code_lines_suggested": lsugg,
        "total_code_lines_accepted": lacc,
    }


def model(users: int, languages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "default",
        "is_custom_model": False,
        "custom_model_training_date": None,
        "total_engaged_users": users,
        "languages": languages,
    }


DAYS: list[dict[str, Any]] = [
    {
        "date": "2025-03-03",
        "total_active_users": 10,
        "total_engaged_users": 6,
        "copilot_ide_code_completions": {
            "total_engaged_users": 5,
            "languages": [{"name": "python", "total_engaged_users": 4}, {"name": "c#", "total_engaged_users": 1}],
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 4,
                    "models": [model(4, [lang("python", 4, 100, 30, 150, 40), lang("c#", 1, 20, 5, 30, 6)])],
                },
                {"name": "jetbrains", "total_engaged_users": 2, "models": [model(2, [lang("python", 2, 0, 3, 0, 4)])]},
            ],
        },
        "copilot_ide_chat": {
            "total_engaged_users": 3,
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 3,
                    "models": [
                        {
                            "name": "default",
                            "is_custom_model": False,
                            "custom_model_training_date": None,
                            "total_engaged_users": 3,
                            "total_chats": 10,
                            "total_chat_insertion_events": 2,
                            "total_chat_copy_events": 3,
                        }
                    ],
                }
            ],
        },
        "copilot_dotcom_chat": {
            "total_engaged_users": 1,
            "models": [
                {
                    "name": "default",
                    "is_custom_model": False,
                    "custom_model_training_date": None,
                    "total_engaged_users": 1,
                    "total_chats": 4,
                }
            ],
        },
        "copilot_dotcom_pull_requests": {
            "total_engaged_users": 1,
            "repositories": [
                {
                    "name": "repo-a",
                    "total_engaged_users": 1,
                    "models": [
                        {
                            "name": "default",
                            "is_custom_model": False,
                            "custom_model_training_date": None,
                            "total_pr_summaries_created": 2,
                            "total_engaged_users": 1,
                        }
                    ],
                }
            ],
        },
    },
    {
        "date": "2025-03-04",
        "total_active_users": 8,
        "total_engaged_users": 4,
        "copilot_ide_code_completions": {
            "total_engaged_users": 4,
            "languages": [{"name": "python", "total_engaged_users": 3}, {"name": "csharp", "total_engaged_users": 2}],
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 4,
                    "models": [model(4, [lang("python", 3, 50, 10, 60, 12), lang("csharp", 2, 40, 8, 50, 9)])],
                },
            ],
        },
        "copilot_ide_chat": None,
        "copilot_dotcom_chat": None,
        "copilot_dotcom_pull_requests": None,
    },
    {
        "date": "2025-03-06",
        "total_active_users": 12,
        "total_engaged_users": 9,
        "copilot_ide_code_completions": {
            "total_engaged_users": 7,
            "languages": [{"name": "python", "total_engaged_users": 7}, {"name": "go", "total_engaged_users": 1}],
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 5,
                    "models": [model(5, [lang("python", 5, 80, 20, 100, 25)])],
                },
                {
                    "name": "neovim",
                    "total_engaged_users": 3,
                    "models": [model(3, [lang("python", 2, 30, 6, 40, 7), lang("go", 1, 0, 0, 0, 0)])],
                },
            ],
        },
        "copilot_ide_chat": {
            "total_engaged_users": 2,
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 2,
                    "models": [
                        {
                            "name": "default",
                            "is_custom_model": False,
                            "custom_model_training_date": None,
                            "total_engaged_users": 2,
                            "total_chats": 6,
                            "total_chat_insertion_events": 4,
                            "total_chat_copy_events": 4,
                        }
                    ],
                }
            ],
        },
        "copilot_dotcom_chat": None,
        "copilot_dotcom_pull_requests": None,
    },
    {
        "date": "2025-03-08",
        "total_active_users": 2,
        "total_engaged_users": 0,
        "copilot_ide_code_completions": {"total_engaged_users": 0, "languages": [], "editors": []},
        "copilot_ide_chat": None,
        "copilot_dotcom_chat": None,
        "copilot_dotcom_pull_requests": None,
    },
    {
        "date": "2025-03-10",
        "total_active_users": 20,
        "total_engaged_users": 10,
        "copilot_ide_code_completions": {
            "total_engaged_users": 9,
            "languages": [{"name": "python", "total_engaged_users": 9}],
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 9,
                    "models": [model(9, [lang("python", 9, 200, 70, 300, 90)])],
                }
            ],
        },
        "copilot_ide_chat": None,
        "copilot_dotcom_chat": None,
        "copilot_dotcom_pull_requests": None,
    },
    {
        "date": "2025-03-16",
        "total_active_users": 1,
        "total_engaged_users": 1,
        "copilot_ide_code_completions": None,
        "copilot_ide_chat": None,
        "copilot_dotcom_chat": None,
        "copilot_dotcom_pull_requests": None,
    },
    {
        "date": "2025-04-01",
        "total_active_users": 5,
        "total_engaged_users": 2,
        "copilot_ide_code_completions": {
            "total_engaged_users": 2,
            "languages": [{"name": "python", "total_engaged_users": 2}],
            "editors": [
                {"name": "vscode", "total_engaged_users": 2, "models": [model(2, [lang("python", 2, 10, 4, 12, 5)])]}
            ],
        },
        "copilot_ide_chat": None,
        "copilot_dotcom_chat": None,
        "copilot_dotcom_pull_requests": None,
    },
]

#: Days whose completions block is present (not null): all but 2025-03-16.
COMPLETION_DAYS = 6


@pytest.fixture(scope="module")
def ds() -> cm.Dataset:
    return cm.load(json.dumps(DAYS).encode(), org="acme")


def leaf_rows() -> list[dict[str, Any]]:
    """Every (editor, model, language) row of the raw JSON, with its date and editor."""
    rows = []
    for day in DAYS:
        block = day["copilot_ide_code_completions"]
        for editor in (block or {}).get("editors", []):
            for m in editor["models"]:
                for row in m["languages"]:
                    rows.append({**row, "date": day["date"], "editor": editor["name"]})
    return rows


#: The engaged-user columns of acceptance, chat, dotcom_chat and pull_requests (dropped before a rollup
#: over slices: distinct counts, and days counted per slice).
ENGAGED_COLUMNS = (
    "engaged_user_days",
    "engaged_users_mean",
    "engaged_users_peak",
    "engaged_users_days_reported",
    "engaged_users_days_unreported",
)


def one(frame: pl.DataFrame, **where: Any) -> dict[str, Any]:
    selected = frame.filter(*(pl.col(k) == v for k, v in where.items())) if where else frame
    assert selected.height == 1, selected
    return selected.row(0, named=True)


# ----------------------------------------------------------------------------- acceptance


def test_whole_range_acceptance_by_count_and_by_lines_is_the_ratio_of_sums(ds: cm.Dataset) -> None:
    row = one(acceptance(ds, by=None))
    sugg = 100 + 20 + 0 + 50 + 40 + 80 + 30 + 0 + 200 + 10
    acc = 30 + 5 + 3 + 10 + 8 + 20 + 6 + 0 + 70 + 4
    lsugg = 150 + 30 + 0 + 60 + 50 + 100 + 40 + 0 + 300 + 12
    lacc = 40 + 6 + 4 + 12 + 9 + 25 + 7 + 0 + 90 + 5
    rows = leaf_rows()
    assert sum(r["total_code_suggestions"] for r in rows) == sugg  # the hand sums read the JSON right
    assert (row["org"], row["team"]) == ("acme", None)
    assert row["total_code_suggestions"] == sugg
    assert row["total_code_acceptances"] == acc
    assert row["total_code_lines_suggested"] == lsugg
    assert row["total_code_lines_accepted"] == lacc
    assert row["acceptance_rate"] == pytest.approx(acc / sugg)
    assert row["line_acceptance_rate"] == pytest.approx(lacc / lsugg)
    assert row["share_of_acceptances"] == 1.0
    # engaged users: days.completions_engaged_users over the 6 days whose completions block is present
    assert row["engaged_user_days"] == 5 + 4 + 7 + 0 + 9 + 2
    assert row["engaged_users_mean"] == pytest.approx((5 + 4 + 7 + 0 + 9 + 2) / COMPLETION_DAYS)
    assert row["engaged_users_peak"] == 9
    assert "period_start" not in acceptance(ds, by=None).columns


def test_acceptance_rate_is_not_the_mean_of_daily_rates(ds: cm.Dataset) -> None:
    row = one(acceptance(ds, by="editor"), editor="vscode")
    daily = [(30 + 5) / (100 + 20), (10 + 8) / (50 + 40), 20 / 80, 70 / 200, 4 / 10]
    ratio_of_sums = (30 + 5 + 10 + 8 + 20 + 70 + 4) / (100 + 20 + 50 + 40 + 80 + 200 + 10)
    assert row["acceptance_rate"] == pytest.approx(ratio_of_sums)
    assert not math.isclose(row["acceptance_rate"], sum(daily) / len(daily))


def test_per_language_acceptance_with_language_users_from_completions_languages(ds: cm.Dataset) -> None:
    frame = acceptance(ds, by="language")
    assert sorted(frame["language"].to_list()) == ["c#", "csharp", "go", "python"]
    py = one(frame, language="python")
    py_sugg = 100 + 0 + 50 + 80 + 30 + 200 + 10
    py_acc = 30 + 3 + 10 + 20 + 6 + 70 + 4
    assert (py["total_code_suggestions"], py["total_code_acceptances"]) == (py_sugg, py_acc)
    assert py["acceptance_rate"] == pytest.approx(py_acc / py_sugg)
    py_lines = (40 + 4 + 12 + 25 + 7 + 90 + 5) / (150 + 0 + 60 + 100 + 40 + 300 + 12)
    assert py["line_acceptance_rate"] == pytest.approx(py_lines)
    total_acc = 30 + 5 + 3 + 10 + 8 + 20 + 6 + 0 + 70 + 4
    assert py["share_of_acceptances"] == pytest.approx(py_acc / total_acc)
    # languages[] users: 4, 3, 7, (absent on the empty 03-08: 0), 9, 2 -- not vscode 4 + jetbrains 2 on 03-03
    assert py["engaged_users_peak"] == 9
    assert py["engaged_users_mean"] == pytest.approx((4 + 3 + 7 + 0 + 9 + 2) / COMPLETION_DAYS)
    cs = one(frame, language="c#")
    assert cs["acceptance_rate"] == pytest.approx(5 / 20)
    assert cs["engaged_users_mean"] == pytest.approx(1 / COMPLETION_DAYS)
    assert cs["engaged_users_peak"] == 1


def test_per_editor_acceptance_with_editor_users_from_completions_editors(ds: cm.Dataset) -> None:
    frame = acceptance(ds, by="editor")
    vs = one(frame, editor="vscode")
    assert vs["total_code_lines_accepted"] == 40 + 6 + 12 + 9 + 25 + 90 + 5
    vs_lines = (40 + 6 + 12 + 9 + 25 + 90 + 5) / (150 + 30 + 60 + 50 + 100 + 300 + 12)
    assert vs["line_acceptance_rate"] == pytest.approx(vs_lines)
    assert vs["engaged_users_mean"] == pytest.approx((4 + 4 + 5 + 9 + 2) / COMPLETION_DAYS)
    assert vs["engaged_users_peak"] == 9
    nv = one(frame, editor="neovim")
    assert nv["acceptance_rate"] == pytest.approx(6 / 30)
    assert nv["engaged_users_mean"] == pytest.approx(3 / COMPLETION_DAYS)


def test_zero_suggestion_slice_has_null_rates_not_nan_or_zero(ds: cm.Dataset) -> None:
    go = one(acceptance(ds, by="language"), language="go")
    assert go["total_code_suggestions"] == 0
    assert go["acceptance_rate"] is None
    assert go["line_acceptance_rate"] is None
    # jetbrains: 0 suggestions but 3 acceptances -> still null, never inf
    jb = one(acceptance(ds, by="editor"), editor="jetbrains")
    assert (jb["total_code_suggestions"], jb["total_code_acceptances"]) == (0, 3)
    assert jb["acceptance_rate"] is None
    frame = acceptance(ds, by=("editor", "language"))
    assert frame["acceptance_rate"].is_nan().sum() == 0
    assert frame["acceptance_rate"].null_count() == 2


def test_grain_without_a_distinct_count_table_gives_null_users_not_a_sum(ds: cm.Dataset) -> None:
    frame = acceptance(ds, by=("editor", "language"))
    # vscode/python users would be 4 + 3 + 5 + 9 + 2 if summed from leaf rows over models: refused
    assert frame["engaged_users_mean"].null_count() == frame.height
    leaf = one(acceptance(ds, by=("editor", "model", "language")), editor="neovim", language="python")
    assert leaf["engaged_users_mean"] == pytest.approx(2 / COMPLETION_DAYS)


def test_min_suggestions_hides_thin_rows_after_shares_are_computed(ds: cm.Dataset) -> None:
    frame = acceptance(ds, by="language", min_suggestions=21)
    assert sorted(frame["language"].to_list()) == ["csharp", "python"]
    total_acc = 30 + 5 + 3 + 10 + 8 + 20 + 6 + 0 + 70 + 4
    assert one(frame, language="csharp")["share_of_acceptances"] == pytest.approx(8 / total_acc)


def test_normalize_languages_merges_aliases_at_query_time_only(ds: cm.Dataset) -> None:
    assert LANGUAGE_ALIASES["c#"] == "csharp"
    assert LANGUAGE_ALIASES["c++"] == "cpp"
    frame = acceptance(ds, by="language", normalize_languages=True)
    assert sorted(frame["language"].to_list()) == ["csharp", "go", "python"]
    cs = one(frame, language="csharp")
    assert (cs["total_code_suggestions"], cs["total_code_acceptances"]) == (20 + 40, 5 + 8)
    assert cs["acceptance_rate"] == pytest.approx((5 + 8) / (20 + 40))
    # c# on 03-03 (1 user) and csharp on 03-04 (2 users): never on the same day
    assert cs["engaged_users_mean"] == pytest.approx((1 + 2) / COMPLETION_DAYS)
    assert cs["engaged_users_peak"] == 2
    assert "c#" in ds.completions["language"].to_list()
    assert "c#" in ds.completions_languages["language"].to_list()


def test_exclude_findings_drops_rows_with_acceptances_above_suggestions(ds: cm.Dataset) -> None:
    assert set(ds.findings.filter(pl.col("table") == "completions")["rule"]) == {
        "acceptances_exceed_suggestions",
        "lines_accepted_exceed_suggested",
    }
    kept = one(acceptance(ds, by="editor"), editor="jetbrains")
    assert "rows_excluded" not in acceptance(ds, by="editor").columns
    dropped = acceptance(ds, by="editor", exclude_findings=True)
    jb = one(dropped, editor="jetbrains")
    # jetbrains' only row is excluded: a sum over no remaining row is null, not 0
    assert (kept["total_code_acceptances"], jb["total_code_acceptances"]) == (3, None)
    assert (kept["total_code_lines_accepted"], jb["total_code_lines_accepted"]) == (4, None)
    assert jb["acceptance_rate"] is None
    assert jb["rows_excluded"] == 1
    assert one(dropped, editor="vscode")["rows_excluded"] == 0
    total = one(acceptance(ds, by=None, exclude_findings=True))
    acc = 30 + 5 + 10 + 8 + 20 + 6 + 0 + 70 + 4
    assert total["acceptance_rate"] == pytest.approx(acc / (100 + 20 + 0 + 50 + 40 + 80 + 30 + 0 + 200 + 10))
    # an input without ds.findings (plain tables) evaluates the same two conditions
    plain = acceptance(dict(ds.tables), by="editor", exclude_findings=True)
    assert plain.equals(dropped)


# ----------------------------------------------------------------------------- adoption


def test_weekly_mean_and_peak_active_users(ds: cm.Dataset) -> None:
    weekly = adoption(ds, every="1w")
    assert weekly["period_start"].to_list() == [
        D(2025, 3, 3),
        D(2025, 3, 10),
        D(2025, 3, 17),
        D(2025, 3, 24),
        D(2025, 3, 31),
    ]
    w1 = one(weekly, period_start=D(2025, 3, 3))
    assert w1["active_users_mean"] == pytest.approx((10 + 8 + 12 + 2) / 4)
    assert w1["active_users_peak"] == 12
    assert w1["active_user_days"] == 10 + 8 + 12 + 2
    assert w1["engaged_users_mean"] == pytest.approx((6 + 4 + 9 + 0) / 4)
    assert w1["engaged_users_peak"] == 9
    assert w1["engagement_rate"] == pytest.approx((6 + 4 + 9 + 0) / (10 + 8 + 12 + 2))
    assert w1["completions_engaged_users_mean"] == pytest.approx((5 + 4 + 7 + 0) / 4)
    # IDE chat block present on 03-03 (3 users) and 03-06 (2 users) only
    assert w1["ide_chat_engaged_users_mean"] == pytest.approx((3 + 2) / 2)
    assert w1["ide_chat_engaged_users_peak"] == 3
    # the share is over the days reporting both counts: 03-03 (6 engaged) and 03-06 (9), not 03-04/08
    assert w1["ide_chat_share"] == pytest.approx((3 + 2) / (6 + 9))
    assert w1["active_users_mean_change"] is None
    w2 = one(weekly, period_start=D(2025, 3, 10))
    assert w2["active_users_mean"] == pytest.approx((20 + 1) / 2)
    assert w2["active_users_peak"] == 20
    assert w2["active_users_mean_change"] == pytest.approx((20 + 1) / 2 - (10 + 8 + 12 + 2) / 4)
    # completions null on 03-16: that day is not in the completions mean
    assert w2["completions_engaged_users_mean"] == pytest.approx(9 / 1)
    assert w2["dotcom_chat_engaged_users_mean"] is None


def test_week_with_missing_days_excludes_them_from_means_and_counts_them(ds: cm.Dataset) -> None:
    weekly = adoption(ds, every="1w")
    w1 = one(weekly, period_start=D(2025, 3, 3))
    assert (w1["days_with_data"], w1["days_missing"]) == (4, 3)  # 03-05, 03-07, 03-09
    w2 = one(weekly, period_start=D(2025, 3, 10))
    assert (w2["days_with_data"], w2["days_missing"]) == (2, 5)
    empty = one(weekly, period_start=D(2025, 3, 17))
    assert (empty["days_with_data"], empty["days_missing"]) == (0, 7)
    assert empty["active_users_mean"] is None
    assert empty["active_users_peak"] is None
    assert empty["engagement_rate"] is None
    after_gap = one(weekly, period_start=D(2025, 3, 31))
    # the covered range ends on 04-01: 03-31 missing, 04-02..04-06 are after the data, not missing
    assert (after_gap["days_with_data"], after_gap["days_missing"]) == (1, 1)
    assert after_gap["active_users_mean_change"] is None
    whole = one(adoption(ds))
    assert (whole["days_with_data"], whole["days_missing"]) == (7, (D(2025, 4, 1) - D(2025, 3, 3)).days + 1 - 7)
    assert whole["active_users_mean"] == pytest.approx((10 + 8 + 12 + 2 + 20 + 1 + 5) / 7)


def test_monthly_and_quarterly_periods_are_labelled_by_their_first_day(ds: cm.Dataset) -> None:
    monthly = acceptance(ds, by=None, every="1mo")
    assert monthly["period_start"].to_list() == [D(2025, 3, 1), D(2025, 4, 1)]
    assert monthly["period_start"].dtype == pl.Date
    april = one(monthly, period_start=D(2025, 4, 1))
    assert april["acceptance_rate"] == pytest.approx(4 / 10)
    assert april["engaged_users_mean"] == pytest.approx(2 / 1)
    quarterly = adoption(ds, every="1q")
    assert quarterly["period_start"].to_list() == [D(2025, 1, 1), D(2025, 4, 1)]
    q1 = one(quarterly, period_start=D(2025, 1, 1))
    assert (q1["days_with_data"], q1["days_missing"]) == (6, (D(2025, 3, 31) - D(2025, 3, 3)).days + 1 - 6)
    assert one(quarterly, period_start=D(2025, 4, 1))["days_missing"] == 0


def test_weekdays_only_drops_weekend_days_from_means_and_missing_counts(ds: cm.Dataset) -> None:
    weekly = adoption(ds, every="1w", weekdays_only=True)
    w1 = one(weekly, period_start=D(2025, 3, 3))
    assert w1["active_users_mean"] == pytest.approx((10 + 8 + 12) / 3)  # Saturday 03-08 left out
    assert (w1["days_with_data"], w1["days_missing"]) == (3, 2)  # Wed 03-05 and Fri 03-07
    w2 = one(weekly, period_start=D(2025, 3, 10))
    assert w2["active_users_mean"] == pytest.approx(20 / 1)  # Sunday 03-16 left out
    assert (w2["days_with_data"], w2["days_missing"]) == (1, 4)
    sliced = one(acceptance(ds, by=None, weekdays_only=True, start="2025-03-04", end=D(2025, 3, 10)))
    assert sliced["total_code_suggestions"] == 50 + 40 + 80 + 30 + 0 + 200
    assert sliced["engaged_users_mean"] == pytest.approx((4 + 7 + 9) / 3)


def test_seats_give_activation_rate_as_active_user_days_over_seat_days(ds: cm.Dataset) -> None:
    active = 10 + 8 + 12 + 2 + 20 + 1 + 5
    assert one(adoption(ds, seats=20))["activation_rate"] == pytest.approx(active / (20 * 7))
    seats = pl.DataFrame({"org": ["acme", "acme"], "date": [D(2025, 3, 1), D(2025, 3, 10)], "seats": [10, 40]})
    row = one(adoption(ds, seats=seats))
    assert row["seat_days"] == 10 * 4 + 40 * 3
    assert row["activation_rate"] == pytest.approx(active / (10 * 4 + 40 * 3))


# ----------------------------------------------------------------------------- chat and PRs


def test_chat_acceptance_is_insertions_plus_copies_over_chats(ds: cm.Dataset) -> None:
    vs = one(chat(ds, by="editor"), editor="vscode")
    assert (vs["total_chats"], vs["total_chat_insertion_events"], vs["total_chat_copy_events"]) == (16, 6, 7)
    assert vs["chat_acceptance_rate"] == pytest.approx((2 + 3 + 4 + 4) / (10 + 6))
    assert vs["engaged_users_mean"] == pytest.approx((3 + 2) / 2)  # 2 days with an IDE chat block
    assert vs["engaged_users_peak"] == 3
    assert vs["chats_per_engaged_user_day"] == pytest.approx((10 + 6) / (3 + 2))
    total = one(chat(ds, by=None))
    assert total["engaged_users_mean"] == pytest.approx((3 + 2) / 2)


def test_dotcom_chat_and_pull_requests_by_their_dimensions(ds: cm.Dataset) -> None:
    dc = one(dotcom_chat(ds), model="default")
    assert (dc["total_chats"], dc["engaged_users_mean"], dc["chats_per_engaged_user_day"]) == (4, 1.0, 4.0)
    pr = one(pull_requests(ds), repository="repo-a")
    assert (pr["total_pr_summaries_created"], pr["engaged_users_peak"]) == (2, 1)
    by_model = one(pull_requests(ds, by="model"), model="default")
    assert by_model["total_pr_summaries_created"] == 2
    assert by_model["engaged_users_mean"] is None  # no table counts a model's users across repositories


def test_unknown_by_column_is_an_error(ds: cm.Dataset) -> None:
    with pytest.raises(CopilotMetricsError, match="cannot group by"):
        acceptance(ds, by="repository")
    with pytest.raises(CopilotMetricsError, match="every"):
        acceptance(ds, every="1y")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- rollup and kinds


def test_rollup_refuses_to_sum_engaged_users(ds: cm.Dataset) -> None:
    fine = acceptance(ds, by=("editor", "model", "language"))
    with pytest.raises(RollupError, match="engaged_users_mean") as first:
        rollup(fine, by="editor")
    assert first.value.column == "engaged_users_mean"
    assert "engaged_user_days" in str(first.value.hint)
    with pytest.raises(RollupError) as info:
        rollup(fine.drop("engaged_users_mean", "engaged_users_peak"), by="editor")
    assert info.value.column == "engaged_user_days"


def test_rollup_sums_additive_columns_and_recomputes_rates(ds: cm.Dataset) -> None:
    fine = acceptance(ds, by=("editor", "language")).drop(*ENGAGED_COLUMNS)
    per_editor = rollup(fine, by="editor")
    vs = one(per_editor, editor="vscode")
    sugg, acc = 100 + 20 + 50 + 40 + 80 + 200 + 10, 30 + 5 + 10 + 8 + 20 + 70 + 4
    assert (vs["total_code_suggestions"], vs["total_code_acceptances"]) == (sugg, acc)
    assert vs["acceptance_rate"] == pytest.approx(acc / sugg)
    assert vs["share_of_acceptances"] == pytest.approx(acc / (acc + 3 + 6))
    assert one(per_editor, editor="jetbrains")["acceptance_rate"] is None
    assert "language" not in per_editor.columns


def test_rollup_over_periods_sums_user_days_but_not_means(ds: cm.Dataset) -> None:
    weekly = adoption(ds, every="1w")
    with pytest.raises(RollupError):
        rollup(weekly)
    additive = weekly.select(pl.col(c) for c in weekly.columns if column_kind(c) not in ("distinct", "change"))
    whole = one(rollup(additive))
    assert (whole["days_with_data"], whole["days_missing"]) == (7, 30 - 7)
    assert whole["engagement_rate"] == pytest.approx((6 + 4 + 9 + 0 + 10 + 1 + 2) / (10 + 8 + 12 + 2 + 20 + 1 + 5))


def test_every_emitted_column_has_a_declared_kind(ds: cm.Dataset) -> None:
    frames = [
        adoption(ds, every="1w", seats=10),
        acceptance(ds, by=("editor", "model", "language"), every="1d", exclude_findings=True),
        chat(ds, by=("editor", "model"), every="1mo"),
        dotcom_chat(ds, every="1q"),
        pull_requests(ds, by=("repository", "model")),
        trend(ds.days, "total_active_users", 28),
    ]
    kinds = {name: column_kind(name) for frame in frames for name in frame.columns if name not in ds.days.columns}
    assert kinds["engaged_users_mean"] == "distinct"
    assert kinds["completions_engaged_users_peak"] == "distinct"
    assert kinds["total_code_acceptances"] == "additive"
    assert kinds["acceptance_rate"] == "rate"
    assert kinds["total_active_users_trend_28d"] == "trend"
    with pytest.raises(CopilotMetricsError):
        column_kind("not_a_metrics_column")


# ----------------------------------------------------------------------------- trend


def test_trend_is_a_calendar_rolling_mean_that_leaves_gaps(ds: cm.Dataset) -> None:
    out = trend(ds.days, "total_active_users", window=7)
    assert [d.isoformat() for d in out["date"]] == [d["date"] for d in DAYS]  # no filled days
    by_day = {r["date"]: r for r in out.iter_rows(named=True)}
    assert by_day[D(2025, 3, 6)]["total_active_users_trend_7d"] == pytest.approx((10 + 8 + 12) / 3)
    assert by_day[D(2025, 3, 10)]["total_active_users_trend_7d"] == pytest.approx((8 + 12 + 2 + 20) / 4)
    assert by_day[D(2025, 3, 16)]["total_active_users_trend_7d"] == pytest.approx((20 + 1) / 2)
    assert by_day[D(2025, 3, 16)]["total_active_users_trend_7d_days"] == 2
    assert by_day[D(2025, 4, 1)]["total_active_users_trend_7d"] == 5.0
    thin = trend(ds.days, "total_active_users", window=7, min_days=3)
    assert thin.filter(pl.col("date") == D(2025, 3, 16))["total_active_users_trend_7d"].item() is None
    daily = adoption(ds, every="1d")
    smoothed = trend(daily, "completions_engaged_users_mean", window=7)
    row = smoothed.filter(pl.col("period_start") == D(2025, 3, 10)).row(0, named=True)
    assert row["completions_engaged_users_mean_trend_7d"] == pytest.approx((4 + 7 + 0 + 9) / 4)
    with pytest.raises(CopilotMetricsError, match="several rows per day"):
        trend(ds.completions, "total_code_suggestions")


# ----------------------------------------------------------------------------- inputs


def test_lazyframe_and_parquet_scan_inputs_give_the_same_frames(ds: cm.Dataset, tmp_path: Path) -> None:
    lazy = {name: frame.lazy() for name, frame in ds.tables.items()} | {"findings": ds.findings.lazy()}
    for name, frame in ds.tables.items():
        frame.write_parquet(tmp_path / f"{name}.parquet")
    scans = {name: pl.scan_parquet(tmp_path / f"{name}.parquet") for name in ds.tables}
    for source in (lazy, scans):
        assert acceptance(source, by="language", exclude_findings=True).equals(
            acceptance(ds, by="language", exclude_findings=True)
        )
        assert adoption(source, every="1w").equals(adoption(ds, every="1w"))
    before = ds.completions.clone()
    acceptance(ds, by="language", normalize_languages=True)
    assert ds.completions.equals(before)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), every=st.sampled_from(["1w", "1mo"]))
def test_slices_and_periods_add_up_to_the_total_for_event_counts(seed: int, every: str) -> None:
    days = cm.examples.generate_days(D(2025, 1, 27), D(2025, 3, 9), seed=seed, n_languages=8)
    generated = cm.load(json.dumps(days).encode(), org="gen")
    raw_sugg = sum(
        lg.get("total_code_suggestions", 0)
        for d in days
        for e in ((d.get("copilot_ide_code_completions") or {}).get("editors") or [])
        for m in e.get("models") or []
        for lg in m.get("languages") or []
    )
    total = one(acceptance(generated, by=None))
    assert total["total_code_suggestions"] == raw_sugg
    per = acceptance(generated, by="language", every=every).drop(*ENGAGED_COLUMNS)
    rolled = one(rollup(per))
    assert rolled["total_code_suggestions"] == raw_sugg
    assert rolled["acceptance_rate"] == pytest.approx(total["acceptance_rate"])


def test_scan_parquet_mapping_from_write_parquet_is_accepted(ds: cm.Dataset, tmp_path: Path) -> None:
    cm.write_parquet(ds, tmp_path / "store")
    scans = cm.scan_parquet(tmp_path / "store")
    assert acceptance(scans, by="editor", exclude_findings=True).equals(
        acceptance(ds, by="editor", exclude_findings=True)
    )
    assert adoption(scans, every="1mo").equals(adoption(ds, every="1mo"))
