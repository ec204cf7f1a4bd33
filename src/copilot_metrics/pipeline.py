"""The pipeline: :func:`load` and :func:`validate`, the only module that knows every stage.

resolve sources (:mod:`.sources`) -> per batch of files, in worker processes on large archives
(:mod:`._pool`): decode (:mod:`.decode`), validate (:mod:`.validation`), flatten
(:mod:`.explode`), drop verbatim repeats -> merge as batches arrive (:mod:`.merge`) -> pick
winners -> contracts, once, on the concatenated tables (:mod:`.contracts`) -> data-quality
findings (:mod:`.findings`) -> a :class:`~copilot_metrics.dataset.Dataset`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import polars as pl

from copilot_metrics import _pool, merge
from copilot_metrics import findings as _findings
from copilot_metrics.contracts import enforce
from copilot_metrics.dataset import Dataset
from copilot_metrics.decode import decode
from copilot_metrics.errors import CopilotMetricsError, FormatError, SchemaValidationError
from copilot_metrics.explode import (
    Exploded,
    Prepared,
    explode_bytes,
    explode_days,
    prepare_bytes,
)
from copilot_metrics.findings import (
    file_findings,
    table_findings,
    training_date_findings,
)
from copilot_metrics.sources import Source, SourceRef, resolve, safe_label
from copilot_metrics.tables import (
    DAY_KEY,
    ERROR_SCHEMA,
    FINDING_SCHEMA,
    IDENTICAL_SCHEMA,
    QUARANTINE_SCHEMA,
    SCOPE,
    SOURCE_READ_SCHEMA,
    UNKNOWN_SCHEMA,
)
from copilot_metrics.validation import Rows, ValidationReport

__all__ = ["LoadProgress", "assemble", "load", "validate"]


#: Archives larger than this many bytes are read by a pool of processes, a batch of files at a time.
PARALLEL_MIN_BYTES = 192 * 1024 * 1024

#: Files are read in batches of at most this many bytes: a scope's exports together, so that a
#: day repeated verbatim across them is validated and flattened once.
CHUNK_BYTES = 64 * 1024 * 1024


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
            return result, [], FINDING_SCHEMA.to_frame()
        decoded = decode(data, ref.label, exact=result.exact)  # the days as prepare_bytes read them
    except CopilotMetricsError as exc:
        return exc
    set_aside = {row["day_index"] for row in result.quarantine}
    valid = [i for i in range(len(decoded.days)) if i not in set_aside]
    json_base = decoded.json_base
    scope = {k: result.source.get(k) for k in SCOPE}
    result.tables, copies, findings = merge.split_repeats(
        decoded.days, valid, source=ref.label, scope=scope, json_base=json_base
    )
    return result, copies, findings


@dataclass(frozen=True)
class _Read:
    """The outcome of an input that was read: its report rows are in its batch's frames.

    ``cut_short`` names a last line or document cut short (the complete days were read);
    ``tables`` and ``copies`` are set for an input read on its own because it holds a date
    twice (:func:`_process`): they are merged file by file.
    """

    cut_short: FormatError | None = None
    tables: dict[str, pl.DataFrame] | None = None
    copies: Sequence[tuple[str, int, dict[str, pl.DataFrame]]] = ()


#: The outcome of an input read in its batch with nothing more to tell (most inputs).
_READ = _Read()

#: Columns of the positions a batch returns: each date an input holds, and its copy's index.
_POSITIONS = pl.Schema({"source": pl.String, "date": pl.String, "day_index": pl.Int64})


@dataclass
class _Chunk:
    """What a worker returns for a batch of inputs read together.

    ``outcomes`` has one entry per input, in order: the error that stopped it, or a
    :class:`_Read` (one shared object for the inputs that need nothing more from the caller).
    The days read are flattened in ``tables`` (rows labelled by input), except those of an input
    that holds a date twice (in its :class:`_Read`).  ``identical`` lists the days an input held
    verbatim as an earlier input of the batch (not flattened twice).  The report rows of every
    input, in input order, are frames: ``failed`` and ``read`` (``ds.sources`` rows of the
    inputs not loaded and read), ``quarantine``, ``errors``, ``unknown`` (the validation
    report's), ``positions`` (:data:`_POSITIONS`) and ``findings`` (found while reading).
    """

    outcomes: list[tuple[SourceRef, Any]]
    tables: dict[str, pl.DataFrame]
    identical: pl.DataFrame
    digests: pl.DataFrame
    failed: pl.DataFrame = dataclasses.field(default_factory=SOURCE_READ_SCHEMA.to_frame)
    read: pl.DataFrame = dataclasses.field(default_factory=SOURCE_READ_SCHEMA.to_frame)
    quarantine: pl.DataFrame = dataclasses.field(default_factory=QUARANTINE_SCHEMA.to_frame)
    errors: pl.DataFrame = dataclasses.field(default_factory=ERROR_SCHEMA.to_frame)
    unknown: pl.DataFrame = dataclasses.field(default_factory=UNKNOWN_SCHEMA.to_frame)
    positions: pl.DataFrame = dataclasses.field(default_factory=_POSITIONS.to_frame)
    findings: pl.DataFrame = dataclasses.field(default_factory=FINDING_SCHEMA.to_frame)


class _Report:
    """The report rows of a batch, column by column, in input order (see :class:`_Chunk`)."""

    def __init__(self) -> None:
        self.failed = Rows(SOURCE_READ_SCHEMA)
        self.read = Rows(SOURCE_READ_SCHEMA)
        self.quarantine = Rows(QUARANTINE_SCHEMA)
        self.errors = Rows(ERROR_SCHEMA)
        self.unknown = Rows(UNKNOWN_SCHEMA)
        self.positions = Rows(_POSITIONS)
        self.findings: list[pl.DataFrame] = [FINDING_SCHEMA.to_frame()]

    def not_loaded(self, ref: SourceRef, error: CopilotMetricsError) -> None:
        detected = getattr(error, "detected", "io")
        self.failed.add(_source_row(ref, f"not loaded: {detected}", error.message))
        self.errors.append(ref.label, None, None, error.json_path or "$", f"format:{detected}", None, error.message)

    def loaded(self, ref: SourceRef, part: Prepared | Exploded) -> None:
        for date, index in part.positions.items():
            self.positions.append(ref.label, date, index)
        self.read.add(part.source)
        if isinstance(part, Prepared):
            self.quarantine.extend(part.quarantine)
            self.errors.extend(part.errors)
            self.unknown.extend(part.unknown)
            found = file_findings(part)
            if found is not None:
                self.findings.append(found)
            return
        for row in part.quarantine:
            self.quarantine.add(row)
        for row in part.errors:
            self.errors.add(row)
        for row in part.unknown:
            self.unknown.add(row)
        self.findings.append(_findings.read_findings(part))


class LoadProgress(NamedTuple):
    """How far :func:`load` (or :func:`validate`) got reading its files: what ``progress=`` receives.

    ``files_read`` of ``files`` inputs read (parsed and checked; a file that turned out not to
    be an export counts as read), and ``bytes_read`` of ``bytes``: their sizes as listed (a
    compressed file by its compressed size, an in-memory input by its length).  Merging,
    contracts and findings come after the last file.
    """

    files_read: int
    files: int
    bytes_read: int
    bytes: int


class _Tracker:
    """Counts the inputs read and tells ``progress``: first 0 of the total, then after each input."""

    def __init__(self, progress: Callable[[LoadProgress], None], refs: Sequence[SourceRef]) -> None:
        self.progress = progress
        self.sizes = {id(ref): _size(ref) for ref in refs}
        self.state = LoadProgress(0, len(refs), 0, sum(self.sizes.values()))
        progress(self.state)

    def read(self, ref: SourceRef) -> None:
        files, total, done, size = self.state
        self.state = LoadProgress(files + 1, total, done + self.sizes.get(id(ref), 0), size)
        self.progress(self.state)


def _reading(refs: list[SourceRef], on_read: Callable[[SourceRef], None] | None) -> Iterator[SourceRef]:
    """The inputs of a batch; once each is done, ``on_read(ref)``, or, in a worker, a report of its position."""
    for position, ref in enumerate(refs):
        yield ref
        if on_read is not None:
            on_read(ref)
        else:
            _pool.report(position)


def _process_chunk(refs: list[SourceRef], on_read: Callable[[SourceRef], None] | None = None) -> _Chunk:
    """Worker: read a batch of inputs; drop verbatim repeats; flatten the rest in one pass.

    ``on_read(ref)`` is called as each input is read (in a worker process, the parent is told instead).

    What is kept per input until the batch is flattened is its valid days and a few small
    objects; its report rows are kept column by column (:class:`~copilot_metrics.validation.Rows`).
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()  # parsing allocates millions of objects that all stay alive: no cycles to find
    try:
        seen: dict[tuple[Any, ...], str] = {}
        # the outcomes that are not _READ, by input: the list of every input's is made at the end, in
        # one block (a tuple per input made between its parsed days pins memory they free)
        special: dict[int, Any] = {}
        days: list[dict[str, Any]] = []
        unknown: list[Any] = []
        labels: list[str] = []
        scopes: list[dict[str, str | None]] = []
        shared: dict[tuple[str | None, ...], dict[str, str | None]] = {}  # one scope dict per scope
        identical = Rows(IDENTICAL_SCHEMA)
        report = _Report()
        for position, ref in enumerate(_reading(refs, on_read)):
            try:
                prepared = prepare_bytes(ref.read(), source=ref.label, scope=ref.scope, mtime=ref.mtime, seen=seen)
            except CopilotMetricsError as exc:
                special[position] = exc
                report.not_loaded(ref, exc)
                continue
            if prepared.repeated_dates:  # rare: the per-file path splits the copies
                for key in [k for k, v in seen.items() if v == ref.label]:
                    del seen[key]
                alone = _process(ref)
                if isinstance(alone, CopilotMetricsError):
                    special[position] = alone
                    report.not_loaded(ref, alone)
                    continue
                result, copies, repeat_findings = alone
                report.loaded(ref, result)
                report.findings.append(repeat_findings)
                special[position] = _Read(result.cut_short, result.tables, copies)
                continue
            report.loaded(ref, prepared)
            if prepared.cut_short is not None:
                special[position] = _Read(prepared.cut_short)
            key = tuple(ref.scope.get(k) for k in SCOPE)
            scope = shared.setdefault(key, dict(zip(SCOPE, key, strict=True)))
            days.extend(prepared.days)
            unknown.extend(prepared.unknown_keys)
            labels.extend([ref.label] * len(prepared.days))
            scopes.extend([scope] * len(prepared.days))
            for date, first in prepared.identical:
                identical.append(*key, dt.date.fromisoformat(date), ref.label, first)
            del prepared
        tables = explode_days(days, source=labels, scope=scopes, unknown=unknown)
    finally:
        if enabled:
            gc.enable()
    # hashed here, in the worker, so that the parent only joins
    outcomes = [(ref, special.get(position, _READ)) for position, ref in enumerate(refs)]
    return _Chunk(outcomes, tables, identical.frame(), merge.day_digests(tables, by_source=True),
                  failed=report.failed.frame(), read=report.read.frame(), quarantine=report.quarantine.frame(),
                  errors=report.errors.frame(), unknown=report.unknown.frame(), positions=report.positions.frame(),
                  findings=pl.concat(report.findings))


def _size(ref: SourceRef) -> int:
    if ref.path is None:
        return len(ref.data or b"")
    try:
        return ref.path.stat().st_size
    except OSError:  # gone since it was listed: reading it says so
        return 0


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


def _results(refs: list[SourceRef], workers: int | None,
             progress: Callable[[LoadProgress], None] | None = None) -> Iterator[_Chunk]:
    readable = [r for r in refs if not r.skipped]
    total = sum(_size(r) for r in readable)
    n = workers if workers is not None else (os.cpu_count() or 1)
    tracker = _Tracker(progress, readable) if progress is not None and readable else None
    if n > 1 and len(readable) > 1 and (workers is not None or total >= PARALLEL_MIN_BYTES):
        # fresh interpreters that import only this package (see copilot_metrics._pool): scripts
        # without a __main__ guard, notebooks and daemonic pool workers can all load in parallel
        chunks = _chunks(readable, n)

        def reported(task: int, position: int) -> None:  # a worker read chunks[task][position]
            if tracker is not None:
                tracker.read(chunks[task][position])

        yield from _pool.imap(_process_chunk, chunks, n, describe=_describe,
                              on_progress=reported if tracker is not None else None)
    else:
        for chunk in _chunks(readable, 1):
            yield _process_chunk(chunk, tracker.read if tracker is not None else None)


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
    progress: Callable[[LoadProgress], None] | None = None,
) -> Dataset:
    """Load saved Copilot metrics exports into one merged, validated :class:`Dataset`.

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
    scope = _scope(enterprise, org, team)
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)):
        raise TypeError(f"workers must be an int or None, not {type(workers).__name__}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if precedence is not None and not callable(precedence):
        raise TypeError(f"precedence must be a function of a ds.sources row, not {type(precedence).__name__}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a function of a cm.LoadProgress, not {type(progress).__name__}")
    times = _export_times(fetched_at)
    datasets, source = _parquet_datasets(source)
    if datasets:
        if len(datasets) > 1 or base is not None or any(scope.values()):
            raise _dataset_misuse(datasets, base, scope)
        if not source:
            return _read_base(datasets[0], contracts)
        base = datasets[0]
    refs = resolve(source if not isinstance(source, os.PathLike) else os.fspath(source), scope)
    base_ds: Dataset | None = None
    if base is not None:
        base_ds = base if isinstance(base, Dataset) else _read_base(base, contracts)
        refs = _renumber_in_memory(refs, base_ds.sources)
    if times:
        fetched_at = _match_fetched_at(times, refs, base_ds.sources["source"].to_list() if base_ds else [])
    skipped = [_source_row(ref, "skipped", ref.skipped) for ref in refs if ref.skipped]
    ds = assemble(
        _results(refs, workers, progress), on_invalid=on_invalid, fetched_at=fetched_at, precedence=precedence,
        contracts=contracts, skipped=skipped,
    )
    return ds if base_ds is None else merge.merge_into(base_ds, ds, fetched_at=fetched_at, precedence=precedence)


def assemble(
    chunks: Iterable[_Chunk],
    *,
    on_invalid: Literal["raise", "quarantine"],
    fetched_at: Mapping[str, Any] | None = None,
    precedence: Callable[[dict[str, Any]], Any] | None = None,
    contracts: bool = True,
    skipped: Sequence[dict[str, Any]] = (),
) -> Dataset:
    """Everything :func:`load` does after reading: merge the batches, pick winners, contracts, findings.

    ``chunks`` are the batch results of :func:`_process_chunk`, in any order, computed here or
    elsewhere (worker processes, or the executors of :mod:`copilot_metrics.spark`): one place
    turns read batches into a dataset, so every engine gives the same one.  ``skipped`` are the
    ``ds.sources`` rows of inputs never opened.
    """
    merger = merge.Merger()
    # the report rows arrive as frames, batch by batch (see _Chunk); never a dict per row
    source_parts = [_source_rows(skipped)]
    read_parts: list[pl.DataFrame] = []
    quarantine_parts: list[pl.DataFrame] = []
    error_parts: list[pl.DataFrame] = []
    unknown_parts: list[pl.DataFrame] = []
    position_parts: list[pl.DataFrame] = []
    reading_findings: list[pl.DataFrame] = []
    format_errors: list[FormatError] = []
    for chunk in chunks:
        for ref, outcome in chunk.outcomes:
            if isinstance(outcome, CopilotMetricsError):
                if isinstance(outcome, FormatError):
                    format_errors.append(outcome)
                elif on_invalid == "raise":
                    raise outcome
                continue
            if outcome.cut_short is not None:  # complete days read; raise mode refuses the file
                format_errors.append(outcome.cut_short)
            if outcome.tables is not None:  # read on its own: it repeats a date
                merger.add(ref.label, outcome.tables)  # merge early: repeats are dropped here, file by file
                for label, occurrence, copy in outcome.copies:
                    merger.add(label, copy, file=ref.label, occurrence=occurrence)
        source_parts.append(chunk.failed)
        read_parts.append(chunk.read)
        quarantine_parts.append(chunk.quarantine)
        error_parts.append(chunk.errors)
        unknown_parts.append(chunk.unknown)
        position_parts.append(chunk.positions)
        reading_findings.append(chunk.findings)
        reading_findings.append(training_date_findings(chunk.tables))
        # repeats across exports are dropped here, batch by batch
        merger.add_batch(chunk.tables, chunk.identical, digests=chunk.digests)
    read_sources = _stack(read_parts, SOURCE_READ_SCHEMA)
    source_parts.append(read_sources)
    report = ValidationReport(
        _stack(error_parts, ERROR_SCHEMA), _stack(unknown_parts, UNKNOWN_SCHEMA),
        int(read_sources["days"].sum()), int(read_sources["days_valid"].sum()),
    )
    if on_invalid == "raise":
        if format_errors:
            first = format_errors[0]
            if len(format_errors) > 1:
                first.message += f" (and {len(format_errors) - 1} more file(s) that are not exports)"
            raise first
        if not report.ok:
            raise SchemaValidationError(report)
    sources = _stack(source_parts, SOURCE_READ_SCHEMA).unique("source", keep="last").sort("source")
    if merger.registry:  # unlabelled folders that cannot be one scope are refused, never merged
        merge.refuse_clashes(merge.scope_clashes(pl.concat(merger.registry)), sources["source"].to_list())
    ranked = merge.rank_sources(sources, fetched_at, precedence)
    tables, conflicts, counts, versions = merger.finish(ranked)
    sources = ranked.join(counts, on="source", how="left").with_columns(
        pl.col("days_kept", "days_identical", "days_superseded").fill_null(0).cast(pl.Int64)
    )
    quarantine_frame = _sort_quarantine(_stack(quarantine_parts, QUARANTINE_SCHEMA))
    del quarantine_parts
    ds = Dataset(tables, sources, quarantine_frame, FINDING_SCHEMA.to_frame(), conflicts, report, versions=versions)
    if contracts:
        ds = enforce(ds, on_invalid, positions=_stack(position_parts, _POSITIONS))
    return dataclasses.replace(
        ds,
        sources=merge.file_statuses(ds.sources, ds.quarantine),
        findings=pl.concat([*reading_findings, table_findings(ds.tables), ds.findings])
        .unique()
        .sort(["source", *DAY_KEY, "table", "rule", "json_path", "value", "severity", "message"], nulls_last=True),
    )


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
        | (index < index_before) | (index.is_not_null() & index_before.is_null()))
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


def _scope(enterprise: object, org: object, team: object) -> dict[str, str | None]:
    """The scope keywords, refused at the door unless text (or ``None``)."""
    scope = {"enterprise": enterprise, "org": org, "team": team}
    for name, value in scope.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    return {name: None if value is None else safe_label(str(value)) for name, value in scope.items()}


def _export_times(fetched_at: object) -> list[tuple[str, dt.datetime]]:
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
                raise ValueError(f"fetched_at[{safe_label(name)!r}]: {value!r} is not an ISO 8601 date and time"
                                 ) from None
        elif isinstance(value, dt.datetime):
            stamp = value
        elif isinstance(value, dt.date):
            stamp = dt.datetime.combine(value, dt.time())
        else:
            raise TypeError(f"fetched_at[{safe_label(name)!r}] must be a datetime, a date or an ISO 8601 string, "
                            f"not {type(value).__name__}")
        out.append((name, stamp))
    return out


def _match_fetched_at(
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
                f"fetched_at: {safe_label(key)!r} names no input of this load", file=safe_label(key),
                hint="its keys are the paths of the files loaded (as in ds.sources['source'])",
            )
        if found in out and out[found] != stamp:
            raise CopilotMetricsError(
                f"fetched_at: {safe_label(named[found])!r} and {safe_label(key)!r} name the same file {found} "
                "with different times", file=found,
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
    found = [os.fspath(item) for item in items if isinstance(item, (str, os.PathLike))
             and os.path.isfile(os.path.join(os.fspath(item), MANIFEST))]  # noqa: PTH113, PTH118
    if not found:
        return [], source
    return found, [item for item in items if not (isinstance(item, (str, os.PathLike)) and os.fspath(item) in found)]


def _dataset_misuse(datasets: list[str], base: object, scope: Mapping[str, str | None]) -> CopilotMetricsError:
    """A Parquet dataset named beside another one, beside ``base=``, or with scope keywords."""
    first = datasets[0]
    if len(datasets) > 1:
        return CopilotMetricsError(
            f"{first} and {datasets[1]}: two Parquet datasets; load merges new files into one dataset at a time",
            file=first, hint=f"merge them with cm.write_parquet(cm.read_parquet({datasets[1]!r}), {first!r}, "
                             "mode='merge')")
    if base is not None:
        return CopilotMetricsError(f"{first}: a Parquet dataset named as a source, and base= too", file=first,
                                   hint="name one dataset, as base=, and the new files as the source")
    given = ", ".join(f"{k}={v!r}" for k, v in scope.items() if v is not None)
    return CopilotMetricsError(
        f"{first}: a Parquet dataset holds its own scope labels; {given} cannot relabel it", file=first,
        hint=f"give the labels to the new files only: cm.load(files, {given}, base={first!r})")


def _read_base(root: str | os.PathLike[str], contracts: bool) -> Dataset:
    from copilot_metrics.export.parquet import read_parquet  # only for load(base=root)

    loaded: Dataset = read_parquet(root, contracts=contracts)  # every check of read_parquet
    return loaded


def validate(
    source: Source, *, enterprise: str | None = None, org: str | None = None, team: str | None = None,
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
    the report stored when it was written (its days' JSON is not kept).  ``progress`` is called
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
    listed = resolve(source if not isinstance(source, os.PathLike) else os.fspath(source),
                     _scope(enterprise, org, team)) if source or not datasets else []
    readable = [ref for ref in listed if not ref.skipped]
    tracker = _Tracker(progress, readable) if progress is not None and readable else None
    for ref in _reading(readable, tracker.read if tracker is not None else None):
        try:
            prepared = prepare_bytes(ref.read(), source=ref.label, scope=ref.scope)
        except FormatError as exc:
            errors.append(ref.label, None, None, exc.json_path or "$", f"format:{exc.detected}", None, exc.message)
            continue
        except CopilotMetricsError as exc:
            errors.append(ref.label, None, None, "$", "io", None, exc.message)
            continue
        errors.extend(prepared.errors)
        unknown.extend(prepared.unknown)
        broken = _contract_errors(prepared, ref)
        errors.extend(broken)
        checked += prepared.source["days"]
        valid += prepared.source["days_valid"] - broken["day_index"].n_unique()
    return ValidationReport(errors.frame(), unknown.frame(), checked, valid)


def _contract_errors(prepared: Prepared, ref: SourceRef) -> pl.DataFrame:
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
    index = pl.DataFrame({"date": [dt.date.fromisoformat(prepared.days[k]["date"]) for k in chosen],
                          "day_index": [kept[k] for k in chosen]}, schema={"date": pl.Date, "day_index": pl.Int64})
    tables = explode_days([prepared.days[k] for k in chosen], source=ref.label, scope=ref.scope,
                          unknown=[prepared.unknown_keys[k] for k in chosen])
    shown = pl.when(pl.col("value").is_not_null()).then(pl.format(" (value {})", "value")).otherwise(pl.lit(""))
    out = [ERROR_SCHEMA.to_frame()]
    for name, frame in tables.items():
        located = locate(check_table(name, frame), frame)
        if located.height == 0:
            continue
        out.append(located.join(index, on="date", how="left").select(
            pl.lit(ref.label).alias("source"), "day_index", pl.col("date").cast(pl.String),
            failure_path(name, root=pl.format("$[{}]", "day_index")), pl.lit("contract").alias("rule"), "value",
            pl.format("table {}, column {}: {} failed{}", pl.lit(name), "column", "check", shown).alias("message"),
        ).unique(maintain_order=True).cast(ERROR_SCHEMA))
    return pl.concat(out)
