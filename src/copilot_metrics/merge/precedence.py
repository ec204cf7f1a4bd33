"""Which export of a day is the most recent: the precedence of files, one ranking for every merge.

Precedence (most recent export wins), per file, in order:

1. ``fetched_at[path]`` given by the user (a ``datetime`` or ISO string);
2. a timestamp in the file name (:data:`FILENAME_PATTERNS`: ``2025-05-06``,
   ``2025-05-06T10:30:00``, ``2025-05-06_103000``, ``20250506``, ``20250506T103000``,
   ``20250506-103000``; the last one in the name counts);
3. the file's last date plus one day (a later window is a later export);

then the file's modification time, and last the file's path (lexicographic, larger wins), so
the winner never depends on the order files were read, and any engine sorting by
``(export_time, mtime, source)`` picks the same one.  A ``precedence`` key function over a
``ds.sources`` row overrides all of this (ties still broken by path).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any

import polars as pl

__all__ = ["FILENAME_PATTERNS", "export_time", "rank_sources"]


#: Timestamps recognised in file names, tried in order; the last match in the name counts.
FILENAME_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
        r"(?:[T_ ](?P<H>\d{2})[:\-]?(?P<M>\d{2})(?:[:\-]?(?P<S>\d{2}))?)?(?!\d)"
    ),
    re.compile(r"(?<!\d)(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:[T_\-](?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?(?!\d)"),
)


def _timestamp_in_name(name: str) -> dt.datetime | None:
    for pattern in FILENAME_PATTERNS:
        matches = list(pattern.finditer(name))
        for match in reversed(matches):
            parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
            try:
                return dt.datetime(
                    parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0), parts.get("S", 0)
                )
            except ValueError:
                continue
    return None


def export_time(
    source: str, last_date: dt.date | None, fetched_at: Mapping[str, Any] | None = None
) -> tuple[dt.datetime | None, str]:
    """When a file was exported, and on what basis (``fetched_at``, ``file name``, ``last date``).

    >>> export_time("exports/copilot-2025-05-06.json", None)
    (datetime.datetime(2025, 5, 6, 0, 0), 'file name')
    """
    if fetched_at and source in fetched_at:
        value = fetched_at[source]
        stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if isinstance(stamp, dt.datetime) and stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return stamp, "fetched_at"
    stamp = _timestamp_in_name(PurePath(source).name)
    if stamp is not None:
        return stamp, "file name"
    if last_date is not None:
        if last_date == dt.date.max:  # 9999-12-31: the day after cannot be represented
            return dt.datetime.max, "last date"
        return dt.datetime.combine(last_date + dt.timedelta(days=1), dt.time()), "last date"
    return None, "none"


def rank_sources(
    sources: pl.DataFrame,
    fetched_at: Mapping[str, Any] | None = None,
    precedence: Callable[[dict[str, Any]], Any] | None = None,
) -> pl.DataFrame:
    """Add ``export_time``, ``precedence_basis`` and ``rank`` (higher wins) to a sources frame.

    The one ranking of files, for a load and for every merge.  ``rank`` is the dense rank of
    ``(export_time, mtime, source)`` (nulls lowest), or, with a ``precedence`` key function
    over each row (a dict of the sources row plus ``export_time`` and ``precedence_basis``), the
    rank of ``(precedence(row), source)``: 1 for the oldest export.  One Python call per file
    (not per row) computes the export times; a row that has them already (a dataset's
    ``sources``, with its ``precedence_basis``) keeps them, unless ``fetched_at`` names its file.
    """
    rows = sources.select("source", "last_date", "mtime").to_dicts()
    known = {"export_time", "precedence_basis"} <= set(sources.columns)
    stored = sources.select("export_time", "precedence_basis").rows() if known else [(None, None)] * len(rows)
    times, bases = [], []
    for row, (time, base) in zip(rows, stored, strict=True):
        if base is not None and not (fetched_at and row["source"] in fetched_at):
            stamp, basis = time, base
        else:
            stamp, basis = export_time(row["source"], row["last_date"], fetched_at)
        times.append(stamp)
        bases.append(basis)
    out = sources.with_columns(
        pl.Series("export_time", times, dtype=pl.Datetime("us")),
        pl.Series("precedence_basis", bases, dtype=pl.String),
    )
    if precedence is not None:
        custom = [precedence(row) for row in out.to_dicts()]
        order = sorted(range(len(custom)), key=lambda i: (custom[i], rows[i]["source"]))
        position = {index: place + 1 for place, index in enumerate(order)}
        return out.with_columns(pl.Series("rank", [position[i] for i in range(len(custom))], dtype=pl.Int64))
    return out.with_columns(
        pl.struct(
            pl.col("export_time").fill_null(dt.datetime(1970, 1, 1)),
            pl.col("mtime").fill_null(0.0),
            pl.col("source"),
        )
        .rank("dense")
        .cast(pl.Int64)
        .alias("rank")
    )
