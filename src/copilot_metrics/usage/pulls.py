"""Pull request lifecycle: summed PR counts; medians per day only, never averaged across days."""

from __future__ import annotations

from typing import Literal

import polars as pl

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.metrics._selection import DateLike, Frames, as_date, check_arguments, check_every, lazy
from copilot_metrics.successor.registry import TABLES as REPORT_TABLES
from copilot_metrics.usage._frames import IDS, LABELS, suppress
from copilot_metrics.usage._periods import finish_periods, select, total

__all__ = ["PR_COUNTS", "PR_MEDIANS", "pr_lifecycle"]

#: The additive PR counts of ``agg_pull_requests`` and ``repo_days`` (summed).
PR_COUNTS: tuple[str, ...] = tuple(c.name for c in REPORT_TABLES["agg_pull_requests"].columns if c.kind == "additive")
#: The per-day medians (kind ``quantile``): given for one day only, never combined across days.
PR_MEDIANS: tuple[str, ...] = tuple(c.name for c in REPORT_TABLES["agg_pull_requests"].columns if c.kind == "quantile")
_REPO_ATTRIBUTES = ("repo_owner_name", "repo_name", "repo_visibility")


def pr_lifecycle(
    ds: Frames,
    by: Literal["repository"] | None = None,
    every: str | None = None,
    include_private: bool = False,
    min_prs: int | None = 5,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Pull request counts per scope (and period, and repository), from the successor reports.

    ``by=None`` reads ``agg_pull_requests`` (one row per scope and day); ``by="repository"``
    reads ``repo_days`` (one row per repository and day with PR activity), keyed by ``repo_id``
    (``repo_pid`` once pseudonymized) with its owner, name and visibility when present.

    Columns: scope ids and labels, ``period_start`` with ``every``, the repository columns, every
    PR count (:data:`PR_COUNTS`: ``total_created``, ``total_merged``...) summed over the period
    (null when every value is absent), the medians (:data:`PR_MEDIANS`) and
    ``median_days`` (days of the period reporting ``median_minutes_to_merge``), then ``break``.
    A median is a median of one day's PRs: it is given only for a one-day period
    (``every="1d"``) and is null over any longer period, never averaged across days.

    ``by="repository"`` leaves out ``PRIVATE`` repositories unless ``include_private=True``, and
    counts ``pull_requests`` (the largest of created, reviewed and merged in the period): a row
    of fewer than ``min_prs`` PRs keeps its keys, its measures are null and ``suppressed`` is
    true (``min_prs=None``: suppression off, ``suppressed`` null).
    """
    check_arguments(start=start, end=end, weekdays_only=weekdays_only)
    check_every(every)
    if by not in (None, "repository"):
        raise CopilotMetricsError(
            f"pr_lifecycle: cannot group by {by!r}", column=str(by), hint="by takes None or 'repository'"
        )
    if not isinstance(include_private, bool):
        raise TypeError(f"include_private must be True or False, not {type(include_private).__name__}")
    lf = lazy(ds, "repo_days" if by else "agg_pull_requests")
    if by and not include_private:
        lf = lf.filter((pl.col("repo_visibility") != "PRIVATE").fill_null(True))
    lf, period = select(lf, as_date(start, "start"), as_date(end, "end"), weekdays_only, every)
    names = lf.collect_schema().names()
    dims = ["repo_pid" if "repo_pid" in names else "repo_id"] if by else []
    attributes = [c for c in _REPO_ATTRIBUTES if by and c in names]
    one_day = every == "1d"
    medians = [pl.when(pl.lit(one_day) & (pl.len() == 1)).then(pl.col(m).first()).alias(m) for m in PR_MEDIANS]
    out = lf.group_by(*IDS, *LABELS, *period, *dims).agg(
        *(pl.col(a).drop_nulls().first() for a in attributes),
        *(total(c) for c in PR_COUNTS),
        *medians,
        pl.col("median_minutes_to_merge").count().cast(pl.Int64).alias("median_days"),
        pl.col("date").min().alias("_lo"),
        pl.col("date").max().alias("_hi"),
    )
    measures = [*PR_COUNTS, *PR_MEDIANS, "median_days"]
    if by:
        out = out.with_columns(
            pl.max_horizontal("total_created", "total_reviewed", "total_merged").alias("pull_requests")
        )
        out = suppress(out, "pull_requests", [*measures, "pull_requests"], min_prs)
        measures = [*attributes, "pull_requests", *measures, "suppressed"]
    return finish_periods(out, every, "successor", None, [*IDS, *period, *dims], measures)
