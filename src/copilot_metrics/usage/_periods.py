"""Shared steps of the successor counter metrics: the day selection, sums that keep "absent", the break column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from copilot_metrics.breaks import Family, period_bounds, with_breaks
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics._selection import select_days
from copilot_metrics.usage._frames import IDS, LABELS, USER, user_of

__all__ = ["check_source", "finish_periods", "labels_present", "member_breaks", "select", "total", "with_users"]


def select(
    lf: pl.LazyFrame, start: dt.date | None, end: dt.date | None, weekdays_only: bool, every: str | None
) -> tuple[pl.LazyFrame, list[str]]:
    """The selected days of ``lf`` (with ``period_start`` with ``every``) and the period key columns."""
    return select_days(lf, start, end, weekdays_only, every), (["period_start"] if every else [])


def check_source(function: str, source: object) -> None:
    """Refuse a ``source`` that is neither ``"aggregate"`` nor ``"users"`` (they hold the same events)."""
    if source not in ("aggregate", "users"):
        raise CopilotMetricsError(
            f"{function}: source={source!r} is not 'aggregate' or 'users'",
            column="source",
            hint="aggregate and user rows describe the same events: never add them",
        )


def with_users(lf: pl.LazyFrame, source: str) -> tuple[pl.LazyFrame, list[pl.Expr]]:
    """``lf`` and, for ``source="users"``, its user key and the aggregation counting ``users`` (distinct)."""
    if source != "users":
        return lf, []
    return lf.with_columns(user_of(lf)), [pl.col(USER).n_unique().cast(pl.Int64).alias("users")]


def labels_present(lf: pl.LazyFrame) -> list[str]:
    names = lf.collect_schema().names()
    return [c for c in LABELS if c in names]


def total(column: str, alias: str | None = None) -> pl.Expr:
    """Σ ``column`` over the group; null when every value is absent (unknown is never 0)."""
    return pl.when(pl.col(column).count() > 0).then(pl.col(column).sum()).alias(alias or column)


def finish_periods(
    out: pl.LazyFrame,
    every: str | None,
    family: Family,
    series: Sequence[str] | None,
    order: Sequence[str],
    columns: Sequence[str],
) -> pl.DataFrame:
    """Add ``break`` (over each period, or each row's ``_lo``..``_hi`` days without ``every``), order, collect.

    Without ``every`` the aggregation must have left ``_lo``/``_hi`` (the first and last day of
    the rows it took).
    """
    lo, hi = period_bounds(every) if every else (pl.col("_lo"), pl.col("_hi"))
    out = with_breaks(out, lo, hi, family=family, series=series)
    return (
        out.select(*IDS, *LABELS, *order[len(IDS) :], *columns, "break").sort(list(order), nulls_last=False).collect()
    )


def member_breaks(out: pl.LazyFrame, members: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    """Add ``break`` to an output built on :func:`~._frames.period_members`.

    The successor breaks whose days meet each period's member days (a calendar period, a
    trailing window, the selection).
    """
    bounds = members.group_by([*IDS, *keys]).agg(pl.col("_day").min().alias("_lo"), pl.col("_day").max().alias("_hi"))
    out = out.join(bounds, on=[*IDS, *keys], how="left", nulls_equal=True)
    return with_breaks(out, pl.col("_lo"), pl.col("_hi"), family="successor").drop("_lo", "_hi")
