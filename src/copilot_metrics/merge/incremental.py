"""Merging new files into a dataset: :func:`merge_into`, behind ``load(base=)`` and ``write_parquet(mode="merge")``.

A dataset records every copy of a day its files held, and the JSON of every version that did
not win (``ds.versions``).  So new files merge into it as if every file were loaded at once:
the same winners, conflicts and counts, from the same versions.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from copilot_metrics import _pseudonyms, _schema
from copilot_metrics.dataset import Dataset
from copilot_metrics.explode import explode_days
from copilot_metrics.findings import CONTRACT_RULES, TABLE_RULES, table_findings
from copilot_metrics.merge import reports as reports_merge
from copilot_metrics.merge.conflicts import CONFLICT_ORDER, rebase_conflicts
from copilot_metrics.merge.precedence import rank_sources
from copilot_metrics.merge.versions import (
    IN_MEMORY,
    Merger,
    day_digests,
    file_statuses,
    refuse_clashes,
    scope_clashes,
)
from copilot_metrics.sidetables import REPORT_VERSION_SCHEMA, SOURCE_FAMILY_COLUMNS, copy_label_expr, legacy_family
from copilot_metrics.successor.registry import DRIFT_SCHEMA, LOGIN_SCHEMA, REPORT_SCHEMA, ReportTable, report_tables
from copilot_metrics.successor.registry import TABLES as REPORT_TABLES
from copilot_metrics.tables import (
    DAY_KEY,
    QUARANTINE_SCHEMA,
    SCOPE,
    SOURCE_READ_SCHEMA,
    SOURCE_SCHEMA,
    TABLES,
    conform,
)
from copilot_metrics.validation import ValidationReport

#: A report file as :func:`copilot_metrics.merge.reports.merge_reports` takes it: label, scope, its read.
_Part = tuple[str, dict[str, str | None], Any]

__all__ = ["in_memory_renames", "merge_into", "relabel", "report_versions"]


def in_memory_renames(base_sources: pl.DataFrame, new_sources: pl.DataFrame) -> dict[str, str]:
    """New labels for the in-memory inputs of ``new_sources`` that clash with the base's.

    A file path read again replaces its base copy (the same file, perhaps changed), but an
    in-memory label names a position in one call of :func:`copilot_metrics.load`, not a file:
    a clashing one with other content (``sha256``) gets the next free number, so that merging
    two datasets loaded from bytes loses nothing.  Identical content keeps its label.
    """
    taken = set(base_sources["source"].to_list())
    base_sha = dict(base_sources.select("source", "sha256").iter_rows())
    numbers = [int(m) for m in base_sources["source"].str.extract(IN_MEMORY).drop_nulls().to_list()]
    next_number = max(numbers, default=0) + 1
    renames: dict[str, str] = {}
    for label, sha in new_sources.select("source", "sha256").iter_rows():
        if label not in taken or not re.match(IN_MEMORY, label) or base_sha.get(label) == sha:
            continue
        kind = label[1 : label.index(" #")]
        renames[label] = f"<{kind} #{next_number}>"
        next_number += 1
    return renames


def _copies(versions: pl.DataFrame) -> pl.DataFrame:
    """Each copy's label in ``versions``, with its file (``_file``) and ``copy_path`` (``_path``), per day."""
    return versions.select(
        *DAY_KEY, "label", pl.col("source").alias("_file"), pl.col("copy_path").alias("_path")
    ).unique([*DAY_KEY, "label"])


def _copy_file(conflicts: pl.DataFrame, versions: pl.DataFrame, column: str) -> pl.DataFrame:
    """``conflicts`` with the file and copy path of the copy ``column`` names, from ``versions``.

    As ``_file`` and ``_path``; a label ``versions`` does not record (a layout before it) is a file.
    """
    return conflicts.join(
        _copies(versions).rename({"label": column}),
        on=[*DAY_KEY, column],
        how="left",
        nulls_equal=True,
        maintain_order="left",
    ).with_columns(pl.col("_file").fill_null(pl.col(column)))


def relabel(ds: Dataset, renames: Mapping[str, str]) -> Dataset:
    """``ds`` with its sources renamed (rows, side tables, the labels of earlier copies, report).

    An earlier copy's label is its file's, then its ``copy_path`` (``ds.versions``): the
    labels in ``ds.conflicts`` are found there, never parsed.
    """
    if not renames:
        return ds

    def rename(column: str | pl.Expr) -> pl.Expr:
        return (pl.col(column) if isinstance(column, str) else column).replace(renames)

    def frame(f: pl.DataFrame) -> pl.DataFrame:
        return f.with_columns(rename("source")) if "source" in f.columns else f

    versions = conform("versions", ds.versions)
    conflicts = ds.conflicts
    for column in ("kept_source", "other_source"):
        conflicts = (
            _copy_file(conflicts, versions, column)
            .with_columns(copy_label_expr(rename("_file"), pl.col("_path")).alias(column))
            .drop("_file", "_path")
        )
    report = ds.validation
    return dataclasses.replace(
        ds,
        tables={n: frame(f) for n, f in ds.tables.items()},
        sources=frame(ds.sources),
        quarantine=frame(ds.quarantine),
        findings=frame(ds.findings),
        conflicts=conflicts,
        validation=dataclasses.replace(
            report, errors=frame(report.errors), unknown_fields=frame(report.unknown_fields)
        ),
        versions=frame(versions).with_columns(copy_label_expr(pl.col("source"), pl.col("copy_path")).alias("label")),
        report_versions=frame(ds.report_versions),
    )


# ---------------------------------------------------------------- the successor reports


def _as_json(frame: pl.DataFrame, source: pl.Expr | str, table: str) -> pl.DataFrame:
    """``frame``'s rows as :data:`REPORT_VERSION_SCHEMA` rows: ``source``, ``table`` and the row as JSON."""
    if frame.height == 0:
        return REPORT_VERSION_SCHEMA.to_frame()
    return frame.select(
        (source if isinstance(source, pl.Expr) else pl.lit(source, pl.String)).alias("source"),
        pl.lit(table, pl.String).alias("table"),
        pl.struct(frame.columns).struct.json_encode().alias("row_json"),
    )


def report_versions(
    parts: list[_Part], kept: Mapping[str, pl.DataFrame], specs: Mapping[str, ReportTable] = REPORT_TABLES
) -> pl.DataFrame:
    """``ds.report_versions`` of merged report files: what their reads held that the tables ``kept`` do not.

    ``parts`` are the ``(label, scope, read)`` of every report file (a
    :class:`~copilot_metrics.successor.read.ReportRead` or what :func:`_report_parts` rebuilds);
    ``kept`` the merged successor tables, ``specs`` their form.  Each file's rows that did not win
    (another shard's copy of a kept record, a losing report's), its own ``reports`` rows and its
    ``schema_drift`` rows.
    """
    out = [REPORT_VERSION_SCHEMA.to_frame()]
    for name, spec in specs.items():
        held = [p[2].tables[name] for p in parts if p[2].tables[name].height]
        if held:
            key = [*spec.key, "source"]
            dropped = pl.concat(held).join(
                kept[name].select(key), on=key, how="anti", nulls_equal=True, maintain_order="left"
            )
            out.append(_as_json(dropped, pl.col("source"), name))
    for label, _, read in parts:
        out.append(_as_json(read.reports.select(REPORT_SCHEMA.names()), label, "reports"))
        out.append(_as_json(read.schema_drift.select(DRIFT_SCHEMA.names()), label, "schema_drift"))
    return pl.concat(out)


@dataclasses.dataclass(frozen=True)
class _StoredRead:
    """A report file's read, rebuilt from a dataset (what :func:`reports_merge.merge_reports` reads of it)."""

    tables: dict[str, pl.DataFrame]
    reports: pl.DataFrame
    schema_drift: pl.DataFrame


def _decoded(versions: pl.DataFrame, table: str, schema: pl.Schema) -> pl.DataFrame:
    """The rows of ``table`` stored in ``versions`` (``row_json``), with their declared dtypes."""
    rows = versions.filter(pl.col("table") == table)
    if rows.height == 0:
        return schema.to_frame()
    return rows.select(pl.col("row_json").str.json_decode(pl.Struct(schema)).alias("_row")).unnest("_row")


def _report_parts(ds: Dataset, replaced: list[str]) -> list[_Part]:
    """``ds``'s report files (but those in ``replaced``) as merge parts: kept rows and stored versions together.

    Rows in ``ds``'s form (pseudonymized ones keyed by ``user_pid``).
    """
    files = conform("sources", ds.sources).filter((pl.col("family") == "reports") & ~pl.col("source").is_in(replaced))
    versions = conform("report_versions", ds.report_versions)
    scopes = {row["source"]: {k: row[k] for k in SCOPE} for row in files.iter_rows(named=True)}
    if not scopes:
        return []
    held = {
        name: pl.concat([ds.tables[name], _decoded(versions, name, spec.schema)])
        .filter(pl.col("source").is_in(list(scopes)))
        .sort(list(spec.key), nulls_last=False, maintain_order=True)
        for name, spec in report_tables(ds.privacy).items()
    }
    reports = _decoded(versions, "reports", REPORT_SCHEMA)
    drift = versions.filter(pl.col("table") == "schema_drift")
    parts: list[_Part] = []
    for label, scope in sorted(scopes.items()):
        mine = {name: frame.filter(pl.col("source") == label) for name, frame in held.items()}
        parts.append(
            (
                label,
                scope,
                _StoredRead(
                    mine,
                    reports.filter(pl.col("source") == label),
                    _decoded(drift.filter(pl.col("source") == label), "schema_drift", DRIFT_SCHEMA),
                ),
            )
        )
    return parts


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
    set_aside_rows, set_aside = _set_aside(quarantine, days)
    kept_by = pl.concat([days, set_aside.select(*DAY_KEY, "source")])
    unrecorded = kept_by.join(versions.select(DAY_KEY).unique(), on=DAY_KEY, how="anti", nulls_equal=True).select(
        "source",
        *SCOPE,
        "date",
        pl.col("source").alias("label"),
        pl.lit(None, pl.String).alias("copy_path"),
        pl.lit(0, pl.Int64).alias("occurrence"),
        pl.lit(0, pl.Int64).alias("version"),
        pl.lit(None, pl.String).alias("day_json"),
    )
    recorded = pl.concat([versions, unrecorded])
    holding = recorded.filter(~pl.col("source").is_in(gone))
    holders = holding.group_by([*DAY_KEY, pl.col("version").alias("_version")]).agg(
        pl.col("label").min().alias("_holder")
    )
    content = _content(ds, recorded, set_aside, holders)
    digests = day_digests(content, by_source=True).rename({"source": "_holder"})
    copies = holding.join(
        holders, left_on=[*DAY_KEY, "version"], right_on=[*DAY_KEY, "_version"], how="inner", nulls_equal=True
    ).join(digests, on=[*DAY_KEY, "_holder"], how="inner", nulls_equal=True)
    registry = copies.select(
        *DAY_KEY,
        "digest",
        pl.col("label").alias("source"),
        pl.col("source").alias("file"),
        "copy_path",
        "occurrence",
        (pl.col("label") == pl.col("_holder")).alias("stored"),
    )
    kept = copies.filter(pl.col("version") == 0).select(*DAY_KEY, "digest").unique(DAY_KEY)
    sources = conform("sources", ds.sources).filter(~pl.col("source").is_in(gone))
    conflicts = (
        _copy_file(conform("conflicts", ds.conflicts), versions, "other_source")
        .filter(~pl.col("_file").is_in(gone) & ~pl.col("table").is_in(list(REPORT_TABLES)))
        .drop("_file", "_path")
        .join(
            versions.filter(pl.col("version") > 0).select(*DAY_KEY, pl.col("label").alias("other_source")),
            on=[*DAY_KEY, "other_source"],
            how="anti",
            nulls_equal=True,
        )
        .join(kept.rename({"digest": "_kept"}), on=DAY_KEY, how="left", nulls_equal=True)
    )
    unread = ~pl.col("source").is_in(gone).fill_null(False)
    return _Side(
        sources,
        quarantine.filter(unread),
        conform("findings", ds.findings).filter(unread),
        ds.validation.errors.filter(unread),
        ds.validation.unknown_fields.filter(unread),
        content,
        registry,
        kept,
        copies.join(set_aside, on=DAY_KEY, how="semi", nulls_equal=True)
        .filter(pl.col("version") == 0)
        .select(*DAY_KEY, "digest"),
        set_aside_rows,
        conflicts,
        _offsets(sources, copies, kept_by),
    )


def _set_aside(quarantine: pl.DataFrame, days: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The days the contracts set aside (their JSON kept in the quarantine, no row in ``days``).

    Their quarantine rows, one per day; and scope, ``date`` (a date), ``source``, ``day_json``.
    """
    rows = (
        quarantine.filter((pl.col("stage") == "contract") & pl.col("day_json").is_not_null())
        .join(days.with_columns(pl.col("date").cast(pl.String)), on=DAY_KEY, how="anti", nulls_equal=True)
        .unique([*SCOPE, "date"], keep="first", maintain_order=True)
    )
    return rows, rows.select(*SCOPE, pl.col("date").str.to_date("%Y-%m-%d", strict=False), "source", "day_json")


def _content(
    ds: Dataset, recorded: pl.DataFrame, set_aside: pl.DataFrame, holders: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """Each version's rows once, labelled (``source``) by the copy still holding it (``holders._holder``).

    The kept version is the tables' rows; the others (and a day set aside) are rebuilt from their JSON.
    """
    texts = pl.concat(
        [
            recorded.filter(pl.col("day_json").is_not_null()).select(*DAY_KEY, "label", "version", "day_json"),
            set_aside.select(
                *DAY_KEY, pl.col("source").alias("label"), pl.lit(0, pl.Int64).alias("version"), "day_json"
            ),
        ]
    ).unique([*DAY_KEY, "version"], keep="first", maintain_order=True)
    rebuilt = explode_days(
        [_schema.loads(text) for text in texts["day_json"]],
        source=texts["label"].to_list(),
        scope=texts.select(SCOPE).to_dicts(),
    )
    tag = texts.select(*DAY_KEY, pl.col("label").alias("source"), pl.col("version").alias("_version"))
    content = {}
    for name in TABLES:  # the legacy days (successor reports are not merged incrementally yet)
        frame = ds.tables[name]
        mine = pl.concat(
            [
                frame.with_columns(pl.lit(0, pl.Int64).alias("_version")),
                rebuilt[name].join(tag, on=[*DAY_KEY, "source"], how="inner", nulls_equal=True, maintain_order="left"),
            ]
        )
        content[name] = (
            mine.join(holders, on=[*DAY_KEY, "_version"], how="inner", nulls_equal=True, maintain_order="left")
            .with_columns(pl.col("_holder").alias("source"))
            .drop("_version", "_holder")
        )
    return content


def _offsets(sources: pl.DataFrame, copies: pl.DataFrame, kept_by: pl.DataFrame) -> pl.DataFrame:
    """Per file, the ``days_identical`` and ``days_superseded`` its recorded copies do not account for.

    A layout without versions records no copy but the kept one: its files' counts are carried as stored.
    """
    implied = (
        copies.join(kept_by.rename({"source": "_kept_by"}), on=DAY_KEY, how="left", nulls_equal=True)
        .group_by(pl.col("source"))
        .agg(
            ((pl.col("version") == 0) & (pl.col("label") != pl.col("_kept_by"))).sum().alias("_identical"),
            (pl.col("version") > 0).sum().alias("_superseded"),
        )
    )
    sources = sources.filter(pl.col("family").ne_missing("reports"))  # a report file's counts are the reports merge's
    return (
        sources.select("source", "days_identical", "days_superseded")
        .join(implied, on="source", how="left")
        .select(
            "source",
            *(
                (pl.col(c) - pl.col(f"_{c.removeprefix('days_')}").fill_null(0))
                .clip(lower_bound=0)
                .cast(pl.Int64)
                .alias(c)
                for c in ("days_identical", "days_superseded")
            ),
        )
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

    Pseudonymized datasets merge when made under the same key (``meta["key_fingerprint"]``):
    the same key gives the same pseudonyms, so user rows merge by ``user_pid`` as one load with
    that key merges them by ``user_id``.  A side without identified rows (no user rows) takes
    the other's form; different keys, or pseudonymized with identified data, raise
    :class:`~copilot_metrics.errors.PrivacyError`.

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
    base, new = _pseudonyms.adopt(base, new.meta), _pseudonyms.adopt(new, base.meta)  # one form, or PrivacyError
    specs = report_tables(base.privacy)
    new = relabel(new, in_memory_renames(base.sources, new.sources))
    replaced = new.sources["source"].to_list()
    sides = (_side(base, replaced), _side(new, []))
    merger, ranked = _compete(sides, fetched_at, precedence)
    tables, conflicts, counts, versions = merger.finish(ranked)
    assert merger.winners is not None
    aside = _won_aside(merger.winners, sides)
    tables = {
        name: frame.join(aside, on=DAY_KEY, how="anti", nulls_equal=True, maintain_order="left")
        for name, frame in tables.items()
    }
    # the successor reports: every file's read, rebuilt from both sides, merged as one load merges them
    parts = sorted([*_report_parts(base, replaced), *_report_parts(new, [])], key=lambda part: part[0])
    merged = reports_merge.merge_reports(parts, ranked, specs)
    tables |= merged.tables
    quarantine, still = _quarantine(sides, aside)
    findings = _findings(sides, still, tables, merged.findings, merged.reports)
    conflicts = pl.concat(
        [rebase_conflicts(conflicts, pl.concat([side.conflicts for side in sides]), merger.winners), merged.conflicts]
    ).sort(list(CONFLICT_ORDER), nulls_last=False)
    sources = file_statuses(_counted(ranked, counts, sides, merged.counts), quarantine)
    drift = reports_merge.schema_drift([part[2].schema_drift for part in parts])
    return Dataset(
        tables,
        sources,
        quarantine,
        findings,
        conflicts,
        _report(sides, sources),
        {**base.meta, **new.meta},
        versions=versions,
        reports=merged.reports,
        schema_drift=drift,
        user_logins=LOGIN_SCHEMA.to_frame() if base.privacy else reports_merge.user_logins(merged.tables["user_days"]),
        report_versions=report_versions(parts, merged.tables, specs),
    )


def _compete(
    sides: tuple[_Side, ...],
    fetched_at: Mapping[str, Any] | None,
    precedence: Callable[[dict[str, Any]], Any] | None,
) -> tuple[Merger, pl.DataFrame]:
    """A :class:`Merger` holding both sides' versions, and every file ranked (:func:`rank_sources`).

    Unlabelled folders that cannot be one scope are refused, as one load refuses them.
    """
    merger = Merger()
    for side in sides:
        merger.add_versions(side.content, side.registry)
    sources = pl.concat([side.sources for side in sides]).sort("source")
    if merger.registry:
        refuse_clashes(scope_clashes(pl.concat(merger.registry)), sources["source"].to_list())
    ranked = rank_sources(
        sources.select(*SOURCE_READ_SCHEMA.names(), "export_time", "precedence_basis"), fetched_at, precedence
    )
    return merger, ranked


def _won_aside(winners: pl.DataFrame, sides: tuple[_Side, ...]) -> pl.DataFrame:
    """The days whose winning version the contracts set aside (their rows are not kept): scope, date, ``_final``.

    ``_final`` is the label of the day's winning copy.
    """
    won = winners.rename({"digest": "_win", "source": "_final"})
    return won.join(
        pl.concat([side.set_aside for side in sides]).rename({"digest": "_win"}),
        on=[*DAY_KEY, "_win"],
        how="semi",
        nulls_equal=True,
    ).select(*DAY_KEY, "_final")


def _quarantine(sides: tuple[_Side, ...], aside: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The merged quarantine, and its contract rows still set aside (``source``, scope, ``date``).

    A day set aside stays in the quarantine while its version wins (under the file now kept,
    without ``day_index``, when its row went with a file read again); it leaves it when another
    version wins.
    """
    quarantine = pl.concat([side.quarantine for side in sides]).with_row_index("_row")
    on_day = pl.col("date").str.to_date("%Y-%m-%d", strict=False).alias("_date")
    aside_on = aside.rename({"date": "_date"})
    winning = pl.col("source") == pl.col("_final")
    still = (
        quarantine.filter(pl.col("stage") == "contract")
        .with_columns(on_day)
        .join(aside_on, on=[*SCOPE, "_date"], how="inner", nulls_equal=True)
        .filter(winning | ~winning.any().over([*SCOPE, "_date"]))
    )
    # a day set aside whose row went with a file read again: its row, under the file now kept
    orphans = (
        pl.concat([side.set_aside_rows for side in sides])
        .with_columns(on_day)
        .join(aside_on, on=[*SCOPE, "_date"], how="inner", nulls_equal=True)
        .join(still.select(*SCOPE, "_date"), on=[*SCOPE, "_date"], how="anti", nulls_equal=True)
        .unique([*SCOPE, "_date"], keep="first", maintain_order=True)
        .with_columns(pl.col("_final").alias("source"), pl.lit(None, pl.Int64).alias("day_index"))
    )
    record = pl.col("record_json").is_not_null()  # a report's record set aside: after the days, file by file
    merged = pl.concat(
        [
            quarantine.filter((pl.col("stage") != "contract") & ~record)
            .sort(["source", "day_index", "date"], nulls_last=True, maintain_order=True)
            .drop("_row"),
            quarantine.join(still.select("_row"), on="_row", how="semi").drop("_row"),
            orphans.select(QUARANTINE_SCHEMA.names()),
            quarantine.filter(record).sort("source", maintain_order=True).drop("_row"),
        ]
    )
    return merged, still.select("source", *SCOPE, pl.col("_date").alias("date"))


def _findings(
    sides: tuple[_Side, ...],
    still: pl.DataFrame,
    tables: Mapping[str, pl.DataFrame],
    shards: pl.DataFrame,
    reports: pl.DataFrame,
) -> pl.DataFrame:
    """Both sides' reading findings (contract ones of the days ``still`` set aside only), and the tables' own.

    With the reports merge's ``shard_conflict`` findings ``shards`` (those of each side are recomputed),
    and the merged successor tables' own (:func:`~copilot_metrics.successor.findings.merged_findings`).
    """
    from copilot_metrics.successor.findings import MERGED_RULES, merged_findings

    rules = pl.col("rule")
    reading = pl.concat([side.findings for side in sides]).filter(
        ~rules.is_in([*TABLE_RULES, "shard_conflict", *MERGED_RULES])
    )
    reading = pl.concat(
        [
            reading.filter(~rules.is_in(CONTRACT_RULES)),
            reading.filter(rules.is_in(CONTRACT_RULES)).join(
                still, on=["source", *DAY_KEY], how="semi", nulls_equal=True
            ),
        ]
    )
    return (
        pl.concat(
            [
                reading,
                conform("findings", shards),
                conform("findings", table_findings(tables)),
                conform("findings", merged_findings(tables, reports)),
            ]
        )
        .unique()
        .sort(["source", *DAY_KEY, "table", "rule", "json_path", "value", "severity", "message"], nulls_last=True)
    )


def _counted(
    ranked: pl.DataFrame, counts: pl.DataFrame, sides: tuple[_Side, ...], report_counts: pl.DataFrame
) -> pl.DataFrame:
    """The ranked files with their day counts and family columns.

    A legacy file's counts are the merge's, plus those its recorded copies do not account for; a
    report file's the reports merge's (``report_counts``: units kept, identical, superseded).
    """
    offsets = pl.concat([side.offsets for side in sides])
    families = pl.concat([side.sources.select("source", *SOURCE_FAMILY_COLUMNS) for side in sides])
    reported = report_counts.rename({c: f"_r_{c}" for c in ("days_kept", "days_identical", "days_superseded")})
    counted = (
        ranked.join(counts, on="source", how="left", maintain_order="left")
        .join(
            offsets.rename({c: f"_{c}" for c in ("days_identical", "days_superseded")}),
            on="source",
            how="left",
            maintain_order="left",
        )
        .join(families, on="source", how="left", maintain_order="left")
        .join(reported, on="source", how="left", maintain_order="left")
    )
    report_file = pl.col("family") == "reports"
    return (
        counted.with_columns(
            pl.col("days_kept").fill_null(0),
            *(
                (pl.col(c).fill_null(0) + pl.col(f"_{c}").fill_null(0)).alias(c)
                for c in ("days_identical", "days_superseded")
            ),
        )
        .with_columns(
            *(
                pl.when(report_file).then(pl.col(f"_r_{c}").fill_null(0)).otherwise(pl.col(c)).alias(c)
                for c in ("days_kept", "days_identical", "days_superseded")
            ),
            pl.coalesce(pl.col("family").replace("legacy", None), legacy_family()).alias("family"),
        )
        .select(SOURCE_SCHEMA.names())
        .cast(SOURCE_SCHEMA)
    )


def _report(sides: tuple[_Side, ...], sources: pl.DataFrame) -> ValidationReport:
    """Both sides' validation reports as one, in the order one load reads files: by scope, then label."""
    order = sources.select("source", *(pl.col(c).fill_null("").alias(f"_{c}") for c in SCOPE))

    def in_read_order(frame: pl.DataFrame) -> pl.DataFrame:
        return (
            frame.join(order, on="source", how="left", maintain_order="left")
            .sort([*(f"_{c}" for c in SCOPE), "source"], nulls_last=True, maintain_order=True)
            .select(frame.columns)
        )

    return ValidationReport(
        in_read_order(pl.concat([side.errors for side in sides])),
        in_read_order(pl.concat([side.unknown for side in sides])),
        int(sources["days"].sum()),
        int(sources["days_valid"].sum()),
    )
