"""Client use (CLI, Copilot app, VS Code Agents): sessions, requests, prompts, tokens."""

from __future__ import annotations

from typing import Literal

import polars as pl

from copilot_metrics.metrics._selection import DateLike, Frames, as_date, check_arguments, check_every, lazy
from copilot_metrics.metrics.columns import ratio
from copilot_metrics.usage._frames import IDS, LABELS, suppress
from copilot_metrics.usage._periods import check_source, finish_periods, select, total, with_users

__all__ = ["client_usage"]

#: output column -> the table column summed
_SUMS = {
    "sessions": "session_count",
    "requests": "request_count",
    "prompts": "prompt_count",
    "prompt_tokens": "prompt_tokens_sum",
    "output_tokens": "output_tokens_sum",
    "user_messages": "total_user_messages",
}


def client_usage(
    ds: Frames,
    every: str | None = None,
    source: Literal["aggregate", "users"] = "aggregate",
    min_users: int | None = 5,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Use of each client (``cli``, ``copilot_app``, ``vscode_agent``...) per scope (and period).

    ``source="aggregate"`` reads ``agg_clients``; ``source="users"`` reads ``user_clients``
    (never both).  Columns: scope ids and labels, ``period_start`` with ``every``, ``client``,
    ``sessions``, ``requests``, ``prompts``, ``prompt_tokens``, ``output_tokens``,
    ``user_messages`` (Σ over the period; null when every value is absent), and
    ``avg_tokens_per_request`` = Σ(prompt + output tokens) / Σ requests over the days reporting
    all three (a ratio of sums, never the mean of GitHub's daily ``avg_tokens_per_request``; null
    on 0), and ``break``.  The users source adds ``users`` (distinct users with a row of the
    client: for ``cli``, the distinct CLI users of the period) and ``suppressed`` (fewer than
    ``min_users``: measures null, row kept).
    """
    check_arguments(start=start, end=end, weekdays_only=weekdays_only)
    check_every(every)
    check_source("client_usage", source)
    lf = lazy(ds, "agg_clients" if source == "aggregate" else "user_clients")
    lf, period = select(lf, as_date(start, "start"), as_date(end, "end"), weekdays_only, every)
    both = (
        pl.col("prompt_tokens_sum").is_not_null()
        & pl.col("output_tokens_sum").is_not_null()
        & pl.col("request_count").is_not_null()
    )
    tokens = pl.when(both).then(pl.col("prompt_tokens_sum") + pl.col("output_tokens_sum"))
    lf, users = with_users(lf, source)
    out = (
        lf.with_columns(tokens.alias("_tokens"), pl.when(both).then(pl.col("request_count")).alias("_requests"))
        .group_by(*IDS, *LABELS, *period, "client")
        .agg(
            *(total(c, name) for name, c in _SUMS.items()),
            total("_tokens"),
            total("_requests"),
            *users,
            pl.col("date").min().alias("_lo"),
            pl.col("date").max().alias("_hi"),
        )
        .with_columns(ratio(pl.col("_tokens"), pl.col("_requests")).alias("avg_tokens_per_request"))
    )
    measures = [*_SUMS, "avg_tokens_per_request"]
    if source == "users":
        out = suppress(out, "users", [*measures, "users"], min_users)
        measures = [*measures, "users", "suppressed"]
    return finish_periods(out, every, "successor", None, [*IDS, *period, "client"], measures)
