"""Successor reports in :func:`copilot_metrics.load`: the batch step's hook and the load options.

The batch step (:func:`copilot_metrics.batch.read_input`) reads the legacy family first; only
when the legacy reader refuses a file is :func:`read_report_input` called, so legacy files pay
nothing for the second family.  It reads the file with :func:`~.read.read_bytes` when its
records are successor reports, and otherwise raises the legacy reader's refusal.  The batch step
takes no option (it runs in worker processes and on Spark executors alike): the report is read
with every record kept or set aside, and the load options (``reports``, ``scope_level``,
``on_invalid``, ``on_drift``) are applied by the pipeline afterwards
(:func:`relevel`, :func:`drift_paths`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

import polars as pl

from copilot_metrics.errors import FormatError, SchemaDriftError
from copilot_metrics.sidetables import quarantine_columns
from copilot_metrics.successor.read import ReportRead, read_bytes

__all__ = [
    "OnDrift",
    "ReportInput",
    "Reports",
    "ScopeLevel",
    "apply_drift",
    "drift_paths",
    "read_report_input",
    "relevel",
]

#: ``cm.load(reports=...)``: read successor report files, or refuse them as before (``FormatError``).
Reports = Literal["load", "refuse"]
#: ``cm.load(on_drift=...)``: keys the registry does not know are kept (always), and warned or raised about.
OnDrift = Literal["keep", "warn", "raise"]
#: ``cm.load(scope_level=...)``: the level of every report (``None``: from the records' ids).
ScopeLevel = Literal["organization", "enterprise"]

#: What the legacy reader calls a file whose content parsed but is no metrics day: a report may be one.
_MAYBE_REPORT = frozenset({"usage-report", "day-instead-of-date", "unknown-object", "invalid-json", "not-a-list"})
#: The successor reader's own refusals, more precise than the legacy reader's for those files.
_REPORT_REFUSALS = frozenset({"report-links", "viewer-user-totals", "mixed-report-kinds", "csv"})


@dataclass(frozen=True)
class ReportInput:
    """A successor report file read by the batch step: what it holds, and what the legacy reader said.

    ``refused`` is the legacy reader's :class:`~copilot_metrics.errors.FormatError`
    (``reports="refuse"`` raises it, as before the successor family was read).
    """

    read: ReportRead
    refused: FormatError


def _may_hold_records(data: bytes) -> bool:
    """False for bytes whose first JSON value is a scalar (a string, number, literal): no report is one.

    Spares a second parse of a large scalar the legacy reader already refused (``not-a-list``).
    gzip is not looked into.
    """
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    return not head or head[:1] in (b"{", b"[", b"\x1f")


def read_report_input(
    data: bytes, refused: FormatError, *, source: str, scope: dict[str, str | None], mtime: float | None
) -> tuple[dict[str, Any], ReportInput]:
    """The batch step's hook: ``data``, refused by the legacy reader, read as a successor report.

    Returns the file's ``ds.sources`` row (``days``: the records, ``days_valid``: those kept)
    and the report (the batch step puts both in a :class:`~copilot_metrics.batch.ReadInput`
    with no days).  Raises
    ``refused`` when the file is no report either, or the successor reader's own refusal when it
    names the file better (``report-links``, ``viewer-user-totals``, ``mixed-report-kinds``, ``csv``).
    Records with values of the wrong type are set aside (``quarantine``); the pipeline raises
    for them with ``on_invalid="raise"``.
    """
    from copilot_metrics.quarantine import read_state
    from copilot_metrics.sidetables import source_row

    if refused.detected not in _MAYBE_REPORT or not _may_hold_records(data):
        raise refused
    try:
        read = read_bytes(
            data, source, enterprise=scope.get("enterprise"), org=scope.get("org"), on_invalid="quarantine"
        )
    except FormatError as exc:
        if exc.detected in _REPORT_REFUSALS:
            raise
        raise refused from None
    first = cast("dt.date | None", read.reports["first_date"].min() if read.reports.height else None)
    last = cast("dt.date | None", read.reports["last_date"].max() if read.reports.height else None)
    valid = int(read.reports["records"].sum()) if read.reports.height else 0
    row = source_row(
        source,
        scope,
        read_state(read.quarantine.height),
        layout=read.layout,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        days=valid + read.quarantine.height,
        days_valid=valid,
        first_date=first,
        last_date=last,
        mtime=mtime,
    )
    return row, ReportInput(read, refused)


def relevel(read: ReportRead, level: Literal["organization", "enterprise"]) -> ReportRead:
    """``read`` with every report's level set to ``level`` (``cm.load(scope_level=...)``).

    The kind (``organization-users-28-day``...) and the ``report_id`` (a hash over the kind and
    the report's ids, window and ``created_at``) follow; every table's ``report_id`` is mapped.
    """
    if read.reports.height == 0 or (read.reports["level"] == level).all():
        return read
    rows = read.reports.to_dicts()
    mapping: dict[str, str] = {}
    for row in rows:
        kind = level + row["kind"][len(row["level"]) :]
        parts = (
            kind,
            row["enterprise_id"],
            row["organization_id"],
            row["window_start"],
            row["window_end"],
            row["created_at_raw"],
        )
        text = "|".join("" if v is None else str(v) for v in parts)
        new_id = hashlib.sha256(text.encode()).hexdigest()[:16]
        mapping[row["report_id"]] = new_id
        row.update(kind=kind, level=level, report_id=new_id)
    ids = pl.col("report_id").replace_strict(mapping, default=pl.col("report_id"), return_dtype=pl.String)
    return replace(
        read,
        reports=pl.DataFrame(rows, schema=read.reports.schema, orient="row"),
        tables={name: frame.with_columns(ids) if frame.height else frame for name, frame in read.tables.items()},
    )


def drift_paths(drift: pl.DataFrame) -> list[str]:
    """The new JSON paths of a ``schema_drift`` frame (``grain:path``), new values (``value:...``) left out."""
    new = drift.filter(~pl.col("path").str.starts_with("value:")).select("grain", "path").unique().sort("grain", "path")
    return [f"{grain}:{path}" for grain, path in new.iter_rows()]


def apply_drift(drift: pl.DataFrame, on_drift: OnDrift, sources: list[str]) -> None:
    """Warn or raise about the new paths of ``drift`` as ``on_drift`` says (``"keep"``: nothing)."""
    if on_drift == "keep":
        return
    paths = drift_paths(drift)
    if not paths:
        return
    error = SchemaDriftError.new_paths(paths, sources)
    if on_drift == "raise":
        raise error
    warnings.warn(error.message, UserWarning, stacklevel=4)


def quarantine_rows(scope: dict[str, Any], read: ReportRead) -> pl.DataFrame:
    """``ds.quarantine`` rows of the records a report file set aside: verbatim in ``record_json``."""
    return read.quarantine.select(
        quarantine_columns(
            scope={"enterprise": scope.get("enterprise"), "org": scope.get("org")},
            day_index=None,
            date=pl.col("date"),
            stage=pl.col("stage"),
            reasons=pl.col("reasons"),
            day_json=None,
            record_json=pl.col("record_json"),
        )
    )
