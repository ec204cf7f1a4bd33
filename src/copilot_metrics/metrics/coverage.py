"""Coverage: the days each scope holds, and the gaps between them."""

from __future__ import annotations

from typing import Any

import polars as pl

from copilot_metrics.tables import SCOPE

__all__ = ["coverage"]


def coverage(ds: Any) -> pl.DataFrame:
    """Per scope: first and last date, days present, days missing, and the missing ranges.

    Missing days are gaps, not zeros: the metrics never count them as zero.

    Columns: ``enterprise``, ``org``, ``team``, ``first_date``, ``last_date``, ``days_present``,
    ``days_missing``, ``missing_ranges`` (a list of ``{start, end}`` structs, inclusive).

    A dataset holding successor usage-metrics reports gets one more row per scope and family of
    the reports (:func:`~copilot_metrics.metrics.successor_coverage.report_coverage`, SUCCESSOR.md
    §5.6: a users-window day with no rows is a known zero, 0 users; an aggregate window day
    absent is a gap; a day in no window is missing), and the columns ``family`` (``legacy`` on
    the legacy rows), ``enterprise_id``, ``organization_id``, ``days_with_rows`` and
    ``days_in_windows_without_rows`` (``days_present`` is ``days_with_rows``).
    """
    if hasattr(ds, "reports") and ds.reports.height:
        return _with_reports(_legacy(ds.days), ds)
    return _legacy(ds.days if hasattr(ds, "days") else ds)


def _with_reports(legacy: pl.DataFrame, ds: Any) -> pl.DataFrame:
    from copilot_metrics.metrics.successor_coverage import report_coverage

    reported = report_coverage(ds).with_columns(
        pl.lit(None, pl.String).alias("team"), pl.col("days_with_rows").alias("days_present")
    )
    legacy = legacy.with_columns(
        pl.lit("legacy").alias("family"),
        pl.lit(None, pl.String).alias("enterprise_id"),
        pl.lit(None, pl.String).alias("organization_id"),
        pl.col("days_present").alias("days_with_rows"),
        pl.lit(0, pl.Int64).alias("days_in_windows_without_rows"),
    )
    columns = [
        *SCOPE,
        "family",
        "enterprise_id",
        "organization_id",
        "first_date",
        "last_date",
        "days_present",
        "days_with_rows",
        "days_in_windows_without_rows",
        "days_missing",
        "missing_ranges",
    ]
    return pl.concat([legacy.select(columns), reported.select(columns)])


def _legacy(days: pl.DataFrame) -> pl.DataFrame:
    present = days.select(*SCOPE, "date").unique().sort([*SCOPE, "date"], nulls_last=False)
    gaps = (
        present.with_columns(pl.col("date").shift(1).over(SCOPE).alias("prev"))
        .filter((pl.col("date") - pl.col("prev")).dt.total_days() > 1)
        .select(
            *SCOPE,
            pl.struct(
                (pl.col("prev") + pl.duration(days=1)).alias("start"),
                (pl.col("date") - pl.duration(days=1)).alias("end"),
            ).alias("gap"),
        )
        .group_by(SCOPE, maintain_order=True)
        .agg(pl.col("gap").alias("missing_ranges"))
    )
    summary = present.group_by(SCOPE, maintain_order=True).agg(
        pl.col("date").min().alias("first_date"),
        pl.col("date").max().alias("last_date"),
        pl.len().cast(pl.Int64).alias("days_present"),
    )
    range_type = pl.List(pl.Struct({"start": pl.Date, "end": pl.Date}))
    return (
        summary.join(gaps, on=SCOPE, how="left", nulls_equal=True)
        .with_columns(
            ((pl.col("last_date") - pl.col("first_date")).dt.total_days() + 1 - pl.col("days_present"))
            .cast(pl.Int64)
            .alias("days_missing"),
            pl.col("missing_ranges").fill_null(pl.lit([], dtype=range_type)).cast(range_type),
        )
        .select(*SCOPE, "first_date", "last_date", "days_present", "days_missing", "missing_ranges")
        .sort(SCOPE, nulls_last=False)
    )
