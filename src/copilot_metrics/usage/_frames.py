"""The input of the usage metrics: user tables, the users windows, the period grid, suppression.

Private helpers shared by :mod:`.active`, :mod:`.completion` and :mod:`.adoption`.  A period
(a calendar period with ``every``, a trailing window with ``window``, or the whole selection) is a
set of member days; a member day is *covered* when it lies inside a loaded users window (a users
report's ``window_start``..``window_end`` in ``reports``, or a user row's
``report_start_day``..``report_end_day``, or the row's own day for a 1-day report): a covered day
without rows is 0 users (a known zero), an uncovered day is unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import polars as pl

from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics._selection import Frames, lazy
from copilot_metrics.successor.findings import users_windows

__all__ = [
    "IDS",
    "LABELS",
    "USER",
    "by_names",
    "frames_of",
    "labels_of",
    "period_members",
    "suppress",
    "user_of",
]

#: The scope ids every usage output starts with, then the labels (one label per id).
IDS = ("enterprise_id", "organization_id")
LABELS = ("enterprise", "org")
#: The user key inside the metrics: ``user_id``, or ``user_pid`` after :func:`~.privacy.pseudonymize`.
USER = "_user"


def frames_of(ds: Frames) -> Mapping[str, pl.DataFrame | pl.LazyFrame]:
    return ds.tables if isinstance(ds, Dataset) else ds


def user_of(lf: pl.LazyFrame) -> pl.Expr:
    """The user key of a user table, as :data:`USER`: the pseudonym when the data was pseudonymized."""
    names = lf.collect_schema().names()
    return pl.col("user_pid" if "user_pid" in names else "user_id").alias(USER)


def by_names(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if (
        by is not None
        and not isinstance(by, str)
        and not (isinstance(by, Sequence) and all(isinstance(n, str) for n in by))
    ):
        raise TypeError(f"by must be a column name, a sequence of column names or None, not {type(by).__name__}")
    return tuple(dict.fromkeys((by,) if isinstance(by, str) else (by or ())))


def labels_of(ds: Frames) -> pl.LazyFrame:
    """One row per scope id pair of ``user_days``: its labels (the first non-null one)."""
    return lazy(ds, "user_days").group_by(list(IDS)).agg(*(pl.col(c).drop_nulls().first().alias(c) for c in LABELS))


def _windows(ds: Frames) -> pl.LazyFrame:
    """The loaded users windows: scope ids, ``_lo``, ``_hi`` (one row per window, repeats allowed)."""
    tables = frames_of(ds)
    return users_windows(lazy(ds, "user_days"), tables["reports"].lazy() if "reports" in tables else None)


def _covered(ds: Frames) -> pl.LazyFrame:
    """Scope ids and ``date``: every day inside a loaded users window, once."""
    return (
        _windows(ds)
        .with_columns(pl.date_ranges("_lo", "_hi").alias("date"))
        .explode("date")
        .select(*IDS, "date")
        .unique()
        .with_columns(pl.lit(True).alias("_covered"))
    )


def period_members(
    ds: Frames,
    *,
    every: str | None,
    window: int | None,
    start: dt.date | None,
    end: dt.date | None,
    weekdays_only: bool,
) -> tuple[pl.LazyFrame, list[str]]:
    """Each period's member days, and whether each is covered.

    Returns the frame (scope ids, the period key, ``date``, ``_covered``) and the period key
    columns: ``[]`` for the whole selection (first to last covered day of the scope, or
    ``start``..``end``), ``["period_start"]`` with ``every`` (whole calendar periods, cut at
    ``start`` and ``end`` only), ``["date"]`` with ``window`` (for each day of the selection,
    the ``window`` days ending on it, reaching back before ``start``).  With ``weekdays_only``,
    only Monday to Friday are members.
    """
    covered = _covered(ds)
    bounds = covered.group_by(list(IDS)).agg(pl.col("date").min().alias("_lo"), pl.col("date").max().alias("_hi"))
    if start is not None:
        bounds = bounds.with_columns(pl.lit(start).alias("_lo"))
    if end is not None:
        bounds = bounds.with_columns(pl.lit(end).alias("_hi"))
    bounds = bounds.filter(pl.col("_lo") <= pl.col("_hi"))
    days = bounds.with_columns(pl.date_ranges("_lo", "_hi").alias("date")).explode("date")
    keys: list[str]
    if window is not None:
        members = days.with_columns(
            pl.date_ranges(pl.col("date") - pl.duration(days=window - 1), pl.col("date")).alias("_member")
        )
        keys = ["date"]
    elif every is not None:
        first = pl.col("period_start").dt.offset_by(every) - pl.duration(days=1)
        members = (
            days.select(*IDS, "_lo", "_hi", pl.col("date").dt.truncate(every).alias("period_start"))
            .unique()
            .with_columns(pl.date_ranges("period_start", first).alias("_member"))
        )
        if start is not None or end is not None:
            members = members.with_columns(
                pl.col("_member").list.eval(
                    pl.element().filter(
                        (pl.element() >= (start or dt.date.min)) & (pl.element() <= (end or dt.date.max))
                    )
                )
            )
        keys = ["period_start"]
    else:
        members = days.group_by(list(IDS)).agg(pl.col("date").alias("_member"))
        keys = []
    members = members.select(*IDS, *keys, pl.col("_member")).explode("_member").rename({"_member": "_day"})
    members = members.drop_nulls("_day")
    if weekdays_only:
        members = members.filter(pl.col("_day").dt.weekday() <= 5)
    members = members.join(covered.rename({"date": "_day"}), on=[*IDS, "_day"], how="left", nulls_equal=True)
    return members.with_columns(pl.col("_covered").fill_null(False)), keys


def suppress(out: pl.LazyFrame, users: str, measures: Sequence[str], min_users: int | None) -> pl.LazyFrame:
    """k-suppression after aggregation: hide the measures of rows of fewer than ``min_users`` users.

    A row of fewer than ``min_users`` distinct ``users`` keeps its keys, its measures become
    null and ``suppressed`` is true.

    ``min_users=None`` turns suppression off: ``suppressed`` is null on every row (not checked).
    A row whose ``users`` is already null (not known) is not suppressed (``False``).
    """
    if min_users is None:
        return out.with_columns(pl.lit(None, pl.Boolean).alias("suppressed"))
    if isinstance(min_users, bool) or not isinstance(min_users, int):
        raise TypeError(f"min_users must be an int or None, not {type(min_users).__name__}")
    if min_users < 1:
        raise CopilotMetricsError(
            f"min_users={min_users} is below 1", column="min_users", hint="use min_users=None to turn suppression off"
        )
    hidden = (pl.col(users) < min_users).fill_null(False)
    return out.with_columns(*(pl.when(~hidden).then(pl.col(m)).alias(m) for m in measures), hidden.alias("suppressed"))
