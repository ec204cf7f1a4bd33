"""The known breaks of the Copilot metrics series, declared once (SUCCESSOR.md §4), and the ``break`` column.

A break is a date on which a series changes meaning or level for reasons outside the
organization's adoption: the legacy API closed, GitHub started counting other users, a client
was added to the totals, a telemetry path was lost.  :data:`KNOWN_BREAKS` declares each once;
:func:`with_breaks` adds to any trend or period output the ``break`` column naming the breaks
that fall in each row's period, and :func:`breaks_between` lists them for a range.  Both
families use it: the legacy metrics (family ``"legacy"``), :func:`~copilot_metrics.trend` and the
charts, and the successor metrics (``"successor"``, the functions of :mod:`copilot_metrics.usage`);
so it sits below both, importing nothing of the package but its errors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Literal

import polars as pl

from copilot_metrics.errors import CopilotMetricsError

__all__ = [
    "BREAK_SEPARATOR",
    "KNOWN_BREAKS",
    "Family",
    "KnownBreak",
    "breaks_between",
    "breaks_frame",
    "period_bounds",
    "with_breaks",
]

Family = Literal["legacy", "successor"]
#: How the names of several breaks in one period are joined in the ``break`` column.
BREAK_SEPARATOR = "; "


@dataclasses.dataclass(frozen=True)
class KnownBreak:
    """One known break.

    ``first``..``last``: the days the break is known to fall on (one day when GitHub dated it;
    a range when it did not, such as "mid-June 2026"); ``families``: the series families it
    affects (its scope of effect); ``series``: the series (table columns, metrics, features)
    whose level or meaning changes; ``source``: where GitHub said so.
    """

    name: str
    first: dt.date
    last: dt.date
    families: tuple[Family, ...]
    series: tuple[str, ...]
    description: str
    source: str


#: The known breaks, by date (SUCCESSOR.md §4 "Known breaks"; GitHub changelog dates).
KNOWN_BREAKS: tuple[KnownBreak, ...] = (
    KnownBreak(
        "legacy_closed",
        dt.date(2026, 4, 2),
        dt.date(2026, 4, 2),
        ("legacy",),
        ("*",),
        "the legacy /copilot/metrics endpoints closed: no legacy day after 2026-04-01 (notice 2026-01-29)",
        "changelog 2026-01-29 'Closing down notice of legacy Copilot metrics APIs'",
    ),
    KnownBreak(
        "server_side_users",
        dt.date(2026, 6, 10),
        dt.date(2026, 6, 20),
        ("successor",),
        ("daily_active_users", "weekly_active_users", "monthly_active_users", "user_days", "active_users"),
        "server-side users counted, with empty breakdowns (user rows without arrays): DAU and user rows rise "
        "('...now include more of your active users'); mid-June 2026, day not given",
        "docs 'Copilot metrics' (mid-June 2026)",
    ),
    KnownBreak(
        "copilot_app_counted",
        dt.date(2026, 7, 17),
        dt.date(2026, 7, 17),
        ("successor",),
        ("daily_active_users", "daily_active_copilot_app_users", "copilot_app", "user_days", "active_users"),
        "the Copilot app is counted: DAU and the copilot_app values start",
        "changelog 2026-07-17 'Repository-level GitHub Copilot usage metrics generally available'",
    ),
    KnownBreak(
        "copilot_app_in_rollups",
        dt.date(2026, 7, 28),
        dt.date(2026, 7, 28),
        ("successor",),
        (
            "daily_active_users",
            "user_initiated_interaction_count",
            "code_generation_activity_count",
            "code_acceptance_activity_count",
            "loc_added_sum",
            "loc_deleted_sum",
            "copilot_app",
        ),
        "Copilot app activity enters the report rollups: top-level counters and totals_by_feature copilot_app",
        "changelog 2026-07-28 'GitHub Copilot app usage metrics now expand across report rollups'",
    ),
    KnownBreak(
        "review_stages_start",
        dt.date(2026, 9, 21),
        dt.date(2026, 9, 21),
        ("successor",),
        ("repo_review_times",),
        "pull request review stage times start, no backfill: no repo_review_times row before 2026-09-21",
        "docs 'API and export fields' (pull_request_review_times, 2026-09-25)",
    ),
    KnownBreak(
        "sdk_agent_undercount",
        dt.date(2026, 10, 6),
        dt.date(2026, 10, 6),
        ("successor",),
        ("agent_edit", "chat_panel_agent_mode", "used_agent", "monthly_active_agent_users", "copilot_cli", "cli"),
        "agent sessions on SDK-based IDEs mostly left out, some counted as CLI, no backfill (start undocumented; "
        "recovery as IDEs update, to 2026-11); server-side data now names the IDE (zero-activity totals_by_ide rows)",
        "changelog 2026-10-06 'Update your IDE to restore agent activity in Copilot usage metrics'",
    ),
)


def breaks_frame(family: Family | None = None) -> pl.DataFrame:
    """:data:`KNOWN_BREAKS` as a frame (``family``: only those affecting that family)."""
    rows = [b for b in KNOWN_BREAKS if family is None or family in b.families]
    return pl.DataFrame(
        {
            "break": [b.name for b in rows],
            "first": [b.first for b in rows],
            "last": [b.last for b in rows],
            "families": [list(b.families) for b in rows],
            "series": [list(b.series) for b in rows],
            "description": [b.description for b in rows],
            "source": [b.source for b in rows],
        },
        schema={
            "break": pl.String,
            "first": pl.Date,
            "last": pl.Date,
            "families": pl.List(pl.String),
            "series": pl.List(pl.String),
            "description": pl.String,
            "source": pl.String,
        },
    )


def _selected(family: Family | None, series: Sequence[str] | None) -> list[KnownBreak]:
    if family not in (None, "legacy", "successor"):
        raise CopilotMetricsError(f"family={family!r} is not 'legacy' or 'successor'", column="family")
    wanted = set(series or ())
    return [
        b
        for b in KNOWN_BREAKS
        if (family is None or family in b.families) and (series is None or "*" in b.series or wanted & set(b.series))
    ]


def breaks_between(
    lo: dt.date, hi: dt.date, family: Family | None = None, series: Sequence[str] | None = None
) -> list[str]:
    """The names of the known breaks of ``family`` (and ``series``) whose days meet ``lo``..``hi``."""
    return [b.name for b in _selected(family, series) if b.first <= hi and b.last >= lo]


def with_breaks(
    out: pl.LazyFrame,
    lo: pl.Expr,
    hi: pl.Expr,
    *,
    family: Family | None = None,
    series: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """Add the ``break`` column: the known breaks whose days meet each row's period ``lo``..``hi``.

    ``lo``/``hi`` are expressions of the row's first and last day (e.g. ``period_start`` and
    the period's last day, or a trailing window's first day and ``date``).  ``break`` names
    every such break of ``family`` (affecting ``series`` when given, or all series), joined by
    :data:`BREAK_SEPARATOR` in date order; null when none falls in the period (or a bound is
    null).  Reusable by any trend: it only reads the two bounds.
    """
    chosen = _selected(family, series)
    names = [pl.when((lo <= pl.lit(b.last)) & (hi >= pl.lit(b.first))).then(pl.lit(b.name)) for b in chosen]
    if not names:
        return out.with_columns(pl.lit(None, pl.String).alias("break"))
    joined = pl.concat_list(names).list.drop_nulls().list.join(BREAK_SEPARATOR)
    return out.with_columns(pl.when(joined != "").then(joined).alias("break"))


def period_bounds(every: str | None, window: int | None = None) -> tuple[pl.Expr, pl.Expr]:
    """The first and last day of an output row's period, from its key column.

    ``every``: ``period_start`` .. the period's last day; ``window``: the ``window`` days ending
    on ``date``; neither: ``date`` itself.
    """
    if every is not None:
        start = pl.col("period_start")
        return start, start.dt.offset_by(every) - pl.duration(days=1)
    if window is not None:
        return pl.col("date") - pl.duration(days=window - 1), pl.col("date")
    return pl.col("date"), pl.col("date")
