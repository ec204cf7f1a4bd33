"""The versions of each day an archive holds, and the winning one: :class:`Merger`.

An archive holds the same day many times (daily or weekly exports of a 28- or 100-day window),
sometimes with different numbers (GitHub corrected late data).  :class:`Merger` keeps, for each
(scope, date), one copy of every *distinct* version of the day as files are read (identical
repeats are dropped at once, so memory grows with distinct days, not with files), and at the end
keeps the version of the most recent export (:mod:`~copilot_metrics.merge.precedence`).

Identical repeats are counted per file in ``ds.sources`` (``days_kept``, ``days_identical``,
``days_superseded``); the JSON of every version that did not win is kept in ``ds.versions``.
Unlabelled folders whose versions cannot be one scope are found here (:func:`scope_clashes`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import polars as pl

from copilot_metrics import _schema
from copilot_metrics.errors import ScopeError
from copilot_metrics.merge.conflicts import conflict_rows
from copilot_metrics.rebuild import rebuild_days
from copilot_metrics.sidetables import status_expr, version_columns
from copilot_metrics.sources import READ_SUFFIXES
from copilot_metrics.tables import DAY_KEY, SCOPE, TABLES

__all__ = [
    "CLASH_MIN_DATES",
    "IN_MEMORY",
    "Merger",
    "day_digests",
    "file_statuses",
    "refuse_clashes",
    "scope_clashes",
]

#: Labels of in-memory inputs (``<bytes #1>``, ``<file object #2>``): numbered per call of load,
#: so two datasets can use the same label for different content.
IN_MEMORY = r"^<(?:bytes|file object) #(\d+)>"


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
            repeated inside one file is added under its own label, the file then the copy's JSON
            path (``file$[3]``: :func:`~copilot_metrics.sidetables.copy_label`), with the file's
            precedence and ``occurrence`` >= 1 (the later copy, occurrence 0, wins the tie).
        occurrence:
            0 for the kept copy of a file, 1 for the copy before it, ...
        """
        file = source if file is None else file
        assert source.startswith(file), (source, file)
        copy_path = source.removeprefix(file) or None  # the label is the file, then the copy's path
        digests = day_digests(tables)
        known = digests.join(self._seen, on=[*DAY_KEY, "digest"], how="semi", nulls_equal=True)
        fresh = digests.join(known, on=DAY_KEY, how="anti", nulls_equal=True)
        self.registry.append(
            digests.with_columns(
                pl.lit(source).alias("source"),
                pl.lit(file).alias("file"),
                pl.lit(copy_path, pl.String).alias("copy_path"),
                pl.lit(occurrence, pl.Int64).alias("occurrence"),
                pl.struct(DAY_KEY).is_in(fresh.select(pl.struct(DAY_KEY)).to_series().implode()).alias("stored"),
            )
        )
        self._seen = pl.concat([self._seen, fresh.select(*DAY_KEY, "digest")])
        for name, frame in tables.items():
            kept = (
                frame.join(known.select(DAY_KEY), on=DAY_KEY, how="anti", nulls_equal=True) if known.height else frame
            )
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
                *DAY_KEY,
                "digest",
                "source",
                pl.col("source").alias("file"),
                pl.lit(None, pl.String).alias("copy_path"),
                pl.lit(0, pl.Int64).alias("occurrence"),
                pl.col("stored").fill_null(False),
            )
        )
        self._seen = pl.concat([self._seen, fresh.select(*DAY_KEY, "digest")])
        every = stored.height == digests.height  # no repeat in the batch: keep the tables, not a copy
        for name, frame in tables.items():
            kept = (
                frame
                if every
                else frame.join(
                    stored.select(*DAY_KEY, "source"), on=[*DAY_KEY, "source"], how="semi", nulls_equal=True
                )
            )
            if kept.height:
                self.parts[name].append(kept)

    def add_versions(self, tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame) -> None:
        """Add the versions of days a dataset holds (see :func:`merge_into`).

        ``tables`` hold each version's rows once, labelled (``source``) by one copy holding it;
        ``registry`` has one row per copy: scope, ``date``, ``digest`` (:func:`day_digests`),
        ``source`` (the copy's label), ``file``, ``copy_path`` (null for a file's own copy),
        ``occurrence`` and ``stored`` (``tables`` holds
        the version's rows under this label).  A version already held is not stored again.
        """
        held = registry.filter(pl.col("stored")).select(*DAY_KEY, "digest", "source")
        fresh = held.join(self._seen, on=[*DAY_KEY, "digest"], how="anti", nulls_equal=True).unique(
            [*DAY_KEY, "digest"], keep="first", maintain_order=True
        )
        stored = fresh.select(*DAY_KEY, "source", pl.lit(True).alias("stored"))
        self.registry.append(
            registry.drop("stored")
            .join(stored, on=[*DAY_KEY, "source"], how="left", nulls_equal=True)
            .select(
                *DAY_KEY,
                "digest",
                "source",
                "file",
                "copy_path",
                pl.col("occurrence").cast(pl.Int64),
                pl.col("stored").fill_null(False),
            )
        )
        self._seen = pl.concat([self._seen, fresh.select(*DAY_KEY, "digest")])
        for name, frame in tables.items():
            kept = frame.join(stored.select(*DAY_KEY, "source"), on=[*DAY_KEY, "source"], how="semi", nulls_equal=True)
            if kept.height:
                self.parts[name].append(kept)

    def finish(self, ranks: pl.DataFrame) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame, pl.DataFrame]:
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
            pl.lit(None, pl.String).alias("source"),
            pl.lit(None, pl.String).alias("file"),
            pl.lit(None, pl.String).alias("copy_path"),
            pl.lit(None, pl.Int64).alias("occurrence"),
            pl.lit(None, pl.Boolean).alias("stored"),
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
            .join(
                stored.select(*DAY_KEY, "digest", pl.col("source").alias("stored_source")),
                on=[*DAY_KEY, "digest"],
                how="left",
                nulls_equal=True,
            )
            .select(*DAY_KEY, "stored_source", pl.col("source").alias("other_source"))
        )
        tables: dict[str, pl.DataFrame] = {}
        full: dict[str, pl.DataFrame] = {}
        for name, spec in TABLES.items():
            parts = self.parts[name]
            frame = pl.concat(parts) if parts else pl.DataFrame(schema=spec.schema)
            full[name] = frame
            tables[name] = (
                frame.join(
                    keep,
                    left_on=[*DAY_KEY, "source"],
                    right_on=[*DAY_KEY, "stored_source"],
                    how="inner",
                    nulls_equal=True,
                    maintain_order="left",
                )
                .with_columns(pl.col("final_source").alias("source"))
                .select(spec.schema.names())
                .sort(DAY_KEY, maintain_order=True, nulls_last=False)
            )
        conflicts = conflict_rows(full, keep, losers)
        is_winner = pl.col("source") == pl.col("final_source")
        same = pl.col("digest") == pl.col("win_digest")
        counts = registry.group_by(pl.col("file").alias("source")).agg(
            is_winner.sum().cast(pl.Int64).alias("days_kept"),
            (~is_winner & same).sum().cast(pl.Int64).alias("days_identical"),
            (~same).sum().cast(pl.Int64).alias("days_superseded"),
        )
        self.winners = winners.select(
            *DAY_KEY, pl.col("win_digest").alias("digest"), pl.col("final_source").alias("source")
        )
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
    unlabelled = pl.all_horizontal(pl.col(c).is_null() for c in SCOPE) & ~pl.col("file").str.contains(IN_MEMORY)
    folder = pl.col("file").str.extract(r"^(.*)[/\\][^/\\]*$", 1).fill_null(".").alias("folder")
    held = versions.filter(unlabelled).select(folder, "date", "digest").unique()
    empty = pl.DataFrame(
        schema={"folder": pl.String, "other_folder": pl.String, "shared": pl.Int64, "differing": pl.Int64}
    )
    if held["folder"].n_unique() < 2:
        return empty
    other = {"folder": "other_folder", "digest": "other_digest"}
    # only a date held in several versions can set two folders apart: compare those first (few, in one scope)
    split = held.join(
        held.group_by("date").agg(pl.col("digest").n_unique()).filter(pl.col("digest") > 1), on="date", how="semi"
    )
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
        differing.select("folder", "other_folder")
        .join(dates, on="folder")
        .join(dates.rename({"folder": "other_folder"}), on=["other_folder", "date"])
        .group_by("folder", "other_folder")
        .agg(pl.len().cast(pl.Int64).alias("shared"))
    )
    return (
        differing.join(shared, on=["folder", "other_folder"])
        .filter(2 * pl.col("differing") > pl.col("shared"))
        .sort(["differing", "folder", "other_folder"], descending=[True, False, False])
        .select(empty.columns)
    )


def refuse_clashes(clashes: pl.DataFrame, labels: list[str]) -> None:
    """Raise :class:`ScopeError` for the first pair of folders :func:`scope_clashes` found."""
    if clashes.height == 0:
        return
    first = clashes.row(0, named=True)
    inside = next((label.lower() for label in labels if (os.path.dirname(label) or ".") == first["folder"]), "")  # noqa: PTH120
    suffix = max((s for s in READ_SUFFIXES if inside.endswith(s)), key=len, default=".json")
    raise ScopeError.mixed_folders(
        (first["folder"], first["other_folder"]),
        first["shared"],
        first["differing"],
        suffix=suffix,
        more=clashes.height - 1,
    )


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
        .select(
            version_columns(
                source=pl.col("file"),
                copy_path=pl.col("copy_path"),
                occurrence=pl.col("occurrence"),
                version=pl.col("version"),
                day_json=pl.col("day_json"),
            )
        )
        .sort([*DAY_KEY, "version", "source", "occurrence"], nulls_last=False)
    )


def _version_json(full: Mapping[str, pl.DataFrame], losers: pl.DataFrame) -> pl.DataFrame:
    """Each losing version's day as the API wrote it (:func:`copilot_metrics.to_api`), by its most recent copy."""
    schema = pl.Schema(
        {**dict.fromkeys(SCOPE, pl.String()), "date": pl.Date(), "source": pl.String(), "day_json": pl.String()}
    )
    out = [schema.to_frame()]
    # rebuilt a round at a time: a day holds several losing versions, rebuild_days one version of a day
    rounds = losers.with_columns(pl.int_range(pl.len()).over(DAY_KEY).alias("_round"))
    for keys in rounds.partition_by("_round", maintain_order=True):
        stored = keys.select(*DAY_KEY, pl.col("stored_source").alias("source"))
        rows = {
            name: frame.join(stored, on=[*DAY_KEY, "source"], how="semi", nulls_equal=True, maintain_order="left")
            for name, frame in full.items()
        }
        days, _ = rebuild_days(rows)
        texts = (
            rows["days"]
            .select(*DAY_KEY, "source")
            .with_columns(pl.Series("day_json", [_schema.json_bytes(day).decode() for day in days], dtype=pl.String))
        )
        out.append(
            texts.join(
                keys.select(*DAY_KEY, pl.col("stored_source").alias("source"), "other_source"),
                on=[*DAY_KEY, "source"],
                how="inner",
                nulls_equal=True,
            ).select(*SCOPE, "date", pl.col("other_source").alias("source"), "day_json")
        )
    return pl.concat(out)


def file_statuses(sources: pl.DataFrame, quarantine: pl.DataFrame) -> pl.DataFrame:
    """A loaded file's state (and status) says whether days of it are set aside, or all of them.

    From the quarantine as it is: a merge can take a day out of it (a newer version won).
    """
    # counted over runs of a source (a load's quarantine is in source order): no hash of every row
    runs = quarantine.select(pl.col("source").rle()).unnest("source")
    aside = runs.group_by("value").agg(pl.col("len").sum().cast(pl.Int64).alias("_aside")).rename({"value": "source"})
    loaded = pl.col("state").is_in(("loaded", "partly_quarantined", "quarantined"))
    some = pl.col("_aside").fill_null(0) > 0
    state = (
        pl.when(loaded & some & (pl.col("_aside") >= pl.col("days")))
        .then(pl.lit("quarantined"))
        .when(loaded & some)
        .then(pl.lit("partly_quarantined"))
        .when(loaded)
        .then(pl.lit("loaded"))
        .otherwise(pl.col("state"))
    )
    out = sources.join(aside, on="source", how="left", maintain_order="left").with_columns(state.alias("state"))
    return out.with_columns(status_expr(pl.col("state"), pl.col("reason")).alias("status")).drop("_aside")
