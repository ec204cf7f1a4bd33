"""Distinct active users from user rows: per calendar period, per trailing window, over a selection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import polars as pl

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics._selection import DateLike, Frames, as_date, check_arguments, check_every, lazy
from copilot_metrics.metrics.columns import ratio
from copilot_metrics.usage._frames import IDS, LABELS, USER, by_names, labels_of, period_members, suppress, user_of
from copilot_metrics.usage._periods import member_breaks

__all__ = ["ACTIVE", "SLICES", "active_users", "activity"]

Active = Literal["row", "interacting", "any_activity"]
#: The values of ``active``.
ACTIVE: tuple[str, ...] = ("row", "interacting", "any_activity")

#: ``by`` column(s) -> the user table whose rows give the slice (first table holding every column).
SLICES: dict[frozenset[str], str] = {
    frozenset({"ide"}): "user_ide",
    frozenset({"feature"}): "user_feature",
    frozenset({"language"}): "user_language_feature",
    frozenset({"language", "feature"}): "user_language_feature",
    frozenset({"model"}): "user_model_feature",
    frozenset({"model", "feature"}): "user_model_feature",
    frozenset({"language", "model"}): "user_language_model",
    frozenset({"client"}): "user_clients",
    frozenset({"team_id"}): "user_teams",
    frozenset({"phase_number"}): "user_days",
    frozenset({"phase_number", "phase"}): "user_days",
}
_UIC = "user_initiated_interaction_count"
_ANY = (_UIC, "code_generation_activity_count", "code_acceptance_activity_count", "loc_added_sum", "loc_deleted_sum")
_CLIENT_ANY = ("session_count", "request_count", "prompt_count", "total_user_messages")
_MEASURES = ("active_users", "user_days", "dau_mean", "dau_peak", "stickiness")


def activity(ds: Frames, dims: Sequence[str], active: str) -> pl.LazyFrame:
    """One row per (scope, ``date``, user, slice) active on that day, by the rule ``active``.

    Columns: scope ids and labels, ``date``, :data:`USER`, the ``dims``.  A slice's activity is
    read from its own table's counters (``user_ide``, ``user_feature``...); a team's and a phase's
    from the user's day row (``user_teams`` joined on scope, ``date`` and user, the same day only).
    """
    if active not in ACTIVE:
        raise CopilotMetricsError(f"active={active!r} is not one of {', '.join(map(repr, ACTIVE))}", column="active")
    days = lazy(ds, "user_days")
    key = frozenset(dims)
    if not dims:
        name = "user_days"
    elif key in SLICES:
        name = SLICES[key]
    else:
        raise CopilotMetricsError(
            f"active_users: cannot slice by {list(dims)}",
            column=dims[0],
            hint=f"by takes one of {sorted(sorted(k) for k in SLICES)}",
        )
    if name == "user_teams":
        teams = lazy(ds, "user_teams")
        frame = days.with_columns(user_of(days)).join(
            teams.select(*IDS, "date", user_of(teams), "team_id"), on=[*IDS, "date", USER], nulls_equal=True
        )
    else:
        frame = days if name == "user_days" else lazy(ds, name)
        frame = frame.with_columns(user_of(frame))
    present = set(frame.collect_schema().names())
    counters = _CLIENT_ANY if name == "user_clients" else _ANY
    if active == "interacting" and (name == "user_clients" or _UIC not in present):
        raise CopilotMetricsError(
            f"active='interacting' needs {_UIC}, which table {name!r} does not hold",
            table=name,
            column=_UIC,
            hint="use active='row' or 'any_activity' for this slice",
        )
    if active == "interacting":
        frame = frame.filter((pl.col(_UIC) > 0).fill_null(False))
    elif active == "any_activity":
        frame = frame.filter(pl.any_horizontal(*((pl.col(c) > 0) for c in counters if c in present)).fill_null(False))
    labels = [c for c in LABELS if c in present]
    return frame.select(*IDS, *labels, "date", USER, *dims).unique()


def active_users(
    ds: Frames,
    every: str | None = None,
    window: int | None = None,
    by: str | Sequence[str] | None = None,
    active: Active = "row",
    partial: bool = False,
    min_users: int | None = 5,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Distinct active users from the user rows (``user_days``), per scope and period.

    A user is active on a day by ``active``: ``"row"``, a user row that day (the user table of
    the slice with ``by``); ``"interacting"``, with ``user_initiated_interaction_count`` > 0 (a
    dashboard's rule: misses completion-only users); ``"any_activity"``, with interactions,
    generations, acceptances, lines added or lines deleted > 0 (a client's sessions, requests,
    prompts or messages for ``by="client"``).

    Periods: ``every=None`` and ``window=None``, the whole selection (each scope's first to last
    covered day, or ``start``..``end``); ``every`` (``"1d"``, ``"1w"`` ISO weeks, ``"1mo"``,
    ``"1q"``), each calendar period (key ``period_start``); ``window=N`` (7 or 28, the library's
    WAU and MAU), for each day of the selection the trailing ``N`` days ending on it (key
    ``date``).  ``weekdays_only`` keeps Monday to Friday.

    Columns: scope ids and labels, the period key, the ``by`` columns, then

    * ``active_users``: distinct users active on some day of the period;
    * ``user_days``: Σ of the daily distinct counts; ``dau_mean`` = ``user_days`` /
      ``days_covered``; ``dau_peak``; ``stickiness`` = ``dau_mean`` / ``active_users``;
    * ``days_covered``: the period's days inside a loaded users window (there, no row is 0
      users); ``days_uncovered``: its days outside every users window (unknown, never 0);
    * ``suppressed``: true where the row has fewer than ``min_users`` distinct users (its
      measures are null, the row is kept); null on every row with ``min_users=None``
      (suppression off);
    * ``break``: the :data:`~.breaks.KNOWN_BREAKS` of the successor family whose days meet the
      period's days (names joined by ``"; "``), null when none.

    A period with an uncovered day has null measures unless ``partial=True`` (then they are taken
    over the covered days); a period without a covered day is always null.  With ``by``, each
    scope's slices seen in the selection get a row for every period (0 users on covered days).
    Scopes are never merged; distinct counts are never summed.

    ``by``: ``"ide"``, ``"feature"``, ``"language"``, ``"model"`` (and the pairs
    ``("language", "feature")``, ``("model", "feature")``, ``("language", "model")``),
    ``"client"``, ``"team_id"`` (``user_teams`` joined day by day: a user in two teams counts
    in both, no total across teams), ``"phase_number"``.

    Raises
    ------
    CopilotMetricsError
        Both ``every`` and ``window``, an unknown period, ``by`` or ``active``, a missing table.
    """
    check_arguments(by=by, start=start, end=end, weekdays_only=weekdays_only)
    check_every(every)
    if window is not None and (isinstance(window, bool) or not isinstance(window, int)):
        raise TypeError(f"window must be an int or None, not {type(window).__name__}")
    if window is not None and window < 1:
        raise CopilotMetricsError(f"window={window} is below 1 day", column="window")
    if window is not None and every is not None:
        raise CopilotMetricsError(
            "active_users takes every or window, not both",
            column="window",
            hint="every: calendar periods; window: trailing days ending on each day",
        )
    if not isinstance(partial, bool):
        raise TypeError(f"partial must be True or False, not {type(partial).__name__}")
    dims = by_names(by)
    lo, hi = as_date(start, "start"), as_date(end, "end")
    members, keys = period_members(ds, every=every, window=window, start=lo, end=hi, weekdays_only=weekdays_only)
    act = activity(ds, dims, active).drop(*LABELS, strict=False)
    out = _stats(act, members, keys, dims, partial)
    out = suppress(out, "active_users", _MEASURES, min_users)
    out = member_breaks(out.join(labels_of(ds), on=list(IDS), how="left", nulls_equal=True), members, keys)
    order = [*IDS, *keys, *dims]
    return (
        out.select(*IDS, *LABELS, *keys, *dims, *_MEASURES, "days_covered", "days_uncovered", "suppressed", "break")
        .sort(order, nulls_last=False)
        .collect()
    )


def _stats(
    act: pl.LazyFrame, members: pl.LazyFrame, keys: list[str], dims: Sequence[str], partial: bool
) -> pl.LazyFrame:
    """Distinct counts per (scope, period, slice) over the period's member days, nulled by coverage."""
    period = [*IDS, *keys]
    joined = act.rename({"date": "_day"}).join(members, on=[*IDS, "_day"], nulls_equal=True)
    grid = members.group_by(period).agg(
        pl.col("_covered").sum().cast(pl.Int64).alias("days_covered"),
        (~pl.col("_covered")).sum().cast(pl.Int64).alias("days_uncovered"),
    )
    if dims:
        grid = grid.join(joined.select(*IDS, *dims).unique(), on=list(IDS), nulls_equal=True)
    group = [*period, *dims]
    per_day = joined.group_by([*group, "_day"]).agg(pl.col(USER).n_unique().alias("_dau"))
    stats = joined.group_by(group).agg(
        pl.col(USER).n_unique().cast(pl.Int64).alias("active_users"), pl.len().cast(pl.Int64).alias("user_days")
    )
    peak = per_day.group_by(group).agg(pl.col("_dau").max().cast(pl.Int64).alias("dau_peak"))
    out = (
        grid.join(stats, on=group, how="left", nulls_equal=True)
        .join(peak, on=group, how="left", nulls_equal=True)
        .with_columns(pl.col("active_users", "user_days", "dau_peak").fill_null(0))
    )
    known = (pl.col("days_covered") > 0) & (pl.lit(partial) | (pl.col("days_uncovered") == 0))
    dau_mean = ratio(pl.col("user_days"), pl.col("days_covered"))
    out = out.with_columns(dau_mean.alias("dau_mean")).with_columns(
        ratio(pl.col("dau_mean"), pl.col("active_users")).alias("stickiness")
    )
    return out.with_columns(pl.when(known).then(pl.col(m)).alias(m) for m in _MEASURES)
