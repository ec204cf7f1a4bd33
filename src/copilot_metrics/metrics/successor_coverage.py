"""Coverage of the successor usage-metrics reports: days with rows, known zeros, gaps (SUCCESSOR.md §5.6).

Per scope (``enterprise_id``, ``organization_id``, with their labels) and family (``aggregate``,
``users``, ``user-teams``, ``repos``), over the days from the first to the last day of any
loaded window or row:

* a day with rows is covered (``days_with_rows``);
* a day inside a loaded window without rows (``days_in_windows_without_rows``) is a **known
  zero** for the user families (no user was active: 0 users) but a **gap** for ``aggregate``
  (a report writes zero days; an absent one is missing, ``window_day_absent``);
* a day in no loaded window and without rows is **missing**: null, never 0.

``days_missing`` counts the missing days (for ``aggregate``, the window days absent too) and
``missing_ranges`` lists them as inclusive ``{start, end}`` ranges.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from copilot_metrics.merge.reports import FAMILIES

__all__ = ["REPORT_COVERAGE_SCHEMA", "report_coverage"]

_IDS = ("enterprise_id", "organization_id")
_RANGES = pl.List(pl.Struct({"start": pl.Date, "end": pl.Date}))
#: The columns of :func:`report_coverage`.
REPORT_COVERAGE_SCHEMA = pl.Schema(
    {
        "enterprise_id": pl.String(),
        "organization_id": pl.String(),
        "enterprise": pl.String(),
        "org": pl.String(),
        "family": pl.String(),
        "first_date": pl.Date(),
        "last_date": pl.Date(),
        "days_with_rows": pl.Int64(),
        "days_in_windows_without_rows": pl.Int64(),
        "days_missing": pl.Int64(),
        "missing_ranges": _RANGES,
    }
)
_RECORD_TABLES = {"aggregate": "agg_days", "users": "user_days", "user-teams": "user_teams", "repos": "repo_days"}


def report_coverage(ds: Any) -> pl.DataFrame:
    """Per scope and family of the successor reports: days with rows, days in windows without rows, missing days.

    ``ds`` is a :class:`~copilot_metrics.Dataset`; see the module docstring for the rules.
    Empty (with the columns of :data:`REPORT_COVERAGE_SCHEMA`) when no report was loaded.
    """
    rows = pl.concat(
        [
            ds.tables[table].select(*_IDS, "enterprise", "org", "date", pl.lit(family).alias("family"))
            for family, table in _RECORD_TABLES.items()
        ]
    ).unique()
    reports: pl.DataFrame = ds.reports
    grains = {grain: family for grain, family in FAMILIES.items() if family in _RECORD_TABLES}
    windows = (
        reports.filter(pl.col("grain").is_in(list(grains)))
        .select(
            *_IDS,
            pl.col("grain").replace_strict(grains, return_dtype=pl.String).alias("family"),
            pl.date_ranges("window_start", "window_end").alias("date"),
        )
        .explode("date")
        .unique()
    )
    if rows.height == 0 and windows.height == 0:
        return REPORT_COVERAGE_SCHEMA.to_frame()
    key = [*_IDS, "family"]
    labels = rows.group_by(key).agg(pl.col("enterprise").drop_nulls().first(), pl.col("org").drop_nulls().first())
    days = (
        pl.concat(
            [
                rows.select(*key, "date", pl.lit(True).alias("_row"), pl.lit(False).alias("_window")),
                windows.select(*key, "date", pl.lit(False).alias("_row"), pl.lit(True).alias("_window")),
            ]
        )
        .group_by([*key, "date"])
        .agg(pl.col("_row").any(), pl.col("_window").any())
    )
    span = days.group_by(key).agg(pl.col("date").min().alias("first_date"), pl.col("date").max().alias("last_date"))
    every = span.select(*key, pl.date_ranges("first_date", "last_date").alias("date")).explode("date")
    full = every.join(days, on=[*key, "date"], how="left", nulls_equal=True).with_columns(
        pl.col("_row", "_window").fill_null(False)
    )
    missing = ~pl.col("_row") & (~pl.col("_window") | (pl.col("family") == "aggregate"))
    full = full.with_columns(missing.alias("_missing")).sort([*key, "date"], nulls_last=False)
    starts = full.filter(pl.col("_missing")).with_columns(
        ((pl.col("date") - pl.col("date").shift(1).over(key)).dt.total_days().fill_null(2) > 1)
        .cum_sum()
        .over(key)
        .alias("_run")
    )
    ranges = starts.group_by([*key, "_run"]).agg(
        pl.struct(pl.col("date").min().alias("start"), pl.col("date").max().alias("end")).alias("r")
    )
    ranges = (
        ranges.sort([*key, "_run"], nulls_last=False)
        .group_by(key, maintain_order=True)
        .agg(pl.col("r").alias("missing_ranges"))
    )
    counts = full.group_by(key).agg(
        pl.col("_row").sum().cast(pl.Int64).alias("days_with_rows"),
        (pl.col("_window") & ~pl.col("_row")).sum().cast(pl.Int64).alias("days_in_windows_without_rows"),
        pl.col("_missing").sum().cast(pl.Int64).alias("days_missing"),
    )
    out: pl.DataFrame = (
        span.join(counts, on=key, nulls_equal=True)
        .join(labels, on=key, how="left", nulls_equal=True)
        .join(ranges, on=key, how="left", nulls_equal=True)
        .with_columns(pl.col("missing_ranges").fill_null(pl.lit([], dtype=_RANGES)).cast(_RANGES))
    )
    return out.select(REPORT_COVERAGE_SCHEMA.names()).cast(REPORT_COVERAGE_SCHEMA).sort(key, nulls_last=False)
