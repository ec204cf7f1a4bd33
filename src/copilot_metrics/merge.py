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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import PurePath
from typing import Any

import polars as pl

from copilot_metrics.dataset import Dataset
from copilot_metrics.explode import explode_days
from copilot_metrics.findings import RULES, TABLE_RULES, table_findings
from copilot_metrics.tables import CONFLICT_SCHEMA, DAY_KEY, FINDING_SCHEMA, SCOPE, TABLES, conform
from copilot_metrics.validation import ValidationReport

__all__ = [
    "CLASH_MIN_DATES",
    "FILENAME_PATTERNS",
    "REPEAT_COUNTS",
    "Merger",
    "add_dataset",
    "coverage",
    "day_digests",
    "dedupe_versions",
    "export_time",
    "in_memory_renames",
    "merge_datasets",
    "rank_sources",
    "rebase_conflicts",
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

    ``rank`` is the dense rank of ``(export_time, mtime, source)`` (nulls lowest), or, with a
    ``precedence`` key function over each row (a dict of the sources row plus ``export_time``
    and ``precedence_basis``), the rank of ``(precedence(row), source)``: 1 for the oldest export.
    One Python call per file (not per row) computes the export times.
    """
    rows = sources.select("source", "last_date", "mtime").to_dicts()
    times, bases = [], []
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

    def finish(self, ranks: pl.DataFrame) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
        """Pick the winners; return (tables, conflicts, per-file counts).

        ``ranks`` has ``source`` and ``rank`` (higher wins) for every file added.  For each
        (scope, date) the winner is the version of the highest-ranked file (its last copy of the
        date), whatever the order the files were added in.  Counts, per file (grain: one row per
        file): ``days_kept`` (its version won and it is the winning file), ``days_identical``
        (identical to the winner, another file or an earlier copy in the same file),
        ``days_superseded`` (differs from the winner); they add up to the file's valid days.
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
        return tables, conflicts, counts


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


def rebase_conflicts(old: pl.DataFrame, new: pl.DataFrame, days: pl.DataFrame) -> pl.DataFrame:
    """Combine a base dataset's conflicts with those of merging new files into it.

    A base conflict whose kept version still wins (the same values, now perhaps from a newer
    file) names the new winner as ``kept_source``.  When a new file brings a different version
    of the day, the new conflicts compare it with the base's kept version, and the base's rows
    stay as they were (they compare the versions the base knew; the base's losing versions were
    not kept, so they cannot be compared with the new one).
    """
    changed = new.select(*DAY_KEY, pl.col("other_source").alias("kept_source")).unique()
    stale = old.join(changed, on=[*DAY_KEY, "kept_source"], how="semi", nulls_equal=True)
    winners = days.select(*DAY_KEY, pl.col("source").alias("_winner"))
    relabelled = (
        old.join(changed, on=[*DAY_KEY, "kept_source"], how="anti", nulls_equal=True)
        .join(winners, on=DAY_KEY, how="left", nulls_equal=True)
        .with_columns(pl.coalesce("_winner", "kept_source").alias("kept_source"))
        .select(CONFLICT_SCHEMA.names())
    )
    return (
        pl.concat([new, stale, relabelled])
        .unique()
        .sort([*DAY_KEY, "table", "key", "column", "other_source", "kept_value", "other_value"], nulls_last=False)
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

#: Per-file counts of days not kept, which a base dataset carries over to an incremental load.
REPEAT_COUNTS = ("days_identical", "days_superseded")

#: The JSON path that labels an earlier copy of a date inside a file: ``file.json$[3]``, ``...$.data[3]``.
_COPY_SUFFIX = r"\$(?:\.[^\[\]$]+)?\[\d+\]$"


def add_dataset(merger: Merger, base: Dataset, reread: set[str]) -> Dataset:
    """Add a merged dataset's kept days to ``merger``, each under the file it was kept from.

    Files of the base read again (``reread``) replace their base copy: their rows, source rows,
    quarantined days, findings and the conflicts naming them as the losing side are left out of
    the returned base (the caller's dataset is not changed), and come from the new read.
    """
    if reread:
        labels = pl.lit(sorted(reread), pl.List(pl.String))
        # a file's own rows, and those of earlier copies of a date inside it ("file$[3]")
        mine = pl.col("source").is_in(labels) | pl.col("source").str.replace(_COPY_SUFFIX, "").is_in(labels)
        other = pl.col("other_source").str.replace(_COPY_SUFFIX, "").is_in(labels)
        base = dataclasses.replace(
            base,
            tables={name: frame.filter(~mine) for name, frame in base.tables.items()},
            sources=base.sources.filter(~mine),
            quarantine=base.quarantine.filter(~mine),
            findings=base.findings.filter(~mine.fill_null(False)),
            conflicts=base.conflicts.filter(~other),
        )
    parts = {name: frame.partition_by("source", as_dict=True) for name, frame in base.tables.items()}
    for (label,) in sorted(parts["days"], key=str):
        merger.add(str(label), {
            name: by_source.get((label,), TABLES[name].schema.to_frame()) for name, by_source in parts.items()
        })
    return base


def dedupe_versions(conflicts: pl.DataFrame, ranks: pl.DataFrame) -> pl.DataFrame:
    """Keep one holder of each losing version of a day: the most recent, as one merge names it.

    Merging datasets (or a dataset and new files) can list the same losing version twice, once
    under each side's holder.  A losing version is recognised by its rows: its differences from
    the kept version (two distinct versions always differ from the kept one differently), and of
    the holders of the same version the highest-ranked file wins, its last copy of the date first
    (``file.json`` before ``file.json$[3]`` before ``file.json$[1]``), as :meth:`Merger.finish`
    names one.
    """
    if conflicts.height == 0:
        return conflicts
    file = pl.col("other_source").str.replace(_COPY_SUFFIX, "")
    copy = pl.col("other_source").str.extract(r"\[(\d+)\]$").cast(pl.Int64)
    row = pl.concat_str([pl.col(c).fill_null("\x00") for c in ("table", "key", "column", "kept_value", "other_value")],
                        separator="\x1f")
    holders = (
        conflicts.group_by([*DAY_KEY, "other_source"])
        .agg(row.sort().str.join("\x1e").alias("_version"))
        .join(ranks.select(pl.col("source").alias("_file"), pl.col("rank").alias("_rank")),
              left_on=file, right_on="_file", how="left")
        .with_columns(copy.fill_null(2**62).alias("_copy"))
        .sort(["_rank", "_copy", "other_source"], descending=True, nulls_last=True)
        .unique([*DAY_KEY, "_version"], keep="first", maintain_order=True)
        .select(*DAY_KEY, "other_source")
    )
    return conflicts.join(holders, on=[*DAY_KEY, "other_source"], how="semi", nulls_equal=True)




def _rank(sources: pl.DataFrame) -> pl.DataFrame:
    """``rank`` as :func:`copilot_metrics.merge.rank_sources` computes it, from the stored ``export_time``."""
    return sources.with_columns(
        pl.struct(
            pl.col("export_time").fill_null(dt.datetime(1970, 1, 1)),
            pl.col("mtime").fill_null(0.0),
            pl.col("source"),
        ).rank("dense").cast(pl.Int64).alias("rank")
    )


def _by_source(tables: Mapping[str, pl.DataFrame]) -> Iterator[tuple[str, dict[str, pl.DataFrame]]]:
    split = {name: frame.partition_by("source", as_dict=True, maintain_order=True) for name, frame in tables.items()}
    for (label,) in split["days"]:
        yield str(label), {
            name: parts.get((label,), pl.DataFrame(schema=TABLES[name].schema)) for name, parts in split.items()
        }


def _holdings(side: Dataset, ranks: pl.DataFrame) -> pl.DataFrame:
    """Per (source, scope, date) a side's source held: its status on that side (kept / identical / superseded).

    Reconstructed: a source holds each day of its scope between its first and last date; on a day
    with conflicts, the sources ranked at or below the best named loser held a losing version.
    """
    days = side.tables["days"].select(*DAY_KEY, pl.col("source").alias("winner")).unique(DAY_KEY)
    spans = side.sources.filter(pl.col("first_date").is_not_null()).select(
        "source", *SCOPE, "first_date", "last_date"
    ).join(ranks.select("source", "rank"), on="source", how="left")
    held = spans.join(days, on=list(SCOPE), how="inner", nulls_equal=True).filter(
        pl.col("date").is_between(pl.col("first_date"), pl.col("last_date"))
    )
    losers = (
        side.conflicts.select(*DAY_KEY, "other_source").unique()
        .join(ranks.select(pl.col("source").alias("other_source"), pl.col("rank").alias("loser_rank")),
              on="other_source", how="left")
        .group_by(DAY_KEY).agg(pl.col("loser_rank").max())
    )
    return held.join(losers, on=DAY_KEY, how="left", nulls_equal=True).select(
        "source", *DAY_KEY,
        pl.when(pl.col("source") == pl.col("winner")).then(pl.lit("kept"))
        .when(pl.col("loser_rank").is_not_null() & (pl.col("rank") <= pl.col("loser_rank")))
        .then(pl.lit("superseded")).otherwise(pl.lit("identical")).alias("status"),
    )


def _counts(holdings: pl.DataFrame) -> pl.DataFrame:
    return holdings.group_by("source").agg(
        (pl.col("status") == s).sum().cast(pl.Int64).alias(f"days_{s}") for s in ("kept", "identical", "superseded")
    )


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
        columns = [c for c in ("source", "kept_source", "other_source") if c in f.columns]
        return f.with_columns(rename(c) for c in columns) if columns else f

    report = ds.validation
    return dataclasses.replace(
        ds, tables={n: frame(f) for n, f in ds.tables.items()}, sources=frame(ds.sources),
        quarantine=frame(ds.quarantine), findings=frame(ds.findings), conflicts=frame(ds.conflicts),
        validation=dataclasses.replace(report, errors=frame(report.errors),
                                       unknown_fields=frame(report.unknown_fields)),
    )


def merge_datasets(old: Dataset, new: Dataset) -> Dataset:
    """Merge ``new`` into ``old`` as :func:`copilot_metrics.load` would merge all their inputs at once.

    Tables: for each (scope, date) the version of the higher-ranked winner (ranks recomputed over
    both sides' sources from their stored ``export_time``, ``mtime`` and ``source``, as
    :func:`~copilot_metrics.merge.rank_sources` does; a custom ``precedence`` is not
    replayed).  A source present on both sides counts as ``new``'s.

    ``days_kept`` is exact; ``days_identical`` / ``days_superseded`` are re-derived per held day
    (see :func:`_holdings`), exact when each export holds every day between its first and last
    date and the versions of a day follow each other in export order (a correction is never
    reverted); where that reconstruction disagrees with a side's stored counts, that source's
    stored counts are carried over, adjusted by the days its side's winner lost.
    Conflicts: both sides' rows (those whose day's winner changed to an identical version name the
    new winner as ``kept_source``) plus the differences between the two sides' winners.
    Findings: the reading findings of both sides, table rules re-evaluated on the merged tables.
    """
    new = relabel(new, in_memory_renames(old.sources, new.sources))
    renewed = set(new.sources["source"].to_list())
    old_tables = {n: f.filter(~pl.col("source").is_in(list(renewed))) for n, f in old.tables.items()}
    old_sources = old.sources.filter(~pl.col("source").is_in(list(renewed)))
    sources = _rank(pl.concat([conform("sources", old_sources), conform("sources", new.sources)]))
    ranks = sources.select("source", "rank")

    merger = Merger()
    for tables in (old_tables, new.tables):
        for label, parts in _by_source(tables):
            merger.add(label, parts)
    tables, merged_conflicts, merged_counts = merger.finish(ranks)

    final = day_digests(tables).join(
        tables["days"].select(*DAY_KEY, pl.col("source").alias("final_source")),
        on=DAY_KEY, how="left", nulls_equal=True,
    ).select(*DAY_KEY, pl.col("digest").alias("final_digest"), "final_source")
    old_view = Dataset(old.tables, old_sources, old.quarantine, old.findings, old.conflicts, old.validation)

    resolved, fallback, side_conflicts = [], [], []
    for side in (old_view, new):
        side_digest = day_digests(side.tables).select(*DAY_KEY, pl.col("digest").alias("side_digest"))
        held = _holdings(side, ranks)
        stored = side.sources.select("source", "days_kept", "days_identical", "days_superseded")
        agrees = _agreeing(held, stored)
        status = held.join(agrees, on="source", how="semi").join(side_digest, on=DAY_KEY, how="left", nulls_equal=True)
        status = status.join(final, on=DAY_KEY, how="left", nulls_equal=True).select(
            "source", *DAY_KEY,
            pl.when(pl.col("source") == pl.col("final_source")).then(pl.lit("kept"))
            .when((pl.col("status") != "superseded") & (pl.col("side_digest") == pl.col("final_digest")))
            .then(pl.lit("identical")).otherwise(pl.lit("superseded")).alias("status"),
        )
        resolved.append(status)
        fallback.append(stored.join(agrees, on="source", how="anti"))
        side_conflicts.append(
            side.conflicts.join(side_digest, on=DAY_KEY, how="left", nulls_equal=True)
            .join(final, on=DAY_KEY, how="left", nulls_equal=True)
            .with_columns(
                pl.when(pl.col("side_digest") == pl.col("final_digest"))
                .then(pl.col("final_source")).otherwise(pl.col("kept_source")).alias("kept_source")
            )
            .select(CONFLICT_SCHEMA.names())
        )
    counts = _counts(pl.concat(resolved))
    carried = pl.concat(fallback).join(merged_counts, on="source", how="left", suffix="_m").select(
        "source",
        pl.col("days_kept_m").fill_null(0).alias("days_kept"),
        (pl.col("days_identical") + pl.col("days_identical_m").fill_null(0)).alias("days_identical"),
        (pl.col("days_superseded") + pl.col("days_superseded_m").fill_null(0)).alias("days_superseded"),
    )
    counts = pl.concat([counts, carried.cast(counts.schema)])
    sources = sources.drop("days_kept", "days_identical", "days_superseded").join(
        counts, on="source", how="left"
    ).with_columns(pl.col("days_kept", "days_identical", "days_superseded").fill_null(0).cast(pl.Int64))

    conflicts = dedupe_versions(pl.concat([*side_conflicts, merged_conflicts.select(CONFLICT_SCHEMA.names())]).unique(
        maintain_order=True
    ), ranks).sort([*DAY_KEY, "table", "key", "column", "other_source"], nulls_last=False, maintain_order=True)

    def from_files(frame: pl.DataFrame, dropped: set[str]) -> pl.DataFrame:
        return frame.filter(~pl.col("source").is_in(list(dropped)))

    read_findings = [
        from_files(old.findings, renewed).filter(~pl.col("rule").is_in(list(TABLE_RULES))),
        new.findings.filter(~pl.col("rule").is_in(list(TABLE_RULES))),
    ]
    findings = pl.concat(
        [*(conform("findings", f) for f in read_findings), table_findings(tables)]
    ).sort(["source", *DAY_KEY, "table", "rule", "json_path"], nulls_last=True, maintain_order=True)
    quarantine = pl.concat([conform("quarantine", from_files(old.quarantine, renewed)),
                            conform("quarantine", new.quarantine)])
    errors = pl.concat([from_files(old.validation.errors, renewed), new.validation.errors])
    unknown = pl.concat([from_files(old.validation.unknown_fields, renewed), new.validation.unknown_fields])
    report = ValidationReport(errors, unknown, int(sources["days"].sum()), int(sources["days_valid"].sum()))
    return Dataset(tables, sources, quarantine, findings, conflicts, report, {**old.meta, **new.meta})


def _agreeing(held: pl.DataFrame, stored: pl.DataFrame) -> pl.DataFrame:
    """Sources whose reconstructed holdings reproduce their stored counts."""
    names = ["days_kept", "days_identical", "days_superseded"]
    rebuilt = stored.select("source").join(_counts(held), on="source", how="left").with_columns(
        pl.col(names).fill_null(0)
    )
    return rebuilt.join(stored, on=["source", *names], how="semi", nulls_equal=True).select("source")
