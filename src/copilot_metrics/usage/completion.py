"""Code completion acceptance, from ``feature == "code_completion"`` rows only."""

from __future__ import annotations

from typing import Literal

import polars as pl

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics import LANGUAGE_ALIASES
from copilot_metrics.metrics._selection import (
    DateLike,
    Frames,
    as_date,
    check_arguments,
    check_every,
    lazy,
)
from copilot_metrics.metrics.columns import ratio
from copilot_metrics.usage._frames import IDS, LABELS, USER, suppress
from copilot_metrics.usage._periods import check_source, finish_periods, select, total, with_users

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
    check_source("code_completion", source)
    if by not in (None, "language"):
        raise CopilotMetricsError(
            f"code_completion: cannot group by {by!r}", column=str(by), hint="by takes None or 'language'"
        )
    prefix = "agg" if source == "aggregate" else "user"
    name = f"{prefix}_language_feature" if by else f"{prefix}_feature"
    lf = lazy(ds, name).filter(pl.col("feature") == "code_completion")
    lf, period = select(lf, as_date(start, "start"), as_date(end, "end"), weekdays_only, every)
    dims = ["language"] if by else []
    if by and normalize_languages:
        lf = lf.with_columns(pl.col("language").replace(LANGUAGE_ALIASES))
    group = [*IDS, *LABELS, *period, *dims]
    sums = [total(c, out) for out, c in _SUMS.items()]
    lf, users = with_users(lf, source)
    if users:
        accepting = pl.col(USER).filter(pl.col("code_acceptance_activity_count") > 0).n_unique()
        users.append(accepting.cast(pl.Int64).alias("accepting_users"))
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
    return finish_periods(out, every, "successor", None, [*IDS, *period, *dims], columns)
