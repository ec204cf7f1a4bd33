"""Adoption per scope and period: active and engaged users, each feature's share, seats."""

from __future__ import annotations

import polars as pl

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics._reported import paired_sums, sum_present
from copilot_metrics.metrics._selection import (
    By,
    DateLike,
    Every,
    Frames,
    as_date,
    check_arguments,
    check_every,
    dims_of,
    finish,
    keys_of,
    lazy,
    period_grid,
    select_days,
)
from copilot_metrics.metrics.columns import ratio
from copilot_metrics.tables import FEATURES, SCOPE

__all__ = ["adoption"]


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
    break
        With ``every`` only, last: the known legacy breaks in the period (e.g.
        ``legacy_closed`` in the period holding 2026-04-02), joined by ``"; "``; null when none
        (:mod:`copilot_metrics.metrics` docstring, "Known breaks").

    Examples
    --------
    >>> import copilot_metrics as cm
    >>> ds = cm.load(cm.examples.sources())
    >>> weekly = adoption(ds, every="1w")
    >>> weekly.filter(pl.col("team").is_null()).select("days_with_data", "days_missing").sum().row(0)
    (153, 1)
    """
    check_arguments(by=by, start=start, end=end, seats=seats, weekdays_only=weekdays_only)
    check_every(every)
    dims_of(by, (), "adoption")
    lo, hi = as_date(start, "start"), as_date(end, "end")
    all_days = lazy(ds, "days")
    days = select_days(all_days, lo, hi, weekdays_only, every)
    pairs = dict(_PAIRS)
    if seats is not None:
        days = _with_seats(days, seats)
        pairs["activation_rate"] = ("total_active_users", "_seats")
    stats = days.group_by(keys_of(every)).agg(_period_sums(pairs, seats=seats is not None))
    out = _on_grid(stats, period_grid(all_days, lo, hi, weekdays_only, every), pairs, every)
    if every:
        out = out.with_columns(
            (pl.col(m) - pl.col(m).shift(1).over(list(SCOPE), order_by="period_start")).alias(f"{m}_change")
            for m in _MEANS
        )
    return finish(out, every, (), _columns(seats=seats is not None, every=every))


#: feature -> its daily engaged-users column of ``days``
_FEATURE_USERS = {name: feature.users_column for name, feature in FEATURES.items()}
#: stat -> (days column, user-days column); a day reports a stat when its value is not null
#: (a feature's count is null when its block is null or missing, or lacks the key)
_STATS = {
    "active_users": ("total_active_users", "active_user_days"),
    "engaged_users": ("total_engaged_users", "engaged_user_days"),
    **{name: (name, f"{feature}_engaged_user_days") for feature, name in _FEATURE_USERS.items()},
}
#: rate -> (numerator, denominator) daily columns: each rate is a ratio of the two sums over
#: the days that report both (``activation_rate`` is added with seats)
_PAIRS = {
    "engagement_rate": ("total_engaged_users", "total_active_users"),
    **{f"{f}_share": (name, "total_engaged_users") for f, name in _FEATURE_USERS.items()},
}
#: the means whose change from the previous period is given with ``every``
_MEANS = ["active_users_mean", "engaged_users_mean", *(f"{c}_mean" for c in _FEATURE_USERS.values())]


def _period_sums(pairs: dict[str, tuple[str, str]], *, seats: bool) -> list[pl.Expr]:
    """The aggregations of a period's days: each stat over the days reporting it, each pair's two sums."""
    aggs: list[pl.Expr] = [pl.len().cast(pl.Int64).alias("days_with_data")]
    for name, (column, user_days_column) in _STATS.items():
        aggs += [
            sum_present(pl.col(column)).alias(user_days_column),
            pl.col(column).mean().alias(f"{name}_mean"),
            pl.col(column).max().cast(pl.Int64).alias(f"{name}_peak"),
            pl.col(column).count().cast(pl.Int64).alias(f"{name}_days_reported"),
        ]
    if seats:
        aggs.append(
            pl.when(pl.col("_seats").null_count() == 0).then(pl.col("_seats").sum()).cast(pl.Float64).alias("seat_days")
        )
    for rate, (numerator, denominator) in pairs.items():
        sums = paired_sums(pl.col(numerator), pl.col(denominator))
        aggs += [sums[0].alias(f"_num_{rate}"), sums[1].alias(f"_den_{rate}")]
    return aggs


def _on_grid(
    stats: pl.LazyFrame, grid: pl.LazyFrame, pairs: dict[str, tuple[str, str]], every: str | None
) -> pl.LazyFrame:
    """The sums on every scope and period of the grid (periods without data too): missing days, unreported, rates."""
    return (
        grid.join(stats, on=keys_of(every), how="left", nulls_equal=True)
        .with_columns(
            pl.col("days_with_data").fill_null(0),
            *(pl.col(f"{name}_days_reported").fill_null(0) for name in _STATS),
        )
        .with_columns(
            (pl.col("days_in_period") - pl.col("days_with_data")).cast(pl.Int64).alias("days_missing"),
            *(
                (pl.col("days_with_data") - pl.col(f"{name}_days_reported")).alias(f"{name}_days_unreported")
                for name in _STATS
            ),
            *(ratio(pl.col(f"_num_{rate}"), pl.col(f"_den_{rate}")).alias(rate) for rate in pairs),
        )
    )


def _columns(*, seats: bool, every: str | None) -> list[str]:
    """The output columns after the keys, in order: each stat with its rate or share, seats, changes."""
    columns = ["days_with_data", "days_missing"]
    for name, (_, user_days_column) in _STATS.items():
        columns += [
            user_days_column,
            f"{name}_mean",
            f"{name}_peak",
            f"{name}_days_reported",
            f"{name}_days_unreported",
        ]
        if name == "engaged_users":
            columns.append("engagement_rate")
        elif name != "active_users":
            columns.append(f"{name.removesuffix('_engaged_users')}_share")
    if seats:
        columns += ["seat_days", "activation_rate"]
    if every:
        columns += [f"{m}_change" for m in _MEANS]
    return columns


_NULL_KEY = "\x00"


def _with_seats(days: pl.LazyFrame, seats: int | float | pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    if isinstance(seats, int | float):
        return days.with_columns(pl.lit(float(seats)).alias("_seats"))
    frame = seats.lazy() if isinstance(seats, pl.DataFrame) else seats
    names = frame.collect_schema().names()
    if "seats" not in names:
        raise CopilotMetricsError(
            "the seats frame needs a 'seats' column",
            column="seats",
            hint="columns: seats, and optionally date and enterprise/org/team",
        )
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
