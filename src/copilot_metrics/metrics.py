"""Aggregations with correct statistics: adoption, completions acceptance, chat, pull requests.

Every function takes a :class:`~copilot_metrics.Dataset` (or a mapping of table name to Polars
``DataFrame``/``LazyFrame``, so Parquet scans work), never mutates it, computes with Polars
expressions only, and returns a Polars ``DataFrame``.

The rules (see ``DOMAIN.md``, "What the numbers mean"):

* **Scopes are never merged.** Every output row carries ``enterprise``, ``org`` and ``team``:
  a team is a subset of its org, so adding their rows would count events and people twice.
  ``by=None`` therefore gives one total row per scope (and period).
* **Rates are ratios of sums** over the slice and period, never means of daily ratios. A zero
  (or null) denominator gives null, never 0 or NaN. Rates are fractions, not percentages.
* **Distinct-user counts are never summed** over sibling slices. Over time they are reported
  as a daily mean, a daily peak, or as explicitly named *user-days* (``*_user_days``: the sum
  of the daily counts, additive over days but not over slices).
* **Missing days are gaps, not zeros.** They are excluded from means and counted in
  ``days_missing``.
* **Missing is never zero.** A distinct-user statistic (``*_mean``, ``*_peak``, and the Σ
  ``*_user_days``) is taken over the days that *report* that count, and only those:

  - a day reports a slice's count when the array that would hold the slice is present that day
    (its feature block is an object, not ``null`` or missing, and holds the array, e.g.
    ``copilot_ide_code_completions.languages`` for a language; for a nested slice, every
    parent object on the way down holds its child array too, e.g. an editor's ``models``) and
    the count itself is present (not ``null``, key not missing);
  - a name absent from an array that is present counts 0 users that day (the array lists
    every slice with activity); a parent absent from its present array likewise gives its
    children 0;
  - **known zeros**: an object that reports 0 engaged users and lacks its array (how the API
    writes a feature nobody used that day: ``{"total_engaged_users": 0}``) reports every slice
    below it as 0, users and events alike, at every level (feature block, editor, model,
    repository). An absent array under an object that reports users, or no count, leaves the
    slices below it unreported; a block that is ``null`` or missing reports nothing. E.g. day A
    with one github.com chat model of 1 user, day B ``"copilot_dotcom_chat":
    {"total_engaged_users": 0}``: the model's mean is 0.5 over 2 reported days, as the feature's;
  - the days with data that do not report the count are left out of the mean and the peak,
    and counted: ``<stat>_days_reported`` is the number of days the mean and the peak are
    taken over (mean = ``*_user_days`` / ``<stat>_days_reported``), ``<stat>_days_unreported``
    the days of the period with a day row that do not report it (the two add up to the days
    with data);
  - over no reported day, the mean, the peak and the user-days are null, never 0.

  Event counts (suggestions, acceptances, lines, chats, PR summaries) are Σ of the values
  present; a sum over values that are all absent is null, not 0. A slice without any row in
  the period sums to 0 when a day of the period reports its rows (every array down to the rows
  present, even empty, or under an object reporting 0 users: a day of known zeros), and to
  null otherwise. Rates built on a null sum are null.

  A ratio of two counts that days report separately (``engagement_rate``: engaged over active
  user-days; ``<feature>_share``; ``activation_rate``: active users over seats;
  ``chats_per_engaged_user_day``, ``summaries_per_engaged_user_day``: events over engaged
  user-days) takes both sums over the same days: those that report both (the numerator's and
  the denominator's value present that day), so a day reporting one count only moves neither
  sum. E.g. day A (10 active, 5 engaged) and day B (10 active, engaged absent) give
  ``engagement_rate`` 5 / 10, not 5 / 20. The user-day columns shown beside such a rate are
  still over the days reporting their own count, so the rate need not equal their quotient.
* Every column a function here emits, and every column of the tables, has a kind
  (:func:`column_kind`), and :func:`rollup` re-aggregates an output or a table to a coarser
  grain from those kinds, refusing (with :class:`~copilot_metrics.errors.RollupError`) to sum
  a distinct-user count.

Periods (``every``): ``None`` (the whole selected range, no ``period_start`` column), ``"1d"``,
``"1w"`` (ISO weeks, starting Monday), ``"1mo"`` (calendar months), ``"1q"`` (calendar
quarters). With ``every``, ``period_start`` (``Date``) is the first calendar day of the period.
``start``/``end`` (inclusive, ``datetime.date`` or ISO ``"YYYY-MM-DD"``) select days;
``weekdays_only=True`` keeps Monday to Friday only (and counts only weekdays as missing).

An argument of the wrong type (``by=123``, ``start=20250101``, ``window="7"``) raises
``TypeError``, and a number out of range (``seats=-1``, ``min_suggestions=-1``) ``ValueError``,
naming the argument, before any table is read.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import polars as pl

from copilot_metrics import findings as quality
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import CopilotMetricsError, RollupError
from copilot_metrics.tables import BLOCKS, BOOKKEEPING, FEATURES, SCOPE, TABLES, TableSpec

__all__ = [
    "LANGUAGE_ALIASES",
    "ColumnKind",
    "acceptance",
    "adoption",
    "chat",
    "column_kind",
    "coverage",
    "dotcom_chat",
    "pull_requests",
    "rollup",
    "trend",
]

Frames: TypeAlias = "Dataset | Mapping[str, pl.DataFrame | pl.LazyFrame]"
"""A :class:`~copilot_metrics.Dataset`, or a mapping ``{table name: DataFrame | LazyFrame}``."""
Every = Literal["1d", "1w", "1mo", "1q"]
By = str | Sequence[str] | None
DateLike = dt.date | str | None
ColumnKind = Literal[
    "scope", "period", "calendar", "dimension", "additive", "days", "user_days", "distinct", "rate", "share",
    "change", "trend", "attribute", "bookkeeping",
]

#: Language aliases seen in real archives -> the VS Code language identifier they stand for.
#: Used by ``acceptance(..., normalize_languages=True)``; exact, case-sensitive match on the
#: stored name; the stored tables are never changed.
LANGUAGE_ALIASES: dict[str, str] = {
    "c#": "csharp",
    "cs": "csharp",
    "c++": "cpp",
    "cxx": "cpp",
    "js": "javascript",
    "jsx": "javascriptreact",
    "ts": "typescript",
    "tsx": "typescriptreact",
    "py": "python",
    "golang": "go",
    "rb": "ruby",
    "rs": "rust",
    "kt": "kotlin",
    "yml": "yaml",
    "md": "markdown",
    "sh": "shellscript",
    "bash": "shellscript",
    "shell": "shellscript",
    "ps1": "powershell",
    "tf": "terraform",
}

_PERIODS = ("1d", "1w", "1mo", "1q")
_FEATURE_BLOCKS: dict[str, str] = {name: feature.block for name, feature in FEATURES.items()}
_FINDING_RULES = {
    "acceptances_exceed_suggestions": "total_code_acceptances",
    "lines_accepted_exceed_suggested": "total_code_lines_accepted",
}


@dataclass(frozen=True)
class _Feature:
    block: str
    leaf: str
    dims: tuple[str, ...]
    sums: tuple[str, ...]
    days_column: str
    # dimension set -> table holding the distinct engaged users at exactly that grain
    distinct: Mapping[frozenset[str], str]


def _feature(name: str) -> _Feature:
    """What the metrics need of a feature, derived from its declaration (:data:`tables.FEATURES`).

    Its tables are those under its block; the leaf's dimensions are the slices, its event counts
    (integer measures not counting users) are summed, and each table counts the distinct engaged
    users at exactly its own grain (``days`` at the feature's).
    """
    feature = FEATURES[name]
    leaf = TABLES[feature.leaf]
    events = tuple(m for m, dtype in leaf.measures.items() if dtype == pl.Int64() and not m.endswith("_users"))
    grains = {frozenset(spec.dimensions): spec.name for spec in TABLES.values() if spec.block == feature.block}
    return _Feature(feature.block, leaf.name, leaf.dimensions, events, feature.users_column,
                    {frozenset(): "days", **grains})


_COMPLETIONS, _IDE_CHAT, _DOTCOM_CHAT, _PULL_REQUESTS = (_feature(name) for name in FEATURES)

# ----------------------------------------------------------------------------- column kinds

#: The tables' own columns, from their declaration: a measure counting users (``*_users``) is a
#: distinct count; the other integer measures are event counts; the model's
#: ``is_custom_model``/``custom_model_training_date`` describe a row.
_TABLE_MEASURES = {m: dtype for spec in TABLES.values() for m, dtype in spec.measures.items()}
_TABLE_DISTINCT = {m for m in _TABLE_MEASURES if m.endswith("_users")}
_TABLE_ATTRIBUTES = {m for m, dtype in _TABLE_MEASURES.items() if m not in _TABLE_DISTINCT and dtype != pl.Int64()}
_ADDITIVE = {m for m in _TABLE_MEASURES if m not in _TABLE_DISTINCT | _TABLE_ATTRIBUTES} | {"rows_excluded"}
#: rate column -> (numerator columns, denominator column)
_RATES: dict[str, tuple[tuple[str, ...], str]] = {
    "acceptance_rate": (("total_code_acceptances",), "total_code_suggestions"),
    "line_acceptance_rate": (("total_code_lines_accepted",), "total_code_lines_suggested"),
    "chat_acceptance_rate": (("total_chat_insertion_events", "total_chat_copy_events"), "total_chats"),
    "chats_per_engaged_user_day": (("total_chats",), "engaged_user_days"),
    "summaries_per_engaged_user_day": (("total_pr_summaries_created",), "engaged_user_days"),
    "engagement_rate": (("engaged_user_days",), "active_user_days"),
    "activation_rate": (("active_user_days",), "seat_days"),
    **{f"{f}_share": ((f"{f}_engaged_user_days",), "engaged_user_days") for f in _FEATURE_BLOCKS},
}
#: rates whose two sums are taken over the days reporting both counts -> the ``*_days_unreported``
#: columns that must all be 0 (every day reported both) for :func:`rollup` to recompute them from
#: the output's sums; ``None``: never recomputable from them (the days holding the events are not
#: in the output)
_PAIRED: dict[str, tuple[str, ...] | None] = {
    "engagement_rate": ("active_users_days_unreported", "engaged_users_days_unreported"),
    "activation_rate": ("active_users_days_unreported",),
    **{f"{f}_share": (f"{f}_engaged_users_days_unreported", "engaged_users_days_unreported") for f in _FEATURE_BLOCKS},
    "chats_per_engaged_user_day": None,
    "summaries_per_engaged_user_day": None,
}
_SHARES: dict[str, str] = {"share_of_acceptances": "total_code_acceptances"}
_KINDS: dict[str, ColumnKind] = {
    **dict.fromkeys(SCOPE, "scope"),
    **dict.fromkeys(("period_start", "date"), "period"),
    **dict.fromkeys(("days_in_period", "period_complete"), "calendar"),
    **dict.fromkeys(sorted({d for spec in TABLES.values() for d in spec.dimensions}), "dimension"),
    **dict.fromkeys(_ADDITIVE, "additive"),
    **dict.fromkeys(_TABLE_DISTINCT, "distinct"),
    **dict.fromkeys(_TABLE_ATTRIBUTES, "attribute"),
    **dict.fromkeys(BOOKKEEPING, "bookkeeping"),
    **dict.fromkeys(("days_with_data", "days_missing"), "days"),
    **dict.fromkeys(
        ("active_user_days", "engaged_user_days", "seat_days", *(f"{f}_engaged_user_days" for f in _FEATURE_BLOCKS)),
        "user_days",
    ),
    **dict.fromkeys(_RATES, "rate"),
    **dict.fromkeys(_SHARES, "share"),
}
_TREND = re.compile(r".+_trend_\d+d(_days)?$")


def column_kind(name: str) -> ColumnKind:
    """Return how column ``name`` of a metrics output, or of a table, aggregates.

    Kinds:

    ``"scope"``
        ``enterprise``, ``org``, ``team``: always kept, never aggregated over.
    ``"period"``
        ``period_start`` of the metrics outputs, ``date`` of the tables.
    ``"calendar"``
        ``days_in_period`` and ``period_complete`` of the outputs computed with ``every``: how
        much of the period lies inside the scope's loaded range. The same on every slice of a
        scope and period; summed (``days_in_period``) or all true (``period_complete``) when
        periods are aggregated away.
    ``"dimension"``
        ``editor``, ``model``, ``language``, ``repository``.
    ``"additive"``
        event counts (suggestions, acceptances, lines, chats, insertion and copy events, PR
        summaries, in the tables and in the outputs; ``rows_excluded``): summed over days and
        slices.
    ``"days"``
        ``days_with_data``, ``days_missing``, ``*_days_reported``, ``*_days_unreported``: summed
        over periods, not over slices.
    ``"user_days"``
        ``*_user_days`` and ``seat_days``: Σ of daily distinct counts; summed over periods,
        never over sibling slices (a person in two slices would count twice).
    ``"distinct"``
        ``*_mean`` and ``*_peak`` of distinct-user counts, and the tables' daily distinct counts
        (``total_active_users``, ``total_engaged_users``, ``<feature>_engaged_users``): never
        summed.
    ``"rate"``
        ratios of two sums, recomputed from the sums (see the function docstrings).
    ``"share"``
        ``share_of_acceptances``: a slice's part of its scope and period's total, recomputed.
    ``"change"``
        ``*_mean_change``: difference from the previous period.
    ``"trend"``
        ``*_trend_<n>d`` and ``*_trend_<n>d_days`` from :func:`trend`.
    ``"attribute"``
        ``is_custom_model``, ``custom_model_training_date``: describe a table row, not a sum.
    ``"bookkeeping"``
        ``source``, ``extras``, ``shape``: where a table row came from and what its JSON held.

    Raises
    ------
    CopilotMetricsError
        For a column that no function of this module emits and no table holds.

    Examples
    --------
    >>> column_kind("engaged_users_mean"), column_kind("total_code_acceptances")
    ('distinct', 'additive')
    >>> column_kind("total_engaged_users"), column_kind("engaged_users_days_reported")
    ('distinct', 'days')
    """
    if name in _KINDS:
        return _KINDS[name]
    if name.endswith("_mean_change"):
        return "change"
    if name.endswith(("_mean", "_peak")):
        return "distinct"
    if name.endswith(("_days_reported", "_days_unreported")):
        return "days"
    if _TREND.match(name):
        return "trend"
    raise CopilotMetricsError(
        f"column {name!r} is not a column of the metrics functions or of the tables", column=name,
        hint="column_kind knows the columns emitted by adoption, acceptance, chat, dotcom_chat, "
        "pull_requests and trend, and the columns of the tables (cm.TABLES)",
    )


# ----------------------------------------------------------------------------- helpers


def _lazy(ds: Frames, name: str) -> pl.LazyFrame:
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame] = ds.tables if isinstance(ds, Dataset) else ds
    if name not in tables:
        raise CopilotMetricsError(f"table {name!r} is missing from the input", table=name)
    frame = tables[name]
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def _findings(ds: Frames) -> pl.LazyFrame | None:
    frame: pl.DataFrame | pl.LazyFrame
    if isinstance(ds, Dataset):
        frame = ds.findings
    elif "findings" in ds:
        frame = ds["findings"]
    else:
        return None
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def _as_date(value: DateLike, name: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CopilotMetricsError(f"{name}={value!r} is not a date (YYYY-MM-DD)", column=name) from exc


def _dims(by: By, allowed: Sequence[str], function: str) -> tuple[str, ...]:
    """The dimension columns of ``by`` (scope columns are always kept, so dropped here)."""
    names = (by,) if isinstance(by, str) else tuple(by or ())
    bad = [n for n in names if n not in allowed and n not in SCOPE]
    if bad:
        raise CopilotMetricsError(
            f"{function}: cannot group by {bad}", column=bad[0],
            hint=f"by takes scope columns {list(SCOPE)} and dimensions {list(allowed)}",
        )
    return tuple(dict.fromkeys(n for n in names if n not in SCOPE))


def _check_arguments(**arguments: object) -> None:
    """Refuse a public argument of the wrong type or value at the door, naming it.

    ``TypeError``/``ValueError`` (Python's convention); the values the module documents as
    :class:`CopilotMetricsError` (an unknown ``by`` column or period, a date string that does
    not parse, ``window`` below 1) are checked where they are used.
    """
    for name, value in arguments.items():
        kind = type(value).__name__
        if name == "by":
            names = (value,) if isinstance(value, str) else value
            if value is not None and (not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names)):
                raise TypeError(f"by must be a column name, a sequence of column names or None, not {kind} {value!r}")
        elif name in ("start", "end"):
            if value is not None and not isinstance(value, (dt.date, str)):
                raise TypeError(f"{name} must be a datetime.date, an ISO date string (YYYY-MM-DD) or None, not {kind}")
        elif name == "seats":
            if isinstance(value, (pl.DataFrame, pl.LazyFrame)) or value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"seats must be a number, a DataFrame or LazyFrame with a 'seats' column, or None, "
                                f"not {kind}")
            if not 0 <= value < float("inf"):
                raise ValueError(f"seats must be a finite number of seats, at least 0, not {value}")
        elif name in ("min_suggestions", "window", "min_days"):
            if (value is not None or name != "min_suggestions") and (
                    isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"{name} must be an int{' or None' if name == 'min_suggestions' else ''}, not {kind}")
            if name == "min_suggestions" and value is not None and value < 0:
                raise ValueError(f"min_suggestions must be at least 0, not {value}")
        elif name in ("weekdays_only", "normalize_languages", "exclude_findings"):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be True or False, not {kind}")
        elif name == "column":
            if not isinstance(value, str):
                raise TypeError(f"column must be a column name (str), not {kind}")
        elif name == "frame" and not isinstance(value, (pl.DataFrame, pl.LazyFrame)):
            raise TypeError(f"frame must be a polars DataFrame or LazyFrame, not {kind}")


def _check_every(every: str | None) -> None:
    if every is not None and every not in _PERIODS:
        raise CopilotMetricsError(f"every={every!r} is not one of None, {', '.join(map(repr, _PERIODS))}")


def _keys(every: str | None) -> list[str]:
    return [*SCOPE, "period_start"] if every else list(SCOPE)


def _select_days(lf: pl.LazyFrame, start: dt.date | None, end: dt.date | None, weekdays_only: bool,
                 every: str | None) -> pl.LazyFrame:
    if start is not None:
        lf = lf.filter(pl.col("date") >= start)
    if end is not None:
        lf = lf.filter(pl.col("date") <= end)
    if weekdays_only:
        lf = lf.filter(pl.col("date").dt.weekday() <= 5)
    if every:
        lf = lf.with_columns(pl.col("date").dt.truncate(every).alias("period_start"))
    return lf


def _shape_has(*entries: str) -> pl.Expr:
    """The row's ``shape`` holds one of ``entries`` (``"key:absent"``, ``"key:null"``); False when null."""
    shape = pl.col("shape")
    return pl.any_horizontal(shape.list.contains(pl.lit(e)) for e in entries).fill_null(False)


def _block_present(block: str) -> pl.Expr:
    """The day's feature ``block`` is an object (not ``null``, not missing)."""
    return ~_shape_has(f"{block}:null", f"{block}:absent")


def _array_reported(array: str) -> pl.Expr:
    """The day reports every slice of the array ``"<block>.<key>"`` (an expression on ``days``).

    The block is an object (not ``null``, not missing) and either holds the array (even empty: a
    name absent from it had 0) or lacks it while reporting 0 engaged users (how the API writes a
    feature nobody used that day: every slice below it had 0 users and 0 events).
    """
    block = array.split(".", 1)[0]
    known_zero = pl.col(BLOCKS[block]).eq_missing(0)
    return _block_present(block) & (~_shape_has(f"{array}:absent") | known_zero)


def _unreported_below(child: TableSpec) -> pl.Expr:
    """A row of ``child``'s parent table leaves ``child``'s slices unreported that day.

    It lacks the child array while reporting engaged users (or no count): a parent reporting 0
    engaged users without the array had 0 in every slice below it.
    """
    return _shape_has(f"{child.array}:absent") & ~pl.col("total_engaged_users").eq_missing(0)


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """Return numerator / denominator as Float64; null when the denominator is 0 or null."""
    return pl.when(denominator != 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64))


def _rate_expr(name: str) -> pl.Expr:
    numerators, denominator = _RATES[name]
    numerator = pl.sum_horizontal(numerators) if len(numerators) > 1 else pl.col(numerators[0])
    return _ratio(numerator, pl.col(denominator)).alias(name)


def _normalized(lf: pl.LazyFrame, normalize_languages: bool) -> pl.LazyFrame:
    if not normalize_languages or "language" not in lf.collect_schema().names():
        return lf
    return lf.with_columns(pl.col("language").replace(LANGUAGE_ALIASES))


def _sum_present(values: pl.Expr, kept: pl.Expr | None = None) -> pl.Expr:
    """Σ of the values present (of the ``kept`` rows); null when no (kept) row holds a value."""
    if kept is not None:
        values = values.filter(kept)
    return pl.when(values.is_not_null().any()).then(values.sum()).cast(pl.Int64)


_ENGAGED: dict[str, pl.DataType] = {
    "engaged_user_days": pl.Int64(),
    "engaged_users_mean": pl.Float64(),
    "engaged_users_peak": pl.Int64(),
    "engaged_users_days_reported": pl.Int64(),
    "engaged_users_days_unreported": pl.Int64(),
}


def _distinct_stats(
    days: pl.LazyFrame, select: Callable[[str], pl.LazyFrame], feature: _Feature, table: str, keys: list[str],
    every: str | None,
) -> tuple[pl.LazyFrame, Callable[[pl.LazyFrame], pl.LazyFrame]]:
    """The slices having a row of ``table``, and a step adding the engaged-user columns to slices.

    A slice reports its count on a day when the array that would hold it is reported that day
    (the top array present in ``days.shape``, or absent under a block reporting 0 users; each
    parent row's child array present in its ``shape``, or absent under a parent reporting 0
    users) and the slice's count is not null; a name absent from a reported array counts 0 that
    day. No loop: the reported days are the days reporting the top array, minus the days a
    parent of the slice leaves its child array unreported, minus the days the slice's count is
    null (three disjoint sets).
    """
    period = _keys(every)
    if table == "days":
        present = _block_present(feature.block)
        rows = days.filter(present).select(*period, "date", pl.col(feature.days_column).alias("_users"))
        breaks: list[tuple[list[str], pl.LazyFrame]] = []
    else:
        chain = TABLES[table].lineage
        present = _array_reported(str(chain[0].array))
        rows = select(table).select(*keys, "date", pl.col("total_engaged_users").alias("_users"))
        breaks = [
            (
                [*period, *parent.dimensions],
                select(parent.name).filter(_unreported_below(child))
                .group_by([*period, *parent.dimensions])
                .agg(pl.col("date").n_unique().cast(pl.Int64).alias(f"_broken{i}")),
            )
            for i, (parent, child) in enumerate(itertools.pairwise(chain))
        ]
    per_period = days.group_by(period).agg(
        pl.len().cast(pl.Int64).alias("_days"), present.sum().cast(pl.Int64).alias("_present"))
    # one value per slice and day: aliases merged by normalize_languages take the larger count
    daily = rows.group_by([*keys, "date"]).agg(pl.col("_users").max())
    per_slice = daily.group_by(keys).agg(
        pl.col("_users").sum().cast(pl.Int64).alias("_sum"),
        pl.col("_users").max().cast(pl.Int64).alias("_max"),
        pl.col("_users").null_count().cast(pl.Int64).alias("_unset"),
        pl.col("_users").count().cast(pl.Int64).alias("_values"),
    )

    def add(slices: pl.LazyFrame) -> pl.LazyFrame:
        out = slices.join(per_slice, on=keys, how="left", nulls_equal=True).join(
            per_period, on=period, how="left", nulls_equal=True)
        for on, broken in breaks:
            out = out.join(broken, on=on, how="left", nulls_equal=True)
        reported = pl.col("engaged_users_days_reported")
        lost = [pl.col(f"_broken{i}").fill_null(0) for i in range(len(breaks))]
        return out.with_columns(
            (pl.col("_present").fill_null(0) - pl.col("_unset").fill_null(0) - pl.sum_horizontal(0, *lost))
            .cast(pl.Int64).alias("engaged_users_days_reported"),
        ).with_columns(
            (pl.col("_days").fill_null(0) - reported).cast(pl.Int64).alias("engaged_users_days_unreported"),
            pl.when(reported > 0).then(pl.col("_sum").fill_null(0)).cast(pl.Int64).alias("engaged_user_days"),
            # a reported day without a row is a day with 0 users: it counts in the peak
            pl.when(reported > pl.col("_values").fill_null(0))
            .then(pl.max_horizontal("_max", pl.lit(0, pl.Int64)))
            .otherwise(pl.col("_max"))
            .cast(pl.Int64).alias("engaged_users_peak"),
        ).with_columns(
            _ratio(pl.col("engaged_user_days"), reported).alias("engaged_users_mean"),
        ).drop("_sum", "_max", "_unset", "_values", "_days", "_present", *(f"_broken{i}" for i in range(len(breaks))))

    return daily, add


def _paired(numerator: pl.Expr, denominator: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Σ numerator and Σ denominator over the rows (days) holding both; null over no such row."""
    both = numerator.is_not_null() & denominator.is_not_null()
    return (
        pl.when(both.any()).then(numerator.filter(both).sum()),
        pl.when(both.any()).then(denominator.filter(both).sum()),
    )


def _feature_frame(
    ds: Frames, feature: _Feature, dims: tuple[str, ...], every: str | None, start: DateLike, end: DateLike,
    weekdays_only: bool, *, normalize_languages: bool = False, exclude_findings: bool = False,
    per_user_day: tuple[str, str] | None = None,
) -> pl.LazyFrame:
    """Sums of the feature's event counts and its engaged users at the grain (scope, period, dims).

    ``per_user_day`` = (event count column, rate name): adds the rate Σ events / Σ engaged users,
    both over the slice's days that hold the events and report the users (:func:`_paired`).
    """
    _check_every(every)
    lo, hi = _as_date(start, "start"), _as_date(end, "end")
    keys = [*_keys(every), *dims]

    def select(name: str) -> pl.LazyFrame:
        return _normalized(_select_days(_lazy(ds, name), lo, hi, weekdays_only, every), normalize_languages)

    leaf = select(feature.leaf)
    if exclude_findings:
        leaf = _flag_findings(ds, leaf)
        kept = ~pl.col("_flagged")
        aggs = [
            *(_sum_present(pl.col(c), kept).alias(c) for c in feature.sums),
            pl.col("_flagged").sum().cast(pl.Int64).alias("rows_excluded"),
        ]
    else:
        aggs = [_sum_present(pl.col(c)).alias(c) for c in feature.sums]
    counts = leaf.group_by(keys).agg(*aggs, pl.len().cast(pl.Int64).alias("_rows"))

    table = feature.distinct.get(frozenset(dims))
    if table is None:
        out = counts.drop("_rows").with_columns(pl.lit(None, dtype).alias(name) for name, dtype in _ENGAGED.items())
        if per_user_day is not None:
            out = out.with_columns(pl.lit(None, pl.Float64).alias(per_user_day[1]))
        return _with_calendar(out, ds, lo, hi, weekdays_only, every)
    days = _select_days(_lazy(ds, "days"), lo, hi, weekdays_only, every)
    daily, add_engaged = _distinct_stats(days, select, feature, table, keys, every)
    slices = pl.concat([counts.select(keys), daily.select(keys)], how="vertical").unique()
    out = add_engaged(slices.join(counts, on=keys, how="left", nulls_equal=True))
    out = _known_zero_events(out, days, select, feature, dims, keys, every)
    if exclude_findings:
        out = out.with_columns(pl.col("rows_excluded").fill_null(0))
    if per_user_day is not None:
        events, rate = per_user_day
        # one value per slice and day: the day's events (null when no row holds them) and users
        per_day = leaf.group_by([*keys, "date"]).agg(_sum_present(pl.col(events)).alias("_events")).join(
            daily, on=[*keys, "date"], how="inner", nulls_equal=True)
        numerator, denominator = _paired(pl.col("_events"), pl.col("_users"))
        pairs = per_day.group_by(keys).agg(numerator.alias("_num"), denominator.alias("_den"))
        out = out.join(pairs, on=keys, how="left", nulls_equal=True).with_columns(
            _ratio(pl.col("_num"), pl.col("_den")).alias(rate)).drop("_num", "_den")
    return _with_calendar(out, ds, lo, hi, weekdays_only, every)


def _with_calendar(out: pl.LazyFrame, ds: Frames, lo: dt.date | None, hi: dt.date | None, weekdays_only: bool,
                   every: str | None) -> pl.LazyFrame:
    """With ``every``, add each scope and period's ``days_in_period`` and ``period_complete`` (:func:`_grid`)."""
    if not every:
        return out
    return out.join(_grid(_lazy(ds, "days"), lo, hi, weekdays_only, every), on=_keys(every), how="left",
                    nulls_equal=True)


def _known_zero_events(
    out: pl.LazyFrame, days: pl.LazyFrame, select: Callable[[str], pl.LazyFrame], feature: _Feature,
    dims: tuple[str, ...], keys: list[str], every: str | None,
) -> pl.LazyFrame:
    """Give 0 events to the slices without a leaf row in the period that a day of it reports.

    A slice (``out`` row) whose period holds no leaf row has null event sums, unless some day of
    the period reports every leaf row of the slice: the top array of the leaf's chain is reported
    that day (:func:`_array_reported`) and no parent row of the slice lacks its child array while
    reporting users (:func:`_unreported_below`; a parent that does not share the slice's
    dimensions, such as an editor for a language, leaves every slice of that day unreported).
    Such a day says the slice had no event, so its sums are 0, not null.
    """
    period = _keys(every)
    chain = TABLES[feature.leaf].lineage
    candidates = out.filter(pl.col("_rows").is_null()).select(keys).join(
        days.filter(_array_reported(str(chain[0].array))).select(*period, "date"),
        on=period, how="inner", nulls_equal=True)
    for parent, child in itertools.pairwise(chain):
        shared = [d for d in parent.dimensions if d in dims]
        unreported = select(parent.name).filter(_unreported_below(child)).select(*period, "date", *shared).unique()
        candidates = candidates.join(unreported, on=[*period, "date", *shared], how="anti", nulls_equal=True)
    reporting = candidates.group_by(keys).agg(pl.len().alias("_zero_days"))
    known_zero = pl.col("_rows").is_null() & pl.col("_zero_days").is_not_null()
    return out.join(reporting, on=keys, how="left", nulls_equal=True).with_columns(
        pl.when(known_zero).then(pl.lit(0, pl.Int64)).otherwise(pl.col(c)).alias(c) for c in feature.sums
    ).drop("_rows", "_zero_days")


def _flag_findings(ds: Frames, leaf: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``_flagged``: the completions row has an acceptance finding (see :func:`acceptance`)."""
    findings = _findings(ds)
    if findings is None:
        flagged = (pl.col("total_code_acceptances") > pl.col("total_code_suggestions")) | (
            pl.col("total_code_lines_accepted") > pl.col("total_code_lines_suggested"))
        return leaf.with_columns(flagged.fill_null(False).alias("_flagged"))
    paths = (
        findings.filter((pl.col("table") == "completions") & pl.col("rule").is_in(list(_FINDING_RULES)))
        .select(*SCOPE, "date", "json_path")
        .unique()
        .with_columns(pl.lit(True).alias("_hit"))
    )
    on = [*SCOPE, "date", "json_path"]
    out = leaf
    for i, column in enumerate(_FINDING_RULES.values()):
        out = out.with_columns(quality.json_path("completions", column)).join(
            paths.rename({"_hit": f"_hit{i}"}), on=on, how="left", nulls_equal=True
        ).drop("json_path")
    return out.with_columns(
        (pl.col("_hit0").fill_null(False) | pl.col("_hit1").fill_null(False)).alias("_flagged")
    ).drop("_hit0", "_hit1")


def _finish(lf: pl.LazyFrame, every: str | None, dims: Sequence[str], columns: Sequence[str]) -> pl.DataFrame:
    keys = [*_keys(every), *dims]
    calendar = _CALENDAR if every else ()
    return lf.select(*keys, *calendar, *columns).sort(keys, nulls_last=False).collect()


# ----------------------------------------------------------------------------- adoption


def adoption(
    ds: Frames,
    by: By = None,
    every: Every | None = None,
    seats: int | float | pl.DataFrame | pl.LazyFrame | None = None,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Adoption per scope and period, from the ``days`` table.

    Grain: one row per scope (``enterprise``, ``org``, ``team``: always kept; ``by`` accepts only
    scope columns, the ``days`` table has no dimension) and, with ``every``, per calendar period
    (``period_start``). Every period between the scope's first and last day in the whole input
    gets a row, including periods without any day (their means are null).

    Columns
    -------
    days_with_data
        Days of the period (after ``start``/``end``/``weekdays_only``) that have a day row.
    days_missing
        Calendar days of the period that lie within the scope's covered range (its first to its
        last date in the input, intersected with ``start``..``end``), that are weekdays when
        ``weekdays_only``, and have no day row: ``days in that range - days_with_data``.
    active_user_days, engaged_user_days
        Σ of the daily ``total_active_users`` / ``total_engaged_users`` (user-days) over the days
        that report them; null when none does.
    active_users_mean, engaged_users_mean
        Mean of the daily value over the days that report it (a day without the key is left
        out, not counted as 0); null when none does.
    active_users_peak, engaged_users_peak
        Largest reported daily value.
    active_users_days_reported, active_users_days_unreported, engaged_users_days_reported, engaged_users_days_unreported
        Days with data that report the count (the mean's denominator), and those that do not.
    engagement_rate
        Σ ``total_engaged_users`` / Σ ``total_active_users``, both over the days that report
        both counts (a day with only one of them is left out of both sums, so this is
        ``engaged_user_days / active_user_days`` only when every day reports both); null (not 0)
        when no day reports both.
    <feature>_engaged_user_days, <feature>_engaged_users_mean, <feature>_engaged_users_peak
        For each feature ``completions``, ``ide_chat``, ``dotcom_chat``, ``pull_requests``, from
        ``days.<feature>_engaged_users``, over the days that report it (the feature block is an
        object, not ``null`` or missing, and holds ``total_engaged_users``): Σ of the daily
        values; Σ / the days reporting it; the largest daily value. Null when no day reports it.
    <feature>_engaged_users_days_reported, <feature>_engaged_users_days_unreported
        Days with data that report the feature's count, and those that do not.
    <feature>_share
        Σ ``<feature>_engaged_users`` / Σ ``total_engaged_users``, both over the days that
        report both counts (the feature's and the day's); null when none does.
    <mean column>_change
        With ``every`` only: this period's mean minus the previous calendar period's (a
        difference in users, not a ratio; null for the first period or after a period without
        data).
    seat_days, activation_rate
        With ``seats`` only. ``seats`` is a number (the same for every day), or a frame with a
        ``seats`` column and optionally ``date`` and scope columns; with ``date`` each day takes
        the latest row on or before it. ``seat_days`` = Σ seats over the days with data (null
        if one of those days has no seats value); ``activation_rate`` = Σ
        ``total_active_users`` / Σ seats, both over the days that report active users and have
        a seats value (``active_user_days / seat_days`` when every day has both), the mean share
        of seats active per day.

    Examples
    --------
    >>> import copilot_metrics as cm
    >>> ds = cm.load(cm.examples.sources())
    >>> weekly = adoption(ds, every="1w")
    >>> weekly.filter(pl.col("team").is_null()).select("days_with_data", "days_missing").sum().row(0)
    (153, 1)
    """
    _check_arguments(by=by, start=start, end=end, seats=seats, weekdays_only=weekdays_only)
    _check_every(every)
    _dims(by, (), "adoption")
    lo, hi = _as_date(start, "start"), _as_date(end, "end")
    keys = _keys(every)
    all_days = _lazy(ds, "days")
    days = _select_days(all_days, lo, hi, weekdays_only, every)
    features = {f: f"{f}_engaged_users" for f in _FEATURE_BLOCKS}
    means = ["active_users_mean", "engaged_users_mean", *(f"{c}_mean" for c in features.values())]
    # stat -> (days column, user-days column); a day reports a stat when its value is not null
    # (a feature's count is null when its block is null or missing, or lacks the key)
    stats_of = {
        "active_users": ("total_active_users", "active_user_days"),
        "engaged_users": ("total_engaged_users", "engaged_user_days"),
        **{name: (name, f"{feature}_engaged_user_days") for feature, name in features.items()},
    }
    aggs: list[pl.Expr] = [pl.len().cast(pl.Int64).alias("days_with_data")]
    for name, (column, user_days_column) in stats_of.items():
        aggs += [
            _sum_present(pl.col(column)).alias(user_days_column),
            pl.col(column).mean().alias(f"{name}_mean"),
            pl.col(column).max().cast(pl.Int64).alias(f"{name}_peak"),
            pl.col(column).count().cast(pl.Int64).alias(f"{name}_days_reported"),
        ]
    # rate -> (numerator, denominator) daily columns: each rate is a ratio of the two sums over
    # the days that report both
    pairs = {
        "engagement_rate": ("total_engaged_users", "total_active_users"),
        **{f"{f}_share": (name, "total_engaged_users") for f, name in features.items()},
    }
    seat_columns: list[str] = []
    if seats is not None:
        days = _with_seats(days, seats)
        aggs.append(
            pl.when(pl.col("_seats").null_count() == 0).then(pl.col("_seats").sum()).cast(pl.Float64)
            .alias("seat_days"))
        pairs["activation_rate"] = ("total_active_users", "_seats")
        seat_columns = ["seat_days", "activation_rate"]
    for rate, (numerator, denominator) in pairs.items():
        paired = _paired(pl.col(numerator), pl.col(denominator))
        aggs += [paired[0].alias(f"_num_{rate}"), paired[1].alias(f"_den_{rate}")]
    stats = days.group_by(keys).agg(aggs)

    grid = _grid(all_days, lo, hi, weekdays_only, every)
    out = grid.join(stats, on=keys, how="left", nulls_equal=True).with_columns(
        pl.col("days_with_data").fill_null(0),
        *(pl.col(f"{name}_days_reported").fill_null(0) for name in stats_of),
    ).with_columns(
        (pl.col("days_in_period") - pl.col("days_with_data")).cast(pl.Int64).alias("days_missing"),
        *(
            (pl.col("days_with_data") - pl.col(f"{name}_days_reported")).alias(f"{name}_days_unreported")
            for name in stats_of
        ),
        *(_ratio(pl.col(f"_num_{rate}"), pl.col(f"_den_{rate}")).alias(rate) for rate in pairs),
    )
    changes: list[str] = []
    if every:
        changes = [f"{m}_change" for m in means]
        out = out.with_columns(
            (pl.col(m) - pl.col(m).shift(1).over(list(SCOPE), order_by="period_start")).alias(f"{m}_change")
            for m in means
        )
    columns = ["days_with_data", "days_missing"]
    for name, (_, user_days_column) in stats_of.items():
        columns += [user_days_column, f"{name}_mean", f"{name}_peak", f"{name}_days_reported",
                    f"{name}_days_unreported"]
        if name == "engaged_users":
            columns.append("engagement_rate")
        elif name != "active_users":
            columns.append(f"{name.removesuffix('_engaged_users')}_share")
    return _finish(out, every, (), [*columns, *seat_columns, *changes])


def _grid(all_days: pl.LazyFrame, lo: dt.date | None, hi: dt.date | None, weekdays_only: bool,
          every: str | None) -> pl.LazyFrame:
    """Scope (and period) rows: the days that could have data, and whether the period is whole.

    ``days_in_period``: the calendar days of the period (or of the whole range) inside the scope's
    loaded range (its first to its last date in the input, intersected with ``start``..``end``;
    weekdays only with ``weekdays_only``); with ``every``, ``period_complete``: the whole period
    lies inside that range.
    """
    bounds = all_days.group_by(list(SCOPE)).agg(
        pl.col("date").min().alias("_lo"), pl.col("date").max().alias("_hi"))
    if lo is not None:
        bounds = bounds.with_columns(pl.max_horizontal("_lo", pl.lit(lo)).alias("_lo"))
    if hi is not None:
        bounds = bounds.with_columns(pl.min_horizontal("_hi", pl.lit(hi)).alias("_hi"))
    bounds = bounds.filter(pl.col("_lo") <= pl.col("_hi"))
    if every:
        period_end = pl.col("period_start").dt.offset_by(every) - pl.duration(days=1)
        bounds = (
            bounds.with_columns(
                pl.date_ranges(pl.col("_lo").dt.truncate(every), pl.col("_hi"), interval=every).alias("period_start"))
            .explode("period_start")
            .with_columns(
                ((pl.col("_lo") <= pl.col("period_start")) & (pl.col("_hi") >= period_end)).alias("period_complete"),
                pl.max_horizontal("_lo", "period_start").alias("_lo"),
                pl.min_horizontal("_hi", period_end).alias("_hi"),
            )
        )
    if weekdays_only:
        count = pl.business_day_count(pl.col("_lo"), pl.col("_hi") + pl.duration(days=1))
    else:
        count = (pl.col("_hi") - pl.col("_lo")).dt.total_days() + 1
    return bounds.with_columns(count.cast(pl.Int64).alias("days_in_period")).drop("_lo", "_hi")


#: Columns of every output computed with ``every``, right after the period: see :func:`_grid`.
_CALENDAR = ("days_in_period", "period_complete")


_NULL_KEY = "\x00"


def _with_seats(days: pl.LazyFrame, seats: int | float | pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    if isinstance(seats, int | float):
        return days.with_columns(pl.lit(float(seats)).alias("_seats"))
    frame = seats.lazy() if isinstance(seats, pl.DataFrame) else seats
    names = frame.collect_schema().names()
    if "seats" not in names:
        raise CopilotMetricsError("the seats frame needs a 'seats' column", column="seats",
                                  hint="columns: seats, and optionally date and enterprise/org/team")
    on = [c for c in SCOPE if c in names]
    frame = frame.select(*on, *(["date"] if "date" in names else []), pl.col("seats").cast(pl.Float64).alias("_seats"))
    left = days.with_columns(pl.col(c).fill_null(_NULL_KEY).alias(f"_k_{c}") for c in on)
    right = frame.with_columns(pl.col(c).fill_null(_NULL_KEY).alias(f"_k_{c}") for c in on).drop(on)
    k = [f"_k_{c}" for c in on]
    if "date" in names:
        joined = left.sort("date").join_asof(right.sort("date"), on="date", by=k or None, strategy="backward")
    elif k:
        joined = left.join(right, on=k, how="left")
    else:
        joined = left.join(right, how="cross")
    return joined.drop(k)


# ----------------------------------------------------------------------------- acceptance


def acceptance(
    ds: Frames,
    by: By = ("language",),
    every: Every | None = None,
    *,
    min_suggestions: int | None = None,
    normalize_languages: bool = False,
    exclude_findings: bool = False,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Code-completion acceptance per scope, period and ``by`` (``editor``, ``model``, ``language``).

    Grain: one row per scope, period (with ``every``) and combination of the ``by`` dimensions
    that has rows. Counts come from the leaf ``completions`` rows (editor, model, language, day).

    Columns
    -------
    total_code_suggestions, total_code_acceptances, total_code_lines_suggested, total_code_lines_accepted
        Σ over the slice's rows and the period's days; null when no row holds the value (a
        slice known only from ``completions_languages``, or rows without the key; with
        ``exclude_findings=True``, a slice whose every row is excluded).
    acceptance_rate
        ``Σ total_code_acceptances / Σ total_code_suggestions`` (null when Σ suggestions is 0;
        above 1 when acceptances exceed suggestions, as in some real JetBrains rows).
    line_acceptance_rate
        ``Σ total_code_lines_accepted / Σ total_code_lines_suggested`` (null when 0).
    share_of_acceptances
        The slice's ``total_code_acceptances`` / the Σ over every slice of its scope and period
        (computed before ``min_suggestions`` hides rows).
    engaged_user_days, engaged_users_mean, engaged_users_peak, engaged_users_days_[un]reported
        Distinct completion users, from the table whose grain is exactly ``by``:
        no dimension -> ``days.completions_engaged_users``; ``language`` ->
        ``completions_languages`` (users of the language across all editors, from
        ``copilot_ide_code_completions.languages``); ``editor`` -> ``completions_editors``;
        ``editor, model`` -> ``completions_models``; ``editor, model, language`` -> the leaf
        ``completions`` rows. Over the days that report the count (module docstring, "Missing
        is never zero": e.g. a day without the ``languages`` array does not report any
        language's users; a language absent from a present array counts 0):
        ``engaged_user_days`` = Σ of the daily values; ``_mean`` = that Σ /
        ``engaged_users_days_reported``; ``_peak`` = the largest daily value;
        ``engaged_users_days_unreported`` = the period's days with data left out. Null over
        no reported day. For any other grain (e.g. ``model`` alone, or ``editor, language``) no
        table counts distinct users, and summing finer counts would count people twice: the
        five columns are null.
    rows_excluded
        Only with ``exclude_findings=True``: leaf rows left out of the sums.

    Parameters
    ----------
    ds:
        A :class:`~copilot_metrics.Dataset`, or a mapping of table name to DataFrame/LazyFrame.
    by:
        Dimension columns (``editor``, ``model``, ``language``) and scope columns; scope columns
        are always kept. ``None``: one row per scope and period.
    every:
        ``None`` (whole range), ``"1d"``, ``"1w"``, ``"1mo"`` or ``"1q"``.
    start, end:
        First and last day to include (inclusive).
    weekdays_only:
        Keep Monday to Friday only.
    min_suggestions:
        Hide output rows whose Σ ``total_code_suggestions`` is below this.
    normalize_languages:
        Rename languages through :data:`LANGUAGE_ALIASES` before grouping (``c#`` -> ``csharp``,
        ...), at query time only. When two aliases of one language appear on the same day in
        the same slice, that day's engaged users are the larger of their counts (distinct
        counts cannot be added: a lower bound).
    exclude_findings:
        Leave out of the sums the leaf rows with a finding ``acceptances_exceed_suggestions`` or
        ``lines_accepted_exceed_suggested`` (``ds.findings`` rows of table ``completions``,
        matched on scope, date and JSON path; an input without findings evaluates the same two
        conditions on the rows). Engaged-user columns are not affected. Compare with the
        default (``False``) to see the difference; ``rows_excluded`` counts what was left out.

    Examples
    --------
    >>> import copilot_metrics as cm
    >>> ds = cm.load(cm.examples.sources())
    >>> by_language = acceptance(ds, by="language")
    >>> by_language.filter(pl.col("team").is_null(), pl.col("language") == "python")["acceptance_rate"].item() < 1
    True
    """
    _check_arguments(by=by, start=start, end=end, min_suggestions=min_suggestions, weekdays_only=weekdays_only,
                     normalize_languages=normalize_languages, exclude_findings=exclude_findings)
    dims = _dims(by, _COMPLETIONS.dims, "acceptance")
    out = _feature_frame(ds, _COMPLETIONS, dims, every, start, end, weekdays_only,
                         normalize_languages=normalize_languages, exclude_findings=exclude_findings)
    out = out.with_columns(
        _rate_expr("acceptance_rate"),
        _rate_expr("line_acceptance_rate"),
        _ratio(pl.col("total_code_acceptances"), pl.col("total_code_acceptances").sum().over(_keys(every)))
        .alias("share_of_acceptances"),
    )
    if min_suggestions is not None:
        out = out.filter(pl.col("total_code_suggestions") >= min_suggestions)
    columns = [
        *_COMPLETIONS.sums, "acceptance_rate", "line_acceptance_rate", "share_of_acceptances",
        *_ENGAGED, *(("rows_excluded",) if exclude_findings else ()),
    ]
    return _finish(out, every, dims, columns)


# ----------------------------------------------------------------------------- chat and PRs


def chat(
    ds: Frames,
    by: By = ("editor",),
    every: Every | None = None,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """IDE chat per scope, period and ``by`` (``editor``, ``model``), from ``ide_chat`` rows.

    Columns
    -------
    total_chats, total_chat_insertion_events, total_chat_copy_events
        Σ over the slice's rows and the period's days; null when no row holds the value.
    chat_acceptance_rate
        ``(Σ insertion events + Σ copy events) / Σ total_chats``; can exceed 1; null when 0.
    engaged_user_days, engaged_users_mean, engaged_users_peak, engaged_users_days_[un]reported
        Distinct IDE chat users from the table whose grain is exactly ``by`` (none ->
        ``days.ide_chat_engaged_users``; ``editor`` -> ``ide_chat_editors``; ``editor, model``
        -> ``ide_chat``), over the days that report the count (module docstring: a day whose
        ``copilot_ide_chat`` holds only totals, no ``editors`` array, reports no editor; an
        editor absent from a present array counts 0): Σ of the daily values; Σ /
        ``engaged_users_days_reported``; the largest daily value; the days with data left out.
        Null over no reported day, and for ``model`` alone (no table counts those users).
    chats_per_engaged_user_day
        ``Σ total_chats / Σ engaged users``, both over the slice's days that hold a
        ``total_chats`` value and report the engaged count (e.g. a day whose
        ``copilot_ide_chat`` holds only totals has users but no chats: it is in neither sum);
        null when no day has both.
    """
    _check_arguments(by=by, start=start, end=end, weekdays_only=weekdays_only)
    dims = _dims(by, _IDE_CHAT.dims, "chat")
    out = _feature_frame(ds, _IDE_CHAT, dims, every, start, end, weekdays_only,
                         per_user_day=("total_chats", "chats_per_engaged_user_day")).with_columns(
        _rate_expr("chat_acceptance_rate"))
    columns = [*_IDE_CHAT.sums, "chat_acceptance_rate", *_ENGAGED, "chats_per_engaged_user_day"]
    return _finish(out, every, dims, columns)


def dotcom_chat(
    ds: Frames,
    by: By = ("model",),
    every: Every | None = None,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Copilot chat on github.com per scope, period and ``by`` (``model``), from ``dotcom_chat`` rows.

    Columns
    -------
    total_chats
        Σ over the slice's rows and the period's days; null when no row holds the value.
    engaged_user_days, engaged_users_mean, engaged_users_peak, engaged_users_days_[un]reported
        Distinct users (none -> ``days.dotcom_chat_engaged_users``; ``model`` -> the
        ``dotcom_chat`` rows), over the days that report the count (module docstring: a day
        whose ``copilot_dotcom_chat`` has no ``models`` array, or a model row without
        ``total_engaged_users``, does not report; a model absent from a present array counts
        0): Σ of the daily values; Σ / ``engaged_users_days_reported``; the largest daily
        value; the days with data left out. Null over no reported day.
    chats_per_engaged_user_day
        ``Σ total_chats / Σ engaged users``, both over the slice's days that hold a
        ``total_chats`` value and report the engaged count; null when no day has both.
    """
    _check_arguments(by=by, start=start, end=end, weekdays_only=weekdays_only)
    dims = _dims(by, _DOTCOM_CHAT.dims, "dotcom_chat")
    out = _feature_frame(ds, _DOTCOM_CHAT, dims, every, start, end, weekdays_only,
                         per_user_day=("total_chats", "chats_per_engaged_user_day"))
    columns = ["total_chats", *_ENGAGED, "chats_per_engaged_user_day"]
    return _finish(out, every, dims, columns)


def pull_requests(
    ds: Frames,
    by: By = ("repository",),
    every: Every | None = None,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Pull-request summaries per scope, period and ``by`` (``repository``, ``model``).

    Columns
    -------
    total_pr_summaries_created
        Σ over the slice's ``pull_requests`` rows and the period's days; null when no row holds
        the value.
    engaged_user_days, engaged_users_mean, engaged_users_peak, engaged_users_days_[un]reported
        Distinct users (none -> ``days.pull_requests_engaged_users``; ``repository`` ->
        ``pull_requests_repositories``; ``repository, model`` -> ``pull_requests``), over the
        days that report the count (module docstring: the ``repositories`` array, and for a
        model its repository's ``models`` array, present; a name absent from a present array
        counts 0): Σ of the daily values; Σ / ``engaged_users_days_reported``; the largest
        daily value; the days with data left out. Null over no reported day, and for ``model``
        alone (no table counts a model's users across repositories).
    summaries_per_engaged_user_day
        ``Σ total_pr_summaries_created / Σ engaged users``, both over the slice's days that hold
        a ``total_pr_summaries_created`` value and report the engaged count; null when no day
        has both.
    """
    _check_arguments(by=by, start=start, end=end, weekdays_only=weekdays_only)
    dims = _dims(by, _PULL_REQUESTS.dims, "pull_requests")
    out = _feature_frame(ds, _PULL_REQUESTS, dims, every, start, end, weekdays_only,
                         per_user_day=("total_pr_summaries_created", "summaries_per_engaged_user_day"))
    columns = ["total_pr_summaries_created", *_ENGAGED, "summaries_per_engaged_user_day"]
    return _finish(out, every, dims, columns)


# ----------------------------------------------------------------------------- coverage


def coverage(ds: Any) -> pl.DataFrame:
    """Per scope: first and last date, days present, days missing, and the missing ranges.

    Missing days are gaps, not zeros: the metrics never count them as zero.

    Columns: ``enterprise``, ``org``, ``team``, ``first_date``, ``last_date``, ``days_present``,
    ``days_missing``, ``missing_ranges`` (a list of ``{start, end}`` structs, inclusive).
    """
    days: pl.DataFrame = ds.days if hasattr(ds, "days") else ds
    present = days.select(*SCOPE, "date").unique().sort([*SCOPE, "date"], nulls_last=False)
    gaps = (
        present.with_columns(pl.col("date").shift(1).over(SCOPE).alias("prev"))
        .filter((pl.col("date") - pl.col("prev")).dt.total_days() > 1)
        .select(
            *SCOPE,
            pl.struct(
                (pl.col("prev") + pl.duration(days=1)).alias("start"),
                (pl.col("date") - pl.duration(days=1)).alias("end"),
            ).alias("gap"),
        )
        .group_by(SCOPE, maintain_order=True)
        .agg(pl.col("gap").alias("missing_ranges"))
    )
    summary = present.group_by(SCOPE, maintain_order=True).agg(
        pl.col("date").min().alias("first_date"),
        pl.col("date").max().alias("last_date"),
        pl.len().cast(pl.Int64).alias("days_present"),
    )
    range_type = pl.List(pl.Struct({"start": pl.Date, "end": pl.Date}))
    return (
        summary.join(gaps, on=SCOPE, how="left", nulls_equal=True)
        .with_columns(
            ((pl.col("last_date") - pl.col("first_date")).dt.total_days() + 1 - pl.col("days_present"))
            .cast(pl.Int64).alias("days_missing"),
            pl.col("missing_ranges").fill_null(pl.lit([], dtype=range_type)).cast(range_type),
        )
        .select(*SCOPE, "first_date", "last_date", "days_present", "days_missing", "missing_ranges")
        .sort(SCOPE, nulls_last=False)
    )



# ----------------------------------------------------------------------------- trend


def trend(
    frame: pl.DataFrame | pl.LazyFrame,
    column: str,
    window: int = 7,
    by: By = None,
    *,
    min_days: int = 1,
    include_partial: bool = False,
) -> pl.DataFrame:
    """Rolling mean of a daily series over calendar days, gaps left as gaps.

    ``frame`` holds one row per day (column ``date``, or ``period_start`` of an ``every="1d"``
    output) and per group: the scope columns present in it plus ``by``. E.g.
    ``trend(ds.days, "total_active_users", 28)`` or ``trend(adoption(ds, every="1d"),
    "engaged_users_mean")``.

    Adds two columns (the rows are sorted by group and date; none is added or removed):

    ``<column>_trend_<window>d``
        Mean of ``column`` over the days with a non-null value in the ``window`` calendar days
        ending on the row's day (the day and the ``window - 1`` days before it). Missing days
        are not filled: they are simply not in the mean. Null on a day whose own value is null,
        and when fewer than ``min_days`` days of the window have a value.
    ``<column>_trend_<window>d_days``
        How many days of the window have a value (so a thin window can be seen and filtered).

    Partial periods: a frame computed with ``every`` carries ``period_complete``; a row whose
    period is not complete (it runs past the scope's loaded range) is left out of every window
    and gets a null trend, like a gap, unless ``include_partial=True``. (A daily output's periods
    are always complete.)

    Raises
    ------
    CopilotMetricsError
        When a group holds the same day twice (aggregate to one row per day first), or
        ``window`` or ``min_days`` is below 1.
    TypeError
        An argument of the wrong type (``window="7"``), naming it.
    """
    _check_arguments(frame=frame, column=column, window=window, by=by, min_days=min_days)
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    names = lf.collect_schema().names()
    date = "date" if "date" in names else "period_start"
    if date not in names or column not in names:
        raise CopilotMetricsError(f"trend needs a 'date' (or 'period_start') column and {column!r}", column=column)
    if window < 1 or min_days < 1:
        raise CopilotMetricsError("window and min_days must be at least 1")
    extra = (by,) if isinstance(by, str) else tuple(by or ())
    keys = [*(c for c in SCOPE if c in names), *(c for c in extra if c not in SCOPE)]
    df = lf.sort([*keys, date], nulls_last=False).collect()
    if df.select([*keys, date]).is_duplicated().any():
        raise CopilotMetricsError(
            f"trend: the frame holds several rows per day and group {keys}", column=column,
            hint="aggregate to one row per day first, or pass the dimension columns as by",
        )
    value = pl.col(column).cast(pl.Float64)
    if "period_complete" in names and not include_partial:
        value = pl.when(pl.col("period_complete")).then(value)
    name = f"{column}_trend_{window}d"
    period = f"{window}d"
    mean = value.rolling_mean_by(date, window_size=period)
    count = value.is_not_null().cast(pl.Int64).rolling_sum_by(date, window_size=period)
    if keys:
        mean, count = mean.over(keys), count.over(keys)
    return df.with_columns(count.alias(f"{name}_days")).with_columns(
        pl.when(value.is_not_null() & (pl.col(f"{name}_days") >= min_days)).then(mean).alias(name)
    ).select(*names, name, f"{name}_days")


# ----------------------------------------------------------------------------- rollup


def rollup(frame: pl.DataFrame | pl.LazyFrame, by: By = None) -> pl.DataFrame:
    """Re-aggregate an output of this module, or a table, to a coarser grain.

    The result keeps the scope columns present (scopes are never merged) and the columns of
    ``by`` (dimensions, and ``period_start`` or a table's ``date`` to keep the periods or days);
    the other dimension and period columns are aggregated away. By :func:`column_kind`:

    * ``additive`` columns are summed (Σ of the values present; null when every value of the
      group is null: absent values are not zeros);
    * ``days`` and ``user_days`` columns are summed the same way when only periods are
      aggregated away (they are additive over time), but raise :class:`RollupError` when a
      dimension is (summing a distinct count over sibling slices counts people twice);
    * ``rate`` and ``share`` columns are recomputed from the summed columns (which must be in
      the frame). A rate taken over the days reporting both its counts (module docstring):
      ``engagement_rate``, ``<feature>_share`` and ``activation_rate`` are recomputed only where
      every day reported both (the ``*_days_unreported`` columns of both counts, which must be
      in the frame, sum to 0; for ``activation_rate``, also no row with active users lacks
      ``seat_days``), and are null otherwise; ``chats_per_engaged_user_day`` and
      ``summaries_per_engaged_user_day`` raise :class:`RollupError` (drop them first);
    * ``distinct`` columns (``*_mean``, ``*_peak``, and the tables' ``total_active_users``,
      ``total_engaged_users`` and ``<feature>_engaged_users``), ``change`` and ``trend``
      columns cannot be re-aggregated: :class:`RollupError` is raised. Drop them first (and
      take the users at the coarser grain from the metrics function, which reads them from the
      table counting that grain);
    * ``attribute`` and ``bookkeeping`` columns (``is_custom_model``, ``source``, ``shape``...)
      describe single rows: they are left out of the result.

    Examples
    --------
    >>> import copilot_metrics as cm
    >>> ds = cm.load(cm.examples.sources())
    >>> per_editor_language = acceptance(ds, by=("editor", "language"))
    >>> per_editor = rollup(per_editor_language.drop("engaged_user_days", "engaged_users_mean",
    ...                                              "engaged_users_peak", "engaged_users_days_reported",
    ...                                              "engaged_users_days_unreported"), by="editor")
    >>> per_editor.columns[:4]
    ['enterprise', 'org', 'team', 'editor']
    >>> per_language = rollup(ds.completions.drop("total_engaged_users"), by="language")
    >>> per_language.columns[3:6]
    ['language', 'total_code_suggestions', 'total_code_acceptances']
    """
    _check_arguments(frame=frame, by=by)
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    names = lf.collect_schema().names()
    kinds = {n: column_kind(n) for n in names}
    wanted = (by,) if isinstance(by, str) else tuple(by or ())
    for n in wanted:
        if n not in names or kinds[n] not in ("scope", "period", "dimension"):
            raise CopilotMetricsError(f"rollup: cannot group by {n!r}", column=n,
                                      hint="by takes the scope, period (period_start, date) and dimension "
                                      "columns of the frame")
    keys = [n for n in names if kinds[n] == "scope" or (n in wanted)]
    dropped_dims = [n for n in names if kinds[n] == "dimension" and n not in keys]
    distinct = [n for n in names if kinds[n] == "distinct"]
    distinct += [n for n in names if kinds[n] == "user_days" and dropped_dims]
    slice_days = [n for n in names if kinds[n] == "days" and dropped_dims]
    hint = (
        f"drop the columns {[*distinct, *slice_days]} before rollup, and take the users at the coarser grain "
        "from the metrics function (adoption, acceptance, chat, ...), which reads them from the table "
        "counting that grain"
    )
    if distinct:
        error = RollupError.distinct_count(distinct[0])
        error.hint = hint
        raise error
    if slice_days:
        raise RollupError(f"column {slice_days[0]!r} counts days of a slice: summing it over slices "
                          f"{dropped_dims} counts days twice", column=slice_days[0], hint=hint)
    for n in names:
        kind = kinds[n]
        if kind in ("change", "trend"):
            raise RollupError(f"column {n!r} ({kind}) cannot be re-aggregated", column=n,
                              hint="drop it before rollup and recompute it at the coarser grain")
    summed = [n for n in names if kinds[n] in ("additive", "days", "user_days")]
    for n in names:
        if kinds[n] == "rate" and n in _PAIRED and _PAIRED[n] is None:
            raise RollupError(f"rollup: {n!r} cannot be recomputed from the sums: its two sums cover the days "
                              "holding both the events and the users, which the output does not give", column=n,
                              hint="drop it before rollup and take it from the metrics function at the coarser grain")
        needed = _RATES[n][0] + (_RATES[n][1],) + (_PAIRED.get(n) or ()) if kinds[n] == "rate" else (
            (_SHARES[n],) if kinds[n] == "share" else ())
        missing = [c for c in needed if c not in summed]
        if missing:
            raise RollupError(f"rollup: cannot recompute {n!r} without {missing}", column=n,
                              hint="keep the summed columns the rate is a ratio of")
    periods = [n for n in keys if kinds[n] == "period"]
    sums = [pl.when(pl.col(n).is_not_null().any()).then(pl.col(n).sum()).alias(n) for n in summed]
    # the calendar columns hold one value per scope and period, repeated on each of its slices
    calendar = [n for n in names if kinds[n] == "calendar"]
    if periods:
        sums += [pl.col(n).first().alias(n) for n in calendar]
    if "activation_rate" in names:
        # a row with active users but no seat_days (a day without seats): its days are not in Σ seat_days
        sums.append((pl.col("seat_days").is_null() & pl.col("active_user_days").is_not_null()).any().alias("_seat_gap"))
    grouped = lf.group_by(keys).agg(sums) if keys else lf.select(sums)
    if calendar and not periods:
        per_period = lf.select(*keys, *(n for n in names if kinds[n] == "period"), *calendar).unique()
        whole = [(pl.col(n).sum() if n == "days_in_period" else pl.col(n).all()).alias(n) for n in calendar]
        grouped = (grouped.join(per_period.group_by(keys).agg(whole), on=keys, how="left", nulls_equal=True)
                   if keys else pl.concat([grouped, per_period.select(whole)], how="horizontal"))

    def exact(rate: str) -> pl.Expr:
        """Every day of the group reported both counts of the paired ``rate``."""
        conditions = [pl.col(c) == 0 for c in _PAIRED[rate] or ()]
        return pl.all_horizontal(*conditions, *((~pl.col("_seat_gap"),) if rate == "activation_rate" else ()))

    out = grouped.with_columns(
        *(pl.when(exact(n)).then(_rate_expr(n)).alias(n) if _PAIRED.get(n) else _rate_expr(n)
          for n in names if kinds[n] == "rate"),
        *(
            _ratio(pl.col(_SHARES[n]), _total(pl.col(_SHARES[n]), [*(k for k in SCOPE if k in keys), *periods]))
            .alias(n)
            for n in names if kinds[n] == "share"
        ),
    )
    left_out = ("dimension", "period", "attribute", "bookkeeping")
    out = out.select([n for n in names if n in keys or kinds[n] not in left_out])
    return (out.sort(keys, nulls_last=False) if keys else out).collect()


def _total(column: pl.Expr, partition: list[str]) -> pl.Expr:
    return column.sum().over(partition) if partition else column.sum()
