"""Merging overlapping exports into one history: precedence, identical repeats, conflicts, gaps.

An archive holds the same day many times (daily or weekly exports of a 28- or 100-day window),
sometimes with different numbers (GitHub corrected late data).  :class:`Merger` keeps, for each
(scope, date), one copy of every *distinct* version of the day as files are read (identical
repeats are dropped at once, so memory grows with distinct days, not with files), and at the end
keeps the version of the most recent export.

Precedence (most recent export wins), per file, in order:

1. ``fetched_at[path]`` given by the user (a ``datetime`` or ISO string);
2. a timestamp in the file name (:data:`FILENAME_PATTERNS`: ``2025-05-06``,
   ``2025-05-06T10:30:00``, ``2025-05-06_103000``, ``20250506``, ``20250506T103000``,
   ``20250506-103000``; the last one in the name counts);
3. the file's last date plus one day (a later window is a later export);

then the file's modification time, and last the file's path (lexicographic, larger wins), so
the winner never depends on the order files were read, and any engine sorting by
``(export_time, mtime, source)`` picks the same one.  A ``precedence`` key function over a
``ds.sources`` row overrides all of this.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any

import polars as pl

from copilot_metrics.tables import SCOPE, TABLES

__all__ = [
    "CONFLICT_SCHEMA",
    "FILENAME_PATTERNS",
    "Merger",
    "coverage",
    "export_time",
]

_KEY = [*SCOPE, "date"]

#: Timestamps recognised in file names, tried in order; the last match in the name counts.
FILENAME_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
        r"(?:[T_ ](?P<H>\d{2})[:\-]?(?P<M>\d{2})(?:[:\-]?(?P<S>\d{2}))?)?(?!\d)"
    ),
    re.compile(r"(?<!\d)(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:[T_\-](?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?(?!\d)"),
)

#: Columns of ``ds.conflicts``: one row per differing value between two versions of a day.
CONFLICT_SCHEMA = pl.Schema(
    {
        "enterprise": pl.String(),
        "org": pl.String(),
        "team": pl.String(),
        "date": pl.Date(),
        "table": pl.String(),
        "key": pl.String(),
        "column": pl.String(),
        "kept_value": pl.String(),
        "other_value": pl.String(),
        "kept_source": pl.String(),
        "other_source": pl.String(),
    }
)


def _timestamp_in_name(name: str) -> dt.datetime | None:
    for pattern in FILENAME_PATTERNS:
        matches = list(pattern.finditer(name))
        for match in reversed(matches):
            parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
            try:
                return dt.datetime(
                    parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0), parts.get("S", 0)
                )
            except ValueError:
                continue
    return None


def export_time(
    source: str, last_date: dt.date | None, fetched_at: Mapping[str, Any] | None = None
) -> tuple[dt.datetime | None, str]:
    """When a file was exported, and on what basis (``fetched_at``, ``file name``, ``last date``).

    >>> export_time("exports/copilot-2025-05-06.json", None)
    (datetime.datetime(2025, 5, 6, 0, 0), 'file name')
    """
    if fetched_at and source in fetched_at:
        value = fetched_at[source]
        stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if isinstance(stamp, dt.datetime) and stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return stamp, "fetched_at"
    stamp = _timestamp_in_name(PurePath(source).name)
    if stamp is not None:
        return stamp, "file name"
    if last_date is not None:
        return dt.datetime.combine(last_date + dt.timedelta(days=1), dt.time()), "last date"
    return None, "none"


def rank_sources(
    sources: pl.DataFrame,
    fetched_at: Mapping[str, Any] | None = None,
    precedence: Callable[[dict[str, Any]], Any] | None = None,
) -> pl.DataFrame:
    """Add ``export_time``, ``precedence_basis`` and ``rank`` (higher wins) to a sources frame."""
    rows = sources.select("source", "last_date", "mtime").to_dicts()
    times, bases, custom = [], [], []
    for row in rows:
        stamp, basis = export_time(row["source"], row["last_date"], fetched_at)
        times.append(stamp)
        bases.append(basis)
    out = sources.with_columns(
        pl.Series("export_time", times, dtype=pl.Datetime("us")),
        pl.Series("precedence_basis", bases, dtype=pl.String),
    )
    if precedence is not None:
        custom = [precedence(row) for row in out.to_dicts()]
        order = sorted(range(len(custom)), key=lambda i: (custom[i], rows[i]["source"]))
        return out.with_columns(pl.Series("rank", [order.index(i) for i in range(len(custom))], dtype=pl.Int64))
    return out.with_columns(
        pl.struct(
            pl.col("export_time").fill_null(dt.datetime(1970, 1, 1)),
            pl.col("mtime").fill_null(0.0),
            pl.col("source"),
        )
        .rank("dense")
        .cast(pl.Int64)
        .alias("rank")
    )


def day_digests(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per (scope, date): a hash of everything the day holds, sources aside."""
    digests: pl.DataFrame | None = None
    for name, frame in tables.items():
        columns = [c for c in frame.columns if c != "source"]
        per_day = (
            frame.group_by(_KEY, maintain_order=True)
            .agg(pl.struct(columns).hash().alias("h"))
            .select(*_KEY, pl.col("h").hash().alias(name))
        )
        digests = per_day if digests is None else digests.join(per_day, on=_KEY, how="left", nulls_equal=True)
    assert digests is not None
    names = list(tables)
    return digests.select(*_KEY, pl.struct(pl.col(names).fill_null(0)).hash().alias("digest"))


class Merger:
    """Accumulates files' tables, keeping one copy of each distinct version of a day."""

    def __init__(self) -> None:
        self.parts: dict[str, list[pl.DataFrame]] = {name: [] for name in TABLES}
        self.registry: list[pl.DataFrame] = []
        self._seen: pl.DataFrame = pl.DataFrame(
            schema={**{k: pl.String for k in SCOPE}, "date": pl.Date, "digest": pl.UInt64}
        )

    def add(self, source: str, tables: Mapping[str, pl.DataFrame]) -> None:
        """Add one file's tables; rows of days already held in the same version are dropped."""
        digests = day_digests(tables)
        known = digests.join(self._seen, on=[*_KEY, "digest"], how="semi", nulls_equal=True)
        fresh = digests.join(known, on=_KEY, how="anti", nulls_equal=True)
        self.registry.append(
            digests.with_columns(
                pl.lit(source).alias("source"),
                pl.struct(_KEY).is_in(fresh.select(pl.struct(_KEY)).to_series().implode()).alias("stored"),
            )
        )
        self._seen = pl.concat([self._seen, fresh.select(*_KEY, "digest")])
        for name, frame in tables.items():
            kept = frame.join(known.select(_KEY), on=_KEY, how="anti", nulls_equal=True) if known.height else frame
            if kept.height:
                self.parts[name].append(kept)

    def finish(self, ranks: pl.DataFrame) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
        """Pick the winners; return (tables, conflicts, per-source counts).

        ``ranks`` has ``source`` and ``rank`` (higher wins) for every source added.
        """
        registry = (
            pl.concat(self.registry) if self.registry else self._seen.with_columns(
                pl.lit(None, pl.String).alias("source"), pl.lit(None, pl.Boolean).alias("stored"))
        ).join(ranks.select("source", "rank"), on="source", how="left")
        best = registry.sort("rank", descending=True).unique(_KEY, keep="first", maintain_order=True)
        winners = best.select(*_KEY, pl.col("digest").alias("win_digest"), pl.col("source").alias("final_source"))
        registry = registry.join(winners, on=_KEY, how="left", nulls_equal=True)
        stored = registry.filter(pl.col("stored"))
        keep = stored.filter(pl.col("digest") == pl.col("win_digest")).select(
            *_KEY, pl.col("source").alias("stored_source"), "final_source"
        )
        # the best source of each losing version, to name in conflicts
        losers = (
            registry.filter(pl.col("digest") != pl.col("win_digest"))
            .sort("rank", descending=True)
            .unique([*_KEY, "digest"], keep="first", maintain_order=True)
            .join(stored.select(*_KEY, "digest", pl.col("source").alias("stored_source")),
                  on=[*_KEY, "digest"], how="left", nulls_equal=True)
            .select(*_KEY, "stored_source", pl.col("source").alias("other_source"))
        )
        tables: dict[str, pl.DataFrame] = {}
        full: dict[str, pl.DataFrame] = {}
        for name, spec in TABLES.items():
            parts = self.parts[name]
            frame = pl.concat(parts) if parts else pl.DataFrame(schema=spec.schema)
            full[name] = frame
            tables[name] = (
                frame.join(keep, left_on=[*_KEY, "source"], right_on=[*_KEY, "stored_source"], how="inner",
                           nulls_equal=True, maintain_order="left")
                .with_columns(pl.col("final_source").alias("source"))
                .select(spec.schema.names())
                .sort(_KEY, maintain_order=True, nulls_last=False)
            )
        conflicts = _conflicts(full, keep, losers)
        counts = registry.group_by("source").agg(
            pl.col("digest").filter(pl.col("source") == pl.col("final_source")).len().alias("days_kept"),
            (pl.col("source") != pl.col("final_source")).and_(pl.col("digest") == pl.col("win_digest"))
            .sum().cast(pl.Int64).alias("days_identical"),
            (pl.col("digest") != pl.col("win_digest")).sum().cast(pl.Int64).alias("days_superseded"),
        )
        return tables, conflicts, counts


def _conflicts(full: dict[str, pl.DataFrame], keep: pl.DataFrame, losers: pl.DataFrame) -> pl.DataFrame:
    if losers.height == 0:
        return CONFLICT_SCHEMA.to_frame()
    out = []
    for name, spec in TABLES.items():
        frame = full[name]
        if frame.height == 0:
            continue
        dims = list(spec.dimensions)
        kept = frame.join(keep, left_on=[*_KEY, "source"], right_on=[*_KEY, "stored_source"], nulls_equal=True)
        other = frame.join(losers, left_on=[*_KEY, "source"], right_on=[*_KEY, "stored_source"], nulls_equal=True)
        if other.height == 0:
            kept = kept.join(losers.select(_KEY).unique(), on=_KEY, how="semi", nulls_equal=True)
        kept = kept.join(losers.select(*_KEY, "other_source"), on=_KEY, how="inner", nulls_equal=True)
        values = [c for c in spec.schema.names() if c not in (*_KEY, *dims, "source")]
        joined = kept.select(
            *_KEY, *dims, "other_source", pl.col("final_source").alias("kept_source"),
            pl.lit(True).alias("_k"), *[pl.col(c).alias(f"{c}__k") for c in values],
        ).join(
            other.select(*_KEY, *dims, "other_source", pl.lit(True).alias("_o"),
                         *[pl.col(c).alias(f"{c}__o") for c in values]),
            on=[*_KEY, *dims, "other_source"], how="full", coalesce=True, nulls_equal=True,
        )
        joined = joined.with_columns(
            pl.col("kept_source").fill_null(pl.col("kept_source").drop_nulls().first().over([*_KEY, "other_source"])),
            (pl.struct(dims).struct.json_encode() if dims else pl.lit("{}")).alias("key"),
        )
        pieces = [
            joined.filter(pl.col("_k").is_null() | pl.col("_o").is_null()).select(
                *_KEY, pl.lit(name).alias("table"), "key", pl.lit("(row)").alias("column"),
                pl.when(pl.col("_k")).then(pl.lit("present")).otherwise(pl.lit("absent")).alias("kept_value"),
                pl.when(pl.col("_o")).then(pl.lit("present")).otherwise(pl.lit("absent")).alias("other_value"),
                "kept_source", "other_source",
            )
        ]
        both = joined.filter(pl.col("_k") & pl.col("_o"))
        for column in values:
            k, o = pl.col(f"{column}__k"), pl.col(f"{column}__o")
            as_text = (lambda e: e.list.join(",")) if column == "shape" else (lambda e: e.cast(pl.String))
            pieces.append(
                both.filter(k.ne_missing(o)).select(
                    *_KEY, pl.lit(name).alias("table"), "key", pl.lit(column).alias("column"),
                    as_text(k).alias("kept_value"), as_text(o).alias("other_value"), "kept_source", "other_source",
                )
            )
        out.append(pl.concat(pieces))
    if not out:
        return CONFLICT_SCHEMA.to_frame()
    return pl.concat(out).select(CONFLICT_SCHEMA.names()).cast(dict(CONFLICT_SCHEMA)).sort(
        [*_KEY, "table", "key", "column", "other_source"], nulls_last=False
    )


def coverage(ds: Any) -> pl.DataFrame:
    """Per scope: first and last date, days present, days missing, and the missing ranges.

    Missing days are gaps, not zeros: the metrics never count them as zero.

    Columns: ``enterprise``, ``org``, ``team``, ``first_date``, ``last_date``, ``days_present``,
    ``days_missing``, ``missing_ranges`` (a list of ``{start, end}`` structs, inclusive).
    """
    days = ds.days if hasattr(ds, "days") else ds
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
