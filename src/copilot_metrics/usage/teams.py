"""Team use: ``user_teams`` joined to ``user_days`` day by day, by id."""

from __future__ import annotations

import polars as pl

from copilot_metrics.metrics._selection import DateLike, Frames, as_date, check_arguments, check_every, lazy
from copilot_metrics.usage._frames import IDS, LABELS, USER, suppress, user_of
from copilot_metrics.usage._periods import finish_periods, select, total

__all__ = ["team_usage"]

_COUNTERS = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_added_sum",
    "loc_deleted_sum",
)


def team_usage(
    ds: Frames,
    every: str | None = None,
    min_users: int | None = 5,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Use per team, per scope (and period): team membership joined to user rows of the same day.

    A membership row (``user_teams``: scope, ``date``, ``team_id``, ``user_id``) is joined to the
    user's ``user_days`` row of the same scope and day, by id (``user_pid``/``team_pid`` once
    pseudonymized), never by login and never carried over to another day.  A user in two teams
    counts in both; there is no total across teams (it would count them twice).

    Columns: scope ids and labels, ``period_start`` with ``every``, ``team_id`` and ``slug``
    (when present), ``members`` (distinct members on the period's membership days),
    ``active_users`` (members with a user row on a day they were members), ``user_days``
    (member-days with a row), ``members_without_rows`` (members with no row on any of their
    membership days: not active, never imputed), the summed counters of those rows, ``days``
    (membership days), ``suppressed`` (fewer than ``min_users`` active users: measures null, row
    kept; null with ``min_users=None``) and ``break``.
    """
    check_arguments(start=start, end=end, weekdays_only=weekdays_only)
    check_every(every)
    teams, days = lazy(ds, "user_teams"), lazy(ds, "user_days")
    team_names = teams.collect_schema().names()
    team = "team_pid" if "team_pid" in team_names else "team_id"
    slug = ["slug"] if "slug" in team_names else []
    members = teams.select(*IDS, *LABELS, "date", team, *slug, user_of(teams))
    rows = days.select(*IDS, "date", user_of(days), *_COUNTERS, pl.lit(True).alias("_row")).unique([*IDS, "date", USER])
    joined = members.join(rows, on=[*IDS, "date", USER], how="left", nulls_equal=True).with_columns(
        pl.col("_row").fill_null(False)
    )
    joined, period = select(joined, as_date(start, "start"), as_date(end, "end"), weekdays_only, every)
    out = joined.group_by(*IDS, *LABELS, *period, team).agg(
        *(pl.col(s).drop_nulls().first() for s in slug),
        pl.col(USER).n_unique().cast(pl.Int64).alias("members"),
        pl.col(USER).filter("_row").n_unique().cast(pl.Int64).alias("active_users"),
        pl.col("_row").sum().cast(pl.Int64).alias("user_days"),
        (pl.col(USER).n_unique() - pl.col(USER).filter("_row").n_unique()).cast(pl.Int64).alias("members_without_rows"),
        *(total(c) for c in _COUNTERS),
        pl.col("date").n_unique().cast(pl.Int64).alias("days"),
        pl.col("date").min().alias("_lo"),
        pl.col("date").max().alias("_hi"),
    )
    measures = ["members", "active_users", "user_days", "members_without_rows", *_COUNTERS]
    out = suppress(out, "active_users", measures, min_users)
    return finish_periods(
        out, every, "successor", None, [*IDS, *period, team], [*slug, *measures, "days", "suppressed"]
    )
