"""The input frames, and the selection every metric starts from: days, periods, the period grid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal, TypeAlias

import polars as pl

from copilot_metrics.breaks import Family, period_bounds, with_breaks
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.tables import SCOPE

__all__ = [
    "CALENDAR",
    "FAMILY",
    "PERIODS",
    "By",
    "DateLike",
    "Every",
    "Frames",
    "as_date",
    "check_arguments",
    "check_every",
    "dims_of",
    "findings_of",
    "finish",
    "keys_of",
    "lazy",
    "period_grid",
    "select_days",
    "with_calendar",
]

Frames: TypeAlias = "Dataset | Mapping[str, pl.DataFrame | pl.LazyFrame]"
"""A :class:`~copilot_metrics.Dataset`, or a mapping ``{table name: DataFrame | LazyFrame}``."""
Every = Literal["1d", "1w", "1mo", "1q"]
By = str | Sequence[str] | None
DateLike = dt.date | str | None

PERIODS = ("1d", "1w", "1mo", "1q")

#: Columns of every output computed with ``every``, right after the period: see :func:`period_grid`.
CALENDAR = ("days_in_period", "period_complete")
#: The family of known breaks (:data:`~copilot_metrics.breaks.KNOWN_BREAKS`) the legacy
#: metrics' ``break`` column names (the last column of every output computed with ``every``).
FAMILY: Family = "legacy"


def lazy(ds: Frames, name: str) -> pl.LazyFrame:
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame] = ds.tables if isinstance(ds, Dataset) else ds
    if name not in tables:
        raise CopilotMetricsError(f"table {name!r} is missing from the input", table=name)
    frame = tables[name]
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def findings_of(ds: Frames) -> pl.LazyFrame | None:
    frame: pl.DataFrame | pl.LazyFrame
    if isinstance(ds, Dataset):
        frame = ds.findings
    elif "findings" in ds:
        frame = ds["findings"]
    else:
        return None
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def as_date(value: DateLike, name: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CopilotMetricsError(f"{name}={value!r} is not a date (YYYY-MM-DD)", column=name) from exc


def dims_of(by: By, allowed: Sequence[str], function: str) -> tuple[str, ...]:
    """The dimension columns of ``by`` (scope columns are always kept, so dropped here)."""
    names = (by,) if isinstance(by, str) else tuple(by or ())
    bad = [n for n in names if n not in allowed and n not in SCOPE]
    if bad:
        raise CopilotMetricsError(
            f"{function}: cannot group by {bad}",
            column=bad[0],
            hint=f"by takes scope columns {list(SCOPE)} and dimensions {list(allowed)}",
        )
    return tuple(dict.fromkeys(n for n in names if n not in SCOPE))


def check_arguments(**arguments: object) -> None:
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
                raise TypeError(
                    f"seats must be a number, a DataFrame or LazyFrame with a 'seats' column, or None, not {kind}"
                )
            if not 0 <= value < float("inf"):
                raise ValueError(f"seats must be a finite number of seats, at least 0, not {value}")
        elif name in ("min_suggestions", "window", "min_days"):
            if (value is not None or name != "min_suggestions") and (
                isinstance(value, bool) or not isinstance(value, int)
            ):
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


def check_every(every: str | None) -> None:
    if every is not None and every not in PERIODS:
        raise CopilotMetricsError(f"every={every!r} is not one of None, {', '.join(map(repr, PERIODS))}")


def keys_of(every: str | None) -> list[str]:
    return [*SCOPE, "period_start"] if every else list(SCOPE)


def select_days(
    lf: pl.LazyFrame, start: dt.date | None, end: dt.date | None, weekdays_only: bool, every: str | None
) -> pl.LazyFrame:
    if start is not None:
        lf = lf.filter(pl.col("date") >= start)
    if end is not None:
        lf = lf.filter(pl.col("date") <= end)
    if weekdays_only:
        lf = lf.filter(pl.col("date").dt.weekday() <= 5)
    if every:
        lf = lf.with_columns(pl.col("date").dt.truncate(every).alias("period_start"))
    return lf


def with_calendar(
    out: pl.LazyFrame, ds: Frames, lo: dt.date | None, hi: dt.date | None, weekdays_only: bool, every: str | None
) -> pl.LazyFrame:
    """With ``every``, add each scope and period's ``days_in_period`` and ``period_complete`` (:func:`period_grid`)."""
    if not every:
        return out
    return out.join(
        period_grid(lazy(ds, "days"), lo, hi, weekdays_only, every), on=keys_of(every), how="left", nulls_equal=True
    )


def finish(lf: pl.LazyFrame, every: str | None, dims: Sequence[str], columns: Sequence[str]) -> pl.DataFrame:
    """Select the keys, the calendar, ``columns`` and, with ``every``, ``break`` last; sort and collect.

    ``break`` names the legacy known breaks (:data:`FAMILY`) whose days meet the row's calendar
    period (``period_start`` to the period's last day), joined in date order; null when none
    does (:func:`~copilot_metrics.breaks.with_breaks`).
    """
    keys = [*keys_of(every), *dims]
    calendar = CALENDAR if every else ()
    if every:
        lf = with_breaks(lf, *period_bounds(every), family=FAMILY)
    return lf.select(*keys, *calendar, *columns, *(("break",) if every else ())).sort(keys, nulls_last=False).collect()


def period_grid(
    all_days: pl.LazyFrame, lo: dt.date | None, hi: dt.date | None, weekdays_only: bool, every: str | None
) -> pl.LazyFrame:
    """Scope (and period) rows: the days that could have data, and whether the period is whole.

    ``days_in_period``: the calendar days of the period (or of the whole range) inside the scope's
    loaded range (its first to its last date in the input, intersected with ``start``..``end``;
    weekdays only with ``weekdays_only``); with ``every``, ``period_complete``: the whole period
    lies inside that range.
    """
    bounds = all_days.group_by(list(SCOPE)).agg(pl.col("date").min().alias("_lo"), pl.col("date").max().alias("_hi"))
    if lo is not None:
        bounds = bounds.with_columns(pl.max_horizontal("_lo", pl.lit(lo)).alias("_lo"))
    if hi is not None:
        bounds = bounds.with_columns(pl.min_horizontal("_hi", pl.lit(hi)).alias("_hi"))
    bounds = bounds.filter(pl.col("_lo") <= pl.col("_hi"))
    if every:
        period_end = pl.col("period_start").dt.offset_by(every) - pl.duration(days=1)
        bounds = (
            bounds.with_columns(
                pl.date_ranges(pl.col("_lo").dt.truncate(every), pl.col("_hi"), interval=every).alias("period_start")
            )
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
