"""Flattening: one input's bytes in, its typed tables out.

:func:`explode_bytes` is the per-file step of :func:`copilot_metrics.load`, and public: it does
no I/O, keeps no global state, and returns frames with the declared schemas of
:mod:`copilot_metrics.tables`, so that files can be processed in parallel here, or on the
executors of a distributed engine.

How: the file is parsed once (orjson), each day is checked by the compiled validator, the valid
days are converted to one Arrow struct array in a single C++ call, and Polars explodes and
unnests it into the tables: no Python loop over the leaf rows.  A short Python walk over the
objects above the leaves records what the typed columns cannot hold (``shape``: a block that is
``null`` versus missing, an array missing versus empty, a training date missing versus null) and
the unknown keys (``extras``); the leaves are walked only in a day that has unknown keys there.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import heapq
import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl
import pyarrow as pa

from copilot_metrics import _schema
from copilot_metrics.decode import decode
from copilot_metrics.errors import FormatError
from copilot_metrics.tables import (
    BLOCKS,
    BOOKKEEPING,
    ERROR_SCHEMA,
    QUARANTINE_SCHEMA,
    SCOPE,
    TABLES,
    UNKNOWN_SCHEMA,
    Shape,
    TableSpec,
)
from copilot_metrics.validation import Rows, check_days, series

__all__ = [
    "Exploded",
    "Prepared",
    "explode_bytes",
    "explode_days",
    "prepare_bytes",
]



# ASCII digits only (``\d`` matches any Unicode digit); year 0000 is not a calendar date either.
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TRAINING = "custom_model_training_date"


def _is_date(value: Any) -> bool:
    """A string holding a calendar date, by the schema's own ``date`` format check."""
    return isinstance(value, str) and _schema.is_date(value)


@dataclass
class Exploded:
    """What one input produced: its tables, its set-aside days and its report rows.

    ``positions``, ``exact`` and ``cut_short`` are :class:`Prepared`'s.
    """

    tables: dict[str, pl.DataFrame]
    source: dict[str, Any]
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    exact: bool = False
    cut_short: FormatError | None = None


def _dumps(obj: Any) -> str:
    return _schema.json_bytes(obj).decode()


class _Annotations:
    """Per-table lists, one entry per row in explode order, of ``extras`` and ``shape``."""

    def __init__(self, deep_tables: frozenset[str]) -> None:
        self.extras: dict[str, list[str | None]] = {name: [] for name in TABLES}
        self.shape: dict[str, list[list[str] | None]] = {name: [] for name in TABLES}
        self.deep = deep_tables

    def add(self, table: str, extras: dict[str, Any] | None, shape: list[str] | None) -> None:
        self.extras[table].append(_dumps(extras) if extras else None)
        self.shape[table].append(shape or None)


@functools.cache
def _note(key: str, state: Shape) -> str:
    """A ``shape`` note such as ``copilot_ide_chat:null``: one object for every row that holds it."""
    return f"{key}:{state}"


_LEAF_TABLES = frozenset({"completions", "completions_languages"})


def _object_notes(
    obj: dict[str, Any], spec: TableSpec, extra: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, list[str] | None]:
    shape: list[str] = []
    extras = dict(extra) if extra else {}
    for child in spec.children:
        key = TABLES[child].array
        if key is not None and key not in obj:
            shape.append(_note(key, "absent"))
    if _TRAINING in spec.measures:
        if _TRAINING not in obj:
            shape.append(_note(_TRAINING, "absent"))
        else:
            value = obj[_TRAINING]
            if value is not None and not _is_date(value):
                extras[_TRAINING] = value
    return extras or None, shape or None


def _annotate(days: list[dict[str, Any]], unknown: list[list[tuple[_schema.JsonPath, dict[str, Any]]]]) -> _Annotations:
    """Walk the objects above the leaves (and the leaves of days with unknown keys there)."""
    deep = frozenset(
        name
        for per_day in unknown
        for path, _ in per_day
        for name in _LEAF_TABLES
        if _table_of(path) == name
    )
    notes = _Annotations(deep)
    for day, found in zip(days, unknown, strict=True):
        where = dict(found)
        day_extra = dict(where.get((), {}))
        day_shape: list[str] = []
        for block in BLOCKS:
            if block not in day:
                day_shape.append(_note(block, "absent"))
                continue
            value = day[block]
            if value is None:
                day_shape.append(_note(block, "null"))
                continue
            block_extra = where.get((block,))
            if block_extra:
                day_extra[block] = block_extra
            for child in TABLES["days"].children:
                spec = TABLES[child]
                assert spec.array is not None
                blk, key = spec.array.split(".", 1)
                if blk != block:
                    continue
                if key not in value:
                    day_shape.append(_note(spec.array, "absent"))
                    continue
                _walk_array(value[key], spec, (block, key), where, notes)
        notes.add("days", day_extra or None, day_shape or None)
    return notes


def _table_of(path: _schema.JsonPath) -> str | None:
    names = tuple(p for p in path if isinstance(p, str))
    if names[:2] == ("copilot_ide_code_completions", "languages"):
        return "completions_languages"
    if len(names) == 4 and names[0] == "copilot_ide_code_completions":
        return "completions"
    return None


def _walk_array(
    items: list[dict[str, Any]],
    spec: TableSpec,
    path: _schema.JsonPath,
    where: dict[_schema.JsonPath, dict[str, Any]],
    notes: _Annotations,
) -> None:
    if spec.name in _LEAF_TABLES and spec.name not in notes.deep:
        return
    for index, obj in enumerate(items):
        here = (*path, index)
        extras, shape = _object_notes(obj, spec, where.get(here))
        notes.add(spec.name, extras, shape)
        for child in spec.children:
            key = TABLES[child].array
            assert key is not None
            if key in obj:
                _walk_array(obj[key], TABLES[child], (*here, key), where, notes)


def _to_arrow(days: list[Any]) -> tuple[pa.StructArray, list[int]]:
    """Convert days in one call; on failure, day by day, returning the indexes that failed."""
    kind = _schema.day_arrow_type()
    try:
        return pa.array(days, type=kind), []
    except (OverflowError, pa.ArrowException, TypeError, ValueError):
        good, bad = [], []
        for i, day in enumerate(days):
            try:
                pa.array([day], type=kind)
            except (OverflowError, pa.ArrowException, TypeError, ValueError):
                bad.append(i)
            else:
                good.append(day)
        return pa.array(good, type=kind), bad


def _explode_list(frame: pl.DataFrame, keep: list[str], column: str) -> pl.DataFrame:
    """Rows of ``frame`` times the elements of its list column, elements unnested."""
    return (
        frame.select(*keep, column)
        .filter(pl.col(column).list.len() > 0)
        .explode(column)
        .unnest(column)
    )


def _per_day(values: str | Sequence[str | None] | None, name: str, dtype: pl.DataType) -> pl.Expr:
    """A constant column, or one value per day gathered by the day index ``_d``."""
    if values is None or isinstance(values, str):
        return pl.lit(values, dtype=dtype).alias(name)
    return pl.lit(pl.Series(name, list(values), dtype=dtype)).gather(pl.col("_d")).alias(name)


def _finish(
    frame: pl.DataFrame,
    spec: TableSpec,
    scope: dict[str, str | None] | Sequence[dict[str, str | None]],
    source: str | Sequence[str],
    notes: _Annotations | None,
) -> pl.DataFrame:
    schema = spec.schema
    if frame.height == 0:  # before building the per-day label columns: a batch may hold 100,000 files
        return pl.DataFrame(schema=schema)
    columns: list[pl.Expr] = []
    for name in schema.names():
        dtype = schema[name]
        if name in SCOPE:
            value = scope.get(name) if isinstance(scope, dict) else [s.get(name) for s in scope]
            columns.append(_per_day(value, name, dtype))
        elif name == "source":
            columns.append(_per_day(source, name, dtype))
        elif name in ("extras", "shape"):
            values = None if notes is None else getattr(notes, name)[spec.name]
            if values:
                columns.append(pl.lit(series(name, values, dtype)).alias(name))
            else:
                columns.append(pl.lit(None, dtype=dtype).alias(name))
        elif name == _TRAINING:
            raw = pl.col(name)
            parsed = raw.str.to_date("%Y-%m-%d", strict=False)
            # the same dates as _is_date: Polars parses year 0, which Python cannot hold
            columns.append(
                pl.when(raw.str.contains(_DATE_PATTERN) & (parsed.dt.year() >= 1))
                .then(parsed)
                .otherwise(None)
                .alias(name)
            )
        else:
            columns.append(pl.col(name).cast(dtype).alias(name))
    return frame.select(columns)


def _empty_tables() -> dict[str, pl.DataFrame]:
    return {name: pl.DataFrame(schema=spec.schema) for name, spec in TABLES.items()}


def explode_days(
    days: list[dict[str, Any]],
    *,
    source: str | Sequence[str],
    scope: dict[str, str | None] | Sequence[dict[str, str | None]],
    unknown: list[list[tuple[_schema.JsonPath, dict[str, Any]]]] | None = None,
) -> dict[str, pl.DataFrame]:
    """Flatten schema-valid days into the tables of :mod:`copilot_metrics.tables`.

    ``source`` and ``scope`` label every row, either once for all the days or one per day (a
    batch of days from several files is flattened in one pass).  ``unknown`` gives, per day,
    the objects holding unknown keys (from :func:`copilot_metrics._schema.unknown_keys`);
    computed here when omitted.
    """
    if not days:
        return _empty_tables()
    if unknown is None:
        unknown = [_schema.unknown_keys(day) for day in days]
    notes = _annotate(days, unknown)
    array, bad = _to_arrow(days)
    assert not bad, "explode_days takes days that convert; explode_bytes sets the others aside"
    base = pl.from_arrow(pa.RecordBatch.from_struct_array(array))
    assert isinstance(base, pl.DataFrame)
    base = base.with_columns(pl.col("date").str.to_date("%Y-%m-%d"), pl.int_range(pl.len()).alias("_d"))
    frames: dict[str, pl.DataFrame] = {}
    day_cols = {
        "_d": pl.col("_d"),
        "date": pl.col("date"),
        "total_active_users": pl.col("total_active_users"),
        "total_engaged_users": pl.col("total_engaged_users"),
        **{col: pl.col(block).struct.field("total_engaged_users").alias(col) for block, col in BLOCKS.items()},
    }
    frames["days"] = base.select(list(day_cols.values()))
    parents: dict[str, pl.DataFrame] = {"days": base}
    for spec in TABLES.values():
        if spec.parent is None:
            continue
        assert spec.array is not None
        assert spec.dimension is not None
        parent_spec = TABLES[spec.parent]
        parent = parents[spec.parent]
        keep = ["_d", "date", *parent_spec.dimensions]
        if spec.parent == "days":
            block, key = spec.array.split(".", 1)
            parent = parent.select(*keep, pl.col(block).struct.field(key).alias(key))
            column = key
        else:
            column = spec.array
        exploded = _explode_list(parent, keep, column).rename({"name": spec.dimension})
        parents[spec.name] = exploded
        frames[spec.name] = exploded
    return {name: _finish(frames[name], TABLES[name], scope, source, notes) for name in TABLES}


def _quarantine_row(
    source: str, scope: dict[str, str | None], index: int, day: Any, stage: str, reasons: list[str]
) -> tuple[Any, ...]:
    """A quarantine row, its values in the order of :data:`~copilot_metrics.tables.QUARANTINE_SCHEMA`."""
    date = day.get("date") if isinstance(day, dict) else None
    return (source, *(scope.get(k) for k in SCOPE), index, date if isinstance(date, str) else None, stage, reasons,
            _dumps(day))


@dataclass
class Prepared:
    """One input parsed and validated, ready to flatten (see :func:`prepare_bytes`).

    ``positions`` maps each date the input holds valid to the index, in the input, of its copy
    that reaches the tables (the last valid one); ``exact`` says whether the input had to be
    read again with every number exact (see :func:`copilot_metrics.decode.decode`);
    ``cut_short`` is the error naming a last line or document cut short, whose complete days
    were read (it is also in ``errors`` and ``quarantine``).  The report rows (``quarantine``,
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


def _raw_digest(day: Any) -> bytes:
    """The day as compact JSON: an exact key (a dict compares the bytes on a hash match).

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
) -> list[dict[str, Any]]:
    """Error rows (rule ``representable``) for the counts of one day no Int64 column holds exactly."""
    rows = []
    for path, value in bad:
        text = _schema.json_bytes(value).decode()
        if not _schema.fits_int64(value):
            message = f"{text} does not fit a 64-bit integer column"
        else:  # written with a fraction or an exponent, it is not the 64-bit float it reads as
            message = (f"{text} is not exactly an integer a 64-bit column holds: written with a fraction or "
                       f"an exponent, it reads as the 64-bit float {int(value)}")
        rows.append({"source": source, "day_index": index, "date": date,
                     "json_path": _schema.format_path(prefix, path), "rule": "representable", "value": text,
                     "message": message})
    return rows


#: How deep a kept day may nest (orjson's writer limit): a deeper value (only an unknown key can
#: hold one) could not be written back by write_json nor compared, so the day is set aside.
MAX_DEPTH = 254


def prepare_bytes(
    data: bytes,
    *,
    source: str,
    scope: dict[str, str | None] | None = None,
    mtime: float | None = None,
    seen: dict[tuple[Any, ...], str] | None = None,
) -> Prepared:
    """Parse and validate one input; return its valid days, unflattened, and its report rows.

    ``seen`` (optional, updated in place) maps ``(scope, date, the day as compact JSON)`` to
    the input that first held that exact day, valid: a day found there again is not validated
    or flattened a second time, only recorded in ``identical`` as ``(date, first input)``.
    This is how repeats are dropped as files are read.
    """
    scope = {k: (scope or {}).get(k) for k in SCOPE}
    decoded = decode(data, source)
    base = decoded.json_base
    scope_key = tuple(scope[k] for k in SCOPE)
    identical: list[tuple[str, str]] = []
    identical_at: list[int] = []
    candidates = list(range(len(decoded.days)))
    # per candidate, its compact JSON (the repeat key is (scope, date, it)); None without a date
    digests: list[bytes | None] = []
    if seen is not None:
        candidates = []
        for i, day in enumerate(decoded.days):
            date = day.get("date") if isinstance(day, dict) else None
            digest = None
            if isinstance(date, str):
                digest = _raw_digest(day)
                first = seen.get((scope_key, date, digest))
                if first is not None:
                    identical.append((date, first))
                    identical_at.append(i)
                    continue
            candidates.append(i)
            digests.append(digest)
    todo = [decoded.days[i] for i in candidates]
    check = check_days(todo, source, base, numbers=candidates)  # rows numbered by the file's own positions
    out = Prepared(source={}, days=[], unknown_keys=[], errors=check.error_rows, unknown=check.unknown_rows,
                   identical=identical)
    invalid = [j for j, ok in enumerate(check.valid) if not ok]  # each has error rows, in day order
    for j in invalid if digests else ():  # only valid days go into ``seen``
        digests[j] = None
    valid_pos = [j for j, ok in enumerate(check.valid) if ok]
    valid_days = [todo[j] for j in valid_pos]
    # only a day the strict validator did not pass can hold a number past 2**53 (or beyond
    # Int64), or a key the schema does not know holding an integer orjson read as a float
    # ... and only such a day (its unknown keys) can nest deeper than a JSON writer goes
    unsure = [j for j, pos in enumerate(valid_pos) if not check.strict[pos]]
    deep: set[int] = set()
    looked: dict[int, tuple[list[tuple[_schema.JsonPath, Any]], bool]] = {}
    for j in unsure:  # each text dropped at once (orjson's buffers are 4 KiB or more)
        text = _written(valid_days[j])
        if text is None:
            deep.add(j)
        elif _long_number(text):
            looked[j] = _schema.number_problems(valid_days[j])
    reread = [j for j, (bad, again) in looked.items() if bad or again]
    # an invalid day is kept verbatim too: its numbers as written
    reread_invalid = [candidates[j] for j in invalid
                      if _schema.has_float(decoded.days[candidates[j]], float(_schema.EXACT_LIMIT))]
    if reread or reread_invalid:  # rare: read the file again, every number exact
        exact = decode(data, source, exact=True).days
        out.exact = True
        for j in reread:
            i = candidates[valid_pos[j]]
            todo[valid_pos[j]] = valid_days[j] = decoded.days[i] = exact[i]
            looked[j] = _schema.number_problems(exact[i])
            if digests and digests[valid_pos[j]] is not None:  # the day's exact JSON is its identity
                digests[valid_pos[j]] = _raw_digest(exact[i])
        for i in reread_invalid:
            decoded.days[i] = exact[i]
        del exact
    too_deep = f"nested deeper than {MAX_DEPTH} levels, which no table or JSON writer holds"
    bad_rows: dict[int, list[dict[str, Any]]] = {}
    for j in sorted(deep):
        i = candidates[valid_pos[j]]
        bad_rows[j] = [{"source": source, "day_index": i, "date": decoded.days[i].get("date"),
                        "json_path": f"{base}[{i}]", "rule": "depth", "value": None, "message": too_deep}]
    for j, (bad, _) in sorted(looked.items()):
        if bad:
            i = candidates[valid_pos[j]]
            bad_rows[j] = _number_errors(source, i, decoded.days[i].get("date"), f"{base}[{i}]", bad)
    rest = [j for j in unsure if j not in bad_rows]
    _, rest_bad = _to_arrow([valid_days[j] for j in rest]) if rest else (None, [])
    for b in rest_bad:  # what number_problems did not name (never seen): the day as a whole
        i = candidates[valid_pos[rest[b]]]
        bad_rows[rest[b]] = [{"source": source, "day_index": i, "date": decoded.days[i].get("date"),
                              "json_path": f"{base}[{i}]", "rule": "representable", "value": None,
                              "message": "a value does not fit a 64-bit integer column"}]
    if bad_rows:
        invalid += [valid_pos[j] for j in bad_rows]
        valid_pos = [v for j, v in enumerate(valid_pos) if j not in bad_rows]
        valid_days = [todo[j] for j in valid_pos]
    in_file = [d.get("date") for d in decoded.days if isinstance(d, dict)]
    out.unsorted = any(
        isinstance(a, str) and isinstance(b, str) and b < a for a, b in itertools.pairwise(in_file)
    )
    del in_file
    # each set-aside day with its reasons, in day order: the days failing the schema (their error
    # rows, in day order) and those the tables cannot hold (bad_rows, rare)
    failing = (
        (index, [f"{path}: {message}" for _, path, message in rows])
        for index, rows in itertools.groupby(check.error_rows.tuples("day_index", "json_path", "message"),
                                             key=operator.itemgetter(0))
    )
    held = [(rows[0]["day_index"], [f"{row['json_path']}: {row['message']}" for row in rows])
            for _, rows in sorted(bad_rows.items())]
    for i, reasons in heapq.merge(failing, held, key=operator.itemgetter(0)):
        out.quarantine.append(*_quarantine_row(source, scope, i, decoded.days[i], "schema", reasons))
        decoded.days[i] = None  # kept as text: the parsed day is no longer needed
    for j in invalid:
        todo[j] = None
    for _, rows in sorted(bad_rows.items()):  # after the schema's errors, as they were found
        for row in rows:
            out.errors.add(row)
    if decoded.cut is not None:  # the last line or document, cut short: the file is being written
        cut = decoded.cut
        index = len(decoded.days)
        out.cut_short = cut
        out.errors.append(source, index, None, cut.json_path, f"format:{cut.detected}", None, cut.message)
        out.quarantine.append(source, *(scope.get(k) for k in SCOPE), index, None, "format", [cut.message],
                              decoded.cut_text)
    out.days = valid_days
    out.unknown_keys = [_schema.unknown_keys(todo[j]) if check.has_unknown[j] else [] for j in valid_pos]
    if seen is not None:
        for j in valid_pos:
            digest = digests[j]
            if digest is not None:
                seen.setdefault((scope_key, decoded.days[candidates[j]]["date"], digest), source)
    # the copy of each date that reaches the tables: the file's last valid one
    out.positions = {decoded.days[candidates[j]]["date"]: candidates[j] for j in valid_pos}
    for i in identical_at:
        out.positions[decoded.days[i]["date"]] = max(i, out.positions.get(decoded.days[i]["date"], -1))
    valid_dates = [day["date"] for day in valid_days] + [date for date, _ in identical]
    out.repeated_dates = len(set(valid_dates)) < len(valid_dates)
    out.source = {
        "source": source,
        **scope,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "layout": decoded.layout,
        "status": "loaded" if len(out.quarantine) == 0 else "loaded with quarantined days",
        "days": len(decoded.days) + (decoded.cut is not None),
        "days_valid": len(valid_dates),
        "first_date": dt.date.fromisoformat(min(valid_dates)) if valid_dates else None,
        "last_date": dt.date.fromisoformat(max(valid_dates)) if valid_dates else None,
        "mtime": mtime,
        "wrapper": _dumps(decoded.wrapper) if decoded.wrapper else None,
        "message": None,
    }
    return out


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
    scope = {k: (scope or {}).get(k) for k in SCOPE}
    prepared = prepare_bytes(data, source=source, scope=scope, mtime=mtime)
    tables = explode_days(prepared.days, source=source, scope=scope, unknown=prepared.unknown_keys)
    return Exploded(tables=tables, source=prepared.source, quarantine=prepared.quarantine.dicts(),
                    errors=prepared.errors.dicts(), unknown=prepared.unknown.dicts(), positions=prepared.positions,
                    exact=prepared.exact, cut_short=prepared.cut_short)


_ = BOOKKEEPING  # the bookkeeping columns are declared in tables.py and filled in _finish
