"""The pipeline: :func:`load` and :func:`validate`, the only module that knows every stage.

resolve sources (:mod:`.sources`) -> per batch of files, in worker processes on large archives
(:mod:`.batch`, :mod:`._pool`): decode (:mod:`.decode`), validate (:mod:`.validation`), drop
verbatim repeats, flatten (:mod:`.explode`) -> merge as batches arrive (:mod:`.merge`) -> pick
winners -> contracts, once, on the concatenated tables (:mod:`.quarantine`, :mod:`.contracts`) ->
data-quality findings (:mod:`.findings`) -> a :class:`~copilot_metrics.dataset.Dataset`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from copilot_metrics import _pseudonyms, merge
from copilot_metrics.batch import (
    BATCH_BYTES,
    Batch,
    LoadProgress,
    ReadInput,
    inputs_read,
    read_batches,
    read_input,
    source_row,
    track,
)
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import CopilotMetricsError, FormatError, PrivacyError
from copilot_metrics.explode import explode_days
from copilot_metrics.findings import table_findings, training_date_findings
from copilot_metrics.merge import reports as reports_merge
from copilot_metrics.merge.conflicts import CONFLICT_ORDER
from copilot_metrics.merge.incremental import report_versions
from copilot_metrics.merge.reports import report_times
from copilot_metrics.quarantine import POSITIONS_SCHEMA, OnInvalid, enforce_and_mark, refuse, refused_reason
from copilot_metrics.sidetables import SOURCE_FAMILY_COLUMNS, error_row, frame_of, legacy_family
from copilot_metrics.sources import Source, SourceRef, resolve, safe_label
from copilot_metrics.successor.load import OnDrift, ReportInput, Reports, apply_drift, quarantine_rows, relevel
from copilot_metrics.successor.read import ReportValidationError
from copilot_metrics.tables import (
    DAY_KEY,
    ERROR_SCHEMA,
    FINDING_SCHEMA,
    QUARANTINE_SCHEMA,
    SOURCE_READ_SCHEMA,
    UNKNOWN_SCHEMA,
)
from copilot_metrics.validation import Rows, ValidationReport

__all__ = [
    "LoadProgress",
    "assemble",
    "check_report_options",
    "check_scope",
    "export_times",
    "load",
    "match_fetched_at",
    "schema_drift",
    "validate",
]


def load(
    source: Source,
    *,
    on_invalid: OnInvalid = "raise",
    enterprise: str | None = None,
    org: str | None = None,
    team: str | None = None,
    fetched_at: Mapping[str, Any] | None = None,
    precedence: Callable[[dict[str, Any]], Any] | None = None,
    base: Dataset | str | os.PathLike[str] | None = None,
    contracts: bool = True,
    workers: int | None = None,
    progress: Callable[[LoadProgress], None] | None = None,
    reports: Reports = "load",
    scope_level: Literal["organization", "enterprise"] | None = None,
    on_drift: OnDrift = "keep",
    pseudonymize_key: bytes | str | None = None,
) -> Dataset:
    """Load saved Copilot metrics exports into one merged, validated :class:`Dataset`.

    Both families load in one call, told apart by content, never by file name: the legacy
    ``/copilot/metrics`` days (the ten tables ``days``, ``completions``...) and GitHub's
    successor usage-metrics reports (``agg_days``, ``user_days``, ...: see
    :mod:`copilot_metrics.successor`), each file in any layout.

    Parameters
    ----------
    source:
        A path, a folder (read recursively), a glob, a path template such as
        ``"exports/{org}/{team}/*.json"`` (the placeholders become scope labels; glob syntax,
        ``[ab]`` included, means what it means to the glob; a placeholder used twice stands for
        the same name), bytes, a binary file object, or a list of any of these.  An empty path
        is an error.  A file that cannot be read (deleted, or replaced by something that is not
        a regular file, after it was listed) raises :class:`~copilot_metrics.errors.CopilotMetricsError`
        naming it, or is listed ``not loaded: io`` with ``on_invalid="quarantine"``.  A folder
        the library wrote loads with its scope labels: one written by
        :func:`copilot_metrics.write_json` or ``copilot-metrics example`` (its manifest
        ``copilot-metrics-layout.json`` names them), or a Parquet dataset written by
        :func:`copilot_metrics.write_parquet`, read as :func:`copilot_metrics.read_parquet` reads
        it (beside other sources, it is their ``base``).
    on_invalid:
        ``"raise"`` (default): a file that is not an export raises
        :class:`~copilot_metrics.errors.FormatError`, days failing the schema raise
        :class:`~copilot_metrics.errors.SchemaValidationError` carrying the full report, and
        a table breaking its contract raises :class:`~copilot_metrics.errors.ContractError`.
        ``"quarantine"``: load every valid day; keep each invalid day with its reasons in
        ``ds.quarantine``, and list unreadable files in ``ds.sources``.  A last NDJSON line (or
        appended document) cut short, as in a file still being written, is set aside the same
        way (stage ``format``) and the file's complete days are loaded; ``"raise"`` raises
        :class:`~copilot_metrics.errors.FormatError` naming it.
    enterprise, org, team:
        Scope labels for every input (a path template overrides them per file; a label the
        layout of a folder the library wrote gives a file cannot be changed).
    fetched_at:
        ``{source path: datetime}``: when each file was exported, the first rule of precedence.
        A key is a path (``str`` or :class:`~pathlib.Path`, relative or absolute: the same file
        however it is written) or a ``ds.sources`` label; a value a ``datetime``, a ``date`` or an
        ISO 8601 string.  A key that names no input (nor a file of ``base``) raises
        :class:`~copilot_metrics.errors.CopilotMetricsError` naming it.
    precedence:
        A key function over a ``ds.sources`` row replacing the precedence rules (larger wins).
    base:
        An existing dataset, or the root of a Parquet dataset written by
        :func:`copilot_metrics.write_parquet`, to merge the new files into without reading the
        base's JSON again (:func:`copilot_metrics.merge.merge_into`, the merge of
        ``write_parquet(..., mode="merge")``): the result is the dataset one load of the base's
        files and the new ones gives, every table and side table, the counts, conflicts and
        validation report included, row order too (best effort for a dataset read from a layout
        before format 4).  A file of the base read again replaces its base copy.  The base's
        files keep their stored ``export_time`` unless ``fetched_at`` names them; give the same
        ``precedence`` as for the base.  The new files' contracts run on their own days (with
        ``"raise"``, a new day breaking a contract raises even when the base holds a newer
        version of it).  A Parquet base is read by :func:`copilot_metrics.read_parquet`, with
        its checks (a file that disagrees with the manifest raises; the contracts run when
        ``contracts`` is true).
    contracts:
        Run the pandera contracts (default).
    workers:
        Processes to use; default: all cores for archives over 192 MiB (below that, starting
        processes costs more than it saves).
    progress:
        A function called with a :class:`LoadProgress` (``files_read``, ``files``,
        ``bytes_read``, ``bytes``) as the files are read: once with nothing read when reading
        starts, then after each file, in the calling process and thread; in a parallel load,
        as the worker processes report each file they have read.  The last call has
        ``files_read == files`` and ``bytes_read == bytes``; merging and checking follow it.
        An exception it raises stops the load.  Not called when no file is read (a Parquet
        dataset named alone).  ``cm.load(files, progress=print)`` shows it.
    reports:
        ``"load"`` (default): successor usage-metrics report files are read into their tables
        (``ds.tables["agg_days"]``...), merged per (scope, family, date) with shards of one
        report unioned and the later report winning each whole day
        (:mod:`copilot_metrics.merge.reports`), and listed in ``ds.reports``;
        ``"refuse"``: they are refused with the :class:`~copilot_metrics.errors.FormatError`
        (``detected="usage-report"``...) the legacy reader gives, as before they were read.
        Report records with a value of the wrong type follow ``on_invalid``: ``"raise"`` raises
        :class:`~copilot_metrics.successor.ReportValidationError` (every error, with its JSON
        path), ``"quarantine"`` keeps each verbatim in ``ds.quarantine`` (``record_json``).
    scope_level:
        ``"organization"`` or ``"enterprise"``: the level of every report (its ``kind`` and
        ``report_id`` follow); default: ``organization`` when a record has an
        ``organization_id``.
    on_drift:
        Keys of report records the registry does not know are always kept verbatim (``extras``)
        and listed in ``ds.schema_drift``; ``"warn"`` also warns (one ``UserWarning`` naming
        every new path), ``"raise"`` raises :class:`~copilot_metrics.errors.SchemaDriftError`
        naming every new path (``grain:path``).
    pseudonymize_key:
        A key (bytes, at least 32; or ``"env:VAR"``) to pseudonymize the dataset as
        :func:`copilot_metrics.pseudonymize` does, before it is returned and before it is merged
        into ``base``: ``user_id`` becomes ``user_pid`` (a keyed HMAC), logins, ``user_logins``
        and version strings are dropped, and every side table (``sources``, ``quarantine`` with
        its verbatim records emptied, ``findings``, ``conflicts``, ``validation``) is redacted.
        The dataset returned never holds a raw user id or a login; the files are still read
        and merged with them (report rows are merged by ``user_id``), transiently, in this
        process and in worker processes.  The key is never stored, logged or written:
        ``ds.meta["key_fingerprint"]`` tells keys apart.  A ``base`` made with another key, or
        holding raw user rows, raises :class:`~copilot_metrics.errors.PrivacyError`.

    Raises
    ------
    ScopeError
        When files without any scope label, in two folders, differ on at least 3 of the dates
        both folders hold and on more than half of them
        (:func:`copilot_metrics.merge.scope_clashes`): two orgs' exports, or an org's and its
        team's, are refused, never merged into one scope.  Exports of one scope in several
        folders differ only on the few days late corrections changed, and load as one history.
        Label the scopes with a path template (``'exports/{org}/*.json'``); files labelled by a
        template or a keyword are never refused.
    TypeError, ValueError
        An argument of the wrong type or value (``org=5``, ``workers=0``), naming it.

    Notes
    -----
    While it parses a batch of files in the calling process (``workers=1``, or small archives),
    ``load`` pauses Python's cyclic garbage collector (``gc.disable()``, restored when the batch
    is done, also on error): parsing creates millions of objects without cycles, and scanning
    them costs about 30% more CPU.  Other threads of the process run without the cyclic
    collector for that time; reference counting still frees memory as usual.

    Memory grows with the inputs, not with the objects they hold: the parsed days of one batch
    are held while it is read (about five times its JSON text), and the report rows (errors,
    unknown fields, days set aside, files) are kept column by column.  A day set aside costs
    under 1 KB at the peak beyond its own text (about 170 bytes of it stay in the result), a
    file about 3 KB.

    Examples
    --------
    >>> import copilot_metrics as cm
    >>> root = cm.examples.path()
    >>> ds = cm.load([root / "{org}" / "*.json.gz", root / "{org}" / "teams" / "{team}" / "*.json.gz"])
    >>> ds.days.group_by("org", "team").len().sort("team", nulls_last=False).rows()
    [('octo-org', None, 153), ('octo-org', 'platform', 153)]
    """
    if not isinstance(on_invalid, str) or on_invalid not in ("raise", "quarantine"):
        raise CopilotMetricsError(f"on_invalid must be 'raise' or 'quarantine', not {on_invalid!r}")
    scope = check_scope(enterprise, org, team)
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)):
        raise TypeError(f"workers must be an int or None, not {type(workers).__name__}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if precedence is not None and not callable(precedence):
        raise TypeError(f"precedence must be a function of a ds.sources row, not {type(precedence).__name__}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a function of a cm.LoadProgress, not {type(progress).__name__}")
    check_report_options(reports, scope_level, on_drift)
    private = _private_key(pseudonymize_key)  # refused before anything is read
    times = export_times(fetched_at)
    datasets, source = _parquet_datasets(source)
    if datasets:
        if len(datasets) > 1 or base is not None or any(scope.values()):
            raise _dataset_misuse(datasets, base, scope)
        if not source:
            return _private(_read_base(datasets[0], contracts), private)
        base = datasets[0]
    refs = resolve(source if not isinstance(source, os.PathLike) else os.fspath(source), scope)
    base_ds: Dataset | None = None
    if base is not None:
        base_ds = base if isinstance(base, Dataset) else _read_base(base, contracts)
        _check_private_base(base_ds, private)
        refs = _renumber_in_memory(refs, base_ds.sources)
    if times:
        fetched_at = match_fetched_at(times, refs, base_ds.sources["source"].to_list() if base_ds else [])
    skipped = [source_row(ref, "skipped", ref.skipped) for ref in refs if ref.skipped]
    ds = assemble(
        read_batches(refs, workers, progress, batch_bytes=BATCH_BYTES),
        on_invalid=on_invalid,
        fetched_at=fetched_at,
        precedence=precedence,
        contracts=contracts,
        skipped=skipped,
        reports=reports,
        scope_level=scope_level,
        on_drift=on_drift,
    )
    ds = _private(ds, private)  # after the reports were merged by user_id, before the base
    if base_ds is None:
        return ds
    return _private(merge.merge_into(base_ds, ds, fetched_at=fetched_at, precedence=precedence), private)


def _private_key(key: bytes | str | None) -> bytes | None:
    """``pseudonymize_key`` as bytes (an ``"env:VAR"`` read once), refused at the door if too short."""
    return None if key is None else _pseudonyms.key_bytes(key)


def _private(ds: Dataset, key: bytes | None) -> Dataset:
    """``ds`` pseudonymized under ``key`` (unchanged without one)."""
    return ds if key is None else _pseudonyms.pseudonymize(ds, key)


def _check_private_base(base: Dataset, key: bytes | None) -> None:
    """With a key, a base made under another key, or holding raw user rows, is refused."""
    if key is None:
        return
    made_with = base.meta.get("key_fingerprint")
    if made_with is None and not _pseudonyms.identified(base):
        return  # no user rows: nothing to pseudonymize in the base
    if made_with != _pseudonyms.key_fingerprint(key):
        raise PrivacyError.mixed_keys((made_with, _pseudonyms.key_fingerprint(key)))


def assemble(
    chunks: Iterable[Batch],
    *,
    on_invalid: OnInvalid,
    fetched_at: Mapping[str, Any] | None = None,
    precedence: Callable[[dict[str, Any]], Any] | None = None,
    contracts: bool = True,
    skipped: Sequence[dict[str, Any]] = (),
    reports: Reports = "load",
    scope_level: Literal["organization", "enterprise"] | None = None,
    on_drift: OnDrift = "keep",
) -> Dataset:
    """Everything :func:`load` does after reading: merge the batches, pick winners, contracts, findings.

    ``chunks`` are the batches of :func:`copilot_metrics.batch.process_batch`, in any order,
    computed here or elsewhere (worker processes, or the executors of
    :mod:`copilot_metrics.spark`): one place turns read batches into a dataset, so every engine
    gives the same one.  ``skipped`` are the ``ds.sources`` rows of inputs never opened.  The
    batch step reads successor report files without options; ``reports``, ``scope_level``,
    ``on_drift`` (and ``on_invalid`` for their records) are applied here, as :func:`load` says.
    """
    collected = _collect(chunks, on_invalid, skipped)
    if reports == "refuse":
        _refuse_reports(collected)
    elif scope_level is not None:
        collected.reports = [
            (ref, dataclasses.replace(r, read=relevel(r.read, scope_level))) for ref, r in collected.reports
        ]
    collected.reports.sort(key=lambda item: item[0].label)
    for ref, r in collected.reports:
        if r.read.errors:
            collected.errors.append(_report_errors(ref.label, r))
    _refuse_invalid_records(collected.reports, on_invalid)
    report = collected.report()
    refuse(collected.format_errors, report, on_invalid)
    return _finish(
        collected,
        report,
        on_invalid=on_invalid,
        fetched_at=fetched_at,
        precedence=precedence,
        contracts=contracts,
        on_drift=on_drift,
    )


@dataclass
class _Collected:
    """The batches of a load, received: their merge so far, their report rows as frames, the refusals."""

    merger: merge.Merger
    sources: list[pl.DataFrame]  # the inputs not read (skipped, refused), then those read (last)
    read: list[pl.DataFrame] = dataclasses.field(default_factory=list)
    quarantine: list[pl.DataFrame] = dataclasses.field(default_factory=list)
    errors: list[pl.DataFrame] = dataclasses.field(default_factory=list)
    unknown: list[pl.DataFrame] = dataclasses.field(default_factory=list)
    positions: list[pl.DataFrame] = dataclasses.field(default_factory=list)
    findings: list[pl.DataFrame] = dataclasses.field(default_factory=list)
    format_errors: list[FormatError] = dataclasses.field(default_factory=list)
    reports: list[tuple[SourceRef, ReportInput]] = dataclasses.field(default_factory=list)

    def report(self) -> ValidationReport:
        """The validation report of every input read (the ``ds.sources`` rows of those read are added)."""
        read_sources = _stack(self.read, SOURCE_READ_SCHEMA)
        self.sources.append(read_sources)
        return ValidationReport(
            _stack(self.errors, ERROR_SCHEMA),
            _stack(self.unknown, UNKNOWN_SCHEMA),
            int(read_sources["days"].sum()),
            int(read_sources["days_valid"].sum()),
        )


def _collect(chunks: Iterable[Batch], on_invalid: OnInvalid, skipped: Sequence[dict[str, Any]]) -> _Collected:
    """Receive the batches: merge their days as they arrive; keep their report rows (frames, never a dict per row).

    An input that could not be read raises at once with ``"raise"``, unless it is not an export
    (those are refused together, after reading: :func:`copilot_metrics.quarantine.refuse`).
    """
    collected = _Collected(merge.Merger(), [_source_rows(skipped)])
    for chunk in chunks:
        for ref, outcome in chunk.outcomes:
            if isinstance(outcome, CopilotMetricsError):
                if isinstance(outcome, FormatError):
                    collected.format_errors.append(outcome)
                elif on_invalid == "raise":
                    raise outcome
                continue
            if outcome.report is not None:  # a successor report file: merged apart (merge.reports)
                collected.reports.append((ref, outcome.report))
                continue
            if outcome.cut_short is not None:  # complete days read; raise mode refuses the file
                collected.format_errors.append(outcome.cut_short)
            if outcome.registry is not None:  # read on its own, each distinct version once (merge.split_versions)
                collected.merger.add_versions(outcome.tables or {}, outcome.registry)
            elif outcome.tables is not None:  # read on its own: it repeats a date
                collected.merger.add(ref.label, outcome.tables)  # merge early: repeats are dropped here, file by file
                for label, occurrence, copy in outcome.copies:
                    collected.merger.add(label, copy, file=ref.label, occurrence=occurrence)
        collected.sources.append(chunk.failed)
        collected.read.append(chunk.read)
        collected.quarantine.append(chunk.quarantine)
        collected.errors.append(chunk.errors)
        collected.unknown.append(chunk.unknown)
        collected.positions.append(chunk.positions)
        collected.findings.append(chunk.findings)
        collected.findings.append(training_date_findings(chunk.tables))
        # repeats across exports are dropped here, batch by batch
        collected.merger.add_batch(chunk.tables, chunk.identical, digests=chunk.digests)
    return collected


def _finish(
    collected: _Collected,
    report: ValidationReport,
    *,
    on_invalid: OnInvalid,
    fetched_at: Mapping[str, Any] | None,
    precedence: Callable[[dict[str, Any]], Any] | None,
    contracts: bool,
    on_drift: OnDrift = "keep",
) -> Dataset:
    """Pick the winners, then the contracts, the statuses and the findings: the dataset."""
    merger = collected.merger
    sources = _stack(collected.sources, SOURCE_READ_SCHEMA).unique("source", keep="last").sort("source")
    if merger.registry:  # unlabelled folders that cannot be one scope are refused, never merged
        merge.refuse_clashes(merge.scope_clashes(pl.concat(merger.registry)), sources["source"].to_list())
    if collected.reports:  # a report's created_at comes right after fetched_at
        sources = report_times(sources, pl.concat([r.read.reports for _, r in collected.reports]), fetched_at)
    ranked = merge.rank_sources(sources, fetched_at, precedence)
    tables, conflicts, counts, versions = merger.finish(ranked)
    sources = ranked.join(counts, on="source", how="left").with_columns(
        pl.col("days_kept", "days_identical", "days_superseded").fill_null(0).cast(pl.Int64),
        *(pl.lit(None, pl.String).alias(c) for c in SOURCE_FAMILY_COLUMNS),  # set once the files are merged
    )
    quarantine_frame = _sort_quarantine(_stack(collected.quarantine, QUARANTINE_SCHEMA))
    collected.quarantine.clear()
    ds = Dataset(tables, sources, quarantine_frame, FINDING_SCHEMA.to_frame(), conflicts, report, versions=versions)
    ds = enforce_and_mark(ds, on_invalid, contracts=contracts, positions=_stack(collected.positions, POSITIONS_SCHEMA))
    if collected.reports:
        ds = _with_reports(ds, collected, ranked, on_drift, contracts=contracts)
    return dataclasses.replace(
        ds,
        sources=ds.sources.with_columns(pl.coalesce(pl.col("family"), legacy_family()).alias("family")),
        findings=pl.concat([*collected.findings, table_findings(ds.tables), ds.findings])
        .unique()
        .sort(["source", *DAY_KEY, "table", "rule", "json_path", "value", "severity", "message"], nulls_last=True),
    )


def schema_drift(ds: Dataset) -> pl.DataFrame:
    """The keys of the successor reports the registry does not know, one row per (grain, path, type), by first date.

    ``ds.schema_drift`` sorted by ``first_date`` (then grain, path, type): ``path`` is the key's
    path in a record (``totals_by_feature[].hover_ms``; ``value:<v>`` for a value outside the
    documented vocabulary), ``first_date``/``last_date`` the days of the records holding it,
    ``files`` and ``records`` how many hold it, ``status`` ``unknown``.
    """
    return ds.schema_drift.sort("first_date", "grain", "path", "example_type", nulls_last=True)


def check_report_options(reports: object, scope_level: object, on_drift: object) -> None:
    """The successor reports' load options, refused at the door unless one of their values."""
    if reports not in ("load", "refuse"):
        raise ValueError(f"reports must be 'load' or 'refuse', not {reports!r}")
    if scope_level not in (None, "organization", "enterprise"):
        raise ValueError(f"scope_level must be None, 'organization' or 'enterprise', not {scope_level!r}")
    if on_drift not in ("keep", "warn", "raise"):
        raise ValueError(f"on_drift must be 'keep', 'warn' or 'raise', not {on_drift!r}")


def _refuse_reports(collected: _Collected) -> None:
    """``reports="refuse"``: every report file read is refused as the legacy reader refused it."""
    refused = {ref.label for ref, _ in collected.reports}
    collected.read = [frame.filter(~pl.col("source").is_in(refused)) for frame in collected.read]
    rows = []
    for ref, r in collected.reports:
        error = r.refused
        collected.format_errors.append(error)
        rows.append(source_row(ref, "refused", error.message, reason=refused_reason(error)))
        collected.errors.append(
            frame_of(
                [
                    error_row(
                        ref.label, None, None, error.json_path or "$", f"format:{error.detected}", None, error.message
                    )
                ],
                ERROR_SCHEMA,
            )
        )
    collected.sources.append(_source_rows(rows))
    collected.reports = []


def _report_errors(label: str, r: ReportInput) -> pl.DataFrame:
    """``ds.validation.errors`` rows of a report file's records with values of the wrong type (rule ``type``)."""
    return frame_of(
        [
            error_row(
                label, None, e["date"], e["json_path"], "type", e["value"], f"{e['value']} is not {e['expected']}"
            )
            for e in r.read.errors
        ],
        ERROR_SCHEMA,
    )


def _refuse_invalid_records(reports: Sequence[tuple[SourceRef, ReportInput]], on_invalid: OnInvalid) -> None:
    """With ``"raise"``, the first report file (by name) with records of the wrong type raises, naming every error."""
    if on_invalid != "raise":
        return
    for ref, r in reports:
        if r.read.errors:
            raise ReportValidationError(ref.label, r.read.errors)


def _with_reports(
    ds: Dataset, collected: _Collected, ranked: pl.DataFrame, on_drift: OnDrift, *, contracts: bool
) -> Dataset:
    """The dataset with the successor reports merged in: their tables, side tables and report rows."""
    parts = [(ref.label, ref.scope, r.read) for ref, r in collected.reports]
    drift = reports_merge.schema_drift([r.read.schema_drift for _, r in collected.reports])
    apply_drift(drift, on_drift, [ref.label for ref, r in collected.reports if r.read.schema_drift.height])
    merged = reports_merge.merge_reports(parts, ranked)
    if contracts:
        _report_contracts(merged.tables)
    findings = [_report_findings(ref, r) for ref, r in collected.reports]
    from copilot_metrics.successor.findings import merged_findings  # the findings of the merged tables (layer below)

    quarantine = [quarantine_rows(ref.scope, r.read) for ref, r in collected.reports if r.read.quarantine.height]
    quarantine_frame = pl.concat([ds.quarantine, *quarantine], how="vertical_relaxed") if quarantine else ds.quarantine
    info = pl.DataFrame(
        [
            {
                "source": ref.label,
                "_family": "reports",
                "_report_id": ",".join(sorted(set(r.read.reports["report_id"].to_list()))),
                "_record_kinds": ",".join(r.read.record_kinds),
                "_flavor": ",".join(sorted(set(r.read.tables["user_days"]["flavor"].drop_nulls().to_list()))) or None,
            }
            for ref, r in collected.reports
        ],
        schema={
            "source": pl.String,
            "_family": pl.String,
            "_report_id": pl.String,
            "_record_kinds": pl.String,
            "_flavor": pl.String,
        },
    )
    counts = merged.counts.rename({c: f"_{c}" for c in ("days_kept", "days_identical", "days_superseded")})
    report_file = pl.col("_family").is_not_null()
    sources = (
        ds.sources.join(info, on="source", how="left")
        .join(counts, on="source", how="left")
        .with_columns(
            *[
                pl.when(report_file).then(pl.col(f"_{c}").fill_null(0)).otherwise(pl.col(c)).alias(c)
                for c in ("days_kept", "days_identical", "days_superseded")
            ],
            *[pl.when(report_file).then(pl.col(f"_{c}")).otherwise(pl.col(c)).alias(c) for c in SOURCE_FAMILY_COLUMNS],
        )
        .select(ds.sources.columns)
    )
    sources = merge.file_statuses(sources, quarantine_frame)
    conflicts = pl.concat([ds.conflicts, merged.conflicts]).sort(list(CONFLICT_ORDER), nulls_last=False)
    return dataclasses.replace(
        ds,
        tables={**ds.tables, **merged.tables},
        sources=sources,
        quarantine=quarantine_frame,
        findings=pl.concat([ds.findings, *findings, merged.findings, merged_findings(merged.tables, merged.reports)]),
        conflicts=conflicts,
        reports=merged.reports,
        schema_drift=drift,
        user_logins=reports_merge.user_logins(merged.tables["user_days"]),
        report_versions=report_versions(parts, merged.tables),
    )


def _report_findings(ref: SourceRef, r: ReportInput) -> pl.DataFrame:
    """A report file's findings in ``ds.findings``' columns (its scope labels; the ids are in the message)."""
    found = r.read.findings
    return found.select(
        "source",
        pl.lit(ref.scope.get("enterprise"), pl.String).alias("enterprise"),
        pl.lit(ref.scope.get("org"), pl.String).alias("org"),
        pl.lit(None, pl.String).alias("team"),
        "date",
        "table",
        "json_path",
        "rule",
        "severity",
        "message",
        "value",
    ).cast(FINDING_SCHEMA)


def _report_contracts(tables: Mapping[str, pl.DataFrame]) -> None:
    """The pandera contract of every successor table with rows (exact dtypes, counts >= 0, unique keys)."""
    from pandera.errors import SchemaError, SchemaErrors

    from copilot_metrics.errors import ContractError
    from copilot_metrics.successor import contract

    for name, frame in tables.items():
        if frame.height == 0:
            continue
        try:
            contract(name).validate(frame, lazy=True)
        except (SchemaError, SchemaErrors) as exc:
            first = str(exc).strip().splitlines()[0]
            raise ContractError(
                f"table {name!r}: {first}",
                table=name,
                failure_cases=pl.DataFrame({"table": [name], "message": [str(exc)]}),
                hint="a report record breaks the table's contract",
            ) from None


def _stack(parts: Sequence[pl.DataFrame], schema: pl.Schema) -> pl.DataFrame:
    """Frames of one schema, one after the other (not copied into one block)."""
    parts = [part for part in parts if part.height]
    if not parts:
        return schema.to_frame()
    return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=False)


def _sort_quarantine(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by source, day index and date (nulls last), copied only when not in order already.

    Batches return each input's set-aside days in day order: most loads need no copy, which for
    a file of many bad days costs as much as the quarantine itself.
    """
    source, index = pl.col("source"), pl.col("day_index")
    before, index_before = source.shift(), index.shift()
    out_of_order = (source < before) | (source == before) & (
        index.eq_missing(index_before)  # a tie: the date decides (and a null last), as sort does
        | (index < index_before)
        | (index.is_not_null() & index_before.is_null())
    )
    # a null comparison (a null source, a null index after another) counts as out of order
    if frame.height < 2 or not frame.select(out_of_order.fill_null(True).slice(1).any()).item():
        return frame
    return frame.sort(["source", "day_index", "date"], nulls_last=True, maintain_order=True)


def _source_rows(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """``ds.sources`` rows given as dicts, as a frame."""
    collected = Rows(SOURCE_READ_SCHEMA)
    for row in rows:
        collected.add(row)
    return collected.frame()


def check_scope(enterprise: object, org: object, team: object) -> dict[str, str | None]:
    """The scope keywords, refused at the door unless text (or ``None``)."""
    scope = {"enterprise": enterprise, "org": org, "team": team}
    for name, value in scope.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    return {name: None if value is None else safe_label(str(value)) for name, value in scope.items()}


def export_times(fetched_at: object) -> list[tuple[str, dt.datetime]]:
    """``fetched_at``'s keys as text and its values as datetimes; a wrong type or value is refused."""
    if fetched_at is None:
        return []
    if not isinstance(fetched_at, Mapping):
        raise TypeError(f"fetched_at must be a mapping {{path: datetime}}, not {type(fetched_at).__name__}")
    out = []
    for key, value in fetched_at.items():
        if not isinstance(key, (str, bytes, os.PathLike)):
            raise TypeError(f"fetched_at: a key must be a path (str or Path), not {type(key).__name__} {key!r}")
        name = os.fsdecode(key)
        if isinstance(value, str):
            try:
                stamp = dt.datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    f"fetched_at[{safe_label(name)!r}]: {value!r} is not an ISO 8601 date and time"
                ) from None
        elif isinstance(value, dt.datetime):
            stamp = value
        elif isinstance(value, dt.date):
            stamp = dt.datetime.combine(value, dt.time())
        else:
            raise TypeError(
                f"fetched_at[{safe_label(name)!r}] must be a datetime, a date or an ISO 8601 string, "
                f"not {type(value).__name__}"
            )
        out.append((name, stamp))
    return out


def match_fetched_at(
    times: list[tuple[str, dt.datetime]], refs: list[SourceRef], base_labels: list[str]
) -> dict[str, dt.datetime]:
    """``fetched_at`` keyed by the ``source`` labels its keys name.

    A key names an input when it is its label, or the same path once both are made absolute
    (``./x.json``, ``x.json`` and ``/home/me/x.json`` are one file).  A key naming no input, or
    two keys naming one input with different times, are errors.
    """
    absolute: dict[str, str] = {}
    for label in [*base_labels, *(ref.label for ref in refs if ref.path is None)]:
        absolute.setdefault(os.path.abspath(label), label)  # noqa: PTH100 - labels, not files
    for ref in refs:
        if ref.path is not None:
            absolute[os.path.abspath(ref.path)] = ref.label  # noqa: PTH100
    labels = {ref.label for ref in refs} | set(base_labels)
    out: dict[str, dt.datetime] = {}
    named: dict[str, str] = {}
    for key, stamp in times:
        found = next((k for k in (key, safe_label(key)) if k in labels), None)
        found = found or absolute.get(os.path.abspath(key))  # noqa: PTH100
        if found is None:
            raise CopilotMetricsError(
                f"fetched_at: {safe_label(key)!r} names no input of this load",
                file=safe_label(key),
                hint="its keys are the paths of the files loaded (as in ds.sources['source'])",
            )
        if found in out and out[found] != stamp:
            raise CopilotMetricsError(
                f"fetched_at: {safe_label(named[found])!r} and {safe_label(key)!r} name the same file {found} "
                "with different times",
                file=found,
            )
        out[found] = stamp
        named[found] = key
    return out


def _renumber_in_memory(refs: list[SourceRef], base_sources: pl.DataFrame) -> list[SourceRef]:
    """In-memory inputs whose label the base already uses for other content get a free number."""
    import hashlib

    mine = pl.DataFrame(
        [{"source": r.label, "sha256": hashlib.sha256(r.data).hexdigest()} for r in refs if r.data is not None],
        schema={"source": pl.String, "sha256": pl.String},
    )
    renames = merge.in_memory_renames(base_sources, mine)
    return [dataclasses.replace(r, label=renames[r.label]) if r.label in renames else r for r in refs]


def _parquet_datasets(source: Source) -> tuple[list[str], Source]:
    """The folders named in ``source`` (or in its top-level list) that are Parquet datasets, and the rest."""
    from copilot_metrics.export.parquet import MANIFEST

    items = [source] if isinstance(source, (str, os.PathLike)) else source if isinstance(source, (list, tuple)) else []
    found = [
        os.fspath(item)
        for item in items
        if isinstance(item, (str, os.PathLike)) and os.path.isfile(os.path.join(os.fspath(item), MANIFEST))  # noqa: PTH113, PTH118
    ]
    if not found:
        return [], source
    return found, [item for item in items if not (isinstance(item, (str, os.PathLike)) and os.fspath(item) in found)]


def _dataset_misuse(datasets: list[str], base: object, scope: Mapping[str, str | None]) -> CopilotMetricsError:
    """A Parquet dataset named beside another one, beside ``base=``, or with scope keywords."""
    first = datasets[0]
    if len(datasets) > 1:
        return CopilotMetricsError(
            f"{first} and {datasets[1]}: two Parquet datasets; load merges new files into one dataset at a time",
            file=first,
            hint=f"merge them with cm.write_parquet(cm.read_parquet({datasets[1]!r}), {first!r}, mode='merge')",
        )
    if base is not None:
        return CopilotMetricsError(
            f"{first}: a Parquet dataset named as a source, and base= too",
            file=first,
            hint="name one dataset, as base=, and the new files as the source",
        )
    given = ", ".join(f"{k}={v!r}" for k, v in scope.items() if v is not None)
    return CopilotMetricsError(
        f"{first}: a Parquet dataset holds its own scope labels; {given} cannot relabel it",
        file=first,
        hint=f"give the labels to the new files only: cm.load(files, {given}, base={first!r})",
    )


def _read_base(root: str | os.PathLike[str], contracts: bool) -> Dataset:
    from copilot_metrics.export.parquet import read_parquet  # only for load(base=root)

    loaded: Dataset = read_parquet(root, contracts=contracts)  # every check of read_parquet
    return loaded


def validate(
    source: Source,
    *,
    enterprise: str | None = None,
    org: str | None = None,
    team: str | None = None,
    progress: Callable[[LoadProgress], None] | None = None,
) -> ValidationReport:
    """Check every day of every input against the published schema, with format checks.

    The same checks as :func:`copilot_metrics.load`, which it predicts: besides the schema's
    rules, a count that no 64-bit integer column holds exactly is an error (rule
    ``representable``, at the count's JSON path: an integer beyond 64 bits, or a number written
    with a fraction or an exponent that a 64-bit float does not hold exactly), and so is a day
    whose rows break a table's contract once flattened (rule ``contract``: a negative count, a
    dimension row twice in one day).  Never raises for bad content: files that are not metrics
    exports appear in ``errors`` with rule ``format:<what they look like>``, files that cannot be
    read with rule ``io``.  Sources that name nothing (a missing or an empty path) raise
    :class:`~copilot_metrics.errors.CopilotMetricsError`, as :func:`~copilot_metrics.load` does.
    A folder the library wrote is read as :func:`load` reads it; a Parquet dataset contributes
    the report stored when it was written (its days' JSON is not kept).  Successor
    usage-metrics report files are checked record by record: each value of the wrong type is an
    error row (rule ``type``, ``day_index`` null, ``date`` the record's ``day``) at its JSON
    path (``$[17].totals_by_feature[2].code_acceptance_activity_count``); ``days_checked`` and
    ``days_valid`` count their records.  ``progress`` is called
    as :func:`load` calls it, after each file checked.

    >>> import copilot_metrics as cm
    >>> cm.validate(b'[{"date": "2024-13-40"}]').errors["message"].to_list()
    ["'2024-13-40' is not a 'date'"]
    """
    errors = Rows(ERROR_SCHEMA)
    unknown = Rows(UNKNOWN_SCHEMA)
    checked = valid = 0
    datasets, source = _parquet_datasets(source)
    for root in datasets:  # its exports were checked when it was written: their report is in the dataset
        stored = _read_base(root, True).validation
        errors.extend(stored.errors.select(ERROR_SCHEMA.names()).cast(ERROR_SCHEMA))
        unknown.extend(stored.unknown_fields.select(UNKNOWN_SCHEMA.names()).cast(UNKNOWN_SCHEMA))
        checked += stored.days_checked
        valid += stored.days_valid
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a function of a cm.LoadProgress, not {type(progress).__name__}")
    listed = (
        resolve(
            source if not isinstance(source, os.PathLike) else os.fspath(source), check_scope(enterprise, org, team)
        )
        if source or not datasets
        else []
    )
    readable = [ref for ref in listed if not ref.skipped]
    for ref in inputs_read(readable, track(progress, readable)):
        try:
            prepared = read_input(ref.read(), source=ref.label, scope=ref.scope)
        except FormatError as exc:
            errors.append(
                *error_row(ref.label, None, None, exc.json_path or "$", f"format:{exc.detected}", None, exc.message)
            )
            continue
        except CopilotMetricsError as exc:
            errors.append(*error_row(ref.label, None, None, "$", "io", None, exc.message))
            continue
        if prepared.report is not None:  # a successor report file: its records' type errors, with JSON paths
            if prepared.report.read.errors:
                errors.extend(_report_errors(ref.label, prepared.report))
            checked += prepared.source["days"]
            valid += prepared.source["days_valid"]
            continue
        errors.extend(prepared.errors)
        unknown.extend(prepared.unknown)
        broken = _contract_errors(prepared, ref)
        errors.extend(broken)
        checked += prepared.source["days"]
        valid += prepared.source["days_valid"] - broken["day_index"].n_unique()
    return ValidationReport(errors.frame(), unknown.frame(), checked, valid)


def _contract_errors(prepared: ReadInput, ref: SourceRef) -> pl.DataFrame:
    """Error rows for the schema-valid days of one input that break a table's contract.

    What ``load`` would refuse after flattening (a negative count, a dimension row twice in a
    day), so that :func:`validate` predicts it: rule ``contract``, the day's index in the file,
    the JSON path of the row (by names) and its column.
    """
    if not prepared.days:
        return ERROR_SCHEMA.to_frame()
    from copilot_metrics.contracts import check_table, locate
    from copilot_metrics.findings import failure_path

    set_aside = {index for (index,) in prepared.quarantine.tuples("day_index")}
    kept = [i for i in range(prepared.source["days"]) if i not in set_aside]
    # a date held twice: load keeps the last copy (the earlier ones only compete as versions)
    last = {day["date"]: position for position, day in enumerate(prepared.days)}
    chosen = sorted(last.values())
    index = pl.DataFrame(
        {
            "date": [dt.date.fromisoformat(prepared.days[k]["date"]) for k in chosen],
            "day_index": [kept[k] for k in chosen],
        },
        schema={"date": pl.Date, "day_index": pl.Int64},
    )
    tables = explode_days(
        [prepared.days[k] for k in chosen],
        source=ref.label,
        scope=ref.scope,
        unknown=[prepared.unknown_keys[k] for k in chosen],
    )
    shown = pl.when(pl.col("value").is_not_null()).then(pl.format(" (value {})", "value")).otherwise(pl.lit(""))
    out = [ERROR_SCHEMA.to_frame()]
    for name, frame in tables.items():
        located = locate(check_table(name, frame), frame)
        if located.height == 0:
            continue
        out.append(
            located.join(index, on="date", how="left")
            .select(
                pl.lit(ref.label).alias("source"),
                "day_index",
                pl.col("date").cast(pl.String),
                failure_path(name, root=pl.format("$[{}]", "day_index")),
                pl.lit("contract").alias("rule"),
                "value",
                pl.format("table {}, column {}: {} failed{}", pl.lit(name), "column", "check", shown).alias("message"),
            )
            .unique(maintain_order=True)
            .cast(ERROR_SCHEMA)
        )
    return pl.concat(out)
