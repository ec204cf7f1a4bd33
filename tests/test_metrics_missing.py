"""Missing is never zero: a count that a day does not report is left out, never taken as 0.

Each test builds its own days (Python dicts -> JSON bytes -> ``cm.load``) holding one oddity
seen in real exports, and checks figures computed by hand here. The rule (``metrics`` module
docstring): a distinct-user statistic is taken over the days that report the count (the array
that would hold the slice present, and the count present); a name absent from a present array
counts 0 that day; days that do not report are left out and counted; over no reported day the
statistic is null; a sum over values that are all absent is null.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.errors import RollupError
from helpers import load, one

REPORTED, UNREPORTED = "engaged_users_days_reported", "engaged_users_days_unreported"


def leaf(name: str, users: int, sugg: int, acc: int) -> dict[str, Any]:
    return {
        "name": name,
        "total_engaged_users": users,
        "total_code_suggestions": sugg,
        "total_code_acceptances": acc,
        "total_code_lines_suggested": sugg,
        "total_code_lines_accepted": acc,
    }


def editor(name: str, users: int, languages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "total_engaged_users": users,
        "models": [
            {
                "name": "default",
                "is_custom_model": False,
                "custom_model_training_date": None,
                "total_engaged_users": users,
                "languages": languages,
            }
        ],
    }


def day(date: str, **blocks: Any) -> dict[str, Any]:
    return {"date": date, "total_active_users": 30, "total_engaged_users": 25, **blocks}


# ----------------------------------------------------------------------------- languages


#: Like the copilot-metrics-viewer org sample: the first days carry no
#: ``copilot_ide_code_completions.languages`` array (editors only), the later ones do.
LANGUAGES_LATE = [
    *(
        day(
            f"2024-11-0{d}",
            copilot_ide_code_completions={
                "total_engaged_users": 20,
                "editors": [editor("vscode", 20, [leaf("java", 18, 100, 30), leaf("cpp", 2, 10, 1)])],
            },
        )
        for d in (4, 5, 6)
    ),
    day(
        "2024-11-07",
        copilot_ide_code_completions={
            "total_engaged_users": 12,
            "languages": [{"name": "java", "total_engaged_users": 10}, {"name": "go", "total_engaged_users": 3}],
            "editors": [editor("vscode", 12, [leaf("java", 10, 50, 20), leaf("go", 3, 20, 5)])],
        },
    ),
    day(
        "2024-11-08",
        copilot_ide_code_completions={
            "total_engaged_users": 4,
            "languages": [{"name": "java", "total_engaged_users": 4}],
            "editors": [editor("vscode", 4, [leaf("java", 4, 40, 10)])],
        },
    ),
]


def test_a_day_without_the_languages_array_does_not_count_as_zero_language_users() -> None:
    frame = cm.acceptance(load(LANGUAGES_LATE), by="language")
    java = one(frame, language="java")
    # only 11-07 (10 users) and 11-08 (4 users) report languages: 14 / 2, not 14 / 5
    assert java["engaged_user_days"] == 10 + 4
    assert java["engaged_users_mean"] == pytest.approx((10 + 4) / 2)
    assert java["engaged_users_peak"] == 10
    assert (java[REPORTED], java[UNREPORTED]) == (2, 3)
    # the event counts still come from every day's leaf rows
    assert java["total_code_suggestions"] == 3 * 100 + 50 + 40
    # go: 3 users on 11-07; absent from the languages array present on 11-08, so 0 that day
    go = one(frame, language="go")
    assert go["engaged_users_mean"] == pytest.approx((3 + 0) / 2)
    assert go["engaged_users_peak"] == 3
    assert (go[REPORTED], go[UNREPORTED]) == (2, 3)
    # cpp: in leaf rows of 11-04..06 only; absent from both languages arrays present: 0 users
    cpp = one(frame, language="cpp")
    assert (cpp["engaged_user_days"], cpp["engaged_users_mean"], cpp["engaged_users_peak"]) == (0, 0.0, 0)
    assert cpp[REPORTED] == 2


def test_no_day_with_a_languages_array_gives_null_language_users_not_zero() -> None:
    frame = cm.acceptance(load(LANGUAGES_LATE[:3]), by="language")
    assert sorted(frame["language"].to_list()) == ["cpp", "java"]
    java = one(frame, language="java")
    assert java["engaged_users_mean"] is None
    assert java["engaged_users_peak"] is None
    assert java["engaged_user_days"] is None
    assert (java[REPORTED], java[UNREPORTED]) == (0, 3)
    assert java["total_code_suggestions"] == 3 * 100
    assert java["acceptance_rate"] == pytest.approx(90 / 300)


def test_weekly_language_users_count_only_the_reporting_days_of_each_week() -> None:
    days = [
        *LANGUAGES_LATE,
        day(
            "2024-11-11",
            copilot_ide_code_completions={
                "total_engaged_users": 6,
                "languages": [{"name": "java", "total_engaged_users": 6}],
                "editors": [editor("vscode", 6, [leaf("java", 6, 10, 2)])],
            },
        ),
    ]
    weekly = cm.acceptance(load(days), by="language", every="1w").filter(pl.col("language") == "java")
    first, second = weekly.row(0, named=True), weekly.row(1, named=True)
    assert first["engaged_users_mean"] == pytest.approx((10 + 4) / 2)
    assert (first[REPORTED], first[UNREPORTED]) == (2, 3)
    assert (second["engaged_users_mean"], second[REPORTED], second[UNREPORTED]) == (6.0, 1, 0)


# ----------------------------------------------------------------------------- IDE chat


def chat_model(users: int | None, chats: int) -> dict[str, Any]:
    model: dict[str, Any] = {
        "name": "default",
        "is_custom_model": False,
        "custom_model_training_date": None,
        "total_chats": chats,
        "total_chat_insertion_events": 1,
        "total_chat_copy_events": 1,
    }
    if users is not None:
        model["total_engaged_users"] = users
    return model


CHAT_TOTALS_ONLY = [
    day(
        "2025-01-06",
        copilot_ide_chat={
            "total_engaged_users": 7,
            "editors": [
                {"name": "vscode", "total_engaged_users": 5, "models": [chat_model(5, 10)]},
                {"name": "jetbrains", "total_engaged_users": 2, "models": [chat_model(2, 4)]},
            ],
        },
    ),
    # totals only: no editors array
    day("2025-01-07", copilot_ide_chat={"total_engaged_users": 9}),
    day("2025-01-08", copilot_ide_chat={"total_engaged_users": 6}),
    day(
        "2025-01-09",
        copilot_ide_chat={
            "total_engaged_users": 3,
            "editors": [
                {"name": "vscode", "total_engaged_users": 3, "models": [chat_model(3, 6)]},
                # an editor without its models array
                {"name": "jetbrains", "total_engaged_users": 1},
            ],
        },
    ),
]


def test_chat_users_per_editor_skip_the_days_with_totals_only() -> None:
    ds = load(CHAT_TOTALS_ONLY)
    frame = cm.chat(ds, by="editor")
    vscode = one(frame, editor="vscode")
    assert vscode["engaged_users_mean"] == pytest.approx((5 + 3) / 2)
    assert (vscode[REPORTED], vscode[UNREPORTED]) == (2, 2)
    assert vscode["chats_per_engaged_user_day"] == pytest.approx((10 + 6) / (5 + 3))
    jetbrains = one(frame, editor="jetbrains")
    assert jetbrains["engaged_users_mean"] == pytest.approx((2 + 1) / 2)
    # the whole-feature count is reported on every day: the totals-only days count
    total = one(cm.chat(ds, by=None))
    assert total["engaged_users_mean"] == pytest.approx((7 + 9 + 6 + 3) / 4)
    assert (total[REPORTED], total[UNREPORTED]) == (4, 0)


def test_chat_users_per_editor_and_model_skip_an_editor_without_its_models_array() -> None:
    frame = cm.chat(load(CHAT_TOTALS_ONLY), by=("editor", "model"))
    jetbrains = one(frame, editor="jetbrains", model="default")
    # 01-06 reports 2; 01-07/08 have no editors array; 01-09 jetbrains has no models array
    assert jetbrains["engaged_users_mean"] == pytest.approx(2 / 1)
    assert (jetbrains[REPORTED], jetbrains[UNREPORTED]) == (1, 3)
    assert jetbrains["total_chats"] == 4
    vscode = one(frame, editor="vscode", model="default")
    assert vscode["engaged_users_mean"] == pytest.approx((5 + 3) / 2)


def test_an_editor_absent_from_a_present_editors_array_counts_zero_for_its_models() -> None:
    days = [
        CHAT_TOTALS_ONLY[0],
        day(
            "2025-01-10",
            copilot_ide_chat={
                "total_engaged_users": 4,
                "editors": [{"name": "vscode", "total_engaged_users": 4, "models": [chat_model(4, 8)]}],
            },
        ),
    ]
    frame = cm.chat(load(days), by=("editor", "model"))
    jetbrains = one(frame, editor="jetbrains", model="default")
    assert jetbrains["engaged_users_mean"] == pytest.approx((2 + 0) / 2)
    assert (jetbrains["engaged_users_peak"], jetbrains[REPORTED]) == (2, 2)


# ----------------------------------------------------------------------------- github.com chat


def dotcom_days() -> list[dict[str, Any]]:
    """Four days of github.com chat: a model with users, no models array, a model without users, and again."""
    return [
        day("2025-02-03", copilot_dotcom_chat={"total_engaged_users": 4, "models": [chat_model(4, 9)]}),
        day("2025-02-04", copilot_dotcom_chat={"total_engaged_users": 8}),  # no models array
        day("2025-02-05", copilot_dotcom_chat={"total_engaged_users": 2, "models": [chat_model(None, 5)]}),
        day("2025-02-06", copilot_dotcom_chat={"total_engaged_users": 6, "models": [chat_model(6, 3)]}),
    ]


def test_dotcom_chat_users_per_model_skip_totals_only_days_and_models_without_a_count() -> None:
    ds = load(dotcom_days())
    model = one(cm.dotcom_chat(ds), model="default")
    # reported: 02-03 (4) and 02-06 (6); 02-04 has no models array, 02-05 no total_engaged_users
    assert model["engaged_users_mean"] == pytest.approx((4 + 6) / 2)
    assert model["engaged_users_peak"] == 6
    assert (model[REPORTED], model[UNREPORTED]) == (2, 2)
    assert model["total_chats"] == 9 + 5 + 3
    total = one(cm.dotcom_chat(ds, by=None))
    assert total["engaged_users_mean"] == pytest.approx((4 + 8 + 2 + 6) / 4)


# ----------------------------------------------------------------------------- models


def test_completion_models_without_total_engaged_users_are_left_out_not_zero() -> None:
    def with_model_users(date: str, users: int | None) -> dict[str, Any]:
        ed = editor("vscode", 5, [leaf("python", 5, 40, 10)])
        if users is None:
            del ed["models"][0]["total_engaged_users"]
        else:
            ed["models"][0]["total_engaged_users"] = users
        return day(date, copilot_ide_code_completions={"total_engaged_users": 5, "editors": [ed]})

    ds = load(
        [with_model_users("2025-03-03", 5), with_model_users("2025-03-04", None), with_model_users("2025-03-05", 3)]
    )
    model = one(cm.acceptance(ds, by=("editor", "model")), editor="vscode", model="default")
    assert model["engaged_users_mean"] == pytest.approx((5 + 3) / 2)
    assert model["engaged_user_days"] == 5 + 3
    assert (model[REPORTED], model[UNREPORTED]) == (2, 1)
    assert model["total_code_suggestions"] == 3 * 40


def test_pull_request_models_need_their_repositorys_models_array() -> None:
    def pr_model(users: int) -> dict[str, Any]:
        return {
            "name": "default",
            "is_custom_model": False,
            "custom_model_training_date": None,
            "total_pr_summaries_created": 2,
            "total_engaged_users": users,
        }

    days = [
        day(
            "2025-04-01",
            copilot_dotcom_pull_requests={
                "total_engaged_users": 3,
                "repositories": [{"name": "a", "total_engaged_users": 3, "models": [pr_model(3)]}],
            },
        ),
        day(
            "2025-04-02",
            copilot_dotcom_pull_requests={
                "total_engaged_users": 1,
                "repositories": [{"name": "a", "total_engaged_users": 1}],
            },
        ),
        day("2025-04-03", copilot_dotcom_pull_requests={"total_engaged_users": 2}),
    ]
    ds = load(days)
    model = one(cm.pull_requests(ds, by=("repository", "model")), repository="a", model="default")
    assert (model["engaged_users_mean"], model[REPORTED], model[UNREPORTED]) == (3.0, 1, 2)
    repo = one(cm.pull_requests(ds), repository="a")
    assert repo["engaged_users_mean"] == pytest.approx((3 + 1) / 2)
    assert (repo[REPORTED], repo[UNREPORTED]) == (2, 1)


# ----------------------------------------------------------------------------- sums and rates


def test_sums_over_only_absent_values_are_null_not_zero() -> None:
    bare = {"name": "rust", "total_engaged_users": 1}  # no event counts at all
    days = [
        day(
            "2025-05-05",
            copilot_ide_code_completions={
                "total_engaged_users": 3,
                "languages": [{"name": "rust", "total_engaged_users": 1}, {"name": "zig", "total_engaged_users": 2}],
                "editors": [editor("vscode", 3, [bare, leaf("go", 2, 0, 0)])],
            },
        )
    ]
    frame = cm.acceptance(load(days), by="language")
    rust = one(frame, language="rust")
    assert rust["total_code_suggestions"] is None
    assert rust["total_code_acceptances"] is None
    assert rust["acceptance_rate"] is None
    assert rust["share_of_acceptances"] is None
    # zig: in languages[] only, and absent from the editor's present languages array: 0 events
    # there (a present array lists every active slice), its users known
    zig = one(frame, language="zig")
    assert (zig["total_code_suggestions"], zig["engaged_users_mean"]) == (0, 2.0)
    # a value of 0 that is present stays 0
    assert one(frame, language="go")["total_code_suggestions"] == 0


def test_counts_of_a_slice_below_an_editor_without_models_are_unknown() -> None:
    # the editor reports 3 users but no models array: zig's counts under it are not reported
    days = [
        day(
            "2025-05-05",
            copilot_ide_code_completions={
                "total_engaged_users": 3,
                "languages": [{"name": "zig", "total_engaged_users": 2}],
                "editors": [{"name": "vscode", "total_engaged_users": 3}],
            },
        )
    ]
    ds = load(days)
    zig = one(cm.acceptance(ds, by="language"), language="zig")
    assert (zig["total_code_suggestions"], zig["acceptance_rate"], zig["engaged_users_mean"]) == (None, None, 2.0)
    total = one(cm.acceptance(ds, by=None))
    assert (total["total_code_suggestions"], total["engaged_users_mean"]) == (None, 3.0)
    # the same editor reporting 0 users without models had 0 of everything below it
    days[0]["copilot_ide_code_completions"]["editors"][0]["total_engaged_users"] = 0
    zig = one(cm.acceptance(load(days), by="language"), language="zig")
    assert zig["total_code_suggestions"] == 0


def over_accepted_go(date: str) -> dict[str, Any]:
    """go with 50 acceptances of 10 suggestions (flagged ``acceptances_exceed_suggestions``); python clean."""
    return day(
        date,
        copilot_ide_code_completions={
            "total_engaged_users": 3,
            "languages": [{"name": "go", "total_engaged_users": 1}, {"name": "python", "total_engaged_users": 2}],
            "editors": [editor("vscode", 3, [leaf("go", 1, 10, 50), leaf("python", 2, 100, 30)])],
        },
    )


@pytest.mark.parametrize("with_findings", [True, False])
def test_exclude_findings_leaves_null_sums_for_a_slice_whose_every_row_is_excluded(with_findings: bool) -> None:
    ds = load([over_accepted_go("2025-05-12")])
    source = ds if with_findings else dict(ds.tables)  # no findings: the same conditions on the rows
    frame = cm.acceptance(source, by="language", exclude_findings=True)
    go = one(frame, language="go")
    # go's only row is excluded: a sum over no row is null, not 0, and so are its rates
    assert go["rows_excluded"] == 1
    for column in (
        "total_code_suggestions",
        "total_code_acceptances",
        "total_code_lines_suggested",
        "total_code_lines_accepted",
        "acceptance_rate",
        "line_acceptance_rate",
        "share_of_acceptances",
    ):
        assert go[column] is None, column
    # its users are not affected by the exclusion
    assert go["engaged_users_mean"] == 1.0
    python = one(frame, language="python")
    assert (python["rows_excluded"], python["total_code_suggestions"], python["total_code_acceptances"]) == (0, 100, 30)
    assert python["acceptance_rate"] == pytest.approx(30 / 100)
    assert python["share_of_acceptances"] == pytest.approx(30 / 30)
    # without exclusion the row counts
    kept = one(cm.acceptance(source, by="language"), language="go")
    assert (kept["total_code_suggestions"], kept["total_code_acceptances"]) == (10, 50)


def test_exclude_findings_sums_only_the_kept_rows_per_period() -> None:
    clean = day(
        "2025-05-13",
        copilot_ide_code_completions={
            "total_engaged_users": 1,
            "languages": [{"name": "go", "total_engaged_users": 1}],
            "editors": [editor("vscode", 1, [leaf("go", 1, 40, 8)])],
        },
    )
    ds = load([over_accepted_go("2025-05-12"), clean])
    daily = cm.acceptance(ds, by="language", every="1d", exclude_findings=True).filter(pl.col("language") == "go")
    monday, tuesday = daily.row(0, named=True), daily.row(1, named=True)
    assert (monday["total_code_acceptances"], monday["acceptance_rate"], monday["rows_excluded"]) == (None, None, 1)
    assert (tuesday["total_code_acceptances"], tuesday["rows_excluded"]) == (8, 0)
    whole = one(cm.acceptance(ds, by="language", exclude_findings=True), language="go")
    assert (whole["total_code_suggestions"], whole["total_code_acceptances"], whole["rows_excluded"]) == (40, 8, 1)
    assert whole["acceptance_rate"] == pytest.approx(8 / 40)
    # by=None: the scope keeps python's rows and tuesday's go row
    total = one(cm.acceptance(ds, by=None, exclude_findings=True))
    assert (total["total_code_suggestions"], total["rows_excluded"]) == (100 + 40, 1)


def test_engagement_rate_is_null_when_no_engaged_count_exists() -> None:
    days = [{"date": "2025-06-02", "total_active_users": 10}, {"date": "2025-06-03", "total_active_users": 20}]
    row = one(cm.adoption(load(days)))
    assert row["engagement_rate"] is None
    assert row["engaged_user_days"] is None
    assert row["engaged_users_mean"] is None
    assert (row["engaged_users_days_reported"], row["engaged_users_days_unreported"]) == (0, 2)
    assert row["active_users_mean"] == pytest.approx((10 + 20) / 2)
    assert row["completions_engaged_user_days"] is None
    assert row["completions_share"] is None


def test_adoption_feature_mean_skips_a_present_block_without_its_count() -> None:
    days = [
        day("2025-06-02", copilot_ide_chat={"total_engaged_users": 4, "editors": []}),
        day("2025-06-03", copilot_ide_chat={"editors": []}),
        day("2025-06-04", copilot_ide_chat=None),
        {"date": "2025-06-05", "total_active_users": 5},  # total_engaged_users absent
    ]
    row = one(cm.adoption(load(days)))
    assert row["ide_chat_engaged_users_mean"] == pytest.approx(4 / 1)
    assert (row["ide_chat_engaged_users_days_reported"], row["ide_chat_engaged_users_days_unreported"]) == (1, 3)
    assert row["engaged_users_mean"] == pytest.approx((25 + 25 + 25) / 3)
    # 06-05 reports active users only: the rate is over the three days reporting both counts
    assert row["engagement_rate"] == pytest.approx((25 * 3) / (30 * 3))


def test_a_period_without_data_has_null_user_days() -> None:
    days = [day("2025-06-02"), day("2025-06-16")]
    weekly = cm.adoption(load(days), every="1w")
    empty = one(weekly, period_start=pl.date(2025, 6, 9))
    assert (empty["days_with_data"], empty["active_user_days"], empty["active_users_days_reported"]) == (0, None, 0)


# ----------------------------------------------------------------------------- kinds and rollup


def test_column_kind_knows_every_table_column() -> None:
    ds = load(LANGUAGES_LATE)
    for name, frame in ds.tables.items():  # the successor reports' tables too
        for column in frame.columns:
            cm.column_kind(column)  # raises for an unknown column
        assert cm.column_kind("date") == "period", name
    assert cm.column_kind("total_engaged_users") == "distinct"
    assert cm.column_kind("total_active_users") == "distinct"
    assert cm.column_kind("completions_engaged_users") == "distinct"
    assert cm.column_kind("total_code_suggestions") == "additive"
    assert cm.column_kind("language") == "dimension"
    assert cm.column_kind("org") == "scope"
    assert cm.column_kind("is_custom_model") == "attribute"
    assert cm.column_kind("shape") == "bookkeeping"
    assert cm.column_kind(REPORTED) == "days"
    assert cm.column_kind("ide_chat_engaged_users_days_unreported") == "days"


def test_rollup_accepts_tables_sums_counts_and_refuses_distinct_users() -> None:
    ds = load(LANGUAGES_LATE)
    with pytest.raises(RollupError) as info:
        cm.rollup(ds.completions, by="language")
    assert info.value.column == "total_engaged_users"
    with pytest.raises(RollupError):
        cm.rollup(ds.completions_languages, by="language")
    per_language = cm.rollup(ds.completions.drop("total_engaged_users"), by="language")
    assert per_language.columns == [
        "enterprise",
        "org",
        "team",
        "language",
        "total_code_suggestions",
        "total_code_acceptances",
        "total_code_lines_suggested",
        "total_code_lines_accepted",
    ]
    java = one(per_language, language="java")
    assert (java["total_code_suggestions"], java["total_code_acceptances"]) == (3 * 100 + 50 + 40, 3 * 30 + 20 + 10)
    daily = cm.rollup(ds.completions.drop("total_engaged_users"), by=("date",))
    assert daily["total_code_suggestions"].to_list() == [110, 110, 110, 70, 40]


def test_rollup_of_absent_values_is_null() -> None:
    bare = {"name": "rust", "total_engaged_users": 1}
    days = [
        day(
            "2025-05-05",
            copilot_ide_code_completions={"total_engaged_users": 1, "editors": [editor("vscode", 1, [bare])]},
        )
    ]
    out = cm.rollup(load(days).completions.drop("total_engaged_users"), by="language")
    assert one(out, language="rust")["total_code_suggestions"] is None


# ----------------------------------------------------------------------------- ratios of two counts


def test_engagement_rate_is_over_the_days_reporting_both_counts() -> None:
    days = [
        {"date": "2025-07-07", "total_active_users": 10, "total_engaged_users": 5},  # A: both
        {"date": "2025-07-08", "total_active_users": 10},  # B: engaged absent
        {"date": "2025-07-09", "total_engaged_users": 4},  # C: active absent
    ]
    row = one(cm.adoption(load(days)))
    # only A reports both: 5 / 10, not 5 / 20 (nor (5 + 4) / 20)
    assert row["engagement_rate"] == pytest.approx(5 / 10)
    # the user-days stay over the days reporting their own count
    assert (row["active_user_days"], row["engaged_user_days"]) == (10 + 10, 5 + 4)
    assert (row["active_users_days_reported"], row["engaged_users_days_reported"]) == (2, 2)
    # per day: B and C report one count each, so their rate is null, not 0
    daily = cm.adoption(load(days), every="1d")
    assert daily["engagement_rate"].to_list() == [pytest.approx(0.5), None, None]


def test_feature_share_is_over_the_days_reporting_the_feature_and_the_day() -> None:
    days = [
        {
            "date": "2025-07-07",
            "total_active_users": 10,
            "total_engaged_users": 5,
            "copilot_ide_chat": {"total_engaged_users": 2, "editors": []},
        },
        {"date": "2025-07-08", "total_active_users": 10, "total_engaged_users": 8, "copilot_ide_chat": None},
        {"date": "2025-07-09", "total_active_users": 10, "copilot_ide_chat": {"total_engaged_users": 3, "editors": []}},
    ]
    row = one(cm.adoption(load(days)))
    # 07-07 only reports both: 2 / 5, not (2 + 3) / (5 + 8)
    assert row["ide_chat_share"] == pytest.approx(2 / 5)
    assert row["ide_chat_engaged_user_days"] == 2 + 3
    assert row["engagement_rate"] == pytest.approx((5 + 8) / (10 + 10))
    assert row["completions_share"] is None  # no day reports the completions count


def test_activation_rate_is_over_the_days_with_active_users_and_seats() -> None:
    days = [
        {"date": "2025-07-07", "total_active_users": 10, "total_engaged_users": 5},  # before the seats rows
        {"date": "2025-07-08", "total_active_users": 6, "total_engaged_users": 5},
        {"date": "2025-07-09", "total_engaged_users": 3},  # active users absent
    ]
    seats = pl.DataFrame({"date": [dt.date(2025, 7, 8)], "seats": [20]})
    row = one(cm.adoption(load(days), seats=seats))
    assert row["seat_days"] is None  # 07-07 has no seats value
    # 07-08 only has both: 6 / 20, not (10 + 6) / (20 + 20) nor 6 / (20 + 20)
    assert row["activation_rate"] == pytest.approx(6 / 20)
    flat = one(cm.adoption(load(days), seats=20))
    assert flat["seat_days"] == 20 * 3
    assert flat["activation_rate"] == pytest.approx((10 + 6) / (20 + 20))


def test_chats_per_engaged_user_day_skip_the_days_with_users_but_no_chats() -> None:
    ds = load(CHAT_TOTALS_ONLY)
    total = one(cm.chat(ds, by=None))
    # users every day (7, 9, 6, 3); chats only where editors are listed: 01-06 (10 + 4), 01-09 (6)
    assert total["total_chats"] == 10 + 4 + 6
    assert total["engaged_user_days"] == 7 + 9 + 6 + 3
    assert total["chats_per_engaged_user_day"] == pytest.approx((10 + 4 + 6) / (7 + 3))
    # jetbrains on 01-09 reports 1 user but has no models array, so no chats: left out
    jetbrains = one(cm.chat(ds, by="editor"), editor="jetbrains")
    assert jetbrains["chats_per_engaged_user_day"] == pytest.approx(4 / 2)


def test_dotcom_chats_per_engaged_user_day_skip_a_model_without_its_count() -> None:
    ds = load(dotcom_days())
    model = one(cm.dotcom_chat(ds), model="default")
    # 02-05's 5 chats have no user count: (9 + 3) / (4 + 6), not (9 + 5 + 3) / (4 + 6)
    assert model["chats_per_engaged_user_day"] == pytest.approx((9 + 3) / (4 + 6))
    total = one(cm.dotcom_chat(ds, by=None))
    # 02-04 has 8 users but no chats: (9 + 5 + 3) / (4 + 2 + 6), not / (4 + 8 + 2 + 6)
    assert total["chats_per_engaged_user_day"] == pytest.approx((9 + 5 + 3) / (4 + 2 + 6))
    assert one(cm.dotcom_chat(ds, by=None, start="2025-02-04", end="2025-02-04"))["chats_per_engaged_user_day"] is None


def test_summaries_per_engaged_user_day_skip_a_repository_without_its_models() -> None:
    def pr_model(users: int, summaries: int) -> dict[str, Any]:
        return {
            "name": "default",
            "is_custom_model": False,
            "custom_model_training_date": None,
            "total_pr_summaries_created": summaries,
            "total_engaged_users": users,
        }

    days = [
        day(
            "2025-04-01",
            copilot_dotcom_pull_requests={
                "total_engaged_users": 3,
                "repositories": [{"name": "a", "total_engaged_users": 3, "models": [pr_model(3, 2)]}],
            },
        ),
        day(
            "2025-04-02",
            copilot_dotcom_pull_requests={
                "total_engaged_users": 1,
                "repositories": [{"name": "a", "total_engaged_users": 1}],
            },
        ),
    ]
    repo = one(cm.pull_requests(load(days)), repository="a")
    assert repo["engaged_user_days"] == 3 + 1
    assert repo["summaries_per_engaged_user_day"] == pytest.approx(2 / 3)


def test_rollup_recomputes_a_paired_rate_only_where_every_day_reported_both() -> None:
    days = [
        {"date": "2025-07-07", "total_active_users": 10, "total_engaged_users": 5},  # week 1: both
        {"date": "2025-07-08", "total_active_users": 10, "total_engaged_users": 2},
        {"date": "2025-07-14", "total_active_users": 10, "total_engaged_users": 5},  # week 2
        {"date": "2025-07-15", "total_active_users": 10},  # engaged absent
    ]
    weekly = cm.adoption(load(days), every="1w")
    additive = weekly.select(c for c in weekly.columns if cm.column_kind(c) not in ("distinct", "change"))
    first = one(cm.rollup(additive.filter(pl.col("period_start") == pl.date(2025, 7, 7))))
    assert first["engagement_rate"] == pytest.approx((5 + 2) / (10 + 10))
    # over both weeks the output's sums would give (5 + 2 + 5) / 40; the right figure is 12 / 30
    assert one(cm.rollup(additive))["engagement_rate"] is None
    assert one(cm.adoption(load(days)))["engagement_rate"] == pytest.approx((5 + 2 + 5) / (10 + 10 + 10))
    with pytest.raises(RollupError) as info:
        cm.rollup(additive.drop("active_users_days_unreported"))
    assert info.value.column == "engagement_rate"
    chats = cm.chat(load(CHAT_TOTALS_ONLY), by=None, every="1d").drop("engaged_users_mean", "engaged_users_peak")
    with pytest.raises(RollupError) as info:
        cm.rollup(chats)
    assert info.value.column == "chats_per_engaged_user_day"
