"""Flattening: schema-valid days in, the typed tables of :mod:`copilot_metrics.tables` out.

:func:`explode_days` does no I/O and keeps no global state: it flattens the days of one input,
or of a batch of inputs in one pass (the batch step, :mod:`copilot_metrics.batch`, reads and
validates them first; :func:`copilot_metrics.explode_bytes` does both for one input).

How: the valid days are converted to one Arrow struct array in a single C++ call, and Polars
explodes and unnests it into the tables: no Python loop over the leaf rows.  A short Python
walk over the objects above the leaves records what the typed columns cannot hold (``shape``: a
block that is ``null`` versus missing, an array missing versus empty, a training date missing
versus null) and the unknown keys (``extras``); the leaves are walked only in a day that has
unknown keys there.  The bookkeeping columns (declared in :mod:`copilot_metrics.tables`) are
filled in ``_finish``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from copilot_metrics import _schema
from copilot_metrics.tables import BLOCKS, SCOPE, TABLES, TRAINING_DATE, Shape, TableSpec, calendar_date
from copilot_metrics.validation import series

__all__ = ["explode_days", "unconvertible"]


def _is_date(value: Any) -> bool:
    """A string holding a calendar date, by the schema's own ``date`` format check."""
    return isinstance(value, str) and _schema.is_date(value)


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


#: The tables whose objects have nothing to note but unknown keys (no child array, no training date):
#: walked only in a day with unknown keys there (``completions``, ``completions_languages``).
_LEAF_TABLES = frozenset(
    name
    for name, spec in TABLES.items()
    if spec.parent is not None and not spec.children and not spec.has_training_date
)
#: The leaf table of the objects at each key path (the path's names without the indexes).
_LEAF_AT = {TABLES[name].json_keys: name for name in _LEAF_TABLES}


def _object_notes(
    obj: dict[str, Any], spec: TableSpec, extra: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, list[str] | None]:
    shape: list[str] = []
    extras = dict(extra) if extra else {}
    for child in spec.children:
        key = TABLES[child].array
        if key is not None and key not in obj:
            shape.append(_note(key, "absent"))
    if spec.has_training_date:
        if TRAINING_DATE not in obj:
            shape.append(_note(TRAINING_DATE, "absent"))
        else:
            value = obj[TRAINING_DATE]
            if value is not None and not _is_date(value):
                extras[TRAINING_DATE] = value
    return extras or None, shape or None


def _annotate(days: list[dict[str, Any]], unknown: list[list[tuple[_schema.JsonPath, dict[str, Any]]]]) -> _Annotations:
    """Walk the objects above the leaves (and the leaves of days with unknown keys there)."""
    deep = frozenset(name for per_day in unknown for path, _ in per_day if (name := _table_of(path)) is not None)
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
    """The leaf table (:data:`_LEAF_TABLES`) whose object is at ``path``, or ``None`` (any other object)."""
    return _LEAF_AT.get(tuple(p for p in path if isinstance(p, str)))


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


def unconvertible(days: list[Any]) -> list[int]:
    """The indexes of the days no table column holds (a value beyond its Arrow type).

    :func:`explode_days` takes only days that convert: the batch step sets these aside.
    """
    return _to_arrow(days)[1]


def _explode_list(frame: pl.DataFrame, keep: list[str], column: str) -> pl.DataFrame:
    """Rows of ``frame`` times the elements of its list column, elements unnested."""
    return frame.select(*keep, column).filter(pl.col(column).list.len() > 0).explode(column).unnest(column)


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
        elif name == TRAINING_DATE:
            columns.append(calendar_date(pl.col(name)).alias(name))  # the same dates as _is_date
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
    assert not bad, "explode_days takes days that convert; the batch step sets the others aside"
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
