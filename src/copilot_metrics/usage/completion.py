"""Code completion acceptance, from ``feature == "code_completion"`` rows only."""

from __future__ import annotations

from typing import Literal

import polars as pl

from copilot_metrics.breaks import period_bounds, with_breaks
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics import LANGUAGE_ALIASES
from copilot_metrics.metrics._selection import (
    DateLike,
    Frames,
    as_date,
    check_arguments,
    check_every,
    keys_of,
    lazy,
    select_days,
)
from copilot_metrics.metrics.columns import ratio
from copilot_metrics.usage._frames import IDS, LABELS, USER, suppress, user_of

__all__ = ["code_completion"]

#: output column -> the table column summed
_SUMS = {
    "suggestions": "code_generation_activity_count",
    "acceptances": "code_acceptance_activity_count",
    "lines_suggested": "loc_suggested_to_add_sum",
    "lines_accepted": "loc_added_sum",
}
_RATES = ("acceptance_rate", "line_acceptance_rate")


def code_completion(
    ds: Frames,
    by: Literal["language"] | None = None,
    every: str | None = None,
    source: Literal["aggregate", "users"] = "aggregate",
    normalize_languages: bool = True,
    min_users: int | None = 5,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Code completion acceptance per scope (and period, and language), ``code_completion`` rows only.

    ``source="aggregate"`` reads ``agg_feature`` (``by="language"``: ``agg_language_feature``);
    ``source="users"`` reads ``user_feature`` / ``user_language_feature``.  The two are never
    added (``source="both"`` raises: the same events would count twice).  The top-level counters
    mix chat and agent events: their ratio is not an acceptance rate and is not given here.

    Columns: scope ids and labels, ``period_start`` with ``every``, ``language`` with
    ``by="language"`` (aliases such as ``c#`` mapped by :data:`~copilot_metrics.LANGUAGE_ALIASES`
    unless ``normalize_languages=False``), ``suggestions``, ``acceptances`` (generation and
    acceptance activity counts), ``lines_suggested`` (``loc_suggested_to_add_sum``),
    ``lines_accepted`` (``loc_added_sum``), ``acceptance_rate``, ``line_acceptance_rate``: Σ
    over the slice and period; a sum over values that are all absent is null; the rates are
    ratios of those sums, null on 0.  The users source adds ``users`` (distinct users with a
    completion row), ``accepting_users`` (with acceptances > 0) and ``suppressed``: a row of
    fewer than ``min_users`` users keeps its keys, its measures are null (``min_users=None``:
    suppression off, ``suppressed`` null).  Last, ``break``: the successor
    :data:`~.breaks.KNOWN_BREAKS` falling in the period (over the rows' days without ``every``).

    Raises
    ------
    CopilotMetricsError
        ``source`` other than ``"aggregate"``/``"users"``, ``by`` other than None/``"language"``,
        an unknown period, a missing table.
    """
    check_arguments(start=start, end=end, weekdays_only=weekdays_only, normalize_languages=normalize_languages)
    check_every(every)
    if str(source) == "both":
        raise CopilotMetricsError(
            "code_completion: source='both' would count the same completions twice (aggregate and user rows "
            "describe the same events)",
            column="source",
            hint="choose source='aggregate' or source='users'",
        )
    if source not in ("aggregate", "users"):
        raise CopilotMetricsError(f"code_completion: source={source!r} is not 'aggregate' or 'users'", column="source")
    if by not in (None, "language"):
        raise CopilotMetricsError(
            f"code_completion: cannot group by {by!r}", column=str(by), hint="by takes None or 'language'"
        )
    prefix = "agg" if source == "aggregate" else "user"
    name = f"{prefix}_language_feature" if by else f"{prefix}_feature"
    lf = lazy(ds, name).filter(pl.col("feature") == "code_completion")
    lf = select_days(lf, as_date(start, "start"), as_date(end, "end"), weekdays_only, every)
    dims = ["language"] if by else []
    if by and normalize_languages:
        lf = lf.with_columns(pl.col("language").replace(LANGUAGE_ALIASES))
    period = ["period_start"] if every else []
    group = [*IDS, *LABELS, *period, *dims]
    sums = [pl.when(pl.col(c).count() > 0).then(pl.col(c).sum()).alias(out) for out, c in _SUMS.items()]
    users: list[pl.Expr] = []
    if source == "users":
        lf = lf.with_columns(user_of(lf))
        users = [
            pl.col(USER).n_unique().cast(pl.Int64).alias("users"),
            pl.col(USER)
            .filter(pl.col("code_acceptance_activity_count") > 0)
            .n_unique()
            .cast(pl.Int64)
            .alias("accepting_users"),
        ]
    bounds = [pl.col("date").min().alias("_lo"), pl.col("date").max().alias("_hi")]
    out = (
        lf.group_by(group)
        .agg(*sums, *users, *bounds)
        .with_columns(
            ratio(pl.col("acceptances"), pl.col("suggestions")).alias("acceptance_rate"),
            ratio(pl.col("lines_accepted"), pl.col("lines_suggested")).alias("line_acceptance_rate"),
        )
    )
    columns = [*_SUMS, *_RATES]
    if source == "users":
        out = suppress(out, "users", [*columns, "users", "accepting_users"], min_users)
        columns = [*columns, "users", "accepting_users", "suppressed"]
    keys = [*IDS, *(k for k in keys_of(every) if k == "period_start"), *dims]
    lo, hi = period_bounds(every) if every else (pl.col("_lo"), pl.col("_hi"))
    out = with_breaks(out, lo, hi, family="successor")
    return out.select(*IDS, *LABELS, *period, *dims, *columns, "break").sort(keys, nulls_last=False).collect()
