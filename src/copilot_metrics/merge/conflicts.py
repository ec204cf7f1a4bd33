"""Conflicts: every value a losing version of a day holds that differs from the kept version.

Every differing value of a losing version is a row of ``ds.conflicts``
(:data:`~copilot_metrics.tables.CONFLICT_SCHEMA`; a dimension row present in one version only
has column ``(row)`` and values ``present``/``absent``), naming the kept file and the most
recent file holding the losing version.  A merge recomputes the rows its versions allow
(:func:`conflict_rows`) and carries the others over, rebased on the new winners
(:func:`rebase_conflicts`).
"""

from __future__ import annotations

import polars as pl

from copilot_metrics.sidetables import conflict_columns
from copilot_metrics.tables import CONFLICT_SCHEMA, DAY_KEY, TABLES

__all__ = ["CONFLICT_ORDER", "conflict_rows", "rebase_conflicts"]

#: The order of ``ds.conflicts`` rows.
CONFLICT_ORDER = (*DAY_KEY, "table", "key", "column", "other_source", "kept_value", "other_value")


def _as_text(value: pl.Expr, column: str) -> pl.Expr:
    return value.list.join(",") if column == "shape" else value.cast(pl.String)


def conflict_rows(full: dict[str, pl.DataFrame], keep: pl.DataFrame, losers: pl.DataFrame) -> pl.DataFrame:
    """The conflict rows of the losing versions of days (see :meth:`~copilot_metrics.merge.Merger.finish`).

    ``full`` holds the stored rows of every version, labelled (``source``) by the copy storing
    them; ``keep`` the stored label (``stored_source``) and winning copy (``final_source``) of
    each day's kept version; ``losers`` the stored label (``stored_source``) and most recent
    copy (``other_source``) of each losing version.
    """
    if losers.height == 0:
        return CONFLICT_SCHEMA.to_frame()
    # the kept source of each (day, losing version), also for tables where the kept version has no row
    kept_sources = losers.select(*DAY_KEY, "other_source").join(
        keep.select(*DAY_KEY, pl.col("final_source").alias("kept_source")), on=DAY_KEY, how="left", nulls_equal=True
    )
    out = []
    for name, spec in TABLES.items():
        frame = full[name]
        if frame.height == 0:
            continue
        dims = list(spec.dimensions)
        kept = frame.join(keep, left_on=[*DAY_KEY, "source"], right_on=[*DAY_KEY, "stored_source"], nulls_equal=True)
        other = frame.join(losers, left_on=[*DAY_KEY, "source"], right_on=[*DAY_KEY, "stored_source"], nulls_equal=True)
        if other.height == 0:
            kept = kept.join(losers.select(DAY_KEY).unique(), on=DAY_KEY, how="semi", nulls_equal=True)
        kept = kept.join(losers.select(*DAY_KEY, "other_source"), on=DAY_KEY, how="inner", nulls_equal=True)
        values = [c for c in spec.schema.names() if c not in (*DAY_KEY, *dims, "source")]
        joined = kept.select(
            *DAY_KEY,
            *dims,
            "other_source",
            pl.col("final_source").alias("kept_source"),
            pl.lit(True).alias("_k"),
            *[pl.col(c).alias(f"{c}__k") for c in values],
        ).join(
            other.select(
                *DAY_KEY, *dims, "other_source", pl.lit(True).alias("_o"), *[pl.col(c).alias(f"{c}__o") for c in values]
            ),
            on=[*DAY_KEY, *dims, "other_source"],
            how="full",
            coalesce=True,
            nulls_equal=True,
        )
        joined = (
            joined.drop("kept_source")
            .join(kept_sources, on=[*DAY_KEY, "other_source"], how="left", nulls_equal=True)
            .with_columns((pl.struct(dims).struct.json_encode() if dims else pl.lit("{}")).alias("key"))
        )
        pieces = [
            joined.filter(pl.col("_k").is_null() | pl.col("_o").is_null()).select(
                conflict_columns(
                    table=name,
                    key=pl.col("key"),
                    column="(row)",
                    kept_value=pl.when(pl.col("_k")).then(pl.lit("present")).otherwise(pl.lit("absent")),
                    other_value=pl.when(pl.col("_o")).then(pl.lit("present")).otherwise(pl.lit("absent")),
                )
            )
        ]
        both = joined.filter(pl.col("_k") & pl.col("_o"))
        for column in values:
            k, o = pl.col(f"{column}__k"), pl.col(f"{column}__o")
            pieces.append(
                both.filter(k.ne_missing(o)).select(
                    conflict_columns(
                        table=name,
                        key=pl.col("key"),
                        column=column,
                        kept_value=_as_text(k, column),
                        other_value=_as_text(o, column),
                    )
                )
            )
        out.append(pl.concat(pieces))
    if not out:
        return CONFLICT_SCHEMA.to_frame()
    return pl.concat(out).select(CONFLICT_SCHEMA.names()).cast(CONFLICT_SCHEMA).sort(CONFLICT_ORDER, nulls_last=False)


def rebase_conflicts(recomputed: pl.DataFrame, carried: pl.DataFrame, winners: pl.DataFrame) -> pl.DataFrame:
    """The conflicts of a merge: those recomputed from the versions, and those carried over, once each.

    ``carried`` holds conflict rows no recorded version lets a merge recompute (a layout without
    versions), each with ``_kept``: the digest of the version kept when it was found.
    ``winners`` holds scope, ``date``, ``digest`` and ``source`` of each day's winning copy now
    (:attr:`~copilot_metrics.merge.Merger.winners`): a carried row whose kept version still wins
    names that copy as its ``kept_source``.
    """
    names = CONFLICT_SCHEMA.names()
    now = winners.select(*DAY_KEY, pl.col("digest").alias("_win"), pl.col("source").alias("_final"))
    rebased = carried.join(now, on=DAY_KEY, how="left", nulls_equal=True).with_columns(
        pl.when(pl.col("_kept") == pl.col("_win"))
        .then(pl.col("_final"))
        .otherwise(pl.col("kept_source"))
        .alias("kept_source")
    )
    return (
        pl.concat([recomputed.select(names), rebased.select(names)])
        .unique(maintain_order=True)
        .sort(CONFLICT_ORDER, nulls_last=False)
    )
