"""Rolling means over calendar days, gaps left as gaps."""

from __future__ import annotations

import polars as pl

from copilot_metrics.breaks import Family, with_breaks
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics._selection import FAMILY, By, check_arguments
from copilot_metrics.tables import SCOPE

__all__ = ["trend"]


def trend(
    frame: pl.DataFrame | pl.LazyFrame,
    column: str,
    window: int = 7,
    by: By = None,
    *,
    min_days: int = 1,
    include_partial: bool = False,
    family: Family | None = FAMILY,
) -> pl.DataFrame:
    """Rolling mean of a daily series over calendar days, gaps left as gaps.

    ``frame`` holds one row per day (column ``date``, or ``period_start`` of an ``every="1d"``
    output) and per group: the scope columns present in it plus ``by``. E.g.
    ``trend(ds.days, "total_active_users", 28)`` or ``trend(adoption(ds, every="1d"),
    "engaged_users_mean")``.

    Adds three columns (the rows are sorted by group and date; none is added or removed):

    ``<column>_trend_<window>d``
        Mean of ``column`` over the days with a non-null value in the ``window`` calendar days
        ending on the row's day (the day and the ``window - 1`` days before it). Missing days
        are not filled: they are simply not in the mean. Null on a day whose own value is null,
        and when fewer than ``min_days`` days of the window have a value.
    ``<column>_trend_<window>d_days``
        How many days of the window have a value (so a thin window can be seen and filtered).
    ``break``
        The known breaks (:data:`~copilot_metrics.KNOWN_BREAKS`) of ``family`` (``"legacy"``
        by default; ``"successor"`` for a successor series, ``None`` for all) whose days fall in
        the row's window, joined by ``"; "`` in date order; null when none does. A window
        holding ``legacy_closed`` (2026-04-02) mixes days before and after the change, so its
        mean is not comparable with the windows before it. A ``break`` column of the input
        (a period output's own, over the row's day) is replaced by this one, and comes last.

    Partial periods: a frame computed with ``every`` carries ``period_complete``; a row whose
    period is not complete (it runs past the scope's loaded range) is left out of every window
    and gets a null trend, like a gap, unless ``include_partial=True``. (A daily output's periods
    are always complete.)

    Raises
    ------
    CopilotMetricsError
        When a group holds the same day twice (aggregate to one row per day first), or
        ``window`` or ``min_days`` is below 1, or ``family`` is not ``"legacy"``,
        ``"successor"`` or ``None``.
    TypeError
        An argument of the wrong type (``window="7"``), naming it.
    """
    check_arguments(frame=frame, column=column, window=window, by=by, min_days=min_days)
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
            f"trend: the frame holds several rows per day and group {keys}",
            column=column,
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
    out = (
        df.lazy()
        .with_columns(count.alias(f"{name}_days"))
        .with_columns(pl.when(value.is_not_null() & (pl.col(f"{name}_days") >= min_days)).then(mean).alias(name))
    )
    out = with_breaks(out, pl.col(date) - pl.duration(days=window - 1), pl.col(date), family=family)
    return out.select(*(n for n in names if n != "break"), name, f"{name}_days", "break").collect()
