"""Chat use from the ``chat_inline`` and ``chat_panel_*_mode`` feature rows."""

from __future__ import annotations

from typing import Literal

import polars as pl

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics._selection import DateLike, Frames, as_date, check_arguments, check_every, lazy
from copilot_metrics.metrics.columns import ratio
from copilot_metrics.usage._frames import IDS, LABELS, suppress
from copilot_metrics.usage._periods import check_source, finish_periods, select, total, with_users

__all__ = ["CHAT_FEATURES", "chat_usage", "is_chat"]

#: The chat features (``feature`` values) of the successor reports; ``chat_panel_<mode>_mode`` for any mode.
CHAT_FEATURES: tuple[str, ...] = (
    "chat_inline",
    "chat_panel_ask_mode",
    "chat_panel_edit_mode",
    "chat_panel_agent_mode",
    "chat_panel_plan_mode",
    "chat_panel_custom_mode",
    "chat_panel_unknown_mode",
)


def is_chat(feature: pl.Expr) -> pl.Expr:
    """``feature`` is a chat feature: ``chat_inline`` or ``chat_panel_<mode>_mode`` (a new mode included)."""
    return (feature == "chat_inline") | feature.str.contains(r"^chat_panel_.+_mode$")


def chat_usage(
    ds: Frames,
    by: Literal["feature"] | None = None,
    every: str | None = None,
    source: Literal["aggregate", "users"] = "aggregate",
    min_users: int | None = 5,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """IDE chat use per scope (and period, and chat feature), from the chat feature rows only.

    ``source="aggregate"`` reads ``agg_feature``, ``source="users"`` reads ``user_feature``
    (never both: the same events).  Chat features: ``chat_inline`` and every
    ``chat_panel_<mode>_mode`` (``ask``, ``edit``, ``agent``, ``plan``, ``custom``, ``unknown``).

    Columns: scope ids and labels, ``period_start`` with ``every``, ``feature`` with
    ``by="feature"``, ``interactions`` (Σ ``user_initiated_interaction_count``),
    ``acceptances`` (Σ ``code_acceptance_activity_count``: apply, insert, copy actions),
    ``chat_apply_rate`` = acceptances / interactions (a ratio of sums, null on 0; not the legacy
    chat acceptance rate, whose insertions and copies are not separable here), and ``break``
    (:func:`~.breaks.with_breaks`).  The users source adds ``users`` (distinct users with a chat
    row) and ``suppressed`` (fewer than ``min_users`` users: measures null, row kept).
    """
    check_arguments(start=start, end=end, weekdays_only=weekdays_only)
    check_every(every)
    check_source("chat_usage", source)
    if by not in (None, "feature"):
        raise CopilotMetricsError(
            f"chat_usage: cannot group by {by!r}", column=str(by), hint="by takes None or 'feature'"
        )
    lf = lazy(ds, "agg_feature" if source == "aggregate" else "user_feature").filter(is_chat(pl.col("feature")))
    lf, period = select(lf, as_date(start, "start"), as_date(end, "end"), weekdays_only, every)
    dims = ["feature"] if by else []
    measures = ["interactions", "acceptances", "chat_apply_rate"]
    lf, users = with_users(lf, source)
    out = (
        lf.group_by(*IDS, *LABELS, *period, *dims)
        .agg(
            total("user_initiated_interaction_count", "interactions"),
            total("code_acceptance_activity_count", "acceptances"),
            *users,
            pl.col("date").min().alias("_lo"),
            pl.col("date").max().alias("_hi"),
        )
        .with_columns(ratio(pl.col("acceptances"), pl.col("interactions")).alias("chat_apply_rate"))
    )
    if source == "users":
        out = suppress(out, "users", [*measures, "users"], min_users)
        measures = [*measures, "users", "suppressed"]
    return finish_periods(out, every, "successor", None, [*IDS, *period, *dims], measures)
