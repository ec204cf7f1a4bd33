"""Missing is never zero: which days report a count, known zeros, sums over the days reporting both.

The rules are in the :mod:`copilot_metrics.metrics` docstring ("Missing is never zero").
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from copilot_metrics.metrics._selection import keys_of
from copilot_metrics.metrics.columns import ratio
from copilot_metrics.tables import BLOCKS, FEATURES, TABLES, TableSpec

__all__ = [
    "ENGAGED",
    "Feature",
    "array_reported",
    "block_present",
    "distinct_stats",
    "feature_of",
    "known_zero_events",
    "paired_sums",
    "shape_has",
    "sum_present",
    "unreported_below",
]


@dataclass(frozen=True)
class Feature:
    block: str
    leaf: str
    dims: tuple[str, ...]
    sums: tuple[str, ...]
    days_column: str
    # dimension set -> table holding the distinct engaged users at exactly that grain
    distinct: Mapping[frozenset[str], str]


def feature_of(name: str) -> Feature:
    """What the metrics need of a feature, derived from its declaration (:data:`tables.FEATURES`).

    Its tables are those under its block; the leaf's dimensions are the slices, its event counts
    (integer measures not counting users) are summed, and each table counts the distinct engaged
    users at exactly its own grain (``days`` at the feature's).
    """
    feature = FEATURES[name]
    leaf = TABLES[feature.leaf]
    events = tuple(m for m, dtype in leaf.measures.items() if dtype == pl.Int64() and not m.endswith("_users"))
    return Feature(feature.block, leaf.name, leaf.dimensions, events, feature.users_column, feature.distinct_by_grain)


def shape_has(*entries: str) -> pl.Expr:
    """The row's ``shape`` holds one of ``entries`` (``"key:absent"``, ``"key:null"``); False when null."""
    shape = pl.col("shape")
    return pl.any_horizontal(shape.list.contains(pl.lit(e)) for e in entries).fill_null(False)


def block_present(block: str) -> pl.Expr:
    """The day's feature ``block`` is an object (not ``null``, not missing)."""
    return ~shape_has(f"{block}:null", f"{block}:absent")


def array_reported(array: str) -> pl.Expr:
    """The day reports every slice of the array ``"<block>.<key>"`` (an expression on ``days``).

    The block is an object (not ``null``, not missing) and either holds the array (even empty: a
    name absent from it had 0) or lacks it while reporting 0 engaged users (how the API writes a
    feature nobody used that day: every slice below it had 0 users and 0 events).
    """
    block = array.split(".", 1)[0]
    known_zero = pl.col(BLOCKS[block]).eq_missing(0)
    return block_present(block) & (~shape_has(f"{array}:absent") | known_zero)


def unreported_below(child: TableSpec) -> pl.Expr:
    """A row of ``child``'s parent table leaves ``child``'s slices unreported that day.

    It lacks the child array while reporting engaged users (or no count): a parent reporting 0
    engaged users without the array had 0 in every slice below it.
    """
    return shape_has(f"{child.array}:absent") & ~pl.col("total_engaged_users").eq_missing(0)


def sum_present(values: pl.Expr, kept: pl.Expr | None = None) -> pl.Expr:
    """Σ of the values present (of the ``kept`` rows); null when no (kept) row holds a value."""
    if kept is not None:
        values = values.filter(kept)
    return pl.when(values.is_not_null().any()).then(values.sum()).cast(pl.Int64)


ENGAGED: dict[str, pl.DataType] = {
    "engaged_user_days": pl.Int64(),
    "engaged_users_mean": pl.Float64(),
    "engaged_users_peak": pl.Int64(),
    "engaged_users_days_reported": pl.Int64(),
    "engaged_users_days_unreported": pl.Int64(),
}


def distinct_stats(
    days: pl.LazyFrame,
    select: Callable[[str], pl.LazyFrame],
    feature: Feature,
    table: str,
    keys: list[str],
    every: str | None,
) -> tuple[pl.LazyFrame, Callable[[pl.LazyFrame], pl.LazyFrame]]:
    """The slices having a row of ``table``, and a step adding the engaged-user columns to slices.

    A slice reports its count on a day when the array that would hold it is reported that day
    (the top array present in ``days.shape``, or absent under a block reporting 0 users; each
    parent row's child array present in its ``shape``, or absent under a parent reporting 0
    users) and the slice's count is not null; a name absent from a reported array counts 0 that
    day. No loop: the reported days are the days reporting the top array, minus the days a
    parent of the slice leaves its child array unreported, minus the days the slice's count is
    null (three disjoint sets).
    """
    period = keys_of(every)
    if table == "days":
        present = block_present(feature.block)
        rows = days.filter(present).select(*period, "date", pl.col(feature.days_column).alias("_users"))
        breaks: list[tuple[list[str], pl.LazyFrame]] = []
    else:
        chain = TABLES[table].lineage
        present = array_reported(str(chain[0].array))
        rows = select(table).select(*keys, "date", pl.col("total_engaged_users").alias("_users"))
        breaks = [
            (
                [*period, *parent.dimensions],
                select(parent.name)
                .filter(unreported_below(child))
                .group_by([*period, *parent.dimensions])
                .agg(pl.col("date").n_unique().cast(pl.Int64).alias(f"_broken{i}")),
            )
            for i, (parent, child) in enumerate(itertools.pairwise(chain))
        ]
    per_period = days.group_by(period).agg(
        pl.len().cast(pl.Int64).alias("_days"), present.sum().cast(pl.Int64).alias("_present")
    )
    # one value per slice and day: aliases merged by normalize_languages take the larger count
    daily = rows.group_by([*keys, "date"]).agg(pl.col("_users").max())
    per_slice = daily.group_by(keys).agg(
        pl.col("_users").sum().cast(pl.Int64).alias("_sum"),
        pl.col("_users").max().cast(pl.Int64).alias("_max"),
        pl.col("_users").null_count().cast(pl.Int64).alias("_unset"),
        pl.col("_users").count().cast(pl.Int64).alias("_values"),
    )

    def add(slices: pl.LazyFrame) -> pl.LazyFrame:
        out = slices.join(per_slice, on=keys, how="left", nulls_equal=True).join(
            per_period, on=period, how="left", nulls_equal=True
        )
        for on, broken in breaks:
            out = out.join(broken, on=on, how="left", nulls_equal=True)
        reported = pl.col("engaged_users_days_reported")
        lost = [pl.col(f"_broken{i}").fill_null(0) for i in range(len(breaks))]
        return (
            out.with_columns(
                (pl.col("_present").fill_null(0) - pl.col("_unset").fill_null(0) - pl.sum_horizontal(0, *lost))
                .cast(pl.Int64)
                .alias("engaged_users_days_reported"),
            )
            .with_columns(
                (pl.col("_days").fill_null(0) - reported).cast(pl.Int64).alias("engaged_users_days_unreported"),
                pl.when(reported > 0).then(pl.col("_sum").fill_null(0)).cast(pl.Int64).alias("engaged_user_days"),
                # a reported day without a row is a day with 0 users: it counts in the peak
                pl.when(reported > pl.col("_values").fill_null(0))
                .then(pl.max_horizontal("_max", pl.lit(0, pl.Int64)))
                .otherwise(pl.col("_max"))
                .cast(pl.Int64)
                .alias("engaged_users_peak"),
            )
            .with_columns(
                ratio(pl.col("engaged_user_days"), reported).alias("engaged_users_mean"),
            )
            .drop(
                "_sum", "_max", "_unset", "_values", "_days", "_present", *(f"_broken{i}" for i in range(len(breaks)))
            )
        )

    return daily, add


def paired_sums(numerator: pl.Expr, denominator: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Σ numerator and Σ denominator over the rows (days) holding both; null over no such row."""
    both = numerator.is_not_null() & denominator.is_not_null()
    return (
        pl.when(both.any()).then(numerator.filter(both).sum()),
        pl.when(both.any()).then(denominator.filter(both).sum()),
    )


def known_zero_events(
    out: pl.LazyFrame,
    days: pl.LazyFrame,
    select: Callable[[str], pl.LazyFrame],
    feature: Feature,
    dims: tuple[str, ...],
    keys: list[str],
    every: str | None,
) -> pl.LazyFrame:
    """Give 0 events to the slices without a leaf row in the period that a day of it reports.

    A slice (``out`` row) whose period holds no leaf row has null event sums, unless some day of
    the period reports every leaf row of the slice: the top array of the leaf's chain is reported
    that day (:func:`array_reported`) and no parent row of the slice lacks its child array while
    reporting users (:func:`unreported_below`; a parent that does not share the slice's
    dimensions, such as an editor for a language, leaves every slice of that day unreported).
    Such a day says the slice had no event, so its sums are 0, not null.
    """
    period = keys_of(every)
    chain = TABLES[feature.leaf].lineage
    candidates = (
        out.filter(pl.col("_rows").is_null())
        .select(keys)
        .join(
            days.filter(array_reported(str(chain[0].array))).select(*period, "date"),
            on=period,
            how="inner",
            nulls_equal=True,
        )
    )
    for parent, child in itertools.pairwise(chain):
        shared = [d for d in parent.dimensions if d in dims]
        unreported = select(parent.name).filter(unreported_below(child)).select(*period, "date", *shared).unique()
        candidates = candidates.join(unreported, on=[*period, "date", *shared], how="anti", nulls_equal=True)
    reporting = candidates.group_by(keys).agg(pl.len().alias("_zero_days"))
    known_zero = pl.col("_rows").is_null() & pl.col("_zero_days").is_not_null()
    return (
        out.join(reporting, on=keys, how="left", nulls_equal=True)
        .with_columns(pl.when(known_zero).then(pl.lit(0, pl.Int64)).otherwise(pl.col(c)).alias(c) for c in feature.sums)
        .drop("_rows", "_zero_days")
    )
