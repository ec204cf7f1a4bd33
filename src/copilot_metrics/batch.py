"""The batch step every engine runs: a batch of inputs in, their tables and report rows out.

It runs in the calling process, in the worker processes of a parallel load (:mod:`._pool`) and
on the executors of :mod:`copilot_metrics.spark`; :func:`copilot_metrics.pipeline.assemble`
turns the batches into one dataset, so every engine gives the same one.

Reading one input (:func:`read_input`) goes in named steps:

1. :func:`day_versions`: the input's bytes -> its distinct day versions (drop the days an
   input read earlier in the batch held verbatim: ``seen``).  The only place where the bytes of
   a file become day objects: split into raw day ranges by :mod:`copilot_metrics._scan`, each
   range hashed, and only the distinct ranges not seen before parsed (what the scanner
   declines is decoded whole by :func:`copilot_metrics.decode.decode`, as before).
2. ``_validate``: the JSON Schema (:func:`copilot_metrics.validation.check_days`).
3. ``_unrepresentable``: the valid days no table column holds (a count beyond 64 bits, a
   number a 64-bit column does not hold exactly, an unknown key nested too deep).
4. ``_set_aside``, ``_keep`` and ``_read_row``: the quarantine rows
   (:mod:`copilot_metrics.quarantine`), the kept days and their positions, and the input's
   ``ds.sources`` row.

A batch (:func:`process_batch`) reads its inputs in turn and flattens every kept day in one
pass (:func:`copilot_metrics.explode.explode_days`); an input holding a date more than once
(responses appended to one file) is read on its own, each distinct version of a day flattened
once (:func:`copilot_metrics.merge.split_versions`).  Which inputs go together:
:func:`plan_batches`; here or in worker processes: :func:`read_batches`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import itertools
import operator
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
import polars as pl

from copilot_metrics import _pool, _scan, _schema, merge, sidetables
from copilot_metrics.decode import Decoded, decode, flat_row, refused_day, unwrap_gzip
from copilot_metrics.errors import CopilotMetricsError, FormatError
from copilot_metrics.explode import explode_days, unconvertible
from copilot_metrics.findings import file_findings, read_findings
from copilot_metrics.quarantine import POSITIONS_SCHEMA, cut_short_row, read_row, read_state, refused_reason
from copilot_metrics.sidetables import ErrorRow, State, error_row, identical_row
from copilot_metrics.sources import SourceRef
from copilot_metrics.tables import (
    ERROR_SCHEMA,
    FINDING_SCHEMA,
    IDENTICAL_SCHEMA,
    QUARANTINE_SCHEMA,
    SCOPE,
    SOURCE_READ_SCHEMA,
    UNKNOWN_SCHEMA,
)
from copilot_metrics.validation import DayCheck, Rows, Validators, check_days

if TYPE_CHECKING:
    from copilot_metrics.successor.load import ReportInput

__all__ = [
    "BATCH_BYTES",
    "MAX_DEPTH",
    "PARALLEL_MIN_BYTES",
    "Batch",
    "DayVersions",
    "Exploded",
    "LoadProgress",
    "Outcome",
    "Read",
    "ReadInput",
    "ReadMemory",
    "day_versions",
    "explode_bytes",
    "input_size",
    "inputs_read",
    "plan_batches",
    "process_batch",
    "read_batches",
    "read_input",
    "source_row",
    "track",
]

#: Archives larger than this many bytes are read by a pool of processes, a batch of files at a time.
PARALLEL_MIN_BYTES = 192 * 1024 * 1024

#: Files are read in batches of at most this many bytes: a scope's exports together, so that a
#: day repeated verbatim across them is validated and flattened once.
BATCH_BYTES = 64 * 1024 * 1024

#: How deep a kept day may nest (orjson's writer limit): a deeper value (only an unknown key can
#: hold one) could not be written back by write_json nor compared, so the day is set aside.
MAX_DEPTH = 254

#: What a repeat is known by in ``seen``: (scope labels, date, the xxh3-128 digest of the day as compact
#: JSON, :func:`repeat_key`: :func:`copilot_metrics._scan.content_digest`), 16 bytes a day, not its text.
SeenKey = tuple[tuple[str | None, ...], str, bytes]


# ----------------------------------------------------------------------------- one input


@dataclass
class DayVersions:
    """An input's day versions new to its batch: step 1 of :func:`read_input`.

    ``decoded`` is the input as decoded: every day object in file order, its layout, wrapper,
    and a last line cut short.  ``days`` are the days not seen before in the batch (``at``:
    their indexes in the file; ``digests``: the digest of each one's compact JSON, its identity in ``seen``,
    ``None`` for a day without a date; empty when there is no ``seen``).  ``identical`` lists
    ``(date, first input)`` of each day an earlier input held verbatim, ``identical_at`` its
    index in the file.  ``dates`` has the date (a string, else ``None``) of every day of the
    file, in file order: the later steps read dates and counts there, since ``decoded.days``
    holds ``None`` for a day the scanner skipped without parsing (see :func:`day_versions`).
    """

    decoded: Decoded
    days: list[Any]
    at: list[int]
    digests: list[bytes | None]
    identical: list[tuple[str, str]] = field(default_factory=list)
    identical_at: list[int] = field(default_factory=list)
    dates: list[str | None] = field(default_factory=list)


@dataclass
class ReadInput:
    """One input parsed and validated, ready to flatten (see :func:`read_input`).

    ``days`` are its valid days (``unknown_keys``: per day, the objects holding keys the schema
    does not know); ``identical`` the days it held verbatim as an earlier input of the batch,
    ``(date, first input)``, not validated again.  ``positions`` maps each date the input holds
    valid to the index, in the input, of its copy that reaches the tables (the last valid one);
    ``repeated_dates`` says that it holds a date twice, ``unsorted`` that its dates are out of
    order.  ``exact`` says whether the input had to be read again with every number exact (see
    :func:`copilot_metrics.decode.decode`); ``cut_short`` is the error naming a last line or
    document cut short, whose complete days were read (it is also in ``errors`` and
    ``quarantine``).  ``source`` is its ``ds.sources`` row.  The report rows (``quarantine``,
    ``errors``, ``unknown``) are kept column by column (:class:`~copilot_metrics.validation.Rows`).
    """

    source: dict[str, Any]
    days: list[dict[str, Any]]
    unknown_keys: list[list[tuple[_schema.JsonPath, dict[str, Any]]]]
    quarantine: Rows = field(default_factory=lambda: Rows(QUARANTINE_SCHEMA))
    errors: Rows = field(default_factory=lambda: Rows(ERROR_SCHEMA))
    unknown: Rows = field(default_factory=lambda: Rows(UNKNOWN_SCHEMA))
    identical: list[tuple[str, str]] = field(default_factory=list)
    repeated_dates: bool = False
    unsorted: bool = False
    positions: dict[str, int] = field(default_factory=dict)
    exact: bool = False
    cut_short: FormatError | None = None
    report: ReportInput | None = None  # a successor report file (issue 21): its tables, not days


@dataclass
class ReadMemory:
    """What the scanner remembers across the inputs of a batch (see :func:`day_versions`).

    ``fingerprints`` maps the xxh3-128 fingerprint of a day's bytes to its date and its key in
    ``seen``: a range already parsed in the batch is known without parsing.  ``scanned`` and
    ``sha256`` hold the last input's scan and digest, so that an input read a second time (it
    repeats a date: read on its own) is not scanned nor hashed again; :meth:`forget` lets them go.
    ``scans`` and ``hashes`` count the inputs scanned and hashed with this memory.
    """

    fingerprints: dict[bytes, tuple[str, bytes]] = field(default_factory=dict)
    scanned: tuple[bytes, _scan.Scan | None] | None = None
    sha256: tuple[bytes, str] | None = None
    scans: int = 0
    hashes: int = 0

    def forget(self) -> None:
        """Let the last input's bytes go."""
        self.scanned = self.sha256 = None


def read_input(
    data: bytes,
    *,
    source: str,
    scope: dict[str, str | None] | None = None,
    mtime: float | None = None,
    seen: dict[SeenKey, str] | None = None,
    validators: Validators = "installed",
    scanner: bool = True,
    memory: ReadMemory | None = None,
) -> ReadInput:
    """Parse and validate one input; return its valid days, unflattened, and its report rows.

    ``seen`` (optional, updated in place) maps ``(scope, date, digest of the day as compact JSON)`` to
    the input that first held that exact day, valid: a day found there again is not validated
    or flattened a second time, only recorded in ``identical`` as ``(date, first input)``.
    This is how repeats are dropped as files are read.  ``validators`` are the compiled
    validators :func:`~copilot_metrics.validation.check_days` uses (default: jsonschema-rs's,
    when installed).  ``scanner`` and ``memory``: see :func:`day_versions`.
    """
    scope = {k: (scope or {}).get(k) for k in SCOPE}
    scope_key = tuple(scope[k] for k in SCOPE)
    try:
        versions = day_versions(data, source=source, scope_key=scope_key, seen=seen, scanner=scanner, memory=memory)
    except FormatError as refused:  # issue 21 hook: a successor report file goes to its own reader
        from copilot_metrics.successor.load import read_report_input  # only for report files

        row, report = read_report_input(data, refused, source=source, scope=scope, mtime=mtime)
        return ReadInput(source=row, days=[], unknown_keys=[], report=report)
    out, check, invalid, valid_pos = _validate(versions, source, validators)
    bad_rows, out.exact = _unrepresentable(versions, check, valid_pos, invalid, data, source)
    if bad_rows:
        invalid += [valid_pos[j] for j in bad_rows]
        valid_pos = [v for j, v in enumerate(valid_pos) if j not in bad_rows]
    out.unsorted = _unsorted(versions.dates)
    _set_aside(versions, check, bad_rows, invalid, out, source, scope)
    valid_dates = _keep(versions, check, valid_pos, out, seen, scope_key, source)
    out.source = _read_row(data, versions, out, valid_dates, source, scope, mtime, memory)
    return out


def day_versions(
    data: bytes,
    *,
    source: str,
    scope_key: tuple[str | None, ...],
    seen: dict[SeenKey, str] | None,
    scanner: bool = True,
    memory: ReadMemory | None = None,
) -> DayVersions:
    """Step 1: an input's bytes -> its day versions not ``seen`` before (see :class:`DayVersions`).

    With ``scanner`` (the default), the file is split into raw day ranges first
    (:func:`copilot_metrics._scan.scan`) and only its distinct ranges are parsed, those whose
    day ``seen`` holds already skipped without parsing when ``memory`` (the batch's
    :class:`ReadMemory`) knows their fingerprints: a copy of a day
    is one hash, not an object tree.  Whatever the scanner declines (a wrapped array, bad or cut
    JSON, a stray element, a day without a string date, a file refused as another shape) is
    read as before, by :func:`copilot_metrics.decode.decode`, with its errors.  Both give the
    same versions; ``scanner=False`` is the old path, kept for the equivalence test.

    Raises :class:`~copilot_metrics.errors.FormatError` when the bytes are not a metrics export.
    """
    if scanner:
        versions = _scanned_versions(data, source, scope_key, seen, memory)
        if versions is not None:
            return versions
    decoded = decode(data, source)
    dates = [_date_of(day) for day in decoded.days]
    if seen is None:
        return DayVersions(decoded, list(decoded.days), list(range(len(decoded.days))), [], dates=dates)
    versions = DayVersions(decoded, [], [], [], dates=dates)
    for i, day in enumerate(decoded.days):
        date = dates[i]
        digest = None
        if date is not None:
            digest = _scan.content_digest(day)
            first = seen.get((scope_key, date, digest))
            if first is not None:
                versions.identical.append((date, first))
                versions.identical_at.append(i)
                continue
        versions.at.append(i)
        versions.digests.append(digest)
    versions.days = [decoded.days[i] for i in versions.at]
    return versions


def _date_of(day: Any) -> str | None:
    date = day.get("date") if isinstance(day, dict) else None
    return date if isinstance(date, str) else None


def _scanned_versions(
    data: bytes,
    source: str,
    scope_key: tuple[str | None, ...],
    seen: dict[SeenKey, str] | None,
    memory: ReadMemory | None,
) -> DayVersions | None:
    """:func:`day_versions` through the scanner; ``None`` when the file is to be read as before.

    A range's date is its parsed day's ``date`` (as orjson reads it: the last of repeated keys),
    or, for a range skipped, the one ``memory`` recorded when it was parsed.
    """
    gz = data[:2] == b"\x1f\x8b"
    if memory is not None and memory.scanned is not None and memory.scanned[0] is data:
        found = memory.scanned[1]  # the same bytes again: a file that repeats a date, read on its own
    else:
        raw = unwrap_gzip(data, source) if gz else data  # refused as decode refuses it
        found = _scan.scan(raw, dates=False)
        if memory is not None:
            memory.scanned = (data, found)
            memory.scans += 1
    if found is None:
        return None
    fingerprints = memory.fingerprints if memory is not None and seen is not None else None
    known = fingerprints if fingerprints is not None else {}
    n = len(found)
    parsed: list[Any] = [None] * n
    keys: list[bytes | None] = [None] * n
    range_dates: list[str] = [""] * n
    for k in range(n):
        hit = known.get(found.fingerprints[k])
        if hit is not None and (scope_key, *hit) in seen:  # type: ignore[operator]
            range_dates[k], keys[k] = hit  # a day an earlier input held valid: not parsed
            continue
        try:
            day = parsed[k] = found.load(k)
        except _scan.Unsplittable:
            return None
        date = day.get("date")
        if not isinstance(date, str):
            return None  # a day without a string date: decode keeps it, validation sets it aside
        range_dates[k] = date
    first = parsed[found.copies[0]] if found.copies else None
    if first is not None and refused_day(first):
        return None  # another shape (the older /copilot/usage days): decode says which
    if found.copies and all(day is not None and flat_row(day) for day in parsed):
        return None  # rows flattened from an export: decode refuses them
    if seen is not None:
        for k, day in enumerate(parsed):
            if day is not None:
                keys[k] = key = _scan.content_digest(day)
                if fingerprints is not None and not flat_row(day) and not refused_day(day):
                    fingerprints[found.fingerprints[k]] = (range_dates[k], key)
    layout = found.layout + ("+gzip" if gz else "")
    dates: list[str | None] = [range_dates[k] for k in found.copies]
    days: list[Any] = [parsed[k] for k in found.copies]
    if seen is None:
        return DayVersions(Decoded(layout, days), list(days), list(range(len(days))), [], dates=dates)
    versions = DayVersions(Decoded(layout, days), [], [], [], dates=dates)
    firsts: dict[int, str | None] = {}
    for i, k in enumerate(found.copies):
        if k not in firsts:
            firsts[k] = seen.get((scope_key, range_dates[k], keys[k]))  # type: ignore[arg-type]
        held = firsts[k]
        if held is not None:
            versions.identical.append((range_dates[k], held))
            versions.identical_at.append(i)
            days[i] = None
            continue
        versions.at.append(i)
        versions.digests.append(keys[k])
    versions.days = [days[i] for i in versions.at]
    return versions


def _validate(
    versions: DayVersions, source: str, validators: Validators
) -> tuple[ReadInput, DayCheck, list[int], list[int]]:
    """Step 2: the schema.  The input's report so far, the check, the invalid and valid positions in ``days``."""
    check = _check_copies(versions, source, validators)
    if check is None:
        check = check_days(
            versions.days,
            source,
            versions.decoded.json_base,
            numbers=versions.at,  # rows numbered
            validators=validators,
        )  # by file position
    out = ReadInput(
        source={},
        days=[],
        unknown_keys=[],
        errors=check.error_rows,
        unknown=check.unknown_rows,
        identical=versions.identical,
    )
    invalid = [j for j, ok in enumerate(check.valid) if not ok]  # each has error rows, in day order
    for j in invalid if versions.digests else ():  # only valid days go into ``seen``
        versions.digests[j] = None
    return out, check, invalid, [j for j, ok in enumerate(check.valid) if ok]


def _check_copies(versions: DayVersions, source: str, validators: Validators) -> DayCheck | None:
    """The check of a file holding copies of one byte range (one parsed object): each object checked once.

    Exact only when every distinct day passes the strict schema (then no day has a report row):
    ``None`` otherwise, and the caller checks every copy, numbering its rows.
    """
    first: dict[int, int] = {}
    for j, day in enumerate(versions.days):
        first.setdefault(id(day), j)
    if len(first) == len(versions.days):
        return None
    positions = list(first.values())
    check = check_days(
        [versions.days[j] for j in positions],
        source,
        versions.decoded.json_base,
        numbers=[versions.at[j] for j in positions],
        validators=validators,
    )
    if not all(check.strict):
        return None
    n = len(versions.days)
    return DayCheck([True] * n, [False] * n, strict=[True] * n)


#: Per valid day looked at closely: the counts no Int64 column holds exactly, and whether to read again exactly.
_Looked = dict[int, tuple[list[tuple[_schema.JsonPath, Any]], bool]]


def _unrepresentable(
    versions: DayVersions, check: DayCheck, valid_pos: list[int], invalid: list[int], data: bytes, source: str
) -> tuple[dict[int, list[ErrorRow]], bool]:
    """Step 3: the error rows of the valid days no table holds, by position in ``valid_pos``; whether read exactly.

    Only a day the strict validator did not pass can hold a number past 2**53 (or beyond
    Int64), or a key the schema does not know holding an integer orjson read as a float, and
    only such a day (its unknown keys) can nest deeper than a JSON writer goes.
    """
    unsure = [j for j, pos in enumerate(valid_pos) if not check.strict[pos]]
    deep: set[int] = set()
    looked: _Looked = {}
    for j in unsure:  # each text dropped at once (orjson's buffers are 4 KiB or more)
        text = _written(versions.days[valid_pos[j]])
        if text is None:
            deep.add(j)
        elif _long_number(text):
            looked[j] = _schema.number_problems(versions.days[valid_pos[j]])
    exact = _read_exact(versions, data, source, valid_pos, invalid, looked)
    bad_rows = _bad_number_rows(versions, source, valid_pos, deep, looked)
    rest = [j for j in unsure if j not in bad_rows]
    for b in unconvertible([versions.days[valid_pos[j]] for j in rest]) if rest else []:
        # what number_problems did not name (never seen): the day as a whole
        bad_rows[rest[b]] = [
            _day_error(
                versions, source, valid_pos[rest[b]], "representable", "a value does not fit a 64-bit integer column"
            )
        ]
    return bad_rows, exact


def _read_exact(
    versions: DayVersions, data: bytes, source: str, valid_pos: list[int], invalid: list[int], looked: _Looked
) -> bool:
    """Rare: read the input again, every number exact, for the days that need it; whether it was."""
    reread = [j for j, (bad, again) in looked.items() if bad or again]
    days = versions.decoded.days
    # an invalid day is kept verbatim too: its numbers as written
    reread_invalid = [
        versions.at[j] for j in invalid if _schema.has_float(days[versions.at[j]], float(_schema.EXACT_LIMIT))
    ]
    if not (reread or reread_invalid):
        return False
    exact = decode(data, source, exact=True).days
    for j in reread:
        i = versions.at[valid_pos[j]]
        versions.days[valid_pos[j]] = days[i] = exact[i]
        looked[j] = _schema.number_problems(exact[i])
        if versions.digests and versions.digests[valid_pos[j]] is not None:  # the day's exact JSON is its identity
            versions.digests[valid_pos[j]] = _scan.content_digest(exact[i])
    for i in reread_invalid:
        days[i] = exact[i]
    return True


def _bad_number_rows(
    versions: DayVersions, source: str, valid_pos: list[int], deep: set[int], looked: _Looked
) -> dict[int, list[ErrorRow]]:
    """Error rows of the days nested too deep (rule ``depth``) and of the counts no Int64 holds (``representable``)."""
    too_deep = f"nested deeper than {MAX_DEPTH} levels, which no table or JSON writer holds"
    bad_rows = {j: [_day_error(versions, source, valid_pos[j], "depth", too_deep)] for j in sorted(deep)}
    base = versions.decoded.json_base
    for j, (bad, _) in sorted(looked.items()):
        if bad:
            i = versions.at[valid_pos[j]]
            bad_rows[j] = _number_errors(source, i, versions.decoded.days[i].get("date"), f"{base}[{i}]", bad)
    return bad_rows


def _day_error(versions: DayVersions, source: str, position: int, check: str, message: str) -> ErrorRow:
    """An error row about the whole day at ``position`` in ``versions.days``."""
    i = versions.at[position]
    return error_row(
        source, i, versions.decoded.days[i].get("date"), f"{versions.decoded.json_base}[{i}]", check, None, message
    )


def _unsorted(dates: list[str | None]) -> bool:
    """Whether the dates of an input's days (``None``: not a string) are out of order."""
    return any(a is not None and b is not None and b < a for a, b in itertools.pairwise(dates))


def _set_aside(
    versions: DayVersions,
    check: DayCheck,
    bad_rows: dict[int, list[ErrorRow]],
    invalid: list[int],
    out: ReadInput,
    source: str,
    scope: dict[str, str | None],
) -> None:
    """Step 4: each set-aside day with its reasons, in day order, and a last line cut short, into ``out``.

    The days failing the schema (their error rows, in day order) and those the tables cannot
    hold (``bad_rows``, rare).  Their parsed objects are dropped: they are kept as text.
    """
    days = versions.decoded.days
    failing = (
        (index, [f"{path}: {message}" for _, path, message in rows])
        for index, rows in itertools.groupby(
            check.error_rows.tuples("day_index", "json_path", "message"), key=operator.itemgetter(0)
        )
    )
    held = [
        (rows[0].day_index, [f"{row.json_path}: {row.message}" for row in rows]) for _, rows in sorted(bad_rows.items())
    ]
    for i, reasons in heapq.merge(failing, held, key=operator.itemgetter(0)):
        out.quarantine.append(*read_row(source, scope, i, days[i], "schema", reasons))
        days[i] = None  # kept as text: the parsed day is no longer needed
    for j in invalid:
        versions.days[j] = None
    for _, rows in sorted(bad_rows.items()):  # after the schema's errors, as they were found
        for row in rows:
            out.errors.append(*row)
    cut = versions.decoded.cut
    if cut is not None:  # the last line or document, cut short: the file is being written
        index = len(versions.dates)
        out.cut_short = cut
        out.errors.append(*error_row(source, index, None, cut.json_path, f"format:{cut.detected}", None, cut.message))
        out.quarantine.append(*cut_short_row(source, scope, index, cut, versions.decoded.cut_text))


def _keep(
    versions: DayVersions,
    check: DayCheck,
    valid_pos: list[int],
    out: ReadInput,
    seen: dict[SeenKey, str] | None,
    scope_key: tuple[str | None, ...],
    source: str,
) -> list[str]:
    """The valid days into ``out`` (and ``seen``), with the position of each date's kept copy; the valid dates."""
    out.days = [versions.days[j] for j in valid_pos]
    out.unknown_keys = [_schema.unknown_keys(versions.days[j]) if check.has_unknown[j] else [] for j in valid_pos]
    dates, at = versions.dates, versions.at
    if seen is not None:
        for j in valid_pos:
            digest = versions.digests[j]
            if digest is not None:
                seen.setdefault((scope_key, dates[at[j]], digest), source)  # type: ignore[arg-type]
    # the copy of each date that reaches the tables: the file's last valid one
    out.positions = {dates[at[j]]: at[j] for j in valid_pos}  # type: ignore[misc]
    for i in versions.identical_at:
        out.positions[dates[i]] = max(i, out.positions.get(dates[i], -1))  # type: ignore[index,arg-type]
    valid_dates = [day["date"] for day in out.days] + [date for date, _ in versions.identical]
    out.repeated_dates = len(set(valid_dates)) < len(valid_dates)
    return valid_dates


def _read_row(
    data: bytes,
    versions: DayVersions,
    out: ReadInput,
    valid_dates: list[str],
    source: str,
    scope: dict[str, str | None],
    mtime: float | None,
    memory: ReadMemory | None,
) -> dict[str, Any]:
    """The ``ds.sources`` row of an input read."""
    decoded = versions.decoded
    if memory is not None and memory.sha256 is not None and memory.sha256[0] is data:
        sha256 = memory.sha256[1]
    else:
        sha256 = hashlib.sha256(data).hexdigest()
        if memory is not None:
            memory.sha256 = (data, sha256)
            memory.hashes += 1
    return sidetables.source_row(
        source,
        scope,
        read_state(len(out.quarantine)),
        sha256=sha256,
        size=len(data),
        layout=decoded.layout,
        days=len(versions.dates) + (decoded.cut is not None),
        days_valid=len(valid_dates),
        first_date=dt.date.fromisoformat(min(valid_dates)) if valid_dates else None,
        last_date=dt.date.fromisoformat(max(valid_dates)) if valid_dates else None,
        mtime=mtime,
        wrapper=_schema.json_bytes(decoded.wrapper).decode() if decoded.wrapper else None,
    )


def source_row(
    ref: SourceRef,
    state: State,
    message: str | None,
    *,
    reason: str | None = None,
    layout: str | None = None,
) -> dict[str, Any]:
    """The ``ds.sources`` row of an input not read (``skipped``, or ``refused`` for ``reason``)."""
    return sidetables.source_row(
        ref.label, ref.scope, state, reason=reason, message=message, layout=layout, mtime=ref.mtime
    )


def repeat_key(day: Any) -> bytes:
    """The day as compact JSON: what a repeat is known by (``seen`` holds its xxh3-128 digest).

    Copied into an object of its own size: orjson returns its write buffer (at least 4 KiB
    allocated), and keeping one per day read would cost 4 KiB a small day, whatever its size.
    """
    return bytes(memoryview(_schema.json_bytes(day)))


def _written(day: Any) -> bytes | None:
    """The day as orjson writes it, or ``None`` when nested deeper than :data:`MAX_DEPTH` levels."""
    try:
        return orjson.dumps(day, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return None


#: Digits to ``0``, ``e`` and ``E`` to ``e``, every other byte to a space (see :func:`_long_number`).
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x65 if b in (0x45, 0x65) else 0x20 for b in range(256))


def _long_number(written: bytes) -> bool:
    """Whether orjson's text of a day may hold a number of 2**53 or more.

    That is 16 digits in a row, or a digit before an ``e`` (an exponent), also inside a string
    (then the day's numbers are only looked at one by one, by
    :func:`copilot_metrics._schema.number_problems`).  Two passes in C: a regular expression
    reads this ten times slower.
    """
    digits = written.translate(_DIGITS)
    return b"0e" in digits or b"0000000000000000" in digits


def _number_errors(
    source: str, index: int, date: Any, prefix: str, bad: list[tuple[_schema.JsonPath, Any]]
) -> list[ErrorRow]:
    """Error rows (rule ``representable``) for the counts of one day no Int64 column holds exactly."""
    rows = []
    for path, value in bad:
        text = _schema.json_bytes(value).decode()
        if not _schema.fits_int64(value):
            message = f"{text} does not fit a 64-bit integer column"
        else:  # written with a fraction or an exponent, it is not the 64-bit float it reads as
            message = (
                f"{text} is not exactly an integer a 64-bit column holds: written with a fraction or "
                f"an exponent, it reads as the 64-bit float {int(value)}"
            )
        rows.append(error_row(source, index, date, _schema.format_path(prefix, path), "representable", text, message))
    return rows


# ----------------------------------------------------------------------------- one input, flattened


@dataclass
class Exploded:
    """What one input produced: its tables, its set-aside days and its report rows.

    ``positions``, ``exact`` and ``cut_short`` are :class:`ReadInput`'s.
    """

    tables: dict[str, pl.DataFrame]
    source: dict[str, Any]
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    exact: bool = False
    cut_short: FormatError | None = None


def explode_bytes(
    data: bytes,
    *,
    source: str,
    scope: dict[str, str | None] | None = None,
    mtime: float | None = None,
) -> Exploded:
    """Turn one input's bytes into its tables: parse, validate, flatten. No I/O.

    Raises :class:`~copilot_metrics.errors.FormatError` when the bytes are not a metrics export.
    Days that fail the schema are returned in ``quarantine`` with their reasons, not in the
    tables; the caller decides whether that is an error.

    >>> import copilot_metrics as cm
    >>> out = cm.explode_bytes(b'[{"date": "2024-06-24", "total_active_users": 3}]', source="x.json")
    >>> out.tables["days"].select("date", "total_active_users").to_dicts()
    [{'date': datetime.date(2024, 6, 24), 'total_active_users': 3}]
    """
    return _explode(data, source=source, scope=scope, mtime=mtime, validators="installed")


def _explode(
    data: bytes,
    *,
    source: str,
    scope: dict[str, str | None] | None,
    mtime: float | None,
    validators: Validators,
    scanner: bool = True,
) -> Exploded:
    scope = {k: (scope or {}).get(k) for k in SCOPE}
    prepared = read_input(data, source=source, scope=scope, mtime=mtime, validators=validators, scanner=scanner)
    if prepared.report is not None:  # issue 21 hook: explode_bytes flattens legacy days only (as before)
        raise prepared.report.refused
    tables = explode_days(prepared.days, source=source, scope=scope, unknown=prepared.unknown_keys)
    return Exploded(
        tables=tables,
        source=prepared.source,
        quarantine=prepared.quarantine.dicts(),
        errors=prepared.errors.dicts(),
        unknown=prepared.unknown.dicts(),
        positions=prepared.positions,
        exact=prepared.exact,
        cut_short=prepared.cut_short,
    )


#: An input that holds a date twice, read on its own: its tables (each date once), the earlier
#: copies of the dates it repeats (label, occurrence, tables), and their ``duplicate_date_in_file`` findings;
#: or, read with the scanner, its tables (each distinct version once), the registry of its copies
#: (:func:`copilot_metrics.merge.split_versions`) and those findings.
_Alone = tuple[
    Exploded,
    list[tuple[str, int, dict[str, pl.DataFrame]]] | tuple[dict[str, pl.DataFrame], pl.DataFrame],
    pl.DataFrame,
]


def _read_alone(
    ref: SourceRef, data: bytes, validators: Validators, scanner: bool, memory: ReadMemory | None = None
) -> _Alone | CopilotMetricsError:
    """Read and explode one input on its own; errors are returned, not raised, across processes.

    A file holding a date twice keeps its later copy in its tables; the earlier copies are
    returned apart (see :func:`copilot_metrics.merge.split_repeats`).  With the scanner, each
    distinct version of a day is flattened once and its copies are labelled
    (:func:`copilot_metrics.merge.split_versions`): the cost of the distinct days, not of the copies.
    """
    if scanner:
        try:
            prepared = read_input(
                data, source=ref.label, scope=ref.scope, mtime=ref.mtime, validators=validators, memory=memory
            )
        except CopilotMetricsError as exc:
            return exc
        if not prepared.exact:  # a file read again exactly: as before, every day of it exact
            return _versions_alone(ref, prepared)
    try:
        result = _explode(
            data, source=ref.label, scope=ref.scope, mtime=ref.mtime, validators=validators, scanner=scanner
        )
        if not result.tables["days"]["date"].is_duplicated().any():
            return result, [], FINDING_SCHEMA.to_frame()
        decoded = decode(data, ref.label, exact=result.exact)  # the days as read_input read them
    except CopilotMetricsError as exc:
        return exc
    set_aside = {row["day_index"] for row in result.quarantine}
    valid = [i for i in range(len(decoded.days)) if i not in set_aside]
    scope = {k: result.source.get(k) for k in SCOPE}
    result.tables, copies, findings = merge.split_repeats(
        decoded.days, valid, source=ref.label, scope=scope, json_base=decoded.json_base
    )
    return result, copies, findings


def _versions_alone(ref: SourceRef, prepared: ReadInput) -> _Alone:
    """:func:`_read_alone` of an input read through the scanner: each distinct version flattened once."""
    scope = {k: prepared.source.get(k) for k in SCOPE}
    set_aside = {i for (i,) in prepared.quarantine.tuples("day_index")}
    valid = [i for i in range(prepared.source["days"]) if i not in set_aside]
    assert len(valid) == len(prepared.days)
    json_base = _json_base(prepared.source["layout"])
    tables, registry, findings = merge.split_versions(
        prepared.days, valid, source=ref.label, scope=scope, json_base=json_base, unknown=prepared.unknown_keys
    )
    own = {name: frame.filter(pl.col("source") == ref.label) for name, frame in tables.items()}
    result = Exploded(
        tables=own,
        source=prepared.source,
        quarantine=prepared.quarantine.dicts(),
        errors=prepared.errors.dicts(),
        unknown=prepared.unknown.dicts(),
        positions=prepared.positions,
        exact=prepared.exact,
        cut_short=prepared.cut_short,
    )
    return result, (tables, registry), findings


def _json_base(layout: str) -> str:
    """:attr:`copilot_metrics.decode.Decoded.json_base` of a layout."""
    return Decoded(layout, []).json_base


# ----------------------------------------------------------------------------- a batch of inputs


@dataclass(frozen=True)
class Read:
    """The outcome of an input that was read: its report rows are in its batch's frames.

    ``cut_short`` names a last line or document cut short (the complete days were read);
    ``tables`` and ``copies`` are set for an input read on its own because it holds a date
    twice: they are merged file by file.  Read through the scanner, ``tables`` holds each
    distinct version once and ``registry`` every copy, for
    :meth:`copilot_metrics.merge.Merger.add_versions` (see :func:`copilot_metrics.merge.split_versions`).
    """

    cut_short: FormatError | None = None
    tables: dict[str, pl.DataFrame] | None = None
    copies: Sequence[tuple[str, int, dict[str, pl.DataFrame]]] = ()
    report: ReportInput | None = None  # a successor report file (issue 21), merged by merge.reports
    registry: pl.DataFrame | None = None


#: The outcome of an input read in its batch with nothing more to tell (most inputs).
_READ = Read()

#: What became of one input of a batch: the error that stopped it, or what was read.
Outcome = CopilotMetricsError | Read


@dataclass
class Batch:
    """What the batch step returns for a batch of inputs read together.

    ``outcomes`` has one entry per input, in order: the error that stopped it, or a
    :class:`Read` (one shared object for the inputs that need nothing more from the caller).
    The days read are flattened in ``tables`` (rows labelled by input), except those of an input
    that holds a date twice (in its :class:`Read`); ``tables["days"]`` has a row per day
    flattened.  ``identical`` lists the days an input held verbatim as an earlier input of the
    batch (not flattened twice); ``digests`` hashes the days flattened
    (:func:`copilot_metrics.merge.day_digests`).  The report rows of every input, in input
    order, are frames: ``failed`` and ``read`` (``ds.sources`` rows of the inputs not loaded and
    read), ``quarantine``, ``errors``, ``unknown`` (the validation report's), ``positions``
    (:data:`~copilot_metrics.quarantine.POSITIONS_SCHEMA`) and ``findings`` (found while reading).
    """

    outcomes: list[tuple[SourceRef, Outcome]]
    tables: dict[str, pl.DataFrame]
    identical: pl.DataFrame
    digests: pl.DataFrame
    failed: pl.DataFrame = field(default_factory=SOURCE_READ_SCHEMA.to_frame)
    read: pl.DataFrame = field(default_factory=SOURCE_READ_SCHEMA.to_frame)
    quarantine: pl.DataFrame = field(default_factory=QUARANTINE_SCHEMA.to_frame)
    errors: pl.DataFrame = field(default_factory=ERROR_SCHEMA.to_frame)
    unknown: pl.DataFrame = field(default_factory=UNKNOWN_SCHEMA.to_frame)
    positions: pl.DataFrame = field(default_factory=POSITIONS_SCHEMA.to_frame)
    findings: pl.DataFrame = field(default_factory=FINDING_SCHEMA.to_frame)


class _Report:
    """The report rows of a batch, column by column, in input order (see :class:`Batch`)."""

    def __init__(self) -> None:
        self.failed = Rows(SOURCE_READ_SCHEMA)
        self.read = Rows(SOURCE_READ_SCHEMA)
        self.quarantine = Rows(QUARANTINE_SCHEMA)
        self.errors = Rows(ERROR_SCHEMA)
        self.unknown = Rows(UNKNOWN_SCHEMA)
        self.positions = Rows(POSITIONS_SCHEMA)
        self.findings: list[pl.DataFrame] = [FINDING_SCHEMA.to_frame()]

    def not_loaded(self, ref: SourceRef, error: CopilotMetricsError) -> None:
        self.failed.add(source_row(ref, "refused", error.message, reason=refused_reason(error)))
        detected = getattr(error, "detected", "io")
        self.errors.append(
            *error_row(ref.label, None, None, error.json_path or "$", f"format:{detected}", None, error.message)
        )

    def loaded(self, ref: SourceRef, part: ReadInput | Exploded) -> None:
        for date, index in part.positions.items():
            self.positions.append(ref.label, date, index)
        self.read.add(part.source)
        if isinstance(part, ReadInput):
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
        self.findings.append(read_findings(part))


class _Reader:
    """A batch's inputs, read in turn: the valid days kept to flatten in one pass, the report rows.

    What is kept per input until the batch is flattened is its valid days and a few small
    objects; its report rows are kept column by column (:class:`~copilot_metrics.validation.Rows`).
    """

    def __init__(self, validators: Validators, scanner: bool = True) -> None:
        self.validators = validators
        self.scanner = scanner
        self.seen: dict[SeenKey, str] = {}
        self.memory = ReadMemory()
        # the outcomes that are not _READ, by input: the list of every input's is made at the end, in
        # one block (a tuple per input made between its parsed days pins memory they free)
        self.special: dict[int, Outcome] = {}
        self.days: list[dict[str, Any]] = []
        self.unknown: list[Any] = []
        self.labels: list[str] = []
        self.scopes: list[dict[str, str | None]] = []
        self.shared: dict[tuple[str | None, ...], dict[str, str | None]] = {}  # one scope dict per scope
        self.identical = Rows(IDENTICAL_SCHEMA)
        self.report = _Report()

    def read(self, position: int, ref: SourceRef) -> None:
        try:
            self._read(position, ref)
        finally:
            self.memory.forget()  # the input's bytes, held for a second reading, go

    def _read(self, position: int, ref: SourceRef) -> None:
        try:
            data = ref.read()
            prepared = read_input(
                data,
                source=ref.label,
                scope=ref.scope,
                mtime=ref.mtime,
                seen=self.seen,
                validators=self.validators,
                scanner=self.scanner,
                memory=self.memory,
            )
        except CopilotMetricsError as exc:
            self.special[position] = exc
            self.report.not_loaded(ref, exc)
            return
        if prepared.repeated_dates:  # rare: read on its own, its copies split
            for mine in [k for k, v in self.seen.items() if v == ref.label]:
                del self.seen[mine]
            del prepared
            self._read_alone(position, ref, data)
            return
        self.report.loaded(ref, prepared)
        if prepared.report is not None:  # issue 21 hook: a successor report travels in its outcome
            self.special[position] = Read(report=prepared.report)
            return
        if prepared.cut_short is not None:
            self.special[position] = Read(prepared.cut_short)
        key = tuple(ref.scope.get(k) for k in SCOPE)
        scope = self.shared.setdefault(key, dict(zip(SCOPE, key, strict=True)))
        self.days.extend(prepared.days)
        self.unknown.extend(prepared.unknown_keys)
        self.labels.extend([ref.label] * len(prepared.days))
        self.scopes.extend([scope] * len(prepared.days))
        for date, first in prepared.identical:
            self.identical.append(*identical_row(key, dt.date.fromisoformat(date), ref.label, first))

    def _read_alone(self, position: int, ref: SourceRef, data: bytes) -> None:
        alone = _read_alone(ref, data, self.validators, self.scanner, self.memory)
        if isinstance(alone, CopilotMetricsError):
            self.special[position] = alone
            self.report.not_loaded(ref, alone)
            return
        result, copies, repeat_findings = alone
        self.report.loaded(ref, result)
        self.report.findings.append(repeat_findings)
        if isinstance(copies, tuple):  # each distinct version once, and the registry of the copies
            self.special[position] = Read(result.cut_short, copies[0], registry=copies[1])
        else:
            self.special[position] = Read(result.cut_short, result.tables, copies)

    def flatten(self) -> dict[str, pl.DataFrame]:
        """The kept days of every input, flattened in one pass (and let go)."""
        tables = explode_days(self.days, source=self.labels, scope=self.scopes, unknown=self.unknown)
        self.days, self.unknown = [], []
        return tables

    def batch(self, refs: list[SourceRef], tables: dict[str, pl.DataFrame]) -> Batch:
        report = self.report
        outcomes = [(ref, self.special.get(position, _READ)) for position, ref in enumerate(refs)]
        # hashed here, in the worker, so that the parent only joins
        return Batch(
            outcomes,
            tables,
            self.identical.frame(),
            merge.day_digests(tables, by_source=True),
            failed=report.failed.frame(),
            read=report.read.frame(),
            quarantine=report.quarantine.frame(),
            errors=report.errors.frame(),
            unknown=report.unknown.frame(),
            positions=report.positions.frame(),
            findings=pl.concat(report.findings),
        )


def process_batch(
    refs: list[SourceRef],
    on_read: Callable[[SourceRef], None] | None = None,
    *,
    validators: Validators = "installed",
    scanner: bool = True,
) -> Batch:
    """The batch step: read a batch of inputs; drop verbatim repeats; flatten the rest in one pass.

    ``on_read(ref)`` is called as each input is read (in a worker process, the parent is told
    instead).  ``validators`` are the compiled validators every input is checked with (see
    :func:`~copilot_metrics.validation.check_days`).  ``scanner=False`` reads every day object
    of every file and flattens each earlier copy of a date on its own, as before the scanner
    (:func:`day_versions`): kept to prove both give the same dataset.  Python's cyclic garbage collector is
    paused while the batch is parsed (see :func:`copilot_metrics.load`).
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()  # parsing allocates millions of objects that all stay alive: no cycles to find
    try:
        reader = _Reader(validators, scanner)
        for position, ref in enumerate(inputs_read(refs, on_read)):
            reader.read(position, ref)
        tables = reader.flatten()
    finally:
        if enabled:
            gc.enable()
    return reader.batch(refs, tables)


# ----------------------------------------------------------------------------- batches, progress


class LoadProgress(NamedTuple):
    """How far :func:`~copilot_metrics.load` (or :func:`~copilot_metrics.validate`) got reading its files.

    What ``progress=`` receives: ``files_read`` of ``files`` inputs read (parsed and checked; a
    file that turned out not to be an export counts as read), and ``bytes_read`` of ``bytes``:
    their sizes as listed (a compressed file by its compressed size, an in-memory input by its
    length).  Merging, contracts and findings come after the last file.
    """

    files_read: int
    files: int
    bytes_read: int
    bytes: int


class _Tracker:
    """Counts the inputs read and tells ``progress``: first 0 of the total, then after each input."""

    def __init__(self, progress: Callable[[LoadProgress], None], refs: Sequence[SourceRef]) -> None:
        self.progress = progress
        self.sizes = {id(ref): input_size(ref) for ref in refs}
        self.state = LoadProgress(0, len(refs), 0, sum(self.sizes.values()))
        progress(self.state)

    def read(self, ref: SourceRef) -> None:
        files, total, done, size = self.state
        self.state = LoadProgress(files + 1, total, done + self.sizes.get(id(ref), 0), size)
        self.progress(self.state)


def track(
    progress: Callable[[LoadProgress], None] | None, refs: Sequence[SourceRef]
) -> Callable[[SourceRef], None] | None:
    """The ``on_read`` that tells ``progress`` about ``refs``; ``None`` when there is nothing to tell.

    ``progress`` is told at once that nothing is read yet, then after each input.
    """
    if progress is None or not refs:
        return None
    return _Tracker(progress, refs).read


def inputs_read(refs: list[SourceRef], on_read: Callable[[SourceRef], None] | None) -> Iterator[SourceRef]:
    """The inputs of a batch; once each is done, ``on_read(ref)``, or, in a worker, a report of its position."""
    for position, ref in enumerate(refs):
        yield ref
        if on_read is not None:
            on_read(ref)
        else:
            _pool.report(position)


def input_size(ref: SourceRef) -> int:
    """An input's size as listed: a file's on disk (0 when gone since), an in-memory input's length."""
    if ref.path is None:
        return len(ref.data or b"")
    try:
        return ref.path.stat().st_size
    except OSError:  # gone since it was listed: reading it says so
        return 0


def plan_batches(refs: list[SourceRef], parts: int, *, batch_bytes: int = BATCH_BYTES) -> list[list[SourceRef]]:
    """Split inputs into batches of at most ``batch_bytes``.

    A scope's exports go together (their repeats are found in the batch); with several workers
    (``parts``), at least ``2 * parts`` batches keep them all busy.
    """
    ordered = sorted(refs, key=lambda r: (tuple(r.scope.get(k) or "" for k in SCOPE), r.label))
    total = sum(input_size(r) for r in ordered)
    limit = max(1, min(batch_bytes, total // max(1, 2 * parts) + 1)) if parts > 1 else batch_bytes
    batches: list[list[SourceRef]] = [[]]
    size = 0
    for ref in ordered:
        if batches[-1] and size + input_size(ref) > limit:
            batches.append([])
            size = 0
        batches[-1].append(ref)
        size += input_size(ref)
    return [b for b in batches if b]


def _describe(refs: list[SourceRef]) -> str:
    names = ", ".join(ref.label for ref in refs[:3])
    return names + (f" and {len(refs) - 3} more file(s)" if len(refs) > 3 else "")


def read_batches(
    refs: list[SourceRef],
    workers: int | None,
    progress: Callable[[LoadProgress], None] | None = None,
    *,
    batch_bytes: int = BATCH_BYTES,
) -> Iterator[Batch]:
    """The batches of the inputs not skipped, read here or, for a large archive, by worker processes.

    ``workers`` processes (default: every core for more than :data:`PARALLEL_MIN_BYTES`), each
    batch at most ``batch_bytes``; ``progress`` is told as each input is read.
    """
    readable = [r for r in refs if not r.skipped]
    total = sum(input_size(r) for r in readable)
    n = workers if workers is not None else (os.cpu_count() or 1)
    on_read = track(progress, readable)
    if n > 1 and len(readable) > 1 and (workers is not None or total >= PARALLEL_MIN_BYTES):
        # fresh interpreters that import only this package (see copilot_metrics._pool): scripts
        # without a __main__ guard, notebooks and daemonic pool workers can all load in parallel
        batches = plan_batches(readable, n, batch_bytes=batch_bytes)

        def reported(task: int, position: int) -> None:  # a worker read batches[task][position]
            if on_read is not None:
                on_read(batches[task][position])

        yield from _pool.imap(
            process_batch, batches, n, describe=_describe, on_progress=reported if on_read is not None else None
        )
    else:
        for refs_of_batch in plan_batches(readable, 1, batch_bytes=batch_bytes):
            yield process_batch(refs_of_batch, on_read)
