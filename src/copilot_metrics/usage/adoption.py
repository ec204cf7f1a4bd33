"""Adoption shares from user flags: distinct flagged users over distinct users whose flag is reported."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics._selection import DateLike, Frames, as_date, check_arguments, check_every, lazy
from copilot_metrics.metrics.columns import ratio
from copilot_metrics.successor.registry import TABLES as REPORT_TABLES
from copilot_metrics.usage._frames import IDS, LABELS, USER, labels_of, period_members, suppress, user_of
from copilot_metrics.usage._periods import member_breaks

__all__ = [
    "AGENT_FLAGS",
    "adoption_shares",
    "any_agent_adoption",
    "chat_adoption",
    "code_review_adoption",
    "ide_agent_adoption",
]

#: Every agent, CLI or app flag of a user day (``any_agent_adoption``).
AGENT_FLAGS: tuple[str, ...] = (
    "used_agent",
    "used_cli",
    "used_copilot_coding_agent",
    "used_copilot_cloud_agent",
    "used_copilot_app",
    "used_vscode_agent",
)
_FLAGS = tuple(c.name for c in REPORT_TABLES["user_days"].columns if c.kind == "flag")
_MEASURES = (
    "active_users",
    "reporting_users",
    "adopting_users",
    "users_unreported",
    "adopting_user_days",
    "adoption_share",
)


def adoption_shares(
    ds: Frames,
    every: str | None = None,
    flags: Sequence[str] = ("used_agent",),
    partial: bool = False,
    min_users: int | None = 5,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """The share of users who used a feature, from the ``used_*`` flags of ``user_days``.

    A user adopts in a period when any of ``flags`` is true on one of their days; a user's flags
    are reported when one of ``flags`` is not null on one of their days.  Columns, per scope (and
    ``period_start`` with ``every``):

    * ``active_users``: distinct users with a row in the period;
    * ``reporting_users``: of them, those whose flag is reported; ``users_unreported``: those
      whose flag is absent or null on all their days (counted here, never as false);
    * ``adopting_users``: distinct users with a flag true; ``adopting_user_days``: user-days with
      a flag true;
    * ``adoption_share`` = ``adopting_users`` / ``reporting_users`` (null on 0);
    * ``days_covered``, ``days_uncovered`` and the null rule of :func:`~.active.active_users`
      (``partial``), and ``suppressed``: fewer than ``min_users`` active users (measures null,
      row kept; null with ``min_users=None``);
    * ``break``: the successor :data:`~.breaks.KNOWN_BREAKS` falling in the period.

    Presets: :func:`ide_agent_adoption`, :func:`any_agent_adoption`, :func:`chat_adoption`,
    :func:`code_review_adoption`.

    Raises
    ------
    CopilotMetricsError
        ``flags`` empty or naming a column that is not a ``user_days`` flag; an unknown period;
        aggregate-only data (no ``user_days``: adoption needs users reports).
    """
    check_arguments(start=start, end=end, weekdays_only=weekdays_only)
    check_every(every)
    names = (flags,) if isinstance(flags, str) else tuple(flags)
    bad = [f for f in names if f not in _FLAGS]
    if not names or bad:
        raise CopilotMetricsError(
            f"adoption_shares: {bad or 'no flags'} {'are' if len(bad) > 1 else 'is'} not a user_days flag",
            column=bad[0] if bad else None,
            hint=f"flags take {list(_FLAGS)}",
        )
    if not isinstance(partial, bool):
        raise TypeError(f"partial must be True or False, not {type(partial).__name__}")
    days = lazy(ds, "user_days")
    members, keys = period_members(
        ds,
        every=every,
        window=None,
        start=as_date(start, "start"),
        end=as_date(end, "end"),
        weekdays_only=weekdays_only,
    )
    period = [*IDS, *keys]
    rows = (
        days.select(
            *IDS,
            pl.col("date").alias("_day"),
            user_of(days),
            pl.any_horizontal(*(pl.col(f).fill_null(False) for f in names)).alias("_true"),
            pl.any_horizontal(*(pl.col(f).is_not_null() for f in names)).alias("_reported"),
        )
        .group_by(*IDS, "_day", USER)
        .agg(pl.col("_true").any(), pl.col("_reported").any())
        .join(members, on=[*IDS, "_day"], nulls_equal=True)
    )
    stats = rows.group_by(period).agg(
        pl.col(USER).n_unique().cast(pl.Int64).alias("active_users"),
        pl.col(USER).filter("_reported").n_unique().cast(pl.Int64).alias("reporting_users"),
        pl.col(USER).filter("_true").n_unique().cast(pl.Int64).alias("adopting_users"),
        pl.col("_true").sum().cast(pl.Int64).alias("adopting_user_days"),
    )
    grid = members.group_by(period).agg(
        pl.col("_covered").sum().cast(pl.Int64).alias("days_covered"),
        (~pl.col("_covered")).sum().cast(pl.Int64).alias("days_uncovered"),
    )
    counts = ("active_users", "reporting_users", "adopting_users", "adopting_user_days")
    out = (
        grid.join(stats, on=period, how="left", nulls_equal=True)
        .with_columns(pl.col(*counts).fill_null(0))
        .with_columns(
            (pl.col("active_users") - pl.col("reporting_users")).alias("users_unreported"),
            ratio(pl.col("adopting_users"), pl.col("reporting_users")).alias("adoption_share"),
        )
    )
    known = (pl.col("days_covered") > 0) & (pl.lit(partial) | (pl.col("days_uncovered") == 0))
    out = out.with_columns(pl.when(known).then(pl.col(m)).alias(m) for m in _MEASURES)
    out = suppress(out, "active_users", _MEASURES, min_users)
    out = member_breaks(out.join(labels_of(ds), on=list(IDS), how="left", nulls_equal=True), members, keys)
    return (
        out.select(*IDS, *LABELS, *keys, *_MEASURES, "days_covered", "days_uncovered", "suppressed", "break")
        .sort(period, nulls_last=False)
        .collect()
    )


def ide_agent_adoption(ds: Frames, every: str | None = None, **kwargs: object) -> pl.DataFrame:
    """:func:`adoption_shares` of IDE agent mode (``used_agent``)."""
    return adoption_shares(ds, every, ("used_agent",), **kwargs)  # type: ignore[arg-type]


def any_agent_adoption(ds: Frames, every: str | None = None, **kwargs: object) -> pl.DataFrame:
    """:func:`adoption_shares` of any agent, CLI or app flag (:data:`AGENT_FLAGS`)."""
    return adoption_shares(ds, every, AGENT_FLAGS, **kwargs)  # type: ignore[arg-type]


def chat_adoption(ds: Frames, every: str | None = None, **kwargs: object) -> pl.DataFrame:
    """:func:`adoption_shares` of IDE chat (``used_chat``)."""
    return adoption_shares(ds, every, ("used_chat",), **kwargs)  # type: ignore[arg-type]


def code_review_adoption(ds: Frames, every: str | None = None, **kwargs: object) -> pl.DataFrame:
    """:func:`adoption_shares` of Copilot code review, active use (``used_copilot_code_review_active``)."""
    return adoption_shares(ds, every, ("used_copilot_code_review_active",), **kwargs)  # type: ignore[arg-type]
