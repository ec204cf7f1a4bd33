"""The dataset returned by :func:`load`, and :func:`load` itself: the pipeline end to end.

resolve sources -> per file (in parallel on large archives): parse, validate, flatten
(:func:`~copilot_metrics.explode.explode_bytes`) -> merge as files arrive
(:class:`~copilot_metrics.merge.Merger`) -> pick winners -> contracts, once, on the
concatenated tables -> data-quality findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
import polars as pl

from copilot_metrics import _pool
from copilot_metrics import findings as quality
from copilot_metrics import merge as archive
from copilot_metrics.decode import decode
from copilot_metrics.errors import ContractError, CopilotMetricsError, FormatError, SchemaValidationError
from copilot_metrics.explode import (
    QUARANTINE_SCHEMA,
    SOURCE_SCHEMA,
    Exploded,
    Prepared,
    explode_bytes,
    explode_days,
    prepare_bytes,
)
from copilot_metrics.sources import Source, SourceRef, resolve
from copilot_metrics.tables import BLOCKS, SCOPE, TABLES
from copilot_metrics.validation import UNKNOWN_SCHEMA, ValidationReport

__all__ = ["Dataset", "load", "to_api"]

_KEY = [*SCOPE, "date"]

#: Archives larger than this many bytes are read by a pool of processes, a batch of files at a time.
PARALLEL_MIN_BYTES = 192 * 1024 * 1024

#: Files are read in batches of at most this many bytes: a scope's exports together, so that a
#: day repeated verbatim across them is validated and flattened once.
CHUNK_BYTES = 64 * 1024 * 1024


@dataclass
class Dataset:
    """A merged history of Copilot metrics days, as typed tables.

    Attributes
    ----------
    days, completions_languages, completions_editors, completions_models, completions,
    ide_chat_editors, ide_chat, dotcom_chat, pull_requests_repositories, pull_requests:
        The tables (see :mod:`copilot_metrics.tables` for each grain); each (scope, date)
        appears once.
    sources:
        One row per input: path, sha256, bytes, layout, status, days, first and last date,
        precedence (``export_time``, ``precedence_basis``, ``rank``) and how many of its days
        were kept, identical to a kept copy, or superseded by a later export.
    quarantine:
        Days set aside (schema or contract failures), each kept verbatim with its reasons.
    findings:
        Data-quality findings (:data:`copilot_metrics.findings.RULES`).
    conflicts:
        Values that differ between two exports of the same day: the kept one and the other.
    validation:
        The :class:`~copilot_metrics.validation.ValidationReport` of every input.
    """

    tables: dict[str, pl.DataFrame]
    sources: pl.DataFrame
    quarantine: pl.DataFrame
    findings: pl.DataFrame
    conflicts: pl.DataFrame
    validation: ValidationReport
    meta: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pl.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            frame: pl.DataFrame = tables[name]
            return frame
        raise AttributeError(name)

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *TABLES]

    def __repr__(self) -> str:
        rows = ", ".join(f"{name}={frame.height}" for name, frame in self.tables.items())
        return (
            f"<copilot_metrics.Dataset {self.sources.height} source(s); {rows}; "
            f"quarantine={self.quarantine.height}, conflicts={self.conflicts.height}, "
            f"findings={self.findings.height}>"
        )

    def to_api(self) -> list[dict[str, Any]]:
        """Rebuild the API-format day objects (see :func:`to_api`)."""
        return to_api(self)

    def scopes(self) -> pl.DataFrame:
        """The distinct scopes (enterprise, org, team) in the dataset."""
        return self.tables["days"].select(SCOPE).unique(maintain_order=True)


#: What a worker returns for one input: its tables (each date once), the earlier copies of dates
#: the file repeats (label, occurrence, tables), and their ``duplicate_date_in_file`` findings.
_Outcome = tuple[Exploded, list[tuple[str, int, dict[str, pl.DataFrame]]], pl.DataFrame]


def _process(ref: SourceRef) -> _Outcome | CopilotMetricsError:
    """Worker: read and explode one input; errors are returned, not raised, across processes.

    A file holding a date twice keeps its later copy in its tables; the earlier copies are
    returned apart (see :func:`copilot_metrics.merge.split_repeats`).
    """
    try:
        data = ref.read()
        result = explode_bytes(data, source=ref.label, scope=ref.scope, mtime=ref.mtime)
        if not result.tables["days"]["date"].is_duplicated().any():
            return result, [], quality.FINDING_SCHEMA.to_frame()
        decoded = decode(data, ref.label)
    except CopilotMetricsError as exc:
        return exc
    set_aside = {row["day_index"] for row in result.quarantine}
    valid = [i for i in range(len(decoded.days)) if i not in set_aside]
    json_base = decoded.json_base
    scope = {k: result.source.get(k) for k in SCOPE}
    result.tables, copies, findings = archive.split_repeats(
        decoded.days, valid, source=ref.label, scope=scope, json_base=json_base
    )
    return result, copies, findings


@dataclass
class _Chunk:
    """What a worker returns for a batch of inputs read together.

    ``outcomes`` has one entry per input: an error, a :class:`~copilot_metrics.explode.Prepared`
    whose days are flattened in ``tables`` (rows labelled by input), or, for an input that
    holds a date twice, its own :data:`_Outcome`.  ``identical`` lists the days an input held
    verbatim as an earlier input of the batch (not flattened twice).
    """

    outcomes: list[tuple[SourceRef, Any]]
    tables: dict[str, pl.DataFrame]
    identical: pl.DataFrame
    digests: pl.DataFrame


_IDENTICAL_SCHEMA = pl.Schema(
    {**dict.fromkeys(SCOPE, pl.String()), "date": pl.Date(), "source": pl.String(), "same_as": pl.String()}
)


def _process_chunk(refs: list[SourceRef]) -> _Chunk:
    """Worker: read a batch of inputs; drop verbatim repeats; flatten the rest in one pass."""
    import gc

    enabled = gc.isenabled()
    gc.disable()  # parsing allocates millions of objects that all stay alive: no cycles to find
    try:
        seen: dict[tuple[Any, ...], str] = {}
        outcomes: list[tuple[SourceRef, Any]] = []
        days: list[dict[str, Any]] = []
        unknown: list[Any] = []
        labels: list[str] = []
        scopes: list[dict[str, str | None]] = []
        identical: list[dict[str, Any]] = []
        for ref in refs:
            try:
                prepared = prepare_bytes(ref.read(), source=ref.label, scope=ref.scope, mtime=ref.mtime, seen=seen)
            except CopilotMetricsError as exc:
                outcomes.append((ref, exc))
                continue
            if prepared.repeated_dates:  # rare: the per-file path splits the copies
                for key in [k for k, v in seen.items() if v == ref.label]:
                    del seen[key]
                outcomes.append((ref, _process(ref)))
                continue
            outcomes.append((ref, prepared))
            scope = {k: ref.scope.get(k) for k in SCOPE}
            days.extend(prepared.days)
            unknown.extend(prepared.unknown_keys)
            labels.extend([ref.label] * len(prepared.days))
            scopes.extend([scope] * len(prepared.days))
            identical.extend(
                {**scope, "date": dt.date.fromisoformat(date), "source": ref.label, "same_as": first}
                for date, first in prepared.identical
            )
            prepared.days = []
            prepared.unknown_keys = []
        tables = explode_days(days, source=labels, scope=scopes, unknown=unknown)
    finally:
        if enabled:
            gc.enable()
    frame = pl.DataFrame(identical, schema=_IDENTICAL_SCHEMA, orient="row") if identical else (
        _IDENTICAL_SCHEMA.to_frame())
    # hashed here, in the worker, so that the parent only joins
    return _Chunk(outcomes, tables, frame, archive.day_digests(tables, by_source=True))


def _size(ref: SourceRef) -> int:
    return ref.path.stat().st_size if ref.path else len(ref.data or b"")


def _chunks(refs: list[SourceRef], parts: int) -> list[list[SourceRef]]:
    """Split inputs into batches of at most ``CHUNK_BYTES``.

    A scope's exports go together (their repeats are found in the batch); with several workers,
    at least ``2 * parts`` batches keep them all busy.
    """
    ordered = sorted(refs, key=lambda r: (tuple(r.scope.get(k) or "" for k in SCOPE), r.label))
    total = sum(_size(r) for r in ordered)
    limit = max(1, min(CHUNK_BYTES, total // max(1, 2 * parts) + 1)) if parts > 1 else CHUNK_BYTES
    chunks: list[list[SourceRef]] = [[]]
    size = 0
    for ref in ordered:
        if chunks[-1] and size + _size(ref) > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(ref)
        size += _size(ref)
    return [c for c in chunks if c]


def _describe(chunk: list[SourceRef]) -> str:
    names = ", ".join(ref.label for ref in chunk[:3])
    return names + (f" and {len(chunk) - 3} more file(s)" if len(chunk) > 3 else "")


def _results(refs: list[SourceRef], workers: int | None) -> Iterator[_Chunk]:
    readable = [r for r in refs if not r.skipped]
    total = sum(_size(r) for r in readable)
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n > 1 and len(readable) > 1 and (workers is not None or total >= PARALLEL_MIN_BYTES):
        # fresh interpreters that import only this package (see copilot_metrics._pool): scripts
        # without a __main__ guard, notebooks and daemonic pool workers can all load in parallel
        yield from _pool.imap(_process_chunk, _chunks(readable, n), n, describe=_describe)
    else:
        for chunk in _chunks(readable, 1):
            yield _process_chunk(chunk)


def _source_row(ref: SourceRef, status: str, message: str | None, layout: str | None = None) -> dict[str, Any]:
    return {
        "source": ref.label, **{k: ref.scope.get(k) for k in SCOPE}, "sha256": None, "bytes": None,
        "layout": layout, "status": status, "days": 0, "days_valid": 0, "first_date": None, "last_date": None,
        "mtime": ref.mtime, "wrapper": None, "message": message,
    }


def load(
    source: Source,
    *,
    on_invalid: Literal["raise", "quarantine"] = "raise",
    enterprise: str | None = None,
    org: str | None = None,
    team: str | None = None,
    fetched_at: Mapping[str, Any] | None = None,
    precedence: Callable[[dict[str, Any]], Any] | None = None,
    base: Dataset | str | os.PathLike[str] | None = None,
    contracts: bool = True,
    workers: int | None = None,
) -> Dataset:
    """Load saved Copilot metrics exports into one merged, validated :class:`Dataset`.

    Parameters
    ----------
    source:
        A path, a folder (read recursively), a glob, a path template such as
        ``"exports/{org}/{team}/*.json"`` (the placeholders become scope labels), bytes, a
        binary file object, or a list of any of these.
    on_invalid:
        ``"raise"`` (default): a file that is not an export raises
        :class:`~copilot_metrics.errors.FormatError`, days failing the schema raise
        :class:`~copilot_metrics.errors.SchemaValidationError` carrying the full report, and
        a table breaking its contract raises :class:`~copilot_metrics.errors.ContractError`.
        ``"quarantine"``: load every valid day; keep each invalid day with its reasons in
        ``ds.quarantine``, and list unreadable files in ``ds.sources``.
    enterprise, org, team:
        Scope labels for every input (a path template overrides them per file).
    fetched_at:
        ``{source path: datetime}``: when each file was exported, the first rule of precedence.
    precedence:
        A key function over a ``ds.sources`` row replacing the precedence rules (larger wins).
    base:
        An existing dataset, or the root of a Parquet dataset written by
        :func:`copilot_metrics.write_parquet`, to merge the new files into, with the same
        precedence, without reading the base's JSON again: each kept day of the base competes
        under the file it was kept from (give the same ``fetched_at``/``precedence`` as for the
        base).  The tables and conflicts equal loading all the files at once, except when a new
        export changes a day the base already held in conflict: the base's conflict rows then
        stay as they were (its losing versions were not kept) beside the new ones.  The base's
        quarantine and non-recomputed findings are carried over; ``days_identical`` and
        ``days_superseded`` of its files are the base's counts plus the new merge's.
    contracts:
        Run the pandera contracts (default).
    workers:
        Processes to use; default: all cores for archives over 192 MiB (below that, starting
        processes costs more than it saves).

    Examples
    --------
    >>> import copilot_metrics as cm
    >>> root = cm.examples.path()
    >>> ds = cm.load([root / "{org}" / "*.json.gz", root / "{org}" / "teams" / "{team}" / "*.json.gz"])
    >>> ds.days.group_by("org", "team").len().sort("team", nulls_last=False).rows()
    [('octo-org', None, 153), ('octo-org', 'platform', 153)]
    """
    if on_invalid not in ("raise", "quarantine"):
        raise CopilotMetricsError(f"on_invalid must be 'raise' or 'quarantine', not {on_invalid!r}")
    scope = {"enterprise": enterprise, "org": org, "team": team}
    refs = resolve(source if not isinstance(source, os.PathLike) else os.fspath(source), scope)
    merger = archive.Merger()
    source_rows: list[dict[str, Any]] = []
    quarantine: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    unknown: list[dict[str, Any]] = []
    read_findings: list[pl.DataFrame] = []
    format_errors: list[FormatError] = []
    read_sources: list[dict[str, Any]] = []
    for ref in refs:
        if ref.skipped:
            source_rows.append(_source_row(ref, "skipped", ref.skipped))
    if base is not None:
        base_ds = base if isinstance(base, Dataset) else _read_base(base)
        base_ds = _add_base(merger, base_ds, {ref.label for ref in refs if not ref.skipped})
        source_rows.extend(base_ds.sources.select(SOURCE_SCHEMA.names()).to_dicts())
        quarantine.extend(base_ds.quarantine.to_dicts())
    for chunk in _results(refs, workers):
        for ref, outcome in chunk.outcomes:
            if isinstance(outcome, CopilotMetricsError):
                detected = getattr(outcome, "detected", "io")
                source_rows.append(_source_row(ref, f"not loaded: {detected}", outcome.message))
                errors.append({"source": ref.label, "day_index": None, "date": None,
                               "json_path": outcome.json_path or "$", "rule": f"format:{detected}",
                               "value": None, "message": outcome.message})
                if isinstance(outcome, FormatError):
                    format_errors.append(outcome)
                elif on_invalid == "raise":
                    raise outcome
                continue
            part = outcome if isinstance(outcome, Prepared) else outcome[0]
            read_sources.append(part.source)
            quarantine.extend(part.quarantine)
            errors.extend(part.errors)
            unknown.extend(part.unknown)
            if isinstance(outcome, Prepared):  # flattened with its batch
                found = _file_findings(outcome)
                if found is not None:
                    read_findings.append(found)
                continue
            result, copies, repeat_findings = outcome  # read on its own: it repeats a date
            read_findings.append(_read_findings(result))
            read_findings.append(repeat_findings)
            merger.add(ref.label, result.tables)  # merge early: repeats are dropped here, file by file
            for label, occurrence, copy in copies:
                merger.add(label, copy, file=ref.label, occurrence=occurrence)
        read_findings.append(_training_date_findings(chunk.tables))
        # repeats across exports are dropped here, batch by batch
        merger.add_batch(chunk.tables, chunk.identical, digests=chunk.digests)
    source_rows.extend(read_sources)
    report = ValidationReport.from_rows(
        errors, unknown, sum(r["days"] for r in read_sources), sum(r["days_valid"] for r in read_sources)
    )
    if on_invalid == "raise":
        if format_errors:
            first = format_errors[0]
            if len(format_errors) > 1:
                first.message += f" (and {len(format_errors) - 1} more file(s) that are not exports)"
            raise first
        if not report.ok:
            raise SchemaValidationError(report)
    sources = pl.DataFrame(source_rows, schema=SOURCE_SCHEMA, orient="row") if source_rows else SOURCE_SCHEMA.to_frame()
    sources = sources.unique("source", keep="last").sort("source")
    ranked = archive.rank_sources(sources, fetched_at, precedence)
    tables, conflicts, counts = merger.finish(ranked)
    if base is not None:
        conflicts = archive.rebase_conflicts(base_ds.conflicts, conflicts, tables["days"])
        read_findings.append(base_ds.findings.filter(~pl.col("rule").is_in(_TABLE_RULES)))
    sources = ranked.join(counts, on="source", how="left").with_columns(
        pl.col("days_kept", "days_identical", "days_superseded").fill_null(0).cast(pl.Int64)
    )
    if base is not None and {"days_identical", "days_superseded"} <= set(base_ds.sources.columns):
        # the base's own repeats were dropped when it was built: add its counts to its files'
        carried = base_ds.sources.select("source", *(pl.col(c).alias(f"_base_{c}") for c in _REPEAT_COUNTS))
        sources = sources.join(carried, on="source", how="left").with_columns(
            (pl.col(c) + pl.col(f"_base_{c}").fill_null(0)).cast(pl.Int64) for c in _REPEAT_COUNTS
        ).drop(f"_base_{c}" for c in _REPEAT_COUNTS)
    quarantine_frame = (
        pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA, orient="row") if quarantine else QUARANTINE_SCHEMA.to_frame()
    ).sort(["source", "day_index", "date"], nulls_last=True, maintain_order=True)
    ds = Dataset(tables, sources, quarantine_frame, quality.FINDING_SCHEMA.to_frame(), conflicts, report)
    if contracts:
        _enforce_contracts(ds, on_invalid)
    ds.sources = _statuses(ds.sources, ds.quarantine)
    ds.findings = (
        pl.concat([*read_findings, quality.table_findings(ds.tables), ds.findings])
        .unique()
        .sort(["source", *_KEY, "table", "rule", "json_path", "value", "severity", "message"], nulls_last=True)
    )
    return ds


def _statuses(sources: pl.DataFrame, quarantine: pl.DataFrame) -> pl.DataFrame:
    """A loaded file's status says whether days of it were set aside, or all of them."""
    aside = quarantine.group_by("source").agg(pl.len().cast(pl.Int64).alias("_aside"))
    loaded = pl.col("status").str.starts_with("loaded") & (pl.col("_aside") > 0)
    return sources.join(aside, on="source", how="left").with_columns(
        pl.when(loaded & (pl.col("_aside") >= pl.col("days"))).then(pl.lit("not loaded: every day quarantined"))
        .when(loaded).then(pl.lit("loaded with quarantined days"))
        .otherwise(pl.col("status")).alias("status")
    ).drop("_aside")


def _file_findings(prepared: Prepared) -> pl.DataFrame | None:
    """Findings of one input read in a batch: its unknown fields, and dates out of order."""
    if not prepared.unknown and not prepared.unsorted:
        return None  # the common case, kept cheap: most inputs have nothing to report
    found = [_unknown_findings(prepared.unknown, prepared.source)]
    if prepared.unsorted:
        found.append(_unsorted_finding(prepared.source))
    return pl.concat(found)


def _unsorted_finding(source: dict[str, Any]) -> pl.DataFrame:
    """The ``dates_not_in_order`` finding of one input (grain: one row per input)."""
    severity, message = quality.RULES["dates_not_in_order"]
    row = {"source": source["source"], **{k: source.get(k) for k in SCOPE}, "date": None, "table": "days",
           "json_path": "$", "rule": "dates_not_in_order", "severity": severity, "message": message, "value": None}
    return pl.DataFrame([row], schema=quality.FINDING_SCHEMA)


def _training_date_findings(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Rows whose custom_model_training_date is not a date (kept verbatim in ``extras``)."""
    found = [quality.FINDING_SCHEMA.to_frame()]
    severity, message = quality.RULES["training_date_not_a_date"]
    for name in ("completions_models", "ide_chat", "dotcom_chat", "pull_requests"):
        # the verbatim value sits at the top level of extras (never null: null and dates are typed)
        verbatim = pl.col("extras").str.json_path_match("$.custom_model_training_date")
        odd = tables[name].filter(verbatim.is_not_null())
        if odd.height:
            found.append(odd.select(
                "source", *SCOPE, "date", pl.lit(name).alias("table"),
                quality.json_path(name, "custom_model_training_date"),
                pl.lit("training_date_not_a_date").alias("rule"), pl.lit(severity).alias("severity"),
                pl.lit(message).alias("message"), verbatim.alias("value")).cast(quality.FINDING_SCHEMA))
    return pl.concat(found)


def _unknown_findings(rows: list[dict[str, Any]], source: dict[str, Any]) -> pl.DataFrame:
    """One ``unknown_field`` finding per unknown key reported by validation."""
    unknown = pl.DataFrame(rows, schema=UNKNOWN_SCHEMA, orient="row") if rows else UNKNOWN_SCHEMA.to_frame()
    text = pl.col("date")
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    return unknown.select(
        "source", *(pl.lit(source.get(k), pl.String).alias(k) for k in SCOPE),
        # the day's date when it is one (a quarantined day's may not be)
        pl.when(text.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$") & (parsed.dt.year() >= 1))
        .then(parsed).otherwise(None).alias("date"),
        pl.lit(None, pl.String).alias("table"), "json_path", pl.lit("unknown_field").alias("rule"),
        pl.lit(quality.RULES["unknown_field"][0]).alias("severity"),
        pl.lit(quality.RULES["unknown_field"][1]).alias("message"), pl.lit(None, pl.String).alias("value"),
    ).cast(quality.FINDING_SCHEMA)


def _read_findings(result: Exploded) -> pl.DataFrame:
    """Findings of one input read on its own (a file that repeats a date)."""
    found = [_unknown_findings(result.unknown, result.source), _training_date_findings(result.tables)]
    days = result.tables["days"]
    if days.height > 1 and not days["date"].is_sorted():
        found.append(_unsorted_finding(result.source))
    return pl.concat(found)


def _enforce_contracts(ds: Dataset, on_invalid: str) -> None:
    from copilot_metrics.contracts import check_table

    bad_days: list[pl.DataFrame] = []
    contract_findings: list[pl.DataFrame] = []
    for name, frame in ds.tables.items():
        failures = check_table(name, frame)
        if failures.height == 0:
            continue
        spec = TABLES[name]
        rows = failures.filter(pl.col("row").is_not_null())
        located = rows.join(
            frame.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64)),
            on="row", how="left",
        )
        cases = located.select(
            pl.col("table"), pl.col("column"), pl.col("check"), pl.col("value"),
            pl.struct(list(spec.key)).alias("key"), pl.col("source"), *_KEY,
        )
        if on_invalid == "raise":
            framewide = failures.filter(pl.col("row").is_null())
            if cases.height == 0 and framewide.height:
                row = framewide.row(0, named=True)
                raise ContractError(
                    f"table {name!r}, column {row['column']!r}: {row['check']} failed",
                    failure_cases=framewide, table=name, column=row["column"],
                )
            raise ContractError.from_failures(name, cases)
        value = pl.when(pl.col("value").is_not_null()).then(pl.format(" (value {})", "value")).otherwise(pl.lit(""))
        bad_days.append(cases.select(*_KEY, "source", pl.format("{}: table {}, column {}: {} failed{}", "source",
                                                             pl.lit(name), "column", "check", value)
                                     .alias("reason")))
        contract_findings.append(_contract_findings(name, located))
    if not bad_days:
        return
    bad = pl.concat(bad_days).group_by(_KEY, maintain_order=True).agg(
        pl.col("source").first(), pl.col("reason").unique(maintain_order=True).alias("reasons"))
    scopes: list[tuple[Any, ...]] = []
    rebuilt = to_api(ds, only=bad.select(_KEY), scopes=scopes)
    rebuilt_json = {
        (scope, d["date"]): orjson.dumps(d).decode() for scope, d in zip(scopes, rebuilt, strict=True)
    }
    set_aside: list[dict[str, Any]] = []
    for row in bad.to_dicts():
        scope_key = tuple(row[k] for k in SCOPE)
        set_aside.append({
            "source": row["source"], **{k: row[k] for k in SCOPE}, "day_index": None,
            "date": row["date"].isoformat(), "stage": "contract", "reasons": row["reasons"],
            "day_json": rebuilt_json.get((scope_key, row["date"].isoformat())),
        })
    ds.quarantine = pl.concat([ds.quarantine, pl.DataFrame(set_aside, schema=QUARANTINE_SCHEMA)])
    for name in ds.tables:
        ds.tables[name] = ds.tables[name].join(bad.select(_KEY), on=_KEY, how="anti", nulls_equal=True)
    ds.findings = pl.concat([ds.findings, *contract_findings])


def _contract_findings(name: str, located: pl.DataFrame) -> pl.DataFrame:
    """One finding per row that broke table ``name``'s contract (the row's columns joined in)."""
    rule = (
        pl.when(pl.col("check") == "unique natural key").then(pl.lit("duplicate_row"))
        .when(pl.col("check").str.starts_with("greater_than_or_equal_to")).then(pl.lit("negative_count"))
        .otherwise(pl.lit("contract_violation"))
    )
    severity = pl.lit(None, pl.String)
    for code, (level, _) in quality.RULES.items():
        severity = pl.when(pl.col("rule") == code).then(pl.lit(level)).otherwise(severity)
    columns = TABLES[name].schema.names()
    return (
        located.with_columns(rule.alias("rule"), quality.json_path(name).alias("_path"))
        .with_columns(severity.alias("severity"))
        .select(
            "source", *_KEY, pl.lit(name).alias("table"),
            pl.when(pl.col("column").is_in(columns))
            .then(pl.concat_str(pl.col("_path"), pl.lit("."), pl.col("column")))
            .otherwise(pl.col("_path")).alias("json_path"),
            "rule", "severity",
            pl.format("table {}, column {}: {} failed", pl.lit(name), "column", "check").alias("message"),
            "value",
        )
        .unique(maintain_order=True)
        .cast(quality.FINDING_SCHEMA)
    )


def _read_base(root: str | os.PathLike[str]) -> Dataset:
    from copilot_metrics.export.parquet import read_parquet

    loaded: Dataset = read_parquet(root)
    return loaded


#: Per-file counts of days not kept, which a base dataset carries over to an incremental load.
_REPEAT_COUNTS = ("days_identical", "days_superseded")

#: Findings :func:`copilot_metrics.findings.findings` recomputes on the merged tables; a base
#: dataset's other findings (made while reading its files, or on days set aside) are carried over.
_TABLE_RULES = ("acceptances_exceed_suggestions", "lines_accepted_exceed_suggested", "child_engaged_exceeds_parent",
                "engaged_exceeds_active")


#: The JSON path that labels an earlier copy of a date inside a file: ``file.json$[3]``, ``...$.data[3]``.
_COPY_SUFFIX = r"\$(?:\.[^\[\]$]+)?\[\d+\]$"


def _add_base(merger: archive.Merger, base: Dataset, reread: set[str]) -> Dataset:
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


# ---------------------------------------------------------------- back to the API format

_TRAINING = "custom_model_training_date"


def _build(row: dict[str, Any], spec_name: str, children: dict[str, dict[tuple[Any, ...], list[dict[str, Any]]]],
           key: tuple[Any, ...]) -> dict[str, Any]:
    spec = TABLES[spec_name]
    shape = set(row.get("shape") or ())
    obj: dict[str, Any] = {}
    if spec.dimension is not None and row[spec.dimension] is not None:
        obj["name"] = row[spec.dimension]
    for column in spec.measures:
        value = row[column]
        if column == _TRAINING:
            if f"{_TRAINING}:absent" not in shape:
                obj[column] = value.isoformat() if value is not None else None
        elif value is not None:
            obj[column] = value
    own_key = (*key, row[spec.dimension]) if spec.dimension else key
    for child in spec.children:
        array = TABLES[child].array
        assert array is not None
        if f"{array}:absent" not in shape:
            obj[array] = [
                _build(child_row, child, children, own_key) for child_row in children[child].get(own_key, [])
            ]
    if row.get("extras"):
        obj.update(orjson.loads(row["extras"]))
    return obj


def to_api(
    ds: Dataset, *, only: pl.DataFrame | None = None, scopes: list[tuple[Any, ...]] | None = None
) -> list[dict[str, Any]]:
    """Rebuild the API's day objects from the tables, nulls and absent keys as they were.

    For every schema-valid input, the rebuilt days equal the original ones (key order aside).
    ``only`` (a frame of scope and date columns) restricts the days rebuilt; ``scopes``, when
    given, receives each rebuilt day's (enterprise, org, team), in order (internal use: the
    days themselves stay exactly as in the API, even with an unknown key named like a scope).
    """
    tables = ds.tables
    if only is not None:
        tables = {n: f.join(only, on=_KEY, how="semi", nulls_equal=True) for n, f in tables.items()}
    children: dict[str, dict[tuple[Any, ...], list[dict[str, Any]]]] = {}
    for name, spec in TABLES.items():
        if spec.parent is None:
            continue
        grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        parent_dims = TABLES[spec.parent].dimensions
        for row in tables[name].to_dicts():
            if spec.parent == "days":
                parent_key: tuple[Any, ...] = (*(row[k] for k in _KEY), spec.array)
            else:
                parent_key = (*(row[k] for k in _KEY), TABLES[_top(spec.name)].array, *(row[d] for d in parent_dims))
            grouped.setdefault(parent_key, []).append(row)
        children[name] = grouped
    out = []
    for row in tables["days"].to_dicts():
        key = tuple(row[k] for k in _KEY)
        shape = set(row.get("shape") or ())
        extras = orjson.loads(row["extras"]) if row.get("extras") else {}
        day: dict[str, Any] = {"date": row["date"].isoformat()}
        for column in ("total_active_users", "total_engaged_users"):
            if row[column] is not None:
                day[column] = row[column]
        for block, column in BLOCKS.items():
            if f"{block}:absent" in shape:
                continue
            if f"{block}:null" in shape:
                day[block] = None
                continue
            obj: dict[str, Any] = {}
            if row[column] is not None:
                obj["total_engaged_users"] = row[column]
            for child in TABLES["days"].children:
                array = TABLES[child].array
                assert array is not None
                if not array.startswith(block + "."):
                    continue
                if f"{array}:absent" in shape:
                    continue
                obj[array.split(".", 1)[1]] = [
                    _build(child_row, child, children, (*key, array))
                    for child_row in children[child].get((*key, array), [])
                ]
            obj.update(extras.pop(block, {}))
            day[block] = obj
        day.update(extras)
        if scopes is not None:
            scopes.append(key[: len(SCOPE)])
        out.append(day)
    return out


def _top(name: str) -> str:
    spec = TABLES[name]
    while spec.parent != "days":
        assert spec.parent is not None
        spec = TABLES[spec.parent]
    return spec.name
