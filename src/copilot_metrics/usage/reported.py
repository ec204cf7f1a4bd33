"""GitHub's own active-user counts kept as snapshots, and the reconciliation of aggregates with user rows."""

from __future__ import annotations

import polars as pl

from copilot_metrics.breaks import with_breaks
from copilot_metrics.metrics._selection import DateLike, Frames, as_date, check_arguments, lazy
from copilot_metrics.successor.findings import calendar_restarts
from copilot_metrics.successor.registry import TABLES as REPORT_TABLES
from copilot_metrics.usage._frames import IDS, LABELS, USER, frames_of, period_members, suppress, user_of

__all__ = ["RECONCILED", "reconcile", "reported_active_users"]

_SNAPSHOTS = tuple(c.name for c in REPORT_TABLES["agg_days"].columns if c.kind == "snapshot")
_DAILY = tuple(
    c.name for c in REPORT_TABLES["agg_days"].columns if c.kind == "distinct" and c.name.startswith("daily_")
)
#: The measures :func:`reconcile` compares, in its output order.
RECONCILED: tuple[str, ...] = (
    "daily_active_users",
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_added_sum",
    "loc_deleted_sum",
    "code_completion_suggestions",
    "code_completion_acceptances",
    "cli_requests",
)
_TOP = RECONCILED[1:6]


def _window(lf: pl.LazyFrame, start: DateLike, end: DateLike) -> pl.LazyFrame:
    lo, hi = as_date(start, "start"), as_date(end, "end")
    if lo is not None:
        lf = lf.filter(pl.col("date") >= lo)
    if hi is not None:
        lf = lf.filter(pl.col("date") <= hi)
    return lf


def reported_active_users(ds: Frames, *, start: DateLike = None, end: DateLike = None) -> pl.DataFrame:
    """GitHub's ``*_active_*`` counts of ``agg_days``, per scope and date, as reported (kind ``snapshot``).

    The weekly and monthly counts are documented as trailing 7 and 28 days but behave as
    calendar windows; they are kept as GitHub wrote them, never recomputed, never summed over
    days, and never taken for the library's own trailing counts (:func:`~.active.active_users`
    with ``window=7|28``).  Columns: scope ids and labels, ``date``, the daily distinct counts
    and every snapshot column, then the evidence:

    * ``week_restart``: a Sunday whose WAU fell from the day before to equal that day's DAU (a
      calendar week starting on Sunday, not a trailing 7 days);
    * ``month_restart``: a 1st of the month whose MAU fell from the day before (a month to
      date, not a trailing 28 days);
    * ``reported_window_calendar_like``: per scope, some restart was seen;
    * ``break`` (:data:`~.breaks.KNOWN_BREAKS` on that day).

    "The day before" counts only when that day is loaded; the evidence is a sign, not a proof.
    """
    check_arguments(start=start, end=end)
    lf = _window(lazy(ds, "agg_days"), start, end)
    names = lf.collect_schema().names()
    daily = [c for c in _DAILY if c in names]
    snaps = [c for c in _SNAPSHOTS if c in names]

    out = (
        lf.select(*IDS, *LABELS, "date", *daily, *snaps)
        .sort([*IDS, "date"], nulls_last=False)
        .with_columns(
            *calendar_restarts(IDS),  # declared once, beside the reported_window_calendar_like finding
        )
        .with_columns(
            (pl.col("week_restart") | pl.col("month_restart")).any().over(IDS).alias("reported_window_calendar_like")
        )
    )
    out = with_breaks(out, pl.col("date"), pl.col("date"), family="successor")
    return out.collect()


def reconcile(ds: Frames, *, start: DateLike = None, end: DateLike = None, min_users: int | None = 5) -> pl.DataFrame:
    """Aggregate reports against user rows, per scope, date and measure (one row each).

    ``aggregate``: the aggregate report's value (``agg_days`` DAU and top-level counters;
    ``agg_feature`` ``code_completion`` generations and acceptances; ``agg_clients`` ``cli``
    requests); ``users``: the same from the user rows of the same scope and day (distinct
    ``user_id`` for ``daily_active_users``; Σ otherwise), 0 on a day inside a loaded users window
    without rows (a known zero), null on a day outside every users window (unknown);
    ``difference`` = users - aggregate; ``status``: ``"="``, ``"users < aggregate"`` (rows
    missing: info), ``"users > aggregate"`` (rows beyond GitHub's own count: warning), null when
    a side is unknown.  Measures: :data:`RECONCILED`.  Only tables present are compared (the
    ``agg_days`` and ``user_days`` tables are required).

    ``users``, ``difference`` and ``status`` of a day of fewer than ``min_users`` distinct users
    are null and ``suppressed`` is true (``min_users=None``: off, ``suppressed`` null); the
    aggregate, GitHub's own figure, is kept.  Then ``break``.
    """
    check_arguments(start=start, end=end)
    tables = frames_of(ds)
    agg_days, user_days = _window(lazy(ds, "agg_days"), start, end), _window(lazy(ds, "user_days"), start, end)
    key = [*IDS, "date"]
    agg_parts = [agg_days.select(*key, *(pl.col(c).cast(pl.Int64) for c in RECONCILED[:6]))]
    user_parts = [
        user_days.with_columns(user_of(user_days))
        .group_by(key)
        .agg(
            pl.col(USER).n_unique().cast(pl.Int64).alias("daily_active_users"),
            *(pl.when(pl.col(c).count() > 0).then(pl.col(c).sum()).alias(c) for c in _TOP),
        )
    ]
    pairs = (
        (
            "agg_feature",
            "user_feature",
            pl.col("feature") == "code_completion",
            {
                "code_completion_suggestions": "code_generation_activity_count",
                "code_completion_acceptances": "code_acceptance_activity_count",
            },
        ),
        ("agg_clients", "user_clients", pl.col("client") == "cli", {"cli_requests": "request_count"}),
    )
    for agg_name, user_name, rows, columns in pairs:
        if agg_name in tables and user_name in tables:
            for name, parts in ((agg_name, agg_parts), (user_name, user_parts)):
                parts.append(
                    _window(lazy(ds, name), start, end)
                    .filter(rows)
                    .group_by(key)
                    .agg(
                        *(pl.when(pl.col(c).count() > 0).then(pl.col(c).sum()).alias(out) for out, c in columns.items())
                    )
                )
    measures = [m for m in RECONCILED if any(m in p.collect_schema().names() for p in agg_parts)]

    def long(parts: list[pl.LazyFrame], side: str) -> pl.LazyFrame:
        frames = [p.unpivot(index=key, variable_name="measure", value_name=side) for p in parts]
        return pl.concat([f.with_columns(pl.col(side).cast(pl.Int64)) for f in frames])

    members, _ = period_members(
        ds, every="1d", window=None, start=as_date(start, "start"), end=as_date(end, "end"), weekdays_only=False
    )
    covered = members.filter("_covered").select(*IDS, pl.col("_day").alias("date")).unique()
    users = long(user_parts, "users")
    known_zero = (
        covered.join(pl.LazyFrame({"measure": measures}), how="cross")
        .join(users, on=[*key, "measure"], how="anti", nulls_equal=True)
        .with_columns(pl.lit(0, pl.Int64).alias("users"))
    )
    users = pl.concat([users, known_zero.select(*key, "measure", "users")])
    dau = users.filter(pl.col("measure") == "daily_active_users").select(*key, pl.col("users").alias("_users"))
    out = long(agg_parts, "aggregate").join(users, on=[*key, "measure"], how="full", coalesce=True, nulls_equal=True)
    out = out.join(dau, on=key, how="left", nulls_equal=True).with_columns(
        (pl.col("users") - pl.col("aggregate")).alias("difference")
    )
    out = out.with_columns(
        pl.when(pl.col("difference") == 0)
        .then(pl.lit("="))
        .when(pl.col("difference") < 0)
        .then(pl.lit("users < aggregate"))
        .when(pl.col("difference") > 0)
        .then(pl.lit("users > aggregate"))
        .alias("status")
    )
    out = suppress(out, "_users", ["users", "difference", "status"], min_users)
    labels = (
        pl.concat([t.select(*IDS, *LABELS) for t in (agg_days, user_days)])
        .group_by(IDS)
        .agg(*(pl.col(c).drop_nulls().first() for c in LABELS))
    )
    out = out.filter(pl.col("measure").is_in(measures)).join(labels, on=list(IDS), how="left", nulls_equal=True)
    order = {m: i for i, m in enumerate(RECONCILED)}
    out = with_breaks(
        out.with_columns(pl.col("measure").replace_strict(order, return_dtype=pl.Int64).alias("_o")),
        pl.col("date"),
        pl.col("date"),
        family="successor",
    )
    return (
        out.sort([*IDS, "date", "_o"], nulls_last=False)
        .select(*IDS, *LABELS, "date", "measure", "aggregate", "users", "difference", "status", "suppressed", "break")
        .collect()
    )
