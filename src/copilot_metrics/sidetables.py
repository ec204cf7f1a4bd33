"""The side tables of a dataset, declared once: their schemas, and one constructor per kind of row.

Beside the ten tables of :mod:`copilot_metrics.tables`, a dataset holds bookkeeping tables
(``sources``, ``findings``, ``conflicts``, ``quarantine``, ``versions``), a validation report
(``errors``, ``unknown_fields``) and, inside a load, the days a file held verbatim as an earlier
one (``identical``).  Each is declared here, and every place that builds one of their rows calls
the constructor below it (:func:`source_row`, :func:`error_row`, :func:`unknown_row`,
:func:`quarantine_row`, :func:`finding_row`, :func:`conflict_row`, :func:`version_row`,
:func:`identical_row`), so that a renamed column is one edit and a wrong one a type error.
Rows are tuples in the schema's column order (:class:`copilot_metrics.validation.Rows` appends
them; :func:`frame_of` makes a frame of them), except a source row, a dict (readers look its
values up by name).

What became of each input is typed: ``ds.sources.state`` is a :data:`State` and
``ds.sources.reason`` says why for a refused input (its :data:`~copilot_metrics.errors.Detected`
kind, ``io`` when it could not be read); ``status`` is the text of earlier releases
(:func:`status_text`), kept for one release.

``tables`` re-exports every schema here: ``from copilot_metrics.tables import ERROR_SCHEMA`` keeps working.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple, get_args

import polars as pl

from copilot_metrics._keys import DAY_KEY, SCOPE

__all__ = [
    "CONFLICT_SCHEMA",
    "COPY_PATH_SINCE_FORMAT",
    "ERROR_SCHEMA",
    "FAMILY_SINCE_FORMAT",
    "FINDING_SCHEMA",
    "IDENTICAL_SCHEMA",
    "LOADED_STATES",
    "QUARANTINE_SCHEMA",
    "REPORT_VERSION_SCHEMA",
    "SIDE_TABLES",
    "SOURCE_FAMILY_COLUMNS",
    "SOURCE_READ_SCHEMA",
    "SOURCE_SCHEMA",
    "STATES",
    "STATE_SINCE_FORMAT",
    "UNKNOWN_SCHEMA",
    "VERSION_SCHEMA",
    "ErrorRow",
    "SideSpec",
    "State",
    "conflict_columns",
    "conflict_row",
    "copy_label",
    "copy_label_expr",
    "error_row",
    "finding_columns",
    "finding_row",
    "frame_of",
    "identical_row",
    "legacy_family",
    "loaded",
    "older_families",
    "older_quarantine",
    "older_sources",
    "older_versions",
    "quarantine_columns",
    "quarantine_row",
    "source_row",
    "status_expr",
    "status_text",
    "unknown_row",
    "version_columns",
    "version_row",
]

#: What became of an input (``ds.sources.state``): ``loaded`` (every day valid), ``partly_quarantined``
#: (loaded, some of its days set aside in ``ds.quarantine``), ``quarantined`` (every day set aside),
#: ``refused`` (not an export, or unreadable: ``reason`` says what it is), ``skipped`` (never opened: a
#: folder's file of another suffix, a FIFO, a dead link...; ``message`` says why).
State = Literal["loaded", "partly_quarantined", "quarantined", "refused", "skipped"]

#: Every :data:`State`, in the order above.
STATES: Final[tuple[State, ...]] = get_args(State)

#: The states of an input whose days reach the tables.
LOADED_STATES: Final[tuple[State, ...]] = ("loaded", "partly_quarantined")

_S, _I64, _D = pl.String(), pl.Int64(), pl.Date()
_SCOPE_COLUMNS: dict[str, pl.DataType] = dict.fromkeys(SCOPE, _S)

#: Columns of ``ds.sources`` as the reader fills them, one row per input (precedence and merge
#: counts are added by the merge: :data:`SOURCE_SCHEMA`).
SOURCE_READ_SCHEMA = pl.Schema(
    {
        "source": _S,
        **_SCOPE_COLUMNS,
        "sha256": _S,
        "bytes": _I64,
        "layout": _S,
        "status": _S,
        "state": _S,
        "reason": _S,
        "days": _I64,
        "days_valid": _I64,
        "first_date": _D,
        "last_date": _D,
        "mtime": pl.Float64(),
        "wrapper": _S,
        "message": _S,
    }
)

#: Columns of ``ds.sources``: the reader's, then the precedence of each file and what became of its days.
SOURCE_SCHEMA = pl.Schema(
    {
        **SOURCE_READ_SCHEMA,
        "export_time": pl.Datetime("us"),
        "precedence_basis": _S,
        "rank": _I64,
        "days_kept": _I64,
        "days_identical": _I64,
        "days_superseded": _I64,
        "family": _S,
        "report_id": _S,
        "record_kinds": _S,
        "flavor": _S,
    }
)

#: The columns of ``ds.sources`` about the family of each input (after the merge counts): ``family``
#: (``legacy`` for a ``/copilot/metrics`` file whose days were loaded, ``reports`` for a successor
#: report file, null for an input not read), ``report_id`` (the file's reports, comma-separated),
#: ``record_kinds`` and ``flavor`` (``report`` or ``derived`` user rows): null on legacy rows.
SOURCE_FAMILY_COLUMNS: Final[tuple[str, ...]] = ("family", "report_id", "record_kinds", "flavor")

#: Columns of ``ds.quarantine``: one row per day set aside, the day kept verbatim (``day_json``; a
#: successor report's record set aside: ``record_json``, the other null).
QUARANTINE_SCHEMA = pl.Schema(
    {
        "source": _S,
        **_SCOPE_COLUMNS,
        "day_index": _I64,
        "date": _S,
        "stage": _S,
        "reasons": pl.List(_S),
        "day_json": _S,
        "record_json": _S,
    }
)

#: Columns of ``ds.findings``: one row per data-quality finding.
FINDING_SCHEMA = pl.Schema(
    {
        "source": _S,
        **_SCOPE_COLUMNS,
        "date": _D,
        "table": _S,
        "json_path": _S,
        "rule": _S,
        "severity": _S,
        "message": _S,
        "value": _S,
    }
)

#: Columns of ``ds.conflicts``: one row per differing value between two versions of a day.
CONFLICT_SCHEMA = pl.Schema(
    {
        **_SCOPE_COLUMNS,
        "date": _D,
        "table": _S,
        "key": _S,
        "column": _S,
        "kept_value": _S,
        "other_value": _S,
        "kept_source": _S,
        "other_source": _S,
    }
)

#: Columns of ``ds.versions``: one row per copy of a day a file held (its valid days), naming the version of
#: the day it held, so that a later merge counts and compares as loading every file at once would.
#: ``copy_path`` is null for the file's own copy of the date and the JSON path of an earlier copy of a
#: date the file repeats (``$[3]``, ``$.data[3]``); ``label`` is the copy's label in ``ds.conflicts``
#: (``source``, then ``copy_path``: ``file.json$[3]``, :func:`copy_label`), ``occurrence`` 0 for the
#: file's last copy of the date, 1 for the one before...; ``version`` 0 for the kept version (its rows are in the
#: tables; a day the contracts set aside is in ``ds.quarantine``), 1, 2, ... for the other versions, most recent
#: first; ``day_json`` the day of each other version as the API wrote it, on the row of its most recent copy (null
#: elsewhere).
VERSION_SCHEMA = pl.Schema(
    {
        "source": _S,
        **_SCOPE_COLUMNS,
        "date": _D,
        "label": _S,
        "copy_path": _S,
        "occurrence": _I64,
        "version": _I64,
        "day_json": _S,
    }
)

#: Columns of ``ds.report_versions``: what the successor report files held that the dataset's tables do
#: not, so that a later merge (:func:`copilot_metrics.merge.merge_into`) brings their reports together
#: as one load of every file would.  One row per row of a successor table a file held that did not win
#: (``table`` the successor table; the row of another shard of the kept record, or of a losing report),
#: per report row of each file (``table`` ``reports``: the file's own row, before shards are brought
#: together) and per row of each file's ``schema_drift``; ``row_json`` is the row as a JSON object of
#: its table's columns (``pl.struct(...).struct.json_encode()``, read back with its declared dtypes).
REPORT_VERSION_SCHEMA = pl.Schema({"source": _S, "table": _S, "row_json": _S})

#: Columns of ``ds.validation.errors`` (one row per schema error), also the reasons of quarantined days.
ERROR_SCHEMA = pl.Schema(
    {"source": _S, "day_index": _I64, "date": _S, "json_path": _S, "rule": _S, "value": _S, "message": _S}
)

#: Columns of ``ds.validation.unknown_fields``: one row per key the schema does not know.
UNKNOWN_SCHEMA = pl.Schema({"source": _S, "day_index": _I64, "date": _S, "json_path": _S})

#: Days a file held verbatim as an earlier file of its batch: not flattened twice (internal).
IDENTICAL_SCHEMA = pl.Schema({**_SCOPE_COLUMNS, "date": _D, "source": _S, "same_as": _S})


@dataclass(frozen=True)
class SideSpec:
    """A bookkeeping table of a dataset: its columns, grain and key."""

    name: str
    schema: pl.Schema
    doc: str
    key: tuple[str, ...]


#: The bookkeeping side tables of a dataset (one unpartitioned Parquet file each); the successor reports'
#: own side tables (``reports``, ``schema_drift``, ``user_logins``) are declared in
#: :mod:`copilot_metrics.successor.registry` (:data:`copilot_metrics.dataset.SUCCESSOR_SIDE_TABLES`).
SIDE_TABLES: dict[str, SideSpec] = {
    spec.name: spec
    for spec in (
        SideSpec("sources", SOURCE_SCHEMA, "one row per input file", ("source",)),
        SideSpec(
            "findings",
            FINDING_SCHEMA,
            "one row per data-quality finding (rule, scope, date, table, JSON path)",
            ("source", *DAY_KEY, "table", "rule", "json_path"),
        ),
        SideSpec(
            "conflicts",
            CONFLICT_SCHEMA,
            "one row per value differing between the kept and another export of a day",
            (*DAY_KEY, "table", "key", "column", "other_source"),
        ),
        SideSpec(
            "quarantine",
            QUARANTINE_SCHEMA,
            "one row per day set aside, kept verbatim with its reasons",
            ("source", *SCOPE, "day_index", "date"),
        ),
        SideSpec(
            "versions",
            VERSION_SCHEMA,
            "one row per copy of a day a file held: which version of the day it was (what a merge needs)",
            ("label", *DAY_KEY),
        ),
        SideSpec(
            "report_versions",
            REPORT_VERSION_SCHEMA,
            "one row per row a successor report file held that the tables do not (what a merge needs)",
            ("source", "table"),
        ),
    )
}


# ---------------------------------------------------------------- one constructor per side table


def frame_of(rows: Sequence[tuple[Any, ...]] | Sequence[Mapping[str, Any]], schema: pl.Schema) -> pl.DataFrame:
    """Rows built by the constructors below as a frame of ``schema`` (empty: the schema's empty frame).

    >>> frame_of([unknown_row("a.json", 0, "2025-01-01", "$[0].x")], UNKNOWN_SCHEMA).rows()
    [('a.json', 0, '2025-01-01', '$[0].x')]
    """
    if not rows:
        return schema.to_frame()
    if isinstance(rows[0], Mapping):
        return pl.DataFrame(rows, schema=schema)
    return pl.DataFrame(rows, schema=schema, orient="row")


def status_text(state: State, reason: str | None = None) -> str:
    """``ds.sources.status`` as earlier releases wrote it, from the typed ``state`` and ``reason``.

    >>> status_text("partly_quarantined"), status_text("refused", "html"), status_text("quarantined")
    ('loaded with quarantined days', 'not loaded: html', 'not loaded: every day quarantined')
    """
    if state == "refused":
        return f"not loaded: {reason}"
    return _STATUS_TEXT[state]


_STATUS_TEXT: dict[State, str] = {
    "loaded": "loaded",
    "partly_quarantined": "loaded with quarantined days",
    "quarantined": "not loaded: every day quarantined",
    "skipped": "skipped",
}


def status_expr(state: pl.Expr, reason: pl.Expr) -> pl.Expr:
    """:func:`status_text` as an expression over columns ``state`` and ``reason``."""
    texts = pl.DataFrame({"_state": list(_STATUS_TEXT), "_text": list(_STATUS_TEXT.values())})
    known = state.replace_strict(texts["_state"], texts["_text"], default=None, return_dtype=pl.String)
    return pl.when(state == "refused").then(pl.format("not loaded: {}", reason)).otherwise(known)


#: The layout format (:func:`copilot_metrics.write_parquet`) whose ``sources`` first stored ``state`` and ``reason``.
STATE_SINCE_FORMAT = 5


def older_sources(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``ds.sources`` as a layout before :data:`STATE_SINCE_FORMAT` stored it, with ``state`` and ``reason``.

    Read from the ``status`` text those layouts hold: the one place that parses it.

    >>> old = pl.LazyFrame({"status": ["loaded", "not loaded: html", "not loaded: every day quarantined"]})
    >>> older_sources(old).collect().rows()
    [('loaded', 'loaded', None), ('not loaded: html', 'refused', 'html'), \
('not loaded: every day quarantined', 'quarantined', None)]
    """
    status = pl.col("status")
    texts = {text: state for state, text in _STATUS_TEXT.items()}
    state = status.replace_strict(list(texts), list(texts.values()), default=None, return_dtype=pl.String)
    refused = status.str.starts_with("not loaded: ") & state.is_null()
    return frame.with_columns(
        pl.when(refused).then(pl.lit("refused")).otherwise(state).alias("state"),
        pl.when(refused).then(status.str.strip_prefix("not loaded: ")).alias("reason"),
    )


#: The layout format whose ``sources`` and ``quarantine`` first stored the family columns and ``record_json``.
FAMILY_SINCE_FORMAT = 6


def older_quarantine(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``ds.quarantine`` as a layout before :data:`FAMILY_SINCE_FORMAT` stored it: ``record_json`` null."""
    return frame.with_columns(pl.lit(None, pl.String).alias("record_json"))


def older_families(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``ds.sources`` as a layout before :data:`FAMILY_SINCE_FORMAT` stored it, with the family columns.

    Those layouts held the legacy family only: an input that was read is ``legacy``
    (:func:`legacy_family`), the others null; ``report_id``, ``record_kinds`` and ``flavor`` null.

    >>> old = pl.LazyFrame({"state": ["quarantined", "refused"]})
    >>> older_families(old).collect().rows()
    [('quarantined', 'legacy', None, None, None), ('refused', None, None, None, None)]
    """
    return frame.with_columns(legacy_family(), *(pl.lit(None, pl.String).alias(c) for c in SOURCE_FAMILY_COLUMNS[1:]))


#: The layout format whose ``versions`` first stored ``copy_path`` (earlier ones: the ``label`` only).
COPY_PATH_SINCE_FORMAT = 7


def older_versions(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``ds.versions`` as a layout before :data:`COPY_PATH_SINCE_FORMAT` stored it, with ``copy_path``.

    Read from the ``label`` those layouts hold (the file, then the copy's JSON path): the one
    place that parses it.  An earlier copy's label is its ``source`` followed by a path
    ``$[N]`` or ``$.key[N]``; any other label is the file's own copy.

    >>> old = pl.LazyFrame({"source": ["a.json", "a.json", "b.json"],
    ...                     "label": ["a.json", "a.json$.data[3]", "b.json$[0]"]})
    >>> older_versions(old).collect().rows()
    [('a.json', 'a.json', None), ('a.json', 'a.json$.data[3]', '$.data[3]'), ('b.json', 'b.json$[0]', '$[0]')]
    """
    rest = pl.col("label").str.strip_prefix(pl.col("source"))
    is_copy = pl.col("label").str.starts_with(pl.col("source")) & rest.str.contains(r"^\$(?:\.[^\[\]$]+)?\[\d+\]$")
    return frame.with_columns(pl.when(is_copy).then(rest).alias("copy_path"))


def legacy_family() -> pl.Expr:
    """``ds.sources.family`` of a legacy row: ``legacy`` for an input read (its days loaded or set aside), else null."""
    read = pl.col("state").is_in(("loaded", "partly_quarantined", "quarantined"))
    return pl.when(read).then(pl.lit("legacy")).alias("family")


def loaded() -> pl.Expr:
    """True on the rows of ``ds.sources`` whose input's days reach the tables (:data:`LOADED_STATES`)."""
    return pl.col("state").is_in(LOADED_STATES)


def source_row(
    source: str,
    scope: Mapping[str, str | None],
    state: State,
    *,
    reason: str | None = None,
    message: str | None = None,
    layout: str | None = None,
    sha256: str | None = None,
    size: int | None = None,
    days: int = 0,
    days_valid: int = 0,
    first_date: dt.date | None = None,
    last_date: dt.date | None = None,
    mtime: float | None = None,
    wrapper: str | None = None,
) -> dict[str, Any]:
    """A row of ``ds.sources`` as the reader fills it (:data:`SOURCE_READ_SCHEMA`; ``size`` is ``bytes``).

    >>> row = source_row("a.json", {"org": "o"}, "refused", reason="html", message="an HTML page")
    >>> row["status"], row["state"], row["reason"], row["org"], row["days"]
    ('not loaded: html', 'refused', 'html', 'o', 0)
    """
    return {
        "source": source,
        **{k: scope.get(k) for k in SCOPE},
        "sha256": sha256,
        "bytes": size,
        "layout": layout,
        "status": status_text(state, reason),
        "state": state,
        "reason": reason,
        "days": days,
        "days_valid": days_valid,
        "first_date": first_date,
        "last_date": last_date,
        "mtime": mtime,
        "wrapper": wrapper,
        "message": message,
    }


class ErrorRow(NamedTuple):
    """A row of ``ds.validation.errors``: its values in :data:`ERROR_SCHEMA`'s order, read by name too."""

    source: str | None
    day_index: int | None
    date: str | None
    json_path: str | None
    rule: str
    value: str | None
    message: str


def error_row(
    source: str | None,
    day_index: int | None,
    date: str | None,
    json_path: str | None,
    rule: str,
    value: str | None,
    message: str,
) -> ErrorRow:
    """A row of ``ds.validation.errors`` (:data:`ERROR_SCHEMA`).

    >>> error_row("a.json", 3, "2025-01-01", "$[3]", "depth", None, "too deep").json_path
    '$[3]'
    """
    return ErrorRow(source, day_index, date, json_path, rule, value, message)


def unknown_row(source: str | None, day_index: int | None, date: str | None, json_path: str) -> tuple[Any, ...]:
    """A row of ``ds.validation.unknown_fields`` (:data:`UNKNOWN_SCHEMA`)."""
    return (source, day_index, date, json_path)


def quarantine_row(
    source: str | None,
    scope: Mapping[str, str | None],
    day_index: int | None,
    date: str | None,
    stage: str,
    reasons: list[str],
    day_json: str | None,
    record_json: str | None = None,
) -> tuple[Any, ...]:
    """A row of ``ds.quarantine`` (:data:`QUARANTINE_SCHEMA`)."""
    return (source, *(scope.get(k) for k in SCOPE), day_index, date, stage, reasons, day_json, record_json)


def finding_row(
    source: str | None,
    scope: Mapping[str, str | None],
    date: dt.date | None,
    table: str | None,
    json_path: str | None,
    rule: str,
    severity: str,
    message: str,
    value: str | None = None,
) -> tuple[Any, ...]:
    """A row of ``ds.findings`` (:data:`FINDING_SCHEMA`)."""
    return (source, *(scope.get(k) for k in SCOPE), date, table, json_path, rule, severity, message, value)


def conflict_row(
    scope: Mapping[str, str | None],
    date: dt.date,
    table: str,
    key: str,
    column: str,
    kept_value: str | None,
    other_value: str | None,
    kept_source: str,
    other_source: str,
) -> tuple[Any, ...]:
    """A row of ``ds.conflicts`` (:data:`CONFLICT_SCHEMA`)."""
    return (
        *(scope.get(k) for k in SCOPE),
        date,
        table,
        key,
        column,
        kept_value,
        other_value,
        kept_source,
        other_source,
    )


def _columns(schema: pl.Schema, values: Mapping[str, Any]) -> list[pl.Expr]:
    """Every column of ``schema``, in order and dtype: an expression as given, any other value a constant."""
    return [
        (v if isinstance(v := values[name], pl.Expr) else pl.lit(v, dtype)).cast(dtype).alias(name)
        for name, dtype in schema.items()
    ]


def _scope_columns(scope: Mapping[str, str | None] | None) -> dict[str, Any]:
    return {k: pl.col(k) if scope is None else scope.get(k) for k in SCOPE}


def finding_columns(
    *,
    table: str | None,
    json_path: pl.Expr | str | None,
    rule: pl.Expr | str,
    severity: pl.Expr | str,
    message: pl.Expr | str,
    value: pl.Expr | str | None,
    source: pl.Expr | str | None = None,
    scope: Mapping[str, str | None] | None = None,
    date: pl.Expr | dt.date | None = None,
) -> list[pl.Expr]:
    """:func:`finding_row` over a frame: the columns of ``ds.findings`` (:data:`FINDING_SCHEMA`) as expressions.

    An expression is evaluated on the frame, any other value is a constant.  ``source``, the scope
    columns and ``date`` are the frame's own columns unless given (``scope`` as a mapping of constants).

    >>> rows = pl.DataFrame({"source": ["a.json"], "org": ["o"], "enterprise": [None], "team": [None],
    ...                      "date": [dt.date(2025, 1, 2)], "n": [-1]})
    >>> rows.select(finding_columns(table="days", json_path="$", rule="negative_count", severity="error",
    ...                             message="below zero", value=pl.col("n"))).row(0)
    ('a.json', None, 'o', None, datetime.date(2025, 1, 2), 'days', '$', 'negative_count', 'error', 'below zero', '-1')
    """
    return _columns(
        FINDING_SCHEMA,
        {
            "source": pl.col("source") if source is None else source,
            **_scope_columns(scope),
            "date": pl.col("date") if date is None else date,
            "table": table,
            "json_path": json_path,
            "rule": rule,
            "severity": severity,
            "message": message,
            "value": value,
        },
    )


def quarantine_columns(
    *,
    scope: Mapping[str, str | None],
    day_index: pl.Expr | int | None,
    date: pl.Expr | str | None,
    stage: pl.Expr | str,
    reasons: pl.Expr,
    day_json: pl.Expr | str | None,
    record_json: pl.Expr | str | None,
) -> list[pl.Expr]:
    """:func:`quarantine_row` over a frame: the columns of ``ds.quarantine`` (:data:`QUARANTINE_SCHEMA`).

    ``source`` is the frame's own column, the scope a mapping of constants; an expression is
    evaluated on the frame, any other value is a constant.
    """
    return _columns(
        QUARANTINE_SCHEMA,
        {
            "source": pl.col("source"),
            **_scope_columns(scope),
            "day_index": day_index,
            "date": date,
            "stage": stage,
            "reasons": reasons,
            "day_json": day_json,
            "record_json": record_json,
        },
    )


def conflict_columns(
    *,
    table: str,
    key: pl.Expr,
    column: pl.Expr | str,
    kept_value: pl.Expr,
    other_value: pl.Expr,
) -> list[pl.Expr]:
    """:func:`conflict_row` over a frame: the columns of ``ds.conflicts`` (:data:`CONFLICT_SCHEMA`) as expressions.

    The scope, ``date``, ``kept_source`` and ``other_source`` are the frame's own columns; an
    expression is evaluated on the frame, any other value is a constant.
    """
    return _columns(
        CONFLICT_SCHEMA,
        {
            **_scope_columns(None),
            "date": pl.col("date"),
            "table": table,
            "key": key,
            "column": column,
            "kept_value": kept_value,
            "other_value": other_value,
            "kept_source": pl.col("kept_source"),
            "other_source": pl.col("other_source"),
        },
    )


def copy_label(file: str, copy_path: str | None) -> str:
    """The label of a copy of a date in ``ds.versions`` and ``ds.conflicts``: its file, then its ``copy_path``.

    >>> copy_label("a.json", "$[3]"), copy_label("a.json", None)
    ('a.json$[3]', 'a.json')
    """
    return file if copy_path is None else file + copy_path


def copy_label_expr(file: pl.Expr, copy_path: pl.Expr) -> pl.Expr:
    """:func:`copy_label` over a frame."""
    return pl.concat_str(file, copy_path.fill_null(""))


def version_row(
    source: str,
    scope: Mapping[str, str | None],
    date: dt.date,
    copy_path: str | None,
    occurrence: int,
    version: int,
    day_json: str | None,
) -> tuple[Any, ...]:
    """A row of ``ds.versions`` (:data:`VERSION_SCHEMA`); its ``label`` is :func:`copy_label`."""
    return (
        source,
        *(scope.get(k) for k in SCOPE),
        date,
        copy_label(source, copy_path),
        copy_path,
        occurrence,
        version,
        day_json,
    )


def version_columns(
    *,
    source: pl.Expr,
    copy_path: pl.Expr,
    occurrence: pl.Expr,
    version: pl.Expr,
    day_json: pl.Expr,
) -> list[pl.Expr]:
    """:func:`version_row` over a frame: the columns of ``ds.versions`` (:data:`VERSION_SCHEMA`) as expressions.

    The scope columns and ``date`` are the frame's own; ``label`` is :func:`copy_label_expr`.

    >>> copies = pl.DataFrame({"file": ["a.json"], "org": ["o"], "enterprise": [None], "team": [None],
    ...                        "date": [dt.date(2025, 1, 2)], "path": ["$[0]"], "n": [1], "v": [2]})
    >>> copies.select(version_columns(source=pl.col("file"), copy_path=pl.col("path"), occurrence=pl.col("n"),
    ...                               version=pl.col("v"), day_json=pl.lit(None))).row(0)
    ('a.json', None, 'o', None, datetime.date(2025, 1, 2), 'a.json$[0]', '$[0]', 1, 2, None)
    """
    return _columns(
        VERSION_SCHEMA,
        {
            "source": source,
            **_scope_columns(None),
            "date": pl.col("date"),
            "label": copy_label_expr(source, copy_path),
            "copy_path": copy_path,
            "occurrence": occurrence,
            "version": version,
            "day_json": day_json,
        },
    )


def identical_row(
    scope: Sequence[str | None],
    date: dt.date,
    source: str,
    same_as: str,
) -> tuple[Any, ...]:
    """A day a file held verbatim as ``same_as``, an earlier file of its batch (:data:`IDENTICAL_SCHEMA`).

    ``scope`` is the scope's values in the order of :data:`~copilot_metrics.tables.SCOPE`.
    """
    return (*scope, date, source, same_as)
