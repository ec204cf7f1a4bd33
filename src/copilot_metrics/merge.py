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
``ds.sources`` row overrides all of this (ties still broken by path).

Identical repeats are counted per file in ``ds.sources`` (``days_kept``, ``days_identical``,
``days_superseded``); every differing value of a losing version is a row of ``ds.conflicts``
(:data:`CONFLICT_SCHEMA`; a dimension row present in one version only has column ``(row)``
and values ``present``/``absent``), naming the kept file and the most recent file holding the
losing version.

A file that holds the same date twice keeps its later copy; each earlier copy competes as a
version ranked just below the file's own (labelled ``file.json$[3]``), so a differing earlier
copy is a conflict, and each is a ``duplicate_date_in_file`` finding (:func:`split_repeats`).

A dataset records every copy of a day its files held, and the JSON of every version that did
not win (``ds.versions``).  So new files merge into it (:func:`merge_into`, the one incremental
merge behind ``load(..., base=)`` and ``write_parquet(..., mode="merge")``) as if every file were
loaded at once: the same winners, conflicts and counts, from the same versions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any

import polars as pl

from copilot_metrics import _schema
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import ScopeError
from copilot_metrics.explode import explode_days
from copilot_metrics.findings import CONTRACT_RULES, RULES, TABLE_RULES, table_findings
from copilot_metrics.rebuild import rebuild_days
from copilot_metrics.sources import READ_SUFFIXES
from copilot_metrics.tables import (
    CONFLICT_SCHEMA,
    DAY_KEY,
    FINDING_SCHEMA,
    QUARANTINE_SCHEMA,
    SCOPE,
    SOURCE_READ_SCHEMA,
    SOURCE_SCHEMA,
    TABLES,
    VERSION_SCHEMA,
    conform,
)
from copilot_metrics.validation import ValidationReport

__all__ = [
    "CLASH_MIN_DATES",
    "FILENAME_PATTERNS",
    "Merger",
    "coverage",
    "day_digests",
    "export_time",
    "file_statuses",
    "in_memory_renames",
    "merge_into",
    "rank_sources",
    "refuse_clashes",
    "relabel",
    "scope_clashes",
    "split_repeats",
]


#: Timestamps recognised in file names, tried in order; the last match in the name counts.
FILENAME_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
        r"(?:[T_ ](?P<H>\d{2})[:\-]?(?P<M>\d{2})(?:[:\-]?(?P<S>\d{2}))?)?(?!\d)"
    ),
    re.compile(r"(?<!\d)(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:[T_\-](?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?(?!\d)"),
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
        if last_date == dt.date.max:  # 9999-12-31: the day after cannot be represented
            return dt.datetime.max, "last date"
        return dt.datetime.combine(last_date + dt.timedelta(days=1), dt.time()), "last date"
    return None, "none"


def rank_sources(
    sources: pl.DataFrame,
    fetched_at: Mapping[str, Any] | None = None,
    precedence: Callable[[dict[str, Any]], Any] | None = None,
) -> pl.DataFrame:
    """Add ``export_time``, ``precedence_basis`` and ``rank`` (higher wins) to a sources frame.

    The one ranking of files, for a load and for every merge.  ``rank`` is the dense rank of
    ``(export_time, mtime, source)`` (nulls lowest), or, with a ``precedence`` key function
    over each row (a dict of the sources row plus ``export_time`` and ``precedence_basis``), the
    rank of ``(precedence(row), source)``: 1 for the oldest export.  One Python call per file
    (not per row) computes the export times; a row that has them already (a dataset's
    ``sources``, with its ``precedence_basis``) keeps them, unless ``fetched_at`` names its file.
    """
    rows = sources.select("source", "last_date", "mtime").to_dicts()
    known = ({"export_time", "precedence_basis"} <= set(sources.columns))
    stored = sources.select("export_time", "precedence_basis").rows() if known else [(None, None)] * len(rows)
    times, bases = [], []
    for row, (time, base) in zip(rows, stored, strict=True):
        if base is not None and not (fetched_at and row["source"] in fetched_at):
            stamp, basis = time, base
        else:
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
        position = {index: place + 1 for place, index in enumerate(order)}
        return out.with_columns(pl.Series("rank", [position[i] for i in range(len(custom))], dtype=pl.Int64))
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


def day_digests(tables: Mapping[str, pl.DataFrame], *, by_source: bool = False) -> pl.DataFrame:
    """One row per (scope, date): a hash of everything the day holds, sources aside.

    With ``by_source``, one row per (scope, date, source): the tables may hold several files.
    """
    group = [*DAY_KEY, "source"] if by_source else DAY_KEY
    digests: pl.DataFrame | None = None
    for name, frame in tables.items():
        columns = [c for c in frame.columns if c != "source"]
        per_day = (
            frame.group_by(group, maintain_order=True)
            .agg(pl.struct(columns).hash().alias("h"))
            .select(*group, pl.col("h").hash().alias(name))
        )
        digests = per_day if digests is None else digests.join(per_day, on=group, how="left", nulls_equal=True)
    assert digests is not None
    names = list(tables)
    return digests.select(*group, pl.struct(pl.col(names).fill_null(0)).hash().alias("digest"))


class Merger:
    """Accumulates files' tables, keeping one copy of each distinct version of a day.

    Memory grows with the distinct versions of days, not with the files: :meth:`add` drops the
    rows of a day already held in an identical version (a hash of the whole day, sources aside,
    compared with Polars joins) before storing anything.
    """

    def __init__(self) -> None:
        self.parts: dict[str, list[pl.DataFrame]] = {name: [] for name in TABLES}
        self.registry: list[pl.DataFrame] = []
        self._seen: pl.DataFrame = pl.DataFrame(
            schema={**dict.fromkeys(SCOPE, pl.String), "date": pl.Date, "digest": pl.UInt64}
        )
        #: Set by :meth:`finish`: the winning copy of each day.
        self.winners: pl.DataFrame | None = None

    def add(
        self, source: str, tables: Mapping[str, pl.DataFrame], *, file: str | None = None, occurrence: int = 0
    ) -> None:
        """Add one input's tables; rows of days already held in the same version are dropped.

        Parameters
        ----------
        source:
            The label of the rows (their ``source`` column).
        tables:
            The input's tables, each (scope, date) at most once.
        file:
            The input whose precedence applies (default ``source``); an earlier copy of a date
            repeated inside one file is added under its own label (``file$[3]``) with the file's
            precedence and ``occurrence`` >= 1 (the later copy, occurrence 0, wins the tie).
        occurrence:
            0 for the kept copy of a file, 1 for the copy before it, ...
        """
        digests = day_digests(tables)
        known = digests.join(self._seen, on=[*DAY_KEY, "digest"], how="semi", nulls_equal=True)
        fresh = digests.join(known, on=DAY_KEY, how="anti", nulls_equal=True)
        self.registry.append(
            digests.with_columns(
                pl.lit(source).alias("source"),
                pl.lit(file if file is not None else source).alias("file"),
                pl.lit(occurrence, pl.Int64).alias("occurrence"),
                pl.struct(DAY_KEY).is_in(fresh.select(pl.struct(DAY_KEY)).to_series().implode()).alias("stored"),
            )
        )
        self._seen = pl.concat([self._seen, fresh.select(*DAY_KEY, "digest")])
        for name, frame in tables.items():
            kept = (frame.join(known.select(DAY_KEY), on=DAY_KEY, how="anti", nulls_equal=True) if known.height
                    else frame)
            if kept.height:
                self.parts[name].append(kept)

    def add_batch(
        self, tables: Mapping[str, pl.DataFrame], identical: pl.DataFrame, *, digests: pl.DataFrame | None = None
    ) -> None:
        """Add the tables of several files at once (each file's own version of each day).

        ``tables`` rows carry their file in ``source``; each (scope, date, source) is one
        version.  ``identical`` lists days a file held verbatim as another file of the same
        batch did (columns: scope, ``date``, ``source``, ``same_as``): they were not flattened
        again, and count as that file holding the same version.  ``digests`` is
        ``day_digests(tables, by_source=True)`` when the caller computed it already.
        """
        if digests is None:
            digests = day_digests(tables, by_source=True)
        first = digests.unique([*DAY_KEY, "digest"], keep="first", maintain_order=True)
        known = first.join(self._seen, on=[*DAY_KEY, "digest"], how="semi", nulls_equal=True)
        fresh = first.join(known, on=[*DAY_KEY, "digest"], how="anti", nulls_equal=True)
        stored = fresh.select(*DAY_KEY, "source", pl.lit(True).alias("stored"))
        copies = identical.join(
            digests.rename({"source": "same_as"}), on=[*DAY_KEY, "same_as"], how="inner", nulls_equal=True
        ).select(*DAY_KEY, "digest", "source")
        registry = pl.concat([digests.select(*DAY_KEY, "digest", "source"), copies]).join(
            stored, on=[*DAY_KEY, "source"], how="left", nulls_equal=True
        )
        self.registry.append(
            registry.select(
                *DAY_KEY, "digest", "source", pl.col("source").alias("file"),
                pl.lit(0, pl.Int64).alias("occurrence"), pl.col("stored").fill_null(False),
            )
        )
        self._seen = pl.concat([self._seen, fresh.select(*DAY_KEY, "digest")])
        every = stored.height == digests.height  # no repeat in the batch: keep the tables, not a copy
        for name, frame in tables.items():
            kept = frame if every else frame.join(
                stored.select(*DAY_KEY, "source"), on=[*DAY_KEY, "source"], how="semi", nulls_equal=True)
            if kept.height:
                self.parts[name].append(kept)

    def add_versions(self, tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame) -> None:
        """Add the versions of days a dataset holds (see :func:`merge_into`).

        ``tables`` hold each version's rows once, labelled (``source``) by one copy holding it;
        ``registry`` has one row per copy: scope, ``date``, ``digest`` (:func:`day_digests`),
        ``source`` (the copy's label), ``file``, ``occurrence`` and ``stored`` (``tables`` holds
        the version's rows under this label).  A version already held is not stored again.
        """
        held = registry.filter(pl.col("stored")).select(*DAY_KEY, "digest", "source")
        fresh = held.join(self._seen, on=[*DAY_KEY, "digest"], how="anti", nulls_equal=True).unique(
            [*DAY_KEY, "digest"], keep="first", maintain_order=True)
        stored = fresh.select(*DAY_KEY, "source", pl.lit(True).alias("stored"))
        self.registry.append(
            registry.drop("stored").join(stored, on=[*DAY_KEY, "source"], how="left", nulls_equal=True)
            .select(*DAY_KEY, "digest", "source", "file", pl.col("occurrence").cast(pl.Int64),
                    pl.col("stored").fill_null(False))
        )
        self._seen = pl.concat([self._seen, fresh.select(*DAY_KEY, "digest")])
        for name, frame in tables.items():
            kept = frame.join(stored.select(*DAY_KEY, "source"), on=[*DAY_KEY, "source"], how="semi", nulls_equal=True)
            if kept.height:
                self.parts[name].append(kept)

    def finish(
        self, ranks: pl.DataFrame
    ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """Pick the winners; return (tables, conflicts, per-file counts, versions).

        ``ranks`` has ``source`` and ``rank`` (higher wins) for every file added.  For each
        (scope, date) the winner is the version of the highest-ranked file (its last copy of the
        date), whatever the order the files were added in.  Counts, per file (grain: one row per
        file): ``days_kept`` (its version won and it is the winning file), ``days_identical``
        (identical to the winner, another file or an earlier copy in the same file),
        ``days_superseded`` (differs from the winner); they add up to the file's valid days.
        ``versions`` is the ``ds.versions`` side table (:data:`~copilot_metrics.tables.VERSION_SCHEMA`):
        each copy's version, 0 for the winner's, then the losing versions by their most recent
        copy, each losing version's JSON on the row of that copy.  :attr:`winners` is then set:
        scope, ``date``, ``digest`` and ``source`` of each day's winning copy.
        """
        empty = self._seen.with_columns(
            pl.lit(None, pl.String).alias("source"), pl.lit(None, pl.String).alias("file"),
            pl.lit(None, pl.Int64).alias("occurrence"), pl.lit(None, pl.Boolean).alias("stored"),
        )
        registry = (pl.concat(self.registry) if self.registry else empty).join(
            ranks.select(pl.col("source").alias("file"), "rank"), on="file", how="left"
        )
        best = registry.sort(["rank", "occurrence"], descending=[True, False], nulls_last=True).unique(
            DAY_KEY, keep="first", maintain_order=True
        )
        winners = best.select(*DAY_KEY, pl.col("digest").alias("win_digest"), pl.col("source").alias("final_source"))
        registry = registry.join(winners, on=DAY_KEY, how="left", nulls_equal=True)
        stored = registry.filter(pl.col("stored"))
        keep = stored.filter(pl.col("digest") == pl.col("win_digest")).select(
            *DAY_KEY, pl.col("source").alias("stored_source"), "final_source"
        )
        # the best source of each losing version, to name in conflicts
        losers = (
            registry.filter(pl.col("digest") != pl.col("win_digest"))
            .sort(["rank", "occurrence"], descending=[True, False], nulls_last=True)
            .unique([*DAY_KEY, "digest"], keep="first", maintain_order=True)
            .join(stored.select(*DAY_KEY, "digest", pl.col("source").alias("stored_source")),
                  on=[*DAY_KEY, "digest"], how="left", nulls_equal=True)
            .select(*DAY_KEY, "stored_source", pl.col("source").alias("other_source"))
        )
        tables: dict[str, pl.DataFrame] = {}
        full: dict[str, pl.DataFrame] = {}
        for name, spec in TABLES.items():
            parts = self.parts[name]
            frame = pl.concat(parts) if parts else pl.DataFrame(schema=spec.schema)
            full[name] = frame
            tables[name] = (
                frame.join(keep, left_on=[*DAY_KEY, "source"], right_on=[*DAY_KEY, "stored_source"], how="inner",
                           nulls_equal=True, maintain_order="left")
                .with_columns(pl.col("final_source").alias("source"))
                .select(spec.schema.names())
                .sort(DAY_KEY, maintain_order=True, nulls_last=False)
            )
        conflicts = _conflicts(full, keep, losers)
        is_winner = pl.col("source") == pl.col("final_source")
        same = pl.col("digest") == pl.col("win_digest")
        counts = registry.group_by(pl.col("file").alias("source")).agg(
            is_winner.sum().cast(pl.Int64).alias("days_kept"),
            (~is_winner & same).sum().cast(pl.Int64).alias("days_identical"),
            (~same).sum().cast(pl.Int64).alias("days_superseded"),
        )
        self.winners = winners.select(*DAY_KEY, pl.col("win_digest").alias("digest"),
                                      pl.col("final_source").alias("source"))
        return tables, conflicts, counts, _versions(registry, full, losers)


#: Unlabelled files of two folders cannot be one scope when at least this many of the dates both
#: folders hold differ, and they are more than half of those dates (see :func:`scope_clashes`).
CLASH_MIN_DATES = 3


def scope_clashes(versions: pl.DataFrame) -> pl.DataFrame:
    """Pairs of folders whose unlabelled files hold data that cannot be one scope.

    ``versions`` has one row per version of a day a file holds (scope, ``date``, ``digest``,
    ``file``: the :class:`Merger`'s registry).  Only files without any scope label take part,
    and only files on disk (an in-memory input has no folder).  For a folder F and a date d, the
    versions of d that F's files hold form a set; two folders *agree* on a date both hold when
    their sets share a version, and *differ* otherwise.  A pair of folders clashes when the
    dates they differ on are at least :data:`CLASH_MIN_DATES` and more than half of the dates
    they share: two orgs, or an org and its team, differ on nearly every date, while exports
    of one scope differ only on the few days a late correction changed (a folder that holds
    both versions of a corrected day agrees with either).  Only the dates held in several
    versions are compared folder by folder, so one scope's archive costs about its corrected
    days, whatever the number of folders.

    Returns ``folder``, ``other_folder`` (``folder < other_folder``), ``shared`` and
    ``differing`` (dates), one row per clashing pair, most differing dates first.
    """
    unlabelled = pl.all_horizontal(pl.col(c).is_null() for c in SCOPE) & ~pl.col("file").str.contains(_IN_MEMORY)
    folder = pl.col("file").str.extract(r"^(.*)[/\\][^/\\]*$", 1).fill_null(".").alias("folder")
    held = versions.filter(unlabelled).select(folder, "date", "digest").unique()
    empty = pl.DataFrame(schema={"folder": pl.String, "other_folder": pl.String, "shared": pl.Int64,
                                 "differing": pl.Int64})
    if held["folder"].n_unique() < 2:
        return empty
    other = {"folder": "other_folder", "digest": "other_digest"}
    # only a date held in several versions can set two folders apart: compare those first (few, in one scope)
    split = held.join(held.group_by("date").agg(pl.col("digest").n_unique()).filter(pl.col("digest") > 1),
                      on="date", how="semi")
    differing = (
        split.join(split.rename(other), on="date")
        .filter(pl.col("folder") < pl.col("other_folder"))
        .group_by("folder", "other_folder", "date")
        .agg((pl.col("digest") == pl.col("other_digest")).any().alias("agree"))
        .filter(~pl.col("agree"))
        .group_by("folder", "other_folder")
        .agg(pl.len().cast(pl.Int64).alias("differing"))
        .filter(pl.col("differing") >= CLASH_MIN_DATES)
    )
    if differing.height == 0:
        return empty
    dates = held.select("folder", "date").unique()
    shared = (
        differing.select("folder", "other_folder").join(dates, on="folder")
        .join(dates.rename({"folder": "other_folder"}), on=["other_folder", "date"])
        .group_by("folder", "other_folder").agg(pl.len().cast(pl.Int64).alias("shared"))
    )
    return differing.join(shared, on=["folder", "other_folder"]).filter(
        2 * pl.col("differing") > pl.col("shared")
    ).sort(["differing", "folder", "other_folder"], descending=[True, False, False]).select(empty.columns)


def _as_text(value: pl.Expr, column: str) -> pl.Expr:
    return value.list.join(",") if column == "shape" else value.cast(pl.String)


def _conflicts(full: dict[str, pl.DataFrame], keep: pl.DataFrame, losers: pl.DataFrame) -> pl.DataFrame:
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
            *DAY_KEY, *dims, "other_source", pl.col("final_source").alias("kept_source"),
            pl.lit(True).alias("_k"), *[pl.col(c).alias(f"{c}__k") for c in values],
        ).join(
            other.select(*DAY_KEY, *dims, "other_source", pl.lit(True).alias("_o"),
                         *[pl.col(c).alias(f"{c}__o") for c in values]),
            on=[*DAY_KEY, *dims, "other_source"], how="full", coalesce=True, nulls_equal=True,
        )
        joined = joined.drop("kept_source").join(
            kept_sources, on=[*DAY_KEY, "other_source"], how="left", nulls_equal=True
        ).with_columns((pl.struct(dims).struct.json_encode() if dims else pl.lit("{}")).alias("key"))
        pieces = [
            joined.filter(pl.col("_k").is_null() | pl.col("_o").is_null()).select(
                *DAY_KEY, pl.lit(name).alias("table"), "key", pl.lit("(row)").alias("column"),
                pl.when(pl.col("_k")).then(pl.lit("present")).otherwise(pl.lit("absent")).alias("kept_value"),
                pl.when(pl.col("_o")).then(pl.lit("present")).otherwise(pl.lit("absent")).alias("other_value"),
                "kept_source", "other_source",
            )
        ]
        both = joined.filter(pl.col("_k") & pl.col("_o"))
        for column in values:
            k, o = pl.col(f"{column}__k"), pl.col(f"{column}__o")
            pieces.append(
                both.filter(k.ne_missing(o)).select(
                    *DAY_KEY, pl.lit(name).alias("table"), "key", pl.lit(column).alias("column"),
                    _as_text(k, column).alias("kept_value"), _as_text(o, column).alias("other_value"),
                    "kept_source", "other_source",
                )
            )
        out.append(pl.concat(pieces))
    if not out:
        return CONFLICT_SCHEMA.to_frame()
    return pl.concat(out).select(CONFLICT_SCHEMA.names()).cast(CONFLICT_SCHEMA).sort(
        [*DAY_KEY, "table", "key", "column", "other_source", "kept_value", "other_value"], nulls_last=False
    )


def split_repeats(
    days: Sequence[Any],
    valid: Sequence[int],
    *,
    source: str,
    scope: Mapping[str, str | None],
    json_base: str = "$",
) -> tuple[dict[str, pl.DataFrame], list[tuple[str, int, dict[str, pl.DataFrame]]], pl.DataFrame]:
    """Separate the copies of a date that one file holds more than once.

    The file's last copy of each date is its version of the day (a file is written in order,
    so the later copy is the more recent one); each earlier copy becomes a version of its own,
    labelled with its JSON path (``file.json$[3]``), ranked just below the file's own copy, so
    an earlier copy that differs is listed in ``ds.conflicts`` and never reaches the tables.

    Parameters
    ----------
    days:
        The file's day objects, as decoded.
    valid:
        Indices of the days that passed the schema (the others are quarantined).
    source, scope:
        The file's label and scope labels.
    json_base:
        JSON path of the day array in the file (``$`` or ``$.data`` for a wrapped array).

    Returns
    -------
    tuple
        The tables of the last copies; ``(label, occurrence, tables)`` of every earlier copy
        (occurrence 1 for the copy just before the last, 2 before that, ...); and one
        ``duplicate_date_in_file`` finding per earlier copy (grain: file, date, copy), whose
        value says whether it is identical to the kept copy.
    """
    copies_after: dict[str, int] = {}
    last_index: dict[str, int] = {}
    occurrence: dict[int, int] = {}
    last_of: dict[int, int] = {}
    for index in reversed(valid):  # one step per day object of the file, on this rare path only
        date = days[index]["date"]
        last_index.setdefault(date, index)
        occurrence[index] = copies_after.get(date, 0)
        copies_after[date] = occurrence[index] + 1
        last_of[index] = last_index[date]
    kept = [i for i in valid if occurrence[i] == 0]
    earlier = [i for i in valid if occurrence[i] > 0]
    tables = explode_days([days[i] for i in kept], source=source, scope=dict(scope))
    copies: list[tuple[str, int, dict[str, pl.DataFrame]]] = []
    for index in earlier:
        label = f"{source}{json_base}[{index}]"
        copies.append((label, occurrence[index], explode_days([days[index]], source=label, scope=dict(scope))))
    severity, message = RULES["duplicate_date_in_file"]
    rows = [
        {
            "source": source, **{k: scope.get(k) for k in SCOPE},
            "date": dt.date.fromisoformat(days[index]["date"]), "table": "days",
            "json_path": f"{json_base}[{index}]", "rule": "duplicate_date_in_file", "severity": severity,
            "message": message,
            "value": ("identical to " if days[index] == days[last_of[index]] else "differs from ")
            + f"{json_base}[{last_of[index]}], the copy kept",
        }
        for index in earlier
    ]
    findings = pl.DataFrame(rows, schema=FINDING_SCHEMA, orient="row") if rows else FINDING_SCHEMA.to_frame()
    return tables, copies, findings


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


# ---------------------------------------------------------------- merging into a dataset

#: The JSON path that labels an earlier copy of a date inside a file: ``file.json$[3]``, ``...$.data[3]``.
_COPY_SUFFIX = r"\$(?:\.[^\[\]$]+)?\[\d+\]$"


#: Labels of in-memory inputs (``<bytes #1>``, ``<file object #2>``): numbered per call of load,
#: so two datasets can use the same label for different content.
_IN_MEMORY = r"^<(?:bytes|file object) #(\d+)>"


def in_memory_renames(base_sources: pl.DataFrame, new_sources: pl.DataFrame) -> dict[str, str]:
    """New labels for the in-memory inputs of ``new_sources`` that clash with the base's.

    A file path read again replaces its base copy (the same file, perhaps changed), but an
    in-memory label names a position in one call of :func:`copilot_metrics.load`, not a file:
    a clashing one with other content (``sha256``) gets the next free number, so that merging
    two datasets loaded from bytes loses nothing.  Identical content keeps its label.
    """
    taken = set(base_sources["source"].to_list())
    base_sha = dict(base_sources.select("source", "sha256").iter_rows())
    numbers = [int(m) for m in base_sources["source"].str.extract(_IN_MEMORY).drop_nulls().to_list()]
    next_number = max(numbers, default=0) + 1
    renames: dict[str, str] = {}
    for label, sha in new_sources.select("source", "sha256").iter_rows():
        if label not in taken or not re.match(_IN_MEMORY, label) or base_sha.get(label) == sha:
            continue
        kind = label[1:label.index(" #")]
        renames[label] = f"<{kind} #{next_number}>"
        next_number += 1
    return renames


def relabel(ds: Dataset, renames: Mapping[str, str]) -> Dataset:
    """``ds`` with its sources renamed (rows, side tables, earlier copies ``label$[3]``, report)."""
    if not renames:
        return ds
    old = pl.lit(list(renames), pl.List(pl.String))

    def rename(column: str) -> pl.Expr:
        base = pl.col(column).str.replace(_COPY_SUFFIX, "")
        suffix = pl.col(column).str.extract(r"(" + _COPY_SUFFIX + r")")
        mapped = base.replace(renames)
        return pl.when(base.is_in(old)).then(pl.concat_str(mapped, suffix.fill_null(""))).otherwise(
            pl.col(column)).alias(column)

    def frame(f: pl.DataFrame) -> pl.DataFrame:
        columns = [c for c in ("source", "kept_source", "other_source", "label") if c in f.columns]
        return f.with_columns(rename(c) for c in columns) if columns else f

    report = ds.validation
    return dataclasses.replace(
        ds, tables={n: frame(f) for n, f in ds.tables.items()}, sources=frame(ds.sources),
        quarantine=frame(ds.quarantine), findings=frame(ds.findings), conflicts=frame(ds.conflicts),
        validation=dataclasses.replace(report, errors=frame(report.errors),
                                       unknown_fields=frame(report.unknown_fields)),
        versions=frame(ds.versions),
    )


def refuse_clashes(clashes: pl.DataFrame, labels: list[str]) -> None:
    """Raise :class:`ScopeError` for the first pair of folders :func:`scope_clashes` found."""
    if clashes.height == 0:
        return
    first = clashes.row(0, named=True)
    inside = next((label.lower() for label in labels if (os.path.dirname(label) or ".") == first["folder"]), "")  # noqa: PTH120
    suffix = max((s for s in READ_SUFFIXES if inside.endswith(s)), key=len, default=".json")
    raise ScopeError.mixed_folders((first["folder"], first["other_folder"]), first["shared"], first["differing"],
                                   suffix=suffix, more=clashes.height - 1)


def _versions(registry: pl.DataFrame, full: Mapping[str, pl.DataFrame], losers: pl.DataFrame) -> pl.DataFrame:
    """The ``ds.versions`` side table of a merge (see :meth:`Merger.finish`).

    ``registry`` has one row per copy, with its ``rank``; ``full`` the stored rows of every
    version; ``losers`` the stored label (``stored_source``) and most recent copy
    (``other_source``) of each losing version.
    """
    order = (
        registry.sort(["rank", "occurrence"], descending=[True, False], nulls_last=True)
        .unique([*DAY_KEY, "digest"], keep="first", maintain_order=True)
        .select(*DAY_KEY, "digest", pl.int_range(pl.len(), dtype=pl.Int64).over(DAY_KEY).alias("version"))
    )
    return (
        registry.join(order, on=[*DAY_KEY, "digest"], how="left", nulls_equal=True)
        .join(_version_json(full, losers), on=[*DAY_KEY, "source"], how="left", nulls_equal=True)
        .select(pl.col("file").alias("source"), *SCOPE, "date", pl.col("source").alias("label"), "occurrence",
                "version", "day_json")
        .sort([*DAY_KEY, "version", "source", "occurrence"], nulls_last=False)
        .cast(VERSION_SCHEMA)
    )


def _version_json(full: Mapping[str, pl.DataFrame], losers: pl.DataFrame) -> pl.DataFrame:
    """Each losing version's day as the API wrote it (:func:`copilot_metrics.to_api`), by its most recent copy."""
    schema = pl.Schema({**dict.fromkeys(SCOPE, pl.String()), "date": pl.Date(), "source": pl.String(),
                        "day_json": pl.String()})
    out = [schema.to_frame()]
    # rebuilt a round at a time: a day holds several losing versions, rebuild_days one version of a day
    rounds = losers.with_columns(pl.int_range(pl.len()).over(DAY_KEY).alias("_round"))
    for keys in rounds.partition_by("_round", maintain_order=True):
        stored = keys.select(*DAY_KEY, pl.col("stored_source").alias("source"))
        rows = {name: frame.join(stored, on=[*DAY_KEY, "source"], how="semi", nulls_equal=True, maintain_order="left")
                for name, frame in full.items()}
        days, _ = rebuild_days(rows)
        texts = rows["days"].select(*DAY_KEY, "source").with_columns(
            pl.Series("day_json", [_schema.json_bytes(day).decode() for day in days], dtype=pl.String))
        out.append(
            texts.join(keys.select(*DAY_KEY, pl.col("stored_source").alias("source"), "other_source"),
                       on=[*DAY_KEY, "source"], how="inner", nulls_equal=True)
            .select(*SCOPE, "date", pl.col("other_source").alias("source"), "day_json")
        )
    return pl.concat(out)


@dataclasses.dataclass(frozen=True)
class _Side:
    """One dataset of a merge, as versions of days (see :func:`_side`)."""

    sources: pl.DataFrame
    quarantine: pl.DataFrame
    findings: pl.DataFrame
    errors: pl.DataFrame
    unknown: pl.DataFrame
    #: each version's rows, once, labelled by a copy holding it
    content: dict[str, pl.DataFrame]
    #: one row per copy: scope, date, digest, source (the copy's label), file, occurrence, stored
    registry: pl.DataFrame
    #: scope, date, digest of the kept version of each day, and of those the contracts set aside
    kept: pl.DataFrame
    set_aside: pl.DataFrame
    #: the quarantine rows of those, files read again included
    set_aside_rows: pl.DataFrame
    #: conflict rows no recorded version lets a merge recompute (a layout without versions), with ``_kept``
    conflicts: pl.DataFrame
    #: per file, the days_identical and days_superseded its recorded copies do not account for
    offsets: pl.DataFrame


def _side(ds: Dataset, replaced: list[str]) -> _Side:
    """``ds`` as versions of days, without the files in ``replaced`` (read again: the other side's).

    The kept version of each day is its rows in the tables (a day the contracts set aside: the
    JSON kept in the quarantine); every other version is rebuilt from its JSON in ``ds.versions``.
    A kept day ``ds.versions`` does not record (a layout that did not store it) is held by the
    file it was kept from alone.  Each version's rows are labelled with one of the copies still
    holding it: the rows of a file read again serve the other copies of its versions.
    """
    gone = pl.lit(replaced, pl.List(pl.String()))
    versions = conform("versions", ds.versions)
    quarantine = conform("quarantine", ds.quarantine)
    days = ds.tables["days"].select(*DAY_KEY, "source")
    set_aside_rows = (
        quarantine.filter((pl.col("stage") == "contract") & pl.col("day_json").is_not_null())
        .join(days.with_columns(pl.col("date").cast(pl.String)), on=DAY_KEY, how="anti", nulls_equal=True)
        .unique([*SCOPE, "date"], keep="first", maintain_order=True)
    )
    set_aside = set_aside_rows.select(*SCOPE, pl.col("date").str.to_date("%Y-%m-%d", strict=False), "source",
                                      "day_json")
    kept_by = pl.concat([days, set_aside.select(*DAY_KEY, "source")])
    unrecorded = kept_by.join(versions.select(DAY_KEY).unique(), on=DAY_KEY, how="anti", nulls_equal=True).select(
        "source", *SCOPE, "date", pl.col("source").alias("label"), pl.lit(0, pl.Int64).alias("occurrence"),
        pl.lit(0, pl.Int64).alias("version"), pl.lit(None, pl.String).alias("day_json"),
    )
    recorded = pl.concat([versions, unrecorded])
    texts = pl.concat([
        recorded.filter(pl.col("day_json").is_not_null()).select(*DAY_KEY, "label", "version", "day_json"),
        set_aside.select(*DAY_KEY, pl.col("source").alias("label"), pl.lit(0, pl.Int64).alias("version"), "day_json"),
    ]).unique([*DAY_KEY, "version"], keep="first", maintain_order=True)
    rebuilt = explode_days([_schema.loads(text) for text in texts["day_json"]], source=texts["label"].to_list(),
                           scope=texts.select(SCOPE).to_dicts())
    tag = texts.select(*DAY_KEY, pl.col("label").alias("source"), pl.col("version").alias("_version"))
    holding = recorded.filter(~pl.col("source").is_in(gone))
    holders = holding.group_by([*DAY_KEY, pl.col("version").alias("_version")]).agg(
        pl.col("label").min().alias("_holder"))
    content = {}
    for name, frame in ds.tables.items():
        mine = pl.concat([
            frame.with_columns(pl.lit(0, pl.Int64).alias("_version")),
            rebuilt[name].join(tag, on=[*DAY_KEY, "source"], how="inner", nulls_equal=True, maintain_order="left"),
        ])
        content[name] = mine.join(holders, on=[*DAY_KEY, "_version"], how="inner", nulls_equal=True,
                                  maintain_order="left").with_columns(pl.col("_holder").alias("source")).drop(
            "_version", "_holder")
    digests = day_digests(content, by_source=True).rename({"source": "_holder"})
    copies = holding.join(holders, left_on=[*DAY_KEY, "version"], right_on=[*DAY_KEY, "_version"], how="inner",
                          nulls_equal=True).join(digests, on=[*DAY_KEY, "_holder"], how="inner", nulls_equal=True)
    registry = copies.select(*DAY_KEY, "digest", pl.col("label").alias("source"), pl.col("source").alias("file"),
                             "occurrence", (pl.col("label") == pl.col("_holder")).alias("stored"))
    kept = copies.filter(pl.col("version") == 0).select(*DAY_KEY, "digest").unique(DAY_KEY)
    # counts the recorded copies do not account for (a layout without versions): carried as stored
    implied = copies.join(kept_by.rename({"source": "_kept_by"}), on=DAY_KEY, how="left", nulls_equal=True).group_by(
        pl.col("source")).agg(
        ((pl.col("version") == 0) & (pl.col("label") != pl.col("_kept_by"))).sum().alias("_identical"),
        (pl.col("version") > 0).sum().alias("_superseded"),
    )
    sources = conform("sources", ds.sources).filter(~pl.col("source").is_in(gone))
    offsets = sources.select("source", "days_identical", "days_superseded").join(
        implied, on="source", how="left").select(
        "source", *((pl.col(c) - pl.col(f"_{c.removeprefix('days_')}").fill_null(0)).clip(lower_bound=0).cast(pl.Int64)
                    .alias(c) for c in ("days_identical", "days_superseded")),
    )
    file_of = {c: pl.col(c).str.replace(_COPY_SUFFIX, "") for c in ("source", "other_source")}
    conflicts = (
        conform("conflicts", ds.conflicts).filter(~file_of["other_source"].is_in(gone))
        .join(versions.filter(pl.col("version") > 0).select(*DAY_KEY, pl.col("label").alias("other_source")),
              on=[*DAY_KEY, "other_source"], how="anti", nulls_equal=True)
        .join(kept.rename({"digest": "_kept"}), on=DAY_KEY, how="left", nulls_equal=True)
    )
    unread = ~file_of["source"].is_in(gone).fill_null(False)
    return _Side(
        sources, quarantine.filter(unread), conform("findings", ds.findings).filter(unread),
        ds.validation.errors.filter(unread), ds.validation.unknown_fields.filter(unread), content, registry, kept,
        copies.join(set_aside, on=DAY_KEY, how="semi", nulls_equal=True).filter(pl.col("version") == 0).select(
            *DAY_KEY, "digest"),
        set_aside_rows, conflicts, offsets,
    )


def merge_into(
    base: Dataset,
    new: Dataset,
    *,
    fetched_at: Mapping[str, Any] | None = None,
    precedence: Callable[[dict[str, Any]], Any] | None = None,
) -> Dataset:
    """Merge ``new`` into ``base``: the dataset one :func:`copilot_metrics.load` of all their files gives.

    The one incremental merge, behind ``load(..., base=)`` and ``write_parquet(..., mode="merge")``.
    Each dataset records in ``ds.versions`` every copy of a day its files held and the JSON of
    every version that did not win, so the merge runs the winner selection of a load
    (:class:`Merger`) over the very versions that load would hold: the tables, ``conflicts``
    (``kept_source`` and ``other_source`` included), ``sources`` (precedence, ``days_kept``,
    ``days_identical``, ``days_superseded``), ``quarantine``, ``findings``, ``versions`` and the
    validation report equal those of one load of every file, row order included.

    A file in both (read again) is ``new``'s: its base copy is replaced.  An in-memory input whose
    label the base uses for other content is renumbered (:func:`in_memory_renames`).  Each file
    keeps the ``export_time`` stored in its ``sources`` row (from ``fetched_at``, its name or its
    last date), unless ``fetched_at`` names it; ``precedence`` (a key function over a
    ``ds.sources`` row, as given to :func:`copilot_metrics.load`) is applied to both sides' files.
    Unlabelled files of two folders that cannot be one scope raise
    :class:`~copilot_metrics.errors.ScopeError`, as one load would (:func:`scope_clashes`).

    Best effort, where a side does not hold what a load of its files would:

    * a dataset without ``versions`` (read from layout format 3 or earlier): each of its kept
      days competes under the file it was kept from alone; its files' ``days_identical`` and
      ``days_superseded`` are carried over as stored, and its conflicts as they were (naming the
      new winner as ``kept_source`` where the kept version still wins);
    * contracts: each side's ran when it was built.  A day they set aside competes with the
      JSON kept in the quarantine; it stays aside while its version wins, and leaves the
      quarantine (with its findings) when another version wins, as in one load (if the file it
      was set aside from is read again without it, its quarantine row names the file whose copy
      now wins, without ``day_index`` nor findings).
    """
    new = relabel(new, in_memory_renames(base.sources, new.sources))
    sides = (_side(base, new.sources["source"].to_list()), _side(new, []))
    merger = Merger()
    for side in sides:
        merger.add_versions(side.content, side.registry)
    sources = pl.concat([side.sources for side in sides]).sort("source")
    if merger.registry:  # unlabelled folders that cannot be one scope are refused, as one load refuses them
        refuse_clashes(scope_clashes(pl.concat(merger.registry)), sources["source"].to_list())
    ranked = rank_sources(sources.select(*SOURCE_READ_SCHEMA.names(), "export_time", "precedence_basis"),
                          fetched_at, precedence)
    tables, conflicts, counts, versions = merger.finish(ranked)
    assert merger.winners is not None
    winners = merger.winners.rename({"digest": "_win", "source": "_final"})

    # a day whose winning version the contracts set aside stays aside (its rows are not kept)
    aside = winners.join(pl.concat([side.set_aside for side in sides]).rename({"digest": "_win"}),
                         on=[*DAY_KEY, "_win"], how="semi", nulls_equal=True).select(*DAY_KEY, "_final")
    tables = {name: frame.join(aside, on=DAY_KEY, how="anti", nulls_equal=True, maintain_order="left")
              for name, frame in tables.items()}
    quarantine = pl.concat([side.quarantine for side in sides]).with_row_index("_row")
    on_day = pl.col("date").str.to_date("%Y-%m-%d", strict=False).alias("_date")
    aside_on = aside.rename({"date": "_date"})
    winning = pl.col("source") == pl.col("_final")
    still = quarantine.filter(pl.col("stage") == "contract").with_columns(on_day).join(
        aside_on, on=[*SCOPE, "_date"], how="inner", nulls_equal=True).filter(
        winning | ~winning.any().over([*SCOPE, "_date"]))
    # a day set aside whose row went with a file read again: its row, under the file now kept
    orphans = pl.concat([side.set_aside_rows for side in sides]).with_columns(on_day).join(
        aside_on, on=[*SCOPE, "_date"], how="inner", nulls_equal=True).join(
        still.select(*SCOPE, "_date"), on=[*SCOPE, "_date"], how="anti", nulls_equal=True).unique(
        [*SCOPE, "_date"], keep="first", maintain_order=True).with_columns(
        pl.col("_final").alias("source"), pl.lit(None, pl.Int64).alias("day_index"))
    quarantine = pl.concat([
        quarantine.filter(pl.col("stage") != "contract").sort(["source", "day_index", "date"], nulls_last=True,
                                                                maintain_order=True).drop("_row"),
        quarantine.join(still.select("_row"), on="_row", how="semi").drop("_row"),
        orphans.select(QUARANTINE_SCHEMA.names()),
    ])

    rules = pl.col("rule")
    reading = pl.concat([side.findings for side in sides]).filter(~rules.is_in(TABLE_RULES))
    reading = pl.concat([
        reading.filter(~rules.is_in(CONTRACT_RULES)),
        reading.filter(rules.is_in(CONTRACT_RULES)).join(still.select("source", *SCOPE, pl.col("_date").alias("date")),
                                                         on=["source", *DAY_KEY], how="semi", nulls_equal=True),
    ])
    findings = pl.concat([reading, conform("findings", table_findings(tables))]).unique().sort(
        ["source", *DAY_KEY, "table", "rule", "json_path", "value", "severity", "message"], nulls_last=True)

    carried = pl.concat([side.conflicts for side in sides]).join(winners, on=DAY_KEY, how="left", nulls_equal=True)
    conflicts = pl.concat([
        conflicts.select(CONFLICT_SCHEMA.names()),
        carried.with_columns(pl.when(pl.col("_kept") == pl.col("_win")).then(pl.col("_final"))
                             .otherwise(pl.col("kept_source")).alias("kept_source")).select(CONFLICT_SCHEMA.names()),
    ]).unique(maintain_order=True).sort(
        [*DAY_KEY, "table", "key", "column", "other_source", "kept_value", "other_value"], nulls_last=False)

    offsets = pl.concat([side.offsets for side in sides])
    counted = ranked.join(counts, on="source", how="left", maintain_order="left").join(
        offsets.rename({c: f"_{c}" for c in ("days_identical", "days_superseded")}), on="source", how="left",
        maintain_order="left")
    sources = counted.with_columns(
        pl.col("days_kept").fill_null(0),
        *((pl.col(c).fill_null(0) + pl.col(f"_{c}").fill_null(0)).alias(c)
          for c in ("days_identical", "days_superseded")),
    ).select(SOURCE_SCHEMA.names()).cast(SOURCE_SCHEMA)
    sources = file_statuses(sources, quarantine)

    # the report, in the order one load reads files: by scope, then label
    order = sources.select("source", *(pl.col(c).fill_null("").alias(f"_{c}") for c in SCOPE))

    def in_read_order(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(order, on="source", how="left", maintain_order="left").sort(
            [*(f"_{c}" for c in SCOPE), "source"], nulls_last=True, maintain_order=True).select(frame.columns)

    report = ValidationReport(
        in_read_order(pl.concat([side.errors for side in sides])),
        in_read_order(pl.concat([side.unknown for side in sides])),
        int(sources["days"].sum()), int(sources["days_valid"].sum()),
    )
    return Dataset(tables, sources, quarantine, findings, conflicts, report, {**base.meta, **new.meta},
                   versions=versions)


#: Statuses a file's quarantined days give it (:func:`file_statuses`).
_SET_ASIDE_STATUSES = ("loaded with quarantined days", "not loaded: every day quarantined")


def file_statuses(sources: pl.DataFrame, quarantine: pl.DataFrame) -> pl.DataFrame:
    """A loaded file's status says whether days of it are set aside, or all of them.

    From the quarantine as it is: a merge can take a day out of it (a newer version won).
    """
    # counted over runs of a source (a load's quarantine is in source order): no hash of every row
    runs = quarantine.select(pl.col("source").rle()).unnest("source")
    aside = runs.group_by("value").agg(pl.col("len").sum().cast(pl.Int64).alias("_aside")).rename({"value": "source"})
    loaded = (pl.col("status").str.starts_with("loaded") | pl.col("status").is_in(_SET_ASIDE_STATUSES)) & (
        pl.col("_aside").fill_null(0) > 0)
    return sources.join(aside, on="source", how="left", maintain_order="left").with_columns(
        pl.when(loaded & (pl.col("_aside") >= pl.col("days"))).then(pl.lit(_SET_ASIDE_STATUSES[1]))
        .when(loaded).then(pl.lit(_SET_ASIDE_STATUSES[0]))
        .when(pl.col("status").is_in(_SET_ASIDE_STATUSES)).then(pl.lit("loaded"))
        .otherwise(pl.col("status")).alias("status")
    ).drop("_aside")
