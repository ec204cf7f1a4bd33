"""Merging successor usage-metrics reports: shards unioned, the later report wins each whole day.

The unit is (scope, family, date) (SUCCESSOR.md §5.4): scope is the report's ids with the
labels given to its file, family one of ``aggregate`` (``agg_*`` but ``agg_engagement``),
``users`` (``user_*``), ``user-teams``, ``repos``, and ``engagement`` (a 28-day wrapper's
``copilot_feature_engagement``, dated by its window's end: a family of its own, so that a later
report holding that day but not the engagement of that window never replaces it).  A report
restates a whole day: rows are never merged user by user across reports (that would resurrect
users a correction removed).

1. **Shards** of one report (files with the same ``report_id``) are unioned record by record
   (a record: an aggregate day, a user-day, a (team, user)-day, a repository-day, with its
   breakdown rows): the same record with the same content in two files collapses; the same
   record with different content is a ``shard_conflict`` finding (error) and the most recent file
   (:func:`~copilot_metrics.merge.precedence.rank_sources`) supplies it.
2. **Reports** compete for each unit: the most recent wins.  Reports are ranked by their most
   recent file, and files by :func:`~copilot_metrics.merge.precedence.rank_sources`, the one
   ranking of every merge, with the report's own ``created_at`` tried right after ``fetched_at``
   (:func:`report_times`).  A losing report's unit is *identical* (same rows) or *superseded*;
   the values a superseded one holds that differ from the kept ones are ``ds.conflicts`` rows
   (keys by id, ``user_login`` never compared).  Nothing depends on the order files were read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from copilot_metrics.merge.conflicts import CONFLICT_ORDER
from copilot_metrics.successor.registry import (
    DRIFT_SCHEMA,
    LOGIN_SCHEMA,
    MERGED_REPORT_SCHEMA,
    RECORD_IDS,
    TABLES,
    ReportTable,
)
from copilot_metrics.tables import CONFLICT_SCHEMA, FINDING_SCHEMA

if TYPE_CHECKING:
    from copilot_metrics.successor.read import ReportRead

__all__ = [
    "FAMILIES",
    "MERGED_REPORT_SCHEMA",
    "MergedReports",
    "family_of",
    "merge_reports",
    "report_times",
    "schema_drift",
    "user_logins",
]

#: The family of each record grain (the ``wrapper`` grain is ``agg_engagement``'s).
FAMILIES: dict[str, str] = {
    "aggregate": "aggregate",
    "user": "users",
    "user_team": "user-teams",
    "repo": "repos",
    "wrapper": "engagement",
}
_UNIT = ("enterprise_id", "organization_id", "enterprise", "org", "date")
#: Columns never compared between versions: where a row came from, and logins (ids, never logins).
_NOT_CONTENT = ("source", "report_id")
_NOT_COMPARED = ("source", "report_id", "user_login")

_COUNTS = pl.Schema(
    {"source": pl.String(), "days_kept": pl.Int64(), "days_identical": pl.Int64(), "days_superseded": pl.Int64()}
)


def family_of(table: str) -> str:
    """The merge family of successor table ``table``.

    >>> family_of("agg_ide"), family_of("user_clients"), family_of("agg_engagement")
    ('aggregate', 'users', 'engagement')
    """
    return FAMILIES[TABLES[table].grain]


@dataclass
class MergedReports:
    """What :func:`merge_reports` returns: the merged tables and the side tables' rows."""

    tables: dict[str, pl.DataFrame]
    reports: pl.DataFrame
    conflicts: pl.DataFrame
    findings: pl.DataFrame
    counts: pl.DataFrame  # per file: days_kept, days_identical, days_superseded


def report_times(sources: pl.DataFrame, reports: pl.DataFrame, fetched_at: Mapping[str, Any] | None) -> pl.DataFrame:
    """``sources`` with ``export_time``/``precedence_basis`` set from ``created_at`` for report files.

    :func:`~copilot_metrics.merge.precedence.rank_sources` keeps the export times a row has
    unless ``fetched_at`` names its file: so ``fetched_at`` comes first, then a report's own
    ``created_at`` (the latest of a file's reports), then the file-name rules.  Other rows get
    null times (ranked as before).
    """
    created = (
        reports.filter(pl.col("created_at").is_not_null())
        .group_by("source")
        .agg(pl.col("created_at").max())
        .select("source", pl.col("created_at").dt.replace_time_zone(None).dt.cast_time_unit("us").alias("_c"))
    )
    named = list(fetched_at or {})
    out = sources.join(created, on="source", how="left")
    use = pl.col("_c").is_not_null() & ~pl.col("source").is_in(named)
    return out.with_columns(
        pl.when(use).then(pl.col("_c")).otherwise(None).alias("export_time"),
        pl.when(use).then(pl.lit("created_at")).otherwise(None).alias("precedence_basis"),
    ).drop("_c")


def _record_key(spec: ReportTable) -> list[str]:
    """Scope, date and the record ids (their pseudonyms in a pseudonymized form) of ``spec``'s rows."""
    return list(spec.key[: len(_UNIT) + len(RECORD_IDS[spec.grain])])


def _content_hash(frame: pl.DataFrame) -> pl.Expr:
    columns = [c for c in frame.columns if c not in _NOT_CONTENT]
    return pl.struct(columns).hash(seed=7)


def merge_reports(
    parts: Sequence[tuple[str, dict[str, str | None], ReportRead]],
    ranked: pl.DataFrame,
    specs: Mapping[str, ReportTable] = TABLES,
) -> MergedReports:
    """Merge the successor reports of a load.

    ``parts`` are ``(file label, scope labels, ReportRead)`` of every report file read, in any
    order; ``ranked`` is ``ds.sources`` ranked (``source``, ``rank``, ``export_time``,
    ``precedence_basis``).  ``specs``: the tables' form (a pseudonymized one,
    :func:`~copilot_metrics.successor.registry.report_tables`, keys user rows by ``user_pid``).
    """
    rank = ranked.select("source", pl.col("rank").alias("_rank"))
    tables = {
        name: pl.concat([p[2].tables[name] for p in parts]) if parts else specs[name].schema.to_frame()
        for name in specs
    }
    # every row's record and content: which file and report it came from
    longs = []
    for name, frame in tables.items():
        if frame.height == 0:
            continue
        longs.append(
            frame.select(
                *_UNIT,
                pl.lit(family_of(name)).alias("family"),
                pl.concat_str(
                    [pl.col(c).cast(pl.String).fill_null("") for c in _record_key(specs[name])[5:]] or [pl.lit("")],
                    separator="|",
                ).alias("_rec"),
                "report_id",
                "source",
                pl.format("{}:{}", pl.lit(name), _content_hash(frame)).alias("_h"),
            )
        )
    unit_cols = [*_UNIT, "family"]
    if not longs:
        return _empty(tables)
    rows = pl.concat(longs).join(rank, on="source", how="left")
    # 1. records of one report, unioned across its files
    records = rows.group_by([*unit_cols, "_rec", "report_id", "source"]).agg(
        pl.col("_h").sort().str.join(",").alias("_rd"), pl.col("_rank").first()
    )
    per_report = (
        records.sort("_rank", "source", descending=True)
        .group_by([*unit_cols, "_rec", "report_id"], maintain_order=True)
        .agg(
            pl.col("source").first().alias("_chosen"),
            pl.col("_rd").first(),
            pl.col("_rd").n_unique().alias("_n"),
            pl.col("source").alias("_files"),
        )
    )
    shard_findings = _shard_conflicts(per_report.filter(pl.col("_n") > 1))
    # 2. reports compete for each unit
    report_rank = records.group_by("report_id").agg(pl.col("_rank").max().alias("_rrank"))
    units = (
        per_report.group_by([*unit_cols, "report_id"])
        .agg(pl.col("_rd").sort().str.join(";").alias("_ud"))
        .join(report_rank, on="report_id")
    )
    units = units.sort("_rrank", "report_id", descending=True).with_columns(
        (pl.int_range(pl.len()).over(unit_cols) + 1).alias("_place")
    )
    winners = units.filter(pl.col("_place") == 1).select(*unit_cols, "report_id", pl.col("_ud").alias("_wud"))
    units = units.join(winners.drop("report_id"), on=unit_cols, nulls_equal=True).with_columns(
        pl.when(pl.col("_place") == 1)
        .then(pl.lit("kept"))
        .when(pl.col("_ud") == pl.col("_wud"))
        .then(pl.lit("identical"))
        .otherwise(pl.lit("superseded"))
        .alias("_status")
    )
    chosen = per_report.join(
        winners.select(*unit_cols, "report_id"), on=[*unit_cols, "report_id"], nulls_equal=True
    ).select(*unit_cols, "_rec", "report_id", pl.col("_chosen").alias("source"))
    merged = {name: _keep(specs[name], frame, chosen) for name, frame in tables.items()}
    losers = units.filter(pl.col("_status") == "superseded").select(*unit_cols, "report_id")
    loser_rows = per_report.join(losers, on=[*unit_cols, "report_id"], nulls_equal=True).select(
        *unit_cols, "_rec", "report_id", pl.col("_chosen").alias("source")
    )
    conflicts = _conflicts(tables, merged, loser_rows, specs)
    status = units.select(*unit_cols, "report_id", "_status")
    return MergedReports(
        tables=merged,
        reports=_reports(parts, ranked, status, records),
        conflicts=conflicts,
        findings=shard_findings,
        counts=_file_counts(records, status),
    )


def _empty(tables: dict[str, pl.DataFrame]) -> MergedReports:
    return MergedReports(
        tables,
        MERGED_REPORT_SCHEMA.to_frame(),
        CONFLICT_SCHEMA.to_frame(),
        FINDING_SCHEMA.to_frame(),
        _COUNTS.to_frame(),
    )


def _keep(spec: ReportTable, frame: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` from the chosen file of each record of each unit's winning report, sorted by key."""
    if frame.height == 0:
        return frame
    keyed = frame.with_columns(
        pl.lit(family_of(spec.name)).alias("family"),
        pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("") for c in _record_key(spec)[5:]] or [pl.lit("")], separator="|"
        ).alias("_rec"),
    )
    kept = keyed.join(chosen, on=[*_UNIT, "family", "_rec", "report_id", "source"], how="semi", nulls_equal=True)
    return kept.drop("family", "_rec").sort(list(spec.key), nulls_last=False, maintain_order=True)


def _key_json(spec: ReportTable) -> pl.Expr:
    ids = [c for c in spec.key if c not in ("enterprise", "org", "date")]
    return pl.struct(ids).struct.json_encode()


def _as_text(column: str, side: str) -> pl.Expr:
    """Side ``side`` (``k``: kept, ``o``: other) of ``column`` as text: ``shape`` (a list) joined by commas."""
    value = pl.col(f"{column}__{side}")
    return value.list.join(",") if column == "shape" else value.cast(pl.String)


def _conflicts(
    tables: dict[str, pl.DataFrame],
    merged: dict[str, pl.DataFrame],
    losers: pl.DataFrame,
    specs: Mapping[str, ReportTable],
) -> pl.DataFrame:
    """Every value a superseded report's rows hold that differs from the kept rows (``(row)`` for a row in one only)."""
    if losers.height == 0:
        return CONFLICT_SCHEMA.to_frame()
    unit_cols = [*_UNIT, "family"]
    out = [CONFLICT_SCHEMA.to_frame()]
    for name, frame in tables.items():
        family = family_of(name)
        mine = losers.filter(pl.col("family") == family)
        if frame.height == 0 or mine.height == 0:
            continue
        key = list(specs[name].key)
        keyed = frame.with_columns(
            pl.concat_str(
                [pl.col(c).cast(pl.String).fill_null("") for c in _record_key(specs[name])[5:]] or [pl.lit("")],
                separator="|",
            ).alias("_rec"),
            pl.lit(family).alias("family"),
        )
        other = keyed.join(mine, on=[*unit_cols, "_rec", "report_id", "source"], how="semi", nulls_equal=True)
        units = mine.select(*_UNIT).unique()
        kept = merged[name].join(units, on=list(_UNIT), how="semi", nulls_equal=True)
        values = [c for c in frame.columns if c not in (*key, *_NOT_COMPARED)]
        joined = kept.select(
            *key,
            pl.col("source").alias("kept_source"),
            pl.lit(True).alias("_k"),
            *[pl.col(c).alias(f"{c}__k") for c in values],
        ).join(
            other.select(
                *key,
                pl.col("source").alias("other_source"),
                pl.lit(True).alias("_o"),
                *[pl.col(c).alias(f"{c}__o") for c in values],
            ),
            on=key,
            how="full",
            coalesce=True,
            nulls_equal=True,
        )
        # a row only one side holds: its unit's other side names the file
        joined = joined.with_columns(
            pl.col("kept_source").fill_null(pl.col("kept_source").drop_nulls().first().over(list(_UNIT))),
            pl.col("other_source").fill_null(pl.col("other_source").drop_nulls().first().over(list(_UNIT))),
        ).join(units, on=list(_UNIT), how="semi", nulls_equal=True)
        common = [
            pl.col("enterprise"),
            pl.col("org"),
            pl.lit(None, pl.String).alias("team"),
            pl.col("date"),
            pl.lit(name).alias("table"),
            _key_json(specs[name]).alias("key"),
        ]
        pieces = [
            joined.filter(pl.col("_k").is_null() | pl.col("_o").is_null()).select(
                *common,
                pl.lit("(row)").alias("column"),
                pl.when(pl.col("_k")).then(pl.lit("present")).otherwise(pl.lit("absent")).alias("kept_value"),
                pl.when(pl.col("_o")).then(pl.lit("present")).otherwise(pl.lit("absent")).alias("other_value"),
                "kept_source",
                "other_source",
            )
        ]
        both = joined.filter(pl.col("_k") & pl.col("_o"))
        for column in values:
            k, o = pl.col(f"{column}__k"), pl.col(f"{column}__o")
            pieces.append(
                both.filter(k.ne_missing(o)).select(
                    *common,
                    pl.lit(column).alias("column"),
                    _as_text(column, "k").alias("kept_value"),
                    _as_text(column, "o").alias("other_value"),
                    "kept_source",
                    "other_source",
                )
            )
        out.append(pl.concat(pieces).cast(CONFLICT_SCHEMA))
    return pl.concat(out).sort(list(CONFLICT_ORDER), nulls_last=False)


def _shard_conflicts(clashing: pl.DataFrame) -> pl.DataFrame:
    """One ``shard_conflict`` finding (error) per record two files of one report hold with different content."""
    if clashing.height == 0:
        return FINDING_SCHEMA.to_frame()
    from copilot_metrics.findings import RULES

    severity = RULES["shard_conflict"][0]
    return clashing.select(
        pl.col("_chosen").alias("source"),
        "enterprise",
        "org",
        pl.lit(None, pl.String).alias("team"),
        "date",
        pl.col("family").alias("table"),
        pl.lit(None, pl.String).alias("json_path"),
        pl.lit("shard_conflict").alias("rule"),
        pl.lit(severity).alias("severity"),
        pl.format(
            "{}: report {} holds record {} of {} on {} with different content in its files {}: the most "
            "recent file's is kept",
            pl.col("_chosen"),
            "report_id",
            "_rec",
            "family",
            "date",
            pl.col("_files").list.sort().list.join(", "),
        ).alias("message"),
        pl.col("report_id").alias("value"),
    ).cast(FINDING_SCHEMA)


def _status_counts() -> list[pl.Expr]:
    return [
        (pl.col("_status") == s).sum().cast(pl.Int64).alias(f"days_{s}") for s in ("kept", "identical", "superseded")
    ]


def _file_counts(records: pl.DataFrame, status: pl.DataFrame) -> pl.DataFrame:
    """Per report file: the units (scope, family, date) it holds that were kept, identical, superseded."""
    unit_cols = [*_UNIT, "family"]
    held = (
        records.select(*unit_cols, "report_id", "source")
        .unique()
        .join(status, on=[*unit_cols, "report_id"], nulls_equal=True)
    )
    return held.group_by("source").agg(*_status_counts()).select(_COUNTS.names()).cast(_COUNTS)


def _reports(
    parts: Sequence[tuple[str, dict[str, str | None], ReportRead]],
    ranked: pl.DataFrame,
    status: pl.DataFrame,
    records: pl.DataFrame,
) -> pl.DataFrame:
    """``ds.reports``: one row per report, its shards brought together, with its precedence and counts."""
    rows = pl.concat([p[2].reports for p in parts]).sort("source")
    files = ranked.select("source", "export_time", "precedence_basis", "rank")
    rows = rows.join(files, on="source", how="left")
    merged = rows.group_by("report_id", maintain_order=True).agg(
        *[
            pl.col(c).first()
            for c in (
                "kind",
                "level",
                "grain",
                "span",
                "layout",
                "enterprise_id",
                "organization_id",
                "window_start",
                "window_end",
                "created_at",
                "created_at_raw",
                "days_in_window",
            )
        ],
        pl.col("source").first(),
        pl.col("source").unique().sort().alias("shard_sources"),
        pl.col("source").n_unique().cast(pl.Int64).alias("shards"),
        pl.col("records").sum(),
        pl.col("first_date").min(),
        pl.col("last_date").max(),
        pl.col("wrappers_json").list.explode(keep_nulls=False, empty_as_null=False),
        pl.col("wrapper_days").list.explode(keep_nulls=False, empty_as_null=False),
        pl.col("export_time").sort_by("rank").last(),
        pl.col("precedence_basis").sort_by("rank").last(),
        pl.col("rank").max(),
    )
    present = (
        records.filter(pl.col("family") != "engagement")
        .select("report_id", "date")
        .unique()
        .join(merged.select("report_id", "window_start", "window_end"), on="report_id")
    )
    days = present.group_by("report_id").agg(
        pl.len().cast(pl.Int64).alias("days_present"),
        pl.col("date").is_between(pl.col("window_start"), pl.col("window_end")).sum().cast(pl.Int64).alias("_in"),
    )
    counts = status.group_by("report_id").agg(*_status_counts())
    out = (
        merged.join(days, on="report_id", how="left")
        .join(counts, on="report_id", how="left")
        .with_columns(
            pl.col("days_present").fill_null(0),
            (pl.col("days_in_window") - pl.col("_in").fill_null(0)).alias("days_absent"),
            pl.col("days_kept", "days_identical", "days_superseded").fill_null(0),
        )
    )
    return (
        out.select(MERGED_REPORT_SCHEMA.names())
        .cast(MERGED_REPORT_SCHEMA)
        .sort("kind", "enterprise_id", "organization_id", "window_start", "created_at", "report_id", nulls_last=False)
    )


def schema_drift(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """The ``schema_drift`` rows of every file, one per (grain, path, type), ordered by ``first_date``."""
    frames = [p for p in parts if p.height]
    if not frames:
        return DRIFT_SCHEMA.to_frame()
    return (
        pl.concat(frames)
        .group_by("grain", "path", "example_type")
        .agg(
            pl.col("first_date").min(),
            pl.col("last_date").max(),
            pl.col("files").sum(),
            pl.col("records").sum(),
            pl.col("status").sort().first(),
        )
        .select(DRIFT_SCHEMA.names())
        .cast(DRIFT_SCHEMA)
        .sort("first_date", "grain", "path", "example_type", nulls_last=True)
    )


def user_logins(user_days: pl.DataFrame) -> pl.DataFrame:
    """``user_logins``: one row per (``user_id``, ``user_login``) of the merged ``user_days``."""
    return (
        user_days.filter(pl.col("user_login").is_not_null())
        .group_by("user_id", "user_login")
        .agg(
            pl.col("date").min().alias("first_date"),
            pl.col("date").max().alias("last_date"),
            pl.len().cast(pl.Int64).alias("rows"),
        )
        .select(LOGIN_SCHEMA.names())
        .cast(LOGIN_SCHEMA)
        .sort("user_id", "first_date", "user_login")
    )
