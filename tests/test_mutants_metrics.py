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
from copilot_metrics.errors import CopilotMetricsError, RollupError
from helpers import load, one

D = datetime.date
FRI, SAT, MON = "2025-03-07", "2025-03-08", "2025-03-10"
WEEK1, WEEK2 = D(2025, 3, 3), D(2025, 3, 10)


def model(users: int, **counts: int) -> dict[str, Any]:
    return {
        "name": "default",
        "is_custom_model": False,
        "custom_model_training_date": None,
        "total_engaged_users": users,
        **counts,
    }


def lang(name: str, users: int, sugg: int, acc: int) -> dict[str, Any]:
    return {
        "name": name,
        "total_engaged_users": users,
        "total_code_suggestions": sugg,
        "total_code_acceptances": acc,
        "total_code_lines_suggested": 2 * sugg,
        "total_code_lines_accepted": 2 * acc,
    }


def full_day(date: str, k: int) -> dict[str, Any]:
    """A day with every feature; ``k`` = 1, 2, 4 makes each day's counts distinct powers of two."""
    return {
        "date": date,
        "total_active_users": 10 * k,
        "total_engaged_users": 5 * k,
        "copilot_ide_code_completions": {
            "total_engaged_users": 3 * k,
            "languages": [{"name": "python", "total_engaged_users": 2 * k}, {"name": "go", "total_engaged_users": k}],
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 3 * k,
                    "models": [
                        model(3 * k, languages=[lang("python", 2 * k, 100 * k, 30 * k), lang("go", k, 10 * k, 5 * k)])
                    ],
                }
            ],
        },
        "copilot_ide_chat": {
            "total_engaged_users": 2 * k,
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 2 * k,
                    "models": [
                        model(2 * k, total_chats=10 * k, total_chat_insertion_events=k, total_chat_copy_events=k)
                    ],
                }
            ],
        },
        "copilot_dotcom_chat": {"total_engaged_users": k, "models": [model(k, total_chats=3 * k)]},
        "copilot_dotcom_pull_requests": {
            "total_engaged_users": k,
            "repositories": [
                {"name": "repo-a", "total_engaged_users": k, "models": [model(k, total_pr_summaries_created=7 * k)]}
            ],
        },
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
    ds: cm.Dataset,
    function: Any,
    by: str,
    column: str,
    unit: int,
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
    ds: cm.Dataset,
    function: Any,
    by: str,
    column: str,
    unit: int,
) -> None:
    weekly = sliced(function(ds, by=by, every="1w"), by)
    assert weekly["period_start"].to_list() == [WEEK1, WEEK2]
    assert weekly[column].to_list() == [unit * (1 + 2), unit * 4]
    assert weekly["engaged_users_days_reported"].to_list() == [2, 1]


@pytest.mark.parametrize(
    ("function", "by"),
    [
        (cm.acceptance, "repository"),
        (cm.chat, "language"),
        (cm.dotcom_chat, "editor"),
        (cm.pull_requests, "language"),
    ],
)
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
    # absent from the editor's present languages array: 0 events there, not unknown
    assert java["total_code_suggestions"] == 0
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


# ----------------------------------------------------------------------------- trend


def series(rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=columns, orient="row").with_columns(pl.col("date").str.to_date())


def test_trend_defaults_to_seven_calendar_days_per_scope_sorted_org_row_first() -> None:
    # given out of order: the org's own rows (team null) and team web's, values distinct powers of two
    frame = series(
        [
            ("acme", "web", "2025-03-09", 32),
            ("acme", None, "2025-03-08", 4),
            ("acme", None, "2025-03-01", 1),
            ("acme", "web", "2025-03-01", 16),
            ("acme", None, "2025-03-09", 8),
            ("acme", None, "2025-03-05", 2),
        ],
        ("org", "team", "date", "n"),
    )
    out = cm.trend(frame, "n")
    assert out.columns == ["org", "team", "date", "n", "n_trend_7d", "n_trend_7d_days", "break"]
    assert out.rows() == [  # no known break in March 2025: break null
        ("acme", None, D(2025, 3, 1), 1, 1.0, 1, None),
        ("acme", None, D(2025, 3, 5), 2, (1 + 2) / 2, 2, None),  # 03-01 .. 03-05
        ("acme", None, D(2025, 3, 8), 4, (2 + 4) / 2, 2, None),  # 03-02 .. 03-08: 03-01 is out
        ("acme", None, D(2025, 3, 9), 8, (2 + 4 + 8) / 3, 3, None),
        ("acme", "web", D(2025, 3, 1), 16, 16.0, 1, None),
        ("acme", "web", D(2025, 3, 9), 32, 32.0, 1, None),  # the org's days are another group
    ]


def test_trend_groups_by_the_dimensions_given_as_by() -> None:
    frame = series(
        [
            ("2025-03-01", "vscode", "gpt", 1),
            ("2025-03-01", "vim", "gpt", 2),
            ("2025-03-01", "vim", "claude", 64),
            ("2025-03-02", "vscode", "gpt", 4),
            ("2025-03-02", "vim", "gpt", 8),
            ("2025-03-02", "vim", "claude", 128),
        ],
        ("date", "editor", "model", "n"),
    )
    per_model = cm.trend(frame, "n", 2, ("editor", "model"))
    assert per_model.select("editor", "model", "date", "n", "n_trend_2d", "n_trend_2d_days").rows() == [
        ("vim", "claude", D(2025, 3, 1), 64, 64.0, 1),
        ("vim", "claude", D(2025, 3, 2), 128, 96.0, 2),
        ("vim", "gpt", D(2025, 3, 1), 2, 2.0, 1),
        ("vim", "gpt", D(2025, 3, 2), 8, 5.0, 2),
        ("vscode", "gpt", D(2025, 3, 1), 1, 1.0, 1),
        ("vscode", "gpt", D(2025, 3, 2), 4, 2.5, 2),
    ]
    vscode = frame.filter(pl.col("editor") == "vscode").drop("model")
    for by in ("editor", ["editor"]):
        assert cm.trend(vscode, "n", 2, by)["n_trend_2d"].to_list() == [1.0, 2.5]
    with pytest.raises(CopilotMetricsError, match="several rows per day") as several:
        cm.trend(frame, "n", 2, "editor")  # vim holds two models a day
    assert several.value.message == "trend: the frame holds several rows per day and group ['editor']"
    assert several.value.attrs()["column"] == "n"
    assert several.value.hint == "aggregate to one row per day first, or pass the dimension columns as by"


def test_a_window_of_one_day_is_the_day_itself_and_zero_is_refused() -> None:
    frame = series([("2025-03-01", 3), ("2025-03-02", None), ("2025-03-03", 5)], ("date", "n"))
    assert cm.trend(frame, "n", 1).drop("date", "break").rows() == [(3, 3.0, 1), (None, None, 0), (5, 5.0, 1)]
    for window, min_days in ((0, 1), (1, 0)):
        with pytest.raises(CopilotMetricsError, match=r"^window and min_days must be at least 1$"):
            cm.trend(frame, "n", window, min_days=min_days)


@pytest.mark.parametrize("columns", [("date", "other"), ("day", "n")])
def test_trend_without_the_column_or_a_date_is_refused_naming_the_column(columns: tuple[str, str]) -> None:
    frame = pl.DataFrame({columns[0]: [D(2025, 3, 1)], columns[1]: [1]})
    with pytest.raises(CopilotMetricsError) as refused:
        cm.trend(frame, "n")
    assert refused.value.message == "trend needs a 'date' (or 'period_start') column and 'n'"
    assert refused.value.attrs()["column"] == "n"


# ----------------------------------------------------------------------------- rollup

W1D, W2D = D(2025, 3, 3), D(2025, 3, 10)


def per_editor_language() -> pl.DataFrame:
    """Acceptance by editor and language, weekly; the input's rates and shares are recomputed, so left null.

    Built when called, not at import: a frame made at import starts Polars' threads in the process mutmut
    forks its test runs from, and the forked runs hang.
    """
    return pl.DataFrame(
        [
            ("acme", None, W1D, "vscode", "python", 100, 40),
            ("acme", None, W1D, "vim", "python", 50, 10),
            ("acme", None, W1D, "vscode", "go", 20, 10),
            ("acme", None, W2D, "vscode", "python", 200, 50),
            ("acme", None, W2D, "vim", "go", 30, 30),
            ("acme", "web", W1D, "vscode", "python", 10, 5),
        ],
        schema=(
            "org",
            "team",
            "period_start",
            "editor",
            "language",
            "total_code_suggestions",
            "total_code_acceptances",
        ),
        orient="row",
    ).with_columns(acceptance_rate=pl.lit(None, pl.Float64), share_of_acceptances=pl.lit(None, pl.Float64))


def test_rollup_recomputes_shares_within_each_scope_and_period_org_row_first() -> None:
    out = cm.rollup(per_editor_language(), by=("language", "period_start"))
    assert out.columns == [
        "org",
        "team",
        "period_start",
        "language",
        "total_code_suggestions",
        "total_code_acceptances",
        "acceptance_rate",
        "share_of_acceptances",
    ]
    # org rows week 1: 10 + 50 = 60 acceptances; week 2: 30 + 50 = 80; team web week 1: 5
    assert out.rows() == [
        ("acme", None, W1D, "go", 20, 10, 10 / 20, 10 / 60),
        ("acme", None, W1D, "python", 150, 50, 50 / 150, 50 / 60),
        ("acme", None, W2D, "go", 30, 30, 1.0, 30 / 80),
        ("acme", None, W2D, "python", 200, 50, 50 / 200, 50 / 80),
        ("acme", "web", W1D, "python", 10, 5, 5 / 10, 1.0),
    ]


def test_rollup_by_a_scope_column_is_allowed_and_a_frame_without_scope_gives_one_row() -> None:
    by_org = cm.rollup(per_editor_language().drop("share_of_acceptances"), by="org")
    assert by_org.rows() == [("acme", None, 400, 140, 140 / 400), ("acme", "web", 10, 5, 0.5)]
    bare = per_editor_language().select(
        "language", "total_code_suggestions", "total_code_acceptances", "acceptance_rate"
    )
    assert cm.rollup(bare).rows() == [(410, 145, 145 / 410)]


@pytest.mark.parametrize("by", ["nope", "total_code_suggestions"])
def test_rollup_refuses_a_by_that_is_not_a_key_column_naming_it(by: str) -> None:
    with pytest.raises(CopilotMetricsError) as refused:
        cm.rollup(per_editor_language(), by=by)
    assert refused.value.message == f"rollup: cannot group by {by!r}"
    assert refused.value.attrs()["column"] == by
    assert refused.value.hint == "by takes the scope, period (period_start, date) and dimension columns of the frame"


@pytest.mark.parametrize(
    ("dropped", "rate", "missing"),
    [
        (("total_code_suggestions",), "acceptance_rate", "total_code_suggestions"),
        (("acceptance_rate", "total_code_acceptances"), "share_of_acceptances", "total_code_acceptances"),
    ],
)
def test_rollup_refuses_a_rate_or_share_without_its_summed_columns(
    dropped: tuple[str, ...],
    rate: str,
    missing: str,
) -> None:
    with pytest.raises(RollupError) as refused:
        cm.rollup(per_editor_language().drop(*dropped), by="language")
    assert refused.value.message == f"rollup: cannot recompute {rate!r} without [{missing!r}]"
    assert refused.value.attrs()["column"] == rate
    assert refused.value.hint == "keep the summed columns the rate is a ratio of"


def test_rollup_sums_days_columns_over_periods_but_refuses_them_over_slices() -> None:
    weekly = (
        per_editor_language()
        .filter(pl.col("editor") == "vscode", pl.col("team").is_null())
        .select("org", "period_start", "language", engaged_users_days_reported=pl.Series([5, 3, 7]))
    )
    # vscode, org rows: python W1 (5), go W1 (3), python W2 (7)
    assert cm.rollup(weekly, by="language").rows() == [("acme", "go", 3), ("acme", "python", 5 + 7)]
    with pytest.raises(RollupError) as refused:
        cm.rollup(weekly)
    assert refused.value.message == (
        "column 'engaged_users_days_reported' counts days of a slice: summing it over slices ['language'] "
        "counts days twice"
    )
    assert refused.value.attrs()["column"] == "engaged_users_days_reported"
    assert refused.value.hint == (
        "drop the columns ['engaged_users_days_reported'] before rollup, and take the users at the coarser grain "
        "from the metrics function (adoption, acceptance, chat, ...), which reads them from the table counting "
        "that grain"
    )


@pytest.mark.parametrize(
    ("column", "kind"), [("engaged_users_mean_change", "change"), ("total_chats_trend_7d", "trend")]
)
def test_rollup_refuses_change_and_trend_columns(column: str, kind: str) -> None:
    frame = pl.DataFrame({"org": ["acme"], "period_start": [W1D], "total_chats": [4], column: [1.5]})
    with pytest.raises(RollupError) as refused:
        cm.rollup(frame)
    assert refused.value.message == f"column {column!r} ({kind}) cannot be re-aggregated"
    assert refused.value.attrs()["column"] == column
    assert refused.value.hint == "drop it before rollup and recompute it at the coarser grain"


def test_rollup_leaves_out_the_attribute_columns_of_a_table() -> None:
    table = pl.DataFrame(
        {
            "org": ["acme"] * 3,
            "date": [D(2025, 3, 7)] * 3,
            "editor": ["vscode", "vscode", "vim"],
            "model": ["default", "tuned", "default"],
            "is_custom_model": [False, True, False],
            "total_chats": [3, 5, 11],
        }
    )
    out = cm.rollup(table, by="editor")
    assert out.columns == ["org", "editor", "total_chats"]
    assert out.rows() == [("acme", "vim", 11), ("acme", "vscode", 3 + 5)]
