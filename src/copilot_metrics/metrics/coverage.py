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
    """
    days: pl.DataFrame = ds.days if hasattr(ds, "days") else ds
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
            .cast(pl.Int64).alias("days_missing"),
            pl.col("missing_ranges").fill_null(pl.lit([], dtype=range_type)).cast(range_type),
        )
        .select(*SCOPE, "first_date", "last_date", "days_present", "days_missing", "missing_ranges")
        .sort(SCOPE, nulls_last=False)
    )
